//! Roadmap items (Maßnahmen der Planung) of the four workstreams, with their dependencies on
//! one another. The tables live here, next to their only queries.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use kim_domain::reference::normalise_set;
use kim_domain::roadmap::{self as rules, RoadmapStatus, Workstream};

use crate::connection::MultiBackend;
use crate::error::{expect_version, StoreResult};
use crate::link_sets::{insert_links, load_links};
use crate::versioned::{delete_versioned, insert_versioned, update_versioned};
use crate::{clock, organisations, users, DbConn, StoreError};

diesel::table! {
    roadmap_items (id) {
        id -> BigInt,
        workstream -> Text,
        title -> Text,
        description -> Nullable<Text>,
        planned_start -> Date,
        planned_end -> Date,
        status -> Text,
        responsible_organisation_id -> Nullable<BigInt>,
        responsible_user_id -> Nullable<BigInt>,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    roadmap_item_dependencies (item_id, depends_on_id) {
        item_id -> BigInt,
        depends_on_id -> BigInt,
    }
}

diesel::allow_tables_to_appear_in_same_query!(roadmap_items, roadmap_item_dependencies);

use roadmap_item_dependencies as deps;

#[derive(Queryable, Selectable)]
#[diesel(table_name = roadmap_items, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
struct ItemRow {
    id: i64,
    workstream: String,
    title: String,
    description: Option<String>,
    planned_start: NaiveDate,
    planned_end: NaiveDate,
    status: String,
    responsible_organisation_id: Option<i64>,
    responsible_user_id: Option<i64>,
    version: i32,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RoadmapItem {
    pub id: i64,
    pub data: RoadmapItemData,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What a client sets on an item. The caller has checked the period (end not before start).
#[derive(Debug, Clone, PartialEq)]
pub struct RoadmapItemData {
    pub workstream: Workstream,
    pub title: String,
    pub description: Option<String>,
    pub planned_start: NaiveDate,
    pub planned_end: NaiveDate,
    pub status: RoadmapStatus,
    /// Items this one depends on; stored as a set, answered sorted.
    pub depends_on: Vec<i64>,
    pub responsible_organisation_id: Option<i64>,
    pub responsible_user_id: Option<i64>,
}

#[derive(Insertable, AsChangeset)]
#[diesel(table_name = roadmap_items, treat_none_as_null = true)]
struct ItemColumns<'a> {
    workstream: &'a str,
    title: &'a str,
    description: Option<&'a str>,
    planned_start: NaiveDate,
    planned_end: NaiveDate,
    status: &'a str,
    responsible_organisation_id: Option<i64>,
    responsible_user_id: Option<i64>,
}

impl<'a> From<&'a RoadmapItemData> for ItemColumns<'a> {
    fn from(d: &'a RoadmapItemData) -> Self {
        ItemColumns {
            workstream: d.workstream.as_str(),
            title: &d.title,
            description: d.description.as_deref(),
            planned_start: d.planned_start,
            planned_end: d.planned_end,
            status: d.status.as_str(),
            responsible_organisation_id: d.responsible_organisation_id,
            responsible_user_id: d.responsible_user_id,
        }
    }
}

#[derive(Debug, Clone, Copy, Default)]
pub struct RoadmapFilter {
    pub workstream: Option<Workstream>,
    /// The recorded status (not the computed delay).
    pub status: Option<RoadmapStatus>,
}

type Boxed = roadmap_items::BoxedQuery<'static, MultiBackend>;

fn filtered(filter: &RoadmapFilter) -> Boxed {
    let mut query = roadmap_items::table.into_boxed::<MultiBackend>();
    if let Some(workstream) = filter.workstream {
        query = query.filter(roadmap_items::workstream.eq(workstream.as_str()));
    }
    if let Some(status) = filter.status {
        query = query.filter(roadmap_items::status.eq(status.as_str()));
    }
    query
}

/// Every matching item in Gantt order: workstream (cross-module, module 1, 2, 3; their text
/// sorts that way), planned start, id.
pub fn list(conn: &mut DbConn, filter: &RoadmapFilter) -> StoreResult<Vec<RoadmapItem>> {
    let rows: Vec<ItemRow> = filtered(filter)
        .order((
            roadmap_items::workstream.asc(),
            roadmap_items::planned_start.asc(),
            roadmap_items::id.asc(),
        ))
        .select(ItemRow::as_select())
        .load(conn)?;
    with_dependencies(conn, rows)
}

/// The items delayed as of `today` (see [`rules::is_delayed`]), ordered by planned end, then
/// in Gantt order.
pub fn delayed(conn: &mut DbConn, today: NaiveDate) -> StoreResult<Vec<RoadmapItem>> {
    let mut items: Vec<RoadmapItem> = list(conn, &RoadmapFilter::default())?
        .into_iter()
        .filter(|item| rules::is_delayed(item.data.status, item.data.planned_end, today))
        .collect();
    // Stable: items ending the same day keep their Gantt order.
    items.sort_by_key(|item| item.data.planned_end);
    Ok(items)
}

/// Loads the dependencies of `rows` in one query.
fn with_dependencies(conn: &mut DbConn, rows: Vec<ItemRow>) -> StoreResult<Vec<RoadmapItem>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut depends = load_links!(conn, deps, item_id = &ids, depends_on_id: i64);
    rows.into_iter()
        .map(|row| {
            Ok(RoadmapItem {
                id: row.id,
                data: RoadmapItemData {
                    workstream: Workstream::parse(&row.workstream)?,
                    title: row.title,
                    description: row.description,
                    planned_start: row.planned_start,
                    planned_end: row.planned_end,
                    status: RoadmapStatus::parse(&row.status)?,
                    depends_on: normalise_set(&depends.remove(&row.id).unwrap_or_default()),
                    responsible_organisation_id: row.responsible_organisation_id,
                    responsible_user_id: row.responsible_user_id,
                },
                version: row.version,
                created_at: clock::to_utc(row.created_at),
                updated_at: clock::to_utc(row.updated_at),
            })
        })
        .collect()
}

pub fn find(conn: &mut DbConn, id: i64) -> StoreResult<RoadmapItem> {
    let row = roadmap_items::table
        .find(id)
        .select(ItemRow::as_select())
        .first(conn)?;
    with_dependencies(conn, vec![row])?
        .pop()
        .ok_or(StoreError::NotFound)
}

/// The item of `workstream` titled `title` (titles are unique per workstream).
pub fn find_by_title(
    conn: &mut DbConn,
    workstream: Workstream,
    title: &str,
) -> StoreResult<Option<RoadmapItem>> {
    let id: Option<i64> = roadmap_items::table
        .filter(roadmap_items::workstream.eq(workstream.as_str()))
        .filter(roadmap_items::title.eq(title))
        .select(roadmap_items::id)
        .first(conn)
        .optional()?;
    id.map(|id| find(conn, id)).transpose()
}

/// Checks that the responsible organisation and user and every dependency exist, so that the
/// client learns which field names something unknown.
fn check_references(conn: &mut DbConn, data: &RoadmapItemData) -> StoreResult<()> {
    if let Some(id) = data.responsible_organisation_id {
        if !organisations::exists(conn, id)? {
            return Err(StoreError::unknown(
                "responsible_organisation_id",
                format!("no organisation with id {id}"),
            ));
        }
    }
    if let Some(id) = data.responsible_user_id {
        match users::find(conn, id) {
            Ok(_) => {}
            Err(StoreError::NotFound) => {
                return Err(StoreError::unknown(
                    "responsible_user_id",
                    format!("no user with id {id}"),
                ))
            }
            Err(other) => return Err(other),
        }
    }
    let wanted = normalise_set(&data.depends_on);
    let found: Vec<i64> = roadmap_items::table
        .filter(roadmap_items::id.eq_any(&wanted))
        .select(roadmap_items::id)
        .load(conn)?;
    let unknown: Vec<String> = wanted
        .iter()
        .filter(|id| !found.contains(id))
        .map(|id| id.to_string())
        .collect();
    if !unknown.is_empty() {
        return Err(StoreError::unknown(
            "depends_on",
            format!("no roadmap item with id {}", unknown.join(", ")),
        ));
    }
    Ok(())
}

/// Refuses dependencies that would make `id` depend on itself, directly or through others.
fn check_acyclic(conn: &mut DbConn, id: i64, depends_on: &[i64]) -> StoreResult<()> {
    // Two concurrent updates could each add half of a cycle under PostgreSQL's read committed;
    // this lock serialises changes of the dependency graph (SQLite writes are serial already).
    if matches!(conn, DbConn::Postgres(_)) {
        diesel::sql_query("LOCK TABLE roadmap_item_dependencies IN SHARE ROW EXCLUSIVE MODE")
            .execute(conn)?;
    }
    let mut graph: HashMap<i64, Vec<i64>> = HashMap::new();
    for (item, on) in deps::table
        .select((deps::item_id, deps::depends_on_id))
        .load::<(i64, i64)>(conn)?
    {
        graph.entry(item).or_default().push(on);
    }
    rules::check_dependencies(id, depends_on, &graph).map_err(|refused| StoreError::Invalid {
        field: "depends_on",
        message: refused.to_string(),
    })
}

fn replace_dependencies(conn: &mut DbConn, id: i64, depends_on: &[i64]) -> StoreResult<()> {
    diesel::delete(deps::table.filter(deps::item_id.eq(id))).execute(conn)?;
    insert_links!(conn, deps, item_id = id, depends_on_id = depends_on);
    Ok(())
}

pub fn insert(conn: &mut DbConn, data: &RoadmapItemData) -> StoreResult<RoadmapItem> {
    rules::check_room(roadmap_items::table.count().get_result(conn)?)?;
    check_references(conn, data)?;
    // A new item cannot close a cycle: nothing depends on it yet.
    let now = clock::now();
    let id: i64 = insert_versioned!(conn, roadmap_items, ItemColumns::from(data), now)
        .map_err(|e| e.on_field("title"))?;
    replace_dependencies(conn, id, &data.depends_on)?;
    find(conn, id)
}

pub fn update(
    conn: &mut DbConn,
    id: i64,
    expected_version: i32,
    data: &RoadmapItemData,
) -> StoreResult<RoadmapItem> {
    let current = find(conn, id)?;
    expect_version(current.version, expected_version)?;
    check_references(conn, data)?;
    check_acyclic(conn, id, &data.depends_on)?;
    update_versioned!(
        conn,
        roadmap_items,
        id,
        expected_version,
        ItemColumns::from(data)
    )
    .map_err(|e| e.on_field("title"))?;
    replace_dependencies(conn, id, &data.depends_on)?;
    find(conn, id)
}

/// Deletes an item no other item depends on (409 naming the dependents otherwise).
pub fn delete(conn: &mut DbConn, id: i64, expected_version: i32) -> StoreResult<()> {
    let current = find(conn, id)?;
    expect_version(current.version, expected_version)?;
    let dependents: Vec<i64> = deps::table
        .filter(deps::depends_on_id.eq(id))
        .select(deps::item_id)
        .order(deps::item_id.asc())
        .load(conn)?;
    rules::check_deletable(&dependents)?;
    delete_versioned!(conn, roadmap_items, id, expected_version)?;
    Ok(())
}
