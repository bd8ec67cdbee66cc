//! Embedded migrations, one set per dialect with identical names.

use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::{DbConn, StoreError};

const SQLITE: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");
const POSTGRES: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");

/// The advisory lock key of migrating ("KIMMIGRA" in ASCII, as an i64).
const MIGRATION_LOCK: i64 = 0x4B49_4D4D_4947_5241;

/// Applies every pending migration; returns the names applied.
///
/// PostgreSQL: under a session advisory lock, so that several servers started at once on one
/// database (a rolling deployment behind a load balancer) take turns: the first applies the
/// migrations, the others then find none pending. Without it they applied the same migration
/// at the same time and all but one failed to start (a unique violation in the catalogue).
pub fn run_pending(conn: &mut DbConn) -> Result<Vec<String>, StoreError> {
    use diesel::RunQueryDsl;
    let applied = match conn {
        DbConn::Sqlite(c) => c.run_pending_migrations(SQLITE).map(names),
        DbConn::Postgres(c) => {
            diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK})")).execute(c)?;
            let applied = c.run_pending_migrations(POSTGRES).map(names);
            // Also released when the connection closes, should this fail.
            diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})")).execute(c)?;
            applied
        }
    };
    applied.map_err(|e| StoreError::Migration(e.to_string()))
}

/// Reverts every applied migration (for the up/down/up test and for resetting a dev database).
pub fn revert_all(conn: &mut DbConn) -> Result<Vec<String>, StoreError> {
    let reverted = match conn {
        DbConn::Sqlite(c) => c.revert_all_migrations(SQLITE).map(names),
        DbConn::Postgres(c) => c.revert_all_migrations(POSTGRES).map(names),
    };
    reverted.map_err(|e| StoreError::Migration(e.to_string()))
}

fn names(versions: Vec<diesel::migration::MigrationVersion<'_>>) -> Vec<String> {
    versions.iter().map(|v| v.to_string()).collect()
}
