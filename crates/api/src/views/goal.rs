//! A goal (Ziel) of a help plan as the API shows it.

use chrono::{DateTime, NaiveDate, Utc};
use kim_domain::case::Topic;
use kim_domain::help_plan::GoalStatus;
use kim_store::goals as store;
use serde::Serialize;
use utoipa::ToSchema;

/// Ziel im Hilfeplan (goal of a case's help plan).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 3, "case_id": 12, "text": "B1 language certificate", "topic": "language",
    "target_on": "2027-06-30", "status": "open",
    "notes": [{"id": 1, "noted_on": "2026-11-20", "author_id": 5, "text": "Enrolled in course", "created_at": "2026-11-20T09:00:00Z"}],
    "version": 2, "created_at": "2026-11-01T09:00:00Z", "updated_at": "2026-11-20T09:00:00Z"
}))]
pub struct Goal {
    pub id: i64,
    pub case_id: i64,
    pub text: String,
    pub topic: Topic,
    pub target_on: Option<NaiveDate>,
    pub status: GoalStatus,
    /// Progress notes, oldest first.
    pub notes: Vec<GoalNote>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<store::Goal> for Goal {
    fn from(g: store::Goal) -> Self {
        Goal {
            id: g.id,
            case_id: g.case_id,
            text: g.data.text,
            topic: g.data.topic,
            target_on: g.data.target_on,
            status: g.data.status,
            notes: g
                .notes
                .into_iter()
                .map(|n| GoalNote {
                    id: n.id,
                    noted_on: n.noted_on,
                    author_id: n.author_id,
                    text: n.text,
                    created_at: n.created_at,
                })
                .collect(),
            version: g.version,
            created_at: g.created_at,
            updated_at: g.updated_at,
        }
    }
}

/// A progress note of a goal.
#[derive(Debug, Serialize, ToSchema)]
pub struct GoalNote {
    pub id: i64,
    /// The day the progress was noted.
    pub noted_on: NaiveDate,
    /// Who wrote it (user id).
    pub author_id: Option<i64>,
    pub text: String,
    pub created_at: DateTime<Utc>,
}
