//! Offers (Angebote): CRUD, every invalid field, filters and paging, If-Match, and who may
//! write: the coordination for every organisation, partner tokens with `offers:write` only for
//! their own.

use kim_tests::builders::offer;
use kim_tests::{
    assert_problem, backend_tests, error_fields, Method, OfferBuilder, StatusCode, TestApp,
};
use serde_json::{json, Value};

backend_tests!(
    the_demo_offers_are_there,
    create_get_replace_and_delete,
    each_invalid_field_is_422_and_malformed_json_400,
    anonymous_callers_are_401,
    every_role_reads_and_only_the_coordination_writes,
    partner_tokens_write_only_their_own_organisations_offers,
    missing_offers_are_404,
    if_match_is_required_and_checked,
    filters_and_paging,
    bad_filters_are_422_naming_the_parameter,
    municipalities_and_organisations_with_offers_cannot_be_deleted,
    a_retry_with_the_same_idempotency_key_creates_once,
);

const OFFERS: &str = "/api/v1/offers";

async fn json_of(response: reqwest::Response) -> Value {
    response.json().await.expect("json")
}

async fn organisation(app: &TestApp, name: &str) -> i64 {
    let admin = app.token("admin").await;
    app.id_of("organisations", name, &admin).await
}

async fn municipality(app: &TestApp, name: &str) -> i64 {
    let admin = app.token("admin").await;
    app.id_of("municipalities", name, &admin).await
}

fn with(mut body: Value, field: &str, value: Value) -> Value {
    body[field] = value;
    body
}

async fn list(app: &TestApp, token: &str, query: &str) -> Value {
    let response = app.get(&format!("{OFFERS}{query}"), token).await;
    assert_eq!(response.status(), StatusCode::OK, "GET /offers{query}");
    json_of(response).await
}

fn titles(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|o| o["title"].as_str().map(String::from))
        .collect()
}

/// A partner token of `organisation` with `scopes`, issued by the admin.
async fn partner(app: &TestApp, organisation_name: &str, scopes: Value) -> String {
    let organisation_id = organisation(app, organisation_name).await;
    app.issue_partner_token(
        &json!({"name": "Angebotspflege", "organisation_id": organisation_id, "scopes": scopes, "expires_in_days": 30}),
    )
    .await["secret"]
        .as_str()
        .expect("secret")
        .to_owned()
}

async fn the_demo_offers_are_there(app: TestApp) {
    let token = app.token("case_manager").await;
    let all = list(&app, &token, "?limit=200").await;
    assert_eq!(all["total"], 15);
    let mbe: Vec<&Value> = all["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|o| {
            o["title"]
                .as_str()
                .is_some_and(|t| t.starts_with("Migrationsberatung"))
        })
        .collect();
    assert_eq!(mbe.len(), 2, "MBE on both sides of the Rhine");
    let jobcenter = organisation(&app, "Jobcenter Rhein-Sieg").await;
    let of_jobcenter = list(&app, &token, &format!("?organisation_id={jobcenter}")).await;
    assert_eq!(of_jobcenter["total"], 1);
    assert_eq!(of_jobcenter["items"][0]["county_wide"], true);
    assert_eq!(of_jobcenter["items"][0]["municipality_ids"], json!([]));
    // The seniors' offer ended in 2020: listed, but not active today.
    let seniors = list(&app, &token, "?target_group=seniors").await;
    assert_eq!(seniors["total"], 1);
    assert_eq!(seniors["items"][0]["active_until"], "2020-12-31");
    let seniors_today = list(&app, &token, "?target_group=seniors&active_on=2026-01-01").await;
    assert_eq!(seniors_today["total"], 0);
}

async fn create_get_replace_and_delete(app: TestApp) {
    let token = app.token("coordinator").await;
    let caritas = organisation(&app, "Caritasverband Rhein-Sieg").await;
    let siegburg = municipality(&app, "Siegburg").await;
    let much = municipality(&app, "Much").await;
    let body = json!({
        "organisation_id": caritas, "title": "  Wohnungslotsen  ",
        "topics": ["housing", "counselling", "housing"],
        "target_groups": ["refugees", "families"],
        "municipality_ids": [much, siegburg, much],
        "residence_statuses": ["tolerated", "asylum_seeker"],
        "languages": ["uk", "de", "ar", "de"], "access": "appointment",
        "active_from": "2022-01-01", "active_until": "2023-12-31"
    });
    let response = app.post(OFFERS, &token, &body).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(response.headers()["etag"], "\"1\"");
    let location = response.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let created = json_of(response).await;
    let id = created["id"].as_i64().expect("id");
    assert_eq!(location, format!("/api/v1/offers/{id}"));
    let mut municipalities = vec![siegburg, much];
    municipalities.sort();
    assert_eq!(
        created,
        json!({
            "id": id, "organisation_id": caritas, "title": "Wohnungslotsen", "description": null,
            "topics": ["counselling", "housing"],
            "target_groups": ["refugees", "families"], "county_wide": false,
            "municipality_ids": municipalities, "min_age": null, "max_age": null,
            "residence_statuses": ["asylum_seeker", "tolerated"],
            "languages": ["ar", "de", "uk"], "access": "appointment",
            "capacity_per_month": null, "active_from": "2022-01-01", "active_until": "2023-12-31",
            "version": 1, "created_at": created["created_at"], "updated_at": created["updated_at"]
        })
    );
    let fetched = app.get(&location, &token).await;
    assert_eq!(fetched.status(), StatusCode::OK);
    assert_eq!(fetched.headers()["etag"], "\"1\"");
    assert_eq!(json_of(fetched).await, created);

    let replacement = offer(caritas, "Wohnungslotsen kreisweit", &[]);
    let response = app.put(&location, &token, Some(1), &replacement).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["etag"], "\"2\"");
    let updated = json_of(response).await;
    assert_eq!(updated["version"], 2);
    assert_eq!(updated["title"], "Wohnungslotsen kreisweit");
    assert_eq!(updated["county_wide"], true);
    assert_eq!(updated["municipality_ids"], json!([]));
    assert_eq!(updated["languages"], json!(["ar", "de"]));
    assert_eq!(updated["residence_statuses"], json!(["asylum_seeker"]));
    assert_eq!(updated["min_age"], 18);
    assert_eq!(updated["capacity_per_month"], 40);
    assert_eq!(updated["active_until"], Value::Null);
    assert_eq!(updated["created_at"], created["created_at"]);
    assert_eq!(json_of(app.get(&location, &token).await).await, updated);

    assert_eq!(
        app.delete(&location, &token, Some(2)).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_problem(app.get(&location, &token).await, StatusCode::NOT_FOUND).await;
    // The KI lead writes offers too.
    let lead = app.token("ki_lead").await;
    OfferBuilder::new(&app)
        .titled("Vom KI angelegt")
        .in_municipality("Siegburg")
        .by(&lead)
        .create()
        .await;
}

async fn each_invalid_field_is_422_and_malformed_json_400(app: TestApp) {
    let token = app.token("coordinator").await;
    let caritas = organisation(&app, "Caritasverband Rhein-Sieg").await;
    let siegburg = municipality(&app, "Siegburg").await;
    let valid = offer(caritas, "Gültig", &[siegburg]);
    let too_many: Vec<i64> = (1..=101).collect();
    let cases: Vec<(Value, &str)> = vec![
        (with(valid.clone(), "title", json!("  ")), "title"),
        (
            with(valid.clone(), "title", json!("x".repeat(201))),
            "title",
        ),
        (
            with(valid.clone(), "description", json!("x".repeat(2001))),
            "description",
        ),
        (with(valid.clone(), "topics", json!([])), "topics"),
        (
            with(valid.clone(), "target_groups", json!([])),
            "target_groups",
        ),
        (
            with(valid.clone(), "municipality_ids", json!([])),
            "municipality_ids",
        ),
        (
            with(valid.clone(), "county_wide", json!(true)),
            "municipality_ids",
        ),
        (
            with(valid.clone(), "municipality_ids", json!(too_many)),
            "municipality_ids",
        ),
        (
            with(valid.clone(), "municipality_ids", json!([999999])),
            "municipality_ids",
        ),
        (
            with(valid.clone(), "organisation_id", json!(999999)),
            "organisation_id",
        ),
        (with(valid.clone(), "min_age", json!(-1)), "min_age"),
        (with(valid.clone(), "max_age", json!(121)), "max_age"),
        (with(valid.clone(), "min_age", json!(100)), "max_age"),
        (
            with(valid.clone(), "capacity_per_month", json!(-1)),
            "capacity_per_month",
        ),
        (
            with(valid.clone(), "active_until", json!("2020-12-31")),
            "active_until",
        ),
        (
            with(valid.clone(), "languages", json!(["de", "deu"])),
            "languages",
        ),
        (with(valid.clone(), "languages", json!(["xx"])), "languages"),
        (with(valid.clone(), "topics", json!(["family"])), "body"),
        (with(valid.clone(), "access", json!("open")), "body"),
        (with(valid.clone(), "unknown", json!(1)), "unknown"),
    ];
    for (body, field) in cases {
        let problem = assert_problem(
            app.post(OFFERS, &token, &body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(error_fields(&problem), vec![field.to_owned()], "{body}");
    }
    let bad_language = assert_problem(
        app.post(
            OFFERS,
            &token,
            &with(valid.clone(), "languages", json!(["xx"])),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert!(bad_language["errors"][0]["message"]
        .as_str()
        .is_some_and(|m| m.contains("ISO 639-1")));
    // Every domain violation at once.
    let many = json!({"organisation_id": caritas, "title": "", "topics": [], "target_groups": [],
        "access": "walk_in", "min_age": 130, "capacity_per_month": -5, "languages": ["zz"]});
    let problem = assert_problem(
        app.post(OFFERS, &token, &many).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(
        error_fields(&problem),
        vec![
            "capacity_per_month",
            "languages",
            "min_age",
            "municipality_ids",
            "target_groups",
            "title",
            "topics"
        ]
    );
    // The same checks on PUT.
    let created = app.post_created(OFFERS, &token, &valid).await;
    let path = format!("{OFFERS}/{}", created["id"]);
    let problem = assert_problem(
        app.put(
            &path,
            &token,
            Some(1),
            &with(valid.clone(), "topics", json!([])),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["topics"]);
    let malformed = app
        .request(Method::POST, OFFERS, Some(&token))
        .header("content-type", "application/json")
        .body("{\"title\": ")
        .send()
        .await
        .expect("send");
    assert_problem(malformed, StatusCode::BAD_REQUEST).await;
    let listed = list(&app, &token, "?q=gültig").await;
    assert_eq!(listed["total"], 1, "nothing half-written");
}

async fn anonymous_callers_are_401(app: TestApp) {
    for (method, path) in [
        (Method::GET, "/api/v1/offers"),
        (Method::GET, "/api/v1/offers/1"),
        (Method::POST, "/api/v1/offers"),
        (Method::PUT, "/api/v1/offers/1"),
        (Method::DELETE, "/api/v1/offers/1"),
    ] {
        for token in [None, Some("not-a-token"), Some("kimp_not-a-partner-token")] {
            let response = app
                .request(method.clone(), path, token)
                .header("If-Match", "\"1\"")
                .json(&offer(1, "Anonym", &[]))
                .send()
                .await
                .expect("send");
            assert_problem(response, StatusCode::UNAUTHORIZED).await;
        }
    }
}

async fn every_role_reads_and_only_the_coordination_writes(app: TestApp) {
    let coordinator = app.token("coordinator").await;
    let caritas = organisation(&app, "Caritasverband Rhein-Sieg").await;
    let existing = OfferBuilder::new(&app).titled("Rollen").create().await;
    let path = format!("{OFFERS}/{}", existing["id"]);
    for role in [
        "admin",
        "ki_lead",
        "coordinator",
        "cm_coordinator",
        "case_manager",
        "steering_member",
        "project_group_member",
        "analyst",
        "immigration_officer",
        "data_protection_officer",
    ] {
        let token = app.token(role).await;
        assert_eq!(
            app.get(OFFERS, &token).await.status(),
            StatusCode::OK,
            "{role}"
        );
        assert_eq!(
            app.get(&path, &token).await.status(),
            StatusCode::OK,
            "{role}"
        );
        if matches!(role, "ki_lead" | "coordinator") {
            continue;
        }
        let refused = assert_problem(
            app.post(OFFERS, &token, &offer(caritas, "Verboten", &[]))
                .await,
            StatusCode::FORBIDDEN,
        )
        .await;
        assert!(refused["detail"]
            .as_str()
            .is_some_and(|d| d.contains("write_offers")));
        // 403 comes before the missing If-Match and before the body is examined.
        assert_problem(
            app.put(&path, &token, None, &offer(caritas, "Verboten", &[]))
                .await,
            StatusCode::FORBIDDEN,
        )
        .await;
        assert_problem(
            app.delete(&path, &token, Some(1)).await,
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    // Partner tokens without offers:write read but do not write.
    let reader = partner(&app, "Jobcenter Rhein-Sieg", json!(["referrals:read"])).await;
    assert_eq!(app.get(OFFERS, &reader).await.status(), StatusCode::OK);
    assert_eq!(app.get(&path, &reader).await.status(), StatusCode::OK);
    let jobcenter = organisation(&app, "Jobcenter Rhein-Sieg").await;
    assert_problem(
        app.post(OFFERS, &reader, &offer(jobcenter, "Ohne Scope", &[]))
            .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_eq!(list(&app, &coordinator, "?q=verboten").await["total"], 0);
}

async fn partner_tokens_write_only_their_own_organisations_offers(app: TestApp) {
    let caritas = organisation(&app, "Caritasverband Rhein-Sieg").await;
    let diakonie = organisation(&app, "Diakonisches Werk an Sieg und Rhein").await;
    let siegburg = municipality(&app, "Siegburg").await;
    let token = partner(&app, "Caritasverband Rhein-Sieg", json!(["offers:write"])).await;
    let coordinator = app.token("coordinator").await;

    let own = app
        .post_created(
            OFFERS,
            &token,
            &offer(caritas, "Eigenes Angebot", &[siegburg]),
        )
        .await;
    let own_path = format!("{OFFERS}/{}", own["id"]);
    let refused = assert_problem(
        app.post(OFFERS, &token, &offer(diakonie, "Fremdes Angebot", &[]))
            .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert!(refused["detail"]
        .as_str()
        .is_some_and(|d| d.contains("own organisation")));

    let foreign = app
        .post_created(OFFERS, &coordinator, &offer(diakonie, "Der Diakonie", &[]))
        .await;
    let foreign_path = format!("{OFFERS}/{}", foreign["id"]);
    // Another organisation's offer: readable, but not writable (403, not 404: nothing is hidden).
    assert_eq!(
        app.get(&foreign_path, &token).await.status(),
        StatusCode::OK
    );
    assert_problem(
        app.put(
            &foreign_path,
            &token,
            Some(1),
            &offer(caritas, "Übernommen", &[]),
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_problem(
        app.delete(&foreign_path, &token, Some(1)).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    // Nor may the partner hand its own offer to another organisation.
    assert_problem(
        app.put(
            &own_path,
            &token,
            Some(1),
            &offer(diakonie, "Weitergegeben", &[]),
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let unchanged = json_of(app.get(&foreign_path, &coordinator).await).await;
    assert_eq!(unchanged["title"], "Der Diakonie");
    assert_eq!(unchanged["version"], 1);

    let response = app
        .put(
            &own_path,
            &token,
            Some(1),
            &offer(caritas, "Eigenes, geändert", &[]),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(json_of(response).await["version"], 2);
    assert_eq!(
        app.delete(&own_path, &token, Some(2)).await.status(),
        StatusCode::NO_CONTENT
    );
    // The coordination writes every organisation's offers.
    assert_eq!(
        app.delete(&foreign_path, &coordinator, Some(1))
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
}

async fn missing_offers_are_404(app: TestApp) {
    let token = app.token("coordinator").await;
    let caritas = organisation(&app, "Caritasverband Rhein-Sieg").await;
    let path = format!("{OFFERS}/999999");
    assert_problem(app.get(&path, &token).await, StatusCode::NOT_FOUND).await;
    assert_problem(
        app.put(&path, &token, Some(1), &offer(caritas, "Nirgends", &[]))
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        app.delete(&path, &token, Some(1)).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let partner = partner(&app, "Caritasverband Rhein-Sieg", json!(["offers:write"])).await;
    assert_problem(
        app.put(&path, &partner, Some(1), &offer(caritas, "Nirgends", &[]))
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        app.get("/api/v1/offers/not-a-number", &token).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
}

async fn if_match_is_required_and_checked(app: TestApp) {
    let token = app.token("coordinator").await;
    let caritas = organisation(&app, "Caritasverband Rhein-Sieg").await;
    let created = OfferBuilder::new(&app).titled("Versionen").create().await;
    let path = format!("{OFFERS}/{}", created["id"]);
    let body = offer(caritas, "Versionen 2", &[]);
    assert_problem(
        app.put(&path, &token, None, &body).await,
        StatusCode::PRECONDITION_REQUIRED,
    )
    .await;
    assert_problem(
        app.put(&path, &token, Some(7), &body).await,
        StatusCode::PRECONDITION_FAILED,
    )
    .await;
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
    let current = json_of(app.get(&path, &token).await).await;
    assert_eq!(current["title"], "Versionen 2");
    assert_eq!(
        app.delete(&path, &token, Some(2)).await.status(),
        StatusCode::NO_CONTENT
    );
}

async fn filters_and_paging(app: TestApp) {
    let token = app.token("coordinator").await;
    let caritas = organisation(&app, "Caritasverband Rhein-Sieg").await;
    let diakonie = organisation(&app, "Diakonisches Werk an Sieg und Rhein").await;
    let much = municipality(&app, "Much").await;
    let windeck = municipality(&app, "Windeck").await;
    let mk = |org, title: &str, places: &[i64], topics: Value, groups: Value, languages: Value| {
        let mut body = offer(org, title, places);
        body["topics"] = topics;
        body["target_groups"] = groups;
        body["languages"] = languages;
        body
    };
    app.post_created(
        OFFERS,
        &token,
        &mk(
            caritas,
            "Filter A",
            &[much],
            json!(["work"]),
            json!(["women"]),
            json!(["de"]),
        ),
    )
    .await;
    app.post_created(
        OFFERS,
        &token,
        &mk(
            diakonie,
            "Filter B",
            &[windeck],
            json!(["work", "health"]),
            json!(["youth"]),
            json!(["uk"]),
        ),
    )
    .await;
    let mut ended = mk(
        caritas,
        "Filter C",
        &[],
        json!(["health"]),
        json!(["women", "youth"]),
        json!(["uk", "de"]),
    );
    ended["active_from"] = json!("2020-01-01");
    ended["active_until"] = json!("2020-12-31");
    app.post_created(OFFERS, &token, &ended).await;

    let query = |q: &str| format!("?q=filter&{q}");
    assert_eq!(
        titles(&list(&app, &token, "?q=FILTER").await),
        ["Filter A", "Filter B", "Filter C"]
    );
    for (filter, expected) in [
        (format!("organisation_id={caritas}"), vec!["Filter A", "Filter C"]),
        (format!("organisation_id={diakonie}"), vec!["Filter B"]),
        ("topic=work".into(), vec!["Filter A", "Filter B"]),
        ("topic=health".into(), vec!["Filter B", "Filter C"]),
        ("topic=leisure".into(), vec![]),
        ("target_group=women".into(), vec!["Filter A", "Filter C"]),
        ("target_group=youth".into(), vec!["Filter B", "Filter C"]),
        // County-wide offers serve every municipality.
        (format!("municipality_id={much}"), vec!["Filter A", "Filter C"]),
        (format!("municipality_id={windeck}"), vec!["Filter B", "Filter C"]),
        ("language=uk".into(), vec!["Filter B", "Filter C"]),
        ("language=de".into(), vec!["Filter A", "Filter C"]),
        ("active_on=2020-06-01".into(), vec!["Filter C"]),
        ("active_on=2020-12-31".into(), vec!["Filter C"]),
        ("active_on=2021-01-01".into(), vec!["Filter A", "Filter B"]),
        ("active_on=2019-12-31".into(), vec![]),
        (
            format!("topic=health&target_group=youth&municipality_id={much}&language=uk&active_on=2020-05-05"),
            vec!["Filter C"],
        ),
        ("sort=-title".into(), vec!["Filter C", "Filter B", "Filter A"]),
        ("sort=active_from".into(), vec!["Filter C", "Filter A", "Filter B"]),
    ] {
        let page = list(&app, &token, &query(&filter)).await;
        assert_eq!(titles(&page), expected, "{filter}");
        assert_eq!(page["total"], expected.len(), "{filter}");
    }
    // The demo's county-wide offers appear for every municipality too.
    let jobcenter_offers = list(
        &app,
        &token,
        &format!("?municipality_id={much}&q=integrationscoaching"),
    )
    .await;
    assert_eq!(jobcenter_offers["total"], 1);

    let first = list(&app, &token, &query("limit=2")).await;
    assert_eq!(titles(&first), ["Filter A", "Filter B"]);
    assert_eq!(
        (first["total"].clone(), first["next"].clone()),
        (json!(3), json!(2))
    );
    let second = list(&app, &token, &query("limit=2&offset=2")).await;
    assert_eq!(titles(&second), ["Filter C"]);
    assert_eq!(second["next"], Value::Null);
    let all = list(&app, &token, "?limit=200").await;
    assert_eq!(all["total"], 18);
}

async fn bad_filters_are_422_naming_the_parameter(app: TestApp) {
    let token = app.token("analyst").await;
    for (query, fields) in [
        ("topic=family", vec!["topic"]),
        ("target_group=everyone", vec!["target_group"]),
        ("language=deu", vec!["language"]),
        ("active_on=2021-13-01", vec!["active_on"]),
        ("active_on=yesterday", vec!["active_on"]),
        ("sort=capacity", vec!["sort"]),
        ("limit=0", vec!["limit"]),
        ("limit=201", vec!["limit"]),
        ("offset=-1", vec!["offset"]),
        (
            "topic=x&target_group=y&language=z&active_on=w",
            vec!["active_on", "language", "target_group", "topic"],
        ),
    ] {
        let problem = assert_problem(
            app.get(&format!("{OFFERS}?{query}"), &token).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(error_fields(&problem), fields, "{query}");
    }
    assert_problem(
        app.get(&format!("{OFFERS}?organisation_id=abc"), &token)
            .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
}

async fn municipalities_and_organisations_with_offers_cannot_be_deleted(app: TestApp) {
    let token = app.token("coordinator").await;
    let place = app
        .post(
            "/api/v1/municipalities",
            &token,
            &json!({"name": "Angebotsdorf", "kind": "municipality", "rhine_side": "left"}),
        )
        .await;
    assert_eq!(place.status(), StatusCode::CREATED);
    let place = json_of(place).await["id"].as_i64().expect("id");
    let provider = app
        .post(
            "/api/v1/organisations",
            &token,
            &json!({"name": "Neuer Träger", "kind": "welfare_organisation"}),
        )
        .await;
    assert_eq!(provider.status(), StatusCode::CREATED);
    let provider = json_of(provider).await["id"].as_i64().expect("id");
    let created = app
        .post_created(OFFERS, &token, &offer(provider, "Bindet", &[place]))
        .await;
    let place_path = format!("/api/v1/municipalities/{place}");
    let provider_path = format!("/api/v1/organisations/{provider}");
    assert_problem(
        app.delete(&place_path, &token, Some(1)).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_problem(
        app.delete(&provider_path, &token, Some(1)).await,
        StatusCode::CONFLICT,
    )
    .await;
    // Once the offer is gone, both can go.
    let offer_path = format!("{OFFERS}/{}", created["id"]);
    assert_eq!(
        app.delete(&offer_path, &token, Some(1)).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.delete(&place_path, &token, Some(1)).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.delete(&provider_path, &token, Some(1)).await.status(),
        StatusCode::NO_CONTENT
    );
}

async fn a_retry_with_the_same_idempotency_key_creates_once(app: TestApp) {
    let caritas = organisation(&app, "Caritasverband Rhein-Sieg").await;
    let token = partner(&app, "Caritasverband Rhein-Sieg", json!(["offers:write"])).await;
    let body = offer(caritas, "Einmalig", &[]);
    let send = |body: Value, key: &'static str| {
        app.request(Method::POST, OFFERS, Some(&token))
            .header("Idempotency-Key", key)
            .json(&body)
            .send()
    };
    let first = send(body.clone(), "angebot-1").await.expect("send");
    assert_eq!(first.status(), StatusCode::CREATED);
    assert_eq!(first.headers()["etag"], "\"1\"");
    assert!(first.headers().get("idempotent-replayed").is_none());
    let location = first.headers()["location"].clone();
    let created = json_of(first).await;
    let retry = send(body.clone(), "angebot-1").await.expect("send");
    assert_eq!(retry.status(), StatusCode::CREATED);
    assert_eq!(retry.headers()["idempotent-replayed"], "true");
    assert_eq!(retry.headers()["location"], location);
    assert_eq!(json_of(retry).await, created);
    let coordinator = app.token("coordinator").await;
    assert_eq!(list(&app, &coordinator, "?q=einmalig").await["total"], 1);
    let reused = send(offer(caritas, "Anderes", &[]), "angebot-1")
        .await
        .expect("send");
    let problem = assert_problem(reused, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(error_fields(&problem), ["Idempotency-Key"]);
    let another = send(body, "angebot-2").await.expect("send");
    assert_eq!(another.status(), StatusCode::CREATED);
    assert_eq!(list(&app, &coordinator, "?q=einmalig").await["total"], 2);
}
