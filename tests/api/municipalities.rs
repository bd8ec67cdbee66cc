//! Municipalities: the full CRUD cycle and every error a client can run into.

use kim_tests::{assert_problem, backend_tests, error_fields, Method, StatusCode, TestApp};
use serde_json::{json, Value};

backend_tests!(
    the_demo_county_has_nineteen_municipalities,
    create_get_update_delete,
    every_authenticated_caller_reads_only_writers_write,
    invalid_fields_are_all_listed,
    malformed_json_wrong_type_and_unknown_fields,
    body_over_the_limit_is_413,
    duplicates_are_409,
    if_match_is_required_and_checked,
    unknown_and_malformed_ids,
    paging_filters_and_sorting,
    a_municipality_served_by_an_organisation_cannot_be_deleted,
    a_text_filter_ignores_surrounding_blanks,
);

fn troisdorf_like(name: &str) -> Value {
    json!({
        "name": name, "kind": "town", "rhine_side": "right",
        "has_immigration_office": true, "has_youth_office": true, "has_integration_council": false,
        "social_area": "Nord", "population": 75000, "foreign_nationals_percent": 14.5
    })
}

async fn the_demo_county_has_nineteen_municipalities(app: TestApp) {
    let token = app.token("case_manager").await;
    let page: Value = app
        .get("/api/v1/municipalities?limit=200", &token)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(page["total"], 19);
    let left = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|m| m["rhine_side"] == "left")
        .count();
    assert_eq!(left, 6);
    let troisdorf = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|m| m["name"] == "Troisdorf")
        .expect("Troisdorf");
    assert_eq!(troisdorf["has_immigration_office"], true);
    assert_eq!(troisdorf["kind"], "town");
}

async fn create_get_update_delete(app: TestApp) {
    let token = app.token("coordinator").await;
    let created = app
        .post(
            "/api/v1/municipalities",
            &token,
            &troisdorf_like("Neustadt"),
        )
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    assert_eq!(created.headers()["etag"], "\"1\"");
    let location = created.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let body: Value = created.json().await.expect("json");
    assert_eq!(body["name"], "Neustadt");
    assert_eq!(body["foreign_nationals_percent"], 14.5);
    assert_eq!(body["version"], 1);
    assert!(
        body["created_at"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z')),
        "RFC 3339 UTC"
    );
    assert_eq!(location, format!("/api/v1/municipalities/{}", body["id"]));

    let fetched = app.get(&location, &token).await;
    assert_eq!(fetched.headers()["etag"], "\"1\"");
    let fetched: Value = fetched.json().await.expect("json");
    assert_eq!(fetched, body);

    let mut changed = troisdorf_like("Neustadt (Sieg)");
    changed["population"] = json!(80000);
    changed["social_area"] = Value::Null;
    let updated = app.put(&location, &token, Some(1), &changed).await;
    assert_eq!(updated.status(), StatusCode::OK);
    assert_eq!(updated.headers()["etag"], "\"2\"");
    let updated: Value = updated.json().await.expect("json");
    assert_eq!(updated["name"], "Neustadt (Sieg)");
    assert_eq!(updated["population"], 80000);
    assert_eq!(updated["social_area"], Value::Null);
    assert_eq!(updated["version"], 2);

    assert_eq!(
        app.delete(&location, &token, Some(2)).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_problem(app.get(&location, &token).await, StatusCode::NOT_FOUND).await;
}

async fn every_authenticated_caller_reads_only_writers_write(app: TestApp) {
    for role in [
        "case_manager",
        "analyst",
        "steering_member",
        "immigration_officer",
        "data_protection_officer",
    ] {
        let token = app.token(role).await;
        assert_eq!(
            app.get("/api/v1/municipalities", &token).await.status(),
            StatusCode::OK,
            "{role} reads"
        );
        let problem = assert_problem(
            app.post("/api/v1/municipalities", &token, &troisdorf_like("Neuort"))
                .await,
            StatusCode::FORBIDDEN,
        )
        .await;
        assert!(problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("write_reference_data")));
        assert_problem(
            app.put(
                "/api/v1/municipalities/1",
                &token,
                Some(1),
                &troisdorf_like("Alfter"),
            )
            .await,
            StatusCode::FORBIDDEN,
        )
        .await;
        // 403 comes before the missing If-Match.
        assert_problem(
            app.delete("/api/v1/municipalities/1", &token, None).await,
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    assert_problem(
        app.request(Method::GET, "/api/v1/municipalities/1", None)
            .send()
            .await
            .expect("send"),
        StatusCode::UNAUTHORIZED,
    )
    .await;
    let admin = app.token("admin").await;
    assert_eq!(
        app.post("/api/v1/municipalities", &admin, &troisdorf_like("Neuort"))
            .await
            .status(),
        StatusCode::CREATED
    );
}

async fn invalid_fields_are_all_listed(app: TestApp) {
    let token = app.token("coordinator").await;
    let body = json!({
        "name": "   ", "kind": "town", "rhine_side": "left",
        "population": -5, "foreign_nationals_percent": 100.5, "social_area": "x".repeat(201)
    });
    let problem = assert_problem(
        app.post("/api/v1/municipalities", &token, &body).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(
        error_fields(&problem),
        vec![
            "foreign_nationals_percent",
            "name",
            "population",
            "social_area"
        ]
    );
    assert_eq!(problem["instance"], "/api/v1/municipalities");
    assert!(problem["request_id"].is_string());
    // Nothing was stored.
    let page: Value = app
        .get("/api/v1/municipalities", &token)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(page["total"], 19);
}

async fn malformed_json_wrong_type_and_unknown_fields(app: TestApp) {
    let token = app.token("coordinator").await;
    let send = |body: &'static str, content_type: &'static str| {
        app.request(Method::POST, "/api/v1/municipalities", Some(&token))
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    assert_problem(
        send("{\"name\": \"X\",", "application/json")
            .await
            .expect("send"),
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_problem(
        send("not json", "application/json").await.expect("send"),
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_problem(
        send("{}", "text/plain").await.expect("send"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
    )
    .await;
    let missing = assert_problem(
        send(
            "{\"kind\": \"town\", \"rhine_side\": \"left\"}",
            "application/json",
        )
        .await
        .expect("send"),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&missing), vec!["name"]);
    let bad_enum = assert_problem(
        send(
            "{\"name\": \"X\", \"kind\": \"village\", \"rhine_side\": \"left\"}",
            "application/json",
        )
        .await
        .expect("send"),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert!(
        bad_enum["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("municipality")),
        "names the accepted values: {bad_enum}"
    );
    let unknown = assert_problem(
        send(
            "{\"name\": \"X\", \"kind\": \"town\", \"rhine_side\": \"left\", \"mayor\": \"Y\"}",
            "application/json",
        )
        .await
        .expect("send"),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&unknown), vec!["mayor"]);
}

async fn body_over_the_limit_is_413(app: TestApp) {
    let token = app.token("coordinator").await;
    let mut body = troisdorf_like("Big");
    body["social_area"] = json!("x".repeat(100 * 1024));
    assert_problem(
        app.post("/api/v1/municipalities", &token, &body).await,
        StatusCode::PAYLOAD_TOO_LARGE,
    )
    .await;
}

async fn duplicates_are_409(app: TestApp) {
    let token = app.token("coordinator").await;
    let problem = assert_problem(
        app.post(
            "/api/v1/municipalities",
            &token,
            &troisdorf_like("Troisdorf"),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(problem["detail"]
        .as_str()
        .is_some_and(|d| d.contains("name")));
    // Renaming onto an existing name, too.
    let id = app.id_of("municipalities", "Alfter", &token).await;
    assert_problem(
        app.put(
            &format!("/api/v1/municipalities/{id}"),
            &token,
            Some(1),
            &troisdorf_like("Bornheim"),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
}

async fn if_match_is_required_and_checked(app: TestApp) {
    let token = app.token("coordinator").await;
    // A municipality of its own: every demo municipality is served by demo offers and so
    // cannot be deleted.
    let created = app
        .post(
            "/api/v1/municipalities",
            &token,
            &troisdorf_like("Musterdorf"),
        )
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let id = created.json::<Value>().await.expect("json")["id"].clone();
    let path = format!("/api/v1/municipalities/{id}");
    let body = json!({"name": "Musterdorf", "kind": "municipality", "rhine_side": "right", "population": 15000});
    assert_problem(
        app.put(&path, &token, None, &body).await,
        StatusCode::PRECONDITION_REQUIRED,
    )
    .await;
    let garbage = app
        .request(Method::PUT, &path, Some(&token))
        .header("If-Match", "yesterday")
        .json(&body)
        .send()
        .await
        .expect("send");
    assert_problem(garbage, StatusCode::BAD_REQUEST).await;
    assert_eq!(
        app.put(&path, &token, Some(1), &body).await.status(),
        StatusCode::OK
    );
    // A second editor still holding version 1 must not overwrite the first.
    let stale = assert_problem(
        app.put(&path, &token, Some(1), &body).await,
        StatusCode::PRECONDITION_FAILED,
    )
    .await;
    assert!(stale["detail"]
        .as_str()
        .is_some_and(|d| d.contains("version is 2")));
    assert_problem(
        app.delete(&path, &token, Some(1)).await,
        StatusCode::PRECONDITION_FAILED,
    )
    .await;
    assert_problem(
        app.delete(&path, &token, None).await,
        StatusCode::PRECONDITION_REQUIRED,
    )
    .await;
    // A weak tag never matches by strong comparison (RFC 9110 §13.1.1); the strong one does.
    let weak = app
        .request(Method::DELETE, &path, Some(&token))
        .header("If-Match", "W/\"2\"")
        .send()
        .await
        .expect("send");
    assert_problem(weak, StatusCode::PRECONDITION_FAILED).await;
    assert_eq!(
        app.delete(&path, &token, Some(2)).await.status(),
        StatusCode::NO_CONTENT
    );
}

async fn unknown_and_malformed_ids(app: TestApp) {
    let token = app.token("coordinator").await;
    assert_problem(
        app.get("/api/v1/municipalities/999999", &token).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        app.put(
            "/api/v1/municipalities/999999",
            &token,
            Some(1),
            &troisdorf_like("Nirgendwo"),
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        app.delete("/api/v1/municipalities/999999", &token, Some(1))
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        app.get("/api/v1/municipalities/abc", &token).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
}

async fn paging_filters_and_sorting(app: TestApp) {
    let token = app.token("analyst").await;
    let first: Value = app
        .get("/api/v1/municipalities?limit=5", &token)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(first["items"].as_array().map(Vec::len), Some(5));
    assert_eq!(
        (
            first["total"].as_i64(),
            first["limit"].as_i64(),
            first["next"].as_i64()
        ),
        (Some(19), Some(5), Some(5))
    );
    assert_eq!(first["items"][0]["name"], "Alfter", "ordered by name");
    // Walking the pages visits every municipality exactly once.
    let mut seen = Vec::new();
    let mut offset = Some(0);
    while let Some(o) = offset {
        let page: Value = app
            .get(
                &format!("/api/v1/municipalities?limit=5&offset={o}"),
                &token,
            )
            .await
            .json()
            .await
            .expect("json");
        seen.extend(
            page["items"]
                .as_array()
                .expect("items")
                .iter()
                .map(|m| m["name"].as_str().expect("name").to_owned()),
        );
        offset = page["next"].as_i64();
    }
    let mut unique = seen.clone();
    unique.dedup();
    assert_eq!((seen.len(), unique.len()), (19, 19));

    let last: Value = app
        .get("/api/v1/municipalities?limit=5&offset=15", &token)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(last["next"], Value::Null);
    let too_many = assert_problem(
        app.get("/api/v1/municipalities?limit=201", &token).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&too_many), vec!["limit"]);
    assert_problem(
        app.get("/api/v1/municipalities?limit=0", &token).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_problem(
        app.get("/api/v1/municipalities?offset=-1", &token).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_problem(
        app.get("/api/v1/municipalities?limit=ten", &token).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_problem(
        app.get("/api/v1/municipalities?kind=village", &token).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    let bad_sort = assert_problem(
        app.get("/api/v1/municipalities?sort=secret", &token).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&bad_sort), vec!["sort"]);

    let left: Value = app
        .get("/api/v1/municipalities?rhine_side=left&kind=town", &token)
        .await
        .json()
        .await
        .expect("json");
    let names: Vec<&str> = left["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|m| m["name"].as_str())
        .collect();
    assert_eq!(names, vec!["Bornheim", "Meckenheim", "Rheinbach"]);
    let search: Value = app
        .get("/api/v1/municipalities?q=SANKT", &token)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(search["items"][0]["name"], "Sankt Augustin");
    assert_eq!(search["total"], 1);
    let with_office: Value = app
        .get("/api/v1/municipalities?has_immigration_office=true", &token)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(with_office["total"], 1);
    let desc: Value = app
        .get("/api/v1/municipalities?sort=-name&limit=1", &token)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(desc["items"][0]["name"], "Windeck");
}

async fn a_municipality_served_by_an_organisation_cannot_be_deleted(app: TestApp) {
    let token = app.token("coordinator").await;
    let id = app.id_of("municipalities", "Troisdorf", &token).await;
    let problem = assert_problem(
        app.delete(&format!("/api/v1/municipalities/{id}"), &token, Some(1))
            .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(problem["detail"]
        .as_str()
        .is_some_and(|d| d.contains("organisation")));
    assert_eq!(
        app.get(&format!("/api/v1/municipalities/{id}"), &token)
            .await
            .status(),
        StatusCode::OK
    );
}

async fn a_text_filter_ignores_surrounding_blanks(app: TestApp) {
    let token = app.token("case_manager").await;
    let total = |query: &'static str| {
        let (app, token) = (&app, &token);
        async move {
            let page: Value = app
                .get(&format!("/api/v1/municipalities{query}"), token)
                .await
                .json()
                .await
                .expect("json");
            (page["total"].clone(), page["items"][0]["name"].clone())
        }
    };
    let sankt = total("?q=%20%20sankt%20").await;
    assert_eq!(sankt, (json!(1), json!("Sankt Augustin")));
    // A blank text filter is no filter, not a search for blanks.
    assert_eq!(total("?q=%20%20").await, total("").await);
    assert_eq!(total("?q=%20").await.0, json!(19));
    assert_eq!(total("?social_area=%20").await.0, json!(19));
}
