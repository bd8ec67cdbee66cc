//! Controlling and evaluation reports (Controlling, Monitoring und Evaluation): aggregates only,
//! protected by statistical disclosure control (`kim_domain::report::disclosure`). The counting
//! happens in the database (`kim_store::reports`); the rules in the domain; here the query is
//! parsed, the caller's scope decided and the answer rendered as JSON, CSV or SVG.
//!
//! One module per report (`cases`, `people`, `referrals`, `goals`, `caseload`, `gaps`,
//! `programme`); the shared plumbing: `query` (parameters, the caller's scope, the database
//! call), `answer` (the response in the chosen format), `grouped` and `partitioned` (the two
//! table shapes most reports share), `render` (CSV and SVG).

mod answer;
mod caseload;
mod cases;
mod gaps;
mod goals;
mod grouped;
mod partitioned;
mod people;
mod programme;
mod query;
mod referrals;
pub mod render;

pub use self::answer::CasesReport;
pub use self::programme::ProgrammeQuery;
pub use self::query::ReportQuery;

use crate::routes::RouteTable;

pub fn configure(cfg: &mut impl RouteTable) {
    cfg.service(cases::cases_report)
        .service(people::people_report)
        .service(referrals::referrals_report)
        .service(goals::goals_report)
        .service(caseload::caseload_report)
        .service(gaps::gaps_report)
        .service(programme::programme_report);
}
