//! Social areas (Sozialräume): named areas covering whole municipalities or named parts of them,
//! and the positions serving each. They supersede the free-text `social_area` of a
//! municipality (the migration turned each distinct value into an area covering its
//! municipalities; the field stays readable and writable as it was, and is no longer read).

use actix_web::{delete, get, post, put, web, HttpResponse};
use chrono::{DateTime, Utc};
use kim_domain::social_area::{check_parts, AreaPart};
use kim_domain::Action;
use kim_store::social_areas::{self as store, AreaData, AreaFilter};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::{not_blank, trimmed};
use crate::auth::Caller;
use crate::error::error_sets as sets;
use crate::http::body::Json;
use crate::http::paging::PageParams;
use crate::http::precondition::{created_versioned, ok_versioned, IfMatch};
use crate::routes::RouteTable;
use crate::server::AppState;
use crate::{page_type, ApiError};

pub fn configure(cfg: &mut impl RouteTable) {
    cfg.service(list_social_areas)
        .service(get_social_area)
        .service(create_social_area)
        .service(update_social_area)
        .service(delete_social_area);
}

/// A municipality covered whole, or a named part of it (Stadtteil, Ortsteil).
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SocialAreaPart {
    pub municipality_id: i64,
    /// The part's name; absent (or blank) for the whole municipality. At most 200 characters.
    #[validate(length(max = 200))]
    #[schema(max_length = 200)]
    pub district: Option<String>,
}

/// Sozialraum (social area).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 1, "name": "Troisdorf-Nord", "description": "Oberlar und Sieglar",
    "parts": [{"municipality_id": 18, "district": "Oberlar"}, {"municipality_id": 18, "district": "Sieglar"}],
    "position_ids": [3], "version": 1,
    "created_at": "2026-11-30T07:00:00Z", "updated_at": "2026-11-30T07:00:00Z"
}))]
pub struct SocialArea {
    pub id: i64,
    pub name: String,
    pub description: Option<String>,
    /// What the area covers, by municipality and part.
    pub parts: Vec<SocialAreaPart>,
    /// The positions serving the area.
    pub position_ids: Vec<i64>,
    /// Send as `If-Match` when changing; also the `ETag`.
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<store::SocialArea> for SocialArea {
    fn from(a: store::SocialArea) -> Self {
        SocialArea {
            id: a.id,
            name: a.data.name,
            description: a.data.description,
            parts: a
                .data
                .parts
                .into_iter()
                .map(|p| SocialAreaPart {
                    municipality_id: p.municipality_id,
                    district: p.district,
                })
                .collect(),
            position_ids: a.data.position_ids,
            version: a.version,
            created_at: a.created_at,
            updated_at: a.updated_at,
        }
    }
}

page_type!(SocialAreaPage, SocialArea);

/// A social area to create, or its new state (PUT replaces every field).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Troisdorf-Nord", "parts": [{"municipality_id": 18, "district": "Oberlar"}], "position_ids": []}))]
pub struct SocialAreaInput {
    /// Unique (409); 1 to 200 characters.
    #[validate(length(max = 200), custom(function = "not_blank"))]
    #[schema(pattern = "\\S", min_length = 1, max_length = 200)]
    pub name: String,
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    pub description: Option<String>,
    /// 1 to 100 places; none twice, and no municipality both whole and in parts (422 `rule`);
    /// a place another area covers is 409.
    #[validate(
        length(min = 1, max = 100, message = "must name 1 to 100 places"),
        nested
    )]
    #[schema(min_items = 1, max_items = 100)]
    pub parts: Vec<SocialAreaPart>,
    /// The positions serving the area (at most 100).
    #[serde(default)]
    #[validate(length(max = 100, message = "at most 100 positions"))]
    #[schema(max_items = 100)]
    pub position_ids: Vec<i64>,
}

impl SocialAreaInput {
    fn into_data(self) -> Result<AreaData, ApiError> {
        self.validate()?;
        let parts = check_parts(
            self.parts
                .into_iter()
                .map(|p| AreaPart {
                    municipality_id: p.municipality_id,
                    district: p.district,
                })
                .collect(),
        )?;
        let mut position_ids = self.position_ids;
        position_ids.sort_unstable();
        position_ids.dedup();
        Ok(AreaData {
            name: self.name.trim().to_owned(),
            description: trimmed(self.description),
            parts,
            position_ids,
        })
    }
}

/// List social areas
///
/// By name; filter by a municipality they cover or a position serving them.
///
/// **Who may call:** every authenticated person and partner token.
#[utoipa::path(tag = "Social areas", params(PageParams, AreaFilter), responses(
    (status = 200, description = "One page of social areas", body = SocialAreaPage),
    sets::ListErrors,
), security(("bearer" = [])))]
#[get("/social-areas")]
pub async fn list_social_areas(
    caller: Caller,
    state: web::Data<AppState>,
    paging: web::Query<PageParams>,
    filter: web::Query<AreaFilter>,
) -> Result<web::Json<SocialAreaPage>, ApiError> {
    let page = paging.page()?;
    let filter = filter.into_inner();
    let social_areas = state
        .db
        .read_as(caller, Action::ReadReferenceData, move |conn, _| {
            store::list(conn, filter, page)
        })
        .await?;
    Ok(web::Json(SocialAreaPage::new(social_areas, page)))
}

/// Get a social area
///
/// **Who may call:** every authenticated person and partner token.
#[utoipa::path(tag = "Social areas", params(("id" = i64, Path, description = "Social area id")), responses(
    (status = 200, description = "The social area", body = SocialArea, headers(("ETag" = String))),
    sets::ReadErrors,
), security(("bearer" = [])))]
#[get("/social-areas/{id}")]
pub async fn get_social_area(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let social_area_id = id.into_inner();
    let social_area = state
        .db
        .read_as(caller, Action::ReadReferenceData, move |conn, _| {
            store::find(conn, social_area_id)
        })
        .await?;
    let version = social_area.version;
    Ok(ok_versioned(&SocialArea::from(social_area), version))
}

/// Create a social area
///
/// Names are unique (409). Municipalities and positions must exist (422 `reference`); a place
/// covered by another area is 409.
///
/// **Who may call:** `ki_lead`, `coordinator`.
#[utoipa::path(tag = "Social areas", request_body = SocialAreaInput, responses(
    (status = 201, description = "Created", body = SocialArea, headers(("ETag" = String), ("Location" = String))),
    sets::CreateErrors,
), security(("bearer" = [])))]
#[post("/social-areas")]
pub async fn create_social_area(
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<SocialAreaInput>,
) -> Result<HttpResponse, ApiError> {
    let social_area = state
        .db
        .write_as(caller, Action::WriteSteering, move |conn, _| {
            let data = body.into_inner().into_data()?;
            Ok(store::insert(conn, &data)?)
        })
        .await?;
    let (id, version) = (social_area.id, social_area.version);
    Ok(created_versioned(
        &SocialArea::from(social_area),
        version,
        format!("/api/v1/social-areas/{id}"),
    ))
}

/// Replace a social area
///
/// Replaces every field, with the rules of create. Requires `If-Match`.
///
/// **Who may call:** `ki_lead`, `coordinator`.
#[utoipa::path(tag = "Social areas", request_body = SocialAreaInput,
    params(("id" = i64, Path, description = "Social area id"), ("If-Match" = String, Header, description = "ETag of the version you edited")),
    responses(
    (status = 200, description = "The social area", body = SocialArea, headers(("ETag" = String))),
    sets::ReplaceErrors,
), security(("bearer" = [])))]
#[put("/social-areas/{id}")]
pub async fn update_social_area(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: Json<SocialAreaInput>,
) -> Result<HttpResponse, ApiError> {
    let social_area_id = id.into_inner();
    let social_area = state
        .db
        .write_as(caller, Action::WriteSteering, move |conn, _| {
            let expected = if_match.version()?;
            let data = body.into_inner().into_data()?;
            Ok(store::update(conn, social_area_id, expected, &data)?)
        })
        .await?;
    let version = social_area.version;
    Ok(ok_versioned(&SocialArea::from(social_area), version))
}

/// Delete a social area
///
/// The positions serving it stay. Requires `If-Match`.
///
/// **Who may call:** `ki_lead`, `coordinator`.
#[utoipa::path(tag = "Social areas",
    params(("id" = i64, Path, description = "Social area id"), ("If-Match" = String, Header, description = "ETag of the current version")),
    responses(
    (status = 204, description = "Deleted"),
    sets::DeleteErrors,
), security(("bearer" = [])))]
#[delete("/social-areas/{id}")]
pub async fn delete_social_area(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let social_area_id = id.into_inner();
    state
        .db
        .write_as(caller, Action::WriteSteering, move |conn, _| {
            Ok(store::delete(conn, social_area_id, if_match.version()?)?)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
