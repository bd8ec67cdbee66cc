//! `TestApp`: a running server with its own database, and the requests tests send to it.

use std::sync::OnceLock;

use kim_api::db::Db;
use kim_api::{AppState, Config, RunningServer};
use kim_store::connection::{pool_unchecked, PoolOptions};
use kim_store::{migrations, Backend, DbPool};
use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::database::{test_config, TestDatabase};
use crate::PASSWORD;

/// The demo password's hash, computed once per test process (argon2 is slow on purpose).
fn demo_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| kim_api::auth::password::hash(PASSWORD).expect("hash"))
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

    /// `method path` with `token` (when given), `If-Match: "version"` (when given) and a JSON
    /// `body` (when given): the one request builder the typed helpers share.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        version: Option<i64>,
        body: Option<&Value>,
    ) -> reqwest::Response {
        let mut builder = self.request(method, path, token);
        if let Some(v) = version {
            builder = builder.header("If-Match", format!("\"{v}\""));
        }
        if let Some(body) = body {
            builder = builder.json(body);
        }
        builder.send().await.expect("send")
    }

    /// POST with `If-Match` (transitions and steps): the raw response.
    pub async fn post_if_match(
        &self,
        path: &str,
        token: &str,
        version: Option<i64>,
        body: &Value,
    ) -> reqwest::Response {
        self.send(Method::POST, path, Some(token), version, Some(body))
            .await
    }

    /// GET `path`; asserts 200 and returns the JSON body.
    pub async fn get_json(&self, path: &str, token: &str) -> Value {
        ok_json("GET", self.get(path, token).await).await
    }

    /// POST `body` to `path`; asserts a 2xx answer and returns its JSON body.
    pub async fn post_json(&self, path: &str, token: &str, body: &Value) -> Value {
        success_json("POST", self.post(path, token, body).await).await
    }

    /// POST `body` to a collection `path`; asserts 201 Created and returns the created object.
    pub async fn post_created(&self, path: &str, token: &str, body: &Value) -> Value {
        let response = self.post(path, token, body).await;
        json_if("POST", response, |status| status == StatusCode::CREATED).await
    }

    /// PUT `body` to `path` with `If-Match: "version"`; asserts 200 and returns the
    /// JSON body.
    pub async fn put_json(&self, path: &str, token: &str, version: i64, body: &Value) -> Value {
        ok_json("PUT", self.put(path, token, Some(version), body).await).await
    }

    /// POST `body` to `path` with `If-Match: "version"` (a transition or step); asserts 200 and
    /// returns the JSON body.
    pub async fn post_json_if_match(
        &self,
        path: &str,
        token: &str,
        version: i64,
        body: &Value,
    ) -> Value {
        let response = self.post_if_match(path, token, Some(version), body).await;
        ok_json("POST", response).await
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

/// The JSON body of a 2xx answer; otherwise a panic naming the request and the answer.
pub async fn success_json(method: &str, response: reqwest::Response) -> Value {
    json_if(method, response, |status| status.is_success()).await
}

/// The JSON body of a 200 answer; otherwise a panic naming the request and the answer.
pub async fn ok_json(method: &str, response: reqwest::Response) -> Value {
    json_if(method, response, |status| status == StatusCode::OK).await
}

async fn json_if(
    method: &str,
    response: reqwest::Response,
    expected: fn(StatusCode) -> bool,
) -> Value {
    let status = response.status();
    let url = response.url().to_string();
    let text = response.text().await.expect("body");
    assert!(expected(status), "{method} {url} answered {status}: {text}");
    if text.is_empty() {
        return Value::Null;
    }
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{method} {url} answered {status} with no JSON ({e}): {text}"))
}
