//! Qualification (issue 17 item 1): the course catalogue, participations, what a position still
//! owes, and the completion report.

use kim_tests::{assert_problem, backend_tests, error_fields, Method, StatusCode, TestApp};
use serde_json::{json, Value};

backend_tests!(
    the_demo_catalogue_and_a_holders_standing,
    a_new_mandatory_course_is_due_until_a_participation_completes_it,
    bad_input_is_422_with_its_kind_and_changes_nothing,
    callers_without_the_right_are_refused_and_change_nothing,
    the_completion_report_protects_small_counts,
);

mod shown_down_to_one {
    use super::*;
    kim_tests::backend_tests_with!(&[("KIM_REPORT_MIN_CELL", "1")]; the_completion_report_by_hand);
}

async fn json_of(response: reqwest::Response, status: StatusCode) -> Value {
    assert_eq!(response.status(), status, "{}", response.url());
    response.json().await.expect("json")
}

async fn position_id(app: &TestApp, token: &str, title: &str) -> i64 {
    let page = json_of(
        app.get("/api/v1/positions?limit=200", token).await,
        StatusCode::OK,
    )
    .await;
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|p| p["title"] == title)
        .and_then(|p| p["id"].as_i64())
        .expect(title)
}

async fn course_id(app: &TestApp, token: &str, title: &str) -> i64 {
    let page = json_of(
        app.get("/api/v1/courses?limit=200", token).await,
        StatusCode::OK,
    )
    .await;
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|c| c["title"] == title)
        .and_then(|c| c["id"].as_i64())
        .expect(title)
}

fn titles(lines: &Value) -> Vec<&str> {
    lines
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|l| l["title"].as_str())
        .collect()
}

async fn the_demo_catalogue_and_a_holders_standing(app: TestApp) {
    let token = app.token("coordinator").await;
    let all = json_of(app.get("/api/v1/courses", &token).await, StatusCode::OK).await;
    assert_eq!(all["total"], 7);
    let for_offices = json_of(
        app.get("/api/v1/courses?mandatory_for=immigration_office", &token)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        titles(&for_offices["items"]),
        vec![
            "Bleiberecht für gut Integrierte",
            "Datenschutz in der Fallarbeit"
        ]
    );

    // The case manager holds CM Siegburg and took three of its four mandatory courses.
    let siegburg = position_id(&app, &token, "CM Siegburg").await;
    let own = app.token("case_manager").await;
    let standing = json_of(
        app.get(&format!("/api/v1/positions/{siegburg}/qualification"), &own)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(standing["function"], "case_management");
    assert_eq!(
        titles(&standing["completed"]),
        vec![
            "Aufenthalts- und Sozialrecht für die Beratung",
            "Grundkurs Case Management",
            "Interkulturelle Kompetenz und Diversität",
        ]
    );
    assert_eq!(
        titles(&standing["due"]),
        vec!["Datenschutz in der Fallarbeit"]
    );
    assert!(
        standing["holder_user_id"].is_i64(),
        "the holder sees themself"
    );

    // A vacant-holder post counts what was taken for the post: one done, one begun.
    let bornheim = position_id(&app, &token, "CM Bornheim/Alfter").await;
    let post = json_of(
        app.get(
            &format!("/api/v1/positions/{bornheim}/qualification"),
            &token,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        titles(&post["completed"]),
        vec!["Grundkurs Case Management", "Motivierende Gesprächsführung"]
    );
    assert_eq!(post["completed"][1]["mandatory"], false);
    assert_eq!(
        titles(&post["in_progress"]),
        vec!["Aufenthalts- und Sozialrecht für die Beratung"]
    );
    assert_eq!(post["due"].as_array().map(Vec::len), Some(3));

    // Analysts see the qualification, not who holds the post; the case manager no one else's.
    let analyst = app.token("analyst").await;
    let seen = json_of(
        app.get(
            &format!("/api/v1/positions/{siegburg}/qualification"),
            &analyst,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert!(seen["holder_user_id"].is_null());
    assert_eq!(seen["due"], standing["due"]);
    assert_problem(
        app.get(&format!("/api/v1/positions/{bornheim}/qualification"), &own)
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let participations = json_of(
        app.get(
            &format!(
                "/api/v1/courses/{}/participations",
                course_id(&app, &token, "Grundkurs Case Management").await
            ),
            &analyst,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(participations["total"], 4);
    assert!(participations["items"]
        .as_array()
        .expect("items")
        .iter()
        .all(|p| p["user_id"].is_null()));
    assert_eq!(
        participations["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter(|p| p["for_account"] == true)
            .count(),
        2
    );
}

async fn a_new_mandatory_course_is_due_until_a_participation_completes_it(app: TestApp) {
    let token = app.token("ki_lead").await;
    let created = app
        .post(
            "/api/v1/courses",
            &token,
            &json!({"title": "Traumasensible Beratung", "provider": "Psychosoziales Zentrum",
                    "topic": "Trauma", "hours": 12,
                    "mandatory_for": ["case_management", "case_management"]}),
        )
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let location = created.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let course: Value = created.json().await.expect("json");
    assert_eq!(course["mandatory_for"], json!(["case_management"]));
    let id = course["id"].as_i64().expect("id");

    let troisdorf = position_id(&app, &token, "CM Troisdorf").await;
    let path = format!("/api/v1/positions/{troisdorf}/qualification");
    let before = json_of(app.get(&path, &token).await, StatusCode::OK).await;
    assert!(titles(&before["due"]).contains(&"Traumasensible Beratung"));

    let recorded = app
        .post(
            &format!("{location}/participations"),
            &token,
            &json!({"position_id": troisdorf, "attended_on": "2026-11-02"}),
        )
        .await;
    assert_eq!(recorded.status(), StatusCode::CREATED);
    let participation_at = recorded.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let participation: Value = recorded.json().await.expect("json");
    assert_eq!(
        (
            participation["completed"].clone(),
            participation["course_id"].clone()
        ),
        (json!(false), json!(id))
    );
    let begun = json_of(app.get(&path, &token).await, StatusCode::OK).await;
    assert!(titles(&begun["in_progress"]).contains(&"Traumasensible Beratung"));
    assert!(titles(&begun["due"]).contains(&"Traumasensible Beratung"));

    let done = json!({"position_id": troisdorf, "attended_on": "2026-11-02", "completed": true, "certificate": true});
    assert_problem(
        app.put(&participation_at, &token, None, &done).await,
        StatusCode::PRECONDITION_REQUIRED,
    )
    .await;
    assert_problem(
        app.put(&participation_at, &token, Some(7), &done).await,
        StatusCode::PRECONDITION_FAILED,
    )
    .await;
    let updated = json_of(
        app.put(&participation_at, &token, Some(1), &done).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (
            updated["version"].as_i64(),
            updated["certificate"].as_bool()
        ),
        (Some(2), Some(true))
    );
    let after = json_of(app.get(&path, &token).await, StatusCode::OK).await;
    assert!(!titles(&after["due"]).contains(&"Traumasensible Beratung"));
    assert!(titles(&after["completed"]).contains(&"Traumasensible Beratung"));

    // Made optional, the course is no longer due anywhere.
    let optional = json!({"title": "Traumasensible Beratung", "provider": "Psychosoziales Zentrum",
                          "topic": "Trauma", "hours": 12});
    assert_problem(
        app.put(&location, &token, None, &optional).await,
        StatusCode::PRECONDITION_REQUIRED,
    )
    .await;
    let replaced = json_of(
        app.put(&location, &token, Some(1), &optional).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(replaced["mandatory_for"], json!([]));
    assert_problem(
        app.put(&location, &token, Some(1), &optional).await,
        StatusCode::PRECONDITION_FAILED,
    )
    .await;
}

async fn bad_input_is_422_with_its_kind_and_changes_nothing(app: TestApp) {
    let token = app.token("coordinator").await;
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
    let bad_course = assert_problem(
        app.post(
            "/api/v1/courses",
            &token,
            &json!({"title": " ", "provider": "P", "topic": "T", "hours": 0}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&bad_course), vec!["hours", "title"]);
    assert!(kinds(&bad_course).iter().all(|(_, k)| k == "schema"));
    let taken =
        json!({"title": "Grundkurs Case Management", "provider": "P", "topic": "T", "hours": 1});
    assert_problem(
        app.post("/api/v1/courses", &token, &taken).await,
        StatusCode::CONFLICT,
    )
    .await;

    let course = course_id(&app, &token, "Datenschutz in der Fallarbeit").await;
    let participations = format!("/api/v1/courses/{course}/participations");
    let both = assert_problem(
        app.post(
            &participations,
            &token,
            &json!({"user_id": 1, "position_id": 1, "attended_on": "2026-01-01"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(kinds(&both), vec![("position_id".into(), "rule".into())]);
    let neither = assert_problem(
        app.post(
            &participations,
            &token,
            &json!({"attended_on": "2026-01-01"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(kinds(&neither), vec![("user_id".into(), "rule".into())]);
    let unknown = assert_problem(
        app.post(
            &participations,
            &token,
            &json!({"user_id": 999999, "attended_on": "2026-01-01"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(
        kinds(&unknown),
        vec![("user_id".into(), "reference".into())]
    );
    let unknown_post = assert_problem(
        app.post(
            &participations,
            &token,
            &json!({"position_id": 999999, "attended_on": "2026-01-01"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(
        kinds(&unknown_post),
        vec![("position_id".into(), "reference".into())]
    );
    assert_problem(
        app.post(
            "/api/v1/courses/999999/participations",
            &token,
            &json!({"user_id": 1, "attended_on": "2026-01-01"}),
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        app.get("/api/v1/courses/999999", &token).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        app.get("/api/v1/positions/999999/qualification", &token)
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        app.get("/api/v1/reports/qualification?format=svg", &token)
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;

    let courses = json_of(app.get("/api/v1/courses", &token).await, StatusCode::OK).await;
    assert_eq!(courses["total"], 7);
    let listed = json_of(app.get(&participations, &token).await, StatusCode::OK).await;
    assert_eq!(listed["total"], 2);
}

async fn callers_without_the_right_are_refused_and_change_nothing(app: TestApp) {
    let coordinator = app.token("coordinator").await;
    let course = course_id(&app, &coordinator, "Grundkurs Case Management").await;
    let body = json!({"title": "X", "provider": "P", "topic": "T", "hours": 1});
    let participation = json!({"user_id": 1, "attended_on": "2026-01-01"});
    for role in [
        "admin",
        "analyst",
        "steering_member",
        "cm_coordinator",
        "case_manager",
    ] {
        let token = app.token(role).await;
        assert_problem(
            app.post("/api/v1/courses", &token, &body).await,
            StatusCode::FORBIDDEN,
        )
        .await;
        assert_problem(
            app.put(&format!("/api/v1/courses/{course}"), &token, Some(1), &body)
                .await,
            StatusCode::FORBIDDEN,
        )
        .await;
        assert_problem(
            app.post(
                &format!("/api/v1/courses/{course}/participations"),
                &token,
                &participation,
            )
            .await,
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    for role in [
        "case_manager",
        "immigration_officer",
        "project_group_member",
        "data_protection_officer",
    ] {
        let token = app.token(role).await;
        assert_problem(
            app.get("/api/v1/courses", &token).await,
            StatusCode::FORBIDDEN,
        )
        .await;
        assert_problem(
            app.get("/api/v1/reports/qualification", &token).await,
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    let reports = app
        .issue_partner_token(
            &json!({"name": "Land NRW", "organisation_id": 1, "scopes": ["reports:read"]}),
        )
        .await;
    let secret = reports["secret"].as_str().expect("secret");
    assert_problem(
        app.get("/api/v1/reports/qualification", secret).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    for (method, path) in [
        (Method::GET, "/api/v1/courses".to_owned()),
        (Method::POST, "/api/v1/courses".to_owned()),
        (
            Method::GET,
            format!("/api/v1/courses/{course}/participations"),
        ),
        (Method::GET, "/api/v1/positions/1/qualification".to_owned()),
        (Method::GET, "/api/v1/reports/qualification".to_owned()),
    ] {
        assert_problem(
            app.request(method, &path, None)
                .json(&body)
                .send()
                .await
                .expect("send"),
            StatusCode::UNAUTHORIZED,
        )
        .await;
    }
    let after = json_of(
        app.get("/api/v1/courses", &coordinator).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(after["total"], 7);
    let unchanged = json_of(
        app.get(&format!("/api/v1/courses/{course}"), &coordinator)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(unchanged["version"], 1);
    let participations = json_of(
        app.get(
            &format!("/api/v1/courses/{course}/participations"),
            &coordinator,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(participations["total"], 4);
}

/// One row of the report by course title and function.
fn row<'a>(report: &'a Value, title: &str, function: &str) -> &'a Value {
    report["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["title"] == title && r["function"] == function)
        .unwrap_or_else(|| panic!("no row {title} / {function}"))
}

/// Shown down to 1. Staffed case-management posts today: Bornheim/Alfter, Meckenheim/Rheinbach,
/// Swisttal/Wachtberg, Siegburg, Hennef/Eitorf/Windeck (onboarding), Königswinter/Bad Honnef,
/// Troisdorf = 7 (Sankt Augustin is recruiting). The basic course was completed by Siegburg's
/// holder, and for the Troisdorf and Bornheim/Alfter posts: 3, so 4 due. Residence law: only
/// Siegburg's holder completed it (Bornheim/Alfter began it): 1 of 7. Strategic coordination:
/// two posts, the intercultural course taken by the right bank's holder: 1 of 2.
async fn the_completion_report_by_hand(app: TestApp) {
    let token = app.token("analyst").await;
    let report = json_of(
        app.get("/api/v1/reports/qualification", &token).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(report["min_cell"], 1);
    assert_eq!(report["suppressed_cells"], 0);
    let figures = |r: &Value| {
        (
            r["positions"].clone(),
            r["completed"].clone(),
            r["due"].clone(),
        )
    };
    assert_eq!(
        figures(row(&report, "Grundkurs Case Management", "case_management")),
        (json!(7), json!(3), json!(4))
    );
    assert_eq!(
        figures(row(
            &report,
            "Grundkurs Case Management",
            "thematic_case_management"
        )),
        (json!(1), json!(0), json!(1))
    );
    assert_eq!(
        figures(row(&report, "Grundkurs Case Management", "cm_coordination")),
        (json!(1), json!(1), json!(0))
    );
    assert_eq!(
        figures(row(
            &report,
            "Aufenthalts- und Sozialrecht für die Beratung",
            "case_management"
        )),
        (json!(7), json!(1), json!(6))
    );
    assert_eq!(
        figures(row(
            &report,
            "Interkulturelle Kompetenz und Diversität",
            "strategic_coordination"
        )),
        (json!(2), json!(1), json!(1))
    );
    assert_eq!(
        figures(row(
            &report,
            "Bleiberecht für gut Integrierte",
            "naturalisation_office"
        )),
        (json!(1), json!(0), json!(1))
    );
    // 3+3+4+5+2+2 course × function lines; the optional course has none.
    assert_eq!(report["rows"].as_array().map(Vec::len), Some(19));
    assert!(!report.to_string().contains("Motivierende"));
    assert!(!report.to_string().contains("Demo"), "no names");

    let csv = app
        .get("/api/v1/reports/qualification?format=csv", &token)
        .await;
    assert_eq!(csv.status(), StatusCode::OK);
    let text = csv.text().await.expect("text");
    assert!(text.starts_with("course_id,title,function,positions,completed,due\r\n"));
    assert!(
        text.contains(",Grundkurs Case Management,case_management,7,3,4\r\n"),
        "{text}"
    );
}

async fn the_completion_report_protects_small_counts(app: TestApp) {
    let token = app.token("steering_member").await;
    let report = json_of(
        app.get("/api/v1/reports/qualification", &token).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(report["min_cell"], 5);
    // 7 positions, 3 completed, 4 due: both small, both withheld; the total of 7 stays.
    let basics = row(&report, "Grundkurs Case Management", "case_management");
    assert_eq!(
        (basics["completed"].clone(), basics["due"].clone()),
        (Value::Null, Value::Null)
    );
    // A single post of a function is one person: its count is withheld; zero (nobody owes
    // the course) is shown, as in every report.
    let office = row(
        &report,
        "Datenschutz in der Fallarbeit",
        "immigration_office",
    );
    assert_eq!(
        (
            office["positions"].clone(),
            office["completed"].clone(),
            office["due"].clone()
        ),
        (Value::Null, Value::Null, json!(0))
    );
    assert!(report["suppressed_cells"].as_u64().unwrap_or(0) > 0);
}
