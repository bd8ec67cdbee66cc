//! Contacts of a case: documenting, correcting, validation, who may see them, audit events.

use kim_tests::{assert_problem, backend_tests, error_fields, Method, StatusCode, TestApp};
use serde_json::{json, Value};

use crate::goals::{audit_actions, fixture, Fixture, OUTSIDERS};

backend_tests!(
    document_list_read_and_correct_contacts,
    contact_input_is_validated,
    contacts_need_a_token_and_a_case_role,
    another_case_managers_contacts_are_invisible,
    contact_corrections_need_the_current_version,
    every_contact_access_is_audited,
);

fn contact() -> Value {
    json!({"occurred_on": "2026-11-02", "kind": "home_visit", "duration_minutes": 60,
        "participants": ["client", "interpreter"], "note": "Discussed the language course"})
}

async fn create(app: &TestApp, f: &Fixture) -> i64 {
    let path = format!("/api/v1/cases/{}/contacts", f.case_id);
    kim_tests::builders::id(&app.post_created(&path, &f.manager, &contact()).await)
}

async fn document_list_read_and_correct_contacts(app: TestApp) {
    let f = fixture(&app).await;
    let response = app
        .post(
            &format!("/api/v1/cases/{}/contacts", f.case_id),
            &f.manager,
            &contact(),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let location = response.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let created: Value = response.json().await.expect("json");
    assert_eq!(created["kind"], "home_visit");
    assert_eq!(created["participants"], json!(["client", "interpreter"]));
    let id = created["id"].as_i64().expect("id");
    assert_eq!(location, format!("/api/v1/contacts/{id}"));

    let later = json!({"occurred_on": "2026-11-10", "kind": "phone", "duration_minutes": 15});
    assert_eq!(
        app.post(
            &format!("/api/v1/cases/{}/contacts", f.case_id),
            &f.manager,
            &later
        )
        .await
        .status(),
        StatusCode::CREATED
    );
    let list: Value = app
        .get_json(&format!("/api/v1/cases/{}/contacts", f.case_id), &f.manager)
        .await;
    assert_eq!(list["total"], 2);
    assert_eq!(list["items"][0]["kind"], "phone", "newest first");
    assert_eq!(list["items"][0]["participants"], json!([]));

    let read = app.get(&location, &f.manager).await;
    assert_eq!(read.status(), StatusCode::OK);
    assert_eq!(read.headers()["etag"], "\"1\"");

    let corrected = app
        .put(
            &location,
            &f.manager,
            Some(1),
            &json!({"occurred_on": "2026-11-02", "kind": "accompaniment", "duration_minutes": 90}),
        )
        .await;
    assert_eq!(corrected.status(), StatusCode::OK);
    let corrected: Value = corrected.json().await.expect("json");
    assert_eq!(
        (
            &corrected["kind"],
            &corrected["note"],
            &corrected["version"]
        ),
        (&json!("accompaniment"), &Value::Null, &json!(2))
    );

    let coordinator = app.token("cm_coordinator").await;
    assert_eq!(
        app.get(&location, &coordinator).await.status(),
        StatusCode::OK
    );
    assert_problem(
        app.put(&location, &coordinator, Some(2), &contact()).await,
        StatusCode::FORBIDDEN,
    )
    .await;
}

async fn contact_input_is_validated(app: TestApp) {
    let f = fixture(&app).await;
    let path = format!("/api/v1/cases/{}/contacts", f.case_id);
    for (body, fields) in [
        (
            json!({"occurred_on": "2026-11-02", "kind": "phone", "duration_minutes": 0}),
            vec!["duration_minutes"],
        ),
        (
            json!({"occurred_on": "2026-11-02", "kind": "phone", "duration_minutes": 1441}),
            vec!["duration_minutes"],
        ),
        (
            json!({"occurred_on": "2999-01-01", "kind": "phone", "duration_minutes": 10,
                "note": "x".repeat(2001), "participants": [" "]}),
            vec!["note", "occurred_on", "participants[0]"],
        ),
        (
            json!({"occurred_on": "2026-11-02", "kind": "carrier_pigeon", "duration_minutes": 10}),
            // serde does not name the field of an unknown enum value
            vec!["body"],
        ),
    ] {
        let problem = assert_problem(
            app.post(&path, &f.manager, &body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(error_fields(&problem), fields, "{body}");
    }
    let id = create(&app, &f).await;
    let problem = assert_problem(
        app.put(
            &format!("/api/v1/contacts/{id}"),
            &f.manager,
            Some(1),
            &json!({"occurred_on": "2026-11-02", "kind": "phone", "duration_minutes": -3}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["duration_minutes"]);
}

async fn contacts_need_a_token_and_a_case_role(app: TestApp) {
    let f = fixture(&app).await;
    let id = create(&app, &f).await;
    let list = format!("/api/v1/cases/{}/contacts", f.case_id);
    let one = format!("/api/v1/contacts/{id}");
    for (method, path) in [
        (Method::GET, &list),
        (Method::POST, &list),
        (Method::GET, &one),
    ] {
        assert_problem(
            app.send(method, path, None, None, Some(&contact())).await,
            StatusCode::UNAUTHORIZED,
        )
        .await;
    }
    for role in OUTSIDERS.iter().chain(&["immigration_officer"]) {
        let token = app.token(role).await;
        assert_problem(app.get(&list, &token).await, StatusCode::FORBIDDEN).await;
        assert_problem(
            app.post(&list, &token, &contact()).await,
            StatusCode::FORBIDDEN,
        )
        .await;
        assert_problem(app.get(&one, &token).await, StatusCode::NOT_FOUND).await;
        assert_problem(
            app.put(&one, &token, Some(1), &contact()).await,
            StatusCode::NOT_FOUND,
        )
        .await;
    }
}

async fn another_case_managers_contacts_are_invisible(app: TestApp) {
    let f = fixture(&app).await;
    let id = create(&app, &f).await;
    let list = format!("/api/v1/cases/{}/contacts", f.case_id);
    assert_problem(app.get(&list, &f.colleague).await, StatusCode::NOT_FOUND).await;
    assert_problem(
        app.post(&list, &f.colleague, &contact()).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        app.get(&format!("/api/v1/contacts/{id}"), &f.colleague)
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        app.put(
            &format!("/api/v1/contacts/{id}"),
            &f.colleague,
            Some(1),
            &contact(),
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        app.get(
            &format!("/api/v1/cases/{}/contacts", f.other_case_id),
            &f.manager,
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
}

async fn contact_corrections_need_the_current_version(app: TestApp) {
    let f = fixture(&app).await;
    let id = create(&app, &f).await;
    let path = format!("/api/v1/contacts/{id}");
    // A missing and a wrong If-Match: tests/api/preconditions.rs (the same request).
    assert_eq!(
        app.put(&path, &f.manager, Some(1), &contact())
            .await
            .status(),
        StatusCode::OK
    );
}

async fn every_contact_access_is_audited(app: TestApp) {
    let f = fixture(&app).await;
    let id = create(&app, &f).await;
    app.get(&format!("/api/v1/cases/{}/contacts", f.case_id), &f.manager)
        .await;
    app.get(&format!("/api/v1/contacts/{id}"), &f.manager).await;
    app.put(
        &format!("/api/v1/contacts/{id}"),
        &f.manager,
        Some(1),
        &contact(),
    )
    .await;
    app.get(&format!("/api/v1/contacts/{id}"), &f.colleague)
        .await;
    assert_eq!(
        audit_actions(&app, &f.reference),
        vec![
            "contact.create",
            "contact.list",
            "contact.read",
            "contact.update"
        ]
    );
}
