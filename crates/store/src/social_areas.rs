//! Social areas (Sozialräume): a name, the municipalities or named parts of them the area covers
//! (a place in one area at most: 409), and the positions that serve it. The rules on parts are
//! `kim_domain::social_area`'s.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use kim_domain::paging::PageRequest;
use kim_domain::social_area::{first_overlap, AreaPart};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::StoreResult;
use crate::link_sets::{insert_links, load_links};
use crate::schema::{municipalities, positions};
use crate::versioned::{delete_versioned, insert_versioned, update_versioned};
use crate::{clock, DbConn, Listed, StoreError};

use self::schema::{position_social_areas as psa, social_area_parts as sap, social_areas as sa};

/// The tables of this module, written by hand to match `migrations/*/…_social_areas`.
mod schema {
    diesel::table! {
        social_areas (id) {
            id -> BigInt,
            name -> Text,
            description -> Nullable<Text>,
            version -> Integer,
            created_at -> Timestamp,
            updated_at -> Timestamp,
        }
    }
    diesel::table! {
        social_area_parts (social_area_id, municipality_id, district) {
            social_area_id -> BigInt,
            municipality_id -> BigInt,
            district -> Text,
        }
    }
    diesel::table! {
        position_social_areas (position_id, social_area_id) {
            position_id -> BigInt,
            social_area_id -> BigInt,
        }
    }
}

/// The fields a client sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AreaData {
    pub name: String,
    pub description: Option<String>,
    /// Normalised by `kim_domain::social_area::check_parts`.
    pub parts: Vec<AreaPart>,
    /// The positions serving the area, sorted, no duplicates.
    pub position_ids: Vec<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SocialArea {
    pub id: i64,
    pub data: AreaData,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = sa, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
struct Row {
    id: i64,
    name: String,
    description: Option<String>,
    version: i32,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

/// '' stands for the whole municipality in the table (a key column cannot be NULL).
fn district_column(part: &AreaPart) -> &str {
    part.district.as_deref().unwrap_or("")
}

fn assembled(conn: &mut DbConn, rows: Vec<Row>) -> StoreResult<Vec<SocialArea>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut parts: BTreeMap<i64, Vec<AreaPart>> = BTreeMap::new();
    for (area, municipality_id, district) in sap::table
        .filter(sap::social_area_id.eq_any(&ids))
        .order((sap::municipality_id.asc(), sap::district.asc()))
        .select((sap::social_area_id, sap::municipality_id, sap::district))
        .load::<(i64, i64, String)>(conn)?
    {
        parts.entry(area).or_default().push(AreaPart {
            municipality_id,
            district: Some(district).filter(|d| !d.is_empty()),
        });
    }
    let mut served = load_links!(conn, psa, social_area_id = &ids, position_id: i64);
    Ok(rows
        .into_iter()
        .map(|r| SocialArea {
            id: r.id,
            data: AreaData {
                name: r.name,
                description: r.description,
                parts: parts.remove(&r.id).unwrap_or_default(),
                position_ids: served.remove(&r.id).unwrap_or_default(),
            },
            version: r.version,
            created_at: clock::to_utc(r.created_at),
            updated_at: clock::to_utc(r.updated_at),
        })
        .collect())
}

/// Filters of the list; all optional, combined with AND.
/// The API reads them from the query string as they are, so their documentation is the
/// parameters'.
#[derive(Debug, Clone, Copy, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AreaFilter {
    /// Areas covering this municipality, whole or in part.
    pub municipality_id: Option<i64>,
    /// Areas this position serves.
    pub position_id: Option<i64>,
}

/// The ids the filter allows (`None`: every area).
fn allowed(conn: &mut DbConn, filter: AreaFilter) -> StoreResult<Option<Vec<i64>>> {
    let mut allowed: Option<Vec<i64>> = None;
    if let Some(municipality) = filter.municipality_id {
        let ids: Vec<i64> = sap::table
            .filter(sap::municipality_id.eq(municipality))
            .select(sap::social_area_id)
            .load(conn)?;
        allowed = Some(ids);
    }
    if let Some(position) = filter.position_id {
        let ids: Vec<i64> = psa::table
            .filter(psa::position_id.eq(position))
            .select(psa::social_area_id)
            .load(conn)?;
        allowed = Some(match allowed {
            Some(before) => before.into_iter().filter(|i| ids.contains(i)).collect(),
            None => ids,
        });
    }
    Ok(allowed)
}

fn filtered(
    allowed: &Option<Vec<i64>>,
) -> sa::BoxedQuery<'static, crate::connection::MultiBackend> {
    let mut query = sa::table.into_boxed();
    if let Some(ids) = allowed {
        query = query.filter(sa::id.eq_any(ids.clone()));
    }
    query
}

/// Areas by name.
pub fn list(
    conn: &mut DbConn,
    filter: AreaFilter,
    page: PageRequest,
) -> StoreResult<Listed<SocialArea>> {
    let allowed = allowed(conn, filter)?;
    let total: i64 = filtered(&allowed).count().get_result(conn)?;
    let rows: Vec<Row> = filtered(&allowed)
        .order((sa::name.asc(), sa::id.asc()))
        .limit(page.limit)
        .offset(page.offset)
        .select(Row::as_select())
        .load(conn)?;
    Ok(Listed {
        items: assembled(conn, rows)?,
        total,
    })
}

/// Every area, for reports.
pub fn all(conn: &mut DbConn) -> StoreResult<Vec<SocialArea>> {
    let rows: Vec<Row> = sa::table
        .order(sa::id.asc())
        .select(Row::as_select())
        .load(conn)?;
    assembled(conn, rows)
}

pub fn find(conn: &mut DbConn, id: i64) -> StoreResult<SocialArea> {
    let row: Row = sa::table.find(id).select(Row::as_select()).first(conn)?;
    assembled(conn, vec![row])?
        .pop()
        .ok_or(StoreError::NotFound)
}

/// The municipalities and positions must exist (422 naming `parts` or `position_ids`); no place
/// may belong to another area (409 naming it).
fn check_references(conn: &mut DbConn, own: Option<i64>, data: &AreaData) -> StoreResult<()> {
    let mut named: Vec<i64> = data.parts.iter().map(|p| p.municipality_id).collect();
    named.sort_unstable();
    named.dedup();
    let known: Vec<i64> = municipalities::table
        .filter(municipalities::id.eq_any(&named))
        .select(municipalities::id)
        .load(conn)?;
    if let Some(unknown) = named.iter().find(|m| !known.contains(m)) {
        return Err(StoreError::unknown(
            "parts",
            format!("no municipality with id {unknown}"),
        ));
    }
    let known: Vec<i64> = positions::table
        .filter(positions::id.eq_any(&data.position_ids))
        .select(positions::id)
        .load(conn)?;
    if let Some(unknown) = data.position_ids.iter().find(|p| !known.contains(p)) {
        return Err(StoreError::unknown(
            "position_ids",
            format!("no position with id {unknown}"),
        ));
    }
    let others: Vec<(i64, i64, String)> = sap::table
        .filter(sap::municipality_id.eq_any(&named))
        .select((sap::social_area_id, sap::municipality_id, sap::district))
        .load(conn)?;
    let others: Vec<(i64, AreaPart)> = others
        .into_iter()
        .filter(|(area, _, _)| Some(*area) != own)
        .map(|(area, municipality_id, district)| {
            (
                area,
                AreaPart {
                    municipality_id,
                    district: Some(district).filter(|d| !d.is_empty()),
                },
            )
        })
        .collect();
    for (area, part) in &others {
        if let Some((mine, _)) = first_overlap(&data.parts, std::slice::from_ref(part)) {
            return Err(StoreError::Conflict(format!(
                "{mine} already belongs to social area {area} ({part})"
            )));
        }
    }
    Ok(())
}

fn write_links(conn: &mut DbConn, id: i64, data: &AreaData) -> StoreResult<()> {
    diesel::delete(sap::table.filter(sap::social_area_id.eq(id))).execute(conn)?;
    diesel::delete(psa::table.filter(psa::social_area_id.eq(id))).execute(conn)?;
    for part in &data.parts {
        diesel::insert_into(sap::table)
            .values((
                sap::social_area_id.eq(id),
                sap::municipality_id.eq(part.municipality_id),
                sap::district.eq(district_column(part)),
            ))
            .execute(conn)?;
    }
    insert_links!(
        conn,
        psa,
        social_area_id = id,
        position_id = &data.position_ids
    );
    Ok(())
}

fn duplicate_name(e: StoreError) -> StoreError {
    match e {
        StoreError::Duplicate { .. } => StoreError::Duplicate {
            field: Some("name"),
        },
        other => other,
    }
}

pub fn insert(conn: &mut DbConn, data: &AreaData) -> StoreResult<SocialArea> {
    check_references(conn, None, data)?;
    let now = clock::now();
    let id: i64 = insert_versioned!(
        conn,
        sa,
        (
            sa::name.eq(&data.name),
            sa::description.eq(data.description.as_deref())
        ),
        now
    )
    .map_err(duplicate_name)?;
    write_links(conn, id, data)?;
    find(conn, id)
}

pub fn update(
    conn: &mut DbConn,
    id: i64,
    expected_version: i32,
    data: &AreaData,
) -> StoreResult<SocialArea> {
    find(conn, id)?;
    check_references(conn, Some(id), data)?;
    update_versioned!(
        conn,
        sa,
        id,
        expected_version,
        (
            sa::name.eq(&data.name),
            sa::description.eq(data.description.as_deref())
        )
    )
    .map_err(duplicate_name)?;
    write_links(conn, id, data)?;
    find(conn, id)
}

/// Deletes the area with what it covers and its links to positions (the positions stay).
pub fn delete(conn: &mut DbConn, id: i64, expected_version: i32) -> StoreResult<()> {
    find(conn, id)?;
    diesel::delete(sap::table.filter(sap::social_area_id.eq(id))).execute(conn)?;
    diesel::delete(psa::table.filter(psa::social_area_id.eq(id))).execute(conn)?;
    delete_versioned!(conn, sa, id, expected_version)
}
