//! Stored failed-login counts per username; the rule itself is `kim_domain::login_throttle`.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel::RunQueryDsl;
use kim_domain::login_throttle::{FailureRecord, ThrottlePolicy};

use crate::schema::login_failures;
use crate::{clock, DbConn, StoreError};

pub fn get(conn: &mut DbConn, username: &str) -> Result<FailureRecord, StoreError> {
    let row: Option<(i32, Option<chrono::NaiveDateTime>)> = login_failures::table
        .find(username)
        .select((login_failures::failures, login_failures::locked_until))
        .first(conn)
        .optional()?;
    Ok(row
        .map(|(failures, locked_until)| FailureRecord {
            failures: u32::try_from(failures).unwrap_or(0),
            locked_until: locked_until.map(clock::to_utc),
        })
        .unwrap_or_default())
}

pub fn put(conn: &mut DbConn, username: &str, record: &FailureRecord) -> Result<(), StoreError> {
    let failures = i32::try_from(record.failures).unwrap_or(i32::MAX);
    let locked_until = record.locked_until.map(clock::from_utc);
    // Delete-then-insert is the portable upsert; the caller runs it in a transaction.
    diesel::delete(login_failures::table.find(username)).execute(conn)?;
    diesel::insert_into(login_failures::table)
        .values((
            login_failures::username.eq(username),
            login_failures::failures.eq(failures),
            login_failures::locked_until.eq(locked_until),
            // For the retention rule: records untouched for its period are removed.
            login_failures::last_failed_at.eq(clock::now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Counts one attempt for `key` before its password is checked: `Ok(Ok(()))` when it may be
/// judged, `Ok(Err(wait))` while the key is locked. Runs in one transaction; on PostgreSQL the
/// table is locked for it (two read-committed transactions would otherwise both read the old
/// count), on SQLite `BEGIN IMMEDIATE` already makes writers take turns.
pub fn reserve(
    conn: &mut DbConn,
    key: &str,
    policy: &ThrottlePolicy,
    now: DateTime<Utc>,
) -> Result<Result<(), Duration>, StoreError> {
    crate::connection::transaction(conn, |conn| {
        if matches!(conn, DbConn::Postgres(_)) {
            diesel::sql_query("LOCK TABLE login_failures IN SHARE ROW EXCLUSIVE MODE")
                .execute(conn)?;
        }
        let record = get(conn, key)?;
        match policy.reserve(&record, now) {
            Ok(next) => {
                put(conn, key, &next)?;
                Ok(Ok(()))
            }
            Err(wait) => Ok(Err(wait)),
        }
    })
}

pub fn clear(conn: &mut DbConn, username: &str) -> Result<(), StoreError> {
    diesel::delete(login_failures::table.find(username)).execute(conn)?;
    Ok(())
}

/// Every key with a stored record: usernames, and the buckets unknown names are counted under.
pub fn keys(conn: &mut DbConn) -> Result<Vec<String>, StoreError> {
    Ok(login_failures::table
        .select(login_failures::username)
        .order(login_failures::username)
        .load(conn)?)
}

/// Removes records whose last failure is before `cutoff` (retention rule `login_failures`).
pub fn remove_before(
    conn: &mut DbConn,
    cutoff: chrono::NaiveDateTime,
    limit: usize,
) -> Result<usize, StoreError> {
    let usernames: Vec<String> = login_failures::table
        .filter(login_failures::last_failed_at.lt(cutoff))
        .select(login_failures::username)
        .limit(i64::try_from(limit).unwrap_or(i64::MAX))
        .load(conn)?;
    Ok(
        diesel::delete(login_failures::table.filter(login_failures::username.eq_any(&usernames)))
            .execute(conn)?,
    )
}

/// How many records [`remove_before`] would remove.
pub fn count_before(conn: &mut DbConn, cutoff: chrono::NaiveDateTime) -> Result<i64, StoreError> {
    Ok(login_failures::table
        .filter(login_failures::last_failed_at.lt(cutoff))
        .count()
        .get_result(conn)?)
}
