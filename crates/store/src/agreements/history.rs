//! The dated history of an agreement: every creation, update and status change.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use kim_domain::agreement::{AgreementEventKind, AgreementStatus};
use kim_domain::paging::PageRequest;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::StoreResult;
use crate::StoreError;
use crate::{clock, DbConn, Listed};

use super::schema::{agreement_events, agreements};

/// Eintrag in der Historie (history entry) of a cooperation agreement: its creation, an update
/// of its fields or a status change, with who made it and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 3, "kind": "status_changed", "from_status": "negotiating", "to_status": "signed",
    "changed_fields": ["signed_on"], "comment": "Unterzeichnet", "actor_id": 2,
    "occurred_at": "2026-11-25T10:00:00Z"
}))]
pub struct AgreementEvent {
    pub id: i64,
    pub kind: AgreementEventKind,
    /// The status before a status change; absent otherwise.
    pub from_status: Option<AgreementStatus>,
    /// The status after a status change, or `draft` on creation; absent for updates.
    pub to_status: Option<AgreementStatus>,
    /// The fields the change set, e.g. `signed_on` on signing; empty on creation.
    pub changed_fields: Vec<String>,
    pub comment: Option<String>,
    /// The user who made the change; absent for the command line (demo data).
    pub actor_id: Option<i64>,
    pub occurred_at: DateTime<Utc>,
    #[serde(skip)]
    pub agreement_id: i64,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = agreement_events, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
struct EventRow {
    id: i64,
    agreement_id: i64,
    kind: String,
    from_status: Option<String>,
    to_status: Option<String>,
    changed_fields: String,
    comment: Option<String>,
    actor_id: Option<i64>,
    occurred_at: NaiveDateTime,
}

impl TryFrom<EventRow> for AgreementEvent {
    type Error = StoreError;
    fn try_from(row: EventRow) -> StoreResult<Self> {
        let status = |value: Option<String>| {
            value
                .map(|s| AgreementStatus::parse(&s))
                .transpose()
                .map_err(StoreError::from)
        };
        Ok(AgreementEvent {
            id: row.id,
            agreement_id: row.agreement_id,
            kind: AgreementEventKind::parse(&row.kind)?,
            from_status: status(row.from_status)?,
            to_status: status(row.to_status)?,
            changed_fields: row
                .changed_fields
                .split(',')
                .filter(|f| !f.is_empty())
                .map(String::from)
                .collect(),
            comment: row.comment,
            actor_id: row.actor_id,
            occurred_at: clock::to_utc(row.occurred_at),
        })
    }
}

/// The history of an agreement, oldest first.
pub fn history(
    conn: &mut DbConn,
    id: i64,
    page: PageRequest,
) -> StoreResult<Listed<AgreementEvent>> {
    let exists: i64 = agreements::table
        .filter(agreements::id.eq(id))
        .count()
        .get_result(conn)?;
    if exists == 0 {
        return Err(StoreError::NotFound);
    }
    let of_agreement = || agreement_events::table.filter(agreement_events::agreement_id.eq(id));
    let total: i64 = of_agreement().count().get_result(conn)?;
    let items = of_agreement()
        .order(agreement_events::id.asc())
        .limit(page.limit)
        .offset(page.offset)
        .select(EventRow::as_select())
        .load(conn)?
        .into_iter()
        .map(AgreementEvent::try_from)
        .collect::<StoreResult<_>>()?;
    Ok(Listed { items, total })
}
