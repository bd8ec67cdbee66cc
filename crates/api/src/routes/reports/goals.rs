//! `GET /reports/goals`

use std::collections::{BTreeMap, HashMap};

use actix_web::{get, web, HttpRequest, HttpResponse};
use kim_domain::report::disclosure::{rate, withholds_statistic};
use kim_domain::report::query::GoalDimension;
use kim_domain::report::table;
use kim_store::reports as store;

use super::answer::{respond, CasesReport};
use super::partitioned::{withhold_rates, Partitioned};
use super::query::{run, ReportQuery};
use crate::auth::Caller;
use crate::error::error_sets as sets;
use crate::server::AppState;
use crate::ApiError;

/// Help-plan goals
///
/// Help-plan goals set in the period per `topic`: `set`, and by current status `achieved`,
/// `dropped`, `open`; `achievement_rate` (achieved over set; `null` under `min_cell` goals, and
/// then counted in `suppressed_cells`).
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
    // Achievement rates over fewer than `min_cell` goals are withheld like small counts.
    let withheld_statistics = by
        .values()
        .filter(|p| withholds_statistic(p.iter().sum(), min_cell))
        .count();
    let rows: Vec<(Vec<Option<String>>, Vec<u64>)> =
        by.into_iter().map(|(k, v)| (vec![Some(k)], v)).collect();
    let mut table = table::partition(&rows, min_cell);
    table.suppressed_cells += withheld_statistics;
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
