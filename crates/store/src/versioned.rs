//! The one versioned write. Every table with `id`, `version` and `updated_at` columns is
//! inserted through [`insert_versioned!`], deleted through [`delete_versioned!`] and changed
//! through [`update_versioned!`]: `UPDATE … SET <changes>, version = version + 1,
//! updated_at = <now> WHERE id = ? AND version = ?`, checked with
//! [`changed_or_stale`](crate::error::changed_or_stale). Reading the version first and writing
//! later is not enough under PostgreSQL's read committed, so the `WHERE` carries the version
//! too. A macro and not a generic function because diesel's table and column types are
//! distinct per table, and a bound over all of them through the `MultiBackend` would be longer
//! than the statement it saves.

/// `update_versioned!(conn, table, id, expected_version, changes)` sets `changes` (one
/// changeset or a tuple of them) on row `id` of `table` if its version is still
/// `expected_version` (without `changes`, only the version moves on: the change went to child
/// tables); a sixth argument stamps `updated_at` with that time instead of now (for
/// writes that record the same instant in another column). Evaluates to `StoreResult<()>`:
/// `StaleVersion` with the current version when another writer came first, `NotFound` when the
/// row is gone.
macro_rules! update_versioned {
    ($conn:expr, $table:ident, $id:expr, $expected:expr, $changes:expr, $now:expr $(,)?) => {
        $crate::versioned::update_versioned!(@run $conn, $table, $id, $expected, $now, $changes)
    };
    ($conn:expr, $table:ident, $id:expr, $expected:expr, $changes:expr $(,)?) => {
        $crate::versioned::update_versioned!(
            @run $conn, $table, $id, $expected, $crate::clock::now(), $changes
        )
    };
    // Only the version and `updated_at`: the change itself was written to child tables.
    ($conn:expr, $table:ident, $id:expr, $expected:expr $(,)?) => {
        $crate::versioned::update_versioned!(@run $conn, $table, $id, $expected, $crate::clock::now())
    };
    (@run $conn:expr, $table:ident, $id:expr, $expected:expr, $now:expr $(, $changes:expr)?) => {{
        let conn: &mut $crate::DbConn = $conn;
        let id: i64 = $id;
        let expected: i32 = $expected;
        diesel::update(
            $table::table
                .filter($table::id.eq(id))
                .filter($table::version.eq(expected)),
        )
        .set((
            $($changes,)?
            $table::version.eq(expected + 1),
            $table::updated_at.eq($now),
        ))
        .execute(&mut *conn)
        .map_err($crate::StoreError::from)
        .and_then(|changed| {
            $crate::error::changed_or_stale(changed, || {
                Ok($table::table
                    .filter($table::id.eq(id))
                    .select($table::version)
                    .first::<i32>(&mut *conn)?)
            })
        })
    }};
}
pub(crate) use update_versioned;

/// `delete_versioned!(conn, table, id, expected_version)` deletes row `id` of `table` if its
/// version is still `expected_version`: `StoreResult<()>`, `StaleVersion` with the current
/// version when another writer came first, `NotFound` when the row is gone.
macro_rules! delete_versioned {
    ($conn:expr, $table:ident, $id:expr, $expected:expr $(,)?) => {{
        let conn: &mut $crate::DbConn = $conn;
        let id: i64 = $id;
        let expected: i32 = $expected;
        diesel::delete(
            $table::table
                .filter($table::id.eq(id))
                .filter($table::version.eq(expected)),
        )
        .execute(&mut *conn)
        .map_err($crate::StoreError::from)
        .and_then(|removed| {
            $crate::error::changed_or_stale(removed, || {
                Ok($table::table
                    .filter($table::id.eq(id))
                    .select($table::version)
                    .first::<i32>(&mut *conn)?)
            })
        })
    }};
}
pub(crate) use delete_versioned;

/// `insert_versioned!(conn, table, values, now)` inserts a row at version 1, created and
/// updated at `now`, and evaluates to `StoreResult<i64>`, its id.
macro_rules! insert_versioned {
    ($conn:expr, $table:ident, $values:expr, $now:expr $(,)?) => {{
        let now = $now;
        diesel::insert_into($table::table)
            .values((
                $values,
                $table::version.eq(1),
                $table::created_at.eq(now),
                $table::updated_at.eq(now),
            ))
            .returning($table::id)
            .get_result::<i64>($conn)
            .map_err($crate::StoreError::from)
    }};
}
pub(crate) use insert_versioned;
