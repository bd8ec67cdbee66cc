//! Connections and the pool: one `DbConn` type over SQLite and PostgreSQL.

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::r2d2::{ManageConnection, R2D2Connection};
use diesel::sqlite::SqliteConnection;
use diesel::Connection;

/// A connection to either database. Queries are written once against its `MultiBackend`.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

pub type DbPool = r2d2::Pool<ConnectionManager>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// A database location with its backend decided by the URL scheme, not by trial connection:
/// `postgres://` or `postgresql://` is PostgreSQL; `sqlite://path`, `sqlite:path` or a plain path
/// is a SQLite file.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    backend: Backend,
    target: String,
}

impl DatabaseUrl {
    pub fn parse(value: &str) -> Result<Self, String> {
        let value = value.trim();
        if value.is_empty() {
            return Err("DATABASE_URL is empty".into());
        }
        if value.starts_with("postgres://") || value.starts_with("postgresql://") {
            return Ok(DatabaseUrl {
                backend: Backend::Postgres,
                target: value.to_owned(),
            });
        }
        let path = value
            .strip_prefix("sqlite://")
            .or_else(|| value.strip_prefix("sqlite:"))
            .unwrap_or(value);
        if path.contains("://") {
            return Err(format!(
                "DATABASE_URL scheme not supported (use postgres:// or a SQLite file path): {}",
                redact(value)
            ));
        }
        if path.is_empty() {
            return Err("DATABASE_URL names no SQLite file".into());
        }
        Ok(DatabaseUrl {
            backend: Backend::Sqlite,
            target: path.to_owned(),
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The URL with any password replaced, for logs and messages.
    pub fn redacted(&self) -> String {
        redact(&self.target)
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DatabaseUrl({})", self.redacted())
    }
}

fn redact(url: &str) -> String {
    // postgres://user:secret@host → postgres://user:***@host
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme_end + 3],
                    &credentials[..colon],
                    &url[at..]
                ),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// SQLite settings applied to every new connection, tuned for a server:
/// - foreign keys enforced;
/// - WAL, so readers proceed beside the one writer and never wait for it;
/// - `synchronous = NORMAL`: in WAL mode a commit is durable across a crash of the application
///   (the WAL is written before the commit returns) but not across a power loss or OS crash,
///   which may lose the last transactions (never corrupts the file); see README;
/// - `busy_timeout` 2 s, well below a client's patience: a request that cannot get the write lock
///   by then fails with `SQLITE_BUSY`, answered 503 with `Retry-After` (see `StoreError`).
pub const SQLITE_BUSY_TIMEOUT_MS: u32 = 2_000;
const SQLITE_PRAGMAS: &str = "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 2000; \
     PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;";
/// Read-pool connections refuse every write, so a bug cannot write outside the writer's path.
const SQLITE_READ_ONLY: &str = "PRAGMA query_only = ON;";

/// Our own r2d2 manager: the derived `establish` tries each backend in turn and hides the real
/// error; this one connects to the backend the URL names and reports what went wrong.
#[derive(Debug, Clone)]
pub struct ConnectionManager {
    url: DatabaseUrl,
    read_only: bool,
}

impl ConnectionManager {
    pub fn new(url: DatabaseUrl) -> Self {
        ConnectionManager {
            url,
            read_only: false,
        }
    }

    /// Connections for the read pool (SQLite: `query_only`).
    pub fn read_only(url: DatabaseUrl) -> Self {
        ConnectionManager {
            url,
            read_only: true,
        }
    }
}

impl ManageConnection for ConnectionManager {
    type Connection = DbConn;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<DbConn, Self::Error> {
        match self.url.backend {
            Backend::Postgres => PgConnection::establish(&self.url.target)
                .map(DbConn::Postgres)
                .map_err(diesel::r2d2::Error::ConnectionError),
            Backend::Sqlite => {
                let mut conn = SqliteConnection::establish(&self.url.target)
                    .map_err(diesel::r2d2::Error::ConnectionError)?;
                conn.batch_execute(SQLITE_PRAGMAS)
                    .map_err(diesel::r2d2::Error::QueryError)?;
                if self.read_only {
                    conn.batch_execute(SQLITE_READ_ONLY)
                        .map_err(diesel::r2d2::Error::QueryError)?;
                }
                Ok(DbConn::Sqlite(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), Self::Error> {
        conn.ping().map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConn) -> bool {
        conn.is_broken()
    }
}

/// Pool settings.
#[derive(Debug, Clone, Copy)]
pub struct PoolOptions {
    pub max_size: u32,
    /// How long a request waits for a connection before the API answers 503.
    pub connection_timeout: Duration,
}

impl Default for PoolOptions {
    fn default() -> Self {
        PoolOptions {
            max_size: 8,
            connection_timeout: Duration::from_secs(3),
        }
    }
}

/// A connection checked out of a pool.
pub type PooledConn = r2d2::PooledConnection<ConnectionManager>;

/// A connection for a request that asked for one at `asked`, waiting at most what is left of
/// the pool's connection timeout since then: the time a request queued for a thread before it
/// could call the pool counts too. Without that, when the database is down and every thread
/// sits out its own timeout, a request queued behind them waited several timeouts in a row;
/// with it every request is answered (503 at the latest) within one. A request whose time is
/// up still takes an idle connection if there is one (r2d2 tries once before it waits).
pub fn checkout(pool: &DbPool, asked: std::time::Instant) -> Result<PooledConn, crate::StoreError> {
    let left = pool.connection_timeout().saturating_sub(asked.elapsed());
    pool.get_timeout(left).map_err(crate::StoreError::from)
}

/// How many connections the writers' pool holds. SQLite has one writer at a time: with several
/// writer connections the others wait in SQLite's busy handler, which sleeps in growing steps
/// (up to 100 ms) and served no one in order, so a burst of writes had a p99 of half a second.
/// One writer connection makes writers queue for the pool instead (woken as it frees) and leaves
/// the readers their own pool ([`read_pool`]). PostgreSQL: `configured`.
pub fn writer_pool_size(backend: Backend, configured: u32) -> u32 {
    match backend {
        Backend::Sqlite => 1,
        Backend::Postgres => configured,
    }
}

/// Opens one connection first so that a wrong URL or password is reported as it is, then
/// builds the pool.
pub fn connect_pool(url: &DatabaseUrl, options: PoolOptions) -> Result<DbPool, String> {
    let manager = ConnectionManager::new(url.clone());
    manager
        .connect()
        .map_err(|e| format!("cannot connect to {}: {e}", url.redacted()))?;
    Ok(pool_unchecked(url, options))
}

/// A pool that does not connect until first used: for serving while the database is down, so
/// that readiness reports 503 and recovers by itself when the database returns.
pub fn pool_unchecked(url: &DatabaseUrl, options: PoolOptions) -> DbPool {
    r2d2::Pool::builder()
        .max_size(options.max_size)
        .min_idle(Some(0))
        .connection_timeout(options.connection_timeout)
        .test_on_check_out(false)
        .build_unchecked(ConnectionManager::new(url.clone()))
}

/// The pool for reads. SQLite: a separate pool of read-only connections, so that readers never
/// queue behind the writer's lock (WAL lets them read beside it). PostgreSQL: the same pool
/// (its readers never wait for writers anyway).
pub fn read_pool(url: &DatabaseUrl, write_pool: &DbPool, options: PoolOptions) -> DbPool {
    match url.backend {
        Backend::Postgres => write_pool.clone(),
        Backend::Sqlite => r2d2::Pool::builder()
            .max_size(options.max_size)
            .min_idle(Some(0))
            .connection_timeout(options.connection_timeout)
            .test_on_check_out(false)
            .build_unchecked(ConnectionManager::read_only(url.clone())),
    }
}

/// Runs `f` in a read transaction: one consistent snapshot for the page and its count, and no
/// writer lock. PostgreSQL: `REPEATABLE READ, READ ONLY` (a read-only snapshot never fails to
/// serialise). SQLite: a deferred `BEGIN`, which takes no lock until it reads.
pub fn read_transaction<T, E, F>(conn: &mut DbConn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<crate::StoreError>,
{
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    let store_error = |e: diesel::result::Error| E::from(crate::StoreError::from(e));
    match conn {
        DbConn::Postgres(c) => AnsiTransactionManager::begin_transaction_sql(
            c,
            "BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY",
        ),
        DbConn::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN"),
    }
    .map_err(store_error)?;
    let result = f(conn);
    // Nothing was written: commit and rollback end the snapshot alike; commit is the cheaper
    // path in diesel's bookkeeping.
    let end = match conn {
        DbConn::Postgres(c) => AnsiTransactionManager::commit_transaction(c),
        DbConn::Sqlite(c) => AnsiTransactionManager::commit_transaction(c),
    };
    let value = result?;
    end.map_err(store_error)?;
    Ok(value)
}

/// After work on `conn` failed because the database was unavailable: when `conn` no longer
/// answers, marks it broken, so that the pool discards it on return instead of handing it to
/// the next request. Costs a round trip only on that failure path; a live connection (SQLite
/// busy, a read-only file) is kept.
pub fn drop_if_lost(conn: &mut DbConn) {
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    if conn.ping().is_ok() {
        return;
    }
    // `has_broken` reads the transaction manager's state: in error means broken.
    match conn {
        DbConn::Postgres(c) => {
            AnsiTransactionManager::transaction_manager_status_mut(c).set_in_error()
        }
        DbConn::Sqlite(c) => {
            AnsiTransactionManager::transaction_manager_status_mut(c).set_in_error()
        }
    }
}

/// Lets SQLite update its query planner statistics (on shutdown); nothing on PostgreSQL, whose
/// autovacuum does that.
pub fn optimize(conn: &mut DbConn) -> Result<(), crate::StoreError> {
    if let DbConn::Sqlite(c) = conn {
        c.batch_execute("PRAGMA optimize;")?;
    }
    Ok(())
}

/// Whether the database answers a trivial query now.
pub fn ping(conn: &mut DbConn) -> Result<(), crate::StoreError> {
    conn.ping().map_err(crate::StoreError::from)
}

/// Runs `f` in one transaction. PostgreSQL: an ordinary one. SQLite: `BEGIN IMMEDIATE`, which
/// takes the write lock up front; a deferred transaction that reads first and writes later fails
/// with `SQLITE_BUSY` instead of waiting when another writer got in between. Generic over the
/// error so that handlers can refuse with their own errors and still roll back.
pub fn transaction<T, E, F>(conn: &mut DbConn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<crate::StoreError>,
{
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    let store_error = |e: diesel::result::Error| E::from(crate::StoreError::from(e));
    // Inside a transaction already (e.g. `audit::remove_before` called from a retention job's
    // transaction): `begin_transaction` makes a savepoint.
    let nested = match conn {
        DbConn::Postgres(c) => in_transaction(c),
        DbConn::Sqlite(c) => in_transaction(c),
    };
    match conn {
        DbConn::Postgres(c) => AnsiTransactionManager::begin_transaction(c),
        DbConn::Sqlite(c) if nested => AnsiTransactionManager::begin_transaction(c),
        DbConn::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE"),
    }
    .map_err(store_error)?;
    match f(conn) {
        Ok(value) => {
            match conn {
                DbConn::Postgres(c) => AnsiTransactionManager::commit_transaction(c),
                DbConn::Sqlite(c) => AnsiTransactionManager::commit_transaction(c),
            }
            .map_err(store_error)?;
            Ok(value)
        }
        Err(error) => {
            // A failed rollback leaves the connection broken; the pool discards it.
            let _ = match conn {
                DbConn::Postgres(c) => AnsiTransactionManager::rollback_transaction(c),
                DbConn::Sqlite(c) => AnsiTransactionManager::rollback_transaction(c),
            };
            Err(error)
        }
    }
}

fn in_transaction<C>(conn: &mut C) -> bool
where
    C: Connection<TransactionManager = diesel::connection::AnsiTransactionManager>,
{
    use diesel::connection::TransactionManager;
    diesel::connection::AnsiTransactionManager::transaction_manager_status_mut(conn)
        .transaction_depth()
        .ok()
        .flatten()
        .is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_follows_the_scheme() {
        assert_eq!(
            DatabaseUrl::parse("postgres://u@h/db").map(|u| u.backend()),
            Ok(Backend::Postgres)
        );
        assert_eq!(
            DatabaseUrl::parse("postgresql://h/db").map(|u| u.backend()),
            Ok(Backend::Postgres)
        );
        assert_eq!(
            DatabaseUrl::parse("kim.db").map(|u| u.backend()),
            Ok(Backend::Sqlite)
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite://data/kim.db").map(|u| u.target),
            Ok("data/kim.db".into())
        );
        assert!(DatabaseUrl::parse("mysql://h/db").is_err());
        assert!(DatabaseUrl::parse(" ").is_err());
        assert!(DatabaseUrl::parse("sqlite://").is_err());
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact("postgres://kim:s3cret@db:5432/kim"),
            "postgres://kim:***@db:5432/kim"
        );
        assert_eq!(redact("postgres://kim@db/kim"), "postgres://kim@db/kim");
        assert_eq!(redact("kim.db"), "kim.db");
    }
}
