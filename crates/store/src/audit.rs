//! The audit trail: who did what to which object, written in the same transaction as the change
//! it records. Append-only: there is no update or delete here.

use diesel::prelude::*;

use crate::schema::audit_events;
use crate::{clock, DbConn, StoreError};

/// Who acted, for the audit trail; built by the API from the authenticated caller.
#[derive(Debug, Clone)]
pub struct Actor {
    /// `user`, `partner` or `system` (the CLI).
    pub kind: &'static str,
    pub id: Option<i64>,
    pub role: Option<String>,
    pub request_id: Option<String>,
}

impl Actor {
    /// The command line, run by an operator on the server.
    pub fn system() -> Self {
        Actor {
            kind: "system",
            id: None,
            role: None,
            request_id: None,
        }
    }
}

#[derive(Insertable)]
#[diesel(table_name = audit_events)]
struct NewAuditEvent<'a> {
    occurred_at: chrono::NaiveDateTime,
    actor_kind: &'a str,
    actor_id: Option<i64>,
    actor_role: Option<&'a str>,
    action: &'a str,
    object_type: &'a str,
    object_id: Option<String>,
    request_id: Option<&'a str>,
}

/// Records `action` (e.g. `user.create`) on `object_type`/`object_id`.
pub fn record(
    conn: &mut DbConn,
    actor: &Actor,
    action: &str,
    object_type: &str,
    object_id: Option<i64>,
) -> Result<(), StoreError> {
    diesel::insert_into(audit_events::table)
        .values(NewAuditEvent {
            occurred_at: clock::now(),
            actor_kind: actor.kind,
            actor_id: actor.id,
            actor_role: actor.role.as_deref(),
            action,
            object_type,
            object_id: object_id.map(|id| id.to_string()),
            request_id: actor.request_id.as_deref(),
        })
        .execute(conn)?;
    Ok(())
}

/// Audit events about one object, oldest first (for tests and, later, the data protection officer).
pub fn for_object(
    conn: &mut DbConn,
    object_type: &str,
    object_id: i64,
) -> Result<Vec<(String, Option<i64>)>, StoreError> {
    Ok(audit_events::table
        .filter(audit_events::object_type.eq(object_type))
        .filter(audit_events::object_id.eq(object_id.to_string()))
        .order(audit_events::id.asc())
        .select((audit_events::action, audit_events::actor_id))
        .load(conn)?)
}
