//! Local intake criteria (issue 17 item 5): the default intake rule seeded from `KIM_INTAKE_*`,
//! local rules per municipality and target group kept by the CM coordination, and cases judged
//! by the most specific rule covering them.

use kim_tests::{assert_problem, backend_tests, error_fields, Method, StatusCode, TestApp};
use serde_json::{json, Value};

backend_tests!(
    the_default_rule_comes_from_the_configuration_and_the_demo_rules_are_listed,
    the_coordination_adds_changes_and_deletes_a_local_rule,
    refused_requests_change_nothing,
    a_case_is_judged_by_the_most_specific_rule,
);

mod configured {
    use super::*;
    use kim_tests::backend_tests_with;

    backend_tests_with!(&[("KIM_INTAKE_MAX_YEARS_SINCE_ARRIVAL", "7"), ("KIM_INTAKE_EXCLUDE_OTHER_CASE_MANAGEMENT", "false")];
        the_environment_seeds_the_default_rule);

    async fn the_environment_seeds_the_default_rule(app: TestApp) {
        let default = default_rule(&app).await;
        assert_eq!(default["max_years_since_arrival"], 7);
        assert_eq!(default["exclude_other_case_management"], false);
    }
}

async fn json_of(response: reqwest::Response, status: StatusCode) -> Value {
    assert_eq!(response.status(), status, "{}", response.url());
    response.json().await.expect("json")
}

async fn rules(app: &TestApp) -> Value {
    let token = app.token("case_manager").await;
    json_of(
        app.get("/api/v1/intake-rules", &token).await,
        StatusCode::OK,
    )
    .await
}

async fn default_rule(app: &TestApp) -> Value {
    let listed = rules(app).await;
    let first = listed["items"][0].clone();
    assert_eq!(first["scope"], "default", "{listed}");
    first
}

async fn municipality(app: &TestApp, name: &str) -> i64 {
    let token = app.token("coordinator").await;
    app.id_of("municipalities", name, &token).await
}

/// The day `years` years and a month before today.
fn arrived_years_ago(years: i64) -> String {
    (chrono::Utc::now().date_naive() - chrono::Duration::days(years * 365 + 30)).to_string()
}

fn case_body(municipality_id: i64, target_group: &str, arrived_on: &str) -> Value {
    json!({
        "clients": [{"given_name": "Amina", "birth_year": 1990, "municipality_id": municipality_id}],
        "municipality_id": municipality_id, "target_group": target_group,
        "legal_domains": ["sgb_ii"], "topics": ["language"], "intake_channel": "self_referral",
        "arrived_on": arrived_on, "other_case_management": ["none"]
    })
}

async fn the_default_rule_comes_from_the_configuration_and_the_demo_rules_are_listed(app: TestApp) {
    let default = default_rule(&app).await;
    assert_eq!(default["max_years_since_arrival"], 3);
    assert_eq!(default["exclude_other_case_management"], true);
    assert_eq!(default["municipality_id"], Value::Null);
    assert_eq!(default["target_group"], Value::Null);
    assert!(default["note"]
        .as_str()
        .is_some_and(|n| n.contains("KIM_INTAKE_MAX_YEARS_SINCE_ARRIVAL")));
    let listed = rules(&app).await;
    assert_eq!(listed["total"], 4, "the default and three demo rules");
    let neunkirchen = municipality(&app, "Neunkirchen-Seelscheid").await;
    let token = app.token("analyst").await;
    let local = json_of(
        app.get(
            &format!("/api/v1/intake-rules?municipality_id={neunkirchen}"),
            &token,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let scopes: Vec<(&str, Value)> = local["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|r| {
            (
                r["scope"].as_str().unwrap_or_default(),
                r["target_group"].clone(),
            )
        })
        .collect();
    assert_eq!(
        scopes,
        vec![
            ("municipality", Value::Null),
            (
                "municipality_target_group",
                json!("multilingual_children_with_language_disorders")
            )
        ]
    );
    // A partner system reads the criteria too (reference data).
    let admin = app.token("admin").await;
    let jobcenter = app
        .id_of("organisations", "Jobcenter Rhein-Sieg", &admin)
        .await;
    let partner = app
        .issue_partner_token(&json!({"name": "rules", "organisation_id": jobcenter,
            "scopes": ["intake:write"], "expires_in_days": 30}))
        .await;
    let secret = partner["secret"].as_str().expect("secret");
    let id = default["id"].as_i64().expect("id");
    let read = app.get(&format!("/api/v1/intake-rules/{id}"), secret).await;
    assert_eq!(read.status(), StatusCode::OK);
    assert_eq!(read.headers()["etag"], "\"1\"");
}

async fn the_coordination_adds_changes_and_deletes_a_local_rule(app: TestApp) {
    let coordination = app.token("cm_coordinator").await;
    let lohmar = municipality(&app, "Lohmar").await;
    let body = json!({"municipality_id": lohmar, "target_group": "new_arrivals",
        "max_years_since_arrival": 6, "exclude_other_case_management": false, "note": "  Schwerpunkt  "});
    let created = app.post("/api/v1/intake-rules", &coordination, &body).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    assert_eq!(created.headers()["etag"], "\"1\"");
    let location = created.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let rule: Value = created.json().await.expect("json");
    assert_eq!(rule["scope"], "municipality_target_group");
    assert_eq!(rule["municipality_id"], lohmar);
    assert_eq!(rule["note"], "Schwerpunkt");
    assert_problem(
        app.post("/api/v1/intake-rules", &coordination, &body).await,
        StatusCode::CONFLICT,
    )
    .await;
    // The municipality's rule for every target group is another scope.
    let whole = json!({"municipality_id": lohmar, "max_years_since_arrival": 4, "exclude_other_case_management": true});
    let whole = json_of(
        app.post("/api/v1/intake-rules", &coordination, &whole)
            .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(whole["scope"], "municipality");

    let change = json!({"max_years_since_arrival": 8, "exclude_other_case_management": true});
    assert_problem(
        app.put(&location, &coordination, None, &change).await,
        StatusCode::PRECONDITION_REQUIRED,
    )
    .await;
    assert_problem(
        app.put(&location, &coordination, Some(5), &change).await,
        StatusCode::PRECONDITION_FAILED,
    )
    .await;
    let changed = json_of(
        app.put(&location, &coordination, Some(1), &change).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (
            changed["max_years_since_arrival"].as_i64(),
            changed["version"].as_i64(),
            changed["note"].clone(),
            changed["target_group"].clone()
        ),
        (Some(8), Some(2), Value::Null, json!("new_arrivals"))
    );

    // The default rule is changed, never deleted.
    let default = default_rule(&app).await;
    let default_path = format!("/api/v1/intake-rules/{}", default["id"]);
    assert_problem(
        app.delete(&default_path, &coordination, Some(1)).await,
        StatusCode::CONFLICT,
    )
    .await;
    let default = json_of(
        app.put(&default_path, &coordination, Some(1), &change)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(default["max_years_since_arrival"], 8);
    assert_eq!(default["scope"], "default");

    assert_problem(
        app.delete(&location, &coordination, None).await,
        StatusCode::PRECONDITION_REQUIRED,
    )
    .await;
    assert_problem(
        app.delete(&location, &coordination, Some(1)).await,
        StatusCode::PRECONDITION_FAILED,
    )
    .await;
    let deleted = app.delete(&location, &coordination, Some(2)).await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert_problem(
        app.get(&location, &coordination).await,
        StatusCode::NOT_FOUND,
    )
    .await;
}

async fn refused_requests_change_nothing(app: TestApp) {
    let before = rules(&app).await;
    let default = before["items"][0].clone();
    let default_path = format!("/api/v1/intake-rules/{}", default["id"]);
    let coordination = app.token("cm_coordinator").await;
    let lohmar = municipality(&app, "Lohmar").await;
    let valid = json!({"municipality_id": lohmar, "max_years_since_arrival": 4, "exclude_other_case_management": true});

    for (body, field, kind) in [
        (
            json!({"municipality_id": lohmar, "max_years_since_arrival": 51, "exclude_other_case_management": true}),
            "max_years_since_arrival",
            "schema",
        ),
        (
            json!({"municipality_id": lohmar, "max_years_since_arrival": 3, "exclude_other_case_management": true, "note": "x".repeat(2001)}),
            "note",
            "schema",
        ),
        (
            json!({"municipality_id": 987654, "max_years_since_arrival": 3, "exclude_other_case_management": true}),
            "municipality_id",
            "reference",
        ),
        (
            // An unknown value of a vocabulary fails the body's parse, as everywhere.
            json!({"municipality_id": lohmar, "target_group": "everyone", "max_years_since_arrival": 3, "exclude_other_case_management": true}),
            "body",
            "schema",
        ),
    ] {
        let problem = assert_problem(
            app.post("/api/v1/intake-rules", &coordination, &body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(error_fields(&problem), vec![field.to_owned()], "{problem}");
        assert_eq!(problem["errors"][0]["kind"], kind, "{problem}");
    }
    let negative = assert_problem(
        app.post(
            "/api/v1/intake-rules",
            &coordination,
            &json!({"municipality_id": lohmar, "max_years_since_arrival": -1, "exclude_other_case_management": true}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(negative["errors"][0]["kind"], "schema", "{negative}");
    let too_many = assert_problem(
        app.put(
            &default_path,
            &coordination,
            Some(1),
            &json!({"max_years_since_arrival": 99, "exclude_other_case_management": true}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(
        error_fields(&too_many),
        vec!["max_years_since_arrival".to_owned()]
    );

    let change = json!({"max_years_since_arrival": 9, "exclude_other_case_management": false});
    for role in ["coordinator", "ki_lead", "admin", "case_manager", "analyst"] {
        let token = app.token(role).await;
        assert_problem(
            app.post("/api/v1/intake-rules", &token, &valid).await,
            StatusCode::FORBIDDEN,
        )
        .await;
        assert_problem(
            app.put(&default_path, &token, Some(1), &change).await,
            StatusCode::FORBIDDEN,
        )
        .await;
        let local = before["items"][1]["id"].as_i64().expect("a demo rule");
        assert_problem(
            app.delete(&format!("/api/v1/intake-rules/{local}"), &token, Some(1))
                .await,
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    for (method, path) in [
        (Method::GET, "/api/v1/intake-rules".to_owned()),
        (Method::POST, "/api/v1/intake-rules".to_owned()),
        (Method::GET, default_path.clone()),
        (Method::PUT, default_path.clone()),
        (Method::DELETE, default_path.clone()),
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
    let unknown = "/api/v1/intake-rules/987654";
    assert_problem(app.get(unknown, &coordination).await, StatusCode::NOT_FOUND).await;
    assert_problem(
        app.put(unknown, &coordination, Some(1), &change).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        app.delete(unknown, &coordination, Some(1)).await,
        StatusCode::NOT_FOUND,
    )
    .await;

    assert_eq!(rules(&app).await, before, "nothing changed");
}

async fn a_case_is_judged_by_the_most_specific_rule(app: TestApp) {
    let case_manager = app.token("case_manager").await;
    let coordination = app.token("cm_coordinator").await;
    let four_years = arrived_years_ago(4);
    let open = |municipality: i64, group: &'static str| {
        let body = case_body(municipality, group, &four_years);
        let app = &app;
        let token = case_manager.clone();
        async move { app.post("/api/v1/cases", &token, &body).await }
    };

    // Niederkassel's demo rule keeps people five years in the target group.
    let niederkassel = municipality(&app, "Niederkassel").await;
    let case = json_of(
        open(niederkassel, "new_arrivals").await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(case["eligible"], true);
    assert_eq!(case["eligibility_justification"], Value::Null);

    // Siegburg has no local rule: the default rule (three years) asks for a justification.
    let siegburg = municipality(&app, "Siegburg").await;
    let refused = assert_problem(
        open(siegburg, "new_arrivals").await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&refused), vec!["justification".to_owned()]);
    assert!(refused["errors"][0]["message"]
        .as_str()
        .is_some_and(|m| m.contains("cases may be opened until")));

    // A rule for one target group in Siegburg covers that group only.
    let rule = json_of(
        app.post(
            "/api/v1/intake-rules",
            &coordination,
            &json!({"municipality_id": siegburg, "target_group": "new_arrivals", "max_years_since_arrival": 5, "exclude_other_case_management": true}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    json_of(open(siegburg, "new_arrivals").await, StatusCode::CREATED).await;
    assert_problem(
        open(siegburg, "other").await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;

    // The municipality's rule covers the other groups; the group's rule stays more specific.
    json_of(
        app.post(
            "/api/v1/intake-rules",
            &coordination,
            &json!({"municipality_id": siegburg, "max_years_since_arrival": 2, "exclude_other_case_management": true}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    json_of(open(siegburg, "new_arrivals").await, StatusCode::CREATED).await;
    assert_problem(
        open(siegburg, "other").await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;

    // Without the group's rule, the municipality's (two years) judges the group again.
    let path = format!("/api/v1/intake-rules/{}", rule["id"]);
    let deleted = app.delete(&path, &coordination, Some(1)).await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert_problem(
        open(siegburg, "new_arrivals").await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;

    // A changed default rule judges every municipality without a local rule.
    let troisdorf = municipality(&app, "Troisdorf").await;
    assert_problem(
        open(troisdorf, "other").await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let default = default_rule(&app).await;
    json_of(
        app.put(
            &format!("/api/v1/intake-rules/{}", default["id"]),
            &coordination,
            Some(1),
            &json!({"max_years_since_arrival": 10, "exclude_other_case_management": true}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let opened = json_of(open(troisdorf, "other").await, StatusCode::CREATED).await;
    assert_eq!(opened["eligible"], true);
}
