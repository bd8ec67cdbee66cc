//! `GET /reports/activities`: public relations and reports to bodies per kind and quarter.

use actix_web::{get, web, HttpRequest, HttpResponse};
use kim_domain::activity::{quarter_of, ActivityKind};
use kim_domain::Action;
use kim_store::activities as store;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use super::answer::respond;
use super::query::yearly_table;
use crate::auth::Caller;
use crate::error::error_sets as sets;
use crate::render::{Section, Sheet};
use crate::server::AppState;
use crate::ApiError;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActivitiesQuery {
    /// The year, 1990 to 2100; default the current year.
    #[param(value_type = Option<i32>, minimum = 1990, maximum = 2100, example = 2021)]
    pub year: Option<String>,
    /// `json` (default) or `csv`; `Accept: text/csv` also selects CSV.
    #[param(value_type = Option<String>, pattern = "^(json|csv)$")]
    pub format: Option<String>,
}

/// One kind of activity: how many in each quarter and in the year.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActivityCounts {
    pub kind: ActivityKind,
    /// Quarters 1 to 4.
    pub quarters: [u64; 4],
    pub total: u64,
}

/// The answer of the activities report.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"year": 2021, "rows": [
    {"kind": "press_release", "quarters": [0, 1, 1, 0], "total": 2}
], "total": 2}))]
pub struct ActivitiesReport {
    pub year: i32,
    /// Every kind, in the vocabulary's order, zero when none was held.
    pub rows: Vec<ActivityCounts>,
    pub total: u64,
}

/// Per kind (every kind, in the vocabulary's order): counts of quarters 1 to 4 of `year`.
pub(super) fn per_kind(counts: &[(ActivityKind, u32, u64)]) -> Vec<(ActivityKind, [u64; 4])> {
    ActivityKind::ALL
        .iter()
        .map(|kind| {
            let mut quarters = [0u64; 4];
            for (k, month, n) in counts {
                if k == kind {
                    quarters[(quarter_of(*month) - 1) as usize] += n;
                }
            }
            (*kind, quarters)
        })
        .collect()
}

/// Public relations and reports to bodies per quarter
///
/// Activities held in `year` per kind (press releases, events, web articles, committee
/// reports, mayors' conferences, heads-of-office meetings) and quarter. The activities are the
/// KI's own work, not people: nothing is withheld. A bad `year` or `format` is 422.
///
/// **Who may call:** `analyst`, `ki_lead`, `coordinator`, `cm_coordinator`, `steering_member`
/// (not partner tokens).
#[utoipa::path(tag = "Reports", params(ActivitiesQuery), responses(
    (status = 200, description = "The report", content(
        (ActivitiesReport = "application/json"),
        (String = "text/csv", example = "kind,q1,q2,q3,q4,total\r\npress_release,0,1,1,0,2\r\n")
    )),
    sets::ListErrors,
), security(("bearer" = [])))]
#[get("/reports/activities")]
pub async fn activities_report(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<ActivitiesQuery>,
    http: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let (year, format) = yearly_table(
        query.year.as_deref(),
        query.format.as_deref(),
        &http,
        "this report has no chart; use json or csv",
    )?;
    let counts = state
        .db
        .read_with(caller, move |conn, who| {
            who.require(Action::ReadReports)?;
            who.require(Action::ReadSteering)?;
            Ok::<_, ApiError>(store::counts_in_year(conn, year)?)
        })
        .await?;
    let rows = per_kind(&counts);
    let total: u64 = rows.iter().flat_map(|(_, q)| q.iter()).sum();
    respond(
        format,
        "activities",
        || {
            json!({
                "year": year,
                "rows": rows.iter().map(|(kind, q)| json!({
                    "kind": kind, "quarters": q, "total": q.iter().sum::<u64>(),
                })).collect::<Vec<_>>(),
                "total": total,
            })
        },
        || Sheet {
            sections: vec![Section {
                title: None,
                columns: ["kind", "q1", "q2", "q3", "q4", "total"]
                    .map(String::from)
                    .to_vec(),
                rows: rows
                    .iter()
                    .map(|(kind, q)| {
                        let mut line = vec![Some(kind.as_str().to_owned())];
                        line.extend(q.iter().map(|n| Some(n.to_string())));
                        line.push(Some(q.iter().sum::<u64>().to_string()));
                        line
                    })
                    .collect(),
            }],
        },
        || None,
    )
}
