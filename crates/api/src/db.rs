//! Running store functions from async handlers: diesel is blocking, so each call runs on the
//! blocking thread pool with a pooled connection fetched inside the closure.

use kim_store::{Backend, DbConn, DbPool, StoreError};

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
