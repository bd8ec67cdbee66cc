//! The steps of the gap process, each its own POST operation. Every handler turns its body
//! into one [`StepRequest`] and hands it to [`take_step`], which gathers what only the
//! database knows (the caller's project groups and memberships, the meeting named, the kinds of
//! the project groups named, the surviving gap of a merge, the undecided solutions, an earlier
//! acknowledgement), asks the domain's [`check_gap_step`] for every refusal (role and
//! membership 403; then `If-Match` 428/412, checked here; then stage 409, input 422, what the
//! ids name 422, a second acknowledgement 409), and records the step with one store function,
//! [`steps::record_step`]: the decision, what the step adds and the move, in one transaction.
//! The answer is the whole gap.
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
use kim_domain::body::{BodyKind, DecisionOutcome};
use kim_domain::gap::{
    check_gap_step, FeedbackRating, GapFacts, GapStage, GapStep, GapStepError, GapStepInput,
    MeetingFacts, Publicity,
};
use kim_domain::{Action, Principal};
use kim_store::error::expect_version;
use kim_store::gap_steps::{self as steps, Decides, NewSolution, StepAdds, StepRecord};
use kim_store::gaps::{self as store, Gap as StoredGap};
use kim_store::{bodies, DbConn, StoreError};

use crate::auth::{Authenticated, Caller};
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

/// One step asked for: on which gap, which step, with what, and the day and the escalation
/// threshold it is judged by.
struct StepCall {
    id: i64,
    step: GapStep,
    req: StepRequest,
    today: NaiveDate,
    threshold: u32,
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

/// What only the database knows, gathered for the check; each fact only for the step that
/// asks about it.
#[derive(Debug, Default)]
struct Known {
    /// The caller's project group that the gap's current mandate names (proposing).
    mandated_group: Option<i64>,
    meeting: Option<MeetingFacts>,
    negative_feedback: u32,
    merge_target_stage: Option<GapStage>,
    project_group_kinds: Vec<(i64, BodyKind)>,
    undecided_solution_ids: Vec<i64>,
    already_acknowledged: bool,
}

impl Known {
    fn gather(conn: &mut DbConn, user_id: i64, call: &StepCall) -> Result<Known, StoreError> {
        let (id, step, req) = (call.id, call.step, &call.req);
        let mut known = Known::default();
        let meeting_id = req.meeting_id.filter(|_| step.is_steering_decision());
        let my_groups = if step == GapStep::Propose || meeting_id.is_some() {
            bodies::bodies_of_user(conn, user_id)?
        } else {
            Vec::new()
        };
        match step {
            GapStep::Propose => {
                let current_mandate = steps::mandates(conn, id)?.pop();
                known.mandated_group = current_mandate.and_then(|m| {
                    m.project_group_ids
                        .into_iter()
                        .find(|g| my_groups.contains(g))
                });
            }
            GapStep::Reopen => known.negative_feedback = negative_feedback(conn, id)?,
            GapStep::Merge => {
                if let Some(into) = req.merge_into {
                    known.merge_target_stage = match store::stage_of(conn, into) {
                        Ok(stage) => Some(stage),
                        Err(StoreError::NotFound) => None,
                        Err(e) => return Err(e),
                    };
                }
            }
            GapStep::Mandate => {
                known.project_group_kinds = bodies::kinds(conn, &req.project_group_ids)?
            }
            GapStep::Decide => known.undecided_solution_ids = steps::undecided_solutions(conn, id)?,
            GapStep::Acknowledge => {
                known.already_acknowledged = steps::has_acknowledged(conn, id, user_id)?
            }
            _ => {}
        }
        if let Some(meeting) = meeting_id {
            if let Some(body) = bodies::meeting_body_id(conn, meeting)? {
                known.meeting = Some(MeetingFacts {
                    body_kind: bodies::find(conn, body)?.data.kind,
                    caller_is_member: my_groups.contains(&body),
                });
            }
        }
        Ok(known)
    }

    fn facts<'a>(&'a self, gap: &StoredGap, call: &StepCall) -> GapFacts<'a> {
        GapFacts {
            gap_id: gap.id,
            reporting_positions: gap.reporting_positions(),
            escalation_threshold: call.threshold,
            caller_in_mandated_group: self.mandated_group.is_some(),
            meeting: self.meeting,
            negative_feedback: self.negative_feedback,
            merge_target_stage: self.merge_target_stage,
            project_group_kinds: &self.project_group_kinds,
            undecided_solution_ids: &self.undecided_solution_ids,
            already_acknowledged: self.already_acknowledged,
            today: call.today,
        }
    }
}

/// Negative feedback given since the solutions were last communicated.
fn negative_feedback(conn: &mut DbConn, gap_id: i64) -> Result<u32, StoreError> {
    let since = store::last_step_at(conn, gap_id, GapStep::Communicate)?;
    Ok(steps::feedback(conn, gap_id)?
        .iter()
        .filter(|f| f.rating.is_negative() && since.is_none_or(|s| f.created_at >= s))
        .count() as u32)
}

impl StepCall {
    fn input(&self) -> GapStepInput<'_> {
        let req = &self.req;
        GapStepInput {
            reason: req.reason.as_deref(),
            merge_into: req.merge_into,
            meeting_id: req.meeting_id,
            project_group_ids: &req.project_group_ids,
            mandate: req.mandate.as_deref(),
            due_on: req.due_on,
            solutions: req.solutions.len(),
            accepted_solution_ids: &req.accepted_solution_ids,
            publicity: req.publicity,
            publicity_text: req.publicity_text.as_deref(),
            rating: req.rating,
            text: req.text.as_deref(),
            outcome: req.outcome.as_deref(),
            comment: req.comment.as_deref(),
        }
    }

    /// The history entry's comment: the step's own text where it has one, else the reason
    /// or the comment.
    fn comment(&self) -> Option<&str> {
        let req = &self.req;
        match self.step {
            GapStep::Mandate => Some(trim(&req.mandate).unwrap_or_default()),
            GapStep::Feedback => Some(trim(&req.text).unwrap_or_default()),
            GapStep::Close => trim(&req.outcome),
            _ => trim(&req.reason).or(trim(&req.comment)),
        }
    }

    /// What the checked step writes beside the move. The check saw to every field a step
    /// requires, so a missing one here is never met.
    fn adds<'a>(&'a self, facts: &GapFacts<'_>, user_id: i64, known: &Known) -> StepAdds<'a> {
        let req = &self.req;
        let reason = trim(&req.reason).unwrap_or_default();
        let decision = |text: String, outcome, decides| StepAdds::Decision {
            meeting_id: req.meeting_id.unwrap_or_default(),
            text,
            outcome,
            decides,
        };
        match self.step {
            GapStep::Escalate => StepAdds::Escalation {
                reporting_positions: facts.reporting_positions,
                threshold: facts.escalation_threshold,
            },
            GapStep::Merge => StepAdds::Merge {
                into: req.merge_into.unwrap_or_default(),
            },
            GapStep::Mandate => {
                let text = trim(&req.mandate).unwrap_or_default();
                let due_on = req.due_on.unwrap_or(self.today);
                decision(
                    format!(
                        "Mandate for project group(s) {}, due {due_on}: {text}",
                        id_list(&req.project_group_ids),
                    ),
                    DecisionOutcome::Mandated,
                    Decides::Mandate {
                        text,
                        due_on,
                        project_group_ids: &req.project_group_ids,
                    },
                )
            }
            GapStep::Reject => decision(
                format!("Mandate refused: {reason}"),
                DecisionOutcome::Rejected,
                Decides::Refusal,
            ),
            GapStep::Decide => {
                let publicity = req.publicity.unwrap_or(Publicity::None);
                decision(
                    format!(
                        "Solutions {} accepted; publicity: {publicity}",
                        id_list(&req.accepted_solution_ids),
                    ),
                    DecisionOutcome::SolutionsAccepted,
                    Decides::Solutions {
                        accepted_solution_ids: &req.accepted_solution_ids,
                        publicity,
                        publicity_text: trim(&req.publicity_text),
                    },
                )
            }
            GapStep::SendBack => decision(
                format!("Solutions sent back: {reason}"),
                DecisionOutcome::SentBack,
                Decides::SendBack,
            ),
            GapStep::Propose => StepAdds::Solutions {
                project_group_id: known.mandated_group.unwrap_or_default(),
                solutions: &req.solutions,
            },
            GapStep::Acknowledge => StepAdds::Acknowledgement { user_id },
            GapStep::Feedback => StepAdds::Feedback {
                rating: req.rating.unwrap_or(FeedbackRating::Effective),
                text: trim(&req.text).unwrap_or_default(),
            },
            GapStep::Close => StepAdds::Outcome(trim(&req.outcome)),
            GapStep::CloseNotSystematic
            | GapStep::Forward
            | GapStep::Communicate
            | GapStep::Reopen => StepAdds::Nothing,
        }
    }
}

/// Gathers the facts, checks the step, records it.
fn apply(
    conn: &mut DbConn,
    who: &Authenticated,
    if_match: &IfMatch,
    call: &StepCall,
) -> Result<Gap, ApiError> {
    who.require(Action::ReadGaps)?;
    let Principal::Person { user_id, role } = who.principal else {
        return Err(ApiError::Forbidden("gap steps are taken by people".into()));
    };
    let step = call.step;
    let gap = store::find(conn, call.id)?;
    let known = Known::gather(conn, user_id, call)?;
    let facts = known.facts(&gap, call);
    let checked = check_gap_step(step, gap.stage, role, &call.input(), &facts);
    // Who may take the step is decided first (403); then the condition of the change (428, 412),
    // which holds whatever stage the gap is in, before everything else (409, 422).
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
    let record = StepRecord {
        gap_id: call.id,
        step,
        from: gap.stage,
        to,
        expected_version: expected,
        comment: call.comment(),
        adds: call.adds(&facts, user_id, &known),
    };
    steps::record_step(conn, &who.actor(), record)?;
    Ok(load_gap(conn, call.id, &who.principal)?)
}

pub(super) async fn take_step(
    caller: Caller,
    state: web::Data<AppState>,
    id: i64,
    if_match: IfMatch,
    step: GapStep,
    req: StepRequest,
) -> Result<HttpResponse, ApiError> {
    let call = StepCall {
        id,
        step,
        req,
        today: Utc::now().date_naive(),
        threshold: state.gap_escalation_threshold,
    };
    let gap = state
        .db
        .write_with(caller, move |conn, who| apply(conn, who, &if_match, &call))
        .await?;
    let version = gap.version;
    Ok(ok_versioned(&gap, version))
}
