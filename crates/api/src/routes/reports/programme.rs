//! `GET /reports/programme`: the yearly programme report.

use actix_web::{get, web, HttpRequest, HttpResponse};
use kim_domain::report::disclosure::{self, shown};
use kim_domain::report::query::{Period, ReferralDimension, ReportFormat};
use kim_domain::report::table;
use kim_store::clock;
use kim_store::reports as store;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use utoipa::IntoParams;

use super::answer::{count_json, respond, text, CasesReport};
use super::query::{accept, domain_error, run};
use super::referrals::by_recipient;
use super::render::{Section, Sheet};
use crate::auth::Caller;
use crate::error::error_sets as sets;
use crate::error::FieldError;
use crate::server::AppState;
use crate::ApiError;

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
    let by = by_recipient(&referrals.counts);
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
