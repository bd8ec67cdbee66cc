//! Public relations and reports to bodies (Öffentlichkeitsarbeit, Berichte an Gremien).

use actix_web::{delete, get, post, put, web, HttpResponse};
use chrono::NaiveDate;
use kim_domain::activity::ActivityKind;
use kim_domain::Action;
use kim_store::activities::{self as store, ActivityData, ActivityFilter};
use serde::Deserialize;
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
    cfg.service(list_activities)
        .service(get_activity)
        .service(create_activity)
        .service(update_activity)
        .service(delete_activity);
}

pub use kim_store::activities::Activity;

page_type!(ActivityPage, Activity);

/// An activity to record, or its new state.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "kind": "press_release", "title": "Neue Sprachkurse mit Kinderbetreuung", "held_on": "2021-09-14",
    "audience": "Presse", "gap_ids": [2]
}))]
pub struct ActivityInput {
    pub kind: ActivityKind,
    #[validate(length(max = 200), custom(function = "not_blank"))]
    #[schema(pattern = "\\S", min_length = 1, max_length = 200)]
    pub title: String,
    pub held_on: NaiveDate,
    #[validate(length(max = 500))]
    #[schema(max_length = 500)]
    pub audience: Option<String>,
    pub body_id: Option<i64>,
    #[validate(length(max = 200))]
    #[schema(max_length = 200)]
    pub committee: Option<String>,
    /// Gaps whose results are used; an id named twice counts once.
    #[serde(default)]
    #[validate(length(max = 50, message = "at most 50 gaps"))]
    #[schema(max_items = 50)]
    pub gap_ids: Vec<i64>,
    /// Decisions reported; an id named twice counts once.
    #[serde(default)]
    #[validate(length(max = 50, message = "at most 50 decisions"))]
    #[schema(max_items = 50)]
    pub decision_ids: Vec<i64>,
}

impl ActivityInput {
    fn into_data(self) -> Result<ActivityData, ApiError> {
        self.validate()?;
        let distinct = |mut ids: Vec<i64>| {
            ids.sort_unstable();
            ids.dedup();
            ids
        };
        Ok(ActivityData {
            kind: self.kind,
            title: self.title.trim().to_owned(),
            held_on: self.held_on,
            audience: trimmed(self.audience),
            body_id: self.body_id,
            committee: trimmed(self.committee),
            gap_ids: distinct(self.gap_ids),
            decision_ids: distinct(self.decision_ids),
        })
    }
}

/// List activities
///
/// Press releases, events, web articles and reports to committees, the mayors' conference and
/// the heads of office, newest first.
///
/// **Who may call:** `admin`, `ki_lead`, `coordinator`, `cm_coordinator`, `steering_member`,
/// `analyst`.
#[utoipa::path(tag = "Public relations", params(PageParams, ActivityFilter), responses(
    (status = 200, description = "One page of activities", body = ActivityPage),
    sets::ListErrors,
), security(("bearer" = [])))]
#[get("/activities")]
pub async fn list_activities(
    caller: Caller,
    state: web::Data<AppState>,
    paging: web::Query<PageParams>,
    filter: web::Query<ActivityFilter>,
) -> Result<web::Json<ActivityPage>, ApiError> {
    let page = paging.page()?;
    let filter = filter.into_inner();
    if filter
        .year
        .is_some_and(|y| !kim_domain::report::query::YEARS.contains(&y))
    {
        return Err(ApiError::field("year", "must be between 1990 and 2100"));
    }
    let activities = state
        .db
        .read_as(caller, Action::ReadSteering, move |conn, _| {
            store::list(conn, &filter, page)
        })
        .await?;
    Ok(web::Json(ActivityPage::new(activities, page)))
}

/// Get an activity
///
/// **Who may call:** `admin`, `ki_lead`, `coordinator`, `cm_coordinator`, `steering_member`,
/// `analyst`.
#[utoipa::path(tag = "Public relations", params(("id" = i64, Path, description = "Activity id")), responses(
    (status = 200, description = "The activity", body = Activity, headers(("ETag" = String))),
    sets::ReadErrors,
), security(("bearer" = [])))]
#[get("/activities/{id}")]
pub async fn get_activity(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let activity_id = id.into_inner();
    let activity = state
        .db
        .read_as(caller, Action::ReadSteering, move |conn, _| {
            store::find(conn, activity_id)
        })
        .await?;
    let version = activity.version;
    Ok(ok_versioned(&activity, version))
}

/// Record an activity
///
/// `body_id`, `gap_ids` and `decision_ids` must exist (422 `reference`). A linked gap, or a
/// decision about a gap, must have been released for it by the steering group's publicity
/// decision (422 `rule`): press releases, events and web articles need `public`; committee
/// reports, the mayors' conference and heads-of-office meetings `internal` or `public`. A gap
/// without a publicity decision cannot be used yet.
///
/// **Who may call:** `ki_lead`, `coordinator`.
#[utoipa::path(tag = "Public relations", request_body = ActivityInput, responses(
    (status = 201, description = "Recorded", body = Activity, headers(("ETag" = String), ("Location" = String))),
    sets::CreateErrors,
), security(("bearer" = [])))]
#[post("/activities")]
pub async fn create_activity(
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<ActivityInput>,
) -> Result<HttpResponse, ApiError> {
    let activity = state
        .db
        .write_as(caller, Action::WriteSteering, move |conn, _| {
            let data = body.into_inner().into_data()?;
            Ok(store::insert(conn, &data)?)
        })
        .await?;
    let (id, version) = (activity.id, activity.version);
    Ok(created_versioned(
        &activity,
        version,
        format!("/api/v1/activities/{id}"),
    ))
}

/// Replace an activity
///
/// The same rules as on create. Requires `If-Match`.
///
/// **Who may call:** `ki_lead`, `coordinator`.
#[utoipa::path(tag = "Public relations", request_body = ActivityInput,
    params(("id" = i64, Path, description = "Activity id"), ("If-Match" = String, Header, description = "ETag of the version you edited")),
    responses(
    (status = 200, description = "The activity", body = Activity, headers(("ETag" = String))),
    sets::ReplaceErrors,
), security(("bearer" = [])))]
#[put("/activities/{id}")]
pub async fn update_activity(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: Json<ActivityInput>,
) -> Result<HttpResponse, ApiError> {
    let activity_id = id.into_inner();
    let activity = state
        .db
        .write_as(caller, Action::WriteSteering, move |conn, _| {
            let expected = if_match.version()?;
            let data = body.into_inner().into_data()?;
            Ok(store::update(conn, activity_id, expected, &data)?)
        })
        .await?;
    let version = activity.version;
    Ok(ok_versioned(&activity, version))
}

/// Delete an activity
///
/// Requires `If-Match`.
///
/// **Who may call:** `ki_lead`, `coordinator`.
#[utoipa::path(tag = "Public relations",
    params(("id" = i64, Path, description = "Activity id"), ("If-Match" = String, Header, description = "ETag of the current version")),
    responses(
    (status = 204, description = "Deleted"),
    sets::DeleteErrors,
), security(("bearer" = [])))]
#[delete("/activities/{id}")]
pub async fn delete_activity(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let activity_id = id.into_inner();
    state
        .db
        .write_as(caller, Action::WriteSteering, move |conn, _| {
            Ok(store::delete(conn, activity_id, if_match.version()?)?)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
