//! Organisations (Akteure) with their legal domains and municipalities.

use kim_tests::{assert_problem, backend_tests, error_fields, StatusCode, TestApp};
use serde_json::{json, Value};

backend_tests!(
    create_with_sets_then_replace_them,
    filters_by_kind_legal_domain_municipality_and_active,
    invalid_fields_and_unknown_municipalities_are_422,
    only_admin_and_coordinator_write,
    an_organisation_with_members_cannot_be_deleted_but_can_be_deactivated,
    stale_and_missing_if_match,
);

async fn create_with_sets_then_replace_them(app: TestApp) {
    let token = app.token("coordinator").await;
    let siegburg = app.id_of("municipalities", "Siegburg", &token).await;
    let lohmar = app.id_of("municipalities", "Lohmar", &token).await;
    let body = json!({
        "name": "Integrationsagentur Siegburg", "kind": "welfare_organisation",
        "legal_domains": ["sgb_xii", "sgb_ii", "sgb_xii"], "municipality_ids": [lohmar, siegburg],
        "email": "info@ia-siegburg.example", "website": "https://ia-siegburg.example"
    });
    let created = app.post("/api/v1/organisations", &token, &body).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let created: Value = created.json().await.expect("json");
    assert_eq!(
        created["legal_domains"],
        json!(["sgb_ii", "sgb_xii"]),
        "sorted, without duplicates"
    );
    let mut expected_ids = vec![siegburg, lohmar];
    expected_ids.sort();
    assert_eq!(created["municipality_ids"], json!(expected_ids));
    assert_eq!(created["active"], true);

    let path = format!("/api/v1/organisations/{}", created["id"]);
    let replacement = json!({"name": "Integrationsagentur Siegburg", "kind": "migration_counselling", "legal_domains": ["aufenthg"], "municipality_ids": []});
    let updated: Value = app
        .put(&path, &token, Some(1), &replacement)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(updated["kind"], "migration_counselling");
    assert_eq!(updated["legal_domains"], json!(["aufenthg"]));
    assert_eq!(updated["municipality_ids"], json!([]));
    assert_eq!(updated["email"], Value::Null);
    assert_eq!(updated["version"], 2);
    assert_eq!(
        app.delete(&path, &token, Some(2)).await.status(),
        StatusCode::NO_CONTENT
    );
}

async fn filters_by_kind_legal_domain_municipality_and_active(app: TestApp) {
    let token = app.token("case_manager").await;
    let all: Value = app
        .get("/api/v1/organisations?limit=200", &token)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(all["total"], 18);
    let names = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter_map(|o| o["name"].as_str().map(String::from))
            .collect()
    };
    let jobcenters: Value = app
        .get("/api/v1/organisations?kind=jobcenter", &token)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(names(&jobcenters), vec!["Jobcenter Rhein-Sieg"]);
    let sgb_ii: Value = app
        .get("/api/v1/organisations?legal_domain=sgb_ii", &token)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(names(&sgb_ii), vec!["Jobcenter Rhein-Sieg"]);
    let troisdorf = app.id_of("municipalities", "Troisdorf", &token).await;
    let local: Value = app
        .get(
            &format!("/api/v1/organisations?municipality_id={troisdorf}"),
            &token,
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        names(&local),
        vec![
            "Ausländerbehörde Stadt Troisdorf",
            "Jugendamt Stadt Troisdorf",
            "Stadt Troisdorf"
        ]
    );
    let search: Value = app
        .get("/api/v1/organisations?q=caritas", &token)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(names(&search), vec!["Caritasverband Rhein-Sieg"]);
    let inactive: Value = app
        .get("/api/v1/organisations?active=false", &token)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(inactive["total"], 0);
    let by_kind: Value = app
        .get("/api/v1/organisations?sort=-kind&limit=1", &token)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(by_kind["items"][0]["kind"], "welfare_organisation");
    assert_problem(
        app.get("/api/v1/organisations?legal_domain=sgb_ix", &token)
            .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
}

async fn invalid_fields_and_unknown_municipalities_are_422(app: TestApp) {
    let token = app.token("coordinator").await;
    let body = json!({"name": "", "kind": "other", "email": "not-an-address", "website": "no url", "phone": "1".repeat(51)});
    let problem = assert_problem(
        app.post("/api/v1/organisations", &token, &body).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(
        error_fields(&problem),
        vec!["email", "name", "phone", "website"]
    );
    let body = json!({"name": "Irgendwo e.V.", "kind": "other", "municipality_ids": [424242]});
    let problem = assert_problem(
        app.post("/api/v1/organisations", &token, &body).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["municipality_ids"]);
    let listed: Value = app
        .get("/api/v1/organisations?q=irgendwo", &token)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(listed["total"], 0, "nothing half-written");
    let duplicate = json!({"name": "Jobcenter Rhein-Sieg", "kind": "jobcenter"});
    assert_problem(
        app.post("/api/v1/organisations", &token, &duplicate).await,
        StatusCode::CONFLICT,
    )
    .await;
}

async fn only_admin_and_coordinator_write(app: TestApp) {
    let body = json!({"name": "Neuer Verein", "kind": "volunteer_initiative"});
    for role in [
        "ki_lead",
        "cm_coordinator",
        "case_manager",
        "project_group_member",
        "analyst",
    ] {
        let token = app.token(role).await;
        assert_problem(
            app.post("/api/v1/organisations", &token, &body).await,
            StatusCode::FORBIDDEN,
        )
        .await;
        assert_eq!(
            app.get("/api/v1/organisations/1", &token).await.status(),
            StatusCode::OK
        );
    }
    let admin = app.token("admin").await;
    assert_eq!(
        app.post("/api/v1/organisations", &admin, &body)
            .await
            .status(),
        StatusCode::CREATED
    );
}

async fn an_organisation_with_members_cannot_be_deleted_but_can_be_deactivated(app: TestApp) {
    let token = app.token("coordinator").await;
    let ki = app.id_of("organisations", kim_api::seed::KI, &token).await;
    let path = format!("/api/v1/organisations/{ki}");
    let problem = assert_problem(
        app.delete(&path, &token, Some(1)).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(problem["detail"]
        .as_str()
        .is_some_and(|d| d.contains("deactivate")));
    let current: Value = app.get(&path, &token).await.json().await.expect("json");
    let mut body = json!({"name": current["name"], "kind": current["kind"], "legal_domains": current["legal_domains"], "municipality_ids": current["municipality_ids"]});
    body["active"] = json!(false);
    let updated: Value = app
        .put(&path, &token, Some(1), &body)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(updated["active"], false);
}

async fn stale_and_missing_if_match(app: TestApp) {
    let token = app.token("coordinator").await;
    let body =
        json!({"name": "Jobcenter Rhein-Sieg", "kind": "jobcenter", "legal_domains": ["sgb_ii"]});
    let id = app
        .id_of("organisations", "Jobcenter Rhein-Sieg", &token)
        .await;
    let path = format!("/api/v1/organisations/{id}");
    assert_problem(
        app.put(&path, &token, None, &body).await,
        StatusCode::PRECONDITION_REQUIRED,
    )
    .await;
    assert_problem(
        app.put(&path, &token, Some(7), &body).await,
        StatusCode::PRECONDITION_FAILED,
    )
    .await;
    assert_problem(
        app.get("/api/v1/organisations/0", &token).await,
        StatusCode::NOT_FOUND,
    )
    .await;
}
