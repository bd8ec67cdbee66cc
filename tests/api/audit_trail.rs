//! The audit trail (issue 10 item 6, issue 13): complete (denied reads, one event per person
//! shown, both request ids), append-only in the database, tamper-evident (a hash chain checked
//! by `kim audit verify` and `GET /audit-events/verification`), removable only through
//! `audit::remove_before`, and no read without its event (a failed flush answers 503).

use diesel::connection::SimpleConnection;
use kim_store::DbConn;
use kim_tests::{assert_problem, backend_tests, CaseBuilder, Method, StatusCode, TestApp};
use serde_json::{json, Value};

backend_tests!(
    reads_are_audited_per_person_with_both_request_ids,
    denied_reads_are_recorded,
    denied_reads_of_every_case_data_object_are_recorded,
    the_work_list_pages_and_records_only_what_it_shows,
    the_trail_is_append_only_in_the_database,
    verification_names_the_first_tampered_event,
    remove_before_keeps_the_chain_verifiable,
    a_failed_audit_flush_answers_503_without_data,
    a_replaced_reference_shows_in_the_trail_without_changing_it,
);

fn family(siegburg: i64) -> Value {
    let arrived_on = (chrono::Utc::now().date_naive() - chrono::Duration::days(400)).to_string();
    json!({
        "clients": [
            {"given_name": "Amina", "birth_year": 1990, "municipality_id": siegburg},
            {"given_name": "Omar", "birth_year": 2020, "municipality_id": siegburg}
        ],
        "municipality_id": siegburg, "target_group": "multilingual_children_with_language_disorders",
        "legal_domains": ["sgb_viii"], "topics": ["language"], "intake_channel": "self_referral",
        "arrived_on": arrived_on, "other_case_management": ["none"]
    })
}

/// Runs SQL straight on the database, as an operator (or an attacker) with access would.
fn sql(app: &TestApp, sqlite: &str, postgres: &str) -> Result<(), String> {
    let mut conn = app.pool.get().expect("connection");
    let result = match &mut *conn {
        DbConn::Sqlite(c) => c.batch_execute(sqlite),
        DbConn::Postgres(c) => c.batch_execute(postgres),
    };
    result.map_err(|e| e.to_string())
}

fn seal(app: &TestApp) {
    let mut conn = app.pool.get().expect("connection");
    kim_store::audit::seal(&mut conn).expect("seal");
}

async fn json_of(response: reqwest::Response) -> Value {
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.expect("json")
}

async fn events(app: &TestApp, query: &str) -> Vec<Value> {
    let dpo = app.token("data_protection_officer").await;
    let page = json_of(
        app.get(&format!("/api/v1/audit-events?limit=100&{query}"), &dpo)
            .await,
    )
    .await;
    page["items"].as_array().expect("items").clone()
}

async fn reads_are_audited_per_person_with_both_request_ids(app: TestApp) {
    let token = app.token("case_manager").await;
    let case = CaseBuilder::new(&app)
        .with_token(&token)
        .with_body(family)
        .create()
        .await
        .case;
    let id = case["id"].as_i64().expect("id");
    let lead = case["lead_client_id"].as_i64().expect("lead");
    let read = app
        .request(Method::GET, &format!("/api/v1/cases/{id}"), Some(&token))
        .header("x-request-id", "someone-elses-request")
        .send()
        .await
        .expect("send");
    assert_eq!(read.status(), StatusCode::OK);
    assert_eq!(read.headers()["x-request-id"], "someone-elses-request");
    let reads = events(&app, &format!("object_type=case&object_id={id}")).await;
    let case_read = reads
        .iter()
        .find(|e| e["action"] == "case.read")
        .expect("case.read recorded");
    assert_eq!(case_read["client_request_id"], "someone-elses-request");
    let server_id = case_read["request_id"].as_str().expect("server id");
    assert_ne!(server_id, "someone-elses-request");
    assert_eq!(case_read["client_id"], lead);
    assert_eq!(case_read["client_reference"], case["lead_client_reference"]);

    // Lists: one event per person shown, by client id.
    assert_eq!(
        app.get("/api/v1/me/cases?limit=20", &token).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.get("/api/v1/clients?limit=20", &token).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.get("/api/v1/me/tasks", &token).await.status(),
        StatusCode::OK
    );
    let about_lead = events(
        &app,
        &format!(
            "client_reference={}",
            case["lead_client_reference"].as_str().expect("ref")
        ),
    )
    .await;
    let actions: Vec<&str> = about_lead
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for expected in ["case.list", "client.list", "case.read"] {
        assert!(actions.contains(&expected), "{expected} in {actions:?}");
    }
    let client_lists = events(&app, "object_type=client").await;
    let listed: Vec<i64> = client_lists
        .iter()
        .filter(|e| e["action"] == "client.list")
        .filter_map(|e| e["client_id"].as_i64())
        .collect();
    assert_eq!(
        listed.len(),
        2,
        "one client.list event per client shown: {listed:?}"
    );
}

async fn denied_reads_are_recorded(app: TestApp) {
    let token = app.token("case_manager").await;
    let case = CaseBuilder::new(&app)
        .with_token(&token)
        .with_body(family)
        .create()
        .await
        .case;
    let id = case["id"].as_i64().expect("id");
    let lead = case["lead_client_id"].as_i64().expect("lead");
    let other_id = app.add_user("cm.other", kim_domain::Role::CaseManager);
    let other = app.token_of("cm.other").await;
    assert_problem(
        app.get(&format!("/api/v1/cases/{id}"), &other).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        app.get(&format!("/api/v1/clients/{lead}"), &other).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        app.get("/api/v1/cases/987654", &other).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let denied = events(&app, &format!("actor_id={other_id}")).await;
    let mut seen: Vec<(String, String)> = denied
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap_or_default().to_owned(),
                e["object_id"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    seen.sort();
    let mut expected = vec![
        ("case.read_denied".to_owned(), "987654".to_owned()),
        ("case.read_denied".to_owned(), id.to_string()),
        ("client.read_denied".to_owned(), lead.to_string()),
    ];
    expected.sort();
    assert_eq!(seen, expected);
}

/// Every read of one case-data object that is refused (404 or 403) leaves a `read_denied`
/// event naming the object asked for, whatever kind it is.
async fn denied_reads_of_every_case_data_object_are_recorded(app: TestApp) {
    let token = app.token("case_manager").await;
    let case = CaseBuilder::new(&app)
        .with_token(&token)
        .with_body(family)
        .create()
        .await
        .case;
    let id = case["id"].as_i64().expect("id");
    let lead = case["lead_client_id"].as_i64().expect("lead");
    let goal = app
        .post(
            &format!("/api/v1/cases/{id}/goals"),
            &token,
            &json!({"text": "B1 language certificate", "topic": "language", "target_on": "2027-06-30"}),
        )
        .await;
    assert_eq!(goal.status(), StatusCode::CREATED);
    let goal: Value = goal.json().await.expect("json");
    let goal = goal["id"].as_i64().expect("goal");
    let other_id = app.add_user("cm.other", kim_domain::Role::CaseManager);
    let other = app.token_of("cm.other").await;
    let asked = [
        (format!("/api/v1/goals/{goal}"), "goal", goal),
        (format!("/api/v1/cases/{id}/goals"), "case", id),
        (format!("/api/v1/cases/{id}/history"), "case", id),
        (format!("/api/v1/cases/{id}/contacts"), "case", id),
        (format!("/api/v1/cases/{id}/referrals"), "case", id),
        (format!("/api/v1/cases/{id}/conferences"), "case", id),
        (format!("/api/v1/clients/{lead}/consents"), "client", lead),
        ("/api/v1/contacts/987654".to_owned(), "contact", 987654),
        ("/api/v1/referrals/987654".to_owned(), "referral", 987654),
        (
            "/api/v1/referrals/987654/history".to_owned(),
            "referral",
            987654,
        ),
        (
            "/api/v1/conferences/987654".to_owned(),
            "conference",
            987654,
        ),
        (
            "/api/v1/residence-requests/987654".to_owned(),
            "residence_request",
            987654,
        ),
    ];
    for (path, _, _) in &asked {
        assert_problem(app.get(path, &other).await, StatusCode::NOT_FOUND).await;
    }
    // A role without case work sees no goal (404), and may not export a client (403):
    // both are recorded all the same.
    let admin = app.token("admin").await;
    let analyst_id = app.id_of("users", "analyst", &admin).await;
    let analyst = app.token("analyst").await;
    assert_problem(
        app.get(&format!("/api/v1/goals/{goal}"), &analyst).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        app.get(&format!("/api/v1/clients/{lead}/export"), &analyst)
            .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let mut seen: Vec<(String, String)> = events(&app, &format!("actor_id={other_id}"))
        .await
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap_or_default().to_owned(),
                e["object_id"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    seen.sort();
    let mut expected: Vec<(String, String)> = asked
        .iter()
        .map(|(_, object, id)| (format!("{object}.read_denied"), id.to_string()))
        .collect();
    expected.sort();
    assert_eq!(seen, expected);
    let mut by_analyst: Vec<String> = events(&app, &format!("actor_id={analyst_id}"))
        .await
        .iter()
        .map(|e| e["action"].as_str().unwrap_or_default().to_owned())
        .collect();
    by_analyst.sort();
    assert_eq!(by_analyst, vec!["client.read_denied", "goal.read_denied"]);
}

/// `/me/tasks` is paged: `total` counts every task, and only the tasks of the page asked for
/// are events about the people they name.
async fn the_work_list_pages_and_records_only_what_it_shows(app: TestApp) {
    let token = app.token("case_manager").await;
    for _ in 0..3 {
        // Each new case waits in intake: one task naming its lead client.
        CaseBuilder::new(&app)
            .with_token(&token)
            .with_body(family)
            .create()
            .await;
    }
    let admin = app.token("admin").await;
    let me = app.id_of("users", "case_manager", &admin).await;
    let case_lists =
        |events: Vec<Value>| events.iter().filter(|e| e["action"] == "case.list").count();
    let listed_before = case_lists(events(&app, &format!("actor_id={me}&object_type=case")).await);
    let first = json_of(app.get("/api/v1/me/tasks?limit=2", &token).await).await;
    assert_eq!(first["total"], 3);
    assert_eq!(first["items"].as_array().expect("items").len(), 2);
    assert_eq!(first["next"], 2);
    let listed = case_lists(events(&app, &format!("actor_id={me}&object_type=case")).await);
    assert_eq!(listed - listed_before, 2, "one event per task shown");
    let rest = json_of(app.get("/api/v1/me/tasks?limit=2&offset=2", &token).await).await;
    assert_eq!(rest["items"].as_array().expect("items").len(), 1);
    assert!(rest["next"].is_null());
    let mut shown: Vec<i64> = first["items"]
        .as_array()
        .expect("items")
        .iter()
        .chain(rest["items"].as_array().expect("items"))
        .map(|t| t["case_id"].as_i64().expect("case"))
        .collect();
    shown.dedup();
    assert_eq!(shown.len(), 3, "every intake once over the pages");
    assert_problem(
        app.get("/api/v1/me/tasks?limit=0", &token).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
}

async fn the_trail_is_append_only_in_the_database(app: TestApp) {
    let token = app.token("case_manager").await;
    CaseBuilder::new(&app)
        .with_token(&token)
        .with_body(family)
        .create()
        .await;
    for statement in [
        "UPDATE audit_events SET action = 'case.nothing'",
        "DELETE FROM audit_events",
    ] {
        let refused = sql(&app, statement, statement).expect_err(statement);
        assert!(refused.contains("append-only"), "{statement}: {refused}");
    }
    seal(&app);
    // Sealed events cannot be sealed again (re-hashed) either.
    let reseal = "UPDATE audit_events SET entry_hash = 'x' WHERE chain_seq = 1";
    assert!(sql(&app, reseal, reseal).is_err());
    let truncate = sql(&app, "SELECT 1", "TRUNCATE audit_events");
    assert!(app.backend == kim_store::Backend::Sqlite || truncate.is_err());
    let dpo = app.token("data_protection_officer").await;
    let verification = json_of(app.get("/api/v1/audit-events/verification", &dpo).await).await;
    assert_eq!(verification["intact"], true);
}

async fn verification_names_the_first_tampered_event(app: TestApp) {
    let token = app.token("case_manager").await;
    let case = CaseBuilder::new(&app)
        .with_token(&token)
        .with_body(family)
        .create()
        .await
        .case;
    for _ in 0..3 {
        app.get(&format!("/api/v1/cases/{}", case["id"]), &token)
            .await;
    }
    seal(&app);
    let dpo = app.token("data_protection_officer").await;
    let clean = json_of(app.get("/api/v1/audit-events/verification", &dpo).await).await;
    assert_eq!(clean["intact"], true, "{clean}");
    let checked = clean["checked"].as_u64().expect("checked");
    assert!(checked >= 5, "{clean}");
    assert_eq!(clean["unsealed"], 0);
    assert!(clean["first_broken"].is_null());
    {
        let mut conn = app.pool.get().expect("connection");
        let (report, outcome) = kim_api::cli::audit_verify(&mut conn);
        assert!(
            report.contains(&format!("{checked} events checked")),
            "{report}"
        );
        assert!(outcome.is_ok());
    }

    // An attacker with database access edits one event, bypassing the trigger.
    let all = events(&app, "").await;
    let victim = all.iter().find(|e| e["chain_seq"] == 3).expect("event 3");
    let victim_id = victim["id"].as_i64().expect("id");
    let edit = format!("UPDATE audit_events SET actor_id = 4242 WHERE id = {victim_id}");
    sql(
        &app,
        &format!("DROP TRIGGER audit_events_no_update; {edit}"),
        &format!(
            "ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only; {edit}; \
             ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only"
        ),
    )
    .expect("tamper");
    let broken = json_of(app.get("/api/v1/audit-events/verification", &dpo).await).await;
    assert_eq!(broken["intact"], false);
    assert_eq!(broken["first_broken"]["id"], victim_id);
    assert_eq!(broken["first_broken"]["chain_seq"], 3);
    assert_eq!(broken["checked"], 3);
    {
        // Returned before the next request: on SQLite the server has one writer connection.
        let mut conn = app.pool.get().expect("connection");
        let (report, outcome) = kim_api::cli::audit_verify(&mut conn);
        assert!(report.contains("3 events checked"), "{report}");
        let message = outcome.expect_err("broken chain fails");
        assert!(message.contains(&format!("event {victim_id}")), "{message}");
    }

    // Only the data protection officer may ask.
    assert_problem(
        app.get("/api/v1/audit-events/verification", &token).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let admin = app.token("admin").await;
    assert_problem(
        app.get("/api/v1/audit-events/verification", &admin).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let anonymous = app
        .request(Method::GET, "/api/v1/audit-events/verification", None)
        .send()
        .await
        .expect("send");
    assert_problem(anonymous, StatusCode::UNAUTHORIZED).await;
}

async fn remove_before_keeps_the_chain_verifiable(app: TestApp) {
    let token = app.token("case_manager").await;
    let case = CaseBuilder::new(&app)
        .with_token(&token)
        .with_body(family)
        .create()
        .await
        .case;
    app.get(&format!("/api/v1/cases/{}", case["id"]), &token)
        .await;
    seal(&app);
    let before = events(&app, "").await.len();
    assert!(before >= 4);
    let cutoff = kim_store::clock::now() + chrono::Duration::seconds(1);
    let removed = {
        let mut conn = app.pool.get().expect("connection");
        kim_store::audit::remove_before(&mut conn, cutoff, &kim_store::audit::Actor::system())
            .expect("remove")
    };
    assert_eq!(removed as usize, before);
    let left = events(&app, "").await;
    assert_eq!(left.len(), 1, "only the removal's own event: {left:?}");
    assert_eq!(left[0]["action"], "audit_trail.erase");
    assert_eq!(left[0]["actor_kind"], "system");
    app.get(&format!("/api/v1/cases/{}", case["id"]), &token)
        .await;
    seal(&app);
    let dpo = app.token("data_protection_officer").await;
    let verification = json_of(app.get("/api/v1/audit-events/verification", &dpo).await).await;
    assert_eq!(verification["intact"], true, "{verification}");
    assert_eq!(verification["anchor_seq"], before as i64);
    assert_eq!(verification["checked"], 2);
    // Nothing else may delete, even after a removal.
    assert!(sql(&app, "DELETE FROM audit_events", "DELETE FROM audit_events").is_err());
}

async fn a_failed_audit_flush_answers_503_without_data(app: TestApp) {
    let token = app.token("case_manager").await;
    let case = CaseBuilder::new(&app)
        .with_token(&token)
        .with_body(family)
        .create()
        .await
        .case;
    // The database refuses the read's audit event (a full disk, a lost connection…).
    sql(
        &app,
        "CREATE TRIGGER refuse_reads BEFORE INSERT ON audit_events WHEN NEW.action = 'case.read' \
         BEGIN SELECT RAISE(ABORT, 'disk full'); END;",
        "CREATE FUNCTION refuse_reads() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
         IF NEW.action = 'case.read' THEN RAISE EXCEPTION 'disk full'; END IF; RETURN NEW; END; $$; \
         CREATE TRIGGER refuse_reads BEFORE INSERT ON audit_events FOR EACH ROW \
         EXECUTE FUNCTION refuse_reads();",
    )
    .expect("trigger");
    let response = app
        .get(&format!("/api/v1/cases/{}", case["id"]), &token)
        .await;
    let problem = assert_problem(response, StatusCode::SERVICE_UNAVAILABLE).await;
    assert!(problem.get("lead_client_reference").is_none());
    assert!(!problem
        .to_string()
        .contains(case["lead_client_reference"].as_str().expect("ref")));
    assert!(events(&app, "object_type=case")
        .await
        .iter()
        .all(|e| e["action"] != "case.read"));
}

async fn a_replaced_reference_shows_in_the_trail_without_changing_it(app: TestApp) {
    let token = app.token("case_manager").await;
    let case = CaseBuilder::new(&app)
        .with_token(&token)
        .with_body(family)
        .create()
        .await
        .case;
    let lead = case["lead_client_id"].as_i64().expect("lead");
    app.get(&format!("/api/v1/clients/{lead}"), &token).await;
    seal(&app);
    // What an erasure does to the client record; the audit rows stay as they are.
    let rename = format!("UPDATE clients SET reference = 'ERASED-1' WHERE id = {lead}");
    sql(&app, &rename, &rename).expect("rename");
    let dpo = app.token("data_protection_officer").await;
    let trail = json_of(
        app.get(&format!("/api/v1/clients/{lead}/audit-events"), &dpo)
            .await,
    )
    .await;
    let items = trail["items"].as_array().expect("items");
    assert!(items.len() >= 3);
    assert!(items
        .iter()
        .all(|e| e["client_reference"] == "ERASED-1" && e["client_id"] == lead));
    let by_reference = events(&app, "client_reference=ERASED-1").await;
    assert_eq!(by_reference.len(), items.len());
    let verification = json_of(app.get("/api/v1/audit-events/verification", &dpo).await).await;
    assert_eq!(verification["intact"], true);
}
