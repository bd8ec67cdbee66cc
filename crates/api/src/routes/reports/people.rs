//! `GET /reports/people`

use actix_web::{get, web, HttpRequest, HttpResponse};
use kim_domain::report::query::PeopleDimension;
use kim_domain::report::table;
use kim_store::reports as store;

use super::answer::{respond, CasesReport};
use super::grouped::{Grouped, Names};
use super::query::{run, ReportQuery};
use crate::auth::Caller;
use crate::error::error_sets as sets;
use crate::server::AppState;
use crate::ApiError;

/// People reached
///
/// Distinct clients of cases open on at least one day of the period (`people`), grouped by at
/// most two of `age_band` (0-5, 6-17, 18-26, 27-44, 45-64, 65+, the age in the year the case was
/// opened), `gender`, `country_of_origin`, `residence_status`, `municipality`, `social_area` (as
/// in `GET /reports/cases`), `target_group`.
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
    let (counts, names) = run(&state, caller, move |conn, scope| {
        Ok((
            store::people(conn, scope, period, &dims)?,
            Names::load(conn)?,
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
        names,
    };
    respond(
        request.format,
        "people",
        || report.json(),
        || report.sheet(),
        || Some(report.chart()),
    )
}
