//! Organisations (Akteure): the actors of the county's integration landscape.

use crate::http::body::Json;
use crate::routes::RouteTable;
use actix_web::{delete, get, post, put, web, HttpResponse};
use kim_domain::reference::{LegalDomain, OrganisationKind};
use kim_domain::Action;
use kim_store::organisations::{
    self as store, OrganisationData, OrganisationFilter, OrganisationSort,
};
use kim_store::Direction;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::{not_blank, trimmed};
use crate::auth::Caller;
use crate::error::error_sets as sets;
use crate::http::paging::{parse_sort, PageParams};
use crate::http::precondition::{created_versioned, ok_versioned, IfMatch};
use crate::server::AppState;
use crate::{page_type, ApiError};

pub fn configure(cfg: &mut impl RouteTable) {
    cfg.service(list_organisations)
        .service(get_organisation)
        .service(create_organisation)
        .service(update_organisation)
        .service(delete_organisation);
}

pub use kim_store::organisations::Organisation;

page_type!(OrganisationPage, Organisation);

/// An organisation to create, or its new state (PUT replaces every field).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "Caritasverband Rhein-Sieg", "kind": "welfare_organisation",
    "legal_domains": ["sgb_viii", "sgb_xii"], "municipality_ids": [1, 2],
    "email": "info@caritas-rhein-sieg.example", "active": true
}))]
pub struct OrganisationInput {
    /// Unique; 1 to 200 characters.
    #[validate(length(max = 200), custom(function = "not_blank"))]
    #[schema(pattern = "\\S", min_length = 1, max_length = 200)]
    pub name: String,
    pub kind: OrganisationKind,
    #[serde(default)]
    pub legal_domains: Vec<LegalDomain>,
    #[serde(default)]
    #[validate(length(max = 100, message = "at most 100 municipalities"))]
    pub municipality_ids: Vec<i64>,
    #[validate(email(message = "must be an e-mail address"), length(max = 254))]
    #[schema(format = "email", max_length = 254)]
    pub email: Option<String>,
    #[validate(length(max = 50))]
    #[schema(max_length = 50)]
    pub phone: Option<String>,
    #[validate(length(max = 500))]
    #[schema(max_length = 500)]
    pub address: Option<String>,
    #[validate(url(message = "must be a URL"), length(max = 500))]
    #[schema(format = "uri", max_length = 500)]
    pub website: Option<String>,
    /// Default `true`.
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

impl OrganisationInput {
    fn into_data(self) -> Result<OrganisationData, ApiError> {
        self.validate()?;
        Ok(OrganisationData {
            name: self.name.trim().to_owned(),
            kind: self.kind,
            legal_domains: self.legal_domains,
            municipality_ids: self.municipality_ids,
            email: trimmed(self.email),
            phone: trimmed(self.phone),
            address: trimmed(self.address),
            website: trimmed(self.website),
            active: self.active,
        })
    }
}

/// The order of the list; its filters are the store's [`OrganisationFilter`].
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrganisationOrder {
    /// `name`, `kind` or `created_at`; prefix `-` for descending. Default `name`.
    #[param(pattern = "^(-?(name|kind|created_at))?$")]
    pub sort: Option<String>,
}

const SORT_FIELDS: &[(&str, OrganisationSort)] = &[
    ("name", OrganisationSort::Name),
    ("kind", OrganisationSort::Kind),
    ("created_at", OrganisationSort::CreatedAt),
];

/// List organisations
///
/// The county's actors, filtered and paged; ordered by name unless `sort` says otherwise.
///
/// **Who may call:** every authenticated person and partner token.
#[utoipa::path(tag = "Reference data", params(PageParams, OrganisationFilter, OrganisationOrder), responses(
    (status = 200, description = "One page of organisations", body = OrganisationPage),
    sets::OpenListErrors,
), security(("bearer" = [])))]
#[get("/organisations")]
pub async fn list_organisations(
    caller: Caller,
    state: web::Data<AppState>,
    paging: web::Query<PageParams>,
    filter: web::Query<OrganisationFilter>,
    order: web::Query<OrganisationOrder>,
) -> Result<web::Json<OrganisationPage>, ApiError> {
    let page = paging.page()?;
    let (sort, direction) = parse_sort(
        order.sort.as_deref(),
        (OrganisationSort::Name, Direction::Asc),
        SORT_FIELDS,
    )?;
    let filter = filter.into_inner();
    let organisations = state
        .db
        .read_as(caller, Action::ReadReferenceData, move |conn, _| {
            store::list(conn, &filter, sort, direction, page)
        })
        .await?;
    Ok(web::Json(OrganisationPage::new(organisations, page)))
}

/// Get an organisation
///
/// **Who may call:** every authenticated person and partner token.
#[utoipa::path(tag = "Reference data", params(("id" = i64, Path, description = "Organisation id")), responses(
    (status = 200, description = "The organisation", body = Organisation, headers(("ETag" = String, description = "The version, for If-Match"))),
    sets::OpenReadErrors,
), security(("bearer" = [])))]
#[get("/organisations/{id}")]
pub async fn get_organisation(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let organisation_id = id.into_inner();
    let organisation = state
        .db
        .read_as(caller, Action::ReadReferenceData, move |conn, _| {
            store::find(conn, organisation_id)
        })
        .await?;
    let version = organisation.version;
    Ok(ok_versioned(&organisation, version))
}

/// Create an organisation
///
/// Names are unique (409 otherwise); `municipality_ids` must name existing municipalities (422).
///
/// **Who may call:** `admin`, `coordinator`.
#[utoipa::path(tag = "Reference data", request_body = OrganisationInput, responses(
    (status = 201, description = "Created", body = Organisation, headers(("ETag" = String), ("Location" = String))),
    sets::CreateErrors,
), security(("bearer" = [])))]
#[post("/organisations")]
pub async fn create_organisation(
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<OrganisationInput>,
) -> Result<HttpResponse, ApiError> {
    let organisation = state
        .db
        .write_as(caller, Action::WriteReferenceData, move |conn, _| {
            let data = body.into_inner().into_data()?;
            Ok(store::insert(conn, &data)?)
        })
        .await?;
    let (id, version) = (organisation.id, organisation.version);
    Ok(created_versioned(
        &organisation,
        version,
        format!("/api/v1/organisations/{id}"),
    ))
}

/// Replace an organisation
///
/// Replaces every field, including the sets of legal domains and municipalities. Requires
/// `If-Match`. To retire an organisation that users or tokens belong to, set `active: false`.
///
/// **Who may call:** `admin`, `coordinator`.
#[utoipa::path(tag = "Reference data", request_body = OrganisationInput,
    params(("id" = i64, Path, description = "Organisation id"), ("If-Match" = String, Header, description = "ETag of the version you edited, e.g. \"3\"")),
    responses(
    (status = 200, description = "The organisation", body = Organisation, headers(("ETag" = String))),
    sets::ReplaceErrors,
), security(("bearer" = [])))]
#[put("/organisations/{id}")]
pub async fn update_organisation(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: Json<OrganisationInput>,
) -> Result<HttpResponse, ApiError> {
    let organisation_id = id.into_inner();
    let organisation = state
        .db
        .write_as(caller, Action::WriteReferenceData, move |conn, _| {
            let expected = if_match.version()?;
            let data = body.into_inner().into_data()?;
            Ok(store::update(conn, organisation_id, expected, &data)?)
        })
        .await?;
    let version = organisation.version;
    Ok(ok_versioned(&organisation, version))
}

/// Delete an organisation
///
/// Deletes an organisation no user and no partner token belongs to (409 otherwise: deactivate
/// it instead). Requires `If-Match`.
///
/// **Who may call:** `admin`, `coordinator`.
#[utoipa::path(tag = "Reference data",
    params(("id" = i64, Path, description = "Organisation id"), ("If-Match" = String, Header, description = "ETag of the current version")),
    responses(
    (status = 204, description = "Deleted"),
    sets::DeleteErrors,
), security(("bearer" = [])))]
#[delete("/organisations/{id}")]
pub async fn delete_organisation(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let organisation_id = id.into_inner();
    state
        .db
        .write_as(caller, Action::WriteReferenceData, move |conn, _| {
            Ok(store::delete(conn, organisation_id, if_match.version()?)?)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
