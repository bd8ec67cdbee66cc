//! `GET /reports/caseload`

use std::collections::{BTreeMap, HashMap};

use actix_web::{get, web, HttpRequest, HttpResponse};
use kim_domain::report::caseload::{case_management_fte_on, CaseManagementPosition};
use kim_domain::report::query::{CaseloadDimension, Period};
use kim_domain::report::table::{self, Count};
use kim_domain::staffing::Fte;
use kim_domain::Action;
use kim_store::reports::{self as store, Place};
use serde_json::{json, Map, Value};

use super::answer::{count_json, places_by_id, respond, text, CaseloadReport};
use super::query::{run_as, ReportQuery};
use crate::auth::Caller;
use crate::error::error_sets as sets;
use crate::render::{Chart, Section, Sheet};
use crate::server::AppState;
use crate::views::funding::funding_inputs;
use crate::ApiError;

/// Caseload: open cases against case-management FTE
///
/// Cases open on `to` per municipality (every municipality, 0 where none) and per side of the
/// Rhine, against the FTE of case-management positions (case management and thematic case
/// management, in phase onboarding, qualification or active **on `to`**) serving the
/// municipality: `open_cases`, `cm_fte`, `cases_per_fte` (`null` when the count is withheld or
/// there is no FTE). `from`, `format` and errors as `GET /reports/cases`; `group_by` is not
/// taken (the rows are municipalities, the `sides` the two sides of the Rhine).
///
/// Per person only for the CM coordination (`cm_coordinator`, who supervises every case):
/// `case_managers` lists the open cases on `to` per assigned case manager (`user_id`), not
/// suppressed. Every other caller gets no `case_managers` block.
///
/// **Who may call:** as `GET /reports/cases`.
#[utoipa::path(tag = "Reports", params(ReportQuery), responses(
    (status = 200, description = "The report", content(
        (CaseloadReport = "application/json", example = json!({"from": "2026-01-01", "to": "2026-12-31", "group_by": ["municipality"], "min_cell": 5,
            "rows": [{"municipality_id": 9, "municipality": "Hennef (Sieg)", "rhine_side": "right", "open_cases": 67, "cm_fte": 1.5, "cases_per_fte": 44.7}],
            "sides": [{"rhine_side": "right", "open_cases": 540, "cm_fte": 9.0, "cases_per_fte": 60.0}],
            "totals": {"open_cases": 812}, "suppressed_cells": 0,
            "case_managers": [{"user_id": 5, "open_cases": 61}]})),
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
    let ((counts, total), places, inputs, per_person) =
        run_as(&state, caller, move |conn, scope, who| {
            let per_person = if who.principal.may(Action::SuperviseCases) {
                Some(store::caseload_by_case_manager(conn, period.to)?)
            } else {
                None
            };
            Ok((
                store::caseload(conn, scope, period.to)?,
                store::places(conn)?,
                funding_inputs(conn)?,
                per_person,
            ))
        })
        .await?;
    let shares: Vec<Vec<(i64, Fte)>> = inputs
        .positions
        .iter()
        .map(|p| {
            p.data
                .shares
                .iter()
                .map(|s| (s.municipality_id, s.fte))
                .collect()
        })
        .collect();
    let positions: Vec<CaseManagementPosition<'_>> = inputs
        .funded
        .iter()
        .zip(&shares)
        .map(|(p, shares)| CaseManagementPosition {
            function: p.function,
            history: &p.history,
            shares,
        })
        .collect();
    let fte = case_management_fte_on(&positions, period.to);
    let report = Caseload::new(
        period,
        state.report_min_cell,
        places_by_id(places),
        (counts, total),
        &fte,
        per_person,
    );
    respond(
        request.format,
        "caseload",
        || report.json(),
        || report.sheet(),
        || Some(report.chart()),
    )
}

/// Open cases per hundredth of FTE, as cases per full FTE with one decimal.
fn per_fte(open: Option<u64>, fte: Fte) -> Option<f64> {
    match open {
        Some(open) if fte.hundredths() > 0 => {
            Some((open as f64 * 100.0 / fte.hundredths() as f64 * 10.0).round() / 10.0)
        }
        _ => None,
    }
}

/// One line of the report: a municipality or a side of the Rhine.
struct Line {
    open: Option<u64>,
    fte: Fte,
}

impl Line {
    fn fields(&self, m: &mut Map<String, Value>) {
        m.insert("open_cases".into(), count_json(self.open));
        m.insert("cm_fte".into(), Value::from(self.fte.as_decimal()));
        m.insert(
            "cases_per_fte".into(),
            per_fte(self.open, self.fte).map_or(Value::Null, Value::from),
        );
    }

    fn cells(&self) -> [Option<String>; 3] {
        [
            text(self.open),
            Some(format!("{:.2}", self.fte.as_decimal())),
            per_fte(self.open, self.fte).map(|r| r.to_string()),
        ]
    }
}

struct Caseload {
    period: Period,
    min_cell: u64,
    municipalities: Vec<(Place, Line)>,
    sides: Vec<(Option<String>, Line)>,
    total: Option<u64>,
    suppressed_cells: usize,
    case_managers: Option<Vec<(i64, u64)>>,
}

impl Caseload {
    fn new(
        period: Period,
        min_cell: u64,
        places: HashMap<i64, Place>,
        (counts, total): (Vec<Count>, u64),
        fte: &HashMap<i64, Fte>,
        case_managers: Option<Vec<(i64, u64)>>,
    ) -> Caseload {
        let open: HashMap<i64, u64> = counts
            .iter()
            .filter_map(|c| Some((c.keys[0].as_deref()?.parse::<i64>().ok()?, c.count)))
            .collect();
        // Every municipality, as a grid side × municipality, so the side sums count as known
        // totals of the disclosure control.
        let mut ordered: Vec<&Place> = places.values().collect();
        ordered.sort_by_key(|p| p.id);
        let by_place: Vec<Count> = ordered
            .into_iter()
            .map(|p| Count {
                keys: vec![Some(p.rhine_side.clone()), Some(p.id.to_string())],
                count: open.get(&p.id).copied().unwrap_or(0),
            })
            .collect();
        let mut side_sums: BTreeMap<Option<String>, u64> = BTreeMap::new();
        for c in &by_place {
            *side_sums.entry(c.keys[0].clone()).or_default() += c.count;
        }
        let municipal = table::measures(&[(by_place, total)], min_cell);
        let side_counts = side_sums
            .into_iter()
            .map(|(k, count)| Count {
                keys: vec![k],
                count,
            })
            .collect();
        let side_table = table::measures(&[(side_counts, total)], min_cell);
        let fte_of = |id: i64| fte.get(&id).copied().unwrap_or(Fte::ZERO);
        let municipalities = municipal
            .rows
            .iter()
            .filter_map(|row| {
                let id = row.keys[1].as_deref()?.parse::<i64>().ok()?;
                let place = places.get(&id)?.clone();
                Some((
                    place,
                    Line {
                        open: row.values[0],
                        fte: fte_of(id),
                    },
                ))
            })
            .collect();
        let sides = side_table
            .rows
            .iter()
            .map(|row| {
                let fte = places
                    .values()
                    .filter(|p| Some(&p.rhine_side) == row.keys[0].as_ref())
                    .map(|p| fte_of(p.id))
                    .sum();
                (
                    row.keys[0].clone(),
                    Line {
                        open: row.values[0],
                        fte,
                    },
                )
            })
            .collect();
        // The sides' total is the municipalities' total, counted once.
        let suppressed_cells = municipal.suppressed_cells
            + side_table
                .rows
                .iter()
                .filter(|r| r.values[0].is_none())
                .count();
        Caseload {
            period,
            min_cell,
            municipalities,
            sides,
            total: municipal.totals[0],
            suppressed_cells,
            case_managers,
        }
    }

    fn json(&self) -> Value {
        let rows: Vec<Value> = self
            .municipalities
            .iter()
            .map(|(place, line)| {
                let mut m = Map::new();
                m.insert("municipality_id".into(), Value::from(place.id));
                m.insert("municipality".into(), Value::from(place.name.clone()));
                m.insert("rhine_side".into(), Value::from(place.rhine_side.clone()));
                line.fields(&mut m);
                Value::Object(m)
            })
            .collect();
        let sides: Vec<Value> = self
            .sides
            .iter()
            .map(|(side, line)| {
                let mut m = Map::new();
                m.insert("rhine_side".into(), json!(side));
                line.fields(&mut m);
                Value::Object(m)
            })
            .collect();
        let mut answer = json!({
            "from": self.period.from, "to": self.period.to, "group_by": ["municipality"],
            "min_cell": self.min_cell, "rows": rows, "sides": sides,
            "totals": {"open_cases": count_json(self.total)},
            "suppressed_cells": self.suppressed_cells,
        });
        if let Some(people) = &self.case_managers {
            answer["case_managers"] = people
                .iter()
                .map(|(user, open)| json!({"user_id": user, "open_cases": open}))
                .collect();
        }
        answer
    }

    fn sheet(&self) -> Sheet {
        let columns = |names: &[&str]| names.iter().map(|n| (*n).to_owned()).collect();
        let mut sections = vec![
            Section {
                title: Some("municipalities".into()),
                columns: columns(&[
                    "municipality_id",
                    "municipality",
                    "rhine_side",
                    "open_cases",
                    "cm_fte",
                    "cases_per_fte",
                ]),
                rows: self
                    .municipalities
                    .iter()
                    .map(|(place, line)| {
                        let mut cells = vec![
                            Some(place.id.to_string()),
                            Some(place.name.clone()),
                            Some(place.rhine_side.clone()),
                        ];
                        cells.extend(line.cells());
                        cells
                    })
                    .collect(),
            },
            Section {
                title: Some("sides of the Rhine".into()),
                columns: columns(&["rhine_side", "open_cases", "cm_fte", "cases_per_fte"]),
                rows: self
                    .sides
                    .iter()
                    .map(|(side, line)| {
                        let mut cells = vec![side.clone()];
                        cells.extend(line.cells());
                        cells
                    })
                    .collect(),
            },
        ];
        if let Some(people) = &self.case_managers {
            sections.push(Section {
                title: Some("case managers".into()),
                columns: columns(&["user_id", "open_cases"]),
                rows: people
                    .iter()
                    .map(|(user, open)| vec![Some(user.to_string()), Some(open.to_string())])
                    .collect(),
            });
        }
        Sheet { sections }
    }

    fn chart(&self) -> Chart {
        Chart {
            title: format!(
                "Open cases on {} (counts under {} withheld)",
                self.period.to, self.min_cell
            ),
            y_label: "open cases".into(),
            categories: self
                .municipalities
                .iter()
                .map(|(place, _)| place.name.clone())
                .collect(),
            series: vec![(
                "open cases".into(),
                self.municipalities.iter().map(|(_, l)| l.open).collect(),
            )],
            line: false,
        }
    }
}
