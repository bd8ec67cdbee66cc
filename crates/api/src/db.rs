//! Running store functions from async handlers: diesel is blocking, so each call runs on the
//! blocking thread pool with a pooled connection fetched inside the closure. Writes use the
//! write pool in one transaction; audited reads use the read pool in a read transaction and
//! hand their audit events to the appender (`crate::appender`).
//!
//! A request waits at most the pool's connection timeout (`KIM_DB_POOL_TIMEOUT_SECONDS`) for
//! its connection, counted from when it asked, queueing for a blocking thread included
//! ([`MeteredPool::checkout`]); then it is answered 503 `unavailable` with `Retry-After`.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use kim_domain::audit::AuditObject;
use kim_store::connection::{PoolOptions, PooledConn};
use kim_store::{Backend, DatabaseUrl, DbConn, DbPool, StoreError};

use kim_domain::Action;

use crate::appender::{Appender, AppenderOptions};
use crate::auth::{Authenticated, Caller};
use crate::case_access::Trail;
use crate::ApiError;

#[derive(Clone)]
pub struct Db {
    pool: MeteredPool,
    /// SQLite: read-only connections beside the writer; PostgreSQL: the same pool.
    read_pool: MeteredPool,
    backend: Backend,
    appender: Appender,
}

/// A pool that counts who waits for it: r2d2 reports its connections (in use, idle) but not
/// the callers waiting for one, and those are what an operator must see first when requests
/// slow down (`crate::metrics`).
#[derive(Clone)]
pub struct MeteredPool {
    pool: DbPool,
    waits: Arc<Waits>,
}

#[derive(Default)]
struct Waits {
    /// Callers inside `get`: waiting for a free connection or for a new one to be opened.
    waiting: AtomicUsize,
    /// `get` calls that gave up after the pool's timeout (the request answers 503).
    timeouts: AtomicU64,
}

/// A pool's state now (see [`MeteredPool::load`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolLoad {
    pub in_use: u32,
    pub idle: u32,
    pub max: u32,
    pub waiting: usize,
    pub timeouts: u64,
}

impl MeteredPool {
    /// Runs `f` on one of the pool's connections, on the blocking thread pool (diesel blocks),
    /// for a request asking now; see [`on_connection`].
    async fn run<R, F>(&self, f: F) -> Result<R, ApiError>
    where
        R: Outcome + Send + 'static,
        F: FnOnce(&mut DbConn) -> R + Send + 'static,
    {
        let pool = self.clone();
        let asked = Instant::now();
        actix_web::web::block(move || on_connection(&pool, asked, f)).await?
    }

    pub fn new(pool: DbPool) -> Self {
        MeteredPool {
            pool,
            waits: Arc::default(),
        }
    }

    /// A connection for a request that asked for one at `asked`, within what is left of the
    /// pool's timeout since then ([`kim_store::connection::checkout`]), counted among the
    /// waiting meanwhile.
    pub fn checkout(&self, asked: Instant) -> Result<PooledConn, StoreError> {
        struct Waiting<'a>(&'a AtomicUsize);
        impl Drop for Waiting<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(1, Ordering::Relaxed);
            }
        }
        self.waits.waiting.fetch_add(1, Ordering::Relaxed);
        let _waiting = Waiting(&self.waits.waiting);
        let connection = kim_store::connection::checkout(&self.pool, asked);
        if connection.is_err() {
            self.waits.timeouts.fetch_add(1, Ordering::Relaxed);
        }
        connection
    }

    /// A connection within the pool's timeout from now.
    pub fn get(&self) -> Result<PooledConn, StoreError> {
        self.checkout(Instant::now())
    }

    pub fn load(&self) -> PoolLoad {
        let state = self.pool.state();
        PoolLoad {
            in_use: state.connections.saturating_sub(state.idle_connections),
            idle: state.idle_connections,
            max: self.pool.max_size(),
            waiting: self.waits.waiting.load(Ordering::Relaxed),
            timeouts: self.waits.timeouts.load(Ordering::Relaxed),
        }
    }

    pub fn inner(&self) -> &DbPool {
        &self.pool
    }
}

impl Db {
    /// With the default appender settings and a read pool as large as `pool`.
    /// `readers`: connections of the readers' pool (SQLite; PostgreSQL shares `pool`).
    pub fn new(pool: DbPool, url: &DatabaseUrl, readers: u32) -> Self {
        Self::with_options(pool, url, readers, AppenderOptions::default())
    }

    pub fn with_options(
        pool: DbPool,
        url: &DatabaseUrl,
        readers: u32,
        appender: AppenderOptions,
    ) -> Self {
        let read_options = PoolOptions {
            max_size: readers,
            connection_timeout: pool.connection_timeout(),
        };
        let backend = url.backend();
        let read_pool = match backend {
            // One pool for both: one count of its waiters.
            Backend::Postgres => None,
            Backend::Sqlite => Some(MeteredPool::new(kim_store::connection::read_pool(
                url,
                &pool,
                read_options,
            ))),
        };
        let pool = MeteredPool::new(pool);
        let read_pool = read_pool.unwrap_or_else(|| pool.clone());
        let appender = Appender::start(pool.clone(), appender);
        Db {
            pool,
            read_pool,
            backend,
            appender,
        }
    }

    /// An audited read of personal data: confirms the caller, runs `f` in a read transaction
    /// (never in the writer's lock), and answers only after the audit events `f` put into the
    /// trail are durable (group commit through the appender); if they cannot be written the
    /// answer is 503 and nothing is shown. When `f` refuses with 404 or 403 and `denied` names
    /// the object asked for, a `<object>.read_denied` event is written instead, in the
    /// appender's own transaction (no rollback of the request can undo it).
    pub async fn audited_read<T, E, F>(
        &self,
        caller: Caller,
        denied: Option<(AuditObject, i64)>,
        f: F,
    ) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConn, &Authenticated, &mut Trail) -> Result<T, E> + Send + 'static,
        E: Into<ApiError> + From<StoreError>,
        T: Send + 'static,
    {
        let lent = self
            .read_pool
            .run(move |conn| {
                let who = match caller.authenticate(conn) {
                    Ok(who) => who,
                    Err(e) => return (Err(e), None),
                };
                let mut trail = Trail::new(&who);
                let outcome =
                    kim_store::connection::read_transaction(conn, |conn| f(conn, &who, &mut trail))
                        .map_err(Into::into);
                (outcome, Some(trail))
            })
            .await;
        let (outcome, trail) = lent.unwrap_or_else(|e| (Err(e), None));
        match (outcome, trail) {
            (Ok(value), Some(trail)) => {
                self.appender.append(trail.into_events()).await?;
                Ok(value)
            }
            (Err(refused @ (ApiError::NotFound | ApiError::Forbidden(_))), Some(mut trail)) => {
                if let Some((object, id)) = denied {
                    trail.denied(object, id);
                    self.appender.append(trail.into_denied()).await?;
                }
                Err(refused)
            }
            (Ok(_), None) => Err(ApiError::Internal("audited read without a trail".into())),
            (Err(e), _) => Err(e),
        }
    }

    /// Writes a `<object>.read_denied` event for a refused access (404/403) outside the
    /// refused request's transaction, durably, before the refusal is answered.
    pub async fn record_denied(
        &self,
        who: &Authenticated,
        object: AuditObject,
        object_id: i64,
    ) -> Result<(), ApiError> {
        let mut trail = Trail::new(who);
        trail.denied(object, object_id);
        self.appender.append(trail.into_denied()).await
    }

    /// The appender, for handlers that hand it events themselves.
    pub fn appender(&self) -> &Appender {
        &self.appender
    }

    /// Leaves the database in good shape on shutdown (SQLite: `PRAGMA optimize`).
    pub fn optimize(&self) {
        match self.pool.get() {
            Ok(mut conn) => {
                if let Err(e) = kim_store::connection::optimize(&mut conn) {
                    tracing::warn!(error = %e, "PRAGMA optimize failed");
                }
            }
            Err(e) => tracing::warn!(error = %e, "no connection for PRAGMA optimize"),
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &DbPool {
        self.pool.inner()
    }

    /// Whether the database answers a trivial query, waiting at most `timeout` for a
    /// connection (the readers' pool on SQLite, so the writer is not held up; not counted
    /// among the waiting, it is no request).
    pub fn ping(&self, timeout: std::time::Duration) -> Result<(), StoreError> {
        let mut conn = self.read_pool.inner().get_timeout(timeout)?;
        let pinged = kim_store::connection::ping(&mut conn);
        if pinged.is_err() {
            kim_store::connection::drop_if_lost(&mut conn);
        }
        pinged
    }

    /// Webhook deliveries pending now, for the metrics; waits at most `timeout` for a
    /// connection (the readers' pool, as [`Db::ping`]).
    pub fn pending_webhook_deliveries(
        &self,
        timeout: std::time::Duration,
    ) -> Result<i64, StoreError> {
        let mut conn = self.read_pool.inner().get_timeout(timeout)?;
        kim_store::webhooks::pending_count(&mut conn)
    }

    /// The pools by the name the metrics give them: SQLite's `writer` and `reader`, or
    /// PostgreSQL's one `shared` pool.
    pub fn pools(&self) -> Vec<(&'static str, &MeteredPool)> {
        match self.backend {
            Backend::Sqlite => vec![("writer", &self.pool), ("reader", &self.read_pool)],
            Backend::Postgres => vec![("shared", &self.pool)],
        }
    }

    /// Runs `f` with a connection, without a transaction (reads).
    pub async fn read<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, StoreError> + Send + 'static,
        T: Send + 'static,
    {
        self.pool
            .run(move |conn| f(conn).map_err(ApiError::from))
            .await?
    }

    /// Confirms the caller against the database (one round trip).
    pub async fn authenticate(&self, caller: Caller) -> Result<Authenticated, ApiError> {
        self.pool.run(move |conn| caller.authenticate(conn)).await?
    }

    /// A read in one round trip for rules that depend on the object (a case manager reads the
    /// position they hold): confirms the caller and hands it to `f`, which decides.
    pub async fn read_with<T, E, F>(&self, caller: Caller, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConn, &Authenticated) -> Result<T, E> + Send + 'static,
        E: Into<ApiError>,
        T: Send + 'static,
    {
        self.pool
            .run(move |conn| {
                let who = caller.authenticate(conn)?;
                f(conn, &who).map_err(Into::into)
            })
            .await?
    }

    /// One transaction for case data: confirms the caller and hands it to `f`, which checks
    /// object-level access, reads or writes, and writes the audit events of what it touched;
    /// everything lands together or not at all. Reads of personal data use it too, because
    /// they write an audit event.
    pub async fn write_with<T, E, F>(&self, caller: Caller, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConn, &Authenticated) -> Result<T, E> + Send + 'static,
        E: Into<ApiError> + From<StoreError>,
        T: Send + 'static,
    {
        self.pool
            .run(move |conn| {
                let who = caller.authenticate(conn)?;
                kim_store::connection::transaction(conn, |conn| f(conn, &who)).map_err(Into::into)
            })
            .await?
    }

    /// [`Db::write_with`] for a request about one case-data object (`denied` names it): when
    /// `f` refuses with 404 or 403, a `<object>.read_denied` event is written in the
    /// appender's own transaction, which the request's rollback does not undo, before the
    /// refusal is answered (issue 10 item 6).
    pub async fn write_with_denied<T, E, F>(
        &self,
        caller: Caller,
        denied: (AuditObject, i64),
        f: F,
    ) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConn, &Authenticated) -> Result<T, E> + Send + 'static,
        E: Into<ApiError> + From<StoreError>,
        T: Send + 'static,
    {
        let lent = self
            .pool
            .run(move |conn| {
                let who = match caller.authenticate(conn) {
                    Ok(who) => who,
                    Err(e) => return (Err(e), None),
                };
                let outcome = kim_store::connection::transaction(conn, |conn| f(conn, &who))
                    .map_err(Into::into);
                (outcome, Some(who))
            })
            .await;
        let (outcome, who) = lent.unwrap_or_else(|e| (Err(e), None));
        match (outcome, who) {
            (Err(refused @ (ApiError::NotFound | ApiError::Forbidden(_))), Some(who)) => {
                let (object, id) = denied;
                self.record_denied(&who, object, id).await?;
                Err(refused)
            }
            (outcome, _) => outcome,
        }
    }

    /// A read in one round trip: confirms the caller, checks `action`, then runs `f`.
    pub async fn read_as<T, E, F>(
        &self,
        caller: Caller,
        action: Action,
        f: F,
    ) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConn, &Authenticated) -> Result<T, E> + Send + 'static,
        E: Into<ApiError>,
        T: Send + 'static,
    {
        self.pool
            .run(move |conn| {
                let who = caller.authenticate(conn)?;
                who.require(action)?;
                f(conn, &who).map_err(Into::into)
            })
            .await?
    }

    /// A write in one round trip: confirms the caller and checks `action` (401, 403 first, as
    /// in [`Db::read_as`]), then runs `f` in one transaction, so a refusal `f` gives after
    /// writing (412, 422) leaves nothing behind. `f` checks `If-Match` and the body itself, in
    /// that order, so the answers come in the order every operation gives them.
    pub async fn write_as<T, F>(&self, caller: Caller, action: Action, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConn, &Authenticated) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        self.pool
            .run(move |conn| {
                let who = caller.authenticate(conn)?;
                who.require(action)?;
                kim_store::connection::transaction(conn, |conn| f(conn, &who))
            })
            .await?
    }

    /// Runs `f` in one transaction: everything it writes lands together or not at all.
    pub async fn write<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, StoreError> + Send + 'static,
        T: Send + 'static,
    {
        self.pool
            .run(move |conn| kim_store::connection::transaction(conn, f).map_err(ApiError::from))
            .await?
    }
}

/// What a request's work on a connection may hand back: a result, or a result with what the
/// caller needs besides (the trail of an audited read, the caller of a refused write).
trait Outcome {
    /// Failed because the database is unavailable.
    fn unavailable(&self) -> bool;
}

impl<T> Outcome for Result<T, ApiError> {
    fn unavailable(&self) -> bool {
        matches!(self, Err(ApiError::Unavailable(_)))
    }
}

impl<T, X> Outcome for (Result<T, ApiError>, X) {
    fn unavailable(&self) -> bool {
        self.0.unavailable()
    }
}

/// Runs `f` on a connection checked out for a request that asked at `asked` (see
/// [`MeteredPool::checkout`]). When `f` failed because the database is unavailable, a
/// connection that no longer answers is dropped from the pool instead of going to the next
/// request. A PostgreSQL connection whose server went away stays dead (libpq does not
/// reconnect); diesel marks it broken when a statement fails on it, but not when preparing the
/// statement failed, and such a connection answered every later request 503 although the
/// database was back (`dead_postgres_connections_answer_503_and_leave_the_pool`).
fn on_connection<R: Outcome>(
    pool: &MeteredPool,
    asked: Instant,
    f: impl FnOnce(&mut DbConn) -> R,
) -> Result<R, ApiError> {
    let mut conn = pool.checkout(asked)?;
    let outcome = f(&mut conn);
    if outcome.unavailable() {
        kim_store::connection::drop_if_lost(&mut conn);
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;

    #[test]
    fn a_metered_pool_counts_its_waiting_callers_and_timeouts() {
        let dir = std::env::temp_dir().join(format!("kim-pool-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let url = DatabaseUrl::parse(&dir.join("kim.db").to_string_lossy()).expect("url");
        let pool = MeteredPool::new(kim_store::connection::pool_unchecked(
            &url,
            PoolOptions {
                max_size: 1,
                connection_timeout: Duration::from_millis(300),
            },
        ));
        let held = pool.get().expect("the one connection");
        assert_eq!(
            pool.load(),
            PoolLoad {
                in_use: 1,
                idle: 0,
                max: 1,
                waiting: 0,
                timeouts: 0
            }
        );
        let waiter = {
            let pool = pool.clone();
            std::thread::spawn(move || pool.get().is_ok())
        };
        let deadline = Instant::now() + Duration::from_secs(2);
        while pool.load().waiting == 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(pool.load().waiting, 1, "the second caller waits");
        assert!(!waiter.join().expect("waiter"), "and gives up after 300 ms");
        let load = pool.load();
        assert_eq!((load.waiting, load.timeouts), (0, 1));
        drop(held);
        assert_eq!(pool.load().in_use, 0);
        let _ = std::fs::remove_dir_all(dir);
    }
}
