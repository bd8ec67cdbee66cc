//! Meetings of bodies (agenda, attendees, minutes) and the decisions taken in them.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use kim_domain::body::DecisionOutcome;
use kim_domain::paging::PageRequest;
use serde::Serialize;
use utoipa::ToSchema;

use crate::audit::Actor;
use crate::error::{expect_version, StoreResult};
use crate::link_sets::insert_links;
use crate::versioned::{delete_versioned, insert_versioned, update_versioned};
use crate::{clock, DbConn, Listed, StoreError};

use super::{agenda_items, check_user, decisions, find, meeting_attendees, meetings};

#[derive(Debug, Clone, PartialEq)]
pub struct AgendaItem {
    pub title: String,
    /// A gap discussed under this item.
    pub gap_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MeetingData {
    pub held_on: NaiveDate,
    pub title: String,
    pub minutes: Option<String>,
    pub attendee_user_ids: Vec<i64>,
    pub agenda: Vec<AgendaItem>,
}

/// Beschluss (decision) of a meeting: free, or a step of the gap process.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
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

#[derive(Debug, Clone, PartialEq)]
pub struct Meeting {
    pub id: i64,
    pub body_id: i64,
    pub data: MeetingData,
    pub decisions: Vec<Decision>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = meetings, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
struct MeetingRow {
    id: i64,
    body_id: i64,
    held_on: NaiveDate,
    title: String,
    minutes: Option<String>,
    version: i32,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = decisions, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
struct DecisionRow {
    id: i64,
    meeting_id: i64,
    gap_id: Option<i64>,
    text: String,
    outcome: String,
    created_by: Option<i64>,
    created_at: NaiveDateTime,
}

impl TryFrom<DecisionRow> for Decision {
    type Error = StoreError;
    fn try_from(row: DecisionRow) -> StoreResult<Decision> {
        Ok(Decision {
            id: row.id,
            meeting_id: row.meeting_id,
            gap_id: row.gap_id,
            text: row.text,
            outcome: DecisionOutcome::parse(&row.outcome)?,
            created_by: row.created_by,
            created_at: clock::to_utc(row.created_at),
        })
    }
}

fn complete_meeting(conn: &mut DbConn, row: MeetingRow) -> StoreResult<Meeting> {
    let attendee_user_ids = meeting_attendees::table
        .filter(meeting_attendees::meeting_id.eq(row.id))
        .order(meeting_attendees::user_id.asc())
        .select(meeting_attendees::user_id)
        .load(conn)?;
    let agenda = agenda_items::table
        .filter(agenda_items::meeting_id.eq(row.id))
        .order((agenda_items::position.asc(), agenda_items::id.asc()))
        .select((agenda_items::title, agenda_items::gap_id))
        .load::<(String, Option<i64>)>(conn)?
        .into_iter()
        .map(|(title, gap_id)| AgendaItem { title, gap_id })
        .collect();
    let decisions = decisions::table
        .filter(decisions::meeting_id.eq(row.id))
        .order(decisions::id.asc())
        .select(DecisionRow::as_select())
        .load(conn)?
        .into_iter()
        .map(Decision::try_from)
        .collect::<StoreResult<_>>()?;
    Ok(Meeting {
        id: row.id,
        body_id: row.body_id,
        data: MeetingData {
            held_on: row.held_on,
            title: row.title,
            minutes: row.minutes,
            attendee_user_ids,
            agenda,
        },
        decisions,
        version: row.version,
        created_at: clock::to_utc(row.created_at),
        updated_at: clock::to_utc(row.updated_at),
    })
}

/// The meetings of a body, newest first.
pub fn meetings_of(
    conn: &mut DbConn,
    body_id: i64,
    page: PageRequest,
) -> StoreResult<Listed<Meeting>> {
    find(conn, body_id)?;
    let total: i64 = meetings::table
        .filter(meetings::body_id.eq(body_id))
        .count()
        .get_result(conn)?;
    let rows: Vec<MeetingRow> = meetings::table
        .filter(meetings::body_id.eq(body_id))
        .order((meetings::held_on.desc(), meetings::id.desc()))
        .limit(page.limit)
        .offset(page.offset)
        .select(MeetingRow::as_select())
        .load(conn)?;
    let items = rows
        .into_iter()
        .map(|row| complete_meeting(conn, row))
        .collect::<StoreResult<_>>()?;
    Ok(Listed { items, total })
}

/// The body's first meeting on or after `today`.
pub fn next_meeting(
    conn: &mut DbConn,
    body_id: i64,
    today: NaiveDate,
) -> StoreResult<Option<Meeting>> {
    let row: Option<MeetingRow> = meetings::table
        .filter(meetings::body_id.eq(body_id))
        .filter(meetings::held_on.ge(today))
        .order((meetings::held_on.asc(), meetings::id.asc()))
        .select(MeetingRow::as_select())
        .first(conn)
        .optional()?;
    row.map(|row| complete_meeting(conn, row)).transpose()
}

pub fn find_meeting(conn: &mut DbConn, id: i64) -> StoreResult<Meeting> {
    let row = meetings::table
        .find(id)
        .select(MeetingRow::as_select())
        .first(conn)?;
    complete_meeting(conn, row)
}

fn check_meeting_references(conn: &mut DbConn, data: &MeetingData) -> StoreResult<()> {
    for user in &data.attendee_user_ids {
        check_user(conn, "attendee_user_ids", *user)?;
    }
    for item in &data.agenda {
        if let Some(gap) = item.gap_id {
            if crate::gaps::stage_of(conn, gap).is_err() {
                return Err(StoreError::unknown(
                    "agenda",
                    format!("no gap with id {gap}"),
                ));
            }
        }
    }
    Ok(())
}

fn replace_meeting_parts(conn: &mut DbConn, id: i64, data: &MeetingData) -> StoreResult<()> {
    diesel::delete(meeting_attendees::table.filter(meeting_attendees::meeting_id.eq(id)))
        .execute(conn)?;
    diesel::delete(agenda_items::table.filter(agenda_items::meeting_id.eq(id))).execute(conn)?;
    insert_links!(
        conn,
        meeting_attendees,
        meeting_id = id,
        user_id = &data.attendee_user_ids
    );
    for (position, item) in data.agenda.iter().enumerate() {
        diesel::insert_into(agenda_items::table)
            .values((
                agenda_items::meeting_id.eq(id),
                agenda_items::position.eq(position as i32 + 1),
                agenda_items::title.eq(&item.title),
                agenda_items::gap_id.eq(item.gap_id),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn insert_meeting(conn: &mut DbConn, body_id: i64, data: &MeetingData) -> StoreResult<Meeting> {
    find(conn, body_id)?;
    check_meeting_references(conn, data)?;
    let now = clock::now();
    let id: i64 = insert_versioned!(
        conn,
        meetings,
        (
            meetings::body_id.eq(body_id),
            meetings::held_on.eq(data.held_on),
            meetings::title.eq(&data.title),
            meetings::minutes.eq(data.minutes.as_deref())
        ),
        now
    )?;
    replace_meeting_parts(conn, id, data)?;
    find_meeting(conn, id)
}

pub fn update_meeting(
    conn: &mut DbConn,
    id: i64,
    expected_version: i32,
    data: &MeetingData,
) -> StoreResult<Meeting> {
    let current = find_meeting(conn, id)?;
    expect_version(current.version, expected_version)?;
    check_meeting_references(conn, data)?;
    update_versioned!(
        conn,
        meetings,
        id,
        expected_version,
        (
            meetings::held_on.eq(data.held_on),
            meetings::title.eq(&data.title),
            meetings::minutes.eq(data.minutes.as_deref())
        )
    )?;
    replace_meeting_parts(conn, id, data)?;
    find_meeting(conn, id)
}

/// Deletes a meeting without decisions (decisions are the record; 409 otherwise).
pub fn delete_meeting(conn: &mut DbConn, id: i64, expected_version: i32) -> StoreResult<()> {
    let current = find_meeting(conn, id)?;
    expect_version(current.version, expected_version)?;
    if !current.decisions.is_empty() {
        return Err(StoreError::InUse(
            "the meeting has decisions on record".into(),
        ));
    }
    delete_versioned!(conn, meetings, id, expected_version)?;
    Ok(())
}

/// The body a meeting belongs to; `None` when there is no such meeting.
pub fn meeting_body_id(conn: &mut DbConn, meeting_id: i64) -> StoreResult<Option<i64>> {
    Ok(meetings::table
        .find(meeting_id)
        .select(meetings::body_id)
        .first(conn)
        .optional()?)
}

/// Records a decision of a meeting.
pub fn insert_decision(
    conn: &mut DbConn,
    actor: &Actor,
    meeting_id: i64,
    gap_id: Option<i64>,
    text: &str,
    outcome: DecisionOutcome,
) -> StoreResult<Decision> {
    let id: i64 = diesel::insert_into(decisions::table)
        .values((
            decisions::meeting_id.eq(meeting_id),
            decisions::gap_id.eq(gap_id),
            decisions::text.eq(text),
            decisions::outcome.eq(outcome.as_str()),
            decisions::created_by.eq(actor.id),
            decisions::created_at.eq(clock::now()),
        ))
        .returning(decisions::id)
        .get_result(conn)?;
    decisions::table
        .find(id)
        .select(DecisionRow::as_select())
        .first(conn)?
        .try_into()
}

/// The decisions about a gap, oldest first.
pub fn decisions_on(conn: &mut DbConn, gap_id: i64) -> StoreResult<Vec<Decision>> {
    decisions::table
        .filter(decisions::gap_id.eq(gap_id))
        .order(decisions::id.asc())
        .select(DecisionRow::as_select())
        .load(conn)?
        .into_iter()
        .map(Decision::try_from)
        .collect()
}
