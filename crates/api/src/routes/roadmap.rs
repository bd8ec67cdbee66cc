//! Planung (roadmap): the items of the four workstreams for a Gantt chart, and the delayed ones.

use crate::http::body::Json;
use crate::routes::RouteTable;
use actix_web::{delete, get, post, put, web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use kim_domain::roadmap::{self as rules, Bound, HalfYear, RoadmapStatus, Workstream};
use kim_domain::Action;
use kim_store::roadmap::{self as store, RoadmapFilter, RoadmapItemData};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::{not_blank, trimmed};
use crate::auth::Caller;
use crate::error::error_sets as sets;
use crate::error::{invalid_fields, responses as err, FieldError};
use crate::http::precondition::{created_versioned, ok_versioned, IfMatch};
use crate::server::AppState;
use crate::ApiError;

pub fn configure(cfg: &mut impl RouteTable) {
    cfg.service(get_roadmap)
        .service(list_delayed)
        .service(get_item)
        .service(create_item)
        .service(update_item)
        .service(delete_item);
}

/// The date the delay rule compares planned ends with.
fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// Maßnahme der Planung (roadmap item): one bar of the Gantt chart.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 12, "workstream": "module_2", "title": "Personalakquise",
    "description": "Recruitment of the case-management positions",
    "planned_start": "2021-07-01", "planned_end": "2022-06-30",
    "planned_start_half_year": "2021-H2", "planned_end_half_year": "2022-H1",
    "status": "done", "delayed": false, "depends_on": [11],
    "responsible_organisation_id": 1, "responsible_user_id": null, "version": 1,
    "created_at": "2026-11-25T10:00:00Z", "updated_at": "2026-11-25T10:00:00Z"
}))]
pub struct RoadmapItem {
    pub id: i64,
    pub workstream: Workstream,
    pub title: String,
    pub description: Option<String>,
    /// First planned day (geplanter Beginn).
    pub planned_start: NaiveDate,
    /// Last planned day (geplantes Ende), inclusive.
    pub planned_end: NaiveDate,
    /// The half-year (Halbjahr) the planned start falls in, e.g. `2021-H2`.
    #[schema(example = "2021-H2")]
    pub planned_start_half_year: String,
    /// The half-year the planned end falls in, e.g. `2022-H1`.
    #[schema(example = "2022-H1")]
    pub planned_end_half_year: String,
    /// The recorded status.
    pub status: RoadmapStatus,
    /// Verzögert: marked `delayed`, or the planned end has passed (as of the response's
    /// `as_of`, or today) and the item is not `done`.
    pub delayed: bool,
    /// Ids of the items this one depends on (Abhängigkeiten), sorted.
    pub depends_on: Vec<i64>,
    /// The organisation responsible (Verantwortung), if any.
    pub responsible_organisation_id: Option<i64>,
    /// The person responsible, if any.
    pub responsible_user_id: Option<i64>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl RoadmapItem {
    fn new(item: store::RoadmapItem, today: NaiveDate) -> Self {
        let d = item.data;
        RoadmapItem {
            id: item.id,
            workstream: d.workstream,
            title: d.title,
            description: d.description,
            planned_start: d.planned_start,
            planned_end: d.planned_end,
            planned_start_half_year: HalfYear::containing(d.planned_start).label(),
            planned_end_half_year: HalfYear::containing(d.planned_end).label(),
            status: d.status,
            delayed: rules::is_delayed(d.status, d.planned_end, today),
            depends_on: d.depends_on,
            responsible_organisation_id: d.responsible_organisation_id,
            responsible_user_id: d.responsible_user_id,
            version: item.version,
            created_at: item.created_at,
            updated_at: item.updated_at,
        }
    }
}

/// Planung (roadmap): every matching item at once, not paged (a Gantt chart needs them all;
/// the roadmap holds at most 1000 items).
#[derive(Debug, Serialize, ToSchema)]
pub struct RoadmapItemList {
    /// The date the `delayed` flags were computed for (UTC).
    #[schema(example = "2026-11-25")]
    pub as_of: NaiveDate,
    /// Number of items.
    #[schema(example = 1)]
    pub total: i64,
    pub items: Vec<RoadmapItem>,
}

impl RoadmapItemList {
    fn new(items: Vec<store::RoadmapItem>, today: NaiveDate) -> Self {
        RoadmapItemList {
            as_of: today,
            total: items.len() as i64,
            items: items
                .into_iter()
                .map(|i| RoadmapItem::new(i, today))
                .collect(),
        }
    }
}

/// A roadmap item (Maßnahme der Planung) to create, or its new state (PUT replaces every
/// field).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "workstream": "module_2", "title": "Personalakquise",
    "planned_start": "2021-H2", "planned_end": "2022-06-30", "status": "in_progress",
    "depends_on": [11], "responsible_organisation_id": 1
}))]
pub struct RoadmapItemInput {
    pub workstream: Workstream,
    /// Unique within the workstream; 1 to 200 characters.
    #[validate(length(max = 200), custom(function = "not_blank"))]
    #[schema(pattern = "\\S", min_length = 1, max_length = 200)]
    pub title: String,
    /// At most 2000 characters.
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    pub description: Option<String>,
    /// Geplanter Beginn: a half-year (`2021-H1`, meaning its first day) or a date
    /// (`2021-03-01`); years 2000 to 2100.
    #[schema(
        example = "2021-H1",
        pattern = r"^(20[0-9]{2}|2100)-([Hh][12]|(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01]))$"
    )]
    pub planned_start: String,
    /// Geplantes Ende: a half-year (`2021-H2`, meaning its last day) or a date (`2021-12-31`);
    /// not before the start.
    #[schema(
        example = "2021-H2",
        pattern = r"^(20[0-9]{2}|2100)-([Hh][12]|(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01]))$"
    )]
    pub planned_end: String,
    /// Default `planned`.
    pub status: Option<RoadmapStatus>,
    /// Ids of existing items this one depends on; no cycles, not itself; at most 50.
    #[serde(default)]
    #[validate(length(max = 50, message = "at most 50 dependencies"))]
    #[schema(max_items = 50)]
    pub depends_on: Vec<i64>,
    /// An existing organisation.
    pub responsible_organisation_id: Option<i64>,
    /// An existing user account.
    pub responsible_user_id: Option<i64>,
}

/// The document's pattern for a planned date (the attributes of `RoadmapItemInput` spell it
/// out; a test holds them equal).
#[cfg(test)]
const PLANNED_PATTERN: &str =
    r"^(20[0-9]{2}|2100)-([Hh][12]|(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01]))$";

/// What the document's pattern for a planned date admits: `YYYY-H1`/`YYYY-H2` or `YYYY-MM-DD`
/// with a year from 2000 to 2100, a month 01-12 and a day 01-31.
fn has_planned_shape(value: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let number = |s: &str| s.parse::<u32>().unwrap_or(0);
    let Some((year, rest)) = value.split_once('-') else {
        return false;
    };
    if year.len() != 4 || !digits(year) || !(2000..=2100).contains(&number(year)) {
        return false;
    }
    match rest.as_bytes() {
        [b'H' | b'h', b'1' | b'2'] => true,
        _ => match rest.split_once('-') {
            Some((month, day)) => {
                month.len() == 2
                    && day.len() == 2
                    && digits(month)
                    && digits(day)
                    && (1..=12).contains(&number(month))
                    && (1..=31).contains(&number(day))
            }
            None => false,
        },
    }
}

impl RoadmapItemInput {
    /// Checks every field, reporting all invalid ones together.
    fn into_data(self) -> Result<RoadmapItemData, ApiError> {
        let mut errors: Vec<FieldError> = invalid_fields(&self);
        // The pattern states the shape and the years; a day the calendar lacks (2021-02-30)
        // is the one rule it cannot state.
        let mut planned = |field: &str, value: &str, bound: Bound| {
            rules::parse_planned(value, bound)
                .map_err(|message| {
                    errors.push(if has_planned_shape(value) {
                        FieldError::rule(field, message)
                    } else {
                        FieldError::new(field, message)
                    })
                })
                .ok()
        };
        let start = planned("planned_start", &self.planned_start, Bound::Start);
        let end = planned("planned_end", &self.planned_end, Bound::End);
        if let (Some(start), Some(end)) = (start, end) {
            if let Err(message) = rules::check_period(start, end) {
                errors.push(FieldError::rule("planned_end", message));
            }
        }
        match (start, end) {
            (Some(planned_start), Some(planned_end)) if errors.is_empty() => Ok(RoadmapItemData {
                workstream: self.workstream,
                title: self.title.trim().to_owned(),
                description: trimmed(self.description),
                planned_start,
                planned_end,
                status: self.status.unwrap_or(RoadmapStatus::Planned),
                depends_on: self.depends_on,
                responsible_organisation_id: self.responsible_organisation_id,
                responsible_user_id: self.responsible_user_id,
            }),
            _ => {
                errors.sort_by(|a, b| a.field.cmp(&b.field));
                Err(ApiError::Validation(errors))
            }
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RoadmapQuery {
    /// Only items of this workstream.
    pub workstream: Option<Workstream>,
    /// Only items with this recorded status (`delayed` means marked so; for every late item
    /// use `/roadmap/delayed`).
    pub status: Option<RoadmapStatus>,
}

/// Get the roadmap
///
/// Every roadmap item in Gantt order: by workstream (`cross_module`, `module_1`, `module_2`,
/// `module_3`), then planned start, then id; each with its dependencies and the computed
/// `delayed` flag. Not paged: a Gantt chart needs every item, and the roadmap holds at most
/// 1000. Filters by `workstream` and `status`; any other query parameter is refused (400).
///
/// **Who may call:** `admin`, `ki_lead`, `coordinator`, `cm_coordinator`, `steering_member`,
/// `analyst`.
#[utoipa::path(tag = "Roadmap", params(RoadmapQuery), responses(
    (status = 200, description = "Every matching item in Gantt order", body = RoadmapItemList),
    (status = 400, response = err::BadRequest),
    (status = 401, response = err::Unauthorized),
    (status = 403, response = err::Forbidden),
    (status = 503, response = err::Unavailable),
), security(("bearer" = [])))]
#[get("/roadmap")]
pub async fn get_roadmap(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<RoadmapQuery>,
) -> Result<web::Json<RoadmapItemList>, ApiError> {
    let filter = RoadmapFilter {
        workstream: query.workstream,
        status: query.status,
    };
    let items = state
        .db
        .read_as(caller, Action::ReadSteering, move |conn, _| {
            store::list(conn, &filter)
        })
        .await?;
    Ok(web::Json(RoadmapItemList::new(items, today())))
}

/// List delayed roadmap items
///
/// Items whose planned end has passed without being `done`, and items marked `delayed`;
/// ordered by planned end, then in Gantt order. Not paged.
///
/// **Who may call:** `admin`, `ki_lead`, `coordinator`, `cm_coordinator`, `steering_member`,
/// `analyst`.
#[utoipa::path(tag = "Roadmap", responses(
    (status = 200, description = "The delayed items, by planned end", body = RoadmapItemList),
    sets::ComputeErrors,
), security(("bearer" = [])))]
#[get("/roadmap/delayed")]
pub async fn list_delayed(
    caller: Caller,
    state: web::Data<AppState>,
) -> Result<web::Json<RoadmapItemList>, ApiError> {
    let today = today();
    let items = state
        .db
        .read_as(caller, Action::ReadSteering, move |conn, _| {
            store::delayed(conn, today)
        })
        .await?;
    Ok(web::Json(RoadmapItemList::new(items, today)))
}

/// Get a roadmap item
///
/// **Who may call:** `admin`, `ki_lead`, `coordinator`, `cm_coordinator`, `steering_member`,
/// `analyst`.
#[utoipa::path(tag = "Roadmap", params(("id" = i64, Path, description = "Roadmap item id")), responses(
    (status = 200, description = "The item", body = RoadmapItem, headers(("ETag" = String, description = "The version, for If-Match"))),
    sets::ReadErrors,
), security(("bearer" = [])))]
#[get("/roadmap/items/{id}")]
pub async fn get_item(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let found = state
        .db
        .read_as(caller, Action::ReadSteering, move |conn, _| {
            store::find(conn, id)
        })
        .await?;
    let version = found.version;
    Ok(ok_versioned(&RoadmapItem::new(found, today()), version))
}

/// Create a roadmap item
///
/// Planned start and end are half-years (`2021-H1`) or dates (`2021-03-01`); the end must not
/// be before the start. Dependencies, the responsible organisation and the responsible user
/// must exist (422 naming the field). Titles are unique within a workstream (409).
///
/// **Who may call:** `ki_lead`, `coordinator`.
#[utoipa::path(tag = "Roadmap", request_body = RoadmapItemInput, responses(
    (status = 201, description = "Created", body = RoadmapItem, headers(("ETag" = String), ("Location" = String))),
    sets::CreateErrors,
), security(("bearer" = [])))]
#[post("/roadmap/items")]
pub async fn create_item(
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<RoadmapItemInput>,
) -> Result<HttpResponse, ApiError> {
    let created = state
        .db
        .write_as(caller, Action::WriteSteering, move |conn, _| {
            let data = body.into_inner().into_data()?;
            Ok(store::insert(conn, &data)?)
        })
        .await?;
    let (id, version) = (created.id, created.version);
    Ok(created_versioned(
        &RoadmapItem::new(created, today()),
        version,
        format!("/api/v1/roadmap/items/{id}"),
    ))
}

/// Replace a roadmap item
///
/// Replaces every field, including the dependencies; an omitted `status` becomes `planned`.
/// A dependency on the item itself, or one that closes a cycle, is refused (422 on
/// `depends_on`, naming the cycle). Requires `If-Match`.
///
/// **Who may call:** `ki_lead`, `coordinator`.
#[utoipa::path(tag = "Roadmap", request_body = RoadmapItemInput,
    params(("id" = i64, Path, description = "Roadmap item id"), ("If-Match" = String, Header, description = "ETag of the version you edited, e.g. \"3\"")),
    responses(
    (status = 200, description = "The item", body = RoadmapItem, headers(("ETag" = String))),
    sets::ReplaceErrors,
), security(("bearer" = [])))]
#[put("/roadmap/items/{id}")]
pub async fn update_item(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: Json<RoadmapItemInput>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let updated = state
        .db
        .write_as(caller, Action::WriteSteering, move |conn, _| {
            let expected = if_match.version()?;
            let data = body.into_inner().into_data()?;
            Ok(store::update(conn, id, expected, &data)?)
        })
        .await?;
    let version = updated.version;
    Ok(ok_versioned(&RoadmapItem::new(updated, today()), version))
}

/// Delete a roadmap item
///
/// Deletes an item no other item depends on (409 naming the dependents otherwise). Requires
/// `If-Match`.
///
/// **Who may call:** `ki_lead`, `coordinator`.
#[utoipa::path(tag = "Roadmap",
    params(("id" = i64, Path, description = "Roadmap item id"), ("If-Match" = String, Header, description = "ETag of the current version")),
    responses(
    (status = 204, description = "Deleted"),
    sets::DeleteErrors,
), security(("bearer" = [])))]
#[delete("/roadmap/items/{id}")]
pub async fn delete_item(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let item_id = id.into_inner();
    state
        .db
        .write_as(caller, Action::WriteSteering, move |conn, _| {
            Ok(store::delete(conn, item_id, if_match.version()?)?)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[cfg(test)]
mod planned_shape_tests {
    use super::{has_planned_shape, PLANNED_PATTERN};

    #[test]
    fn the_document_states_this_pattern() {
        let document = crate::openapi::document();
        let input = &document["components"]["schemas"]["RoadmapItemInput"]["properties"];
        for field in ["planned_start", "planned_end"] {
            assert_eq!(input[field]["pattern"], PLANNED_PATTERN, "{field}");
        }
    }

    #[test]
    fn the_shape_check_agrees_with_the_documented_pattern() {
        let pattern = regex_lite::Regex::new(PLANNED_PATTERN).expect("pattern");
        for value in [
            "2021-H1",
            "2021-h2",
            "2100-H2",
            "1999-H1",
            "2101-H1",
            "2021-H3",
            "2021-03-01",
            "2021-02-30",
            "2021-13-01",
            "2021-00-10",
            "2021-01-32",
            "2021-1-01",
            "21-03-01",
            "   ",
            "",
            "2021-03-01 ",
            "２０２１-03-01",
            "2021-03",
        ] {
            assert_eq!(
                has_planned_shape(value),
                pattern.is_match(value),
                "{value:?}"
            );
        }
    }
}
