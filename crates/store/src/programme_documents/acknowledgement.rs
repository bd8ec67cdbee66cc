//! Case managers' acknowledgements of adopted documents ("read and applied") and who has not
//! acknowledged yet.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use kim_domain::paging::PageRequest;
use kim_domain::programme_document::DocumentStatus;

use crate::connection::MultiBackend;
use crate::error::StoreResult;
use crate::{clock, DbConn, Listed, StoreError};

use super::schema::{
    programme_document_acknowledgements as acknowledgements, programme_documents as documents,
};

use super::find;

/// A case manager's "read and applied".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acknowledgement {
    pub document_id: i64,
    pub user_id: i64,
    /// The account's display name, for the coordination's follow-up.
    pub display_name: Option<String>,
    pub acknowledged_at: DateTime<Utc>,
}

fn acknowledgement_of(conn: &mut DbConn, id: i64, user_id: i64) -> StoreResult<Acknowledgement> {
    let at: NaiveDateTime = acknowledgements::table
        .find((id, user_id))
        .select(acknowledgements::acknowledged_at)
        .first(conn)?;
    let name = display_names(conn, &[user_id])?.remove(&user_id);
    Ok(Acknowledgement {
        document_id: id,
        user_id,
        display_name: name,
        acknowledged_at: clock::to_utc(at),
    })
}

fn display_names(conn: &mut DbConn, ids: &[i64]) -> StoreResult<HashMap<i64, String>> {
    use crate::schema::users;
    Ok(users::table
        .filter(users::id.eq_any(ids))
        .select((users::id, users::display_name))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect())
}

/// Records that `user_id` read and applies version `id`; `true` when new, `false` when they
/// had already (the first acknowledgement stands). Only an adopted version (`Conflict`).
pub fn acknowledge(
    conn: &mut DbConn,
    id: i64,
    user_id: i64,
) -> StoreResult<(Acknowledgement, bool)> {
    let document = find(conn, id)?;
    document
        .status
        .check_acknowledgeable()
        .map_err(StoreError::Conflict)?;
    let existing: Option<i64> = acknowledgements::table
        .find((id, user_id))
        .select(acknowledgements::user_id)
        .first(conn)
        .optional()?;
    let created = existing.is_none();
    if created {
        diesel::insert_into(acknowledgements::table)
            .values((
                acknowledgements::document_id.eq(id),
                acknowledgements::user_id.eq(user_id),
                acknowledgements::acknowledged_at.eq(clock::now()),
            ))
            .execute(conn)?;
    }
    Ok((acknowledgement_of(conn, id, user_id)?, created))
}

/// The acknowledgements of version `id`, oldest first; `only` narrows them to one account.
pub fn acknowledgements(
    conn: &mut DbConn,
    id: i64,
    only: Option<i64>,
    page: PageRequest,
) -> StoreResult<Listed<Acknowledgement>> {
    find(conn, id)?;
    let query = || {
        let mut q = acknowledgements::table
            .filter(acknowledgements::document_id.eq(id))
            .into_boxed::<MultiBackend>();
        if let Some(user) = only {
            q = q.filter(acknowledgements::user_id.eq(user));
        }
        q
    };
    let total: i64 = query().count().get_result(conn)?;
    let rows: Vec<(i64, NaiveDateTime)> = query()
        .order((
            acknowledgements::acknowledged_at.asc(),
            acknowledgements::user_id.asc(),
        ))
        .limit(page.limit)
        .offset(page.offset)
        .select((acknowledgements::user_id, acknowledgements::acknowledged_at))
        .load(conn)?;
    let users: Vec<i64> = rows.iter().map(|r| r.0).collect();
    let mut names = display_names(conn, &users)?;
    Ok(Listed {
        items: rows
            .into_iter()
            .map(|(user_id, at)| Acknowledgement {
                document_id: id,
                user_id,
                display_name: names.remove(&user_id),
                acknowledged_at: clock::to_utc(at),
            })
            .collect(),
        total,
    })
}

/// An adopted version waiting for a person's acknowledgement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unacknowledged {
    pub id: i64,
    pub title: String,
    pub document_version: i32,
    pub adopted_on: Option<NaiveDate>,
}

/// Every adopted version `user_id` has not acknowledged yet, oldest adoption first (one query).
pub fn unacknowledged_by(conn: &mut DbConn, user_id: i64) -> StoreResult<Vec<Unacknowledged>> {
    let acknowledged = acknowledgements::table
        .filter(acknowledgements::user_id.eq(user_id))
        .select(acknowledgements::document_id);
    let rows: Vec<(i64, String, i32, Option<NaiveDateTime>)> = documents::table
        .filter(documents::status.eq(DocumentStatus::Adopted.as_str()))
        .filter(documents::id.ne_all(acknowledged))
        .order((documents::adopted_at.asc(), documents::id.asc()))
        .select((
            documents::id,
            documents::title,
            documents::document_version,
            documents::adopted_at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, title, document_version, adopted_at)| Unacknowledged {
            id,
            title,
            document_version,
            adopted_on: adopted_at.map(|a| a.date()),
        })
        .collect())
}
