//! A contact (Kontakt) of a case as the API shows it.

use chrono::{DateTime, NaiveDate, Utc};
use kim_domain::help_plan::ContactKind;
use kim_store::contacts as store;
use serde::Serialize;
use utoipa::ToSchema;

/// Kontakt (a documented contact with the clients of a case).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 4, "case_id": 12, "occurred_on": "2026-11-20", "kind": "home_visit", "duration_minutes": 60,
    "participants": ["client", "interpreter"], "note": "Discussed the language course",
    "created_by": 5, "version": 1, "created_at": "2026-11-20T15:00:00Z", "updated_at": "2026-11-20T15:00:00Z"
}))]
pub struct Contact {
    pub id: i64,
    pub case_id: i64,
    pub occurred_on: NaiveDate,
    pub kind: ContactKind,
    pub duration_minutes: i32,
    pub participants: Vec<String>,
    pub note: Option<String>,
    /// Who documented it (user id).
    pub created_by: Option<i64>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<store::Contact> for Contact {
    fn from(c: store::Contact) -> Self {
        Contact {
            id: c.id,
            case_id: c.case_id,
            occurred_on: c.data.occurred_on,
            kind: c.data.kind,
            duration_minutes: c.data.duration_minutes,
            participants: c.data.participants,
            note: c.data.note,
            created_by: c.created_by,
            version: c.version,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}
