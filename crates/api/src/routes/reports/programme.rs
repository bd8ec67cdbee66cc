//! `GET /reports/programme`: the yearly programme report.

use actix_web::{get, web, HttpRequest, HttpResponse};
use chrono::{Datelike, NaiveDate};
use kim_domain::activity::ActivityKind;
use kim_domain::clearing::{LanguageLevel, RecognitionStatus};
use kim_domain::funding::{self, StaffingLine};
use kim_domain::office_outcome::OutcomeCounts;
use kim_domain::qualification::{protect_completion, Completion, ShownCompletion};
use kim_domain::report::disclosure::{self, shown};
use kim_domain::report::query::{Period, ReferralDimension};
use kim_domain::report::table::{self, Table};
use kim_store::clock;
use kim_store::reports as store;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use utoipa::IntoParams;

use super::activities::per_kind;
use super::answer::{count_json, respond, text, ProgrammeReport};
use super::query::{run, yearly_table};
use super::referrals::by_recipient;
use crate::auth::Caller;
use crate::error::error_sets as sets;
use crate::render::{Section, Sheet};
use crate::server::AppState;
use crate::views::funding::{funding_inputs, FundingFigures, ModuleFunding};
use crate::ApiError;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProgrammeQuery {
    /// The reporting year, 1990 to 2100; default the current year.
    #[param(value_type = Option<i32>, minimum = 1990, maximum = 2100, example = 2026)]
    pub year: Option<String>,
    /// `json` (default) or `csv`; `Accept: text/csv` also selects CSV.
    #[param(value_type = Option<String>, pattern = "^(json|csv)$")]
    pub format: Option<String>,
}

/// The yearly programme report (Jahresbericht KIM)
///
/// The report the KI hands to the steering group and the Land for `year`, **the export the
/// Land's evaluation can take** (CSV: one section per block, each starting with a `# title`
/// line). Blocks: `staffing` (positions and FTE per module and the phase they were in on
/// `reference_date`: the year's last day, or today during the year), `funding` (per module and
/// in total, as `GET /funding`: FTE planned, filled and vacant on `reference_date`; funding
/// planned, due for the months staffed, and the difference, in euro cents), `cases` (new, open
/// at year end, closed: the totals of `GET /reports/cases`), `people` (people reached),
/// `referrals` (by organisation kind, as `GET /reports/referrals`), `goals` (set, achieved),
/// `gaps` (solved and communicated in the year), `meetings` (held per kind of body) and
/// `survey_campaigns` (needs-survey campaigns opened in the year), `qualification` (completion
/// of mandatory courses today, as `GET /reports/qualification` summed over courses and
/// functions: `places` (staffed positions times the courses mandatory for their function),
/// `completed`, `due`), `activities` (public relations and reports to bodies held in the year,
/// per kind), `module_3` (the offices' outcome counts summed over the year's quarters) and
/// `clearing` (clearing records first made in the year: `records`, their vocational
/// qualifications per `recognition` status, and the clients' level of German per CEFR level,
/// `german_levels`). Counts of cases, people, referrals, goals, qualification and clearing are
/// protected as in the other reports. A bad `year` or `format` is 422.
///
/// **Who may call:** as `GET /reports/cases`; for a `case_manager` the casework blocks count
/// their own cases.
#[utoipa::path(tag = "Reports", params(ProgrammeQuery), responses(
    (status = 200, description = "The report", content(
        (ProgrammeReport = "application/json", example = json!({"year": 2026, "reference_date": "2026-11-30", "min_cell": 5,
            "staffing": [{"module": "module_2", "phase": "active", "positions": 12, "fte": 10.5}],
            "funding": {"modules": [{"module": "module_2", "planned_fte": 11.0, "filled_fte": 10.0, "vacant_fte": 1.0,
                "planned_cents": 62700000, "due_cents": 58900000, "difference_cents": -3800000,
                "items": [{"item": "staff", "planned_cents": 62700000, "due_cents": 58900000}]}],
                "total": {"planned_fte": 11.0, "filled_fte": 10.0, "vacant_fte": 1.0, "planned_cents": 62700000,
                "due_cents": 58900000, "difference_cents": -3800000, "items": []}},
            "cases": {"new": 420, "open": 610, "closed": 380}, "people": {"people": 930},
            "referrals": [{"organisation_kind": "jobcenter", "sent": 120, "accepted": 80, "declined": 12, "completed": 20, "withdrawn": null, "open": null}],
            "goals": {"set": 800, "achieved": 310}, "gaps": {"solved": 2, "communicated": 3},
            "meetings": [{"body_kind": "steering_group", "meetings": 4}], "survey_campaigns": 1,
            "qualification": {"places": 45, "completed": 13, "due": 32},
            "activities": [{"kind": "press_release", "activities": 1}],
            "module_3": {"information_events": 8, "event_attendance": 218, "counselling_sessions": 410,
                "naturalisations_initiated": 124, "naturalisations_completed": 93, "residence_secured": 22,
                "opportunity_residence_procedures": 0},
            "clearing": {"records": 140, "recognition": {"not_started": 31, "started": 18, "partially_recognised": null,
                "recognised": 9, "refused": 0}, "german_levels": {"a1": 40, "a2": 35, "b1": 28, "b2": 11, "c1": null, "c2": 0, "native": 0}},
            "suppressed_cells": 3})),
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
    let (year, format) = yearly_table(
        query.year.as_deref(),
        query.format.as_deref(),
        &http,
        "the programme report has no chart; use json or csv",
    )?;
    // Every year of `YEARS` has a calendar, so this is never met.
    let period = Period::year(year)
        .ok_or_else(|| ApiError::Internal(format!("year {year} has no calendar")))?;
    let in_year = period.from.year();
    let (
        (cases, people, referrals, goals, gaps, programme, funding),
        (completion, activities, module_3, clearing),
    ) = run(&state, caller, move |conn, scope| {
        // One aggregate query per block: the three programme blocks of issue 17 read the
        // completion lines (courses × functions), counts per kind and month, and seven sums.
        Ok((
            (
                store::cases(conn, scope, period, &[])?,
                store::people(conn, scope, period, &[])?,
                store::referral_counts(conn, scope, period, ReferralDimension::OrganisationKind)?,
                store::goals(conn, scope, period)?,
                store::gaps(conn, period)?,
                store::programme(conn, period)?,
                funding_inputs(conn)?,
            ),
            (
                kim_store::qualification::completion(conn)?,
                kim_store::activities::counts_in_year(conn, in_year)?,
                kim_store::office_outcomes::sums_in_year(conn, in_year)?,
                store::clearing(conn, scope, period)?,
            ),
        ))
    })
    .await?;
    let min_cell = state.report_min_cell;
    let year = period.from.year();
    let today = clock::now().date();
    let reference_date = funding::reference_date(year, today);
    let headline = table::measures(&[cases.new, cases.open, cases.closed], min_cell);
    let reached = table::measures(&[people], min_cell);
    let referral_rows: Vec<(Vec<Option<String>>, Vec<u64>)> = by_recipient(&referrals)
        .into_iter()
        .map(|(k, v)| (vec![Some(k)], v))
        .collect();
    let goals_set: u64 = goals.iter().map(|g| g.2).sum();
    let goals_achieved: u64 = goals
        .iter()
        .filter(|g| g.1 == "achieved")
        .map(|g| g.2)
        .sum();
    let entered = |stage: &str| {
        gaps.entered
            .iter()
            .find(|(s, _)| s == stage)
            .map_or(0, |(_, n)| *n)
    };
    let report = Programme {
        year,
        reference_date,
        min_cell,
        staffing: funding::staffing_on(&funding.funded, reference_date),
        funding: funding::overview(&funding.rates, year, today, &funding.funded),
        cases: [headline.totals[0], headline.totals[1], headline.totals[2]],
        people: reached.totals[0],
        referrals: table::partition(&referral_rows, min_cell),
        goals: [goals_set, goals_achieved].map(|n| shown(n, disclosure::is_small(n, min_cell))),
        gaps_solved: entered("closed"),
        gaps_communicated: entered("communicated"),
        meetings: programme.meetings,
        survey_campaigns: programme.campaigns,
        qualification: {
            let total = completion.iter().fold(
                Completion {
                    positions: 0,
                    completed: 0,
                },
                |t, l| Completion {
                    positions: t.positions + l.positions,
                    completed: t.completed + l.completed,
                },
            );
            // The sum is one line of the completion table, protected the same way.
            protect_completion(&[total], min_cell)[0]
        },
        activities: per_kind(&activities)
            .into_iter()
            .map(|(kind, q)| (kind, q.iter().sum()))
            .collect(),
        module_3,
        clearing: ClearingBlock::protected(&clearing, min_cell),
    };
    respond(
        format,
        "programme",
        || report.json(),
        || report.sheet(),
        || None,
    )
}

/// The referral outcomes as the programme report names its columns.
const OUTCOMES: [&str; 5] = ["accepted", "declined", "completed", "withdrawn", "open"];

/// The programme report's blocks, protected where they count cases, people, referrals or goals.
struct Programme {
    year: i32,
    reference_date: NaiveDate,
    min_cell: u64,
    staffing: Vec<StaffingLine>,
    funding: funding::Overview,
    /// new, open, closed
    cases: [Option<u64>; 3],
    people: Option<u64>,
    /// By organisation kind: values `[sent, accepted, declined, completed, withdrawn, open]`.
    referrals: Table,
    /// set, achieved
    goals: [Option<u64>; 2],
    gaps_solved: u64,
    gaps_communicated: u64,
    meetings: Vec<(String, u64)>,
    survey_campaigns: u64,
    /// Mandatory course places of staffed positions, completed and due (protected).
    qualification: ShownCompletion,
    /// Activities held in the year per kind, every kind.
    activities: Vec<(ActivityKind, u64)>,
    /// The offices' counts summed over the year.
    module_3: OutcomeCounts,
    /// Clearing records made in the year (protected).
    clearing: ClearingBlock,
}

/// The clearing block: records made in the year, their qualifications per recognition status,
/// and their clients' level of German; every value protected alone (no totals are shown that
/// would let a withheld value be recomputed).
struct ClearingBlock {
    records: Option<u64>,
    recognition: Vec<(RecognitionStatus, Option<u64>)>,
    german_levels: Vec<(LanguageLevel, Option<u64>)>,
}

impl ClearingBlock {
    fn protected(counts: &store::ClearingCounts, min_cell: u64) -> ClearingBlock {
        let protect = |n: u64| shown(n, disclosure::is_small(n, min_cell));
        let count_of = |pairs: &[(String, u64)], key: &str| {
            pairs.iter().find(|(k, _)| k == key).map_or(0, |(_, n)| *n)
        };
        ClearingBlock {
            records: protect(counts.records),
            recognition: RecognitionStatus::ALL
                .iter()
                .map(|s| (*s, protect(count_of(&counts.recognition, s.as_str()))))
                .collect(),
            german_levels: LanguageLevel::ALL
                .iter()
                .map(|l| (*l, protect(count_of(&counts.german_levels, l.as_str()))))
                .collect(),
        }
    }

    fn values(&self) -> impl Iterator<Item = &Option<u64>> {
        std::iter::once(&self.records)
            .chain(self.recognition.iter().map(|(_, n)| n))
            .chain(self.german_levels.iter().map(|(_, n)| n))
    }
}

impl Programme {
    /// The withheld values the report shows (the referrals' totals are not part of it).
    fn suppressed_cells(&self) -> usize {
        let referrals = self.referrals.rows.iter().flat_map(|r| r.values.iter());
        self.cases
            .iter()
            .chain(std::iter::once(&self.people))
            .chain(referrals)
            .chain(self.goals.iter())
            .chain([
                &self.qualification.positions,
                &self.qualification.completed,
                &self.qualification.due,
            ])
            .chain(self.clearing.values())
            .filter(|v| v.is_none())
            .count()
    }

    fn json(&self) -> Value {
        let [new, open, closed] = self.cases.map(count_json);
        let [set, achieved] = self.goals.map(count_json);
        json!({
            "year": self.year,
            "reference_date": self.reference_date,
            "min_cell": self.min_cell,
            "staffing": self.staffing.iter().map(|l| json!({"module": l.module, "phase": l.phase,
                "positions": l.positions, "fte": l.fte.as_decimal()})).collect::<Vec<_>>(),
            "funding": {
                "modules": self.funding.modules.iter().map(|(module, summary)| ModuleFunding {
                    module: *module,
                    figures: summary.into(),
                }).collect::<Vec<_>>(),
                "total": FundingFigures::from(&self.funding.total),
            },
            "cases": {"new": new, "open": open, "closed": closed},
            "people": {"people": count_json(self.people)},
            "referrals": self.referrals.rows.iter().map(|r| {
                let mut m = Map::new();
                m.insert("organisation_kind".into(), Value::from(r.keys[0].clone().unwrap_or_default()));
                m.insert("sent".into(), count_json(r.values[0]));
                for (n, v) in OUTCOMES.iter().zip(&r.values[1..]) {
                    m.insert((*n).into(), count_json(*v));
                }
                Value::Object(m)
            }).collect::<Vec<_>>(),
            "goals": {"set": set, "achieved": achieved},
            "gaps": {"solved": self.gaps_solved, "communicated": self.gaps_communicated},
            "meetings": self.meetings.iter().map(|(k, n)| json!({"body_kind": k, "meetings": n})).collect::<Vec<_>>(),
            "survey_campaigns": self.survey_campaigns,
            "qualification": {"places": count_json(self.qualification.positions),
                "completed": count_json(self.qualification.completed), "due": count_json(self.qualification.due)},
            "activities": self.activities.iter().map(|(k, n)| json!({"kind": k, "activities": n})).collect::<Vec<_>>(),
            "module_3": self.module_3.named().iter().map(|(k, n)| ((*k).to_owned(), Value::from(*n))).collect::<Map<_, _>>(),
            "clearing": {
                "records": count_json(self.clearing.records),
                "recognition": self.clearing.recognition.iter().map(|(k, n)| (k.as_str().to_owned(), count_json(*n))).collect::<Map<_, _>>(),
                "german_levels": self.clearing.german_levels.iter().map(|(k, n)| (k.as_str().to_owned(), count_json(*n))).collect::<Map<_, _>>(),
            },
            "suppressed_cells": self.suppressed_cells(),
        })
    }

    fn sheet(&self) -> Sheet {
        let section = |title: &str, columns: &[&str], rows: Vec<Vec<Option<String>>>| Section {
            title: Some(title.into()),
            columns: columns.iter().map(|c| (*c).to_owned()).collect(),
            rows,
        };
        // Without the difference (due minus planned): a negative number would start with `-`
        // and so be written as text (`'-…`) by the formula guard of the CSV writer.
        let figures = |name: String, s: &funding::Summary| {
            vec![
                Some(name),
                Some(format!("{:.2}", s.planned_fte.as_decimal())),
                Some(format!("{:.2}", s.filled_fte.as_decimal())),
                Some(format!("{:.2}", s.vacant_fte.as_decimal())),
                Some(s.planned_cents.to_string()),
                Some(s.due_cents.to_string()),
            ]
        };
        let mut funding_rows: Vec<Vec<Option<String>>> = self
            .funding
            .modules
            .iter()
            .map(|(module, summary)| figures(module.as_str().to_owned(), summary))
            .collect();
        funding_rows.push(figures("total".into(), &self.funding.total));
        let mut referral_columns = vec!["organisation_kind", "sent"];
        referral_columns.extend(OUTCOMES);
        Sheet {
            sections: vec![
                section(
                    "staffing",
                    &["module", "phase", "positions", "fte"],
                    self.staffing
                        .iter()
                        .map(|l| {
                            vec![
                                Some(l.module.as_str().to_owned()),
                                Some(l.phase.as_str().to_owned()),
                                Some(l.positions.to_string()),
                                Some(format!("{:.2}", l.fte.as_decimal())),
                            ]
                        })
                        .collect(),
                ),
                section(
                    "funding",
                    &[
                        "module",
                        "planned_fte",
                        "filled_fte",
                        "vacant_fte",
                        "planned_cents",
                        "due_cents",
                    ],
                    funding_rows,
                ),
                section(
                    "cases",
                    &["new", "open", "closed"],
                    vec![self.cases.iter().map(|v| text(*v)).collect()],
                ),
                section("people", &["people"], vec![vec![text(self.people)]]),
                section(
                    "referrals",
                    &referral_columns,
                    self.referrals
                        .rows
                        .iter()
                        .map(|r| {
                            let mut c = vec![r.keys[0].clone()];
                            c.extend(r.values.iter().map(|v| text(*v)));
                            c
                        })
                        .collect(),
                ),
                section(
                    "goals",
                    &["set", "achieved"],
                    vec![self.goals.iter().map(|v| text(*v)).collect()],
                ),
                section(
                    "gaps",
                    &["solved", "communicated"],
                    vec![vec![
                        Some(self.gaps_solved.to_string()),
                        Some(self.gaps_communicated.to_string()),
                    ]],
                ),
                section(
                    "meetings",
                    &["body_kind", "meetings"],
                    self.meetings
                        .iter()
                        .map(|(k, n)| vec![Some(k.clone()), Some(n.to_string())])
                        .collect(),
                ),
                section(
                    "survey_campaigns",
                    &["campaigns"],
                    vec![vec![Some(self.survey_campaigns.to_string())]],
                ),
                section(
                    "qualification",
                    &["places", "completed", "due"],
                    vec![vec![
                        text(self.qualification.positions),
                        text(self.qualification.completed),
                        text(self.qualification.due),
                    ]],
                ),
                section(
                    "activities",
                    &["kind", "activities"],
                    self.activities
                        .iter()
                        .map(|(k, n)| vec![Some(k.as_str().to_owned()), Some(n.to_string())])
                        .collect(),
                ),
                section(
                    "module_3",
                    &self.module_3.named().map(|(k, _)| k),
                    vec![self
                        .module_3
                        .named()
                        .iter()
                        .map(|(_, n)| Some(n.to_string()))
                        .collect()],
                ),
                section(
                    "clearing",
                    &["records"],
                    vec![vec![text(self.clearing.records)]],
                ),
                section(
                    "clearing_recognition",
                    &["recognition", "qualifications"],
                    self.clearing
                        .recognition
                        .iter()
                        .map(|(k, n)| vec![Some(k.as_str().to_owned()), text(*n)])
                        .collect(),
                ),
                section(
                    "clearing_german_levels",
                    &["level", "clients"],
                    self.clearing
                        .german_levels
                        .iter()
                        .map(|(k, n)| vec![Some(k.as_str().to_owned()), text(*n)])
                        .collect(),
                ),
            ],
        }
    }
}
