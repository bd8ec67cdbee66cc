//! Bodies (Gremien) with their members, meetings (agenda, attendees, minutes) and decisions.
//! The tables live here, next to their only queries; the gap process records the steering
//! group's steps as decisions through [`insert_decision`].

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use kim_domain::body::BodyKind;
use kim_domain::paging::PageRequest;

use crate::error::{expect_version, StoreResult};
use crate::link_sets::insert_links;
use crate::versioned::{delete_versioned, insert_versioned, update_versioned};
use crate::{clock, municipalities, organisations, DbConn, Listed, StoreError};

mod meeting;

pub use meeting::{
    decisions_on, delete_meeting, find_meeting, insert_decision, insert_meeting, meeting_body_id,
    meetings_of, next_meeting, update_meeting, AgendaItem, Decision, Meeting, MeetingData,
};

diesel::table! {
    bodies (id) {
        id -> BigInt,
        kind -> Text,
        name -> Text,
        purpose -> Nullable<Text>,
        topic -> Nullable<Text>,
        active_from -> Nullable<Date>,
        active_until -> Nullable<Date>,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    body_municipalities (body_id, municipality_id) {
        body_id -> BigInt,
        municipality_id -> BigInt,
    }
}

diesel::table! {
    body_members (id) {
        id -> BigInt,
        body_id -> BigInt,
        user_id -> Nullable<BigInt>,
        organisation_id -> Nullable<BigInt>,
        function -> Text,
    }
}

diesel::table! {
    meetings (id) {
        id -> BigInt,
        body_id -> BigInt,
        held_on -> Date,
        title -> Text,
        minutes -> Nullable<Text>,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    meeting_attendees (meeting_id, user_id) {
        meeting_id -> BigInt,
        user_id -> BigInt,
    }
}

diesel::table! {
    agenda_items (id) {
        id -> BigInt,
        meeting_id -> BigInt,
        position -> Integer,
        title -> Text,
        gap_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    decisions (id) {
        id -> BigInt,
        meeting_id -> BigInt,
        gap_id -> Nullable<BigInt>,
        text -> Text,
        outcome -> Text,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = bodies, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
struct BodyRow {
    id: i64,
    kind: String,
    name: String,
    purpose: Option<String>,
    topic: Option<String>,
    active_from: Option<NaiveDate>,
    active_until: Option<NaiveDate>,
    version: i32,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

/// A member: a person (user account) or an organisation, with their function in the body.
#[derive(Debug, Clone, PartialEq)]
pub struct MemberData {
    pub user_id: Option<i64>,
    pub organisation_id: Option<i64>,
    /// E.g. "Sozialdezernent", "Geschäftsführer Jobcenter".
    pub function: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BodyData {
    pub kind: BodyKind,
    pub name: String,
    pub purpose: Option<String>,
    pub topic: Option<String>,
    pub active_from: Option<NaiveDate>,
    pub active_until: Option<NaiveDate>,
    pub municipality_ids: Vec<i64>,
    pub members: Vec<MemberData>,
}

/// The columns of [`BodyData`], on insert and on update alike.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = bodies, treat_none_as_null = true)]
struct BodyColumns<'a> {
    kind: &'static str,
    name: &'a str,
    purpose: Option<&'a str>,
    topic: Option<&'a str>,
    active_from: Option<NaiveDate>,
    active_until: Option<NaiveDate>,
}

impl<'a> From<&'a BodyData> for BodyColumns<'a> {
    fn from(data: &'a BodyData) -> Self {
        BodyColumns {
            kind: data.kind.as_str(),
            name: &data.name,
            purpose: data.purpose.as_deref(),
            topic: data.topic.as_deref(),
            active_from: data.active_from,
            active_until: data.active_until,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Body {
    pub id: i64,
    pub data: BodyData,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn complete_body(conn: &mut DbConn, row: BodyRow) -> StoreResult<Body> {
    let municipality_ids = body_municipalities::table
        .filter(body_municipalities::body_id.eq(row.id))
        .order(body_municipalities::municipality_id.asc())
        .select(body_municipalities::municipality_id)
        .load(conn)?;
    let members = body_members::table
        .filter(body_members::body_id.eq(row.id))
        .order(body_members::id.asc())
        .select((
            body_members::user_id,
            body_members::organisation_id,
            body_members::function,
        ))
        .load::<(Option<i64>, Option<i64>, String)>(conn)?
        .into_iter()
        .map(|(user_id, organisation_id, function)| MemberData {
            user_id,
            organisation_id,
            function,
        })
        .collect();
    Ok(Body {
        id: row.id,
        data: BodyData {
            kind: BodyKind::parse(&row.kind)?,
            name: row.name,
            purpose: row.purpose,
            topic: row.topic,
            active_from: row.active_from,
            active_until: row.active_until,
            municipality_ids,
            members,
        },
        version: row.version,
        created_at: clock::to_utc(row.created_at),
        updated_at: clock::to_utc(row.updated_at),
    })
}

/// Bodies by name, optionally of one kind.
pub fn list(
    conn: &mut DbConn,
    kind: Option<BodyKind>,
    page: PageRequest,
) -> StoreResult<Listed<Body>> {
    let mut count = bodies::table.into_boxed();
    let mut query = bodies::table.into_boxed();
    if let Some(kind) = kind {
        count = count.filter(bodies::kind.eq(kind.as_str()));
        query = query.filter(bodies::kind.eq(kind.as_str()));
    }
    let total: i64 = count.count().get_result(conn)?;
    let rows: Vec<BodyRow> = query
        .order((bodies::name.asc(), bodies::id.asc()))
        .limit(page.limit)
        .offset(page.offset)
        .select(BodyRow::as_select())
        .load(conn)?;
    let items = rows
        .into_iter()
        .map(|row| complete_body(conn, row))
        .collect::<StoreResult<_>>()?;
    Ok(Listed { items, total })
}

pub fn find(conn: &mut DbConn, id: i64) -> StoreResult<Body> {
    let row = bodies::table
        .find(id)
        .select(BodyRow::as_select())
        .first(conn)?;
    complete_body(conn, row)
}

pub fn find_by_name(conn: &mut DbConn, name: &str) -> StoreResult<Option<Body>> {
    let row: Option<BodyRow> = bodies::table
        .filter(bodies::name.eq(name))
        .select(BodyRow::as_select())
        .first(conn)
        .optional()?;
    row.map(|row| complete_body(conn, row)).transpose()
}

/// The kinds of the given bodies; unknown ids are missing from the answer.
pub fn kinds(conn: &mut DbConn, ids: &[i64]) -> StoreResult<Vec<(i64, BodyKind)>> {
    bodies::table
        .filter(bodies::id.eq_any(ids))
        .select((bodies::id, bodies::kind))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .map(|(id, kind)| Ok((id, BodyKind::parse(&kind)?)))
        .collect()
}

/// The bodies `user_id` is a member of.
pub fn bodies_of_user(conn: &mut DbConn, user_id: i64) -> StoreResult<Vec<i64>> {
    let mut ids: Vec<i64> = body_members::table
        .filter(body_members::user_id.eq(user_id))
        .select(body_members::body_id)
        .load(conn)?;
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

fn check_user(conn: &mut DbConn, field: &'static str, id: i64) -> StoreResult<()> {
    crate::users::check_references(conn, field, &[id], crate::users::Referable::Any)
}

fn check_body_references(conn: &mut DbConn, data: &BodyData) -> StoreResult<()> {
    if let Some(unknown) = municipalities::first_unknown(conn, &data.municipality_ids)? {
        return Err(StoreError::unknown(
            "municipality_ids",
            format!("no municipality with id {unknown}"),
        ));
    }
    for member in &data.members {
        if let Some(user) = member.user_id {
            check_user(conn, "members", user)?;
        }
        if let Some(organisation) = member.organisation_id {
            if !organisations::exists(conn, organisation)? {
                return Err(StoreError::unknown(
                    "members",
                    format!("no organisation with id {organisation}"),
                ));
            }
        }
    }
    Ok(())
}

fn replace_body_parts(conn: &mut DbConn, id: i64, data: &BodyData) -> StoreResult<()> {
    diesel::delete(body_municipalities::table.filter(body_municipalities::body_id.eq(id)))
        .execute(conn)?;
    diesel::delete(body_members::table.filter(body_members::body_id.eq(id))).execute(conn)?;
    insert_links!(
        conn,
        body_municipalities,
        body_id = id,
        municipality_id = &data.municipality_ids
    );
    for member in &data.members {
        diesel::insert_into(body_members::table)
            .values((
                body_members::body_id.eq(id),
                body_members::user_id.eq(member.user_id),
                body_members::organisation_id.eq(member.organisation_id),
                body_members::function.eq(&member.function),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn insert(conn: &mut DbConn, data: &BodyData) -> StoreResult<Body> {
    check_body_references(conn, data)?;
    let now = clock::now();
    let id: i64 = insert_versioned!(conn, bodies, BodyColumns::from(data), now)
        .map_err(|e| e.on_field("name"))?;
    replace_body_parts(conn, id, data)?;
    find(conn, id)
}

pub fn update(
    conn: &mut DbConn,
    id: i64,
    expected_version: i32,
    data: &BodyData,
) -> StoreResult<Body> {
    let current = find(conn, id)?;
    expect_version(current.version, expected_version)?;
    if current.data.kind != data.kind && mandated_anything(conn, id)? {
        return Err(StoreError::Conflict(
            "the body holds gap mandates; its kind cannot change".into(),
        ));
    }
    check_body_references(conn, data)?;
    update_versioned!(conn, bodies, id, expected_version, BodyColumns::from(data))
        .map_err(|e| e.on_field("name"))?;
    replace_body_parts(conn, id, data)?;
    find(conn, id)
}

fn mandated_anything(conn: &mut DbConn, body_id: i64) -> StoreResult<bool> {
    Ok(!crate::gaps::gaps_mandated_to(conn, body_id)?.is_empty())
}

/// Deletes a body without meetings or mandates (409 otherwise: they are the record).
pub fn delete(conn: &mut DbConn, id: i64, expected_version: i32) -> StoreResult<()> {
    let current = find(conn, id)?;
    expect_version(current.version, expected_version)?;
    let held: i64 = meetings::table
        .filter(meetings::body_id.eq(id))
        .count()
        .get_result(conn)?;
    if held > 0 || mandated_anything(conn, id)? {
        return Err(StoreError::InUse(
            "the body has meetings or gap mandates on record; set active_until instead".into(),
        ));
    }
    delete_versioned!(conn, bodies, id, expected_version)?;
    Ok(())
}
