//! Case-management capacity per municipality, and per social area, against need (Verteilung
//! nach Bedarf).

use std::collections::HashMap;

use crate::routes::RouteTable;
use actix_web::{get, web};
use kim_domain::distribution::{
    area_figures, counts_as_assigned, foreign_nationals, fte_per_10000, Figures,
};
use kim_domain::paging::{PageRequest, MAX_LIMIT};
use kim_domain::reference::RhineSide;
use kim_domain::social_area::covered_whole;
use kim_domain::staffing::Fte;
use kim_domain::Action;
use kim_store::municipalities::{self, Municipality, MunicipalityFilter, MunicipalitySort};
use kim_store::positions::Position;
use kim_store::surveys::campaigns;
use kim_store::{positions, social_areas, DbConn, Direction};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::error_sets as sets;
use crate::server::AppState;
use crate::views::need_score::need_scores;
use crate::ApiError;

pub fn configure(cfg: &mut impl RouteTable) {
    cfg.service(distribution).service(social_area_distribution);
}

/// One municipality's case-management capacity and need.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"municipality_id": 17, "name": "Siegburg", "rhine_side": "right", "cm_fte": 1.0,
    "population": 42000, "foreign_nationals_percent": 15.0, "foreign_nationals": 6300,
    "cm_fte_per_10000_inhabitants": 0.24, "need_indicator": 6300, "needs_survey_score": 3.75, "needs_survey_campaign_id": 1, "no_cm_assigned": false}))]
pub struct MunicipalityDistribution {
    pub municipality_id: i64,
    pub name: String,
    pub rhine_side: RhineSide,
    /// Case-management FTE assigned through position shares (module 2, positions not ended).
    pub cm_fte: f64,
    pub population: Option<i64>,
    pub foreign_nationals_percent: Option<f64>,
    /// Estimated foreign nationals: population × share.
    pub foreign_nationals: Option<i64>,
    pub cm_fte_per_10000_inhabitants: Option<f64>,
    /// The need indicator: for now the estimated foreign-national population; unknown without
    /// population and share.
    pub need_indicator: Option<i64>,
    /// The need score (Bedarfswert, 1 = low … 5 = high) of the needs survey (Bedarfsabfrage):
    /// from the latest opened campaign with need-score weights (see
    /// `GET /campaigns/{id}/need-score`); absent without such a campaign or when the
    /// municipality has not submitted its response.
    pub needs_survey_score: Option<f64>,
    /// The campaign the need score comes from; the same for every row.
    pub needs_survey_campaign_id: Option<i64>,
    /// No case-management FTE is assigned to the municipality.
    pub no_cm_assigned: bool,
}

/// Distribution of case management by need
///
/// For each municipality: the case-management FTE assigned through position shares, the
/// population and foreign-national share where known, FTE per 10,000 inhabitants and the need
/// indicator, and the need score of the latest needs survey that has one. Municipalities
/// without any assigned CM FTE are flagged. Ordered by name.
///
/// **Who may call:** `admin`, `ki_lead`, `coordinator`, `cm_coordinator`, `steering_member`, `analyst`.
#[utoipa::path(tag = "Distribution", responses(
    (status = 200, description = "Every municipality", body = Vec<MunicipalityDistribution>),
    sets::ComputeErrors,
), security(("bearer" = [])))]
#[get("/distribution")]
pub async fn distribution(
    caller: Caller,
    state: web::Data<AppState>,
) -> Result<web::Json<Vec<MunicipalityDistribution>>, ApiError> {
    let (places, all, survey) = state
        .db
        .read_as(caller, Action::ReadSteering, |conn, _| {
            let places = every_municipality(conn)?;
            let survey = match campaigns::latest_with_need_score(conn)? {
                Some(campaign) => Some(need_scores(conn, &campaign)?),
                None => None,
            };
            Ok::<_, ApiError>((places, positions::all(conn)?, survey))
        })
        .await?;
    let assigned = cm_fte_by_municipality(&all);
    let survey_score = |municipality_id: i64| {
        survey.as_ref().and_then(|report| {
            report
                .municipalities
                .iter()
                .find(|m| m.municipality_id == municipality_id)
                .and_then(|m| m.need_score)
        })
    };
    let rows = places
        .into_iter()
        .map(|m| {
            let cm = assigned.get(&m.id).copied().unwrap_or_default();
            let foreign = foreign_nationals(m.population, m.foreign_nationals_percent);
            MunicipalityDistribution {
                municipality_id: m.id,
                cm_fte: cm.as_decimal(),
                cm_fte_per_10000_inhabitants: fte_per_10000(cm, m.population),
                no_cm_assigned: cm == Fte::ZERO,
                name: m.name,
                rhine_side: m.rhine_side,
                population: m.population,
                foreign_nationals_percent: m.foreign_nationals_percent,
                foreign_nationals: foreign,
                need_indicator: foreign,
                needs_survey_score: survey_score(m.id),
                needs_survey_campaign_id: survey.as_ref().map(|r| r.campaign_id),
            }
        })
        .collect();
    Ok(web::Json(rows))
}

/// Every municipality, ordered by name (a county has a few dozen; one page holds them).
fn every_municipality(conn: &mut DbConn) -> Result<Vec<Municipality>, ApiError> {
    let page = PageRequest {
        limit: MAX_LIMIT,
        offset: 0,
    };
    let places = municipalities::list(
        conn,
        &MunicipalityFilter::default(),
        MunicipalitySort::Name,
        Direction::Asc,
        page,
    )?;
    Ok(places.items)
}

/// Case-management positions that count as capacity: not ended.
fn cm_capacity(all: &[Position]) -> impl Iterator<Item = &Position> {
    all.iter()
        .filter(|p| p.data.function.is_case_management() && counts_as_assigned(p.phase))
}

/// The CM FTE each municipality is assigned through position shares.
fn cm_fte_by_municipality(all: &[Position]) -> HashMap<i64, Fte> {
    let mut assigned: HashMap<i64, Fte> = HashMap::new();
    for position in cm_capacity(all) {
        for share in &position.data.shares {
            let entry = assigned.entry(share.municipality_id).or_default();
            *entry = *entry + share.fte;
        }
    }
    assigned
}

/// One social area's case-management capacity and need.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"social_area_id": 2, "name": "Rechtsrheinisch Süd", "municipality_ids": [9, 17],
    "partly_covered_municipality_ids": [], "cm_fte": 1.5, "population": 90000, "foreign_nationals": 12600,
    "cm_fte_per_10000_inhabitants": 0.17, "need_indicator": 12600, "serving_position_ids": [4, 7],
    "serving_cm_fte": 1.5, "no_cm_assigned": false}))]
pub struct SocialAreaDistribution {
    pub social_area_id: i64,
    pub name: String,
    /// The municipalities the area covers whole: its figures are their sums.
    pub municipality_ids: Vec<i64>,
    /// Municipalities the area covers only in named parts. Shares, statistics and cases are
    /// kept per municipality, so these add nothing to the area's figures.
    pub partly_covered_municipality_ids: Vec<i64>,
    /// CM FTE assigned to the municipalities covered whole (position shares, positions not
    /// ended).
    pub cm_fte: f64,
    /// Sum over the municipalities covered whole; unknown when one of them has no population
    /// or the area covers none whole.
    pub population: Option<i64>,
    /// Estimated foreign nationals, summed like `population`.
    pub foreign_nationals: Option<i64>,
    pub cm_fte_per_10000_inhabitants: Option<f64>,
    /// The need indicator as in `GET /distribution`: the estimated foreign-national population.
    pub need_indicator: Option<i64>,
    /// The positions that name the area as one they serve (`social_areas` of a position).
    pub serving_position_ids: Vec<i64>,
    /// FTE of the case-management positions among them that are not ended.
    pub serving_cm_fte: f64,
    /// No CM FTE is assigned to the municipalities covered whole.
    pub no_cm_assigned: bool,
}

/// The distribution by social area.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"areas": [{"social_area_id": 2, "name": "Rechtsrheinisch Süd", "municipality_ids": [9, 17],
    "partly_covered_municipality_ids": [], "cm_fte": 1.5, "population": 90000, "foreign_nationals": 12600,
    "cm_fte_per_10000_inhabitants": 0.17, "need_indicator": 12600, "serving_position_ids": [4, 7],
    "serving_cm_fte": 1.5, "no_cm_assigned": false}], "outside_areas": [3, 12]}))]
pub struct SocialAreaDistributionReport {
    /// Every social area, ordered by name.
    pub areas: Vec<SocialAreaDistribution>,
    /// Municipalities no area covers whole (in none, or only in parts): with the areas, every
    /// municipality is counted once.
    pub outside_areas: Vec<i64>,
}

/// Distribution of case management by social area
///
/// The figures of `GET /distribution` summed per social area (Sozialraum) over the
/// municipalities the area covers whole, beside the positions that name the area as one they
/// serve. Municipalities no area covers whole are listed in `outside_areas`, so that the areas
/// and that list add up to the county.
///
/// **Who may call:** `admin`, `ki_lead`, `coordinator`, `cm_coordinator`, `steering_member`, `analyst`.
#[utoipa::path(tag = "Distribution", responses(
    (status = 200, description = "Every social area", body = SocialAreaDistributionReport),
    sets::ComputeErrors,
), security(("bearer" = [])))]
#[get("/distribution/social-areas")]
pub async fn social_area_distribution(
    caller: Caller,
    state: web::Data<AppState>,
) -> Result<web::Json<SocialAreaDistributionReport>, ApiError> {
    let (places, all, mut areas) = state
        .db
        .read_as(caller, Action::ReadSteering, |conn, _| {
            let places = every_municipality(conn)?;
            Ok::<_, ApiError>((places, positions::all(conn)?, social_areas::all(conn)?))
        })
        .await?;
    let assigned = cm_fte_by_municipality(&all);
    let figures: HashMap<i64, Figures> = places
        .iter()
        .map(|m| {
            let figures = Figures {
                cm_fte: assigned.get(&m.id).copied().unwrap_or_default(),
                population: m.population,
                foreign_nationals: foreign_nationals(m.population, m.foreign_nationals_percent),
            };
            (m.id, figures)
        })
        .collect();
    areas.sort_by(|a, b| a.data.name.cmp(&b.data.name));
    let mut covered = Vec::new();
    let rows = areas
        .into_iter()
        .map(|area| {
            let (whole, partly) = covered_whole(&area.data.parts);
            let sum = area_figures(&whole, &figures);
            covered.extend_from_slice(&whole);
            let serving_cm_fte = cm_capacity(&all)
                .filter(|p| area.data.position_ids.contains(&p.id))
                .fold(Fte::ZERO, |total, p| total + p.data.fte);
            SocialAreaDistribution {
                social_area_id: area.id,
                name: area.data.name,
                municipality_ids: whole,
                partly_covered_municipality_ids: partly,
                cm_fte: sum.cm_fte.as_decimal(),
                population: sum.population,
                foreign_nationals: sum.foreign_nationals,
                cm_fte_per_10000_inhabitants: fte_per_10000(sum.cm_fte, sum.population),
                need_indicator: sum.foreign_nationals,
                serving_position_ids: area.data.position_ids,
                serving_cm_fte: serving_cm_fte.as_decimal(),
                no_cm_assigned: sum.cm_fte == Fte::ZERO,
            }
        })
        .collect();
    let mut outside_areas: Vec<i64> = places
        .iter()
        .map(|m| m.id)
        .filter(|id| !covered.contains(id))
        .collect();
    outside_areas.sort_unstable();
    Ok(web::Json(SocialAreaDistributionReport {
        areas: rows,
        outside_areas,
    }))
}
