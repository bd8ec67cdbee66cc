//! Data-subject rights: the access export holds every record type the person appears in; an
//! erasure removes names and free texts from every endpoint (partners and the audit view
//! included) and keeps what the reports count; legal holds stop it; every refusal changes nothing.

use kim_tests::{assert_problem, backend_tests, error_fields, Method, StatusCode, TestApp};
use serde_json::{json, Value};

use crate::referrals::{consent, open_case, organisation, partner, JOBCENTER};

backend_tests!(
    the_export_holds_every_record_type,
    the_export_is_for_the_data_protection_officer_only,
    erasure_removes_the_person_from_every_endpoint,
    erasure_refusals_change_nothing,
    legal_holds_are_placed_and_lifted_by_their_roles,
);

/// Free texts written about the person; none may survive an erasure anywhere.
const SECRETS: &[&str] = &[
    "Amina",
    "Khalil",
    "Syrien",
    "Arabisch",
    "Wants to work as a nurse",
    "Started the nursing course",
    "Talked about her brother in Aleppo",
    "Frau K. needs a part-time job near the Kita",
    "May she work while the procedure is open",
    "Her health worries came up",
    "Ask the nursing school",
];

/// Everything the person can appear in, made through the API by the demo case manager.
pub(crate) struct Person {
    pub client_id: i64,
    pub case_id: i64,
    pub reference: String,
    pub referral_id: i64,
    pub request_id: i64,
    pub manager: String,
    pub partner: String,
    pub officer: String,
}

pub(crate) async fn person(app: &TestApp) -> Person {
    let f = open_case(app, "case_manager");
    let sibling = open_case(app, "case_manager");
    {
        // The sibling is someone else: their data must stay.
        let mut conn = app.pool.get().expect("connection");
        let mut data = kim_store::clients::find(&mut conn, sibling.client_id)
            .expect("sibling")
            .data;
        data.given_name = Some("Omar".into());
        data.family_name = Some("Haddad".into());
        data.country_of_origin = Some("Irak".into());
        data.languages = vec!["Kurdisch".into()];
        kim_store::clients::update(&mut conn, sibling.client_id, 1, &data).expect("sibling");
    }
    let manager = app.token("case_manager").await;
    let case = f.case_id;
    let jobcenter = organisation(app, JOBCENTER).await;
    let office = organisation(app, "Ausländerbehörde Rhein-Sieg-Kreis").await;

    let linked = app
        .post(
            &format!("/api/v1/clients/{}/links", f.client_id),
            &manager,
            &json!({"kind": "siblings", "client_id": sibling.client_id}),
        )
        .await;
    assert_eq!(linked.status(), StatusCode::OK, "link");
    let goal = app
        .post_created(
            &format!("/api/v1/cases/{case}/goals"),
            &manager,
            &json!({"text": "Wants to work as a nurse", "topic": "work"}),
        )
        .await;
    app.post_created(
        &format!("/api/v1/goals/{}/notes", goal["id"]),
        &manager,
        &json!({"text": "Started the nursing course"}),
    )
    .await;
    app.post_created(
        &format!("/api/v1/cases/{case}/contacts"),
        &manager,
        &json!({"occurred_on": "2026-11-02", "kind": "home_visit", "duration_minutes": 60,
                "participants": ["Amina Khalil"], "note": "Talked about her brother in Aleppo"}),
    )
    .await;
    let referral_consent = consent(
        app,
        &manager,
        f.client_id,
        jobcenter,
        json!(["identity", "contact", "case_content"]),
    )
    .await;
    // A consent revoked at once: the export must show revoked consents too.
    let revoked = consent(app, &manager, f.client_id, jobcenter, json!(["identity"])).await;
    let revocation = app
        .post(
            &format!(
                "/api/v1/clients/{}/consents/{revoked}/revocation",
                f.client_id
            ),
            &manager,
            &json!({}),
        )
        .await;
    assert_eq!(revocation.status(), StatusCode::OK);
    let draft = app
        .post_created(
            &format!("/api/v1/cases/{case}/referrals"),
            &manager,
            &json!({"recipient_organisation_id": jobcenter, "purpose": "Job placement",
                "message": "Frau K. needs a part-time job near the Kita",
                "shared_categories": ["identity", "contact", "case_content"]}),
        )
        .await;
    let referral_id = draft["id"].as_i64().expect("id");
    let sent = app
        .send(
            Method::POST,
            &format!("/api/v1/referrals/{referral_id}/transitions"),
            Some(&manager),
            draft["version"].as_i64(),
            Some(&json!({"to": "sent"})),
        )
        .await;
    assert_eq!(sent.status(), StatusCode::OK, "sent");
    let _ = referral_consent;
    let residence = app
        .post(
            &format!("/api/v1/clients/{}/consents", f.client_id),
            &manager,
            &json!({"recipient_organisation_ids": [office], "purposes": ["residence_law_request"],
                "categories": ["identity", "residence_status"], "given_on": "2026-11-01"}),
        )
        .await;
    assert_eq!(residence.status(), StatusCode::CREATED, "residence consent");
    // The Jobcenter takes part in a case conference: that needs its own consent.
    let conference_consent = app
        .post(
            &format!("/api/v1/clients/{}/consents", f.client_id),
            &manager,
            &json!({"recipient_organisation_ids": [jobcenter], "purposes": ["case_conference"],
                "categories": ["identity", "case_content"], "given_on": "2026-11-01"}),
        )
        .await;
    assert_eq!(
        conference_consent.status(),
        StatusCode::CREATED,
        "conference consent"
    );
    let request = app
        .post_created(
            &format!("/api/v1/cases/{case}/residence-requests"),
            &manager,
            &json!({"client_id": f.client_id, "office_organisation_id": office,
                "question": "May she work while the procedure is open?",
                "shared_categories": ["identity", "residence_status"]}),
        )
        .await;
    let me = {
        let mut conn = app.pool.get().expect("connection");
        kim_store::users::find_by_username(&mut conn, "case_manager")
            .expect("query")
            .expect("user")
            .id
    };
    app.post_created("/api/v1/conferences",
            &manager,
            &json!({"case_id": case, "held_on": "2026-11-18", "summary": "Her health worries came up",
                "outcome": "Jobcenter funds the course", "organisation_ids": [jobcenter], "user_ids": [me],
                "tasks": [{"description": "Ask the nursing school", "owner_user_id": me, "due_on": "2026-12-01"}]})).await;
    // Reads that leave audit events about the person.
    assert_eq!(
        app.get(&format!("/api/v1/clients/{}", f.client_id), &manager)
            .await
            .status(),
        StatusCode::OK
    );
    let partner = partner(app, JOBCENTER, json!(["referrals:read"])).await;
    assert_eq!(
        app.get(&format!("/api/v1/referrals/{referral_id}"), &partner)
            .await
            .status(),
        StatusCode::OK,
        "the partner reads the referral before the erasure"
    );
    Person {
        client_id: f.client_id,
        case_id: case,
        reference: f.reference,
        referral_id,
        request_id: request["id"].as_i64().expect("id"),
        manager,
        partner,
        officer: app.token("immigration_officer").await,
    }
}

fn count(value: &Value) -> usize {
    value.as_array().map_or(0, Vec::len)
}

async fn the_export_holds_every_record_type(app: TestApp) {
    let p = person(&app).await;
    let dpo = app.token("data_protection_officer").await;
    let response = app
        .get(&format!("/api/v1/clients/{}/export", p.client_id), &dpo)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let export: Value = response.json().await.expect("json");

    assert_eq!(export["client"]["reference"], p.reference.as_str());
    assert_eq!(export["client"]["given_name"], "Amina");
    assert_eq!(export["client"]["country_of_origin"], "Syrien");
    assert_eq!(count(&export["household_links"]), 1, "household link");
    assert_eq!(count(&export["cases"]), 1);
    let case = &export["cases"][0];
    assert_eq!(case["case"]["id"], p.case_id);
    assert!(count(&case["history"]) >= 1, "status history");
    assert_eq!(case["goals"][0]["text"], "Wants to work as a nurse");
    assert_eq!(
        case["goals"][0]["notes"][0]["text"],
        "Started the nursing course"
    );
    assert_eq!(
        case["contacts"][0]["note"],
        "Talked about her brother in Aleppo"
    );
    assert_eq!(
        case["conferences"][0]["summary"],
        "Her health worries came up"
    );
    assert_eq!(
        count(&export["consents"]),
        4,
        "consents, the revoked one included"
    );
    assert!(export["consents"]
        .as_array()
        .expect("consents")
        .iter()
        .any(|c| c["state"] == "revoked"));
    let referral = &export["referrals"][0];
    assert_eq!(referral["id"], p.referral_id);
    assert_eq!(referral["recipient"], JOBCENTER);
    assert_eq!(referral["status"], "sent");
    assert!(referral["sent_at"].is_string(), "when it was shared");
    assert_eq!(
        referral["shared_categories"],
        json!(["identity", "contact", "case_content"])
    );
    assert_eq!(count(&referral["history"]), 2, "created and sent");
    let request = &export["residence_requests"][0];
    assert_eq!(request["id"], p.request_id);
    assert_eq!(request["office"], "Ausländerbehörde Rhein-Sieg-Kreis");
    let events = export["audit_events"].as_array().expect("audit events");
    let read = events
        .iter()
        .find(|e| e["action"] == "client.read")
        .expect("the case manager's read");
    assert_eq!(read["actor_role"], "case_manager");
    assert!(read.get("actor_id").is_none(), "staff by role, not by id");
    assert!(read["actor_organisation"].is_string());
    assert!(
        events.iter().any(|e| e["actor_kind"] == "partner"),
        "the partner's read of the referral"
    );
    assert!(export["organisations"]
        .as_object()
        .expect("organisations")
        .values()
        .any(|n| n == JOBCENTER));

    let trail: Value = app
        .get(
            &format!("/api/v1/clients/{}/audit-events?limit=200", p.client_id),
            &dpo,
        )
        .await
        .json()
        .await
        .expect("json");
    assert!(
        trail["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|e| e["action"] == "client.export" && e["actor_role"] == "data_protection_officer"),
        "the export is audited: {trail}"
    );
}

async fn the_export_is_for_the_data_protection_officer_only(app: TestApp) {
    let p = person(&app).await;
    let path = format!("/api/v1/clients/{}/export", p.client_id);
    assert_problem(
        app.request(Method::GET, &path, None)
            .send()
            .await
            .expect("send"),
        StatusCode::UNAUTHORIZED,
    )
    .await;
    for role in [
        "case_manager",
        "cm_coordinator",
        "admin",
        "analyst",
        "immigration_officer",
    ] {
        let token = app.token(role).await;
        assert_problem(app.get(&path, &token).await, StatusCode::FORBIDDEN).await;
    }
    assert_problem(app.get(&path, &p.partner).await, StatusCode::FORBIDDEN).await;
    let dpo = app.token("data_protection_officer").await;
    assert_problem(
        app.get("/api/v1/clients/999999/export", &dpo).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        app.get("/api/v1/clients/abc/export", &dpo).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
}

async fn erase(
    app: &TestApp,
    token: &str,
    client_id: i64,
    version: Option<i64>,
    body: &Value,
) -> reqwest::Response {
    let path = format!("/api/v1/clients/{client_id}/erasure");
    app.post_if_match(&path, token, version, body).await
}

async fn client_version(app: &TestApp, client_id: i64) -> i64 {
    let mut conn = app.pool.get().expect("connection");
    i64::from(
        kim_store::clients::find(&mut conn, client_id)
            .expect("client")
            .version,
    )
}

/// The bodies of every endpoint that shows the person, as one text.
async fn everything_shown(app: &TestApp, p: &Person) -> String {
    let dpo = app.token("data_protection_officer").await;
    let coordinator = app.token("cm_coordinator").await;
    let mut shown = String::new();
    for (token, path) in [
        (&p.manager, format!("/api/v1/clients/{}", p.client_id)),
        (&p.manager, "/api/v1/clients".to_owned()),
        (&p.manager, format!("/api/v1/cases/{}", p.case_id)),
        (&p.manager, format!("/api/v1/cases/{}/history", p.case_id)),
        (&p.manager, format!("/api/v1/cases/{}/goals", p.case_id)),
        (&p.manager, format!("/api/v1/cases/{}/contacts", p.case_id)),
        (
            &p.manager,
            format!("/api/v1/cases/{}/conferences", p.case_id),
        ),
        (&p.manager, format!("/api/v1/cases/{}/referrals", p.case_id)),
        (&p.manager, format!("/api/v1/referrals/{}", p.referral_id)),
        (
            &p.manager,
            format!("/api/v1/clients/{}/consents", p.client_id),
        ),
        (
            &p.manager,
            format!("/api/v1/residence-requests/{}", p.request_id),
        ),
        (&p.manager, "/api/v1/me/cases".to_owned()),
        (&coordinator, "/api/v1/cases".to_owned()),
        (&p.partner, "/api/v1/referrals".to_owned()),
        (&p.partner, format!("/api/v1/referrals/{}", p.referral_id)),
        (&p.officer, "/api/v1/residence-requests".to_owned()),
        (
            &p.officer,
            format!("/api/v1/residence-requests/{}", p.request_id),
        ),
        (
            &dpo,
            format!("/api/v1/clients/{}/audit-events?limit=200", p.client_id),
        ),
        (&dpo, "/api/v1/audit-events?limit=200".to_owned()),
        (&dpo, format!("/api/v1/clients/{}/export", p.client_id)),
    ] {
        let response = app.get(&path, token).await;
        shown.push_str(&format!("\n{path} {}: ", response.status()));
        shown.push_str(&response.text().await.expect("text"));
    }
    shown
}

async fn erasure_removes_the_person_from_every_endpoint(app: TestApp) {
    let p = person(&app).await;
    let before = everything_shown(&app, &p).await;
    for secret in SECRETS {
        assert!(
            before.contains(secret),
            "{secret} is shown before the erasure"
        );
    }
    let dpo = app.token("data_protection_officer").await;
    let version = client_version(&app, p.client_id).await;
    let response = erase(
        &app,
        &dpo,
        p.client_id,
        Some(version),
        &json!({"reason": "Request of the data subject of 2026-11-20"}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let erased: Value = response.json().await.expect("json");
    let new_reference = erased["reference"].as_str().expect("reference").to_owned();
    assert!(new_reference.starts_with("ANON-"), "{new_reference}");
    assert_eq!(erased["age_band"], "27-44", "born 1990, case opened 2026");

    let after = everything_shown(&app, &p).await;
    for secret in SECRETS.iter().copied().chain([p.reference.as_str()]) {
        assert!(
            !after.contains(secret),
            "{secret} survived the erasure:\n{after}"
        );
    }
    // Partners and the office lose sight at once: the consents were revoked with the erasure.
    assert_problem(
        app.get(&format!("/api/v1/referrals/{}", p.referral_id), &p.partner)
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    // What the reports count stays: case status, topics, dates, the referral's status.
    let case: Value = app
        .get(&format!("/api/v1/cases/{}", p.case_id), &p.manager)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(case["status"], "intake");
    assert_eq!(case["topics"], json!(["work"]));
    assert_eq!(case["legal_domains"], json!(["sgb_ii"]));
    let referral: Value = app
        .get(&format!("/api/v1/referrals/{}", p.referral_id), &p.manager)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(referral["status"], "sent");
    assert_eq!(
        referral["recipient_organisation_id"],
        organisation(&app, JOBCENTER).await
    );
    // The audit events stay, under the opaque reference.
    let trail: Value = app
        .get(
            &format!("/api/v1/clients/{}/audit-events?limit=200", p.client_id),
            &dpo,
        )
        .await
        .json()
        .await
        .expect("json");
    let items = trail["items"].as_array().expect("items");
    assert!(items.len() > 10, "the earlier events are kept: {trail}");
    assert!(
        items
            .iter()
            .all(|e| e["client_reference"] == new_reference.as_str()),
        "{trail}"
    );
    assert!(items.iter().any(|e| e["action"] == "client.erase"));
    // The export after the erasure names the erasure and what remains.
    let export: Value = app
        .get(&format!("/api/v1/clients/{}/export", p.client_id), &dpo)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(export["age_band"], "27-44");
    assert_eq!(
        export["erasures"][0]["reason"],
        "Request of the data subject of 2026-11-20"
    );
    assert_eq!(export["client"]["birth_year"], Value::Null);
    assert_eq!(count(&export["household_links"]), 0);
}

async fn erasure_refusals_change_nothing(app: TestApp) {
    let p = person(&app).await;
    let dpo = app.token("data_protection_officer").await;
    let version = client_version(&app, p.client_id).await;
    let reason = json!({"reason": "Request of the data subject"});
    let path = format!("/api/v1/clients/{}/erasure", p.client_id);

    assert_problem(
        app.request(Method::POST, &path, None)
            .header("If-Match", format!("\"{version}\""))
            .json(&reason)
            .send()
            .await
            .expect("send"),
        StatusCode::UNAUTHORIZED,
    )
    .await;
    for role in ["case_manager", "cm_coordinator", "admin", "analyst"] {
        let token = app.token(role).await;
        assert_problem(
            erase(&app, &token, p.client_id, Some(version), &reason).await,
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    assert_problem(
        erase(&app, &dpo, 999_999, Some(1), &reason).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    for body in [
        json!({}),
        json!({"reason": "   "}),
        json!({"reason": "x".repeat(2001)}),
    ] {
        let problem = assert_problem(
            erase(&app, &dpo, p.client_id, Some(version), &body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(error_fields(&problem), vec!["reason"]);
    }
    assert_problem(
        erase(&app, &dpo, p.client_id, None, &reason).await,
        StatusCode::PRECONDITION_REQUIRED,
    )
    .await;
    assert_problem(
        erase(&app, &dpo, p.client_id, Some(version + 7), &reason).await,
        StatusCode::PRECONDITION_FAILED,
    )
    .await;

    let coordinator = app.token("cm_coordinator").await;
    let hold = app
        .post_created(
            &format!("/api/v1/cases/{}/legal-hold", p.case_id),
            &coordinator,
            &json!({"reason": "Court proceedings 5 K 123/26"}),
        )
        .await;
    let problem = assert_problem(
        erase(&app, &dpo, p.client_id, Some(version), &reason).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(
        problem["type"],
        "https://kim-api.example/problems/legal-hold"
    );
    let detail = problem["detail"].as_str().expect("detail");
    assert!(detail.contains(&format!("case {}", p.case_id)), "{detail}");
    assert!(detail.contains("Court proceedings"), "{detail}");

    // Nothing was touched by any refusal.
    let client: Value = app
        .get(&format!("/api/v1/clients/{}", p.client_id), &p.manager)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(client["given_name"], "Amina");
    assert_eq!(client["reference"], p.reference.as_str());
    assert_eq!(client["version"], version);

    let lifted = app
        .send(
            Method::DELETE,
            &format!("/api/v1/cases/{}/legal-hold", p.case_id),
            Some(&dpo),
            hold["id"].as_i64(),
            Some(&json!(null)),
        )
        .await;
    assert_eq!(lifted.status(), StatusCode::OK);
    assert_eq!(
        erase(&app, &dpo, p.client_id, Some(version), &reason)
            .await
            .status(),
        StatusCode::OK
    );
    let again = assert_problem(
        erase(&app, &dpo, p.client_id, Some(version + 1), &reason).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(
        again["type"],
        "https://kim-api.example/problems/already-erased"
    );
}

async fn legal_holds_are_placed_and_lifted_by_their_roles(app: TestApp) {
    let p = person(&app).await;
    let path = format!("/api/v1/cases/{}/legal-hold", p.case_id);
    let reason = json!({"reason": "Inspection by the Land audit office"});
    assert_problem(
        app.request(Method::POST, &path, None)
            .json(&reason)
            .send()
            .await
            .expect("send"),
        StatusCode::UNAUTHORIZED,
    )
    .await;
    for role in ["case_manager", "admin", "analyst", "coordinator"] {
        let token = app.token(role).await;
        assert_problem(
            app.post(&path, &token, &reason).await,
            StatusCode::FORBIDDEN,
        )
        .await;
        assert_problem(app.get(&path, &token).await, StatusCode::FORBIDDEN).await;
    }
    let coordinator = app.token("cm_coordinator").await;
    assert_problem(
        app.post("/api/v1/cases/999999/legal-hold", &coordinator, &reason)
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let problem = assert_problem(
        app.post(&path, &coordinator, &json!({"reason": ""})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["reason"]);
    assert_problem(app.get(&path, &coordinator).await, StatusCode::NOT_FOUND).await;

    let response = app.post(&path, &coordinator, &reason).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let etag = response
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .expect("etag")
        .to_owned();
    let hold: Value = response.json().await.expect("json");
    assert_eq!(hold["active"], true);
    assert_eq!(etag, format!("\"{}\"", hold["id"]));
    let dpo = app.token("data_protection_officer").await;
    let twice = assert_problem(app.post(&path, &dpo, &reason).await, StatusCode::CONFLICT).await;
    assert_eq!(twice["type"], "https://kim-api.example/problems/legal-hold");
    let shown: Value = app.get(&path, &dpo).await.json().await.expect("json");
    assert_eq!(shown["reason"], "Inspection by the Land audit office");

    let lift = |token: String, version: Option<i64>| {
        let app = &app;
        let path = path.clone();
        async move {
            app.send(
                Method::DELETE,
                &path,
                Some(&token),
                version,
                Some(&json!(null)),
            )
            .await
        }
    };
    assert_problem(
        lift(p.manager.clone(), hold["id"].as_i64()).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_problem(
        lift(dpo.clone(), None).await,
        StatusCode::PRECONDITION_REQUIRED,
    )
    .await;
    assert_problem(
        lift(dpo.clone(), hold["id"].as_i64().map(|id| id + 1)).await,
        StatusCode::PRECONDITION_FAILED,
    )
    .await;
    let lifted = lift(dpo.clone(), hold["id"].as_i64()).await;
    assert_eq!(lifted.status(), StatusCode::OK);
    let lifted: Value = lifted.json().await.expect("json");
    assert_eq!(lifted["active"], false);
    let not_held = assert_problem(
        lift(dpo.clone(), hold["id"].as_i64()).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(
        not_held["type"],
        "https://kim-api.example/problems/no-legal-hold"
    );

    // Both moves are in the audit trail.
    let mut conn = app.pool.get().expect("connection");
    let actions: Vec<String> = kim_store::audit::for_object(&mut conn, "case", p.case_id)
        .expect("audit")
        .into_iter()
        .map(|(action, _)| action)
        .collect();
    assert!(actions.contains(&"case.hold".to_owned()), "{actions:?}");
    assert!(actions.contains(&"case.release".to_owned()), "{actions:?}");
}

/// What the reports count survives an erasure: every report answers byte for byte the same.
/// Counts are shown down to 1 here (`KIM_REPORT_MIN_CELL=1`), so that one person moves them.
async fn reports_answer_the_same_before_and_after_an_erasure(app: TestApp) {
    let p = person(&app).await;
    let analyst = app.token("analyst").await;
    let reports = [
        "/api/v1/reports/people?group_by=age_band",
        "/api/v1/reports/people?group_by=country_of_origin",
        "/api/v1/reports/people?group_by=residence_status,gender",
        "/api/v1/reports/people?group_by=municipality",
        "/api/v1/reports/cases?group_by=topic",
        "/api/v1/reports/cases?group_by=legal_domain",
        "/api/v1/reports/referrals",
        "/api/v1/reports/goals",
    ];
    let mut before = Vec::new();
    for path in reports {
        let response = app.get(path, &analyst).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        before.push(response.text().await.expect("text"));
    }
    assert!(before[0].contains("27-44"), "{}", before[0]);
    assert!(before[1].contains("Syrien"), "{}", before[1]);

    let dpo = app.token("data_protection_officer").await;
    let version = client_version(&app, p.client_id).await;
    let erased = erase(
        &app,
        &dpo,
        p.client_id,
        Some(version),
        &json!({"reason": "Request of the data subject"}),
    )
    .await;
    assert_eq!(erased.status(), StatusCode::OK);

    for (path, earlier) in reports.iter().zip(before) {
        let now = app.get(path, &analyst).await.text().await.expect("text");
        assert_eq!(now, earlier, "{path} changed with the erasure");
    }
}

#[actix_web::test]
async fn reports_answer_the_same_before_and_after_an_erasure_on_sqlite() {
    let app = TestApp::spawn_with(kim_store::Backend::Sqlite, &[("KIM_REPORT_MIN_CELL", "1")])
        .await
        .expect("SQLite is always available");
    reports_answer_the_same_before_and_after_an_erasure(app).await;
}

#[actix_web::test]
async fn reports_answer_the_same_before_and_after_an_erasure_on_postgres() {
    let Some(app) = TestApp::spawn_with(
        kim_store::Backend::Postgres,
        &[("KIM_REPORT_MIN_CELL", "1")],
    )
    .await
    else {
        eprintln!("skipped: KIM_TEST_POSTGRES_URL is not set");
        return;
    };
    reports_answer_the_same_before_and_after_an_erasure(app).await;
}
