//! Residence-law requests to module 3: asking needs consent, the office sees only its requests
//! and only consented client fields, each side makes only its moves, every access is audited.

use kim_domain::consent::DataCategory;
use kim_domain::Role;
use kim_store::audit::Actor;
use kim_store::residence_requests::NewRequest;
use kim_store::users::NewUser;
use kim_tests::{assert_problem, backend_tests, error_fields, Method, StatusCode, TestApp};
use serde_json::{json, Value};

use crate::goals::{audit_actions, fixture, OUTSIDERS};

backend_tests!(
    asking_without_consent_is_refused,
    request_input_is_validated,
    requests_need_a_token_and_a_role_that_sees_them,
    another_case_managers_requests_are_invisible,
    the_office_answers_and_the_case_side_closes,
    each_side_makes_only_its_moves,
    another_office_sees_nothing,
    every_request_access_is_audited,
    after_a_revocation_the_office_sees_the_status_only,
);

fn office_of(app: &TestApp, username: &str) -> i64 {
    let mut conn = app.pool.get().expect("connection");
    kim_store::users::find_by_username(&mut conn, username)
        .expect("query")
        .and_then(|u| u.organisation_id)
        .expect("office")
}

/// A request as if asked with consent (consents are not on this branch yet).
fn seed_request(app: &TestApp, case_id: i64, client_id: i64) -> i64 {
    let office = office_of(app, "immigration_officer");
    let mut conn = app.pool.get().expect("connection");
    kim_store::residence_requests::insert(
        &mut conn,
        &Actor::system(),
        &NewRequest {
            case_id,
            client_id,
            office_organisation_id: office,
            question: "May she take up work?".into(),
            shared_categories: vec![DataCategory::Identity, DataCategory::ResidenceStatus],
        },
    )
    .expect("request")
    .id
}

/// Records (through the API) the client's consent releasing identity and residence status to
/// the demo immigration office for residence-law requests; returns its id.
async fn office_consent(app: &TestApp, token: &str, client_id: i64) -> i64 {
    let office = office_of(app, "immigration_officer");
    let given_on = (chrono::Utc::now().date_naive() - chrono::Duration::days(3)).to_string();
    let response = app
        .post(
            &format!("/api/v1/clients/{client_id}/consents"),
            token,
            &json!({"recipient_organisation_ids": [office], "purposes": ["residence_law_request"],
                "categories": ["identity", "residence_status"], "given_on": given_on}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.expect("json");
    body["id"].as_i64().expect("id")
}

fn client_of_case(app: &TestApp, case_id: i64) -> i64 {
    let mut conn = app.pool.get().expect("connection");
    kim_store::cases::find(&mut conn, case_id)
        .expect("case")
        .data
        .lead_client_id
}

async fn move_request(
    app: &TestApp,
    id: i64,
    token: &str,
    version: Option<i64>,
    body: &Value,
) -> reqwest::Response {
    app.send(
        Method::POST,
        &format!("/api/v1/residence-requests/{id}/transitions"),
        Some(token),
        version,
        Some(body),
    )
    .await
}

async fn asking_without_consent_is_refused(app: TestApp) {
    let f = fixture(&app).await;
    let office = office_of(&app, "immigration_officer");
    let problem = assert_problem(
        app.post(
            &format!("/api/v1/cases/{}/residence-requests", f.case_id),
            &f.manager,
            &json!({"client_id": f.client_id, "office_organisation_id": office,
                "question": "Does § 25b apply?", "shared_categories": ["residence_status"]}),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(
        problem["type"],
        "https://kim-api.example/problems/consent-missing"
    );
    assert_eq!(
        problem["missing_categories"],
        json!(["identity", "residence_status"])
    );
    let list: Value = app
        .get("/api/v1/residence-requests", &f.manager)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(list["total"], 0, "nothing was asked");
    assert!(audit_actions(&app, &f.reference).is_empty());
}

async fn request_input_is_validated(app: TestApp) {
    let f = fixture(&app).await;
    let office = office_of(&app, "immigration_officer");
    let path = format!("/api/v1/cases/{}/residence-requests", f.case_id);
    for (body, fields) in [
        (
            json!({"client_id": f.client_id, "office_organisation_id": office, "question": "  "}),
            vec!["question"],
        ),
        (
            json!({"client_id": f.client_id, "office_organisation_id": office, "question": "x".repeat(2001)}),
            vec!["question"],
        ),
        (
            json!({"client_id": f.client_id + 1, "office_organisation_id": office, "question": "?"}),
            vec!["client_id"],
        ),
        (
            json!({"client_id": f.client_id, "office_organisation_id": 999_999, "question": "?"}),
            vec!["office_organisation_id"],
        ),
        (
            json!({"client_id": f.client_id, "office_organisation_id": office, "question": "?", "urgent": true}),
            vec!["urgent"],
        ),
    ] {
        let problem = assert_problem(
            app.post(&path, &f.manager, &body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(error_fields(&problem), fields, "{body}");
    }
}

async fn requests_need_a_token_and_a_role_that_sees_them(app: TestApp) {
    let f = fixture(&app).await;
    let id = seed_request(&app, f.case_id, f.client_id);
    let create = format!("/api/v1/cases/{}/residence-requests", f.case_id);
    let one = format!("/api/v1/residence-requests/{id}");
    for (method, path) in [
        (Method::POST, create.clone()),
        (Method::GET, "/api/v1/residence-requests".into()),
        (Method::GET, one.clone()),
        (Method::POST, format!("{one}/transitions")),
    ] {
        assert_problem(
            app.send(
                method,
                &path,
                None,
                Some(1),
                Some(&json!({"to": "withdrawn"})),
            )
            .await,
            StatusCode::UNAUTHORIZED,
        )
        .await;
    }
    for role in OUTSIDERS {
        let token = app.token(role).await;
        assert_problem(
            app.get("/api/v1/residence-requests", &token).await,
            StatusCode::FORBIDDEN,
        )
        .await;
        assert_problem(
            app.post(
                &create,
                &token,
                &json!({"client_id": f.client_id, "office_organisation_id": 1, "question": "?"}),
            )
            .await,
            StatusCode::FORBIDDEN,
        )
        .await;
        assert_problem(app.get(&one, &token).await, StatusCode::NOT_FOUND).await;
        assert_problem(
            move_request(&app, id, &token, Some(1), &json!({"to": "withdrawn"})).await,
            StatusCode::NOT_FOUND,
        )
        .await;
    }
    let officer = app.token("immigration_officer").await;
    assert_problem(
        app.post(
            &create,
            &officer,
            &json!({"client_id": f.client_id, "office_organisation_id": 1, "question": "?"}),
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;
}

async fn another_case_managers_requests_are_invisible(app: TestApp) {
    let f = fixture(&app).await;
    let theirs = seed_request(&app, f.other_case_id, client_of_case(&app, f.other_case_id));
    let mine = seed_request(&app, f.case_id, f.client_id);
    let list: Value = app
        .get("/api/v1/residence-requests", &f.manager)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["id"], mine);
    assert_problem(
        app.get(&format!("/api/v1/residence-requests/{theirs}"), &f.manager)
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        move_request(
            &app,
            theirs,
            &f.manager,
            Some(1),
            &json!({"to": "withdrawn"}),
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        app.post(
            &format!("/api/v1/cases/{}/residence-requests", f.other_case_id),
            &f.manager,
            &json!({"client_id": f.client_id, "office_organisation_id": 1, "question": "?"}),
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let coordinator = app.token("cm_coordinator").await;
    let all: Value = app
        .get("/api/v1/residence-requests", &coordinator)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(all["total"], 2, "the coordinator supervises every case");
}

async fn the_office_answers_and_the_case_side_closes(app: TestApp) {
    let f = fixture(&app).await;
    let id = seed_request(&app, f.case_id, f.client_id);
    let officer = app.token("immigration_officer").await;

    let list: Value = app
        .get("/api/v1/residence-requests?status=open", &officer)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(list["total"], 1);
    let seen = &list["items"][0];
    // Seeded without a consent (the API asks only with one): the office sees that it was
    // asked, but neither what nor about whom.
    assert_eq!(seen["question"], Value::Null);
    assert_eq!(seen["content_withheld"], true);
    assert_eq!(seen["case_id"], Value::Null, "the office sees no case");
    assert_eq!(
        seen["visible_categories"],
        json!([]),
        "no consent: no client field"
    );
    assert_eq!(seen["client"]["reference"], Value::Null);
    assert_eq!(seen["client"]["given_name"], Value::Null);
    assert_eq!(seen["allowed_transitions"], json!(["answered"]));
    // With the client's consent it sees the question and the released fields.
    let consent = office_consent(&app, &f.manager, f.client_id).await;
    let seen: Value = app
        .get(&format!("/api/v1/residence-requests/{id}"), &officer)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(seen["question"], "May she take up work?");
    assert_eq!(seen["content_withheld"], false);
    assert_eq!(seen["client"]["reference"], f.reference.as_str());
    assert!(consent > 0);

    let case_view: Value = app
        .get(&format!("/api/v1/residence-requests/{id}"), &f.manager)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(case_view["client"]["reference"], f.reference.as_str());
    assert_eq!(case_view["case_id"], f.case_id);
    assert_eq!(case_view["allowed_transitions"], json!(["withdrawn"]));

    let problem = assert_problem(
        move_request(
            &app,
            id,
            &officer,
            Some(1),
            &json!({"to": "answered", "text": " "}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["text"]);
    assert_problem(
        move_request(
            &app,
            id,
            &officer,
            None,
            &json!({"to": "answered", "text": "Yes"}),
        )
        .await,
        StatusCode::PRECONDITION_REQUIRED,
    )
    .await;
    assert_problem(
        move_request(
            &app,
            id,
            &officer,
            Some(5),
            &json!({"to": "answered", "text": "Yes"}),
        )
        .await,
        StatusCode::PRECONDITION_FAILED,
    )
    .await;
    let answered = move_request(
        &app,
        id,
        &officer,
        Some(1),
        &json!({"to": "answered", "text": "Yes, with a permit under § 4a"}),
    )
    .await;
    assert_eq!(answered.status(), StatusCode::OK);
    assert_eq!(answered.headers()["etag"], "\"2\"");
    let answered: Value = answered.json().await.expect("json");
    assert_eq!(answered["status"], "answered");
    assert_eq!(answered["answer"], "Yes, with a permit under § 4a");
    assert!(answered["answered_at"].is_string());

    let closed = move_request(
        &app,
        id,
        &f.manager,
        Some(2),
        &json!({"to": "closed", "text": "Client informed"}),
    )
    .await;
    assert_eq!(closed.status(), StatusCode::OK);
    let closed: Value = closed.json().await.expect("json");
    assert_eq!(
        (&closed["status"], &closed["note"]),
        (&json!("closed"), &json!("Client informed"))
    );
    assert_problem(
        move_request(&app, id, &f.manager, Some(3), &json!({"to": "withdrawn"})).await,
        StatusCode::CONFLICT,
    )
    .await;
}

async fn each_side_makes_only_its_moves(app: TestApp) {
    let f = fixture(&app).await;
    let id = seed_request(&app, f.case_id, f.client_id);
    let officer = app.token("immigration_officer").await;
    assert_problem(
        move_request(
            &app,
            id,
            &f.manager,
            Some(1),
            &json!({"to": "answered", "text": "x"}),
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_problem(
        move_request(&app, id, &officer, Some(1), &json!({"to": "withdrawn"})).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_problem(
        move_request(&app, id, &f.manager, Some(1), &json!({"to": "closed"})).await,
        StatusCode::CONFLICT,
    )
    .await;
    let coordinator = app.token("cm_coordinator").await;
    assert_eq!(
        app.get(&format!("/api/v1/residence-requests/{id}"), &coordinator)
            .await
            .status(),
        StatusCode::OK
    );
    assert_problem(
        move_request(&app, id, &coordinator, Some(1), &json!({"to": "withdrawn"})).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let withdrawn = move_request(&app, id, &f.manager, Some(1), &json!({"to": "withdrawn"})).await;
    assert_eq!(withdrawn.status(), StatusCode::OK);
    assert_problem(
        move_request(
            &app,
            id,
            &officer,
            Some(2),
            &json!({"to": "answered", "text": "late"}),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
}

async fn another_office_sees_nothing(app: TestApp) {
    let f = fixture(&app).await;
    let id = seed_request(&app, f.case_id, f.client_id);
    {
        let mut conn = app.pool.get().expect("connection");
        let (_, hash) = kim_store::users::find_for_login(&mut conn, "immigration_officer")
            .expect("query")
            .expect("officer");
        let other_office =
            kim_store::organisations::find_by_name(&mut conn, "Ausländerbehörde Stadt Troisdorf")
                .expect("query")
                .expect("Troisdorf office")
                .id;
        kim_store::users::insert(
            &mut conn,
            &Actor::system(),
            &NewUser {
                username: "troisdorf_officer".into(),
                display_name: "Troisdorf officer".into(),
                role: Role::ImmigrationOfficer,
                organisation_id: Some(other_office),
                active: true,
                password_hash: hash,
                must_change_password: false,
            },
        )
        .expect("officer");
    }
    let token = app.token("troisdorf_officer").await;
    let list: Value = app
        .get("/api/v1/residence-requests", &token)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(list["total"], 0);
    assert_problem(
        app.get(&format!("/api/v1/residence-requests/{id}"), &token)
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        move_request(
            &app,
            id,
            &token,
            Some(1),
            &json!({"to": "answered", "text": "x"}),
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
}

async fn every_request_access_is_audited(app: TestApp) {
    let f = fixture(&app).await;
    let id = seed_request(&app, f.case_id, f.client_id);
    let officer = app.token("immigration_officer").await;
    app.get(&format!("/api/v1/residence-requests/{id}"), &officer)
        .await;
    move_request(
        &app,
        id,
        &officer,
        Some(1),
        &json!({"to": "answered", "text": "Yes"}),
    )
    .await;
    app.get(&format!("/api/v1/residence-requests/{id}"), &f.manager)
        .await;
    app.get(&format!("/api/v1/residence-requests/{id}"), &f.colleague)
        .await;
    assert_eq!(
        audit_actions(&app, &f.reference),
        vec![
            "residence_request.read",
            "residence_request.transition",
            "residence_request.read"
        ]
    );
}

/// Issue 10 item 7: once the client revokes the consent, the office keeps seeing that it was
/// asked and how the request stands, but no longer the question, the answer or the client's
/// fields — in the request, in its list and on its work list. The case side keeps everything.
async fn after_a_revocation_the_office_sees_the_status_only(app: TestApp) {
    let f = fixture(&app).await;
    let office = office_of(&app, "immigration_officer");
    let consent = office_consent(&app, &f.manager, f.client_id).await;
    let ask = |question: &str| {
        json!({"client_id": f.client_id, "office_organisation_id": office,
            "question": question, "shared_categories": ["residence_status"]})
    };
    let path = format!("/api/v1/cases/{}/residence-requests", f.case_id);
    let answered_one = app
        .post(&path, &f.manager, &ask("May she work as a nurse?"))
        .await;
    assert_eq!(answered_one.status(), StatusCode::CREATED);
    let answered_one: Value = answered_one.json().await.expect("json");
    let open_one = app
        .post(&path, &f.manager, &ask("Is her permit renewable?"))
        .await;
    assert_eq!(open_one.status(), StatusCode::CREATED);
    let open_one: Value = open_one.json().await.expect("json");
    let officer = app.token("immigration_officer").await;
    let id = answered_one["id"].as_i64().expect("id");
    let answered = move_request(
        &app,
        id,
        &officer,
        Some(1),
        &json!({"to": "answered", "text": "Yes, with a recognised qualification"}),
    )
    .await;
    assert_eq!(answered.status(), StatusCode::OK);
    let before: Value = app
        .get(&format!("/api/v1/residence-requests/{id}"), &officer)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(before["question"], "May she work as a nurse?");
    assert_eq!(before["answer"], "Yes, with a recognised qualification");
    assert_eq!(before["client"]["given_name"], "Amina");
    assert_eq!(before["content_withheld"], false);

    let revoked = app
        .post(
            &format!(
                "/api/v1/clients/{}/consents/{consent}/revocation",
                f.client_id
            ),
            &f.manager,
            &json!({}),
        )
        .await;
    assert_eq!(revoked.status(), StatusCode::OK);

    let after: Value = app
        .get(&format!("/api/v1/residence-requests/{id}"), &officer)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(after["status"], "answered");
    assert_eq!(after["version"], 2);
    assert!(after["answered_at"].is_string());
    assert_eq!(after["content_withheld"], true);
    assert_eq!(after["visible_categories"], json!([]));
    for field in ["question", "answer", "note"] {
        assert_eq!(after[field], Value::Null, "{field}: {after}");
    }
    for field in [
        "id",
        "reference",
        "given_name",
        "family_name",
        "birth_year",
        "residence_status",
    ] {
        assert_eq!(
            after["client"][field],
            Value::Null,
            "client.{field}: {after}"
        );
    }
    // Nor in the list or on the work list, where the open request still waits for an answer.
    let list = app
        .get("/api/v1/residence-requests", &officer)
        .await
        .text()
        .await
        .expect("text");
    let tasks = app
        .get("/api/v1/me/tasks", &officer)
        .await
        .text()
        .await
        .expect("text");
    for shown in [&list, &tasks] {
        for secret in [
            "nurse",
            "renewable",
            "recognised qualification",
            "Amina",
            &f.reference,
        ] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
    }
    let tasks: Value = serde_json::from_str(&tasks).expect("json");
    assert!(
        tasks["items"]
            .as_array()
            .expect("tasks")
            .iter()
            .any(|t| t["object_id"] == open_one["id"]),
        "{tasks}"
    );
    // The case side keeps seeing what it asked.
    let case_view: Value = app
        .get(&format!("/api/v1/residence-requests/{id}"), &f.manager)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(case_view["question"], "May she work as a nurse?");
    assert_eq!(case_view["answer"], "Yes, with a recognised qualification");
    assert_eq!(case_view["content_withheld"], false);
    // Another role still sees nothing; without a token, 401.
    let analyst = app.token("analyst").await;
    assert_problem(
        app.get(&format!("/api/v1/residence-requests/{id}"), &analyst)
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        app.request(
            Method::GET,
            &format!("/api/v1/residence-requests/{id}"),
            None,
        )
        .send()
        .await
        .expect("send"),
        StatusCode::UNAUTHORIZED,
    )
    .await;
}
