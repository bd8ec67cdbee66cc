//! A decision (Beschluss) of a body as the API shows it.

use chrono::{DateTime, Utc};
use kim_domain::body::DecisionOutcome;
use kim_store::bodies as store;
use serde::Serialize;
use utoipa::ToSchema;

/// Beschluss (decision) of a meeting: free, or a step of the gap process.
#[derive(Debug, Serialize, ToSchema)]
pub struct Decision {
    pub id: i64,
    pub meeting_id: i64,
    /// The gap decided on, if any.
    pub gap_id: Option<i64>,
    pub text: String,
    pub outcome: DecisionOutcome,
    /// The user who recorded it.
    pub created_by: Option<i64>,
    pub created_at: DateTime<Utc>,
}

impl From<store::Decision> for Decision {
    fn from(d: store::Decision) -> Self {
        Decision {
            id: d.id,
            meeting_id: d.meeting_id,
            gap_id: d.gap_id,
            text: d.text,
            outcome: d.outcome,
            created_by: d.created_by,
            created_at: d.created_at,
        }
    }
}
