//! The audit trail: who did what to which object, and whose personal data it concerned.
//!
//! # Design
//!
//! * **Who it concerns.** An event names the person by internal `client_id` (indexed), never by
//!   reference: the reference shown in the audit views comes from a join with `clients`, so an
//!   erasure that replaces a client's reference changes no audit row, and "who saw this
//!   person's data" is one indexed query (`audit_events_client_id`).
//! * **Two ways in.** A write records its events in the request's own transaction
//!   ([`record`], [`record_about`], [`record_for`]): they commit or roll back with the change.
//!   A read hands its events to the appender ([`append`], driven by one task per database in
//!   the API), which writes the events of many concurrent reads in one multi-row INSERT and one
//!   commit (group commit); the read answers only after that commit.
//! * **Append-only.** Database triggers refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL).
//!   The two exceptions are the sealing of an unsealed event (setting `chain_seq` and
//!   `entry_hash`, nothing else) and [`remove_before`], which writes a removal permit row,
//!   deletes, and removes the permit in one transaction.
//! * **Tamper-evident.** Each event carries `entry_hash = SHA-256(previous hash, content)` and a
//!   gap-free `chain_seq`; see [`chain`]. The chain order is assigned by one appender at a time
//!   (SQLite: the single writer; PostgreSQL: a transaction-scoped advisory lock, so with several
//!   servers only one extends the chain at any moment).

pub mod chain;

use diesel::prelude::*;

use crate::schema::{audit_events, clients};
use crate::{clock, DbConn, StoreError};

pub use chain::{remove_before, seal, verify, Verification};

/// Who acted, for the audit trail; built by the API from the authenticated caller.
#[derive(Debug, Clone)]
pub struct Actor {
    /// `user`, `partner` or `system` (the CLI).
    pub kind: &'static str,
    pub id: Option<i64>,
    pub role: Option<String>,
    /// The server's own id of the request (always set by the server, never by the caller).
    pub request_id: Option<String>,
    /// The `X-Request-Id` the caller sent, if any: stored beside the server's id, so a caller
    /// cannot make its events look like another request's.
    pub client_request_id: Option<String>,
}

impl Actor {
    /// A person acting outside any request: the staff of the demo seed.
    pub fn person(id: i64, role: kim_domain::Role) -> Self {
        Actor {
            kind: "user",
            id: Some(id),
            role: Some(role.as_str().to_owned()),
            request_id: None,
            client_request_id: None,
        }
    }

    /// The command line, run by an operator on the server.
    pub fn system() -> Self {
        Actor {
            kind: "system",
            id: None,
            role: None,
            request_id: None,
            client_request_id: None,
        }
    }
}

/// One event to be written, owned so that it can travel to the appender.
#[derive(Debug, Clone, PartialEq, Eq, Insertable, Queryable, Selectable)]
#[diesel(table_name = audit_events, treat_none_as_default_value = false)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct NewEvent {
    pub occurred_at: chrono::NaiveDateTime,
    pub actor_kind: String,
    pub actor_id: Option<i64>,
    pub actor_role: Option<String>,
    pub action: String,
    pub object_type: String,
    pub object_id: Option<String>,
    pub request_id: Option<String>,
    pub client_id: Option<i64>,
    pub client_request_id: Option<String>,
}

impl NewEvent {
    /// An event happening now.
    pub fn new(
        actor: &Actor,
        action: &str,
        object_type: &str,
        object_id: Option<i64>,
        client_id: Option<i64>,
    ) -> NewEvent {
        NewEvent {
            occurred_at: clock::now(),
            actor_kind: actor.kind.to_owned(),
            actor_id: actor.id,
            actor_role: actor.role.clone(),
            action: action.to_owned(),
            object_type: object_type.to_owned(),
            object_id: object_id.map(|id| id.to_string()),
            request_id: actor.request_id.clone(),
            client_id,
            client_request_id: actor.client_request_id.clone(),
        }
    }
}

/// Records `action` (e.g. `user.create`) on `object_type`/`object_id`, in the caller's
/// transaction.
pub fn record(
    conn: &mut DbConn,
    actor: &Actor,
    action: &str,
    object_type: &str,
    object_id: Option<i64>,
) -> Result<(), StoreError> {
    record_for(conn, actor, action, object_type, object_id, None)
}

/// Records an access to personal data naming the client it concerns by internal id, in the
/// caller's transaction.
pub fn record_for(
    conn: &mut DbConn,
    actor: &Actor,
    action: &str,
    object_type: &str,
    object_id: Option<i64>,
    client_id: Option<i64>,
) -> Result<(), StoreError> {
    diesel::insert_into(audit_events::table)
        .values(NewEvent::new(
            actor,
            action,
            object_type,
            object_id,
            client_id,
        ))
        .execute(conn)?;
    Ok(())
}

/// Records an access to personal data naming the client by its current reference, which is
/// resolved to the client id here (an unknown reference records no client).
pub fn record_about(
    conn: &mut DbConn,
    actor: &Actor,
    action: &str,
    object_type: &str,
    object_id: Option<i64>,
    client_reference: Option<&str>,
) -> Result<(), StoreError> {
    let client_id = match client_reference {
        Some(reference) => client_id_of(conn, reference)?,
        None => None,
    };
    record_for(conn, actor, action, object_type, object_id, client_id)
}

/// The internal id of the client with `reference`, if there is one.
pub fn client_id_of(conn: &mut DbConn, reference: &str) -> Result<Option<i64>, StoreError> {
    Ok(clients::table
        .filter(clients::reference.eq(reference))
        .select(clients::id)
        .first(conn)
        .optional()?)
}

/// Writes events handed to the appender: first seals what writers committed since the last
/// call, then inserts `events` already sealed, in one multi-row INSERT. Runs in the caller's
/// transaction, which must hold the chain (see [`chain::lock_chain`]); the appender calls it
/// through [`append`].
pub fn append_in_transaction(conn: &mut DbConn, events: &[NewEvent]) -> Result<(), StoreError> {
    let head = chain::seal_pending(conn)?;
    chain::insert_sealed(conn, head, events)
}

/// One transaction of the appender: takes the chain, seals pending events, inserts `events`,
/// commits. When this returns `Ok`, the events are durable.
pub fn append(conn: &mut DbConn, events: &[NewEvent]) -> Result<(), StoreError> {
    crate::connection::transaction(conn, |conn| {
        chain::lock_chain(conn)?;
        append_in_transaction(conn, events)
    })
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
    pub client_request_id: Option<String>,
    pub client_id: Option<i64>,
    /// The client's reference as it is now (after an erasure: the replacement).
    pub client_reference: Option<String>,
    /// Position in the hash chain; `None` until the appender has sealed the event.
    pub chain_seq: Option<i64>,
}

/// Filters of the audit trail; all optional, combined with AND.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor_id: Option<i64>,
    pub actor_kind: Option<String>,
    pub client_id: Option<i64>,
    pub client_reference: Option<String>,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    pub from: Option<chrono::NaiveDateTime>,
    pub to: Option<chrono::NaiveDateTime>,
}

type Joined = diesel::helper_types::LeftJoinOn<
    audit_events::table,
    clients::table,
    diesel::helper_types::Eq<audit_events::client_id, diesel::helper_types::Nullable<clients::id>>,
>;

fn filtered(
    filter: &AuditFilter,
) -> diesel::helper_types::IntoBoxed<'static, Joined, crate::connection::MultiBackend> {
    let mut query = audit_events::table
        .left_join(clients::table.on(audit_events::client_id.eq(clients::id.nullable())))
        .into_boxed::<crate::connection::MultiBackend>();
    if let Some(actor) = filter.actor_id {
        query = query.filter(audit_events::actor_id.eq(actor));
    }
    if let Some(kind) = &filter.actor_kind {
        query = query.filter(audit_events::actor_kind.eq(kind.clone()));
    }
    if let Some(client) = filter.client_id {
        query = query.filter(audit_events::client_id.eq(client));
    }
    if let Some(reference) = &filter.client_reference {
        query = query.filter(clients::reference.eq(reference.clone()));
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
            audit_events::client_request_id,
            audit_events::client_id,
            clients::reference.nullable(),
            audit_events::chain_seq,
        ))
        .load::<AuditEvent>(conn)?;
    Ok(crate::Listed { items, total })
}
