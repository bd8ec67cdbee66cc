//! `GET /reports/caseload`

use std::collections::BTreeMap;

use actix_web::{get, web, HttpRequest, HttpResponse};
use kim_domain::report::query::CaseloadDimension;
use kim_domain::report::table::{self, Count};
use kim_store::reports as store;
use serde_json::json;

use super::answer::{count_json, places_by_id, respond, text, CasesReport};
use super::query::{run, ReportQuery};
use super::render::{Chart, Section, Sheet};
use crate::auth::Caller;
use crate::error::error_sets as sets;
use crate::server::AppState;
use crate::ApiError;

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
