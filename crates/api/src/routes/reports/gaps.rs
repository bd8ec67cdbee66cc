//! `GET /reports/gaps`

use actix_web::{get, web, HttpRequest, HttpResponse};
use kim_domain::report::disclosure::{self, median, shown, withholds_statistic};
use kim_domain::report::query::GoalDimension;
use kim_store::reports as store;
use serde_json::{json, Map, Value};

use super::answer::{count_json, respond, text, GapsReport};
use super::query::{run, ReportQuery};
use crate::auth::Caller;
use crate::error::error_sets as sets;
use crate::render::{Chart, Section, Sheet};
use crate::server::AppState;
use crate::ApiError;

/// Systematic gaps
///
/// The gap process (systematische Lücken): per stage the gaps in it now (`now`), the steps that
/// entered and left it in the period (a step that keeps the stage, such as a further report, an
/// acknowledgement or feedback, does neither), and the median days of the stage visits that
/// ended in the period (a visit runs from entering the stage to leaving it; `null` under
/// `min_cell` visits, counted in `suppressed_cells`); the outcomes (`solved` = closed,
/// `rejected`, `not_systematic`, `merged`) now; feedback ratings given in the period (ratings
/// come from people and are protected like counts of people). `from`, `to`, `format` and errors
/// as `GET /reports/cases`; `group_by` is not taken.
///
/// **Who may call:** as `GET /reports/cases`.
#[utoipa::path(tag = "Reports", params(ReportQuery), responses(
    (status = 200, description = "The report", content(
        (GapsReport = "application/json", example = json!({"from": "2026-01-01", "to": "2026-12-31", "min_cell": 5,
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
    let mut withheld_medians = 0;
    let stages: Vec<(String, u64, u64, u64, Option<f64>)> = kim_domain::gap::GapStage::ALL
        .iter()
        .map(|s| {
            let s = s.as_str();
            let days = counts
                .days_in_stage
                .get_mut(s)
                .map(|v| v.as_mut_slice())
                .unwrap_or(&mut []);
            // A median over fewer than `min_cell` stage visits is withheld like a small count.
            withheld_medians += usize::from(withholds_statistic(days.len() as u64, min_cell));
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
    // In the order of the ratings' names, so that ties are withheld the same on every call.
    counts.ratings.sort_unstable();
    let (ratings, withheld_ratings) = protected_list(&counts.ratings, min_cell);
    let suppressed = withheld_ratings + withheld_medians;
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
