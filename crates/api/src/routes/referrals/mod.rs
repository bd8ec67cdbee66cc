//! Referrals (Verweisberatung): a case manager refers a client of a case to a partner
//! organisation; the partner's system, through its token, reads the referral (only the data
//! categories the client's consents release to it) and accepts, declines or completes it.
//!
//! Decisions where the issue was silent:
//! - A partner whose consent no longer releases even the client's identity (revoked, expired)
//!   is refused with 404, like any object it may not see; the referral also leaves its list.
//! - `Idempotency-Key` is honoured on every POST here, per caller (user or partner token). For
//!   the first successful response a fingerprint of the request (method, path, `If-Match`,
//!   body), its status and the referral's id are stored — not the answer, which would hold the
//!   client's data; a retry with the same key within `KIM_IDEMPOTENCY_TTL_HOURS` (default 24)
//!   answers with that status and the referral read again as the caller may see it now (header
//!   `Idempotent-Replayed: true`, a `referral.read` audit event) and changes nothing; the same
//!   key with another request is 422 on the field `Idempotency-Key`; an older key runs afresh.
//!   The key is stored in the database, so a retry replays on any server behind a load
//!   balancer; of two requests with one key at the same moment one commits and the other
//!   answers 409 and changes nothing (its retry replays).
//!   Failed requests are not stored, so a retry runs again.
//! - A list leaves one `referral.list` audit event per client shown (one without a client when
//!   the page is empty), so "who saw this person's data" finds list reads too.

use crate::http::body::Json;
use crate::routes::RouteTable;
use actix_web::http::StatusCode;
use actix_web::{delete, get, post, put, web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use kim_domain::access::{case_access, referral_scope, Access, ReferralScope};
use kim_domain::audit::{AuditObject, AuditVerb};
use kim_domain::case::{TargetGroup, Topic};
use kim_domain::client::ResidenceStatus;
use kim_domain::consent::DataCategory;
use kim_domain::reference::LegalDomain;
use kim_domain::referral::{shared_categories, ReferralSide, ReferralStatus};
use kim_store::cases;
use kim_store::referrals::{self as store, ReferralData, ReferralFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::{not_blank, trimmed};
use crate::auth::Caller;
use crate::case_access::audit;
use crate::error::error_sets as sets;
use crate::error::responses as err;
use crate::http::idempotency::{respond, Answer, IdempotencyKey};
use crate::http::paging::PageParams;
use crate::http::precondition::IfMatch;
use crate::server::AppState;
use crate::{page_type, ApiError};

mod transitions;
mod visibility;

pub use transitions::{referral_history, transition_referral, ReferralTransitionInput};
use visibility::{audit_list, page_of, read_visible, remembered, replayed_referral, visible};

pub fn configure(cfg: &mut impl RouteTable) {
    cfg.service(list_case_referrals)
        .service(create_referral)
        .service(list_referrals)
        .service(get_referral)
        .service(referral_history)
        .service(update_referral)
        .service(delete_referral)
        .service(transition_referral);
}

/// The client as the caller may see them. Identity is always there; the other fields only when
/// their category is visible.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReferredClient {
    /// Pseudonymous client reference (identity).
    pub reference: String,
    /// Identity.
    pub given_name: Option<String>,
    /// Identity.
    pub family_name: Option<String>,
    /// Identity.
    pub birth_year: Option<i32>,
    /// Category `contact`: the languages to reach the person in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub languages: Option<Vec<String>>,
    /// Category `residence_status`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub residence_status: Option<ResidenceStatus>,
}

/// Category `case_content`: what the case is about.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseContent {
    pub target_group: TargetGroup,
    pub legal_domains: Vec<LegalDomain>,
    pub topics: Vec<Topic>,
}

/// Weitervermittlung (referral) of a client from a case to an organisation.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 4, "case_id": 12, "recipient_organisation_id": 9, "offer": "Integrationskurs",
    "purpose": "Arbeitsvermittlung", "message": "Frau K. sucht eine Teilzeitstelle.",
    "shared_categories": ["identity", "residence_status"],
    "visible_categories": ["identity", "residence_status"],
    "client": {"reference": "K-2026-00017", "given_name": "Amina", "family_name": "K.",
        "birth_year": 1990, "residence_status": "recognised_refugee"},
    "due_on": "2026-12-15", "status": "sent", "status_reason": null,
    "allowed_transitions": ["withdrawn"], "consent_ids": [3],
    "sent_at": "2026-11-25T10:00:00Z", "version": 2,
    "created_at": "2026-11-25T09:00:00Z", "updated_at": "2026-11-25T10:00:00Z"
}))]
pub struct Referral {
    pub id: i64,
    /// The case (case side only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub case_id: Option<i64>,
    pub recipient_organisation_id: i64,
    /// The recipient's offer (Angebot), if the referral is to one.
    pub offer: Option<String>,
    /// What the referral is for.
    pub purpose: String,
    /// The case manager's message to the recipient.
    pub message: Option<String>,
    /// The categories the referral shares (identity always).
    pub shared_categories: Vec<DataCategory>,
    /// The categories of client data shown to the caller: everything on the case side; for the
    /// recipient, the shared categories its valid consents still release.
    pub visible_categories: Vec<DataCategory>,
    pub client: ReferredClient,
    /// Only when `case_content` is visible.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub case_content: Option<CaseContent>,
    pub due_on: Option<NaiveDate>,
    pub status: ReferralStatus,
    /// The reason or note of the last status change (a decline's reason).
    pub status_reason: Option<String>,
    /// The statuses the caller may move the referral to.
    pub allowed_transitions: Vec<ReferralStatus>,
    /// The consents the transfer relied on when sent (case side only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consent_ids: Option<Vec<i64>>,
    pub sent_at: Option<DateTime<Utc>>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

page_type!(ReferralPage, Referral);

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReferralQuery {
    pub status: Option<ReferralStatus>,
    /// Referrals of this case (case side only; ignored for partner systems).
    pub case_id: Option<i64>,
}

/// List referrals
///
/// For case managers: the referrals of their cases (the CM coordination: of all cases). For a
/// partner system: the referrals sent to its token's organisation, never drafts, and only those
/// whose client's consents still release data to it; each shows only the consented categories.
/// Newest first. Leaves a `referral.list` audit event per client shown.
///
/// **Who may call:** `case_manager`, `cm_coordinator`; partner tokens with `referrals:read`.
/// Others get 403.
#[utoipa::path(tag = "Referrals", params(PageParams, ReferralQuery), responses(
    (status = 200, description = "One page of referrals", body = ReferralPage),
    sets::ListErrors,
), security(("bearer" = [])))]
#[get("/referrals")]
pub async fn list_referrals(
    caller: Caller,
    state: web::Data<AppState>,
    paging: web::Query<PageParams>,
    query: web::Query<ReferralQuery>,
) -> Result<web::Json<ReferralPage>, ApiError> {
    let page = paging.page()?;
    let query = query.into_inner();
    state
        .db
        .audited_read(caller, None, move |conn, who, trail| {
            let scope = referral_scope(&who.principal);
            if scope == ReferralScope::Nothing {
                return Err(ApiError::Forbidden(
                    "your role or token scopes do not allow reading referrals".into(),
                ));
            }
            let filter = ReferralFilter {
                case_id: scope.case_filter(query.case_id),
                status: query.status,
            };
            let (shown, total) = page_of(conn, who, scope, &filter, page)?;
            audit_list(trail, &shown, None);
            Ok::<_, ApiError>(ReferralPage::of(
                shown.into_iter().map(|v| v.referral).collect(),
                total,
                page,
            ))
        })
        .await
        .map(web::Json)
}

/// List a case's referrals
///
/// Every referral of the case, drafts included, newest first. Leaves a `referral.list` audit
/// event per client shown.
///
/// **Who may call:** `case_manager` of the case (or deputy), `cm_coordinator`. Anyone else gets
/// 404.
#[utoipa::path(tag = "Referrals", params(("id" = i64, Path, description = "Case id"), PageParams), responses(
    (status = 200, description = "One page of the case's referrals", body = ReferralPage),
    sets::ReadErrors,
), security(("bearer" = [])))]
#[get("/cases/{id}/referrals")]
pub async fn list_case_referrals(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    paging: web::Query<PageParams>,
) -> Result<web::Json<ReferralPage>, ApiError> {
    let page = paging.page()?;
    let case_id = id.into_inner();
    state
        .db
        .audited_read(
            caller,
            Some((AuditObject::Case, case_id)),
            move |conn, who, trail| {
                let case = crate::case_access::case_for(conn, who, case_id, Access::Read)?;
                let filter = ReferralFilter {
                    case_id: Some(case.id),
                    status: None,
                };
                let (shown, total) = page_of(
                    conn,
                    who,
                    ReferralScope::OfCases(kim_domain::access::CaseScope::All),
                    &filter,
                    page,
                )?;
                audit_list(trail, &shown, Some(case.data.lead_client_id));
                Ok::<_, ApiError>(ReferralPage::of(
                    shown.into_iter().map(|v| v.referral).collect(),
                    total,
                    page,
                ))
            },
        )
        .await
        .map(web::Json)
}

/// A draft referral.
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "client_id": 17, "recipient_organisation_id": 9, "offer": "Integrationskurs",
    "purpose": "Arbeitsvermittlung", "message": "Frau K. sucht eine Teilzeitstelle.",
    "shared_categories": ["residence_status"], "due_on": "2026-12-15"
}))]
pub struct ReferralInput {
    /// The client referred, one of the case's clients; default the lead client.
    pub client_id: Option<i64>,
    pub recipient_organisation_id: i64,
    /// The recipient's offer (Angebot), e.g. a course.
    #[validate(length(max = 500))]
    #[schema(max_length = 500)]
    pub offer: Option<String>,
    /// What the referral is for.
    #[validate(length(max = 500), custom(function = "not_blank"))]
    #[schema(pattern = "\\S", min_length = 1, max_length = 500)]
    pub purpose: String,
    /// The message to the recipient.
    #[validate(length(max = 4000))]
    #[schema(max_length = 4000)]
    pub message: Option<String>,
    /// The data categories to share; `identity` is always shared, because a referral names the
    /// person.
    #[serde(default)]
    pub shared_categories: Vec<DataCategory>,
    /// When the recipient should have answered.
    pub due_on: Option<NaiveDate>,
}

impl ReferralInput {
    fn into_data(self, lead_client_id: i64) -> ReferralData {
        ReferralData {
            client_id: self.client_id.unwrap_or(lead_client_id),
            recipient_organisation_id: self.recipient_organisation_id,
            offer: trimmed(self.offer),
            purpose: self.purpose.trim().to_owned(),
            message: trimmed(self.message),
            shared_categories: shared_categories(&self.shared_categories),
            due_on: self.due_on,
        }
    }
}

/// Create a draft referral
///
/// Creates a referral of one of the case's clients to an organisation, in status `draft`:
/// nothing leaves the case until it is sent (transition `sent`), which checks the client's
/// consent. Honours `Idempotency-Key` (see `POST /referrals/{id}/transitions`). Leaves a
/// `referral.create` audit event.
///
/// **Who may call:** `case_manager` of the case (or deputy). Others who can see the case
/// (`cm_coordinator`) get 403; anyone else 404.
#[utoipa::path(tag = "Referrals", request_body = ReferralInput,
    params(("id" = i64, Path, description = "Case id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response instead of creating again")),
    responses(
    (status = 201, description = "The draft", body = Referral, headers(("ETag" = String), ("Location" = String))),
    (status = 404, response = err::NotFound),
    sets::CreateErrors,
), security(("bearer" = [])))]
#[post("/cases/{id}/referrals")]
pub async fn create_referral(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    idempotency: IdempotencyKey,
    body: Json<ReferralInput>,
) -> Result<HttpResponse, ApiError> {
    let case_id = id.into_inner();
    let input = body.into_inner();
    let fingerprint = idempotency.fingerprint(None, &input);
    let answer = state
        .db
        .write_with(caller, move |conn, who| {
            let facts = cases::facts(conn, case_id)?;
            match case_access(&who.principal, &facts) {
                Access::None => return Err(ApiError::NotFound),
                Access::Read => {
                    return Err(ApiError::Forbidden(
                        "only the case's case managers create referrals".into(),
                    ))
                }
                Access::ReadWrite => {}
            }
            if let Some(first) = idempotency.replay(conn, who, &fingerprint)? {
                return replayed_referral(conn, who, &first);
            }
            input.validate()?;
            let case = cases::find(conn, case_id)?;
            let data = input.into_data(case.data.lead_client_id);
            let created = store::insert(conn, &who.actor(), case_id, &data)?;
            let shown = visible(conn, who, created)?;
            audit(
                conn,
                who,
                AuditObject::Referral,
                AuditVerb::Create,
                Some(shown.referral.id),
                Some(&shown.client_reference),
            )?;
            let response = remembered(StatusCode::CREATED, fingerprint, &shown.referral);
            idempotency.remember(conn, who, &response)?;
            Ok(Answer {
                status: StatusCode::CREATED,
                version: shown.referral.version,
                body: shown.referral,
                replayed: false,
            })
        })
        .await?;
    let location = format!("/api/v1/referrals/{}", answer.body.id);
    respond(&answer, Some(location))
}

/// Get a referral
///
/// The referral as the caller may see it: the case side sees everything; the recipient's
/// partner system sees only the shared categories the client's valid consents release to its
/// organisation, and is refused (404) once they release nothing (a revoked consent takes effect
/// at once). Leaves a `referral.read` audit event.
///
/// **Who may call:** `case_manager` of the case (or deputy), `cm_coordinator`; partner tokens
/// with `referrals:read` of the recipient organisation, once sent. Anyone else gets 404.
#[utoipa::path(tag = "Referrals", params(("id" = i64, Path, description = "Referral id")), responses(
    (status = 200, description = "The referral", body = Referral, headers(("ETag" = String))),
    sets::ReadErrors,
), security(("bearer" = [])))]
#[get("/referrals/{id}")]
pub async fn get_referral(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let shown = state
        .db
        .write_with_denied(caller, (AuditObject::Referral, id), move |conn, who| {
            let shown = read_visible(conn, who, id)?;
            Ok::<_, ApiError>(shown.referral)
        })
        .await?;
    let version = shown.version;
    Ok(crate::http::precondition::ok_versioned(&shown, version))
}

/// Replace a draft referral
///
/// Changes recipient, client, offer, purpose, message, shared categories and due date of a
/// referral that was not sent yet. A sent referral stays as the recipient received it (409).
/// Requires `If-Match`. Leaves a `referral.update` audit event.
///
/// **Who may call:** `case_manager` of the case (or deputy). Others who can see the case
/// (`cm_coordinator`) get 403; anyone else 404.
#[utoipa::path(tag = "Referrals", request_body = ReferralInput,
    params(("id" = i64, Path, description = "Referral id"), ("If-Match" = String, Header, description = "ETag of the version you edited")),
    responses(
    (status = 200, description = "The draft", body = Referral, headers(("ETag" = String))),
    sets::ReplaceErrors,
), security(("bearer" = [])))]
#[put("/referrals/{id}")]
pub async fn update_referral(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: Json<ReferralInput>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let input = body.into_inner();
    let shown = state
        .db
        .write_with(caller, move |conn, who| {
            let referral = store::find(conn, id)?;
            let case_id = referral.case_id;
            let shown = visible(conn, who, referral)?;
            if shown.access.acting_side() != Some(ReferralSide::Case) {
                return Err(ApiError::Forbidden(
                    "only the case's case managers change draft referrals".into(),
                ));
            }
            let expected = if_match.version()?;
            input.validate()?;
            let lead_client_id = cases::find(conn, case_id)?.data.lead_client_id;
            let updated =
                store::update_draft(conn, id, expected, &input.into_data(lead_client_id))?;
            let shown = visible(conn, who, updated)?;
            audit(
                conn,
                who,
                AuditObject::Referral,
                AuditVerb::Update,
                Some(id),
                Some(&shown.client_reference),
            )?;
            Ok::<_, ApiError>(shown)
        })
        .await?;
    let version = shown.referral.version;
    Ok(crate::http::precondition::ok_versioned(
        &shown.referral,
        version,
    ))
}

/// Delete a draft referral
///
/// Deletes a referral that was never sent; nothing of it left the case. A sent referral stays
/// on record (409): withdraw it instead. Requires `If-Match`. Leaves a `referral.delete` audit
/// event.
///
/// **Who may call:** `case_manager` of the case (or deputy). Others who can see the case
/// (`cm_coordinator`) get 403; anyone else 404.
#[utoipa::path(tag = "Referrals",
    params(("id" = i64, Path, description = "Referral id"), ("If-Match" = String, Header, description = "ETag of the version you saw")),
    responses(
    (status = 204, description = "Deleted"),
    sets::DeleteErrors,
), security(("bearer" = [])))]
#[delete("/referrals/{id}")]
pub async fn delete_referral(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    state
        .db
        .write_with(caller, move |conn, who| {
            let referral = store::find(conn, id)?;
            let shown = visible(conn, who, referral)?;
            if shown.access.acting_side() != Some(ReferralSide::Case) {
                return Err(ApiError::Forbidden(
                    "only the case's case managers delete draft referrals".into(),
                ));
            }
            let expected = if_match.version()?;
            store::delete_draft(conn, id, expected)?;
            audit(
                conn,
                who,
                AuditObject::Referral,
                AuditVerb::Delete,
                Some(id),
                Some(&shown.client_reference),
            )
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
