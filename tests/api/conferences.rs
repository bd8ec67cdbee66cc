//! Case conferences: with a case or anonymised, who may record, see and change them, follow-up
//! tasks and their completion, audit events.

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
    replace_a_conference_keeping_removing_and_adding_tasks,
    conference_replacement_is_validated_and_versioned,
    who_may_replace_a_conference,
    tasks_are_marked_done_by_their_owner_or_the_case_managers,
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

async fn read(app: &TestApp, token: &str, id: i64) -> Value {
    let response = app.get(&format!("/api/v1/conferences/{id}"), token).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.expect("json")
}

async fn replace_a_conference_keeping_removing_and_adding_tasks(app: TestApp) {
    let f = fixture(&app).await;
    let me = user_id(&app, "case_manager");
    let mut body = conference(&app, &f);
    body["tasks"]
        .as_array_mut()
        .expect("tasks")
        .push(json!({"description": "Call the Kita", "owner_user_id": me, "due_on": "2026-12-05"}));
    let id = create(&app, &f.manager, &body).await;
    let before = read(&app, &f.manager, id).await;
    let kept = before["tasks"][0]["id"].as_i64().expect("id");
    let removed = before["tasks"][1]["id"].as_i64().expect("id");

    let changed = json!({"case_id": f.case_id, "held_on": "2026-11-17",
    "outcome": "Jobcenter funds the B1 course from January", "organisation_ids": [], "user_ids": [me],
    "tasks": [
        {"id": kept, "description": "Apply for the course", "owner_user_id": me, "due_on": "2026-12-10", "done_on": "2026-11-20"},
        {"description": "Ask about childcare during the course", "owner_user_id": me, "due_on": "2026-12-15"}
    ]});
    let response = app
        .put(
            &format!("/api/v1/conferences/{id}"),
            &f.manager,
            Some(1),
            &changed,
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["etag"], "\"2\"");
    let after: Value = response.json().await.expect("json");
    assert_eq!(after["held_on"], "2026-11-17");
    assert_eq!(
        after["outcome"],
        "Jobcenter funds the B1 course from January"
    );
    assert_eq!(after["organisation_ids"], json!([]));
    let tasks = after["tasks"].as_array().expect("tasks");
    assert_eq!(tasks.len(), 2);
    assert_eq!(tasks[0]["id"], kept);
    assert_eq!(tasks[0]["due_on"], "2026-12-10");
    assert_eq!(tasks[0]["done_on"], "2026-11-20");
    assert!(tasks.iter().all(|t| t["id"] != removed));
    assert_eq!(
        tasks[1]["description"],
        "Ask about childcare during the course"
    );
    assert_eq!(tasks[1]["done_on"], Value::Null);
    assert_eq!(read(&app, &f.manager, id).await, after);
}

async fn conference_replacement_is_validated_and_versioned(app: TestApp) {
    let f = fixture(&app).await;
    let me = user_id(&app, "case_manager");
    let id = create(&app, &f.manager, &conference(&app, &f)).await;
    let other = create(&app, &f.manager, &conference(&app, &f)).await;
    let foreign_task = read(&app, &f.manager, other).await["tasks"][0]["id"]
        .as_i64()
        .expect("id");
    let path = format!("/api/v1/conferences/{id}");
    for (body, fields) in [
        (
            json!({"case_id": f.other_case_id, "held_on": "2026-11-18"}),
            vec!["case_id"],
        ),
        (
            json!({"held_on": "2026-11-18", "summary": "now anonymised"}),
            vec!["case_id"],
        ),
        (
            json!({"case_id": f.case_id, "held_on": "2999-01-01",
                "tasks": [{"description": "x", "owner_user_id": me, "due_on": "2026-12-01", "done_on": "2999-01-01"}]}),
            vec!["held_on", "tasks[0].done_on"],
        ),
        (
            json!({"case_id": f.case_id, "held_on": "2026-11-18",
                "tasks": [{"id": foreign_task, "description": "x", "owner_user_id": me, "due_on": "2026-12-01"}]}),
            vec!["tasks"],
        ),
        (json!({"case_id": f.case_id}), vec!["held_on"]),
    ] {
        let problem = assert_problem(
            app.put(&path, &f.manager, Some(1), &body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        let got = error_fields(&problem);
        assert!(
            fields.iter().all(|f| got.contains(&f.to_string())),
            "{body}: {got:?}"
        );
    }
    // Recording refuses task ids: the server assigns them.
    let mut with_id = conference(&app, &f);
    with_id["tasks"][0]["id"] = json!(foreign_task);
    let problem = assert_problem(
        app.post("/api/v1/conferences", &f.manager, &with_id).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["tasks[0].id"]);

    let body = conference(&app, &f);
    assert_problem(
        app.put(&path, &f.manager, None, &body).await,
        StatusCode::PRECONDITION_REQUIRED,
    )
    .await;
    assert_eq!(
        app.put(&path, &f.manager, Some(1), &body).await.status(),
        StatusCode::OK
    );
    assert_problem(
        app.put(&path, &f.manager, Some(1), &body).await,
        StatusCode::PRECONDITION_FAILED,
    )
    .await;
    // Nothing of the refused requests was written.
    assert_eq!(read(&app, &f.manager, id).await["version"], 2);
}

async fn who_may_replace_a_conference(app: TestApp) {
    let f = fixture(&app).await;
    let id = create(&app, &f.manager, &conference(&app, &f)).await;
    let path = format!("/api/v1/conferences/{id}");
    let body = conference(&app, &f);
    assert_problem(
        send(&app, Method::PUT, &path, None, Some(1), &body).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    // Another case manager does not see the case; the supervision reads but does not change.
    assert_problem(
        app.put(&path, &f.colleague, Some(1), &body).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let coordinator = app.token("cm_coordinator").await;
    assert_problem(
        app.put(&path, &coordinator, Some(1), &body).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    for role in OUTSIDERS.iter().chain(&["immigration_officer"]) {
        let token = app.token(role).await;
        assert_problem(
            app.put(&path, &token, Some(1), &body).await,
            StatusCode::NOT_FOUND,
        )
        .await;
    }
    assert_problem(
        app.put("/api/v1/conferences/999999", &f.manager, Some(1), &body)
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;

    // An anonymised conference: every case manager reads it, only its author changes it.
    let anonymised = json!({"held_on": "2026-11-18", "summary": "Options for a young mother"});
    let id = create(&app, &f.manager, &anonymised).await;
    let path = format!("/api/v1/conferences/{id}");
    assert_problem(
        app.put(&path, &f.colleague, Some(1), &anonymised).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let changed = json!({"held_on": "2026-11-18", "summary": "Options for a young mother: residence and work"});
    let response = app.put(&path, &f.manager, Some(1), &changed).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("json");
    assert_eq!(
        body["summary"],
        "Options for a young mother: residence and work"
    );
}

async fn tasks_are_marked_done_by_their_owner_or_the_case_managers(app: TestApp) {
    let f = fixture(&app).await;
    let coordinator_id = user_id(&app, "coordinator");
    let mut body = conference(&app, &f);
    // Due soon, so that it is on the owner's work list.
    let due = (chrono::Utc::now().date_naive() + chrono::Duration::days(3)).to_string();
    body["tasks"] = json!([
        {"description": "Send the course dates", "owner_user_id": coordinator_id, "due_on": due},
        {"description": "Book an interpreter", "owner_user_id": user_id(&app, "case_manager"), "due_on": due}
    ]);
    let id = create(&app, &f.manager, &body).await;
    let tasks = read(&app, &f.manager, id).await["tasks"].clone();
    let (theirs, mine) = (
        tasks[0]["id"].as_i64().expect("id"),
        tasks[1]["id"].as_i64().expect("id"),
    );
    let done = |task: i64| format!("/api/v1/conferences/{id}/tasks/{task}/done");
    let on_work_list = |token: String| {
        let app = &app;
        async move {
            let list: Value = app
                .get("/api/v1/me/tasks", &token)
                .await
                .json()
                .await
                .expect("json");
            list.as_array()
                .expect("a list of tasks")
                .iter()
                .filter(|t| t["object_type"] == "conference" && t["object_id"] == id)
                .count()
        }
    };
    assert_eq!(on_work_list(f.manager.clone()).await, 1);

    assert_problem(
        send(&app, Method::POST, &done(mine), None, None, &json!({})).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    // Neither owner nor allowed to change: 404 when the case is invisible, 403 when read-only.
    assert_problem(
        app.post(&done(mine), &f.colleague, &json!({})).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let supervision = app.token("cm_coordinator").await;
    assert_problem(
        app.post(&done(mine), &supervision, &json!({})).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_problem(
        app.post(&done(999_999), &f.manager, &json!({})).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let problem = assert_problem(
        app.post(&done(mine), &f.manager, &json!({"done_on": "2999-01-01"}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["done_on"]);

    // The case manager ticks off their task; the work list forgets it; twice is a conflict.
    let response = app
        .post(&done(mine), &f.manager, &json!({"done_on": "2026-11-20"}))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let task: Value = response.json().await.expect("json");
    assert_eq!(task["done_on"], "2026-11-20");
    assert_eq!(on_work_list(f.manager.clone()).await, 0);
    assert_problem(
        app.post(&done(mine), &f.manager, &json!({})).await,
        StatusCode::CONFLICT,
    )
    .await;

    // The coordinator owns a task of a case they cannot see: they may tick it off, and the
    // answer is the task alone.
    let coordinator = app.token("coordinator").await;
    assert_problem(
        app.get(&format!("/api/v1/conferences/{id}"), &coordinator)
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let response = app.post(&done(theirs), &coordinator, &json!({})).await;
    assert_eq!(response.status(), StatusCode::OK);
    let task: Value = response.json().await.expect("json");
    assert_eq!(
        task.as_object().expect("object").keys().collect::<Vec<_>>(),
        vec!["description", "done_on", "due_on", "id", "owner_user_id"]
    );
    assert_eq!(read(&app, &f.manager, id).await["version"], 3);
}
