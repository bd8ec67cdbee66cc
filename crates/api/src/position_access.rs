//! Which positions a caller may read: everything with `read_steering`, their own with
//! `read_own_position`, 404 for another's.

use kim_domain::access::{position_scope, PositionScope};
use kim_store::positions as store;

use crate::auth::Authenticated;
use crate::ApiError;

/// What `who` may read: everything with `read_steering`, their own with `read_own_position`.
pub(crate) fn readable_scope(who: &Authenticated) -> Result<Option<i64>, ApiError> {
    match position_scope(&who.principal) {
        PositionScope::All => Ok(None),
        PositionScope::HeldBy(user_id) => Ok(Some(user_id)),
        PositionScope::Nothing => Err(ApiError::Forbidden(
            "your role does not allow 'read_steering'".into(),
        )),
    }
}

/// Reads one position if `who` may see it; another's position is 404 for a case manager.
pub(crate) fn readable(
    conn: &mut kim_store::DbConn,
    who: &Authenticated,
    id: i64,
) -> Result<store::Position, ApiError> {
    let own = readable_scope(who)?;
    let position = store::find(conn, id)?;
    match own {
        Some(user_id) if position.data.holder_user_id != Some(user_id) => Err(ApiError::NotFound),
        _ => Ok(position),
    }
}
