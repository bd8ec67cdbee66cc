//! The help plan (Hilfeplan): goals of a case and their progress notes. Notes are appended,
//! never edited, each with its date and author.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use kim_domain::case::Topic;
use kim_domain::help_plan::GoalStatus;

use crate::audit::Actor;
use crate::error::{expect_version, StoreResult};
use crate::versioned::{insert_versioned, update_versioned};
use crate::{clock, DbConn, StoreError};

diesel::table! {
    goals (id) {
        id -> BigInt,
        case_id -> BigInt,
        text -> Text,
        topic -> Text,
        target_on -> Nullable<Date>,
        status -> Text,
        created_by -> Nullable<BigInt>,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    goal_notes (id) {
        id -> BigInt,
        goal_id -> BigInt,
        noted_on -> Date,
        author_id -> Nullable<BigInt>,
        text -> Text,
        created_at -> Timestamp,
    }
}

diesel::allow_tables_to_appear_in_same_query!(goals, goal_notes);
use crate::schema::cases;
diesel::allow_tables_to_appear_in_same_query!(goals, cases);

#[derive(Queryable, Selectable)]
#[diesel(table_name = goals, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
struct GoalRow {
    id: i64,
    case_id: i64,
    text: String,
    topic: String,
    target_on: Option<NaiveDate>,
    status: String,
    created_by: Option<i64>,
    version: i32,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = goal_notes, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
struct NoteRow {
    id: i64,
    goal_id: i64,
    noted_on: NaiveDate,
    author_id: Option<i64>,
    text: String,
    created_at: NaiveDateTime,
}

/// What the case manager records about a goal.
#[derive(Debug, Clone, PartialEq)]
pub struct GoalData {
    pub text: String,
    pub topic: Topic,
    pub target_on: Option<NaiveDate>,
    pub status: GoalStatus,
}

/// A progress note: appended, never edited.
#[derive(Debug, Clone, PartialEq)]
pub struct GoalNote {
    pub id: i64,
    pub noted_on: NaiveDate,
    pub author_id: Option<i64>,
    pub text: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Goal {
    pub id: i64,
    pub case_id: i64,
    pub data: GoalData,
    /// Oldest first.
    pub notes: Vec<GoalNote>,
    pub created_by: Option<i64>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn complete(conn: &mut DbConn, rows: Vec<GoalRow>) -> StoreResult<Vec<Goal>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    // Grouped by goal in one pass (partitioning the whole list per goal was quadratic: a
    // work list over 1,329 overdue goals spent most of its time there).
    let mut notes: std::collections::HashMap<i64, Vec<NoteRow>> = std::collections::HashMap::new();
    for note in goal_notes::table
        .filter(goal_notes::goal_id.eq_any(&ids))
        .order(goal_notes::id.asc())
        .select(NoteRow::as_select())
        .load::<NoteRow>(conn)?
    {
        notes.entry(note.goal_id).or_default().push(note);
    }
    rows.into_iter()
        .map(|row| {
            let mine = notes.remove(&row.id).unwrap_or_default();
            Ok(Goal {
                id: row.id,
                case_id: row.case_id,
                data: GoalData {
                    text: row.text,
                    topic: Topic::parse(&row.topic)?,
                    target_on: row.target_on,
                    status: GoalStatus::parse(&row.status)?,
                },
                notes: mine
                    .into_iter()
                    .map(|n| GoalNote {
                        id: n.id,
                        noted_on: n.noted_on,
                        author_id: n.author_id,
                        text: n.text,
                        created_at: clock::to_utc(n.created_at),
                    })
                    .collect(),
                created_by: row.created_by,
                version: row.version,
                created_at: clock::to_utc(row.created_at),
                updated_at: clock::to_utc(row.updated_at),
            })
        })
        .collect()
}

pub fn find(conn: &mut DbConn, id: i64) -> StoreResult<Goal> {
    let row = goals::table
        .find(id)
        .select(GoalRow::as_select())
        .first(conn)?;
    complete(conn, vec![row])?.pop().ok_or(StoreError::NotFound)
}

/// The case a goal belongs to, for the access check before anything else is loaded.
pub fn case_of(conn: &mut DbConn, id: i64) -> StoreResult<i64> {
    Ok(goals::table.find(id).select(goals::case_id).first(conn)?)
}

/// The goals of a case: open ones first, then by target date (none last) and id.
pub fn of_case(conn: &mut DbConn, case_id: i64) -> StoreResult<Vec<Goal>> {
    let rows = goals::table
        .filter(goals::case_id.eq(case_id))
        .order(goals::id.asc())
        .select(GoalRow::as_select())
        .load(conn)?;
    let mut goals = complete(conn, rows)?;
    goals.sort_by_key(|g| {
        (
            g.data.status != GoalStatus::Open,
            g.data.target_on.is_none(),
            g.data.target_on,
            g.id,
        )
    });
    Ok(goals)
}

/// The open goals past their target date in the open cases `user` works (the work list's
/// `overdue_goal`): the first `window` of them, oldest target first, and how many there are
/// in all. Two queries over the goals of those cases, whatever the caseload; only the goals a
/// page can show are loaded and completed. The filter is
/// [`kim_domain::help_plan::is_overdue`] said in SQL, so the database does the narrowing.
pub fn overdue_of_assignee(
    conn: &mut DbConn,
    user: i64,
    today: NaiveDate,
    window: i64,
) -> StoreResult<(Vec<Goal>, i64)> {
    let overdue = || {
        goals::table
            .filter(goals::case_id.eq_any(crate::cases::open_of_assignee(user)))
            .filter(goals::status.eq(GoalStatus::Open.as_str()))
            .filter(goals::target_on.lt(today))
    };
    let total: i64 = overdue().count().get_result(conn)?;
    if total == 0 || window <= 0 {
        return Ok((Vec::new(), total));
    }
    let rows = overdue()
        .order((goals::target_on.asc(), goals::id.asc()))
        .limit(window)
        .select(GoalRow::as_select())
        .load(conn)?;
    Ok((complete(conn, rows)?, total))
}

/// The goals of several cases in a fixed number of queries (work lists), by id.
pub fn of_cases(conn: &mut DbConn, case_ids: &[i64]) -> StoreResult<Vec<Goal>> {
    let rows = goals::table
        .filter(goals::case_id.eq_any(case_ids))
        .order(goals::id.asc())
        .select(GoalRow::as_select())
        .load(conn)?;
    complete(conn, rows)
}

pub fn insert(
    conn: &mut DbConn,
    actor: &Actor,
    case_id: i64,
    data: &GoalData,
) -> StoreResult<Goal> {
    let now = clock::now();
    let id: i64 = insert_versioned!(
        conn,
        goals,
        (
            goals::case_id.eq(case_id),
            goals::text.eq(&data.text),
            goals::topic.eq(data.topic.as_str()),
            goals::target_on.eq(data.target_on),
            goals::status.eq(data.status.as_str()),
            goals::created_by.eq(actor.id)
        ),
        now
    )?;
    find(conn, id)
}

pub fn update(
    conn: &mut DbConn,
    id: i64,
    expected_version: i32,
    data: &GoalData,
) -> StoreResult<Goal> {
    let current = find(conn, id)?;
    expect_version(current.version, expected_version)?;
    update_versioned!(
        conn,
        goals,
        id,
        expected_version,
        (
            goals::text.eq(&data.text),
            goals::topic.eq(data.topic.as_str()),
            goals::target_on.eq(data.target_on),
            goals::status.eq(data.status.as_str())
        )
    )?;
    find(conn, id)
}

/// Appends a progress note; the goal's version moves on, so an editor holding the old version
/// sees that something changed.
pub fn add_note(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    noted_on: NaiveDate,
    text: &str,
) -> StoreResult<Goal> {
    find(conn, id)?;
    let now = clock::now();
    diesel::insert_into(goal_notes::table)
        .values((
            goal_notes::goal_id.eq(id),
            goal_notes::noted_on.eq(noted_on),
            goal_notes::author_id.eq(actor.id),
            goal_notes::text.eq(text),
            goal_notes::created_at.eq(now),
        ))
        .execute(conn)?;
    diesel::update(goals::table.filter(goals::id.eq(id)))
        .set((
            goals::version.eq(goals::version + 1),
            goals::updated_at.eq(now),
        ))
        .execute(conn)?;
    find(conn, id)
}
