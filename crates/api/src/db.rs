//! Running store functions from async handlers: diesel is blocking, so each call runs on the
//! blocking thread pool with a pooled connection fetched inside the closure.

use kim_store::{Backend, DbConn, DbPool, StoreError};

use kim_domain::Action;

use crate::auth::{Authenticated, Caller};
use crate::ApiError;

#[derive(Clone)]
pub struct Db {
    pool: DbPool,
    backend: Backend,
}

impl Db {
    pub fn new(pool: DbPool, backend: Backend) -> Self {
        Db { pool, backend }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &DbPool {
        &self.pool
    }

    /// Runs `f` with a connection, without a transaction (reads).
    pub async fn read<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, StoreError> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        actix_web::web::block(move || {
            let mut conn = pool.get()?;
            f(&mut conn)
        })
        .await?
        .map_err(ApiError::from)
    }

    /// Confirms the caller against the database (one round trip).
    pub async fn authenticate(&self, caller: Caller) -> Result<Authenticated, ApiError> {
        let pool = self.pool.clone();
        actix_web::web::block(move || {
            let mut conn = pool.get().map_err(StoreError::from)?;
            caller.authenticate(&mut conn)
        })
        .await?
    }

    /// A read in one round trip for rules that depend on the object (a case manager reads the
    /// position they hold): confirms the caller and hands it to `f`, which decides.
    pub async fn read_with<T, E, F>(&self, caller: Caller, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConn, &Authenticated) -> Result<T, E> + Send + 'static,
        E: Into<ApiError>,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        actix_web::web::block(move || {
            let mut conn = pool.get().map_err(StoreError::from)?;
            let who = caller.authenticate(&mut conn)?;
            f(&mut conn, &who).map_err(Into::into)
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
        let pool = self.pool.clone();
        actix_web::web::block(move || {
            let mut conn = pool.get().map_err(StoreError::from)?;
            let who = caller.authenticate(&mut conn)?;
            kim_store::connection::transaction(&mut conn, |conn| f(conn, &who)).map_err(Into::into)
        })
        .await?
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
        let pool = self.pool.clone();
        actix_web::web::block(move || {
            let mut conn = pool.get().map_err(StoreError::from)?;
            let who = caller.authenticate(&mut conn)?;
            who.require(action)?;
            f(&mut conn, &who).map_err(Into::into)
        })
        .await?
    }

    /// Runs `f` in one transaction: everything it writes lands together or not at all.
    pub async fn write<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, StoreError> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        actix_web::web::block(move || {
            let mut conn = pool.get()?;
            kim_store::connection::transaction(&mut conn, f)
        })
        .await?
        .map_err(ApiError::from)
    }
}
