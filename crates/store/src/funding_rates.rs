//! Funding rates by year, module and item; the rules that use them are in
//! `kim_domain::funding`.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use kim_domain::funding::{FundingItem, Rate, RateBasis};
use kim_domain::staffing::Module;

use crate::connection::MultiBackend;
use crate::error::{expect_version, StoreResult};
use crate::schema::funding_rates;
use crate::versioned::{delete_versioned, insert_versioned, update_versioned};
use crate::{clock, DbConn, StoreError};

#[derive(Queryable, Selectable)]
#[diesel(table_name = funding_rates, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
struct RateRow {
    id: i64,
    year: i32,
    module: String,
    item: String,
    amount_cents: i64,
    basis: String,
    note: Option<String>,
    version: i32,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

/// What a client sets, on insert and on update alike.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = funding_rates, treat_none_as_null = true)]
struct RateColumns<'a> {
    year: i32,
    module: &'a str,
    item: &'a str,
    amount_cents: i64,
    basis: &'a str,
    note: Option<&'a str>,
}

impl<'a> RateColumns<'a> {
    fn new(rate: &Rate, note: Option<&'a str>) -> Self {
        RateColumns {
            year: rate.year,
            module: rate.module.as_str(),
            item: rate.item.as_str(),
            amount_cents: rate.amount_cents,
            basis: rate.basis.as_str(),
            note,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct StoredRate {
    pub id: i64,
    pub rate: Rate,
    pub note: Option<String>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<RateRow> for StoredRate {
    type Error = StoreError;
    fn try_from(row: RateRow) -> Result<Self, StoreError> {
        Ok(StoredRate {
            id: row.id,
            rate: Rate {
                year: row.year,
                module: Module::parse(&row.module)?,
                item: FundingItem::parse(&row.item)?,
                amount_cents: row.amount_cents,
                basis: RateBasis::parse(&row.basis)?,
            },
            note: row.note,
            version: row.version,
            created_at: clock::to_utc(row.created_at),
            updated_at: clock::to_utc(row.updated_at),
        })
    }
}

/// Rates, optionally of one year and module, ordered by year, module, item.
pub fn list(
    conn: &mut DbConn,
    year: Option<i32>,
    module: Option<Module>,
) -> StoreResult<Vec<StoredRate>> {
    let mut query = funding_rates::table.into_boxed::<MultiBackend>();
    if let Some(year) = year {
        query = query.filter(funding_rates::year.eq(year));
    }
    if let Some(module) = module {
        query = query.filter(funding_rates::module.eq(module.as_str()));
    }
    let rows: Vec<RateRow> = query
        .order((
            funding_rates::year.asc(),
            funding_rates::module.asc(),
            funding_rates::item.asc(),
        ))
        .select(RateRow::as_select())
        .load(conn)?;
    rows.into_iter().map(StoredRate::try_from).collect()
}

/// Every rate as the domain rules take them.
pub fn all(conn: &mut DbConn) -> StoreResult<Vec<Rate>> {
    Ok(list(conn, None, None)?
        .into_iter()
        .map(|r| r.rate)
        .collect())
}

pub fn find(conn: &mut DbConn, id: i64) -> StoreResult<StoredRate> {
    funding_rates::table
        .find(id)
        .select(RateRow::as_select())
        .first(conn)?
        .try_into()
}

pub fn insert(conn: &mut DbConn, rate: &Rate, note: Option<&str>) -> StoreResult<StoredRate> {
    let now = clock::now();
    let id: i64 = insert_versioned!(conn, funding_rates, RateColumns::new(rate, note), now)
        .map_err(|e| e.on_field("year, module and item"))?;
    find(conn, id)
}

pub fn update(
    conn: &mut DbConn,
    id: i64,
    expected_version: i32,
    rate: &Rate,
    note: Option<&str>,
) -> StoreResult<StoredRate> {
    let current = find(conn, id)?;
    expect_version(current.version, expected_version)?;
    update_versioned!(
        conn,
        funding_rates,
        id,
        expected_version,
        RateColumns::new(rate, note)
    )
    .map_err(|e| e.on_field("year, module and item"))?;
    find(conn, id)
}

pub fn delete(conn: &mut DbConn, id: i64, expected_version: i32) -> StoreResult<()> {
    let current = find(conn, id)?;
    expect_version(current.version, expected_version)?;
    delete_versioned!(conn, funding_rates, id, expected_version)?;
    Ok(())
}

/// Whether a rate for this year, module and item exists (for seeding).
pub fn exists(
    conn: &mut DbConn,
    year: i32,
    module: Module,
    item: FundingItem,
) -> StoreResult<bool> {
    let count: i64 = funding_rates::table
        .filter(funding_rates::year.eq(year))
        .filter(funding_rates::module.eq(module.as_str()))
        .filter(funding_rates::item.eq(item.as_str()))
        .count()
        .get_result(conn)?;
    Ok(count > 0)
}
