//! Case conferences: with a case or anonymised, who may record, see and change them, follow-up
//! tasks and their completion, audit events.

use kim_tests::{assert_problem, backend_tests, error_fields, Method, StatusCode, TestApp};
use serde_json::{json, Value};

use crate::goals::{audit_actions, fixture, Fixture, OUTSIDERS};

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
    partners_in_a_conference_need_the_lead_clients_consent,
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
            app.send(method, path, None, None, Some(&conference(&app, &f)))
                .await,
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
        app.send(Method::PUT, &path, None, Some(1), Some(&body))
            .await,
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
            list["items"]
                .as_array()
                .expect("a list of tasks")
                .iter()
                .filter(|t| t["object_type"] == "conference" && t["object_id"] == id)
                .count()
        }
    };
    assert_eq!(on_work_list(f.manager.clone()).await, 1);

    assert_problem(
        app.send(Method::POST, &done(mine), None, None, Some(&json!({})))
            .await,
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

fn days_ago(days: i64) -> String {
    (chrono::Utc::now().date_naive() - chrono::Duration::days(days)).to_string()
}

/// Records a consent of `client_id` for `purposes` releasing `categories` to `recipients`,
/// given ten days ago; returns its id.
async fn consent(
    app: &TestApp,
    token: &str,
    client_id: i64,
    recipients: &[i64],
    purposes: Value,
    categories: Value,
) -> i64 {
    let response = app
        .post(
            &format!("/api/v1/clients/{client_id}/consents"),
            token,
            &json!({"recipient_organisation_ids": recipients, "purposes": purposes,
                "categories": categories, "given_on": days_ago(10)}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.expect("json");
    body["id"].as_i64().expect("id")
}

/// Issue 10 item 7: a conference about a case with organisations from outside the county
/// administration (named, or the organisation of a named user) needs the lead client's consent
/// for `case_conference`, releasing identity and case content to each of them on the day held:
/// 409 `consent-missing` otherwise, as for referrals, and nothing is recorded.
async fn partners_in_a_conference_need_the_lead_clients_consent(app: TestApp) {
    let f = fixture(&app).await;
    let me = user_id(&app, "case_manager");
    let ki = organisation_id(&app, kim_api::seed::KI);
    let youth_office = organisation_id(&app, "Jugendamt Rhein-Sieg-Kreis");
    let jobcenter = organisation_id(&app, "Jobcenter Rhein-Sieg");
    let caritas = organisation_id(&app, "Caritasverband Rhein-Sieg");
    let body = |organisations: &[i64], users: &[i64], held_on: &str| {
        json!({"case_id": f.case_id, "held_on": held_on, "outcome": "Course funded",
            "organisation_ids": organisations, "user_ids": users})
    };
    let listed = |app: &TestApp| {
        let path = format!("/api/v1/cases/{}/conferences", f.case_id);
        let token = f.manager.clone();
        let request = app.request(Method::GET, &path, Some(&token));
        async move {
            let page: Value = request
                .send()
                .await
                .expect("send")
                .json()
                .await
                .expect("json");
            page["total"].as_i64().expect("total")
        }
    };
    // The county administration among itself needs no consent.
    create(
        &app,
        &f.manager,
        &body(&[ki, youth_office], &[me], &days_ago(5)),
    )
    .await;

    let refused = assert_problem(
        app.post(
            "/api/v1/conferences",
            &f.manager,
            &body(&[youth_office, jobcenter], &[me], &days_ago(5)),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(
        refused["type"],
        "https://kim-api.example/problems/consent-missing"
    );
    assert_eq!(
        refused["missing_categories"],
        json!(["identity", "case_content"])
    );
    assert!(
        refused["detail"]
            .as_str()
            .is_some_and(|d| d.contains(&format!("to organisation {jobcenter} for"))),
        "{refused}"
    );
    // A consent for referrals, or for case content only, does not do.
    consent(
        &app,
        &f.manager,
        f.client_id,
        &[jobcenter],
        json!(["referral"]),
        json!(["identity", "case_content"]),
    )
    .await;
    let content_only = consent(
        &app,
        &f.manager,
        f.client_id,
        &[jobcenter],
        json!(["case_conference"]),
        json!(["case_content"]),
    )
    .await;
    let refused = assert_problem(
        app.post(
            "/api/v1/conferences",
            &f.manager,
            &body(&[jobcenter], &[], &days_ago(5)),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(refused["missing_categories"], json!(["identity"]));
    assert_eq!(listed(&app).await, 1, "nothing recorded by the refusals");

    consent(
        &app,
        &f.manager,
        f.client_id,
        &[jobcenter],
        json!(["case_conference"]),
        json!(["identity"]),
    )
    .await;
    let id = create(
        &app,
        &f.manager,
        &body(&[jobcenter, ki], &[me], &days_ago(5)),
    )
    .await;
    // Held before the consent was given: not covered.
    let refused = assert_problem(
        app.post(
            "/api/v1/conferences",
            &f.manager,
            &body(&[jobcenter], &[], &days_ago(11)),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(
        refused["missing_categories"],
        json!(["identity", "case_content"])
    );

    // A user of a partner organisation brings it to the table.
    let admin = app.token("admin").await;
    let partner_user = app
        .post(
            "/api/v1/users",
            &admin,
            &json!({"username": "caritas.berater", "display_name": "Caritas Berater", "role": "case_manager",
                "organisation_id": caritas, "password": kim_tests::PASSWORD}),
        )
        .await;
    // A case manager account waits for a second person (issue 10 item 2).
    assert_eq!(partner_user.status(), StatusCode::ACCEPTED);
    let change: Value = partner_user.json().await.expect("json");
    app.confirm_access_change(change["id"].as_i64().expect("change"))
        .await;
    let partner_user = change["user_id"].as_i64().expect("id");
    let refused = assert_problem(
        app.post(
            "/api/v1/conferences",
            &f.manager,
            &body(&[jobcenter], &[partner_user], &days_ago(5)),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(
        refused["detail"]
            .as_str()
            .is_some_and(|d| d.contains(&format!("to organisation {caritas} for"))),
        "{refused}"
    );

    // Replacing the record checks the same: adding Caritas is refused and changes nothing.
    let path = format!("/api/v1/conferences/{id}");
    let refused = assert_problem(
        app.send(
            Method::PUT,
            &path,
            Some(&f.manager),
            Some(1),
            Some(&body(&[jobcenter, caritas], &[me], &days_ago(5))),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(
        refused["type"],
        "https://kim-api.example/problems/consent-missing"
    );
    let unchanged = read(&app, &f.manager, id).await;
    assert_eq!(unchanged["version"], 1);
    let mut before = vec![ki, jobcenter];
    before.sort_unstable();
    assert_eq!(unchanged["organisation_ids"], json!(before));
    // Once the consent is revoked, a conference held after it is refused; one held before
    // may still be corrected.
    let revoked = app
        .post(
            &format!(
                "/api/v1/clients/{}/consents/{content_only}/revocation",
                f.client_id
            ),
            &f.manager,
            &json!({"revoked_on": days_ago(2)}),
        )
        .await;
    assert_eq!(revoked.status(), StatusCode::OK);
    assert_problem(
        app.post(
            "/api/v1/conferences",
            &f.manager,
            &body(&[jobcenter], &[], &days_ago(1)),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
    let corrected = app
        .send(
            Method::PUT,
            &path,
            Some(&f.manager),
            Some(1),
            Some(&body(&[jobcenter], &[me], &days_ago(5))),
        )
        .await;
    assert_eq!(corrected.status(), StatusCode::OK);

    // An anonymised conference names no client and needs no consent.
    create(
        &app,
        &f.manager,
        &json!({"held_on": days_ago(1), "summary": "Jobcenter and Caritas on daycare gaps",
            "organisation_ids": [jobcenter, caritas]}),
    )
    .await;
    // Roles and tokens as before: the CM coordination does not record; without a token 401.
    let coordinator = app.token("cm_coordinator").await;
    assert_problem(
        app.post(
            "/api/v1/conferences",
            &coordinator,
            &body(&[ki], &[], &days_ago(5)),
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_problem(
        app.send(
            Method::POST,
            "/api/v1/conferences",
            None,
            None,
            Some(&body(&[ki], &[], &days_ago(5))),
        )
        .await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_problem(
        app.post(
            "/api/v1/conferences",
            &f.manager,
            &json!({"case_id": f.other_case_id, "held_on": days_ago(5), "organisation_ids": [jobcenter]}),
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
}
