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

use actix_web::{post, web, HttpResponse};
use chrono::{NaiveDate, Utc};
use kim_domain::body::DecisionOutcome;
use kim_domain::gap::{
    check_gap_step, FeedbackRating, GapFacts, GapStep, GapStepError, GapStepInput, Publicity,
};
use kim_domain::{Action, Principal};
use kim_store::gap_steps::{self as steps, NewSolution};
use kim_store::gaps::{self as store, StageChange};
use kim_store::{bodies, DbConn, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use super::gaps::{load_gap, Gap};
use crate::auth::{Authenticated, Caller};
use crate::error::error_sets as sets;
use crate::http::precondition::{ok_versioned, IfMatch};
use crate::server::AppState;
use crate::ApiError;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(escalate)
        .service(close_not_systematic)
        .service(merge)
        .service(forward)
        .service(mandate)
        .service(reject)
        .service(propose)
        .service(decide)
        .service(send_back)
        .service(communicate)
        .service(acknowledge)
        .service(feedback)
        .service(close)
        .service(reopen);
}

/// Everything any step may bring along.
#[derive(Debug, Default)]
struct StepRequest {
    reason: Option<String>,
    comment: Option<String>,
    merge_into: Option<i64>,
    meeting_id: Option<i64>,
    project_group_ids: Vec<i64>,
    mandate: Option<String>,
    due_on: Option<NaiveDate>,
    solutions: Vec<NewSolution>,
    accepted_solution_ids: Vec<i64>,
    publicity: Option<Publicity>,
    publicity_text: Option<String>,
    rating: Option<FeedbackRating>,
    text: Option<String>,
    outcome: Option<String>,
}

fn refused(error: GapStepError) -> ApiError {
    match error {
        GapStepError::WrongRole { .. } | GapStepError::NotInMandatedGroup => {
            ApiError::Forbidden(error.to_string())
        }
        GapStepError::NotNow { .. } | GapStepError::Conflict(_) => {
            ApiError::Conflict(error.to_string())
        }
        GapStepError::Invalid(errors) => errors.into(),
    }
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
    ApiError::field(field, format!("no {what} with id {id}"))
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
    let facts = GapFacts {
        reporting_positions: gap.reporting_positions(),
        escalation_threshold: threshold,
        caller_in_mandated_group: mandated_group.is_some(),
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
    let to = check_gap_step(step, gap.stage, role, &input, &facts).map_err(refused)?;
    // The comment is the one free text no step requires, so the table does not check it.
    kim_domain::field::optional_text("comment", req.comment.as_deref())?;
    let expected = match step {
        GapStep::Acknowledge | GapStep::Feedback => None,
        _ => Some(if_match.version()?),
    };
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
            if into == id {
                return Err(ApiError::field(
                    "merge_into",
                    "a gap cannot be merged into itself",
                ));
            }
            let survivor = store::find(conn, into).map_err(|e| match e {
                StoreError::NotFound => unknown("merge_into", "gap", into),
                other => other.into(),
            })?;
            if survivor.stage.is_final() {
                return Err(ApiError::field(
                    "merge_into",
                    format!("gap {into} is '{}'; merge into an open gap", survivor.stage),
                ));
            }
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
    Ok(load_gap(conn, id, Some(user_id))?)
}

async fn take_step(
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

/// A justification or reason; required where the step says so.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "Affects every family with a Duldung in the county"}))]
pub struct ReasonInput {
    /// At most 2000 characters.
    #[schema(max_length = 2000)]
    pub reason: Option<String>,
}

/// An optional comment recorded in the history.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"comment": "For the December meeting"}))]
pub struct CommentInput {
    /// At most 2000 characters.
    #[schema(max_length = 2000)]
    pub comment: Option<String>,
}

/// Which gap survives a merge.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"merge_into": 5, "comment": "Same problem as gap 5"}))]
pub struct MergeInput {
    /// The surviving gap: open (not final), not this one.
    pub merge_into: Option<i64>,
    #[schema(max_length = 2000)]
    pub comment: Option<String>,
}

/// The steering group's mandate to project groups.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"meeting_id": 3, "project_group_ids": [2],
    "mandate": "Agree a fast track for daycare places with the youth office", "due_on": "2027-03-31"}))]
pub struct MandateInput {
    /// A meeting of the steering group; the decision is recorded there.
    pub meeting_id: Option<i64>,
    /// Project groups (local or thematic); at least one.
    #[serde(default)]
    pub project_group_ids: Vec<i64>,
    /// What to work out; at most 2000 characters.
    #[schema(max_length = 2000)]
    pub mandate: Option<String>,
    /// By when; not in the past.
    pub due_on: Option<NaiveDate>,
}

/// A steering-group decision that needs a reason.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"meeting_id": 3, "reason": "A single provider's problem; handled bilaterally"}))]
pub struct SteeringReasonInput {
    /// A meeting of the steering group; the decision is recorded there.
    pub meeting_id: Option<i64>,
    #[schema(max_length = 2000)]
    pub reason: Option<String>,
}

/// One solution approach.
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SolutionInput {
    /// 1 to 2000 characters.
    #[validate(
        length(max = 2000, message = "must be at most 2000 characters"),
        custom(function = "super::not_blank")
    )]
    #[schema(min_length = 1, max_length = 2000)]
    pub text: String,
    /// Who carries it out; 1 to 500 characters.
    #[validate(
        length(max = 500, message = "must be at most 500 characters"),
        custom(function = "super::not_blank")
    )]
    #[schema(min_length = 1, max_length = 500)]
    pub responsible_actors: String,
    /// Cost or effort (Aufwand), e.g. "2 staff days per month"; 1 to 500 characters.
    #[validate(
        length(max = 500, message = "must be at most 500 characters"),
        custom(function = "super::not_blank")
    )]
    #[schema(min_length = 1, max_length = 500)]
    pub estimate: String,
}

/// Solution approaches of a mandated project group.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"solutions": [{"text": "Youth office reserves two places per district for urgent cases",
    "responsible_actors": "Jugendamt, Kita-Träger", "estimate": "No extra cost; 1 day per month coordination"}]}))]
pub struct ProposeInput {
    /// At least one, at most 20.
    #[serde(default)]
    #[validate(length(max = 20, message = "at most 20 solutions"), nested)]
    #[schema(max_items = 20)]
    pub solutions: Vec<SolutionInput>,
    #[schema(max_length = 2000)]
    pub comment: Option<String>,
}

/// The steering group's decision on the proposed solutions.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"meeting_id": 3, "accepted_solution_ids": [4], "publicity": "internal",
    "publicity_text": "Newsletter to all CM staff and daycare providers"}))]
pub struct DecideInput {
    /// A meeting of the steering group; the decision is recorded there.
    pub meeting_id: Option<i64>,
    /// Proposed, undecided solutions of this gap; at least one. The others are declined.
    #[serde(default)]
    pub accepted_solution_ids: Vec<i64>,
    /// Öffentlichkeitsarbeit / Transparenz.
    pub publicity: Option<Publicity>,
    /// Required unless `publicity` is `none`; at most 2000 characters.
    #[schema(max_length = 2000)]
    pub publicity_text: Option<String>,
    #[schema(max_length = 2000)]
    pub comment: Option<String>,
}

/// A case manager's feedback.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"rating": "partly_effective", "text": "Places found for two of three families"}))]
pub struct FeedbackInput {
    pub rating: Option<FeedbackRating>,
    /// 1 to 2000 characters, without personal data.
    #[schema(max_length = 2000)]
    pub text: Option<String>,
}

/// The outcome of a closed gap.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"outcome": "Fast track works county-wide; no open reports since March"}))]
pub struct CloseInput {
    /// 1 to 2000 characters.
    #[schema(max_length = 2000)]
    pub outcome: Option<String>,
}

/// 2. Escalate a reported gap (weitermelden)
///
/// `reported` → `escalated`. Without a `reason` only when reports come from at least the
/// configured number of distinct positions (`KIM_GAP_ESCALATION_THRESHOLD`, default 2);
/// below that a written justification is required (422 on `reason`). Requires `If-Match`.
///
/// **Who may call:** `cm_coordinator`.
#[utoipa::path(tag = "Systematic gaps", request_body = ReasonInput,
    params(("id" = i64, Path, description = "Gap id"), ("If-Match" = String, Header, description = "ETag of the gap")),
    responses((status = 200, description = "The gap after the step", body = Gap, headers(("ETag" = String))), sets::ReplaceErrors),
    security(("bearer" = [])))]
#[post("/gaps/{id}/escalate")]
pub async fn escalate(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: web::Json<ReasonInput>,
) -> Result<HttpResponse, ApiError> {
    let req = StepRequest {
        reason: body.into_inner().reason,
        ..StepRequest::default()
    };
    take_step(
        caller,
        state,
        id.into_inner(),
        if_match,
        GapStep::Escalate,
        req,
    )
    .await
}

/// 2. Close a gap as not systematic
///
/// `reported` → `not_systematic` (final), with a `reason`. Requires `If-Match`.
///
/// **Who may call:** `cm_coordinator`.
#[utoipa::path(tag = "Systematic gaps", request_body = ReasonInput,
    params(("id" = i64, Path, description = "Gap id"), ("If-Match" = String, Header, description = "ETag of the gap")),
    responses((status = 200, description = "The gap after the step", body = Gap, headers(("ETag" = String))), sets::ReplaceErrors),
    security(("bearer" = [])))]
#[post("/gaps/{id}/close-not-systematic")]
pub async fn close_not_systematic(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: web::Json<ReasonInput>,
) -> Result<HttpResponse, ApiError> {
    let req = StepRequest {
        reason: body.into_inner().reason,
        ..StepRequest::default()
    };
    let step = GapStep::CloseNotSystematic;
    take_step(caller, state, id.into_inner(), if_match, step, req).await
}

/// 2. Merge a duplicate into another gap
///
/// `reported` or `escalated` → `merged` (final). Every report moves to the surviving gap
/// `merge_into` (open, not this one; 422 otherwise), whose history records `merge_in`. The
/// merged gap stays readable with `merged_into_id`; reports to it answer 409 naming the
/// survivor. Requires `If-Match` (of the duplicate).
///
/// **Who may call:** `cm_coordinator`.
#[utoipa::path(tag = "Systematic gaps", request_body = MergeInput,
    params(("id" = i64, Path, description = "The duplicate gap's id"), ("If-Match" = String, Header, description = "ETag of the duplicate")),
    responses((status = 200, description = "The merged gap", body = Gap, headers(("ETag" = String))), sets::ReplaceErrors),
    security(("bearer" = [])))]
#[post("/gaps/{id}/merge")]
pub async fn merge(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: web::Json<MergeInput>,
) -> Result<HttpResponse, ApiError> {
    let input = body.into_inner();
    let req = StepRequest {
        merge_into: input.merge_into,
        comment: input.comment,
        ..StepRequest::default()
    };
    take_step(
        caller,
        state,
        id.into_inner(),
        if_match,
        GapStep::Merge,
        req,
    )
    .await
}

/// 3. Forward an escalated gap to the steering group
///
/// `escalated` → `with_steering_group`. Requires `If-Match`.
///
/// **Who may call:** `ki_lead`.
#[utoipa::path(tag = "Systematic gaps", request_body = CommentInput,
    params(("id" = i64, Path, description = "Gap id"), ("If-Match" = String, Header, description = "ETag of the gap")),
    responses((status = 200, description = "The gap after the step", body = Gap, headers(("ETag" = String))), sets::ReplaceErrors),
    security(("bearer" = [])))]
#[post("/gaps/{id}/forward")]
pub async fn forward(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: web::Json<CommentInput>,
) -> Result<HttpResponse, ApiError> {
    let req = StepRequest {
        comment: body.into_inner().comment,
        ..StepRequest::default()
    };
    take_step(
        caller,
        state,
        id.into_inner(),
        if_match,
        GapStep::Forward,
        req,
    )
    .await
}

/// 4a. Mandate project groups
///
/// `with_steering_group` → `mandated`: one or more project groups (`project_group_ids`), the
/// mandate's text and due date. Recorded as a decision (`mandated`) of the steering-group
/// meeting `meeting_id`. Requires `If-Match`.
///
/// **Who may call:** `steering_member`.
#[utoipa::path(tag = "Systematic gaps", request_body = MandateInput,
    params(("id" = i64, Path, description = "Gap id"), ("If-Match" = String, Header, description = "ETag of the gap")),
    responses((status = 200, description = "The gap after the step", body = Gap, headers(("ETag" = String))), sets::ReplaceErrors),
    security(("bearer" = [])))]
#[post("/gaps/{id}/mandate")]
pub async fn mandate(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: web::Json<MandateInput>,
) -> Result<HttpResponse, ApiError> {
    let input = body.into_inner();
    let req = StepRequest {
        meeting_id: input.meeting_id,
        project_group_ids: input.project_group_ids,
        mandate: input.mandate,
        due_on: input.due_on,
        ..StepRequest::default()
    };
    take_step(
        caller,
        state,
        id.into_inner(),
        if_match,
        GapStep::Mandate,
        req,
    )
    .await
}

/// 4b. Refuse a mandate
///
/// `with_steering_group` → `rejected` (final), with a `reason`; recorded as a decision
/// (`rejected`) of the steering-group meeting `meeting_id`. Requires `If-Match`.
///
/// **Who may call:** `steering_member`.
#[utoipa::path(tag = "Systematic gaps", request_body = SteeringReasonInput,
    params(("id" = i64, Path, description = "Gap id"), ("If-Match" = String, Header, description = "ETag of the gap")),
    responses((status = 200, description = "The gap after the step", body = Gap, headers(("ETag" = String))), sets::ReplaceErrors),
    security(("bearer" = [])))]
#[post("/gaps/{id}/reject")]
pub async fn reject(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: web::Json<SteeringReasonInput>,
) -> Result<HttpResponse, ApiError> {
    let input = body.into_inner();
    let req = StepRequest {
        meeting_id: input.meeting_id,
        reason: input.reason,
        ..StepRequest::default()
    };
    take_step(
        caller,
        state,
        id.into_inner(),
        if_match,
        GapStep::Reject,
        req,
    )
    .await
}

/// 5. Propose solution approaches
///
/// `mandated` → `solutions_proposed`: one or more approaches, each with text, responsible
/// actors and a cost or effort estimate, for the caller's project group. Only a member of a
/// project group named by the current mandate may propose (403 otherwise). Requires
/// `If-Match`.
///
/// **Who may call:** `project_group_member` of a mandated group.
#[utoipa::path(tag = "Systematic gaps", request_body = ProposeInput,
    params(("id" = i64, Path, description = "Gap id"), ("If-Match" = String, Header, description = "ETag of the gap")),
    responses((status = 200, description = "The gap after the step", body = Gap, headers(("ETag" = String))), sets::ReplaceErrors),
    security(("bearer" = [])))]
#[post("/gaps/{id}/solutions")]
pub async fn propose(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: web::Json<ProposeInput>,
) -> Result<HttpResponse, ApiError> {
    let input = body.into_inner();
    input.validate()?;
    let req = StepRequest {
        solutions: input
            .solutions
            .into_iter()
            .map(|s| NewSolution {
                text: s.text.trim().to_owned(),
                responsible_actors: s.responsible_actors.trim().to_owned(),
                estimate: s.estimate.trim().to_owned(),
            })
            .collect(),
        comment: input.comment,
        ..StepRequest::default()
    };
    take_step(
        caller,
        state,
        id.into_inner(),
        if_match,
        GapStep::Propose,
        req,
    )
    .await
}

/// 6. Decide on the solutions
///
/// `solutions_proposed` → `solutions_decided`: accepts the named solutions (the other
/// undecided ones are declined) and decides on public relations (`none`, `internal`, `public`;
/// a text unless `none`). Recorded as a decision (`solutions_accepted`) of the steering-group
/// meeting `meeting_id`. Requires `If-Match`.
///
/// **Who may call:** `steering_member`.
#[utoipa::path(tag = "Systematic gaps", request_body = DecideInput,
    params(("id" = i64, Path, description = "Gap id"), ("If-Match" = String, Header, description = "ETag of the gap")),
    responses((status = 200, description = "The gap after the step", body = Gap, headers(("ETag" = String))), sets::ReplaceErrors),
    security(("bearer" = [])))]
#[post("/gaps/{id}/decide")]
pub async fn decide(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: web::Json<DecideInput>,
) -> Result<HttpResponse, ApiError> {
    let input = body.into_inner();
    let req = StepRequest {
        meeting_id: input.meeting_id,
        accepted_solution_ids: input.accepted_solution_ids,
        publicity: input.publicity,
        publicity_text: input.publicity_text,
        comment: input.comment,
        ..StepRequest::default()
    };
    take_step(
        caller,
        state,
        id.into_inner(),
        if_match,
        GapStep::Decide,
        req,
    )
    .await
}

/// 6. Send the solutions back to the project groups
///
/// `solutions_proposed` → `mandated` (same mandate), with a `reason`; the proposed solutions
/// are declined. Recorded as a decision (`sent_back`) of the steering-group meeting
/// `meeting_id`. Requires `If-Match`.
///
/// **Who may call:** `steering_member`.
#[utoipa::path(tag = "Systematic gaps", request_body = SteeringReasonInput,
    params(("id" = i64, Path, description = "Gap id"), ("If-Match" = String, Header, description = "ETag of the gap")),
    responses((status = 200, description = "The gap after the step", body = Gap, headers(("ETag" = String))), sets::ReplaceErrors),
    security(("bearer" = [])))]
#[post("/gaps/{id}/send-back")]
pub async fn send_back(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: web::Json<SteeringReasonInput>,
) -> Result<HttpResponse, ApiError> {
    let input = body.into_inner();
    let req = StepRequest {
        meeting_id: input.meeting_id,
        reason: input.reason,
        ..StepRequest::default()
    };
    take_step(
        caller,
        state,
        id.into_inner(),
        if_match,
        GapStep::SendBack,
        req,
    )
    .await
}

/// 7. Communicate the accepted solutions to the case managers
///
/// `solutions_decided` → `communicated`; the solutions appear in `GET /me/solutions`.
/// Requires `If-Match`.
///
/// **Who may call:** `cm_coordinator`.
#[utoipa::path(tag = "Systematic gaps", request_body = CommentInput,
    params(("id" = i64, Path, description = "Gap id"), ("If-Match" = String, Header, description = "ETag of the gap")),
    responses((status = 200, description = "The gap after the step", body = Gap, headers(("ETag" = String))), sets::ReplaceErrors),
    security(("bearer" = [])))]
#[post("/gaps/{id}/communicate")]
pub async fn communicate(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: web::Json<CommentInput>,
) -> Result<HttpResponse, ApiError> {
    let req = StepRequest {
        comment: body.into_inner().comment,
        ..StepRequest::default()
    };
    let step = GapStep::Communicate;
    take_step(caller, state, id.into_inner(), if_match, step, req).await
}

/// 8. Acknowledge the solutions and apply them
///
/// `communicated` → `in_application` (the first acknowledgement), or stays `in_application`.
/// Once per case manager (409 the second time). No `If-Match`.
///
/// **Who may call:** `case_manager`.
#[utoipa::path(tag = "Systematic gaps", request_body = CommentInput,
    params(("id" = i64, Path, description = "Gap id")),
    responses((status = 200, description = "The gap after the step", body = Gap, headers(("ETag" = String))),
        (status = 404, response = crate::error::responses::NotFound), sets::CreateErrors),
    security(("bearer" = [])))]
#[post("/gaps/{id}/acknowledge")]
pub async fn acknowledge(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: web::Json<CommentInput>,
) -> Result<HttpResponse, ApiError> {
    let req = StepRequest {
        comment: body.into_inner().comment,
        ..StepRequest::default()
    };
    let step = GapStep::Acknowledge;
    take_step(caller, state, id.into_inner(), if_match, step, req).await
}

/// 8. Give feedback on the applied solutions
///
/// In `in_application`: `rating` (`effective`, `partly_effective`, `not_effective`) and a
/// `text`. Negative feedback lets the CM coordination reopen the gap. No `If-Match`.
///
/// **Who may call:** `case_manager`.
#[utoipa::path(tag = "Systematic gaps", request_body = FeedbackInput,
    params(("id" = i64, Path, description = "Gap id")),
    responses((status = 200, description = "The gap after the step", body = Gap, headers(("ETag" = String))),
        (status = 404, response = crate::error::responses::NotFound), sets::CreateErrors),
    security(("bearer" = [])))]
#[post("/gaps/{id}/feedback")]
pub async fn feedback(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: web::Json<FeedbackInput>,
) -> Result<HttpResponse, ApiError> {
    let input = body.into_inner();
    let req = StepRequest {
        rating: input.rating,
        text: input.text,
        ..StepRequest::default()
    };
    take_step(
        caller,
        state,
        id.into_inner(),
        if_match,
        GapStep::Feedback,
        req,
    )
    .await
}

/// 8. Close the gap with an outcome
///
/// `in_application` → `closed` (final). Requires `If-Match`.
///
/// **Who may call:** `cm_coordinator`.
#[utoipa::path(tag = "Systematic gaps", request_body = CloseInput,
    params(("id" = i64, Path, description = "Gap id"), ("If-Match" = String, Header, description = "ETag of the gap")),
    responses((status = 200, description = "The gap after the step", body = Gap, headers(("ETag" = String))), sets::ReplaceErrors),
    security(("bearer" = [])))]
#[post("/gaps/{id}/close")]
pub async fn close(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: web::Json<CloseInput>,
) -> Result<HttpResponse, ApiError> {
    let req = StepRequest {
        outcome: body.into_inner().outcome,
        ..StepRequest::default()
    };
    take_step(
        caller,
        state,
        id.into_inner(),
        if_match,
        GapStep::Close,
        req,
    )
    .await
}

/// 8. Reopen the gap to the steering group
///
/// `in_application` → `with_steering_group`, with a `reason`, when feedback since the
/// solutions were communicated says they work partly or not (409 without such feedback).
/// Requires `If-Match`.
///
/// **Who may call:** `cm_coordinator`.
#[utoipa::path(tag = "Systematic gaps", request_body = ReasonInput,
    params(("id" = i64, Path, description = "Gap id"), ("If-Match" = String, Header, description = "ETag of the gap")),
    responses((status = 200, description = "The gap after the step", body = Gap, headers(("ETag" = String))), sets::ReplaceErrors),
    security(("bearer" = [])))]
#[post("/gaps/{id}/reopen")]
pub async fn reopen(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: web::Json<ReasonInput>,
) -> Result<HttpResponse, ApiError> {
    let req = StepRequest {
        reason: body.into_inner().reason,
        ..StepRequest::default()
    };
    take_step(
        caller,
        state,
        id.into_inner(),
        if_match,
        GapStep::Reopen,
        req,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use kim_domain::gap::GapStage;

    #[test]
    fn refusals_map_to_their_statuses() {
        use actix_web::ResponseError;
        let status = |e: GapStepError| refused(e).status_code().as_u16();
        assert_eq!(
            status(GapStepError::WrongRole {
                step: GapStep::Close
            }),
            403
        );
        assert_eq!(status(GapStepError::NotInMandatedGroup), 403);
        assert_eq!(
            status(GapStepError::NotNow {
                step: GapStep::Close,
                stage: GapStage::Reported,
                allowed: vec![]
            }),
            409
        );
        assert_eq!(status(GapStepError::Conflict("x".into())), 409);
        assert_eq!(status(GapStepError::Invalid(vec![])), 422);
    }
}
