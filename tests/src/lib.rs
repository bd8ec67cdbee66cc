#![doc = include_str!("../README.md")]

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::OnceLock;

use diesel::{Connection, RunQueryDsl};
use kim_api::config::Env;
use kim_api::db::Db;
use kim_api::{AppState, Config, RunningServer};
use kim_store::connection::{pool_unchecked, PoolOptions};
use kim_store::{migrations, Backend, DbPool};
pub use reqwest::{Method, StatusCode};
use serde_json::Value;

pub const JWT_SECRET: &str = "test-secret-0123456789abcdef-0123456789";
pub const PASSWORD: &str = kim_api::seed::DEMO_PASSWORD;
/// Failed logins before a username is locked, in tests.
pub const MAX_FAILURES: u32 = 3;

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

/// The demo password's hash, computed once per test process (argon2 is slow on purpose).
fn demo_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| kim_api::auth::password::hash(PASSWORD).expect("hash"))
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

/// A running server with its own database, loaded with the demo county.
pub struct TestApp {
    pub base: String,
    /// The metrics listener (`http://127.0.0.1:PORT`) when the test set `KIM_METRICS_BIND`,
    /// e.g. `spawn_with(backend, &[("KIM_METRICS_BIND", "127.0.0.1:0")])` for a free port.
    pub metrics_base: Option<String>,
    pub client: reqwest::Client,
    pub pool: DbPool,
    pub backend: Backend,
    pub database_url: String,
    server: RunningServer,
    _database: TestDatabase,
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Option<TestApp> {
        Self::spawn_with(backend, &[]).await
    }

    /// With configuration overrides, e.g. `[("KIM_JSON_LIMIT_BYTES", "2048")]`.
    pub async fn spawn_with(backend: Backend, overrides: &[(&str, &str)]) -> Option<TestApp> {
        let (database, url) = TestDatabase::create(backend)?;
        let config = test_config(&url, overrides);
        let pool = pool_unchecked(
            &config.database_url,
            PoolOptions {
                max_size: 4,
                ..PoolOptions::default()
            },
        );
        {
            let mut conn = pool.get().expect("connect to test database");
            migrations::run_pending(&mut conn).expect("migrate");
            kim_store::connection::transaction(&mut conn, |conn| {
                kim_api::seed::demo_without_cases(conn, demo_hash())
            })
            .expect("seed");
        }
        Some(Self::serve(config, pool, database, url))
    }

    /// A server whose database is whatever `url` points at, neither migrated nor seeded; for
    /// tests of an unreachable database.
    pub fn spawn_unmigrated(url: &str, database: TestDatabase, backend: Backend) -> TestApp {
        let config = test_config(url, &[]);
        let pool = pool_unchecked(
            &config.database_url,
            PoolOptions {
                max_size: 2,
                connection_timeout: std::time::Duration::from_millis(500),
            },
        );
        let mut app = Self::serve(config, pool, database, url.to_owned());
        app.backend = backend;
        app
    }

    /// `pool` stays the test's own (tests hold its connections across requests to arrange and
    /// inspect data); the server gets its writers' pool as `kim serve` builds it: one writer
    /// connection on SQLite.
    fn serve(config: Config, pool: DbPool, database: TestDatabase, url: String) -> TestApp {
        let backend = config.database_url.backend();
        let writers = pool_unchecked(
            &config.database_url,
            PoolOptions {
                max_size: kim_store::connection::writer_pool_size(backend, pool.max_size()),
                connection_timeout: pool.connection_timeout(),
            },
        );
        let state = AppState::new(&config, Db::new(writers, &config.database_url, 4));
        let server = kim_api::server::spawn(&config, state).expect("start server");
        TestApp {
            base: format!("http://127.0.0.1:{}", server.port),
            metrics_base: server
                .metrics_port
                .map(|port| format!("http://127.0.0.1:{port}")),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            pool,
            backend,
            database_url: url,
            server,
            _database: database,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// A request builder for `path`, with `token` as bearer when given.
    pub fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
    ) -> reqwest::RequestBuilder {
        let builder = self.client.request(method, self.url(path));
        match token {
            Some(t) => builder.bearer_auth(t),
            None => builder,
        }
    }

    pub async fn login(&self, username: &str, password: &str) -> reqwest::Response {
        self.request(Method::POST, "/api/v1/auth/login", None)
            .json(&serde_json::json!({"username": username, "password": password}))
            .send()
            .await
            .expect("send")
    }

    /// An access token of the demo account for `role` (usernames equal role names).
    pub async fn token(&self, role: &str) -> String {
        self.token_of(role).await
    }

    /// Adds an active account `username` with `role` and the demo password, beside the demo
    /// accounts (e.g. a second case manager whose cases the first must not see); returns its id.
    pub fn add_user(&self, username: &str, role: kim_domain::Role) -> i64 {
        let mut conn = self.pool.get().expect("connection");
        let hash = kim_api::auth::password::hash(PASSWORD).expect("hash");
        kim_store::users::insert(
            &mut conn,
            &kim_store::audit::Actor::system(),
            &kim_store::users::NewUser {
                username: username.into(),
                display_name: format!("Test user {username}"),
                role,
                organisation_id: None,
                active: true,
                password_hash: hash,
                must_change_password: false,
            },
        )
        .expect("user")
        .id
    }

    /// Issues a partner token as the demo admin; when its scopes reach case data the token
    /// waits for a second person, so the demo data protection officer confirms it. Returns the
    /// issue answer (with `secret`).
    pub async fn issue_partner_token(&self, body: &Value) -> Value {
        let admin = self.token("admin").await;
        let response = self.post("/api/v1/partner-tokens", &admin, body).await;
        let status = response.status();
        let issued: Value = response.json().await.expect("json");
        match status {
            StatusCode::CREATED => {}
            StatusCode::ACCEPTED => {
                let change = issued["access_change_id"]
                    .as_i64()
                    .expect("access_change_id");
                self.confirm_access_change(change).await;
            }
            other => panic!("issuing a partner token answered {other}: {issued}"),
        }
        issued
    }

    /// Confirms access change `id` as the demo data protection officer.
    pub async fn confirm_access_change(&self, id: i64) -> Value {
        let dpo = self.token("data_protection_officer").await;
        let response = self
            .post(
                &format!("/api/v1/access-changes/{id}/confirm"),
                &dpo,
                &serde_json::json!({}),
            )
            .await;
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "confirming access change {id}"
        );
        response.json().await.expect("json")
    }

    /// An access token of the account `username` with the demo password.
    pub async fn token_of(&self, username: &str) -> String {
        let role = username;
        let response = self.login(role, PASSWORD).await;
        assert_eq!(response.status(), StatusCode::OK, "login as {role}");
        let body: Value = response.json().await.expect("json");
        body["access_token"]
            .as_str()
            .expect("access_token")
            .to_owned()
    }

    pub async fn get(&self, path: &str, token: &str) -> reqwest::Response {
        self.request(Method::GET, path, Some(token))
            .send()
            .await
            .expect("send")
    }

    pub async fn post(&self, path: &str, token: &str, body: &Value) -> reqwest::Response {
        self.request(Method::POST, path, Some(token))
            .json(body)
            .send()
            .await
            .expect("send")
    }

    pub async fn put(
        &self,
        path: &str,
        token: &str,
        version: Option<i64>,
        body: &Value,
    ) -> reqwest::Response {
        let mut builder = self.request(Method::PUT, path, Some(token)).json(body);
        if let Some(v) = version {
            builder = builder.header("If-Match", format!("\"{v}\""));
        }
        builder.send().await.expect("send")
    }

    pub async fn delete(&self, path: &str, token: &str, version: Option<i64>) -> reqwest::Response {
        let mut builder = self.request(Method::DELETE, path, Some(token));
        if let Some(v) = version {
            builder = builder.header("If-Match", format!("\"{v}\""));
        }
        builder.send().await.expect("send")
    }

    /// The id of a demo object by name, through the API.
    pub async fn id_of(&self, collection: &str, name: &str, token: &str) -> i64 {
        let list: Value = self
            .get(&format!("/api/v1/{collection}?limit=200"), token)
            .await
            .json()
            .await
            .expect("json");
        list["items"]
            .as_array()
            .and_then(|items| {
                items
                    .iter()
                    .find(|i| i["name"] == name || i["username"] == name)
            })
            .and_then(|i| i["id"].as_i64())
            .unwrap_or_else(|| panic!("no {name} in {collection}"))
    }

    /// Stops the server now (tests of shutdown and of a dead database).
    pub async fn stop(&self) {
        self.server.handle.stop(true).await;
        if let Some(metrics) = &self.server.metrics_handle {
            metrics.stop(true).await;
        }
    }
}

/// Asserts a problem+json response with `status`; returns the body.
pub async fn assert_problem(response: reqwest::Response, status: StatusCode) -> Value {
    assert_eq!(response.status(), status, "status of {}", response.url());
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(content_type, "application/problem+json");
    let body: Value = response.json().await.expect("problem body is JSON");
    assert_eq!(body["status"], status.as_u16());
    assert!(
        body["type"]
            .as_str()
            .is_some_and(|t| t.starts_with("https://")),
        "type: {body}"
    );
    assert!(
        body["title"].is_string() && body["detail"].is_string(),
        "{body}"
    );
    body
}

/// The fields a 422 names, sorted.
pub fn error_fields(problem: &Value) -> Vec<String> {
    let mut fields: Vec<String> = problem["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .filter_map(|e| e["field"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    fields.sort();
    fields
}

/// Declares tests written once, run against each backend:
/// `backend_tests!(login_succeeds, wrong_password_is_401);` for `async fn name(app: TestApp)`.
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[actix_web::test]
                async fn $name() {
                    let app = $crate::TestApp::spawn(kim_store::Backend::Sqlite).await
                        .expect("SQLite is always available");
                    super::$name(app).await;
                }
            )+
        }
        mod postgres {
            $(
                #[actix_web::test]
                async fn $name() {
                    let Some(app) = $crate::TestApp::spawn(kim_store::Backend::Postgres).await else {
                        eprintln!("skipped: KIM_TEST_POSTGRES_URL is not set");
                        return;
                    };
                    super::$name(app).await;
                }
            )+
        }
    };
}

/// Like [`backend_tests!`], with configuration overrides for every server:
/// `backend_tests_with!(&[("KIM_LOGIN_PER_ADDRESS_PER_MINUTE", "3")]; name, other);`.
/// Put it in its own module when the file also has a `backend_tests!`.
#[macro_export]
macro_rules! backend_tests_with {
    ($overrides:expr; $($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[actix_web::test]
                async fn $name() {
                    let app = $crate::TestApp::spawn_with(kim_store::Backend::Sqlite, $overrides).await
                        .expect("SQLite is always available");
                    super::$name(app).await;
                }
            )+
        }
        mod postgres {
            $(
                #[actix_web::test]
                async fn $name() {
                    let Some(app) = $crate::TestApp::spawn_with(kim_store::Backend::Postgres, $overrides).await else {
                        eprintln!("skipped: KIM_TEST_POSTGRES_URL is not set");
                        return;
                    };
                    super::$name(app).await;
                }
            )+
        }
    };
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
