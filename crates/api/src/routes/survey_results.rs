//! Auswertung (results) of a survey campaign: aggregated answers, who has answered, who needs a
//! reminder, and the need score per municipality (Bedarfswert) that feeds the distribution
//! report.

use crate::http::body::Json;
use crate::routes::RouteTable;
use actix_web::{get, put, web, HttpResponse};
use kim_domain::reference::RhineSide;
use kim_domain::survey::{RespondentKind, ResponseStatus};
use kim_domain::survey_results::{
    aggregate, in_filter, validate_weights, NeedWeight, QuestionResult,
};
use kim_domain::Action;
use kim_store::surveys::campaigns;
use kim_store::surveys::{questionnaires, responses};
use kim_store::{DbConn, StoreError};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Caller;
use crate::error::error_sets as sets;
use crate::http::precondition::{ok_versioned, IfMatch};
use crate::server::AppState;
use crate::views::need_score::{need_scores, NeedScoreReport, NeedWeightInput};
use crate::views::respondent::Respondent;
use crate::ApiError;

pub fn configure(cfg: &mut impl RouteTable) {
    cfg.service(results)
        .service(status)
        .service(reminders)
        .service(get_need_score)
        .service(set_need_score);
}

#[derive(Debug, Clone, Copy, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RespondentFilter {
    /// Only municipalities, or only organisations (Freie Wohlfahrt and other actors).
    pub respondent_kind: Option<RespondentKind>,
    /// Only municipalities on this side of the Rhine (organisations have no side and are left out).
    pub rhine_side: Option<RhineSide>,
}

impl RespondentFilter {
    fn admits(&self, respondent: &campaigns::Respondent) -> bool {
        in_filter(
            respondent.slot.kind,
            respondent.rhine_side,
            self.respondent_kind,
            self.rhine_side,
        )
    }
}

/// Auswertung (results) of a campaign.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "campaign_id": 1, "respondent_kind": "municipality", "rhine_side": "left", "responses": 5,
    "questions": [{"key": "need_language", "text": "Bedarf an Sprachförderung", "kind": "scale",
        "answered": 5, "unanswered": 0,
        "distribution": [{"value": "1", "label": "1", "count": 0}, {"value": "2", "label": "2", "count": 1},
            {"value": "3", "label": "3", "count": 1}, {"value": "4", "label": "4", "count": 2},
            {"value": "5", "label": "5", "count": 1}],
        "mean": 3.6, "median": 4.0, "min": 2.0, "max": 5.0, "texts": []}]
}))]
pub struct CampaignResults {
    pub campaign_id: i64,
    pub respondent_kind: Option<RespondentKind>,
    pub rhine_side: Option<RhineSide>,
    /// Submitted responses counted (drafts never count).
    pub responses: usize,
    /// In questionnaire order.
    pub questions: Vec<QuestionResult>,
}

/// Results of a campaign
///
/// Per question over the submitted responses: answered and unanswered counts, the distribution
/// of values (choice, scale, yes/no), mean, median, minimum and maximum (scale, number), and the
/// free-text answers. Filters: `respondent_kind` and `rhine_side`.
///
/// **Who may call:** `coordinator`, `ki_lead`.
#[utoipa::path(tag = "Needs survey", params(("id" = i64, Path, description = "Campaign id"), RespondentFilter), responses(
    (status = 200, description = "The results", body = CampaignResults),
    sets::ReadErrors,
), security(("bearer" = [])))]
#[get("/campaigns/{id}/results")]
pub async fn results(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    filter: web::Query<RespondentFilter>,
) -> Result<web::Json<CampaignResults>, ApiError> {
    let id = id.into_inner();
    let filter = filter.into_inner();
    let body = state
        .db
        .read_as(caller, Action::ReadSurveyResults, move |conn, _| {
            let campaign = campaigns::find(conn, id)?;
            let sections =
                questionnaires::find_version_by_id(conn, campaign.data.questionnaire_version_id)?
                    .sections;
            let admitted: Vec<i64> = campaigns::respondents(conn, id)?
                .into_iter()
                .filter(|r| filter.admits(r))
                .map(|r| r.id)
                .collect();
            let submitted: Vec<_> = responses::submitted_answers(conn, id)?
                .into_iter()
                .filter(|(respondent, _)| admitted.contains(respondent))
                .map(|(_, answers)| answers)
                .collect();
            let refs: Vec<_> = submitted.iter().collect();
            Ok::<_, StoreError>(CampaignResults {
                campaign_id: id,
                respondent_kind: filter.respondent_kind,
                rhine_side: filter.rhine_side,
                responses: submitted.len(),
                questions: aggregate(&sections, &refs),
            })
        })
        .await?;
    Ok(web::Json(body))
}

/// Who has answered.
#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignStatusReport {
    pub campaign_id: i64,
    pub not_started: usize,
    pub draft: usize,
    pub submitted: usize,
    /// By name.
    pub respondents: Vec<Respondent>,
}

fn status_report(
    conn: &mut DbConn,
    id: i64,
    filter: RespondentFilter,
    only_open: bool,
) -> Result<CampaignStatusReport, StoreError> {
    campaigns::find(conn, id)?;
    let admitted: Vec<campaigns::Respondent> = campaigns::respondents(conn, id)?
        .into_iter()
        .filter(|r| filter.admits(r))
        .collect();
    // The counts are of every admitted respondent, also on the reminder list, so that it says
    // "2 of 23 not started" rather than pretending nobody submitted.
    let count = |s: ResponseStatus| admitted.iter().filter(|r| r.status == s).count();
    Ok(CampaignStatusReport {
        campaign_id: id,
        not_started: count(ResponseStatus::NotStarted),
        draft: count(ResponseStatus::Draft),
        submitted: count(ResponseStatus::Submitted),
        respondents: admitted
            .into_iter()
            .filter(|r| !only_open || r.status != ResponseStatus::Submitted)
            .map(Respondent::from)
            .collect(),
    })
}

/// Response status per respondent
///
/// Every respondent with the state of its response: `not_started`, `draft` or `submitted`, and
/// the counts of each. Filters: `respondent_kind` and `rhine_side`.
///
/// **Who may call:** `coordinator`, `ki_lead`.
#[utoipa::path(tag = "Needs survey", params(("id" = i64, Path, description = "Campaign id"), RespondentFilter), responses(
    (status = 200, description = "The status of every respondent", body = CampaignStatusReport),
    sets::ReadErrors,
), security(("bearer" = [])))]
#[get("/campaigns/{id}/status")]
pub async fn status(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    filter: web::Query<RespondentFilter>,
) -> Result<web::Json<CampaignStatusReport>, ApiError> {
    respondent_report(caller, state, id, filter, false).await
}

/// Reminder list
///
/// The respondents that have not submitted (not started or draft), with the named person where
/// there is one, for a reminder (Erinnerung); the counts cover every respondent, submitted
/// ones included. Filters: `respondent_kind` and `rhine_side`.
///
/// **Who may call:** `coordinator`, `ki_lead`.
#[utoipa::path(tag = "Needs survey", params(("id" = i64, Path, description = "Campaign id"), RespondentFilter), responses(
    (status = 200, description = "The respondents still to answer", body = CampaignStatusReport),
    sets::ReadErrors,
), security(("bearer" = [])))]
#[get("/campaigns/{id}/reminders")]
pub async fn reminders(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    filter: web::Query<RespondentFilter>,
) -> Result<web::Json<CampaignStatusReport>, ApiError> {
    respondent_report(caller, state, id, filter, true).await
}

/// The respondents of a campaign with the state of their responses (`unsubmitted_only`: the
/// reminder list), for `status` and `reminders`.
async fn respondent_report(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    filter: web::Query<RespondentFilter>,
    unsubmitted_only: bool,
) -> Result<web::Json<CampaignStatusReport>, ApiError> {
    let (id, filter) = (id.into_inner(), filter.into_inner());
    let body = state
        .db
        .read_as(caller, Action::ReadSurveyResults, move |conn, _| {
            status_report(conn, id, filter, unsubmitted_only)
        })
        .await?;
    Ok(web::Json(body))
}

/// The questions and weights of a campaign's need score.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"weights": [{"question_key": "need_language", "weight": 2.0},
    {"question_key": "need_work", "weight": 1.0}]}))]
pub struct NeedScoreInput {
    /// 1 to 20 scale questions, each once.
    pub weights: Vec<NeedWeightInput>,
}

/// Need score per municipality
///
/// For each municipality respondent: the weighted mean of its submitted answers to the chosen
/// scale questions (1 = low need … 5 = high need). Unanswered chosen questions are left out with
/// their weight. The distribution report (`GET /distribution`) shows the need score of the
/// latest opened campaign that has weights.
///
/// **Who may call:** `coordinator`, `ki_lead`.
#[utoipa::path(tag = "Needs survey", params(("id" = i64, Path, description = "Campaign id")), responses(
    (status = 200, description = "The need scores", body = NeedScoreReport, headers(("ETag" = String))),
    sets::ReadErrors,
), security(("bearer" = [])))]
#[get("/campaigns/{id}/need-score")]
pub async fn get_need_score(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let report = state
        .db
        .read_as(caller, Action::ReadSurveyResults, move |conn, _| {
            let campaign = campaigns::find(conn, id)?;
            need_scores(conn, &campaign)
        })
        .await?;
    let version = report.version;
    Ok(ok_versioned(&report, version))
}

/// Choose the need-score questions and weights
///
/// Replaces the chosen scale questions and their weights. Each must be a scale question of the
/// campaign's questionnaire, chosen once, with a weight above 0 and at most 100 (422 naming
/// `weights[i].question_key` or `weights[i].weight`). Changes the campaign's version: send the
/// campaign's ETag as `If-Match`.
///
/// **Who may call:** `coordinator`.
#[utoipa::path(tag = "Needs survey", request_body = NeedScoreInput, params(
    ("id" = i64, Path, description = "Campaign id"),
    ("If-Match" = String, Header, description = "ETag of the campaign")), responses(
    (status = 200, description = "The need scores with the new weights", body = NeedScoreReport, headers(("ETag" = String))),
    sets::ReplaceErrors,
), security(("bearer" = [])))]
#[put("/campaigns/{id}/need-score")]
pub async fn set_need_score(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: Json<NeedScoreInput>,
) -> Result<HttpResponse, ApiError> {
    let campaign_id = id.into_inner();
    let report = state
        .db
        .write_as(caller, Action::ManageSurveys, move |conn, _| {
            let expected = if_match.version()?;
            let chosen: Vec<NeedWeight> = body
                .into_inner()
                .weights
                .into_iter()
                .map(|w| NeedWeight {
                    question_key: w.question_key,
                    weight: w.weight,
                })
                .collect();
            let campaign = campaigns::find(conn, campaign_id)?;
            let sections =
                questionnaires::find_version_by_id(conn, campaign.data.questionnaire_version_id)?
                    .sections;
            validate_weights(&sections, &chosen)?;
            let campaign = campaigns::set_need_weights(conn, campaign_id, expected, &chosen)?;
            Ok(need_scores(conn, &campaign)?)
        })
        .await?;
    let version = report.version;
    Ok(ok_versioned(&report, version))
}
