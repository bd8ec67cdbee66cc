//! Deciding an intake request: the CM coordination accepts it, which opens a case through the
//! same path as `POST /cases`, or declines it with a reason the referrer reads.

use actix_web::{post, web, HttpResponse};
use chrono::{NaiveDate, Utc};
use kim_domain::audit::{AuditObject, AuditVerb};
use kim_domain::case::{IntakeChannel, OtherCaseManagement, TargetGroup};
use kim_domain::intake_request::{check_decision, may_decide, IntakeAccess, IntakeDecision};
use kim_domain::reference::LegalDomain;
use kim_store::error::expect_version;
use kim_store::intake_requests::{self as store, Opened};
use kim_store::DbConn;
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use crate::auth::{Authenticated, Caller};
use crate::case_access::client_for;
use crate::case_opening::open_in;
use crate::error::error_sets as sets;
use crate::error::OrUnknown;
use crate::http::body::Json;
use crate::http::precondition::{ok_versioned, IfMatch};
use crate::routes::not_blank;
use crate::server::AppState;
use crate::views::case::{CaseClient, CaseInput};
use crate::views::client::ClientInput;
use crate::views::intake_request::IntakeRequest;
use crate::ApiError;

use super::{audit, visible};

/// Accepting an intake request: who works the case and what the case rules need.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"case_manager_id": 5, "target_group": "new_arrivals",
    "legal_domains": ["sgb_ii"], "other_case_management": ["none"], "arrived_on": "2025-03-01"}))]
pub struct AcceptInput {
    /// The case manager who works the case: an active user whose role works cases.
    pub case_manager_id: i64,
    /// An existing client the coordinator matched the person to; without it a client is created
    /// from the request's data.
    pub client_id: Option<i64>,
    pub target_group: TargetGroup,
    #[serde(default)]
    pub legal_domains: Vec<LegalDomain>,
    /// Other case management already in place, or `["none"]`.
    #[schema(min_items = 1)]
    pub other_case_management: Vec<OtherCaseManagement>,
    /// Einreisedatum (date of arrival in Germany).
    pub arrived_on: Option<NaiveDate>,
    /// Required when the case is outside the intake rule; refused when it is inside.
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    pub justification: Option<String>,
}

/// Declining an intake request.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "Wohnort außerhalb des Kreises; bitte an die Stadt Bonn wenden"}))]
pub struct DeclineInput {
    /// The referrer reads it.
    #[validate(length(max = 2000), custom(function = "not_blank"))]
    #[schema(pattern = "\\S", min_length = 1, max_length = 2000)]
    pub reason: String,
}

/// A submitted request for the coordination's decision, at the version the caller saw.
fn for_decision(
    conn: &mut DbConn,
    who: &Authenticated,
    id: i64,
    if_match: &IfMatch,
) -> Result<(store::IntakeRequest, i64), ApiError> {
    if !may_decide(&who.principal) {
        return Err(ApiError::Forbidden(
            "only the CM coordination decides intake requests".into(),
        ));
    }
    let me = who
        .user_id()
        .ok_or(ApiError::Forbidden("partners do not decide".into()))?;
    let (request, _) = visible(conn, who, id)?;
    let expected = if_match.version()?;
    // The condition before the state, as for referral transitions: of concurrent decisions with
    // one If-Match the losers get 412 whatever the timing.
    expect_version(request.version, expected)?;
    Ok((request, me))
}

/// The case manager named must be an active user whose role works cases (422 on the field).
fn check_case_manager(conn: &mut DbConn, user: i64) -> Result<(), ApiError> {
    match kim_store::users::active_role(conn, user)? {
        None => Err(ApiError::reference(
            "case_manager_id",
            format!("no active user with id {user}"),
        )),
        Some(role) => kim_domain::access::check_case_worker("case_manager_id", user, role)
            .map_err(ApiError::from),
    }
}

/// Accept an intake request
///
/// Opens a case for the person, in status `intake`, through the same checks as `POST /cases`:
/// intake channel `referred_by_organisation`, the referring organisation and the municipality
/// and topics of the request, assigned to `case_manager_id` (an active user whose role works
/// cases, else 422 `reference`/`rule`). The client is `client_id` (an existing client the
/// coordinator matched; unknown or invisible: 422 `reference`) or is created from the
/// request's data. The intake rule decides whether `justification` is needed, as on opening.
/// The request becomes `accepted` and is linked to the case and client. Only a `submitted`
/// request is decided (409 naming its status). Requires `If-Match`. Leaves
/// `intake_request.transition`, `case.create` and (for a new client) `client.create` audit
/// events.
///
/// **Who may call:** `cm_coordinator`. Others get 403.
#[utoipa::path(tag = "Intake requests", request_body = AcceptInput,
    params(("id" = i64, Path, description = "Intake request id"),
        ("If-Match" = String, Header, description = "ETag of the version you saw")),
    responses(
    (status = 200, description = "Accepted; `case_id` and `client_id` name the case opened", body = IntakeRequest, headers(("ETag" = String))),
    sets::ReplaceErrors,
), security(("bearer" = [])))]
#[post("/intake-requests/{id}/accept")]
pub async fn accept_intake_request(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: Json<AcceptInput>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let input = body.into_inner();
    let rule = state.intake_rule.clone();
    let backdate_limit = state.case_backdate_max_days;
    let today = Utc::now().date_naive();
    let shown = state
        .db
        .write_with_denied(
            caller,
            (AuditObject::IntakeRequest, id),
            move |conn, who| {
                let (request, me) = for_decision(conn, who, id, &if_match)?;
                let decision = check_decision(request.status, &IntakeDecision::Accept)?;
                input.validate()?;
                check_case_manager(conn, input.case_manager_id)?;
                let client = match input.client_id {
                    Some(client_id) => {
                        client_for(conn, who, client_id, kim_domain::access::Access::Read)
                            .or_unknown(
                                "client_id",
                                format!(
                                    "client {client_id}: no such client, or you may not see it"
                                ),
                            )?;
                        CaseClient::Existing { id: client_id }
                    }
                    None => CaseClient::New(ClientInput {
                        given_name: request.given_name.clone(),
                        family_name: request.family_name.clone(),
                        birth_year: request.birth_year,
                        gender: None,
                        languages: request.languages.clone(),
                        country_of_origin: None,
                        residence_status: request.residence_status,
                        municipality_id: request.municipality_id,
                    }),
                };
                let case = open_in(
                    conn,
                    who,
                    me,
                    CaseInput {
                        clients: vec![client],
                        client_ids: None,
                        municipality_id: request.municipality_id,
                        target_group: input.target_group,
                        legal_domains: input.legal_domains,
                        topics: request.topics.clone(),
                        intake_channel: IntakeChannel::ReferredByOrganisation,
                        referring_organisation_id: Some(request.referring_organisation_id),
                        arrived_on: input.arrived_on,
                        other_case_management: input.other_case_management,
                        justification: input.justification,
                        assigned_user_id: Some(input.case_manager_id),
                        deputy_user_id: None,
                        opened_on: None,
                    },
                    &rule,
                    today,
                    backdate_limit,
                )?;
                let opened = Opened {
                    case_id: case.id,
                    client_id: case.data.lead_client_id,
                };
                let accepted =
                    store::decide(conn, me, id, request.version, &decision, Some(opened))?;
                audit(conn, who, AuditVerb::Transition, &accepted)?;
                Ok::<_, ApiError>(IntakeRequest::shown(accepted, IntakeAccess::Decider))
            },
        )
        .await?;
    let version = shown.version;
    Ok(ok_versioned(&shown, version))
}

/// Decline an intake request
///
/// Declines a `submitted` request with a `reason` the referrer reads (409 naming the status of
/// a request already decided). No case is opened; the person's data are deleted by the
/// retention rule `declined_intake_requests` (default 6 months after the decline). Requires
/// `If-Match`. Leaves an `intake_request.transition` audit event.
///
/// **Who may call:** `cm_coordinator`. Others get 403.
#[utoipa::path(tag = "Intake requests", request_body = DeclineInput,
    params(("id" = i64, Path, description = "Intake request id"),
        ("If-Match" = String, Header, description = "ETag of the version you saw")),
    responses(
    (status = 200, description = "Declined", body = IntakeRequest, headers(("ETag" = String))),
    sets::ReplaceErrors,
), security(("bearer" = [])))]
#[post("/intake-requests/{id}/decline")]
pub async fn decline_intake_request(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: Json<DeclineInput>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let input = body.into_inner();
    let shown = state
        .db
        .write_with_denied(
            caller,
            (AuditObject::IntakeRequest, id),
            move |conn, who| {
                let (request, me) = for_decision(conn, who, id, &if_match)?;
                // The status first: a decided request is 409 whatever the reason says.
                let decision = check_decision(
                    request.status,
                    &IntakeDecision::Decline {
                        reason: Some(&input.reason),
                    },
                )?;
                input.validate()?;
                let declined = store::decide(conn, me, id, request.version, &decision, None)?;
                audit(conn, who, AuditVerb::Transition, &declined)?;
                Ok::<_, ApiError>(IntakeRequest::shown(declined, IntakeAccess::Decider))
            },
        )
        .await?;
    let version = shown.version;
    Ok(ok_versioned(&shown, version))
}
