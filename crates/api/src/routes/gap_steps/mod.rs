//! The steps of the gap process, each its own POST operation. Every handler turns its body
//! into one [`StepRequest`] and hands it to [`take_step`], which asks the domain's step table
//! (role 403, stage 409, input 422), checks what only the database knows (the meeting is the
//! steering group's, the project groups are project groups, the surviving gap is open), writes
//! what the step adds and moves the gap, all in one transaction. The answer is the whole gap.
//!
//! The steering group's steps (`mandate`, `reject`, `decide`, `send-back`) name the meeting
//! (`meeting_id`) of the steering group they were taken in; the decision is created in that
//! meeting in the same transaction, so a gap's decisions and its history cannot disagree.
//!
//! Steps that move a gap require `If-Match` (the gap's version). `acknowledge` and `feedback`
//! do not: many case managers contribute, and none overwrites another.
//!
//! This module is the engine; [`operations`] has the fourteen documented operations and their
//! request bodies.

mod operations;

pub use operations::configure;

use actix_web::{web, HttpResponse};
use chrono::{NaiveDate, Utc};
use kim_domain::body::DecisionOutcome;
use kim_domain::gap::{
    check_gap_step, check_merge_target, FeedbackRating, GapFacts, GapStep, GapStepError,
    GapStepInput, Publicity,
};
use kim_domain::{Action, Principal};
use kim_store::error::expect_version;
use kim_store::gap_steps::{self as steps, NewSolution};
use kim_store::gaps::{self as store, StageChange};
use kim_store::{bodies, DbConn, StoreError};
use serde_json::json;

use crate::auth::{Authenticated, Caller};
use crate::error::OrUnknown;
use crate::http::precondition::{ok_versioned, IfMatch};
use crate::server::AppState;
use crate::views::gap::{load_gap, Gap};
use crate::ApiError;

/// Everything any step may bring along.
#[derive(Debug, Default)]
pub(super) struct StepRequest {
    pub(super) reason: Option<String>,
    pub(super) comment: Option<String>,
    pub(super) merge_into: Option<i64>,
    pub(super) meeting_id: Option<i64>,
    pub(super) project_group_ids: Vec<i64>,
    pub(super) mandate: Option<String>,
    pub(super) due_on: Option<NaiveDate>,
    pub(super) solutions: Vec<NewSolution>,
    pub(super) accepted_solution_ids: Vec<i64>,
    pub(super) publicity: Option<Publicity>,
    pub(super) publicity_text: Option<String>,
    pub(super) rating: Option<FeedbackRating>,
    pub(super) text: Option<String>,
    pub(super) outcome: Option<String>,
}

fn trim(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

fn id_list(ids: &[i64]) -> String {
    ids.iter()
        .map(|id| id.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// An id in the body that names nothing: 422 on its field.
fn unknown(field: &'static str, what: &str, id: i64) -> ApiError {
    ApiError::reference(field, format!("no {what} with id {id}"))
}

/// Negative feedback given since the solutions were last communicated.
fn negative_feedback(conn: &mut DbConn, gap_id: i64) -> Result<u32, StoreError> {
    let since = store::last_step_at(conn, gap_id, GapStep::Communicate)?;
    Ok(steps::feedback(conn, gap_id)?
        .iter()
        .filter(|f| f.rating.is_negative() && since.is_none_or(|s| f.created_at >= s))
        .count() as u32)
}

/// The steering group's meeting a decision is recorded in (422 on `meeting_id` otherwise).
fn steering_meeting(conn: &mut DbConn, meeting_id: i64) -> Result<(), ApiError> {
    let kind = bodies::meeting_body_kind(conn, meeting_id, "meeting_id")?;
    if !kind.records_gap_decisions() {
        return Err(ApiError::field(
            "meeting_id",
            format!("meeting {meeting_id} is a meeting of a {kind}, not of the steering group"),
        ));
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn apply(
    conn: &mut DbConn,
    who: &Authenticated,
    id: i64,
    if_match: &IfMatch,
    step: GapStep,
    req: &StepRequest,
    today: NaiveDate,
    threshold: u32,
) -> Result<Gap, ApiError> {
    who.require(Action::ReadGaps)?;
    let Principal::Person { user_id, role } = who.principal else {
        return Err(ApiError::Forbidden("gap steps are taken by people".into()));
    };
    let gap = store::find(conn, id)?;
    let current_mandate = steps::mandates(conn, id)?.pop();
    let my_groups = bodies::bodies_of_user(conn, user_id)?;
    let mandated_group = current_mandate.as_ref().and_then(|m| {
        m.project_group_ids
            .iter()
            .copied()
            .find(|g| my_groups.contains(g))
    });
    // Membership counts only for a meeting of the steering group; any other meeting is a 422
    // on `meeting_id` below, whoever asks.
    let caller_in_meeting_body = match req.meeting_id.filter(|_| step.is_steering_decision()) {
        Some(meeting) => match bodies::meeting_body_id(conn, meeting)? {
            Some(body) if bodies::find(conn, body)?.data.kind.records_gap_decisions() => {
                Some(my_groups.contains(&body))
            }
            _ => None,
        },
        None => None,
    };
    let facts = GapFacts {
        reporting_positions: gap.reporting_positions(),
        escalation_threshold: threshold,
        caller_in_mandated_group: mandated_group.is_some(),
        caller_in_meeting_body,
        negative_feedback: negative_feedback(conn, id)?,
        today,
    };
    let input = GapStepInput {
        reason: req.reason.as_deref(),
        merge_into: req.merge_into,
        meeting_id: req.meeting_id,
        project_group_ids: &req.project_group_ids,
        mandate: req.mandate.as_deref(),
        due_on: req.due_on,
        solutions: req.solutions.len(),
        accepted_solutions: req.accepted_solution_ids.len(),
        publicity: req.publicity,
        publicity_text: req.publicity_text.as_deref(),
        rating: req.rating,
        text: req.text.as_deref(),
        outcome: req.outcome.as_deref(),
    };
    let checked = check_gap_step(step, gap.stage, role, &input, &facts);
    // Who may take the step is decided first (403); then the condition of the change (428, 412),
    // which holds whatever stage the gap is in, before the stage and the input (409, 422).
    let expected = match (step, &checked) {
        (GapStep::Acknowledge | GapStep::Feedback, _) => None,
        (
            _,
            Err(
                GapStepError::WrongRole { .. }
                | GapStepError::NotInMandatedGroup
                | GapStepError::NotInSteeringGroup,
            ),
        ) => None,
        _ => Some(if_match.version()?),
    };
    // Compared here, not only by the conditional update: a racer that read the gap after the
    // winner committed would otherwise meet the new stage first and get 409 instead of 412.
    if let Some(expected) = expected {
        expect_version(gap.version, expected)?;
    }
    let to = checked?;
    // The comment is the one free text no step requires, so the table does not check it.
    kim_domain::field::optional_text("comment", req.comment.as_deref())?;
    let actor = who.actor();
    let mut change = StageChange::default();
    let mut payload = json!({});
    let mut comment = trim(&req.reason).or(trim(&req.comment));
    if let Some(meeting) = req.meeting_id.filter(|_| step.is_steering_decision()) {
        steering_meeting(conn, meeting)?;
        let (text, outcome) = match step {
            GapStep::Mandate => (
                format!(
                    "Mandate for project group(s) {}, due {}: {}",
                    id_list(&req.project_group_ids),
                    req.due_on.unwrap_or(today),
                    trim(&req.mandate).unwrap_or_default()
                ),
                DecisionOutcome::Mandated,
            ),
            GapStep::Reject => (
                format!("Mandate refused: {}", trim(&req.reason).unwrap_or_default()),
                DecisionOutcome::Rejected,
            ),
            GapStep::Decide => (
                format!(
                    "Solutions {} accepted; publicity: {}",
                    id_list(&req.accepted_solution_ids),
                    req.publicity.unwrap_or(Publicity::None)
                ),
                DecisionOutcome::SolutionsAccepted,
            ),
            _ => (
                format!(
                    "Solutions sent back: {}",
                    trim(&req.reason).unwrap_or_default()
                ),
                DecisionOutcome::SentBack,
            ),
        };
        let decision = bodies::insert_decision(conn, &actor, meeting, Some(id), &text, outcome)?;
        payload["meeting_id"] = json!(meeting);
        payload["decision_id"] = json!(decision.id);
    }
    match step {
        GapStep::Merge => {
            let into = req.merge_into.unwrap_or_default();
            let survivor = store::find(conn, into)
                .or_unknown("merge_into", format!("no gap with id {into}"))?;
            check_merge_target(id, into, survivor.stage)?;
            let moved = store::move_reports(conn, id, into)?;
            store::record_event(
                conn,
                &actor,
                into,
                "merge_in",
                Some(survivor.stage),
                survivor.stage,
                comment,
                &json!({"merged_gap_id": id, "moved_reports": moved}),
            )?;
            store::touch(conn, into)?;
            change.merged_into_id = Some(into);
            payload["merged_into_id"] = json!(into);
            payload["moved_reports"] = json!(moved);
        }
        GapStep::Mandate => {
            let kinds = bodies::kinds(conn, &req.project_group_ids)?;
            for group in &req.project_group_ids {
                match kinds.iter().find(|(id, _)| id == group) {
                    None => return Err(unknown("project_group_ids", "body", *group)),
                    Some((_, kind)) if !kind.is_project_group() => {
                        return Err(ApiError::field(
                            "project_group_ids",
                            format!("body {group} is a {kind}, not a project group"),
                        ))
                    }
                    Some(_) => {}
                }
            }
            let decision_id = payload["decision_id"].as_i64().unwrap_or_default();
            let text = trim(&req.mandate).unwrap_or_default();
            let due_on = req.due_on.unwrap_or(today);
            let mandate_id =
                steps::insert_mandate(conn, id, text, due_on, decision_id, &req.project_group_ids)?;
            comment = Some(text);
            payload["mandate_id"] = json!(mandate_id);
            payload["project_group_ids"] = json!(req.project_group_ids);
            payload["due_on"] = json!(due_on);
        }
        GapStep::Propose => {
            let group = mandated_group.unwrap_or_default();
            let ids = steps::insert_solutions(conn, &actor, id, group, &req.solutions)?;
            payload["project_group_id"] = json!(group);
            payload["solution_ids"] = json!(ids);
        }
        GapStep::Decide => {
            steps::decide_solutions(conn, id, &req.accepted_solution_ids)?;
            let publicity = req.publicity.unwrap_or(Publicity::None);
            let text = trim(&req.publicity_text);
            change.publicity = Some((publicity, text));
            payload["accepted_solution_ids"] = json!(req.accepted_solution_ids);
            payload["publicity"] = json!(publicity);
        }
        GapStep::SendBack => steps::decline_pending(conn, id)?,
        // The guard records the acknowledgement; only a second one from the same person fails.
        GapStep::Acknowledge if !steps::acknowledge(conn, id, user_id)? => {
            return Err(ApiError::Conflict(
                "you have already acknowledged these solutions".into(),
            ));
        }
        GapStep::Feedback => {
            let rating = req.rating.unwrap_or(FeedbackRating::Effective);
            let text = trim(&req.text).unwrap_or_default();
            let feedback_id = steps::insert_feedback(conn, &actor, id, rating, text)?;
            comment = Some(text);
            payload["feedback_id"] = json!(feedback_id);
            payload["rating"] = json!(rating);
        }
        GapStep::Close => {
            change.outcome = trim(&req.outcome);
            comment = change.outcome;
        }
        GapStep::Escalate => {
            payload["reporting_positions"] = json!(facts.reporting_positions);
            payload["threshold"] = json!(threshold);
        }
        _ => {}
    }
    store::move_stage(
        conn, &actor, id, step, gap.stage, to, expected, &change, comment, &payload,
    )?;
    Ok(load_gap(conn, id, &who.principal)?)
}

pub(super) async fn take_step(
    caller: Caller,
    state: web::Data<AppState>,
    id: i64,
    if_match: IfMatch,
    step: GapStep,
    req: StepRequest,
) -> Result<HttpResponse, ApiError> {
    let today = Utc::now().date_naive();
    let threshold = state.gap_escalation_threshold;
    let gap = state
        .db
        .write_with(caller, move |conn, who| {
            apply(conn, who, id, &if_match, step, &req, today, threshold)
        })
        .await?;
    let version = gap.version;
    Ok(ok_versioned(&gap, version))
}
