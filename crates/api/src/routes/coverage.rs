//! Coverage analysis (Angebotsabdeckung): the matrix municipality × target group or topic
//! computed by `kim_domain::coverage` from the offers, as JSON or CSV, and its gaps and overlaps.
//!
//! One file on purpose (under 600 lines of handlers, the rest their tests): the CSV layout and the
//! choice between JSON and CSV are tested next to the handlers that use them.

use std::collections::HashMap;

use crate::routes::RouteTable;
use actix_web::http::header;
use actix_web::{get, web, HttpResponse};
use chrono::NaiveDate;
use kim_domain::coverage::{
    coverage, CoverageDimension, CoverageFlag, CoverageMatrix, CoverageTotals as Totals,
};
use kim_domain::paging::{PageRequest, MAX_LIMIT};
use kim_domain::Action;
use kim_store::municipalities::{self, MunicipalityFilter, MunicipalitySort};
use kim_store::{clock, offers, Direction, Listed};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Caller;
use crate::error::error_sets as sets;
use crate::error::{FieldError, OrUnknown};
use crate::http::paging::PageParams;
use crate::http::query::parse_date;
use crate::render::{self, Sheet};
use crate::server::AppState;
use crate::{page_type, ApiError};

pub fn configure(cfg: &mut impl RouteTable) {
    cfg.service(coverage_gaps)
        .service(coverage_overlaps)
        .service(coverage_matrix);
}

/// Distinct offers and organisations, and how many cells are gaps (`none`) and overlaps.
#[derive(Debug, Serialize, ToSchema, PartialEq, Eq)]
#[schema(example = json!({"offers": 5, "organisations": 3, "gaps": 6, "overlaps": 1}))]
pub struct CoverageTotals {
    /// Distinct offers (an offer in several cells counts once).
    pub offers: usize,
    /// Distinct organisations behind them.
    pub organisations: usize,
    /// Cells without any offer.
    pub gaps: usize,
    /// Cells with offers of two or more organisations.
    pub overlaps: usize,
}

impl From<Totals> for CoverageTotals {
    fn from(t: Totals) -> Self {
        CoverageTotals {
            offers: t.offers,
            organisations: t.organisations,
            gaps: t.gaps,
            overlaps: t.overlaps,
        }
    }
}

/// One cell: the offers for one value (target group or topic) in one municipality.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"value": "refugees", "offers": 3, "organisations": 2, "flag": "overlap",
    "offer_ids": [2, 3, 4], "organisation_ids": [14, 15]}))]
pub struct CoverageCell {
    /// The column: a target group or a topic, by the matrix's dimension.
    pub value: String,
    /// Offers counted here.
    pub offers: usize,
    /// Distinct organisations behind them.
    pub organisations: usize,
    /// `none` (0 organisations), `single` (1) or `overlap` (2 or more).
    pub flag: CoverageFlag,
    pub offer_ids: Vec<i64>,
    pub organisation_ids: Vec<i64>,
}

/// One municipality's row.
#[derive(Debug, Serialize, ToSchema)]
pub struct CoverageRow {
    pub municipality_id: i64,
    pub municipality: String,
    /// One per column, in column order.
    pub cells: Vec<CoverageCell>,
    /// Distinct offers and organisations serving the municipality in any column; its gap and
    /// overlap cells.
    pub totals: CoverageTotals,
}

/// One column's totals.
#[derive(Debug, Serialize, ToSchema)]
pub struct CoverageColumnTotals {
    pub value: String,
    /// Distinct offers and organisations serving the value in any row; the number of rows where
    /// it is a gap and an overlap.
    pub totals: CoverageTotals,
}

/// Angebotsabdeckung (coverage matrix): municipalities × target groups or topics, with per cell
/// the offers, the distinct organisations and a flag, plus row, column and grand totals.
/// Totals count distinct offers and organisations, not sums of cells, because one offer
/// usually fills several cells.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "dimension": "target_group", "active_on": "2021-06-01",
    "columns": ["new_arrivals", "refugees"],
    "rows": [{"municipality_id": 9, "municipality": "Hennef (Sieg)",
        "cells": [
            {"value": "new_arrivals", "offers": 0, "organisations": 0, "flag": "none", "offer_ids": [], "organisation_ids": []},
            {"value": "refugees", "offers": 3, "organisations": 2, "flag": "overlap", "offer_ids": [2, 3, 4], "organisation_ids": [14, 15]}
        ],
        "totals": {"offers": 3, "organisations": 2, "gaps": 1, "overlaps": 1}}],
    "column_totals": [
        {"value": "new_arrivals", "totals": {"offers": 0, "organisations": 0, "gaps": 1, "overlaps": 0}},
        {"value": "refugees", "totals": {"offers": 3, "organisations": 2, "gaps": 0, "overlaps": 1}}
    ],
    "totals": {"offers": 3, "organisations": 2, "gaps": 1, "overlaps": 1}
}))]
pub struct CoverageReport {
    pub dimension: CoverageDimension,
    /// The date the offers are active on.
    pub active_on: NaiveDate,
    /// Every value of the dimension, in vocabulary order.
    pub columns: Vec<String>,
    pub rows: Vec<CoverageRow>,
    /// One per column, in column order.
    pub column_totals: Vec<CoverageColumnTotals>,
    /// Distinct offers and organisations of the whole matrix; its gap and overlap cells.
    pub totals: CoverageTotals,
}

/// An empty cell (Angebotslücke): no offer for the value in the municipality.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"municipality_id": 19, "municipality": "Windeck", "value": "women"}))]
pub struct CoverageGap {
    pub municipality_id: i64,
    pub municipality: String,
    /// The target group or topic.
    pub value: String,
}

page_type!(CoverageGapPage, CoverageGap);

/// An organisation in an overlap.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": 14, "name": "Caritasverband Rhein-Sieg"}))]
pub struct OrganisationRef {
    pub id: i64,
    pub name: String,
}

/// A cell with offers of two or more organisations: a candidate for Doppelstrukturen (duplicate
/// structures) to talk about.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"municipality_id": 9, "municipality": "Hennef (Sieg)", "value": "refugees",
    "offers": 3, "offer_ids": [2, 3, 4],
    "organisations": [{"id": 14, "name": "Caritasverband Rhein-Sieg"}, {"id": 15, "name": "Diakonisches Werk an Sieg und Rhein"}]}))]
pub struct CoverageOverlap {
    pub municipality_id: i64,
    pub municipality: String,
    /// The target group or topic.
    pub value: String,
    pub offers: usize,
    pub offer_ids: Vec<i64>,
    /// The organisations involved, by id.
    pub organisations: Vec<OrganisationRef>,
}

page_type!(CoverageOverlapPage, CoverageOverlap);

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CoverageQuery {
    /// The columns: `target_group` (default) or `topic`.
    #[param(value_type = Option<CoverageDimension>)]
    pub dimension: Option<String>,
    /// Municipality ids, comma-separated (`3,7,12`): the rows, in this order. Default: every
    /// municipality, by name.
    #[param(value_type = Option<Vec<i64>>, style = Form, explode = false, min_items = 1, max_items = 200, example = json!([3, 7, 12]))]
    pub municipality: Option<String>,
    /// Count the offers running on this date (`YYYY-MM-DD`); default today (UTC).
    #[param(value_type = Option<String>, format = Date, example = "2021-06-01")]
    pub active_on: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CoverageFormat {
    /// `json` (default) or `csv`; `Accept: text/csv` also selects CSV.
    #[param(pattern = "^(json|csv)$", example = "csv")]
    pub format: Option<String>,
}

/// What the matrix is computed for, after checking the query.
struct CoverageRequest {
    dimension: CoverageDimension,
    municipality_ids: Option<Vec<i64>>,
    active_on: NaiveDate,
}

impl CoverageQuery {
    /// Every bad parameter at once, as a 422 naming each.
    fn request(&self) -> Result<CoverageRequest, ApiError> {
        let mut errors = Vec::new();
        // Every parameter exactly as the document states it: no blanks around values.
        let dimension = match self.dimension.as_deref() {
            None => Some(CoverageDimension::TargetGroup),
            Some(text) => CoverageDimension::parse(text)
                .map_err(|e| errors.push(FieldError::new("dimension", e.to_string())))
                .ok(),
        };
        let municipality_ids = match self.municipality.as_deref() {
            None => Some(None),
            Some(text) => parse_ids(text)
                .map(Some)
                .map_err(|message| errors.push(FieldError::new("municipality", message)))
                .ok(),
        };
        let active_on = match self.active_on.as_deref() {
            None => Some(clock::now().date()),
            Some(text) => parse_date(text)
                .map_err(|message| errors.push(FieldError::new("active_on", message)))
                .ok(),
        };
        match (dimension, municipality_ids, active_on) {
            (Some(dimension), Some(municipality_ids), Some(active_on)) if errors.is_empty() => {
                Ok(CoverageRequest {
                    dimension,
                    municipality_ids,
                    active_on,
                })
            }
            _ => Err(ApiError::Validation(errors)),
        }
    }
}

/// The most municipalities one request may name (a county has a few dozen).
const MAX_MUNICIPALITIES: usize = 200;

/// `3,7,12` → `[3, 7, 12]`.
fn parse_ids(text: &str) -> Result<Vec<i64>, String> {
    let ids = text
        .split(',')
        .map(|part| {
            part.parse::<i64>()
                .map_err(|_| format!("'{part}' is not a municipality id; send ids like 3,7,12"))
        })
        .collect::<Result<Vec<i64>, String>>()?;
    if ids.len() > MAX_MUNICIPALITIES {
        return Err(format!("at most {MAX_MUNICIPALITIES} municipalities"));
    }
    Ok(ids)
}

/// The matrix with the names it shows.
struct Computed {
    matrix: CoverageMatrix,
    municipality_names: HashMap<i64, String>,
    organisation_names: HashMap<i64, String>,
}

/// Loads the municipalities and offers and computes the matrix, in one database call.
async fn compute(
    state: &AppState,
    caller: Caller,
    request: CoverageRequest,
) -> Result<Computed, ApiError> {
    state
        .db
        .read_as(caller, Action::ReadReferenceData, move |conn, _who| {
            let (rows, municipality_names) = match &request.municipality_ids {
                Some(ids) => {
                    let mut names = HashMap::new();
                    for id in ids {
                        let m = municipalities::find(conn, *id)
                            .or_unknown("municipality", format!("no municipality with id {id}"))?;
                        names.insert(*id, m.name);
                    }
                    (ids.clone(), names)
                }
                None => {
                    let all = municipalities::list(
                        conn,
                        &MunicipalityFilter::default(),
                        MunicipalitySort::Name,
                        Direction::Asc,
                        PageRequest {
                            limit: MAX_LIMIT,
                            offset: 0,
                        },
                    )?;
                    let ids = all.items.iter().map(|m| m.id).collect();
                    let names = all.items.into_iter().map(|m| (m.id, m.name)).collect();
                    (ids, names)
                }
            };
            let offers = offers::coverage_offers(conn)?;
            let matrix = coverage(&offers, &rows, request.dimension, request.active_on);
            let involved: Vec<i64> = matrix
                .overlaps()
                .iter()
                .flat_map(|(_, cell)| cell.organisation_ids.iter().copied())
                .collect();
            let organisation_names = offers::organisation_names(conn, &involved)?;
            Ok::<_, ApiError>(Computed {
                matrix,
                municipality_names,
                organisation_names,
            })
        })
        .await
}

impl Computed {
    fn municipality(&self, id: i64) -> String {
        self.municipality_names
            .get(&id)
            .cloned()
            .unwrap_or_default()
    }

    fn report(&self) -> CoverageReport {
        let m = &self.matrix;
        CoverageReport {
            dimension: m.dimension,
            active_on: m.active_on,
            columns: m.columns.iter().map(|c| (*c).to_owned()).collect(),
            rows: m
                .rows
                .iter()
                .map(|row| CoverageRow {
                    municipality_id: row.municipality_id,
                    municipality: self.municipality(row.municipality_id),
                    cells: row
                        .cells
                        .iter()
                        .map(|cell| CoverageCell {
                            value: cell.column.to_owned(),
                            offers: cell.offer_ids.len(),
                            organisations: cell.organisation_ids.len(),
                            flag: cell.flag,
                            offer_ids: cell.offer_ids.clone(),
                            organisation_ids: cell.organisation_ids.clone(),
                        })
                        .collect(),
                    totals: row.totals.into(),
                })
                .collect(),
            column_totals: m
                .columns
                .iter()
                .zip(&m.column_totals)
                .map(|(column, totals)| CoverageColumnTotals {
                    value: (*column).to_owned(),
                    totals: (*totals).into(),
                })
                .collect(),
            totals: m.totals.into(),
        }
    }

    fn gaps(&self) -> Vec<CoverageGap> {
        self.matrix
            .gaps()
            .into_iter()
            .map(|(municipality_id, cell)| CoverageGap {
                municipality_id,
                municipality: self.municipality(municipality_id),
                value: cell.column.to_owned(),
            })
            .collect()
    }

    fn overlaps(&self) -> Vec<CoverageOverlap> {
        self.matrix
            .overlaps()
            .into_iter()
            .map(|(municipality_id, cell)| CoverageOverlap {
                municipality_id,
                municipality: self.municipality(municipality_id),
                value: cell.column.to_owned(),
                offers: cell.offer_ids.len(),
                offer_ids: cell.offer_ids.clone(),
                organisations: cell
                    .organisation_ids
                    .iter()
                    .map(|id| OrganisationRef {
                        id: *id,
                        name: self.organisation_names.get(id).cloned().unwrap_or_default(),
                    })
                    .collect(),
            })
            .collect()
    }
}

/// One page of an in-memory list.
fn page_of<T>(items: Vec<T>, page: PageRequest) -> Listed<T> {
    let total = i64::try_from(items.len()).unwrap_or(i64::MAX);
    let skip = usize::try_from(page.offset).unwrap_or(usize::MAX);
    let take = usize::try_from(page.limit).unwrap_or(0);
    Listed {
        items: items.into_iter().skip(skip).take(take).collect(),
        total,
    }
}

/// The matrix for spreadsheets, through the reports' CSV writer (RFC 4180 by the `csv` crate,
/// CRLF line ends, a cell starting with `=`, `+`, `-` or `@` prefixed with `'`): one line per
/// municipality, two columns per value (`<value>_offers`, `<value>_organisations`), the row
/// totals, and a last line `total` with the column totals and the grand total.
pub fn to_csv(report: &CoverageReport) -> Result<String, String> {
    let count = |n: usize| Some(n.to_string());
    let mut columns = vec!["municipality_id".to_owned(), "municipality".to_owned()];
    for column in &report.columns {
        columns.push(format!("{column}_offers"));
        columns.push(format!("{column}_organisations"));
    }
    columns.push("total_offers".into());
    columns.push("total_organisations".into());
    let mut rows: Vec<Vec<Option<String>>> = report
        .rows
        .iter()
        .map(|row| {
            let mut fields = vec![
                Some(row.municipality_id.to_string()),
                Some(row.municipality.clone()),
            ];
            for cell in &row.cells {
                fields.push(count(cell.offers));
                fields.push(count(cell.organisations));
            }
            fields.push(count(row.totals.offers));
            fields.push(count(row.totals.organisations));
            fields
        })
        .collect();
    let mut totals = vec![None, Some("total".to_owned())];
    for column in &report.column_totals {
        totals.push(count(column.totals.offers));
        totals.push(count(column.totals.organisations));
    }
    totals.push(count(report.totals.offers));
    totals.push(count(report.totals.organisations));
    rows.push(totals);
    render::csv(&Sheet::single(columns, rows))
}

/// Whether the caller asked for CSV, by `format` or by `Accept`.
fn wants_csv(format: Option<&str>, accept: Option<&str>) -> Result<bool, ApiError> {
    match format {
        Some("csv") => Ok(true),
        Some("json") => Ok(false),
        Some(other) => Err(ApiError::field(
            "format",
            format!("unknown format '{other}', expected one of: json, csv"),
        )),
        None => Ok(accept.is_some_and(|a| a.contains("text/csv"))),
    }
}

/// Coverage matrix (Angebotsabdeckung)
///
/// Municipalities × target groups (`dimension=target_group`, default) or × topics
/// (`dimension=topic`), counting the offers running on `active_on` (default today). Per cell:
/// the offers, the distinct organisations and a flag: `none` (no offer, a gap), `single` (one
/// organisation) or `overlap` (two or more organisations: a candidate for Doppelstrukturen).
/// Two offers of the same organisation are one actor, not an overlap. County-wide offers count
/// for every municipality. Row, column and grand totals count distinct offers and
/// organisations (an offer in several cells counts once) and the gap and overlap cells.
///
/// `municipality=3,7,12` restricts the rows (in that order; unknown ids are 422). With
/// `format=csv` (or `Accept: text/csv`) the answer is CSV for spreadsheets: one line per
/// municipality with two columns per value (`<value>_offers`, `<value>_organisations`) and the
/// row totals, then a line `total`; written like the reports' CSV, so a cell that starts with
/// `=`, `+`, `-` or `@` is prefixed with `'` and never runs as a spreadsheet formula. A bad
/// `dimension`, `municipality`, `active_on` or `format` is 422 naming the parameter.
///
/// **Who may call:** every authenticated caller, partner tokens included.
#[utoipa::path(tag = "Coverage", params(CoverageQuery, CoverageFormat), responses(
    (status = 200, description = "The matrix, as JSON or as CSV", content(
        (CoverageReport = "application/json"),
        (String = "text/csv", example = "municipality_id,municipality,new_arrivals_offers,new_arrivals_organisations,refugees_offers,refugees_organisations,total_offers,total_organisations\r\n9,Hennef (Sieg),0,0,3,2,3,2\r\n,total,0,0,3,2,3,2\r\n")
    )),
    sets::ListErrors,
), security(("bearer" = [])))]
#[get("/coverage")]
pub async fn coverage_matrix(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<CoverageQuery>,
    format: web::Query<CoverageFormat>,
    http: actix_web::HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let accept = http
        .headers()
        .get(header::ACCEPT)
        .and_then(|a| a.to_str().ok());
    let csv = wants_csv(format.format.as_deref(), accept);
    let request = query.request();
    let (csv, request) = match (csv, request) {
        (Ok(csv), Ok(request)) => (csv, request),
        (Err(ApiError::Validation(mut a)), Err(ApiError::Validation(b))) => {
            a.extend(b);
            return Err(ApiError::Validation(a));
        }
        (Err(e), _) | (_, Err(e)) => return Err(e),
    };
    let computed = compute(&state, caller, request).await?;
    let report = computed.report();
    if csv {
        let name = format!(
            "attachment; filename=\"coverage-{}-{}.csv\"",
            report.dimension, report.active_on
        );
        return Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header((header::CONTENT_DISPOSITION, name))
            .body(to_csv(&report).map_err(ApiError::Internal)?));
    }
    Ok(HttpResponse::Ok().json(report))
}

/// Coverage gaps (Angebotslücken)
///
/// The cells of the coverage matrix without any offer: which target group (or topic) has no
/// offer in which municipality on `active_on`. Same parameters as `GET /coverage`; paged, in
/// matrix order (municipality, then the dimension's vocabulary order).
///
/// **Who may call:** every authenticated caller, partner tokens included.
#[utoipa::path(tag = "Coverage", params(CoverageQuery, PageParams), responses(
    (status = 200, description = "One page of empty cells", body = CoverageGapPage),
    sets::ListErrors,
), security(("bearer" = [])))]
#[get("/coverage/gaps")]
pub async fn coverage_gaps(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<CoverageQuery>,
    paging: web::Query<PageParams>,
) -> Result<web::Json<CoverageGapPage>, ApiError> {
    let page = paging.page()?;
    let request = query.request()?;
    let computed = compute(&state, caller, request).await?;
    Ok(web::Json(CoverageGapPage::new(
        page_of(computed.gaps(), page),
        page,
    )))
}

/// Coverage overlaps (Doppelstrukturen)
///
/// The cells of the coverage matrix where two or more organisations offer something for the
/// same target group (or topic) in the same municipality on `active_on`, with the offers and
/// the organisations involved. Same parameters as `GET /coverage`; paged, in matrix order.
///
/// **Who may call:** every authenticated caller, partner tokens included.
#[utoipa::path(tag = "Coverage", params(CoverageQuery, PageParams), responses(
    (status = 200, description = "One page of overlapping cells", body = CoverageOverlapPage),
    sets::ListErrors,
), security(("bearer" = [])))]
#[get("/coverage/overlaps")]
pub async fn coverage_overlaps(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<CoverageQuery>,
    paging: web::Query<PageParams>,
) -> Result<web::Json<CoverageOverlapPage>, ApiError> {
    let page = paging.page()?;
    let request = query.request()?;
    let computed = compute(&state, caller, request).await?;
    Ok(web::Json(CoverageOverlapPage::new(
        page_of(computed.overlaps(), page),
        page,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn totals(offers: usize, organisations: usize) -> CoverageTotals {
        CoverageTotals {
            offers,
            organisations,
            gaps: 0,
            overlaps: 0,
        }
    }

    #[test]
    fn csv_has_two_columns_per_value_row_totals_and_a_total_line() {
        let cell = |value: &str, offers, organisations| CoverageCell {
            value: value.into(),
            offers,
            organisations,
            flag: CoverageFlag::from_organisations(organisations),
            offer_ids: vec![],
            organisation_ids: vec![],
        };
        let report = CoverageReport {
            dimension: CoverageDimension::Topic,
            active_on: NaiveDate::from_ymd_opt(2021, 6, 1).expect("date"),
            columns: vec!["work".into(), "housing".into()],
            rows: vec![
                CoverageRow {
                    municipality_id: 3,
                    municipality: "Hennef (Sieg)".into(),
                    cells: vec![cell("work", 2, 1), cell("housing", 0, 0)],
                    totals: totals(2, 1),
                },
                CoverageRow {
                    municipality_id: 4,
                    municipality: "Dorf, \"Nord\"".into(),
                    cells: vec![cell("work", 1, 1), cell("housing", 3, 2)],
                    totals: totals(4, 3),
                },
            ],
            column_totals: vec![
                CoverageColumnTotals {
                    value: "work".into(),
                    totals: totals(2, 1),
                },
                CoverageColumnTotals {
                    value: "housing".into(),
                    totals: totals(3, 2),
                },
            ],
            totals: totals(5, 3),
        };
        assert_eq!(
            to_csv(&report).as_deref(),
            Ok("municipality_id,municipality,work_offers,work_organisations,housing_offers,housing_organisations,total_offers,total_organisations\r\n\
             3,Hennef (Sieg),2,1,0,0,2,1\r\n\
             4,\"Dorf, \"\"Nord\"\"\",1,1,3,2,4,3\r\n\
             ,total,2,1,3,2,5,3\r\n")
        );
        // A name a spreadsheet would run as a formula is defused, as in every report.
        let mut report = report;
        report.rows[0].municipality = "=HYPERLINK(\"x\")".into();
        assert!(to_csv(&report)
            .unwrap_or_default()
            .contains("\r\n3,\"'=HYPERLINK(\"\"x\"\")\",2,1,"));
    }

    #[test]
    fn ids_and_formats() {
        assert_eq!(parse_ids("3,7,12"), Ok(vec![3, 7, 12]));
        assert!(parse_ids("3, 7").is_err());
        assert!(parse_ids("3,x").unwrap_err().contains("'x'"));
        assert!(parse_ids("3,,4").is_err());
        assert!(parse_ids(&vec!["1"; MAX_MUNICIPALITIES + 1].join(",")).is_err());
        assert!(wants_csv(Some("csv"), None).is_ok_and(|csv| csv));
        assert!(wants_csv(Some("json"), Some("text/csv")).is_ok_and(|csv| !csv));
        assert!(wants_csv(None, Some("text/csv")).is_ok_and(|csv| csv));
        assert!(wants_csv(None, Some("application/json")).is_ok_and(|csv| !csv));
        assert!(wants_csv(None, None).is_ok_and(|csv| !csv));
        assert!(wants_csv(Some("xlsx"), None).is_err());
        assert!(wants_csv(Some(" csv"), None).is_err());
    }

    #[test]
    fn pages_of_a_list() {
        let page = |limit, offset| PageRequest { limit, offset };
        let listed = page_of(vec![1, 2, 3, 4, 5], page(2, 2));
        assert_eq!(listed.items, vec![3, 4]);
        assert_eq!(listed.total, 5);
        assert!(page_of(vec![1, 2], page(2, 4)).items.is_empty());
    }
}
