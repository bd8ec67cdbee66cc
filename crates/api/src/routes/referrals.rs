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
use kim_domain::access::{
    case_access, referral_access, referral_scope, Access, ReferralAccess, ReferralScope,
};
use kim_domain::audit::{AuditObject, AuditVerb};
use kim_domain::case::{TargetGroup, Topic};
use kim_domain::client::ResidenceStatus;
use kim_domain::consent::DataCategory;
use kim_domain::reference::LegalDomain;
use kim_domain::referral::{
    check_referral_transition, recipient_view, shared_categories, ReferralMove, ReferralSide,
    ReferralStatus, SendingFacts,
};
use kim_store::error::expect_version;
use kim_store::referrals::{self as store, ReferralData, ReferralFilter, RememberedResponse};
use kim_store::{cases, clients, consents, DbConn};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::{not_blank, trimmed};
use crate::auth::{Authenticated, Caller};
use crate::case_access::{audit, Trail};
use crate::error::error_sets as sets;
use crate::error::responses as err;
use crate::http::idempotency::{respond, Answer, IdempotencyKey};
use crate::http::paging::PageParams;
use crate::http::precondition::IfMatch;
use crate::server::AppState;
use crate::views::referral::ReferralEvent;
use crate::{page_type, ApiError};

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

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// A referral the caller may read, with what they may see of it, and the client (reference and
/// internal id) for the audit trail. A recipient whose consents no longer release the identity
/// gets 404.
struct Visible {
    referral: Referral,
    client_reference: String,
    client_id: i64,
    access: ReferralAccess,
}

fn visible(
    conn: &mut DbConn,
    who: &Authenticated,
    referral: store::Referral,
) -> Result<Visible, ApiError> {
    let facts = store::facts(conn, &referral)?;
    let access = referral_access(&who.principal, &facts);
    if !access.may_read() {
        return Err(ApiError::NotFound);
    }
    let client = clients::find(conn, referral.data.client_id)?;
    let categories = if access.limited_to_consented_categories() {
        let consents = consents::rules_of_client(conn, client.id)?;
        recipient_view(
            &referral.data.shared_categories,
            &consents,
            referral.data.recipient_organisation_id,
            today(),
        )
        .ok_or(ApiError::NotFound)?
    } else {
        DataCategory::ALL.to_vec()
    };
    let case_content = if categories.contains(&DataCategory::CaseContent) {
        let case = cases::find(conn, referral.case_id)?;
        Some(CaseContent {
            target_group: case.data.target_group,
            legal_domains: case.data.legal_domains,
            topics: case.data.topics,
        })
    } else {
        None
    };
    Ok(shown(referral, client, access, categories, case_content))
}

/// The referral `id` as the caller may see it (404 otherwise), with its `referral.read` audit
/// event naming the client: a single read, its history and an idempotent replay.
fn read_visible(conn: &mut DbConn, who: &Authenticated, id: i64) -> Result<Visible, ApiError> {
    let referral = store::find(conn, id)?;
    let shown = visible(conn, who, referral)?;
    audit(
        conn,
        who,
        AuditObject::Referral,
        AuditVerb::Read,
        Some(id),
        Some(&shown.client_reference),
    )?;
    Ok(shown)
}

/// An item of a list page as the caller may see it, by the same rules as [`visible`], from what
/// the store loaded for the whole page; `None` if the caller may not see it (the store's scope
/// and consent filter agree with the rules, so this does not happen).
fn listed(who: &Authenticated, item: store::ListedReferral, on: NaiveDate) -> Option<Visible> {
    let access = referral_access(&who.principal, &item.facts());
    if !access.may_read() {
        return None;
    }
    let categories = if access.limited_to_consented_categories() {
        recipient_view(
            &item.referral.data.shared_categories,
            &item.consents,
            item.referral.data.recipient_organisation_id,
            on,
        )?
    } else {
        DataCategory::ALL.to_vec()
    };
    let case_content = categories
        .contains(&DataCategory::CaseContent)
        .then_some(CaseContent {
            target_group: item.case.target_group,
            legal_domains: item.case.legal_domains,
            topics: item.case.topics,
        });
    Some(shown(
        item.referral,
        item.client,
        access,
        categories,
        case_content,
    ))
}

/// The referral shaped for the caller: the client's fields of the visible categories only,
/// the case side's fields only on the case side, the moves of the caller's side.
fn shown(
    referral: store::Referral,
    client: clients::Client,
    access: ReferralAccess,
    categories: Vec<DataCategory>,
    case_content: Option<CaseContent>,
) -> Visible {
    let sees = |c: DataCategory| categories.contains(&c);
    let case_side = !access.limited_to_consented_categories();
    let allowed_transitions = match access.acting_side() {
        Some(side) => referral
            .status
            .allowed_next()
            .iter()
            .copied()
            .filter(|s| s.entered_by() == Some(side))
            .collect(),
        None => Vec::new(),
    };
    let client_reference = client.reference.clone();
    let client_id = client.id;
    Visible {
        referral: Referral {
            id: referral.id,
            case_id: case_side.then_some(referral.case_id),
            recipient_organisation_id: referral.data.recipient_organisation_id,
            offer: referral.data.offer,
            purpose: referral.data.purpose,
            message: referral.data.message,
            shared_categories: referral.data.shared_categories,
            client: ReferredClient {
                reference: client.reference,
                given_name: client.data.given_name,
                family_name: client.data.family_name,
                birth_year: client.data.birth_year,
                languages: sees(DataCategory::Contact).then_some(client.data.languages),
                residence_status: client
                    .data
                    .residence_status
                    .filter(|_| sees(DataCategory::ResidenceStatus)),
            },
            case_content,
            visible_categories: categories,
            due_on: referral.data.due_on,
            status: referral.status,
            status_reason: referral.status_reason,
            allowed_transitions,
            consent_ids: case_side.then_some(referral.consent_ids),
            sent_at: referral.sent_at,
            version: referral.version,
            created_at: referral.created_at,
            updated_at: referral.updated_at,
        },
        client_reference,
        client_id,
        access,
    }
}

fn remembered(status: StatusCode, fingerprint: String, referral: &Referral) -> RememberedResponse {
    RememberedResponse {
        fingerprint,
        status_code: status.as_u16(),
        resource_id: referral.id,
    }
}

/// A replay of a referral POST: the referral read again, as the caller may see it now (404 if
/// no longer), with a `referral.read` audit event.
fn replayed_referral(
    conn: &mut DbConn,
    who: &Authenticated,
    first: &RememberedResponse,
) -> Result<Answer<Referral>, ApiError> {
    let shown = read_visible(conn, who, first.resource_id)?;
    Ok(Answer {
        status: StatusCode::from_u16(first.status_code).unwrap_or(StatusCode::OK),
        version: shown.referral.version,
        body: shown.referral,
        replayed: true,
    })
}

/// One page of referrals as the caller sees them: one store read for the page and its exact
/// total ([`store::visible_page`]), shaped by the same rules as a single read.
fn page_of(
    conn: &mut DbConn,
    who: &Authenticated,
    scope: ReferralScope,
    filter: &ReferralFilter,
    page: kim_domain::paging::PageRequest,
) -> Result<(Vec<Visible>, i64), ApiError> {
    let on = today();
    let page = store::visible_page(conn, scope, filter, on, page)?;
    let shown = page
        .items
        .into_iter()
        .filter_map(|item| listed(who, item, on))
        .collect();
    Ok((shown, page.total))
}

/// One `referral.list` event per client shown, in the order of their references (one without
/// a client, or naming `empty_page_client`, when the page is empty), so "who saw this
/// person's data" finds list reads too.
fn audit_list(trail: &mut Trail, shown: &[Visible], empty_page_client: Option<i64>) {
    let mut clients: Vec<(&str, i64)> = shown
        .iter()
        .map(|v| (v.client_reference.as_str(), v.client_id))
        .collect();
    clients.sort_unstable();
    clients.dedup();
    if clients.is_empty() {
        trail.record(
            AuditObject::Referral,
            AuditVerb::List,
            None,
            empty_page_client,
        );
    }
    for (_, client_id) in clients {
        trail.record(
            AuditObject::Referral,
            AuditVerb::List,
            None,
            Some(client_id),
        );
    }
}

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
            Ok::<_, ApiError>(ReferralPage {
                items: shown.into_iter().map(|v| v.referral).collect(),
                total,
                limit: page.limit,
                offset: page.offset,
                next: page.next_offset(total),
            })
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
                Ok::<_, ApiError>(ReferralPage {
                    items: shown.into_iter().map(|v| v.referral).collect(),
                    total,
                    limit: page.limit,
                    offset: page.offset,
                    next: page.next_offset(total),
                })
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
    #[validate(length(max = 500, message = "must be at most 500 characters"))]
    #[schema(max_length = 500)]
    pub offer: Option<String>,
    /// What the referral is for.
    #[validate(
        length(max = 500, message = "must be at most 500 characters"),
        custom(function = "not_blank")
    )]
    #[schema(pattern = "\\S", min_length = 1, max_length = 500)]
    pub purpose: String,
    /// The message to the recipient.
    #[validate(length(max = 4000, message = "must be at most 4000 characters"))]
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

/// A move of a referral to another status.
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"to": "declined", "reason": "Keine freien Plätze bis März"}))]
pub struct ReferralTransitionInput {
    pub to: ReferralStatus,
    /// Required to decline; an optional note otherwise.
    #[validate(length(max = 1000, message = "must be at most 1000 characters"))]
    #[schema(max_length = 1000)]
    pub reason: Option<String>,
}

/// Change a referral's status
///
/// `draft → sent → accepted | declined`, `accepted → completed`, `sent → withdrawn`. The case
/// side sends and withdraws; the recipient's partner system (`referrals:write`) accepts,
/// declines (with a `reason`) and completes. The other side's move is 403; a move the state
/// machine does not allow is 409 naming the allowed ones; a decline without reason is 422.
/// Sending transfers data: without a valid consent of the client covering the recipient, the
/// purpose `referral` and every shared category it is 409 with problem type
/// `https://kim-api.example/problems/consent-missing` and `missing_categories`. Requires
/// `If-Match`; honours `Idempotency-Key` (a retry within `KIM_IDEMPOTENCY_TTL_HOURS` answers
/// like the first, with the referral as it is now and `Idempotent-Replayed: true`, and changes
/// nothing; the same key with another request is 422; an older key runs afresh).
/// Leaves a `referral.transition` audit event, and `referral.transfer` when sent.
///
/// **Who may call:** `case_manager` of the case (or deputy) for `sent` and `withdrawn`; partner
/// tokens with `referrals:write` of the recipient organisation for `accepted`, `declined` and
/// `completed`. Callers who may only read get 403; anyone else 404.
#[utoipa::path(tag = "Referrals", request_body = ReferralTransitionInput,
    params(("id" = i64, Path, description = "Referral id"),
        ("If-Match" = String, Header, description = "ETag of the version you saw"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response instead of moving again")),
    responses(
    (status = 200, description = "The referral in its new status", body = Referral, headers(("ETag" = String))),
    (status = 409, description = "Illegal move (`conflict`), or sending without covering consent (`consent-missing`, with `missing_categories`)", body = crate::error::Problem, content_type = "application/problem+json",
        example = json!({"type": "https://kim-api.example/problems/consent-missing", "title": "Consent missing",
            "status": 409, "detail": "no valid consent of the client releases residence_status to this organisation for this purpose",
            "missing_categories": ["residence_status"]})),
    (status = 400, response = err::BadRequest),
    (status = 401, response = err::Unauthorized),
    (status = 403, response = err::Forbidden),
    (status = 404, response = err::NotFound),
    (status = 412, response = err::PreconditionFailed),
    (status = 413, response = err::PayloadTooLarge),
    (status = 415, response = err::UnsupportedMediaType),
    (status = 422, response = err::Unprocessable),
    (status = 428, response = err::PreconditionRequired),
    (status = 503, response = err::Unavailable),
), security(("bearer" = [])))]
#[post("/referrals/{id}/transitions")]
pub async fn transition_referral(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    if_match: IfMatch,
    idempotency: IdempotencyKey,
    body: Json<ReferralTransitionInput>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let input = body.into_inner();
    let answer = state
        .db
        .write_with(caller, move |conn, who| {
            let current = store::find(conn, id)?;
            let shown = visible(conn, who, current.clone())?;
            let Some(side) = shown.access.acting_side() else {
                return Err(ApiError::Forbidden(
                    "you may read this referral but not change it".into(),
                ));
            };
            let expected = if_match.version()?;
            let fingerprint = idempotency.fingerprint(Some(expected), &input);
            if let Some(first) = idempotency.replay(conn, who, &fingerprint)? {
                return replayed_referral(conn, who, &first);
            }
            // The condition of the change before the change itself (as for gap steps): of
            // concurrent moves with one If-Match the losers get 412 whether they read the
            // referral before or after the winner committed, not 412 or 409 by timing.
            expect_version(current.version, expected)?;
            input.validate()?;
            let consents = consents::rules_of_client(conn, current.data.client_id)?;
            let change = check_referral_transition(
                &ReferralMove {
                    actor: side,
                    from: current.status,
                    to: input.to,
                    reason: input.reason.as_deref(),
                },
                &SendingFacts {
                    recipient_organisation_id: current.data.recipient_organisation_id,
                    shared_categories: &current.data.shared_categories,
                    consents: &consents,
                    today: today(),
                },
            )?;
            let moved = store::transition(conn, &who.actor(), id, expected, &change)?;
            let reference = shown.client_reference;
            audit(
                conn,
                who,
                AuditObject::Referral,
                AuditVerb::Transition,
                Some(id),
                Some(&reference),
            )?;
            if change.to == ReferralStatus::Sent && side == ReferralSide::Case {
                audit(
                    conn,
                    who,
                    AuditObject::Referral,
                    AuditVerb::Transfer,
                    Some(id),
                    Some(&reference),
                )?;
            }
            let shown = visible(conn, who, moved)?;
            let response = remembered(StatusCode::OK, fingerprint, &shown.referral);
            idempotency.remember(conn, who, &response)?;
            Ok(Answer {
                status: StatusCode::OK,
                version: shown.referral.version,
                body: shown.referral,
                replayed: false,
            })
        })
        .await?;
    respond(&answer, None)
}

/// Referral history
///
/// Every status change of the referral, oldest first, dated, with the side that made it.
/// Partner systems see who acted only by side. Leaves a `referral.read` audit event.
///
/// **Who may call:** as for reading the referral.
#[utoipa::path(tag = "Referrals", params(("id" = i64, Path, description = "Referral id")), responses(
    (status = 200, description = "The history, oldest first", body = Vec<ReferralEvent>),
    sets::ReadErrors,
), security(("bearer" = [])))]
#[get("/referrals/{id}/history")]
pub async fn referral_history(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<web::Json<Vec<ReferralEvent>>, ApiError> {
    let id = id.into_inner();
    let events = state
        .db
        .write_with_denied(caller, (AuditObject::Referral, id), move |conn, who| {
            let shown = read_visible(conn, who, id)?;
            let case_side = !shown.access.limited_to_consented_categories();
            let events = store::history(conn, id)?
                .into_iter()
                .map(|e| ReferralEvent {
                    from_status: e.from_status,
                    to_status: e.to_status,
                    reason: e.reason,
                    actor_kind: e.actor_kind,
                    actor_id: e.actor_id.filter(|_| case_side),
                    occurred_at: e.occurred_at,
                })
                .collect::<Vec<_>>();
            Ok::<_, ApiError>(events)
        })
        .await?;
    Ok(web::Json(events))
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
