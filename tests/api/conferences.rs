//! Case conferences: with a case or anonymised, who may record and see them, audit events.

use kim_tests::{assert_problem, backend_tests, error_fields, Method, StatusCode, TestApp};
use serde_json::{json, Value};

use crate::goals::{audit_actions, fixture, send, Fixture, OUTSIDERS};

backend_tests!(
    record_and_read_a_case_conference,
    anonymised_conferences_are_seen_by_case_management_only,
    conference_input_is_validated,
    conferences_need_a_token_and_a_case_role,
    another_case_managers_conferences_are_invisible,
    every_conference_access_is_audited,
);

fn user_id(app: &TestApp, username: &str) -> i64 {
    let mut conn = app.pool.get().expect("connection");
    kim_store::users::find_by_username(&mut conn, username)
        .expect("query")
        .expect("user")
        .id
}

fn organisation_id(app: &TestApp, name: &str) -> i64 {
    let mut conn = app.pool.get().expect("connection");
    kim_store::organisations::find_by_name(&mut conn, name)
        .expect("query")
        .expect("organisation")
        .id
}

fn conference(app: &TestApp, f: &Fixture) -> Value {
    let me = user_id(app, "case_manager");
    let ki = organisation_id(app, kim_api::seed::KI);
    json!({"case_id": f.case_id, "held_on": "2026-11-18",
        "outcome": "Jobcenter funds the B1 course", "organisation_ids": [ki], "user_ids": [me],
        "tasks": [{"description": "Apply for the course", "owner_user_id": me, "due_on": "2026-12-01"}]})
}

async fn create(app: &TestApp, token: &str, body: &Value) -> i64 {
    let response = app.post("/api/v1/conferences", token, body).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.expect("json");
    body["id"].as_i64().expect("id")
}

async fn record_and_read_a_case_conference(app: TestApp) {
    let f = fixture(&app).await;
    let response = app
        .post("/api/v1/conferences", &f.manager, &conference(&app, &f))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let location = response.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let created: Value = response.json().await.expect("json");
    assert_eq!(created["anonymised"], false);
    assert_eq!(created["tasks"][0]["description"], "Apply for the course");
    assert!(created["tasks"][0]["id"].is_i64());

    let read = app.get(&location, &f.manager).await;
    assert_eq!(read.status(), StatusCode::OK);
    let list: Value = app
        .get(
            &format!("/api/v1/cases/{}/conferences", f.case_id),
            &f.manager,
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["id"], created["id"]);

    let coordinator = app.token("cm_coordinator").await;
    assert_eq!(
        app.get(&location, &coordinator).await.status(),
        StatusCode::OK
    );
    assert_problem(
        app.post("/api/v1/conferences", &coordinator, &conference(&app, &f))
            .await,
        StatusCode::FORBIDDEN,
    )
    .await;
}

async fn anonymised_conferences_are_seen_by_case_management_only(app: TestApp) {
    let f = fixture(&app).await;
    let id = create(
        &app,
        &f.manager,
        &json!({"held_on": "2026-11-18", "summary": "Young mother, unclear residence status: options discussed"}),
    )
    .await;
    let path = format!("/api/v1/conferences/{id}");
    let read: Value = app
        .get(&path, &f.colleague)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(read["anonymised"], true);
    assert_eq!(read["case_id"], Value::Null);
    let coordinator = app.token("cm_coordinator").await;
    assert_eq!(app.get(&path, &coordinator).await.status(), StatusCode::OK);
    for role in OUTSIDERS.iter().chain(&["immigration_officer"]) {
        let token = app.token(role).await;
        assert_problem(app.get(&path, &token).await, StatusCode::NOT_FOUND).await;
    }
}

async fn conference_input_is_validated(app: TestApp) {
    let f = fixture(&app).await;
    let me = user_id(&app, "case_manager");
    for (body, fields) in [
        (json!({"held_on": "2026-11-18"}), vec!["summary"]),
        (
            json!({"held_on": "2999-11-18", "summary": "x".repeat(2001)}),
            vec!["held_on", "summary"],
        ),
        (
            json!({"held_on": "2026-11-18", "summary": "s",
                "tasks": [{"description": " ", "owner_user_id": me, "due_on": "2026-12-01"}]}),
            vec!["tasks[0].description"],
        ),
        (
            json!({"held_on": "2026-11-18", "summary": "s", "organisation_ids": [999_999]}),
            vec!["organisation_ids"],
        ),
        (
            json!({"held_on": "2026-11-18", "summary": "s", "user_ids": [999_999]}),
            vec!["user_ids"],
        ),
        (
            json!({"held_on": "2026-11-18", "summary": "s",
                "tasks": [{"description": "x", "owner_user_id": 999_999, "due_on": "2026-12-01"}]}),
            vec!["tasks"],
        ),
        (
            json!({"held_on": "2026-11-18", "summary": "s", "venue": "town hall"}),
            vec!["venue"],
        ),
    ] {
        let problem = assert_problem(
            app.post("/api/v1/conferences", &f.manager, &body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(error_fields(&problem), fields, "{body}");
    }
}

async fn conferences_need_a_token_and_a_case_role(app: TestApp) {
    let f = fixture(&app).await;
    let id = create(&app, &f.manager, &conference(&app, &f)).await;
    let list = format!("/api/v1/cases/{}/conferences", f.case_id);
    let one = format!("/api/v1/conferences/{id}");
    for (method, path) in [
        (Method::POST, "/api/v1/conferences"),
        (Method::GET, list.as_str()),
        (Method::GET, one.as_str()),
    ] {
        assert_problem(
            send(&app, method, path, None, None, &conference(&app, &f)).await,
            StatusCode::UNAUTHORIZED,
        )
        .await;
    }
    for role in OUTSIDERS.iter().chain(&["immigration_officer"]) {
        let token = app.token(role).await;
        assert_problem(
            app.post("/api/v1/conferences", &token, &conference(&app, &f))
                .await,
            StatusCode::FORBIDDEN,
        )
        .await;
        assert_problem(app.get(&list, &token).await, StatusCode::FORBIDDEN).await;
        assert_problem(app.get(&one, &token).await, StatusCode::NOT_FOUND).await;
    }
}

async fn another_case_managers_conferences_are_invisible(app: TestApp) {
    let f = fixture(&app).await;
    let id = create(&app, &f.manager, &conference(&app, &f)).await;
    assert_problem(
        app.get(&format!("/api/v1/conferences/{id}"), &f.colleague)
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        app.get(
            &format!("/api/v1/cases/{}/conferences", f.case_id),
            &f.colleague,
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        app.post("/api/v1/conferences", &f.colleague, &conference(&app, &f))
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        app.get("/api/v1/conferences/999999", &f.manager).await,
        StatusCode::NOT_FOUND,
    )
    .await;
}

async fn every_conference_access_is_audited(app: TestApp) {
    let f = fixture(&app).await;
    let id = create(&app, &f.manager, &conference(&app, &f)).await;
    app.get(&format!("/api/v1/conferences/{id}"), &f.manager)
        .await;
    app.get(
        &format!("/api/v1/cases/{}/conferences", f.case_id),
        &f.manager,
    )
    .await;
    app.get(&format!("/api/v1/conferences/{id}"), &f.colleague)
        .await;
    assert_eq!(
        audit_actions(&app, &f.reference),
        vec!["conference.create", "conference.read", "conference.list"]
    );
}
