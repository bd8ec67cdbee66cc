//! Read models of the controlling reports: grouped counts computed by the database
//! (`GROUP BY`), never rows of people loaded into Rust. The people report groups by the
//! attributes captured per case membership (`case_clients`), never by the client record, so an
//! erasure leaves the figures unchanged. No query here or in the modules below selects a name,
//! reference, birth year or free text.
//!
//! This module holds what every report shares (the scope, grouping by period, totals); each
//! child module holds the queries of one group of reports.
//!
//! SQL is assembled from fixed fragments; the only values are typed dates and ids, written as
//! literals.

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};
use kim_domain::report::table::Count;

use crate::error::StoreResult;
use crate::DbConn;

mod case_figures;
mod referral_figures;
mod steering_figures;

pub use case_figures::{
    caseload, caseload_by_case_manager, cases, people, places, social_area_names, CaseCounts, Place,
};
pub use referral_figures::{
    goals, referral_counts, referrals, ReferralCounts, GOAL_STATUSES, REFERRAL_OUTCOMES,
};
pub use steering_figures::{clearing, gaps, programme, ClearingCounts, GapCounts, ProgrammeCounts};

/// Whose cases a report counts: all, or those a case manager is assigned to or deputises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    All,
    CaseManager(i64),
}

impl Scope {
    /// The join that brings in the case `c` an object belongs to, for the scope's condition.
    /// The whole county needs none: counting goals or referrals without it reads an index
    /// alone (issue 12: 376 ms down to 23 ms for the goals of one year on 100,000 cases).
    fn case_join(self, column: &str) -> String {
        match self {
            Scope::All => String::new(),
            Scope::CaseManager(_) => format!(" JOIN cases c ON c.id = {column}"),
        }
    }

    fn condition(self) -> String {
        match self {
            Scope::All => "1 = 1".into(),
            Scope::CaseManager(id) => {
                format!("(c.assigned_user_id = {id} OR c.deputy_user_id = {id})")
            }
        }
    }
}

#[derive(QueryableByName)]
struct Grouped {
    #[diesel(sql_type = Nullable<Text>)]
    k1: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    k2: Option<String>,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Total {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn is_postgres(conn: &DbConn) -> bool {
    matches!(conn, DbConn::Postgres(_))
}

fn lit(date: NaiveDate) -> String {
    format!("'{}'", date.format("%Y-%m-%d"))
}

fn month(pg: bool, col: &str) -> String {
    if pg {
        format!("to_char({col}, 'YYYY-MM')")
    } else {
        format!("strftime('%Y-%m', {col})")
    }
}

fn quarter(pg: bool, col: &str) -> String {
    if pg {
        format!("to_char({col}, 'YYYY-\"Q\"Q')")
    } else {
        format!(
            "(strftime('%Y', {col}) || '-Q' || ((CAST(strftime('%m', {col}) AS INTEGER) + 2) / 3))"
        )
    }
}

fn year(pg: bool, col: &str) -> String {
    if pg {
        format!("to_char({col}, 'YYYY')")
    } else {
        format!("strftime('%Y', {col})")
    }
}

/// [`grouped`] by exactly two keys, as (first key, second key, count); a null key is "".
fn grouped_pairs(
    conn: &mut DbConn,
    keys: [String; 2],
    what: &str,
    from_where: &str,
) -> StoreResult<Vec<(String, String, u64)>> {
    Ok(grouped(conn, &keys, what, from_where)?
        .into_iter()
        .map(|c| {
            let mut keys = c.keys.into_iter();
            (
                keys.next().flatten().unwrap_or_default(),
                keys.next().flatten().unwrap_or_default(),
                c.count,
            )
        })
        .collect())
}

/// Runs `SELECT keys…, COUNT(DISTINCT what) … GROUP BY keys` and returns the counts.
fn grouped(
    conn: &mut DbConn,
    keys: &[String],
    what: &str,
    from_where: &str,
) -> StoreResult<Vec<Count>> {
    let k1 = keys.first().cloned().unwrap_or_else(|| "NULL".into());
    let k2 = keys.get(1).cloned().unwrap_or_else(|| "NULL".into());
    let group = if keys.is_empty() {
        String::new()
    } else {
        format!(
            " GROUP BY {}",
            (1..=keys.len())
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    // `*`: every row is one object (no join repeats it), so a plain COUNT suffices.
    let counted = match what {
        "*" => "COUNT(*)".to_owned(),
        column => format!("COUNT(DISTINCT {column})"),
    };
    let sql = format!(
        "SELECT CAST({k1} AS TEXT) AS k1, CAST({k2} AS TEXT) AS k2, \
         CAST({counted} AS BIGINT) AS n {from_where}{group}"
    );
    let rows: Vec<Grouped> = diesel::sql_query(sql).load(conn)?;
    Ok(rows
        .into_iter()
        .map(|g| Count {
            keys: [g.k1, g.k2].into_iter().take(keys.len()).collect(),
            count: u64::try_from(g.n).unwrap_or(0),
        })
        .collect())
}

fn total(conn: &mut DbConn, what: &str, from_where: &str) -> StoreResult<u64> {
    let sql = format!("SELECT CAST(COUNT(DISTINCT {what}) AS BIGINT) AS n {from_where}");
    let row: Total = diesel::sql_query(sql).get_result(conn)?;
    Ok(u64::try_from(row.n).unwrap_or(0))
}
