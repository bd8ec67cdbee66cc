//! Query values the derive cannot parse as the document states them.

use chrono::NaiveDate;

/// A `YYYY-MM-DD` query value; the error names what was sent.
/// A date exactly as RFC 3339 `full-date` (the document's `format: date`): `YYYY-MM-DD`, with
/// nothing around it, so that the server and the document refuse the same values.
pub(crate) fn parse_date(value: &str) -> Result<NaiveDate, String> {
    let shaped = value.len() == 10
        && value.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
    shaped
        .then(|| NaiveDate::parse_from_str(value, "%Y-%m-%d").ok())
        .flatten()
        .ok_or_else(|| format!("'{value}' is not a date (YYYY-MM-DD)"))
}
