//! The responses remembered for `Idempotency-Key`: which request a key answered and how, never
//! the answer's body.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::audit::Actor;
use crate::error::StoreResult;
use crate::{clock, DbConn, StoreError};

use super::idempotency_keys;

/// What is kept of the first successful response to an `Idempotency-Key`: no answer body, so no
/// personal data; a replay reads the object again ([`kim_domain::idempotency`]).
#[derive(Debug, Clone, PartialEq)]
pub struct RememberedResponse {
    /// What identified the request (method, path, precondition and body, hashed).
    pub fingerprint: String,
    pub status_code: u16,
    /// The object the first answer showed (a referral, an offer).
    pub resource_id: i64,
}

/// A remembered response and when it was given.
#[derive(Debug, Clone, PartialEq)]
pub struct Remembered {
    pub response: RememberedResponse,
    pub answered_at: DateTime<Utc>,
}

/// The response remembered for `key` of this caller, if any.
pub fn remembered(conn: &mut DbConn, actor: &Actor, key: &str) -> StoreResult<Option<Remembered>> {
    let Some(actor_id) = actor.id else {
        return Ok(None);
    };
    let row: Option<(String, i32, i64, NaiveDateTime)> = idempotency_keys::table
        .filter(idempotency_keys::actor_kind.eq(actor.kind))
        .filter(idempotency_keys::actor_id.eq(actor_id))
        .filter(idempotency_keys::idempotency_key.eq(key))
        .select((
            idempotency_keys::fingerprint,
            idempotency_keys::status_code,
            idempotency_keys::resource_id,
            idempotency_keys::created_at,
        ))
        .first(conn)
        .optional()?;
    row.map(|(fingerprint, status, resource_id, created_at)| {
        Ok(Remembered {
            response: RememberedResponse {
                fingerprint,
                status_code: u16::try_from(status)
                    .map_err(|_| StoreError::Corrupt(format!("status code {status}")))?,
                resource_id,
            },
            answered_at: clock::to_utc(created_at),
        })
    })
    .transpose()
}

/// Forgets the response remembered for `key` of this caller (it has expired), so that the key
/// runs as a new request.
pub fn forget(conn: &mut DbConn, actor: &Actor, key: &str) -> StoreResult<()> {
    let Some(actor_id) = actor.id else {
        return Ok(());
    };
    diesel::delete(
        idempotency_keys::table
            .filter(idempotency_keys::actor_kind.eq(actor.kind))
            .filter(idempotency_keys::actor_id.eq(actor_id))
            .filter(idempotency_keys::idempotency_key.eq(key)),
    )
    .execute(conn)?;
    Ok(())
}

/// Remembers the response to `key`, in the transaction of the change it answers. A concurrent
/// request with the same key fails on the unique key and rolls back (409).
pub fn remember(
    conn: &mut DbConn,
    actor: &Actor,
    key: &str,
    response: &RememberedResponse,
) -> StoreResult<()> {
    let Some(actor_id) = actor.id else {
        return Ok(());
    };
    diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::actor_kind.eq(actor.kind),
            idempotency_keys::actor_id.eq(actor_id),
            idempotency_keys::idempotency_key.eq(key),
            idempotency_keys::fingerprint.eq(&response.fingerprint),
            idempotency_keys::status_code.eq(i32::from(response.status_code)),
            idempotency_keys::resource_id.eq(response.resource_id),
            idempotency_keys::created_at.eq(clock::now()),
        ))
        .execute(conn)
        .map_err(|e| StoreError::from(e).on_field("Idempotency-Key"))?;
    Ok(())
}
