//! What the steps of the gap process add beside the stage: mandates for project groups,
//! solution approaches and the steering group's acceptance, case managers' acknowledgements
//! and feedback. [`record_step`] writes one checked step: its decision, what it adds, the move.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use kim_domain::body::DecisionOutcome;
use kim_domain::gap::{FeedbackRating, GapStage, GapStep, Publicity};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use crate::audit::Actor;
use crate::error::StoreResult;
use crate::gaps::{self, gap_mandate_groups, gap_mandates, StageChange};
use crate::link_sets::{insert_links, load_links};
use crate::{bodies, clock, DbConn};

diesel::table! {
    gap_solutions (id) {
        id -> BigInt,
        gap_id -> BigInt,
        body_id -> Nullable<BigInt>,
        text -> Text,
        responsible_actors -> Text,
        estimate -> Text,
        accepted -> Nullable<Bool>,
        proposed_by -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    gap_acknowledgements (gap_id, user_id) {
        gap_id -> BigInt,
        user_id -> BigInt,
        acknowledged_at -> Timestamp,
    }
}

diesel::table! {
    gap_feedback (id) {
        id -> BigInt,
        gap_id -> BigInt,
        user_id -> Nullable<BigInt>,
        rating -> Text,
        text -> Text,
        created_at -> Timestamp,
    }
}

/// Mandat der Lenkungsgruppe (mandate to project groups).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Mandate {
    pub id: i64,
    pub text: String,
    pub due_on: NaiveDate,
    /// The steering group's decision that gave it.
    pub decision_id: i64,
    pub project_group_ids: Vec<i64>,
    pub created_at: DateTime<Utc>,
}

/// A solution approach to submit.
#[derive(Debug, Clone, PartialEq)]
pub struct NewSolution {
    pub text: String,
    pub responsible_actors: String,
    /// Cost or effort estimate, free text ("2 days of staff time", "3,000 EUR per year").
    pub estimate: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Solution {
    pub id: i64,
    /// The project group that proposed it.
    pub body_id: Option<i64>,
    pub solution: NewSolution,
    /// `None` until the steering group decided; `false` when not accepted or sent back.
    pub accepted: Option<bool>,
    pub proposed_by: Option<i64>,
    pub created_at: DateTime<Utc>,
}

/// Rückmeldung eines Fallmanagers (feedback on applied solutions).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Feedback {
    pub id: i64,
    pub user_id: Option<i64>,
    pub rating: FeedbackRating,
    pub text: String,
    pub created_at: DateTime<Utc>,
}

pub fn insert_mandate(
    conn: &mut DbConn,
    gap_id: i64,
    text: &str,
    due_on: NaiveDate,
    decision_id: i64,
    project_group_ids: &[i64],
) -> StoreResult<i64> {
    let id: i64 = diesel::insert_into(gap_mandates::table)
        .values((
            gap_mandates::gap_id.eq(gap_id),
            gap_mandates::text.eq(text),
            gap_mandates::due_on.eq(due_on),
            gap_mandates::decision_id.eq(decision_id),
            gap_mandates::created_at.eq(clock::now()),
        ))
        .returning(gap_mandates::id)
        .get_result(conn)?;
    insert_links!(
        conn,
        gap_mandate_groups,
        mandate_id = id,
        body_id = project_group_ids
    );
    Ok(id)
}

/// The mandates of a gap, oldest first; the last is the current one.
pub fn mandates(conn: &mut DbConn, gap_id: i64) -> StoreResult<Vec<Mandate>> {
    let rows: Vec<(i64, String, NaiveDate, i64, NaiveDateTime)> = gap_mandates::table
        .filter(gap_mandates::gap_id.eq(gap_id))
        .order(gap_mandates::id.asc())
        .select((
            gap_mandates::id,
            gap_mandates::text,
            gap_mandates::due_on,
            gap_mandates::decision_id,
            gap_mandates::created_at,
        ))
        .load(conn)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
    let mut groups = load_links!(conn, gap_mandate_groups, mandate_id = &ids, body_id: i64);
    Ok(rows
        .into_iter()
        .map(|(id, text, due_on, decision_id, created_at)| Mandate {
            id,
            text,
            due_on,
            decision_id,
            project_group_ids: groups.remove(&id).unwrap_or_default(),
            created_at: clock::to_utc(created_at),
        })
        .collect())
}

fn insert_solutions(
    conn: &mut DbConn,
    actor: &Actor,
    gap_id: i64,
    body_id: i64,
    solutions: &[NewSolution],
) -> StoreResult<Vec<i64>> {
    let mut ids = Vec::new();
    for s in solutions {
        let id: i64 = diesel::insert_into(gap_solutions::table)
            .values((
                gap_solutions::gap_id.eq(gap_id),
                gap_solutions::body_id.eq(body_id),
                gap_solutions::text.eq(&s.text),
                gap_solutions::responsible_actors.eq(&s.responsible_actors),
                gap_solutions::estimate.eq(&s.estimate),
                gap_solutions::proposed_by.eq(actor.id),
                gap_solutions::created_at.eq(clock::now()),
            ))
            .returning(gap_solutions::id)
            .get_result(conn)?;
        ids.push(id);
    }
    Ok(ids)
}

type SolutionTuple = (
    i64,
    i64,
    Option<i64>,
    String,
    String,
    String,
    Option<bool>,
    Option<i64>,
    NaiveDateTime,
);

/// The solutions of the given gaps, `(gap id, solution)`, oldest first.
pub fn solutions_of(conn: &mut DbConn, gap_ids: &[i64]) -> StoreResult<Vec<(i64, Solution)>> {
    let rows: Vec<SolutionTuple> = gap_solutions::table
        .filter(gap_solutions::gap_id.eq_any(gap_ids))
        .order(gap_solutions::id.asc())
        .select((
            gap_solutions::id,
            gap_solutions::gap_id,
            gap_solutions::body_id,
            gap_solutions::text,
            gap_solutions::responsible_actors,
            gap_solutions::estimate,
            gap_solutions::accepted,
            gap_solutions::proposed_by,
            gap_solutions::created_at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(id, gap, body_id, text, responsible_actors, estimate, accepted, by, at)| {
                (
                    gap,
                    Solution {
                        id,
                        body_id,
                        solution: NewSolution {
                            text,
                            responsible_actors,
                            estimate,
                        },
                        accepted,
                        proposed_by: by,
                        created_at: clock::to_utc(at),
                    },
                )
            },
        )
        .collect())
}

/// The gap's proposed solutions the steering group has not decided on yet.
pub fn undecided_solutions(conn: &mut DbConn, gap_id: i64) -> StoreResult<Vec<i64>> {
    Ok(gap_solutions::table
        .filter(gap_solutions::gap_id.eq(gap_id))
        .filter(gap_solutions::accepted.is_null())
        .order(gap_solutions::id.asc())
        .select(gap_solutions::id)
        .load(conn)?)
}

/// Accepts `accepted` (undecided solutions of the gap, as checked) and declines the others.
fn decide_solutions(conn: &mut DbConn, gap_id: i64, accepted: &[i64]) -> StoreResult<()> {
    diesel::update(
        gap_solutions::table
            .filter(gap_solutions::gap_id.eq(gap_id))
            .filter(gap_solutions::id.eq_any(accepted)),
    )
    .set(gap_solutions::accepted.eq(true))
    .execute(conn)?;
    decline_pending(conn, gap_id)
}

/// Declines every undecided solution (sent back, or not among the accepted).
fn decline_pending(conn: &mut DbConn, gap_id: i64) -> StoreResult<()> {
    diesel::update(
        gap_solutions::table
            .filter(gap_solutions::gap_id.eq(gap_id))
            .filter(gap_solutions::accepted.is_null()),
    )
    .set(gap_solutions::accepted.eq(false))
    .execute(conn)?;
    Ok(())
}

/// Whether `user_id` has acknowledged the gap's solutions.
pub fn has_acknowledged(conn: &mut DbConn, gap_id: i64, user_id: i64) -> StoreResult<bool> {
    let count: i64 = gap_acknowledgements::table
        .filter(gap_acknowledgements::gap_id.eq(gap_id))
        .filter(gap_acknowledgements::user_id.eq(user_id))
        .count()
        .get_result(conn)?;
    Ok(count > 0)
}

fn acknowledge(conn: &mut DbConn, gap_id: i64, user_id: i64) -> StoreResult<()> {
    diesel::insert_into(gap_acknowledgements::table)
        .values((
            gap_acknowledgements::gap_id.eq(gap_id),
            gap_acknowledgements::user_id.eq(user_id),
            gap_acknowledgements::acknowledged_at.eq(clock::now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Who acknowledged the gap's solutions, by user id.
pub fn acknowledged_by(conn: &mut DbConn, gap_id: i64) -> StoreResult<Vec<i64>> {
    Ok(gap_acknowledgements::table
        .filter(gap_acknowledgements::gap_id.eq(gap_id))
        .order(gap_acknowledgements::user_id.asc())
        .select(gap_acknowledgements::user_id)
        .load(conn)?)
}

/// Of `gap_ids`, those `user` has acknowledged: one query for the whole work list.
pub fn acknowledged_among(
    conn: &mut DbConn,
    user: i64,
    gap_ids: &[i64],
) -> StoreResult<HashSet<i64>> {
    Ok(gap_acknowledgements::table
        .filter(gap_acknowledgements::user_id.eq(user))
        .filter(gap_acknowledgements::gap_id.eq_any(gap_ids))
        .select(gap_acknowledgements::gap_id)
        .load::<i64>(conn)?
        .into_iter()
        .collect())
}

/// Of `gap_ids`, those `user` has given feedback on: one query for the whole work list.
pub fn with_feedback_of(
    conn: &mut DbConn,
    user: i64,
    gap_ids: &[i64],
) -> StoreResult<HashSet<i64>> {
    Ok(gap_feedback::table
        .filter(gap_feedback::user_id.eq(user))
        .filter(gap_feedback::gap_id.eq_any(gap_ids))
        .select(gap_feedback::gap_id)
        .load::<i64>(conn)?
        .into_iter()
        .collect())
}

/// The current mandate (the newest) of each of `gap_ids` that has one: its due date and the
/// project groups it names. Two queries for the whole work list.
pub fn current_mandates(
    conn: &mut DbConn,
    gap_ids: &[i64],
) -> StoreResult<HashMap<i64, (NaiveDate, Vec<i64>)>> {
    let mut newest: HashMap<i64, (i64, NaiveDate)> = HashMap::new();
    for (gap, mandate, due_on) in gap_mandates::table
        .filter(gap_mandates::gap_id.eq_any(gap_ids))
        .order(gap_mandates::id.asc())
        .select((gap_mandates::gap_id, gap_mandates::id, gap_mandates::due_on))
        .load::<(i64, i64, NaiveDate)>(conn)?
    {
        newest.insert(gap, (mandate, due_on));
    }
    let mandate_ids: Vec<i64> = newest.values().map(|(id, _)| *id).collect();
    let mut groups = load_links!(conn, gap_mandate_groups, mandate_id = &mandate_ids, body_id: i64);
    Ok(newest
        .into_iter()
        .map(|(gap, (mandate, due_on))| {
            (gap, (due_on, groups.remove(&mandate).unwrap_or_default()))
        })
        .collect())
}

fn insert_feedback(
    conn: &mut DbConn,
    actor: &Actor,
    gap_id: i64,
    rating: FeedbackRating,
    text: &str,
) -> StoreResult<i64> {
    Ok(diesel::insert_into(gap_feedback::table)
        .values((
            gap_feedback::gap_id.eq(gap_id),
            gap_feedback::user_id.eq(actor.id),
            gap_feedback::rating.eq(rating.as_str()),
            gap_feedback::text.eq(text),
            gap_feedback::created_at.eq(clock::now()),
        ))
        .returning(gap_feedback::id)
        .get_result(conn)?)
}

/// The feedback on a gap, oldest first.
pub fn feedback(conn: &mut DbConn, gap_id: i64) -> StoreResult<Vec<Feedback>> {
    gap_feedback::table
        .filter(gap_feedback::gap_id.eq(gap_id))
        .order(gap_feedback::id.asc())
        .select((
            gap_feedback::id,
            gap_feedback::user_id,
            gap_feedback::rating,
            gap_feedback::text,
            gap_feedback::created_at,
        ))
        .load::<(i64, Option<i64>, String, String, NaiveDateTime)>(conn)?
        .into_iter()
        .map(|(id, user_id, rating, text, at)| {
            Ok(Feedback {
                id,
                user_id,
                rating: FeedbackRating::parse(&rating)?,
                text,
                created_at: clock::to_utc(at),
            })
        })
        .collect()
}

/// One checked step of the gap process, ready to be written.
#[derive(Debug)]
pub struct StepRecord<'a> {
    pub gap_id: i64,
    pub step: GapStep,
    pub from: GapStage,
    pub to: GapStage,
    /// The version `If-Match` named; `None` for the steps that take none.
    pub expected_version: Option<i32>,
    /// The history entry's comment.
    pub comment: Option<&'a str>,
    pub adds: StepAdds<'a>,
}

/// What a step writes beside the move and its history entry.
#[derive(Debug)]
pub enum StepAdds<'a> {
    /// Only the move (forward, communicate, close as not systematic, reopen).
    Nothing,
    /// Escalating: the count the threshold was compared with, for the history.
    Escalation {
        reporting_positions: u32,
        threshold: u32,
    },
    /// Merging: the reports move to the surviving gap, whose history says so.
    Merge {
        into: i64,
    },
    /// The steering group's steps: the decision of its meeting and what it decides.
    Decision {
        meeting_id: i64,
        text: String,
        outcome: DecisionOutcome,
        decides: Decides<'a>,
    },
    /// Proposing: the solution approaches of the caller's mandated project group.
    Solutions {
        project_group_id: i64,
        solutions: &'a [NewSolution],
    },
    Acknowledgement {
        user_id: i64,
    },
    Feedback {
        rating: FeedbackRating,
        text: &'a str,
    },
    /// Closing: the outcome.
    Outcome(Option<&'a str>),
}

/// What a decision of the steering group decides about the gap.
#[derive(Debug)]
pub enum Decides<'a> {
    Mandate {
        text: &'a str,
        due_on: NaiveDate,
        project_group_ids: &'a [i64],
    },
    Refusal,
    Solutions {
        accepted_solution_ids: &'a [i64],
        publicity: Publicity,
        publicity_text: Option<&'a str>,
    },
    SendBack,
}

/// Writes a checked step in the caller's transaction: the decision (if any), what the step
/// adds, then the move with its history entry, whose payload names what was written.
pub fn record_step(conn: &mut DbConn, actor: &Actor, record: StepRecord<'_>) -> StoreResult<()> {
    let id = record.gap_id;
    let mut change = StageChange::default();
    let mut payload = json!({});
    match record.adds {
        StepAdds::Nothing => {}
        StepAdds::Escalation {
            reporting_positions,
            threshold,
        } => {
            payload["reporting_positions"] = json!(reporting_positions);
            payload["threshold"] = json!(threshold);
        }
        StepAdds::Merge { into } => {
            let into_stage = gaps::stage_of(conn, into)?;
            let moved = gaps::move_reports(conn, id, into)?;
            gaps::record_event(
                conn,
                actor,
                into,
                "merge_in",
                Some(into_stage),
                into_stage,
                record.comment,
                &json!({"merged_gap_id": id, "moved_reports": moved}),
            )?;
            gaps::touch(conn, into)?;
            change.merged_into_id = Some(into);
            payload["merged_into_id"] = json!(into);
            payload["moved_reports"] = json!(moved);
        }
        StepAdds::Decision {
            meeting_id,
            text,
            outcome,
            decides,
        } => {
            let decision =
                bodies::insert_decision(conn, actor, meeting_id, Some(id), &text, outcome)?;
            payload["meeting_id"] = json!(meeting_id);
            payload["decision_id"] = json!(decision.id);
            match decides {
                Decides::Mandate {
                    text,
                    due_on,
                    project_group_ids,
                } => {
                    let mandate_id =
                        insert_mandate(conn, id, text, due_on, decision.id, project_group_ids)?;
                    payload["mandate_id"] = json!(mandate_id);
                    payload["project_group_ids"] = json!(project_group_ids);
                    payload["due_on"] = json!(due_on);
                }
                Decides::Refusal => {}
                Decides::Solutions {
                    accepted_solution_ids,
                    publicity,
                    publicity_text,
                } => {
                    decide_solutions(conn, id, accepted_solution_ids)?;
                    change.publicity = Some((publicity, publicity_text));
                    payload["accepted_solution_ids"] = json!(accepted_solution_ids);
                    payload["publicity"] = json!(publicity);
                }
                Decides::SendBack => decline_pending(conn, id)?,
            }
        }
        StepAdds::Solutions {
            project_group_id,
            solutions,
        } => {
            let ids = insert_solutions(conn, actor, id, project_group_id, solutions)?;
            payload["project_group_id"] = json!(project_group_id);
            payload["solution_ids"] = json!(ids);
        }
        StepAdds::Acknowledgement { user_id } => acknowledge(conn, id, user_id)?,
        StepAdds::Feedback { rating, text } => {
            let feedback_id = insert_feedback(conn, actor, id, rating, text)?;
            payload["feedback_id"] = json!(feedback_id);
            payload["rating"] = json!(rating);
        }
        StepAdds::Outcome(outcome) => change.outcome = outcome,
    }
    gaps::move_stage(
        conn,
        actor,
        id,
        record.step,
        record.from,
        record.to,
        record.expected_version,
        &change,
        record.comment,
        &payload,
    )
}
