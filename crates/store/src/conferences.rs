//! Case conferences (Fallkonferenzen): linked to a case, or anonymised (no case, only a
//! summary); participating organisations and users, outcome, follow-up tasks.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use kim_domain::reference::{normalise_set, OrganisationKind};

use crate::audit::Actor;
use crate::error::{expect_version, StoreResult};
use crate::link_sets::insert_links;
use crate::versioned::{insert_versioned, update_versioned};
use crate::{clock, organisations, DbConn, StoreError};

diesel::table! {
    conferences (id) {
        id -> BigInt,
        case_id -> Nullable<BigInt>,
        held_on -> Date,
        summary -> Nullable<Text>,
        outcome -> Nullable<Text>,
        created_by -> Nullable<BigInt>,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    conference_organisations (conference_id, organisation_id) {
        conference_id -> BigInt,
        organisation_id -> BigInt,
    }
}

diesel::table! {
    conference_users (conference_id, user_id) {
        conference_id -> BigInt,
        user_id -> BigInt,
    }
}

diesel::table! {
    conference_tasks (id) {
        id -> BigInt,
        conference_id -> BigInt,
        description -> Text,
        owner_user_id -> BigInt,
        due_on -> Date,
        done_on -> Nullable<Date>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    conferences,
    conference_organisations,
    conference_users,
    conference_tasks
);

#[derive(Queryable, Selectable)]
#[diesel(table_name = conferences, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
struct ConferenceRow {
    id: i64,
    case_id: Option<i64>,
    held_on: NaiveDate,
    summary: Option<String>,
    outcome: Option<String>,
    created_by: Option<i64>,
    version: i32,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

/// A follow-up task agreed in a conference.
#[derive(Debug, Clone, PartialEq)]
pub struct FollowUp {
    pub description: String,
    pub owner_user_id: i64,
    pub due_on: NaiveDate,
    /// When it was done; `None` while open.
    pub done_on: Option<NaiveDate>,
}

/// A task as a replacement lists it: `id` keeps an existing task of the conference, `None`
/// adds one.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskEdit {
    pub id: Option<i64>,
    pub task: FollowUp,
}

/// What a replacement changes: everything but the case and the author.
#[derive(Debug, Clone, PartialEq)]
pub struct ConferenceChanges {
    pub held_on: NaiveDate,
    pub summary: Option<String>,
    pub outcome: Option<String>,
    pub organisation_ids: Vec<i64>,
    pub user_ids: Vec<i64>,
    pub tasks: Vec<TaskEdit>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ConferenceData {
    /// `None`: anonymised.
    pub case_id: Option<i64>,
    pub held_on: NaiveDate,
    pub summary: Option<String>,
    pub outcome: Option<String>,
    pub organisation_ids: Vec<i64>,
    pub user_ids: Vec<i64>,
    pub tasks: Vec<FollowUp>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    pub id: i64,
    pub task: FollowUp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Conference {
    pub id: i64,
    pub case_id: Option<i64>,
    pub held_on: NaiveDate,
    pub summary: Option<String>,
    pub outcome: Option<String>,
    pub organisation_ids: Vec<i64>,
    pub user_ids: Vec<i64>,
    pub tasks: Vec<Task>,
    pub created_by: Option<i64>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn complete(conn: &mut DbConn, row: ConferenceRow) -> StoreResult<Conference> {
    let organisation_ids = conference_organisations::table
        .filter(conference_organisations::conference_id.eq(row.id))
        .order(conference_organisations::organisation_id.asc())
        .select(conference_organisations::organisation_id)
        .load(conn)?;
    let user_ids = conference_users::table
        .filter(conference_users::conference_id.eq(row.id))
        .order(conference_users::user_id.asc())
        .select(conference_users::user_id)
        .load(conn)?;
    let tasks = conference_tasks::table
        .filter(conference_tasks::conference_id.eq(row.id))
        .order(conference_tasks::id.asc())
        .select((
            conference_tasks::id,
            conference_tasks::description,
            conference_tasks::owner_user_id,
            conference_tasks::due_on,
            conference_tasks::done_on,
        ))
        .load::<(i64, String, i64, NaiveDate, Option<NaiveDate>)>(conn)?
        .into_iter()
        .map(|(id, description, owner_user_id, due_on, done_on)| Task {
            id,
            task: FollowUp {
                description,
                owner_user_id,
                due_on,
                done_on,
            },
        })
        .collect();
    Ok(Conference {
        id: row.id,
        case_id: row.case_id,
        held_on: row.held_on,
        summary: row.summary,
        outcome: row.outcome,
        organisation_ids,
        user_ids,
        tasks,
        created_by: row.created_by,
        version: row.version,
        created_at: clock::to_utc(row.created_at),
        updated_at: clock::to_utc(row.updated_at),
    })
}

/// The organisations taking part in a conference, with their kinds: those named, and those
/// the named users belong to. Ids that name nothing are left out (the insert refuses them).
pub fn participant_organisations(
    conn: &mut DbConn,
    organisation_ids: &[i64],
    user_ids: &[i64],
) -> StoreResult<Vec<(i64, OrganisationKind)>> {
    use crate::schema::{organisations as orgs, users};
    let of_users: Vec<Option<i64>> = users::table
        .filter(users::id.eq_any(user_ids))
        .select(users::organisation_id)
        .load(conn)?;
    let mut ids = organisation_ids.to_vec();
    ids.extend(of_users.into_iter().flatten());
    let ids = normalise_set(&ids);
    let rows: Vec<(i64, String)> = orgs::table
        .filter(orgs::id.eq_any(&ids))
        .select((orgs::id, orgs::kind))
        .load(conn)?;
    rows.into_iter()
        .map(|(id, kind)| Ok((id, OrganisationKind::parse(&kind)?)))
        .collect()
}

pub fn find(conn: &mut DbConn, id: i64) -> StoreResult<Conference> {
    let row = conferences::table
        .find(id)
        .select(ConferenceRow::as_select())
        .first(conn)?;
    complete(conn, row)
}

/// The case of a conference (`None` when anonymised), for the access check.
pub fn case_of(conn: &mut DbConn, id: i64) -> StoreResult<Option<i64>> {
    Ok(conferences::table
        .find(id)
        .select(conferences::case_id)
        .first(conn)?)
}

/// The conferences of a case, newest first.
pub fn of_case(conn: &mut DbConn, case_id: i64) -> StoreResult<Vec<Conference>> {
    let rows: Vec<ConferenceRow> = conferences::table
        .filter(conferences::case_id.eq(case_id))
        .order((conferences::held_on.desc(), conferences::id.desc()))
        .select(ConferenceRow::as_select())
        .load(conn)?;
    rows.into_iter().map(|row| complete(conn, row)).collect()
}

fn check_users(conn: &mut DbConn, field: &'static str, ids: &[i64]) -> StoreResult<()> {
    crate::users::check_references(conn, field, ids, crate::users::Referable::Active)
}

fn check_participants(
    conn: &mut DbConn,
    organisation_ids: &[i64],
    user_ids: &[i64],
    owners: &[i64],
) -> StoreResult<()> {
    for id in organisation_ids {
        if !organisations::exists(conn, *id)? {
            return Err(StoreError::unknown(
                "organisation_ids",
                format!("no organisation with id {id}"),
            ));
        }
    }
    check_users(conn, "user_ids", user_ids)?;
    check_users(conn, "tasks", &normalise_set(owners))
}

/// Writes the participants of conference `id`, replacing those it had.
fn replace_participants(
    conn: &mut DbConn,
    id: i64,
    organisation_ids: &[i64],
    user_ids: &[i64],
) -> StoreResult<()> {
    diesel::delete(
        conference_organisations::table.filter(conference_organisations::conference_id.eq(id)),
    )
    .execute(conn)?;
    diesel::delete(conference_users::table.filter(conference_users::conference_id.eq(id)))
        .execute(conn)?;
    insert_links!(
        conn,
        conference_organisations,
        conference_id = id,
        organisation_id = organisation_ids
    );
    insert_links!(
        conn,
        conference_users,
        conference_id = id,
        user_id = user_ids
    );
    Ok(())
}

fn insert_task(conn: &mut DbConn, conference_id: i64, task: &FollowUp) -> StoreResult<()> {
    diesel::insert_into(conference_tasks::table)
        .values((
            conference_tasks::conference_id.eq(conference_id),
            conference_tasks::description.eq(&task.description),
            conference_tasks::owner_user_id.eq(task.owner_user_id),
            conference_tasks::due_on.eq(task.due_on),
            conference_tasks::done_on.eq(task.done_on),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn insert(conn: &mut DbConn, actor: &Actor, data: &ConferenceData) -> StoreResult<Conference> {
    let organisation_ids = normalise_set(&data.organisation_ids);
    let user_ids = normalise_set(&data.user_ids);
    let owners: Vec<i64> = data.tasks.iter().map(|t| t.owner_user_id).collect();
    check_participants(conn, &organisation_ids, &user_ids, &owners)?;
    let now = clock::now();
    let id: i64 = insert_versioned!(
        conn,
        conferences,
        (
            conferences::case_id.eq(data.case_id),
            conferences::held_on.eq(data.held_on),
            conferences::summary.eq(data.summary.as_deref()),
            conferences::outcome.eq(data.outcome.as_deref()),
            conferences::created_by.eq(actor.id)
        ),
        now
    )?;
    replace_participants(conn, id, &organisation_ids, &user_ids)?;
    for task in &data.tasks {
        insert_task(conn, id, task)?;
    }
    find(conn, id)
}

/// Replaces what was recorded of a conference if `expected_version` is current. Tasks listed
/// with their id keep it (and are changed); tasks left out are removed; tasks without id are
/// added. An id that is not a task of this conference is refused.
pub fn update(
    conn: &mut DbConn,
    id: i64,
    expected_version: i32,
    changes: &ConferenceChanges,
) -> StoreResult<Conference> {
    let current = find(conn, id)?;
    expect_version(current.version, expected_version)?;
    let existing: Vec<i64> = current.tasks.iter().map(|t| t.id).collect();
    for (index, edit) in changes.tasks.iter().enumerate() {
        if let Some(task_id) = edit.id {
            if !existing.contains(&task_id) {
                return Err(StoreError::unknown(
                    "tasks",
                    format!("tasks[{index}].id {task_id} is not a task of this conference"),
                ));
            }
        }
    }
    let organisation_ids = normalise_set(&changes.organisation_ids);
    let user_ids = normalise_set(&changes.user_ids);
    let owners: Vec<i64> = changes.tasks.iter().map(|t| t.task.owner_user_id).collect();
    check_participants(conn, &organisation_ids, &user_ids, &owners)?;
    update_versioned!(
        conn,
        conferences,
        id,
        expected_version,
        (
            conferences::held_on.eq(changes.held_on),
            conferences::summary.eq(changes.summary.as_deref()),
            conferences::outcome.eq(changes.outcome.as_deref())
        )
    )?;
    replace_participants(conn, id, &organisation_ids, &user_ids)?;
    let kept: Vec<i64> = changes.tasks.iter().filter_map(|t| t.id).collect();
    diesel::delete(
        conference_tasks::table
            .filter(conference_tasks::conference_id.eq(id))
            .filter(conference_tasks::id.ne_all(&kept)),
    )
    .execute(conn)?;
    for edit in &changes.tasks {
        match edit.id {
            Some(task_id) => {
                diesel::update(conference_tasks::table.filter(conference_tasks::id.eq(task_id)))
                    .set((
                        conference_tasks::description.eq(&edit.task.description),
                        conference_tasks::owner_user_id.eq(edit.task.owner_user_id),
                        conference_tasks::due_on.eq(edit.task.due_on),
                        conference_tasks::done_on.eq(edit.task.done_on),
                    ))
                    .execute(conn)?;
            }
            None => insert_task(conn, id, &edit.task)?,
        }
    }
    find(conn, id)
}

/// One task of a conference; `NotFound` when the conference has no such task.
pub fn task(conn: &mut DbConn, conference_id: i64, task_id: i64) -> StoreResult<Task> {
    find(conn, conference_id)?
        .tasks
        .into_iter()
        .find(|t| t.id == task_id)
        .ok_or(StoreError::NotFound)
}

/// Marks an open task done on `done_on`; the conference's version moves on. A task already
/// done is a conflict, so that two people ticking it off learn of each other.
pub fn complete_task(
    conn: &mut DbConn,
    conference_id: i64,
    task_id: i64,
    done_on: NaiveDate,
) -> StoreResult<Task> {
    let changed = diesel::update(
        conference_tasks::table
            .filter(conference_tasks::id.eq(task_id))
            .filter(conference_tasks::conference_id.eq(conference_id))
            .filter(conference_tasks::done_on.is_null()),
    )
    .set(conference_tasks::done_on.eq(done_on))
    .execute(conn)?;
    if changed == 0 {
        let existing = task(conn, conference_id, task_id)?;
        return Err(StoreError::Conflict(format!(
            "the task was already done on {}",
            existing.task.done_on.unwrap_or(done_on)
        )));
    }
    diesel::update(conferences::table.filter(conferences::id.eq(conference_id)))
        .set((
            conferences::version.eq(conferences::version + 1),
            conferences::updated_at.eq(clock::now()),
        ))
        .execute(conn)?;
    task(conn, conference_id, task_id)
}

/// A follow-up task with where it comes from: `(conference id, case id, description, due on)`.
pub type DueTask = (i64, Option<i64>, String, NaiveDate);

/// Open follow-up tasks owned by `user_id` that are due on or before `until`: the first
/// `window`, oldest due first, and how many there are in all. Three queries.
pub fn tasks_due(
    conn: &mut DbConn,
    user_id: i64,
    until: NaiveDate,
    window: i64,
) -> StoreResult<(Vec<DueTask>, i64)> {
    let due = || {
        conference_tasks::table
            .filter(conference_tasks::owner_user_id.eq(user_id))
            .filter(conference_tasks::done_on.is_null())
            .filter(conference_tasks::due_on.le(until))
    };
    let total: i64 = due().count().get_result(conn)?;
    if total == 0 || window <= 0 {
        return Ok((Vec::new(), total));
    }
    let tasks: Vec<(i64, String, NaiveDate)> = due()
        .order((
            conference_tasks::due_on.asc(),
            conference_tasks::conference_id.asc(),
            conference_tasks::id.asc(),
        ))
        .limit(window)
        .select((
            conference_tasks::conference_id,
            conference_tasks::description,
            conference_tasks::due_on,
        ))
        .load(conn)?;
    let ids: Vec<i64> = tasks.iter().map(|t| t.0).collect();
    let cases: std::collections::HashMap<i64, Option<i64>> = conferences::table
        .filter(conferences::id.eq_any(&ids))
        .select((conferences::id, conferences::case_id))
        .load::<(i64, Option<i64>)>(conn)?
        .into_iter()
        .collect();
    let tasks = tasks
        .into_iter()
        .map(|(conference, description, due)| {
            (
                conference,
                cases.get(&conference).copied().flatten(),
                description,
                due,
            )
        })
        .collect();
    Ok((tasks, total))
}
