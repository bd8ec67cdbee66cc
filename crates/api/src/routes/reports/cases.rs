//! `GET /reports/cases`

use actix_web::{get, web, HttpRequest, HttpResponse};
use kim_domain::report::query::CaseDimension;
use kim_domain::report::table;
use kim_store::reports as store;

use super::answer::{respond, CasesReport};
use super::grouped::{Grouped, Names};
use super::query::{run, ReportQuery};
use crate::auth::Caller;
use crate::error::error_sets as sets;
use crate::server::AppState;
use crate::ApiError;

/// The measures of the cases report, in the order of its columns.
const CASE_MEASURES: &[&str] = &["new", "open", "closed"];

/// Cases: new, open, closed
///
/// Cases `new` (opened in the period), `open` (open on `to`) and `closed` (closed in the period;
/// a reopened case counts by its last closing), grouped by `group_by`: at most two of
/// `municipality`, `social_area`, `rhine_side`, `target_group`, `legal_domain`, `topic`, `intake_channel`,
/// `eligible`, `close_reason`, `month`, `quarter`, `year`. **Legal domains and topics are
/// multi-valued: a case counts once per value**, so rows add up to more than the totals, which
/// count distinct cases. Time dimensions place `new` at the opening date, `closed` at the
/// closing date and `open` at `to`. Rows for `municipality` carry `municipality_id` and
/// `municipality` (the name); rows for `social_area` carry `social_area_id` and `social_area`:
/// the area that covers the case's municipality whole, both `null` for cases in a municipality
/// no area covers whole (cases record the municipality, not the district).
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
    let (counts, names) = run(&state, caller, move |conn, scope| {
        Ok((
            store::cases(conn, scope, period, &dims)?,
            Names::load(conn)?,
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
        names,
    };
    respond(
        request.format,
        "cases",
        || report.json(),
        || report.sheet(),
        || Some(report.chart()),
    )
}
