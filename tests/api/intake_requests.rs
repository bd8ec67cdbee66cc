//! Intake requests (issue 15 item 1): a partner refers a person in, the CM coordination accepts
//! (a case is opened through the case rules) or declines; the partner reads only the status of
//! its own requests; bad input, wrong callers and retries change nothing.

use chrono::{Duration, Utc};
use kim_domain::retention::RecordType;
use kim_domain::Role;
use kim_store::audit::Actor;
use kim_store::privacy::retention;
use kim_tests::{assert_problem, backend_tests, Method, StatusCode, TestApp};
use serde_json::{json, Value};

use crate::referrals::{open_case, organisation, partner, CARITAS, JOBCENTER};

backend_tests!(
    a_partner_refers_and_the_coordination_accepts_with_a_new_client,
    accepting_matches_an_existing_client,
    the_coordination_declines_with_a_reason_and_retention_removes_it,
    another_organisation_and_other_callers_see_nothing,
    bad_input_is_refused_and_changes_nothing,
    a_reference_is_used_once_and_a_retry_replays,
    staff_enter_requests_and_only_the_coordination_decides,
    erasure_removes_the_persons_data_from_the_request,
);

async fn municipality(app: &TestApp) -> i64 {
    let token = app.token("coordinator").await;
    app.id_of("municipalities", "Troisdorf", &token).await
}

fn user_id(app: &TestApp, username: &str) -> i64 {
    let mut conn = app.pool.get().expect("connection");
    kim_store::users::find_by_username(&mut conn, username)
        .expect("query")
        .expect("user")
        .id
}

fn body(reference: &str, municipality: i64) -> Value {
    json!({
        "partner_reference": reference,
        "given_name": "Amina", "family_name": "Khalil", "birth_year": 1990,
        "municipality_id": municipality, "languages": ["ar", "de"],
        "residence_status": "recognised_refugee",
        "reason": "Sucht Unterstützung bei Arbeit und Sprache",
        "topics": ["work", "language"],
        "consent_to_transfer": {"given": true, "given_on": (Utc::now().date_naive() - Duration::days(2)).to_string()}
    })
}

/// Submits with an `Idempotency-Key` (the kit's requests send no such header): the raw
/// response.
async fn submit_with_key(app: &TestApp, token: &str, body: &Value, key: &str) -> reqwest::Response {
    app.request(Method::POST, "/api/v1/intake-requests", Some(token))
        .json(body)
        .header("Idempotency-Key", key)
        .send()
        .await
        .expect("send")
}

/// Submits and returns the answer; asserts 201 with `Location` and `ETag`.
async fn submitted(app: &TestApp, token: &str, body: &Value) -> Value {
    let response = app.post("/api/v1/intake-requests", token, body).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let location = response.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    assert_eq!(response.headers()["etag"], "\"1\"");
    let created: Value = response.json().await.expect("json");
    assert_eq!(
        location,
        format!("/api/v1/intake-requests/{}", created["id"])
    );
    created
}

/// The path of step `step` (`accept`, `decline`) of intake request `id`.
fn decision(id: i64, step: &str) -> String {
    format!("/api/v1/intake-requests/{id}/{step}")
}

fn acceptance(case_manager: i64) -> Value {
    let arrived = (Utc::now().date_naive() - Duration::days(200)).to_string();
    json!({"case_manager_id": case_manager, "target_group": "new_arrivals",
        "legal_domains": ["sgb_ii"], "other_case_management": ["none"], "arrived_on": arrived})
}

/// The types and object ids of the events the token's feed lists.
async fn events(app: &TestApp, token: &str) -> Vec<(String, i64, String)> {
    app.get_json("/api/v1/events?limit=200", token).await["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| {
            (
                e["type"].as_str().expect("type").to_owned(),
                e["data"]["id"].as_i64().expect("id"),
                e["data"]["url"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

async fn total(app: &TestApp, path: &str, token: &str) -> i64 {
    app.get_json(path, token).await["total"]
        .as_i64()
        .expect("total")
}

/// The keys of the submitter's view: status, reference and dates, nothing about the person or
/// the case.
fn assert_submitters_view(request: &Value) {
    for hidden in [
        "person",
        "reason",
        "topics",
        "consent_given_on",
        "case_id",
        "client_id",
        "decided_by",
    ] {
        assert!(request.get(hidden).is_none(), "{hidden} shown: {request}");
    }
    assert!(request["status"].is_string());
    assert!(request["partner_reference"].is_string());
}

async fn a_partner_refers_and_the_coordination_accepts_with_a_new_client(app: TestApp) {
    let jobcenter = partner(&app, JOBCENTER, json!(["intake:write"])).await;
    let jobcenter_id = organisation(&app, JOBCENTER).await;
    let troisdorf = municipality(&app).await;
    let created = submitted(&app, &jobcenter, &body("JC-0815", troisdorf)).await;
    assert_eq!(created["status"], "submitted");
    assert_eq!(created["referring_organisation_id"], jobcenter_id);
    assert_submitters_view(&created);
    let id = created["id"].as_i64().expect("id");

    let coordinator = app.token("cm_coordinator").await;
    let listed = app
        .get_json("/api/v1/intake-requests?status=submitted", &coordinator)
        .await;
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["items"][0]["person"]["given_name"], "Amina");
    assert_eq!(
        listed["items"][0]["person"]["languages"],
        json!(["ar", "de"])
    );
    let tasks = app
        .get_json("/api/v1/me/tasks?limit=200", &coordinator)
        .await;
    let task = tasks["items"]
        .as_array()
        .expect("tasks")
        .iter()
        .find(|t| t["object_type"] == "intake_request")
        .expect("the request waits on the coordination's work list")
        .clone();
    assert_eq!(task["kind"], "intake_request_to_decide");
    assert_eq!(task["object_id"], id);

    let manager = user_id(&app, "case_manager");
    let accepted = app
        .post_json_if_match(
            &decision(id, "accept"),
            &coordinator,
            1,
            &acceptance(manager),
        )
        .await;
    assert_eq!(accepted["status"], "accepted");
    assert_eq!(accepted["version"], 2);
    let case_id = accepted["case_id"].as_i64().expect("case_id");
    let client_id = accepted["client_id"].as_i64().expect("client_id");
    let case = app
        .get_json(&format!("/api/v1/cases/{case_id}"), &coordinator)
        .await;
    assert_eq!(case["intake_channel"], "referred_by_organisation");
    assert_eq!(case["referring_organisation_id"], jobcenter_id);
    assert_eq!(case["assigned_user_id"], manager);
    assert_eq!(case["status"], "intake");
    assert_eq!(case["municipality_id"], troisdorf);
    assert_eq!(case["topics"], json!(["language", "work"]));
    assert_eq!(case["lead_client_id"], client_id);
    let client = app
        .get_json(&format!("/api/v1/clients/{client_id}"), &coordinator)
        .await;
    assert_eq!(client["given_name"], "Amina");
    assert_eq!(client["family_name"], "Khalil");
    assert_eq!(client["birth_year"], 1990);
    assert_eq!(client["residence_status"], "recognised_refugee");
    // The case manager finds the case on their work list as an intake to decide.
    let mine = app.token("case_manager").await;
    let their_tasks = app.get_json("/api/v1/me/tasks?limit=200", &mine).await;
    assert!(their_tasks["items"]
        .as_array()
        .expect("tasks")
        .iter()
        .any(|t| t["kind"] == "intake_to_decide" && t["case_id"] == case_id));
    // Decided: off the coordination's list.
    let tasks = app
        .get_json("/api/v1/me/tasks?limit=200", &coordinator)
        .await;
    assert!(!tasks["items"]
        .as_array()
        .expect("tasks")
        .iter()
        .any(|t| t["object_type"] == "intake_request"));

    // The decision is an event of the referring organisation, committed with it.
    let expected = vec![(
        "intake_request.accepted".to_owned(),
        id,
        format!("/api/v1/intake-requests/{id}"),
    )];
    assert_eq!(events(&app, &jobcenter).await, expected);
    let caritas = partner(&app, CARITAS, json!(["intake:write"])).await;
    assert!(events(&app, &caritas).await.is_empty());

    // The partner reads the status of its request, never the case behind it.
    let seen = app
        .get_json(&format!("/api/v1/intake-requests/{id}"), &jobcenter)
        .await;
    assert_eq!(seen["status"], "accepted");
    assert_submitters_view(&seen);
    let list = app
        .get_json("/api/v1/intake-requests?mine=true", &jobcenter)
        .await;
    assert_eq!(list["total"], 1);
    assert_submitters_view(&list["items"][0]);
    assert!(!list.to_string().contains(&format!("\"case_id\":{case_id}")));

    // The data protection officer finds the request in the person's export and its accesses in
    // their audit trail.
    let dpo = app.token("data_protection_officer").await;
    let export = app
        .get_json(&format!("/api/v1/clients/{client_id}/export"), &dpo)
        .await;
    assert_eq!(export["intake_requests"][0]["id"], id);
    assert_eq!(export["intake_requests"][0]["partner_reference"], "JC-0815");
    let trail = app
        .get_json(
            &format!("/api/v1/clients/{client_id}/audit-events?limit=200"),
            &dpo,
        )
        .await;
    let actions: Vec<&str> = trail["items"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for action in [
        "intake_request.transition",
        "case.create",
        "client.create",
        "intake_request.read",
    ] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }

    // A second acceptance is 409 naming the status, and changes nothing.
    let again = app
        .post_if_match(
            &decision(id, "accept"),
            &coordinator,
            Some(2),
            &acceptance(manager),
        )
        .await;
    let problem = assert_problem(again, StatusCode::CONFLICT).await;
    assert!(problem["detail"]
        .as_str()
        .expect("detail")
        .contains("accepted"));
    assert_eq!(total(&app, "/api/v1/cases", &coordinator).await, 1);
}

async fn accepting_matches_an_existing_client(app: TestApp) {
    let fixture = open_case(&app, "case_manager");
    let jobcenter = partner(&app, JOBCENTER, json!(["intake:write"])).await;
    let troisdorf = municipality(&app).await;
    let created = submitted(&app, &jobcenter, &body("JC-0816", troisdorf)).await;
    let id = created["id"].as_i64().expect("id");
    let coordinator = app.token("cm_coordinator").await;
    let clients_before = total(&app, "/api/v1/clients", &coordinator).await;
    let manager = user_id(&app, "case_manager");

    // An unknown client is a reference error and changes nothing.
    let mut unknown = acceptance(manager);
    unknown["client_id"] = json!(999_999);
    let problem = assert_problem(
        app.post_if_match(&decision(id, "accept"), &coordinator, Some(1), &unknown)
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "client_id");
    assert_eq!(problem["errors"][0]["kind"], "reference");
    assert_eq!(total(&app, "/api/v1/cases", &coordinator).await, 1);

    let mut matched = acceptance(manager);
    matched["client_id"] = json!(fixture.client_id);
    let accepted = app
        .post_json_if_match(&decision(id, "accept"), &coordinator, 1, &matched)
        .await;
    assert_eq!(accepted["client_id"], fixture.client_id);
    let case_id = accepted["case_id"].as_i64().expect("case");
    assert_ne!(case_id, fixture.case_id);
    let case = app
        .get_json(&format!("/api/v1/cases/{case_id}"), &coordinator)
        .await;
    assert_eq!(case["client_ids"], json!([fixture.client_id]));
    assert_eq!(case["intake_channel"], "referred_by_organisation");
    assert_eq!(
        total(&app, "/api/v1/clients", &coordinator).await,
        clients_before,
        "no client was created"
    );
}

async fn the_coordination_declines_with_a_reason_and_retention_removes_it(app: TestApp) {
    let jobcenter = partner(&app, JOBCENTER, json!(["intake:write"])).await;
    let troisdorf = municipality(&app).await;
    let id = submitted(&app, &jobcenter, &body("JC-0817", troisdorf)).await["id"]
        .as_i64()
        .expect("id");
    let coordinator = app.token("cm_coordinator").await;
    let reason = json!({"reason": "Wohnort außerhalb des Kreises"});

    // Refusals first: blank reason, no If-Match, a stale one.
    let blank = assert_problem(
        app.post_if_match(
            &decision(id, "decline"),
            &coordinator,
            Some(1),
            &json!({"reason": "  "}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(blank["errors"][0]["field"], "reason");
    assert_eq!(blank["errors"][0]["kind"], "schema");
    assert_problem(
        app.post_if_match(&decision(id, "decline"), &coordinator, None, &reason)
            .await,
        StatusCode::PRECONDITION_REQUIRED,
    )
    .await;
    assert_problem(
        app.post_if_match(&decision(id, "decline"), &coordinator, Some(7), &reason)
            .await,
        StatusCode::PRECONDITION_FAILED,
    )
    .await;
    let unchanged = app
        .get_json(&format!("/api/v1/intake-requests/{id}"), &coordinator)
        .await;
    assert_eq!(unchanged["status"], "submitted");
    assert_eq!(unchanged["version"], 1);

    let declined = app
        .post_json_if_match(&decision(id, "decline"), &coordinator, 1, &reason)
        .await;
    assert_eq!(declined["status"], "declined");
    assert_eq!(declined["decline_reason"], "Wohnort außerhalb des Kreises");
    assert!(declined.get("case_id").is_none());
    let declined_event = (
        "intake_request.declined".to_owned(),
        id,
        format!("/api/v1/intake-requests/{id}"),
    );
    assert_eq!(events(&app, &jobcenter).await, vec![declined_event.clone()]);
    // A token of the organisation without intake:write does not see it.
    let reader = partner(&app, JOBCENTER, json!(["referrals:read"])).await;
    assert!(events(&app, &reader).await.is_empty());
    let seen = app
        .get_json(&format!("/api/v1/intake-requests/{id}"), &jobcenter)
        .await;
    assert_eq!(seen["status"], "declined");
    assert_eq!(seen["decline_reason"], "Wohnort außerhalb des Kreises");
    assert_submitters_view(&seen);
    let listed = app
        .get_json("/api/v1/intake-requests?status=declined", &jobcenter)
        .await;
    assert_eq!(listed["total"], 1);
    assert_eq!(
        total(&app, "/api/v1/intake-requests?status=submitted", &jobcenter).await,
        0
    );

    // Decided once: neither accepted nor declined again.
    let manager = user_id(&app, "case_manager");
    for (step, input) in [("accept", acceptance(manager)), ("decline", reason.clone())] {
        let problem = assert_problem(
            app.post_if_match(&decision(id, step), &coordinator, Some(2), &input)
                .await,
            StatusCode::CONFLICT,
        )
        .await;
        assert!(problem["detail"]
            .as_str()
            .expect("detail")
            .contains("declined"));
    }
    assert_eq!(total(&app, "/api/v1/cases", &coordinator).await, 0);

    // The retention rule deletes a declined request after its period, not before; an accepted
    // one stays with its case.
    let kept = submitted(&app, &jobcenter, &body("JC-0818", troisdorf)).await["id"]
        .as_i64()
        .expect("id");
    app.post_json_if_match(
        &decision(kept, "accept"),
        &coordinator,
        1,
        &acceptance(manager),
    )
    .await;
    let run = |months: i64| {
        let mut conn = app.pool.get().expect("connection");
        let now = Utc::now().naive_utc() + Duration::days(30 * months);
        retention::run(&mut conn, &Actor::system(), now, false).expect("run")
    };
    let count = |report: &retention::RunReport| {
        report
            .outcomes
            .iter()
            .find(|o| o.rule.record_type == RecordType::DeclinedIntakeRequests)
            .expect("rule")
            .records
    };
    assert_eq!(count(&run(1)), 0);
    assert_eq!(
        total(&app, "/api/v1/intake-requests", &coordinator).await,
        2
    );
    assert_eq!(count(&run(7)), 1);
    assert_problem(
        app.get(&format!("/api/v1/intake-requests/{id}"), &coordinator)
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(
        app.get_json(&format!("/api/v1/intake-requests/{kept}"), &coordinator)
            .await["status"],
        "accepted"
    );
}

async fn another_organisation_and_other_callers_see_nothing(app: TestApp) {
    let jobcenter = partner(&app, JOBCENTER, json!(["intake:write"])).await;
    let caritas = partner(&app, CARITAS, json!(["intake:write"])).await;
    let troisdorf = municipality(&app).await;
    let id = submitted(&app, &jobcenter, &body("JC-0819", troisdorf)).await["id"]
        .as_i64()
        .expect("id");
    let path = format!("/api/v1/intake-requests/{id}");

    assert_problem(app.get(&path, &caritas).await, StatusCode::NOT_FOUND).await;
    assert_eq!(total(&app, "/api/v1/intake-requests", &caritas).await, 0);
    assert_eq!(
        total(&app, "/api/v1/intake-requests?mine=true", &caritas).await,
        0
    );
    assert_problem(
        app.get("/api/v1/intake-requests/999999", &jobcenter).await,
        StatusCode::NOT_FOUND,
    )
    .await;

    // A token without intake:write may neither submit nor read.
    let referrals_only = partner(&app, JOBCENTER, json!(["referrals:read"])).await;
    assert_problem(
        app.post(
            "/api/v1/intake-requests",
            &referrals_only,
            &body("JC-0820", troisdorf),
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_problem(
        app.get("/api/v1/intake-requests", &referrals_only).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_problem(app.get(&path, &referrals_only).await, StatusCode::FORBIDDEN).await;

    // Partners never decide, not even their own organisation's requests.
    let manager = user_id(&app, "case_manager");
    for token in [&jobcenter, &caritas] {
        assert_problem(
            app.post_if_match(
                &decision(id, "accept"),
                token,
                Some(1),
                &acceptance(manager),
            )
            .await,
            StatusCode::FORBIDDEN,
        )
        .await;
    }

    // Roles without intake requests: 403 on the list and on the request.
    for role in [
        "analyst",
        "admin",
        "coordinator",
        "steering_member",
        "data_protection_officer",
    ] {
        let token = app.token(role).await;
        assert_problem(
            app.get("/api/v1/intake-requests", &token).await,
            StatusCode::FORBIDDEN,
        )
        .await;
        assert_problem(app.get(&path, &token).await, StatusCode::FORBIDDEN).await;
        assert_problem(
            app.post("/api/v1/intake-requests", &token, &body("X-1", troisdorf))
                .await,
            StatusCode::FORBIDDEN,
        )
        .await;
    }

    // Without a token: 401 everywhere.
    for (method, path) in [
        (Method::GET, "/api/v1/intake-requests".to_owned()),
        (Method::POST, "/api/v1/intake-requests".to_owned()),
        (Method::GET, path.clone()),
        (Method::POST, format!("{path}/accept")),
        (Method::POST, format!("{path}/decline")),
    ] {
        let response = app
            .request(method, &path, None)
            .json(&json!({}))
            .send()
            .await
            .expect("send");
        assert_problem(response, StatusCode::UNAUTHORIZED).await;
    }

    // Nothing of it changed the request.
    let coordinator = app.token("cm_coordinator").await;
    assert_eq!(
        total(&app, "/api/v1/intake-requests", &coordinator).await,
        1
    );
    let request = app.get_json(&path, &coordinator).await;
    assert_eq!(request["status"], "submitted");
    assert_eq!(request["version"], 1);
}

async fn bad_input_is_refused_and_changes_nothing(app: TestApp) {
    let jobcenter = partner(&app, JOBCENTER, json!(["intake:write"])).await;
    let caritas_id = organisation(&app, CARITAS).await;
    let troisdorf = municipality(&app).await;
    let good = body("JC-0821", troisdorf);
    let tomorrow = (Utc::now().date_naive() + Duration::days(1)).to_string();
    let mut cases: Vec<(Value, &str, &str)> = Vec::new();
    let mut without_consent = good.clone();
    without_consent
        .as_object_mut()
        .expect("object")
        .remove("consent_to_transfer");
    cases.push((without_consent, "consent_to_transfer", "schema"));
    let mut future = good.clone();
    future["consent_to_transfer"]["given_on"] = json!(tomorrow);
    cases.push((future, "consent_to_transfer.given_on", "rule"));
    let mut not_given = good.clone();
    not_given["consent_to_transfer"]["given"] = json!(false);
    cases.push((not_given, "consent_to_transfer.given", "schema"));
    let mut unknown_place = good.clone();
    unknown_place["municipality_id"] = json!(999_999);
    cases.push((unknown_place, "municipality_id", "reference"));
    for field in ["given_name", "family_name", "reason", "partner_reference"] {
        let mut blank = good.clone();
        blank[field] = json!("   ");
        cases.push((blank, field, "schema"));
    }
    let mut language = good.clone();
    language["languages"] = json!(["ar", "arabisch"]);
    cases.push((language, "languages", "schema"));
    let mut born = good.clone();
    born["birth_year"] = json!(1899);
    cases.push((born, "birth_year", "schema"));
    let mut other_organisation = good.clone();
    other_organisation["referring_organisation_id"] = json!(caritas_id);
    cases.push((other_organisation, "referring_organisation_id", "rule"));
    let mut topic = good.clone();
    topic["topics"] = json!(["weather"]);
    cases.push((topic, "body", "schema"));

    for (input, field, kind) in cases {
        let problem = assert_problem(
            app.post("/api/v1/intake-requests", &jobcenter, &input)
                .await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert!(
            problem["errors"]
                .as_array()
                .expect("errors")
                .iter()
                .any(|e| e["field"] == field && e["kind"] == kind),
            "{field} ({kind}): {problem}"
        );
    }
    // Staff must name the referring organisation; an unknown one is a reference error.
    let manager = app.token("case_manager").await;
    let problem = assert_problem(
        app.post("/api/v1/intake-requests", &manager, &good).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "referring_organisation_id");
    assert_eq!(problem["errors"][0]["kind"], "rule");
    let mut unknown_organisation = good.clone();
    unknown_organisation["referring_organisation_id"] = json!(999_999);
    let problem = assert_problem(
        app.post("/api/v1/intake-requests", &manager, &unknown_organisation)
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "referring_organisation_id");
    assert_eq!(problem["errors"][0]["kind"], "reference");

    let coordinator = app.token("cm_coordinator").await;
    assert_eq!(
        total(&app, "/api/v1/intake-requests", &coordinator).await,
        0
    );
    assert_eq!(total(&app, "/api/v1/intake-requests", &jobcenter).await, 0);
    // The good body still goes through: nothing above took its reference.
    submitted(&app, &jobcenter, &good).await;
}

async fn a_reference_is_used_once_and_a_retry_replays(app: TestApp) {
    let jobcenter = partner(&app, JOBCENTER, json!(["intake:write"])).await;
    let caritas = partner(&app, CARITAS, json!(["intake:write"])).await;
    let troisdorf = municipality(&app).await;
    let first_body = body("JC-0822", troisdorf);
    let first = submit_with_key(&app, &jobcenter, &first_body, "retry-1").await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.expect("json");

    let retry = submit_with_key(&app, &jobcenter, &first_body, "retry-1").await;
    assert_eq!(retry.status(), StatusCode::CREATED);
    assert_eq!(retry.headers()["idempotent-replayed"], "true");
    assert!(retry.headers().get("location").is_some());
    let retried: Value = retry.json().await.expect("json");
    assert_eq!(retried, first);

    // The same key for another request is refused; the same reference under a new key is 409.
    let mut other = body("JC-0823", troisdorf);
    other["reason"] = json!("Andere Anfrage");
    let problem = assert_problem(
        submit_with_key(&app, &jobcenter, &other, "retry-1").await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "Idempotency-Key");
    let duplicate = assert_problem(
        submit_with_key(&app, &jobcenter, &first_body, "retry-2").await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(duplicate["detail"]
        .as_str()
        .expect("detail")
        .contains("partner_reference"));
    assert_problem(
        app.post("/api/v1/intake-requests", &jobcenter, &first_body)
            .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(total(&app, "/api/v1/intake-requests", &jobcenter).await, 1);
    // The reference is the organisation's own: another organisation may use it.
    submitted(&app, &caritas, &first_body).await;
    let coordinator = app.token("cm_coordinator").await;
    assert_eq!(
        total(&app, "/api/v1/intake-requests", &coordinator).await,
        2
    );
}

async fn staff_enter_requests_and_only_the_coordination_decides(app: TestApp) {
    let jobcenter_id = organisation(&app, JOBCENTER).await;
    let troisdorf = municipality(&app).await;
    let manager = app.token("case_manager").await;
    let mut entered = body("Telefon 30.11.", troisdorf);
    entered["referring_organisation_id"] = json!(jobcenter_id);
    let created = submitted(&app, &manager, &entered).await;
    assert_submitters_view(&created);
    let id = created["id"].as_i64().expect("id");
    let path = format!("/api/v1/intake-requests/{id}");
    // The one who entered it reads its status; another case manager does not see it.
    assert_eq!(app.get_json(&path, &manager).await["status"], "submitted");
    assert_eq!(total(&app, "/api/v1/intake-requests", &manager).await, 1);
    app.add_user("case_manager_2", Role::CaseManager);
    let colleague = app.token_of("case_manager_2").await;
    assert_problem(app.get(&path, &colleague).await, StatusCode::NOT_FOUND).await;
    assert_eq!(total(&app, "/api/v1/intake-requests", &colleague).await, 0);
    // The Jobcenter's token sees it too: it is the organisation's request.
    let jobcenter = partner(&app, JOBCENTER, json!(["intake:write"])).await;
    assert_eq!(total(&app, "/api/v1/intake-requests", &jobcenter).await, 1);

    // A case manager does not decide.
    let manager_id = user_id(&app, "case_manager");
    assert_problem(
        app.post_if_match(
            &decision(id, "accept"),
            &manager,
            Some(1),
            &acceptance(manager_id),
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_problem(
        app.post_if_match(
            &decision(id, "decline"),
            &manager,
            Some(1),
            &json!({"reason": "nein"}),
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let coordinator = app.token("cm_coordinator").await;
    // The coordination's own entries under mine=true: none.
    assert_eq!(
        total(&app, "/api/v1/intake-requests?mine=true", &coordinator).await,
        0
    );
    // A case manager who is not one, or no one: 422, and nothing opened.
    let analyst = user_id(&app, "analyst");
    let problem = assert_problem(
        app.post_if_match(
            &decision(id, "accept"),
            &coordinator,
            Some(1),
            &acceptance(analyst),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "case_manager_id");
    assert_eq!(problem["errors"][0]["kind"], "rule");
    let problem = assert_problem(
        app.post_if_match(
            &decision(id, "accept"),
            &coordinator,
            Some(1),
            &acceptance(999_999),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "case_manager_id");
    assert_eq!(problem["errors"][0]["kind"], "reference");
    // The case rules hold: other case management needs a justification.
    let mut outside = acceptance(manager_id);
    outside["other_case_management"] = json!(["jmd"]);
    let problem = assert_problem(
        app.post_if_match(&decision(id, "accept"), &coordinator, Some(1), &outside)
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "justification");
    assert_eq!(total(&app, "/api/v1/cases", &coordinator).await, 0);
    assert_eq!(app.get_json(&path, &coordinator).await["version"], 1);
    outside["justification"] = json!("Jugendmigrationsdienst endet im Dezember");
    let accepted = app
        .post_json_if_match(&decision(id, "accept"), &coordinator, 1, &outside)
        .await;
    let case_id = accepted["case_id"].as_i64().expect("case");
    let case = app
        .get_json(&format!("/api/v1/cases/{case_id}"), &coordinator)
        .await;
    assert_eq!(case["eligible"], false);
    assert_eq!(case["referring_organisation_id"], jobcenter_id);
    let seen = app.get_json(&path, &manager).await;
    assert_eq!(seen["status"], "accepted");
    assert_submitters_view(&seen);
}

async fn erasure_removes_the_persons_data_from_the_request(app: TestApp) {
    let jobcenter = partner(&app, JOBCENTER, json!(["intake:write"])).await;
    let troisdorf = municipality(&app).await;
    let id = submitted(&app, &jobcenter, &body("JC-0824", troisdorf)).await["id"]
        .as_i64()
        .expect("id");
    let coordinator = app.token("cm_coordinator").await;
    let manager = user_id(&app, "case_manager");
    let accepted = app
        .post_json_if_match(
            &decision(id, "accept"),
            &coordinator,
            1,
            &acceptance(manager),
        )
        .await;
    let client_id = accepted["client_id"].as_i64().expect("client");
    let dpo = app.token("data_protection_officer").await;
    let export = app
        .get_json(&format!("/api/v1/clients/{client_id}/export"), &dpo)
        .await;
    let version = export["client"]["version"].as_i64().expect("version");
    let erased = app
        .request(
            Method::POST,
            &format!("/api/v1/clients/{client_id}/erasure"),
            Some(&dpo),
        )
        .header("If-Match", format!("\"{version}\""))
        .json(&json!({"reason": "Antrag der Person nach Art. 17"}))
        .send()
        .await
        .expect("send");
    assert_eq!(erased.status(), StatusCode::OK);
    let request = app
        .get_json(&format!("/api/v1/intake-requests/{id}"), &coordinator)
        .await;
    let text = request.to_string();
    for secret in ["Amina", "Khalil", "Arbeit und Sprache"] {
        assert!(!text.contains(secret), "{secret} survived: {text}");
    }
    // The birth year by its field: as a substring, "1990" can stand in a timestamp's fraction.
    assert!(request["person"]["birth_year"].is_null(), "{text}");
    assert!(request["person"]["given_name"].is_null());
    assert_eq!(request["person"]["languages"], json!([]));
    assert_eq!(request["partner_reference"], "JC-0824");
}
