//! Sitzungen (meetings) of bodies: agenda, attendees, minutes, and decisions.

use crate::http::body::Json;
use crate::routes::RouteTable;
use actix_web::{delete, get, post, put, web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use kim_domain::body::DecisionOutcome;
use kim_domain::Action;
use kim_store::bodies::{self as store, AgendaItem as StoredItem, MeetingData};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::{not_blank, trimmed};
use crate::auth::Caller;
use crate::error::error_sets as sets;
use crate::http::paging::PageParams;
use crate::http::precondition::{created_versioned, ok_versioned, IfMatch};
use crate::server::AppState;
use crate::{page_type, ApiError};
use kim_store::bodies::Decision;

pub fn configure(cfg: &mut impl RouteTable) {
    cfg.service(list_meetings)
        .service(create_meeting)
        .service(get_meeting)
        .service(update_meeting)
        .service(delete_meeting)
        .service(add_decision);
}

/// Tagesordnungspunkt (agenda item): free, or about a gap.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgendaItem {
    /// 1 to 200 characters.
    #[validate(length(max = 200), custom(function = "not_blank"))]
    #[schema(pattern = "\\S", min_length = 1, max_length = 200)]
    pub title: String,
    /// The gap discussed under this item.
    pub gap_id: Option<i64>,
}

/// Sitzung (meeting) of a body.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 3, "body_id": 1, "held_on": "2026-12-10", "title": "Lenkungsgruppe Q4",
    "minutes": null, "attendee_user_ids": [4, 6],
    "agenda": [{"title": "Kita places for children without residence title", "gap_id": 5}],
    "decisions": [], "version": 1,
    "created_at": "2026-11-25T10:00:00Z", "updated_at": "2026-11-25T10:00:00Z"
}))]
pub struct Meeting {
    pub id: i64,
    pub body_id: i64,
    pub held_on: NaiveDate,
    pub title: String,
    /// Protokoll (minutes).
    pub minutes: Option<String>,
    pub attendee_user_ids: Vec<i64>,
    /// In order.
    pub agenda: Vec<AgendaItem>,
    /// Oldest first; the gap steps of the steering group add theirs here.
    pub decisions: Vec<Decision>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<store::Meeting> for Meeting {
    fn from(m: store::Meeting) -> Self {
        Meeting {
            id: m.id,
            body_id: m.body_id,
            held_on: m.data.held_on,
            title: m.data.title,
            minutes: m.data.minutes,
            attendee_user_ids: m.data.attendee_user_ids,
            agenda: m
                .data
                .agenda
                .into_iter()
                .map(|i| AgendaItem {
                    title: i.title,
                    gap_id: i.gap_id,
                })
                .collect(),
            decisions: m.decisions,
            version: m.version,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

page_type!(MeetingPage, Meeting);

/// A meeting to record or plan, or its new state (PUT replaces every field but decisions).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"held_on": "2026-12-10", "title": "Lenkungsgruppe Q4",
    "attendee_user_ids": [4, 6],
    "agenda": [{"title": "Kita places for children without residence title", "gap_id": 5}, {"title": "Verschiedenes"}]}))]
pub struct MeetingInput {
    /// Past (recorded) or future (planned).
    pub held_on: NaiveDate,
    /// 1 to 200 characters.
    #[validate(length(max = 200), custom(function = "not_blank"))]
    #[schema(pattern = "\\S", min_length = 1, max_length = 200)]
    pub title: String,
    /// Protokoll; at most 20000 characters.
    #[validate(length(max = 20000))]
    #[schema(max_length = 20000)]
    pub minutes: Option<String>,
    /// Existing users; at most 100.
    #[serde(default)]
    #[validate(length(max = 100, message = "at most 100 attendees"))]
    #[schema(max_items = 100)]
    pub attendee_user_ids: Vec<i64>,
    /// At most 100 items; a `gap_id` must name an existing gap.
    #[serde(default)]
    #[validate(length(max = 100, message = "at most 100 agenda items"), nested)]
    #[schema(max_items = 100)]
    pub agenda: Vec<AgendaItem>,
}

impl MeetingInput {
    fn into_data(self) -> Result<MeetingData, ApiError> {
        self.validate()?;
        Ok(MeetingData {
            held_on: self.held_on,
            title: self.title.trim().to_owned(),
            minutes: trimmed(self.minutes),
            attendee_user_ids: self.attendee_user_ids,
            agenda: self
                .agenda
                .into_iter()
                .map(|i| StoredItem {
                    title: i.title.trim().to_owned(),
                    gap_id: i.gap_id,
                })
                .collect(),
        })
    }
}

/// List the meetings of a body
///
/// Newest first.
///
/// **Who may call:** every role that reads gaps (see `GET /bodies`).
#[utoipa::path(tag = "Bodies", params(("id" = i64, Path, description = "Body id"), PageParams), responses(
    (status = 200, description = "One page of meetings", body = MeetingPage),
    (status = 404, response = crate::error::responses::NotFound),
    sets::ListErrors,
), security(("bearer" = [])))]
#[get("/bodies/{id}/meetings")]
pub async fn list_meetings(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    paging: web::Query<PageParams>,
) -> Result<web::Json<MeetingPage>, ApiError> {
    let page = paging.page()?;
    let id = id.into_inner();
    let meetings = state
        .db
        .read_as(caller, Action::ReadGaps, move |conn, _| {
            store::meetings_of(conn, id, page)
        })
        .await?;
    Ok(web::Json(MeetingPage::new(meetings, page)))
}

/// Record or plan a meeting of a body
///
/// **Who may call:** `ki_lead`, `coordinator`.
#[utoipa::path(tag = "Bodies", request_body = MeetingInput, params(("id" = i64, Path, description = "Body id")), responses(
    (status = 201, description = "Created", body = Meeting, headers(("ETag" = String), ("Location" = String))),
    (status = 404, response = crate::error::responses::NotFound),
    sets::CreateErrors,
), security(("bearer" = [])))]
#[post("/bodies/{id}/meetings")]
pub async fn create_meeting(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: Json<MeetingInput>,
) -> Result<HttpResponse, ApiError> {
    let body_id = id.into_inner();
    let meeting = state
        .db
        .write_as(caller, Action::ManageBodies, move |conn, _| {
            let data = body.into_inner().into_data()?;
            Ok(store::insert_meeting(conn, body_id, &data)?)
        })
        .await?;
    let (id, version) = (meeting.id, meeting.version);
    Ok(created_versioned(
        &Meeting::from(meeting),
        version,
        format!("/api/v1/meetings/{id}"),
    ))
}

/// Get a meeting with its decisions
///
/// **Who may call:** every role that reads gaps (see `GET /bodies`).
#[utoipa::path(tag = "Bodies", params(("id" = i64, Path, description = "Meeting id")), responses(
    (status = 200, description = "The meeting", body = Meeting, headers(("ETag" = String))),
    sets::ReadErrors,
), security(("bearer" = [])))]
#[get("/meetings/{id}")]
pub async fn get_meeting(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let meeting_id = id.into_inner();
    let meeting = state
        .db
        .read_as(caller, Action::ReadGaps, move |conn, _| {
            store::find_meeting(conn, meeting_id)
        })
        .await?;
    let version = meeting.version;
    Ok(ok_versioned(&Meeting::from(meeting), version))
}

/// Replace a meeting
///
/// Date, title, minutes, attendees and agenda; decisions are added with
/// `POST /meetings/{id}/decisions` and by the gap steps, never replaced. Requires `If-Match`.
///
/// **Who may call:** `ki_lead`, `coordinator`.
#[utoipa::path(tag = "Bodies", request_body = MeetingInput,
    params(("id" = i64, Path, description = "Meeting id"), ("If-Match" = String, Header, description = "ETag of the version you edited")),
    responses(
    (status = 200, description = "The meeting", body = Meeting, headers(("ETag" = String))),
    sets::ReplaceErrors,
), security(("bearer" = [])))]
#[put("/meetings/{id}")]
pub async fn update_meeting(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: Json<MeetingInput>,
) -> Result<HttpResponse, ApiError> {
    let meeting_id = id.into_inner();
    let meeting = state
        .db
        .write_as(caller, Action::ManageBodies, move |conn, _| {
            let expected = if_match.version()?;
            let data = body.into_inner().into_data()?;
            Ok(store::update_meeting(conn, meeting_id, expected, &data)?)
        })
        .await?;
    let version = meeting.version;
    Ok(ok_versioned(&Meeting::from(meeting), version))
}

/// Delete a meeting
///
/// Only a meeting without decisions (409 otherwise). Requires `If-Match`.
///
/// **Who may call:** `ki_lead`, `coordinator`.
#[utoipa::path(tag = "Bodies",
    params(("id" = i64, Path, description = "Meeting id"), ("If-Match" = String, Header, description = "ETag of the current version")),
    responses(
    (status = 204, description = "Deleted"),
    sets::DeleteErrors,
), security(("bearer" = [])))]
#[delete("/meetings/{id}")]
pub async fn delete_meeting(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let meeting_id = id.into_inner();
    state
        .db
        .write_as(caller, Action::ManageBodies, move |conn, _| {
            Ok(store::delete_meeting(
                conn,
                meeting_id,
                if_match.version()?,
            )?)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The outcomes a decision recorded by hand may have (`DecisionOutcome` without those the gap
/// steps record); for the document only, the body is read as `DecisionOutcome` and the others
/// refused.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
enum RecordedOutcome {
    Adopted,
    Rejected,
    Deferred,
}

/// A free decision to record.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"text": "The Arbeitskreis meets quarterly from 2027", "outcome": "adopted"}))]
pub struct DecisionInput {
    /// 1 to 2000 characters.
    #[validate(length(max = 2000), custom(function = "not_blank"))]
    #[schema(pattern = "\\S", min_length = 1, max_length = 2000)]
    pub text: String,
    /// `adopted`, `rejected` or `deferred`; the others are recorded by the gap steps.
    #[schema(value_type = RecordedOutcome)]
    pub outcome: DecisionOutcome,
    /// A gap the decision is about (without moving it; use the gap steps for that).
    pub gap_id: Option<i64>,
}

/// Record a decision of a meeting
///
/// A free decision (`adopted`, `rejected`, `deferred`). The steering group's decisions on gaps
/// (`mandated`, `solutions_accepted`, `sent_back`, and `rejected` mandates) are recorded by the
/// gap steps, which name the meeting (422 here for those outcomes). Decisions are never changed.
///
/// **Who may call:** `ki_lead`, `coordinator`.
#[utoipa::path(tag = "Bodies", request_body = DecisionInput, params(("id" = i64, Path, description = "Meeting id")), responses(
    (status = 201, description = "Recorded", body = Decision),
    (status = 404, response = crate::error::responses::NotFound),
    sets::CreateErrors,
), security(("bearer" = [])))]
#[post("/meetings/{id}/decisions")]
pub async fn add_decision(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: Json<DecisionInput>,
) -> Result<HttpResponse, ApiError> {
    let caller = state.db.authenticate(caller).await?;
    caller.require(Action::ManageBodies)?;
    let input = body.into_inner();
    input.validate()?;
    if input.outcome.is_gap_step() {
        return Err(ApiError::field(
            "outcome",
            "mandated, solutions_accepted and sent_back are recorded by the gap steps; use adopted, rejected or deferred",
        ));
    }
    let meeting_id = id.into_inner();
    let actor = caller.actor();
    let decision = state
        .db
        .write(move |conn| {
            store::find_meeting(conn, meeting_id)?;
            if let Some(gap) = input.gap_id {
                kim_store::gaps::stage_of(conn, gap)
                    .map_err(|e| e.on_reference("gap_id", format!("no gap with id {gap}")))?;
            }
            store::insert_decision(
                conn,
                &actor,
                meeting_id,
                input.gap_id,
                input.text.trim(),
                input.outcome,
            )
        })
        .await?;
    Ok(HttpResponse::Created().json(decision))
}
