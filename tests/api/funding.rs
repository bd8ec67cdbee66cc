//! Funding: the concept's totals on the demo data, funding following phase changes, rates,
//! and the distribution of case management by need.

use kim_tests::{assert_problem, backend_tests, error_fields, Method, StatusCode, TestApp};
use serde_json::{json, Value};

backend_tests!(
    the_2021_funding_equals_the_concepts_plan,
    a_vacancy_shows_as_a_shortfall,
    staffing_a_position_raises_the_years_funding,
    funding_per_position,
    rates_are_data_by_year,
    rate_input_is_validated,
    funding_is_for_steering_roles_only,
    distribution_shows_capacity_against_need,
);

const EUR: i64 = 100;

fn module<'a>(overview: &'a Value, name: &str) -> &'a Value {
    overview["modules"]
        .as_array()
        .expect("modules")
        .iter()
        .find(|m| m["module"] == name)
        .expect(name)
}

async fn overview(app: &TestApp, token: &str, year: i32) -> Value {
    let response = app
        .get(&format!("/api/v1/funding?year={year}"), token)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.expect("json")
}

/// By hand from the concept: module 1 has 3.5 FTE coordination, 0.5 FTE assistance and
/// Troisdorf's strategy position (5 FTE at 55,000 EUR = 275,000 EUR); module 2 eleven positions
/// (605,000 EUR); module 3 1.5 FTE at 25,000 EUR per 0.5 FTE (75,000 EUR). Every demo position
/// was staffed all through 2021.
async fn the_2021_funding_equals_the_concepts_plan(app: TestApp) {
    let token = app.token("coordinator").await;
    let year = overview(&app, &token, 2021).await;
    assert_eq!(year["reference_date"], "2021-12-31");
    for (name, fte, euros) in [
        ("module_1", 5.0, 275_000),
        ("module_2", 11.0, 605_000),
        ("module_3", 1.5, 75_000),
    ] {
        let m = module(&year, name);
        assert_eq!(m["planned_fte"], fte, "{name}");
        assert_eq!(m["filled_fte"], fte, "{name}");
        assert_eq!(m["vacant_fte"], 0.0, "{name}");
        assert_eq!(m["planned_cents"], euros * EUR, "{name}");
        assert_eq!(m["due_cents"], euros * EUR, "{name}");
        assert_eq!(m["difference_cents"], 0, "{name}");
    }
    assert_eq!(year["total"]["due_cents"], 955_000 * EUR);
    assert_eq!(year["total"]["planned_fte"], 17.5);
}

/// CM Sankt Augustin fell vacant on 1 April 2022: three months staffed (January to March).
async fn a_vacancy_shows_as_a_shortfall(app: TestApp) {
    let token = app.token("steering_member").await;
    let year = overview(&app, &token, 2022).await;
    let m2 = module(&year, "module_2");
    assert_eq!(m2["planned_cents"], 605_000 * EUR);
    assert_eq!(m2["due_cents"], (10 * 55_000 + 13_750) * EUR);
    assert_eq!(m2["difference_cents"], -41_250 * EUR);
    assert_eq!(
        (m2["filled_fte"].as_f64(), m2["vacant_fte"].as_f64()),
        (Some(10.0), Some(1.0))
    );
}

/// Done-when of the steering issue: move a recruiting position to active and see the funding.
async fn staffing_a_position_raises_the_years_funding(app: TestApp) {
    let token = app.token("coordinator").await;
    let before = overview(&app, &token, 2025).await;
    let positions: Value = app
        .get("/api/v1/positions?q=Sankt%20Augustin", &token)
        .await
        .json()
        .await
        .expect("json");
    let id = positions["items"][0]["id"].as_i64().expect("id");
    let mut version = positions["items"][0]["version"].as_i64().expect("version");
    for (to, on) in [
        ("onboarding", "2025-01-01"),
        ("qualification", "2025-02-01"),
        ("active", "2025-03-01"),
    ] {
        let moved: Value = app
            .request(
                Method::POST,
                &format!("/api/v1/positions/{id}/transitions"),
                Some(&token),
            )
            .header("If-Match", format!("\"{version}\""))
            .json(&json!({"to": to, "effective_on": on}))
            .send()
            .await
            .expect("send")
            .json()
            .await
            .expect("json");
        version = moved["version"].as_i64().expect("version");
    }
    let after = overview(&app, &token, 2025).await;
    let (b, a) = (module(&before, "module_2"), module(&after, "module_2"));
    // 2025 uses the 2023 rate of 57,000 EUR per FTE; staffed all twelve months now.
    assert_eq!(
        a["due_cents"].as_i64().unwrap_or(0) - b["due_cents"].as_i64().unwrap_or(0),
        57_000 * EUR
    );
    assert_eq!(
        a["filled_fte"].as_f64().unwrap_or(0.0) - b["filled_fte"].as_f64().unwrap_or(0.0),
        1.0
    );
    assert_eq!(
        after["total"]["due_cents"].as_i64().unwrap_or(0)
            - before["total"]["due_cents"].as_i64().unwrap_or(0),
        57_000 * EUR
    );
}

async fn funding_per_position(app: TestApp) {
    let token = app.token("analyst").await;
    let lines: Value = app
        .get("/api/v1/funding/positions?year=2022", &token)
        .await
        .json()
        .await
        .expect("json");
    let items = lines["items"].as_array().expect("items");
    assert_eq!(items.len(), 17);
    let line = |title: &str| {
        items
            .iter()
            .find(|l| l["title"] == title)
            .expect(title)
            .clone()
    };
    let sankt_augustin = line("CM Sankt Augustin");
    assert_eq!(
        (
            sankt_augustin["months_planned"].as_u64(),
            sankt_augustin["months_staffed"].as_u64()
        ),
        (Some(12), Some(3))
    );
    assert_eq!(sankt_augustin["due_cents"], 13_750 * EUR);
    assert_eq!(sankt_augustin["phase"], "recruiting");
    let troisdorf = line("Einbürgerungsbehörde: Einbürgerung");
    assert_eq!(troisdorf["annual_rate_cents"], 25_000 * EUR);
    let total: i64 = items.iter().filter_map(|l| l["due_cents"].as_i64()).sum();
    let year = overview(&app, &token, 2022).await;
    assert_eq!(
        Some(total),
        year["total"]["due_cents"].as_i64(),
        "positions add up to the total"
    );
}

async fn rates_are_data_by_year(app: TestApp) {
    let token = app.token("coordinator").await;
    let rates: Value = app
        .get("/api/v1/funding/rates", &token)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(rates.as_array().map(Vec::len), Some(7));
    let body = json!({"year": 2024, "module": "module_2", "item": "staff", "amount_cents": 60_000 * EUR, "basis": "per_fte", "note": "new state guideline"});
    let created = app.post("/api/v1/funding/rates", &token, &body).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let created: Value = created.json().await.expect("json");
    // 2024 on module 2 now uses the new rate: ten positions staffed all year, one vacant.
    let year = overview(&app, &token, 2024).await;
    let staffed_all_year = 9 * 60_000 * EUR; // Sankt Augustin recruiting, Sprachförderung 2 vacant
    assert_eq!(module(&year, "module_2")["due_cents"], staffed_all_year);
    assert_problem(
        app.post("/api/v1/funding/rates", &token, &body).await,
        StatusCode::CONFLICT,
    )
    .await;
    let path = format!("/api/v1/funding/rates/{}", created["id"]);
    let mut changed = body.clone();
    changed["amount_cents"] = json!(61_000 * EUR);
    assert_problem(
        app.put(&path, &token, None, &changed).await,
        StatusCode::PRECONDITION_REQUIRED,
    )
    .await;
    let updated: Value = app
        .put(&path, &token, Some(1), &changed)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(updated["amount_cents"], 61_000 * EUR);
    assert_problem(
        app.put(&path, &token, Some(1), &changed).await,
        StatusCode::PRECONDITION_FAILED,
    )
    .await;
    assert_eq!(
        app.delete(&path, &token, Some(2)).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_problem(
        app.delete(&path, &token, Some(2)).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let only_2023: Value = app
        .get("/api/v1/funding/rates?year=2023&module=module_1", &token)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(only_2023.as_array().map(Vec::len), Some(3));
}

async fn rate_input_is_validated(app: TestApp) {
    let token = app.token("ki_lead").await;
    let body = json!({"year": 1999, "module": "module_1", "item": "events", "amount_cents": -1, "basis": "per_year"});
    let problem = assert_problem(
        app.post("/api/v1/funding/rates", &token, &body).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["amount_cents", "year"]);
    let wrong_basis = json!({"year": 2024, "module": "module_1", "item": "events", "amount_cents": 100, "basis": "per_fte"});
    let problem = assert_problem(
        app.post("/api/v1/funding/rates", &token, &wrong_basis)
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["basis"]);
    assert_problem(
        app.get("/api/v1/funding?year=1850", &token).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_problem(
        app.get("/api/v1/funding?year=soon", &token).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
}

async fn funding_is_for_steering_roles_only(app: TestApp) {
    for role in [
        "case_manager",
        "project_group_member",
        "immigration_officer",
    ] {
        let token = app.token(role).await;
        assert_problem(
            app.get("/api/v1/funding?year=2021", &token).await,
            StatusCode::FORBIDDEN,
        )
        .await;
        assert_problem(
            app.get("/api/v1/funding/positions?year=2021", &token).await,
            StatusCode::FORBIDDEN,
        )
        .await;
        assert_problem(
            app.get("/api/v1/distribution", &token).await,
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    for role in ["analyst", "steering_member", "cm_coordinator", "admin"] {
        let token = app.token(role).await;
        assert_eq!(
            app.get("/api/v1/funding/rates", &token).await.status(),
            StatusCode::OK
        );
        let body = json!({"year": 2030, "module": "module_1", "item": "events", "amount_cents": 100, "basis": "per_year"});
        assert_problem(
            app.post("/api/v1/funding/rates", &token, &body).await,
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    assert_problem(
        app.request(Method::GET, "/api/v1/funding", None)
            .send()
            .await
            .expect("send"),
        StatusCode::UNAUTHORIZED,
    )
    .await;
}

async fn distribution_shows_capacity_against_need(app: TestApp) {
    let token = app.token("coordinator").await;
    let siegburg = app.id_of("municipalities", "Siegburg", &token).await;
    let body = json!({"name": "Siegburg", "kind": "town", "rhine_side": "right", "population": 40_000, "foreign_nationals_percent": 15.0});
    assert_eq!(
        app.put(
            &format!("/api/v1/municipalities/{siegburg}"),
            &token,
            Some(1),
            &body
        )
        .await
        .status(),
        StatusCode::OK
    );
    let rows: Value = app
        .get("/api/v1/distribution", &token)
        .await
        .json()
        .await
        .expect("json");
    let rows = rows.as_array().expect("rows");
    assert_eq!(rows.len(), 19);
    let row = |name: &str| rows.iter().find(|r| r["name"] == name).expect(name).clone();
    let s = row("Siegburg");
    assert_eq!(
        (
            s["cm_fte"].as_f64(),
            s["cm_fte_per_10000_inhabitants"].as_f64()
        ),
        (Some(1.0), Some(0.25))
    );
    assert_eq!(
        (
            s["foreign_nationals"].as_i64(),
            s["need_indicator"].as_i64()
        ),
        (Some(6_000), Some(6_000))
    );
    assert_eq!(s["no_cm_assigned"], false);
    assert_eq!(row("Bornheim")["cm_fte"], 0.6);
    assert_eq!(
        row("Troisdorf")["cm_fte"],
        1.0,
        "the strategy position is module 1, not case management"
    );
    let lohmar = row("Lohmar");
    assert_eq!(
        (
            lohmar["no_cm_assigned"].as_bool(),
            lohmar["cm_fte_per_10000_inhabitants"].is_null()
        ),
        (Some(true), true)
    );
    let unassigned = rows.iter().filter(|r| r["no_cm_assigned"] == true).count();
    assert_eq!(
        unassigned, 5,
        "Lohmar, Much, Neunkirchen-Seelscheid, Niederkassel, Ruppichteroth"
    );
}
