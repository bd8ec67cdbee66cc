//! Antworten (responses) of a campaign's respondents: the respondent reads the questions and its
//! answers, saves a draft, submits; the coordination reopens a submission with a reason.
//!
//! Answering outside the campaign's period, or while it is a draft or closed, is a conflict with
//! the campaign's state: 409.

use std::collections::BTreeMap;

use crate::http::body::Json;
use crate::routes::RouteTable;
use actix_web::{get, post, put, web, HttpResponse};
use chrono::{DateTime, Utc};
use kim_domain::survey::{
    check_answering_period, check_answers, response_access, AnswerValue, Completeness,
    ResponseStatus, Section,
};
use kim_domain::Action;
use kim_store::surveys::campaigns::{self as campaigns, Respondent as StoredRespondent};
use kim_store::surveys::questionnaires;
use kim_store::surveys::responses as store;
use kim_store::DbConn;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{Authenticated, Caller};
use crate::error::error_sets as sets;
use crate::error::responses as err;
use crate::http::precondition::{ok_versioned, IfMatch};
use crate::server::AppState;
use crate::views::respondent::Respondent;
use crate::ApiError;

pub fn configure(cfg: &mut impl RouteTable) {
    cfg.service(get_response)
        .service(save_response)
        .service(submit_response)
        .service(reopen_response);
}

/// One entry of a response's history.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResponseEvent {
    /// `submitted` or `reopened`.
    #[schema(example = "reopened")]
    pub action: String,
    /// `user` or `partner`.
    #[schema(example = "user")]
    pub actor_kind: String,
    /// The user or partner-token id.
    pub actor_id: Option<i64>,
    /// Why it was reopened.
    pub reason: Option<String>,
    pub at: DateTime<Utc>,
}

/// Antwort (response) of one respondent, with the questions to answer.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "campaign_id": 1, "respondent": {"id": 5, "campaign_id": 1, "kind": "municipality",
        "municipality_id": 17, "organisation_id": null, "name": "Siegburg", "rhine_side": "right",
        "respondent_user_id": 12, "respondent_user_name": "Demo Respondent Siegburg",
        "status": "draft", "submitted_at": null, "last_change_at": "2021-03-10T09:00:00Z"},
    "status": "draft", "answers": {"need_language": 4, "target_groups": ["youth", "women"]},
    "questionnaire_version_id": 1, "sections": [], "submitted_at": null, "history": [],
    "version": 2, "created_at": "2021-03-01T09:00:00Z", "updated_at": "2021-03-10T09:00:00Z"
}))]
pub struct SurveyResponse {
    pub campaign_id: i64,
    pub respondent: Respondent,
    pub status: ResponseStatus,
    /// By question key: a string (single choice, free text), a list of strings (multiple
    /// choice), a number (scale, number) or a boolean (yes/no). Unanswered questions are absent.
    #[schema(value_type = Object)]
    pub answers: BTreeMap<String, AnswerValue>,
    pub questionnaire_version_id: i64,
    /// The questions, for rendering the form.
    pub sections: Vec<Section>,
    pub submitted_at: Option<DateTime<Utc>>,
    /// Submissions and reopenings, oldest first.
    pub history: Vec<ResponseEvent>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Answers to save; `null` clears an answer. Questions left out keep no answer.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"answers": {"need_language": 4, "target_groups": ["youth", "women"],
    "staff_fte": 1.5, "remarks": "Mehr Dolmetscher", "wants_cooperation": true, "main_topic": "language"}}))]
pub struct AnswersInput {
    /// By question key; a draft may leave required questions out. A value is `true`/`false`,
    /// a number, a text or a list of texts, as the question's kind asks (422 `rule` otherwise),
    /// or `null` to clear the answer.
    #[schema(value_type = BTreeMap<String, AnswerOrNull>)]
    pub answers: BTreeMap<String, Option<AnswerValue>>,
}

/// One answer as the document states it: what [`AnswerValue`] reads, or `null`. (utoipa cannot
/// derive a map of optional untagged values, so it is spelled out here.)
pub struct AnswerOrNull;

impl utoipa::PartialSchema for AnswerOrNull {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, OneOfBuilder, Type};
        let of = |kind: Type| ObjectBuilder::new().schema_type(kind);
        OneOfBuilder::new()
            .item(of(Type::Null))
            .item(of(Type::Boolean))
            .item(of(Type::Number))
            .item(of(Type::String))
            .item(ArrayBuilder::new().items(of(Type::String)))
            .description(Some("yes/no, a scale or number, a text or single choice, the choices of a multiple choice; `null` clears"))
            .into()
    }
}

impl utoipa::ToSchema for AnswerOrNull {}

/// Why a submitted response is reopened.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "Die Kommune hat die Personalzahlen korrigiert"}))]
pub struct ReopenInput {
    /// Required, 1 to 2000 characters; kept in the history.
    #[schema(value_type = String, required = true, pattern = "\\S", min_length = 1, max_length = 2000)]
    pub reason: Option<String>,
}

/// What one request needs to know about the slot.
struct Slot {
    respondent: StoredRespondent,
    campaign: campaigns::Campaign,
}

/// Loads the slot and decides the caller's access: 404 when the caller may not see it (another
/// respondent's response), 403 when it may read but not answer.
fn slot(
    conn: &mut DbConn,
    who: &Authenticated,
    campaign_id: i64,
    respondent_id: i64,
    answering: bool,
) -> Result<Slot, ApiError> {
    let respondent = campaigns::find_respondent(conn, campaign_id, respondent_id)?;
    let access = response_access(&who.principal, &respondent.slot);
    if !access.may_read() {
        return Err(ApiError::NotFound);
    }
    if answering && !access.may_answer() {
        return Err(ApiError::Forbidden(
            "only the respondent, or the coordination on its behalf, answers this survey".into(),
        ));
    }
    let campaign = campaigns::find(conn, campaign_id)?;
    Ok(Slot {
        respondent,
        campaign,
    })
}

fn check_period(campaign: &campaigns::Campaign) -> Result<(), ApiError> {
    let today = Utc::now().date_naive();
    check_answering_period(
        campaign.data.status,
        campaign.data.opens_on,
        campaign.data.closes_on,
        today,
    )
    .map_err(ApiError::Conflict)
}

fn sections(conn: &mut DbConn, campaign: &campaigns::Campaign) -> Result<Vec<Section>, ApiError> {
    Ok(questionnaires::find_version_by_id(conn, campaign.data.questionnaire_version_id)?.sections)
}

/// The answer body, re-read so that the respondent's status is current.
fn view(
    conn: &mut DbConn,
    campaign_id: i64,
    respondent_id: i64,
) -> Result<SurveyResponse, ApiError> {
    let campaign = campaigns::find(conn, campaign_id)?;
    let respondent = campaigns::find_respondent(conn, campaign_id, respondent_id)?;
    let response = store::find(conn, respondent_id)?;
    Ok(SurveyResponse {
        campaign_id,
        respondent: Respondent::from(respondent),
        status: response.status,
        answers: response.answers,
        questionnaire_version_id: campaign.data.questionnaire_version_id,
        sections: sections(conn, &campaign)?,
        submitted_at: response.submitted_at,
        history: response
            .history
            .into_iter()
            .map(|e| ResponseEvent {
                action: e.action,
                actor_kind: e.actor_kind,
                actor_id: e.actor_id,
                reason: e.reason,
                at: e.at,
            })
            .collect(),
        version: response.version,
        created_at: response.created_at,
        updated_at: response.updated_at,
    })
}

type ResponsePath = web::Path<(i64, i64)>;

/// Get a response
///
/// The questions and the saved answers of one respondent. The respondent (the named person, or
/// a partner token of the respondent organisation) sees its own response only; the coordination
/// and the KI lead see every one. Anyone else gets 404.
///
/// **Who may call:** the respondent; `coordinator`, `ki_lead`.
#[utoipa::path(tag = "Needs survey", params(
    ("id" = i64, Path, description = "Campaign id"),
    ("respondent_id" = i64, Path, description = "Respondent id")), responses(
    (status = 200, description = "The response", body = SurveyResponse, headers(("ETag" = String))),
    sets::ReadErrors,
), security(("bearer" = [])))]
#[get("/campaigns/{id}/respondents/{respondent_id}/response")]
pub async fn get_response(
    caller: Caller,
    state: web::Data<AppState>,
    path: ResponsePath,
) -> Result<HttpResponse, ApiError> {
    let (campaign_id, respondent_id) = path.into_inner();
    let body = state
        .db
        .read_with(caller, move |conn, who| {
            slot(conn, who, campaign_id, respondent_id, false)?;
            view(conn, campaign_id, respondent_id)
        })
        .await?;
    let version = body.version;
    Ok(ok_versioned(&body, version))
}

/// Save a draft response
///
/// Saves the answers given (partially is fine: required questions may be missing) and makes the
/// response a `draft`. Every given value must fit its question (422 per question as
/// `answers.<key>`). A submitted response is changed only after the coordination reopens it
/// (409). Answering while the campaign is a draft, closed, or outside its period is 409.
/// Requires `If-Match`.
///
/// **Who may call:** the respondent; `coordinator` on its behalf.
#[utoipa::path(tag = "Needs survey", request_body = AnswersInput, params(
    ("id" = i64, Path, description = "Campaign id"),
    ("respondent_id" = i64, Path, description = "Respondent id"),
    ("If-Match" = String, Header, description = "ETag of the response you edited")), responses(
    (status = 200, description = "The saved response", body = SurveyResponse, headers(("ETag" = String))),
    sets::ReplaceErrors,
), security(("bearer" = [])))]
#[put("/campaigns/{id}/respondents/{respondent_id}/response")]
pub async fn save_response(
    caller: Caller,
    state: web::Data<AppState>,
    path: ResponsePath,
    if_match: IfMatch,
    body: Json<AnswersInput>,
) -> Result<HttpResponse, ApiError> {
    let (campaign_id, respondent_id) = path.into_inner();
    let saved = state
        .db
        .write_as(caller, Action::AnswerSurveys, move |conn, who| {
            let expected = if_match.version()?;
            let given = body.into_inner().answers;
            let slot = slot(conn, who, campaign_id, respondent_id, true)?;
            check_period(&slot.campaign)?;
            let answers = check_answers(
                &sections(conn, &slot.campaign)?,
                &given,
                Completeness::Draft,
            )?;
            store::save(conn, slot.respondent.id, expected, &answers)?;
            view(conn, campaign_id, respondent_id)
        })
        .await?;
    let version = saved.version;
    Ok(ok_versioned(&saved, version))
}

/// Submit a response
///
/// Checks the saved answers completely: every required question answered, every value within
/// its question's kind, options and range; each problem is listed as `answers.<key>` (422) and
/// nothing changes. On success the response is `submitted` and the submission enters the
/// history. Outside the campaign's period 409. Requires `If-Match`.
///
/// **Who may call:** the respondent; `coordinator` on its behalf.
#[utoipa::path(tag = "Needs survey", params(
    ("id" = i64, Path, description = "Campaign id"),
    ("respondent_id" = i64, Path, description = "Respondent id"),
    ("If-Match" = String, Header, description = "ETag of the response")), responses(
    (status = 200, description = "The submitted response", body = SurveyResponse, headers(("ETag" = String))),
    sets::ReplaceErrors,
), security(("bearer" = [])))]
#[post("/campaigns/{id}/respondents/{respondent_id}/response/submit")]
pub async fn submit_response(
    caller: Caller,
    state: web::Data<AppState>,
    path: ResponsePath,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let (campaign_id, respondent_id) = path.into_inner();
    let submitted = state
        .db
        .write_as(caller, Action::AnswerSurveys, move |conn, who| {
            let expected = if_match.version()?;
            let slot = slot(conn, who, campaign_id, respondent_id, true)?;
            check_period(&slot.campaign)?;
            let saved = store::find(conn, respondent_id)?;
            let given = saved
                .answers
                .into_iter()
                .map(|(k, v)| (k, Some(v)))
                .collect();
            let answers = check_answers(
                &sections(conn, &slot.campaign)?,
                &given,
                Completeness::Complete,
            )?;
            store::submit(conn, slot.respondent.id, expected, &answers, &who.actor())?;
            view(conn, campaign_id, respondent_id)
        })
        .await?;
    let version = submitted.version;
    Ok(ok_versioned(&submitted, version))
}

/// Reopen a submitted response
///
/// Makes a submitted response a `draft` again, keeping its answers, so the respondent can
/// correct it and submit again; the reason and who reopened it enter the history. Only a
/// submitted response can be reopened (409). Requires `If-Match`.
///
/// **Who may call:** `coordinator`.
#[utoipa::path(tag = "Needs survey", request_body = ReopenInput, params(
    ("id" = i64, Path, description = "Campaign id"),
    ("respondent_id" = i64, Path, description = "Respondent id"),
    ("If-Match" = String, Header, description = "ETag of the response")), responses(
    (status = 200, description = "The reopened response", body = SurveyResponse, headers(("ETag" = String))),
    (status = 403, response = err::Forbidden),
    sets::ReplaceErrors,
), security(("bearer" = [])))]
#[post("/campaigns/{id}/respondents/{respondent_id}/response/reopen")]
pub async fn reopen_response(
    caller: Caller,
    state: web::Data<AppState>,
    path: ResponsePath,
    if_match: IfMatch,
    body: Json<ReopenInput>,
) -> Result<HttpResponse, ApiError> {
    let (campaign_id, respondent_id) = path.into_inner();
    let reopened = state
        .db
        .write_as(caller, Action::ManageSurveys, move |conn, who| {
            let expected = if_match.version()?;
            let reason = kim_domain::field::required_text("reason", body.reason.as_deref())?;
            let slot = slot(conn, who, campaign_id, respondent_id, false)?;
            store::reopen(conn, slot.respondent.id, expected, &reason, &who.actor())?;
            view(conn, campaign_id, respondent_id)
        })
        .await?;
    let version = reopened.version;
    Ok(ok_versioned(&reopened, version))
}
