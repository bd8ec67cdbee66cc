//! Municipalities (kreisangehörige Kommunen) of the county.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use kim_domain::paging::PageRequest;
use kim_domain::reference::{MunicipalityKind, RhineSide};
use serde::Deserialize;
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};

use crate::connection::MultiBackend;
use crate::error::{expect_version, StoreResult};
use crate::schema::{lower, municipalities, organisation_municipalities};
use crate::versioned::{delete_versioned, insert_versioned, update_versioned};
use crate::{clock, DbConn, Direction, Listed, StoreError};

#[derive(Queryable, Selectable)]
#[diesel(table_name = municipalities, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
struct MunicipalityRow {
    id: i64,
    name: String,
    kind: String,
    rhine_side: String,
    has_immigration_office: bool,
    has_youth_office: bool,
    has_integration_council: bool,
    social_area: Option<String>,
    population: Option<i64>,
    foreign_nationals_percent: Option<f64>,
    version: i32,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

/// Kreisangehörige Kommune (municipality of the county).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 17, "name": "Troisdorf", "kind": "town", "rhine_side": "right",
    "has_immigration_office": true, "has_youth_office": true, "has_integration_council": true,
    "social_area": null, "population": 75000, "foreign_nationals_percent": 14.5,
    "version": 1, "created_at": "2026-11-25T10:00:00Z", "updated_at": "2026-11-25T10:00:00Z"
}))]
pub struct Municipality {
    pub id: i64,
    pub name: String,
    /// Stadt (town) or Gemeinde (municipality).
    pub kind: MunicipalityKind,
    /// linksrheinisch (left) or rechtsrheinisch (right).
    pub rhine_side: RhineSide,
    /// Has its own Ausländerbehörde (immigration office).
    pub has_immigration_office: bool,
    /// Has its own Jugendamt (youth office).
    pub has_youth_office: bool,
    /// Has an Integrationsrat (integration council).
    pub has_integration_council: bool,
    /// Free text, **superseded** by `GET /social-areas` (areas with the municipalities and
    /// parts they cover; the migration made one of each value given before): kept as written,
    /// read by nothing else. Use `GET /social-areas?municipality_id=` instead.
    pub social_area: Option<String>,
    pub population: Option<i64>,
    /// Share of foreign nationals (Ausländeranteil) in percent.
    pub foreign_nationals_percent: Option<f64>,
    /// Send as `If-Match` when changing; also the `ETag`.
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The fields a client sets, on create and on update alike.
#[derive(Debug, Clone, PartialEq)]
pub struct MunicipalityData {
    pub name: String,
    pub kind: MunicipalityKind,
    pub rhine_side: RhineSide,
    pub has_immigration_office: bool,
    pub has_youth_office: bool,
    pub has_integration_council: bool,
    pub social_area: Option<String>,
    pub population: Option<i64>,
    pub foreign_nationals_percent: Option<f64>,
}

impl TryFrom<MunicipalityRow> for Municipality {
    type Error = StoreError;
    fn try_from(row: MunicipalityRow) -> Result<Self, StoreError> {
        Ok(Municipality {
            id: row.id,
            name: row.name,
            kind: MunicipalityKind::parse(&row.kind)?,
            rhine_side: RhineSide::parse(&row.rhine_side)?,
            has_immigration_office: row.has_immigration_office,
            has_youth_office: row.has_youth_office,
            has_integration_council: row.has_integration_council,
            social_area: row.social_area,
            population: row.population,
            foreign_nationals_percent: row.foreign_nationals_percent,
            version: row.version,
            created_at: clock::to_utc(row.created_at),
            updated_at: clock::to_utc(row.updated_at),
        })
    }
}

#[derive(Insertable, AsChangeset)]
#[diesel(table_name = municipalities, treat_none_as_null = true)]
struct MunicipalityColumns<'a> {
    name: &'a str,
    kind: &'a str,
    rhine_side: &'a str,
    has_immigration_office: bool,
    has_youth_office: bool,
    has_integration_council: bool,
    social_area: Option<&'a str>,
    population: Option<i64>,
    foreign_nationals_percent: Option<f64>,
}

impl<'a> From<&'a MunicipalityData> for MunicipalityColumns<'a> {
    fn from(d: &'a MunicipalityData) -> Self {
        MunicipalityColumns {
            name: &d.name,
            kind: d.kind.as_str(),
            rhine_side: d.rhine_side.as_str(),
            has_immigration_office: d.has_immigration_office,
            has_youth_office: d.has_youth_office,
            has_integration_council: d.has_integration_council,
            social_area: d.social_area.as_deref(),
            population: d.population,
            foreign_nationals_percent: d.foreign_nationals_percent,
        }
    }
}

/// Filters of the list; all optional, combined with AND.
/// The API reads them from the query string as they are, so their documentation is the
/// parameters'.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MunicipalityFilter {
    /// Case-insensitive part of the name.
    #[param(example = "sankt")]
    #[serde(default, deserialize_with = "crate::filter::trimmed")]
    pub q: Option<String>,
    pub kind: Option<MunicipalityKind>,
    pub rhine_side: Option<RhineSide>,
    pub has_immigration_office: Option<bool>,
    /// Exact social area.
    #[serde(default, deserialize_with = "crate::filter::trimmed")]
    pub social_area: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MunicipalitySort {
    Name,
    Population,
    CreatedAt,
}

type Boxed = municipalities::BoxedQuery<'static, MultiBackend>;

fn filtered(filter: &MunicipalityFilter) -> Boxed {
    let mut query = municipalities::table.into_boxed::<MultiBackend>();
    if let Some(q) = &filter.q {
        query = query.filter(lower(municipalities::name).like(like_pattern(q)));
    }
    if let Some(kind) = filter.kind {
        query = query.filter(municipalities::kind.eq(kind.as_str()));
    }
    if let Some(side) = filter.rhine_side {
        query = query.filter(municipalities::rhine_side.eq(side.as_str()));
    }
    if let Some(flag) = filter.has_immigration_office {
        query = query.filter(municipalities::has_immigration_office.eq(flag));
    }
    if let Some(area) = &filter.social_area {
        query = query.filter(municipalities::social_area.eq(area.clone()));
    }
    query
}

/// `%text%`, lowercased, with the LIKE wildcards in the user's text taken literally.
pub(crate) fn like_pattern(text: &str) -> String {
    let escaped: String = text
        .to_lowercase()
        .chars()
        .filter(|c| *c != '%' && *c != '_' && *c != '\\')
        .collect();
    format!("%{escaped}%")
}

pub fn list(
    conn: &mut DbConn,
    filter: &MunicipalityFilter,
    sort: MunicipalitySort,
    direction: Direction,
    page: PageRequest,
) -> StoreResult<Listed<Municipality>> {
    let total: i64 = filtered(filter).count().get_result(conn)?;
    let mut query = filtered(filter);
    query = match (sort, direction) {
        (MunicipalitySort::Name, Direction::Asc) => query.order(municipalities::name.asc()),
        (MunicipalitySort::Name, Direction::Desc) => query.order(municipalities::name.desc()),
        (MunicipalitySort::Population, Direction::Asc) => {
            query.order(municipalities::population.asc())
        }
        (MunicipalitySort::Population, Direction::Desc) => {
            query.order(municipalities::population.desc())
        }
        (MunicipalitySort::CreatedAt, Direction::Asc) => {
            query.order(municipalities::created_at.asc())
        }
        (MunicipalitySort::CreatedAt, Direction::Desc) => {
            query.order(municipalities::created_at.desc())
        }
    };
    // The id breaks ties so that pages never overlap or skip.
    let rows: Vec<MunicipalityRow> = query
        .then_order_by(municipalities::id.asc())
        .limit(page.limit)
        .offset(page.offset)
        .select(MunicipalityRow::as_select())
        .load(conn)?;
    let items = rows
        .into_iter()
        .map(Municipality::try_from)
        .collect::<StoreResult<_>>()?;
    Ok(Listed { items, total })
}

pub fn find(conn: &mut DbConn, id: i64) -> StoreResult<Municipality> {
    municipalities::table
        .find(id)
        .select(MunicipalityRow::as_select())
        .first(conn)?
        .try_into()
}

/// Whether every id names a municipality; the first unknown one otherwise.
pub fn first_unknown(conn: &mut DbConn, ids: &[i64]) -> StoreResult<Option<i64>> {
    if ids.is_empty() {
        return Ok(None);
    }
    let known: Vec<i64> = municipalities::table
        .filter(municipalities::id.eq_any(ids))
        .select(municipalities::id)
        .load(conn)?;
    Ok(ids.iter().copied().find(|id| !known.contains(id)))
}

pub fn insert(conn: &mut DbConn, data: &MunicipalityData) -> StoreResult<Municipality> {
    let values = MunicipalityColumns::from(data);
    let id = insert_versioned!(conn, municipalities, values, clock::now())
        .map_err(|e| e.on_field("name"))?;
    find(conn, id)
}

/// Replaces the fields if `expected_version` is current; bumps the version.
pub fn update(
    conn: &mut DbConn,
    id: i64,
    expected_version: i32,
    data: &MunicipalityData,
) -> StoreResult<Municipality> {
    let current = find(conn, id)?;
    expect_version(current.version, expected_version)?;
    update_versioned!(
        conn,
        municipalities,
        id,
        expected_version,
        MunicipalityColumns::from(data)
    )
    .map_err(|e| e.on_field("name"))?;
    find(conn, id)
}

/// Deletes if `expected_version` is current and no organisation serves it.
pub fn delete(conn: &mut DbConn, id: i64, expected_version: i32) -> StoreResult<()> {
    let current = find(conn, id)?;
    expect_version(current.version, expected_version)?;
    let served_by: i64 = organisation_municipalities::table
        .filter(organisation_municipalities::municipality_id.eq(id))
        .count()
        .get_result(conn)?;
    if served_by > 0 {
        return Err(StoreError::InUse(format!(
            "{served_by} organisation(s) list this municipality as served"
        )));
    }
    delete_versioned!(conn, municipalities, id, expected_version)?;
    Ok(())
}

/// Looks a municipality up by its exact name (for seeding).
pub fn find_by_name(conn: &mut DbConn, name: &str) -> StoreResult<Option<Municipality>> {
    municipalities::table
        .filter(municipalities::name.eq(name))
        .select(MunicipalityRow::as_select())
        .first(conn)
        .optional()?
        .map(Municipality::try_from)
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::like_pattern;

    #[test]
    fn like_pattern_is_lowercase_and_drops_wildcards() {
        assert_eq!(like_pattern("Sankt"), "%sankt%");
        assert_eq!(like_pattern("a%_b\\"), "%ab%");
    }
}
