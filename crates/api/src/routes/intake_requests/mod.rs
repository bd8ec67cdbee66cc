//! Intake requests (Zuweisungen, issue 15 item 1): a partner organisation's system (scope
//! `intake:write`), or staff who took the referral on the phone, refers a person into case
//! management; the CM coordination accepts the request, which opens a case through the same
//! path as `POST /cases`, or declines it with a reason the referrer reads.
//!
//! Decisions where the issue was silent:
//! - The referrer (a partner token of the organisation, or the user who entered the request)
//!   reads its requests as the *submitter's view*: status, its own reference, dates and a
//!   decline's reason. Neither the person's data it sent nor the case, client or case manager
//!   behind an accepted request are shown back: the issue says the partner reads the status,
//!   and learns about the case only through a consent that releases it (a referral).
//! - Accepting opens a case, which needs what the case rules need: besides the case manager
//!   the coordinator states the target group, other case management (and, outside the intake
//!   rule, a justification), as in `POST /cases`. The municipality and topics come from the
//!   request, the intake channel is `referred_by_organisation` and the referring organisation
//!   the request's.
//! - `Idempotency-Key` on submission works exactly as on `POST /cases/{id}/referrals`
//!   (`crate::http::idempotency::IdempotencyKey`).
//! - Reads and lists are audited (`intake_request.read`, one `intake_request.list` per request
//!   shown) naming the client once the request is linked to one.

use actix_web::{get, post, web, HttpResponse};
use chrono::{Datelike, NaiveDate, Utc};
use kim_domain::audit::{AuditObject, AuditVerb};
use kim_domain::case::Topic;
use kim_domain::client::{check_year_of_birth, ResidenceStatus};
use kim_domain::intake_request::{
    check_consent_statement, intake_access, intake_scope, may_decide, may_submit,
    referring_organisation, IntakeAccess, IntakeRequestStatus, IntakeScope,
};
use kim_domain::offer::{parse_languages, LanguageCode};
use kim_domain::Principal;
use kim_store::intake_requests::{self as store, IntakeData};
use kim_store::referrals::RememberedResponse;
use kim_store::DbConn;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::not_blank;
use crate::auth::{Authenticated, Caller};
use crate::case_access::audit_client;
use crate::error::error_sets as sets;
use crate::error::{invalid_fields, FieldError};
use crate::http::body::Json;
use crate::http::idempotency::{respond, Answer, IdempotencyKey};
use crate::http::paging::{parse_sort, PageParams};
use crate::http::precondition::ok_versioned;
use crate::routes::RouteTable;
use crate::server::AppState;
use crate::views::intake_request::IntakeRequest;
use crate::{page_type, ApiError};

mod decisions;

pub use decisions::{accept_intake_request, decline_intake_request, AcceptInput, DeclineInput};

pub fn configure(cfg: &mut impl RouteTable) {
    cfg.service(list_intake_requests)
        .service(submit_intake_request)
        .service(get_intake_request)
        .service(accept_intake_request)
        .service(decline_intake_request);
}

page_type!(IntakeRequestPage, IntakeRequest);

/// `true`, as the document states it: the referrer confirms the consent.
pub struct ConsentGiven;

impl utoipa::PartialSchema for ConsentGiven {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::Boolean)
            .enum_values(Some([true]))
            .description(Some(
                "Must be `true`: the person consented to the transfer of their data to KIM case management",
            ))
            .into()
    }
}

impl utoipa::ToSchema for ConsentGiven {}

/// Einwilligung in die Übermittlung (the referrer's statement that the person consented to the
/// transfer of their data to KIM case management).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentStatement {
    #[schema(value_type = ConsentGiven)]
    pub given: bool,
    /// The day the person consented; not after today.
    pub given_on: NaiveDate,
}

/// A person referred into case management.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"partner_reference": "JC-2026-0815", "referring_organisation_id": 10,
    "given_name": "Amina", "family_name": "Khalil", "birth_year": 1990, "municipality_id": 17,
    "languages": ["ar", "de"], "residence_status": "recognised_refugee",
    "reason": "Sucht Unterstützung bei Arbeit und Sprache", "topics": ["language", "work"],
    "consent_to_transfer": {"given": true, "given_on": "2026-11-20"}}))]
pub struct IntakeRequestInput {
    /// The referrer's own reference (Aktenzeichen); one request per reference and organisation.
    #[validate(length(max = 100), custom(function = "not_blank"))]
    #[schema(pattern = "\\S", min_length = 1, max_length = 100)]
    pub partner_reference: String,
    /// The organisation referring the person. A partner system's is its token's: leave it out
    /// or give that one. Staff entering a request must name it.
    pub referring_organisation_id: Option<i64>,
    #[validate(length(max = 100), custom(function = "not_blank"))]
    #[schema(pattern = "\\S", min_length = 1, max_length = 100)]
    pub given_name: String,
    #[validate(length(max = 100), custom(function = "not_blank"))]
    #[schema(pattern = "\\S", min_length = 1, max_length = 100)]
    pub family_name: String,
    /// 1900 to this year.
    #[schema(minimum = 1900)]
    pub birth_year: Option<i32>,
    /// Wohnort (municipality of residence).
    pub municipality_id: i64,
    /// Languages to reach the person in, as ISO 639-1 codes.
    #[serde(default)]
    #[validate(length(max = 10, message = "at most 10 languages"))]
    #[schema(value_type = Vec<LanguageCode>, max_items = 10)]
    pub languages: Vec<String>,
    /// As far as known.
    pub residence_status: Option<ResidenceStatus>,
    /// Why the person is referred.
    #[validate(length(max = 4000), custom(function = "not_blank"))]
    #[schema(pattern = "\\S", min_length = 1, max_length = 4000)]
    pub reason: String,
    #[serde(default)]
    pub topics: Vec<Topic>,
    pub consent_to_transfer: ConsentStatement,
}

impl IntakeRequestInput {
    /// Every check that needs no database, all errors at once; then the data to store.
    fn into_data(self, principal: &Principal, today: NaiveDate) -> Result<IntakeData, ApiError> {
        let mut errors: Vec<FieldError> = invalid_fields(&self);
        if let Some(year) = self.birth_year {
            if let Err(e) = check_year_of_birth(year, today.year()) {
                // The domain names it year_of_birth; its kind (a future year is a rule) stays.
                errors.push(FieldError {
                    field: "birth_year".into(),
                    message: e.message,
                    kind: e.kind.into(),
                });
            }
        }
        let languages = match parse_languages(&self.languages) {
            Ok(codes) => codes.iter().map(|c| c.as_str().to_owned()).collect(),
            Err(e) => {
                errors.push(e.into());
                Vec::new()
            }
        };
        if let Err(e) = check_consent_statement(
            self.consent_to_transfer.given,
            self.consent_to_transfer.given_on,
            today,
        ) {
            errors.push(e.into());
        }
        let organisation = match referring_organisation(principal, self.referring_organisation_id) {
            Ok(id) => Some(id),
            Err(e) => {
                errors.push(e.into());
                None
            }
        };
        match organisation {
            Some(referring_organisation_id) if errors.is_empty() => Ok(IntakeData {
                referring_organisation_id,
                partner_reference: kim_domain::text::trim(&self.partner_reference).to_owned(),
                given_name: kim_domain::text::trim(&self.given_name).to_owned(),
                family_name: kim_domain::text::trim(&self.family_name).to_owned(),
                birth_year: self.birth_year,
                municipality_id: self.municipality_id,
                languages,
                residence_status: self.residence_status,
                reason: kim_domain::text::trim(&self.reason).to_owned(),
                topics: self.topics,
                consent_given_on: self.consent_to_transfer.given_on,
            }),
            _ => {
                errors.sort_by(|a, b| a.field.cmp(&b.field));
                Err(ApiError::Validation(errors))
            }
        }
    }
}

/// The request `id` as the caller may see it, with the access that decided it (404 if none).
fn visible(
    conn: &mut DbConn,
    who: &Authenticated,
    id: i64,
) -> Result<(store::IntakeRequest, IntakeAccess), ApiError> {
    if !may_submit(&who.principal) && !may_decide(&who.principal) {
        return Err(ApiError::Forbidden(
            "your role or token scopes do not include intake requests".into(),
        ));
    }
    let request = store::find(conn, id)?;
    match intake_access(&who.principal, &request.facts()) {
        IntakeAccess::None => Err(ApiError::NotFound),
        access => Ok((request, access)),
    }
}

fn audit(
    conn: &mut DbConn,
    who: &Authenticated,
    verb: AuditVerb,
    request: &store::IntakeRequest,
) -> Result<(), ApiError> {
    audit_client(
        conn,
        who,
        AuditObject::IntakeRequest,
        verb,
        Some(request.id),
        request.client_id,
    )
}

/// A replayed submission: the request read again, as the caller may see it now.
fn replayed(
    conn: &mut DbConn,
    who: &Authenticated,
    first: &RememberedResponse,
) -> Result<Answer<IntakeRequest>, ApiError> {
    let (request, access) = visible(conn, who, first.resource_id)?;
    audit(conn, who, AuditVerb::Read, &request)?;
    Ok(Answer {
        status: actix_web::http::StatusCode::from_u16(first.status_code)
            .unwrap_or(actix_web::http::StatusCode::CREATED),
        version: request.version,
        body: IntakeRequest::shown(request, access),
        replayed: true,
    })
}

/// Refer a person into case management
///
/// Records an intake request (Zuweisung) in status `submitted` for the CM coordination to
/// decide; it appears on its work list (`GET /me/tasks`, kind `intake_request_to_decide`).
/// Besides what the document states: the consent statement's `given_on` may not be after today
/// (422 `rule`), a birth year not after this year (`rule`); a partner system refers for its
/// token's organisation (`referring_organisation_id` left out or equal to it, else `rule`),
/// staff must name the organisation (`rule`); an unknown municipality or organisation is 422
/// `reference`. A second request of the organisation with the same `partner_reference` is 409.
/// Honours `Idempotency-Key` (see `POST /referrals/{id}/transitions`): a retry answers like the
/// first, with the request as it is now and `Idempotent-Replayed: true`, and creates nothing.
/// The answer is the caller's view of the request. Leaves an `intake_request.create` audit
/// event.
///
/// **Who may call:** partner tokens with `intake:write`; `case_manager`, `cm_coordinator`.
/// Others get 403.
#[utoipa::path(tag = "Intake requests", request_body = IntakeRequestInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response instead of submitting again")),
    responses(
    (status = 201, description = "Submitted", body = IntakeRequest, headers(("ETag" = String), ("Location" = String))),
    sets::CreateErrors,
), security(("bearer" = [])))]
#[post("/intake-requests")]
pub async fn submit_intake_request(
    caller: Caller,
    state: web::Data<AppState>,
    idempotency: IdempotencyKey,
    body: Json<IntakeRequestInput>,
) -> Result<HttpResponse, ApiError> {
    let input = body.into_inner();
    let fingerprint = idempotency.fingerprint(None, &input);
    let today = Utc::now().date_naive();
    let answer = state
        .db
        .write_with(caller, move |conn, who| {
            if !may_submit(&who.principal) {
                return Err(ApiError::Forbidden(
                    "your role or token scopes do not submit intake requests".into(),
                ));
            }
            if let Some(first) = idempotency.replay(conn, who, &fingerprint)? {
                return replayed(conn, who, &first);
            }
            let data = input.into_data(&who.principal, today)?;
            let created = store::insert(conn, &who.actor(), &data)?;
            audit(conn, who, AuditVerb::Create, &created)?;
            let access = intake_access(&who.principal, &created.facts());
            idempotency.remember(
                conn,
                who,
                &RememberedResponse {
                    fingerprint,
                    status_code: 201,
                    resource_id: created.id,
                },
            )?;
            Ok(Answer {
                status: actix_web::http::StatusCode::CREATED,
                version: created.version,
                body: IntakeRequest::shown(created, access),
                replayed: false,
            })
        })
        .await?;
    let location = format!("/api/v1/intake-requests/{}", answer.body.id);
    respond(&answer, Some(location))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IntakeQuery {
    pub status: Option<IntakeRequestStatus>,
    /// Only the requests the caller submitted: for the CM coordination those it entered itself;
    /// a partner system and a case manager see only their own anyway.
    pub mine: Option<bool>,
    /// `submitted_at`, prefix `-` for descending. Default `-submitted_at` (newest first).
    #[param(pattern = "^(-?submitted_at)?$")]
    pub sort: Option<String>,
}

/// List intake requests
///
/// For the CM coordination: every request (with `mine=true` those it entered itself). For a
/// partner system: the requests of its token's organisation; for a case manager: the requests
/// they entered; both as the submitter's view (status, reference, dates, decline reason).
/// Filter by `status`; newest first unless `sort=submitted_at`. Leaves an
/// `intake_request.list` audit event per request shown.
///
/// **Who may call:** `cm_coordinator`, `case_manager`; partner tokens with `intake:write`.
/// Others get 403.
#[utoipa::path(tag = "Intake requests", params(PageParams, IntakeQuery), responses(
    (status = 200, description = "One page of intake requests", body = IntakeRequestPage),
    sets::ListErrors,
), security(("bearer" = [])))]
#[get("/intake-requests")]
pub async fn list_intake_requests(
    caller: Caller,
    state: web::Data<AppState>,
    paging: web::Query<PageParams>,
    query: web::Query<IntakeQuery>,
) -> Result<web::Json<IntakeRequestPage>, ApiError> {
    let page = paging.page()?;
    let query = query.into_inner();
    let ((), direction) = parse_sort(
        query.sort.as_deref(),
        ((), kim_store::Direction::Desc),
        &[("submitted_at", ())],
    )?;
    state
        .db
        .audited_read(caller, None, move |conn, who, trail| {
            let scope = intake_scope(&who.principal, query.mine.unwrap_or(false));
            if scope == IntakeScope::Nothing {
                return Err(ApiError::Forbidden(
                    "your role or token scopes do not include intake requests".into(),
                ));
            }
            let listed = store::list(
                conn,
                scope,
                query.status,
                direction == kim_store::Direction::Desc,
                page,
            )?;
            let items: Vec<IntakeRequest> = listed
                .items
                .into_iter()
                .map(|request| {
                    trail.record(
                        AuditObject::IntakeRequest,
                        AuditVerb::List,
                        Some(request.id),
                        request.client_id,
                    );
                    let access = intake_access(&who.principal, &request.facts());
                    IntakeRequest::shown(request, access)
                })
                .collect();
            Ok::<_, ApiError>(IntakeRequestPage::of(items, listed.total, page))
        })
        .await
        .map(web::Json)
}

/// Get an intake request
///
/// The request as the caller may see it: the CM coordination sees everything; the referrer
/// (a partner token of the organisation, or the user who entered it) the submitter's view
/// (status, reference, dates, decline reason), never the case, the client or the case manager
/// behind an accepted request. Another organisation's request is 404. Leaves an
/// `intake_request.read` audit event.
///
/// **Who may call:** `cm_coordinator`; the referrer (partner tokens with `intake:write` of the
/// organisation, the `case_manager` who entered it). Others get 403 or 404.
#[utoipa::path(tag = "Intake requests", params(("id" = i64, Path, description = "Intake request id")), responses(
    (status = 200, description = "The intake request", body = IntakeRequest, headers(("ETag" = String))),
    sets::ReadErrors,
), security(("bearer" = [])))]
#[get("/intake-requests/{id}")]
pub async fn get_intake_request(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let shown = state
        .db
        .write_with_denied(
            caller,
            (AuditObject::IntakeRequest, id),
            move |conn, who| {
                let (request, access) = visible(conn, who, id)?;
                audit(conn, who, AuditVerb::Read, &request)?;
                Ok::<_, ApiError>(IntakeRequest::shown(request, access))
            },
        )
        .await?;
    let version = shown.version;
    Ok(ok_versioned(&shown, version))
}
