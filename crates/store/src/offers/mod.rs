//! Offers (Angebote) of organisations, with their topics, target groups, municipalities served,
//! languages and residence-status criteria in child tables, one row per value, so that every
//! list filter is an indexed lookup on both databases. The rules are `kim_domain::offer`'s;
//! the coverage matrix is computed by `kim_domain::coverage` from [`coverage_offers`].

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use kim_domain::client::ResidenceStatus;
use kim_domain::coverage::CoverageOffer;
use kim_domain::offer::{LanguageCode, OfferAccess, OfferTargetGroup, OfferTopic};
use kim_domain::reference::normalise_set;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{expect_version, StoreResult};
use crate::link_sets::{insert_links, load_links};
use crate::municipalities::{self};
use crate::versioned::{delete_versioned, insert_versioned, update_versioned};
use crate::{clock, organisations, DbConn, StoreError};

use self::schema::{
    offer_languages, offer_municipalities, offer_residence_statuses, offer_target_groups,
    offer_topics, offers,
};

mod list;

pub use list::{list, OfferFilter, OfferSort};

/// The tables of this module, written by hand to match `migrations/*/…_offers`.
mod schema {
    diesel::table! {
        offers (id) {
            id -> BigInt,
            organisation_id -> BigInt,
            title -> Text,
            description -> Nullable<Text>,
            county_wide -> Bool,
            min_age -> Nullable<Integer>,
            max_age -> Nullable<Integer>,
            access -> Text,
            capacity_per_month -> Nullable<Integer>,
            active_from -> Nullable<Date>,
            active_until -> Nullable<Date>,
            version -> Integer,
            created_at -> Timestamp,
            updated_at -> Timestamp,
        }
    }

    diesel::table! {
        offer_topics (offer_id, topic) {
            offer_id -> BigInt,
            topic -> Text,
        }
    }

    diesel::table! {
        offer_target_groups (offer_id, target_group) {
            offer_id -> BigInt,
            target_group -> Text,
        }
    }

    diesel::table! {
        offer_municipalities (offer_id, municipality_id) {
            offer_id -> BigInt,
            municipality_id -> BigInt,
        }
    }

    diesel::table! {
        offer_languages (offer_id, language) {
            offer_id -> BigInt,
            language -> Text,
        }
    }

    diesel::table! {
        offer_residence_statuses (offer_id, residence_status) {
            offer_id -> BigInt,
            residence_status -> Text,
        }
    }

    diesel::allow_tables_to_appear_in_same_query!(
        offers,
        offer_topics,
        offer_target_groups,
        offer_municipalities,
        offer_languages,
        offer_residence_statuses,
    );
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = offers, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
struct OfferRow {
    id: i64,
    organisation_id: i64,
    title: String,
    description: Option<String>,
    county_wide: bool,
    min_age: Option<i32>,
    max_age: Option<i32>,
    access: String,
    capacity_per_month: Option<i32>,
    active_from: Option<NaiveDate>,
    active_until: Option<NaiveDate>,
    version: i32,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

/// Angebot (offer) of an organisation: what it offers on which topics, for which target groups,
/// where (named municipalities or county-wide), for whom (age, residence status), in which
/// languages, how to get in, how much it can take per month and when it runs.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 4, "organisation_id": 14, "title": "Migrationsberatung für erwachsene Zuwanderer (MBE)",
    "description": "Beratung zu Sprache, Arbeit, Wohnen und Aufenthalt; offene Sprechstunde dienstags.",
    "topics": ["counselling", "language", "work", "housing"],
    "target_groups": ["new_arrivals", "eu_citizens"],
    "county_wide": false, "municipality_ids": [9, 16, 17],
    "min_age": 27, "max_age": null,
    "residence_statuses": ["eu_citizen", "third_country_with_permit", "recognised_refugee"],
    "languages": ["ar", "de", "en", "ru"], "access": "walk_in", "capacity_per_month": 60,
    "active_from": "2021-01-01", "active_until": null, "version": 1,
    "created_at": "2026-11-25T10:00:00Z", "updated_at": "2026-11-25T10:00:00Z"
}))]
pub struct Offer {
    pub id: i64,
    /// Träger (the organisation offering it).
    pub organisation_id: i64,
    pub title: String,
    pub description: Option<String>,
    /// Themen, sorted.
    pub topics: Vec<OfferTopic>,
    /// Zielgruppen, sorted.
    pub target_groups: Vec<OfferTargetGroup>,
    /// Kreisweit: serves every municipality (`municipality_ids` is then empty).
    pub county_wide: bool,
    /// Municipalities served, sorted; empty when county-wide.
    pub municipality_ids: Vec<i64>,
    /// Youngest age served (inclusive); absent: no lower bound.
    pub min_age: Option<i32>,
    /// Oldest age served (inclusive); absent: no upper bound.
    pub max_age: Option<i32>,
    /// Residence statuses the offer is open to, sorted; empty: open to every status.
    pub residence_statuses: Vec<ResidenceStatus>,
    /// Languages offered, ISO 639-1, sorted.
    #[schema(value_type = Vec<String>, example = json!(["ar", "de", "uk"]))]
    pub languages: Vec<LanguageCode>,
    pub access: OfferAccess,
    /// Places or consultations per month; absent: not stated.
    pub capacity_per_month: Option<i32>,
    /// Runs from (inclusive); absent: since before records began.
    pub active_from: Option<NaiveDate>,
    /// Runs until (inclusive); absent: open-ended.
    pub active_until: Option<NaiveDate>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What a client sets on an offer. The caller has checked it with
/// `kim_domain::offer::check_offer`; the sets are stored sorted and without duplicates.
#[derive(Debug, Clone, PartialEq)]
pub struct OfferData {
    pub organisation_id: i64,
    pub title: String,
    pub description: Option<String>,
    pub topics: Vec<OfferTopic>,
    pub target_groups: Vec<OfferTargetGroup>,
    pub county_wide: bool,
    pub municipality_ids: Vec<i64>,
    pub min_age: Option<i32>,
    pub max_age: Option<i32>,
    pub residence_statuses: Vec<ResidenceStatus>,
    pub languages: Vec<LanguageCode>,
    pub access: OfferAccess,
    pub capacity_per_month: Option<i32>,
    pub active_from: Option<NaiveDate>,
    pub active_until: Option<NaiveDate>,
}

#[derive(Insertable, AsChangeset)]
#[diesel(table_name = offers, treat_none_as_null = true)]
struct OfferColumns<'a> {
    organisation_id: i64,
    title: &'a str,
    description: Option<&'a str>,
    county_wide: bool,
    min_age: Option<i32>,
    max_age: Option<i32>,
    access: &'a str,
    capacity_per_month: Option<i32>,
    active_from: Option<NaiveDate>,
    active_until: Option<NaiveDate>,
}

impl<'a> From<&'a OfferData> for OfferColumns<'a> {
    fn from(d: &'a OfferData) -> Self {
        OfferColumns {
            organisation_id: d.organisation_id,
            title: &d.title,
            description: d.description.as_deref(),
            county_wide: d.county_wide,
            min_age: d.min_age,
            max_age: d.max_age,
            access: d.access.as_str(),
            capacity_per_month: d.capacity_per_month,
            active_from: d.active_from,
            active_until: d.active_until,
        }
    }
}

/// The sets of a page of offers, one query per child table.
#[derive(Default)]
struct Sets {
    topics: HashMap<i64, Vec<OfferTopic>>,
    target_groups: HashMap<i64, Vec<OfferTargetGroup>>,
    municipalities: HashMap<i64, Vec<i64>>,
    languages: HashMap<i64, Vec<LanguageCode>>,
    residence_statuses: HashMap<i64, Vec<ResidenceStatus>>,
}

fn load_sets(conn: &mut DbConn, ids: &[i64]) -> StoreResult<Sets> {
    let language = |code: &String| LanguageCode::parse(code).map_err(StoreError::Corrupt);
    Ok(Sets {
        topics: load_links!(conn, offer_topics, offer_id = ids, topic: String => OfferTopic::parse),
        target_groups: load_links!(
            conn,
            offer_target_groups,
            offer_id = ids,
            target_group: String => OfferTargetGroup::parse
        ),
        municipalities: load_links!(conn, offer_municipalities, offer_id = ids, municipality_id: i64),
        languages: load_links!(conn, offer_languages, offer_id = ids, language: String => language),
        residence_statuses: load_links!(
            conn,
            offer_residence_statuses,
            offer_id = ids,
            residence_status: String => ResidenceStatus::parse
        ),
    })
}

fn take<T: Ord + Copy>(map: &mut HashMap<i64, Vec<T>>, id: i64) -> Vec<T> {
    normalise_set(&map.remove(&id).unwrap_or_default())
}

fn with_sets(conn: &mut DbConn, rows: Vec<OfferRow>) -> StoreResult<Vec<Offer>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut sets = load_sets(conn, &ids)?;
    rows.into_iter()
        .map(|row| {
            Ok(Offer {
                id: row.id,
                organisation_id: row.organisation_id,
                title: row.title,
                description: row.description,
                topics: take(&mut sets.topics, row.id),
                target_groups: take(&mut sets.target_groups, row.id),
                county_wide: row.county_wide,
                municipality_ids: take(&mut sets.municipalities, row.id),
                min_age: row.min_age,
                max_age: row.max_age,
                residence_statuses: take(&mut sets.residence_statuses, row.id),
                languages: take(&mut sets.languages, row.id),
                access: OfferAccess::parse(&row.access)?,
                capacity_per_month: row.capacity_per_month,
                active_from: row.active_from,
                active_until: row.active_until,
                version: row.version,
                created_at: clock::to_utc(row.created_at),
                updated_at: clock::to_utc(row.updated_at),
            })
        })
        .collect()
}

pub fn find(conn: &mut DbConn, id: i64) -> StoreResult<Offer> {
    let row = offers::table
        .find(id)
        .select(OfferRow::as_select())
        .first(conn)?;
    with_sets(conn, vec![row])?
        .pop()
        .ok_or(StoreError::NotFound)
}

/// The offer of `organisation_id` titled `title`, if any (for the idempotent demo seed).
pub fn find_by_title(
    conn: &mut DbConn,
    organisation_id: i64,
    title: &str,
) -> StoreResult<Option<Offer>> {
    let id: Option<i64> = offers::table
        .filter(offers::organisation_id.eq(organisation_id))
        .filter(offers::title.eq(title))
        .select(offers::id)
        .first(conn)
        .optional()?;
    id.map(|id| find(conn, id)).transpose()
}

/// Every offer as the coverage analysis needs it, whatever its period (the analysis picks the
/// date). A county has a few hundred offers at most, so this is one small read.
pub fn coverage_offers(conn: &mut DbConn) -> StoreResult<Vec<CoverageOffer>> {
    let rows: Vec<FootprintRow> = offers::table
        .select(FootprintRow::as_select())
        .order(offers::id.asc())
        .load(conn)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut sets = load_sets(conn, &ids)?;
    Ok(rows
        .into_iter()
        .map(|row| CoverageOffer {
            offer_id: row.id,
            organisation_id: row.organisation_id,
            county_wide: row.county_wide,
            municipality_ids: take(&mut sets.municipalities, row.id),
            target_groups: take(&mut sets.target_groups, row.id),
            topics: take(&mut sets.topics, row.id),
            active_from: row.active_from,
            active_until: row.active_until,
        })
        .collect())
}

/// The columns of an offer the coverage analysis looks at.
#[derive(Queryable, Selectable)]
#[diesel(table_name = offers, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
struct FootprintRow {
    id: i64,
    organisation_id: i64,
    county_wide: bool,
    active_from: Option<NaiveDate>,
    active_until: Option<NaiveDate>,
}

/// Checks that the organisation and the municipalities exist, so that the client learns which
/// field names something unknown.
fn check_references(conn: &mut DbConn, data: &OfferData) -> StoreResult<()> {
    if !organisations::exists(conn, data.organisation_id)? {
        return Err(StoreError::unknown(
            "organisation_id",
            format!("no organisation with id {}", data.organisation_id),
        ));
    }
    if let Some(id) = municipalities::first_unknown(conn, &data.municipality_ids)? {
        return Err(StoreError::unknown(
            "municipality_ids",
            format!("no municipality with id {id}"),
        ));
    }
    Ok(())
}

fn replace_sets(conn: &mut DbConn, id: i64, data: &OfferData) -> StoreResult<()> {
    diesel::delete(offer_topics::table.filter(offer_topics::offer_id.eq(id))).execute(conn)?;
    diesel::delete(offer_target_groups::table.filter(offer_target_groups::offer_id.eq(id)))
        .execute(conn)?;
    diesel::delete(offer_municipalities::table.filter(offer_municipalities::offer_id.eq(id)))
        .execute(conn)?;
    diesel::delete(offer_languages::table.filter(offer_languages::offer_id.eq(id)))
        .execute(conn)?;
    diesel::delete(
        offer_residence_statuses::table.filter(offer_residence_statuses::offer_id.eq(id)),
    )
    .execute(conn)?;
    insert_links!(conn, offer_topics, offer_id = id, topic = &data.topics => as_str);
    insert_links!(conn, offer_target_groups, offer_id = id, target_group = &data.target_groups => as_str);
    insert_links!(
        conn,
        offer_municipalities,
        offer_id = id,
        municipality_id = &data.municipality_ids
    );
    insert_links!(conn, offer_languages, offer_id = id, language = &data.languages => as_str);
    insert_links!(conn, offer_residence_statuses, offer_id = id, residence_status = &data.residence_statuses => as_str);
    Ok(())
}

pub fn insert(conn: &mut DbConn, data: &OfferData) -> StoreResult<Offer> {
    check_references(conn, data)?;
    let now = clock::now();
    let id: i64 = insert_versioned!(conn, offers, OfferColumns::from(data), now)?;
    replace_sets(conn, id, data)?;
    find(conn, id)
}

/// Replaces an offer's fields and sets if `expected_version` is current (412 otherwise).
pub fn update(
    conn: &mut DbConn,
    id: i64,
    expected_version: i32,
    data: &OfferData,
) -> StoreResult<Offer> {
    let current = find(conn, id)?;
    expect_version(current.version, expected_version)?;
    check_references(conn, data)?;
    update_versioned!(conn, offers, id, expected_version, OfferColumns::from(data))?;
    replace_sets(conn, id, data)?;
    find(conn, id)
}

/// Deletes an offer if `expected_version` is current; its sets go with it (cascade).
pub fn delete(conn: &mut DbConn, id: i64, expected_version: i32) -> StoreResult<()> {
    let current = find(conn, id)?;
    expect_version(current.version, expected_version)?;
    delete_versioned!(conn, offers, id, expected_version)
}

/// The names of the organisations `ids`, for the overlap list.
pub fn organisation_names(conn: &mut DbConn, ids: &[i64]) -> StoreResult<HashMap<i64, String>> {
    use crate::schema::organisations;
    Ok(organisations::table
        .filter(organisations::id.eq_any(ids))
        .select((organisations::id, organisations::name))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect())
}
