//! Qualification (Qualifizierung): the course catalogue, participations of staff or positions,
//! and what a position's holder has and still owes for the function.

use actix_web::{get, post, put, web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use kim_domain::access::holder_visible;
use kim_domain::qualification::{standing, Participant};
use kim_domain::staffing::{PositionFunction, StaffingPhase};
use kim_domain::Action;
use kim_store::qualification::{self as store, CourseData, ParticipationData};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::not_blank;
use crate::auth::{Authenticated, Caller};
use crate::error::error_sets as sets;
use crate::http::body::Json;
use crate::http::paging::PageParams;
use crate::http::precondition::{created_versioned, ok_versioned, IfMatch};
use crate::position_access::readable;
use crate::routes::RouteTable;
use crate::server::AppState;
use crate::{page_type, ApiError};

pub fn configure(cfg: &mut impl RouteTable) {
    cfg.service(list_courses)
        .service(get_course)
        .service(create_course)
        .service(update_course)
        .service(list_participations)
        .service(create_participation)
        .service(update_participation)
        .service(position_qualification);
}

pub use kim_store::qualification::Course;

page_type!(CoursePage, Course);

/// A course to add, or its new state.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "title": "Grundlagen Case Management", "provider": "DGCC", "topic": "case_management",
    "hours": 40, "mandatory_for": ["case_management", "cm_coordination"]
}))]
pub struct CourseInput {
    #[validate(length(max = 200), custom(function = "not_blank"))]
    #[schema(pattern = "\\S", min_length = 1, max_length = 200)]
    pub title: String,
    #[validate(length(max = 200), custom(function = "not_blank"))]
    #[schema(pattern = "\\S", min_length = 1, max_length = 200)]
    pub provider: String,
    #[validate(length(max = 200), custom(function = "not_blank"))]
    #[schema(pattern = "\\S", min_length = 1, max_length = 200)]
    pub topic: String,
    /// 1 to 1000.
    #[validate(range(min = 1, max = 1000, message = "must be between 1 and 1000"))]
    #[schema(minimum = 1, maximum = 1000, example = 40)]
    pub hours: i32,
    /// Functions that must take the course; a function named twice counts once. Default none.
    #[serde(default)]
    pub mandatory_for: Vec<PositionFunction>,
}

impl CourseInput {
    fn into_data(self) -> Result<CourseData, ApiError> {
        self.validate()?;
        let mandatory_for = PositionFunction::ALL
            .iter()
            .copied()
            .filter(|f| self.mandatory_for.contains(f))
            .collect();
        Ok(CourseData {
            title: self.title.trim().to_owned(),
            provider: self.provider.trim().to_owned(),
            topic: self.topic.trim().to_owned(),
            hours: self.hours,
            mandatory_for,
        })
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CourseQuery {
    /// Only the courses mandatory for this function.
    pub mandatory_for: Option<PositionFunction>,
}

/// List the course catalogue
///
/// Courses ordered by title, optionally only those mandatory for one function.
///
/// **Who may call:** `admin`, `ki_lead`, `coordinator`, `cm_coordinator`, `steering_member`,
/// `analyst`.
#[utoipa::path(tag = "Qualification", params(PageParams, CourseQuery), responses(
    (status = 200, description = "One page of courses", body = CoursePage),
    sets::ListErrors,
), security(("bearer" = [])))]
#[get("/courses")]
pub async fn list_courses(
    caller: Caller,
    state: web::Data<AppState>,
    paging: web::Query<PageParams>,
    query: web::Query<CourseQuery>,
) -> Result<web::Json<CoursePage>, ApiError> {
    let page = paging.page()?;
    let function = query.mandatory_for;
    let courses = state
        .db
        .read_as(caller, Action::ReadSteering, move |conn, _| {
            store::list_courses(conn, function, page)
        })
        .await?;
    Ok(web::Json(CoursePage::new(courses, page)))
}

/// Get a course
///
/// **Who may call:** `admin`, `ki_lead`, `coordinator`, `cm_coordinator`, `steering_member`,
/// `analyst`.
#[utoipa::path(tag = "Qualification", params(("id" = i64, Path, description = "Course id")), responses(
    (status = 200, description = "The course", body = Course, headers(("ETag" = String))),
    sets::ReadErrors,
), security(("bearer" = [])))]
#[get("/courses/{id}")]
pub async fn get_course(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let course = state
        .db
        .read_as(caller, Action::ReadSteering, move |conn, _| {
            store::find_course(conn, id)
        })
        .await?;
    let version = course.version;
    Ok(ok_versioned(&course, version))
}

/// Add a course
///
/// Titles are unique in the catalogue (409).
///
/// **Who may call:** `ki_lead`, `coordinator`.
#[utoipa::path(tag = "Qualification", request_body = CourseInput, responses(
    (status = 201, description = "Created", body = Course, headers(("ETag" = String), ("Location" = String))),
    sets::CreateErrors,
), security(("bearer" = [])))]
#[post("/courses")]
pub async fn create_course(
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<CourseInput>,
) -> Result<HttpResponse, ApiError> {
    let course = state
        .db
        .write_as(caller, Action::WriteSteering, move |conn, _| {
            let data = body.into_inner().into_data()?;
            Ok(store::insert_course(conn, &data)?)
        })
        .await?;
    let (id, version) = (course.id, course.version);
    Ok(created_versioned(
        &course,
        version,
        format!("/api/v1/courses/{id}"),
    ))
}

/// Replace a course
///
/// Replaces every field, the mandatory functions included. Requires `If-Match`.
///
/// **Who may call:** `ki_lead`, `coordinator`.
#[utoipa::path(tag = "Qualification", request_body = CourseInput,
    params(("id" = i64, Path, description = "Course id"), ("If-Match" = String, Header, description = "ETag of the version you edited")),
    responses(
    (status = 200, description = "The course", body = Course, headers(("ETag" = String))),
    sets::ReplaceErrors,
), security(("bearer" = [])))]
#[put("/courses/{id}")]
pub async fn update_course(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: Json<CourseInput>,
) -> Result<HttpResponse, ApiError> {
    let course_id = id.into_inner();
    let course = state
        .db
        .write_as(caller, Action::WriteSteering, move |conn, _| {
            let expected = if_match.version()?;
            let data = body.into_inner().into_data()?;
            Ok(store::update_course(conn, course_id, expected, &data)?)
        })
        .await?;
    let version = course.version;
    Ok(ok_versioned(&course, version))
}

/// Teilnahme (participation) of a member of staff or a position in a course.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 11, "course_id": 3, "user_id": 5, "for_account": true, "position_id": null,
    "attended_on": "2021-05-10", "completed": true, "certificate": true,
    "version": 1, "created_at": "2026-11-30T07:00:00Z", "updated_at": "2026-11-30T07:00:00Z"
}))]
pub struct Participation {
    pub id: i64,
    pub course_id: i64,
    /// The member of staff; shown only to admin, ki_lead and coordinator (and to that person).
    pub user_id: Option<i64>,
    /// Whether the participation belongs to a member of staff (rather than a position), also
    /// when their id is not shown.
    pub for_account: bool,
    /// The position, when the course was taken for the post.
    pub position_id: Option<i64>,
    /// The (first) day of the course.
    pub attended_on: NaiveDate,
    /// Completed (abgeschlossen), not only attended.
    pub completed: bool,
    /// A certificate was handed in (Nachweis liegt vor).
    pub certificate: bool,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Participation {
    fn for_caller(p: store::Participation, who: &Authenticated) -> Self {
        let user_id = p
            .data
            .participant
            .user_id()
            .filter(|id| holder_visible(&who.principal, Some(*id)));
        Participation {
            id: p.id,
            course_id: p.course_id,
            user_id,
            for_account: p.data.participant.user_id().is_some(),
            position_id: p.data.participant.position_id(),
            attended_on: p.data.attended_on,
            completed: p.data.completed,
            certificate: p.data.certificate,
            version: p.version,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

page_type!(ParticipationPage, Participation);

/// A participation to record, or its new state: for exactly one of `user_id` and `position_id`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"user_id": 5, "attended_on": "2021-05-10", "completed": true, "certificate": true}))]
pub struct ParticipationInput {
    /// The member of staff; give this or `position_id`, not both (422 `rule`).
    pub user_id: Option<i64>,
    /// The position, for a course taken for the post whoever holds it.
    pub position_id: Option<i64>,
    pub attended_on: NaiveDate,
    /// Default `false`.
    #[serde(default)]
    pub completed: bool,
    /// Default `false`.
    #[serde(default)]
    pub certificate: bool,
}

impl ParticipationInput {
    fn into_data(self) -> Result<ParticipationData, ApiError> {
        let participant = Participant::from_fields(self.user_id, self.position_id)
            .map_err(|e| ApiError::Validation(vec![e.into()]))?;
        Ok(ParticipationData {
            participant,
            attended_on: self.attended_on,
            completed: self.completed,
            certificate: self.certificate,
        })
    }
}

/// List a course's participations
///
/// Oldest attendance first. Who took part is shown as `user_id` only to those who may see staff
/// names (and to the person); others see `for_account` and the position.
///
/// **Who may call:** `admin`, `ki_lead`, `coordinator`, `cm_coordinator`, `steering_member`,
/// `analyst`.
#[utoipa::path(tag = "Qualification", params(("id" = i64, Path, description = "Course id"), PageParams), responses(
    (status = 200, description = "One page of participations", body = ParticipationPage),
    sets::ReadErrors,
), security(("bearer" = [])))]
#[get("/courses/{id}/participations")]
pub async fn list_participations(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    paging: web::Query<PageParams>,
) -> Result<web::Json<ParticipationPage>, ApiError> {
    let page = paging.page()?;
    let id = id.into_inner();
    state
        .db
        .read_as(caller, Action::ReadSteering, move |conn, who| {
            let listed = store::list_participations(conn, id, page)?;
            Ok::<_, ApiError>(ParticipationPage::of(
                listed
                    .items
                    .into_iter()
                    .map(|p| Participation::for_caller(p, who))
                    .collect(),
                listed.total,
                page,
            ))
        })
        .await
        .map(web::Json)
}

/// Record a participation
///
/// For a member of staff (`user_id`) or a position (`position_id`): exactly one of the two
/// (422 `rule`); an unknown one is 422 `reference`; an unknown course 404.
///
/// **Who may call:** `ki_lead`, `coordinator`.
#[utoipa::path(tag = "Qualification", request_body = ParticipationInput,
    params(("id" = i64, Path, description = "Course id")), responses(
    (status = 201, description = "Recorded", body = Participation, headers(("ETag" = String), ("Location" = String))),
    (status = 404, response = crate::error::responses::NotFound),
    sets::CreateErrors,
), security(("bearer" = [])))]
#[post("/courses/{id}/participations")]
pub async fn create_participation(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: Json<ParticipationInput>,
) -> Result<HttpResponse, ApiError> {
    let course_id = id.into_inner();
    let participation = state
        .db
        .write_as(caller, Action::WriteSteering, move |conn, who| {
            let data = body.into_inner().into_data()?;
            Ok(Participation::for_caller(
                store::insert_participation(conn, course_id, &data)?,
                who,
            ))
        })
        .await?;
    let (id, version) = (participation.id, participation.version);
    Ok(created_versioned(
        &participation,
        version,
        format!("/api/v1/course-participations/{id}"),
    ))
}

/// Replace a participation
///
/// The course stays; every other field is replaced, with the same rules as on create.
/// Requires `If-Match`.
///
/// **Who may call:** `ki_lead`, `coordinator`.
#[utoipa::path(tag = "Qualification", request_body = ParticipationInput,
    params(("id" = i64, Path, description = "Participation id"), ("If-Match" = String, Header, description = "ETag of the version you edited")),
    responses(
    (status = 200, description = "The participation", body = Participation, headers(("ETag" = String))),
    sets::ReplaceErrors,
), security(("bearer" = [])))]
#[put("/course-participations/{id}")]
pub async fn update_participation(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: Json<ParticipationInput>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let participation = state
        .db
        .write_as(caller, Action::WriteSteering, move |conn, who| {
            let expected = if_match.version()?;
            let data = body.into_inner().into_data()?;
            Ok(Participation::for_caller(
                store::update_participation(conn, id, expected, &data)?,
                who,
            ))
        })
        .await?;
    let version = participation.version;
    Ok(ok_versioned(&participation, version))
}

/// A course as the qualification of a position lists it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CourseLine {
    pub course_id: i64,
    pub title: String,
    pub hours: i32,
    /// Whether the course is mandatory for the position's function.
    pub mandatory: bool,
}

/// Qualifizierungsstand of a position: what its holder (or the post itself) has taken, and what
/// is still due for its function.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "position_id": 7, "function": "case_management", "phase": "qualification", "holder_user_id": 5,
    "completed": [{"course_id": 3, "title": "Grundlagen Case Management", "hours": 40, "mandatory": true}],
    "in_progress": [],
    "due": [{"course_id": 4, "title": "Aufenthaltsrecht kompakt", "hours": 16, "mandatory": true}]
}))]
pub struct PositionQualification {
    pub position_id: i64,
    pub function: PositionFunction,
    pub phase: StaffingPhase,
    /// Shown only to admin, ki_lead and coordinator (and to the holder).
    pub holder_user_id: Option<i64>,
    /// Courses completed, by the position or its holder, mandatory or not.
    pub completed: Vec<CourseLine>,
    /// Courses attended but not completed.
    pub in_progress: Vec<CourseLine>,
    /// Mandatory courses of the function not completed yet.
    pub due: Vec<CourseLine>,
}

/// Qualification of a position
///
/// What the position's holder has completed (their own participations and the position's),
/// what is in progress, and which courses mandatory for the function are still due. A vacant
/// position counts only the participations recorded for the post.
///
/// **Who may call:** `admin`, `ki_lead`, `coordinator`, `cm_coordinator`, `steering_member`,
/// `analyst`; `case_manager` (own position only; others answer 404).
#[utoipa::path(tag = "Qualification", params(("id" = i64, Path, description = "Position id")), responses(
    (status = 200, description = "The position's qualification", body = PositionQualification),
    sets::ReadErrors,
), security(("bearer" = [])))]
#[get("/positions/{id}/qualification")]
pub async fn position_qualification(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<web::Json<PositionQualification>, ApiError> {
    let id = id.into_inner();
    state
        .db
        .read_with(caller, move |conn, who| {
            let position = readable(conn, who, id)?;
            let record = store::position_record(conn, position)?;
            let p = &record.position;
            let found = standing(
                p.id,
                p.data.function,
                p.data.holder_user_id,
                &record.requirements,
                &record.attendances,
            );
            let lines = |ids: &[i64]| -> Vec<CourseLine> {
                record
                    .courses
                    .iter()
                    .filter(|c| ids.contains(&c.id))
                    .map(|c| CourseLine {
                        course_id: c.id,
                        title: c.title.clone(),
                        hours: c.hours,
                        mandatory: c.mandatory_for.contains(&p.data.function),
                    })
                    .collect()
            };
            Ok::<_, ApiError>(PositionQualification {
                position_id: p.id,
                function: p.data.function,
                phase: p.phase,
                holder_user_id: p
                    .data
                    .holder_user_id
                    .filter(|_| holder_visible(&who.principal, p.data.holder_user_id)),
                completed: lines(&found.completed),
                in_progress: lines(&found.in_progress),
                due: lines(&found.due),
            })
        })
        .await
        .map(web::Json)
}
