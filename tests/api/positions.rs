//! Positions (Stellen): the staffing plan, phase transitions, history and who sees what.

use kim_tests::{assert_problem, backend_tests, error_fields, Method, StatusCode, TestApp};
use serde_json::{json, Value};

backend_tests!(
    the_demo_staffing_plan_follows_the_concept,
    create_move_through_the_phases_and_read_the_history,
    illegal_moves_and_stale_versions_are_refused,
    position_input_is_validated,
    holders_are_shown_only_to_those_allowed,
    a_case_manager_reads_only_the_position_they_hold,
    roles_without_steering_access_are_refused,
    list_filters,
);

async fn list(app: &TestApp, token: &str, query: &str) -> Value {
    let response = app
        .get(&format!("/api/v1/positions?limit=200{query}"), token)
        .await;
    assert_eq!(response.status(), StatusCode::OK, "{query}");
    response.json().await.expect("json")
}

fn titles(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|p| p["title"].as_str().map(String::from))
        .collect()
}

async fn position_id(app: &TestApp, token: &str, title: &str) -> i64 {
    let page = list(app, token, "").await;
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|p| p["title"] == title)
        .and_then(|p| p["id"].as_i64())
        .expect(title)
}

fn new_position(app_employer: i64, municipality: i64) -> Value {
    json!({
        "title": "CM Lohmar", "function": "case_management", "fte": 1.0,
        "employer_organisation_id": app_employer, "rhine_side": "right",
        "municipalities": [{"municipality_id": municipality, "fte": 0.75}], "planned_since": "2026-01-01"
    })
}

async fn the_demo_staffing_plan_follows_the_concept(app: TestApp) {
    let token = app.token("coordinator").await;
    let all = list(&app, &token, "").await;
    assert_eq!(all["total"], 17);
    let fte = |module: &str| -> f64 {
        all["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter(|p| p["module"] == module)
            .filter_map(|p| p["fte"].as_f64())
            .sum()
    };
    assert_eq!(
        (fte("module_1"), fte("module_2"), fte("module_3")),
        (5.0, 11.0, 1.5)
    );
    let siegburg = all["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|p| p["title"] == "CM Siegburg")
        .expect("CM Siegburg");
    assert_eq!(siegburg["phase"], "active");
    assert_eq!(siegburg["allowed_transitions"], json!(["vacant", "ended"]));
    assert_eq!(siegburg["municipalities"][0]["fte"], 1.0);
    let vacant = list(&app, &token, "&phase=vacant").await;
    assert_eq!(titles(&vacant), vec!["Thematisches CM Sprachförderung 2"]);
}

async fn create_move_through_the_phases_and_read_the_history(app: TestApp) {
    let token = app.token("coordinator").await;
    let employer = app.id_of("organisations", kim_api::seed::KI, &token).await;
    let lohmar = app.id_of("municipalities", "Lohmar", &token).await;
    let created = app
        .post("/api/v1/positions", &token, &new_position(employer, lohmar))
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let location = created.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let body: Value = created.json().await.expect("json");
    assert_eq!(
        (body["phase"].as_str(), body["phase_since"].as_str()),
        (Some("planned"), Some("2026-01-01"))
    );
    assert_eq!(body["module"], "module_2");

    let mut version = body["version"].as_i64().expect("version");
    for (to, on) in [
        ("recruiting", "2026-02-01"),
        ("onboarding", "2026-04-01"),
        ("qualification", "2026-05-01"),
        ("active", "2026-07-01"),
    ] {
        let response = app
            .request(
                Method::POST,
                &format!("{location}/transitions"),
                Some(&token),
            )
            .header("If-Match", format!("\"{version}\""))
            .json(&json!({"to": to, "effective_on": on, "comment": format!("now {to}")}))
            .send()
            .await
            .expect("send");
        assert_eq!(response.status(), StatusCode::OK, "to {to}");
        let moved: Value = response.json().await.expect("json");
        assert_eq!(moved["phase"], to);
        assert_eq!(moved["phase_since"], on);
        version = moved["version"].as_i64().expect("version");
    }

    let mut update = new_position(employer, lohmar);
    update["title"] = json!("CM Lohmar/Much");
    update
        .as_object_mut()
        .expect("object")
        .remove("planned_since");
    let updated: Value = app
        .put(&location, &token, Some(version), &update)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(updated["title"], "CM Lohmar/Much");
    assert_eq!(updated["phase"], "active", "an update keeps the phase");

    let history: Value = app
        .get(&format!("{location}/history"), &token)
        .await
        .json()
        .await
        .expect("json");
    let kinds: Vec<&str> = history
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert_eq!(
        kinds,
        vec!["created", "phase", "phase", "phase", "phase", "updated"]
    );
    assert_eq!(history[4]["from_phase"], "qualification");
    assert_eq!(history[4]["to_phase"], "active");
    assert_eq!(history[4]["effective_on"], "2026-07-01");
    assert_eq!(history[4]["comment"], "now active");
    let coordinator_id = app
        .id_of("users", "coordinator", &app.token("admin").await)
        .await;
    assert_eq!(history[4]["actor_id"], coordinator_id);
}

async fn illegal_moves_and_stale_versions_are_refused(app: TestApp) {
    let token = app.token("ki_lead").await;
    let id = position_id(&app, &token, "CM Sankt Augustin").await;
    let path = format!("/api/v1/positions/{id}");
    let current: Value = app.get(&path, &token).await.json().await.expect("json");
    assert_eq!(current["phase"], "recruiting");
    let version = current["version"].as_i64().expect("version");
    let transition = |to: &str, version: Option<i64>, on: Option<&str>| {
        let mut request = app.request(Method::POST, &format!("{path}/transitions"), Some(&token));
        if let Some(v) = version {
            request = request.header("If-Match", format!("\"{v}\""));
        }
        let mut body = json!({"to": to});
        if let Some(on) = on {
            body["effective_on"] = json!(on);
        }
        request.json(&body).send()
    };
    let refused = assert_problem(
        transition("active", Some(version), None)
            .await
            .expect("send"),
        StatusCode::CONFLICT,
    )
    .await;
    let detail = refused["detail"].as_str().expect("detail");
    assert!(
        detail.contains("onboarding") && detail.contains("ended"),
        "{detail}"
    );
    assert_problem(
        transition("onboarding", None, None).await.expect("send"),
        StatusCode::PRECONDITION_REQUIRED,
    )
    .await;
    assert_problem(
        transition("onboarding", Some(version - 1), None)
            .await
            .expect("send"),
        StatusCode::PRECONDITION_FAILED,
    )
    .await;
    let too_early = assert_problem(
        transition("onboarding", Some(version), Some("2020-01-01"))
            .await
            .expect("send"),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&too_early), vec!["effective_on"]);
    assert_problem(
        transition("promoted", Some(version), None)
            .await
            .expect("send"),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    // Ending is allowed from anywhere, and final.
    let ended = transition("ended", Some(version), Some("2026-01-31"))
        .await
        .expect("send");
    assert_eq!(ended.status(), StatusCode::OK);
    let ended: Value = ended.json().await.expect("json");
    assert_eq!(ended["allowed_transitions"], json!([]));
    let final_state = assert_problem(
        transition("recruiting", ended["version"].as_i64(), None)
            .await
            .expect("send"),
        StatusCode::CONFLICT,
    )
    .await;
    assert!(final_state["detail"]
        .as_str()
        .is_some_and(|d| d.contains("final")));
    assert_problem(
        app.post(
            "/api/v1/positions/999999/transitions",
            &token,
            &json!({"to": "ended"}),
        )
        .await,
        StatusCode::PRECONDITION_REQUIRED,
    )
    .await;
    let missing = app
        .request(
            Method::POST,
            "/api/v1/positions/999999/transitions",
            Some(&token),
        )
        .header("If-Match", "\"1\"")
        .json(&json!({"to": "ended"}))
        .send()
        .await
        .expect("send");
    assert_problem(missing, StatusCode::NOT_FOUND).await;
}

async fn position_input_is_validated(app: TestApp) {
    let token = app.token("coordinator").await;
    let employer = app.id_of("organisations", kim_api::seed::KI, &token).await;
    let lohmar = app.id_of("municipalities", "Lohmar", &token).await;
    let much = app.id_of("municipalities", "Much", &token).await;
    let body = json!({
        "title": " ", "function": "case_management", "fte": 0.555, "employer_organisation_id": employer,
        "municipalities": [{"municipality_id": lohmar, "fte": 0.0}]
    });
    let problem = assert_problem(
        app.post("/api/v1/positions", &token, &body).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(
        error_fields(&problem),
        vec!["fte", "municipalities[0].fte", "title"]
    );
    let too_much = json!({
        "title": "CM Lohmar", "function": "case_management", "fte": 0.5, "employer_organisation_id": employer,
        "municipalities": [{"municipality_id": lohmar, "fte": 0.5}, {"municipality_id": much, "fte": 0.25}]
    });
    let problem = assert_problem(
        app.post("/api/v1/positions", &token, &too_much).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["municipalities"]);
    let twice = json!({
        "title": "CM Lohmar", "function": "case_management", "fte": 1.0, "employer_organisation_id": employer,
        "municipalities": [{"municipality_id": lohmar, "fte": 0.5}, {"municipality_id": lohmar, "fte": 0.25}]
    });
    assert_problem(
        app.post("/api/v1/positions", &token, &twice).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let unknown = json!({"title": "CM X", "function": "case_management", "fte": 1.0, "employer_organisation_id": 424242, "holder_user_id": 424242});
    let problem = assert_problem(
        app.post("/api/v1/positions", &token, &unknown).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["employer_organisation_id"]);
    let duplicate = json!({"title": "CM Siegburg", "function": "case_management", "fte": 1.0, "employer_organisation_id": employer});
    assert_problem(
        app.post("/api/v1/positions", &token, &duplicate).await,
        StatusCode::CONFLICT,
    )
    .await;
    let id = position_id(&app, &token, "CM Siegburg").await;
    let mut with_since = duplicate.clone();
    with_since["planned_since"] = json!("2020-01-01");
    let current: Value = app
        .get(&format!("/api/v1/positions/{id}"), &token)
        .await
        .json()
        .await
        .expect("json");
    let problem = assert_problem(
        app.put(
            &format!("/api/v1/positions/{id}"),
            &token,
            current["version"].as_i64(),
            &with_since,
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["planned_since"]);
    assert_problem(
        app.put(&format!("/api/v1/positions/{id}"), &token, None, &duplicate)
            .await,
        StatusCode::PRECONDITION_REQUIRED,
    )
    .await;
    assert_problem(
        app.put(
            &format!("/api/v1/positions/{id}"),
            &token,
            Some(1),
            &duplicate,
        )
        .await,
        StatusCode::PRECONDITION_FAILED,
    )
    .await;
}

async fn holders_are_shown_only_to_those_allowed(app: TestApp) {
    for (role, visible) in [
        ("admin", true),
        ("ki_lead", true),
        ("coordinator", true),
        ("steering_member", false),
        ("analyst", false),
        ("cm_coordinator", false),
    ] {
        let token = app.token(role).await;
        let page = list(&app, &token, "&q=CM%20Siegburg").await;
        let position = &page["items"][0];
        assert_eq!(position["holder_name"].is_string(), visible, "{role}");
        assert_eq!(position["holder_user_id"].is_number(), visible, "{role}");
    }
    // The CM coordinator sees their own name on the position they hold.
    let token = app.token("cm_coordinator").await;
    let own = list(&app, &token, "&q=CM-Koordination").await;
    assert_eq!(own["items"][0]["holder_name"], "Demo CM Coordinator");
}

async fn a_case_manager_reads_only_the_position_they_hold(app: TestApp) {
    let token = app.token("case_manager").await;
    let page = list(&app, &token, "").await;
    assert_eq!(titles(&page), vec!["CM Siegburg"]);
    assert_eq!(page["items"][0]["holder_name"], "Demo Case Manager");
    let own = page["items"][0]["id"].as_i64().expect("id");
    assert_eq!(
        app.get(&format!("/api/v1/positions/{own}"), &token)
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        app.get(&format!("/api/v1/positions/{own}/history"), &token)
            .await
            .status(),
        StatusCode::OK
    );
    let other = position_id(&app, &app.token("coordinator").await, "CM Troisdorf").await;
    assert_problem(
        app.get(&format!("/api/v1/positions/{other}"), &token).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        app.get(&format!("/api/v1/positions/{other}/history"), &token)
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let body = json!({"title": "X", "function": "case_management", "fte": 1.0, "employer_organisation_id": 1});
    assert_problem(
        app.post("/api/v1/positions", &token, &body).await,
        StatusCode::FORBIDDEN,
    )
    .await;
}

async fn roles_without_steering_access_are_refused(app: TestApp) {
    for role in [
        "project_group_member",
        "immigration_officer",
        "data_protection_officer",
    ] {
        let token = app.token(role).await;
        assert_problem(
            app.get("/api/v1/positions", &token).await,
            StatusCode::FORBIDDEN,
        )
        .await;
        assert_problem(
            app.get("/api/v1/positions/1", &token).await,
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    for role in ["steering_member", "analyst", "cm_coordinator", "admin"] {
        let token = app.token(role).await;
        let body = json!({"title": "X", "function": "case_management", "fte": 1.0, "employer_organisation_id": 1});
        assert_problem(
            app.post("/api/v1/positions", &token, &body).await,
            StatusCode::FORBIDDEN,
        )
        .await;
        let transition = app
            .request(
                Method::POST,
                "/api/v1/positions/1/transitions",
                Some(&token),
            )
            .header("If-Match", "\"1\"")
            .json(&json!({"to": "ended"}))
            .send()
            .await
            .expect("send");
        assert_problem(transition, StatusCode::FORBIDDEN).await;
    }
    assert_problem(
        app.request(Method::GET, "/api/v1/positions", None)
            .send()
            .await
            .expect("send"),
        StatusCode::UNAUTHORIZED,
    )
    .await;
}

async fn list_filters(app: TestApp) {
    let token = app.token("steering_member").await;
    assert_eq!(list(&app, &token, "&module=module_2").await["total"], 11);
    assert_eq!(list(&app, &token, "&module=module_3").await["total"], 2);
    assert_eq!(
        list(&app, &token, "&function=thematic_case_management").await["total"],
        2
    );
    let siegburg = app.id_of("municipalities", "Siegburg", &token).await;
    assert_eq!(
        titles(&list(&app, &token, &format!("&municipality_id={siegburg}")).await),
        vec!["CM Siegburg"]
    );
    let left = list(&app, &token, "&rhine_side=left&module=module_2").await;
    assert_eq!(
        titles(&left),
        vec![
            "CM Bornheim/Alfter",
            "CM Meckenheim/Rheinbach",
            "CM Swisttal/Wachtberg"
        ]
    );
    assert_eq!(list(&app, &token, "&phase=recruiting").await["total"], 1);
    let paged: Value = app
        .get("/api/v1/positions?limit=5&sort=-title", &token)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        (
            paged["items"].as_array().map(Vec::len),
            paged["next"].as_i64()
        ),
        (Some(5), Some(5))
    );
    assert_problem(
        app.get("/api/v1/positions?phase=hired", &token).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_problem(
        app.get("/api/v1/positions?sort=holder", &token).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
}
