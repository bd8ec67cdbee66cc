//! Partner tokens: issued by an admin, shown once, scoped, listable, revocable.

use chrono::{Duration, Utc};
use kim_tests::{assert_problem, backend_tests, error_fields, StatusCode, TestApp};
use serde_json::{json, Value};

backend_tests!(
    issue_use_list_and_revoke,
    only_admin_manages_partner_tokens,
    token_input_is_validated,
    expired_tokens_are_refused,
);

async fn issue(app: &TestApp, admin: &str, organisation: &str, scopes: Value) -> Value {
    let organisation_id = app.id_of("organisations", organisation, admin).await;
    let body = json!({"name": "Fachverfahren", "organisation_id": organisation_id, "scopes": scopes, "expires_in_days": 30});
    // Referral scopes wait for the data protection officer, who confirms them here.
    app.issue_partner_token(&body).await
}

async fn issue_use_list_and_revoke(app: TestApp) {
    let admin = app.token("admin").await;
    let issued = issue(
        &app,
        &admin,
        "Jobcenter Rhein-Sieg",
        json!(["referrals:write", "referrals:read"]),
    )
    .await;
    let secret = issued["secret"].as_str().expect("secret").to_owned();
    assert!(
        secret.starts_with("kimp_")
            && secret.starts_with(issued["token_prefix"].as_str().expect("prefix"))
    );
    assert_eq!(
        issued["scopes"],
        json!(["referrals:read", "referrals:write"])
    );
    // Referral scopes reach case data: issued waiting, working once confirmed.
    assert_eq!(issued["status"], "awaiting_confirmation");
    assert!(issued["access_change_id"].is_i64());
    let now: Value = app
        .get(&format!("/api/v1/partner-tokens/{}", issued["id"]), &admin)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(now["status"], "active");

    // The partner reads reference data and sees itself.
    assert_eq!(
        app.get("/api/v1/municipalities", &secret).await.status(),
        StatusCode::OK
    );
    let me: Value = app
        .get("/api/v1/auth/me", &secret)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(me["kind"], "partner");
    assert_eq!(me["organisation_id"], issued["organisation_id"]);
    assert_eq!(me["scopes"], issued["scopes"]);
    // But it manages nothing.
    assert_problem(
        app.post(
            "/api/v1/municipalities",
            &secret,
            &json!({"name": "X", "kind": "town", "rhine_side": "left"}),
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_problem(
        app.get("/api/v1/partner-tokens", &secret).await,
        StatusCode::FORBIDDEN,
    )
    .await;

    // The secret is never shown again.
    let path = format!("/api/v1/partner-tokens/{}", issued["id"]);
    let fetched: Value = app.get(&path, &admin).await.json().await.expect("json");
    assert!(fetched.get("secret").is_none());
    let listed: Value = app
        .get("/api/v1/partner-tokens", &admin)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(listed["total"], 1);
    assert!(!listed.to_string().contains(&secret));

    let revoked = app.delete(&path, &admin, None).await;
    assert_eq!(revoked.status(), StatusCode::OK);
    let revoked: Value = revoked.json().await.expect("json");
    assert_eq!(revoked["status"], "revoked");
    // Refused at once.
    assert_problem(
        app.get("/api/v1/municipalities", &secret).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    // Revoking twice keeps the first time.
    let again: Value = app
        .delete(&path, &admin, None)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(again["revoked_at"], revoked["revoked_at"]);
    let active: Value = app
        .get("/api/v1/partner-tokens", &admin)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(active["total"], 0);
    let all: Value = app
        .get("/api/v1/partner-tokens?include_inactive=true", &admin)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(all["total"], 1);
}

async fn only_admin_manages_partner_tokens(app: TestApp) {
    let admin = app.token("admin").await;
    let issued = issue(
        &app,
        &admin,
        "Caritasverband Rhein-Sieg",
        json!(["reports:read"]),
    )
    .await;
    let body = json!({"name": "x", "organisation_id": issued["organisation_id"], "scopes": ["reports:read"]});
    for role in ["coordinator", "ki_lead", "immigration_officer"] {
        let token = app.token(role).await;
        assert_problem(
            app.post("/api/v1/partner-tokens", &token, &body).await,
            StatusCode::FORBIDDEN,
        )
        .await;
        assert_problem(
            app.get(&format!("/api/v1/partner-tokens/{}", issued["id"]), &token)
                .await,
            StatusCode::FORBIDDEN,
        )
        .await;
        assert_problem(
            app.delete(
                &format!("/api/v1/partner-tokens/{}", issued["id"]),
                &token,
                None,
            )
            .await,
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    assert_problem(
        app.get("/api/v1/partner-tokens/424242", &admin).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        app.delete("/api/v1/partner-tokens/424242", &admin, None)
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
}

async fn token_input_is_validated(app: TestApp) {
    let admin = app.token("admin").await;
    let org = app
        .id_of("organisations", "Jobcenter Rhein-Sieg", &admin)
        .await;
    let body = json!({"name": " ", "organisation_id": org, "scopes": [], "expires_in_days": 0});
    let problem = assert_problem(
        app.post("/api/v1/partner-tokens", &admin, &body).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(
        error_fields(&problem),
        vec!["expires_in_days", "name", "scopes"]
    );
    let unknown_scope = json!({"name": "x", "organisation_id": org, "scopes": ["cases:read"]});
    assert_problem(
        app.post("/api/v1/partner-tokens", &admin, &unknown_scope)
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let twice =
        json!({"name": "x", "organisation_id": org, "scopes": ["reports:read", "reports:read"]});
    let problem = assert_problem(
        app.post("/api/v1/partner-tokens", &admin, &twice).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["scopes"]);
    let too_long = json!({"name": "x", "organisation_id": org, "scopes": ["reports:read"], "expires_in_days": 366});
    let problem = assert_problem(
        app.post("/api/v1/partner-tokens", &admin, &too_long).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["expires_in_days"]);
    let no_org = json!({"name": "x", "organisation_id": 999999, "scopes": ["reports:read"]});
    let problem = assert_problem(
        app.post("/api/v1/partner-tokens", &admin, &no_org).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["organisation_id"]);
}

async fn expired_tokens_are_refused(app: TestApp) {
    let admin = app.token("admin").await;
    let org = app
        .id_of("organisations", "Jobcenter Rhein-Sieg", &admin)
        .await;
    // Written straight to the store: the API does not issue tokens that are already expired.
    let secret = kim_api::auth::partner_secret::generate();
    let mut conn = app.pool.get().expect("conn");
    kim_store::partner_tokens::insert(
        &mut conn,
        &kim_store::audit::Actor::system(),
        &kim_store::partner_tokens::NewPartnerToken {
            name: "old".into(),
            organisation_id: org,
            scopes: vec![kim_domain::Scope::ReportsRead],
            token_hash: secret.hash,
            token_prefix: secret.prefix,
            expires_at: Utc::now() - Duration::minutes(1),
            awaiting_confirmation: false,
        },
    )
    .expect("insert");
    assert_problem(
        app.get("/api/v1/auth/me", &secret.secret).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    let all: Value = app
        .get("/api/v1/partner-tokens?include_inactive=true", &admin)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(all["items"][0]["status"], "expired");
}
