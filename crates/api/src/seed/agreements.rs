//! Demo cooperation agreements. Being written.

use kim_store::{DbConn, StoreError};

/// Loads the demo cooperation agreements; returns how many were created.
pub fn demo(_conn: &mut DbConn) -> Result<usize, StoreError> {
    Ok(0)
}
