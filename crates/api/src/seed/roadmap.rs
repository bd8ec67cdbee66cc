//! Demo roadmap items. Being written.

use kim_store::{DbConn, StoreError};

/// Loads the demo roadmap items; returns how many were created.
pub fn demo(_conn: &mut DbConn) -> Result<usize, StoreError> {
    Ok(0)
}
