//! Clients and cases: opening a family case, the intake rule, the lifecycle, who sees what, and
//! the audit trail of every access.

use kim_tests::builders::{days_ago, family};
use kim_tests::{
    assert_problem, backend_tests, error_fields, CaseBuilder, Method, StatusCode, TestApp,
};
use serde_json::{json, Value};

backend_tests!(
    a_case_manager_opens_a_family_case,
    the_intake_rule_needs_a_justification_for_exceptions,
    another_case_manager_cannot_see_or_find_the_case,
    the_cm_coordination_reads_all_and_reassigns,
    each_lifecycle_move_is_allowed_or_refused,
    roles_without_case_access_see_nothing,
    case_input_is_validated,
    the_data_protection_officer_sees_who_accessed_a_client,
    my_tasks_list_what_waits,
    a_residence_law_request_with_consent_is_answered_by_the_office,
    clients_and_cases_change_with_if_match_only_for_their_case_manager,
    opening_names_no_deputy_and_no_worker_outside_case_roles,
    opened_on_is_bounded_and_does_not_move_the_intake_rule,
    reassignment_goes_only_to_roles_that_work_cases,
);

async fn municipality(app: &TestApp, token: &str, name: &str) -> i64 {
    app.id_of("municipalities", name, token).await
}

/// A case's lifecycle move with the version of `case` as `If-Match`.
async fn transition(app: &TestApp, token: &str, case: &Value, body: Value) -> reqwest::Response {
    let path = format!("/api/v1/cases/{}/transitions", case["id"]);
    app.post_if_match(&path, token, case["version"].as_i64(), &body)
        .await
}

async fn second_case_manager(app: &TestApp) -> (i64, String) {
    let id = app.add_user("cm.zwei", kim_domain::Role::CaseManager);
    (id, app.token_of("cm.zwei").await)
}

async fn a_case_manager_opens_a_family_case(app: TestApp) {
    let token = app.token("case_manager").await;
    let case = CaseBuilder::new(&app).create().await.case;
    assert_eq!(case["status"], "intake");
    assert_eq!(case["eligible"], true);
    assert_eq!(case["client_ids"].as_array().map(Vec::len), Some(2));
    assert_eq!(case["lead_client_id"], case["client_ids"][0]);
    let reference = case["lead_client_reference"].as_str().expect("reference");
    assert!(
        reference.starts_with("K-") && reference.len() == 13,
        "{reference}"
    );
    assert_eq!(case["allowed_transitions"], json!(["active", "closed"]));

    let fetched = app
        .get(&format!("/api/v1/cases/{}", case["id"]), &token)
        .await;
    assert_eq!(fetched.status(), StatusCode::OK);
    let lead: Value = app
        .get(
            &format!("/api/v1/clients/{}", case["lead_client_id"]),
            &token,
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(lead["given_name"], "Amina");
    assert_eq!(lead["languages"], json!(["ar", "de"]));
    // Mother and child as a household.
    let link = app
        .post(
            &format!("/api/v1/clients/{}/links", case["client_ids"][0]),
            &token,
            &json!({"kind": "parent_child", "client_id": case["client_ids"][1]}),
        )
        .await;
    assert_eq!(link.status(), StatusCode::OK);
    let linked: Value = link.json().await.expect("json");
    assert_eq!(linked["links"][0]["kind"], "parent_child");

    let mine: Value = app
        .get("/api/v1/me/cases", &token)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(mine["total"], 1);
    let listed: Value = app
        .get(
            &format!("/api/v1/cases?client_reference={reference}"),
            &token,
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(listed["items"][0]["id"], case["id"]);
    let clients: Value = app
        .get("/api/v1/clients", &token)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(clients["total"], 2);
}

async fn the_intake_rule_needs_a_justification_for_exceptions(app: TestApp) {
    let token = app.token("case_manager").await;
    let siegburg = municipality(&app, &token, "Siegburg").await;
    let mut body = family(siegburg);
    body["arrived_on"] = json!("2015-01-01");
    let problem = assert_problem(
        app.post("/api/v1/cases", &token, &body).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["justification"]);
    body["justification"] =
        json!("Family newly in the county after secondary migration; no other support in place.");
    let created: Value = app
        .post("/api/v1/cases", &token, &body)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(created["eligible"], false);
    let exceptions: Value = app
        .get("/api/v1/cases?eligible=false", &token)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(exceptions["total"], 1);
    // A justification for a case inside the rule is refused: it would blur the count.
    let mut regular = family(siegburg);
    regular["justification"] = json!("not needed");
    let problem = assert_problem(
        app.post("/api/v1/cases", &token, &regular).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["justification"]);
}

async fn another_case_manager_cannot_see_or_find_the_case(app: TestApp) {
    let case = CaseBuilder::new(&app).create().await.case;
    let (_, other) = second_case_manager(&app).await;
    assert_problem(
        app.get(&format!("/api/v1/cases/{}", case["id"]), &other)
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        app.get(&format!("/api/v1/cases/{}/history", case["id"]), &other)
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        app.get(
            &format!("/api/v1/clients/{}", case["lead_client_id"]),
            &other,
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        transition(&app, &other, &case, json!({"to": "active"})).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let listed: Value = app
        .get("/api/v1/cases", &other)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        (
            listed["total"].as_i64(),
            listed["items"].as_array().map(Vec::len)
        ),
        (Some(0), Some(0))
    );
    let reference = case["lead_client_reference"].as_str().expect("reference");
    let searched: Value = app
        .get(
            &format!("/api/v1/cases?client_reference={reference}"),
            &other,
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(searched["total"], 0);
    let clients: Value = app
        .get("/api/v1/clients", &other)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(clients["total"], 0);
    // Nor can the other case manager put the client into a case of their own.
    let siegburg = municipality(&app, &other, "Siegburg").await;
    let mut body = family(siegburg);
    body["clients"] = json!([{"id": case["lead_client_id"]}]);
    let problem = assert_problem(
        app.post("/api/v1/cases", &other, &body).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["clients"]);
}

async fn the_cm_coordination_reads_all_and_reassigns(app: TestApp) {
    let token = app.token("case_manager").await;
    let case = CaseBuilder::new(&app).create().await.case;
    let coordination = app.token("cm_coordinator").await;
    assert_eq!(
        app.get(&format!("/api/v1/cases/{}", case["id"]), &coordination)
            .await
            .status(),
        StatusCode::OK
    );
    let all: Value = app
        .get("/api/v1/cases", &coordination)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(all["total"], 1);
    // Supervision reads but does not work the case.
    assert_problem(
        transition(&app, &coordination, &case, json!({"to": "active"})).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let (other_id, other) = second_case_manager(&app).await;
    let reassign = |token: String, version: i64| {
        let body = json!({"assigned_user_id": other_id, "reason": "parental leave"});
        let path = format!("/api/v1/cases/{}/reassign", case["id"]);
        let client = app.client.clone();
        let url = app.url(&path);
        async move {
            client
                .post(url)
                .bearer_auth(token)
                .header("If-Match", format!("\"{version}\""))
                .json(&body)
                .send()
                .await
                .expect("send")
        }
    };
    assert_problem(reassign(token.clone(), 1).await, StatusCode::FORBIDDEN).await;
    let moved = reassign(coordination.clone(), 1).await;
    assert_eq!(moved.status(), StatusCode::OK);
    assert_problem(
        reassign(coordination.clone(), 1).await,
        StatusCode::PRECONDITION_FAILED,
    )
    .await;
    assert_problem(
        app.get(&format!("/api/v1/cases/{}", case["id"]), &token)
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(
        app.get(&format!("/api/v1/cases/{}", case["id"]), &other)
            .await
            .status(),
        StatusCode::OK
    );
}

async fn each_lifecycle_move_is_allowed_or_refused(app: TestApp) {
    let token = app.token("case_manager").await;
    let mut case = CaseBuilder::new(&app).create().await.case;
    let refused = assert_problem(
        transition(&app, &token, &case, json!({"to": "paused"})).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(
        refused["detail"]
            .as_str()
            .is_some_and(|d| d.contains("active") && d.contains("closed")),
        "{refused}"
    );
    assert_problem(
        app.request(
            Method::POST,
            &format!("/api/v1/cases/{}/transitions", case["id"]),
            Some(&token),
        )
        .json(&json!({"to": "active"}))
        .send()
        .await
        .expect("send"),
        StatusCode::PRECONDITION_REQUIRED,
    )
    .await;
    for (body, status) in [
        (
            json!({"to": "active", "effective_on": days_ago(29)}),
            "active",
        ),
        (
            json!({"to": "paused", "effective_on": days_ago(20)}),
            "paused",
        ),
        (
            json!({"to": "active", "effective_on": days_ago(10)}),
            "active",
        ),
    ] {
        let response = transition(&app, &token, &case, body).await;
        assert_eq!(response.status(), StatusCode::OK, "to {status}");
        case = response.json().await.expect("json");
        assert_eq!(case["status"], status);
    }
    let stale = json!({"to": "paused"});
    let mut old = case.clone();
    old["version"] = json!(1);
    assert_problem(
        transition(&app, &token, &old, stale).await,
        StatusCode::PRECONDITION_FAILED,
    )
    .await;
    let no_reason = assert_problem(
        transition(&app, &token, &case, json!({"to": "closed"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&no_reason), vec!["close_reason"]);
    let closed = transition(
        &app,
        &token,
        &case,
        json!({"to": "closed", "close_reason": "goals_achieved", "effective_on": days_ago(5)}),
    )
    .await;
    assert_eq!(closed.status(), StatusCode::OK);
    case = closed.json().await.expect("json");
    assert_eq!(
        (case["status"].as_str(), case["close_reason"].as_str()),
        (Some("closed"), Some("goals_achieved"))
    );
    let no_reopen_reason = assert_problem(
        transition(&app, &token, &case, json!({"to": "active"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&no_reopen_reason), vec!["reason"]);
    let reopened = transition(
        &app,
        &token,
        &case,
        json!({"to": "active", "reason": "new residence question", "effective_on": days_ago(1)}),
    )
    .await;
    assert_eq!(reopened.status(), StatusCode::OK);
    let history: Value = app
        .get(&format!("/api/v1/cases/{}/history", case["id"]), &token)
        .await
        .json()
        .await
        .expect("json");
    let moves: Vec<(&str, &str)> = history
        .as_array()
        .expect("history")
        .iter()
        .filter(|e| e["kind"] == "status")
        .filter_map(|e| Some((e["from_status"].as_str()?, e["to_status"].as_str()?)))
        .collect();
    assert_eq!(
        moves,
        vec![
            ("intake", "active"),
            ("active", "paused"),
            ("paused", "active"),
            ("active", "closed"),
            ("closed", "active")
        ]
    );
    assert_eq!(history[0]["kind"], "opened");
    assert!(history
        .as_array()
        .expect("history")
        .iter()
        .all(|e| e["actor_id"].is_number()));
}

async fn roles_without_case_access_see_nothing(app: TestApp) {
    let case = CaseBuilder::new(&app).create().await.case;
    for role in [
        "admin",
        "analyst",
        "steering_member",
        "project_group_member",
        "coordinator",
        "ki_lead",
        "data_protection_officer",
        "immigration_officer",
    ] {
        let other = app.token(role).await;
        assert_problem(
            app.get("/api/v1/cases", &other).await,
            StatusCode::FORBIDDEN,
        )
        .await;
        assert_problem(
            app.get("/api/v1/clients", &other).await,
            StatusCode::FORBIDDEN,
        )
        .await;
        assert_problem(
            app.get(&format!("/api/v1/cases/{}", case["id"]), &other)
                .await,
            StatusCode::NOT_FOUND,
        )
        .await;
        assert_problem(
            app.get(
                &format!("/api/v1/clients/{}", case["lead_client_id"]),
                &other,
            )
            .await,
            StatusCode::NOT_FOUND,
        )
        .await;
        let siegburg = municipality(&app, &other, "Siegburg").await;
        assert_problem(
            app.post("/api/v1/cases", &other, &family(siegburg)).await,
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    assert_problem(
        app.request(Method::GET, "/api/v1/cases", None)
            .send()
            .await
            .expect("send"),
        StatusCode::UNAUTHORIZED,
    )
    .await;
}

async fn case_input_is_validated(app: TestApp) {
    let token = app.token("case_manager").await;
    let siegburg = municipality(&app, &token, "Siegburg").await;
    let mut body = family(siegburg);
    body["intake_channel"] = json!("referred_by_organisation");
    body["other_case_management"] = json!([]);
    body["arrived_on"] = json!(days_ago(-1));
    let problem = assert_problem(
        app.post("/api/v1/cases", &token, &body).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let fields = error_fields(&problem);
    assert!(
        fields.contains(&"referring_organisation_id".to_owned())
            && fields.contains(&"other_case_management".to_owned()),
        "{fields:?}"
    );
    let mut bad_client = family(siegburg);
    bad_client["clients"][1]["birth_year"] = json!(1850);
    let problem = assert_problem(
        app.post("/api/v1/cases", &token, &bad_client).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["clients[1].birth_year"]);
    let mut nowhere = family(siegburg);
    nowhere["municipality_id"] = json!(987654);
    let problem = assert_problem(
        app.post("/api/v1/cases", &token, &nowhere).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["municipality_id"]);
    let mut nobody = family(siegburg);
    nobody["clients"] = json!([]);
    assert_problem(
        app.post("/api/v1/cases", &token, &nobody).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    // Nothing half-written: no client was created by the refused requests.
    let clients: Value = app
        .get("/api/v1/clients", &token)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(clients["total"], 0);
    assert_problem(
        app.get("/api/v1/cases/424242", &token).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        app.get("/api/v1/cases?status=open", &token).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
}

async fn the_data_protection_officer_sees_who_accessed_a_client(app: TestApp) {
    let token = app.token("case_manager").await;
    let case = CaseBuilder::new(&app).create().await.case;
    let lead = case["lead_client_id"].as_i64().expect("id");
    app.get(&format!("/api/v1/clients/{lead}"), &token).await;
    app.get(&format!("/api/v1/cases/{}", case["id"]), &token)
        .await;
    let dpo = app.token("data_protection_officer").await;
    let trail: Value = app
        .get(&format!("/api/v1/clients/{lead}/audit-events"), &dpo)
        .await
        .json()
        .await
        .expect("json");
    let actions: Vec<&str> = trail["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for expected in ["client.create", "case.create", "client.read", "case.read"] {
        assert!(actions.contains(&expected), "{expected} in {actions:?}");
    }
    let case_manager_id = app
        .id_of("users", "case_manager", &app.token("admin").await)
        .await;
    assert!(trail["items"]
        .as_array()
        .expect("items")
        .iter()
        .all(|e| e["actor_id"] == case_manager_id && e["actor_role"] == "case_manager"));
    assert!(trail["items"][0]["request_id"].is_string());
    let by_actor: Value = app
        .get(
            &format!("/api/v1/audit-events?actor_id={case_manager_id}&object_type=case"),
            &dpo,
        )
        .await
        .json()
        .await
        .expect("json");
    assert!(by_actor["total"].as_i64().unwrap_or(0) >= 2);
    let bad_period = assert_problem(
        app.get("/api/v1/audit-events?from=2026-02-01&to=2026-01-01", &dpo)
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&bad_period), vec!["to"]);
    for role in ["case_manager", "admin", "analyst", "cm_coordinator"] {
        let other = app.token(role).await;
        assert_problem(
            app.get("/api/v1/audit-events", &other).await,
            StatusCode::FORBIDDEN,
        )
        .await;
        assert_problem(
            app.get(&format!("/api/v1/clients/{lead}/audit-events"), &other)
                .await,
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    assert_problem(
        app.get("/api/v1/clients/424242/audit-events", &dpo).await,
        StatusCode::NOT_FOUND,
    )
    .await;
}

async fn my_tasks_list_what_waits(app: TestApp) {
    let token = app.token("case_manager").await;
    let case = CaseBuilder::new(&app).create().await.case;
    let goal = app
        .post(&format!("/api/v1/cases/{}/goals", case["id"]), &token, &json!({"text": "B1 language course started", "topic": "language", "target_on": days_ago(1)}))
        .await;
    assert_eq!(goal.status(), StatusCode::CREATED);
    let future = app
        .post(
            &format!("/api/v1/cases/{}/goals", case["id"]),
            &token,
            &json!({"text": "Kita place found", "topic": "childcare", "target_on": "2099-01-01"}),
        )
        .await;
    assert_eq!(future.status(), StatusCode::CREATED);
    let tasks: Value = app
        .get("/api/v1/me/tasks", &token)
        .await
        .json()
        .await
        .expect("json");
    let kinds: Vec<&str> = tasks["items"]
        .as_array()
        .expect("tasks")
        .iter()
        .filter_map(|t| t["kind"].as_str())
        .collect();
    assert_eq!(kinds, vec!["intake_to_decide", "overdue_goal"], "{tasks}");
    assert_eq!(tasks["items"][1]["title"], "B1 language course started");
    assert_eq!(tasks["items"][1]["case_id"], case["id"]);
    // Another case manager has nothing waiting; roles without case work are refused.
    let (_, other) = second_case_manager(&app).await;
    let none: Value = app
        .get("/api/v1/me/tasks", &other)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(none["items"], json!([]));
    assert_eq!(none["total"], 0);
    let officer = app.token("immigration_officer").await;
    assert_eq!(
        app.get("/api/v1/me/tasks", &officer).await.status(),
        StatusCode::OK
    );
    // (The data protection officer has a list: access changes to confirm.)
    for role in ["analyst", "admin"] {
        let token = app.token(role).await;
        assert_problem(
            app.get("/api/v1/me/tasks", &token).await,
            StatusCode::FORBIDDEN,
        )
        .await;
    }
}

/// The whole path through the API: consent, question, the office's consented view, answer, and
/// the answered request on the case manager's work list.
async fn a_residence_law_request_with_consent_is_answered_by_the_office(app: TestApp) {
    let token = app.token("case_manager").await;
    let case = CaseBuilder::new(&app).create().await.case;
    let client = case["lead_client_id"].as_i64().expect("id");
    let office = app
        .id_of("organisations", "Ausländerbehörde Rhein-Sieg-Kreis", &token)
        .await;
    let question = json!({"client_id": client, "office_organisation_id": office,
        "question": "Can she apply for a settlement permit?", "shared_categories": ["residence_status"]});
    let refused = assert_problem(
        app.post(
            &format!("/api/v1/cases/{}/residence-requests", case["id"]),
            &token,
            &question,
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(refused["type"]
        .as_str()
        .is_some_and(|t| t.ends_with("consent-missing")));
    let consent = app
        .post(
            &format!("/api/v1/clients/{client}/consents"),
            &token,
            &json!({
            "recipient_organisation_ids": [office], "purposes": ["residence_law_request"],
            "categories": ["identity", "residence_status"], "given_on": "2026-02-01"}),
        )
        .await;
    assert_eq!(consent.status(), StatusCode::CREATED);
    let asked = app
        .post(
            &format!("/api/v1/cases/{}/residence-requests", case["id"]),
            &token,
            &question,
        )
        .await;
    assert_eq!(asked.status(), StatusCode::CREATED);
    let asked: Value = asked.json().await.expect("json");

    let officer = app.token("immigration_officer").await;
    let inbox: Value = app
        .get("/api/v1/residence-requests", &officer)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(inbox["total"], 1, "{inbox}");
    let seen: Value = app
        .get(
            &format!("/api/v1/residence-requests/{}", asked["id"]),
            &officer,
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(seen["status"], "open");
    assert!(
        seen.get("case_id").is_none() || seen["case_id"].is_null(),
        "the office sees no case: {seen}"
    );
    let answered = app
        .request(Method::POST, &format!("/api/v1/residence-requests/{}/transitions", asked["id"]), Some(&officer))
        .header("If-Match", format!("\"{}\"", seen["version"]))
        .json(&json!({"to": "answered", "text": "Yes, after 60 months of pension contributions; please book an appointment."}))
        .send()
        .await
        .expect("send");
    assert_eq!(answered.status(), StatusCode::OK);
    let tasks: Value = app
        .get("/api/v1/me/tasks", &token)
        .await
        .json()
        .await
        .expect("json");
    assert!(
        tasks["items"]
            .as_array()
            .expect("tasks")
            .iter()
            .any(|t| t["kind"] == "request_answered"),
        "{tasks}"
    );
    // The other office-less roles do not see it.
    let analyst = app.token("analyst").await;
    assert_problem(
        app.get(
            &format!("/api/v1/residence-requests/{}", asked["id"]),
            &analyst,
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
}

async fn clients_and_cases_change_with_if_match_only_for_their_case_manager(app: TestApp) {
    let token = app.token("case_manager").await;
    let case = CaseBuilder::new(&app).create().await.case;
    let siegburg = municipality(&app, &token, "Siegburg").await;
    let client_path = format!("/api/v1/clients/{}", case["lead_client_id"]);
    let client_body = json!({"given_name": "Amina", "family_name": "S.", "birth_year": 1990, "municipality_id": siegburg});
    assert_problem(
        app.put(&client_path, &token, None, &client_body).await,
        StatusCode::PRECONDITION_REQUIRED,
    )
    .await;
    let changed = app.put(&client_path, &token, Some(1), &client_body).await;
    assert_eq!(changed.status(), StatusCode::OK);
    let changed: Value = changed.json().await.expect("json");
    assert_eq!(
        (changed["family_name"].as_str(), changed["version"].as_i64()),
        (Some("S."), Some(2))
    );
    assert_problem(
        app.put(&client_path, &token, Some(1), &client_body).await,
        StatusCode::PRECONDITION_FAILED,
    )
    .await;
    let bad = json!({"birth_year": 1850, "municipality_id": siegburg, "languages": ["a;b"]});
    let problem = assert_problem(
        app.put(&client_path, &token, Some(2), &bad).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["birth_year", "languages"]);

    let case_path = format!("/api/v1/cases/{}", case["id"]);
    let mut case_body = family(siegburg);
    case_body.as_object_mut().expect("object").remove("clients");
    case_body
        .as_object_mut()
        .expect("object")
        .remove("opened_on");
    case_body["client_ids"] = json!([case["client_ids"][0]]);
    case_body["topics"] = json!(["language", "work"]);
    assert_problem(
        app.put(&case_path, &token, None, &case_body).await,
        StatusCode::PRECONDITION_REQUIRED,
    )
    .await;
    let updated = app.put(&case_path, &token, Some(1), &case_body).await;
    assert_eq!(updated.status(), StatusCode::OK);
    let updated: Value = updated.json().await.expect("json");
    assert_eq!(updated["client_ids"], json!([case["client_ids"][0]]));
    assert_eq!(updated["topics"], json!(["language", "work"]));
    assert_problem(
        app.put(&case_path, &token, Some(1), &case_body).await,
        StatusCode::PRECONDITION_FAILED,
    )
    .await;
    let mut outside = case_body.clone();
    outside["arrived_on"] = json!("2010-01-01");
    let problem = assert_problem(
        app.put(&case_path, &token, Some(2), &outside).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["justification"]);

    // Another case manager does not see them; the coordination reads but does not change them.
    let (_, other) = second_case_manager(&app).await;
    assert_problem(
        app.put(&client_path, &other, Some(2), &client_body).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        app.put(&case_path, &other, Some(2), &case_body).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let coordination = app.token("cm_coordinator").await;
    assert_problem(
        app.put(&client_path, &coordination, Some(2), &client_body)
            .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_problem(
        app.put(&case_path, &coordination, Some(2), &case_body)
            .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_problem(
        app.put("/api/v1/cases/424242", &token, Some(1), &case_body)
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        app.request(Method::PUT, &case_path, None)
            .json(&case_body)
            .send()
            .await
            .expect("send"),
        StatusCode::UNAUTHORIZED,
    )
    .await;
}

/// Issue 10 item 4: a case manager names no deputy (nor another case manager) on opening, and a
/// case never goes to someone whose role does not work cases.
async fn opening_names_no_deputy_and_no_worker_outside_case_roles(app: TestApp) {
    let token = app.token("case_manager").await;
    let siegburg = municipality(&app, &token, "Siegburg").await;
    let admin = app.token("admin").await;
    let (colleague, _) = second_case_manager(&app).await;
    let analyst = app.id_of("users", "analyst", &admin).await;
    let me = app.id_of("users", "case_manager", &admin).await;

    let mut with_deputy = family(siegburg);
    with_deputy["deputy_user_id"] = json!(colleague);
    let problem = assert_problem(
        app.post("/api/v1/cases", &token, &with_deputy).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["deputy_user_id"]);
    assert!(
        problem["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("CM coordination")),
        "{problem}"
    );
    let mut both = family(siegburg);
    both["assigned_user_id"] = json!(analyst);
    both["deputy_user_id"] = json!(analyst);
    let problem = assert_problem(
        app.post("/api/v1/cases", &token, &both).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(
        error_fields(&problem),
        vec!["assigned_user_id", "deputy_user_id"]
    );
    // Naming oneself is what the default does.
    let mut myself = family(siegburg);
    myself["assigned_user_id"] = json!(me);
    let opened = app.post("/api/v1/cases", &token, &myself).await;
    assert_eq!(opened.status(), StatusCode::CREATED);
    let opened: Value = opened.json().await.expect("json");
    assert_eq!(
        (
            opened["assigned_user_id"].as_i64(),
            &opened["deputy_user_id"]
        ),
        (Some(me), &Value::Null)
    );
    // Nothing else was opened, and no client of the refused requests was kept.
    let cases: Value = app
        .get("/api/v1/cases", &token)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(cases["total"], 1);
    let clients: Value = app
        .get("/api/v1/clients", &token)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(clients["total"], 2);
    // Wrong role and no token, as before.
    let coordination = app.token("cm_coordinator").await;
    assert_problem(
        app.post("/api/v1/cases", &coordination, &family(siegburg))
            .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_problem(
        app.request(Method::POST, "/api/v1/cases", None)
            .json(&family(siegburg))
            .send()
            .await
            .expect("send"),
        StatusCode::UNAUTHORIZED,
    )
    .await;
}

/// Issue 10 item 4: `opened_on` lies neither in the future nor more than
/// `KIM_CASE_BACKDATE_MAX_DAYS` (31) days back, and backdating does not move the intake rule,
/// which is judged on the day the case is really opened (and, when edited, was opened).
async fn opened_on_is_bounded_and_does_not_move_the_intake_rule(app: TestApp) {
    let token = app.token("case_manager").await;
    let siegburg = municipality(&app, &token, "Siegburg").await;
    for opened_on in [days_ago(-1), days_ago(32), days_ago(365)] {
        let mut body = family(siegburg);
        body["opened_on"] = json!(opened_on);
        let problem = assert_problem(
            app.post("/api/v1/cases", &token, &body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(error_fields(&problem), vec!["opened_on"], "{opened_on}");
    }
    let mut oldest = family(siegburg);
    oldest["opened_on"] = json!(days_ago(31));
    let response = app.post("/api/v1/cases", &token, &oldest).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let oldest: Value = response.json().await.expect("json");
    assert_eq!(oldest["opened_on"], days_ago(31));

    // Three years and ten days after arrival: outside the rule today, inside it on a day 20
    // days back. Backdating to that day does not make the case regular.
    let three_years_ten_days =
        (chrono::Utc::now().date_naive() - chrono::Months::new(36) - chrono::Duration::days(10))
            .to_string();
    let mut dodging = family(siegburg);
    dodging["arrived_on"] = json!(three_years_ten_days);
    dodging["opened_on"] = json!(days_ago(20));
    let problem = assert_problem(
        app.post("/api/v1/cases", &token, &dodging).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["justification"]);
    assert!(
        problem["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("arrived on")),
        "{problem}"
    );
    dodging["justification"] = json!("Second chance after a long illness");
    let exception = app.post("/api/v1/cases", &token, &dodging).await;
    assert_eq!(exception.status(), StatusCode::CREATED);
    let exception: Value = exception.json().await.expect("json");
    assert_eq!(exception["eligible"], false);

    // Nor does an edit of a backdated case: the rule looks at the day it was recorded (today).
    let mut edit = family(siegburg);
    let edit_map = edit.as_object_mut().expect("object");
    edit_map.remove("clients");
    edit_map.remove("opened_on");
    edit["client_ids"] = oldest["client_ids"].clone();
    edit["arrived_on"] = json!(three_years_ten_days);
    let problem = assert_problem(
        app.put(
            &format!("/api/v1/cases/{}", oldest["id"]),
            &token,
            Some(1),
            &edit,
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["justification"]);
    let unchanged: Value = app
        .get(&format!("/api/v1/cases/{}", oldest["id"]), &token)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        (
            unchanged["version"].as_i64(),
            unchanged["eligible"].as_bool()
        ),
        (Some(1), Some(true))
    );
}

/// Issue 10 item 4: the CM coordination reassigns only to active accounts whose role works
/// cases, with a deputy other than the case manager.
async fn reassignment_goes_only_to_roles_that_work_cases(app: TestApp) {
    let token = app.token("case_manager").await;
    let case = CaseBuilder::new(&app).create().await.case;
    let admin = app.token("admin").await;
    let coordination = app.token("cm_coordinator").await;
    let (colleague, colleague_token) = second_case_manager(&app).await;
    let me = app.id_of("users", "case_manager", &admin).await;
    let analyst = app.id_of("users", "analyst", &admin).await;
    let coordinator = app.id_of("users", "cm_coordinator", &admin).await;
    let reassign = |token: String, body: Value| {
        let request = app
            .request(
                Method::POST,
                &format!("/api/v1/cases/{}/reassign", case["id"]),
                Some(&token),
            )
            .header("If-Match", "\"1\"")
            .json(&body);
        async move { request.send().await.expect("send") }
    };
    for (body, fields) in [
        (
            json!({"assigned_user_id": analyst}),
            vec!["assigned_user_id"],
        ),
        (
            json!({"assigned_user_id": coordinator, "deputy_user_id": analyst}),
            vec!["assigned_user_id", "deputy_user_id"],
        ),
        (
            json!({"assigned_user_id": colleague, "deputy_user_id": analyst}),
            vec!["deputy_user_id"],
        ),
        (
            json!({"assigned_user_id": colleague, "deputy_user_id": colleague}),
            vec!["deputy_user_id"],
        ),
        (
            json!({"assigned_user_id": 987_654}),
            vec!["assigned_user_id"],
        ),
    ] {
        let problem = assert_problem(
            reassign(coordination.clone(), body.clone()).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(error_fields(&problem), fields, "{body}");
    }
    let problem = assert_problem(
        reassign(coordination.clone(), json!({"assigned_user_id": analyst})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert!(
        problem["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("analyst") && m.contains("does not work cases")),
        "{problem}"
    );
    // The case manager still cannot reassign; the refusals changed nothing.
    assert_problem(
        reassign(token.clone(), json!({"assigned_user_id": colleague})).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let moved = reassign(
        coordination.clone(),
        json!({"assigned_user_id": colleague, "deputy_user_id": me}),
    )
    .await;
    assert_eq!(moved.status(), StatusCode::OK);
    let moved: Value = moved.json().await.expect("json");
    assert_eq!(
        (
            moved["assigned_user_id"].as_i64(),
            moved["deputy_user_id"].as_i64(),
            moved["version"].as_i64()
        ),
        (Some(colleague), Some(me), Some(2))
    );
    // Both work it now.
    for worker in [&token, &colleague_token] {
        assert_eq!(
            app.get(&format!("/api/v1/cases/{}", case["id"]), worker)
                .await
                .status(),
            StatusCode::OK
        );
    }
}
