//! The dated history of a case: every opening, change, status move and reassignment.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use kim_domain::case::{CaseStatus, CloseReason};
use serde::Serialize;
use utoipa::ToSchema;

use crate::audit::Actor;
use crate::error::StoreResult;
use crate::schema::case_events as events;
use crate::{clock, DbConn};

/// One entry of a case's history.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CaseEvent {
    /// `opened`, `updated`, `status` or `reassigned`.
    pub kind: String,
    pub from_status: Option<CaseStatus>,
    pub to_status: Option<CaseStatus>,
    pub close_reason: Option<CloseReason>,
    pub reason: Option<String>,
    pub occurred_on: NaiveDate,
    pub occurred_at: DateTime<Utc>,
    pub actor_id: Option<i64>,
}

pub(super) fn record(
    conn: &mut DbConn,
    actor: &Actor,
    case_id: i64,
    event: &CaseEvent,
) -> StoreResult<()> {
    diesel::insert_into(events::table)
        .values((
            events::case_id.eq(case_id),
            events::kind.eq(&event.kind),
            events::from_status.eq(event.from_status.map(|s| s.as_str())),
            events::to_status.eq(event.to_status.map(|s| s.as_str())),
            events::close_reason.eq(event.close_reason.map(|r| r.as_str())),
            events::reason.eq(event.reason.as_deref()),
            events::occurred_on.eq(event.occurred_on),
            events::occurred_at.eq(clock::now()),
            events::actor_id.eq(actor.id),
        ))
        .execute(conn)?;
    Ok(())
}

pub(super) fn event(kind: &str, on: NaiveDate) -> CaseEvent {
    CaseEvent {
        kind: kind.into(),
        from_status: None,
        to_status: None,
        close_reason: None,
        reason: None,
        occurred_on: on,
        occurred_at: Utc::now(),
        actor_id: None,
    }
}

pub fn history(conn: &mut DbConn, id: i64) -> StoreResult<Vec<CaseEvent>> {
    type Row = (
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        NaiveDate,
        NaiveDateTime,
        Option<i64>,
    );
    let rows: Vec<Row> = events::table
        .filter(events::case_id.eq(id))
        .order(events::id.asc())
        .select((
            events::kind,
            events::from_status,
            events::to_status,
            events::close_reason,
            events::reason,
            events::occurred_on,
            events::occurred_at,
            events::actor_id,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|(kind, from, to, close, reason, on, at, actor)| {
            Ok(CaseEvent {
                kind,
                from_status: from.as_deref().map(CaseStatus::parse).transpose()?,
                to_status: to.as_deref().map(CaseStatus::parse).transpose()?,
                close_reason: close.as_deref().map(CloseReason::parse).transpose()?,
                reason,
                occurred_on: on,
                occurred_at: clock::to_utc(at),
                actor_id: actor,
            })
        })
        .collect()
}
