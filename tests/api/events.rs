//! The event feed (issue 15 item 3) and the outbox behind it: a change to an object a partner
//! is party to becomes an event of its organisation, in order, visible to the tokens whose
//! scopes read the object; the cursor pages without skipping; nothing leaks across
//! organisations or scopes.

use kim_tests::{assert_problem, backend_tests, error_fields, Method, StatusCode, TestApp};
use serde_json::{json, Value};

use crate::referrals::{consent, open_case, organisation, partner, CARITAS, JOBCENTER};

backend_tests!(
    referral_moves_become_events_in_order_and_the_cursor_pages,
    a_revoked_consent_is_an_event_with_the_referrals_it_covered,
    residence_requests_are_events_for_the_office_system,
    the_feed_shows_only_the_tokens_organisation_and_scopes,
    bad_cursors_and_limits_are_refused,
);

async fn feed(app: &TestApp, token: &str, query: &str) -> Value {
    app.get_json(&format!("/api/v1/events{query}"), token).await
}

fn types(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| e["type"].as_str().expect("type").to_owned())
        .collect()
}

/// A referral from a new case of the demo case manager to `recipient`, sent with a consent
/// releasing identity; returns (referral id, version, client id, consent id).
pub(crate) async fn sent_referral(app: &TestApp, cm: &str, recipient: i64) -> (i64, i64, i64, i64) {
    let fixture = open_case(app, "case_manager");
    let consent_id = consent(app, cm, fixture.client_id, recipient, json!(["identity"])).await;
    let response = app
        .post(
            &format!("/api/v1/cases/{}/referrals", fixture.case_id),
            cm,
            &json!({"recipient_organisation_id": recipient, "purpose": "Arbeitsvermittlung",
                "shared_categories": ["identity"]}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let draft: Value = response.json().await.expect("json");
    let id = draft["id"].as_i64().expect("id");
    let sent = move_referral(app, cm, id, 1, json!({"to": "sent"})).await;
    (
        id,
        sent["version"].as_i64().expect("version"),
        fixture.client_id,
        consent_id,
    )
}

async fn move_referral(app: &TestApp, token: &str, id: i64, version: i64, body: Value) -> Value {
    let path = format!("/api/v1/referrals/{id}/transitions");
    app.post_json_if_match(&path, token, version, &body).await
}

async fn referral_moves_become_events_in_order_and_the_cursor_pages(app: TestApp) {
    let cm = app.token("case_manager").await;
    let jobcenter = organisation(&app, JOBCENTER).await;
    let reader = partner(&app, JOBCENTER, json!(["referrals:read"])).await;
    let answering = partner(&app, JOBCENTER, json!(["referrals:write"])).await;

    let empty = feed(&app, &reader, "").await;
    assert_eq!(empty, json!({"items": [], "after": 0, "has_more": false}));

    let (first, version, _, _) = sent_referral(&app, &cm, jobcenter).await;
    move_referral(&app, &cm, first, version, json!({"to": "withdrawn"})).await;
    let (second, version, _, _) = sent_referral(&app, &cm, jobcenter).await;
    move_referral(&app, &answering, second, version, json!({"to": "accepted"})).await;

    let all = feed(&app, &reader, "").await;
    assert_eq!(
        types(&all),
        [
            "referral.sent",
            "referral.withdrawn",
            "referral.sent",
            "referral.updated"
        ]
    );
    assert_eq!(all["has_more"], false);
    let items = all["items"].as_array().expect("items");
    let objects: Vec<i64> = items
        .iter()
        .map(|e| e["data"]["id"].as_i64().expect("id"))
        .collect();
    assert_eq!(objects, [first, first, second, second]);
    let event = &items[0];
    assert_eq!(event["data"]["object"], "referral");
    assert_eq!(event["data"]["url"], format!("/api/v1/referrals/{first}"));
    assert_eq!(event["data"]["related"], json!([]));
    assert!(event["timestamp"]
        .as_str()
        .is_some_and(|t| t.ends_with('Z')));
    // Ids are unique, and the cursor is the last one's position.
    let positions: Vec<i64> = items
        .iter()
        .map(|e| {
            e["id"].as_str().expect("id")["evt_".len()..]
                .parse()
                .expect("evt_<n>")
        })
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
    assert_eq!(all["after"], positions[3]);
    // The event carries no personal data: only ids and paths.
    let text = all.to_string();
    assert!(
        !text.contains("Amina") && !text.contains("Khalil"),
        "{text}"
    );
    // The url reads the object with the same token.
    let fetched = app
        .get(event["data"]["url"].as_str().expect("url"), &reader)
        .await;
    assert_eq!(fetched.status(), StatusCode::OK);

    // Paging by cursor, two at a time, sees every event exactly once.
    let mut seen = Vec::new();
    let mut after = 0;
    loop {
        let page = feed(&app, &reader, &format!("?after={after}&limit=2")).await;
        let count = page["items"].as_array().expect("items").len();
        assert!(count <= 2);
        seen.extend(types(&page));
        after = page["after"].as_i64().expect("after");
        if page["has_more"] == false {
            break;
        }
    }
    assert_eq!(seen, types(&all));
    assert_eq!(after, positions[3]);
    // At the end, the same cursor answers an empty page and keeps the cursor.
    let end = feed(&app, &reader, &format!("?after={after}")).await;
    assert_eq!(end, json!({"items": [], "after": after, "has_more": false}));
    // A later event comes after the cursor.
    sent_referral(&app, &cm, jobcenter).await;
    let next = feed(&app, &reader, &format!("?after={after}")).await;
    assert_eq!(types(&next), ["referral.sent"]);
}

async fn a_revoked_consent_is_an_event_with_the_referrals_it_covered(app: TestApp) {
    let cm = app.token("case_manager").await;
    let jobcenter = organisation(&app, JOBCENTER).await;
    let reader = partner(&app, JOBCENTER, json!(["referrals:read"])).await;
    let (referral, _, client_id, consent_id) = sent_referral(&app, &cm, jobcenter).await;
    let path = format!("/api/v1/referrals/{referral}");
    assert_eq!(app.get(&path, &reader).await.status(), StatusCode::OK);
    let before = feed(&app, &reader, "").await["after"]
        .as_i64()
        .expect("after");

    let response = app
        .post(
            &format!("/api/v1/clients/{client_id}/consents/{consent_id}/revocation"),
            &cm,
            &json!({}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);

    let page = feed(&app, &reader, &format!("?after={before}")).await;
    assert_eq!(types(&page), ["consent.revoked"]);
    let data = &page["items"][0]["data"];
    assert_eq!(data["object"], "consent");
    assert_eq!(data["id"], consent_id);
    // Partners cannot read consents: no url, but the referrals to re-read.
    assert!(data.get("url").is_none(), "{data}");
    assert_eq!(
        data["related"],
        json!([{"object": "referral", "id": referral, "url": path}])
    );
    // The partner's next read of the referral is refused: nothing releases it any more.
    assert_eq!(
        app.get(&path, &reader).await.status(),
        StatusCode::NOT_FOUND
    );
}

async fn residence_requests_are_events_for_the_office_system(app: TestApp) {
    let cm = app.token("case_manager").await;
    let office = organisation(&app, "Ausländerbehörde Rhein-Sieg-Kreis").await;
    let office_system = partner(
        &app,
        "Ausländerbehörde Rhein-Sieg-Kreis",
        json!(["residence_requests:read"]),
    )
    .await;
    let referrals_only = partner(
        &app,
        "Ausländerbehörde Rhein-Sieg-Kreis",
        json!(["referrals:read"]),
    )
    .await;
    let fixture = open_case(&app, "case_manager");
    let given_on = (chrono::Utc::now().date_naive() - chrono::Duration::days(3)).to_string();
    let response = app
        .post(
            &format!("/api/v1/clients/{}/consents", fixture.client_id),
            &cm,
            &json!({"recipient_organisation_ids": [office], "purposes": ["residence_law_request"],
                "categories": ["identity", "residence_status"], "given_on": given_on}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let response = app
        .post(
            &format!("/api/v1/cases/{}/residence-requests", fixture.case_id),
            &cm,
            &json!({"client_id": fixture.client_id, "office_organisation_id": office,
                "question": "Does § 25b apply?", "shared_categories": ["residence_status"]}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let request: Value = response.json().await.expect("json");
    let id = request["id"].as_i64().expect("id");
    let response = app
        .request(
            Method::POST,
            &format!("/api/v1/residence-requests/{id}/transitions"),
            Some(&cm),
        )
        .header("If-Match", "\"1\"")
        .json(&json!({"to": "withdrawn", "text": "Hat sich erledigt"}))
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::OK);

    let page = feed(&app, &office_system, "").await;
    assert_eq!(
        types(&page),
        ["residence_request.created", "residence_request.withdrawn"]
    );
    let url = format!("/api/v1/residence-requests/{id}");
    assert_eq!(page["items"][0]["data"]["url"], url);
    // The office's system reads the request (consented fields only) and cannot answer it.
    let response = app.get(&url, &office_system).await;
    assert_eq!(response.status(), StatusCode::OK);
    let read: Value = response.json().await.expect("json");
    assert!(read["case_id"].is_null(), "{read}");
    assert_eq!(read["allowed_transitions"], json!([]));
    let listed = feed(&app, &referrals_only, "").await;
    assert_eq!(listed["items"], json!([]));
    assert_eq!(
        app.get(&url, &referrals_only).await.status(),
        StatusCode::NOT_FOUND
    );
}

async fn the_feed_shows_only_the_tokens_organisation_and_scopes(app: TestApp) {
    let cm = app.token("case_manager").await;
    let jobcenter = organisation(&app, JOBCENTER).await;
    let caritas_reader = partner(&app, CARITAS, json!(["referrals:read"])).await;
    let reports_only = partner(&app, JOBCENTER, json!(["reports:read"])).await;
    let offers_only = partner(&app, JOBCENTER, json!(["offers:write"])).await;
    sent_referral(&app, &cm, jobcenter).await;

    // Another organisation's token and tokens whose scopes read no referral see nothing.
    for token in [&caritas_reader, &reports_only, &offers_only] {
        let page = feed(&app, token, "").await;
        assert_eq!(page, json!({"items": [], "after": 0, "has_more": false}));
    }
    // People are refused: the feed is the partners' channel.
    for role in ["case_manager", "cm_coordinator", "admin", "analyst"] {
        let token = app.token(role).await;
        assert_problem(
            app.get("/api/v1/events", &token).await,
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    // No token, a wrong token.
    let response = app
        .request(Method::GET, "/api/v1/events", None)
        .send()
        .await
        .expect("send");
    assert_problem(response, StatusCode::UNAUTHORIZED).await;
    assert_problem(
        app.get("/api/v1/events", "kimp_not-a-token").await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
}

async fn bad_cursors_and_limits_are_refused(app: TestApp) {
    let reader = partner(&app, JOBCENTER, json!(["referrals:read"])).await;
    for (query, field) in [
        ("?after=-1", "after"),
        ("?after=9007199254740992", "after"),
        ("?after=9223372036854775808", "after"),
        ("?limit=0", "limit"),
        ("?limit=201", "limit"),
    ] {
        let problem = assert_problem(
            app.get(&format!("/api/v1/events{query}"), &reader).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(error_fields(&problem), [field], "{query}");
        assert_eq!(problem["errors"][0]["kind"], "schema", "{query}");
    }
    for query in ["?after=abc", "?after=1.5", "?limit=ten"] {
        assert_problem(
            app.get(&format!("/api/v1/events{query}"), &reader).await,
            StatusCode::BAD_REQUEST,
        )
        .await;
    }
}
