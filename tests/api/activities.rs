//! Public relations and reports to bodies (issue 17 item 3): activities with the results whose
//! publicity allowed them, the body kind `political_committee`, and the report per quarter.

use diesel::RunQueryDsl;
use kim_tests::{
    assert_problem, backend_tests, error_fields, expect_problem, Method, StatusCode, TestApp,
};
use serde_json::{json, Value};

backend_tests!(
    the_demo_year_per_kind_and_quarter,
    record_change_and_delete_with_if_match,
    linked_results_must_have_been_released_for_the_kind,
    bad_input_and_refusals_change_nothing,
    yearly_reports_name_a_bad_year_and_format,
);

async fn json_of(response: reqwest::Response, status: StatusCode) -> Value {
    assert_eq!(response.status(), status, "{}", response.url());
    response.json().await.expect("json")
}

async fn the_demo_year_per_kind_and_quarter(app: TestApp) {
    let token = app.token("analyst").await;
    let report = json_of(
        app.get("/api/v1/reports/activities?year=2021", &token)
            .await,
        StatusCode::OK,
    )
    .await;
    // Six demo activities: a press release (February) and the heads of office (March) in Q1,
    // the mayors' conference (May) in Q2, a web article (July) and the Fachtag (September) in
    // Q3, the committee report (November) in Q4.
    assert_eq!(report["total"], 6);
    let quarters = |kind: &str| -> Value {
        report["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .find(|r| r["kind"] == kind)
            .map(|r| r["quarters"].clone())
            .unwrap_or(Value::Null)
    };
    assert_eq!(quarters("press_release"), json!([1, 0, 0, 0]));
    assert_eq!(quarters("heads_of_office_meeting"), json!([1, 0, 0, 0]));
    assert_eq!(quarters("mayors_conference"), json!([0, 1, 0, 0]));
    assert_eq!(quarters("web_article"), json!([0, 0, 1, 0]));
    assert_eq!(quarters("event"), json!([0, 0, 1, 0]));
    assert_eq!(quarters("committee_report"), json!([0, 0, 0, 1]));
    assert_eq!(report["rows"].as_array().map(Vec::len), Some(6));
    let empty = json_of(
        app.get("/api/v1/reports/activities?year=2020", &token)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(empty["total"], 0);
    let csv = app
        .get("/api/v1/reports/activities?year=2021&format=csv", &token)
        .await
        .text()
        .await
        .expect("text");
    assert!(
        csv.starts_with("kind,q1,q2,q3,q4,total\r\npress_release,1,0,0,0,1\r\n"),
        "{csv}"
    );

    // The committee report went to the political committee, a body of its own kind.
    let committees = json_of(
        app.get("/api/v1/bodies?kind=political_committee", &token)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(committees["total"], 1);
    let committee = committees["items"][0]["id"].as_i64().expect("id");
    let reported = json_of(
        app.get(&format!("/api/v1/activities?body_id={committee}"), &token)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(reported["total"], 1);
    assert_eq!(reported["items"][0]["kind"], "committee_report");
    let listed = json_of(
        app.get("/api/v1/activities?year=2021&kind=event", &token)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(listed["items"][0]["title"], "Fachtag Integration 2021");
}

async fn record_change_and_delete_with_if_match(app: TestApp) {
    let token = app.token("coordinator").await;
    let body = json!({"kind": "press_release", "title": "Neue Sprachkurse", "held_on": "2026-03-02",
                      "audience": "Presse"});
    let created = app.post("/api/v1/activities", &token, &body).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let location = created.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let mut changed = body.clone();
    changed["held_on"] = json!("2026-04-02");
    assert_problem(
        app.put(&location, &token, None, &changed).await,
        StatusCode::PRECONDITION_REQUIRED,
    )
    .await;
    assert_problem(
        app.put(&location, &token, Some(5), &changed).await,
        StatusCode::PRECONDITION_FAILED,
    )
    .await;
    let updated = json_of(
        app.put(&location, &token, Some(1), &changed).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (updated["held_on"].as_str(), updated["version"].as_i64()),
        (Some("2026-04-02"), Some(2))
    );
    let report = json_of(
        app.get("/api/v1/reports/activities?year=2026", &token)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(report["rows"][0]["quarters"], json!([0, 1, 0, 0]));
    assert_problem(
        app.delete(&location, &token, None).await,
        StatusCode::PRECONDITION_REQUIRED,
    )
    .await;
    assert_problem(
        app.delete(&location, &token, Some(1)).await,
        StatusCode::PRECONDITION_FAILED,
    )
    .await;
    assert_eq!(
        app.delete(&location, &token, Some(2)).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_problem(app.get(&location, &token).await, StatusCode::NOT_FOUND).await;
}

async fn set_publicity(app: &TestApp, gap: i64, publicity: &str) {
    let mut conn = app.pool.get().expect("connection");
    diesel::sql_query(format!(
        "UPDATE gaps SET publicity = '{publicity}', publicity_text = 'Pressemitteilung' WHERE id = {gap}"
    ))
    .execute(&mut conn)
    .expect("publicity");
}

async fn linked_results_must_have_been_released_for_the_kind(app: TestApp) {
    let token = app.token("ki_lead").await;
    let gaps = json_of(
        app.get("/api/v1/gaps?limit=200", &token).await,
        StatusCode::OK,
    )
    .await;
    let gap = gaps["items"][0]["id"].as_i64().expect("a demo gap");
    let link = |kind: &str| json!({"kind": kind, "title": format!("{kind} zur Lücke"), "held_on": "2026-05-05", "gap_ids": [gap, gap]});
    let rule = |problem: &Value| {
        (
            problem["errors"][0]["field"].clone(),
            problem["errors"][0]["kind"].clone(),
        )
    };

    // Not decided yet: nothing may use it.
    let undecided = assert_problem(
        app.post("/api/v1/activities", &token, &link("committee_report"))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(rule(&undecided), (json!("gap_ids"), json!("rule")));

    set_publicity(&app, gap, "internal").await;
    let too_public = assert_problem(
        app.post("/api/v1/activities", &token, &link("press_release"))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(rule(&too_public), (json!("gap_ids"), json!("rule")));
    assert!(too_public["errors"][0]["message"]
        .as_str()
        .is_some_and(|m| m.contains("'internal'")));
    let reported = json_of(
        app.post("/api/v1/activities", &token, &link("committee_report"))
            .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(reported["gap_ids"], json!([gap]));

    set_publicity(&app, gap, "public").await;
    json_of(
        app.post("/api/v1/activities", &token, &link("press_release"))
            .await,
        StatusCode::CREATED,
    )
    .await;

    // A free decision of the steering group carries no publicity restriction.
    let bodies = json_of(
        app.get("/api/v1/bodies?kind=steering_group", &token).await,
        StatusCode::OK,
    )
    .await;
    let steering = bodies["items"][0]["id"].as_i64().expect("steering group");
    let meetings = json_of(
        app.get(&format!("/api/v1/bodies/{steering}/meetings"), &token)
            .await,
        StatusCode::OK,
    )
    .await;
    let meeting = meetings["items"][0]["id"].as_i64().expect("meeting");
    let decision = json_of(
        app.post(
            &format!("/api/v1/meetings/{meeting}/decisions"),
            &token,
            &json!({"text": "Der Jahresbericht wird veröffentlicht.", "outcome": "adopted"}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let decision_id = decision["id"].as_i64().expect("decision id");
    let web = json_of(
        app.post(
            "/api/v1/activities",
            &token,
            &json!({"kind": "web_article", "title": "Jahresbericht online", "held_on": "2026-06-01",
                    "decision_ids": [decision_id]}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(web["decision_ids"], json!([decision_id]));
}

async fn bad_input_and_refusals_change_nothing(app: TestApp) {
    let token = app.token("coordinator").await;
    let before = json_of(app.get("/api/v1/activities", &token).await, StatusCode::OK).await;
    let blank = assert_problem(
        app.post(
            "/api/v1/activities",
            &token,
            &json!({"kind": "event", "title": " ", "held_on": "2026-01-01"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&blank), vec!["title"]);
    assert_eq!(blank["errors"][0]["kind"], "schema");
    for (field, body) in [
        (
            "body_id",
            json!({"kind": "event", "title": "X", "held_on": "2026-01-01", "body_id": 999999}),
        ),
        (
            "gap_ids",
            json!({"kind": "event", "title": "X", "held_on": "2026-01-01", "gap_ids": [999999]}),
        ),
        (
            "decision_ids",
            json!({"kind": "event", "title": "X", "held_on": "2026-01-01", "decision_ids": [999999]}),
        ),
    ] {
        let unknown = assert_problem(
            app.post("/api/v1/activities", &token, &body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(
            (
                unknown["errors"][0]["field"].clone(),
                unknown["errors"][0]["kind"].clone()
            ),
            (json!(field), json!("reference"))
        );
    }
    assert_problem(
        app.get("/api/v1/reports/activities?year=1800", &token)
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_problem(
        app.get("/api/v1/activities/999999", &token).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let id = before["items"][0]["id"].as_i64().expect("a demo activity");
    let valid = json!({"kind": "event", "title": "X", "held_on": "2026-01-01"});
    for role in [
        "admin",
        "analyst",
        "steering_member",
        "cm_coordinator",
        "case_manager",
    ] {
        let other = app.token(role).await;
        assert_problem(
            app.post("/api/v1/activities", &other, &valid).await,
            StatusCode::FORBIDDEN,
        )
        .await;
        assert_problem(
            app.put(&format!("/api/v1/activities/{id}"), &other, Some(1), &valid)
                .await,
            StatusCode::FORBIDDEN,
        )
        .await;
        assert_problem(
            app.delete(&format!("/api/v1/activities/{id}"), &other, Some(1))
                .await,
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    for role in [
        "case_manager",
        "immigration_officer",
        "project_group_member",
    ] {
        let other = app.token(role).await;
        assert_problem(
            app.get("/api/v1/activities", &other).await,
            StatusCode::FORBIDDEN,
        )
        .await;
        assert_problem(
            app.get("/api/v1/reports/activities", &other).await,
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    for (method, path) in [
        (Method::GET, "/api/v1/activities"),
        (Method::POST, "/api/v1/activities"),
        (Method::GET, "/api/v1/reports/activities"),
    ] {
        assert_problem(
            app.request(method, path, None)
                .json(&valid)
                .send()
                .await
                .expect("send"),
            StatusCode::UNAUTHORIZED,
        )
        .await;
    }
    let after = json_of(app.get("/api/v1/activities", &token).await, StatusCode::OK).await;
    assert_eq!(after["total"], before["total"]);
    let unchanged = json_of(
        app.get(&format!("/api/v1/activities/{id}"), &token).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(unchanged["version"], 1);
}

/// The two yearly reports without a chart (activities, programme) take the same `year` and
/// `format`: a 422 names every wrong one, and `format=svg` says there is no chart.
async fn yearly_reports_name_a_bad_year_and_format(app: TestApp) {
    let analyst = app.token("analyst").await;
    for (report, no_chart) in [
        ("activities", "this report has no chart; use json or csv"),
        (
            "programme",
            "the programme report has no chart; use json or csv",
        ),
    ] {
        let url = |query: &str| format!("/api/v1/reports/{report}?{query}");
        for year in ["1989", "2101", "twenty", ""] {
            let problem = expect_problem(
                app.get(&url(&format!("year={year}")), &analyst).await,
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation",
            )
            .await;
            assert_eq!(error_fields(&problem), ["year"], "{report} year={year}");
            assert_eq!(
                problem["errors"][0]["message"],
                "must be a year between 1990 and 2100"
            );
        }
        let problem = expect_problem(
            app.get(&url("year=2021&format=svg"), &analyst).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
        )
        .await;
        assert_eq!(error_fields(&problem), ["format"], "{report}");
        assert_eq!(problem["errors"][0]["message"], no_chart);
        let problem = expect_problem(
            app.get(&url("year=1800&format=pdf"), &analyst).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
        )
        .await;
        assert_eq!(error_fields(&problem), ["format", "year"], "{report}");
        let ok = app.get(&url("year=2021&format=csv"), &analyst).await;
        assert_eq!(ok.status(), StatusCode::OK, "{report}");
    }
}
