//! Documented contacts with the clients of a case (Kontaktdokumentation): date, kind, duration,
//! participants and a short note.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use kim_domain::help_plan::ContactKind;

use crate::audit::Actor;
use crate::error::{expect_version, StoreResult};
use crate::versioned::{insert_versioned, update_versioned};
use crate::{clock, DbConn, StoreError};

diesel::table! {
    contacts (id) {
        id -> BigInt,
        case_id -> BigInt,
        occurred_on -> Date,
        kind -> Text,
        duration_minutes -> Integer,
        participants -> Text,
        note -> Nullable<Text>,
        created_by -> Nullable<BigInt>,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = contacts, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
struct ContactRow {
    id: i64,
    case_id: i64,
    occurred_on: NaiveDate,
    kind: String,
    duration_minutes: i32,
    participants: String,
    note: Option<String>,
    created_by: Option<i64>,
    version: i32,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ContactData {
    pub occurred_on: NaiveDate,
    pub kind: ContactKind,
    pub duration_minutes: i32,
    /// Who took part besides the case manager, e.g. "client", "interpreter", "Jobcenter".
    pub participants: Vec<String>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Contact {
    pub id: i64,
    pub case_id: i64,
    pub data: ContactData,
    pub created_by: Option<i64>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<ContactRow> for Contact {
    type Error = StoreError;

    fn try_from(row: ContactRow) -> Result<Self, Self::Error> {
        let participants: Vec<String> = serde_json::from_str(&row.participants)
            .map_err(|e| StoreError::Corrupt(format!("contact participants: {e}")))?;
        Ok(Contact {
            id: row.id,
            case_id: row.case_id,
            data: ContactData {
                occurred_on: row.occurred_on,
                kind: ContactKind::parse(&row.kind)?,
                duration_minutes: row.duration_minutes,
                participants,
                note: row.note,
            },
            created_by: row.created_by,
            version: row.version,
            created_at: clock::to_utc(row.created_at),
            updated_at: clock::to_utc(row.updated_at),
        })
    }
}

fn participants_json(data: &ContactData) -> StoreResult<String> {
    serde_json::to_string(&data.participants)
        .map_err(|e| StoreError::Corrupt(format!("contact participants: {e}")))
}

pub fn find(conn: &mut DbConn, id: i64) -> StoreResult<Contact> {
    contacts::table
        .find(id)
        .select(ContactRow::as_select())
        .first(conn)?
        .try_into()
}

/// The case a contact belongs to, for the access check.
pub fn case_of(conn: &mut DbConn, id: i64) -> StoreResult<i64> {
    Ok(contacts::table
        .find(id)
        .select(contacts::case_id)
        .first(conn)?)
}

/// The contacts of a case, newest first.
pub fn of_case(conn: &mut DbConn, case_id: i64) -> StoreResult<Vec<Contact>> {
    contacts::table
        .filter(contacts::case_id.eq(case_id))
        .order((contacts::occurred_on.desc(), contacts::id.desc()))
        .select(ContactRow::as_select())
        .load(conn)?
        .into_iter()
        .map(Contact::try_from)
        .collect()
}

pub fn insert(
    conn: &mut DbConn,
    actor: &Actor,
    case_id: i64,
    data: &ContactData,
) -> StoreResult<Contact> {
    let now = clock::now();
    let id: i64 = insert_versioned!(
        conn,
        contacts,
        (
            contacts::case_id.eq(case_id),
            contacts::occurred_on.eq(data.occurred_on),
            contacts::kind.eq(data.kind.as_str()),
            contacts::duration_minutes.eq(data.duration_minutes),
            contacts::participants.eq(participants_json(data)?),
            contacts::note.eq(data.note.as_deref()),
            contacts::created_by.eq(actor.id)
        ),
        now
    )?;
    find(conn, id)
}

pub fn update(
    conn: &mut DbConn,
    id: i64,
    expected_version: i32,
    data: &ContactData,
) -> StoreResult<Contact> {
    let current = find(conn, id)?;
    expect_version(current.version, expected_version)?;
    update_versioned!(
        conn,
        contacts,
        id,
        expected_version,
        (
            contacts::occurred_on.eq(data.occurred_on),
            contacts::kind.eq(data.kind.as_str()),
            contacts::duration_minutes.eq(data.duration_minutes),
            contacts::participants.eq(participants_json(data)?),
            contacts::note.eq(data.note.as_deref())
        )
    )?;
    find(conn, id)
}
