//! A case conference (Fallkonferenz) as the API shows it.

use chrono::{DateTime, NaiveDate, Utc};
use kim_store::conferences as store;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

/// Fallkonferenz (case conference).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 2, "case_id": 12, "held_on": "2026-11-18", "summary": null,
    "outcome": "Jobcenter funds the B1 course; youth office checks daycare",
    "organisation_ids": [3, 8], "user_ids": [5],
    "tasks": [{"id": 1, "description": "Apply for the course", "owner_user_id": 5, "due_on": "2026-12-01", "done_on": null}],
    "anonymised": false, "version": 1, "created_at": "2026-11-18T12:00:00Z", "updated_at": "2026-11-18T12:00:00Z"
}))]
pub struct Conference {
    pub id: i64,
    /// Absent for an anonymised conference.
    pub case_id: Option<i64>,
    pub held_on: NaiveDate,
    /// Required for an anonymised conference: what was discussed, without personal data.
    pub summary: Option<String>,
    pub outcome: Option<String>,
    /// Participating organisations.
    pub organisation_ids: Vec<i64>,
    /// Participating users.
    pub user_ids: Vec<i64>,
    pub tasks: Vec<FollowUpTask>,
    /// No case linked.
    pub anonymised: bool,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<store::Conference> for Conference {
    fn from(c: store::Conference) -> Self {
        Conference {
            id: c.id,
            anonymised: c.case_id.is_none(),
            case_id: c.case_id,
            held_on: c.held_on,
            summary: c.summary,
            outcome: c.outcome,
            organisation_ids: c.organisation_ids,
            user_ids: c.user_ids,
            tasks: c
                .tasks
                .into_iter()
                .map(|t| FollowUpTask {
                    id: Some(t.id),
                    description: t.task.description,
                    owner_user_id: t.task.owner_user_id,
                    due_on: t.task.due_on,
                    done_on: t.task.done_on,
                })
                .collect(),
            version: c.version,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

/// A follow-up task agreed in the conference.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FollowUpTask {
    /// Set by the server. Leave out when recording; when replacing, give it to keep (and
    /// change) an existing task — tasks left out are removed, tasks without id are added.
    #[serde(default)]
    pub id: Option<i64>,
    /// 1 to 500 characters.
    #[validate(length(max = 500), custom(function = "crate::routes::not_blank"))]
    #[schema(min_length = 1, max_length = 500)]
    pub description: String,
    /// Who does it (user id).
    pub owner_user_id: i64,
    pub due_on: NaiveDate,
    /// When it was done; absent while open. Not in the future. Open tasks due within 14 days
    /// show in the owner's `/me/tasks`.
    #[serde(default)]
    pub done_on: Option<NaiveDate>,
}
