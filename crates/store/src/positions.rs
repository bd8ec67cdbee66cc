//! Positions (Stellen) with their municipality shares and dated history.

use diesel::prelude::*;

use crate::error::StoreResult;
use crate::schema::positions;
use crate::DbConn;

/// The first of `ids` that names no position, if any.
pub fn first_unknown(conn: &mut DbConn, ids: &[i64]) -> StoreResult<Option<i64>> {
    if ids.is_empty() {
        return Ok(None);
    }
    let known: Vec<i64> = positions::table
        .filter(positions::id.eq_any(ids))
        .select(positions::id)
        .load(conn)?;
    Ok(ids.iter().copied().find(|id| !known.contains(id)))
}
