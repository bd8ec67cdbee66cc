//! Controlling and evaluation reports (Controlling, Monitoring und Evaluation): aggregates only,
//! protected by statistical disclosure control (`kim_domain::report::disclosure`). The counting
//! happens in the database (`kim_store::reports`); the rules in the domain; here the query is
//! parsed, the caller's scope decided and the answer rendered as JSON, CSV or SVG.
//!
//! One module per report (`cases`, `people`, `referrals`, `goals`, `caseload`, `gaps`,
//! `programme`); the shared plumbing: `query` (parameters, the caller's scope, the database
//! call), `answer` (the response in the chosen format), `grouped` and `partitioned` (the two
//! table shapes most reports share); CSV and SVG come from `crate::render`.

mod activities;
mod answer;
mod caseload;
mod cases;
mod gaps;
mod goals;
mod grouped;
mod partitioned;
mod people;
mod programme;
mod qualification;
mod query;
mod referrals;

pub use self::answer::CasesReport;
pub use self::programme::ProgrammeQuery;
pub use self::query::ReportQuery;

use crate::routes::RouteTable;

/// The dimensions each report offers in `group_by`, for the document: an array of distinct
/// names, at most [`kim_domain::report::query::MAX_DIMENSIONS`], comma-separated in the query.
pub fn document_dimensions(document: &mut serde_json::Value) {
    use kim_domain::report::query::{
        CaseDimension, CaseloadDimension, GoalDimension, PeopleDimension, ReferralDimension,
        MAX_DIMENSIONS,
    };
    fn names<D: Copy>(all: &[D], name: fn(D) -> &'static str) -> Vec<&'static str> {
        all.iter().map(|d| name(*d)).collect()
    }
    // (report, its dimensions, how many may be combined)
    let reports = [
        (
            "cases",
            names(CaseDimension::ALL, CaseDimension::as_str),
            MAX_DIMENSIONS,
        ),
        (
            "people",
            names(PeopleDimension::ALL, PeopleDimension::as_str),
            MAX_DIMENSIONS,
        ),
        (
            "referrals",
            names(ReferralDimension::ALL, ReferralDimension::as_str),
            1,
        ),
        (
            "goals",
            names(GoalDimension::ALL, GoalDimension::as_str),
            MAX_DIMENSIONS,
        ),
        (
            "caseload",
            names(CaseloadDimension::ALL, CaseloadDimension::as_str),
            MAX_DIMENSIONS,
        ),
    ];
    // The gaps report takes no dimension (422 when one is sent): the parameter is not offered.
    if let Some(parameters) =
        document["paths"]["/api/v1/reports/gaps"]["get"]["parameters"].as_array_mut()
    {
        parameters.retain(|p| p["name"] != "group_by");
    }
    for (report, dimensions, most) in reports {
        let path = format!("/api/v1/reports/{report}");
        let Some(parameters) = document["paths"][&path]["get"]["parameters"].as_array_mut() else {
            continue;
        };
        for parameter in parameters.iter_mut().filter(|p| p["name"] == "group_by") {
            parameter["example"] = serde_json::json!(dimensions[..most.min(dimensions.len())]);
            parameter["schema"] = serde_json::json!({
                "type": "array",
                "items": {"type": "string", "enum": dimensions},
                "minItems": 1,
                "maxItems": most,
                "uniqueItems": true,
            });
        }
    }
}

pub fn configure(cfg: &mut impl RouteTable) {
    cfg.service(cases::cases_report)
        .service(people::people_report)
        .service(referrals::referrals_report)
        .service(goals::goals_report)
        .service(caseload::caseload_report)
        .service(gaps::gaps_report)
        .service(programme::programme_report)
        .service(qualification::qualification_report)
        .service(activities::activities_report);
}
