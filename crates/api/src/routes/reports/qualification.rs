//! `GET /reports/qualification`: completion of mandatory courses per course and function.

use actix_web::{get, web, HttpRequest, HttpResponse};
use kim_domain::qualification::{protect_completion, Completion, ShownCompletion};
use kim_domain::report::query::ReportFormat;
use kim_domain::staffing::PositionFunction;
use kim_domain::Action;
use kim_store::qualification::{self as store, CompletionLine};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use super::answer::{count_json, respond, text};
use super::query::{accept, domain_error};
use crate::auth::Caller;
use crate::error::error_sets as sets;
use crate::render::{Section, Sheet};
use crate::server::AppState;
use crate::ApiError;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QualificationQuery {
    /// `json` (default) or `csv`; `Accept: text/csv` also selects CSV.
    #[param(value_type = Option<String>, pattern = "^(json|csv)$")]
    pub format: Option<String>,
}

/// One course and one function it is mandatory for.
#[derive(Debug, Serialize, ToSchema)]
pub struct CompletionRow {
    pub course_id: i64,
    pub title: String,
    pub function: PositionFunction,
    /// Staffed positions of the function (onboarding, qualification, active); `null` when withheld.
    pub positions: Option<u64>,
    /// Of these, how many completed the course; `null` when withheld.
    pub completed: Option<u64>,
    /// Of these, how many still owe it; `null` when withheld.
    pub due: Option<u64>,
}

/// The answer of the qualification report.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"min_cell": 5, "rows": [
    {"course_id": 3, "title": "Grundlagen Case Management", "function": "case_management", "positions": 9, "completed": 6, "due": null}
], "suppressed_cells": 1}))]
pub struct QualificationReport {
    pub min_cell: u64,
    pub rows: Vec<CompletionRow>,
    pub suppressed_cells: usize,
}

/// The report's rows, protected: the counts are of people (the positions' holders).
pub(super) fn protected(lines: &[CompletionLine], min_cell: u64) -> Vec<ShownCompletion> {
    let counts: Vec<Completion> = lines
        .iter()
        .map(|l| Completion {
            positions: l.positions,
            completed: l.completed,
        })
        .collect();
    protect_completion(&counts, min_cell)
}

/// Qualification: completion of mandatory courses
///
/// For every course and every function it is mandatory for: how many staffed positions of that
/// function there are (onboarding, qualification or active), how many of them completed the
/// course (a participation recorded for the position or for its holder) and how many still owe
/// it. No names, for anyone. The counts are of people and protected like every report: a count
/// from 1 to `min_cell - 1` is `null` (CSV: empty), and where a withheld value could be
/// recomputed from its row (`positions = completed + due`) or column, the next smallest is
/// withheld too. An unknown `format` is 422.
///
/// **Who may call:** `analyst`, `ki_lead`, `coordinator`, `cm_coordinator`, `steering_member`
/// (not partner tokens: the report is about the county's staff).
#[utoipa::path(tag = "Reports", params(QualificationQuery), responses(
    (status = 200, description = "The report", content(
        (QualificationReport = "application/json"),
        (String = "text/csv", example = "course_id,title,function,positions,completed,due\r\n3,Grundlagen Case Management,case_management,9,6,\r\n")
    )),
    sets::ListErrors,
), security(("bearer" = [])))]
#[get("/reports/qualification")]
pub async fn qualification_report(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<QualificationQuery>,
    http: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let format = ReportFormat::choose(query.format.as_deref(), accept(&http).as_deref())
        .map_err(|e| ApiError::Validation(vec![domain_error(e)]))?;
    if format == ReportFormat::Svg {
        return Err(ApiError::field(
            "format",
            "this report has no chart; use json or csv",
        ));
    }
    let lines = state
        .db
        .read_with(caller, |conn, who| {
            who.require(Action::ReadReports)?;
            who.require(Action::ReadSteering)?;
            Ok::<_, ApiError>(store::completion(conn)?)
        })
        .await?;
    let min_cell = state.report_min_cell;
    let shown = protected(&lines, min_cell);
    let suppressed = shown
        .iter()
        .flat_map(|s| [s.positions, s.completed, s.due])
        .filter(Option::is_none)
        .count();
    respond(
        format,
        "qualification",
        || {
            json!({
                "min_cell": min_cell,
                "rows": lines.iter().zip(&shown).map(|(l, s)| json!({
                    "course_id": l.course_id, "title": l.title, "function": l.function,
                    "positions": count_json(s.positions), "completed": count_json(s.completed),
                    "due": count_json(s.due),
                })).collect::<Vec<_>>(),
                "suppressed_cells": suppressed,
            })
        },
        || Sheet {
            sections: vec![Section {
                title: None,
                columns: [
                    "course_id",
                    "title",
                    "function",
                    "positions",
                    "completed",
                    "due",
                ]
                .map(String::from)
                .to_vec(),
                rows: lines
                    .iter()
                    .zip(&shown)
                    .map(|(l, s)| {
                        vec![
                            Some(l.course_id.to_string()),
                            Some(l.title.clone()),
                            Some(l.function.as_str().to_owned()),
                            text(s.positions),
                            text(s.completed),
                            text(s.due),
                        ]
                    })
                    .collect(),
            }],
        },
        || None,
    )
}
