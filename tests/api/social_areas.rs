//! Social areas (issue 17 item 6): areas covering municipalities or named parts of them, a
//! place in one area at most, with the positions serving each.

use kim_tests::{assert_problem, backend_tests, error_fields, Method, StatusCode, TestApp};
use serde_json::{json, Value};

backend_tests!(
    the_demo_areas_and_the_coordination_keeps_areas,
    refused_requests_change_nothing,
);

async fn json_of(response: reqwest::Response, status: StatusCode) -> Value {
    assert_eq!(response.status(), status, "{}", response.url());
    response.json().await.expect("json")
}

async fn areas(app: &TestApp) -> Value {
    let token = app.token("case_manager").await;
    json_of(
        app.get("/api/v1/social-areas", &token).await,
        StatusCode::OK,
    )
    .await
}

async fn municipality(app: &TestApp, name: &str) -> i64 {
    let token = app.token("coordinator").await;
    app.id_of("municipalities", name, &token).await
}

async fn a_position(app: &TestApp) -> i64 {
    let token = app.token("coordinator").await;
    let page = json_of(app.get("/api/v1/positions", &token).await, StatusCode::OK).await;
    page["items"][0]["id"].as_i64().expect("a demo position")
}

async fn the_demo_areas_and_the_coordination_keeps_areas(app: TestApp) {
    assert_eq!(
        areas(&app).await["total"],
        5,
        "three in Troisdorf, two in Sankt Augustin"
    );
    let troisdorf = municipality(&app, "Troisdorf").await;
    let analyst = app.token("analyst").await;
    let of_troisdorf = json_of(
        app.get(
            &format!("/api/v1/social-areas?municipality_id={troisdorf}"),
            &analyst,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(of_troisdorf["total"], 3);
    assert_eq!(of_troisdorf["items"][1]["name"], "Troisdorf-Nord");
    assert!(of_troisdorf["items"][1]["parts"]
        .as_array()
        .expect("parts")
        .contains(&json!({"municipality_id": troisdorf, "district": "Oberlar"})));

    let coordinator = app.token("coordinator").await;
    let siegburg = municipality(&app, "Siegburg").await;
    let lohmar = municipality(&app, "Lohmar").await;
    let position = a_position(&app).await;
    let body = json!({"name": " Siegburg und Lohmar-Ort ", "description": "Test",
        "parts": [{"municipality_id": siegburg}, {"municipality_id": lohmar, "district": " Lohmar-Ort "}],
        "position_ids": [position, position]});
    let created = app.post("/api/v1/social-areas", &coordinator, &body).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let location = created.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let area: Value = created.json().await.expect("json");
    assert_eq!(area["name"], "Siegburg und Lohmar-Ort");
    assert_eq!(area["position_ids"], json!([position]));
    assert_eq!(
        area["parts"],
        json!([{"municipality_id": siegburg, "district": null}, {"municipality_id": lohmar, "district": "Lohmar-Ort"}])
            .as_array()
            .map(|parts| {
                let mut parts = parts.clone();
                parts.sort_by_key(|p| p["municipality_id"].as_i64());
                Value::Array(parts)
            })
            .expect("parts")
    );
    // A name once; a place in one area only.
    assert_problem(
        app.post("/api/v1/social-areas", &coordinator, &body).await,
        StatusCode::CONFLICT,
    )
    .await;
    let overlapping = json!({"name": "Oberlar", "parts": [{"municipality_id": troisdorf, "district": "oberlar"}]});
    assert_problem(
        app.post("/api/v1/social-areas", &coordinator, &overlapping)
            .await,
        StatusCode::CONFLICT,
    )
    .await;
    let served = json_of(
        app.get(
            &format!("/api/v1/social-areas?position_id={position}"),
            &coordinator,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(served["total"], 1);

    let change = json!({"name": "Siegburg", "parts": [{"municipality_id": siegburg}]});
    assert_problem(
        app.put(&location, &coordinator, None, &change).await,
        StatusCode::PRECONDITION_REQUIRED,
    )
    .await;
    assert_problem(
        app.put(&location, &coordinator, Some(3), &change).await,
        StatusCode::PRECONDITION_FAILED,
    )
    .await;
    let changed = json_of(
        app.put(&location, &coordinator, Some(1), &change).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(changed["version"], 2);
    assert_eq!(changed["position_ids"], json!([]));
    assert_eq!(changed["parts"].as_array().map(Vec::len), Some(1));
    // The area may keep its own places on a change; Lohmar-Ort is free again.
    let lohmar_ort = json!({"name": "Lohmar-Ort", "parts": [{"municipality_id": lohmar, "district": "Lohmar-Ort"}]});
    json_of(
        app.post(
            "/api/v1/social-areas",
            &app.token("ki_lead").await,
            &lohmar_ort,
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    json_of(
        app.put(&location, &coordinator, Some(2), &change).await,
        StatusCode::OK,
    )
    .await;

    assert_problem(
        app.delete(&location, &coordinator, Some(1)).await,
        StatusCode::PRECONDITION_FAILED,
    )
    .await;
    let deleted = app.delete(&location, &coordinator, Some(3)).await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert_problem(
        app.get(&location, &coordinator).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(areas(&app).await["total"], 6);
}

async fn refused_requests_change_nothing(app: TestApp) {
    let before = areas(&app).await;
    let coordinator = app.token("coordinator").await;
    let siegburg = municipality(&app, "Siegburg").await;
    let valid = json!({"name": "Siegburg", "parts": [{"municipality_id": siegburg}]});
    for (body, field, kind) in [
        (
            json!({"name": "  ", "parts": [{"municipality_id": siegburg}]}),
            "name",
            "schema",
        ),
        (
            json!({"name": "x".repeat(201), "parts": [{"municipality_id": siegburg}]}),
            "name",
            "schema",
        ),
        (json!({"name": "Leer", "parts": []}), "parts", "schema"),
        (
            json!({"name": "Doppelt", "parts": [{"municipality_id": siegburg}, {"municipality_id": siegburg, "district": "Wolsdorf"}]}),
            "parts",
            "rule",
        ),
        (
            json!({"name": "Nirgends", "parts": [{"municipality_id": 987654}]}),
            "parts",
            "reference",
        ),
        (
            json!({"name": "Ohne Stelle", "parts": [{"municipality_id": siegburg}], "position_ids": [987654]}),
            "position_ids",
            "reference",
        ),
    ] {
        let problem = assert_problem(
            app.post("/api/v1/social-areas", &coordinator, &body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(error_fields(&problem), vec![field.to_owned()], "{problem}");
        assert_eq!(problem["errors"][0]["kind"], kind, "{problem}");
    }
    let first = before["items"][0].clone();
    let path = format!("/api/v1/social-areas/{}", first["id"]);
    for role in [
        "cm_coordinator",
        "case_manager",
        "analyst",
        "admin",
        "steering_member",
    ] {
        let token = app.token(role).await;
        assert_problem(
            app.post("/api/v1/social-areas", &token, &valid).await,
            StatusCode::FORBIDDEN,
        )
        .await;
        assert_problem(
            app.put(&path, &token, Some(1), &valid).await,
            StatusCode::FORBIDDEN,
        )
        .await;
        assert_problem(
            app.delete(&path, &token, Some(1)).await,
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    for (method, path) in [
        (Method::GET, "/api/v1/social-areas".to_owned()),
        (Method::POST, "/api/v1/social-areas".to_owned()),
        (Method::GET, path.clone()),
        (Method::PUT, path.clone()),
        (Method::DELETE, path.clone()),
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
    let unknown = "/api/v1/social-areas/987654";
    assert_problem(app.get(unknown, &coordinator).await, StatusCode::NOT_FOUND).await;
    assert_problem(
        app.put(unknown, &coordinator, Some(1), &valid).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        app.delete(unknown, &coordinator, Some(1)).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(areas(&app).await, before, "nothing changed");
}
