//! Demo positions and funding rates. Being written.

use kim_store::{DbConn, StoreError};

/// Loads the demo positions and funding rates; returns how many were created.
pub fn demo(_conn: &mut DbConn) -> Result<usize, StoreError> {
    Ok(0)
}
