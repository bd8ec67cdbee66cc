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

use super::render::{self, Chart, Sheet};
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
