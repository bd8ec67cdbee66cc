//! Residence-law requests (aufenthaltsrechtliche Anfragen) to module 3: a case manager asks the
//! immigration or naturalisation office about a client; its immigration officers answer; the
//! case side closes or withdraws. The office sees only the client fields the client's consents
//! release to it; once they no longer release every shared category (a revocation), it keeps
//! the request's status but no longer its question, answer or note
//! ([`kim_domain::residence_request::office_view`]).

use crate::http::body::Json;
use crate::routes::RouteTable;
use actix_web::{get, post, web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use kim_domain::access::{request_access, request_scope, RequestAccess, RequestScope};
use kim_domain::audit::{AuditObject, AuditVerb};
use kim_domain::client::ResidenceStatus;
use kim_domain::consent::DataCategory;
use kim_domain::residence_request::{
    check_asking, check_question, check_request_transition, office_view, shared_categories,
    RequestMove, RequestSide, ResidenceRequestStatus,
};
use kim_store::error::expect_version;
use kim_store::residence_requests::{self as store, NewRequest};
use kim_store::DbConn;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::auth::{Authenticated, Caller};
use crate::case_access::{audit, audit_client};
use crate::case_access::{require_case_role, writable_case_ref};
use crate::error::error_sets as sets;
use crate::error::responses as err;
use crate::http::paging::PageParams;
use crate::http::precondition::{created_versioned, ok_versioned, IfMatch};
use crate::server::AppState;
use crate::{page_type, ApiError};

pub fn configure(cfg: &mut impl RouteTable) {
    cfg.service(create_request)
        .service(list_requests)
        .service(get_request)
        .service(transition_request);
}

/// The client as the caller may see them: the case side sees every field; the office only those
/// of the categories it may see (identity: reference, names, year of birth; residence status).
#[derive(Debug, Serialize, ToSchema)]
pub struct RequestClient {
    pub id: Option<i64>,
    pub reference: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub birth_year: Option<i32>,
    pub residence_status: Option<ResidenceStatus>,
}

/// Aufenthaltsrechtliche Anfrage (residence-law request to the immigration or naturalisation
/// office).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 9, "case_id": 12, "office_organisation_id": 31,
    "question": "Does § 25b AufenthG apply after eight years of toleration?",
    "shared_categories": ["identity", "residence_status"], "visible_categories": ["identity", "residence_status"],
    "client": {"id": 40, "reference": "K-2026-00040", "given_name": "Amina", "family_name": null, "birth_year": 1990, "residence_status": "tolerated"},
    "status": "answered", "allowed_transitions": ["closed"], "answer": "Yes, if ...", "answered_at": "2026-11-24T10:00:00Z",
    "note": null, "content_withheld": false, "version": 2, "created_at": "2026-11-20T09:00:00Z", "updated_at": "2026-11-24T10:00:00Z"
}))]
pub struct ResidenceRequest {
    pub id: i64,
    /// Shown to the case side only.
    pub case_id: Option<i64>,
    pub office_organisation_id: i64,
    /// Absent for the office once the client's consents no longer release every shared
    /// category to it (revoked or run out): see `content_withheld`.
    pub question: Option<String>,
    /// What the case manager shared (identity always among them).
    pub shared_categories: Vec<DataCategory>,
    /// What the caller sees of the client today: everything shared for the case side; for the
    /// office, the shared categories the client's valid consents still release to it.
    pub visible_categories: Vec<DataCategory>,
    pub client: RequestClient,
    pub status: ResidenceRequestStatus,
    /// The moves the caller's side may make now.
    pub allowed_transitions: Vec<ResidenceRequestStatus>,
    /// Absent for the office once its view is withheld, like the question.
    pub answer: Option<String>,
    pub answered_at: Option<DateTime<Utc>>,
    /// The case side's note when closing or withdrawing; absent for the office once its view
    /// is withheld.
    pub note: Option<String>,
    /// `true` for the office once the client's consents no longer release every shared
    /// category to it: it keeps the status, dates and version of the request, but not the
    /// question, the answer, the note or the client fields no longer released.
    pub content_withheld: bool,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

page_type!(ResidenceRequestPage, ResidenceRequest);

/// The office of the caller: their user account's organisation.
fn caller_office(conn: &mut DbConn, who: &Authenticated) -> Result<Option<i64>, ApiError> {
    match who.user_id() {
        Some(user_id) => Ok(kim_store::users::find(conn, user_id)?.organisation_id),
        None => Ok(None),
    }
}

/// Shapes a request for the caller, reading the client and (for the office) the consents.
fn shape(
    conn: &mut DbConn,
    access: RequestAccess,
    request: store::ResidenceRequest,
    today: NaiveDate,
) -> Result<ResidenceRequest, ApiError> {
    let client = kim_store::clients::find(conn, request.client_id)?;
    let (visible, content) = if access.limited_to_consented_categories() {
        let consents = store::consents_of(conn, request.client_id)?;
        let view = office_view(
            &request.shared_categories,
            &consents,
            request.office_organisation_id,
            today,
        );
        (view.categories, view.content)
    } else {
        (request.shared_categories.clone(), true)
    };
    let case_side = !access.limited_to_consented_categories();
    let identity = case_side || visible.contains(&DataCategory::Identity);
    let residence = case_side || visible.contains(&DataCategory::ResidenceStatus);
    let side = access.acting_side();
    Ok(ResidenceRequest {
        id: request.id,
        case_id: Some(request.case_id).filter(|_| case_side),
        office_organisation_id: request.office_organisation_id,
        question: Some(request.question).filter(|_| content),
        shared_categories: request.shared_categories,
        visible_categories: visible,
        client: RequestClient {
            id: Some(client.id).filter(|_| identity),
            reference: Some(client.reference).filter(|_| identity),
            given_name: client.data.given_name.filter(|_| identity),
            family_name: client.data.family_name.filter(|_| identity),
            birth_year: client.data.birth_year.filter(|_| identity),
            residence_status: client.data.residence_status.filter(|_| residence),
        },
        allowed_transitions: request
            .status
            .allowed_next()
            .iter()
            .copied()
            .filter(|to| side.is_some() && to.entered_by() == side)
            .collect(),
        status: request.status,
        answer: request.answer.filter(|_| content),
        answered_at: request.answered_at,
        note: request.note.filter(|_| content),
        content_withheld: !content,
        version: request.version,
        created_at: request.created_at,
        updated_at: request.updated_at,
    })
}

/// A question to the office.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"client_id": 40, "office_organisation_id": 31,
    "question": "Does § 25b AufenthG apply after eight years of toleration?", "shared_categories": ["residence_status"]}))]
pub struct RequestInput {
    /// A client of the case.
    pub client_id: i64,
    /// The immigration or naturalisation office (an organisation).
    pub office_organisation_id: i64,
    /// 1 to 2000 characters.
    #[validate(length(max = 2000))]
    #[schema(min_length = 1, max_length = 2000)]
    pub question: String,
    /// The categories shared with the office; `identity` is always added.
    #[serde(default)]
    pub shared_categories: Vec<DataCategory>,
}

/// Ask the office a residence-law question
///
/// Shares the client's data of the chosen categories (plus identity) with the office, so the
/// client's consents must cover every shared category for that office and the purpose
/// `residence_law_request` today; otherwise 409 with problem type `consent-missing` naming the
/// `missing_categories`. The request starts `open`. Recorded as a transfer in the audit trail.
///
/// **Who may call:** `case_manager` of the case (assigned or deputy). Other roles 403; a case the
/// caller may not see 404.
#[utoipa::path(tag = "Residence-law requests", params(("id" = i64, Path, description = "Case id")), request_body = RequestInput, responses(
    (status = 201, description = "Asked", body = ResidenceRequest, headers(("ETag" = String), ("Location" = String))),
    (status = 404, response = err::NotFound),
    sets::CreateErrors,
), security(("bearer" = [])))]
#[post("/cases/{id}/residence-requests")]
pub async fn create_request(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: Json<RequestInput>,
) -> Result<HttpResponse, ApiError> {
    let case_id = id.into_inner();
    let input = body.into_inner();
    let today = Utc::now().date_naive();
    let outcome = state
        .db
        .write_with(caller, move |conn, who| {
            require_case_role(who)?;
            writable_case_ref(conn, who, case_id)?;
            input.validate()?;
            let question = check_question(Some(&input.question)).map_err(ApiError::from)?;
            store::check_references(conn, case_id, input.client_id, input.office_organisation_id)?;
            let shared = shared_categories(&input.shared_categories);
            let consents = store::consents_of(conn, input.client_id)?;
            if let Err(missing) =
                check_asking(&consents, input.office_organisation_id, &shared, today)
            {
                return Ok(Err(missing));
            }
            let request = store::insert(
                conn,
                &who.actor(),
                &NewRequest {
                    case_id,
                    client_id: input.client_id,
                    office_organisation_id: input.office_organisation_id,
                    question,
                    shared_categories: shared,
                },
            )?;
            let reference = store::client_reference(conn, request.client_id)?;
            audit(
                conn,
                who,
                AuditObject::ResidenceRequest,
                AuditVerb::Transfer,
                Some(request.id),
                Some(&reference),
            )?;
            let access = request_access(&who.principal, None, &request.facts());
            shape(conn, access, request, today).map(Ok)
        })
        .await?;
    match outcome {
        Ok(request) => {
            let (id, version) = (request.id, request.version);
            Ok(created_versioned(
                &request,
                version,
                format!("/api/v1/residence-requests/{id}"),
            ))
        }
        Err(missing) => Ok(actix_web::ResponseError::error_response(&ApiError::from(
            missing,
        ))),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RequestQuery {
    pub status: Option<ResidenceRequestStatus>,
}

/// List residence-law requests
///
/// Newest first. A case manager sees the requests of the cases they work, `cm_coordinator` all,
/// an immigration officer those addressed to their office (their account's organisation), with
/// only the consented client fields, and so does the office's own system (a partner token of
/// the office's organisation with `residence_requests:read`). Writes one audit event.
///
/// **Who may call:** `case_manager`, `cm_coordinator`, `immigration_officer`; partner tokens
/// with `residence_requests:read`. Other roles and tokens 403.
#[utoipa::path(tag = "Residence-law requests", params(PageParams, RequestQuery), responses(
    (status = 200, description = "One page of requests", body = ResidenceRequestPage),
    sets::ListErrors,
), security(("bearer" = [])))]
#[get("/residence-requests")]
pub async fn list_requests(
    caller: Caller,
    state: web::Data<AppState>,
    paging: web::Query<PageParams>,
    query: web::Query<RequestQuery>,
) -> Result<web::Json<ResidenceRequestPage>, ApiError> {
    let page = paging.page()?;
    let status = query.into_inner().status;
    let today = Utc::now().date_naive();
    state
        .db
        .write_with(caller, move |conn, who| {
            let office = caller_office(conn, who)?;
            let scope = request_scope(&who.principal, office);
            if scope == RequestScope::Nothing {
                return Err(ApiError::Forbidden(
                    "your role does not see residence-law requests".into(),
                ));
            }
            let listed = store::list(conn, scope, status, page)?;
            let mut items = Vec::with_capacity(listed.items.len());
            for request in listed.items {
                // One event per request shown, naming the person it concerns.
                audit_client(
                    conn,
                    who,
                    AuditObject::ResidenceRequest,
                    AuditVerb::List,
                    Some(request.id),
                    Some(request.client_id),
                )?;
                let access = request_access(&who.principal, office, &request.facts());
                items.push(shape(conn, access, request, today)?);
            }
            Ok(ResidenceRequestPage::of(items, listed.total, page))
        })
        .await
        .map(web::Json)
}

/// The request and the caller's access to it; 404 when they may not see it.
fn request_for(
    conn: &mut DbConn,
    who: &Authenticated,
    id: i64,
) -> Result<(store::ResidenceRequest, RequestAccess), ApiError> {
    let request = store::find(conn, id)?;
    let office = caller_office(conn, who)?;
    let access = request_access(&who.principal, office, &request.facts());
    if !access.may_read() {
        return Err(ApiError::NotFound);
    }
    Ok((request, access))
}

/// Get a residence-law request
///
/// The office sees only the client fields of the shared categories the client's consents still
/// release to it (a revoked consent hides them at once); once they no longer release every
/// shared category, it sees the status but not the question, answer or note
/// (`content_withheld: true`).
///
/// **Who may call:** `case_manager` of the case, `cm_coordinator`, `immigration_officer` of the
/// addressed office, a partner token of the addressed office with `residence_requests:read`
/// (reads only). Anyone else 404.
#[utoipa::path(tag = "Residence-law requests", params(("id" = i64, Path, description = "Request id")), responses(
    (status = 200, description = "The request", body = ResidenceRequest, headers(("ETag" = String))),
    sets::ReadErrors,
), security(("bearer" = [])))]
#[get("/residence-requests/{id}")]
pub async fn get_request(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let today = Utc::now().date_naive();
    let request = state
        .db
        .write_with_denied(
            caller,
            (AuditObject::ResidenceRequest, id),
            move |conn, who| {
                let (request, access) = request_for(conn, who, id)?;
                let reference = store::client_reference(conn, request.client_id)?;
                audit(
                    conn,
                    who,
                    AuditObject::ResidenceRequest,
                    AuditVerb::Read,
                    Some(id),
                    Some(&reference),
                )?;
                shape(conn, access, request, today)
            },
        )
        .await?;
    let version = request.version;
    Ok(ok_versioned(&request, version))
}

/// A move of a request.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"to": "answered", "text": "Yes: § 25b AufenthG applies if ..."}))]
pub struct RequestTransitionInput {
    pub to: ResidenceRequestStatus,
    /// The answer (required to answer), or a note when closing or withdrawing; at most 2000
    /// characters.
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    pub text: Option<String>,
}

/// Answer, close or withdraw a residence-law request
///
/// `open → answered` (the office, with an answer text), `answered → closed` and
/// `open → withdrawn` (the case side, with an optional note). A move of the other side 403; an
/// illegal move 409 naming the allowed ones. Requires `If-Match`.
///
/// **Who may call:** `immigration_officer` of the addressed office (answer); `case_manager` of
/// the case (close, withdraw). `cm_coordinator` reads only (403). Anyone else 404.
#[utoipa::path(tag = "Residence-law requests", request_body = RequestTransitionInput,
    params(("id" = i64, Path, description = "Request id"), ("If-Match" = String, Header, description = "ETag of the version you saw")),
    responses(
    (status = 200, description = "The request in its new status", body = ResidenceRequest, headers(("ETag" = String))),
    sets::ReplaceErrors,
), security(("bearer" = [])))]
#[post("/residence-requests/{id}/transitions")]
pub async fn transition_request(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: Json<RequestTransitionInput>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let input = body.into_inner();
    let today = Utc::now().date_naive();
    let moved = state
        .db
        .write_with(caller, move |conn, who| {
            let (request, access) = request_for(conn, who, id)?;
            let side: RequestSide = access.acting_side().ok_or_else(|| {
                ApiError::Forbidden("you may read this request but not move it".into())
            })?;
            let expected = if_match.version()?;
            input.validate()?;
            expect_version(request.version, expected)?;
            let change = check_request_transition(&RequestMove {
                actor: side,
                from: request.status,
                to: input.to,
                text: input.text.as_deref(),
            })?;
            let moved = store::transition(conn, &who.actor(), id, expected, &change)?;
            let reference = store::client_reference(conn, moved.client_id)?;
            audit(
                conn,
                who,
                AuditObject::ResidenceRequest,
                AuditVerb::Transition,
                Some(id),
                Some(&reference),
            )?;
            shape(conn, access, moved, today)
        })
        .await?;
    let version = moved.version;
    Ok(ok_versioned(&moved, version))
}
