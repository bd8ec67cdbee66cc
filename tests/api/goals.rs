//! The help plan: goals of a case, progress notes, who may see and change them, audit events.
//! Also the case fixtures the other case-work tests share.

use kim_domain::case::{IntakeChannel, TargetGroup, Topic};
use kim_domain::paging::PageRequest;
use kim_domain::Role;
use kim_store::audit::{Actor, AuditFilter};
use kim_store::cases::{CaseData, Intake};
use kim_store::clients::ClientData;
use kim_tests::{assert_problem, backend_tests, error_fields, Method, StatusCode, TestApp};
use serde_json::{json, Value};

backend_tests!(
    create_list_update_and_note_goals,
    goal_input_is_validated,
    goals_need_a_token_and_a_case_role,
    another_case_managers_goals_are_invisible,
    the_coordinator_reads_but_does_not_change_goals,
    goal_updates_need_the_current_version,
    every_goal_access_is_audited,
);

/// A client with a case of the demo `case_manager`, and one of a colleague.
pub(crate) struct Fixture {
    pub case_id: i64,
    pub client_id: i64,
    pub reference: String,
    pub other_case_id: i64,
    pub other_reference: String,
    pub manager: String,
    pub colleague: String,
}

pub(crate) const COLLEAGUE: &str = "case_manager_2";

pub(crate) fn open_case(
    conn: &mut kim_store::DbConn,
    assigned: i64,
    municipality: i64,
    organisation: Option<i64>,
) -> (i64, i64, String) {
    let client = kim_store::clients::insert(
        conn,
        &ClientData {
            given_name: Some("Amina".into()),
            family_name: Some("Testfall".into()),
            birth_year: Some(1990),
            municipality_id: municipality,
            ..ClientData::default()
        },
        organisation,
        Some(assigned),
        2026,
    )
    .expect("client");
    let case = kim_store::cases::insert(
        conn,
        &Actor::system(),
        &CaseData {
            client_ids: vec![client.id],
            lead_client_id: client.id,
            municipality_id: municipality,
            target_group: TargetGroup::NewArrivals,
            legal_domains: vec![],
            topics: vec![Topic::Language],
            intake_channel: IntakeChannel::SelfReferral,
            referred_by_organisation_id: None,
            arrived_on: None,
            other_case_management: vec![],
        },
        assigned,
        None,
        &Intake {
            eligible: true,
            justification: None,
        },
        chrono::Utc::now().date_naive(),
    )
    .expect("case");
    (case.id, client.id, client.reference)
}

pub(crate) async fn fixture(app: &TestApp) -> Fixture {
    let (case, other) = {
        let mut conn = app.pool.get().expect("connection");
        let conn = &mut conn;
        let manager = kim_store::users::find_by_username(conn, "case_manager")
            .expect("query")
            .expect("demo case manager");
        let colleague = app.add_user(COLLEAGUE, Role::CaseManager);
        let municipality = kim_store::municipalities::find_by_name(conn, "Siegburg")
            .expect("query")
            .expect("Siegburg")
            .id;
        (
            open_case(conn, manager.id, municipality, manager.organisation_id),
            open_case(conn, colleague, municipality, manager.organisation_id),
        )
    };
    Fixture {
        case_id: case.0,
        client_id: case.1,
        reference: case.2,
        other_case_id: other.0,
        other_reference: other.2,
        manager: app.token("case_manager").await,
        colleague: app.token(COLLEAGUE).await,
    }
}

/// The actions of the audit events about a client, oldest first.
pub(crate) fn audit_actions(app: &TestApp, reference: &str) -> Vec<String> {
    let mut conn = app.pool.get().expect("connection");
    let listed = kim_store::audit::list(
        &mut conn,
        &AuditFilter {
            client_reference: Some(reference.into()),
            ..AuditFilter::default()
        },
        PageRequest::parse(Some(200), None).expect("page"),
    )
    .expect("audit");
    listed.items.into_iter().rev().map(|e| e.action).collect()
}

/// The roles that never see case data.
pub(crate) const OUTSIDERS: &[&str] = &[
    "admin",
    "analyst",
    "steering_member",
    "project_group_member",
    "coordinator",
    "ki_lead",
    "data_protection_officer",
];

/// `app.send` with a body, for the files that share this helper.
fn goal() -> Value {
    json!({"text": "B1 language certificate", "topic": "language", "target_on": "2027-06-30"})
}

async fn create(app: &TestApp, f: &Fixture) -> Value {
    let path = format!("/api/v1/cases/{}/goals", f.case_id);
    app.post_created(&path, &f.manager, &goal()).await
}

async fn create_list_update_and_note_goals(app: TestApp) {
    let f = fixture(&app).await;
    let created = create(&app, &f).await;
    assert_eq!(created["status"], "open");
    assert_eq!(created["case_id"], f.case_id);
    let id = created["id"].as_i64().expect("id");

    let second = app
        .post(
            &format!("/api/v1/cases/{}/goals", f.case_id),
            &f.manager,
            &json!({"text": "Find a flat", "topic": "housing", "status": "achieved"}),
        )
        .await;
    assert_eq!(second.status(), StatusCode::CREATED);

    let list: Value = app
        .get_json(&format!("/api/v1/cases/{}/goals", f.case_id), &f.manager)
        .await;
    assert_eq!(list["total"], 2);
    assert_eq!(list["items"][0]["id"], id, "open goals first");

    let noted = app
        .post(
            &format!("/api/v1/goals/{id}/notes"),
            &f.manager,
            &json!({"text": "Enrolled in a B1 course"}),
        )
        .await;
    assert_eq!(noted.status(), StatusCode::CREATED);
    let noted: Value = noted.json().await.expect("json");
    assert_eq!(noted["notes"][0]["text"], "Enrolled in a B1 course");
    assert!(noted["notes"][0]["author_id"].is_i64());
    assert_eq!(noted["version"], 2);

    let response = app
        .put(
            &format!("/api/v1/goals/{id}"),
            &f.manager,
            Some(2),
            &json!({"text": "B1 certificate", "topic": "language", "status": "achieved"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["etag"], "\"3\"");
    let updated: Value = response.json().await.expect("json");
    assert_eq!(updated["status"], "achieved");
    assert_eq!(updated["target_on"], Value::Null);
    assert_eq!(updated["notes"].as_array().map(Vec::len), Some(1));

    let read = app.get(&format!("/api/v1/goals/{id}"), &f.manager).await;
    assert_eq!(read.status(), StatusCode::OK);
}

async fn goal_input_is_validated(app: TestApp) {
    let f = fixture(&app).await;
    let path = format!("/api/v1/cases/{}/goals", f.case_id);
    let problem = assert_problem(
        app.post(
            &path,
            &f.manager,
            &json!({"text": " ", "topic": "language"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["text"]);
    let long = "x".repeat(2001);
    let problem = assert_problem(
        app.post(
            &path,
            &f.manager,
            &json!({"text": long, "topic": "language"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["text"]);
    assert_problem(
        app.post(&path, &f.manager, &json!({"text": "x", "topic": "cooking"}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_problem(
        app.post(
            &path,
            &f.manager,
            &json!({"text": "x", "topic": "language", "colour": "red"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let id = create(&app, &f).await["id"].as_i64().expect("id");
    let problem = assert_problem(
        app.put(
            &format!("/api/v1/goals/{id}"),
            &f.manager,
            Some(1),
            &json!({"text": "x", "topic": "language"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["status"]);
    let problem = assert_problem(
        app.post(
            &format!("/api/v1/goals/{id}/notes"),
            &f.manager,
            &json!({"text": "later", "noted_on": "2999-01-01"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["noted_on"]);
}

async fn goals_need_a_token_and_a_case_role(app: TestApp) {
    let f = fixture(&app).await;
    let id = create(&app, &f).await["id"].as_i64().expect("id");
    let list = format!("/api/v1/cases/{}/goals", f.case_id);
    assert_problem(
        app.send(Method::GET, &list, None, None, Some(&json!({})))
            .await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_problem(
        app.send(Method::POST, &list, None, None, Some(&goal()))
            .await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    for role in OUTSIDERS.iter().chain(&["immigration_officer"]) {
        let token = app.token(role).await;
        assert_problem(app.get(&list, &token).await, StatusCode::FORBIDDEN).await;
        assert_problem(
            app.post(&list, &token, &goal()).await,
            StatusCode::FORBIDDEN,
        )
        .await;
        assert_problem(
            app.get(&format!("/api/v1/goals/{id}"), &token).await,
            StatusCode::NOT_FOUND,
        )
        .await;
        assert_problem(
            app.put(&format!("/api/v1/goals/{id}"), &token, Some(1), &goal())
                .await,
            StatusCode::NOT_FOUND,
        )
        .await;
    }
}

async fn another_case_managers_goals_are_invisible(app: TestApp) {
    let f = fixture(&app).await;
    let id = create(&app, &f).await["id"].as_i64().expect("id");
    let list = format!("/api/v1/cases/{}/goals", f.case_id);
    assert_problem(app.get(&list, &f.colleague).await, StatusCode::NOT_FOUND).await;
    assert_problem(
        app.post(&list, &f.colleague, &goal()).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    for path in [format!("/api/v1/goals/{id}"), "/api/v1/goals/999999".into()] {
        assert_problem(app.get(&path, &f.colleague).await, StatusCode::NOT_FOUND).await;
    }
    assert_problem(
        app.put(
            &format!("/api/v1/goals/{id}"),
            &f.colleague,
            Some(1),
            &json!({"text": "x", "topic": "work", "status": "open"}),
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        app.post(
            &format!("/api/v1/goals/{id}/notes"),
            &f.colleague,
            &json!({"text": "x"}),
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        app.get(
            &format!("/api/v1/cases/{}/goals", f.other_case_id),
            &f.manager,
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
}

async fn the_coordinator_reads_but_does_not_change_goals(app: TestApp) {
    let f = fixture(&app).await;
    let id = create(&app, &f).await["id"].as_i64().expect("id");
    let token = app.token("cm_coordinator").await;
    let list = app
        .get(&format!("/api/v1/cases/{}/goals", f.case_id), &token)
        .await;
    assert_eq!(list.status(), StatusCode::OK);
    assert_eq!(
        app.get(&format!("/api/v1/goals/{id}"), &token)
            .await
            .status(),
        StatusCode::OK
    );
    assert_problem(
        app.post(
            &format!("/api/v1/cases/{}/goals", f.case_id),
            &token,
            &goal(),
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_problem(
        app.put(
            &format!("/api/v1/goals/{id}"),
            &token,
            Some(1),
            &json!({"text": "x", "topic": "work", "status": "open"}),
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;
}

async fn goal_updates_need_the_current_version(app: TestApp) {
    let f = fixture(&app).await;
    let id = create(&app, &f).await["id"].as_i64().expect("id");
    let path = format!("/api/v1/goals/{id}");
    let body = json!({"text": "x", "topic": "work", "status": "dropped"});
    // A missing and a wrong If-Match: tests/api/preconditions.rs (the same request).
    assert_eq!(
        app.put(&path, &f.manager, Some(1), &body).await.status(),
        StatusCode::OK
    );
    assert_problem(
        app.put(&path, &f.manager, Some(1), &body).await,
        StatusCode::PRECONDITION_FAILED,
    )
    .await;
}

async fn every_goal_access_is_audited(app: TestApp) {
    let f = fixture(&app).await;
    let id = create(&app, &f).await["id"].as_i64().expect("id");
    app.get(&format!("/api/v1/cases/{}/goals", f.case_id), &f.manager)
        .await;
    app.get(&format!("/api/v1/goals/{id}"), &f.manager).await;
    app.put(
        &format!("/api/v1/goals/{id}"),
        &f.manager,
        Some(1),
        &json!({"text": "x", "topic": "work", "status": "open"}),
    )
    .await;
    app.post(
        &format!("/api/v1/goals/{id}/notes"),
        &f.manager,
        &json!({"text": "called"}),
    )
    .await;
    assert_eq!(
        audit_actions(&app, &f.reference),
        vec![
            "goal.create",
            "goal.list",
            "goal.read",
            "goal.update",
            "goal.update"
        ]
    );
    // A refused access leaves nothing behind.
    app.get(&format!("/api/v1/goals/{id}"), &f.colleague).await;
    assert_eq!(audit_actions(&app, &f.reference).len(), 5);
    assert!(audit_actions(&app, &f.other_reference).is_empty());
}
