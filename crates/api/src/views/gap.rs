//! A systematic gap (systematische Lücke) as the API shows it, with everything its steps recorded.

use chrono::{DateTime, NaiveDate, Utc};
use kim_domain::access::staff_name_visible;
use kim_domain::gap::{GapStage, GapStep, Publicity};
use kim_domain::reference::LegalDomain;
use kim_domain::{Principal, Role};
use kim_store::gaps as store;
use kim_store::{gap_steps, DbConn, StoreError};
use serde::Serialize;
use utoipa::ToSchema;

use kim_store::bodies::Decision;

pub use kim_store::gap_steps::{Feedback, Mandate};
pub use kim_store::gaps::GapEvent as HistoryEntry;
/// One piece of evidence (Meldung).
#[derive(Debug, Serialize, ToSchema)]
pub struct Report {
    pub id: i64,
    pub reported_by: Option<i64>,
    /// The reporter's name: only for `admin`, `ki_lead` and `coordinator` (who see staff
    /// names, as with a position's holder) and for the reporter; absent for everyone else.
    pub reporter_name: Option<String>,
    /// The position (Stelle) the reporter held when reporting; reporters count by position.
    pub position_id: Option<i64>,
    pub position_title: Option<String>,
    pub reported_on: NaiveDate,
    /// Written without personal data.
    pub text: String,
    /// How many cases the report points to.
    pub linked_case_count: usize,
    /// The linked cases: only for the reporter of this report; absent for everyone else.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub case_ids: Option<Vec<i64>>,
}

impl Report {
    /// The report as `viewer` may see it: the linked cases only for its reporter, the
    /// reporter's name only for those who may see staff names (and the reporter).
    fn new(r: store::Report, viewer: &Principal) -> Self {
        let me = match viewer {
            Principal::Person { user_id, .. } => Some(*user_id),
            Principal::Partner { .. } => None,
        };
        let own = me.is_some() && r.reported_by == me;
        Report {
            id: r.id,
            reported_by: r.reported_by,
            reporter_name: r
                .reporter_name
                .filter(|_| staff_name_visible(viewer, r.reported_by)),
            position_id: r.position_id,
            position_title: r.position_title,
            reported_on: r.reported_on,
            text: r.text,
            linked_case_count: r.case_ids.len(),
            case_ids: own.then_some(r.case_ids),
        }
    }
}

/// A step possible now, with the role that takes it.
#[derive(Debug, Serialize, ToSchema)]
pub struct NextStep {
    pub step: GapStep,
    pub role: Role,
}

pub(crate) fn next_steps(stage: GapStage) -> Vec<NextStep> {
    stage
        .steps()
        .into_iter()
        .map(|step| NextStep {
            step,
            role: step.role(),
        })
        .collect()
}

/// Lösungsansatz (solution approach).
#[derive(Debug, Serialize, ToSchema)]
pub struct Solution {
    pub id: i64,
    pub gap_id: i64,
    /// The project group that proposed it.
    pub body_id: Option<i64>,
    pub text: String,
    pub responsible_actors: String,
    /// Cost or effort estimate.
    pub estimate: String,
    /// Absent until decided; `false` when not accepted or sent back.
    pub accepted: Option<bool>,
    pub proposed_by: Option<i64>,
    pub created_at: DateTime<Utc>,
}

impl Solution {
    pub(crate) fn new(gap_id: i64, s: gap_steps::Solution) -> Self {
        Solution {
            id: s.id,
            gap_id,
            body_id: s.body_id,
            text: s.solution.text,
            responsible_actors: s.solution.responsible_actors,
            estimate: s.solution.estimate,
            accepted: s.accepted,
            proposed_by: s.proposed_by,
            created_at: s.created_at,
        }
    }
}

/// Systematische Lücke (systematic gap) with its evidence, mandates, solutions, feedback,
/// decisions and the history of every step.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 5, "title": "No daycare places for children without residence title",
    "description": "Families with a Duldung are turned away by daycare centres", "topic": "early_childhood",
    "legal_domains": ["sgb_viii", "aufenthg"], "organisation_ids": [3], "target_groups": ["Families with a Duldung"],
    "municipality_ids": [17], "stage": "reported", "stage_since": "2026-11-20T09:00:00Z",
    "merged_into_id": null, "reporting_positions": 1, "report_count": 1,
    "next_steps": [{"step": "escalate", "role": "cm_coordinator"}],
    "reports": [{"id": 9, "reported_by": 5, "reporter_name": "Demo Case Manager", "position_id": 12,
        "position_title": "CM Siegburg", "reported_on": "2026-11-20", "text": "Three families this month", "linked_case_count": 2}],
    "mandates": [], "solutions": [], "feedback": [], "acknowledged_by": [], "decisions": [],
    "publicity": null, "publicity_text": null, "outcome": null,
    "history": [{"step": "report", "from_stage": null, "to_stage": "reported", "actor_id": 5, "actor_role": "case_manager",
        "occurred_at": "2026-11-20T09:00:00Z", "comment": null, "payload": {"report_id": 9, "linked_cases": 2}}],
    "version": 1, "created_at": "2026-11-20T09:00:00Z", "updated_at": "2026-11-20T09:00:00Z"
}))]
pub struct Gap {
    pub id: i64,
    pub title: String,
    pub description: String,
    pub topic: String,
    /// The interface concerned: legal domains (Rechtskreise).
    pub legal_domains: Vec<LegalDomain>,
    /// The interface concerned: organisations.
    pub organisation_ids: Vec<i64>,
    pub target_groups: Vec<String>,
    pub municipality_ids: Vec<i64>,
    pub stage: GapStage,
    pub stage_since: DateTime<Utc>,
    /// Set when merged: the gap that holds the reports now (this one stays readable, final).
    pub merged_into_id: Option<i64>,
    pub reporting_positions: u32,
    pub report_count: usize,
    /// The steps possible now and who takes them.
    pub next_steps: Vec<NextStep>,
    pub reports: Vec<Report>,
    /// Oldest first; the last is the current one.
    pub mandates: Vec<Mandate>,
    pub solutions: Vec<Solution>,
    pub feedback: Vec<Feedback>,
    /// Case managers (user ids) who acknowledged the communicated solutions.
    pub acknowledged_by: Vec<i64>,
    /// The steering group's decisions on this gap (and free decisions naming it).
    pub decisions: Vec<Decision>,
    /// Öffentlichkeitsarbeit decided with the solutions.
    pub publicity: Option<Publicity>,
    pub publicity_text: Option<String>,
    /// The outcome recorded when closing.
    pub outcome: Option<String>,
    /// Every step, oldest first.
    pub history: Vec<HistoryEntry>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Everything about a gap, for `viewer` (who sees the case ids of their own reports, and
/// reporters' names only with the permission to see staff names): one store read.
pub(crate) fn load_gap(conn: &mut DbConn, id: i64, viewer: &Principal) -> Result<Gap, StoreError> {
    Ok(Gap::new(store::view(conn, id)?, viewer))
}

impl Gap {
    fn new(view: store::GapView, viewer: &Principal) -> Self {
        let g = view.gap;
        Gap {
            reporting_positions: g.reporting_positions(),
            report_count: g.reports.len(),
            next_steps: next_steps(g.stage),
            acknowledged_by: view.acknowledged_by,
            decisions: view.decisions,
            mandates: view.mandates,
            solutions: view
                .solutions
                .into_iter()
                .map(|s| Solution::new(g.id, s))
                .collect(),
            feedback: view.feedback,
            history: view.history,
            id: g.id,
            title: g.data.title,
            description: g.data.description,
            topic: g.data.topic,
            legal_domains: g.data.legal_domains,
            organisation_ids: g.data.organisation_ids,
            target_groups: g.data.target_groups,
            municipality_ids: g.data.municipality_ids,
            stage: g.stage,
            stage_since: g.stage_since,
            merged_into_id: g.merged_into_id,
            reports: g
                .reports
                .into_iter()
                .map(|r| Report::new(r, viewer))
                .collect(),
            publicity: g.publicity,
            publicity_text: g.publicity_text,
            outcome: g.outcome,
            version: g.version,
            created_at: g.created_at,
            updated_at: g.updated_at,
        }
    }
}
