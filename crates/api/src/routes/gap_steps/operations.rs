//! The operations of the gap process, one POST each, and their request bodies. Each turns its
//! body into a [`StepRequest`] for [`take_step`]; the rules are the domain's step table.
//!
//! One file on purpose: these are the documented gap-step wrappers, one thin POST per step of
//! the domain's table, alike by design, so that each step has its own documented operation.

use crate::http::body::Json;
use crate::routes::RouteTable;
use actix_web::{post, web, HttpResponse};
use chrono::NaiveDate;
use kim_domain::gap::{FeedbackRating, GapStep, Publicity};
use kim_store::gap_steps::NewSolution;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::{take_step, StepRequest};
use crate::auth::Caller;
use crate::error::error_sets as sets;
use crate::http::precondition::IfMatch;
use crate::server::AppState;
use crate::views::gap::Gap;
use crate::ApiError;

pub fn configure(cfg: &mut impl RouteTable) {
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
    #[validate(length(max = 2000), custom(function = "crate::routes::not_blank"))]
    #[schema(pattern = "\\S", min_length = 1, max_length = 2000)]
    pub text: String,
    /// Who carries it out; 1 to 500 characters.
    #[validate(length(max = 500), custom(function = "crate::routes::not_blank"))]
    #[schema(pattern = "\\S", min_length = 1, max_length = 500)]
    pub responsible_actors: String,
    /// Cost or effort (Aufwand), e.g. "2 staff days per month"; 1 to 500 characters.
    #[validate(length(max = 500), custom(function = "crate::routes::not_blank"))]
    #[schema(pattern = "\\S", min_length = 1, max_length = 500)]
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
    body: Json<ReasonInput>,
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
    body: Json<ReasonInput>,
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
    body: Json<MergeInput>,
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
    body: Json<CommentInput>,
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
/// **Who may call:** `steering_member` who is a member of the steering group whose meeting
/// (`meeting_id`) records the decision; another steering member 403.
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
    body: Json<MandateInput>,
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
/// **Who may call:** `steering_member` who is a member of the steering group whose meeting
/// (`meeting_id`) records the decision; another steering member 403.
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
    body: Json<SteeringReasonInput>,
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
    body: Json<ProposeInput>,
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
/// **Who may call:** `steering_member` who is a member of the steering group whose meeting
/// (`meeting_id`) records the decision; another steering member 403.
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
    body: Json<DecideInput>,
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
/// **Who may call:** `steering_member` who is a member of the steering group whose meeting
/// (`meeting_id`) records the decision; another steering member 403.
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
    body: Json<SteeringReasonInput>,
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
    body: Json<CommentInput>,
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
    body: Json<CommentInput>,
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
    body: Json<FeedbackInput>,
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
    body: Json<CloseInput>,
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
    body: Json<ReasonInput>,
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
