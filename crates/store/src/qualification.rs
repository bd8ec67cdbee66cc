//! Qualification (Qualifizierung): the course catalogue, the functions a course is mandatory
//! for, and participations of members of staff or positions. The rules (who a participation
//! counts for, what is still due, what the completion report withholds) are
//! `kim_domain::qualification`'s.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use kim_domain::paging::PageRequest;
use kim_domain::qualification::{Attendance, Participant, Requirement};
use kim_domain::staffing::{PositionFunction, StaffingPhase};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::StoreResult;
use crate::link_sets::{insert_links, load_links};
use crate::versioned::{insert_versioned, update_versioned};
use crate::{clock, positions, users, DbConn, Listed, StoreError};

use self::schema::{course_functions, course_participations, courses};

/// The tables of this module, written by hand to match `migrations/*/…_qualification`.
mod schema {
    diesel::table! {
        courses (id) {
            id -> BigInt,
            title -> Text,
            provider -> Text,
            topic -> Text,
            hours -> Integer,
            version -> Integer,
            created_at -> Timestamp,
            updated_at -> Timestamp,
        }
    }

    diesel::table! {
        course_functions (course_id, function) {
            course_id -> BigInt,
            function -> Text,
        }
    }

    diesel::table! {
        course_participations (id) {
            id -> BigInt,
            course_id -> BigInt,
            user_id -> Nullable<BigInt>,
            position_id -> Nullable<BigInt>,
            attended_on -> Date,
            completed -> Bool,
            certificate -> Bool,
            version -> Integer,
            created_at -> Timestamp,
            updated_at -> Timestamp,
        }
    }

    diesel::joinable!(course_functions -> courses (course_id));
    diesel::joinable!(course_participations -> courses (course_id));
    diesel::allow_tables_to_appear_in_same_query!(courses, course_functions, course_participations);
}

/// The fields of a course a client sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CourseData {
    pub title: String,
    pub provider: String,
    pub topic: String,
    pub hours: i32,
    /// Distinct, in the vocabulary's order.
    pub mandatory_for: Vec<PositionFunction>,
}

/// Fortbildung (course) of the qualification catalogue.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 3, "title": "Grundlagen Case Management", "provider": "DGCC", "topic": "case_management",
    "hours": 40, "mandatory_for": ["case_management", "cm_coordination"],
    "version": 1, "created_at": "2026-11-30T07:00:00Z", "updated_at": "2026-11-30T07:00:00Z"
}))]
pub struct Course {
    pub id: i64,
    /// Unique in the catalogue.
    pub title: String,
    /// Who gives the course (Träger), e.g. a professional association.
    pub provider: String,
    /// What it is about, e.g. "Aufenthaltsrecht".
    pub topic: String,
    /// Length in hours.
    pub hours: i32,
    /// The functions that must take it (Pflichtfortbildung); empty when it is optional.
    pub mandatory_for: Vec<PositionFunction>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = courses, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
struct CourseRow {
    id: i64,
    title: String,
    provider: String,
    topic: String,
    hours: i32,
    version: i32,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

/// The fields of a participation a client sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParticipationData {
    pub participant: Participant,
    pub attended_on: NaiveDate,
    pub completed: bool,
    pub certificate: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Participation {
    pub id: i64,
    pub course_id: i64,
    pub data: ParticipationData,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = course_participations, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
struct ParticipationRow {
    id: i64,
    course_id: i64,
    user_id: Option<i64>,
    position_id: Option<i64>,
    attended_on: NaiveDate,
    completed: bool,
    certificate: bool,
    version: i32,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl TryFrom<ParticipationRow> for Participation {
    type Error = StoreError;
    fn try_from(row: ParticipationRow) -> StoreResult<Participation> {
        let participant = Participant::from_fields(row.user_id, row.position_id)
            .map_err(|e| StoreError::Corrupt(format!("participation {}: {e}", row.id)))?;
        Ok(Participation {
            id: row.id,
            course_id: row.course_id,
            data: ParticipationData {
                participant,
                attended_on: row.attended_on,
                completed: row.completed,
                certificate: row.certificate,
            },
            version: row.version,
            created_at: clock::to_utc(row.created_at),
            updated_at: clock::to_utc(row.updated_at),
        })
    }
}

/// The functions each of `ids` is mandatory for, in the vocabulary's order.
fn functions_of(
    conn: &mut DbConn,
    ids: &[i64],
) -> StoreResult<HashMap<i64, Vec<PositionFunction>>> {
    let mut by_course = load_links!(conn, course_functions, course_id = ids, function: String => PositionFunction::parse);
    for functions in by_course.values_mut() {
        functions.sort_by_key(|f| PositionFunction::ALL.iter().position(|a| a == f));
    }
    Ok(by_course)
}

fn complete(conn: &mut DbConn, rows: Vec<CourseRow>) -> StoreResult<Vec<Course>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut functions = functions_of(conn, &ids)?;
    Ok(rows
        .into_iter()
        .map(|row| Course {
            id: row.id,
            title: row.title,
            provider: row.provider,
            topic: row.topic,
            hours: row.hours,
            mandatory_for: functions.remove(&row.id).unwrap_or_default(),
            version: row.version,
            created_at: clock::to_utc(row.created_at),
            updated_at: clock::to_utc(row.updated_at),
        })
        .collect())
}

/// The catalogue, by title, optionally only the courses mandatory for `function`.
pub fn list_courses(
    conn: &mut DbConn,
    function: Option<PositionFunction>,
    page: PageRequest,
) -> StoreResult<Listed<Course>> {
    let filtered = || {
        let mut query = courses::table.into_boxed::<crate::connection::MultiBackend>();
        if let Some(function) = function {
            query = query.filter(
                courses::id.eq_any(
                    course_functions::table
                        .filter(course_functions::function.eq(function.as_str()))
                        .select(course_functions::course_id),
                ),
            );
        }
        query
    };
    let total: i64 = filtered().count().get_result(conn)?;
    let rows: Vec<CourseRow> = filtered()
        .order((courses::title.asc(), courses::id.asc()))
        .limit(page.limit)
        .offset(page.offset)
        .select(CourseRow::as_select())
        .load(conn)?;
    Ok(Listed {
        items: complete(conn, rows)?,
        total,
    })
}

pub fn find_course(conn: &mut DbConn, id: i64) -> StoreResult<Course> {
    let row: CourseRow = courses::table
        .find(id)
        .select(CourseRow::as_select())
        .first(conn)?;
    complete(conn, vec![row])?.pop().ok_or(StoreError::NotFound)
}

pub fn find_course_by_title(conn: &mut DbConn, title: &str) -> StoreResult<Option<Course>> {
    let id: Option<i64> = courses::table
        .filter(courses::title.eq(title))
        .select(courses::id)
        .first(conn)
        .optional()?;
    id.map(|id| find_course(conn, id)).transpose()
}

fn replace_functions(conn: &mut DbConn, id: i64, data: &CourseData) -> StoreResult<()> {
    diesel::delete(course_functions::table.filter(course_functions::course_id.eq(id)))
        .execute(conn)?;
    insert_links!(conn, course_functions, course_id = id, function = &data.mandatory_for => as_str);
    Ok(())
}

/// Adds a course; a title already in the catalogue is 409.
pub fn insert_course(conn: &mut DbConn, data: &CourseData) -> StoreResult<Course> {
    let now = clock::now();
    let id: i64 = insert_versioned!(
        conn,
        courses,
        (
            courses::title.eq(&data.title),
            courses::provider.eq(&data.provider),
            courses::topic.eq(&data.topic),
            courses::hours.eq(data.hours)
        ),
        now
    )
    .map_err(|e| e.on_field("title"))?;
    replace_functions(conn, id, data)?;
    find_course(conn, id)
}

/// Replaces a course if `expected_version` is still current (412 otherwise).
pub fn update_course(
    conn: &mut DbConn,
    id: i64,
    expected_version: i32,
    data: &CourseData,
) -> StoreResult<Course> {
    find_course(conn, id)?;
    update_versioned!(
        conn,
        courses,
        id,
        expected_version,
        (
            courses::title.eq(&data.title),
            courses::provider.eq(&data.provider),
            courses::topic.eq(&data.topic),
            courses::hours.eq(data.hours)
        )
    )
    .map_err(|e| e.on_field("title"))?;
    replace_functions(conn, id, data)?;
    find_course(conn, id)
}

fn check_participant(conn: &mut DbConn, participant: Participant) -> StoreResult<()> {
    match participant {
        Participant::Account(id) => {
            if users::first_unknown(conn, &[id], users::Referable::Any)?.is_some() {
                return Err(StoreError::unknown(
                    "user_id",
                    format!("no user with id {id}"),
                ));
            }
        }
        Participant::Position(id) => {
            if positions::first_unknown(conn, &[id])?.is_some() {
                return Err(StoreError::unknown(
                    "position_id",
                    format!("no position with id {id}"),
                ));
            }
        }
    }
    Ok(())
}

/// The participations of a course, oldest attendance first.
pub fn list_participations(
    conn: &mut DbConn,
    course_id: i64,
    page: PageRequest,
) -> StoreResult<Listed<Participation>> {
    find_course(conn, course_id)?;
    let total: i64 = course_participations::table
        .filter(course_participations::course_id.eq(course_id))
        .count()
        .get_result(conn)?;
    let rows: Vec<ParticipationRow> = course_participations::table
        .filter(course_participations::course_id.eq(course_id))
        .order((
            course_participations::attended_on.asc(),
            course_participations::id.asc(),
        ))
        .limit(page.limit)
        .offset(page.offset)
        .select(ParticipationRow::as_select())
        .load(conn)?;
    Ok(Listed {
        items: rows
            .into_iter()
            .map(Participation::try_from)
            .collect::<StoreResult<_>>()?,
        total,
    })
}

pub fn find_participation(conn: &mut DbConn, id: i64) -> StoreResult<Participation> {
    course_participations::table
        .find(id)
        .select(ParticipationRow::as_select())
        .first(conn)?
        .try_into()
}

/// Records a participation in course `course_id` (404 when the course does not exist; 422 on
/// `user_id` or `position_id` when the participant does not).
pub fn insert_participation(
    conn: &mut DbConn,
    course_id: i64,
    data: &ParticipationData,
) -> StoreResult<Participation> {
    find_course(conn, course_id)?;
    check_participant(conn, data.participant)?;
    let now = clock::now();
    let id: i64 = insert_versioned!(
        conn,
        course_participations,
        (
            course_participations::course_id.eq(course_id),
            course_participations::user_id.eq(data.participant.user_id()),
            course_participations::position_id.eq(data.participant.position_id()),
            course_participations::attended_on.eq(data.attended_on),
            course_participations::completed.eq(data.completed),
            course_participations::certificate.eq(data.certificate)
        ),
        now
    )?;
    find_participation(conn, id)
}

/// Replaces a participation (its course stays) if `expected_version` is still current.
pub fn update_participation(
    conn: &mut DbConn,
    id: i64,
    expected_version: i32,
    data: &ParticipationData,
) -> StoreResult<Participation> {
    find_participation(conn, id)?;
    check_participant(conn, data.participant)?;
    update_versioned!(
        conn,
        course_participations,
        id,
        expected_version,
        (
            course_participations::user_id.eq(data.participant.user_id()),
            course_participations::position_id.eq(data.participant.position_id()),
            course_participations::attended_on.eq(data.attended_on),
            course_participations::completed.eq(data.completed),
            course_participations::certificate.eq(data.certificate)
        )
    )?;
    find_participation(conn, id)
}

/// What the qualification rules look at for one position: every course with the functions it
/// is mandatory for, and the participations that may count for the position (its own and its
/// holder's).
pub struct PositionRecord {
    pub position: positions::Position,
    pub courses: Vec<Course>,
    pub requirements: Vec<Requirement>,
    pub attendances: Vec<Attendance>,
}

pub fn position_record(
    conn: &mut DbConn,
    position: positions::Position,
) -> StoreResult<PositionRecord> {
    let rows: Vec<CourseRow> = courses::table
        .order((courses::title.asc(), courses::id.asc()))
        .select(CourseRow::as_select())
        .load(conn)?;
    let courses = complete(conn, rows)?;
    let requirements = courses
        .iter()
        .map(|c| Requirement {
            course_id: c.id,
            mandatory_for: c.mandatory_for.clone(),
        })
        .collect();
    let mut query = course_participations::table
        .filter(course_participations::position_id.eq(position.id))
        .into_boxed::<crate::connection::MultiBackend>();
    if let Some(holder) = position.data.holder_user_id {
        query = query.or_filter(course_participations::user_id.eq(holder));
    }
    let attendances = query
        .select(ParticipationRow::as_select())
        .load(conn)?
        .into_iter()
        .map(|row| {
            let p = Participation::try_from(row)?;
            Ok(Attendance {
                course_id: p.course_id,
                participant: p.data.participant,
                completed: p.data.completed,
            })
        })
        .collect::<StoreResult<_>>()?;
    Ok(PositionRecord {
        position,
        courses,
        requirements,
        attendances,
    })
}

/// One line of the completion report: a course, a function it is mandatory for, the staffed
/// positions of that function and how many of them completed the course (by the position's
/// own participation or its holder's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompletionLine {
    pub course_id: i64,
    pub title: String,
    pub function: PositionFunction,
    pub positions: u64,
    pub completed: u64,
}

#[derive(QueryableByName)]
struct CompletionRow {
    #[diesel(sql_type = BigInt)]
    course_id: i64,
    #[diesel(sql_type = Text)]
    title: String,
    #[diesel(sql_type = Text)]
    function: String,
    #[diesel(sql_type = BigInt)]
    positions: i64,
    #[diesel(sql_type = BigInt)]
    completed: i64,
}

/// Completion of every mandatory course per function, in one aggregate query: positions count
/// while someone is employed on them (onboarding, qualification, active).
pub fn completion(conn: &mut DbConn) -> StoreResult<Vec<CompletionLine>> {
    let staffed: Vec<String> = StaffingPhase::ALL
        .iter()
        .filter(|p| p.is_staffed())
        .map(|p| format!("'{}'", p.as_str()))
        .collect();
    let sql = format!(
        "SELECT cf.course_id AS course_id, c.title AS title, cf.function AS function, \
         CAST(COUNT(p.id) AS BIGINT) AS positions, \
         CAST(COUNT(CASE WHEN EXISTS (SELECT 1 FROM course_participations cp \
             WHERE cp.course_id = cf.course_id AND cp.completed = TRUE \
             AND (cp.position_id = p.id OR cp.user_id = p.holder_user_id)) THEN p.id END) AS BIGINT) AS completed \
         FROM course_functions cf JOIN courses c ON c.id = cf.course_id \
         LEFT JOIN positions p ON p.function = cf.function AND p.phase IN ({}) \
         GROUP BY cf.course_id, c.title, cf.function \
         ORDER BY c.title, cf.course_id, cf.function",
        staffed.join(", ")
    );
    let rows: Vec<CompletionRow> = diesel::sql_query(sql).load(conn)?;
    let mut lines: Vec<CompletionLine> = rows
        .into_iter()
        .map(|r| {
            Ok(CompletionLine {
                course_id: r.course_id,
                title: r.title,
                function: PositionFunction::parse(&r.function)?,
                positions: u64::try_from(r.positions).unwrap_or(0),
                completed: u64::try_from(r.completed).unwrap_or(0),
            })
        })
        .collect::<StoreResult<_>>()?;
    // The vocabulary's order within a course, as everywhere else.
    lines.sort_by_key(|l| {
        (
            l.title.clone(),
            l.course_id,
            PositionFunction::ALL.iter().position(|f| *f == l.function),
        )
    });
    Ok(lines)
}
