//! The outbox (issue 15 item 2): events for partner systems, written by the store functions
//! that make the change, on the same connection and so in the same transaction. A change and
//! its event commit together or not at all; the webhook worker and the event feed read them
//! afterwards, so delivery never blocks or fails the request that caused it.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use kim_domain::event::{EventObject, EventType};

use crate::error::StoreResult;
use crate::{clock, DbConn};

diesel::table! {
    outbox_events (id) {
        id -> BigInt,
        event_type -> Text,
        organisation_id -> BigInt,
        object_type -> Text,
        object_id -> BigInt,
        related_ids -> Text,
        occurred_at -> Timestamp,
    }
}

/// The advisory lock key of writing events ("KIMOUTBX" in ASCII, as an i64).
const OUTBOX_LOCK: i64 = 0x4B49_4D4F_5554_4258;

/// An event to record for one organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    pub event_type: EventType,
    /// The organisation concerned: the only one whose tokens see the event.
    pub organisation_id: i64,
    /// The id of the object of the type's [`EventType::object`].
    pub object_id: i64,
    /// Further objects concerned (the referrals a revoked consent covered).
    pub related_ids: Vec<i64>,
}

impl NewEvent {
    pub fn new(event_type: EventType, organisation_id: i64, object_id: i64) -> Self {
        NewEvent {
            event_type,
            organisation_id,
            object_id,
            related_ids: Vec::new(),
        }
    }
}

/// An event as recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Position in the outbox: the feed's cursor; `evt_<sequence>` is the public id.
    pub sequence: i64,
    pub event_type: EventType,
    pub organisation_id: i64,
    pub object: EventObject,
    pub object_id: i64,
    pub related_ids: Vec<i64>,
    pub occurred_at: DateTime<Utc>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = outbox_events, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
struct EventRow {
    id: i64,
    event_type: String,
    organisation_id: i64,
    object_type: String,
    object_id: i64,
    related_ids: String,
    occurred_at: NaiveDateTime,
}

impl EventRow {
    /// `None` for a type or object this version does not know (written by a newer one): it is
    /// skipped rather than misread.
    fn into_event(self) -> Option<Event> {
        Some(Event {
            sequence: self.id,
            event_type: EventType::parse(&self.event_type).ok()?,
            organisation_id: self.organisation_id,
            object: EventObject::parse(&self.object_type).ok()?,
            object_id: self.object_id,
            related_ids: self
                .related_ids
                .split(',')
                .filter_map(|id| id.parse().ok())
                .collect(),
            occurred_at: clock::to_utc(self.occurred_at),
        })
    }
}

/// Records `events` on `conn`, which must be inside the transaction of the change.
///
/// PostgreSQL hands out identity values at insert, not at commit: without a lock, a transaction
/// that took id 7 could commit after one that took id 8, and a feed reader who saw 8 and moved
/// its cursor past it would never see 7. The transaction-scoped advisory lock makes writers of
/// events take turns from here to their commit, so ids become visible in order. SQLite has one
/// writer at a time anyway.
pub fn record(conn: &mut DbConn, events: &[NewEvent]) -> StoreResult<()> {
    if events.is_empty() {
        return Ok(());
    }
    if let DbConn::Postgres(c) = conn {
        diesel::sql_query(format!("SELECT pg_advisory_xact_lock({OUTBOX_LOCK})")).execute(c)?;
    }
    let now = clock::now();
    for event in events {
        let related = event
            .related_ids
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",");
        diesel::insert_into(outbox_events::table)
            .values((
                outbox_events::event_type.eq(event.event_type.as_str()),
                outbox_events::organisation_id.eq(event.organisation_id),
                outbox_events::object_type.eq(event.event_type.object().as_str()),
                outbox_events::object_id.eq(event.object_id),
                outbox_events::related_ids.eq(related),
                outbox_events::occurred_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// One organisation's events of `types` after the cursor `after`, oldest first, at most
/// `limit` (the event feed).
pub fn of_organisation(
    conn: &mut DbConn,
    organisation_id: i64,
    types: &[EventType],
    after: i64,
    limit: i64,
) -> StoreResult<Vec<Event>> {
    if types.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<EventRow> = outbox_events::table
        .filter(outbox_events::organisation_id.eq(organisation_id))
        .filter(outbox_events::event_type.eq_any(types.iter().map(|t| t.as_str())))
        .filter(outbox_events::id.gt(after))
        .order(outbox_events::id.asc())
        .limit(limit)
        .select(EventRow::as_select())
        .load(conn)?;
    Ok(rows.into_iter().filter_map(EventRow::into_event).collect())
}

/// Every organisation's events after `after`, oldest first, at most `limit` (for the webhook
/// worker, which fans them out to subscriptions).
pub fn after(conn: &mut DbConn, after: i64, limit: i64) -> StoreResult<Vec<Event>> {
    let rows: Vec<EventRow> = outbox_events::table
        .filter(outbox_events::id.gt(after))
        .order(outbox_events::id.asc())
        .limit(limit)
        .select(EventRow::as_select())
        .load(conn)?;
    Ok(rows.into_iter().filter_map(EventRow::into_event).collect())
}

/// One event by its sequence.
pub fn find(conn: &mut DbConn, sequence: i64) -> StoreResult<Option<Event>> {
    let row: Option<EventRow> = outbox_events::table
        .find(sequence)
        .select(EventRow::as_select())
        .first(conn)
        .optional()?;
    Ok(row.and_then(EventRow::into_event))
}
