//! Positions (Stellen) with their municipality shares and a dated history of every change.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use kim_domain::paging::PageRequest;
use kim_domain::reference::RhineSide;
use kim_domain::staffing::{Fte, Module, PositionFunction, StaffingPhase};
use serde::Deserialize;
use serde::Serialize;
use utoipa::IntoParams;
use utoipa::ToSchema;

use crate::audit::Actor;
use crate::connection::MultiBackend;
use crate::error::{expect_version, StoreResult};
use crate::municipalities::like_pattern;
use crate::schema::{
    lower, position_events as events, position_municipalities as shares, positions, users,
};
use crate::versioned::{insert_versioned, update_versioned};
use crate::{clock, municipalities, organisations, DbConn, Direction, Listed, StoreError};

#[derive(Queryable, Selectable)]
#[diesel(table_name = positions, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
struct PositionRow {
    id: i64,
    title: String,
    function: String,
    fte_hundredths: i64,
    funded: bool,
    employer_organisation_id: i64,
    placement_organisation_id: Option<i64>,
    rhine_side: Option<String>,
    region: Option<String>,
    thematic_focus: Option<String>,
    holder_user_id: Option<i64>,
    phase: String,
    phase_since: NaiveDate,
    version: i32,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

/// A municipality served by a position, with its share of the position's FTE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Share {
    pub municipality_id: i64,
    pub fte: Fte,
}

/// The columns of [`PositionData`], on insert and on update alike.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = positions, treat_none_as_null = true)]
struct PositionColumns<'a> {
    title: &'a str,
    module: &'static str,
    function: &'static str,
    fte_hundredths: i64,
    funded: bool,
    employer_organisation_id: i64,
    placement_organisation_id: Option<i64>,
    rhine_side: Option<&'static str>,
    region: Option<&'a str>,
    thematic_focus: Option<&'a str>,
    holder_user_id: Option<i64>,
}

impl<'a> From<&'a PositionData> for PositionColumns<'a> {
    fn from(data: &'a PositionData) -> Self {
        PositionColumns {
            title: &data.title,
            module: data.function.module().as_str(),
            function: data.function.as_str(),
            fte_hundredths: data.fte.hundredths(),
            funded: data.funded,
            employer_organisation_id: data.employer_organisation_id,
            placement_organisation_id: data.placement_organisation_id,
            rhine_side: data.rhine_side.map(|s| s.as_str()),
            region: data.region.as_deref(),
            thematic_focus: data.thematic_focus.as_deref(),
            holder_user_id: data.holder_user_id,
        }
    }
}

/// The fields a client sets on create and update.
#[derive(Debug, Clone, PartialEq)]
pub struct PositionData {
    pub title: String,
    pub function: PositionFunction,
    pub fte: Fte,
    pub funded: bool,
    pub employer_organisation_id: i64,
    pub placement_organisation_id: Option<i64>,
    pub rhine_side: Option<RhineSide>,
    pub region: Option<String>,
    pub thematic_focus: Option<String>,
    pub holder_user_id: Option<i64>,
    pub shares: Vec<Share>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Position {
    pub id: i64,
    pub data: PositionData,
    pub phase: StaffingPhase,
    pub phase_since: NaiveDate,
    /// The holder's display name (the API shows it only to those allowed to see it).
    pub holder_name: Option<String>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Position {
    pub fn module(&self) -> Module {
        self.data.function.module()
    }
}

/// One entry of a position's history.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(example = json!({"kind": "phase", "from_phase": "recruiting", "to_phase": "onboarding",
    "effective_on": "2021-04-01", "occurred_at": "2026-11-25T10:00:00Z", "actor_id": 3, "comment": "Started 1 April"}))]
pub struct PositionEvent {
    #[serde(skip)]
    pub id: i64,
    /// `created`, `updated` or `phase`.
    pub kind: String,
    pub from_phase: Option<StaffingPhase>,
    pub to_phase: Option<StaffingPhase>,
    /// When the change took effect.
    pub effective_on: NaiveDate,
    /// When it was recorded.
    pub occurred_at: DateTime<Utc>,
    /// Who recorded it (user id; absent for the demo seed).
    pub actor_id: Option<i64>,
    pub comment: Option<String>,
}

/// The staffing plan's filters, combined with AND. The API reads them from the query string of
/// `GET /positions` as they are, so their documentation is the parameters'.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PositionFilter {
    /// Case-insensitive part of the title.
    #[serde(default, deserialize_with = "crate::filter::trimmed")]
    pub q: Option<String>,
    pub module: Option<Module>,
    pub function: Option<PositionFunction>,
    pub phase: Option<StaffingPhase>,
    /// Positions serving this municipality.
    pub municipality_id: Option<i64>,
    pub rhine_side: Option<RhineSide>,
    /// Exact region.
    #[serde(default, deserialize_with = "crate::filter::trimmed")]
    pub region: Option<String>,
    /// Only positions this user holds (a case manager sees their own). Not a query parameter:
    /// the caller's role sets it.
    #[serde(skip)]
    pub holder_user_id: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PositionSort {
    Title,
    Module,
    Phase,
    CreatedAt,
}

type Boxed = positions::BoxedQuery<'static, MultiBackend>;

fn filtered(filter: &PositionFilter) -> Boxed {
    let mut query = positions::table.into_boxed::<MultiBackend>();
    if let Some(q) = &filter.q {
        query = query.filter(lower(positions::title).like(like_pattern(q)));
    }
    if let Some(module) = filter.module {
        query = query.filter(positions::module.eq(module.as_str()));
    }
    if let Some(function) = filter.function {
        query = query.filter(positions::function.eq(function.as_str()));
    }
    if let Some(phase) = filter.phase {
        query = query.filter(positions::phase.eq(phase.as_str()));
    }
    if let Some(municipality) = filter.municipality_id {
        query = query.filter(
            positions::id.eq_any(
                shares::table
                    .filter(shares::municipality_id.eq(municipality))
                    .select(shares::position_id),
            ),
        );
    }
    if let Some(side) = filter.rhine_side {
        query = query.filter(positions::rhine_side.eq(side.as_str()));
    }
    if let Some(region) = &filter.region {
        query = query.filter(positions::region.eq(region.clone()));
    }
    if let Some(holder) = filter.holder_user_id {
        query = query.filter(positions::holder_user_id.eq(holder));
    }
    query
}

pub fn list(
    conn: &mut DbConn,
    filter: &PositionFilter,
    sort: PositionSort,
    direction: Direction,
    page: PageRequest,
) -> StoreResult<Listed<Position>> {
    let total: i64 = filtered(filter).count().get_result(conn)?;
    let query = match (sort, direction) {
        (PositionSort::Title, Direction::Asc) => filtered(filter).order(positions::title.asc()),
        (PositionSort::Title, Direction::Desc) => filtered(filter).order(positions::title.desc()),
        (PositionSort::Module, Direction::Asc) => filtered(filter).order(positions::module.asc()),
        (PositionSort::Module, Direction::Desc) => filtered(filter).order(positions::module.desc()),
        (PositionSort::Phase, Direction::Asc) => filtered(filter).order(positions::phase.asc()),
        (PositionSort::Phase, Direction::Desc) => filtered(filter).order(positions::phase.desc()),
        (PositionSort::CreatedAt, Direction::Asc) => {
            filtered(filter).order(positions::created_at.asc())
        }
        (PositionSort::CreatedAt, Direction::Desc) => {
            filtered(filter).order(positions::created_at.desc())
        }
    };
    let rows: Vec<PositionRow> = query
        .then_order_by(positions::id.asc())
        .limit(page.limit)
        .offset(page.offset)
        .select(PositionRow::as_select())
        .load(conn)?;
    Ok(Listed {
        items: complete(conn, rows)?,
        total,
    })
}

/// Every position, for the funding and distribution reports.
pub fn all(conn: &mut DbConn) -> StoreResult<Vec<Position>> {
    let rows: Vec<PositionRow> = positions::table
        .order(positions::id.asc())
        .select(PositionRow::as_select())
        .load(conn)?;
    complete(conn, rows)
}

/// Adds shares and holder names to a page of rows, in two queries.
fn complete(conn: &mut DbConn, rows: Vec<PositionRow>) -> StoreResult<Vec<Position>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut by_position: HashMap<i64, Vec<Share>> = HashMap::new();
    for (position_id, municipality_id, fte) in shares::table
        .filter(shares::position_id.eq_any(&ids))
        .order((shares::position_id.asc(), shares::municipality_id.asc()))
        .select((
            shares::position_id,
            shares::municipality_id,
            shares::fte_hundredths,
        ))
        .load::<(i64, i64, i64)>(conn)?
    {
        by_position.entry(position_id).or_default().push(Share {
            municipality_id,
            fte: Fte::from_hundredths(fte),
        });
    }
    let holder_ids: Vec<i64> = rows.iter().filter_map(|r| r.holder_user_id).collect();
    let names: HashMap<i64, String> = users::table
        .filter(users::id.eq_any(&holder_ids))
        .select((users::id, users::display_name))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect();
    rows.into_iter()
        .map(|row| {
            Ok(Position {
                id: row.id,
                holder_name: row.holder_user_id.and_then(|id| names.get(&id).cloned()),
                data: PositionData {
                    title: row.title,
                    function: PositionFunction::parse(&row.function)?,
                    fte: Fte::from_hundredths(row.fte_hundredths),
                    funded: row.funded,
                    employer_organisation_id: row.employer_organisation_id,
                    placement_organisation_id: row.placement_organisation_id,
                    rhine_side: row
                        .rhine_side
                        .as_deref()
                        .map(RhineSide::parse)
                        .transpose()?,
                    region: row.region,
                    thematic_focus: row.thematic_focus,
                    holder_user_id: row.holder_user_id,
                    shares: by_position.remove(&row.id).unwrap_or_default(),
                },
                phase: StaffingPhase::parse(&row.phase)?,
                phase_since: row.phase_since,
                version: row.version,
                created_at: clock::to_utc(row.created_at),
                updated_at: clock::to_utc(row.updated_at),
            })
        })
        .collect()
}

pub fn find(conn: &mut DbConn, id: i64) -> StoreResult<Position> {
    let row: PositionRow = positions::table
        .find(id)
        .select(PositionRow::as_select())
        .first(conn)?;
    complete(conn, vec![row])?.pop().ok_or(StoreError::NotFound)
}

pub fn find_by_title(conn: &mut DbConn, title: &str) -> StoreResult<Option<Position>> {
    let id: Option<i64> = positions::table
        .filter(positions::title.eq(title))
        .select(positions::id)
        .first(conn)
        .optional()?;
    id.map(|id| find(conn, id)).transpose()
}

/// The first of `ids` that names no position, if any.
pub fn first_unknown(conn: &mut DbConn, ids: &[i64]) -> StoreResult<Option<i64>> {
    if ids.is_empty() {
        return Ok(None);
    }
    let known: Vec<i64> = positions::table
        .filter(positions::id.eq_any(ids))
        .select(positions::id)
        .load(conn)?;
    Ok(ids.iter().copied().find(|id| !known.contains(id)))
}

fn check_references(conn: &mut DbConn, data: &PositionData) -> StoreResult<()> {
    let unknown = |field: &'static str, what: &str, id: i64| StoreError::UnknownReference {
        field,
        message: format!("no {what} with id {id}"),
    };
    if !organisations::exists(conn, data.employer_organisation_id)? {
        return Err(unknown(
            "employer_organisation_id",
            "organisation",
            data.employer_organisation_id,
        ));
    }
    if let Some(id) = data.placement_organisation_id {
        if !organisations::exists(conn, id)? {
            return Err(unknown("placement_organisation_id", "organisation", id));
        }
    }
    if let Some(id) = data.holder_user_id {
        if crate::users::first_unknown(conn, &[id], crate::users::Referable::Any)?.is_some() {
            return Err(unknown("holder_user_id", "user", id));
        }
    }
    let ids: Vec<i64> = data.shares.iter().map(|s| s.municipality_id).collect();
    if let Some(id) = municipalities::first_unknown(conn, &ids)? {
        return Err(unknown("municipalities", "municipality", id));
    }
    Ok(())
}

fn replace_shares(conn: &mut DbConn, id: i64, data: &PositionData) -> StoreResult<()> {
    diesel::delete(shares::table.filter(shares::position_id.eq(id))).execute(conn)?;
    // One row per statement: batch inserts do not compile through the MultiBackend.
    for share in &data.shares {
        diesel::insert_into(shares::table)
            .values((
                shares::position_id.eq(id),
                shares::municipality_id.eq(share.municipality_id),
                shares::fte_hundredths.eq(share.fte.hundredths()),
            ))
            .execute(conn)?;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn record(
    conn: &mut DbConn,
    actor: &Actor,
    position_id: i64,
    kind: &str,
    from: Option<StaffingPhase>,
    to: Option<StaffingPhase>,
    effective_on: NaiveDate,
    comment: Option<&str>,
) -> StoreResult<()> {
    diesel::insert_into(events::table)
        .values((
            events::position_id.eq(position_id),
            events::kind.eq(kind),
            events::from_phase.eq(from.map(|p| p.as_str())),
            events::to_phase.eq(to.map(|p| p.as_str())),
            events::effective_on.eq(effective_on),
            events::occurred_at.eq(clock::now()),
            events::actor_id.eq(actor.id),
            events::comment.eq(comment),
        ))
        .execute(conn)?;
    Ok(())
}

/// Creates a position in phase `planned`, effective `planned_since`.
pub fn insert(
    conn: &mut DbConn,
    actor: &Actor,
    data: &PositionData,
    planned_since: NaiveDate,
) -> StoreResult<Position> {
    check_references(conn, data)?;
    let now = clock::now();
    let id: i64 = insert_versioned!(
        conn,
        positions,
        (
            PositionColumns::from(data),
            positions::phase.eq(StaffingPhase::Planned.as_str()),
            positions::phase_since.eq(planned_since)
        ),
        now
    )
    .map_err(|e| e.on_field("title"))?;
    replace_shares(conn, id, data)?;
    record(
        conn,
        actor,
        id,
        "created",
        None,
        Some(StaffingPhase::Planned),
        planned_since,
        None,
    )?;
    find(conn, id)
}

pub fn update(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    expected_version: i32,
    data: &PositionData,
) -> StoreResult<Position> {
    let current = find(conn, id)?;
    expect_version(current.version, expected_version)?;
    check_references(conn, data)?;
    update_versioned!(
        conn,
        positions,
        id,
        expected_version,
        PositionColumns::from(data)
    )
    .map_err(|e| e.on_field("title"))?;
    replace_shares(conn, id, data)?;
    record(
        conn,
        actor,
        id,
        "updated",
        None,
        None,
        clock::now().date(),
        None,
    )?;
    find(conn, id)
}

/// Moves a position to phase `to`, effective `effective_on`, if the state machine allows it.
/// `expected_version`: `None` only for the seed, which builds history directly.
pub fn transition(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    expected_version: Option<i32>,
    to: StaffingPhase,
    effective_on: NaiveDate,
    comment: Option<&str>,
) -> StoreResult<Position> {
    let current = find(conn, id)?;
    if let Some(expected) = expected_version {
        expect_version(current.version, expected)?;
    }
    current.phase.transition(to)?;
    if effective_on < current.phase_since {
        return Err(StoreError::Invalid {
            field: "effective_on",
            message: format!(
                "must not be before the current phase began ({})",
                current.phase_since
            ),
        });
    }
    update_versioned!(
        conn,
        positions,
        id,
        current.version,
        (
            positions::phase.eq(to.as_str()),
            positions::phase_since.eq(effective_on),
        )
    )?;
    record(
        conn,
        actor,
        id,
        "phase",
        Some(current.phase),
        Some(to),
        effective_on,
        comment,
    )?;
    find(conn, id)
}

/// The history of a position, oldest first.
pub fn history(conn: &mut DbConn, id: i64) -> StoreResult<Vec<PositionEvent>> {
    find(conn, id)?;
    type EventRow = (
        i64,
        String,
        Option<String>,
        Option<String>,
        NaiveDate,
        NaiveDateTime,
        Option<i64>,
        Option<String>,
    );
    let rows: Vec<EventRow> = events::table
        .filter(events::position_id.eq(id))
        .order(events::id.asc())
        .select((
            events::id,
            events::kind,
            events::from_phase,
            events::to_phase,
            events::effective_on,
            events::occurred_at,
            events::actor_id,
            events::comment,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(
            |(id, kind, from, to, effective_on, occurred_at, actor_id, comment)| {
                Ok(PositionEvent {
                    id,
                    kind,
                    from_phase: from.as_deref().map(StaffingPhase::parse).transpose()?,
                    to_phase: to.as_deref().map(StaffingPhase::parse).transpose()?,
                    effective_on,
                    occurred_at: clock::to_utc(occurred_at),
                    actor_id,
                    comment,
                })
            },
        )
        .collect()
}

/// Every position's phases over time, `(effective_on, phase)` oldest first, for funding.
pub fn phase_histories(
    conn: &mut DbConn,
) -> StoreResult<HashMap<i64, Vec<(NaiveDate, StaffingPhase)>>> {
    let rows: Vec<(i64, NaiveDate, Option<String>)> = events::table
        .filter(events::to_phase.is_not_null())
        .order((
            events::position_id.asc(),
            events::effective_on.asc(),
            events::id.asc(),
        ))
        .select((events::position_id, events::effective_on, events::to_phase))
        .load(conn)?;
    let mut histories: HashMap<i64, Vec<(NaiveDate, StaffingPhase)>> = HashMap::new();
    for (position_id, since, phase) in rows {
        if let Some(phase) = phase {
            histories
                .entry(position_id)
                .or_default()
                .push((since, StaffingPhase::parse(&phase)?));
        }
    }
    Ok(histories)
}
