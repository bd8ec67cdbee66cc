//! Controlling and evaluation reports (Controlling, Monitoring und Evaluation): aggregates only,
//! protected by statistical disclosure control (`kim_domain::report::disclosure`). The counting
//! happens in the database (`kim_store::reports`); the rules in the domain; here the query is
//! parsed, the caller's scope decided and the answer rendered as JSON, CSV or SVG.

pub mod render;

use std::collections::{BTreeMap, HashMap};

use actix_web::http::header;
use actix_web::{get, web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use kim_domain::report::disclosure::{self, median, rate, shown};
use kim_domain::report::query::{
    parse_dimensions, CaseDimension, CaseloadDimension, GoalDimension, PeopleDimension, Period,
    ReferralDimension, ReportFormat,
};
use kim_domain::report::table::{self, Count, Table};
use kim_domain::{Action, Principal};
use kim_store::reports::{self as store, Place, Scope};
use kim_store::{clock, DbConn};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use utoipa::{IntoParams, ToSchema};

use self::render::{Chart, Section, Sheet};
use super::offers::parse_date;
use crate::auth::caller::Authenticated;
use crate::auth::Caller;
use crate::error::error_sets as sets;
use crate::error::FieldError;
use crate::routes::RouteTable;
use crate::server::AppState;
use crate::ApiError;

pub fn configure(cfg: &mut impl RouteTable) {
    cfg.service(cases_report)
        .service(people_report)
        .service(referrals_report)
        .service(goals_report)
        .service(caseload_report)
        .service(gaps_report)
        .service(programme_report);
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// First day of the period (inclusive, `YYYY-MM-DD`); default 1 January of the current year.
    #[param(value_type = Option<String>, format = Date, example = "2026-01-01")]
    pub from: Option<String>,
    /// Last day of the period (inclusive); default 31 December. At most 10 years after `from`.
    #[param(value_type = Option<String>, format = Date, example = "2026-12-31")]
    pub to: Option<String>,
    /// Comma list of at most two dimensions (see the operation's description).
    #[param(example = "municipality,month")]
    pub group_by: Option<String>,
    /// `json` (default), `csv` or `svg`; `Accept: text/csv` also selects CSV.
    #[param(value_type = Option<ReportFormat>)]
    pub format: Option<String>,
}

/// The checked request: every bad parameter reported at once.
struct Request<D> {
    period: Period,
    dims: Vec<D>,
    format: ReportFormat,
}

fn accept(http: &HttpRequest) -> Option<String> {
    http.headers()
        .get(header::ACCEPT)
        .and_then(|a| a.to_str().ok())
        .map(str::to_owned)
}

fn date(
    field: &'static str,
    value: Option<&str>,
    errors: &mut Vec<FieldError>,
) -> Option<NaiveDate> {
    let text = value.map(str::trim).filter(|t| !t.is_empty())?;
    parse_date(text)
        .map_err(|message| errors.push(FieldError::new(field, message)))
        .ok()
}

fn domain_error(e: kim_domain::field::FieldError) -> FieldError {
    FieldError::new(e.field, e.message)
}

impl ReportQuery {
    fn request<D: Copy + PartialEq>(
        &self,
        http: &HttpRequest,
        parse: impl Fn(&str) -> Result<D, kim_domain::UnknownValue>,
        svg: bool,
    ) -> Result<Request<D>, ApiError> {
        let mut errors = Vec::new();
        let from = date("from", self.from.as_deref(), &mut errors);
        let to = date("to", self.to.as_deref(), &mut errors);
        let period = Period::parse(from, to, clock::now().date())
            .map_err(|e| errors.push(domain_error(e)))
            .ok();
        let dims = parse_dimensions(self.group_by.as_deref(), parse)
            .map_err(|e| errors.push(domain_error(e)))
            .ok();
        let format = ReportFormat::choose(self.format.as_deref(), accept(http).as_deref())
            .map_err(|e| errors.push(domain_error(e)))
            .ok();
        if format == Some(ReportFormat::Svg) && !svg {
            errors.push(FieldError::new(
                "format",
                "this report has no chart; use json or csv",
            ));
        }
        match (period, dims, format) {
            (Some(period), Some(dims), Some(format)) if errors.is_empty() => Ok(Request {
                period,
                dims,
                format,
            }),
            _ => Err(ApiError::Validation(errors)),
        }
    }
}

/// Whose cases the caller's reports count: all for report readers, their own for case managers.
fn scope(who: &Authenticated) -> Result<Scope, ApiError> {
    if who.principal.may(Action::ReadReports) {
        return Ok(Scope::All);
    }
    match who.principal {
        Principal::Person { user_id, .. } if who.principal.may(Action::ReadOwnCaseReports) => {
            Ok(Scope::CaseManager(user_id))
        }
        _ => who.require(Action::ReadReports).map(|_| Scope::All),
    }
}

/// Runs a report's store work with the caller's scope, in one database call.
async fn run<T: Send + 'static>(
    state: &AppState,
    caller: Caller,
    f: impl FnOnce(&mut DbConn, Scope) -> Result<T, kim_store::StoreError> + Send + 'static,
) -> Result<T, ApiError> {
    state
        .db
        .read_with(caller, move |conn, who| {
            let scope = scope(who)?;
            f(conn, scope).map_err(ApiError::from)
        })
        .await
}

/// A shown count as JSON: the number, or `null` when withheld.
fn count_json(v: Option<u64>) -> Value {
    v.map_or(Value::Null, Value::from)
}

fn text(v: Option<u64>) -> Option<String> {
    v.map(|v| v.to_string())
}

/// Dimension values of a row as JSON fields; a municipality carries its id and name.
fn dimension_fields(
    names: &[&'static str],
    keys: &[Option<String>],
    places: &HashMap<i64, Place>,
    out: &mut Map<String, Value>,
) {
    for (name, key) in names.iter().zip(keys) {
        if *name == "municipality" {
            let id = key.as_deref().and_then(|k| k.parse::<i64>().ok());
            out.insert(
                "municipality_id".into(),
                id.map_or(Value::Null, Value::from),
            );
            let label = id.and_then(|id| places.get(&id)).map(|p| p.name.clone());
            out.insert(
                "municipality".into(),
                label.map_or(Value::Null, Value::from),
            );
        } else if *name == "eligible" {
            out.insert(
                (*name).into(),
                key.as_deref()
                    .map_or(Value::Null, |k| Value::from(k == "true")),
            );
        } else {
            out.insert((*name).into(), key.clone().map_or(Value::Null, Value::from));
        }
    }
}

fn dimension_columns(names: &[&'static str]) -> Vec<String> {
    names
        .iter()
        .flat_map(|n| {
            if *n == "municipality" {
                vec!["municipality_id".to_owned(), "municipality".to_owned()]
            } else {
                vec![(*n).to_owned()]
            }
        })
        .collect()
}

fn dimension_cells(
    names: &[&'static str],
    keys: &[Option<String>],
    places: &HashMap<i64, Place>,
) -> Vec<Option<String>> {
    let mut out = Vec::new();
    for (name, key) in names.iter().zip(keys) {
        if *name == "municipality" {
            let id = key.as_deref().and_then(|k| k.parse::<i64>().ok());
            out.push(key.clone());
            out.push(id.and_then(|id| places.get(&id)).map(|p| p.name.clone()));
        } else {
            out.push(key.clone());
        }
    }
    out
}

fn label(name: &str, key: &Option<String>, places: &HashMap<i64, Place>) -> String {
    match (name, key) {
        ("municipality", Some(k)) => k
            .parse::<i64>()
            .ok()
            .and_then(|id| places.get(&id))
            .map_or_else(|| k.clone(), |p| p.name.clone()),
        (_, Some(k)) => k.clone(),
        (_, None) => "not recorded".into(),
    }
}

/// A grouped table as JSON, CSV or SVG.
struct Grouped<'a> {
    title: String,
    period: Period,
    min_cell: u64,
    dims: Vec<&'static str>,
    time: bool,
    measures: &'a [&'static str],
    table: Table,
    places: HashMap<i64, Place>,
}

impl Grouped<'_> {
    fn json(&self) -> Value {
        let rows: Vec<Value> = self
            .table
            .rows
            .iter()
            .map(|row| {
                let mut m = Map::new();
                dimension_fields(&self.dims, &row.keys, &self.places, &mut m);
                for (name, v) in self.measures.iter().zip(&row.values) {
                    m.insert((*name).into(), count_json(*v));
                }
                Value::Object(m)
            })
            .collect();
        let totals: Map<String, Value> = self
            .measures
            .iter()
            .zip(&self.table.totals)
            .map(|(n, v)| ((*n).to_owned(), count_json(*v)))
            .collect();
        json!({
            "from": self.period.from, "to": self.period.to, "group_by": self.dims,
            "min_cell": self.min_cell, "rows": rows, "totals": totals,
            "suppressed_cells": self.table.suppressed_cells,
        })
    }

    fn sheet(&self) -> Sheet {
        let mut columns = dimension_columns(&self.dims);
        columns.extend(self.measures.iter().map(|m| (*m).to_owned()));
        let mut rows: Vec<Vec<Option<String>>> = self
            .table
            .rows
            .iter()
            .map(|row| {
                let mut cells = dimension_cells(&self.dims, &row.keys, &self.places);
                cells.extend(row.values.iter().map(|v| text(*v)));
                cells
            })
            .collect();
        let mut total = vec![Some("total".to_owned())];
        total.resize(dimension_columns(&self.dims).len().max(1), None);
        total.extend(self.table.totals.iter().map(|v| text(*v)));
        rows.push(total);
        Sheet {
            sections: vec![Section {
                title: None,
                columns,
                rows,
            }],
        }
    }

    /// One dimension: bars per measure (or lines over time). Two: the first measure stacked
    /// by the second dimension.
    fn chart(&self) -> Chart {
        let title = format!(
            "{} {} to {} (counts under {} withheld: {} cells)",
            self.title,
            self.period.from,
            self.period.to,
            self.min_cell,
            self.table.suppressed_cells
        );
        let first = |k: &[Option<String>]| {
            label(
                self.dims.first().copied().unwrap_or(""),
                k.first().unwrap_or(&None),
                &self.places,
            )
        };
        let mut categories: Vec<String> = Vec::new();
        for row in &self.table.rows {
            let c = if self.dims.is_empty() {
                "all".to_owned()
            } else {
                first(&row.keys)
            };
            if !categories.contains(&c) {
                categories.push(c);
            }
        }
        let series = if self.dims.len() == 2 {
            let mut by: BTreeMap<String, Vec<Option<u64>>> = BTreeMap::new();
            for row in &self.table.rows {
                let s = label(self.dims[1], &row.keys[1], &self.places);
                let i = categories
                    .iter()
                    .position(|c| *c == first(&row.keys))
                    .unwrap_or(0);
                by.entry(s)
                    .or_insert_with(|| vec![Some(0); categories.len()])[i] = row.values[0];
            }
            by.into_iter().collect()
        } else {
            self.measures
                .iter()
                .enumerate()
                .map(|(m, name)| {
                    (
                        (*name).to_owned(),
                        self.table.rows.iter().map(|r| r.values[m]).collect(),
                    )
                })
                .collect()
        };
        Chart {
            title,
            y_label: self.measures.first().copied().unwrap_or("count").to_owned(),
            categories,
            series,
            line: self.time,
        }
    }
}

fn respond(
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

fn places_by_id(places: Vec<Place>) -> HashMap<i64, Place> {
    places.into_iter().map(|p| (p.id, p)).collect()
}

/// Joins the rhine side onto municipality keys when the cases report groups by it (the store
/// groups by the municipality's `rhine_side` column directly, so nothing to do here).
const CASE_MEASURES: &[&str] = &["new", "open", "closed"];

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
    /// Withheld counts (primary and secondary suppression, totals included).
    pub suppressed_cells: usize,
}

/// Cases: new, open, closed
///
/// Cases `new` (opened in the period), `open` (open on `to`) and `closed` (closed in the period;
/// a reopened case counts by its last closing), grouped by `group_by`: at most two of
/// `municipality`, `rhine_side`, `target_group`, `legal_domain`, `topic`, `intake_channel`,
/// `eligible`, `close_reason`, `month`, `quarter`, `year`. **Legal domains and topics are
/// multi-valued: a case counts once per value**, so rows add up to more than the totals, which
/// count distinct cases. Time dimensions place `new` at the opening date, `closed` at the
/// closing date and `open` at `to`. Rows for `municipality` carry `municipality_id` and
/// `municipality` (the name).
///
/// **Statistical disclosure control:** a count from 1 to `min_cell - 1` (`KIM_REPORT_MIN_CELL`,
/// default 5) is `null` (CSV: empty) and counts in `suppressed_cells`; where a withheld cell
/// could be recomputed from a total and the other cells of its row or column, the next smallest
/// cell is withheld too (cascading). Totals are true counts. Zero is shown as 0.
///
/// `format=csv` (or `Accept: text/csv`) answers CSV with a last line `total`; `format=svg` a
/// chart (bars for one dimension, stacked bars for two, a line for `month`/`quarter`). Unknown
/// `group_by` values, more than two dimensions, `from` after `to`, a period over 10 years and an
/// unknown `format` are 422 naming the parameter.
///
/// **Who may call:** `analyst`, `ki_lead`, `coordinator`, `cm_coordinator`, `steering_member`,
/// partner tokens with `reports:read`; a `case_manager` gets the same report over their own
/// cases (assigned or deputy). Never contains a name, reference, birth year or free text.
#[utoipa::path(tag = "Reports", params(ReportQuery), responses(
    (status = 200, description = "The report", content(
        (CasesReport = "application/json"),
        (String = "text/csv", example = "municipality_id,municipality,new,open,closed\r\n9,Hennef (Sieg),41,67,30\r\n12,Much,,8,\r\ntotal,,44,75,32\r\n"),
        (String = "image/svg+xml")
    )),
    sets::ListErrors,
), security(("bearer" = [])))]
#[get("/reports/cases")]
pub async fn cases_report(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<ReportQuery>,
    http: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let request = query.request(&http, CaseDimension::parse, true)?;
    let (period, dims) = (request.period, request.dims.clone());
    let (counts, places) = run(&state, caller, move |conn, scope| {
        Ok((
            store::cases(conn, scope, period, &dims)?,
            store::places(conn)?,
        ))
    })
    .await?;
    let min_cell = state.report_min_cell;
    let table = table::measures(&[counts.new, counts.open, counts.closed], min_cell);
    let report = Grouped {
        title: "Cases".into(),
        period,
        min_cell,
        dims: request.dims.iter().map(|d| d.as_str()).collect(),
        time: request
            .dims
            .first()
            .is_some_and(|d| d.is_time() && *d != CaseDimension::Year),
        measures: CASE_MEASURES,
        table,
        places: places_by_id(places),
    };
    respond(
        request.format,
        "cases",
        || report.json(),
        || report.sheet(),
        || Some(report.chart()),
    )
}

/// People reached
///
/// Distinct clients of cases open on at least one day of the period (`people`), grouped by at
/// most two of `age_band` (0-5, 6-17, 18-26, 27-44, 45-64, 65+, the age in the year the case was
/// opened), `gender`, `country_of_origin`, `residence_status`, `municipality`, `target_group`.
/// The personal attributes are those **captured when the person joined the case**, not the
/// client record, so an erasure later changes no figure. `null` values mean "not recorded".
/// Same parameters, formats, disclosure control and errors as `GET /reports/cases`.
///
/// **Who may call:** as `GET /reports/cases`.
#[utoipa::path(tag = "Reports", params(ReportQuery), responses(
    (status = 200, description = "The report", content(
        (CasesReport = "application/json", example = json!({"from": "2026-01-01", "to": "2026-12-31", "group_by": ["age_band"], "min_cell": 5,
            "rows": [{"age_band": "18-26", "people": 23}, {"age_band": "65+", "people": null}, {"age_band": "27-44", "people": null}],
            "totals": {"people": 61}, "suppressed_cells": 2})),
        (String = "text/csv", example = "age_band,people\r\n18-26,23\r\n27-44,\r\n65+,\r\ntotal,61\r\n"),
        (String = "image/svg+xml")
    )),
    sets::ListErrors,
), security(("bearer" = [])))]
#[get("/reports/people")]
pub async fn people_report(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<ReportQuery>,
    http: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let request = query.request(&http, PeopleDimension::parse, true)?;
    let (period, dims) = (request.period, request.dims.clone());
    let (counts, places) = run(&state, caller, move |conn, scope| {
        Ok((
            store::people(conn, scope, period, &dims)?,
            store::places(conn)?,
        ))
    })
    .await?;
    let min_cell = state.report_min_cell;
    let report = Grouped {
        title: "People reached".into(),
        period,
        min_cell,
        dims: request.dims.iter().map(|d| d.as_str()).collect(),
        time: false,
        measures: &["people"],
        table: table::measures(&[counts], min_cell),
        places: places_by_id(places),
    };
    respond(
        request.format,
        "people",
        || report.json(),
        || report.sheet(),
        || Some(report.chart()),
    )
}

/// A partition report (referrals by outcome, goals by status) with a rate and maybe a median.
struct Partitioned {
    title: String,
    period: Period,
    min_cell: u64,
    key: &'static str,
    total_name: &'static str,
    parts: Vec<&'static str>,
    table: Table,
    rates: Vec<(Option<f64>, Option<f64>)>,
    rate_name: &'static str,
    median_name: Option<&'static str>,
    labels: HashMap<String, String>,
}

impl Partitioned {
    fn json(&self) -> Value {
        let rows: Vec<Value> = self
            .table
            .rows
            .iter()
            .zip(&self.rates)
            .map(|(row, (rate, median))| {
                let mut m = Map::new();
                let key = row.keys.first().cloned().flatten().unwrap_or_default();
                if self.key == "organisation" {
                    m.insert(
                        "organisation_id".into(),
                        key.parse::<i64>().map_or(Value::Null, Value::from),
                    );
                    m.insert(
                        "organisation".into(),
                        self.labels
                            .get(&key)
                            .cloned()
                            .map_or(Value::Null, Value::from),
                    );
                } else {
                    m.insert(self.key.into(), Value::from(key));
                }
                m.insert(self.total_name.into(), count_json(row.values[0]));
                for (name, v) in self.parts.iter().zip(&row.values[1..]) {
                    m.insert((*name).into(), count_json(*v));
                }
                m.insert(self.rate_name.into(), rate.map_or(Value::Null, Value::from));
                if let Some(name) = self.median_name {
                    m.insert(name.into(), median.map_or(Value::Null, Value::from));
                }
                Value::Object(m)
            })
            .collect();
        let mut totals = Map::new();
        totals.insert(self.total_name.into(), count_json(self.table.totals[0]));
        for (name, v) in self.parts.iter().zip(&self.table.totals[1..]) {
            totals.insert((*name).into(), count_json(*v));
        }
        json!({"from": self.period.from, "to": self.period.to, "group_by": [self.key], "min_cell": self.min_cell,
            "rows": rows, "totals": totals, "suppressed_cells": self.table.suppressed_cells})
    }

    fn sheet(&self) -> Sheet {
        let mut columns = vec![self.key.to_owned()];
        if self.key == "organisation" {
            columns = vec!["organisation_id".into(), "organisation".into()];
        }
        columns.push(self.total_name.into());
        columns.extend(self.parts.iter().map(|p| (*p).to_owned()));
        columns.push(self.rate_name.into());
        if let Some(m) = self.median_name {
            columns.push(m.into());
        }
        let mut rows = Vec::new();
        for (row, (rate, median)) in self.table.rows.iter().zip(&self.rates) {
            let key = row.keys.first().cloned().flatten().unwrap_or_default();
            let mut cells = vec![Some(key.clone())];
            if self.key == "organisation" {
                cells.push(self.labels.get(&key).cloned());
            }
            cells.extend(row.values.iter().map(|v| text(*v)));
            cells.push(rate.map(|r| r.to_string()));
            if self.median_name.is_some() {
                cells.push(median.map(|m| m.to_string()));
            }
            rows.push(cells);
        }
        let mut total = vec![Some("total".to_owned())];
        if self.key == "organisation" {
            total.push(None);
        }
        total.extend(self.table.totals.iter().map(|v| text(*v)));
        rows.push(total);
        Sheet {
            sections: vec![Section {
                title: None,
                columns,
                rows,
            }],
        }
    }

    fn chart(&self) -> Chart {
        let categories = self
            .table
            .rows
            .iter()
            .map(|r| {
                let k = r.keys.first().cloned().flatten().unwrap_or_default();
                self.labels.get(&k).cloned().unwrap_or(k)
            })
            .collect();
        let series = self
            .parts
            .iter()
            .enumerate()
            .map(|(p, name)| {
                (
                    (*name).to_owned(),
                    self.table.rows.iter().map(|r| r.values[p + 1]).collect(),
                )
            })
            .collect();
        Chart {
            title: format!(
                "{} {} to {} (counts under {} withheld: {} cells)",
                self.title,
                self.period.from,
                self.period.to,
                self.min_cell,
                self.table.suppressed_cells
            ),
            y_label: self.total_name.into(),
            categories,
            series,
            line: false,
        }
    }
}

/// Referrals and their outcomes
///
/// Referrals sent in the period per recipient organisation (`group_by=organisation`, default;
/// rows carry `organisation_id` and `organisation`) or organisation kind
/// (`group_by=organisation_kind`): `sent`, and by current status `accepted`, `declined`,
/// `completed`, `withdrawn`, `open` (no answer yet); `acceptance_rate` (accepted or completed
/// over those answered) and `median_days_to_answer` (sent to the first acceptance or decline).
/// Rates and medians over fewer than `min_cell` referrals are `null`. Same parameters, formats,
/// disclosure control and errors as `GET /reports/cases`.
///
/// **Who may call:** as `GET /reports/cases`.
#[utoipa::path(tag = "Reports", params(ReportQuery), responses(
    (status = 200, description = "The report", content(
        (CasesReport = "application/json", example = json!({"from": "2026-01-01", "to": "2026-12-31", "group_by": ["organisation_kind"], "min_cell": 5,
            "rows": [{"organisation_kind": "jobcenter", "sent": 40, "accepted": 22, "declined": 6, "completed": 7, "withdrawn": null, "open": null, "acceptance_rate": 0.829, "median_days_to_answer": 6.0}],
            "totals": {"sent": 40, "accepted": 22, "declined": 6, "completed": 7, "withdrawn": null, "open": null}, "suppressed_cells": 4})),
        (String = "text/csv"),
        (String = "image/svg+xml")
    )),
    sets::ListErrors,
), security(("bearer" = [])))]
#[get("/reports/referrals")]
pub async fn referrals_report(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<ReportQuery>,
    http: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let request = query.request(&http, ReferralDimension::parse, true)?;
    if request.dims.len() > 1 {
        return Err(ApiError::field(
            "group_by",
            "the referrals report groups by one dimension",
        ));
    }
    let dim = request
        .dims
        .first()
        .copied()
        .unwrap_or(ReferralDimension::Organisation);
    let period = request.period;
    let (counts, names) = run(&state, caller, move |conn, scope| {
        let counts = store::referrals(conn, scope, period, dim)?;
        let ids: Vec<i64> = counts
            .counts
            .iter()
            .filter_map(|(k, _, _)| k.parse().ok())
            .collect();
        let names = if dim == ReferralDimension::Organisation {
            kim_store::offers::organisation_names(conn, &ids)?
        } else {
            HashMap::new()
        };
        Ok((counts, names))
    })
    .await?;
    let min_cell = state.report_min_cell;
    let mut by: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for (key, status, n) in &counts.counts {
        let slot = by
            .entry(key.clone())
            .or_insert_with(|| vec![0; store::REFERRAL_OUTCOMES.len()]);
        if let Some(i) = store::REFERRAL_OUTCOMES.iter().position(|s| s == status) {
            slot[i] += n;
        }
    }
    let mut answer_days = counts.answer_days;
    let rates = by
        .iter()
        .map(|(key, parts)| {
            let answered = parts[0] + parts[1] + parts[2];
            let rate = rate(parts[0] + parts[2], answered, min_cell);
            let median = median(
                answer_days
                    .get_mut(key)
                    .map(|v| v.as_mut_slice())
                    .unwrap_or(&mut []),
                min_cell,
            );
            (rate, median)
        })
        .collect();
    let rows: Vec<(Vec<Option<String>>, Vec<u64>)> =
        by.into_iter().map(|(k, v)| (vec![Some(k)], v)).collect();
    let table = table::partition(&rows, min_cell);
    // A rate over withheld cells would give them away.
    let rates = withhold_rates(rates, &table, &[1, 2, 3]);
    let labels = if dim == ReferralDimension::Organisation {
        names
            .into_iter()
            .map(|(id, name)| (id.to_string(), name))
            .collect()
    } else {
        HashMap::new()
    };
    let report = Partitioned {
        title: "Referrals".into(),
        period,
        min_cell,
        key: dim.as_str(),
        total_name: "sent",
        parts: vec!["accepted", "declined", "completed", "withdrawn", "open"],
        table,
        rates,
        rate_name: "acceptance_rate",
        median_name: Some("median_days_to_answer"),
        labels,
    };
    respond(
        request.format,
        "referrals",
        || report.json(),
        || report.sheet(),
        || Some(report.chart()),
    )
}

/// Help-plan goals
///
/// Help-plan goals set in the period per `topic`: `set`, and by current status `achieved`,
/// `dropped`, `open`; `achievement_rate` (achieved over set; `null` under `min_cell` goals).
/// `from`, `to`, `format` and errors as `GET /reports/cases`; `group_by` is not taken.
///
/// **Who may call:** as `GET /reports/cases`.
#[utoipa::path(tag = "Reports", params(ReportQuery), responses(
    (status = 200, description = "The report", content(
        (CasesReport = "application/json", example = json!({"from": "2026-01-01", "to": "2026-12-31", "group_by": ["topic"], "min_cell": 5,
            "rows": [{"topic": "language", "set": 30, "achieved": 12, "dropped": null, "open": null, "achievement_rate": 0.4}],
            "totals": {"set": 30, "achieved": 12, "dropped": null, "open": null}, "suppressed_cells": 4})),
        (String = "text/csv"),
        (String = "image/svg+xml")
    )),
    sets::ListErrors,
), security(("bearer" = [])))]
#[get("/reports/goals")]
pub async fn goals_report(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<ReportQuery>,
    http: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let request = query.request(&http, GoalDimension::parse, true)?;
    let period = request.period;
    let counts = run(&state, caller, move |conn, scope| {
        store::goals(conn, scope, period)
    })
    .await?;
    let min_cell = state.report_min_cell;
    let mut by: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for (topic, status, n) in counts {
        let slot = by
            .entry(topic)
            .or_insert_with(|| vec![0; store::GOAL_STATUSES.len()]);
        if let Some(i) = store::GOAL_STATUSES.iter().position(|s| *s == status) {
            slot[i] += n;
        }
    }
    let rates = by
        .values()
        .map(|p| (rate(p[0], p.iter().sum(), min_cell), None))
        .collect();
    let rows: Vec<(Vec<Option<String>>, Vec<u64>)> =
        by.into_iter().map(|(k, v)| (vec![Some(k)], v)).collect();
    let table = table::partition(&rows, min_cell);
    let rates = withhold_rates(rates, &table, &[0, 1]);
    let report = Partitioned {
        title: "Help-plan goals".into(),
        period,
        min_cell,
        key: "topic",
        total_name: "set",
        parts: vec!["achieved", "dropped", "open"],
        table,
        rates,
        rate_name: "achievement_rate",
        median_name: None,
        labels: HashMap::new(),
    };
    respond(
        request.format,
        "goals",
        || report.json(),
        || report.sheet(),
        || Some(report.chart()),
    )
}

/// Withholds a row's rate when a count it is computed from is withheld.
fn withhold_rates(
    rates: Vec<(Option<f64>, Option<f64>)>,
    table: &Table,
    inputs: &[usize],
) -> Vec<(Option<f64>, Option<f64>)> {
    rates
        .into_iter()
        .zip(&table.rows)
        .map(|((rate, median), row)| {
            let hidden = inputs
                .iter()
                .any(|i| row.values.get(*i).is_some_and(|v| v.is_none()));
            (if hidden { None } else { rate }, median)
        })
        .collect()
}

fn pairs_json(pairs: &[(String, Option<u64>)], key: &str, value: &str) -> Value {
    Value::Array(
        pairs
            .iter()
            .map(|(k, v)| json!({ key: k, value: count_json(*v) }))
            .collect(),
    )
}

/// A one-dimensional list of counts, protected.
fn protected_list(counts: &[(String, u64)], min_cell: u64) -> (Vec<(String, Option<u64>)>, usize) {
    let cells: Vec<disclosure::Cell> = counts
        .iter()
        .enumerate()
        .map(|(row, (_, count))| disclosure::Cell {
            row,
            col: 0,
            count: *count,
        })
        .collect();
    let p = disclosure::protect(&cells, min_cell);
    let shown_counts = counts
        .iter()
        .zip(&p.cells)
        .map(|((k, n), w)| (k.clone(), shown(*n, *w)))
        .collect();
    (shown_counts, p.cells.iter().filter(|w| **w).count())
}

/// Caseload: open cases against case-management FTE
///
/// Cases open on `to` per municipality and per side of the Rhine, against the FTE of
/// case-management positions (phases onboarding, qualification, active) assigned to the
/// municipality: `open_cases`, `cm_fte`, `cases_per_fte` (`null` when the count is withheld or
/// there is no FTE). Never per person. `from`, `format` and errors as `GET /reports/cases`;
/// `group_by` is not taken (the rows are municipalities, the `sides` the two sides of the Rhine).
///
/// **Who may call:** as `GET /reports/cases`.
#[utoipa::path(tag = "Reports", params(ReportQuery), responses(
    (status = 200, description = "The report", content(
        (CasesReport = "application/json", example = json!({"from": "2026-01-01", "to": "2026-12-31", "group_by": ["municipality"], "min_cell": 5,
            "rows": [{"municipality_id": 9, "municipality": "Hennef (Sieg)", "rhine_side": "right", "open_cases": 67, "cm_fte": 1.5, "cases_per_fte": 44.7}],
            "sides": [{"rhine_side": "right", "open_cases": 540, "cm_fte": 9.0, "cases_per_fte": 60.0}],
            "totals": {"open_cases": 812}, "suppressed_cells": 0})),
        (String = "text/csv"),
        (String = "image/svg+xml")
    )),
    sets::ListErrors,
), security(("bearer" = [])))]
#[get("/reports/caseload")]
pub async fn caseload_report(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<ReportQuery>,
    http: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let request = query.request(&http, CaseloadDimension::parse, true)?;
    let period = request.period;
    let ((counts, total, fte), places) = run(&state, caller, move |conn, scope| {
        Ok((
            store::caseload(conn, scope, period.to)?,
            store::places(conn)?,
        ))
    })
    .await?;
    let min_cell = state.report_min_cell;
    let places = places_by_id(places);
    let side_of = |k: &Option<String>| {
        k.as_deref()
            .and_then(|k| k.parse::<i64>().ok())
            .and_then(|id| places.get(&id))
            .map(|p| p.rhine_side.clone())
    };
    // Municipalities as a grid side × municipality, so the side sums count as known totals.
    let by_place: Vec<Count> = counts
        .iter()
        .map(|c| Count {
            keys: vec![side_of(&c.keys[0]), c.keys[0].clone()],
            count: c.count,
        })
        .collect();
    let mut side_sums: BTreeMap<Option<String>, u64> = BTreeMap::new();
    for c in &by_place {
        *side_sums.entry(c.keys[0].clone()).or_default() += c.count;
    }
    let municipal = table::measures(&[(by_place, total)], min_cell);
    let sides = table::measures(
        &[(
            side_sums
                .into_iter()
                .map(|(k, count)| Count {
                    keys: vec![k],
                    count,
                })
                .collect(),
            total,
        )],
        min_cell,
    );
    let fte_of = |ids: &[i64]| {
        ids.iter()
            .map(|id| fte.get(id).copied().unwrap_or(0))
            .sum::<i64>()
    };
    let per_fte = |open: Option<u64>, fte: i64| match open {
        Some(open) if fte > 0 => Some((open as f64 * 100.0 / fte as f64 * 10.0).round() / 10.0),
        _ => None,
    };
    let mut rows = Vec::new();
    for row in &municipal.rows {
        let id = row.keys[1]
            .as_deref()
            .and_then(|k| k.parse::<i64>().ok())
            .unwrap_or(0);
        let f = fte_of(&[id]);
        rows.push((
            id,
            row.keys[0].clone(),
            row.values[0],
            f,
            per_fte(row.values[0], f),
        ));
    }
    let mut side_rows = Vec::new();
    for row in &sides.rows {
        let ids: Vec<i64> = places
            .values()
            .filter(|p| Some(&p.rhine_side) == row.keys[0].as_ref())
            .map(|p| p.id)
            .collect();
        let f = fte_of(&ids);
        side_rows.push((
            row.keys[0].clone(),
            row.values[0],
            f,
            per_fte(row.values[0], f),
        ));
    }
    let suppressed =
        municipal.suppressed_cells + sides.rows.iter().filter(|r| r.values[0].is_none()).count();
    let name = |id: i64| places.get(&id).map(|p| p.name.clone());
    let json = || {
        json!({
            "from": period.from, "to": period.to, "group_by": ["municipality"], "min_cell": min_cell,
            "rows": rows.iter().map(|(id, side, open, f, r)| json!({
                "municipality_id": id, "municipality": name(*id), "rhine_side": side,
                "open_cases": count_json(*open), "cm_fte": *f as f64 / 100.0, "cases_per_fte": r})).collect::<Vec<_>>(),
            "sides": side_rows.iter().map(|(side, open, f, r)| json!({
                "rhine_side": side, "open_cases": count_json(*open), "cm_fte": *f as f64 / 100.0,
                "cases_per_fte": r})).collect::<Vec<_>>(),
            "totals": {"open_cases": count_json(municipal.totals[0])},
            "suppressed_cells": suppressed,
        })
    };
    let sheet = || Sheet {
        sections: vec![
            Section {
                title: Some("municipalities".into()),
                columns: [
                    "municipality_id",
                    "municipality",
                    "rhine_side",
                    "open_cases",
                    "cm_fte",
                    "cases_per_fte",
                ]
                .map(String::from)
                .to_vec(),
                rows: rows
                    .iter()
                    .map(|(id, side, open, f, r)| {
                        vec![
                            Some(id.to_string()),
                            name(*id),
                            side.clone(),
                            text(*open),
                            Some(format!("{:.2}", *f as f64 / 100.0)),
                            r.map(|r| r.to_string()),
                        ]
                    })
                    .collect(),
            },
            Section {
                title: Some("sides of the Rhine".into()),
                columns: ["rhine_side", "open_cases", "cm_fte", "cases_per_fte"]
                    .map(String::from)
                    .to_vec(),
                rows: side_rows
                    .iter()
                    .map(|(side, open, f, r)| {
                        vec![
                            side.clone(),
                            text(*open),
                            Some(format!("{:.2}", *f as f64 / 100.0)),
                            r.map(|r| r.to_string()),
                        ]
                    })
                    .collect(),
            },
        ],
    };
    let chart = || {
        Some(Chart {
            title: format!(
                "Open cases on {} (counts under {min_cell} withheld)",
                period.to
            ),
            y_label: "open cases".into(),
            categories: rows
                .iter()
                .map(|(id, ..)| name(*id).unwrap_or_default())
                .collect(),
            series: vec![("open cases".into(), rows.iter().map(|r| r.2).collect())],
            line: false,
        })
    };
    respond(request.format, "caseload", json, sheet, chart)
}

/// Systematic gaps
///
/// The gap process (systematische Lücken): per stage the gaps in it now (`now`), the steps that
/// entered and left it in the period, and the median days of the stage visits that ended in
/// the period (`null` under `min_cell` visits); the outcomes (`solved` = closed,
/// `rejected`, `not_systematic`, `merged`) now; feedback ratings given in the period (ratings
/// come from people and are protected like counts of people). `from`, `to`, `format` and errors
/// as `GET /reports/cases`; `group_by` is not taken.
///
/// **Who may call:** as `GET /reports/cases`.
#[utoipa::path(tag = "Reports", params(ReportQuery), responses(
    (status = 200, description = "The report", content(
        (CasesReport = "application/json", example = json!({"from": "2026-01-01", "to": "2026-12-31", "min_cell": 5,
            "stages": [{"stage": "reported", "now": 3, "entered": 9, "left": 6, "median_days": 12.0}],
            "outcomes": {"solved": 2, "rejected": 1, "not_systematic": 0, "merged": 1},
            "ratings": [{"rating": "effective", "count": 6}], "suppressed_cells": 0})),
        (String = "text/csv"),
        (String = "image/svg+xml")
    )),
    sets::ListErrors,
), security(("bearer" = [])))]
#[get("/reports/gaps")]
pub async fn gaps_report(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<ReportQuery>,
    http: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let request = query.request(&http, GoalDimension::parse, true)?;
    if !request.dims.is_empty() {
        return Err(ApiError::field(
            "group_by",
            "the gaps report takes no group_by",
        ));
    }
    let period = request.period;
    let mut counts = run(&state, caller, move |conn, _scope| {
        store::gaps(conn, period)
    })
    .await?;
    let min_cell = state.report_min_cell;
    let get = |list: &[(String, u64)], stage: &str| {
        list.iter().find(|(s, _)| s == stage).map_or(0, |(_, n)| *n)
    };
    let stages: Vec<(String, u64, u64, u64, Option<f64>)> = kim_domain::gap::GapStage::ALL
        .iter()
        .map(|s| {
            let s = s.as_str();
            let days = counts
                .days_in_stage
                .get_mut(s)
                .map(|v| v.as_mut_slice())
                .unwrap_or(&mut []);
            (
                s.to_owned(),
                get(&counts.now, s),
                get(&counts.entered, s),
                get(&counts.left, s),
                median(days, min_cell),
            )
        })
        .collect();
    let outcomes = [
        ("solved", "closed"),
        ("rejected", "rejected"),
        ("not_systematic", "not_systematic"),
        ("merged", "merged"),
    ]
    .map(|(name, stage)| (name, get(&counts.now, stage)));
    let (ratings, suppressed) = protected_list(&counts.ratings, min_cell);
    let json = || {
        json!({
            "from": period.from, "to": period.to, "min_cell": min_cell,
            "stages": stages.iter().map(|(s, now, e, l, m)| json!({"stage": s, "now": now, "entered": e, "left": l, "median_days": m})).collect::<Vec<_>>(),
            "outcomes": outcomes.iter().map(|(k, v)| ((*k).to_owned(), Value::from(*v))).collect::<Map<String, Value>>(),
            "ratings": pairs_json(&ratings, "rating", "count"),
            "suppressed_cells": suppressed,
        })
    };
    let sheet = || Sheet {
        sections: vec![
            Section {
                title: Some("stages".into()),
                columns: ["stage", "now", "entered", "left", "median_days"]
                    .map(String::from)
                    .to_vec(),
                rows: stages
                    .iter()
                    .map(|(s, now, e, l, m)| {
                        vec![
                            Some(s.clone()),
                            Some(now.to_string()),
                            Some(e.to_string()),
                            Some(l.to_string()),
                            m.map(|m| m.to_string()),
                        ]
                    })
                    .collect(),
            },
            Section {
                title: Some("outcomes".into()),
                columns: ["outcome", "gaps"].map(String::from).to_vec(),
                rows: outcomes
                    .iter()
                    .map(|(k, v)| vec![Some((*k).to_owned()), Some(v.to_string())])
                    .collect(),
            },
            Section {
                title: Some("ratings".into()),
                columns: ["rating", "count"].map(String::from).to_vec(),
                rows: ratings
                    .iter()
                    .map(|(k, v)| vec![Some(k.clone()), text(*v)])
                    .collect(),
            },
        ],
    };
    let chart = || {
        Some(Chart {
            title: format!("Systematic gaps by stage, {} to {}", period.from, period.to),
            y_label: "gaps".into(),
            categories: stages.iter().map(|s| s.0.clone()).collect(),
            series: vec![("now".into(), stages.iter().map(|s| Some(s.1)).collect())],
            line: false,
        })
    };
    respond(request.format, "gaps", json, sheet, chart)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProgrammeQuery {
    /// The reporting year; default the current year.
    #[param(example = 2026)]
    pub year: Option<String>,
    /// `json` (default) or `csv`; `Accept: text/csv` also selects CSV.
    #[param(value_type = Option<ReportFormat>)]
    pub format: Option<String>,
}

/// The yearly programme report (Jahresbericht KIM)
///
/// The report the KI hands to the steering group and the Land for `year`, **the export the
/// Land's evaluation can take** (CSV: one section per block, each starting with a `# title`
/// line). Blocks: `staffing` (positions and FTE per module and phase), `cases` (new, open at
/// year end, closed: the totals of `GET /reports/cases`), `people` (people reached),
/// `referrals` (by organisation kind, as `GET /reports/referrals`), `goals` (set, achieved),
/// `gaps` (solved and communicated in the year), `meetings` (held per kind of body) and
/// `survey_campaigns` (needs-survey campaigns opened in the year). Counts of cases, people,
/// referrals and goals are protected as in the other reports. A bad `year` or `format` is 422.
///
/// **Who may call:** as `GET /reports/cases`; for a `case_manager` the casework blocks count
/// their own cases.
#[utoipa::path(tag = "Reports", params(ProgrammeQuery), responses(
    (status = 200, description = "The report", content(
        (CasesReport = "application/json", example = json!({"year": 2026, "min_cell": 5,
            "staffing": [{"module": "module_2", "phase": "active", "positions": 12, "fte": 10.5}],
            "cases": {"new": 420, "open": 610, "closed": 380}, "people": {"people": 930},
            "referrals": [{"organisation_kind": "jobcenter", "sent": 120, "accepted": 80, "declined": 12, "completed": 20, "withdrawn": null, "open": null}],
            "goals": {"set": 800, "achieved": 310}, "gaps": {"solved": 2, "communicated": 3},
            "meetings": [{"body_kind": "steering_group", "meetings": 4}], "survey_campaigns": 1, "suppressed_cells": 2})),
        (String = "text/csv")
    )),
    sets::ListErrors,
), security(("bearer" = [])))]
#[get("/reports/programme")]
pub async fn programme_report(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<ProgrammeQuery>,
    http: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let mut errors = Vec::new();
    let year = match query.year.as_deref().map(str::trim) {
        None | Some("") => Some(chrono::Datelike::year(&clock::now().date())),
        Some(y) => y
            .parse::<i32>()
            .ok()
            .filter(|y| (1990..=2100).contains(y))
            .or_else(|| {
                errors.push(FieldError::new(
                    "year",
                    "must be a year between 1990 and 2100",
                ));
                None
            }),
    };
    let format = ReportFormat::choose(query.format.as_deref(), accept(&http).as_deref())
        .map_err(|e| errors.push(domain_error(e)))
        .ok();
    if format == Some(ReportFormat::Svg) {
        errors.push(FieldError::new(
            "format",
            "the programme report has no chart; use json or csv",
        ));
    }
    let (Some(period), Some(format)) = (year.and_then(Period::year), format) else {
        return Err(ApiError::Validation(errors));
    };
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let (cases, people, referrals, goals, gaps, programme) =
        run(&state, caller, move |conn, scope| {
            Ok((
                store::cases(conn, scope, period, &[])?,
                store::people(conn, scope, period, &[])?,
                store::referrals(conn, scope, period, ReferralDimension::OrganisationKind)?,
                store::goals(conn, scope, period)?,
                store::gaps(conn, period)?,
                store::programme(conn, period)?,
            ))
        })
        .await?;
    let min_cell = state.report_min_cell;
    let headline = table::measures(&[cases.new, cases.open, cases.closed], min_cell);
    let reached = table::measures(&[people], min_cell);
    let mut by: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for (key, status, n) in &referrals.counts {
        let slot = by
            .entry(key.clone())
            .or_insert_with(|| vec![0; store::REFERRAL_OUTCOMES.len()]);
        if let Some(i) = store::REFERRAL_OUTCOMES.iter().position(|s| s == status) {
            slot[i] += n;
        }
    }
    let referral_rows: Vec<(Vec<Option<String>>, Vec<u64>)> =
        by.into_iter().map(|(k, v)| (vec![Some(k)], v)).collect();
    let referral_table = table::partition(&referral_rows, min_cell);
    let goals_set: u64 = goals.iter().map(|g| g.2).sum();
    let goals_achieved: u64 = goals
        .iter()
        .filter(|g| g.1 == "achieved")
        .map(|g| g.2)
        .sum();
    let goal_values =
        [goals_set, goals_achieved].map(|n| shown(n, disclosure::is_small(n, min_cell)));
    let entered = |stage: &str| {
        gaps.entered
            .iter()
            .find(|(s, _)| s == stage)
            .map_or(0, |(_, n)| *n)
    };
    let (solved, communicated) = (entered("closed"), entered("communicated"));
    let suppressed = headline.suppressed_cells
        + reached.suppressed_cells
        + referral_table.suppressed_cells
        + goal_values.iter().filter(|v| v.is_none()).count();
    let outcome_names = ["accepted", "declined", "completed", "withdrawn", "open"];
    let json = || {
        json!({
            "year": period.from.format("%Y").to_string().parse::<i32>().unwrap_or_default(),
            "min_cell": min_cell,
            "staffing": programme.positions.iter().map(|(m, p, n, f)| json!({"module": m, "phase": p, "positions": n, "fte": *f as f64 / 100.0})).collect::<Vec<_>>(),
            "cases": {"new": count_json(headline.totals[0]), "open": count_json(headline.totals[1]), "closed": count_json(headline.totals[2])},
            "people": {"people": count_json(reached.totals[0])},
            "referrals": referral_table.rows.iter().map(|r| {
                let mut m = Map::new();
                m.insert("organisation_kind".into(), Value::from(r.keys[0].clone().unwrap_or_default()));
                m.insert("sent".into(), count_json(r.values[0]));
                for (n, v) in outcome_names.iter().zip(&r.values[1..]) { m.insert((*n).into(), count_json(*v)); }
                Value::Object(m)
            }).collect::<Vec<_>>(),
            "goals": {"set": count_json(goal_values[0]), "achieved": count_json(goal_values[1])},
            "gaps": {"solved": solved, "communicated": communicated},
            "meetings": programme.meetings.iter().map(|(k, n)| json!({"body_kind": k, "meetings": n})).collect::<Vec<_>>(),
            "survey_campaigns": programme.campaigns,
            "suppressed_cells": suppressed,
        })
    };
    let sheet = || {
        let mut referral_columns = vec!["organisation_kind".to_owned(), "sent".to_owned()];
        referral_columns.extend(outcome_names.iter().map(|n| (*n).to_owned()));
        Sheet {
            sections: vec![
                Section {
                    title: Some("staffing".into()),
                    columns: ["module", "phase", "positions", "fte"]
                        .map(String::from)
                        .to_vec(),
                    rows: programme
                        .positions
                        .iter()
                        .map(|(m, p, n, f)| {
                            vec![
                                Some(m.clone()),
                                Some(p.clone()),
                                Some(n.to_string()),
                                Some(format!("{:.2}", *f as f64 / 100.0)),
                            ]
                        })
                        .collect(),
                },
                Section {
                    title: Some("cases".into()),
                    columns: ["new", "open", "closed"].map(String::from).to_vec(),
                    rows: vec![headline.totals.iter().map(|v| text(*v)).collect()],
                },
                Section {
                    title: Some("people".into()),
                    columns: vec!["people".into()],
                    rows: vec![vec![text(reached.totals[0])]],
                },
                Section {
                    title: Some("referrals".into()),
                    columns: referral_columns,
                    rows: referral_table
                        .rows
                        .iter()
                        .map(|r| {
                            let mut c = vec![r.keys[0].clone()];
                            c.extend(r.values.iter().map(|v| text(*v)));
                            c
                        })
                        .collect(),
                },
                Section {
                    title: Some("goals".into()),
                    columns: ["set", "achieved"].map(String::from).to_vec(),
                    rows: vec![goal_values.iter().map(|v| text(*v)).collect()],
                },
                Section {
                    title: Some("gaps".into()),
                    columns: ["solved", "communicated"].map(String::from).to_vec(),
                    rows: vec![vec![
                        Some(solved.to_string()),
                        Some(communicated.to_string()),
                    ]],
                },
                Section {
                    title: Some("meetings".into()),
                    columns: ["body_kind", "meetings"].map(String::from).to_vec(),
                    rows: programme
                        .meetings
                        .iter()
                        .map(|(k, n)| vec![Some(k.clone()), Some(n.to_string())])
                        .collect(),
                },
                Section {
                    title: Some("survey_campaigns".into()),
                    columns: vec!["campaigns".into()],
                    rows: vec![vec![Some(programme.campaigns.to_string())]],
                },
            ],
        }
    };
    respond(format, "programme", json, sheet, || None)
}
