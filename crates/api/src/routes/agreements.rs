//! Cooperation agreements (Kooperationsvereinbarungen) between the county (KI) and a partner
//! organisation or municipality, their status transitions and history.

use crate::http::body::Json;
use crate::routes::RouteTable;
use actix_web::{get, post, put, web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use kim_domain::agreement::{expiry_window, AgreementStatus};
use kim_domain::staffing::Module;
use kim_domain::Action;
use kim_store::agreements::{
    self as store, AgreementData, AgreementFilter, AgreementSort, TransitionRequest,
};
use kim_store::{clock, Direction};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::{not_blank, trimmed};
use crate::auth::Caller;
use crate::error::error_sets as sets;
use crate::http::paging::{parse_sort, PageParams};
use crate::http::precondition::{created_versioned, ok_versioned, IfMatch};
use crate::server::AppState;
use crate::{page_type, ApiError};

pub use kim_store::agreements::AgreementEvent;

pub fn configure(cfg: &mut impl RouteTable) {
    cfg.service(list_agreements)
        .service(get_agreement)
        .service(create_agreement)
        .service(update_agreement)
        .service(transition_agreement)
        .service(agreement_history);
}

/// Kooperationsvereinbarung (cooperation agreement) between the county, represented by its
/// Kommunales Integrationszentrum (KI), and a partner organisation and/or municipality: which
/// modules and positions it covers, who supervises the staff, and its status and dates.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 1, "title": "Kooperationsvereinbarung Case Management Troisdorf", "status": "active",
    "allowed_transitions": ["terminated", "expired"],
    "organisation_id": null, "municipality_id": 18, "modules": ["module_1", "module_2"],
    "position_ids": [], "service_supervision": "KI", "technical_supervision": "KI",
    "subject": "Strategiestelle und Case Management in Troisdorf",
    "obligations": "Die Stadt stellt Büroräume; das KI übernimmt Dienst- und Fachaufsicht.",
    "signed_on": "2021-03-01", "starts_on": "2021-04-01", "ends_on": "2025-12-31",
    "document_name": "KV Troisdorf 2021.pdf",
    "document_url": "https://dms.rhein-sieg-kreis.example/kv/troisdorf-2021.pdf",
    "document_file_id": "KI-2021-017", "version": 3,
    "created_at": "2026-11-25T10:00:00Z", "updated_at": "2026-11-25T10:00:00Z"
}))]
pub struct Agreement {
    pub id: i64,
    pub title: String,
    pub status: AgreementStatus,
    /// Where the status may move next (`POST /agreements/{id}/transitions`); empty when final.
    pub allowed_transitions: Vec<AgreementStatus>,
    /// Partner organisation (Kooperationspartner), e.g. a welfare organisation.
    pub organisation_id: Option<i64>,
    /// Partner municipality (Kommune).
    pub municipality_id: Option<i64>,
    /// KIM modules (Bausteine) the agreement covers, sorted.
    pub modules: Vec<Module>,
    /// Positions (Stellen) the agreement covers, sorted.
    pub position_ids: Vec<i64>,
    /// Dienstaufsicht (service supervision): who supervises the staff as employer.
    pub service_supervision: String,
    /// Fachaufsicht (technical supervision): who supervises the content of the work.
    pub technical_supervision: String,
    /// Gegenstand (subject) of the agreement.
    pub subject: Option<String>,
    /// Pflichten (obligations) of the parties.
    pub obligations: Option<String>,
    /// Unterzeichnet am (signing date).
    pub signed_on: Option<NaiveDate>,
    /// Gültig ab (start date).
    pub starts_on: Option<NaiveDate>,
    /// Gültig bis (end date, inclusive); absent for an open-ended agreement.
    pub ends_on: Option<NaiveDate>,
    /// Name of the signed document.
    pub document_name: Option<String>,
    /// Link to the document, e.g. in the county's document management system.
    pub document_url: Option<String>,
    /// File number or id in a document management system (Aktenzeichen).
    pub document_file_id: Option<String>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<store::Agreement> for Agreement {
    fn from(a: store::Agreement) -> Self {
        let d = a.data;
        Agreement {
            id: a.id,
            title: d.title,
            status: a.status,
            allowed_transitions: a.status.allowed_next().to_vec(),
            organisation_id: d.organisation_id,
            municipality_id: d.municipality_id,
            modules: d.modules,
            position_ids: d.position_ids,
            service_supervision: d.service_supervision,
            technical_supervision: d.technical_supervision,
            subject: d.subject,
            obligations: d.obligations,
            signed_on: d.signed_on,
            starts_on: d.starts_on,
            ends_on: d.ends_on,
            document_name: d.document_name,
            document_url: d.document_url,
            document_file_id: d.document_file_id,
            version: a.version,
            created_at: a.created_at,
            updated_at: a.updated_at,
        }
    }
}

page_type!(AgreementPage, Agreement);

/// A cooperation agreement (Kooperationsvereinbarung) to create, or its new fields (PUT replaces
/// every field). The status is not part of it: new agreements start as `draft`, and the status
/// changes only through transitions.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "title": "Kooperationsvereinbarung Case Management Caritas",
    "organisation_id": 13, "municipality_id": null, "modules": ["module_2"], "position_ids": [],
    "service_supervision": "KI", "technical_supervision": "KI",
    "subject": "Case Management durch den Caritasverband",
    "obligations": "Der Caritasverband stellt Arbeitsplätze; das KI koordiniert.",
    "signed_on": null, "starts_on": "2021-07-01", "ends_on": "2022-12-31",
    "document_name": null, "document_url": null, "document_file_id": "KI-2021-023"
}))]
pub struct AgreementInput {
    /// 1 to 200 characters.
    #[validate(length(max = 200), custom(function = "not_blank"))]
    #[schema(pattern = "\\S", min_length = 1, max_length = 200)]
    pub title: String,
    /// Partner organisation. A signed agreement needs this or `municipality_id`.
    pub organisation_id: Option<i64>,
    /// Partner municipality. A signed agreement needs this or `organisation_id`.
    pub municipality_id: Option<i64>,
    /// KIM modules covered; duplicates are ignored.
    #[serde(default)]
    pub modules: Vec<Module>,
    /// Positions covered; at most 100, each must exist.
    #[serde(default)]
    #[validate(length(max = 100, message = "at most 100 positions"))]
    #[schema(max_items = 100)]
    pub position_ids: Vec<i64>,
    /// Dienstaufsicht (service supervision); default `KI`; 1 to 100 characters.
    #[serde(default = "ki")]
    #[validate(length(max = 100), custom(function = "not_blank"))]
    #[schema(pattern = "\\S", min_length = 1, max_length = 100, default = "KI")]
    pub service_supervision: String,
    /// Fachaufsicht (technical supervision); default `KI`; 1 to 100 characters.
    #[serde(default = "ki")]
    #[validate(length(max = 100), custom(function = "not_blank"))]
    #[schema(pattern = "\\S", min_length = 1, max_length = 100, default = "KI")]
    pub technical_supervision: String,
    /// Gegenstand (subject); at most 2,000 characters.
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    pub subject: Option<String>,
    /// Pflichten (obligations); at most 10,000 characters.
    #[validate(length(max = 10000))]
    #[schema(max_length = 10000)]
    pub obligations: Option<String>,
    /// Signing date; required from `signed` on.
    pub signed_on: Option<NaiveDate>,
    /// Start date; required when `active` or `expired`.
    pub starts_on: Option<NaiveDate>,
    /// End date, inclusive; not before `starts_on`.
    pub ends_on: Option<NaiveDate>,
    /// At most 200 characters.
    #[validate(length(max = 200))]
    #[schema(max_length = 200)]
    pub document_name: Option<String>,
    /// An absolute URL; at most 500 characters.
    #[validate(url(message = "must be a URL"), length(max = 500))]
    #[schema(format = "uri", max_length = 500)]
    pub document_url: Option<String>,
    /// At most 200 characters.
    #[validate(length(max = 200))]
    #[schema(max_length = 200)]
    pub document_file_id: Option<String>,
}

fn ki() -> String {
    "KI".into()
}

impl AgreementInput {
    fn into_data(self) -> Result<AgreementData, ApiError> {
        self.validate()?;
        Ok(AgreementData {
            title: self.title.trim().to_owned(),
            organisation_id: self.organisation_id,
            municipality_id: self.municipality_id,
            modules: self.modules,
            position_ids: self.position_ids,
            service_supervision: self.service_supervision.trim().to_owned(),
            technical_supervision: self.technical_supervision.trim().to_owned(),
            subject: trimmed(self.subject),
            obligations: trimmed(self.obligations),
            signed_on: self.signed_on,
            starts_on: self.starts_on,
            ends_on: self.ends_on,
            document_name: trimmed(self.document_name),
            document_url: trimmed(self.document_url),
            document_file_id: trimmed(self.document_file_id),
        })
    }
}

/// A status change (Statuswechsel) of a cooperation agreement, with the dates the target status
/// needs. Given dates are stored on the agreement; absent ones keep the stored value.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "to": "signed", "signed_on": "2021-03-01", "starts_on": "2021-04-01",
    "comment": "Vom Bürgermeister und vom Landrat unterzeichnet"
}))]
pub struct TransitionInput {
    /// The target status; see `allowed_transitions` of the agreement.
    pub to: AgreementStatus,
    /// Signing date; required for `signed` unless already stored.
    pub signed_on: Option<NaiveDate>,
    /// Start date; required for `active` unless already stored.
    pub starts_on: Option<NaiveDate>,
    /// End date, e.g. the effective date of a termination; required for `expired` unless stored.
    pub ends_on: Option<NaiveDate>,
    /// Why; kept in the history. At most 2,000 characters.
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    pub comment: Option<String>,
}

page_type!(AgreementEventPage, AgreementEvent);

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AgreementQuery {
    /// Case-insensitive part of the title.
    #[param(example = "troisdorf")]
    pub q: Option<String>,
    pub status: Option<AgreementStatus>,
    /// Agreements with this partner municipality.
    pub municipality_id: Option<i64>,
    /// Agreements with this partner organisation.
    pub organisation_id: Option<i64>,
    /// Agreements covering this module.
    pub module: Option<Module>,
    /// Agreements covering this position.
    pub position_id: Option<i64>,
    /// Active agreements whose `ends_on` lies between today and today + N days, both
    /// inclusive (UTC); 0 to 3650.
    #[param(minimum = 0, maximum = 3650, example = 90)]
    pub expiring_within_days: Option<i64>,
    /// `title`, `signed_on`, `starts_on`, `ends_on` or `created_at`; prefix `-` for descending.
    /// Default `title`. Agreements without the date sort last either way.
    #[param(pattern = "^(-?(title|signed_on|starts_on|ends_on|created_at))?$")]
    pub sort: Option<String>,
}

const SORT_FIELDS: &[(&str, AgreementSort)] = &[
    ("title", AgreementSort::Title),
    ("signed_on", AgreementSort::SignedOn),
    ("starts_on", AgreementSort::StartsOn),
    ("ends_on", AgreementSort::EndsOn),
    ("created_at", AgreementSort::CreatedAt),
];

/// List cooperation agreements
///
/// Filtered and paged; ordered by title unless `sort` says otherwise. `expiring_within_days`
/// finds active agreements that end soon, e.g. `?expiring_within_days=90&sort=ends_on`.
///
/// **Who may call:** `admin`, `ki_lead`, `coordinator`, `cm_coordinator`, `steering_member`,
/// `analyst`.
#[utoipa::path(tag = "Cooperation agreements", params(PageParams, AgreementQuery), responses(
    (status = 200, description = "One page of agreements", body = AgreementPage),
    sets::ListErrors,
), security(("bearer" = [])))]
#[get("/agreements")]
pub async fn list_agreements(
    caller: Caller,
    state: web::Data<AppState>,
    paging: web::Query<PageParams>,
    query: web::Query<AgreementQuery>,
) -> Result<web::Json<AgreementPage>, ApiError> {
    let page = paging.page()?;
    let query = query.into_inner();
    let (sort, direction) = parse_sort(
        query.sort.as_deref(),
        (AgreementSort::Title, Direction::Asc),
        SORT_FIELDS,
    )?;
    let active_ending_between = query
        .expiring_within_days
        .map(|days| expiry_window(clock::now().date(), days))
        .transpose()
        .map_err(|message| ApiError::field("expiring_within_days", message))?;
    let filter = AgreementFilter {
        q: trimmed(query.q),
        status: query.status,
        organisation_id: query.organisation_id,
        municipality_id: query.municipality_id,
        module: query.module,
        position_id: query.position_id,
        active_ending_between,
    };
    let agreements = state
        .db
        .read_as(caller, Action::ReadSteering, move |conn, _who| {
            store::list(conn, &filter, sort, direction, page)
        })
        .await?;
    Ok(web::Json(AgreementPage::new(agreements, page)))
}

/// Get a cooperation agreement
///
/// **Who may call:** `admin`, `ki_lead`, `coordinator`, `cm_coordinator`, `steering_member`,
/// `analyst`.
#[utoipa::path(tag = "Cooperation agreements", params(("id" = i64, Path, description = "Agreement id")), responses(
    (status = 200, description = "The agreement", body = Agreement, headers(("ETag" = String, description = "The version, for If-Match"))),
    sets::ReadErrors,
), security(("bearer" = [])))]
#[get("/agreements/{id}")]
pub async fn get_agreement(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let agreement = state
        .db
        .read_as(caller, Action::ReadSteering, move |conn, _who| {
            store::find(conn, id)
        })
        .await?;
    let version = agreement.version;
    Ok(ok_versioned(&Agreement::from(agreement), version))
}

/// Create a cooperation agreement
///
/// The agreement starts as `draft`; move it on with `POST /agreements/{id}/transitions`.
/// `organisation_id`, `municipality_id` and `position_ids` must name existing objects, and
/// `ends_on` may not be before `starts_on` (422 naming the field). The history records the
/// creation.
///
/// **Who may call:** `ki_lead`, `coordinator`.
#[utoipa::path(tag = "Cooperation agreements", request_body = AgreementInput, responses(
    (status = 201, description = "Created", body = Agreement, headers(("ETag" = String), ("Location" = String))),
    sets::SubmitErrors,
), security(("bearer" = [])))]
#[post("/agreements")]
pub async fn create_agreement(
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<AgreementInput>,
) -> Result<HttpResponse, ApiError> {
    let caller = state.db.authenticate(caller).await?;
    caller.require(Action::WriteSteering)?;
    let data = body.into_inner().into_data()?;
    let actor = caller.actor();
    let agreement = state
        .db
        .write(move |conn| store::insert(conn, &actor, &data))
        .await??;
    let (id, version) = (agreement.id, agreement.version);
    Ok(created_versioned(
        &Agreement::from(agreement),
        version,
        format!("/api/v1/agreements/{id}"),
    ))
}

/// Replace a cooperation agreement
///
/// Replaces every field, including the sets of modules and positions; the status stays (use
/// transitions). Requires `If-Match`. The new fields must still meet what the status requires
/// (e.g. a signed agreement keeps its signing date and partner; 422 naming the fields).
/// Terminated and expired agreements are final and cannot be edited (409). The history records
/// which fields changed; a replacement that changes nothing keeps the version.
///
/// **Who may call:** `ki_lead`, `coordinator`.
#[utoipa::path(tag = "Cooperation agreements", request_body = AgreementInput,
    params(("id" = i64, Path, description = "Agreement id"), ("If-Match" = String, Header, description = "ETag of the version you edited, e.g. \"3\"")),
    responses(
    (status = 200, description = "The agreement", body = Agreement, headers(("ETag" = String))),
    sets::ReplaceErrors,
), security(("bearer" = [])))]
#[put("/agreements/{id}")]
pub async fn update_agreement(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: Json<AgreementInput>,
) -> Result<HttpResponse, ApiError> {
    let caller = state.db.authenticate(caller).await?;
    caller.require(Action::WriteSteering)?;
    let expected = if_match.version()?;
    let data = body.into_inner().into_data()?;
    let id = id.into_inner();
    let actor = caller.actor();
    let agreement = state
        .db
        .write(move |conn| store::update(conn, &actor, id, expected, &data))
        .await??;
    let version = agreement.version;
    Ok(ok_versioned(&Agreement::from(agreement), version))
}

/// Change the status of a cooperation agreement
///
/// Moves the agreement along its status machine:
///
/// | from | allowed to |
/// |---|---|
/// | `draft` | `negotiating` |
/// | `negotiating` | `draft`, `signed` |
/// | `signed` | `active`, `terminated` |
/// | `active` | `terminated`, `expired` |
/// | `terminated`, `expired` | nothing (final) |
///
/// Any other move is 409, and the detail names the allowed targets. The target's requirements
/// are checked with the dates of this request applied (422 naming each missing field):
/// `signed` and later need `signed_on` and a partner (`organisation_id` or `municipality_id`);
/// `active` and `expired` need `starts_on`; `expired` needs an `ends_on` that is not in the
/// future; `ends_on` is never before `starts_on`. Requires `If-Match`. The history records the
/// change with its comment.
///
/// **Who may call:** `ki_lead`, `coordinator`.
#[utoipa::path(tag = "Cooperation agreements", request_body = TransitionInput,
    params(("id" = i64, Path, description = "Agreement id"), ("If-Match" = String, Header, description = "ETag of the version you saw, e.g. \"3\"")),
    responses(
    (status = 200, description = "The agreement in its new status", body = Agreement, headers(("ETag" = String))),
    sets::ReplaceErrors,
), security(("bearer" = [])))]
#[post("/agreements/{id}/transitions")]
pub async fn transition_agreement(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: Json<TransitionInput>,
) -> Result<HttpResponse, ApiError> {
    let caller = state.db.authenticate(caller).await?;
    caller.require(Action::WriteSteering)?;
    let expected = if_match.version()?;
    let input = body.into_inner();
    input.validate()?;
    let request = TransitionRequest {
        to: input.to,
        signed_on: input.signed_on,
        starts_on: input.starts_on,
        ends_on: input.ends_on,
        comment: trimmed(input.comment),
    };
    let id = id.into_inner();
    let actor = caller.actor();
    let moved = state
        .db
        .write(move |conn| store::transition(conn, &actor, id, expected, &request))
        .await??;
    let version = moved.version;
    Ok(ok_versioned(&Agreement::from(moved), version))
}

/// History of a cooperation agreement
///
/// Every creation, update and status change, oldest first, with who made it and when.
///
/// **Who may call:** `admin`, `ki_lead`, `coordinator`, `cm_coordinator`, `steering_member`,
/// `analyst`.
#[utoipa::path(tag = "Cooperation agreements", params(("id" = i64, Path, description = "Agreement id"), PageParams), responses(
    (status = 200, description = "One page of the history, oldest first", body = AgreementEventPage),
    sets::NestedListErrors,
), security(("bearer" = [])))]
#[get("/agreements/{id}/history")]
pub async fn agreement_history(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    paging: web::Query<PageParams>,
) -> Result<web::Json<AgreementEventPage>, ApiError> {
    let page = paging.page()?;
    let id = id.into_inner();
    let agreement_events = state
        .db
        .read_as(caller, Action::ReadSteering, move |conn, _who| {
            store::history(conn, id, page)
        })
        .await?;
    Ok(web::Json(AgreementEventPage::new(agreement_events, page)))
}
