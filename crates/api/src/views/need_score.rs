//! The need score of each municipality from a survey campaign (also read by the distribution).

use kim_domain::reference::RhineSide;
use kim_domain::survey::ResponseStatus;
use kim_domain::survey_results::need_score;
use kim_store::surveys::campaigns::{self as campaigns, Campaign};
use kim_store::surveys::responses;
use kim_store::{DbConn, StoreError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One chosen scale question and its weight.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NeedWeightInput {
    /// A scale question of the campaign's questionnaire.
    #[schema(example = "need_language")]
    pub question_key: String,
    /// Greater than 0, at most 100; relative to the other weights.
    #[schema(example = 2.0)]
    pub weight: f64,
}

/// One municipality's need score.
#[derive(Debug, Serialize, ToSchema)]
pub struct MunicipalityNeedScore {
    pub municipality_id: i64,
    pub name: String,
    pub rhine_side: Option<RhineSide>,
    pub status: ResponseStatus,
    /// The weighted mean (1-5, two decimals) of the submitted answers to the chosen questions;
    /// absent until the municipality has submitted, or when it left every chosen question out.
    pub need_score: Option<f64>,
}

/// Bedarfswert (need score) per municipality of a campaign.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"campaign_id": 1, "weights": [{"question_key": "need_language", "weight": 2.0}],
    "municipalities": [{"municipality_id": 17, "name": "Siegburg", "rhine_side": "right",
        "status": "submitted", "need_score": 4.0}], "version": 3}))]
pub struct NeedScoreReport {
    pub campaign_id: i64,
    /// Empty until the coordination chose questions.
    pub weights: Vec<NeedWeightInput>,
    /// The municipality respondents, by name.
    pub municipalities: Vec<MunicipalityNeedScore>,
    /// The campaign's version (the ETag for `PUT …/need-score`).
    pub version: i32,
}

/// The need score of every municipality respondent of `campaign`; also used by the distribution
/// report.
pub(crate) fn need_scores(
    conn: &mut DbConn,
    campaign: &Campaign,
) -> Result<NeedScoreReport, StoreError> {
    let weights = campaigns::need_weights(conn, campaign.id)?;
    let submitted = responses::submitted_answers(conn, campaign.id)?;
    let municipalities = campaigns::respondents(conn, campaign.id)?
        .into_iter()
        .filter_map(|r| {
            let municipality_id = r.slot.municipality_id?;
            let score = submitted
                .iter()
                .find(|(id, _)| *id == r.id)
                .and_then(|(_, answers)| need_score(&weights, answers));
            Some(MunicipalityNeedScore {
                municipality_id,
                name: r.name,
                rhine_side: r.rhine_side,
                status: r.status,
                need_score: score,
            })
        })
        .collect();
    Ok(NeedScoreReport {
        campaign_id: campaign.id,
        weights: weights
            .into_iter()
            .map(|w| NeedWeightInput {
                question_key: w.question_key,
                weight: w.weight,
            })
            .collect(),
        municipalities,
        version: campaign.version,
    })
}
