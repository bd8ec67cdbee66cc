//! Kompetenzerfassung: the clearing record of a client in a case — saving and reading it, its
//! validation, who may see and change it, its audit events, the access export and erasure,
//! and its block in the programme report.

use kim_domain::clearing::{Clearing, Language, LanguageLevel, Qualification, RecognitionStatus};
use kim_domain::paging::PageRequest;
use kim_store::audit::{Actor, AuditFilter};
use kim_tests::{assert_problem, backend_tests, error_fields, Method, StatusCode, TestApp};
use serde_json::{json, Value};

use crate::goals::{audit_actions, fixture, Fixture, OUTSIDERS};

backend_tests!(
    a_clearing_record_is_empty_until_saved_and_replaced_whole,
    clearing_input_is_validated_and_a_refused_save_changes_nothing,
    clearing_needs_a_token_and_a_case_role,
    another_case_managers_clearing_is_invisible_and_the_refusal_audited,
    a_client_outside_the_case_has_no_clearing_record,
    the_coordinator_reads_but_does_not_change_clearing,
    clearing_saves_need_the_current_version,
    every_clearing_access_is_audited,
    clearing_is_exported_and_erased_with_the_client,
);

fn path(case_id: i64, client_id: i64) -> String {
    format!("/api/v1/cases/{case_id}/clients/{client_id}/clearing")
}

fn record() -> Value {
    json!({
        "languages": [{"language": "ar", "level": "native"}, {"language": "de", "level": "b1"}],
        "schooling_years": 12, "schooling_level": "upper_secondary",
        "vocational_qualifications": [{"title": " Elektroniker/in ", "recognition": "started"}],
        "work_experience": [{"field": "Elektroinstallation", "years": 6}],
        "driving_licence": true, "driving_licence_classes": ["BE", "B"], "childcare_need": false
    })
}

async fn read(app: &TestApp, f: &Fixture) -> Value {
    let response = app.get(&path(f.case_id, f.client_id), &f.manager).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.expect("json")
}

async fn save(app: &TestApp, f: &Fixture, version: i64, body: &Value) -> Value {
    let response = app
        .put(
            &path(f.case_id, f.client_id),
            &f.manager,
            Some(version),
            body,
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.expect("json")
}

async fn a_clearing_record_is_empty_until_saved_and_replaced_whole(app: TestApp) {
    let f = fixture(&app).await;
    let response = app.get(&path(f.case_id, f.client_id), &f.manager).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["etag"], "\"0\"");
    let empty: Value = response.json().await.expect("json");
    assert_eq!(empty["version"], 0);
    assert_eq!(empty["languages"], json!([]));
    assert_eq!(empty["driving_licence"], Value::Null);
    assert_eq!(empty["created_at"], Value::Null);

    let saved = save(&app, &f, 0, &record()).await;
    assert_eq!(saved["version"], 1);
    assert_eq!(saved["case_id"], f.case_id);
    assert_eq!(saved["client_id"], f.client_id);
    assert_eq!(
        saved["vocational_qualifications"][0]["title"],
        "Elektroniker/in"
    );
    assert_eq!(saved["driving_licence_classes"], json!(["B", "BE"]));
    assert_eq!(
        saved["languages"][1],
        json!({"language": "de", "level": "b1"})
    );
    assert!(saved["created_at"].is_string());
    assert_eq!(read(&app, &f).await, saved);

    // A field left out is emptied: the record is replaced whole.
    let replaced = save(
        &app,
        &f,
        1,
        &json!({"languages": [{"language": "de", "level": "b2"}], "childcare_need": true}),
    )
    .await;
    assert_eq!(replaced["version"], 2);
    assert_eq!(replaced["vocational_qualifications"], json!([]));
    assert_eq!(replaced["schooling_years"], Value::Null);
    assert_eq!(replaced["childcare_need"], true);
    assert_eq!(
        read(&app, &f).await["languages"],
        json!([{"language": "de", "level": "b2"}])
    );
}

async fn clearing_input_is_validated_and_a_refused_save_changes_nothing(app: TestApp) {
    let f = fixture(&app).await;
    let saved = save(&app, &f, 0, &record()).await;
    let target = path(f.case_id, f.client_id);
    let cases: Vec<(Value, &str, &str)> = vec![
        (
            json!({"languages": [{"language": "Arabic", "level": "b1"}]}),
            "languages",
            "schema",
        ),
        (
            json!({"languages": [{"language": "de", "level": "b1"}, {"language": "de", "level": "a1"}]}),
            "languages",
            "rule",
        ),
        (json!({"schooling_years": 31}), "schooling_years", "schema"),
        (json!({"schooling_years": -1}), "schooling_years", "schema"),
        (
            json!({"vocational_qualifications": [{"title": "  ", "recognition": "started"}]}),
            "vocational_qualifications",
            "schema",
        ),
        (
            json!({"work_experience": [{"field": "Bau", "years": 61}]}),
            "work_experience",
            "schema",
        ),
        (
            json!({"work_experience": [{"field": "x".repeat(201), "years": 1}]}),
            "work_experience",
            "schema",
        ),
        (
            json!({"driving_licence": false, "driving_licence_classes": ["B"]}),
            "driving_licence_classes",
            "rule",
        ),
        (
            json!({"driving_licence_classes": ["B"]}),
            "driving_licence_classes",
            "rule",
        ),
    ];
    for (body, field, kind) in cases {
        let problem = assert_problem(
            app.put(&target, &f.manager, Some(1), &body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(error_fields(&problem), vec![field], "{body}");
        assert_eq!(problem["errors"][0]["kind"], kind, "{body}");
    }
    let too_many: Vec<Value> = (0..11)
        .map(|i| json!({"field": format!("f{i}"), "years": 1}))
        .collect();
    let problem = assert_problem(
        app.put(
            &target,
            &f.manager,
            Some(1),
            &json!({"work_experience": too_many}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["work_experience"]);
    for body in [
        json!({"languages": [{"language": "de", "level": "B1"}]}),
        json!({"vocational_qualifications": [{"title": "x", "recognition": "pending"}]}),
        json!({"driving_licence_classes": ["Z"], "driving_licence": true}),
        json!({"schooling_level": "kindergarten"}),
        json!({"hobbies": "chess"}),
        json!({"childcare_need": "yes"}),
    ] {
        assert_problem(
            app.put(&target, &f.manager, Some(1), &body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    assert_eq!(
        read(&app, &f).await,
        saved,
        "a refused save changes nothing"
    );
}

async fn clearing_needs_a_token_and_a_case_role(app: TestApp) {
    let f = fixture(&app).await;
    let target = path(f.case_id, f.client_id);
    assert_problem(
        app.send(Method::GET, &target, None, None, Some(&json!({})))
            .await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_problem(
        app.send(Method::PUT, &target, None, Some(0), Some(&record()))
            .await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    for role in OUTSIDERS.iter().chain(&["immigration_officer"]) {
        let token = app.token(role).await;
        assert_problem(app.get(&target, &token).await, StatusCode::FORBIDDEN).await;
        assert_problem(
            app.put(&target, &token, Some(0), &record()).await,
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    assert_eq!(read(&app, &f).await["version"], 0, "nothing was saved");
}

async fn another_case_managers_clearing_is_invisible_and_the_refusal_audited(app: TestApp) {
    let f = fixture(&app).await;
    let saved = save(&app, &f, 0, &record()).await;
    let target = path(f.case_id, f.client_id);
    assert_problem(app.get(&target, &f.colleague).await, StatusCode::NOT_FOUND).await;
    assert_problem(
        app.put(&target, &f.colleague, Some(1), &json!({})).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        app.get(&path(f.other_case_id, f.client_id), &f.manager)
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        app.get(&path(999_999, f.client_id), &f.manager).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(
        read(&app, &f).await,
        saved,
        "the refused save changed nothing"
    );

    let colleague = {
        let mut conn = app.pool.get().expect("connection");
        kim_store::users::find_by_username(&mut conn, crate::goals::COLLEAGUE)
            .expect("query")
            .expect("colleague")
            .id
    };
    let mut conn = app.pool.get().expect("connection");
    let events = kim_store::audit::list(
        &mut conn,
        &AuditFilter {
            actor_id: Some(colleague),
            object_type: Some("clearing_record".into()),
            ..AuditFilter::default()
        },
        PageRequest::parse(Some(200), None).expect("page"),
    )
    .expect("audit")
    .items;
    let denied: Vec<(String, Option<String>)> = events
        .into_iter()
        .map(|e| (e.action, e.object_id))
        .collect();
    assert_eq!(
        denied,
        vec![(
            "clearing_record.read_denied".to_owned(),
            Some(f.case_id.to_string())
        )],
        "the refused read is recorded (the refused write is not a read)"
    );
}

async fn a_client_outside_the_case_has_no_clearing_record(app: TestApp) {
    let f = fixture(&app).await;
    let other_client = {
        let mut conn = app.pool.get().expect("connection");
        kim_store::cases::find(&mut conn, f.other_case_id)
            .expect("case")
            .data
            .lead_client_id
    };
    let target = path(f.case_id, other_client);
    assert_problem(app.get(&target, &f.manager).await, StatusCode::NOT_FOUND).await;
    assert_problem(
        app.put(&target, &f.manager, Some(0), &record()).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let mut conn = app.pool.get().expect("connection");
    assert_eq!(
        kim_store::clearing::find(&mut conn, f.case_id, other_client).expect("find"),
        None
    );
}

async fn the_coordinator_reads_but_does_not_change_clearing(app: TestApp) {
    let f = fixture(&app).await;
    let saved = save(&app, &f, 0, &record()).await;
    let token = app.token("cm_coordinator").await;
    let target = path(f.case_id, f.client_id);
    let response = app.get(&target, &token).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.json::<Value>().await.expect("json"), saved);
    assert_problem(
        app.put(&target, &token, Some(1), &json!({})).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_eq!(read(&app, &f).await, saved);
}

async fn clearing_saves_need_the_current_version(app: TestApp) {
    let f = fixture(&app).await;
    let target = path(f.case_id, f.client_id);
    assert_problem(
        app.put(&target, &f.manager, None, &record()).await,
        StatusCode::PRECONDITION_REQUIRED,
    )
    .await;
    assert_problem(
        app.put(&target, &f.manager, Some(1), &record()).await,
        StatusCode::PRECONDITION_FAILED,
    )
    .await;
    assert_eq!(read(&app, &f).await["version"], 0);
    save(&app, &f, 0, &record()).await;
    for stale in [0, 2] {
        assert_problem(
            app.put(&target, &f.manager, Some(stale), &json!({})).await,
            StatusCode::PRECONDITION_FAILED,
        )
        .await;
    }
    assert_eq!(read(&app, &f).await["version"], 1);
}

async fn every_clearing_access_is_audited(app: TestApp) {
    let f = fixture(&app).await;
    read(&app, &f).await;
    save(&app, &f, 0, &record()).await;
    save(&app, &f, 1, &record()).await;
    read(&app, &f).await;
    let coordinator = app.token("cm_coordinator").await;
    app.get(&path(f.case_id, f.client_id), &coordinator).await;
    let ours: Vec<String> = audit_actions(&app, &f.reference)
        .into_iter()
        .filter(|a| a.starts_with("clearing_record."))
        .collect();
    assert_eq!(
        ours,
        vec![
            "clearing_record.read",
            "clearing_record.create",
            "clearing_record.update",
            "clearing_record.read",
            "clearing_record.read",
        ]
    );
    assert!(audit_actions(&app, &f.other_reference).is_empty());
}

async fn clearing_is_exported_and_erased_with_the_client(app: TestApp) {
    let f = fixture(&app).await;
    save(&app, &f, 0, &record()).await;
    let dpo = app.token("data_protection_officer").await;
    let export: Value = app
        .get(&format!("/api/v1/clients/{}/export", f.client_id), &dpo)
        .await
        .json()
        .await
        .expect("json");
    let clearing = &export["cases"][0]["clearing"];
    assert_eq!(clearing.as_array().map(Vec::len), Some(1), "{export}");
    assert_eq!(
        clearing[0]["work_experience"][0]["field"],
        "Elektroinstallation"
    );

    let version = {
        let mut conn = app.pool.get().expect("connection");
        i64::from(
            kim_store::clients::find(&mut conn, f.client_id)
                .expect("client")
                .version,
        )
    };
    let response = app
        .send(
            Method::POST,
            &format!("/api/v1/clients/{}/erasure", f.client_id),
            Some(&dpo),
            Some(version),
            Some(&json!({"reason": "Request of the data subject of 2026-11-20"})),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let after = read(&app, &f).await;
    let text = after.to_string();
    for secret in ["Elektroniker", "Elektroinstallation", "\"ar\""] {
        assert!(!text.contains(secret), "{secret} survived: {text}");
    }
    assert_eq!(after["vocational_qualifications"][0]["title"], "[erased]");
    assert_eq!(
        after["vocational_qualifications"][0]["recognition"],
        "started"
    );
    assert_eq!(
        after["languages"][1],
        json!({"language": "und", "level": "b1"})
    );
    assert_eq!(after["version"], 2);
    // The erased record can still be saved back as it is shown.
    let mut body = after.clone();
    for key in [
        "case_id",
        "client_id",
        "version",
        "created_at",
        "updated_at",
    ] {
        body.as_object_mut().expect("object").remove(key);
    }
    save(&app, &f, 2, &body).await;
}

/// The programme report's `clearing` block (`KIM_REPORT_MIN_CELL=3`).
mod report {
    use super::*;
    use kim_tests::backend_tests_with;

    backend_tests_with!(&[("KIM_REPORT_MIN_CELL", "3")];
        the_programme_report_counts_clearing_records_protected,
    );

    async fn the_programme_report_counts_clearing_records_protected(app: TestApp) {
        let f = fixture(&app).await;
        {
            let mut conn = app.pool.get().expect("connection");
            let conn = &mut conn;
            let manager = kim_store::users::find_by_username(conn, "case_manager")
                .expect("query")
                .expect("manager");
            let siegburg = kim_store::municipalities::find_by_name(conn, "Siegburg")
                .expect("query")
                .expect("Siegburg")
                .id;
            let actor = Actor::system();
            for (i, recognition) in [
                RecognitionStatus::Started,
                RecognitionStatus::Started,
                RecognitionStatus::Started,
                RecognitionStatus::Recognised,
            ]
            .into_iter()
            .enumerate()
            {
                let (case_id, client_id, _) =
                    crate::goals::open_case(conn, manager.id, siegburg, manager.organisation_id);
                let data = Clearing {
                    languages: vec![Language {
                        language: "de".into(),
                        level: if i < 3 {
                            LanguageLevel::A2
                        } else {
                            LanguageLevel::B1
                        },
                    }],
                    vocational_qualifications: vec![Qualification {
                        title: "Pflege".into(),
                        recognition,
                    }],
                    ..Clearing::default()
                };
                kim_store::clearing::save(conn, &actor, case_id, client_id, 0, &data)
                    .expect("save");
            }
        }
        let year = chrono::Utc::now().date_naive().format("%Y").to_string();
        let ki_lead = app.token("ki_lead").await;
        let response = app
            .get(&format!("/api/v1/reports/programme?year={year}"), &ki_lead)
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let report: Value = response.json().await.expect("json");
        let clearing = &report["clearing"];
        assert_eq!(clearing["records"], 4, "{clearing}");
        assert_eq!(clearing["recognition"]["started"], 3);
        assert_eq!(clearing["recognition"]["recognised"], Value::Null, "1 < 3");
        assert_eq!(clearing["recognition"]["refused"], 0);
        assert_eq!(clearing["german_levels"]["a2"], 3);
        assert_eq!(clearing["german_levels"]["b1"], Value::Null);
        // A case manager's report counts their own cases only: the colleague has none.
        let colleague = app
            .get(
                &format!("/api/v1/reports/programme?year={year}"),
                &f.colleague,
            )
            .await;
        if colleague.status() == StatusCode::OK {
            let theirs: Value = colleague.json().await.expect("json");
            assert_eq!(theirs["clearing"]["records"], 0);
        }
        let csv = app
            .get(
                &format!("/api/v1/reports/programme?year={year}&format=csv"),
                &ki_lead,
            )
            .await
            .text()
            .await
            .expect("text");
        assert!(csv.contains("# clearing_recognition"), "{csv}");
    }
}
