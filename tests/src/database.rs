//! The settings and the throwaway database of one test server.

use std::collections::HashMap;
use std::path::PathBuf;

use diesel::{Connection, RunQueryDsl};
use kim_api::config::Env;
use kim_api::Config;
use kim_store::Backend;

use crate::JWT_SECRET;

/// The settings every test server runs with; `overrides` replace single variables.
pub fn test_config(database_url: &str, overrides: &[(&str, &str)]) -> Config {
    let mut vars: HashMap<String, String> = [
        ("KIM_JWT_SECRET", JWT_SECRET),
        ("KIM_LOGIN_MAX_FAILURES", "3"),
        ("KIM_LOGIN_LOCKOUT_SECONDS", "60"),
        // Every test logs in from 127.0.0.1, many times: the per-address limit has its own test.
        ("KIM_LOGIN_PER_ADDRESS_PER_MINUTE", "100000"),
        ("KIM_WORKERS", "1"),
        ("KIM_DB_POOL_SIZE", "4"),
        ("KIM_CORS_ORIGINS", "https://app.kim.example"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    vars.insert("DATABASE_URL".into(), database_url.into());
    for (k, v) in overrides {
        vars.insert(k.to_string(), v.to_string());
    }
    Env(move |name: &str| vars.get(name).cloned())
        .config()
        .expect("test configuration is valid")
}

/// A database of one test, removed when the test ends.
pub enum TestDatabase {
    Sqlite { dir: PathBuf },
    Postgres { admin_url: String, name: String },
}

impl TestDatabase {
    /// A new empty database on `backend`; `None` when PostgreSQL is not configured (and not
    /// required).
    pub fn create(backend: Backend) -> Option<(TestDatabase, String)> {
        let unique = uuid::Uuid::new_v4().simple().to_string();
        match backend {
            Backend::Sqlite => {
                let dir = std::env::temp_dir().join(format!("kim-test-{unique}"));
                std::fs::create_dir_all(&dir).expect("temp dir");
                let url = dir.join("kim.db").to_string_lossy().into_owned();
                Some((TestDatabase::Sqlite { dir }, url))
            }
            Backend::Postgres => {
                let admin_url = match std::env::var("KIM_TEST_POSTGRES_URL") {
                    Ok(url) if !url.trim().is_empty() => url,
                    _ if std::env::var("KIM_TEST_REQUIRE_POSTGRES").is_ok_and(|v| v == "1") => {
                        panic!("KIM_TEST_REQUIRE_POSTGRES=1 but KIM_TEST_POSTGRES_URL is not set")
                    }
                    _ => return None,
                };
                let name = format!("kim_test_{unique}");
                let mut admin = diesel::PgConnection::establish(&admin_url)
                    .unwrap_or_else(|e| panic!("cannot connect to KIM_TEST_POSTGRES_URL: {e}"));
                diesel::sql_query(format!("CREATE DATABASE {name}"))
                    .execute(&mut admin)
                    .expect("create test database");
                let url = with_database(&admin_url, &name);
                Some((TestDatabase::Postgres { admin_url, name }, url))
            }
        }
    }
}

/// The same server URL with another database name.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        match self {
            TestDatabase::Sqlite { dir } => {
                let _ = std::fs::remove_dir_all(dir);
            }
            TestDatabase::Postgres { admin_url, name } => {
                if let Ok(mut admin) = diesel::PgConnection::establish(admin_url) {
                    let _ =
                        diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                            .execute(&mut admin);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn database_name_is_replaced() {
        assert_eq!(
            with_database("postgres://u@h:5432/postgres", "x"),
            "postgres://u@h:5432/x"
        );
        assert_eq!(
            with_database("postgres://u@h/postgres?sslmode=disable", "x"),
            "postgres://u@h/x?sslmode=disable"
        );
        assert_eq!(with_database("postgres://u@h", "x"), "postgres://u@h/x");
    }
}
