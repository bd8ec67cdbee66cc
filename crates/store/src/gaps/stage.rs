//! Moving a gap through its stages: one versioned write per step, with what the step changes on
//! the gap besides the stage, and the reports a merge moves.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use kim_domain::gap::{GapStage, GapStep, Publicity};

use crate::audit::Actor;
use crate::error::{changed_or_stale, StoreResult};
use crate::{clock, DbConn, StoreError};

use super::{gap_reports, gaps, record_event};

/// A new version for a change that does not move the stage (a report, feedback).
pub fn touch(conn: &mut DbConn, gap_id: i64) -> StoreResult<()> {
    diesel::update(gaps::table.filter(gaps::id.eq(gap_id)))
        .set((
            gaps::version.eq(gaps::version + 1),
            gaps::updated_at.eq(clock::now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// What a step changes on the gap itself besides the stage.
#[derive(Debug, Clone, Default)]
pub struct StageChange<'a> {
    pub merged_into_id: Option<i64>,
    pub publicity: Option<(Publicity, Option<&'a str>)>,
    pub outcome: Option<&'a str>,
}

/// The columns one step writes besides the version. `None` leaves a column as it is (diesel's
/// default for `AsChangeset`), so the stage and everything the step adds go in one UPDATE.
#[derive(AsChangeset)]
#[diesel(table_name = gaps)]
struct StageColumns<'a> {
    stage: &'a str,
    stage_since: Option<NaiveDateTime>,
    merged_into_id: Option<i64>,
    publicity: Option<&'a str>,
    /// `Some(None)` clears the text.
    publicity_text: Option<Option<&'a str>>,
    outcome: Option<&'a str>,
    updated_at: NaiveDateTime,
}

/// Moves a gap to `to` (if it still is at `from` and, when given, at `expected_version`) and
/// records the step.
#[allow(clippy::too_many_arguments)]
pub fn move_stage(
    conn: &mut DbConn,
    actor: &Actor,
    gap_id: i64,
    step: GapStep,
    from: GapStage,
    to: GapStage,
    expected_version: Option<i32>,
    change: &StageChange<'_>,
    comment: Option<&str>,
    payload: &serde_json::Value,
) -> StoreResult<()> {
    let now = clock::now();
    let columns = StageColumns {
        stage: to.as_str(),
        stage_since: (from != to).then_some(now),
        merged_into_id: change.merged_into_id,
        publicity: change.publicity.map(|(publicity, _)| publicity.as_str()),
        publicity_text: change.publicity.map(|(_, text)| text),
        outcome: change.outcome,
        updated_at: now,
    };
    let set = (columns, gaps::version.eq(gaps::version + 1));
    // One conditional UPDATE: a check by SELECT first would let two concurrent steps (under
    // PostgreSQL's read committed) both see the old stage and both move the gap.
    let changed = match expected_version {
        Some(version) => diesel::update(
            gaps::table
                .filter(gaps::id.eq(gap_id))
                .filter(gaps::stage.eq(from.as_str()))
                .filter(gaps::version.eq(version)),
        )
        .set(set)
        .execute(conn)?,
        None => diesel::update(
            gaps::table
                .filter(gaps::id.eq(gap_id))
                .filter(gaps::stage.eq(from.as_str())),
        )
        .set(set)
        .execute(conn)?,
    };
    match expected_version {
        Some(_) => changed_or_stale(changed, || {
            Ok(gaps::table.find(gap_id).select(gaps::version).first(conn)?)
        })?,
        // Steps without If-Match lose the race to a step that moved the gap first.
        None if changed == 0 => {
            return Err(StoreError::Conflict(
                "the gap moved on meanwhile; reload it and try again".into(),
            ))
        }
        None => {}
    }
    record_event(
        conn,
        actor,
        gap_id,
        step.as_str(),
        Some(from),
        to,
        comment,
        payload,
    )
}

/// Moves every report of `from_gap` to `into_gap` (merging duplicates).
pub fn move_reports(conn: &mut DbConn, from_gap: i64, into_gap: i64) -> StoreResult<usize> {
    Ok(
        diesel::update(gap_reports::table.filter(gap_reports::gap_id.eq(from_gap)))
            .set(gap_reports::gap_id.eq(into_gap))
            .execute(conn)?,
    )
}
