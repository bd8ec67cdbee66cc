//! Municipalities (kreisangehörige Kommunen): the county's towns and municipalities.

use crate::http::body::Json;
use crate::routes::RouteTable;
use actix_web::{delete, get, post, put, web, HttpResponse};
use kim_domain::reference::{MunicipalityKind, RhineSide};
use kim_domain::Action;
use kim_store::municipalities::{
    self as store, MunicipalityData, MunicipalityFilter, MunicipalitySort,
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
    cfg.service(list_municipalities)
        .service(get_municipality)
        .service(create_municipality)
        .service(update_municipality)
        .service(delete_municipality);
}

pub use kim_store::municipalities::Municipality;

page_type!(MunicipalityPage, Municipality);

/// A municipality to create, or its new state (PUT replaces every field).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "Troisdorf", "kind": "town", "rhine_side": "right",
    "has_immigration_office": true, "has_youth_office": true, "has_integration_council": true,
    "population": 75000, "foreign_nationals_percent": 14.5
}))]
pub struct MunicipalityInput {
    /// Unique; 1 to 200 characters.
    #[validate(length(max = 200), custom(function = "not_blank"))]
    #[schema(pattern = "\\S", min_length = 1, max_length = 200)]
    pub name: String,
    pub kind: MunicipalityKind,
    pub rhine_side: RhineSide,
    #[serde(default)]
    pub has_immigration_office: bool,
    #[serde(default)]
    pub has_youth_office: bool,
    #[serde(default)]
    pub has_integration_council: bool,
    /// Superseded by `/social-areas` (see the response's field); still stored as given.
    #[validate(length(max = 200))]
    #[schema(max_length = 200)]
    pub social_area: Option<String>,
    #[validate(range(
        min = 0,
        max = 100_000_000,
        message = "must be between 0 and 100000000"
    ))]
    #[schema(minimum = 0, maximum = 100_000_000)]
    pub population: Option<i64>,
    #[validate(range(min = 0.0, max = 100.0, message = "must be between 0 and 100"))]
    #[schema(minimum = 0, maximum = 100)]
    pub foreign_nationals_percent: Option<f64>,
}

impl MunicipalityInput {
    fn into_data(self) -> Result<MunicipalityData, ApiError> {
        self.validate()?;
        Ok(MunicipalityData {
            name: self.name.trim().to_owned(),
            kind: self.kind,
            rhine_side: self.rhine_side,
            has_immigration_office: self.has_immigration_office,
            has_youth_office: self.has_youth_office,
            has_integration_council: self.has_integration_council,
            social_area: trimmed(self.social_area),
            population: self.population,
            foreign_nationals_percent: self.foreign_nationals_percent,
        })
    }
}

/// The order of the list; its filters are the store's [`MunicipalityFilter`].
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MunicipalityOrder {
    /// `name`, `population` or `created_at`; prefix `-` for descending. Default `name`.
    #[param(
        pattern = "^(-?(name|population|created_at))?$",
        example = "-population"
    )]
    pub sort: Option<String>,
}

const SORT_FIELDS: &[(&str, MunicipalitySort)] = &[
    ("name", MunicipalitySort::Name),
    ("population", MunicipalitySort::Population),
    ("created_at", MunicipalitySort::CreatedAt),
];

/// List municipalities
///
/// The county's municipalities, filtered and paged; ordered by name unless `sort` says
/// otherwise, ties broken by id so pages are stable.
///
/// **Who may call:** every authenticated person and partner token.
#[utoipa::path(tag = "Reference data", params(PageParams, MunicipalityFilter, MunicipalityOrder), responses(
    (status = 200, description = "One page of municipalities", body = MunicipalityPage),
    sets::OpenListErrors,
), security(("bearer" = [])))]
#[get("/municipalities")]
pub async fn list_municipalities(
    caller: Caller,
    state: web::Data<AppState>,
    paging: web::Query<PageParams>,
    filter: web::Query<MunicipalityFilter>,
    order: web::Query<MunicipalityOrder>,
) -> Result<web::Json<MunicipalityPage>, ApiError> {
    let page = paging.page()?;
    let (sort, direction) = parse_sort(
        order.sort.as_deref(),
        (MunicipalitySort::Name, Direction::Asc),
        SORT_FIELDS,
    )?;
    let filter = filter.into_inner();
    let municipalities = state
        .db
        .read_as(caller, Action::ReadReferenceData, move |conn, _| {
            store::list(conn, &filter, sort, direction, page)
        })
        .await?;
    Ok(web::Json(MunicipalityPage::new(municipalities, page)))
}

/// Get a municipality
///
/// Returns the municipality with its `ETag` (its version).
///
/// **Who may call:** every authenticated person and partner token.
#[utoipa::path(tag = "Reference data", params(("id" = i64, Path, description = "Municipality id")), responses(
    (status = 200, description = "The municipality", body = Municipality, headers(("ETag" = String, description = "The version, for If-Match"))),
    sets::OpenReadErrors,
), security(("bearer" = [])))]
#[get("/municipalities/{id}")]
pub async fn get_municipality(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let municipality_id = id.into_inner();
    let municipality = state
        .db
        .read_as(caller, Action::ReadReferenceData, move |conn, _| {
            store::find(conn, municipality_id)
        })
        .await?;
    let version = municipality.version;
    Ok(ok_versioned(&municipality, version))
}

/// Create a municipality
///
/// Names are unique (409 otherwise). Returns the new municipality with `Location` and `ETag`.
///
/// **Who may call:** `admin`, `coordinator`.
#[utoipa::path(tag = "Reference data", request_body = MunicipalityInput, responses(
    (status = 201, description = "Created", body = Municipality, headers(("ETag" = String), ("Location" = String))),
    sets::CreateErrors,
), security(("bearer" = [])))]
#[post("/municipalities")]
pub async fn create_municipality(
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<MunicipalityInput>,
) -> Result<HttpResponse, ApiError> {
    let municipality = state
        .db
        .write_as(caller, Action::WriteReferenceData, move |conn, _| {
            let data = body.into_inner().into_data()?;
            Ok(store::insert(conn, &data)?)
        })
        .await?;
    let (id, version) = (municipality.id, municipality.version);
    Ok(created_versioned(
        &municipality,
        version,
        format!("/api/v1/municipalities/{id}"),
    ))
}

/// Replace a municipality
///
/// Replaces every field. Requires `If-Match` with the version you edited: 428 without it,
/// 412 when someone changed the municipality meanwhile.
///
/// **Who may call:** `admin`, `coordinator`.
#[utoipa::path(tag = "Reference data", request_body = MunicipalityInput,
    params(("id" = i64, Path, description = "Municipality id"), ("If-Match" = String, Header, description = "ETag of the version you edited, e.g. \"3\"")),
    responses(
    (status = 200, description = "The municipality", body = Municipality, headers(("ETag" = String))),
    sets::ReplaceErrors,
), security(("bearer" = [])))]
#[put("/municipalities/{id}")]
pub async fn update_municipality(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: Json<MunicipalityInput>,
) -> Result<HttpResponse, ApiError> {
    let municipality_id = id.into_inner();
    let municipality = state
        .db
        .write_as(caller, Action::WriteReferenceData, move |conn, _| {
            let expected = if_match.version()?;
            let data = body.into_inner().into_data()?;
            Ok(store::update(conn, municipality_id, expected, &data)?)
        })
        .await?;
    let version = municipality.version;
    Ok(ok_versioned(&municipality, version))
}

/// Delete a municipality
///
/// Deletes a municipality no organisation serves (409 otherwise). Requires `If-Match`.
///
/// **Who may call:** `admin`, `coordinator`.
#[utoipa::path(tag = "Reference data",
    params(("id" = i64, Path, description = "Municipality id"), ("If-Match" = String, Header, description = "ETag of the current version")),
    responses(
    (status = 204, description = "Deleted"),
    sets::DeleteErrors,
), security(("bearer" = [])))]
#[delete("/municipalities/{id}")]
pub async fn delete_municipality(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let municipality_id = id.into_inner();
    state
        .db
        .write_as(caller, Action::WriteReferenceData, move |conn, _| {
            Ok(store::delete(conn, municipality_id, if_match.version()?)?)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
