//! Bodies and meetings: create, read, replace, delete with their errors (401, 403, 404, 409,
//! 412, 422, 428), free decisions, the demo bodies and the work lists.

use kim_tests::{assert_problem, backend_tests, error_fields, Method, StatusCode, TestApp};
use serde_json::{json, Value};

backend_tests!(
    the_demo_has_the_steering_group_project_groups_and_the_arbeitskreis,
    create_read_replace_and_delete_a_body,
    body_input_is_validated,
    bodies_need_a_token_and_the_right_role,
    meetings_with_agenda_attendees_minutes_and_decisions,
    meeting_input_and_versions_are_checked,
    work_lists_of_the_steering_group_and_a_project_group,
);

fn body() -> Value {
    json!({"kind": "project_group_local", "name": "Projektgruppe Siegburg",
        "purpose": "Offers for families in Siegburg", "municipality_ids": [17],
        "active_from": "2026-01-01",
        "members": [{"organisation_id": 1, "function": "KI"}]})
}

async fn municipality(app: &TestApp, token: &str, name: &str) -> i64 {
    app.id_of("municipalities", name, token).await
}

async fn create(app: &TestApp, token: &str, body: &Value) -> Value {
    let response = app.post("/api/v1/bodies", token, body).await;
    let status = response.status();
    let answer: Value = response.json().await.expect("json");
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    answer
}

async fn siegburg_body(app: &TestApp, token: &str) -> Value {
    let siegburg = municipality(app, token, "Siegburg").await;
    let mut input = body();
    input["municipality_ids"] = json!([siegburg]);
    input
}

async fn the_demo_has_the_steering_group_project_groups_and_the_arbeitskreis(app: TestApp) {
    let token = app.token("steering_member").await;
    let steering: Value = app
        .get("/api/v1/bodies?kind=steering_group", &token)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(steering["total"], 1);
    let functions: Vec<&str> = steering["items"][0]["members"]
        .as_array()
        .expect("members")
        .iter()
        .filter_map(|m| m["function"].as_str())
        .collect();
    for expected in [
        "Sozialdezernent/in (Vorsitz)",
        "Geschäftsführer Jobcenter",
        "Leitung Kommunales Integrationszentrum",
        "Sprecher der Freien Wohlfahrt",
    ] {
        assert!(functions.contains(&expected), "{functions:?}");
    }
    for kind in [
        "project_group_local",
        "project_group_thematic",
        "working_group",
    ] {
        let listed: Value = app
            .get(&format!("/api/v1/bodies?kind={kind}"), &token)
            .await
            .json()
            .await
            .expect("json");
        assert!(listed["total"].as_i64().unwrap_or_default() >= 1, "{kind}");
    }
    let all: Value = app
        .get("/api/v1/bodies", &token)
        .await
        .json()
        .await
        .expect("json");
    assert!(all["items"]
        .as_array()
        .expect("items")
        .iter()
        .any(|b| b["name"] == "Arbeitskreis Integration"));
    // The demo project group member belongs to a project group.
    let member = app.token("project_group_member").await;
    let kita: Value = app
        .get(
            &format!(
                "/api/v1/bodies/{}",
                app.id_of("bodies", kim_api::seed::gaps::KITA_GROUP, &member)
                    .await
            ),
            &member,
        )
        .await
        .json()
        .await
        .expect("json");
    assert!(kita["members"]
        .as_array()
        .expect("members")
        .iter()
        .any(|m| m["user_id"].is_i64()));
}

async fn create_read_replace_and_delete_a_body(app: TestApp) {
    let token = app.token("ki_lead").await;
    let input = siegburg_body(&app, &token).await;
    let response = app.post("/api/v1/bodies", &token, &input).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(response.headers()["etag"], "\"1\"");
    let location = response.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let created: Value = response.json().await.expect("json");
    assert_eq!(created["members"][0]["function"], "KI");
    let read = app.get(&location, &app.token("analyst").await).await;
    assert_eq!(read.status(), StatusCode::OK);
    let mut changed = input.clone();
    changed["purpose"] = json!("Offers for families and young people");
    let me: Value = app
        .get("/api/v1/auth/me", &token)
        .await
        .json()
        .await
        .expect("json");
    changed["members"] = json!([{"organisation_id": 1, "function": "KI"}, {"user_id": me["id"], "function": "Gast"}]);
    let updated = app.put(&location, &token, Some(1), &changed).await;
    assert_eq!(updated.status(), StatusCode::OK);
    let updated: Value = updated.json().await.expect("json");
    assert_eq!(updated["version"], 2);
    assert_eq!(updated["members"].as_array().map(Vec::len), Some(2));
    assert_problem(
        app.put(&location, &token, None, &changed).await,
        StatusCode::PRECONDITION_REQUIRED,
    )
    .await;
    assert_problem(
        app.put(&location, &token, Some(1), &changed).await,
        StatusCode::PRECONDITION_FAILED,
    )
    .await;
    assert_problem(
        app.post("/api/v1/bodies", &token, &input).await,
        StatusCode::CONFLICT,
    )
    .await;
    // A body with a meeting stays on record.
    let meeting = app
        .post(
            &format!("{location}/meetings"),
            &token,
            &json!({"held_on": "2026-11-01", "title": "Kick-off"}),
        )
        .await;
    assert_eq!(meeting.status(), StatusCode::CREATED);
    assert_problem(
        app.delete(&location, &token, Some(2)).await,
        StatusCode::CONFLICT,
    )
    .await;
    let empty = create(
        &app,
        &token,
        &json!({"kind": "network_meeting", "name": "Netzwerktreffen Ehrenamt"}),
    )
    .await;
    let path = format!("/api/v1/bodies/{}", empty["id"]);
    assert_problem(
        app.delete(&path, &token, None).await,
        StatusCode::PRECONDITION_REQUIRED,
    )
    .await;
    assert_eq!(
        app.delete(&path, &token, Some(1)).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_problem(app.get(&path, &token).await, StatusCode::NOT_FOUND).await;
}

async fn body_input_is_validated(app: TestApp) {
    let token = app.token("coordinator").await;
    for (input, fields) in [
        (
            json!({"kind": "project_group_thematic", "name": " "}),
            vec!["name", "topic"],
        ),
        (
            json!({"kind": "project_group_local", "name": "Local"}),
            vec!["municipality_ids"],
        ),
        (
            json!({"kind": "working_group", "name": "AK", "active_from": "2026-02-01", "active_until": "2026-01-01"}),
            vec!["active_until"],
        ),
        (
            json!({"kind": "working_group", "name": "AK", "members": [{"function": "x"}]}),
            vec!["members[0]"],
        ),
        (
            json!({"kind": "working_group", "name": "AK", "members": [{"user_id": 999999, "function": "x"}]}),
            vec!["members"],
        ),
        (
            json!({"kind": "working_group", "name": "AK", "members": [{"organisation_id": 999999, "function": "x"}]}),
            vec!["members"],
        ),
        (
            json!({"kind": "working_group", "name": "AK", "members": [{"organisation_id": 1, "function": ""}]}),
            vec!["members[0].function"],
        ),
    ] {
        let problem = assert_problem(
            app.post("/api/v1/bodies", &token, &input).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(error_fields(&problem), fields, "{input}");
    }
    assert_problem(
        app.post(
            "/api/v1/bodies",
            &token,
            &json!({"kind": "committee", "name": "x"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
}

async fn bodies_need_a_token_and_the_right_role(app: TestApp) {
    let token = app.token("ki_lead").await;
    let created = create(&app, &token, &siegburg_body(&app, &token).await).await;
    let path = format!("/api/v1/bodies/{}", created["id"]);
    for (method, url) in [
        (Method::GET, "/api/v1/bodies".to_owned()),
        (Method::GET, path.clone()),
        (Method::POST, "/api/v1/bodies".into()),
    ] {
        assert_problem(
            app.request(method, &url, None).send().await.expect("send"),
            StatusCode::UNAUTHORIZED,
        )
        .await;
    }
    for role in [
        "steering_member",
        "case_manager",
        "cm_coordinator",
        "project_group_member",
        "analyst",
        "admin",
    ] {
        let other = app.token(role).await;
        assert_problem(
            app.post("/api/v1/bodies", &other, &body()).await,
            StatusCode::FORBIDDEN,
        )
        .await;
        assert_problem(
            app.put(&path, &other, Some(1), &body()).await,
            StatusCode::FORBIDDEN,
        )
        .await;
        assert_problem(
            app.delete(&path, &other, Some(1)).await,
            StatusCode::FORBIDDEN,
        )
        .await;
        assert_problem(
            app.post(
                &format!("{path}/meetings"),
                &other,
                &json!({"held_on": "2026-11-01", "title": "x"}),
            )
            .await,
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    for role in ["admin", "immigration_officer", "data_protection_officer"] {
        let other = app.token(role).await;
        assert_problem(app.get(&path, &other).await, StatusCode::FORBIDDEN).await;
    }
    assert_problem(
        app.get("/api/v1/bodies/999999", &token).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        app.put("/api/v1/bodies/999999", &token, Some(1), &body())
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        app.post(
            "/api/v1/bodies/999999/meetings",
            &token,
            &json!({"held_on": "2026-11-01", "title": "x"}),
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        app.get("/api/v1/meetings/999999", &token).await,
        StatusCode::NOT_FOUND,
    )
    .await;
}

async fn meetings_with_agenda_attendees_minutes_and_decisions(app: TestApp) {
    let token = app.token("ki_lead").await;
    let body = app
        .id_of("bodies", "Arbeitskreis Integration", &token)
        .await;
    let manager = app.token("case_manager").await;
    let gap: Value = app
        .post(
            "/api/v1/gaps",
            &manager,
            &json!({"title": "Course waiting times", "description": "d",
        "topic": "integration_courses", "report": {"text": "r"}}),
        )
        .await
        .json()
        .await
        .expect("json");
    let me: Value = app
        .get("/api/v1/auth/me", &token)
        .await
        .json()
        .await
        .expect("json");
    let response = app
        .post(
            &format!("/api/v1/bodies/{body}/meetings"),
            &token,
            &json!({
        "held_on": "2026-11-20", "title": "AK Integration 11/2026", "attendee_user_ids": [me["id"]],
        "agenda": [{"title": "Kurswartezeiten", "gap_id": gap["id"]}, {"title": "Verschiedenes"}]}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let location = response.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let meeting: Value = response.json().await.expect("json");
    assert_eq!(meeting["agenda"][0]["gap_id"], gap["id"]);
    assert_eq!(meeting["agenda"][1]["title"], "Verschiedenes");
    let mut changed = json!({"held_on": "2026-11-20", "title": "AK Integration 11/2026",
        "minutes": "Providers report six months of waiting", "attendee_user_ids": [me["id"]], "agenda": []});
    let updated: Value = app
        .put(&location, &token, Some(1), &changed)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(updated["minutes"], "Providers report six months of waiting");
    assert_eq!(updated["agenda"], json!([]));
    let decision = app.post(&format!("{location}/decisions"), &token, &json!({"text": "Ask the BAMF for more courses", "outcome": "adopted", "gap_id": gap["id"]})).await;
    assert_eq!(decision.status(), StatusCode::CREATED);
    let decision: Value = decision.json().await.expect("json");
    assert_eq!(decision["gap_id"], gap["id"]);
    let read: Value = app
        .get(&location, &app.token("steering_member").await)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        read["decisions"][0]["text"],
        "Ask the BAMF for more courses"
    );
    // The gap lists the decision; the free decision did not move it.
    let seen: Value = app
        .get(&format!("/api/v1/gaps/{}", gap["id"]), &manager)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(seen["decisions"][0]["outcome"], "adopted");
    assert_eq!(seen["stage"], "reported");
    let listed: Value = app
        .get(&format!("/api/v1/bodies/{body}/meetings"), &token)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(listed["total"], 1);
    // A meeting with decisions stays on record; one without can go.
    assert_problem(
        app.delete(&location, &token, Some(2)).await,
        StatusCode::CONFLICT,
    )
    .await;
    changed["title"] = json!("Planned");
    let planned: Value = app
        .post(&format!("/api/v1/bodies/{body}/meetings"), &token, &changed)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        app.delete(
            &format!("/api/v1/meetings/{}", planned["id"]),
            &token,
            Some(1)
        )
        .await
        .status(),
        StatusCode::NO_CONTENT
    );
}

async fn meeting_input_and_versions_are_checked(app: TestApp) {
    let token = app.token("coordinator").await;
    let body = app
        .id_of("bodies", "Arbeitskreis Integration", &token)
        .await;
    let path = format!("/api/v1/bodies/{body}/meetings");
    for (input, fields) in [
        (json!({"held_on": "2026-11-20", "title": ""}), vec!["title"]),
        (
            json!({"held_on": "2026-11-20", "title": "t", "attendee_user_ids": [999999]}),
            vec!["attendee_user_ids"],
        ),
        (
            json!({"held_on": "2026-11-20", "title": "t", "agenda": [{"title": "x", "gap_id": 999999}]}),
            vec!["agenda"],
        ),
        (
            json!({"held_on": "2026-11-20", "title": "t", "agenda": [{"title": " "}]}),
            vec!["agenda[0].title"],
        ),
    ] {
        let problem = assert_problem(
            app.post(&path, &token, &input).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(error_fields(&problem), fields, "{input}");
    }
    let meeting: Value = app
        .post(
            &path,
            &token,
            &json!({"held_on": "2026-11-20", "title": "t"}),
        )
        .await
        .json()
        .await
        .expect("json");
    let location = format!("/api/v1/meetings/{}", meeting["id"]);
    let input = json!({"held_on": "2026-11-21", "title": "t2"});
    assert_problem(
        app.put(&location, &token, None, &input).await,
        StatusCode::PRECONDITION_REQUIRED,
    )
    .await;
    assert_problem(
        app.put(&location, &token, Some(7), &input).await,
        StatusCode::PRECONDITION_FAILED,
    )
    .await;
    let decisions = format!("{location}/decisions");
    for (input, field) in [
        (json!({"text": "x", "outcome": "mandated"}), "outcome"),
        (json!({"text": " ", "outcome": "adopted"}), "text"),
        (
            json!({"text": "x", "outcome": "adopted", "gap_id": 999999}),
            "gap_id",
        ),
    ] {
        let problem = assert_problem(
            app.post(&decisions, &token, &input).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(error_fields(&problem), vec![field], "{input}");
    }
    assert_problem(
        app.post(
            "/api/v1/meetings/999999/decisions",
            &token,
            &json!({"text": "x", "outcome": "adopted"}),
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let steering = app.token("steering_member").await;
    assert_problem(
        app.post(
            &decisions,
            &steering,
            &json!({"text": "x", "outcome": "adopted"}),
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_problem(
        app.send(
            Method::DELETE,
            &location,
            Some(&steering),
            Some(1),
            Some(&json!({})),
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;
}

async fn work_lists_of_the_steering_group_and_a_project_group(app: TestApp) {
    let token = app.token("project_group_member").await;
    let steering = app
        .id_of("bodies", kim_api::seed::gaps::STEERING_GROUP, &token)
        .await;
    let worklist: Value = app
        .get(&format!("/api/v1/bodies/{steering}/worklist"), &token)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(worklist["kind"], "steering_group");
    assert_eq!(worklist["next_meeting"]["title"], "Lenkungsgruppe 1/2027");
    let items = worklist["items"].as_array().expect("items");
    assert!(
        items
            .iter()
            .any(|i| i["stage"] == "with_steering_group"
                && i["steps"] == json!(["mandate", "reject"])),
        "{worklist}"
    );
    let kita = app
        .id_of("bodies", kim_api::seed::gaps::KITA_GROUP, &token)
        .await;
    let worklist: Value = app
        .get(&format!("/api/v1/bodies/{kita}/worklist"), &token)
        .await
        .json()
        .await
        .expect("json");
    let items = worklist["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{worklist}");
    assert_eq!(items[0]["stage"], "mandated");
    assert_eq!(items[0]["due_on"], "2027-03-01");
    // The same gap waits on the member's task list, with the mandate's due date.
    let tasks: Value = app
        .get("/api/v1/me/tasks", &token)
        .await
        .json()
        .await
        .expect("json");
    assert!(
        tasks["items"]
            .as_array()
            .expect("tasks")
            .iter()
            .any(|t| t["object_id"] == items[0]["gap_id"] && t["due_on"] == "2027-03-01"),
        "{tasks}"
    );
    let arbeitskreis = app
        .id_of("bodies", "Arbeitskreis Integration", &token)
        .await;
    let none: Value = app
        .get(&format!("/api/v1/bodies/{arbeitskreis}/worklist"), &token)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(none["items"], json!([]));
    assert_problem(
        app.get("/api/v1/bodies/999999/worklist", &token).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        app.get(
            &format!("/api/v1/bodies/{kita}/worklist"),
            &app.token("admin").await,
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;
}
