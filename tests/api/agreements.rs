//! Cooperation agreements (Kooperationsvereinbarungen): CRUD, the status machine with its
//! requirements, history, filters, and who may do what.

use chrono::{Days, NaiveDate, Utc};
use diesel::connection::SimpleConnection;
use diesel::RunQueryDsl;
use kim_tests::{assert_problem, backend_tests, error_fields, Method, StatusCode, TestApp};
use serde_json::{json, Value};

backend_tests!(
    create_get_and_replace,
    the_whole_life_of_an_agreement_is_in_its_history,
    an_active_agreement_expires_only_after_its_end_date,
    illegal_transitions_are_409_naming_the_allowed_ones,
    signing_needs_a_date_and_a_partner,
    status_requirements_hold_on_edits_too,
    invalid_input_is_422_and_malformed_input_400,
    readers_and_writers,
    missing_agreements_are_404,
    if_match_is_required_and_checked,
    filters_by_status_municipality_organisation_module_and_title,
    expiring_within_days_finds_active_agreements_ending_soon,
    the_demo_agreements_have_their_history,
    covers_existing_positions_and_keeps_its_partners,
);

const AGREEMENTS: &str = "/api/v1/agreements";

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

fn days_from_today(days: i64) -> String {
    let date = if days >= 0 {
        today().checked_add_days(Days::new(days.unsigned_abs()))
    } else {
        today().checked_sub_days(Days::new(days.unsigned_abs()))
    };
    date.expect("date in range").to_string()
}

async fn json_of(response: reqwest::Response) -> Value {
    response.json().await.expect("json")
}

/// Creates an agreement and returns it, asserting 201.
async fn create(app: &TestApp, token: &str, body: &Value) -> Value {
    let response = app.post(AGREEMENTS, token, body).await;
    assert_eq!(response.status(), StatusCode::CREATED, "create {body}");
    json_of(response).await
}

/// `POST /agreements/{id}/transitions` with `If-Match: "version"` when given.
async fn transition(
    app: &TestApp,
    token: &str,
    id: &Value,
    version: Option<i64>,
    body: &Value,
) -> reqwest::Response {
    let mut request = app
        .request(
            Method::POST,
            &format!("{AGREEMENTS}/{id}/transitions"),
            Some(token),
        )
        .json(body);
    if let Some(v) = version {
        request = request.header("If-Match", format!("\"{v}\""));
    }
    request.send().await.expect("send")
}

/// Applies `steps` in order, each with the version the previous one returned; returns the
/// agreement after the last step.
async fn walk(app: &TestApp, token: &str, agreement: Value, steps: &[Value]) -> Value {
    let mut current = agreement;
    for step in steps {
        let version = current["version"].as_i64().expect("version");
        let response = transition(app, token, &current["id"], Some(version), step).await;
        assert_eq!(response.status(), StatusCode::OK, "transition {step}");
        current = json_of(response).await;
    }
    current
}

/// An agreement with a partner municipality, signed and in force from 2021.
async fn active_agreement(
    app: &TestApp,
    token: &str,
    title: &str,
    municipality: i64,
    ends_on: Option<String>,
) -> Value {
    let created = create(
        app,
        token,
        &json!({"title": title, "municipality_id": municipality, "ends_on": ends_on}),
    )
    .await;
    walk(
        app,
        token,
        created,
        &[
            json!({"to": "negotiating"}),
            json!({"to": "signed", "signed_on": "2021-03-01"}),
            json!({"to": "active", "starts_on": "2021-04-01"}),
        ],
    )
    .await
}

fn titles(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|a| a["title"].as_str().map(String::from))
        .collect()
}

async fn create_get_and_replace(app: TestApp) {
    let token = app.token("coordinator").await;
    let caritas = app
        .id_of("organisations", "Caritasverband Rhein-Sieg", &token)
        .await;
    let lohmar = app.id_of("municipalities", "Lohmar", &token).await;
    let response = app
        .post(
            AGREEMENTS,
            &token,
            &json!({
                "title": "  KV Case Management Lohmar  ", "organisation_id": caritas,
                "municipality_id": lohmar, "modules": ["module_2", "module_1", "module_2"],
                "subject": "Case Management", "obligations": "  ",
                "starts_on": "2022-01-01", "ends_on": "2022-01-01",
                "document_url": "https://dms.example/kv/lohmar.pdf", "document_file_id": "KI-1"
            }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(response.headers()["etag"], "\"1\"");
    let location = response.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    let created = json_of(response).await;
    assert_eq!(location, format!("{AGREEMENTS}/{}", created["id"]));
    assert_eq!(created["title"], "KV Case Management Lohmar");
    assert_eq!(created["status"], "draft");
    assert_eq!(created["allowed_transitions"], json!(["negotiating"]));
    assert_eq!(created["modules"], json!(["module_1", "module_2"]));
    assert_eq!(created["position_ids"], json!([]));
    assert_eq!(created["service_supervision"], "KI");
    assert_eq!(created["technical_supervision"], "KI");
    assert_eq!(created["obligations"], Value::Null, "blank text is no text");
    assert_eq!(created["signed_on"], Value::Null);
    assert_eq!(created["ends_on"], "2022-01-01");
    assert_eq!(created["version"], 1);

    let fetched = app.get(&location, &token).await;
    assert_eq!(fetched.status(), StatusCode::OK);
    assert_eq!(fetched.headers()["etag"], "\"1\"");
    assert_eq!(json_of(fetched).await, created);

    let replacement = json!({
        "title": "KV Case Management Lohmar", "municipality_id": lohmar, "modules": ["module_2"],
        "service_supervision": "Stadt Lohmar", "technical_supervision": "KI",
        "subject": "Case Management", "starts_on": "2022-01-01"
    });
    let response = app.put(&location, &token, Some(1), &replacement).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["etag"], "\"2\"");
    let updated = json_of(response).await;
    assert_eq!(updated["status"], "draft", "PUT does not change the status");
    assert_eq!(updated["organisation_id"], Value::Null);
    assert_eq!(updated["modules"], json!(["module_2"]));
    assert_eq!(updated["service_supervision"], "Stadt Lohmar");
    assert_eq!(updated["ends_on"], Value::Null);
    assert_eq!(updated["document_url"], Value::Null);
    assert_eq!(updated["version"], 2);

    // The same fields again change nothing, not even the version.
    let same = json_of(app.put(&location, &token, Some(2), &replacement).await).await;
    assert_eq!(same["version"], 2);

    let history = json_of(app.get(&format!("{location}/history"), &token).await).await;
    assert_eq!(history["total"], 2);
    assert_eq!(history["items"][0]["kind"], "created");
    assert_eq!(history["items"][0]["to_status"], "draft");
    assert_eq!(history["items"][1]["kind"], "updated");
    assert_eq!(history["items"][1]["from_status"], Value::Null);
    assert_eq!(
        history["items"][1]["changed_fields"],
        json!([
            "organisation_id",
            "modules",
            "service_supervision",
            "ends_on",
            "document_url",
            "document_file_id"
        ])
    );
}

async fn the_whole_life_of_an_agreement_is_in_its_history(app: TestApp) {
    let admin = app.token("admin").await;
    let coordinator_id = app.id_of("users", "coordinator", &admin).await;
    let ki_lead_id = app.id_of("users", "ki_lead", &admin).await;
    let coordinator = app.token("coordinator").await;
    let ki_lead = app.token("ki_lead").await;
    let eitorf = app.id_of("municipalities", "Eitorf", &coordinator).await;
    let created = create(
        &app,
        &coordinator,
        &json!({"title": "KV Eitorf", "municipality_id": eitorf, "modules": ["module_2"]}),
    )
    .await;
    let id = created["id"].clone();
    let signed = walk(
        &app,
        &coordinator,
        created,
        &[
            json!({"to": "negotiating", "comment": "Entwurf versandt"}),
            json!({"to": "signed", "signed_on": "2021-03-01", "comment": "Unterzeichnet"}),
        ],
    )
    .await;
    assert_eq!(signed["status"], "signed");
    assert_eq!(signed["signed_on"], "2021-03-01");
    assert_eq!(
        signed["allowed_transitions"],
        json!(["active", "terminated"])
    );
    let active = walk(
        &app,
        &ki_lead,
        signed,
        &[json!({"to": "active", "starts_on": "2021-04-01"})],
    )
    .await;
    assert_eq!(active["status"], "active");
    assert_eq!(active["starts_on"], "2021-04-01");
    let response = transition(
        &app,
        &coordinator,
        &id,
        Some(4),
        &json!({"to": "terminated", "ends_on": "2023-06-30", "comment": "Zum 30.06. gekündigt"}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["etag"], "\"5\"");
    let terminated = json_of(response).await;
    assert_eq!(terminated["status"], "terminated");
    assert_eq!(terminated["ends_on"], "2023-06-30");
    assert_eq!(terminated["allowed_transitions"], json!([]));
    assert_eq!(terminated["version"], 5);

    let history = json_of(
        app.get(&format!("{AGREEMENTS}/{id}/history"), &ki_lead)
            .await,
    )
    .await;
    assert_eq!(history["total"], 5);
    let entries: Vec<(Value, Value, Value, Value, Value)> = history["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| {
            (
                e["kind"].clone(),
                e["from_status"].clone(),
                e["to_status"].clone(),
                e["comment"].clone(),
                e["actor_id"].clone(),
            )
        })
        .collect();
    let by_coordinator = json!(coordinator_id);
    assert_eq!(
        entries,
        vec![
            (
                json!("created"),
                Value::Null,
                json!("draft"),
                Value::Null,
                by_coordinator.clone()
            ),
            (
                json!("status_changed"),
                json!("draft"),
                json!("negotiating"),
                json!("Entwurf versandt"),
                by_coordinator.clone()
            ),
            (
                json!("status_changed"),
                json!("negotiating"),
                json!("signed"),
                json!("Unterzeichnet"),
                by_coordinator.clone()
            ),
            (
                json!("status_changed"),
                json!("signed"),
                json!("active"),
                Value::Null,
                json!(ki_lead_id)
            ),
            (
                json!("status_changed"),
                json!("active"),
                json!("terminated"),
                json!("Zum 30.06. gekündigt"),
                by_coordinator
            ),
        ]
    );
    assert_eq!(history["items"][2]["changed_fields"], json!(["signed_on"]));
    assert_eq!(history["items"][4]["changed_fields"], json!(["ends_on"]));
    let times: Vec<&str> = history["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|e| e["occurred_at"].as_str())
        .collect();
    assert_eq!(times.len(), 5);
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "oldest first");

    // Paged like every list.
    let first = json_of(
        app.get(&format!("{AGREEMENTS}/{id}/history?limit=2"), &ki_lead)
            .await,
    )
    .await;
    assert_eq!(first["items"].as_array().map(Vec::len), Some(2));
    assert_eq!(first["next"], 2);

    // A final agreement is a record: no edits.
    let problem = assert_problem(
        app.put(
            &format!("{AGREEMENTS}/{id}"),
            &coordinator,
            Some(5),
            &json!({"title": "KV Eitorf (neu)", "municipality_id": eitorf}),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(problem["detail"]
        .as_str()
        .is_some_and(|d| d.contains("terminated")));
}

async fn an_active_agreement_expires_only_after_its_end_date(app: TestApp) {
    let token = app.token("coordinator").await;
    let much = app.id_of("municipalities", "Much", &token).await;
    let open_ended = active_agreement(&app, &token, "KV Much", much, None).await;
    let problem = assert_problem(
        transition(
            &app,
            &token,
            &open_ended["id"],
            Some(4),
            &json!({"to": "expired"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["ends_on"]);
    let problem = assert_problem(
        transition(
            &app,
            &token,
            &open_ended["id"],
            Some(4),
            &json!({"to": "expired", "ends_on": days_from_today(1)}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["ends_on"]);
    assert!(problem["errors"][0]["message"]
        .as_str()
        .is_some_and(|m| m.contains("future")));
    let problem = assert_problem(
        transition(
            &app,
            &token,
            &open_ended["id"],
            Some(4),
            &json!({"to": "expired", "ends_on": "2021-03-31"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["ends_on"], "before starts_on");
    let unchanged = json_of(
        app.get(&format!("{AGREEMENTS}/{}", open_ended["id"]), &token)
            .await,
    )
    .await;
    assert_eq!(unchanged["status"], "active");
    assert_eq!(unchanged["ends_on"], Value::Null);
    assert_eq!(unchanged["version"], 4);

    let expired = walk(
        &app,
        &token,
        unchanged,
        &[json!({"to": "expired", "ends_on": "2023-12-31"})],
    )
    .await;
    assert_eq!(expired["status"], "expired");
    assert_eq!(expired["ends_on"], "2023-12-31");

    let ending_today =
        active_agreement(&app, &token, "KV Much 2", much, Some(days_from_today(0))).await;
    let expired = walk(&app, &token, ending_today, &[json!({"to": "expired"})]).await;
    assert_eq!(expired["status"], "expired", "the end date itself counts");
}

async fn illegal_transitions_are_409_naming_the_allowed_ones(app: TestApp) {
    let token = app.token("coordinator").await;
    let windeck = app.id_of("municipalities", "Windeck", &token).await;
    let draft = create(
        &app,
        &token,
        &json!({"title": "KV Windeck", "municipality_id": windeck}),
    )
    .await;
    let problem = assert_problem(
        transition(
            &app,
            &token,
            &draft["id"],
            Some(1),
            &json!({"to": "signed", "signed_on": "2021-03-01"}),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(
        problem["detail"],
        "cannot move from 'draft' to 'signed'; allowed from 'draft': negotiating"
    );
    let problem = assert_problem(
        transition(&app, &token, &draft["id"], Some(1), &json!({"to": "draft"})).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(problem["detail"]
        .as_str()
        .is_some_and(|d| d.ends_with("allowed from 'draft': negotiating")));
    let back = walk(
        &app,
        &token,
        draft,
        &[
            json!({"to": "negotiating"}),
            json!({"to": "draft", "comment": "Neu aufsetzen"}),
        ],
    )
    .await;
    assert_eq!(back["status"], "draft");

    let active = active_agreement(&app, &token, "KV Windeck 2", windeck, None).await;
    let problem = assert_problem(
        transition(
            &app,
            &token,
            &active["id"],
            Some(4),
            &json!({"to": "negotiating"}),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(problem["detail"]
        .as_str()
        .is_some_and(|d| d.contains("terminated, expired")));
    let terminated = walk(&app, &token, active, &[json!({"to": "terminated"})]).await;
    let problem = assert_problem(
        transition(
            &app,
            &token,
            &terminated["id"],
            Some(5),
            &json!({"to": "active"}),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(problem["detail"]
        .as_str()
        .is_some_and(|d| d.contains("nothing (final state)")));
    // An illegal move is refused before its data is looked at.
    let history = json_of(
        app.get(
            &format!("{AGREEMENTS}/{}/history", terminated["id"]),
            &token,
        )
        .await,
    )
    .await;
    assert_eq!(history["total"], 5);
}

async fn signing_needs_a_date_and_a_partner(app: TestApp) {
    let token = app.token("ki_lead").await;
    let created = create(
        &app,
        &token,
        &json!({"title": "KV ohne Partner", "modules": ["module_2"]}),
    )
    .await;
    assert_eq!(created["organisation_id"], Value::Null);
    let negotiating = walk(&app, &token, created, &[json!({"to": "negotiating"})]).await;
    let id = negotiating["id"].clone();
    let problem = assert_problem(
        transition(&app, &token, &id, Some(2), &json!({"to": "signed"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(
        error_fields(&problem),
        vec!["municipality_id", "organisation_id", "signed_on"]
    );
    let problem = assert_problem(
        transition(
            &app,
            &token,
            &id,
            Some(2),
            &json!({"to": "signed", "signed_on": "2021-03-01"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(
        error_fields(&problem),
        vec!["municipality_id", "organisation_id"]
    );
    let unchanged = json_of(app.get(&format!("{AGREEMENTS}/{id}"), &token).await).await;
    assert_eq!(unchanged["status"], "negotiating");
    assert_eq!(
        unchanged["signed_on"],
        Value::Null,
        "a refused move stores nothing"
    );
    assert_eq!(unchanged["version"], 2);

    let diakonie = app
        .id_of(
            "organisations",
            "Diakonisches Werk an Sieg und Rhein",
            &token,
        )
        .await;
    let with_partner = json_of(
        app.put(
            &format!("{AGREEMENTS}/{id}"),
            &token,
            Some(2),
            &json!({"title": "KV Diakonie", "organisation_id": diakonie, "modules": ["module_2"]}),
        )
        .await,
    )
    .await;
    assert_eq!(with_partner["version"], 3);
    let problem = assert_problem(
        transition(&app, &token, &id, Some(3), &json!({"to": "signed"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["signed_on"]);
    let signed = walk(
        &app,
        &token,
        with_partner,
        &[json!({"to": "signed", "signed_on": "2021-05-20"})],
    )
    .await;
    assert_eq!(signed["status"], "signed");
    let problem = assert_problem(
        transition(&app, &token, &id, Some(4), &json!({"to": "active"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["starts_on"]);
    let problem = assert_problem(
        transition(
            &app,
            &token,
            &id,
            Some(4),
            &json!({"to": "active", "starts_on": "2021-06-01", "ends_on": "2021-05-31"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["ends_on"]);
}

async fn status_requirements_hold_on_edits_too(app: TestApp) {
    let token = app.token("coordinator").await;
    let alfter = app.id_of("municipalities", "Alfter", &token).await;
    let active = active_agreement(&app, &token, "KV Alfter", alfter, None).await;
    let path = format!("{AGREEMENTS}/{}", active["id"]);
    let problem = assert_problem(
        app.put(&path, &token, Some(4), &json!({"title": "KV Alfter"}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(
        error_fields(&problem),
        vec![
            "municipality_id",
            "organisation_id",
            "signed_on",
            "starts_on"
        ]
    );
    let problem = assert_problem(
        app.put(
            &path,
            &token,
            Some(4),
            &json!({"title": "KV Alfter", "municipality_id": alfter, "signed_on": "2021-03-01",
                    "starts_on": "2021-04-01", "ends_on": "2021-01-01"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["ends_on"]);
    let updated = json_of(
        app.put(
            &path,
            &token,
            Some(4),
            &json!({"title": "KV Alfter", "municipality_id": alfter, "signed_on": "2021-03-01",
                    "starts_on": "2021-04-01", "ends_on": "2026-12-31", "modules": ["module_2"]}),
        )
        .await,
    )
    .await;
    assert_eq!(updated["status"], "active");
    assert_eq!(updated["ends_on"], "2026-12-31");
    assert_eq!(updated["version"], 5);
}

async fn invalid_input_is_422_and_malformed_input_400(app: TestApp) {
    let token = app.token("coordinator").await;
    let problem = assert_problem(
        app.post(
            AGREEMENTS,
            &token,
            &json!({
                "title": " ", "service_supervision": "", "technical_supervision": "x".repeat(101),
                "subject": "s".repeat(2001), "document_url": "not a url",
                "document_name": "n".repeat(201), "position_ids": (0..101).collect::<Vec<i64>>()
            }),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(
        error_fields(&problem),
        vec![
            "document_name",
            "document_url",
            "position_ids",
            "service_supervision",
            "subject",
            "technical_supervision",
            "title"
        ]
    );
    for (body, field) in [
        (
            json!({"title": "KV", "organisation_id": 424242}),
            "organisation_id",
        ),
        (
            json!({"title": "KV", "municipality_id": 424242}),
            "municipality_id",
        ),
        (
            json!({"title": "KV", "position_ids": [424242]}),
            "position_ids",
        ),
        (
            json!({"title": "KV", "starts_on": "2022-01-02", "ends_on": "2022-01-01"}),
            "ends_on",
        ),
    ] {
        let problem = assert_problem(
            app.post(AGREEMENTS, &token, &body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(error_fields(&problem), vec![field], "{body}");
    }
    let listed = json_of(app.get(&format!("{AGREEMENTS}?q=KV"), &token).await).await;
    assert_eq!(listed["total"], 0, "nothing half-written");

    // Well-formed JSON of the wrong shape names the field where serde can.
    for (body, field) in [
        (json!({"title": "KV", "status": "active"}), "status"),
        (json!({"modules": []}), "title"),
        (json!({"title": "KV", "modules": ["module_4"]}), "body"),
        (json!({"title": "KV", "signed_on": "2021-02-30"}), "body"),
    ] {
        let problem = assert_problem(
            app.post(AGREEMENTS, &token, &body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(error_fields(&problem), vec![field], "{body}");
    }
    let malformed = app
        .request(Method::POST, AGREEMENTS, Some(&token))
        .header("content-type", "application/json")
        .body("{\"title\": ")
        .send()
        .await
        .expect("send");
    assert_problem(malformed, StatusCode::BAD_REQUEST).await;

    let created = create(&app, &token, &json!({"title": "KV Bornheim"})).await;
    let id = &created["id"];
    let problem = assert_problem(
        app.put(
            &format!("{AGREEMENTS}/{id}"),
            &token,
            Some(1),
            &json!({"title": ""}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["title"]);
    let problem = assert_problem(
        transition(
            &app,
            &token,
            id,
            Some(1),
            &json!({"to": "negotiating", "comment": "c".repeat(2001)}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["comment"]);
    for (body, field) in [
        (json!({"to": "cancelled"}), "body"),
        (json!({"to": "negotiating", "note": "x"}), "note"),
        (json!({}), "to"),
    ] {
        let problem = assert_problem(
            transition(&app, &token, id, Some(1), &body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(error_fields(&problem), vec![field], "{body}");
    }
    let malformed = app
        .request(
            Method::POST,
            &format!("{AGREEMENTS}/{id}/transitions"),
            Some(&token),
        )
        .header("content-type", "application/json")
        .header("If-Match", "\"1\"")
        .body("to=signed")
        .send()
        .await
        .expect("send");
    assert_problem(malformed, StatusCode::BAD_REQUEST).await;
    for query in [
        "sort=password",
        "expiring_within_days=-1",
        "expiring_within_days=3651",
        "limit=0",
    ] {
        assert_problem(
            app.get(&format!("{AGREEMENTS}?{query}"), &token).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    for query in ["status=cancelled", "expiring_within_days=soon", "module=x"] {
        assert_problem(
            app.get(&format!("{AGREEMENTS}?{query}"), &token).await,
            StatusCode::BAD_REQUEST,
        )
        .await;
    }
    assert_problem(
        app.get(&format!("{AGREEMENTS}/abc"), &token).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
}

async fn readers_and_writers(app: TestApp) {
    let coordinator = app.token("coordinator").await;
    let created = create(&app, &coordinator, &json!({"title": "KV Rheinbach"})).await;
    let path = format!("{AGREEMENTS}/{}", created["id"]);
    let body = json!({"title": "KV Rheinbach (neu)"});
    for role in [
        "admin",
        "ki_lead",
        "cm_coordinator",
        "steering_member",
        "analyst",
    ] {
        let token = app.token(role).await;
        for read in [
            AGREEMENTS.to_owned(),
            path.clone(),
            format!("{path}/history"),
        ] {
            assert_eq!(
                app.get(&read, &token).await.status(),
                StatusCode::OK,
                "{role} {read}"
            );
        }
    }
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
            app.post(AGREEMENTS, &token, &body).await,
            StatusCode::FORBIDDEN,
        )
        .await;
        // 403 comes before a missing If-Match and before the body is examined.
        assert_problem(
            app.put(&path, &token, None, &json!({"title": ""})).await,
            StatusCode::FORBIDDEN,
        )
        .await;
        assert_problem(
            transition(
                &app,
                &token,
                &created["id"],
                None,
                &json!({"to": "negotiating"}),
            )
            .await,
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    for role in [
        "case_manager",
        "project_group_member",
        "immigration_officer",
    ] {
        let token = app.token(role).await;
        for read in [
            AGREEMENTS.to_owned(),
            path.clone(),
            format!("{path}/history"),
        ] {
            assert_problem(app.get(&read, &token).await, StatusCode::FORBIDDEN).await;
        }
    }
    // A partner system sees no steering data.
    let admin = app.token("admin").await;
    let jobcenter = app
        .id_of("organisations", "Jobcenter Rhein-Sieg", &admin)
        .await;
    let issued = app
        .issue_partner_token(&json!({"name": "Fachverfahren", "organisation_id": jobcenter,
                "scopes": ["referrals:read", "referrals:write", "reports:read"], "expires_in_days": 30}))
        .await;
    let partner = issued["secret"].as_str().expect("secret");
    assert_problem(app.get(AGREEMENTS, partner).await, StatusCode::FORBIDDEN).await;
    assert_problem(app.get(&path, partner).await, StatusCode::FORBIDDEN).await;
    assert_problem(
        app.post(AGREEMENTS, partner, &body).await,
        StatusCode::FORBIDDEN,
    )
    .await;

    for (method, target) in [
        (Method::GET, AGREEMENTS.to_owned()),
        (Method::GET, path.clone()),
        (Method::GET, format!("{path}/history")),
        (Method::POST, AGREEMENTS.to_owned()),
        (Method::PUT, path.clone()),
        (Method::POST, format!("{path}/transitions")),
    ] {
        let response = app
            .request(method.clone(), &target, None)
            .header("If-Match", "\"1\"")
            .json(&json!({"title": "KV", "to": "negotiating"}))
            .send()
            .await
            .expect("send");
        assert_problem(response, StatusCode::UNAUTHORIZED).await;
    }

    let ki_lead = app.token("ki_lead").await;
    let updated = json_of(app.put(&path, &ki_lead, Some(1), &body).await).await;
    assert_eq!(updated["title"], "KV Rheinbach (neu)");
    let unchanged = json_of(app.get(&path, &coordinator).await).await;
    assert_eq!(unchanged["version"], 2, "only the allowed write happened");
}

async fn missing_agreements_are_404(app: TestApp) {
    let token = app.token("coordinator").await;
    let path = format!("{AGREEMENTS}/999999");
    assert_problem(app.get(&path, &token).await, StatusCode::NOT_FOUND).await;
    assert_problem(
        app.get(&format!("{path}/history"), &token).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        app.put(&path, &token, Some(1), &json!({"title": "KV"}))
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        transition(
            &app,
            &token,
            &json!(999999),
            Some(1),
            &json!({"to": "negotiating"}),
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
}

async fn if_match_is_required_and_checked(app: TestApp) {
    let token = app.token("coordinator").await;
    let created = create(&app, &token, &json!({"title": "KV Meckenheim"})).await;
    let id = created["id"].clone();
    let path = format!("{AGREEMENTS}/{id}");
    let body = json!({"title": "KV Meckenheim", "modules": ["module_2"]});
    assert_problem(
        app.put(&path, &token, None, &body).await,
        StatusCode::PRECONDITION_REQUIRED,
    )
    .await;
    assert_problem(
        transition(&app, &token, &id, None, &json!({"to": "negotiating"})).await,
        StatusCode::PRECONDITION_REQUIRED,
    )
    .await;
    assert_eq!(
        app.put(&path, &token, Some(1), &body).await.status(),
        StatusCode::OK
    );
    // A second editor still holding version 1 must not overwrite the first.
    let stale = assert_problem(
        app.put(
            &path,
            &token,
            Some(1),
            &json!({"title": "KV Meckenheim alt"}),
        )
        .await,
        StatusCode::PRECONDITION_FAILED,
    )
    .await;
    assert!(stale["detail"]
        .as_str()
        .is_some_and(|d| d.contains("version is 2")));
    assert_problem(
        transition(&app, &token, &id, Some(1), &json!({"to": "negotiating"})).await,
        StatusCode::PRECONDITION_FAILED,
    )
    .await;
    let bad = app
        .request(Method::POST, &format!("{path}/transitions"), Some(&token))
        .header("If-Match", "*")
        .json(&json!({"to": "negotiating"}))
        .send()
        .await
        .expect("send");
    // Well formed, but `*` never matches here: this API does not overwrite unconditionally.
    assert_problem(bad, StatusCode::PRECONDITION_FAILED).await;
    let moved = transition(&app, &token, &id, Some(2), &json!({"to": "negotiating"})).await;
    assert_eq!(moved.status(), StatusCode::OK);
    assert_eq!(moved.headers()["etag"], "\"3\"");
    // The transition took the version the PUT had to send.
    assert_problem(
        app.put(&path, &token, Some(2), &body).await,
        StatusCode::PRECONDITION_FAILED,
    )
    .await;
}

async fn filters_by_status_municipality_organisation_module_and_title(app: TestApp) {
    let token = app.token("analyst").await;
    let all = json_of(app.get(&format!("{AGREEMENTS}?limit=200"), &token).await).await;
    assert_eq!(all["total"], 4, "the demo agreements");
    let by = |query: &str| format!("{AGREEMENTS}?{query}");
    let active = json_of(app.get(&by("status=active"), &token).await).await;
    assert_eq!(
        titles(&active),
        vec!["Kooperationsvereinbarung KIM Troisdorf"]
    );
    let draft = json_of(app.get(&by("status=draft"), &token).await).await;
    assert_eq!(
        titles(&draft),
        vec!["Kooperationsvereinbarung Case Management Sankt Augustin"]
    );
    let siegburg = app.id_of("municipalities", "Siegburg", &token).await;
    let local = json_of(
        app.get(&by(&format!("municipality_id={siegburg}")), &token)
            .await,
    )
    .await;
    assert_eq!(
        titles(&local),
        vec!["Kooperationsvereinbarung Case Management Siegburg"]
    );
    assert_eq!(local["items"][0]["status"], "negotiating");
    let caritas = app
        .id_of("organisations", "Caritasverband Rhein-Sieg", &token)
        .await;
    let partner = json_of(
        app.get(&by(&format!("organisation_id={caritas}")), &token)
            .await,
    )
    .await;
    assert_eq!(
        titles(&partner),
        vec!["Kooperationsvereinbarung Case Management Caritasverband Rhein-Sieg"]
    );
    assert_eq!(partner["items"][0]["status"], "signed");
    let module_1 = json_of(app.get(&by("module=module_1"), &token).await).await;
    assert_eq!(
        titles(&module_1),
        vec!["Kooperationsvereinbarung KIM Troisdorf"]
    );
    let search = json_of(app.get(&by("q=SANKT"), &token).await).await;
    assert_eq!(search["total"], 1);
    let none = json_of(
        app.get(
            &by(&format!("status=active&municipality_id={siegburg}")),
            &token,
        )
        .await,
    )
    .await;
    assert_eq!(none["total"], 0, "filters combine");
    let sorted = json_of(app.get(&by("sort=-title&limit=2"), &token).await).await;
    assert_eq!(
        titles(&sorted),
        vec![
            "Kooperationsvereinbarung KIM Troisdorf",
            "Kooperationsvereinbarung Case Management Siegburg"
        ]
    );
    assert_eq!(sorted["total"], 4);
    assert_eq!(sorted["next"], 2);
    let signed_first = json_of(app.get(&by("sort=signed_on"), &token).await).await;
    assert_eq!(
        titles(&signed_first)[..2],
        [
            "Kooperationsvereinbarung KIM Troisdorf",
            "Kooperationsvereinbarung Case Management Caritasverband Rhein-Sieg"
        ],
        "by signing date, unsigned last"
    );
    let signed_last = json_of(app.get(&by("sort=-signed_on"), &token).await).await;
    assert_eq!(
        titles(&signed_last)[..2],
        [
            "Kooperationsvereinbarung Case Management Caritasverband Rhein-Sieg",
            "Kooperationsvereinbarung KIM Troisdorf"
        ],
        "descending, unsigned still last"
    );
}

async fn expiring_within_days_finds_active_agreements_ending_soon(app: TestApp) {
    let token = app.token("coordinator").await;
    let lohmar = app.id_of("municipalities", "Lohmar", &token).await;
    for (title, ends) in [
        ("Ablauf heute", Some(0)),
        ("Ablauf in 5 Tagen", Some(5)),
        ("Ablauf in 30 Tagen", Some(30)),
        ("Ablauf in 31 Tagen", Some(31)),
        ("Ablauf gestern", Some(-1)),
        ("Ablauf offen", None),
    ] {
        active_agreement(&app, &token, title, lohmar, ends.map(days_from_today)).await;
    }
    // Not active, so not expiring, although its end date is near.
    let signed = create(
        &app,
        &token,
        &json!({"title": "Ablauf unterzeichnet", "municipality_id": lohmar, "ends_on": days_from_today(3)}),
    )
    .await;
    walk(
        &app,
        &token,
        signed,
        &[
            json!({"to": "negotiating"}),
            json!({"to": "signed", "signed_on": "2021-03-01"}),
        ],
    )
    .await;
    let expiring =
        |days: i64| format!("{AGREEMENTS}?q=ablauf&expiring_within_days={days}&sort=ends_on");
    let within_30 = json_of(app.get(&expiring(30), &token).await).await;
    assert_eq!(
        titles(&within_30),
        vec!["Ablauf heute", "Ablauf in 5 Tagen", "Ablauf in 30 Tagen"]
    );
    assert_eq!(within_30["total"], 3);
    let today_only = json_of(app.get(&expiring(0), &token).await).await;
    assert_eq!(titles(&today_only), vec!["Ablauf heute"]);
    let combined = json_of(
        app.get(
            &format!("{AGREEMENTS}?q=ablauf&expiring_within_days=30&municipality_id={lohmar}&sort=-ends_on"),
            &token,
        )
        .await,
    )
    .await;
    assert_eq!(
        titles(&combined),
        vec!["Ablauf in 30 Tagen", "Ablauf in 5 Tagen", "Ablauf heute"]
    );
    let all_active = json_of(
        app.get(&format!("{AGREEMENTS}?q=ablauf&status=active"), &token)
            .await,
    )
    .await;
    assert_eq!(all_active["total"], 6);
    let draft_expiring = json_of(
        app.get(
            &format!("{AGREEMENTS}?q=ablauf&status=signed&expiring_within_days=30"),
            &token,
        )
        .await,
    )
    .await;
    assert_eq!(draft_expiring["total"], 0, "expiring means active");
}

async fn the_demo_agreements_have_their_history(app: TestApp) {
    let token = app.token("steering_member").await;
    let troisdorf = json_of(
        app.get(&format!("{AGREEMENTS}?status=active"), &token)
            .await,
    )
    .await["items"][0]
        .clone();
    assert_eq!(troisdorf["title"], "Kooperationsvereinbarung KIM Troisdorf");
    assert_eq!(troisdorf["signed_on"], "2021-03-15");
    assert_eq!(troisdorf["starts_on"], "2021-04-01");
    assert_eq!(troisdorf["modules"], json!(["module_1", "module_2"]));
    assert_eq!(troisdorf["service_supervision"], "KI");
    let history = json_of(
        app.get(&format!("{AGREEMENTS}/{}/history", troisdorf["id"]), &token)
            .await,
    )
    .await;
    let moves: Vec<&str> = history["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|e| e["to_status"].as_str())
        .collect();
    assert_eq!(moves, vec!["draft", "negotiating", "signed", "active"]);
    assert_eq!(
        history["items"][0]["actor_id"],
        Value::Null,
        "seeded by the command line"
    );
}

#[derive(diesel::QueryableByName)]
struct Id {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
}

/// A position row written directly: the positions API is not part of this capability.
fn insert_position(app: &TestApp, title: &str, employer: i64) -> i64 {
    let mut conn = app.pool.get().expect("conn");
    conn.batch_execute(&format!(
        "INSERT INTO positions (title, module, function, fte_hundredths, funded, \
         employer_organisation_id, phase, phase_since, version, created_at, updated_at) \
         VALUES ('{title}', 'module_2', 'case_management', 100, TRUE, {employer}, 'planned', \
         '2021-01-01', 1, '2021-01-01 00:00:00', '2021-01-01 00:00:00')"
    ))
    .expect("insert position");
    diesel::sql_query(format!("SELECT id FROM positions WHERE title = '{title}'"))
        .get_result::<Id>(&mut *conn)
        .expect("the new position")
        .id
}

async fn covers_existing_positions_and_keeps_its_partners(app: TestApp) {
    let token = app.token("coordinator").await;
    let ki = app.id_of("organisations", kim_api::seed::KI, &token).await;
    let position = insert_position(&app, "CM Hennef", ki);
    let hennef = app.id_of("municipalities", "Hennef (Sieg)", &token).await;
    let verein = json_of(
        app.post(
            "/api/v1/organisations",
            &token,
            &json!({"name": "Integrationsverein Hennef", "kind": "other"}),
        )
        .await,
    )
    .await;
    let created = create(
        &app,
        &token,
        &json!({"title": "KV Hennef", "municipality_id": hennef, "organisation_id": verein["id"],
                "position_ids": [position, position], "modules": ["module_2"]}),
    )
    .await;
    assert_eq!(created["position_ids"], json!([position]));
    let covering = json_of(
        app.get(&format!("{AGREEMENTS}?position_id={position}"), &token)
            .await,
    )
    .await;
    assert_eq!(titles(&covering), vec!["KV Hennef"]);
    let other = json_of(
        app.get(
            &format!("{AGREEMENTS}?position_id={}", position + 1),
            &token,
        )
        .await,
    )
    .await;
    assert_eq!(other["total"], 0);

    // A partner of an agreement cannot disappear from under it.
    assert_problem(
        app.delete(
            &format!("/api/v1/organisations/{}", verein["id"]),
            &token,
            Some(1),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_problem(
        app.delete(&format!("/api/v1/municipalities/{hennef}"), &token, Some(1))
            .await,
        StatusCode::CONFLICT,
    )
    .await;
    let still = json_of(
        app.get(&format!("{AGREEMENTS}/{}", created["id"]), &token)
            .await,
    )
    .await;
    assert_eq!(still["organisation_id"], verein["id"]);
    assert_eq!(still["municipality_id"], hennef);

    // What the demo data links: positions placed with the partner or serving the municipality.
    let mut conn = app.pool.get().expect("conn");
    conn.batch_execute(&format!(
        "UPDATE positions SET placement_organisation_id = {} WHERE id = {position}; \
         INSERT INTO position_municipalities (position_id, municipality_id, fte_hundredths) \
         VALUES ({position}, {hennef}, 50)",
        verein["id"]
    ))
    .expect("place the position");
    let mut of_partner = |organisation: Option<i64>, municipality: Option<i64>| {
        kim_store::agreements::positions_of_partner(&mut conn, organisation, municipality)
            .expect("positions")
    };
    assert_eq!(of_partner(verein["id"].as_i64(), None), vec![position]);
    // The demo data's own CM position for Hennef serves the municipality too.
    assert!(of_partner(None, Some(hennef)).contains(&position));
    assert!(of_partner(verein["id"].as_i64(), Some(hennef)).contains(&position));
    assert_eq!(of_partner(Some(ki), None), Vec::<i64>::new());
}
