//! Module 3 outcomes (issue 17 item 4): quarterly counts of the offices, entered by their
//! staff for their own office, read by the coordination.

use kim_tests::{assert_problem, backend_tests, Method, StatusCode, TestApp};
use serde_json::{json, Value};

backend_tests!(
    the_demo_year_and_who_sees_which_office,
    an_office_records_a_quarter_once_and_changes_it_with_if_match,
    counts_are_checked_and_refusals_change_nothing,
);

async fn json_of(response: reqwest::Response, status: StatusCode) -> Value {
    assert_eq!(response.status(), status, "{}", response.url());
    response.json().await.expect("json")
}

async fn the_demo_year_and_who_sees_which_office(app: TestApp) {
    let coordinator = app.token("coordinator").await;
    let all = json_of(
        app.get("/api/v1/office-outcomes?year=2021", &coordinator)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(all["total"], 8, "four quarters of two offices");
    let sum = |page: &Value, field: &str| -> i64 {
        page["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter_map(|i| i["counts"][field].as_i64())
            .sum()
    };
    assert_eq!(sum(&all, "counselling_sessions"), 410);
    assert_eq!(sum(&all, "naturalisations_completed"), 93);

    // The demo immigration officer works at the Ausländerbehörde: four quarters, their own.
    let officer = app.token("immigration_officer").await;
    let own = json_of(
        app.get("/api/v1/office-outcomes", &officer).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(own["total"], 4);
    assert_eq!(sum(&own, "residence_secured"), 22);
    let office = own["items"][0]["organisation_id"].as_i64().expect("office");
    let other = all["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["organisation_id"] != office)
        .and_then(|i| i["id"].as_i64())
        .expect("the other office's record");
    assert_problem(
        app.get(&format!("/api/v1/office-outcomes/{other}"), &officer)
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let other_office = all["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["organisation_id"] != office)
        .and_then(|i| i["organisation_id"].as_i64())
        .expect("other office");
    let filtered = json_of(
        app.get(
            &format!("/api/v1/office-outcomes?organisation_id={other_office}"),
            &officer,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(filtered["total"], 0);
    let analyst = app.token("analyst").await;
    json_of(
        app.get(&format!("/api/v1/office-outcomes/{other}"), &analyst)
            .await,
        StatusCode::OK,
    )
    .await;
}

async fn an_office_records_a_quarter_once_and_changes_it_with_if_match(app: TestApp) {
    let officer = app.token("immigration_officer").await;
    let body = json!({"year": 2026, "quarter": 3, "counts": {"information_events": 1, "event_attendance": 20,
                      "counselling_sessions": 31, "opportunity_residence_procedures": 4}});
    let created = app.post("/api/v1/office-outcomes", &officer, &body).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let location = created.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let record: Value = created.json().await.expect("json");
    assert_eq!(
        record["counts"]["residence_secured"], 0,
        "omitted counts are 0"
    );
    assert_eq!(record["counts"]["opportunity_residence_procedures"], 4);
    assert_problem(
        app.post("/api/v1/office-outcomes", &officer, &body).await,
        StatusCode::CONFLICT,
    )
    .await;
    let change = json!({"counts": {"information_events": 1, "event_attendance": 22, "counselling_sessions": 33}});
    assert_problem(
        app.put(&location, &officer, None, &change).await,
        StatusCode::PRECONDITION_REQUIRED,
    )
    .await;
    assert_problem(
        app.put(&location, &officer, Some(9), &change).await,
        StatusCode::PRECONDITION_FAILED,
    )
    .await;
    let updated = json_of(
        app.put(&location, &officer, Some(1), &change).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (
            updated["counts"]["event_attendance"].as_i64(),
            updated["version"].as_i64(),
            updated["quarter"].as_i64()
        ),
        (Some(22), Some(2), Some(3))
    );
    // The coordination reads it; it does not write the offices' counts.
    let coordinator = app.token("coordinator").await;
    assert_problem(
        app.put(&location, &coordinator, Some(2), &change).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let read = json_of(app.get(&location, &coordinator).await, StatusCode::OK).await;
    assert_eq!(read["version"], 2);
}

async fn counts_are_checked_and_refusals_change_nothing(app: TestApp) {
    let officer = app.token("immigration_officer").await;
    let kinds = |problem: &Value| -> Vec<(String, String)> {
        problem["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .map(|e| {
                (
                    e["field"].as_str().unwrap_or_default().to_owned(),
                    e["kind"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    };
    let negative = assert_problem(
        app.post(
            "/api/v1/office-outcomes",
            &officer,
            &json!({"year": 2026, "quarter": 1, "counts": {"counselling_sessions": -1}}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(
        kinds(&negative),
        vec![("counselling_sessions".into(), "schema".into())]
    );
    let quarter = assert_problem(
        app.post(
            "/api/v1/office-outcomes",
            &officer,
            &json!({"year": 2026, "quarter": 5, "counts": {}}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(kinds(&quarter), vec![("quarter".into(), "schema".into())]);
    let attendance = assert_problem(
        app.post(
            "/api/v1/office-outcomes",
            &officer,
            &json!({"year": 2026, "quarter": 1, "counts": {"event_attendance": 10}}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(
        kinds(&attendance),
        vec![("event_attendance".into(), "rule".into())]
    );

    let own = json_of(
        app.get("/api/v1/office-outcomes", &officer).await,
        StatusCode::OK,
    )
    .await;
    let id = own["items"][0]["id"].as_i64().expect("id");
    let negative_change = assert_problem(
        app.put(
            &format!("/api/v1/office-outcomes/{id}"),
            &officer,
            Some(1),
            &json!({"counts": {"residence_secured": -3}}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(
        kinds(&negative_change),
        vec![("residence_secured".into(), "schema".into())]
    );

    let valid = json!({"year": 2026, "quarter": 1, "counts": {}});
    for role in ["coordinator", "ki_lead", "analyst", "case_manager", "admin"] {
        let token = app.token(role).await;
        assert_problem(
            app.post("/api/v1/office-outcomes", &token, &valid).await,
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    for role in [
        "case_manager",
        "project_group_member",
        "data_protection_officer",
    ] {
        let token = app.token(role).await;
        assert_problem(
            app.get("/api/v1/office-outcomes", &token).await,
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    for (method, path) in [
        (Method::GET, "/api/v1/office-outcomes".to_owned()),
        (Method::POST, "/api/v1/office-outcomes".to_owned()),
        (Method::GET, format!("/api/v1/office-outcomes/{id}")),
    ] {
        assert_problem(
            app.request(method, &path, None)
                .json(&valid)
                .send()
                .await
                .expect("send"),
            StatusCode::UNAUTHORIZED,
        )
        .await;
    }
    let after = json_of(
        app.get("/api/v1/office-outcomes", &officer).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(after["total"], own["total"]);
    let unchanged = json_of(
        app.get(&format!("/api/v1/office-outcomes/{id}"), &officer)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(unchanged["version"], 1);
    assert_eq!(unchanged["counts"], own["items"][0]["counts"]);
}
