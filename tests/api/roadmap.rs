//! Planung (roadmap): items of four workstreams with half-years or dates, dependencies without
//! cycles, the delay rule, Gantt order, and who may read and write.

use kim_tests::{assert_problem, backend_tests, error_fields, Method, StatusCode, TestApp};
use serde_json::{json, Value};

backend_tests!(
    demo_roadmap_follows_the_concept,
    create_get_replace_and_delete_an_item,
    half_years_and_dates_are_stored_as_dates_and_answered_both_ways,
    invalid_fields_are_422_and_malformed_json_400,
    unknown_references_are_422_naming_the_field,
    self_dependencies_and_cycles_are_422,
    an_item_depended_on_cannot_be_deleted,
    roadmap_is_in_gantt_order_and_filters,
    delayed_items_by_planned_end,
    readers_and_writers,
    anonymous_callers_are_401,
    missing_and_stale_if_match_and_unknown_ids,
    titles_are_unique_within_a_workstream,
);

const WORKSTREAMS: [&str; 4] = ["cross_module", "module_1", "module_2", "module_3"];

fn item(workstream: &str, title: &str, start: &str, end: &str) -> Value {
    json!({"workstream": workstream, "title": title, "planned_start": start, "planned_end": end})
}

async fn create(app: &TestApp, token: &str, body: &Value) -> Value {
    let response = app.post("/api/v1/roadmap/items", token, body).await;
    assert_eq!(response.status(), StatusCode::CREATED, "create {body}");
    response.json().await.expect("json")
}

async fn roadmap(app: &TestApp, token: &str, query: &str) -> Value {
    let response = app.get(&format!("/api/v1/roadmap{query}"), token).await;
    assert_eq!(response.status(), StatusCode::OK, "GET /roadmap{query}");
    response.json().await.expect("json")
}

fn items(list: &Value) -> &Vec<Value> {
    list["items"].as_array().expect("items")
}

fn find<'a>(list: &'a Value, workstream: &str, title: &str) -> &'a Value {
    items(list)
        .iter()
        .find(|i| i["workstream"] == workstream && i["title"] == title)
        .unwrap_or_else(|| panic!("no {workstream} item {title}"))
}

fn titles(list: &Value) -> Vec<String> {
    items(list)
        .iter()
        .filter_map(|i| i["title"].as_str().map(String::from))
        .collect()
}

fn id(value: &Value) -> i64 {
    value["id"].as_i64().expect("id")
}

async fn demo_roadmap_follows_the_concept(app: TestApp) {
    let token = app.token("steering_member").await;
    let all = roadmap(&app, &token, "").await;
    assert_eq!(all["total"], 21);
    assert_eq!(items(&all).len(), 21);
    for workstream in WORKSTREAMS {
        assert!(
            items(&all).iter().any(|i| i["workstream"] == workstream),
            "{workstream} has items"
        );
    }
    let survey = find(&all, "cross_module", "Bedarfsabfrage Kommunen");
    assert_eq!(survey["planned_start_half_year"], "2021-H1");
    assert_eq!(survey["planned_end_half_year"], "2021-H1");
    assert_eq!(survey["planned_start"], "2021-01-01");
    assert_eq!(survey["planned_end"], "2021-06-30");
    assert_eq!(survey["status"], "done");
    assert_eq!(survey["delayed"], false);
    for title in [
        "Bedarfsabfrage Freie Wohlfahrt",
        "Entwicklung eines kreisweiten KIM-Konzepts",
        "Lenkungsgruppe",
        "Projektgruppen nach Bedarf",
        "Fallkonferenzen nach Bedarf",
        "Politische Gremienarbeit",
        "Öffentlichkeitsarbeit",
        "Monitoring und Evaluation",
    ] {
        find(&all, "cross_module", title);
    }
    for module in ["module_1", "module_2"] {
        let agreements = find(&all, module, "Abschluss von Kooperationsvereinbarungen");
        let recruitment = find(&all, module, "Personalakquise");
        let onboarding = find(&all, module, "Einarbeitung");
        assert_eq!(recruitment["depends_on"], json!([id(agreements)]));
        assert_eq!(onboarding["depends_on"], json!([id(recruitment)]));
        find(&all, module, "Qualifizierung");
        find(&all, module, "Umsetzung");
    }
    find(
        &all,
        "module_2",
        "Entwicklung eines kreisweiten CM-Konzepts",
    );
    let module_3: Vec<&Value> = items(&all)
        .iter()
        .filter(|i| i["workstream"] == "module_3")
        .collect();
    assert_eq!(module_3.len(), 1);
    assert_eq!(module_3[0]["status"], "delayed");
    assert_eq!(module_3[0]["delayed"], true);
    // The plan spans 2020 H2 to 2022 H2.
    let first = items(&all)
        .iter()
        .filter_map(|i| i["planned_start"].as_str())
        .min();
    let last = items(&all)
        .iter()
        .filter_map(|i| i["planned_end"].as_str())
        .max();
    assert_eq!(first, Some("2020-07-01"));
    assert_eq!(last, Some("2022-12-31"));
    // Most items are done; the rest are late now (the plan ended with 2022).
    let done = items(&all).iter().filter(|i| i["status"] == "done").count();
    assert!(done >= 15, "{done} done");
    let delayed: Value = app
        .get("/api/v1/roadmap/delayed", &token)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        titles(&delayed),
        vec![
            "Monitoring und Evaluation",
            "Qualifizierung",
            "Modul 3: Ausländer- und Einbürgerungsbehörden"
        ]
    );
}

async fn create_get_replace_and_delete_an_item(app: TestApp) {
    let token = app.token("coordinator").await;
    let ki = app.id_of("organisations", kim_api::seed::KI, &token).await;
    let lead = app
        .id_of("users", "ki_lead", &app.token("admin").await)
        .await;
    let mut body = item(
        "module_1",
        "Fortschreibung Integrationskonzept",
        "2030-H1",
        "2030-H2",
    );
    body["description"] = json!("  Mit allen Akteuren  ");
    body["responsible_organisation_id"] = json!(ki);
    let response = app.post("/api/v1/roadmap/items", &token, &body).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(response.headers()["etag"], "\"1\"");
    let location = response.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    let created: Value = response.json().await.expect("json");
    assert_eq!(location, format!("/api/v1/roadmap/items/{}", created["id"]));
    assert_eq!(created["status"], "planned", "default status");
    assert_eq!(created["description"], "Mit allen Akteuren");
    assert_eq!(created["depends_on"], json!([]));
    assert_eq!(created["responsible_organisation_id"], ki);
    assert_eq!(created["responsible_user_id"], Value::Null);
    assert_eq!(created["delayed"], false);
    assert_eq!(created["version"], 1);

    let got = app.get(&location, &token).await;
    assert_eq!(got.status(), StatusCode::OK);
    assert_eq!(got.headers()["etag"], "\"1\"");
    let got: Value = got.json().await.expect("json");
    assert_eq!(got, created);

    let survey = id(find(
        &roadmap(&app, &token, "").await,
        "cross_module",
        "Bedarfsabfrage Kommunen",
    ));
    let mut replacement = item(
        "module_2",
        "Fortschreibung Integrationskonzept",
        "2030-03-01",
        "2031-H1",
    );
    replacement["status"] = json!("in_progress");
    replacement["depends_on"] = json!([survey, survey]);
    replacement["responsible_user_id"] = json!(lead);
    let updated = app.put(&location, &token, Some(1), &replacement).await;
    assert_eq!(updated.status(), StatusCode::OK);
    assert_eq!(updated.headers()["etag"], "\"2\"");
    let updated: Value = updated.json().await.expect("json");
    assert_eq!(updated["workstream"], "module_2");
    assert_eq!(updated["planned_start"], "2030-03-01");
    assert_eq!(updated["planned_end"], "2031-06-30");
    assert_eq!(updated["status"], "in_progress");
    assert_eq!(updated["depends_on"], json!([survey]), "a set");
    assert_eq!(updated["responsible_user_id"], lead);
    assert_eq!(
        updated["responsible_organisation_id"],
        Value::Null,
        "PUT replaces every field"
    );
    assert_eq!(updated["description"], Value::Null);
    assert_eq!(updated["version"], 2);

    assert_eq!(
        app.delete(&location, &token, Some(2)).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_problem(app.get(&location, &token).await, StatusCode::NOT_FOUND).await;
}

async fn half_years_and_dates_are_stored_as_dates_and_answered_both_ways(app: TestApp) {
    let token = app.token("ki_lead").await;
    let cases = [
        (
            "2031-H1",
            "2031-H1",
            "2031-01-01",
            "2031-06-30",
            "2031-H1",
            "2031-H1",
        ),
        (
            "2031-H2",
            "2031-H2",
            "2031-07-01",
            "2031-12-31",
            "2031-H2",
            "2031-H2",
        ),
        (
            "2031-h1",
            "2032-H2",
            "2031-01-01",
            "2032-12-31",
            "2031-H1",
            "2032-H2",
        ),
        (
            "2031-03-01",
            "2031-09-15",
            "2031-03-01",
            "2031-09-15",
            "2031-H1",
            "2031-H2",
        ),
        (
            "2031-06-30",
            "2031-06-30",
            "2031-06-30",
            "2031-06-30",
            "2031-H1",
            "2031-H1",
        ),
        (
            "2031-H2",
            "2031-07-01",
            "2031-07-01",
            "2031-07-01",
            "2031-H2",
            "2031-H2",
        ),
    ];
    for (n, (start, end, start_date, end_date, start_label, end_label)) in cases.iter().enumerate()
    {
        let created = create(
            &app,
            &token,
            &item("module_3", &format!("Zeitraum {n}"), start, end),
        )
        .await;
        assert_eq!(created["planned_start"], *start_date, "{start}");
        assert_eq!(created["planned_end"], *end_date, "{end}");
        assert_eq!(created["planned_start_half_year"], *start_label);
        assert_eq!(created["planned_end_half_year"], *end_label);
    }
}

async fn invalid_fields_are_422_and_malformed_json_400(app: TestApp) {
    let token = app.token("coordinator").await;
    let path = "/api/v1/roadmap/items";
    let bad_half_year = item("module_1", "X", "2021-H3", "2021-H2");
    let problem = assert_problem(
        app.post(path, &token, &bad_half_year).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["planned_start"]);
    assert!(problem["errors"][0]["message"]
        .as_str()
        .is_some_and(|m| m.contains("H1 and H2")));

    let end_before_start = item("module_1", "X", "2021-H2", "2021-H1");
    let problem = assert_problem(
        app.post(path, &token, &end_before_start).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["planned_end"]);
    let dates_reversed = item("module_1", "X", "2021-05-02", "2021-05-01");
    let problem = assert_problem(
        app.post(path, &token, &dates_reversed).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["planned_end"]);

    // Every invalid field at once.
    let mut many = item("module_1", "  ", "2021-02-30", "soon");
    many["description"] = json!("x".repeat(2001));
    many["depends_on"] = json!((1..=51).collect::<Vec<i64>>());
    let problem = assert_problem(
        app.post(path, &token, &many).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(
        error_fields(&problem),
        vec![
            "depends_on",
            "description",
            "planned_end",
            "planned_start",
            "title"
        ]
    );
    let long_title = item("module_1", &"t".repeat(201), "2021-H1", "2021-H1");
    let problem = assert_problem(
        app.post(path, &token, &long_title).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["title"]);

    // Wrong vocabulary, unknown and missing fields: well-formed JSON, named field.
    let mut unknown_workstream = item("module_4", "X", "2021-H1", "2021-H1");
    assert_problem(
        app.post(path, &token, &unknown_workstream).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    unknown_workstream["workstream"] = json!("module_1");
    unknown_workstream["status"] = json!("finished");
    assert_problem(
        app.post(path, &token, &unknown_workstream).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let mut extra = item("module_1", "X", "2021-H1", "2021-H1");
    extra["priority"] = json!(1);
    let problem = assert_problem(
        app.post(path, &token, &extra).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["priority"]);
    let missing = json!({"workstream": "module_1", "title": "X", "planned_start": "2021-H1"});
    let problem = assert_problem(
        app.post(path, &token, &missing).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["planned_end"]);

    let malformed = app
        .request(Method::POST, path, Some(&token))
        .header("content-type", "application/json")
        .body("{\"workstream\": ")
        .send()
        .await
        .expect("send");
    assert_problem(malformed, StatusCode::BAD_REQUEST).await;

    // The same checks on PUT; nothing is changed.
    let created = create(
        &app,
        &token,
        &item("module_1", "Gültig", "2030-H1", "2030-H2"),
    )
    .await;
    let item_path = format!("{path}/{}", id(&created));
    let problem = assert_problem(
        app.put(&item_path, &token, Some(1), &end_before_start)
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["planned_end"]);
    let malformed = app
        .request(Method::PUT, &item_path, Some(&token))
        .header("content-type", "application/json")
        .header("If-Match", "\"1\"")
        .body("not json")
        .send()
        .await
        .expect("send");
    assert_problem(malformed, StatusCode::BAD_REQUEST).await;
    let unchanged: Value = app
        .get(&item_path, &token)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(unchanged["version"], 1);
}

async fn unknown_references_are_422_naming_the_field(app: TestApp) {
    let token = app.token("coordinator").await;
    let path = "/api/v1/roadmap/items";
    let cases = [
        ("depends_on", json!([424242])),
        ("responsible_organisation_id", json!(424242)),
        ("responsible_user_id", json!(424242)),
    ];
    for (field, value) in cases {
        let mut body = item("module_1", "Verweis", "2030-H1", "2030-H1");
        body[field] = value;
        let problem = assert_problem(
            app.post(path, &token, &body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(error_fields(&problem), vec![field]);
    }
    let listed = roadmap(&app, &token, "?workstream=module_1").await;
    assert!(
        !titles(&listed).contains(&"Verweis".to_owned()),
        "nothing half-written"
    );
    // On PUT too.
    let created = create(
        &app,
        &token,
        &item("module_1", "Verweis", "2030-H1", "2030-H1"),
    )
    .await;
    let mut body = item("module_1", "Verweis", "2030-H1", "2030-H1");
    body["depends_on"] = json!([id(&created) + 1000]);
    let problem = assert_problem(
        app.put(&format!("{path}/{}", id(&created)), &token, Some(1), &body)
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["depends_on"]);
}

async fn self_dependencies_and_cycles_are_422(app: TestApp) {
    let token = app.token("coordinator").await;
    let a = create(&app, &token, &item("module_3", "A", "2030-H1", "2030-H1")).await;
    let mut b_body = item("module_3", "B", "2030-H2", "2030-H2");
    b_body["depends_on"] = json!([id(&a)]);
    let b = create(&app, &token, &b_body).await;
    let mut c_body = item("module_3", "C", "2031-H1", "2031-H1");
    c_body["depends_on"] = json!([id(&b)]);
    let c = create(&app, &token, &c_body).await;
    let a_path = format!("/api/v1/roadmap/items/{}", id(&a));

    let mut self_dependent = item("module_3", "A", "2030-H1", "2030-H1");
    self_dependent["depends_on"] = json!([id(&a)]);
    let problem = assert_problem(
        app.put(&a_path, &token, Some(1), &self_dependent).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["depends_on"]);
    assert!(problem["errors"][0]["message"]
        .as_str()
        .is_some_and(|m| m.contains("itself")));

    let mut cyclic = item("module_3", "A", "2030-H1", "2030-H1");
    cyclic["depends_on"] = json!([id(&c)]);
    let problem = assert_problem(
        app.put(&a_path, &token, Some(1), &cyclic).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["depends_on"]);
    let message = problem["errors"][0]["message"].as_str().unwrap_or_default();
    let expected = format!("{} → {} → {} → {}", id(&a), id(&c), id(&b), id(&a));
    assert!(
        message.contains("cycle") && message.contains(&expected),
        "{message}"
    );
    let unchanged: Value = app.get(&a_path, &token).await.json().await.expect("json");
    assert_eq!(unchanged["version"], 1);
    assert_eq!(unchanged["depends_on"], json!([]));

    // Reversing an edge is fine once the old one is gone: B no longer depends on A.
    let b_path = format!("/api/v1/roadmap/items/{}", id(&b));
    let b_alone = item("module_3", "B", "2030-H2", "2030-H2");
    assert_eq!(
        app.put(&b_path, &token, Some(1), &b_alone).await.status(),
        StatusCode::OK
    );
    let mut a_after_b = item("module_3", "A", "2030-H1", "2030-H1");
    a_after_b["depends_on"] = json!([id(&b)]);
    let updated: Value = app
        .put(&a_path, &token, Some(1), &a_after_b)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(updated["depends_on"], json!([id(&b)]));
}

async fn an_item_depended_on_cannot_be_deleted(app: TestApp) {
    let token = app.token("ki_lead").await;
    let base = create(
        &app,
        &token,
        &item("module_1", "Basis", "2030-H1", "2030-H1"),
    )
    .await;
    let mut next_body = item("module_1", "Folge", "2030-H2", "2030-H2");
    next_body["depends_on"] = json!([id(&base)]);
    let next = create(&app, &token, &next_body).await;
    let base_path = format!("/api/v1/roadmap/items/{}", id(&base));
    let problem = assert_problem(
        app.delete(&base_path, &token, Some(1)).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(problem["detail"]
        .as_str()
        .is_some_and(|d| d.contains(&id(&next).to_string()) && d.contains("depend")));
    assert_eq!(app.get(&base_path, &token).await.status(), StatusCode::OK);
    // An item that depends on others may go; then its base may go too.
    let next_path = format!("/api/v1/roadmap/items/{}", id(&next));
    assert_eq!(
        app.delete(&next_path, &token, Some(1)).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.delete(&base_path, &token, Some(1)).await.status(),
        StatusCode::NO_CONTENT
    );
    // The demo's module 1 agreements are depended on by its recruitment.
    let demo = roadmap(&app, &token, "?workstream=module_1").await;
    let agreements = find(
        &demo,
        "module_1",
        "Abschluss von Kooperationsvereinbarungen",
    );
    assert_problem(
        app.delete(
            &format!("/api/v1/roadmap/items/{}", id(agreements)),
            &token,
            Some(1),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
}

fn workstream_rank(workstream: &Value) -> usize {
    WORKSTREAMS
        .iter()
        .position(|w| workstream == *w)
        .unwrap_or_else(|| panic!("unknown workstream {workstream}"))
}

async fn roadmap_is_in_gantt_order_and_filters(app: TestApp) {
    let token = app.token("coordinator").await;
    let late = create(
        &app,
        &token,
        &item("module_3", "Spät", "2030-H2", "2030-H2"),
    )
    .await;
    let first = create(
        &app,
        &token,
        &item("module_3", "Früh 1", "2030-H1", "2030-H1"),
    )
    .await;
    let second = create(
        &app,
        &token,
        &item("module_3", "Früh 2", "2030-H1", "2030-H2"),
    )
    .await;
    let early_cross = create(
        &app,
        &token,
        &item("cross_module", "Vorlauf", "2019-H1", "2019-H1"),
    )
    .await;

    let all = roadmap(&app, &token, "").await;
    assert_eq!(all["total"], 25);
    let keys: Vec<(usize, String, i64)> = items(&all)
        .iter()
        .map(|i| {
            (
                workstream_rank(&i["workstream"]),
                i["planned_start"].as_str().unwrap_or_default().to_owned(),
                id(i),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "workstream, planned start, id");
    assert_eq!(id(&items(&all)[0]), id(&early_cross));
    assert_eq!(items(&all)[0]["delayed"], true, "planned and long past");

    let module_3 = roadmap(&app, &token, "?workstream=module_3").await;
    assert_eq!(
        titles(&module_3),
        vec![
            "Modul 3: Ausländer- und Einbürgerungsbehörden",
            "Früh 1",
            "Früh 2",
            "Spät"
        ]
    );
    assert!(id(&first) < id(&second) && id(&second) > id(&late));

    let planned = roadmap(&app, &token, "?workstream=module_3&status=planned").await;
    assert_eq!(titles(&planned), vec!["Früh 1", "Früh 2", "Spät"]);
    let done = roadmap(&app, &token, "?status=done").await;
    assert!(items(&done).iter().all(|i| i["status"] == "done"));
    assert!(done["total"].as_i64().is_some_and(|n| n >= 15));
    let marked = roadmap(&app, &token, "?status=delayed").await;
    assert_eq!(marked["total"], 1);
    assert!(marked["as_of"].is_string());

    for bad in ["?workstream=module_4", "?status=late", "?limit=10"] {
        assert_problem(
            app.get(&format!("/api/v1/roadmap{bad}"), &token).await,
            StatusCode::BAD_REQUEST,
        )
        .await;
    }
}

async fn delayed_items_by_planned_end(app: TestApp) {
    let token = app.token("coordinator").await;
    let with_status = |title: &str, start: &str, end: &str, status: &str| {
        let mut body = item("module_2", title, start, end);
        body["status"] = json!(status);
        body
    };
    let overdue = create(
        &app,
        &token,
        &with_status("Überfällig", "2020-01-01", "2020-01-31", "in_progress"),
    )
    .await;
    create(
        &app,
        &token,
        &with_status("Erledigt", "2020-01-01", "2020-01-31", "done"),
    )
    .await;
    let never_started = create(
        &app,
        &token,
        &with_status("Nie begonnen", "2021-03-01", "2021-03-15", "planned"),
    )
    .await;
    create(
        &app,
        &token,
        &with_status("Zukunft", "2099-H1", "2099-H2", "in_progress"),
    )
    .await;
    let marked = create(
        &app,
        &token,
        &with_status("Markiert", "2099-H1", "2099-H1", "delayed"),
    )
    .await;
    assert_eq!(overdue["delayed"], true);
    assert_eq!(marked["delayed"], true);

    let response = app.get("/api/v1/roadmap/delayed", &token).await;
    assert_eq!(response.status(), StatusCode::OK);
    let delayed: Value = response.json().await.expect("json");
    assert_eq!(
        titles(&delayed),
        vec![
            "Überfällig",
            "Nie begonnen",
            "Monitoring und Evaluation",
            "Qualifizierung",
            "Modul 3: Ausländer- und Einbürgerungsbehörden",
            "Markiert",
        ]
    );
    assert_eq!(delayed["total"], 6);
    assert!(items(&delayed).iter().all(|i| i["delayed"] == true));
    assert_eq!(items(&delayed)[1]["id"], never_started["id"]);
    let ends: Vec<&str> = items(&delayed)
        .iter()
        .filter_map(|i| i["planned_end"].as_str())
        .collect();
    let mut sorted = ends.clone();
    sorted.sort();
    assert_eq!(ends, sorted);

    // The flags in the full roadmap agree.
    let all = roadmap(&app, &token, "").await;
    let flagged: Vec<i64> = items(&all)
        .iter()
        .filter(|i| i["delayed"] == true)
        .map(id)
        .collect();
    assert_eq!(flagged.len(), 6);
    assert_eq!(find(&all, "module_2", "Erledigt")["delayed"], false);
    assert_eq!(find(&all, "module_2", "Zukunft")["delayed"], false);

    // Marking an overdue item done takes it off the list.
    let path = format!("/api/v1/roadmap/items/{}", id(&overdue));
    let finished = with_status("Überfällig", "2020-01-01", "2020-01-31", "done");
    let updated: Value = app
        .put(&path, &token, Some(1), &finished)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(updated["delayed"], false);
    let delayed: Value = app
        .get("/api/v1/roadmap/delayed", &token)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(delayed["total"], 5);
}

async fn readers_and_writers(app: TestApp) {
    let demo = roadmap(&app, &app.token("analyst").await, "").await;
    let some_id = id(&items(&demo)[0]);
    let item_path = format!("/api/v1/roadmap/items/{some_id}");
    for role in [
        "admin",
        "ki_lead",
        "coordinator",
        "cm_coordinator",
        "steering_member",
        "analyst",
    ] {
        let token = app.token(role).await;
        for path in [
            "/api/v1/roadmap",
            "/api/v1/roadmap/delayed",
            item_path.as_str(),
        ] {
            assert_eq!(
                app.get(path, &token).await.status(),
                StatusCode::OK,
                "{role} {path}"
            );
        }
    }
    for role in [
        "case_manager",
        "project_group_member",
        "immigration_officer",
        "data_protection_officer",
    ] {
        let token = app.token(role).await;
        for path in [
            "/api/v1/roadmap",
            "/api/v1/roadmap/delayed",
            item_path.as_str(),
        ] {
            assert_problem(app.get(path, &token).await, StatusCode::FORBIDDEN).await;
        }
    }
    let body = item("module_1", "Rechte", "2030-H1", "2030-H1");
    for role in [
        "admin",
        "cm_coordinator",
        "steering_member",
        "analyst",
        "case_manager",
        "project_group_member",
    ] {
        let token = app.token(role).await;
        assert_problem(
            app.post("/api/v1/roadmap/items", &token, &body).await,
            StatusCode::FORBIDDEN,
        )
        .await;
        assert_problem(
            app.put(&item_path, &token, Some(1), &body).await,
            StatusCode::FORBIDDEN,
        )
        .await;
        assert_problem(
            app.delete(&item_path, &token, Some(1)).await,
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    // 403 comes before the missing If-Match.
    let case_manager = app.token("case_manager").await;
    assert_problem(
        app.put(&item_path, &case_manager, None, &body).await,
        StatusCode::FORBIDDEN,
    )
    .await;

    // Partner systems see no steering data.
    let admin = app.token("admin").await;
    let jobcenter = app
        .id_of("organisations", "Jobcenter Rhein-Sieg", &admin)
        .await;
    let issued: Value = app
        .issue_partner_token(&json!({"name": "Fachverfahren", "organisation_id": jobcenter,
                "scopes": ["referrals:read", "referrals:write", "reports:read"], "expires_in_days": 30}))
        .await;
    let partner = issued["secret"].as_str().expect("secret");
    assert_problem(
        app.get("/api/v1/roadmap", partner).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_problem(
        app.post("/api/v1/roadmap/items", partner, &body).await,
        StatusCode::FORBIDDEN,
    )
    .await;

    for role in ["ki_lead", "coordinator"] {
        let token = app.token(role).await;
        let body = item("module_1", &format!("Rechte {role}"), "2030-H1", "2030-H1");
        create(&app, &token, &body).await;
    }
}

async fn anonymous_callers_are_401(app: TestApp) {
    let body = item("module_1", "Anonym", "2030-H1", "2030-H1");
    for (method, path) in [
        (Method::GET, "/api/v1/roadmap"),
        (Method::GET, "/api/v1/roadmap/delayed"),
        (Method::GET, "/api/v1/roadmap/items/1"),
        (Method::POST, "/api/v1/roadmap/items"),
        (Method::PUT, "/api/v1/roadmap/items/1"),
        (Method::DELETE, "/api/v1/roadmap/items/1"),
    ] {
        for token in [None, Some("not-a-token")] {
            let response = app
                .request(method.clone(), path, token)
                .header("If-Match", "\"1\"")
                .json(&body)
                .send()
                .await
                .expect("send");
            assert_problem(response, StatusCode::UNAUTHORIZED).await;
        }
    }
}

async fn missing_and_stale_if_match_and_unknown_ids(app: TestApp) {
    let token = app.token("coordinator").await;
    let created = create(
        &app,
        &token,
        &item("module_2", "Versionen", "2030-H1", "2030-H1"),
    )
    .await;
    let path = format!("/api/v1/roadmap/items/{}", id(&created));
    let body = item("module_2", "Versionen", "2030-H1", "2030-H2");
    assert_problem(
        app.put(&path, &token, None, &body).await,
        StatusCode::PRECONDITION_REQUIRED,
    )
    .await;
    let stale = assert_problem(
        app.put(&path, &token, Some(7), &body).await,
        StatusCode::PRECONDITION_FAILED,
    )
    .await;
    assert!(stale["detail"].as_str().is_some_and(|d| d.contains('1')));
    assert_eq!(
        app.put(&path, &token, Some(1), &body).await.status(),
        StatusCode::OK
    );
    assert_problem(
        app.put(&path, &token, Some(1), &body).await,
        StatusCode::PRECONDITION_FAILED,
    )
    .await;
    assert_problem(
        app.delete(&path, &token, None).await,
        StatusCode::PRECONDITION_REQUIRED,
    )
    .await;
    assert_problem(
        app.delete(&path, &token, Some(1)).await,
        StatusCode::PRECONDITION_FAILED,
    )
    .await;
    // `*` is an entity-tag condition, but this API never deletes unconditionally: 412; a
    // value that is no entity tag at all is 400.
    for (value, status) in [
        ("*", StatusCode::PRECONDITION_FAILED),
        ("1", StatusCode::BAD_REQUEST),
    ] {
        let refused = app
            .request(Method::DELETE, &path, Some(&token))
            .header("If-Match", value)
            .send()
            .await
            .expect("send");
        assert_problem(refused, status).await;
    }

    let missing = "/api/v1/roadmap/items/424242";
    assert_problem(app.get(missing, &token).await, StatusCode::NOT_FOUND).await;
    assert_problem(
        app.put(missing, &token, Some(1), &body).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        app.delete(missing, &token, Some(1)).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        app.get("/api/v1/roadmap/items/abc", &token).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(
        app.delete(&path, &token, Some(2)).await.status(),
        StatusCode::NO_CONTENT
    );
}

async fn titles_are_unique_within_a_workstream(app: TestApp) {
    let token = app.token("coordinator").await;
    // The demo has "Personalakquise" in modules 1 and 2; module 3 may have one too.
    create(
        &app,
        &token,
        &item("module_3", "Personalakquise", "2030-H1", "2030-H1"),
    )
    .await;
    let problem = assert_problem(
        app.post(
            "/api/v1/roadmap/items",
            &token,
            &item("module_3", "Personalakquise", "2031-H1", "2031-H1"),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(problem["detail"]
        .as_str()
        .is_some_and(|d| d.contains("title")));
}
