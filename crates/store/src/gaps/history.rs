//! The history of a gap: every step with its actor, stage move, comment and payload, as stored
//! and as the reports read it.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use kim_domain::gap::{GapStage, GapStep};

use crate::error::StoreResult;
use crate::{clock, DbConn, StoreError};

use super::{gap_events, GapEvent};

#[derive(Queryable, Selectable)]
#[diesel(table_name = gap_events, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
struct EventRow {
    id: i64,
    gap_id: i64,
    step: String,
    from_stage: Option<String>,
    to_stage: String,
    actor_id: Option<i64>,
    actor_role: Option<String>,
    occurred_at: NaiveDateTime,
    comment: Option<String>,
    payload: String,
}

fn to_event(row: EventRow) -> StoreResult<(i64, GapEvent)> {
    Ok((
        row.gap_id,
        GapEvent {
            id: row.id,
            step: row.step,
            from_stage: row.from_stage.as_deref().map(GapStage::parse).transpose()?,
            to_stage: GapStage::parse(&row.to_stage)?,
            actor_id: row.actor_id,
            actor_role: row.actor_role,
            occurred_at: clock::to_utc(row.occurred_at),
            comment: row.comment,
            payload: serde_json::from_str(&row.payload)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        },
    ))
}

/// The history of a gap, oldest first.
pub fn history(conn: &mut DbConn, gap_id: i64) -> StoreResult<Vec<GapEvent>> {
    gap_events::table
        .filter(gap_events::gap_id.eq(gap_id))
        .order(gap_events::id.asc())
        .select(EventRow::as_select())
        .load(conn)?
        .into_iter()
        .map(|row| to_event(row).map(|(_, e)| e))
        .collect()
}

/// Every gap's stage moves, `(gap id, event)` by gap then time: the pipeline's input.
pub fn all_stage_moves(conn: &mut DbConn) -> StoreResult<Vec<(i64, GapEvent)>> {
    gap_events::table
        .order((gap_events::gap_id.asc(), gap_events::id.asc()))
        .select(EventRow::as_select())
        .load(conn)?
        .into_iter()
        .map(to_event)
        .collect()
}

/// When the gap last took `step`, if ever.
pub fn last_step_at(
    conn: &mut DbConn,
    gap_id: i64,
    step: GapStep,
) -> StoreResult<Option<DateTime<Utc>>> {
    let at: Option<NaiveDateTime> = gap_events::table
        .filter(gap_events::gap_id.eq(gap_id))
        .filter(gap_events::step.eq(step.as_str()))
        .order(gap_events::id.desc())
        .select(gap_events::occurred_at)
        .first(conn)
        .optional()?;
    Ok(at.map(clock::to_utc))
}
