//! Social areas (issue 17 item 6): areas covering municipalities or named parts of them, a
//! place in one area at most, with the positions serving each.

use kim_tests::{assert_problem, backend_tests, error_fields, Method, StatusCode, TestApp};
use serde_json::{json, Value};

backend_tests!(
    the_demo_areas_and_the_coordination_keeps_areas,
    refused_requests_change_nothing,
    the_distribution_sums_each_area_over_the_municipalities_it_covers_whole,
    the_distribution_by_area_is_for_the_steering_level,
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
        7,
        "three in Troisdorf, two in Sankt Augustin, two clusters of whole municipalities"
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
    assert!(
        served["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|a| a["name"] == "Siegburg und Lohmar-Ort"),
        "{served}"
    );

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
    assert_eq!(areas(&app).await["total"], 8);
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

/// Sets a municipality's population and foreign-national share through the API.
async fn set_population(app: &TestApp, id: i64, population: i64, percent: f64) {
    let coordinator = app.token("coordinator").await;
    let path = format!("/api/v1/municipalities/{id}");
    let current = json_of(app.get(&path, &coordinator).await, StatusCode::OK).await;
    let mut body = serde_json::Map::new();
    for field in [
        "name",
        "kind",
        "rhine_side",
        "has_immigration_office",
        "has_youth_office",
        "has_integration_council",
        "social_area",
    ] {
        body.insert(field.into(), current[field].clone());
    }
    body.insert("population".into(), json!(population));
    body.insert("foreign_nationals_percent".into(), json!(percent));
    let version = current["version"].as_i64().expect("version");
    json_of(
        app.put(&path, &coordinator, Some(version), &Value::Object(body))
            .await,
        StatusCode::OK,
    )
    .await;
}

fn by_name<'a>(rows: &'a Value, name: &str) -> &'a Value {
    rows.as_array()
        .and_then(|rows| rows.iter().find(|r| r["name"] == name))
        .unwrap_or_else(|| panic!("no {name} in {rows}"))
}

async fn the_distribution_sums_each_area_over_the_municipalities_it_covers_whole(app: TestApp) {
    let alfter = municipality(&app, "Alfter").await;
    let bornheim = municipality(&app, "Bornheim").await;
    let troisdorf = municipality(&app, "Troisdorf").await;
    set_population(&app, alfter, 24_000, 10.0).await;
    set_population(&app, bornheim, 48_000, 12.5).await;
    let analyst = app.token("analyst").await;
    let places = json_of(
        app.get("/api/v1/distribution", &analyst).await,
        StatusCode::OK,
    )
    .await;
    let report = json_of(
        app.get("/api/v1/distribution/social-areas", &analyst).await,
        StatusCode::OK,
    )
    .await;
    let areas = &report["areas"];
    assert_eq!(areas.as_array().map(Vec::len), Some(7), "{report}");
    let names: Vec<&str> = areas
        .as_array()
        .expect("areas")
        .iter()
        .filter_map(|a| a["name"].as_str())
        .collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(names, sorted, "ordered by name");

    // Vorgebirge covers Alfter and Bornheim whole: its figures are their sums.
    let vorgebirge = by_name(areas, "Vorgebirge");
    let mut whole = vec![alfter, bornheim];
    whole.sort_unstable();
    assert_eq!(vorgebirge["municipality_ids"], json!(whole));
    assert_eq!(vorgebirge["partly_covered_municipality_ids"], json!([]));
    assert_eq!(vorgebirge["population"], 72_000);
    // 24,000 × 10 % + 48,000 × 12.5 % = 2,400 + 6,000
    assert_eq!(vorgebirge["foreign_nationals"], 8_400);
    assert_eq!(vorgebirge["need_indicator"], 8_400);
    let fte_of = |id: i64| {
        places
            .as_array()
            .and_then(|rows| rows.iter().find(|r| r["municipality_id"] == id))
            .and_then(|r| r["cm_fte"].as_f64())
            .expect("a municipal row")
    };
    let cm_fte = fte_of(alfter) + fte_of(bornheim);
    assert!(
        (vorgebirge["cm_fte"].as_f64().expect("cm_fte") - cm_fte).abs() < 0.001,
        "{vorgebirge} against {cm_fte}"
    );
    assert_eq!(vorgebirge["no_cm_assigned"], cm_fte == 0.0);
    if cm_fte > 0.0 {
        let per = (cm_fte * 10_000.0 / 72_000.0 * 100.0).round() / 100.0;
        assert_eq!(vorgebirge["cm_fte_per_10000_inhabitants"], json!(per));
    }
    // Voreifel: no municipality of it has a population yet, so the area's is unknown.
    let voreifel = by_name(areas, "Voreifel");
    assert_eq!(
        voreifel["municipality_ids"].as_array().map(Vec::len),
        Some(4)
    );
    assert_eq!(voreifel["population"], Value::Null);
    assert_eq!(voreifel["cm_fte_per_10000_inhabitants"], Value::Null);

    // Troisdorf's areas cover it in parts: they name it, and have no figures of its own.
    let nord = by_name(areas, "Troisdorf-Nord");
    assert_eq!(nord["municipality_ids"], json!([]));
    assert_eq!(nord["partly_covered_municipality_ids"], json!([troisdorf]));
    assert_eq!(nord["cm_fte"], 0.0);
    assert_eq!(nord["population"], Value::Null);

    // Every municipality once: covered whole by one area, or outside the areas.
    let mut counted: Vec<i64> = areas
        .as_array()
        .expect("areas")
        .iter()
        .flat_map(|a| {
            a["municipality_ids"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .chain(
            report["outside_areas"]
                .as_array()
                .cloned()
                .unwrap_or_default(),
        )
        .filter_map(|id| id.as_i64())
        .collect();
    counted.sort_unstable();
    let mut all: Vec<i64> = places
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|r| r["municipality_id"].as_i64())
        .collect();
    all.sort_unstable();
    assert_eq!(counted, all);
    assert!(report["outside_areas"]
        .as_array()
        .expect("outside")
        .contains(&json!(troisdorf)));

    // A position named as serving an area counts there with its FTE if it does case management.
    let coordinator = app.token("coordinator").await;
    let positions = json_of(
        app.get("/api/v1/positions?limit=100", &coordinator).await,
        StatusCode::OK,
    )
    .await;
    let cm = positions["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|p| p["function"] == "case_management" && p["phase"] != "ended")
        .expect("a demo case-management position")
        .clone();
    let body = json!({"name": "Siebengebirge", "parts": [{"municipality_id": municipality(&app, "Königswinter").await}],
        "position_ids": [cm["id"]]});
    json_of(
        app.post("/api/v1/social-areas", &coordinator, &body).await,
        StatusCode::CREATED,
    )
    .await;
    let report = json_of(
        app.get("/api/v1/distribution/social-areas", &coordinator)
            .await,
        StatusCode::OK,
    )
    .await;
    let siebengebirge = by_name(&report["areas"], "Siebengebirge");
    assert_eq!(siebengebirge["serving_position_ids"], json!([cm["id"]]));
    assert_eq!(siebengebirge["serving_cm_fte"], cm["fte"]);
}

async fn the_distribution_by_area_is_for_the_steering_level(app: TestApp) {
    for role in [
        "case_manager",
        "immigration_officer",
        "project_group_member",
    ] {
        let token = app.token(role).await;
        assert_problem(
            app.get("/api/v1/distribution/social-areas", &token).await,
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    assert_problem(
        app.request(Method::GET, "/api/v1/distribution/social-areas", None)
            .send()
            .await
            .expect("send"),
        StatusCode::UNAUTHORIZED,
    )
    .await;
    for role in [
        "admin",
        "ki_lead",
        "coordinator",
        "cm_coordinator",
        "steering_member",
    ] {
        let token = app.token(role).await;
        json_of(
            app.get("/api/v1/distribution/social-areas", &token).await,
            StatusCode::OK,
        )
        .await;
    }
}
