//! The committed OpenAPI document is current, and migrations go up, down and up again.

use kim_store::{migrations, Backend};
use kim_tests::{TestApp, TestDatabase};

/// Fails when `openapi/openapi.json` differs from what the code generates: run `make openapi`.
#[test]
fn committed_openapi_document_is_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi/openapi.json");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    let generated = kim_api::openapi::document_json().expect("render");
    assert!(
        committed == generated,
        "openapi/openapi.json is stale: run `make openapi` and commit it"
    );
}

#[test]
fn every_operation_is_documented_with_errors_and_callers() {
    let document = kim_api::openapi::document();
    let json = serde_json::to_value(&document).expect("json");
    let paths = json["paths"].as_object().expect("paths");
    let mut operations = 0;
    for (path, item) in paths {
        for (method, op) in item.as_object().expect("item") {
            operations += 1;
            let name = format!("{method} {path}");
            assert!(
                op["summary"].as_str().is_some_and(|s| !s.is_empty()),
                "{name}: summary"
            );
            let description = op["description"].as_str().unwrap_or_default();
            assert!(
                description.contains("**Who may call:**"),
                "{name}: says who may call"
            );
            assert!(
                op["tags"].as_array().is_some_and(|t| !t.is_empty()),
                "{name}: tag"
            );
            let responses = op["responses"].as_object().expect("responses");
            let security = op["security"]
                .as_array()
                .expect("every operation states its security");
            let secured = security
                .iter()
                .any(|requirement| requirement.get("bearer").is_some());
            if secured {
                assert!(responses.contains_key("401"), "{name}: documents 401");
            }
            if method != "get" && secured {
                assert!(
                    responses.contains_key("422") || responses.contains_key("404"),
                    "{name}: documents input errors"
                );
            }
        }
    }
    assert!(operations >= 20, "found {operations} operations");
}

fn up_down_up(backend: Backend) {
    let Some((_database, url)) = TestDatabase::create(backend) else {
        return;
    };
    let url = kim_store::DatabaseUrl::parse(&url).expect("url");
    let pool = kim_store::connection::connect_pool(&url, Default::default()).expect("pool");
    let mut conn = pool.get().expect("conn");
    let first = migrations::run_pending(&mut conn).expect("up");
    assert!(!first.is_empty());
    let reverted = migrations::revert_all(&mut conn).expect("down");
    assert_eq!(reverted.len(), first.len());
    assert_eq!(migrations::run_pending(&mut conn).expect("up again"), first);
    assert!(migrations::run_pending(&mut conn)
        .expect("nothing pending")
        .is_empty());
}

#[test]
fn sqlite_migrations_go_up_down_up() {
    up_down_up(Backend::Sqlite);
}

#[test]
fn postgres_migrations_go_up_down_up() {
    up_down_up(Backend::Postgres);
}

/// The demo cases load once, for the demo case manager, in every status.
#[actix_web::test]
async fn demo_cases_load_once() {
    let app = TestApp::spawn(Backend::Sqlite).await.expect("sqlite");
    let mut conn = app.pool.get().expect("conn");
    let hash = kim_api::auth::password::hash("irrelevant passphrase").expect("hash");
    let first = kim_api::seed::demo(&mut conn, &hash).expect("seed");
    let cases = first
        .steering_created
        .iter()
        .find(|(kind, _)| *kind == "cases")
        .map(|(_, n)| *n);
    assert_eq!(cases, Some(36));
    let again = kim_api::seed::demo(&mut conn, &hash).expect("seed");
    assert!(
        again
            .steering_created
            .iter()
            .all(|(_, created)| *created == 0),
        "{:?}",
        again.steering_created
    );
    drop(conn);
    let token = app.token("case_manager").await;
    let mine: serde_json::Value = app
        .get("/api/v1/cases?limit=200", &token)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(mine["total"], 36);
    let statuses: std::collections::BTreeSet<&str> = mine["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|c| c["status"].as_str())
        .collect();
    assert_eq!(
        statuses.into_iter().collect::<Vec<_>>(),
        vec!["active", "closed", "intake", "paused"]
    );
    let exceptions: serde_json::Value = app
        .get("/api/v1/cases?eligible=false", &token)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(exceptions["total"], 4);
}

/// Seeding twice changes nothing the second time.
#[actix_web::test]
async fn demo_seed_is_idempotent() {
    let app = TestApp::spawn(Backend::Sqlite).await.expect("sqlite");
    let mut conn = app.pool.get().expect("conn");
    let hash = kim_api::auth::password::hash("irrelevant passphrase").expect("hash");
    let again = kim_api::seed::demo_without_cases(&mut conn, &hash).expect("seed");
    assert_eq!(
        (
            again.municipalities_created,
            again.organisations_created,
            again.users_created
        ),
        (0, 0, 0)
    );
    assert!(
        again
            .steering_created
            .iter()
            .all(|(_, created)| *created == 0),
        "{:?}",
        again.steering_created
    );
}
