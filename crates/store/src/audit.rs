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
    client_reference: Option<&'a str>,
}

/// Records `action` (e.g. `user.create`) on `object_type`/`object_id`.
pub fn record(
    conn: &mut DbConn,
    actor: &Actor,
    action: &str,
    object_type: &str,
    object_id: Option<i64>,
) -> Result<(), StoreError> {
    record_about(conn, actor, action, object_type, object_id, None)
}

/// Records an access to personal data, naming the client it concerns (by pseudonymous
/// reference), so "who saw this person's data" can be answered.
pub fn record_about(
    conn: &mut DbConn,
    actor: &Actor,
    action: &str,
    object_type: &str,
    object_id: Option<i64>,
    client_reference: Option<&str>,
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
            client_reference,
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

/// One audit event as the data protection officer reads it.
#[derive(Debug, Clone, PartialEq, Queryable)]
pub struct AuditEvent {
    pub id: i64,
    pub occurred_at: chrono::NaiveDateTime,
    pub actor_kind: String,
    pub actor_id: Option<i64>,
    pub actor_role: Option<String>,
    pub action: String,
    pub object_type: String,
    pub object_id: Option<String>,
    pub request_id: Option<String>,
    pub client_reference: Option<String>,
}

/// Filters of the audit trail; all optional, combined with AND.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor_id: Option<i64>,
    pub actor_kind: Option<String>,
    pub client_reference: Option<String>,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    pub from: Option<chrono::NaiveDateTime>,
    pub to: Option<chrono::NaiveDateTime>,
}

fn filtered(
    filter: &AuditFilter,
) -> audit_events::BoxedQuery<'static, crate::connection::MultiBackend> {
    let mut query = audit_events::table.into_boxed::<crate::connection::MultiBackend>();
    if let Some(actor) = filter.actor_id {
        query = query.filter(audit_events::actor_id.eq(actor));
    }
    if let Some(kind) = &filter.actor_kind {
        query = query.filter(audit_events::actor_kind.eq(kind.clone()));
    }
    if let Some(reference) = &filter.client_reference {
        query = query.filter(audit_events::client_reference.eq(reference.clone()));
    }
    if let Some(object_type) = &filter.object_type {
        query = query.filter(audit_events::object_type.eq(object_type.clone()));
    }
    if let Some(object_id) = &filter.object_id {
        query = query.filter(audit_events::object_id.eq(object_id.clone()));
    }
    if let Some(from) = filter.from {
        query = query.filter(audit_events::occurred_at.ge(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(audit_events::occurred_at.lt(to));
    }
    query
}

/// The audit trail, newest first.
pub fn list(
    conn: &mut DbConn,
    filter: &AuditFilter,
    page: kim_domain::paging::PageRequest,
) -> Result<crate::Listed<AuditEvent>, StoreError> {
    let total: i64 = filtered(filter).count().get_result(conn)?;
    let items = filtered(filter)
        .order(audit_events::id.desc())
        .limit(page.limit)
        .offset(page.offset)
        .select((
            audit_events::id,
            audit_events::occurred_at,
            audit_events::actor_kind,
            audit_events::actor_id,
            audit_events::actor_role,
            audit_events::action,
            audit_events::object_type,
            audit_events::object_id,
            audit_events::request_id,
            audit_events::client_reference,
        ))
        .load::<AuditEvent>(conn)?;
    Ok(crate::Listed { items, total })
}
