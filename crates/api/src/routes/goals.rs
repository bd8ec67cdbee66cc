//! The help plan (Hilfeplan) of a case: goals with topic, target date, status and appended
//! progress notes. Also the case-data access helpers shared by contacts and conferences.

use crate::http::body::Json;
use crate::routes::RouteTable;
use actix_web::{get, post, put, web, HttpResponse};
use chrono::{NaiveDate, Utc};
use kim_domain::access::Access;
use kim_domain::audit::{AuditObject, AuditVerb};
use kim_domain::case::Topic;
use kim_domain::help_plan::GoalStatus;
use kim_store::goals::{self as store, GoalData};
use kim_store::DbConn;
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use super::not_blank;
use crate::auth::{Authenticated, Caller};
use crate::case_access::{
    audit_client, case_ref_for, list_of_case, require_case_role, writable_case_ref,
};
use crate::error::error_sets as sets;
use crate::http::paging::slice;
use crate::http::paging::PageParams;
use crate::http::precondition::{created_versioned, ok_versioned, IfMatch};
use crate::server::AppState;
use crate::views::goal::Goal;
use crate::{page_type, ApiError};

pub fn configure(cfg: &mut impl RouteTable) {
    cfg.service(list_goals)
        .service(create_goal)
        .service(get_goal)
        .service(update_goal)
        .service(add_goal_note);
}

page_type!(GoalPage, Goal);

/// A goal to create, or its new state (PUT replaces every field; notes are appended separately).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"text": "B1 language certificate", "topic": "language", "target_on": "2027-06-30", "status": "open"}))]
pub struct GoalInput {
    /// What the client wants to reach, 1 to 2000 characters.
    #[validate(length(max = 2000), custom(function = "not_blank"))]
    #[schema(pattern = "\\S", min_length = 1, max_length = 2000)]
    pub text: String,
    pub topic: Topic,
    /// By when the goal should be reached.
    pub target_on: Option<NaiveDate>,
    /// Default `open` on create; required on PUT.
    pub status: Option<GoalStatus>,
}

impl GoalInput {
    fn into_data(self, default_status: Option<GoalStatus>) -> Result<GoalData, ApiError> {
        self.validate()?;
        let status = self
            .status
            .or(default_status)
            .ok_or_else(|| ApiError::rule("status", "is required"))?;
        Ok(GoalData {
            text: self.text.trim().to_owned(),
            topic: self.topic,
            target_on: self.target_on,
            status,
        })
    }
}

/// A progress note to append.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"text": "Passed the A2 exam", "noted_on": "2026-11-20"}))]
pub struct GoalNoteInput {
    /// 1 to 2000 characters.
    #[validate(length(max = 2000), custom(function = "not_blank"))]
    #[schema(pattern = "\\S", min_length = 1, max_length = 2000)]
    pub text: String,
    /// Default today; not in the future.
    pub noted_on: Option<NaiveDate>,
}

const CASE_ID: &str = "Case id";

/// List the goals of a case
///
/// The help plan: open goals first, then by target date. Reading writes an audit event.
///
/// **Who may call:** `case_manager` (cases they are assigned to or deputise), `cm_coordinator`
/// (read). Other roles 403; a case the caller may not see 404.
#[utoipa::path(tag = "Help plan", params(("id" = i64, Path, description = CASE_ID), PageParams), responses(
    (status = 200, description = "The goals of the case", body = GoalPage),
    (status = 404, response = crate::error::responses::NotFound),
    sets::ListErrors,
), security(("bearer" = [])))]
#[get("/cases/{id}/goals")]
pub async fn list_goals(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    paging: web::Query<PageParams>,
) -> Result<web::Json<GoalPage>, ApiError> {
    let page = paging.page()?;
    let case_id = id.into_inner();
    let listed = state
        .db
        .write_with_denied(caller, (AuditObject::Case, case_id), move |conn, who| {
            list_of_case(conn, who, case_id, AuditObject::Goal, store::of_case)
        })
        .await?;
    Ok(web::Json(GoalPage::new(slice(listed, page), page)))
}

/// Add a goal to a case
///
/// **Who may call:** `case_manager` of the case (assigned or deputy). `cm_coordinator` 403;
/// other roles 403; a case the caller may not see 404.
#[utoipa::path(tag = "Help plan", params(("id" = i64, Path, description = CASE_ID)), request_body = GoalInput, responses(
    (status = 201, description = "Created", body = Goal, headers(("ETag" = String), ("Location" = String))),
    (status = 404, response = crate::error::responses::NotFound),
    sets::CreateErrors,
), security(("bearer" = [])))]
#[post("/cases/{id}/goals")]
pub async fn create_goal(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: Json<GoalInput>,
) -> Result<HttpResponse, ApiError> {
    let case_id = id.into_inner();
    let input = body.into_inner();
    let created = state
        .db
        .write_with(caller, move |conn, who| {
            require_case_role(who)?;
            let case = writable_case_ref(conn, who, case_id)?;
            let data = input.into_data(Some(GoalStatus::Open))?;
            let goal = store::insert(conn, &who.actor(), case_id, &data)?;
            audit_goal(conn, who, AuditVerb::Create, goal.id, case.lead_client_id)?;
            Ok::<_, ApiError>(goal)
        })
        .await?;
    let (id, version) = (created.id, created.version);
    Ok(created_versioned(
        &Goal::from(created),
        version,
        format!("/api/v1/goals/{id}"),
    ))
}

/// The goal and its case's lead client, if the caller may read (or write) it.
fn goal_for(
    conn: &mut DbConn,
    who: &Authenticated,
    id: i64,
    write: bool,
) -> Result<(store::Goal, i64), ApiError> {
    let case_id = store::case_of(conn, id)?;
    let case = if write {
        writable_case_ref(conn, who, case_id)?
    } else {
        case_ref_for(conn, who, case_id, Access::Read)?
    };
    Ok((store::find(conn, id)?, case.lead_client_id))
}

/// Get a goal
///
/// **Who may call:** `case_manager` of the goal's case, `cm_coordinator`. Anyone else 404.
#[utoipa::path(tag = "Help plan", params(("id" = i64, Path, description = "Goal id")), responses(
    (status = 200, description = "The goal", body = Goal, headers(("ETag" = String))),
    sets::ReadErrors,
), security(("bearer" = [])))]
#[get("/goals/{id}")]
pub async fn get_goal(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let goal = state
        .db
        .write_with_denied(caller, (AuditObject::Goal, id), move |conn, who| {
            let (goal, lead) = goal_for(conn, who, id, false)?;
            audit_goal(conn, who, AuditVerb::Read, id, lead)?;
            Ok::<_, ApiError>(goal)
        })
        .await?;
    let version = goal.version;
    Ok(ok_versioned(&Goal::from(goal), version))
}

/// Replace a goal
///
/// Replaces text, topic, target date and status (`open`, `achieved`, `dropped`; any may follow
/// any, the notes keep the history). Requires `If-Match`.
///
/// **Who may call:** `case_manager` of the goal's case. `cm_coordinator` 403; anyone else 404.
#[utoipa::path(tag = "Help plan", request_body = GoalInput,
    params(("id" = i64, Path, description = "Goal id"), ("If-Match" = String, Header, description = "ETag of the version you edited")),
    responses(
    (status = 200, description = "The goal", body = Goal, headers(("ETag" = String))),
    sets::ReplaceErrors,
), security(("bearer" = [])))]
#[put("/goals/{id}")]
pub async fn update_goal(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: Json<GoalInput>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let input = body.into_inner();
    let updated = state
        .db
        .write_with(caller, move |conn, who| {
            let (_, lead) = goal_for(conn, who, id, true)?;
            let expected = if_match.version()?;
            let data = input.into_data(None)?;
            let goal = store::update(conn, id, expected, &data)?;
            audit_goal(conn, who, AuditVerb::Update, id, lead)?;
            Ok::<_, ApiError>(goal)
        })
        .await?;
    let version = updated.version;
    Ok(ok_versioned(&Goal::from(updated), version))
}

/// Append a progress note to a goal
///
/// Notes are never edited; each carries its date (default today) and author. The goal's version
/// moves on. No `If-Match` needed: appending cannot overwrite anyone's change.
///
/// **Who may call:** `case_manager` of the goal's case. `cm_coordinator` 403; anyone else 404.
#[utoipa::path(tag = "Help plan", request_body = GoalNoteInput,
    params(("id" = i64, Path, description = "Goal id")),
    responses(
    (status = 201, description = "The goal with the new note", body = Goal, headers(("ETag" = String), ("Location" = String))),
    (status = 404, response = crate::error::responses::NotFound),
    sets::CreateErrors,
), security(("bearer" = [])))]
#[post("/goals/{id}/notes")]
pub async fn add_goal_note(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: Json<GoalNoteInput>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let input = body.into_inner();
    let today = Utc::now().date_naive();
    let updated = state
        .db
        .write_with(caller, move |conn, who| {
            let (_, lead) = goal_for(conn, who, id, true)?;
            input.validate()?;
            let noted_on = input.noted_on.unwrap_or(today);
            if noted_on > today {
                return Err(ApiError::rule("noted_on", "must not be in the future"));
            }
            let goal = store::add_note(conn, &who.actor(), id, noted_on, input.text.trim())?;
            audit_goal(conn, who, AuditVerb::Update, id, lead)?;
            Ok::<_, ApiError>(goal)
        })
        .await?;
    let version = updated.version;
    Ok(created_versioned(
        &Goal::from(updated),
        version,
        format!("/api/v1/goals/{id}"),
    ))
}

/// The trail event of what `who` did with a goal: goals are about their case's lead client.
fn audit_goal(
    conn: &mut DbConn,
    who: &Authenticated,
    verb: AuditVerb,
    goal_id: i64,
    lead_client_id: i64,
) -> Result<(), ApiError> {
    audit_client(
        conn,
        who,
        AuditObject::Goal,
        verb,
        Some(goal_id),
        Some(lead_client_id),
    )
}
