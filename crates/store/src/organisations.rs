//! Organisations (Akteure): the actors of the county, with the legal domains they serve and the
//! municipalities they work in.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use kim_domain::paging::PageRequest;
use kim_domain::reference::{normalise_set, LegalDomain, OrganisationKind};
use serde::Deserialize;
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};

use crate::connection::MultiBackend;
use crate::error::{expect_version, StoreResult};
use crate::link_sets::{insert_links, load_links};
use crate::municipalities::{self, like_pattern};
use crate::schema::{
    lower, organisation_legal_domains as old, organisation_municipalities as om, organisations,
    partner_tokens, users,
};
use crate::versioned::{delete_versioned, insert_versioned, update_versioned};
use crate::{clock, DbConn, Direction, Listed, StoreError};

#[derive(Queryable, Selectable)]
#[diesel(table_name = organisations, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
struct OrganisationRow {
    id: i64,
    name: String,
    kind: String,
    email: Option<String>,
    phone: Option<String>,
    address: Option<String>,
    website: Option<String>,
    active: bool,
    version: i32,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

/// Akteur (organisation): an office, agency, provider or initiative KIM works with.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 4, "name": "Jobcenter Rhein-Sieg", "kind": "jobcenter", "legal_domains": ["sgb_ii"],
    "municipality_ids": [], "email": "info@jobcenter-rhein-sieg.example", "phone": null,
    "address": "Siegburg", "website": null, "active": true, "version": 1,
    "created_at": "2026-11-25T10:00:00Z", "updated_at": "2026-11-25T10:00:00Z"
}))]
pub struct Organisation {
    pub id: i64,
    pub name: String,
    pub kind: OrganisationKind,
    /// Rechtskreise (legal domains) the organisation serves, sorted.
    pub legal_domains: Vec<LegalDomain>,
    /// Municipalities served; empty means county-wide or not specified.
    pub municipality_ids: Vec<i64>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub website: Option<String>,
    /// Inactive organisations stay for history but are no longer offered for new work.
    pub active: bool,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OrganisationData {
    pub name: String,
    pub kind: OrganisationKind,
    pub legal_domains: Vec<LegalDomain>,
    pub municipality_ids: Vec<i64>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub website: Option<String>,
    pub active: bool,
}

#[derive(Insertable, AsChangeset)]
#[diesel(table_name = organisations, treat_none_as_null = true)]
struct OrganisationColumns<'a> {
    name: &'a str,
    kind: &'a str,
    email: Option<&'a str>,
    phone: Option<&'a str>,
    address: Option<&'a str>,
    website: Option<&'a str>,
    active: bool,
}

impl<'a> From<&'a OrganisationData> for OrganisationColumns<'a> {
    fn from(d: &'a OrganisationData) -> Self {
        OrganisationColumns {
            name: &d.name,
            kind: d.kind.as_str(),
            email: d.email.as_deref(),
            phone: d.phone.as_deref(),
            address: d.address.as_deref(),
            website: d.website.as_deref(),
            active: d.active,
        }
    }
}

/// Filters of the list; all optional, combined with AND.
/// The API reads them from the query string as they are, so their documentation is the
/// parameters'.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrganisationFilter {
    /// Case-insensitive part of the name.
    #[param(example = "caritas")]
    #[serde(default, deserialize_with = "crate::filter::trimmed")]
    pub q: Option<String>,
    pub kind: Option<OrganisationKind>,
    /// Organisations serving this legal domain.
    pub legal_domain: Option<LegalDomain>,
    /// Organisations serving this municipality.
    pub municipality_id: Option<i64>,
    pub active: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrganisationSort {
    Name,
    Kind,
    CreatedAt,
}

type Boxed = organisations::BoxedQuery<'static, MultiBackend>;

fn filtered(filter: &OrganisationFilter) -> Boxed {
    let mut query = organisations::table.into_boxed::<MultiBackend>();
    if let Some(q) = &filter.q {
        query = query.filter(lower(organisations::name).like(like_pattern(q)));
    }
    if let Some(kind) = filter.kind {
        query = query.filter(organisations::kind.eq(kind.as_str()));
    }
    if let Some(domain) = filter.legal_domain {
        query = query.filter(
            organisations::id.eq_any(
                old::table
                    .filter(old::legal_domain.eq(domain.as_str()))
                    .select(old::organisation_id),
            ),
        );
    }
    if let Some(municipality) = filter.municipality_id {
        query = query.filter(
            organisations::id.eq_any(
                om::table
                    .filter(om::municipality_id.eq(municipality))
                    .select(om::organisation_id),
            ),
        );
    }
    if let Some(active) = filter.active {
        query = query.filter(organisations::active.eq(active));
    }
    query
}

pub fn list(
    conn: &mut DbConn,
    filter: &OrganisationFilter,
    sort: OrganisationSort,
    direction: Direction,
    page: PageRequest,
) -> StoreResult<Listed<Organisation>> {
    let total: i64 = filtered(filter).count().get_result(conn)?;
    let query = match (sort, direction) {
        (OrganisationSort::Name, Direction::Asc) => {
            filtered(filter).order(organisations::name.asc())
        }
        (OrganisationSort::Name, Direction::Desc) => {
            filtered(filter).order(organisations::name.desc())
        }
        (OrganisationSort::Kind, Direction::Asc) => {
            filtered(filter).order(organisations::kind.asc())
        }
        (OrganisationSort::Kind, Direction::Desc) => {
            filtered(filter).order(organisations::kind.desc())
        }
        (OrganisationSort::CreatedAt, Direction::Asc) => {
            filtered(filter).order(organisations::created_at.asc())
        }
        (OrganisationSort::CreatedAt, Direction::Desc) => {
            filtered(filter).order(organisations::created_at.desc())
        }
    };
    let rows: Vec<OrganisationRow> = query
        .then_order_by(organisations::id.asc())
        .limit(page.limit)
        .offset(page.offset)
        .select(OrganisationRow::as_select())
        .load(conn)?;
    let items = with_sets(conn, rows)?;
    Ok(Listed { items, total })
}

/// Loads the legal domains and municipalities of a page of organisations in two queries.
fn with_sets(conn: &mut DbConn, rows: Vec<OrganisationRow>) -> StoreResult<Vec<Organisation>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut domains =
        load_links!(conn, old, organisation_id = &ids, legal_domain: String => LegalDomain::parse);
    let mut served = load_links!(conn, om, organisation_id = &ids, municipality_id: i64);
    rows.into_iter()
        .map(|row| {
            let mut municipality_ids = served.remove(&row.id).unwrap_or_default();
            municipality_ids.sort_unstable();
            Ok(Organisation {
                id: row.id,
                name: row.name,
                kind: OrganisationKind::parse(&row.kind)?,
                legal_domains: normalise_set(&domains.remove(&row.id).unwrap_or_default()),
                municipality_ids,
                email: row.email,
                phone: row.phone,
                address: row.address,
                website: row.website,
                active: row.active,
                version: row.version,
                created_at: clock::to_utc(row.created_at),
                updated_at: clock::to_utc(row.updated_at),
            })
        })
        .collect()
}

pub fn find(conn: &mut DbConn, id: i64) -> StoreResult<Organisation> {
    let row = organisations::table
        .find(id)
        .select(OrganisationRow::as_select())
        .first(conn)?;
    with_sets(conn, vec![row])?
        .pop()
        .ok_or(StoreError::NotFound)
}

pub fn exists(conn: &mut DbConn, id: i64) -> StoreResult<bool> {
    let count: i64 = organisations::table
        .filter(organisations::id.eq(id))
        .count()
        .get_result(conn)?;
    Ok(count > 0)
}

fn check_municipalities(conn: &mut DbConn, data: &OrganisationData) -> StoreResult<()> {
    match municipalities::first_unknown(conn, &data.municipality_ids)? {
        Some(id) => Err(StoreError::unknown(
            "municipality_ids",
            format!("no municipality with id {id}"),
        )),
        None => Ok(()),
    }
}

fn replace_sets(conn: &mut DbConn, id: i64, data: &OrganisationData) -> StoreResult<()> {
    diesel::delete(old::table.filter(old::organisation_id.eq(id))).execute(conn)?;
    diesel::delete(om::table.filter(om::organisation_id.eq(id))).execute(conn)?;
    insert_links!(conn, old, organisation_id = id, legal_domain = &data.legal_domains => as_str);
    insert_links!(
        conn,
        om,
        organisation_id = id,
        municipality_id = &data.municipality_ids
    );
    Ok(())
}

pub fn insert(conn: &mut DbConn, data: &OrganisationData) -> StoreResult<Organisation> {
    check_municipalities(conn, data)?;
    let now = clock::now();
    let id: i64 = insert_versioned!(conn, organisations, OrganisationColumns::from(data), now)
        .map_err(|e| e.on_field("name"))?;
    replace_sets(conn, id, data)?;
    find(conn, id)
}

pub fn update(
    conn: &mut DbConn,
    id: i64,
    expected_version: i32,
    data: &OrganisationData,
) -> StoreResult<Organisation> {
    let current = find(conn, id)?;
    expect_version(current.version, expected_version)?;
    check_municipalities(conn, data)?;
    update_versioned!(
        conn,
        organisations,
        id,
        expected_version,
        OrganisationColumns::from(data)
    )
    .map_err(|e| e.on_field("name"))?;
    replace_sets(conn, id, data)?;
    find(conn, id)
}

/// Deletes an organisation that no user and no partner token belongs to; otherwise the caller
/// should deactivate it (`active: false`) instead.
pub fn delete(conn: &mut DbConn, id: i64, expected_version: i32) -> StoreResult<()> {
    let current = find(conn, id)?;
    expect_version(current.version, expected_version)?;
    let members: i64 = users::table
        .filter(users::organisation_id.eq(id))
        .count()
        .get_result(conn)?;
    let tokens: i64 = partner_tokens::table
        .filter(partner_tokens::organisation_id.eq(id))
        .count()
        .get_result(conn)?;
    if members + tokens > 0 {
        return Err(StoreError::InUse(format!(
            "{members} user(s) and {tokens} partner token(s) belong to this organisation; deactivate it instead"
        )));
    }
    delete_versioned!(conn, organisations, id, expected_version)?;
    Ok(())
}

pub fn find_by_name(conn: &mut DbConn, name: &str) -> StoreResult<Option<Organisation>> {
    let id: Option<i64> = organisations::table
        .filter(organisations::name.eq(name))
        .select(organisations::id)
        .first(conn)
        .optional()?;
    id.map(|id| find(conn, id)).transpose()
}
