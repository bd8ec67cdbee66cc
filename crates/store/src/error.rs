//! Errors of the persistence layer, by what the caller must do about them rather than by
//! what the database said. The API maps each variant to one HTTP status.

use diesel::result::{DatabaseErrorKind, Error as DieselError};

/// Checks an `UPDATE … WHERE id = ? AND version = ?`. Reading the version first and writing
/// later is not enough: under PostgreSQL's read committed two writers can both read the old
/// version, and the second would silently overwrite the first. No changed row means another
/// writer won; `current` re-reads the version for the 412.
pub(crate) fn changed_or_stale(
    changed: usize,
    current: impl FnOnce() -> Result<i32, StoreError>,
) -> Result<(), StoreError> {
    if changed == 0 {
        return Err(StoreError::StaleVersion {
            current: current()?,
        });
    }
    Ok(())
}

/// The one check of a client's `If-Match` against the version just read: 412 with the current
/// version when they differ. Checked before anything else is read or written so a stale edit
/// meets 412, not a 409 or 422 about state it has not seen; the versioned `UPDATE` after it
/// ([`changed_or_stale`]) still guards the race between this read and the write.
pub fn expect_version(current: i32, expected: i32) -> StoreResult<()> {
    if current != expected {
        return Err(StoreError::StaleVersion { current });
    }
    Ok(())
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The object does not exist (404).
    #[error("not found")]
    NotFound,
    /// The client's `If-Match` version is not the current one (412).
    #[error("the object was changed meanwhile; current version is {current}")]
    StaleVersion { current: i32 },
    /// A unique value is taken (409). `field` names it when the caller knows which.
    #[error("already exists")]
    Duplicate { field: Option<&'static str> },
    /// The object is still referenced and cannot be deleted (409).
    #[error("still referenced: {0}")]
    InUse(String),
    /// A referenced object does not exist (422 on the named field).
    #[error("{field}: {message}")]
    UnknownReference {
        field: &'static str,
        message: String,
    },
    /// A state machine refuses the move (409, naming the allowed moves).
    #[error("{0}")]
    IllegalTransition(#[from] kim_domain::transition::IllegalTransition),
    /// The request conflicts with the object's state in another way (409).
    #[error("{0}")]
    Conflict(String),
    /// A field is invalid given what is stored, e.g. shares exceeding a position's FTE (422).
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    /// The database cannot be reached (503).
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Stored data does not parse; a bug or a manual edit (500, logged).
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// Anything else from the database (500, logged).
    #[error("database error: {0}")]
    Database(DieselError),
    /// A migration failed (start-up only).
    #[error("migration failed: {0}")]
    Migration(String),
}

const REFERENCED: &str = "other records refer to it; remove or change those first";

impl From<DieselError> for StoreError {
    fn from(error: DieselError) -> Self {
        match error {
            DieselError::NotFound => StoreError::NotFound,
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                StoreError::Duplicate { field: None }
            }
            // The database's own wording names tables and constraints: log it, do not show it.
            DieselError::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, info) => {
                tracing::info!(cause = info.message(), "refused: still referenced");
                StoreError::InUse(REFERENCED.into())
            }
            // SQLite reports a violated `ON DELETE RESTRICT` without a kind diesel recognises.
            DieselError::DatabaseError(DatabaseErrorKind::Unknown, info)
                if info.message() == "FOREIGN KEY constraint failed" =>
            {
                StoreError::InUse(REFERENCED.into())
            }
            // `UnableToSendCommand`: libpq could not even send the statement, e.g. "no
            // connection to the server" on a connection whose server went away.
            DieselError::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                info,
            ) => StoreError::Unavailable(info.message().to_owned()),
            // SQLite's writer lock was not free within `busy_timeout`: answered 503, try again.
            DieselError::DatabaseError(_, info)
                if info.message() == "database is locked"
                    || info.message() == "database is busy" =>
            {
                StoreError::Unavailable("the database is busy".into())
            }
            // The database cannot be written now (SQLite: a read-only file or directory, a
            // full disk, an I/O error; PostgreSQL: a read-only server, e.g. a standby after a
            // failover). Nothing was written; the operator's fix makes the retry succeed, so
            // 503 with Retry-After rather than a 500 that reads as a bug.
            DieselError::DatabaseError(DatabaseErrorKind::ReadOnlyTransaction, info) => {
                StoreError::Unavailable(format!(
                    "the database accepts no writes: {}",
                    info.message()
                ))
            }
            DieselError::DatabaseError(_, info) if sqlite_cannot_write(info.message()) => {
                StoreError::Unavailable(format!(
                    "the database cannot be written: {}",
                    info.message()
                ))
            }
            DieselError::BrokenTransactionManager => {
                StoreError::Unavailable("broken transaction manager".into())
            }
            other => StoreError::Database(other),
        }
    }
}

/// SQLite's messages (`sqlite3_errstr`, not translated) for a database it cannot write:
/// `SQLITE_READONLY`, `SQLITE_IOERR`, `SQLITE_FULL`, `SQLITE_CANTOPEN`.
fn sqlite_cannot_write(message: &str) -> bool {
    matches!(
        message,
        "attempt to write a readonly database"
            | "disk I/O error"
            | "database or disk is full"
            | "unable to open database file"
    )
}

impl From<r2d2::Error> for StoreError {
    fn from(error: r2d2::Error) -> Self {
        StoreError::Unavailable(error.to_string())
    }
}

impl From<kim_domain::transition::StateConflict> for StoreError {
    fn from(error: kim_domain::transition::StateConflict) -> Self {
        StoreError::Conflict(error.0)
    }
}

impl From<kim_domain::UnknownValue> for StoreError {
    fn from(error: kim_domain::UnknownValue) -> Self {
        StoreError::Corrupt(error.to_string())
    }
}

impl StoreError {
    /// Names the field of a unique violation, for a message the client can act on.
    pub fn on_field(self, name: &'static str) -> Self {
        match self {
            StoreError::Duplicate { field: None } => StoreError::Duplicate { field: Some(name) },
            other => other,
        }
    }

    /// A referenced object does not exist: 422 on `field`, with `message` saying which.
    pub fn unknown(field: &'static str, message: impl Into<String>) -> Self {
        StoreError::UnknownReference {
            field,
            message: message.into(),
        }
    }

    /// Names the field of the request that named a missing object: `NotFound` becomes an
    /// `UnknownReference` (422 on the field), since the request, not its path, is wrong.
    pub fn on_reference(self, field: &'static str, message: impl Into<String>) -> Self {
        match self {
            StoreError::NotFound => StoreError::unknown(field, message),
            other => other,
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

#[cfg(test)]
mod tests {
    use diesel::connection::SimpleConnection;
    use diesel::{Connection, SqliteConnection};

    use super::*;

    #[test]
    fn a_database_that_cannot_be_written_is_unavailable_not_a_bug() {
        let mut conn = SqliteConnection::establish(":memory:").expect("in-memory SQLite");
        conn.batch_execute("CREATE TABLE t (x INTEGER); PRAGMA query_only = ON;")
            .expect("set up");
        let refused = conn
            .batch_execute("INSERT INTO t VALUES (1)")
            .expect_err("query_only refuses writes");
        assert!(
            matches!(StoreError::from(refused), StoreError::Unavailable(ref why) if why.contains("readonly")),
        );
        for message in ["disk I/O error", "database or disk is full"] {
            assert!(sqlite_cannot_write(message), "{message}");
        }
        // Corruption or a constraint is not an outage: those stay 500 and 409.
        assert!(!sqlite_cannot_write("database disk image is malformed"));
    }
}
