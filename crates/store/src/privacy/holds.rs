//! Legal holds on cases (Aufbewahrungssperre): while a case is held, neither an erasure nor any
//! retention rule touches it, its clients or its records. At most one active hold per case (a
//! partial unique index); lifted holds stay, with who lifted them.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use kim_domain::erasure::{check_hold_change, HeldCase, HoldRefusal};
use serde::Serialize;
use utoipa::ToSchema;

use crate::schema::{case_clients, cases, legal_holds};
use crate::{clock, DbConn, StoreError};

/// A hold as stored.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = legal_holds, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct HoldRow {
    pub id: i64,
    pub case_id: i64,
    pub reason: String,
    pub placed_by: Option<i64>,
    pub placed_at: NaiveDateTime,
    pub lifted_by: Option<i64>,
    pub lifted_at: Option<NaiveDateTime>,
}

/// Aufbewahrungssperre (legal hold) on a case: while active, neither an erasure nor a retention
/// rule touches the case, its clients or their records.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(example = json!({"id": 3, "case_id": 12, "reason": "Court proceedings (Az. 5 K 123/26)",
    "placed_by": 7, "placed_at": "2026-11-29T10:00:00Z", "lifted_by": null, "lifted_at": null, "active": true}))]
pub struct LegalHold {
    pub id: i64,
    pub case_id: i64,
    pub reason: String,
    pub placed_by: Option<i64>,
    pub placed_at: DateTime<Utc>,
    pub lifted_by: Option<i64>,
    pub lifted_at: Option<DateTime<Utc>>,
    pub active: bool,
}

impl From<HoldRow> for LegalHold {
    fn from(row: HoldRow) -> Self {
        LegalHold {
            id: row.id,
            case_id: row.case_id,
            reason: row.reason,
            placed_by: row.placed_by,
            placed_at: clock::to_utc(row.placed_at),
            lifted_by: row.lifted_by,
            lifted_at: row.lifted_at.map(clock::to_utc),
            active: row.lifted_at.is_none(),
        }
    }
}

/// The active hold of a case, if any.
pub fn active(conn: &mut DbConn, case_id: i64) -> Result<Option<LegalHold>, StoreError> {
    Ok(legal_holds::table
        .filter(legal_holds::case_id.eq(case_id))
        .filter(legal_holds::lifted_at.is_null())
        .select(HoldRow::as_select())
        .first(conn)
        .optional()?
        .map(LegalHold::from))
}

/// Every hold of a case, lifted ones too, oldest first.
pub fn of_case(conn: &mut DbConn, case_id: i64) -> Result<Vec<LegalHold>, StoreError> {
    Ok(legal_holds::table
        .filter(legal_holds::case_id.eq(case_id))
        .order(legal_holds::id.asc())
        .select(HoldRow::as_select())
        .load(conn)?
        .into_iter()
        .map(LegalHold::from)
        .collect())
}

/// The ids of all cases under an active hold.
pub fn held_case_ids(conn: &mut DbConn) -> Result<Vec<i64>, StoreError> {
    Ok(legal_holds::table
        .filter(legal_holds::lifted_at.is_null())
        .select(legal_holds::case_id)
        .load(conn)?)
}

/// The ids of all clients belonging to a held case.
pub fn held_client_ids(conn: &mut DbConn) -> Result<Vec<i64>, StoreError> {
    let held = held_case_ids(conn)?;
    Ok(case_clients::table
        .filter(case_clients::case_id.eq_any(&held))
        .select(case_clients::client_id)
        .distinct()
        .load(conn)?)
}

/// The active holds on any case of a client.
pub fn on_client(conn: &mut DbConn, client_id: i64) -> Result<Vec<HeldCase>, StoreError> {
    let cases_of_client: Vec<i64> = case_clients::table
        .filter(case_clients::client_id.eq(client_id))
        .select(case_clients::case_id)
        .load(conn)?;
    Ok(legal_holds::table
        .filter(legal_holds::case_id.eq_any(&cases_of_client))
        .filter(legal_holds::lifted_at.is_null())
        .order(legal_holds::case_id.asc())
        .select((legal_holds::case_id, legal_holds::reason))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .map(|(case_id, reason)| HeldCase { case_id, reason })
        .collect())
}

fn require_case(conn: &mut DbConn, case_id: i64) -> Result<(), StoreError> {
    cases::table
        .find(case_id)
        .select(cases::id)
        .first::<i64>(conn)?;
    Ok(())
}

/// Places a hold on a case (404 for an unknown case; refused when one is active).
pub fn place(
    conn: &mut DbConn,
    case_id: i64,
    reason: &str,
    placed_by: Option<i64>,
) -> Result<Result<LegalHold, HoldRefusal>, StoreError> {
    require_case(conn, case_id)?;
    if let Err(refused) = check_hold_change(active(conn, case_id)?.is_some(), true) {
        return Ok(Err(refused));
    }
    let row: HoldRow = diesel::insert_into(legal_holds::table)
        .values((
            legal_holds::case_id.eq(case_id),
            legal_holds::reason.eq(reason),
            legal_holds::placed_by.eq(placed_by),
            legal_holds::placed_at.eq(clock::now()),
        ))
        .returning(legal_holds::all_columns)
        .get_result(conn)
        // Two coordinators placing a hold at once: the partial unique index decides.
        .map_err(|e| match StoreError::from(e) {
            StoreError::Duplicate { .. } => {
                StoreError::Conflict(HoldRefusal::AlreadyHeld.to_string())
            }
            other => other,
        })?;
    Ok(Ok(row.into()))
}

/// Lifts the active hold of a case.
pub fn lift(
    conn: &mut DbConn,
    case_id: i64,
    lifted_by: Option<i64>,
) -> Result<Result<LegalHold, HoldRefusal>, StoreError> {
    require_case(conn, case_id)?;
    let Some(hold) = active(conn, case_id)? else {
        return Ok(Err(HoldRefusal::NotHeld));
    };
    let changed = diesel::update(
        legal_holds::table
            .filter(legal_holds::id.eq(hold.id))
            .filter(legal_holds::lifted_at.is_null()),
    )
    .set((
        legal_holds::lifted_by.eq(lifted_by),
        legal_holds::lifted_at.eq(clock::now()),
    ))
    .execute(conn)?;
    if changed == 0 {
        return Ok(Err(HoldRefusal::NotHeld));
    }
    let row: HoldRow = legal_holds::table
        .find(hold.id)
        .select(HoldRow::as_select())
        .first(conn)?;
    Ok(Ok(row.into()))
}
