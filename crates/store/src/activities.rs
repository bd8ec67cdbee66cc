//! Public relations and reports to bodies (Öffentlichkeitsarbeit, Berichte an Gremien), with the
//! gaps and decisions they use. Whether a linked result's publicity allows the activity is
//! `kim_domain::activity`'s rule; here it is applied to what the gap process decided.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};
use kim_domain::activity::ActivityKind;
use kim_domain::gap::Publicity;
use kim_domain::paging::PageRequest;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::connection::MultiBackend;
use crate::error::StoreResult;
use crate::link_sets::{insert_links, load_links};
use crate::versioned::{delete_versioned, insert_versioned, update_versioned};
use crate::{bodies, clock, DbConn, Listed, StoreError};

use self::schema::{activities, activity_decisions, activity_gaps};

/// The tables of this module, written by hand to match `migrations/*/…_programme_records`.
mod schema {
    diesel::table! {
        activities (id) {
            id -> BigInt,
            kind -> Text,
            title -> Text,
            held_on -> Date,
            audience -> Nullable<Text>,
            body_id -> Nullable<BigInt>,
            committee -> Nullable<Text>,
            version -> Integer,
            created_at -> Timestamp,
            updated_at -> Timestamp,
        }
    }

    diesel::table! {
        activity_gaps (activity_id, gap_id) {
            activity_id -> BigInt,
            gap_id -> BigInt,
        }
    }

    diesel::table! {
        activity_decisions (activity_id, decision_id) {
            activity_id -> BigInt,
            decision_id -> BigInt,
        }
    }

    diesel::allow_tables_to_appear_in_same_query!(activities, activity_gaps, activity_decisions);
}

/// The fields of an activity a client sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityData {
    pub kind: ActivityKind,
    pub title: String,
    pub held_on: NaiveDate,
    pub audience: Option<String>,
    pub body_id: Option<i64>,
    pub committee: Option<String>,
    /// Distinct, ascending.
    pub gap_ids: Vec<i64>,
    /// Distinct, ascending.
    pub decision_ids: Vec<i64>,
}

/// Aktivität der Öffentlichkeitsarbeit oder Bericht an ein Gremium.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 4, "kind": "committee_report", "title": "KIM-Zwischenbericht im Sozialausschuss",
    "held_on": "2021-11-18", "audience": "Ausschuss für Soziales, Integration und Gleichstellung",
    "body_id": 6, "committee": null, "gap_ids": [2], "decision_ids": [],
    "version": 1, "created_at": "2026-11-30T07:00:00Z", "updated_at": "2026-11-30T07:00:00Z"
}))]
pub struct Activity {
    pub id: i64,
    pub kind: ActivityKind,
    pub title: String,
    pub held_on: NaiveDate,
    /// Who was reached, e.g. "Presse", "Fachöffentlichkeit", "Bürgermeister:innen".
    pub audience: Option<String>,
    /// The body reported to, when it is one of KIM's bodies (e.g. a `political_committee`).
    pub body_id: Option<i64>,
    /// The committee or round by name, when it is not a body of KIM.
    pub committee: Option<String>,
    /// Gaps whose results the activity uses.
    pub gap_ids: Vec<i64>,
    /// Decisions the activity reports.
    pub decision_ids: Vec<i64>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = activities, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
struct ActivityRow {
    id: i64,
    kind: String,
    title: String,
    held_on: NaiveDate,
    audience: Option<String>,
    body_id: Option<i64>,
    committee: Option<String>,
    version: i32,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

/// Filters of the list; all optional, combined with AND.
/// The API reads them from the query string as they are, so their documentation is the
/// parameters'.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActivityFilter {
    pub kind: Option<ActivityKind>,
    /// Held in this year.
    #[param(minimum = 1990, maximum = 2100)]
    pub year: Option<i32>,
    pub body_id: Option<i64>,
}

fn complete(conn: &mut DbConn, rows: Vec<ActivityRow>) -> StoreResult<Vec<Activity>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut gaps = load_links!(conn, activity_gaps, activity_id = &ids, gap_id: i64);
    let mut decisions = load_links!(conn, activity_decisions, activity_id = &ids, decision_id: i64);
    rows.into_iter()
        .map(|row| {
            Ok(Activity {
                id: row.id,
                kind: ActivityKind::parse(&row.kind)?,
                title: row.title,
                held_on: row.held_on,
                audience: row.audience,
                body_id: row.body_id,
                committee: row.committee,
                gap_ids: gaps.remove(&row.id).unwrap_or_default(),
                decision_ids: decisions.remove(&row.id).unwrap_or_default(),
                version: row.version,
                created_at: clock::to_utc(row.created_at),
                updated_at: clock::to_utc(row.updated_at),
            })
        })
        .collect()
}

fn filtered(filter: &ActivityFilter) -> activities::BoxedQuery<'static, MultiBackend> {
    let mut query = activities::table.into_boxed::<MultiBackend>();
    if let Some(kind) = filter.kind {
        query = query.filter(activities::kind.eq(kind.as_str()));
    }
    if let Some(year) = filter.year {
        if let (Some(from), Some(to)) = (
            NaiveDate::from_ymd_opt(year, 1, 1),
            NaiveDate::from_ymd_opt(year, 12, 31),
        ) {
            query = query.filter(activities::held_on.between(from, to));
        }
    }
    if let Some(body) = filter.body_id {
        query = query.filter(activities::body_id.eq(body));
    }
    query
}

/// Activities by date, newest first.
pub fn list(
    conn: &mut DbConn,
    filter: &ActivityFilter,
    page: PageRequest,
) -> StoreResult<Listed<Activity>> {
    let total: i64 = filtered(filter).count().get_result(conn)?;
    let rows: Vec<ActivityRow> = filtered(filter)
        .order((activities::held_on.desc(), activities::id.desc()))
        .limit(page.limit)
        .offset(page.offset)
        .select(ActivityRow::as_select())
        .load(conn)?;
    Ok(Listed {
        items: complete(conn, rows)?,
        total,
    })
}

pub fn find(conn: &mut DbConn, id: i64) -> StoreResult<Activity> {
    let row: ActivityRow = activities::table
        .find(id)
        .select(ActivityRow::as_select())
        .first(conn)?;
    complete(conn, vec![row])?.pop().ok_or(StoreError::NotFound)
}

pub fn find_by_title(conn: &mut DbConn, title: &str) -> StoreResult<Option<Activity>> {
    let id: Option<i64> = activities::table
        .filter(activities::title.eq(title))
        .select(activities::id)
        .first(conn)
        .optional()?;
    id.map(|id| find(conn, id)).transpose()
}

#[derive(QueryableByName)]
struct Decided {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Nullable<Text>)]
    publicity: Option<String>,
    #[diesel(sql_type = BigInt)]
    linked_gap: i64,
}

fn id_list(ids: &[i64]) -> String {
    ids.iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Checks the body and the linked results: each must exist (422 `reference`) and its gap's
/// publicity must allow the kind (422 `rule`). A decision without a gap (a free decision of a
/// body) carries no publicity restriction.
fn check_links(conn: &mut DbConn, data: &ActivityData) -> StoreResult<()> {
    if let Some(body) = data.body_id {
        if bodies::kinds(conn, &[body])?.is_empty() {
            return Err(StoreError::unknown(
                "body_id",
                format!("no body with id {body}"),
            ));
        }
    }
    let publicity = |raw: Option<String>| raw.as_deref().map(Publicity::parse).transpose();
    if !data.gap_ids.is_empty() {
        let found: Vec<Decided> = diesel::sql_query(format!(
            "SELECT id, publicity, CAST(1 AS BIGINT) AS linked_gap FROM gaps WHERE id IN ({})",
            id_list(&data.gap_ids)
        ))
        .load(conn)?;
        for id in &data.gap_ids {
            let Some(gap) = found.iter().find(|g| g.id == *id) else {
                return Err(StoreError::unknown(
                    "gap_ids",
                    format!("no gap with id {id}"),
                ));
            };
            data.kind
                .may_use(publicity(gap.publicity.clone())?)
                .map_err(|m| StoreError::Invalid {
                    field: "gap_ids",
                    message: format!("gap {id}: {m}"),
                })?;
        }
    }
    if !data.decision_ids.is_empty() {
        let found: Vec<Decided> = diesel::sql_query(format!(
            "SELECT d.id AS id, g.publicity AS publicity, \
             CAST(CASE WHEN d.gap_id IS NULL THEN 0 ELSE 1 END AS BIGINT) AS linked_gap \
             FROM decisions d LEFT JOIN gaps g ON g.id = d.gap_id WHERE d.id IN ({})",
            id_list(&data.decision_ids)
        ))
        .load(conn)?;
        for id in &data.decision_ids {
            let Some(decision) = found.iter().find(|d| d.id == *id) else {
                return Err(StoreError::unknown(
                    "decision_ids",
                    format!("no decision with id {id}"),
                ));
            };
            if decision.linked_gap == 1 {
                data.kind
                    .may_use(publicity(decision.publicity.clone())?)
                    .map_err(|m| StoreError::Invalid {
                        field: "decision_ids",
                        message: format!("decision {id}: {m}"),
                    })?;
            }
        }
    }
    Ok(())
}

fn replace_links(conn: &mut DbConn, id: i64, data: &ActivityData) -> StoreResult<()> {
    diesel::delete(activity_gaps::table.filter(activity_gaps::activity_id.eq(id))).execute(conn)?;
    diesel::delete(activity_decisions::table.filter(activity_decisions::activity_id.eq(id)))
        .execute(conn)?;
    insert_links!(
        conn,
        activity_gaps,
        activity_id = id,
        gap_id = &data.gap_ids
    );
    insert_links!(
        conn,
        activity_decisions,
        activity_id = id,
        decision_id = &data.decision_ids
    );
    Ok(())
}

/// The columns of [`ActivityData`], on insert and on update alike (the links are tables).
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = activities, treat_none_as_null = true)]
struct ActivityColumns<'a> {
    kind: &'static str,
    title: &'a str,
    held_on: NaiveDate,
    audience: Option<&'a str>,
    body_id: Option<i64>,
    committee: Option<&'a str>,
}

impl<'a> From<&'a ActivityData> for ActivityColumns<'a> {
    fn from(data: &'a ActivityData) -> Self {
        ActivityColumns {
            kind: data.kind.as_str(),
            title: &data.title,
            held_on: data.held_on,
            audience: data.audience.as_deref(),
            body_id: data.body_id,
            committee: data.committee.as_deref(),
        }
    }
}

pub fn insert(conn: &mut DbConn, data: &ActivityData) -> StoreResult<Activity> {
    check_links(conn, data)?;
    let now = clock::now();
    let id: i64 = insert_versioned!(conn, activities, ActivityColumns::from(data), now)?;
    replace_links(conn, id, data)?;
    find(conn, id)
}

pub fn update(
    conn: &mut DbConn,
    id: i64,
    expected_version: i32,
    data: &ActivityData,
) -> StoreResult<Activity> {
    find(conn, id)?;
    check_links(conn, data)?;
    update_versioned!(
        conn,
        activities,
        id,
        expected_version,
        ActivityColumns::from(data)
    )?;
    replace_links(conn, id, data)?;
    find(conn, id)
}

pub fn delete(conn: &mut DbConn, id: i64, expected_version: i32) -> StoreResult<()> {
    find(conn, id)?;
    delete_versioned!(conn, activities, id, expected_version)
}

#[derive(QueryableByName)]
struct PerKindAndMonth {
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Text)]
    month: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Activities held in `year`, counted per kind and month (`YYYY-MM`) in one aggregate query;
/// the caller folds months into quarters.
pub fn counts_in_year(conn: &mut DbConn, year: i32) -> StoreResult<Vec<(ActivityKind, u32, u64)>> {
    let (Some(from), Some(until)) = (
        NaiveDate::from_ymd_opt(year, 1, 1),
        NaiveDate::from_ymd_opt(year + 1, 1, 1),
    ) else {
        return Ok(Vec::new());
    };
    let month = match conn {
        DbConn::Postgres(_) => "to_char(held_on, 'MM')",
        DbConn::Sqlite(_) => "strftime('%m', held_on)",
    };
    let rows: Vec<PerKindAndMonth> = diesel::sql_query(format!(
        "SELECT kind, CAST({month} AS TEXT) AS month, CAST(COUNT(*) AS BIGINT) AS n \
         FROM activities WHERE held_on >= '{}' AND held_on < '{}' GROUP BY 1, 2",
        from.format("%Y-%m-%d"),
        until.format("%Y-%m-%d")
    ))
    .load(conn)?;
    rows.into_iter()
        .map(|r| {
            Ok((
                ActivityKind::parse(&r.kind)?,
                r.month.parse::<u32>().unwrap_or(1),
                u64::try_from(r.n).unwrap_or(0),
            ))
        })
        .collect()
}
