//! Module 3 outcomes: quarterly counts per immigration or naturalisation office. One record per
//! office and quarter (a second is 409); the counts' rules are `kim_domain::office_outcome`'s.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use kim_domain::office_outcome::OutcomeCounts;
use kim_domain::paging::PageRequest;

use crate::connection::MultiBackend;
use crate::error::StoreResult;
use crate::versioned::{insert_versioned, update_versioned};
use crate::{clock, organisations, DbConn, Listed, StoreError};

use self::schema::office_outcomes as oo;

/// The table of this module, written by hand to match `migrations/*/…_programme_records`.
mod schema {
    diesel::table! {
        office_outcomes (id) {
            id -> BigInt,
            organisation_id -> BigInt,
            year -> Integer,
            quarter -> Integer,
            information_events -> BigInt,
            event_attendance -> BigInt,
            counselling_sessions -> BigInt,
            naturalisations_initiated -> BigInt,
            naturalisations_completed -> BigInt,
            residence_secured -> BigInt,
            opportunity_residence_procedures -> BigInt,
            version -> Integer,
            created_at -> Timestamp,
            updated_at -> Timestamp,
        }
    }
}

/// The counts' columns, written on insert and on update alike and read back into the row.
#[derive(Insertable, AsChangeset, Queryable, Selectable)]
#[diesel(table_name = oo, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
struct CountColumns {
    information_events: i64,
    event_attendance: i64,
    counselling_sessions: i64,
    naturalisations_initiated: i64,
    naturalisations_completed: i64,
    residence_secured: i64,
    opportunity_residence_procedures: i64,
}

/// The seven counts from the domain's type into the columns or back: one field list for both
/// directions.
macro_rules! move_counts {
    ($into:ident, $c:expr) => {
        $into {
            information_events: $c.information_events,
            event_attendance: $c.event_attendance,
            counselling_sessions: $c.counselling_sessions,
            naturalisations_initiated: $c.naturalisations_initiated,
            naturalisations_completed: $c.naturalisations_completed,
            residence_secured: $c.residence_secured,
            opportunity_residence_procedures: $c.opportunity_residence_procedures,
        }
    };
}

impl From<CountColumns> for OutcomeCounts {
    fn from(c: CountColumns) -> Self {
        move_counts!(OutcomeCounts, c)
    }
}

impl From<&OutcomeCounts> for CountColumns {
    fn from(c: &OutcomeCounts) -> Self {
        move_counts!(CountColumns, c)
    }
}

/// The fields a client sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutcomeData {
    pub organisation_id: i64,
    pub year: i32,
    pub quarter: i32,
    pub counts: OutcomeCounts,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficeOutcome {
    pub id: i64,
    pub data: OutcomeData,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = oo, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
struct Row {
    id: i64,
    organisation_id: i64,
    year: i32,
    quarter: i32,
    #[diesel(embed)]
    counts: CountColumns,
    version: i32,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl From<Row> for OfficeOutcome {
    fn from(r: Row) -> Self {
        OfficeOutcome {
            id: r.id,
            data: OutcomeData {
                organisation_id: r.organisation_id,
                year: r.year,
                quarter: r.quarter,
                counts: r.counts.into(),
            },
            version: r.version,
            created_at: clock::to_utc(r.created_at),
            updated_at: clock::to_utc(r.updated_at),
        }
    }
}

#[derive(Debug, Clone, Copy, Default)]
pub struct OutcomeFilter {
    pub year: Option<i32>,
    pub organisation_id: Option<i64>,
}

fn filtered(filter: OutcomeFilter) -> oo::BoxedQuery<'static, MultiBackend> {
    let mut query = oo::table.into_boxed::<MultiBackend>();
    if let Some(year) = filter.year {
        query = query.filter(oo::year.eq(year));
    }
    if let Some(organisation) = filter.organisation_id {
        query = query.filter(oo::organisation_id.eq(organisation));
    }
    query
}

/// Records by year, quarter and office.
pub fn list(
    conn: &mut DbConn,
    filter: OutcomeFilter,
    page: PageRequest,
) -> StoreResult<Listed<OfficeOutcome>> {
    let total: i64 = filtered(filter).count().get_result(conn)?;
    let rows: Vec<Row> = filtered(filter)
        .order((oo::year.asc(), oo::quarter.asc(), oo::organisation_id.asc()))
        .limit(page.limit)
        .offset(page.offset)
        .select(Row::as_select())
        .load(conn)?;
    Ok(Listed {
        items: rows.into_iter().map(OfficeOutcome::from).collect(),
        total,
    })
}

pub fn find(conn: &mut DbConn, id: i64) -> StoreResult<OfficeOutcome> {
    Ok(oo::table
        .find(id)
        .select(Row::as_select())
        .first::<Row>(conn)?
        .into())
}

fn check_office(conn: &mut DbConn, organisation_id: i64) -> StoreResult<()> {
    if !organisations::exists(conn, organisation_id)? {
        return Err(StoreError::unknown(
            "organisation_id",
            format!("no organisation with id {organisation_id}"),
        ));
    }
    Ok(())
}

/// Records an office's quarter; a second record of the same office and quarter is 409.
pub fn insert(conn: &mut DbConn, data: &OutcomeData) -> StoreResult<OfficeOutcome> {
    check_office(conn, data.organisation_id)?;
    let c = &data.counts;
    let now = clock::now();
    let id: i64 = insert_versioned!(
        conn,
        oo,
        (
            oo::organisation_id.eq(data.organisation_id),
            oo::year.eq(data.year),
            oo::quarter.eq(data.quarter),
            CountColumns::from(c)
        ),
        now
    )
    .map_err(|e| match e {
        StoreError::Duplicate { .. } => StoreError::Conflict(format!(
            "the office's record of {}-Q{} exists; change it with PUT and If-Match",
            data.year, data.quarter
        )),
        other => other,
    })?;
    find(conn, id)
}

/// Replaces the counts of a record (office, year and quarter stay).
pub fn update_counts(
    conn: &mut DbConn,
    id: i64,
    expected_version: i32,
    counts: &OutcomeCounts,
) -> StoreResult<OfficeOutcome> {
    find(conn, id)?;
    let c = counts;
    update_versioned!(conn, oo, id, expected_version, (CountColumns::from(c)))?;
    find(conn, id)
}

#[derive(QueryableByName)]
struct Sums {
    #[diesel(sql_type = BigInt)]
    a: i64,
    #[diesel(sql_type = BigInt)]
    b: i64,
    #[diesel(sql_type = BigInt)]
    c: i64,
    #[diesel(sql_type = BigInt)]
    d: i64,
    #[diesel(sql_type = BigInt)]
    e: i64,
    #[diesel(sql_type = BigInt)]
    f: i64,
    #[diesel(sql_type = BigInt)]
    g: i64,
}

/// The sums of every office's counts in `year`, in one aggregate query.
pub fn sums_in_year(conn: &mut DbConn, year: i32) -> StoreResult<OutcomeCounts> {
    let sum = |column: &str, alias: &str| {
        format!("CAST(COALESCE(SUM({column}), 0) AS BIGINT) AS {alias}")
    };
    let s: Sums = diesel::sql_query(format!(
        "SELECT {}, {}, {}, {}, {}, {}, {} FROM office_outcomes WHERE year = {year}",
        sum("information_events", "a"),
        sum("event_attendance", "b"),
        sum("counselling_sessions", "c"),
        sum("naturalisations_initiated", "d"),
        sum("naturalisations_completed", "e"),
        sum("residence_secured", "f"),
        sum("opportunity_residence_procedures", "g"),
    ))
    .get_result(conn)?;
    Ok(OutcomeCounts {
        information_events: s.a,
        event_attendance: s.b,
        counselling_sessions: s.c,
        naturalisations_initiated: s.d,
        naturalisations_completed: s.e,
        residence_secured: s.f,
        opportunity_residence_procedures: s.g,
    })
}
