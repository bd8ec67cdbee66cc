//! Health, request ids, CORS, unknown routes, Swagger UI.

use kim_store::Backend;
use kim_tests::{assert_problem, backend_tests, Method, StatusCode, TestApp, TestDatabase};
use serde_json::Value;

backend_tests!(
    health_live_and_ready,
    request_ids_are_echoed_or_made,
    unknown_routes_are_problem_json,
    swagger_ui_and_the_served_document,
    cors_allows_configured_origins_only,
);

async fn health_live_and_ready(app: TestApp) {
    let live: Value = app
        .client
        .get(app.url("/health/live"))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    assert_eq!(live["status"], "ok");
    let ready: Value = app
        .client
        .get(app.url("/health/ready"))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    assert_eq!(ready["status"], "ready");
    assert_eq!(ready["database"], app.backend.as_str());
}

async fn request_ids_are_echoed_or_made(app: TestApp) {
    let echoed = app
        .client
        .get(app.url("/health/live"))
        .header("x-request-id", "trace-123")
        .send()
        .await
        .expect("send");
    assert_eq!(echoed.headers()["x-request-id"], "trace-123");
    let made = app
        .client
        .get(app.url("/health/live"))
        .send()
        .await
        .expect("send");
    let id = made.headers()["x-request-id"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert_eq!(id.len(), 36, "a UUID");
    // An unusable id (too long) is replaced, and the problem body carries the id of the header.
    let replaced = app
        .client
        .get(app.url("/api/v1/auth/me"))
        .header("x-request-id", "x".repeat(200))
        .send()
        .await
        .expect("send");
    let header = replaced.headers()["x-request-id"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert_ne!(header, "x".repeat(200));
    let problem = assert_problem(replaced, StatusCode::UNAUTHORIZED).await;
    assert_eq!(problem["request_id"], header);
}

async fn unknown_routes_are_problem_json(app: TestApp) {
    let token = app.token("analyst").await;
    assert_problem(
        app.get("/api/v1/nothing-here", &token).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        app.client.get(app.url("/")).send().await.expect("send"),
        StatusCode::NOT_FOUND,
    )
    .await;
}

async fn swagger_ui_and_the_served_document(app: TestApp) {
    let redirect = app
        .client
        .get(app.url("/swagger-ui"))
        .send()
        .await
        .expect("send");
    assert!(redirect.status().is_redirection());
    assert_eq!(redirect.headers()["location"], "/swagger-ui/");
    let ui = app
        .client
        .get(app.url("/swagger-ui/"))
        .send()
        .await
        .expect("send");
    assert_eq!(ui.status(), StatusCode::OK);
    assert!(ui.text().await.expect("text").contains("swagger"));
    let served: Value = app
        .client
        .get(app.url("/api-docs/openapi.json"))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    let generated: Value =
        serde_json::from_str(&kim_api::openapi::document_json().expect("render")).expect("json");
    assert_eq!(
        served, generated,
        "the server serves the document `kim openapi` prints"
    );
}

async fn cors_allows_configured_origins_only(app: TestApp) {
    let allowed = app
        .request(Method::OPTIONS, "/api/v1/municipalities", None)
        .header("origin", "https://app.kim.example")
        .header("access-control-request-method", "GET")
        .header("access-control-request-headers", "authorization")
        .send()
        .await
        .expect("send");
    assert!(allowed.status().is_success());
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://app.kim.example"
    );
    let refused = app
        .request(Method::OPTIONS, "/api/v1/municipalities", None)
        .header("origin", "https://evil.example")
        .header("access-control-request-method", "GET")
        .send()
        .await
        .expect("send");
    assert!(refused
        .headers()
        .get("access-control-allow-origin")
        .is_none());
}

/// SQLite: the database file sits in a directory that does not exist yet, so nothing can be
/// opened; readiness says 503 while liveness stays 200; once the directory appears, readiness
/// recovers without a restart.
#[actix_web::test]
async fn ready_is_503_while_sqlite_is_unreachable_and_recovers() {
    let (database, _) = TestDatabase::create(Backend::Sqlite).expect("sqlite");
    let TestDatabase::Sqlite { dir } = &database else {
        unreachable!()
    };
    let missing = dir.join("not-yet");
    let url = missing.join("kim.db").to_string_lossy().into_owned();
    let app = TestApp::spawn_unmigrated(&url, database, Backend::Sqlite);
    let ready = app
        .client
        .get(app.url("/health/ready"))
        .send()
        .await
        .expect("send");
    assert_eq!(ready.headers()["retry-after"], "5");
    assert_problem(ready, StatusCode::SERVICE_UNAVAILABLE).await;
    assert_eq!(
        app.client
            .get(app.url("/health/live"))
            .send()
            .await
            .expect("send")
            .status(),
        StatusCode::OK
    );
    std::fs::create_dir_all(&missing).expect("create dir");
    let ready = app
        .client
        .get(app.url("/health/ready"))
        .send()
        .await
        .expect("send");
    assert_eq!(ready.status(), StatusCode::OK);
}

/// PostgreSQL: the server's database is renamed away under it (its sessions terminated), so
/// readiness answers 503; renamed back, readiness recovers without a restart.
#[actix_web::test]
async fn ready_is_503_while_postgres_is_unreachable_and_recovers() {
    use diesel::{Connection, RunQueryDsl};
    let Some(app) = TestApp::spawn(Backend::Postgres).await else {
        return;
    };
    assert_eq!(
        app.client
            .get(app.url("/health/ready"))
            .send()
            .await
            .expect("send")
            .status(),
        StatusCode::OK
    );
    let admin_url = std::env::var("KIM_TEST_POSTGRES_URL").expect("url");
    let name = app
        .database_url
        .rsplit('/')
        .next()
        .expect("name")
        .split('?')
        .next()
        .expect("name")
        .to_owned();
    let mut admin = diesel::PgConnection::establish(&admin_url).expect("admin connection");
    let kick = format!("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()");
    diesel::sql_query(&kick)
        .execute(&mut admin)
        .expect("terminate");
    diesel::sql_query(format!("ALTER DATABASE {name} RENAME TO {name}_away"))
        .execute(&mut admin)
        .expect("rename away");
    let down = app
        .client
        .get(app.url("/health/ready"))
        .send()
        .await
        .expect("send");
    let status = down.status();
    diesel::sql_query(format!("ALTER DATABASE {name}_away RENAME TO {name}"))
        .execute(&mut admin)
        .expect("rename back");
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    // The first check after recovery may still hold a connection killed above; the pool drops it.
    let mut recovered = false;
    for _ in 0..3 {
        if app
            .client
            .get(app.url("/health/ready"))
            .send()
            .await
            .expect("send")
            .status()
            == StatusCode::OK
        {
            recovered = true;
            break;
        }
    }
    assert!(recovered, "readiness recovers when the database is back");
}

/// PostgreSQL: every session of the server is terminated under it (a restart or failover of the
/// database). Requests that meet a dead connection answer 503 problem+json with `Retry-After`,
/// never 500, and each dead connection is dropped from the pool, so the server serves again
/// after at most one 503 per pooled connection, without a restart.
#[actix_web::test]
async fn dead_postgres_connections_answer_503_and_leave_the_pool() {
    use diesel::{Connection, RunQueryDsl};
    let Some(app) = TestApp::spawn(Backend::Postgres).await else {
        return;
    };
    let token = app.token("coordinator").await;
    // Open the pool's connections (4) with readiness checks, which prepare no statement: the
    // first statement of the requests below (confirming the token) is then prepared on a dead
    // connection, a failure diesel does not mark as a broken connection by itself.
    let warm = futures_util::future::join_all(
        (0..8).map(|_| app.client.get(app.url("/health/ready")).send()),
    )
    .await;
    assert!(warm
        .iter()
        .all(|r| r.as_ref().map(|r| r.status()).ok() == Some(StatusCode::OK)));
    let admin_url = std::env::var("KIM_TEST_POSTGRES_URL").expect("url");
    let name = app
        .database_url
        .rsplit('/')
        .next()
        .and_then(|n| n.split('?').next())
        .expect("database name")
        .to_owned();
    let mut admin = diesel::PgConnection::establish(&admin_url).expect("admin connection");
    diesel::sql_query(format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = '{name}' AND pid <> pg_backend_pid()"
    ))
    .execute(&mut admin)
    .expect("terminate");

    let mut answers = Vec::new();
    for _ in 0..12 {
        let response = app.get("/api/v1/municipalities?limit=1", &token).await;
        let status = response.status();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            assert!(response.headers().contains_key("retry-after"));
            assert_problem(response, status).await;
        }
        answers.push(status.as_u16());
    }
    let first_ok = answers.iter().position(|s| *s == 200);
    assert!(
        answers.iter().all(|s| *s == 200 || *s == 503),
        "only 200 or 503: {answers:?}"
    );
    // At most one failed request per pooled connection (4), then served again for good.
    assert!(
        first_ok.is_some_and(|i| i <= 4)
            && answers[first_ok.unwrap_or(0)..].iter().all(|s| *s == 200),
        "served again after at most one 503 per connection: {answers:?}"
    );
}

/// Every operation that needs a token, called without one (and with a garbage one), answers
/// 401 problem+json before looking at anything else: the whole document is walked, so a new
/// endpoint is covered the day it is added.
#[actix_web::test]
async fn every_secured_operation_refuses_anonymous_callers() {
    let app = TestApp::spawn(Backend::Sqlite).await.expect("sqlite");
    let document = serde_json::to_value(kim_api::openapi::document()).expect("json");
    let mut checked = 0;
    for (path, item) in document["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("operations") {
            let secured = operation["security"]
                .as_array()
                .is_some_and(|list| list.iter().any(|r| r.get("bearer").is_some()));
            if !secured {
                continue;
            }
            let concrete = path.replace("{id}", "1");
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
            for token in [None, Some("garbage")] {
                let mut request = app
                    .request(method.clone(), &concrete, token)
                    .header("If-Match", "\"1\"");
                if method == Method::POST || method == Method::PUT {
                    request = request
                        .header("content-type", "application/json")
                        .body("{}");
                }
                let response = request.send().await.expect("send");
                assert_eq!(
                    response.status(),
                    StatusCode::UNAUTHORIZED,
                    "{method} {path} with {token:?}"
                );
                assert_problem(response, StatusCode::UNAUTHORIZED).await;
            }
            checked += 1;
        }
    }
    assert!(checked >= 20, "checked {checked} operations");
}

/// Roles that see no personal data get 403 or 404 on every read of case data, whatever the
/// id: the whole document is walked, so a new case-data endpoint is covered the day it is added.
#[actix_web::test]
async fn roles_without_case_access_get_403_or_404_on_every_case_data_read() {
    const CASE_DATA_TAGS: &[&str] = &[
        "Clients",
        "Cases",
        "Consents",
        "Referrals",
        "Intake requests",
        "Help plan",
        "Contacts",
        "Case conferences",
        "Residence-law requests",
        "Audit",
    ];
    let app = TestApp::spawn(Backend::Sqlite).await.expect("sqlite");
    let document = serde_json::to_value(kim_api::openapi::document()).expect("json");
    let mut checked = 0;
    for role in [
        "analyst",
        "admin",
        "steering_member",
        "project_group_member",
        "coordinator",
        "ki_lead",
    ] {
        let token = app.token(role).await;
        for (path, item) in document["paths"].as_object().expect("paths") {
            let Some(operation) = item.get("get") else {
                continue;
            };
            let tag = operation["tags"][0].as_str().unwrap_or_default();
            if !CASE_DATA_TAGS.contains(&tag)
                || path.ends_with("/audit-events") && role == "data_protection_officer"
            {
                continue;
            }
            let concrete = path.replace("{id}", "1").replace("{consent_id}", "1");
            let response = app.get(&concrete, &token).await;
            let status = response.status();
            // The work list also carries the steps of the gap process for the steering roles:
            // they may read it, and it must hold nothing about cases.
            if path == "/api/v1/me/tasks" && status == StatusCode::OK {
                let tasks: Value = response.json().await.expect("json");
                for task in tasks["items"].as_array().expect("tasks") {
                    assert!(
                        task["object_type"] == "gap" && task["case_id"].is_null(),
                        "{role}: {task}"
                    );
                }
                checked += 1;
                continue;
            }
            assert!(
                status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND,
                "{role} GET {path}: {status}"
            );
            checked += 1;
        }
    }
    assert!(checked >= 60, "checked {checked}");
}
