//! Retention: the rules API with every refusal, the run (a dry run's counts equal the real run's
//! changes; a closed case past its period is anonymised, a newer one and a held one are not),
//! audit events removed through the chain, and one run at a time on PostgreSQL.

use chrono::{Duration, NaiveDate, Utc};
use kim_domain::case::{
    CaseStatus, CaseTransition, CloseReason, IntakeChannel, TargetGroup, Topic,
};
use kim_domain::consent::{ConsentPurpose, DataCategory, NewConsent};
use kim_domain::retention::RecordType;
use kim_store::audit::Actor;
use kim_store::cases::{CaseData, Intake};
use kim_store::clients::ClientData;
use kim_store::privacy::retention::{self, RunReport};
use kim_store::{Backend, DbConn};
use kim_tests::{assert_problem, backend_tests, error_fields, Method, StatusCode, TestApp};
use serde_json::{json, Value};

backend_tests!(
    the_rules_api_lists_and_changes_rules,
    the_rules_api_refuses_bad_changes,
    a_closed_case_past_its_period_is_anonymised_and_a_newer_one_is_not,
    audit_events_are_removed_through_the_chain_but_not_about_held_cases,
    two_concurrent_runs_on_postgresql_do_not_both_act,
);

fn days_ago(days: i64) -> NaiveDate {
    Utc::now().date_naive() - Duration::days(days)
}

/// A case of the demo case manager opened `opened` days ago, closed `closed` days ago (or
/// still in intake); returns (case id, client id).
fn case_closed(conn: &mut DbConn, name: &str, opened: i64, closed: Option<i64>) -> (i64, i64) {
    let manager = kim_store::users::find_by_username(conn, "case_manager")
        .expect("query")
        .expect("case manager");
    let municipality = kim_store::municipalities::find_by_name(conn, "Siegburg")
        .expect("query")
        .expect("Siegburg")
        .id;
    let client = kim_store::clients::insert(
        conn,
        &ClientData {
            given_name: Some(name.into()),
            birth_year: Some(1980),
            country_of_origin: Some("Eritrea".into()),
            municipality_id: municipality,
            ..ClientData::default()
        },
        manager.organisation_id,
        Some(manager.id),
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
        manager.id,
        None,
        &Intake {
            eligible: true,
            justification: None,
        },
        days_ago(opened),
    )
    .expect("case");
    if let Some(closed) = closed {
        kim_store::cases::transition(
            conn,
            &Actor::system(),
            case.id,
            case.version,
            &CaseTransition {
                from: CaseStatus::Intake,
                to: CaseStatus::Closed,
                close_reason: Some(CloseReason::GoalsAchieved),
                reason: Some(format!("{name} found work")),
            },
            days_ago(closed),
        )
        .expect("closed");
    }
    (case.id, client.id)
}

fn run(app: &TestApp, now: chrono::NaiveDateTime, dry_run: bool) -> RunReport {
    let mut conn = app.pool.get().expect("connection");
    retention::run(&mut conn, &Actor::system(), now, dry_run).expect("run")
}

fn counts(report: &RunReport) -> Vec<(RecordType, u64)> {
    assert!(report.ran, "the run acted");
    report
        .outcomes
        .iter()
        .map(|o| (o.rule.record_type, o.records))
        .collect()
}

fn count_of(report: &RunReport, record_type: RecordType) -> u64 {
    counts(report)
        .into_iter()
        .find(|(t, _)| *t == record_type)
        .map(|(_, n)| n)
        .expect("rule")
}

fn client(app: &TestApp, id: i64) -> kim_store::clients::Client {
    let mut conn = app.pool.get().expect("connection");
    kim_store::clients::find(&mut conn, id).expect("client")
}

async fn rules(app: &TestApp, token: &str) -> Value {
    let response = app.get("/api/v1/retention/rules", token).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.expect("json")
}

async fn put_rule(
    app: &TestApp,
    token: &str,
    record_type: &str,
    version: Option<i64>,
    body: &Value,
) -> reqwest::Response {
    app.send(
        Method::PUT,
        &format!("/api/v1/retention/rules/{record_type}"),
        Some(token),
        version,
        Some(body),
    )
    .await
}

async fn the_rules_api_lists_and_changes_rules(app: TestApp) {
    let dpo = app.token("data_protection_officer").await;
    let listed = rules(&app, &dpo).await;
    let items = listed["items"].as_array().expect("items");
    let shown: Vec<(String, i64, String, String)> = items
        .iter()
        .map(|r| {
            (
                r["record_type"].as_str().unwrap_or_default().to_owned(),
                r["period_amount"].as_i64().unwrap_or_default(),
                r["period_unit"].as_str().unwrap_or_default().to_owned(),
                r["action"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let expected = [
        ("closed_cases", 3, "years", "anonymise"),
        ("referral_drafts", 90, "days", "delete"),
        ("ended_consents", 3, "years", "delete"),
        ("idempotency_replays", 24, "hours", "delete"),
        ("login_failures", 30, "days", "delete"),
        ("audit_events", 2, "years", "delete"),
        ("declined_intake_requests", 6, "months", "delete"),
    ];
    assert_eq!(
        shown,
        expected
            .iter()
            .map(|(t, n, u, a)| (t.to_string(), *n, u.to_string(), a.to_string()))
            .collect::<Vec<_>>()
    );
    assert_eq!(items[5]["minimum_amount"], 1);
    assert_eq!(items[5]["minimum_unit"], "years");
    assert_eq!(items[6]["minimum_amount"], 30);
    assert_eq!(items[6]["minimum_unit"], "days");
    assert!(items[0]["reference_date"]
        .as_str()
        .expect("reference date")
        .contains("closed"));

    let response = put_rule(
        &app,
        &dpo,
        "closed_cases",
        Some(1),
        &json!({"period_amount": 5, "period_unit": "years", "action": "anonymise"}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers().get("etag").and_then(|v| v.to_str().ok()),
        Some("\"2\"")
    );
    let changed: Value = response.json().await.expect("json");
    assert_eq!(changed["period_amount"], 5);
    assert_eq!(changed["version"], 2);
    assert!(changed["updated_by"].is_i64());
    assert_eq!(rules(&app, &dpo).await["items"][0]["period_amount"], 5);

    let mut conn = app.pool.get().expect("connection");
    let trail = kim_store::audit::list(
        &mut conn,
        &kim_store::audit::AuditFilter {
            object_type: Some("retention_rule".into()),
            ..Default::default()
        },
        kim_domain::paging::PageRequest {
            limit: 10,
            offset: 0,
        },
    )
    .expect("audit");
    assert_eq!(trail.total, 1, "the change is audited");
    assert_eq!(trail.items[0].action, "retention_rule.update");
}

async fn the_rules_api_refuses_bad_changes(app: TestApp) {
    let dpo = app.token("data_protection_officer").await;
    let good = json!({"period_amount": 2, "period_unit": "years", "action": "delete"});
    assert_problem(
        app.request(Method::GET, "/api/v1/retention/rules", None)
            .send()
            .await
            .expect("send"),
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_problem(
        app.request(Method::PUT, "/api/v1/retention/rules/audit_events", None)
            .header("If-Match", "\"1\"")
            .json(&good)
            .send()
            .await
            .expect("send"),
        StatusCode::UNAUTHORIZED,
    )
    .await;
    for role in ["admin", "cm_coordinator", "case_manager", "analyst"] {
        let token = app.token(role).await;
        assert_problem(
            app.get("/api/v1/retention/rules", &token).await,
            StatusCode::FORBIDDEN,
        )
        .await;
        assert_problem(
            put_rule(&app, &token, "audit_events", Some(1), &good).await,
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    for (record_type, body, field) in [
        ("case_files", good.clone(), "record_type"),
        (
            "audit_events",
            json!({"period_amount": 364, "period_unit": "days", "action": "delete"}),
            "period_amount",
        ),
        (
            "audit_events",
            json!({"period_amount": 11, "period_unit": "months", "action": "delete"}),
            "period_amount",
        ),
        (
            "closed_cases",
            json!({"period_amount": 3, "period_unit": "years", "action": "delete"}),
            "action",
        ),
        (
            "login_failures",
            json!({"period_amount": 0, "period_unit": "days", "action": "delete"}),
            "period_amount",
        ),
        (
            "ended_consents",
            json!({"period_amount": 101, "period_unit": "years", "action": "delete"}),
            "period_amount",
        ),
    ] {
        let problem = assert_problem(
            put_rule(&app, &dpo, record_type, Some(1), &body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(error_fields(&problem), vec![field], "{record_type} {body}");
    }
    let legal = assert_problem(
        put_rule(
            &app,
            &dpo,
            "audit_events",
            Some(1),
            &json!({"period_amount": 6, "period_unit": "months", "action": "delete"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert!(legal["errors"][0]["message"]
        .as_str()
        .expect("message")
        .contains("legal minimum"));
    for body in [
        json!({"period_amount": 2, "period_unit": "decades", "action": "delete"}),
        json!({"period_amount": -1, "period_unit": "years", "action": "delete"}),
        json!({"period_amount": 2, "period_unit": "years", "action": "delete", "extra": 1}),
    ] {
        let response = put_rule(&app, &dpo, "audit_events", Some(1), &body).await;
        assert!(
            matches!(
                response.status(),
                StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY
            ),
            "{body}: {}",
            response.status()
        );
    }
    assert_problem(
        put_rule(&app, &dpo, "audit_events", None, &good).await,
        StatusCode::PRECONDITION_REQUIRED,
    )
    .await;
    assert_problem(
        put_rule(&app, &dpo, "audit_events", Some(9), &good).await,
        StatusCode::PRECONDITION_FAILED,
    )
    .await;
    // Nothing changed.
    for rule in rules(&app, &dpo).await["items"].as_array().expect("items") {
        assert_eq!(rule["version"], 1, "{rule}");
    }
}

async fn a_closed_case_past_its_period_is_anonymised_and_a_newer_one_is_not(app: TestApp) {
    let (old_case, old_client, new_client, held_client, held_case) = {
        let mut conn = app.pool.get().expect("connection");
        let conn = &mut conn;
        let (old_case, old_client) = case_closed(conn, "Senait", 2000, Some(1500));
        let (_, new_client) = case_closed(conn, "Yonas", 900, Some(400));
        let (held_case, held_client) = case_closed(conn, "Meron", 2000, Some(1500));
        let (_, open_client) = case_closed(conn, "Abeba", 2000, None);
        // A draft never sent, an ended consent, a replay and a login failure, all old.
        let jobcenter = kim_store::organisations::find_by_name(conn, "Jobcenter Rhein-Sieg")
            .expect("query")
            .expect("Jobcenter")
            .id;
        // The old client's consent expired long ago: anonymising the client must not give it a
        // new end, or the real run would delete fewer consents than the dry run counted.
        kim_store::consents::insert(
            conn,
            old_client,
            &NewConsent {
                recipient_organisation_ids: vec![jobcenter],
                purposes: vec![ConsentPurpose::Referral],
                categories: vec![DataCategory::Identity],
                given_on: days_ago(1990),
                valid_until: Some(days_ago(1600)),
            },
            None,
            None,
        )
        .expect("expired consent");
        kim_store::consents::insert(
            conn,
            open_client,
            &NewConsent {
                recipient_organisation_ids: vec![jobcenter],
                purposes: vec![ConsentPurpose::Referral],
                categories: vec![DataCategory::Identity],
                given_on: days_ago(2000),
                valid_until: Some(days_ago(1500)),
            },
            None,
            None,
        )
        .expect("ended consent");
        let manager = kim_store::users::find_by_username(conn, "case_manager")
            .expect("query")
            .expect("manager");
        kim_store::referrals::remember(
            conn,
            &Actor {
                kind: "user",
                id: Some(manager.id),
                role: None,
                request_id: None,
                client_request_id: None,
            },
            "retry-1",
            &kim_store::referrals::RememberedResponse {
                fingerprint: "f".into(),
                status_code: 201,
                resource_id: 1,
            },
        )
        .expect("replay");
        kim_store::login_failures::put(
            conn,
            "someone",
            &kim_domain::login_throttle::FailureRecord::default(),
        )
        .expect("failure");
        let old = (chrono::Utc::now() - Duration::days(100)).naive_utc();
        diesel_backdate(conn, old);
        (old_case, old_client, new_client, held_client, held_case)
    };
    let coordinator = app.token("cm_coordinator").await;
    let placed = app
        .post(
            &format!("/api/v1/cases/{held_case}/legal-hold"),
            &coordinator,
            &json!({"reason": "Court proceedings"}),
        )
        .await;
    assert_eq!(placed.status(), StatusCode::CREATED);

    let now = kim_store::clock::now();
    let dry = run(&app, now, true);
    assert!(dry.dry_run);
    assert_eq!(
        count_of(&dry, RecordType::ClosedCases),
        1,
        "the held one waits"
    );
    assert_eq!(count_of(&dry, RecordType::EndedConsents), 2);
    assert_eq!(count_of(&dry, RecordType::IdempotencyReplays), 1);
    assert_eq!(count_of(&dry, RecordType::LoginFailures), 1);
    assert_eq!(count_of(&dry, RecordType::AuditEvents), 0);
    assert_eq!(
        client(&app, old_client).data.given_name.as_deref(),
        Some("Senait"),
        "a dry run changes nothing"
    );
    let dry_again = run(&app, now, true);
    assert_eq!(counts(&dry_again), counts(&dry));

    let real = run(&app, now, false);
    assert!(!real.dry_run);
    assert_eq!(
        counts(&real),
        counts(&dry),
        "the dry run's counts are the real run's changes"
    );
    let after = run(&app, now, true);
    assert!(
        counts(&after).iter().all(|(_, n)| *n == 0),
        "{:?}",
        counts(&after)
    );

    let erased = client(&app, old_client);
    assert_eq!(erased.data.given_name, None);
    assert_eq!(erased.data.country_of_origin, None);
    assert!(erased.reference.starts_with("ANON-"));
    assert_eq!(
        client(&app, new_client).data.given_name.as_deref(),
        Some("Yonas")
    );
    assert_eq!(
        client(&app, held_client).data.given_name.as_deref(),
        Some("Meron")
    );
    let manager = app.token("case_manager").await;
    let case: Value = app
        .get(&format!("/api/v1/cases/{old_case}"), &manager)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(case["status"], "closed");
    assert_eq!(case["close_reason"], "goals_achieved");
    assert_eq!(case["topics"], json!(["language"]));
    let history: Value = app
        .get(&format!("/api/v1/cases/{old_case}/history"), &manager)
        .await
        .json()
        .await
        .expect("json");
    assert!(!history.to_string().contains("Senait"), "{history}");
}

/// Makes the replays and login failures of a test look `at` old (their tables have no
/// append-only triggers; the audit trail is never backdated).
fn diesel_backdate(conn: &mut DbConn, at: chrono::NaiveDateTime) {
    use diesel::RunQueryDsl;
    let literal = at.format("%Y-%m-%d %H:%M:%S").to_string();
    for table in [
        "idempotency_keys SET created_at",
        "login_failures SET last_failed_at",
    ] {
        diesel::sql_query(format!("UPDATE {table} = '{literal}'"))
            .execute(conn)
            .expect("backdate");
    }
}

async fn audit_events_are_removed_through_the_chain_but_not_about_held_cases(app: TestApp) {
    let f = crate::referrals::open_case(&app, "case_manager");
    let manager = app.token("case_manager").await;
    for _ in 0..3 {
        let read = app
            .get(&format!("/api/v1/clients/{}", f.client_id), &manager)
            .await;
        assert_eq!(read.status(), StatusCode::OK);
    }
    let in_three_years = kim_store::clock::now() + Duration::days(3 * 366);

    // Held: the cut stops before the oldest event about the held case's client.
    let coordinator = app.token("cm_coordinator").await;
    let placed: Value = app
        .post(
            &format!("/api/v1/cases/{}/legal-hold", f.case_id),
            &coordinator,
            &json!({"reason": "Court proceedings"}),
        )
        .await
        .json()
        .await
        .expect("json");
    let about_client = |app: &TestApp| {
        let mut conn = app.pool.get().expect("connection");
        kim_store::audit::list(
            &mut conn,
            &kim_store::audit::AuditFilter {
                client_id: Some(f.client_id),
                ..Default::default()
            },
            kim_domain::paging::PageRequest {
                limit: 200,
                offset: 0,
            },
        )
        .expect("audit")
        .total
    };
    let before = about_client(&app);
    assert!(before >= 3);
    let dry = run(&app, in_three_years, true);
    let real = run(&app, in_three_years, false);
    assert_eq!(
        count_of(&real, RecordType::AuditEvents),
        count_of(&dry, RecordType::AuditEvents)
    );
    assert_eq!(about_client(&app), before, "events about a held case stay");

    // Lifted: the events go, the chain still verifies.
    let lifted = app
        .send(
            Method::DELETE,
            &format!("/api/v1/cases/{}/legal-hold", f.case_id),
            Some(&coordinator),
            placed["id"].as_i64(),
            Some(&json!(null)),
        )
        .await;
    assert_eq!(lifted.status(), StatusCode::OK);
    let dry = run(&app, in_three_years, true);
    assert!(count_of(&dry, RecordType::AuditEvents) >= before as u64);
    let real = run(&app, in_three_years, false);
    assert_eq!(
        count_of(&real, RecordType::AuditEvents),
        count_of(&dry, RecordType::AuditEvents)
    );
    assert_eq!(about_client(&app), 0);
    let mut conn = app.pool.get().expect("connection");
    let verified = kim_store::audit::verify(&mut conn).expect("verify");
    assert!(
        verified.first_broken.is_none(),
        "the chain verifies across the cut"
    );
    assert!(verified.anchor_seq.is_some());
}

async fn two_concurrent_runs_on_postgresql_do_not_both_act(app: TestApp) {
    if app.backend != Backend::Postgres {
        // One server per SQLite file: there is nothing to lock against.
        return;
    }
    let (_, client_id) = {
        let mut conn = app.pool.get().expect("connection");
        case_closed(&mut conn, "Senait", 2000, Some(1500))
    };
    let now = kim_store::clock::now();

    // Another server holds the lock: this one skips and changes nothing.
    {
        let mut holder = app.pool.get().expect("connection");
        let skipped = retention::with_run_lock(&mut holder, |_| Ok(run(&app, now, false)))
            .expect("lock")
            .expect("taken");
        assert!(!skipped.ran);
        assert!(skipped.outcomes.is_empty());
        assert_eq!(
            client(&app, client_id).data.given_name.as_deref(),
            Some("Senait")
        );
    }

    // Two at once: the case is anonymised once, whichever acts.
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(2));
    let runs: Vec<_> = (0..2)
        .map(|_| {
            let pool = app.pool.clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                let mut conn = pool.get().expect("connection");
                barrier.wait();
                retention::run(&mut conn, &Actor::system(), now, false).expect("run")
            })
        })
        .collect();
    let reports: Vec<RunReport> = runs
        .into_iter()
        .map(|r| r.join().expect("thread"))
        .collect();
    let anonymised: u64 = reports
        .iter()
        .filter(|r| r.ran)
        .map(|r| count_of(r, RecordType::ClosedCases))
        .sum();
    assert_eq!(anonymised, 1, "{reports:?}");
    let mut conn = app.pool.get().expect("connection");
    let erasures = kim_store::privacy::export::export(&mut conn, client_id)
        .expect("export")
        .erasures
        .len();
    assert_eq!(erasures, 1, "erased exactly once");
}
