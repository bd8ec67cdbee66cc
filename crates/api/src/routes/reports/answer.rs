//! A report's answer in the chosen format, and the JSON schema the reports share.

use std::collections::HashMap;

use actix_web::http::header;
use actix_web::HttpResponse;
use chrono::NaiveDate;
use kim_domain::report::query::ReportFormat;
use kim_store::reports::Place;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::render::{self, Chart, Sheet};
use crate::ApiError;

/// A shown count as JSON: the number, or `null` when withheld.
pub(super) fn count_json(v: Option<u64>) -> Value {
    v.map_or(Value::Null, Value::from)
}

pub(super) fn text(v: Option<u64>) -> Option<String> {
    v.map(|v| v.to_string())
}

pub(super) fn respond(
    format: ReportFormat,
    name: &str,
    json: impl FnOnce() -> Value,
    sheet: impl FnOnce() -> Sheet,
    chart: impl FnOnce() -> Option<Chart>,
) -> Result<HttpResponse, ApiError> {
    match format {
        ReportFormat::Json => Ok(HttpResponse::Ok().json(json())),
        ReportFormat::Csv => {
            let body = render::csv(&sheet()).map_err(ApiError::Internal)?;
            Ok(HttpResponse::Ok()
                .content_type("text/csv; charset=utf-8")
                .insert_header((
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}.csv\""),
                ))
                .body(body))
        }
        ReportFormat::Svg => {
            let chart =
                chart().ok_or_else(|| ApiError::field("format", "this report has no chart"))?;
            let body = render::svg(&chart).map_err(ApiError::Internal)?;
            Ok(HttpResponse::Ok().content_type("image/svg+xml").body(body))
        }
    }
}

pub(super) fn places_by_id(places: Vec<Place>) -> HashMap<i64, Place> {
    places.into_iter().map(|p| (p.id, p)).collect()
}

/// The answer of the caseload report: open cases against case-management FTE per municipality
/// and side of the Rhine, and (for the CM coordination) per case manager.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseloadReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub group_by: Vec<String>,
    pub min_cell: u64,
    /// Per municipality: `municipality_id`, `municipality`, `rhine_side`, `open_cases`,
    /// `cm_fte`, `cases_per_fte`.
    #[schema(value_type = Vec<Object>)]
    pub rows: Vec<Value>,
    /// Per side of the Rhine: `rhine_side`, `open_cases`, `cm_fte`, `cases_per_fte`.
    #[schema(value_type = Vec<Object>)]
    pub sides: Vec<Value>,
    /// `open_cases`.
    #[schema(value_type = Object)]
    pub totals: Value,
    pub suppressed_cells: usize,
    /// Per case manager (`user_id`, `open_cases`); only for callers who coordinate casework.
    #[schema(value_type = Option<Vec<Object>>)]
    pub case_managers: Option<Vec<Value>>,
}

/// The answer of the gaps report: the gap process per stage, outcomes and feedback ratings.
#[derive(Debug, Serialize, ToSchema)]
pub struct GapsReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub min_cell: u64,
    /// Per stage: `stage`, `now`, `entered`, `left`, `median_days` (`null` when withheld).
    #[schema(value_type = Vec<Object>)]
    pub stages: Vec<Value>,
    /// Gaps per outcome now: `solved`, `rejected`, `not_systematic`, `merged`.
    #[schema(value_type = Object)]
    pub outcomes: Value,
    /// Feedback ratings given in the period: `rating`, `count` (`null` when withheld).
    #[schema(value_type = Vec<Object>)]
    pub ratings: Vec<Value>,
    pub suppressed_cells: usize,
}

/// The answer of the yearly programme report; each block as its operation describes it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProgrammeReport {
    pub year: i32,
    /// The year's last day, or today during the year.
    pub reference_date: NaiveDate,
    pub min_cell: u64,
    /// Positions and FTE per module and phase on `reference_date`.
    #[schema(value_type = Vec<Object>)]
    pub staffing: Vec<Value>,
    /// Per module (`modules`) and in total (`total`), as `GET /funding`.
    #[schema(value_type = Object)]
    pub funding: Value,
    /// `new`, `open`, `closed`.
    #[schema(value_type = Object)]
    pub cases: Value,
    /// `people` reached.
    #[schema(value_type = Object)]
    pub people: Value,
    /// Per organisation kind: `sent` and the outcomes.
    #[schema(value_type = Vec<Object>)]
    pub referrals: Vec<Value>,
    /// `set`, `achieved`.
    #[schema(value_type = Object)]
    pub goals: Value,
    /// `solved`, `communicated`.
    #[schema(value_type = Object)]
    pub gaps: Value,
    /// Per kind of body: `body_kind`, `meetings`.
    #[schema(value_type = Vec<Object>)]
    pub meetings: Vec<Value>,
    /// Needs-survey campaigns opened in the year.
    pub survey_campaigns: u64,
    /// Completion of mandatory courses today: `places`, `completed`, `due` (`null` when withheld).
    #[schema(value_type = Object)]
    pub qualification: Value,
    /// Activities held in the year per kind: `kind`, `activities`.
    #[schema(value_type = Vec<Object>)]
    pub activities: Vec<Value>,
    /// The module 3 offices' counts summed over the year's quarters.
    #[schema(value_type = Object)]
    pub module_3: Value,
    /// Clearing records made in the year: `records`, `recognition` (qualifications per
    /// recognition status), `german_levels` (clients per level of German); `null` when withheld.
    #[schema(value_type = Object)]
    pub clearing: Value,
    pub suppressed_cells: usize,
}

/// The answer of the cases report (`rows` carry the dimension values and the three counts).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"from": "2026-01-01", "to": "2026-12-31", "group_by": ["municipality"], "min_cell": 5,
    "rows": [{"municipality_id": 9, "municipality": "Hennef (Sieg)", "new": 41, "open": 67, "closed": 30},
             {"municipality_id": 12, "municipality": "Much", "new": null, "open": 8, "closed": null}],
    "totals": {"new": 44, "open": 75, "closed": 32}, "suppressed_cells": 2}))]
pub struct CasesReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub group_by: Vec<String>,
    /// Counts from 1 to `min_cell - 1` are withheld (`null`).
    pub min_cell: u64,
    #[schema(value_type = Vec<Object>)]
    pub rows: Vec<Value>,
    #[schema(value_type = Object)]
    pub totals: Value,
    /// Withheld counts (primary and secondary suppression, totals included), and rates or
    /// medians withheld because they rest on fewer than `min_cell` cases.
    pub suppressed_cells: usize,
}
