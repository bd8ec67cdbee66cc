//! The time as stored: UTC, truncated to microseconds because PostgreSQL keeps no more, so a
//! value read back equals the value written on either database.

use chrono::{DateTime, NaiveDateTime, SubsecRound, Utc};

pub fn now() -> NaiveDateTime {
    Utc::now().naive_utc().trunc_subsecs(6)
}

pub fn to_utc(value: NaiveDateTime) -> DateTime<Utc> {
    value.and_utc()
}

pub fn from_utc(value: DateTime<Utc>) -> NaiveDateTime {
    value.naive_utc().trunc_subsecs(6)
}
