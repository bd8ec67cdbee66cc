//! Gremien (bodies): the steering group, project groups, working groups; their members and
//! the work list of each body in the gap process.

use crate::http::body::Json;
use crate::routes::RouteTable;
use actix_web::{delete, get, post, put, web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use kim_domain::body::BodyKind;
use kim_domain::gap::{GapStage, GapStep};
use kim_domain::Action;
use kim_store::bodies::{self as store, BodyData, MemberData};
use kim_store::{gap_steps, gaps};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::{not_blank, trimmed};
use crate::auth::Caller;
use crate::error::error_sets as sets;
use crate::error::{invalid_fields, FieldError};
use crate::http::paging::PageParams;
use crate::http::precondition::{created_versioned, ok_versioned, IfMatch};
use crate::server::AppState;
use crate::{page_type, ApiError};

pub fn configure(cfg: &mut impl RouteTable) {
    cfg.service(list_bodies)
        .service(create_body)
        .service(get_body)
        .service(update_body)
        .service(delete_body)
        .service(worklist);
}

/// Mitglied eines Gremiums: a person (user account) or an organisation, with the function.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"user_id": null, "organisation_id": 11, "function": "Geschäftsführer Jobcenter"}))]
pub struct Member {
    /// A user account; give this, `organisation_id`, or both (a person for an organisation).
    pub user_id: Option<i64>,
    pub organisation_id: Option<i64>,
    /// The member's function in the body, e.g. "Sozialdezernent"; 1 to 200 characters.
    #[validate(length(max = 200), custom(function = "not_blank"))]
    #[schema(pattern = "\\S", min_length = 1, max_length = 200)]
    pub function: String,
}

/// Gremium (body): Lenkungsgruppe (steering group), Projektgruppe (project group), Arbeitskreis.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 1, "kind": "steering_group", "name": "Lenkungsgruppe KIM Rhein-Sieg-Kreis",
    "purpose": "Decides on mandates and solutions for systematic gaps", "topic": null,
    "active_from": "2021-01-01", "active_until": null, "municipality_ids": [],
    "members": [{"user_id": null, "organisation_id": 11, "function": "Geschäftsführer Jobcenter"}],
    "version": 1, "created_at": "2026-11-25T10:00:00Z", "updated_at": "2026-11-25T10:00:00Z"
}))]
pub struct Body {
    pub id: i64,
    pub kind: BodyKind,
    pub name: String,
    pub purpose: Option<String>,
    /// The topic of a thematic project group.
    pub topic: Option<String>,
    pub active_from: Option<NaiveDate>,
    /// Absent while the body is active.
    pub active_until: Option<NaiveDate>,
    /// The municipalities (or social area) a local project group is bound to.
    pub municipality_ids: Vec<i64>,
    pub members: Vec<Member>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<store::Body> for Body {
    fn from(b: store::Body) -> Self {
        let d = b.data;
        Body {
            id: b.id,
            kind: d.kind,
            name: d.name,
            purpose: d.purpose,
            topic: d.topic,
            active_from: d.active_from,
            active_until: d.active_until,
            municipality_ids: d.municipality_ids,
            members: d
                .members
                .into_iter()
                .map(|m| Member {
                    user_id: m.user_id,
                    organisation_id: m.organisation_id,
                    function: m.function,
                })
                .collect(),
            version: b.version,
            created_at: b.created_at,
            updated_at: b.updated_at,
        }
    }
}

page_type!(BodyPage, Body);

/// A body to create, or its new state (PUT replaces every field, members included).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "kind": "project_group_local", "name": "Projektgruppe Troisdorf",
    "purpose": "Local offers for families in Troisdorf", "municipality_ids": [18],
    "active_from": "2021-06-01",
    "members": [{"user_id": 7, "function": "Leitung Projektgruppe"}, {"organisation_id": 14, "function": "Migrationsberatung"}]
}))]
pub struct BodyInput {
    pub kind: BodyKind,
    /// Unique; 1 to 200 characters.
    #[validate(length(max = 200), custom(function = "not_blank"))]
    #[schema(pattern = "\\S", min_length = 1, max_length = 200)]
    pub name: String,
    /// At most 2000 characters.
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    pub purpose: Option<String>,
    /// Required for a thematic project group; at most 200 characters.
    #[validate(length(max = 200))]
    #[schema(max_length = 200)]
    pub topic: Option<String>,
    pub active_from: Option<NaiveDate>,
    /// Not before `active_from`.
    pub active_until: Option<NaiveDate>,
    /// Required (at least one) for a local project group; existing municipalities.
    #[serde(default)]
    #[validate(length(max = 100, message = "at most 100 municipalities"))]
    #[schema(max_items = 100)]
    pub municipality_ids: Vec<i64>,
    /// At most 100.
    #[serde(default)]
    #[validate(length(max = 100, message = "at most 100 members"), nested)]
    #[schema(max_items = 100)]
    pub members: Vec<Member>,
}

impl BodyInput {
    fn into_data(self) -> Result<BodyData, ApiError> {
        let mut errors: Vec<FieldError> = invalid_fields(&self);
        let topic = trimmed(self.topic);
        if self.kind == BodyKind::ProjectGroupThematic && topic.is_none() {
            errors.push(FieldError::rule(
                "topic",
                "is required for a thematic project group",
            ));
        }
        if self.kind == BodyKind::ProjectGroupLocal && self.municipality_ids.is_empty() {
            errors.push(FieldError::rule(
                "municipality_ids",
                "name at least one municipality for a local project group",
            ));
        }
        if let (Some(from), Some(until)) = (self.active_from, self.active_until) {
            if until < from {
                errors.push(FieldError::rule(
                    "active_until",
                    "must not be before active_from",
                ));
            }
        }
        for (index, member) in self.members.iter().enumerate() {
            if member.user_id.is_none() && member.organisation_id.is_none() {
                errors.push(FieldError::rule(
                    format!("members[{index}]"),
                    "give user_id, organisation_id or both",
                ));
            }
        }
        if !errors.is_empty() {
            errors.sort_by(|a, b| a.field.cmp(&b.field));
            return Err(ApiError::Validation(errors));
        }
        Ok(BodyData {
            kind: self.kind,
            name: self.name.trim().to_owned(),
            purpose: trimmed(self.purpose),
            topic,
            active_from: self.active_from,
            active_until: self.active_until,
            municipality_ids: self.municipality_ids,
            members: self
                .members
                .into_iter()
                .map(|m| MemberData {
                    user_id: m.user_id,
                    organisation_id: m.organisation_id,
                    function: m.function.trim().to_owned(),
                })
                .collect(),
        })
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct BodyQuery {
    /// Only bodies of this kind.
    pub kind: Option<BodyKind>,
    #[serde(default, deserialize_with = "crate::http::paging::whole_number")]
    pub limit: Option<i64>,
    #[serde(default, deserialize_with = "crate::http::paging::whole_number")]
    pub offset: Option<i64>,
}

/// List bodies
///
/// By name. Filter by `kind`.
///
/// **Who may call:** every role that reads gaps: `ki_lead`, `coordinator`, `cm_coordinator`,
/// `case_manager`, `steering_member`, `project_group_member`, `analyst`.
#[utoipa::path(tag = "Bodies", params(("kind" = Option<BodyKind>, Query, description = "Only bodies of this kind"), PageParams), responses(
    (status = 200, description = "One page of bodies", body = BodyPage),
    sets::ListErrors,
), security(("bearer" = [])))]
#[get("/bodies")]
pub async fn list_bodies(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<BodyQuery>,
) -> Result<web::Json<BodyPage>, ApiError> {
    let page = PageParams {
        limit: query.limit,
        offset: query.offset,
    }
    .page()?;
    let kind = query.kind;
    let bodies = state
        .db
        .read_as(caller, Action::ReadGaps, move |conn, _| {
            store::list(conn, kind, page)
        })
        .await?;
    Ok(web::Json(BodyPage::new(bodies, page)))
}

/// Create a body
///
/// Members must exist (users, organisations; 422 on `members`); names are unique (409).
///
/// **Who may call:** `ki_lead`, `coordinator`.
#[utoipa::path(tag = "Bodies", request_body = BodyInput, responses(
    (status = 201, description = "Created", body = Body, headers(("ETag" = String), ("Location" = String))),
    sets::CreateErrors,
), security(("bearer" = [])))]
#[post("/bodies")]
pub async fn create_body(
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<BodyInput>,
) -> Result<HttpResponse, ApiError> {
    let body = state
        .db
        .write_as(caller, Action::ManageBodies, move |conn, _| {
            let data = body.into_inner().into_data()?;
            Ok(store::insert(conn, &data)?)
        })
        .await?;
    let (id, version) = (body.id, body.version);
    Ok(created_versioned(
        &Body::from(body),
        version,
        format!("/api/v1/bodies/{id}"),
    ))
}

/// Get a body
///
/// **Who may call:** every role that reads gaps (see `GET /bodies`).
#[utoipa::path(tag = "Bodies", params(("id" = i64, Path, description = "Body id")), responses(
    (status = 200, description = "The body", body = Body, headers(("ETag" = String))),
    sets::ReadErrors,
), security(("bearer" = [])))]
#[get("/bodies/{id}")]
pub async fn get_body(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let body_id = id.into_inner();
    let body = state
        .db
        .read_as(caller, Action::ReadGaps, move |conn, _| {
            store::find(conn, body_id)
        })
        .await?;
    let version = body.version;
    Ok(ok_versioned(&Body::from(body), version))
}

/// Replace a body
///
/// Replaces every field, members included. A body that holds gap mandates keeps its kind (409).
/// Requires `If-Match`.
///
/// **Who may call:** `ki_lead`, `coordinator`.
#[utoipa::path(tag = "Bodies", request_body = BodyInput,
    params(("id" = i64, Path, description = "Body id"), ("If-Match" = String, Header, description = "ETag of the version you edited")),
    responses(
    (status = 200, description = "The body", body = Body, headers(("ETag" = String))),
    sets::ReplaceErrors,
), security(("bearer" = [])))]
#[put("/bodies/{id}")]
pub async fn update_body(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: Json<BodyInput>,
) -> Result<HttpResponse, ApiError> {
    let body_id = id.into_inner();
    let body = state
        .db
        .write_as(caller, Action::ManageBodies, move |conn, _| {
            let expected = if_match.version()?;
            let data = body.into_inner().into_data()?;
            Ok(store::update(conn, body_id, expected, &data)?)
        })
        .await?;
    let version = body.version;
    Ok(ok_versioned(&Body::from(body), version))
}

/// Delete a body
///
/// Only a body without meetings and gap mandates (409 otherwise: set `active_until` instead).
/// Requires `If-Match`.
///
/// **Who may call:** `ki_lead`, `coordinator`.
#[utoipa::path(tag = "Bodies",
    params(("id" = i64, Path, description = "Body id"), ("If-Match" = String, Header, description = "ETag of the current version")),
    responses(
    (status = 204, description = "Deleted"),
    sets::DeleteErrors,
), security(("bearer" = [])))]
#[delete("/bodies/{id}")]
pub async fn delete_body(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let body_id = id.into_inner();
    state
        .db
        .write_as(caller, Action::ManageBodies, move |conn, _| {
            Ok(store::delete(conn, body_id, if_match.version()?)?)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The next meeting of a body, in short.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeetingRef {
    pub id: i64,
    pub held_on: NaiveDate,
    pub title: String,
}

/// A gap waiting for the body.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorklistItem {
    pub gap_id: i64,
    pub title: String,
    pub stage: GapStage,
    /// The steps the body's members can take now.
    pub steps: Vec<GapStep>,
    /// The due date of the current mandate, for a project group.
    pub due_on: Option<NaiveDate>,
}

/// Arbeitsliste eines Gremiums (work list of a body).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"body_id": 1, "kind": "steering_group",
    "next_meeting": {"id": 3, "held_on": "2026-12-10", "title": "Lenkungsgruppe Q4"},
    "items": [{"gap_id": 5, "title": "No daycare places for children without residence title", "stage": "with_steering_group", "steps": ["mandate", "reject"], "due_on": null}]}))]
pub struct Worklist {
    pub body_id: i64,
    pub kind: BodyKind,
    /// The next meeting on or after today, where the items can be taken up.
    pub next_meeting: Option<MeetingRef>,
    pub items: Vec<WorklistItem>,
}

/// A body's work list
///
/// For the steering group: the gaps waiting for its next meeting (`with_steering_group`:
/// mandate or reject; `solutions_proposed`: decide or send back). For a project group: the
/// gaps whose current mandate names it and that wait for its solutions (`mandated`), with the
/// due date. Other bodies: none. Oldest gap first; the next meeting is included.
///
/// **Who may call:** every role that reads gaps (see `GET /bodies`).
#[utoipa::path(tag = "Bodies", params(("id" = i64, Path, description = "Body id")), responses(
    (status = 200, description = "The work list", body = Worklist),
    sets::ReadErrors,
), security(("bearer" = [])))]
#[get("/bodies/{id}/worklist")]
pub async fn worklist(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<web::Json<Worklist>, ApiError> {
    let id = id.into_inner();
    let today = Utc::now().date_naive();
    state
        .db
        .read_as(caller, Action::ReadGaps, move |conn, _| {
            let body = store::find(conn, id)?;
            let kind = body.data.kind;
            let mut items = Vec::new();
            if kind.records_gap_decisions() {
                for gap in gaps::in_stages(
                    conn,
                    &[GapStage::WithSteeringGroup, GapStage::SolutionsProposed],
                )? {
                    items.push(WorklistItem {
                        gap_id: gap.id,
                        steps: gap.stage.steps(),
                        title: gap.data.title,
                        stage: gap.stage,
                        due_on: None,
                    });
                }
            } else if kind.is_project_group() {
                for gap in gaps::in_stages(conn, &[GapStage::Mandated])? {
                    let current = gap_steps::mandates(conn, gap.id)?.pop();
                    if let Some(mandate) = current.filter(|m| m.project_group_ids.contains(&id)) {
                        items.push(WorklistItem {
                            gap_id: gap.id,
                            steps: gap.stage.steps(),
                            title: gap.data.title,
                            stage: gap.stage,
                            due_on: Some(mandate.due_on),
                        });
                    }
                }
            }
            let next_meeting = store::next_meeting(conn, id, today)?.map(|m| MeetingRef {
                id: m.id,
                held_on: m.data.held_on,
                title: m.data.title,
            });
            Ok::<_, kim_store::StoreError>(Worklist {
                body_id: id,
                kind,
                next_meeting,
                items,
            })
        })
        .await
        .map(web::Json)
}
