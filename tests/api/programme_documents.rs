//! Documents of the programme (issue 17 item 2): versions drafted, adopted by a decision of the
//! steering group and superseded by the next one; acknowledgements by case managers on their
//! work list; feedback from case managers, bodies and (anonymously) clients taken up by the
//! next version.

use kim_tests::{assert_problem, backend_tests, error_fields, Method, StatusCode, TestApp};
use serde_json::{json, Value};

backend_tests!(
    the_demo_documents_show_the_whole_cycle,
    draft_edit_adopt_and_supersede,
    adoption_only_by_an_adopted_decision_of_the_steering_group,
    acknowledgement_waits_on_the_work_list_until_given,
    feedback_from_case_managers_bodies_and_clients,
    bad_input_missing_auth_wrong_role_and_unknown_objects,
);

const DOCUMENTS: &str = "/api/v1/programme-documents";

async fn json_of(response: reqwest::Response, status: StatusCode) -> Value {
    let url = response.url().clone();
    let got = response.status();
    let body: Value = response.json().await.expect("json");
    assert_eq!(got, status, "{url}: {body}");
    body
}

fn id(value: &Value) -> i64 {
    value["id"].as_i64().expect("id")
}

async fn post_if_match(
    app: &TestApp,
    path: &str,
    token: &str,
    version: Option<i64>,
    body: &Value,
) -> reqwest::Response {
    let mut builder = app.request(Method::POST, path, Some(token)).json(body);
    if let Some(v) = version {
        builder = builder.header("If-Match", format!("\"{v}\""));
    }
    builder.send().await.expect("send")
}

async fn draft(app: &TestApp, token: &str, title: &str) -> Value {
    json_of(
        app.post(
            DOCUMENTS,
            token,
            &json!({"kind": "quality_standard", "title": title, "text": "Erstgespräch binnen 14 Tagen"}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await
}

/// A decision of a meeting of `body` (by name) with `outcome`, recorded by the KI lead: in
/// a meeting held already (`planned`: still to come), created when the body has none.
async fn decision_of(app: &TestApp, body: &str, outcome: &str, planned: bool) -> i64 {
    let ki_lead = app.token("ki_lead").await;
    let body_id = app.id_of("bodies", body, &ki_lead).await;
    let meetings = json_of(
        app.get(&format!("/api/v1/bodies/{body_id}/meetings"), &ki_lead)
            .await,
        StatusCode::OK,
    )
    .await;
    let today = chrono::Utc::now().date_naive().to_string();
    let found = meetings["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|m| {
            m["held_on"]
                .as_str()
                .is_some_and(|d| (d > today.as_str()) == planned)
        })
        .and_then(|m| m["id"].as_i64());
    let meeting = match found {
        Some(meeting) => meeting,
        None => id(&json_of(
            app.post(
                &format!("/api/v1/bodies/{body_id}/meetings"),
                &ki_lead,
                &json!({"held_on": if planned { "2099-01-02" } else { "2026-11-02" },
                        "title": "Sitzung"}),
            )
            .await,
            StatusCode::CREATED,
        )
        .await),
    };
    let decision = json_of(
        app.post(
            &format!("/api/v1/meetings/{meeting}/decisions"),
            &ki_lead,
            &json!({"text": "Die Qualitätsstandards werden beschlossen.", "outcome": outcome}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    id(&decision)
}

async fn steering_decision(app: &TestApp) -> i64 {
    decision_of(app, kim_api::seed::gaps::STEERING_GROUP, "adopted", false).await
}

async fn adopt(app: &TestApp, token: &str, document: &Value, decision: i64) -> Value {
    json_of(
        post_if_match(
            app,
            &format!("{DOCUMENTS}/{}/adopt", id(document)),
            token,
            document["version"].as_i64(),
            &json!({"decision_id": decision}),
        )
        .await,
        StatusCode::OK,
    )
    .await
}

async fn get_document(app: &TestApp, token: &str, document: i64) -> Value {
    json_of(
        app.get(&format!("{DOCUMENTS}/{document}"), token).await,
        StatusCode::OK,
    )
    .await
}

async fn document_tasks(app: &TestApp, token: &str) -> Vec<i64> {
    let tasks = json_of(
        app.get("/api/v1/me/tasks?limit=200", token).await,
        StatusCode::OK,
    )
    .await;
    tasks["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|t| t["kind"] == "document_to_acknowledge")
        .inspect(|t| assert_eq!(t["object_type"], "programme_document"))
        .filter_map(|t| t["object_id"].as_i64())
        .collect()
}

async fn the_demo_documents_show_the_whole_cycle(app: TestApp) {
    {
        let mut conn = app.pool.get().expect("connection");
        let created = kim_api::seed::programme_documents::demo(&mut conn).expect("demo");
        assert_eq!(created, 5);
        // Idempotent.
        assert_eq!(
            kim_api::seed::programme_documents::demo(&mut conn).expect("demo"),
            0
        );
    }
    let token = app.token("cm_coordinator").await;
    let concepts = json_of(
        app.get(&format!("{DOCUMENTS}?kind=cm_concept"), &token)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(concepts["total"], 2);
    let adopted = &concepts["items"][0];
    assert_eq!(
        (
            adopted["title"].as_str(),
            adopted["status"].as_str(),
            adopted["document_version"].as_i64()
        ),
        (
            Some(kim_api::seed::programme_documents::CM_CONCEPT),
            Some("adopted"),
            Some(1)
        )
    );
    assert!(adopted["decision_id"].is_i64() && adopted["adopted_at"].is_string());
    let next = &concepts["items"][1];
    assert_eq!(next["status"], "draft");
    assert_eq!(next["document_version"], 2);
    assert_eq!(next["predecessor_id"], adopted["id"]);
    assert_eq!(next["document_id"], adopted["id"]);
    assert_eq!(next["feedback_ids"].as_array().map(Vec::len), Some(2));

    let drafts = json_of(
        app.get(
            &format!("{DOCUMENTS}?status=draft&kind=quality_standard"),
            &token,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(drafts["total"], 1);
    assert_eq!(
        drafts["items"][0]["title"],
        kim_api::seed::programme_documents::QUALITY_STANDARDS
    );
    let templates = json_of(
        app.get(&format!("{DOCUMENTS}?kind=template&status=adopted"), &token)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(templates["total"], 1);
    assert!(templates["items"][0]["attachment_url"]
        .as_str()
        .is_some_and(|u| u.starts_with("https://")));

    let feedback = json_of(
        app.get(&format!("{DOCUMENTS}/{}/feedback", id(adopted)), &token)
            .await,
        StatusCode::OK,
    )
    .await;
    let sources: Vec<&str> = feedback["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|f| f["source"].as_str())
        .collect();
    assert_eq!(sources, vec!["case_manager", "body", "client"]);
    let client = &feedback["items"][2];
    assert!(client["body_id"].is_null() && client["recorded_by"].is_i64());
    let keys: Vec<&String> = client.as_object().expect("object").keys().collect();
    assert!(
        !keys
            .iter()
            .any(|k| k.contains("client") || k.contains("name")),
        "anonymous: {keys:?}"
    );
    let bodies = json_of(
        app.get(
            &format!("{DOCUMENTS}/{}/feedback?source=body", id(adopted)),
            &token,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(bodies["total"], 1);
    assert!(bodies["items"][0]["body_id"].is_i64());

    // The two adopted versions wait on the demo case manager's list.
    let case_manager = app.token("case_manager").await;
    assert_eq!(document_tasks(&app, &case_manager).await.len(), 2);
}

async fn draft_edit_adopt_and_supersede(app: TestApp) {
    let token = app.token("ki_lead").await;
    let created = app
        .post(
            DOCUMENTS,
            &token,
            &json!({"kind": "integration_concept", "title": "Integrationskonzept",
                    "attachment_url": "https://www.rhein-sieg-kreis.example/integrationskonzept.pdf"}),
        )
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    assert_eq!(created.headers()["etag"], "\"1\"");
    let location = created.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let first: Value = created.json().await.expect("json");
    assert_eq!(
        (first["status"].as_str(), first["document_version"].as_i64()),
        (Some("draft"), Some(1))
    );
    assert_eq!(first["document_id"], first["id"]);
    assert!(location.ends_with(&format!("/programme-documents/{}", id(&first))));

    let edit = json!({"title": "Integrationskonzept des Rhein-Sieg-Kreises",
                      "text": "Leitlinien", "attachment_url": null});
    assert_problem(
        app.put(&location, &token, None, &edit).await,
        StatusCode::PRECONDITION_REQUIRED,
    )
    .await;
    assert_problem(
        app.put(&location, &token, Some(7), &edit).await,
        StatusCode::PRECONDITION_FAILED,
    )
    .await;
    let edited = json_of(
        app.put(&location, &token, Some(1), &edit).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (edited["version"].as_i64(), edited["text"].as_str()),
        (Some(2), Some("Leitlinien"))
    );
    assert!(edited["attachment_url"].is_null());

    let decision = steering_decision(&app).await;
    let adopt_path = format!("{location}/adopt");
    assert_problem(
        post_if_match(
            &app,
            &adopt_path,
            &token,
            None,
            &json!({"decision_id": decision}),
        )
        .await,
        StatusCode::PRECONDITION_REQUIRED,
    )
    .await;
    assert_problem(
        post_if_match(
            &app,
            &adopt_path,
            &token,
            Some(1),
            &json!({"decision_id": decision}),
        )
        .await,
        StatusCode::PRECONDITION_FAILED,
    )
    .await;
    let adopted = adopt(&app, &token, &edited, decision).await;
    assert_eq!(
        (
            adopted["status"].as_str(),
            adopted["decision_id"].as_i64(),
            adopted["version"].as_i64()
        ),
        (Some("adopted"), Some(decision), Some(3))
    );

    // An adopted version is not edited, not adopted twice.
    let refused = assert_problem(
        app.put(&location, &token, Some(3), &edit).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(refused["type"]
        .as_str()
        .is_some_and(|t| t.ends_with("/document-status")));
    let twice = assert_problem(
        post_if_match(
            &app,
            &adopt_path,
            &token,
            Some(3),
            &json!({"decision_id": decision}),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(twice["detail"]
        .as_str()
        .is_some_and(|d| d.contains("'adopted'")));

    // The next version: a draft copying what it does not change.
    let versions = format!("{location}/versions");
    let second = json_of(
        app.post(&versions, &token, &json!({"text": "Leitlinien, Fassung 2"}))
            .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(
        (
            second["status"].as_str(),
            second["document_version"].as_i64(),
            second["predecessor_id"].as_i64(),
            second["document_id"].as_i64(),
            second["title"].as_str(),
            second["kind"].as_str()
        ),
        (
            Some("draft"),
            Some(2),
            Some(id(&first)),
            Some(id(&first)),
            Some("Integrationskonzept des Rhein-Sieg-Kreises"),
            Some("integration_concept")
        )
    );
    // One draft at a time; never from a draft.
    assert_problem(
        app.post(&versions, &token, &json!({})).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_problem(
        app.post(
            &format!("{DOCUMENTS}/{}/versions", id(&second)),
            &token,
            &json!({}),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;

    // Adopting the second supersedes the first, in one step.
    let decision = steering_decision(&app).await;
    let second = adopt(&app, &token, &second, decision).await;
    assert_eq!(second["status"], "adopted");
    let old = get_document(&app, &token, id(&first)).await;
    assert_eq!(old["status"], "superseded");
    assert!(old["superseded_at"].is_string());
    assert_eq!(old["version"], 4);
    let listed = json_of(
        app.get(&format!("{DOCUMENTS}?document_id={}", id(&first)), &token)
            .await,
        StatusCode::OK,
    )
    .await;
    let statuses: Vec<&str> = listed["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|d| d["status"].as_str())
        .collect();
    assert_eq!(statuses, vec!["superseded", "adopted"]);
    // A superseded version takes no more steps and no feedback; the next comes from the
    // adopted one.
    assert_problem(
        app.post(
            &format!("{DOCUMENTS}/{}/versions", id(&first)),
            &token,
            &json!({}),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_problem(
        app.post(
            &format!("{DOCUMENTS}/{}/feedback", id(&first)),
            &token,
            &json!({"source": "client", "text": "Zu lang"}),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
}

async fn adoption_only_by_an_adopted_decision_of_the_steering_group(app: TestApp) {
    let token = app.token("cm_coordinator").await;
    let document = draft(&app, &token, "Qualitätsstandards").await;
    let path = format!("{DOCUMENTS}/{}/adopt", id(&document));
    let steering = kim_api::seed::gaps::STEERING_GROUP;
    let working_group = decision_of(&app, "Arbeitskreis Integration", "adopted", false).await;
    let deferred = decision_of(&app, steering, "deferred", false).await;
    let rejected = decision_of(&app, steering, "rejected", false).await;
    let planned = decision_of(&app, steering, "adopted", true).await;
    for (decision, kind, says) in [
        (working_group, "rule", "'working_group'"),
        (deferred, "rule", "'deferred'"),
        (rejected, "rule", "'rejected'"),
        (planned, "rule", "planned for"),
        (999_999, "reference", "999999"),
    ] {
        let refused = assert_problem(
            post_if_match(
                &app,
                &path,
                &token,
                Some(1),
                &json!({"decision_id": decision}),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(error_fields(&refused), vec!["decision_id"]);
        assert_eq!(refused["errors"][0]["kind"], kind);
        assert!(
            refused["errors"][0]["message"]
                .as_str()
                .is_some_and(|m| m.contains(says)),
            "{refused}"
        );
    }
    // Nothing changed.
    let unchanged = get_document(&app, &token, id(&document)).await;
    assert_eq!(
        (
            unchanged["status"].as_str(),
            unchanged["version"].as_i64(),
            unchanged["decision_id"].is_null()
        ),
        (Some("draft"), Some(1), true)
    );
    // Recording the steering group's adoption is the document owners' step.
    let decision = steering_decision(&app).await;
    for role in ["steering_member", "coordinator", "case_manager"] {
        let other = app.token(role).await;
        assert_problem(
            post_if_match(
                &app,
                &path,
                &other,
                Some(1),
                &json!({"decision_id": decision}),
            )
            .await,
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    let adopted = adopt(&app, &token, &document, decision).await;
    assert_eq!(adopted["status"], "adopted");
}

async fn acknowledgement_waits_on_the_work_list_until_given(app: TestApp) {
    let lead = app.token("ki_lead").await;
    let case_manager = app.token("case_manager").await;
    app.add_user("cm.second", kim_domain::Role::CaseManager);
    let second = app.token_of("cm.second").await;
    assert!(document_tasks(&app, &case_manager).await.is_empty());

    let document = draft(&app, &lead, "Qualitätsstandards CM").await;
    let path = format!("{DOCUMENTS}/{}/acknowledgements", id(&document));
    // A draft is not acknowledged, and waits on no list.
    assert_problem(
        app.post(&path, &case_manager, &json!({})).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(document_tasks(&app, &case_manager).await.is_empty());

    let decision = steering_decision(&app).await;
    adopt(&app, &lead, &document, decision).await;
    assert_eq!(
        document_tasks(&app, &case_manager).await,
        vec![id(&document)]
    );
    assert_eq!(document_tasks(&app, &second).await, vec![id(&document)]);
    let tasks = json_of(
        app.get("/api/v1/me/tasks?limit=200", &case_manager).await,
        StatusCode::OK,
    )
    .await;
    let task = tasks["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|t| t["kind"] == "document_to_acknowledge")
        .expect("task");
    assert!(task["title"]
        .as_str()
        .is_some_and(|t| t.contains("Qualitätsstandards CM")));
    assert!(task["due_on"].is_string() && task["case_id"].is_null());

    // Only case managers acknowledge.
    for role in ["cm_coordinator", "steering_member", "ki_lead"] {
        let other = app.token(role).await;
        assert_problem(
            app.post(&path, &other, &json!({})).await,
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    let acknowledged = json_of(
        app.post(&path, &case_manager, &json!({})).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(acknowledged["document_id"], id(&document));
    let again = json_of(
        app.post(&path, &case_manager, &json!({})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(again["acknowledged_at"], acknowledged["acknowledged_at"]);
    assert!(document_tasks(&app, &case_manager).await.is_empty());
    // The other case manager still owes it.
    assert_eq!(document_tasks(&app, &second).await, vec![id(&document)]);

    // The coordination sees who acknowledged; a case manager only themself.
    let all = json_of(
        app.get(&path, &app.token("cm_coordinator").await).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(all["total"], 1);
    assert_eq!(all["items"][0]["user_id"], acknowledged["user_id"]);
    assert!(all["items"][0]["display_name"].is_string());
    json_of(
        app.post(&path, &second, &json!({})).await,
        StatusCode::CREATED,
    )
    .await;
    let mine = json_of(app.get(&path, &second).await, StatusCode::OK).await;
    assert_eq!(mine["total"], 1);
    assert_ne!(mine["items"][0]["user_id"], acknowledged["user_id"]);
    let all = json_of(app.get(&path, &lead).await, StatusCode::OK).await;
    assert_eq!(all["total"], 2);
    for role in ["steering_member", "analyst", "coordinator"] {
        assert_problem(
            app.get(&path, &app.token(role).await).await,
            StatusCode::FORBIDDEN,
        )
        .await;
    }

    // The next adopted version waits again; the superseded one no longer does.
    let next = json_of(
        app.post(
            &format!("{DOCUMENTS}/{}/versions", id(&document)),
            &lead,
            &json!({"title": "Qualitätsstandards CM, Fassung 2"}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let decision = steering_decision(&app).await;
    adopt(&app, &lead, &next, decision).await;
    assert_eq!(document_tasks(&app, &case_manager).await, vec![id(&next)]);
    assert_problem(
        app.post(&path, &second, &json!({})).await,
        StatusCode::CONFLICT,
    )
    .await;
}

async fn feedback_from_case_managers_bodies_and_clients(app: TestApp) {
    let lead = app.token("ki_lead").await;
    let case_manager = app.token("case_manager").await;
    let coordinator = app.token("coordinator").await;
    let document = draft(&app, &lead, "Qualitätsstandards").await;
    let path = format!("{DOCUMENTS}/{}/feedback", id(&document));
    let arbeitskreis = app.id_of("bodies", "Arbeitskreis Integration", &lead).await;

    let own = json_of(
        app.post(
            &path,
            &case_manager,
            &json!({"source": "case_manager", "text": "  Frist zu kurz  ", "received_on": "2026-11-20"}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(
        (own["text"].as_str(), own["received_on"].as_str()),
        (Some("Frist zu kurz"), Some("2026-11-20"))
    );
    assert!(own["recorded_by"].is_i64());
    let body = json_of(
        app.post(
            &path,
            &coordinator,
            &json!({"source": "body", "body_id": arbeitskreis, "text": "Leichte Sprache"}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(body["body_id"], arbeitskreis);
    assert!(body["received_on"].is_string());
    let client = json_of(
        app.post(
            &path,
            &app.token("cm_coordinator").await,
            &json!({"source": "client", "text": "Termine am Nachmittag"}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert!(client["body_id"].is_null());

    // Who enters what.
    for (token, source) in [
        (&case_manager, "client"),
        (&case_manager, "body"),
        (&coordinator, "case_manager"),
    ] {
        let body_id = (source == "body").then_some(arbeitskreis);
        assert_problem(
            app.post(
                &path,
                token,
                &json!({"source": source, "body_id": body_id, "text": "X"}),
            )
            .await,
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    for role in ["steering_member", "analyst", "project_group_member"] {
        assert_problem(
            app.post(
                &path,
                &app.token(role).await,
                &json!({"source": "client", "text": "X"}),
            )
            .await,
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    // Fields that do not fit.
    for (body, field, kind) in [
        (json!({"source": "body", "text": "X"}), "body_id", "rule"),
        (
            json!({"source": "client", "body_id": arbeitskreis, "text": "X"}),
            "body_id",
            "rule",
        ),
        (
            json!({"source": "body", "body_id": 999_999, "text": "X"}),
            "body_id",
            "reference",
        ),
        (
            json!({"source": "client", "text": "X", "received_on": "2999-01-01"}),
            "received_on",
            "rule",
        ),
        (json!({"source": "client", "text": "   "}), "text", "schema"),
    ] {
        let refused = assert_problem(
            app.post(&path, &coordinator, &body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(error_fields(&refused), vec![field], "{body}");
        assert_eq!(refused["errors"][0]["kind"], kind, "{body}");
    }

    // The owners list it; others may not.
    let listed = json_of(app.get(&path, &lead).await, StatusCode::OK).await;
    assert_eq!(listed["total"], 3);
    let clients = json_of(
        app.get(&format!("{path}?source=client"), &lead).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(clients["total"], 1);
    for role in ["case_manager", "coordinator", "steering_member"] {
        assert_problem(
            app.get(&path, &app.token(role).await).await,
            StatusCode::FORBIDDEN,
        )
        .await;
    }

    // The draft takes up feedback; feedback on another document cannot be named.
    let other = draft(&app, &lead, "Vorlage Erstgespräch").await;
    let foreign = json_of(
        app.post(
            &format!("{DOCUMENTS}/{}/feedback", id(&other)),
            &coordinator,
            &json!({"source": "client", "text": "Zu lang"}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let location = format!("{DOCUMENTS}/{}", id(&document));
    let refused = assert_problem(
        app.put(
            &location,
            &lead,
            Some(1),
            &json!({"title": "Qualitätsstandards", "text": "neu", "feedback_ids": [id(&foreign)]}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(refused["errors"][0]["kind"], "reference");
    let taken = json_of(
        app.put(
            &location,
            &lead,
            Some(1),
            &json!({"title": "Qualitätsstandards", "text": "neu",
                    "feedback_ids": [id(&client), id(&body), id(&client)]}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(taken["feedback_ids"], json!([id(&body), id(&client)]));

    // After adoption, the next version names the feedback it took up.
    let decision = steering_decision(&app).await;
    adopt(&app, &lead, &taken, decision).await;
    let next = json_of(
        app.post(
            &format!("{location}/versions"),
            &lead,
            &json!({"feedback_ids": [id(&own)]}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(next["feedback_ids"], json!([id(&own)]));
    assert_eq!(next["text"], "neu");
}

async fn bad_input_missing_auth_wrong_role_and_unknown_objects(app: TestApp) {
    let token = app.token("cm_coordinator").await;
    let document = draft(&app, &token, "Qualitätsstandards").await;
    let before = json_of(app.get(DOCUMENTS, &token).await, StatusCode::OK).await;
    let location = format!("{DOCUMENTS}/{}", id(&document));

    for (body, field, kind) in [
        (
            json!({"kind": "template", "title": "Vorlage"}),
            "text",
            "rule",
        ),
        (
            json!({"kind": "template", "title": "Vorlage", "text": "  "}),
            "text",
            "rule",
        ),
        (
            json!({"kind": "template", "title": " ", "text": "x"}),
            "title",
            "schema",
        ),
        (
            json!({"kind": "template", "title": "Vorlage", "attachment_url": "http://example.org/a.pdf"}),
            "attachment_url",
            "schema",
        ),
        (
            json!({"kind": "template", "title": "x".repeat(201), "text": "x"}),
            "title",
            "schema",
        ),
    ] {
        let refused = assert_problem(
            app.post(DOCUMENTS, &token, &body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(error_fields(&refused), vec![field], "{body}");
        assert_eq!(refused["errors"][0]["kind"], kind, "{body}");
    }
    let unknown_kind = assert_problem(
        app.post(
            DOCUMENTS,
            &token,
            &json!({"kind": "manual", "title": "X", "text": "x"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert!(unknown_kind["errors"][0]["message"]
        .as_str()
        .is_some_and(|m| m.contains("manual")));
    assert_problem(
        app.get(&format!("{DOCUMENTS}?status=final"), &token).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    let bad_edit = assert_problem(
        app.put(&location, &token, Some(1), &json!({"title": "X"}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&bad_edit), vec!["text"]);

    // Unknown objects.
    let missing = format!("{DOCUMENTS}/999999");
    assert_problem(app.get(&missing, &token).await, StatusCode::NOT_FOUND).await;
    assert_problem(
        app.put(
            &missing,
            &token,
            Some(1),
            &json!({"title": "X", "text": "x"}),
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let decision = steering_decision(&app).await;
    assert_problem(
        post_if_match(
            &app,
            &format!("{missing}/adopt"),
            &token,
            Some(1),
            &json!({"decision_id": decision}),
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    for (sub, body) in [
        ("versions", json!({})),
        ("feedback", json!({"source": "client", "text": "x"})),
    ] {
        assert_problem(
            app.post(&format!("{missing}/{sub}"), &token, &body).await,
            StatusCode::NOT_FOUND,
        )
        .await;
    }
    for sub in ["acknowledgements", "feedback"] {
        assert_problem(
            app.get(&format!("{missing}/{sub}"), &token).await,
            StatusCode::NOT_FOUND,
        )
        .await;
    }
    assert_problem(
        app.post(
            &format!("{missing}/acknowledgements"),
            &app.token("case_manager").await,
            &json!({}),
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;

    // Wrong roles.
    let valid = json!({"kind": "template", "title": "Vorlage", "text": "x"});
    for role in [
        "admin",
        "analyst",
        "coordinator",
        "steering_member",
        "case_manager",
    ] {
        let other = app.token(role).await;
        assert_problem(
            app.post(DOCUMENTS, &other, &valid).await,
            StatusCode::FORBIDDEN,
        )
        .await;
        assert_problem(
            app.put(
                &location,
                &other,
                Some(1),
                &json!({"title": "X", "text": "x"}),
            )
            .await,
            StatusCode::FORBIDDEN,
        )
        .await;
        assert_problem(
            app.post(&format!("{location}/versions"), &other, &json!({}))
                .await,
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    for role in [
        "admin",
        "analyst",
        "immigration_officer",
        "data_protection_officer",
    ] {
        let other = app.token(role).await;
        assert_problem(app.get(DOCUMENTS, &other).await, StatusCode::FORBIDDEN).await;
        assert_problem(app.get(&location, &other).await, StatusCode::FORBIDDEN).await;
    }
    for role in ["case_manager", "steering_member", "project_group_member"] {
        let reader = app.token(role).await;
        json_of(app.get(&location, &reader).await, StatusCode::OK).await;
    }

    // No token.
    for (method, path) in [
        (Method::GET, DOCUMENTS.to_owned()),
        (Method::POST, DOCUMENTS.to_owned()),
        (Method::GET, location.clone()),
        (Method::PUT, location.clone()),
        (Method::POST, format!("{location}/adopt")),
        (Method::POST, format!("{location}/versions")),
        (Method::POST, format!("{location}/acknowledgements")),
        (Method::GET, format!("{location}/acknowledgements")),
        (Method::POST, format!("{location}/feedback")),
        (Method::GET, format!("{location}/feedback")),
    ] {
        assert_problem(
            app.request(method, &path, None)
                .header("If-Match", "\"1\"")
                .json(&valid)
                .send()
                .await
                .expect("send"),
            StatusCode::UNAUTHORIZED,
        )
        .await;
    }

    // Nothing the refusals touched changed.
    let after = json_of(app.get(DOCUMENTS, &token).await, StatusCode::OK).await;
    assert_eq!(after["total"], before["total"]);
    let unchanged = get_document(&app, &token, id(&document)).await;
    assert_eq!(unchanged, document);
    let feedback = json_of(
        app.get(&format!("{location}/feedback"), &token).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(feedback["total"], 0);
}
