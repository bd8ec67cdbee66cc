//! Befragungen (survey campaigns): a questionnaire version put to respondent slots
//! (municipalities, organisations) for a period; and the caller's own surveys to answer.

use crate::http::body::Json;
use crate::routes::RouteTable;
use actix_web::{delete, get, post, put, web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use kim_domain::survey::{
    check_initial_status, check_slot, CampaignStatus, RespondentKind, RespondentSlot,
};
use kim_domain::{Action, Principal};
use kim_store::surveys::campaigns::{self as store, CampaignData, CampaignFilter};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::{not_blank, trimmed};
use crate::auth::Caller;
use crate::error::error_sets as sets;
use crate::error::{invalid_fields, responses as err, FieldError};
use crate::http::paging::PageParams;
use crate::http::precondition::{created_versioned, ok_versioned, IfMatch};
use crate::server::AppState;
use crate::views::respondent::Respondent;
use crate::ApiError;

pub fn configure(cfg: &mut impl RouteTable) {
    cfg.service(list_campaigns)
        .service(get_campaign)
        .service(create_campaign)
        .service(update_campaign)
        .service(delete_campaign)
        .service(add_respondent)
        .service(remove_respondent)
        .service(my_surveys);
}

/// How far the respondents are.
#[derive(Debug, Serialize, ToSchema)]
pub struct Progress {
    pub respondents: i64,
    pub not_started: i64,
    pub draft: i64,
    pub submitted: i64,
}

/// Befragung (survey campaign).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 1, "questionnaire_id": 1, "questionnaire_version_id": 1, "questionnaire_version": 1,
    "title": "Bedarfsabfrage Frühjahr 2021", "description": null,
    "opens_on": "2021-03-01", "closes_on": "2021-04-30", "status": "open",
    "progress": {"respondents": 22, "not_started": 3, "draft": 3, "submitted": 16},
    "version": 2, "created_at": "2026-11-25T10:00:00Z", "updated_at": "2026-11-25T10:00:00Z"
}))]
pub struct Campaign {
    pub id: i64,
    pub questionnaire_id: i64,
    pub questionnaire_version_id: i64,
    /// The version's number within its questionnaire.
    pub questionnaire_version: i32,
    pub title: String,
    pub description: Option<String>,
    /// First day answers are taken.
    pub opens_on: NaiveDate,
    /// Last day answers are taken.
    pub closes_on: NaiveDate,
    pub status: CampaignStatus,
    pub progress: Progress,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<store::Campaign> for Campaign {
    fn from(c: store::Campaign) -> Self {
        let counts = c.counts;
        Campaign {
            id: c.id,
            questionnaire_id: c.questionnaire_id,
            questionnaire_version_id: c.data.questionnaire_version_id,
            questionnaire_version: c.questionnaire_version_number,
            title: c.data.title,
            description: c.data.description,
            opens_on: c.data.opens_on,
            closes_on: c.data.closes_on,
            status: c.data.status,
            progress: Progress {
                respondents: counts.not_started + counts.draft + counts.submitted,
                not_started: counts.not_started,
                draft: counts.draft,
                submitted: counts.submitted,
            },
            version: c.version,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

crate::page_type!(CampaignPage, Campaign);

/// A respondent slot to add: a municipality or an organisation, optionally a named person.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"kind": "municipality", "municipality_id": 17, "respondent_user_id": 12}))]
pub struct RespondentInput {
    pub kind: RespondentKind,
    /// Required for `municipality`, absent for `organisation`.
    pub municipality_id: Option<i64>,
    /// Required for `organisation`, absent for `municipality`.
    pub organisation_id: Option<i64>,
    /// The person who answers (any role that may answer surveys). Organisation slots may also be
    /// answered by a partner token of the organisation with scope `surveys:write`.
    pub respondent_user_id: Option<i64>,
}

impl RespondentInput {
    fn slot(&self, at: &str) -> Result<RespondentSlot, FieldError> {
        let slot = RespondentSlot {
            kind: self.kind,
            municipality_id: self.municipality_id,
            organisation_id: self.organisation_id,
            respondent_user_id: self.respondent_user_id,
        };
        check_slot(&slot, at).map_err(FieldError::from)?;
        Ok(slot)
    }
}

/// A campaign's fields (PUT replaces every one).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "questionnaire_version_id": 1, "title": "Bedarfsabfrage Frühjahr 2021",
    "opens_on": "2021-03-01", "closes_on": "2021-04-30", "status": "open"
}))]
pub struct CampaignUpdate {
    /// A questionnaire version; it becomes frozen. Changes only while the campaign is a draft.
    pub questionnaire_version_id: i64,
    /// Unique; 1 to 200 characters.
    #[validate(length(max = 200), custom(function = "not_blank"))]
    #[schema(pattern = "\\S", min_length = 1, max_length = 200)]
    pub title: String,
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    pub description: Option<String>,
    pub opens_on: NaiveDate,
    /// Not before `opens_on`.
    pub closes_on: NaiveDate,
    /// Default `draft`. Moves: `draft` → `open` → `closed` → `open` (409 otherwise).
    pub status: Option<CampaignStatus>,
}

impl CampaignUpdate {
    fn data(&self) -> Result<CampaignData, Vec<FieldError>> {
        let mut errors = invalid_fields(&self);
        if self.closes_on < self.opens_on {
            errors.push(FieldError::rule("closes_on", "must not be before opens_on"));
        }
        if !errors.is_empty() {
            errors.sort_by(|a, b| a.field.cmp(&b.field));
            return Err(errors);
        }
        Ok(CampaignData {
            questionnaire_version_id: self.questionnaire_version_id,
            title: self.title.trim().to_owned(),
            description: trimmed(self.description.clone()),
            opens_on: self.opens_on,
            closes_on: self.closes_on,
            status: self.status.unwrap_or(CampaignStatus::Draft),
        })
    }
}

/// A new campaign with its respondents.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "questionnaire_version_id": 1, "title": "Bedarfsabfrage Frühjahr 2021",
    "opens_on": "2021-03-01", "closes_on": "2021-04-30",
    "respondents": [
        {"kind": "municipality", "municipality_id": 17, "respondent_user_id": 12},
        {"kind": "organisation", "organisation_id": 14}]
}))]
///
/// The fields are those of [`CampaignUpdate`] written out rather than `#[serde(flatten)]`ed:
/// a flattened schema becomes an `allOf` whose first part forbids additional properties, which
/// would make `respondents` invalid to every schema validator.
pub struct CampaignInput {
    pub questionnaire_version_id: i64,
    /// Unique; 1 to 200 characters.
    #[schema(min_length = 1, max_length = 200)]
    pub title: String,
    #[schema(max_length = 2000)]
    pub description: Option<String>,
    pub opens_on: NaiveDate,
    /// Not before `opens_on`.
    pub closes_on: NaiveDate,
    /// Default `draft`; a new campaign may also start `open`, never `closed`.
    pub status: Option<CampaignStatus>,
    /// At most 200 slots; each municipality or organisation once.
    #[serde(default)]
    pub respondents: Vec<RespondentInput>,
}

impl CampaignInput {
    /// The campaign's own fields, validated as a replacement would be, and the respondents.
    fn split(self) -> (CampaignUpdate, Vec<RespondentInput>) {
        (
            CampaignUpdate {
                questionnaire_version_id: self.questionnaire_version_id,
                title: self.title,
                description: self.description,
                opens_on: self.opens_on,
                closes_on: self.closes_on,
                status: self.status,
            },
            self.respondents,
        )
    }
}

/// List survey campaigns
///
/// The latest opening first. Each with the progress of its respondents.
///
/// **Who may call:** `coordinator`, `ki_lead`.
#[utoipa::path(tag = "Needs survey", params(CampaignFilter, PageParams), responses(
    (status = 200, description = "One page of campaigns", body = CampaignPage),
    sets::ListErrors,
), security(("bearer" = [])))]
#[get("/campaigns")]
pub async fn list_campaigns(
    caller: Caller,
    state: web::Data<AppState>,
    filter: web::Query<CampaignFilter>,
    paging: web::Query<PageParams>,
) -> Result<web::Json<CampaignPage>, ApiError> {
    let page = paging.page()?;
    let filter = filter.into_inner();
    let campaigns = state
        .db
        .read_as(caller, Action::ReadSurveyResults, move |conn, _| {
            store::list(conn, filter, page)
        })
        .await?;
    Ok(web::Json(CampaignPage::new(campaigns, page)))
}

/// Get a survey campaign
///
/// **Who may call:** `coordinator`, `ki_lead`.
#[utoipa::path(tag = "Needs survey", params(("id" = i64, Path, description = "Campaign id")), responses(
    (status = 200, description = "The campaign", body = Campaign, headers(("ETag" = String))),
    sets::ReadErrors,
), security(("bearer" = [])))]
#[get("/campaigns/{id}")]
pub async fn get_campaign(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let campaign_id = id.into_inner();
    let campaign = state
        .db
        .read_as(caller, Action::ReadSurveyResults, move |conn, _| {
            store::find(conn, campaign_id)
        })
        .await?;
    let version = campaign.version;
    Ok(ok_versioned(&Campaign::from(campaign), version))
}

/// Create a survey campaign
///
/// Puts a questionnaire version to respondents for a period; the version becomes frozen. A new
/// campaign is `draft` (the default) or `open`, never `closed` (422). Each
/// respondent is a municipality or an organisation, answered by the named person, by a partner
/// token of the organisation (scope `surveys:write`), or entered by the coordination on its
/// behalf. Unknown municipalities, organisations, users or versions are 422 naming the field; a
/// respondent listed twice or a taken title is 409.
///
/// **Who may call:** `coordinator`.
#[utoipa::path(tag = "Needs survey", request_body = CampaignInput, responses(
    (status = 201, description = "Created", body = Campaign, headers(("ETag" = String), ("Location" = String))),
    sets::CreateErrors,
), security(("bearer" = [])))]
#[post("/campaigns")]
pub async fn create_campaign(
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<CampaignInput>,
) -> Result<HttpResponse, ApiError> {
    let created = state
        .db
        .write_as(caller, Action::ManageSurveys, move |conn, _| {
            let (campaign, respondents) = body.into_inner().split();
            let mut errors = campaign.data().err().unwrap_or_default();
            if let Some(Err(e)) = campaign.status.map(check_initial_status) {
                errors.push(FieldError::from(e));
            }
            let mut slots = Vec::new();
            if respondents.len() > 200 {
                errors.push(FieldError::new("respondents", "at most 200 respondents"));
            }
            for (i, r) in respondents.iter().enumerate() {
                match r.slot(&format!("respondents[{i}]")) {
                    Ok(slot) => slots.push(slot),
                    Err(e) => errors.push(e),
                }
            }
            if !errors.is_empty() {
                errors.sort_by(|a, b| a.field.cmp(&b.field));
                return Err(ApiError::Validation(errors));
            }
            let data = campaign.data().map_err(ApiError::Validation)?;
            Ok(store::insert(conn, &data, &slots)?)
        })
        .await?;
    let (id, version) = (created.id, created.version);
    Ok(created_versioned(
        &Campaign::from(created),
        version,
        format!("/api/v1/campaigns/{id}"),
    ))
}

/// Change a survey campaign
///
/// Replaces title, description, period and status; the questionnaire version changes only while
/// the campaign is a draft (409). Status moves: `draft` → `open` → `closed`, and `closed` →
/// `open` to extend a campaign (409 otherwise). Requires `If-Match`.
///
/// **Who may call:** `coordinator`.
#[utoipa::path(tag = "Needs survey", request_body = CampaignUpdate, params(
    ("id" = i64, Path, description = "Campaign id"),
    ("If-Match" = String, Header, description = "ETag of the version you edited")), responses(
    (status = 200, description = "The campaign", body = Campaign, headers(("ETag" = String))),
    sets::ReplaceErrors,
), security(("bearer" = [])))]
#[put("/campaigns/{id}")]
pub async fn update_campaign(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: Json<CampaignUpdate>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let campaign = state
        .db
        .write_as(caller, Action::ManageSurveys, move |conn, _| {
            let expected = if_match.version()?;
            let data = body.data().map_err(ApiError::Validation)?;
            Ok(store::update(conn, id, expected, &data)?)
        })
        .await?;
    let version = campaign.version;
    Ok(ok_versioned(&Campaign::from(campaign), version))
}

/// Delete a draft campaign
///
/// Only a campaign that was never opened, with its respondents (409 otherwise: an opened
/// campaign keeps its answers; close it instead). Its questionnaire version stays frozen only
/// if another campaign uses it. Requires `If-Match`.
///
/// **Who may call:** `coordinator`.
#[utoipa::path(tag = "Needs survey",
    params(("id" = i64, Path, description = "Campaign id"), ("If-Match" = String, Header, description = "ETag of the current version")),
    responses(
    (status = 204, description = "Deleted"),
    sets::DeleteErrors,
), security(("bearer" = [])))]
#[delete("/campaigns/{id}")]
pub async fn delete_campaign(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let campaign_id = id.into_inner();
    state
        .db
        .write_as(caller, Action::ManageSurveys, move |conn, _| {
            Ok(store::delete(conn, campaign_id, if_match.version()?)?)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Add a respondent to a campaign
///
/// A campaign that is not closed takes further respondents, e.g. a welfare organisation that
/// joined late. 409 when the municipality or organisation is already a respondent.
///
/// **Who may call:** `coordinator`.
#[utoipa::path(tag = "Needs survey", request_body = RespondentInput,
    params(("id" = i64, Path, description = "Campaign id")), responses(
    (status = 201, description = "The new respondent", body = Respondent),
    (status = 404, response = err::NotFound),
    sets::CreateErrors,
), security(("bearer" = [])))]
#[post("/campaigns/{id}/respondents")]
pub async fn add_respondent(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: Json<RespondentInput>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let added = state
        .db
        .write_as(caller, Action::ManageSurveys, move |conn, _| {
            let slot = body
                .slot("body")
                .map_err(|e| ApiError::Validation(vec![e]))?;
            Ok(store::add_respondent(conn, id, &slot)?)
        })
        .await?;
    Ok(HttpResponse::Created().json(Respondent::from(added)))
}

/// Remove a respondent from a campaign
///
/// Only a respondent whose response was not started (409 otherwise: answers are not thrown
/// away). The slot has no version of its own: its response's state guards the removal.
///
/// **Who may call:** `coordinator`.
#[utoipa::path(tag = "Needs survey", params(
    ("id" = i64, Path, description = "Campaign id"),
    ("respondent_id" = i64, Path, description = "Respondent id")), responses(
    (status = 204, description = "Removed"),
    (status = 409, response = err::Conflict),
    sets::ReadErrors,
), security(("bearer" = [])))]
#[delete("/campaigns/{id}/respondents/{respondent_id}")]
pub async fn remove_respondent(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, ApiError> {
    let (id, respondent_id) = path.into_inner();
    state
        .db
        .write_as(caller, Action::ManageSurveys, move |conn, _| {
            Ok(store::remove_respondent(conn, id, respondent_id)?)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A campaign the caller is asked to answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct MySurvey {
    pub campaign_id: i64,
    pub title: String,
    pub opens_on: NaiveDate,
    pub closes_on: NaiveDate,
    pub campaign_status: CampaignStatus,
    pub respondent: Respondent,
    /// Where to read and answer: `GET`/`PUT` this path, `POST` `…/submit`.
    #[schema(example = "/api/v1/campaigns/1/respondents/5/response")]
    pub response_path: String,
}

/// My surveys to answer
///
/// The campaigns (opened or closed, not drafts) in which the caller is the named respondent,
/// or, for a partner token, its organisation is a respondent; the latest first, each with the
/// state of the caller's response.
///
/// **Who may call:** every role that may answer surveys (`coordinator`, `ki_lead`,
/// `cm_coordinator`, `case_manager`, `steering_member`, `project_group_member`,
/// `immigration_officer`); partner tokens with scope `surveys:write`.
#[utoipa::path(tag = "Needs survey", responses(
    (status = 200, description = "The caller's surveys", body = Vec<MySurvey>),
    sets::ComputeErrors,
), security(("bearer" = [])))]
#[get("/me/surveys")]
pub async fn my_surveys(
    caller: Caller,
    state: web::Data<AppState>,
) -> Result<web::Json<Vec<MySurvey>>, ApiError> {
    let found = state
        .db
        .read_as(caller, Action::AnswerSurveys, |conn, who| {
            let (user, organisation) = match who.principal {
                Principal::Person { user_id, .. } => (Some(user_id), None),
                Principal::Partner {
                    organisation_id, ..
                } => (None, Some(organisation_id)),
            };
            store::slots_of(conn, user, organisation)
        })
        .await?;
    Ok(web::Json(
        found
            .into_iter()
            .map(|(campaign, respondent)| MySurvey {
                response_path: format!(
                    "/api/v1/campaigns/{}/respondents/{}/response",
                    campaign.id, respondent.id
                ),
                campaign_id: campaign.id,
                title: campaign.data.title,
                opens_on: campaign.data.opens_on,
                closes_on: campaign.data.closes_on,
                campaign_status: campaign.data.status,
                respondent: Respondent::from(respondent),
            })
            .collect(),
    ))
}
