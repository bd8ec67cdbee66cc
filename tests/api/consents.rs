//! Consents (Einwilligung / Schweigepflichtentbindung): recorded, listed, revoked, validated,
//! audited, and managed only by the client's case managers.

use chrono::{Duration, Utc};
use kim_store::audit::AuditFilter;
use kim_tests::{assert_problem, backend_tests, error_fields, StatusCode, TestApp};
use serde_json::{json, Value};

use super::referrals::{open_case, organisation, partner, second_case_manager, CARITAS, JOBCENTER};

backend_tests!(
    consents_are_recorded_listed_and_revoked,
    consent_input_is_validated,
    only_the_clients_case_managers_manage_consents,
);

fn day(offset: i64) -> String {
    (Utc::now().date_naive() + Duration::days(offset)).to_string()
}

fn input(recipients: Value) -> Value {
    json!({"recipient_organisation_ids": recipients, "purposes": ["referral", "case_conference"],
        "categories": ["residence_status", "identity"], "given_on": day(-30),
        "valid_until": day(335), "document_reference": " Akte 2026/117 "})
}

async fn consents_are_recorded_listed_and_revoked(app: TestApp) {
    let cm = app.token("case_manager").await;
    let fixture = open_case(&app, "case_manager");
    let jobcenter = organisation(&app, JOBCENTER).await;
    let caritas = organisation(&app, CARITAS).await;
    let path = format!("/api/v1/clients/{}/consents", fixture.client_id);

    let response = app
        .post(&path, &cm, &input(json!([caritas, jobcenter, jobcenter])))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(
        response.headers().get("etag").and_then(|v| v.to_str().ok()),
        Some("\"1\"")
    );
    let created: Value = response.json().await.expect("json");
    let mut recipients = vec![jobcenter, caritas];
    recipients.sort_unstable();
    assert_eq!(created["recipient_organisation_ids"], json!(recipients));
    assert_eq!(
        created["categories"],
        json!(["identity", "residence_status"])
    );
    assert_eq!(created["purposes"], json!(["referral", "case_conference"]));
    assert_eq!(created["state"], "valid");
    assert_eq!(created["document_reference"], "Akte 2026/117");
    assert_eq!(created["client_id"], fixture.client_id);
    let id = created["id"].as_i64().expect("id");

    let listed: Value = app.get_json(&path, &cm).await;
    assert_eq!(listed.as_array().map(Vec::len), Some(1));
    assert_eq!(listed[0]["id"], id);

    let revocation = format!("{path}/{id}/revocation");
    let revoked = app
        .post(&revocation, &cm, &json!({"revoked_on": day(0)}))
        .await;
    assert_eq!(revoked.status(), StatusCode::OK);
    let revoked: Value = revoked.json().await.expect("json");
    assert_eq!(revoked["state"], "revoked");
    assert_eq!(revoked["revoked_on"], day(0));
    assert_eq!(revoked["version"], 2);
    // Once only.
    assert_problem(
        app.post(&revocation, &cm, &json!({})).await,
        StatusCode::CONFLICT,
    )
    .await;
    // Another client's consent path does not reach it.
    let other = open_case(&app, "case_manager");
    assert_problem(
        app.post(
            &format!(
                "/api/v1/clients/{}/consents/{id}/revocation",
                other.client_id
            ),
            &cm,
            &json!({}),
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;

    let mut conn = app.pool.get().expect("connection");
    let events = kim_store::audit::list(
        &mut conn,
        &AuditFilter {
            client_reference: Some(fixture.reference.clone()),
            object_type: Some("consent".into()),
            ..AuditFilter::default()
        },
        kim_domain::paging::PageRequest {
            limit: 50,
            offset: 0,
        },
    )
    .expect("audit");
    let actions: Vec<&str> = events.items.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        vec!["consent.revoke", "consent.list", "consent.create"]
    );
    assert!(events
        .items
        .iter()
        .all(|e| e.actor_kind == "user" && e.actor_role.as_deref() == Some("case_manager")));
}

async fn consent_input_is_validated(app: TestApp) {
    let cm = app.token("case_manager").await;
    let fixture = open_case(&app, "case_manager");
    let jobcenter = organisation(&app, JOBCENTER).await;
    let path = format!("/api/v1/clients/{}/consents", fixture.client_id);
    let mut blanket = input(json!([]));
    blanket["purposes"] = json!([]);
    let mut future = input(json!([jobcenter]));
    future["given_on"] = json!(day(1));
    let mut backwards = input(json!([jobcenter]));
    backwards["valid_until"] = json!(day(-31));
    let mut long = input(json!([jobcenter]));
    long["document_reference"] = json!("x".repeat(201));
    let cases = [
        (blanket, vec!["purposes", "recipient_organisation_ids"]),
        (future, vec!["given_on"]),
        (backwards, vec!["valid_until"]),
        (input(json!([999_999])), vec!["recipient_organisation_ids"]),
        (long, vec!["document_reference"]),
    ];
    for (body, fields) in cases {
        let problem = assert_problem(
            app.post(&path, &cm, &body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(error_fields(&problem), fields, "{body}");
    }
    let mut unknown = input(json!([jobcenter]));
    unknown["scope"] = json!("all");
    assert!(app
        .post(&path, &cm, &unknown)
        .await
        .status()
        .is_client_error());

    let created: Value = app
        .post(&path, &cm, &input(json!([jobcenter])))
        .await
        .json()
        .await
        .expect("json");
    let revocation = format!("{path}/{}/revocation", created["id"]);
    for revoked_on in [day(-31), day(1)] {
        let problem = assert_problem(
            app.post(&revocation, &cm, &json!({"revoked_on": revoked_on}))
                .await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(error_fields(&problem), vec!["revoked_on"]);
    }
    assert_problem(
        app.post(&format!("{path}/999999/revocation"), &cm, &json!({}))
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
}

async fn only_the_clients_case_managers_manage_consents(app: TestApp) {
    let cm = app.token("case_manager").await;
    let fixture = open_case(&app, "case_manager");
    let jobcenter = organisation(&app, JOBCENTER).await;
    let path = format!("/api/v1/clients/{}/consents", fixture.client_id);
    let created: Value = app
        .post(&path, &cm, &input(json!([jobcenter])))
        .await
        .json()
        .await
        .expect("json");
    let revocation = format!("{path}/{}/revocation", created["id"]);

    let outsiders = vec![
        second_case_manager(&app).await,
        app.token("analyst").await,
        app.token("admin").await,
        app.token("data_protection_officer").await,
        partner(
            &app,
            JOBCENTER,
            json!(["referrals:read", "referrals:write"]),
        )
        .await,
    ];
    for token in &outsiders {
        assert_problem(app.get(&path, token).await, StatusCode::NOT_FOUND).await;
        assert_problem(
            app.post(&path, token, &input(json!([jobcenter]))).await,
            StatusCode::NOT_FOUND,
        )
        .await;
        assert_problem(
            app.post(&revocation, token, &json!({})).await,
            StatusCode::NOT_FOUND,
        )
        .await;
    }
    // The CM coordination reads for supervision but does not record or revoke.
    let coordination = app.token("cm_coordinator").await;
    assert_eq!(app.get(&path, &coordination).await.status(), StatusCode::OK);
    assert_problem(
        app.post(&path, &coordination, &input(json!([jobcenter])))
            .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_problem(
        app.post(&revocation, &coordination, &json!({})).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_problem(
        app.get("/api/v1/clients/999999/consents", &cm).await,
        StatusCode::NOT_FOUND,
    )
    .await;
}
