//! Sessions end when they should (issue 10 item 3), and an administrator's password reset makes
//! the account set its own password first (item 2, `must_change_password`).

use kim_tests::{assert_problem, backend_tests, error_fields, StatusCode, TestApp, PASSWORD};
use serde_json::{json, Value};

backend_tests!(
    logout_ends_every_session_issued_before,
    logout_needs_a_person_token,
    a_password_reset_ends_sessions_and_forces_a_password_change,
    deactivation_and_role_change_end_sessions,
);

async fn logout_ends_every_session_issued_before(app: TestApp) {
    let laptop = app.token("case_manager").await;
    let phone = app.token("case_manager").await;
    let logout = app.post("/api/v1/auth/logout", &laptop, &json!({})).await;
    assert_eq!(logout.status(), StatusCode::NO_CONTENT);
    for token in [&laptop, &phone] {
        assert_problem(
            app.get("/api/v1/auth/me", token).await,
            StatusCode::UNAUTHORIZED,
        )
        .await;
    }
    // Logging in again starts a new session.
    let again = app.token("case_manager").await;
    assert_eq!(
        app.get("/api/v1/auth/me", &again).await.status(),
        StatusCode::OK
    );
    // Other accounts are not affected.
    let analyst = app.token("analyst").await;
    assert_eq!(
        app.get("/api/v1/auth/me", &analyst).await.status(),
        StatusCode::OK
    );
}

async fn logout_needs_a_person_token(app: TestApp) {
    let response = app
        .request(kim_tests::Method::POST, "/api/v1/auth/logout", None)
        .send()
        .await
        .expect("send");
    assert_problem(response, StatusCode::UNAUTHORIZED).await;
    let admin = app.token("admin").await;
    let organisation_id = app
        .id_of("organisations", "Jobcenter Rhein-Sieg", &admin)
        .await;
    let issued: Value = app
        .post(
            "/api/v1/partner-tokens",
            &admin,
            &json!({"name": "Fachverfahren", "organisation_id": organisation_id, "scopes": ["reports:read"], "expires_in_days": 30}),
        )
        .await
        .json()
        .await
        .expect("json");
    let partner = issued["secret"].as_str().expect("secret");
    assert_problem(
        app.post("/api/v1/auth/logout", partner, &json!({})).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    // The refused logout changed nothing: the partner token still works.
    assert_eq!(
        app.get("/api/v1/auth/me", partner).await.status(),
        StatusCode::OK
    );
}

async fn user_of(app: &TestApp, admin: &str, username: &str) -> Value {
    let id = app.id_of("users", username, admin).await;
    app.get(&format!("/api/v1/users/{id}"), admin)
        .await
        .json()
        .await
        .expect("json")
}

async fn a_password_reset_ends_sessions_and_forces_a_password_change(app: TestApp) {
    let admin = app.token("admin").await;
    let before = app.token("analyst").await;
    let user = user_of(&app, &admin, "analyst").await;
    let reset = json!({"display_name": user["display_name"], "role": "analyst", "organisation_id": user["organisation_id"], "active": true, "password": "a password the admin chose"});
    let response = app
        .put(
            &format!("/api/v1/users/{}", user["id"]),
            &admin,
            user["version"].as_i64(),
            &reset,
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_problem(
        app.get("/api/v1/auth/me", &before).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;

    let login = app.login("analyst", "a password the admin chose").await;
    assert_eq!(login.status(), StatusCode::OK);
    let body: Value = login.json().await.expect("json");
    let reset_token = body["access_token"].as_str().expect("token").to_owned();
    let refused = assert_problem(
        app.get("/api/v1/municipalities", &reset_token).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert!(refused["type"]
        .as_str()
        .is_some_and(|t| t.ends_with("/password-change-required")));
    let me: Value = app
        .get("/api/v1/auth/me", &reset_token)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(me["must_change_password"], true);

    // Bad input changes nothing.
    let same = json!({"current_password": "a password the admin chose", "new_password": "a password the admin chose"});
    let problem = assert_problem(
        app.post("/api/v1/auth/password", &reset_token, &same).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["new_password"]);
    let wrong = json!({"current_password": "not it", "new_password": "my very own passphrase"});
    let problem = assert_problem(
        app.post("/api/v1/auth/password", &reset_token, &wrong)
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["current_password"]);

    let change = json!({"current_password": "a password the admin chose", "new_password": "my very own passphrase"});
    let changed = app
        .post("/api/v1/auth/password", &reset_token, &change)
        .await;
    assert_eq!(changed.status(), StatusCode::OK);
    let fresh: Value = changed.json().await.expect("json");
    let fresh = fresh["access_token"].as_str().expect("token");
    assert_eq!(
        app.get("/api/v1/municipalities", fresh).await.status(),
        StatusCode::OK
    );
    // The token from before the change is over; the old demo password no longer works.
    assert_problem(
        app.get("/api/v1/auth/me", &reset_token).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_eq!(
        app.login("analyst", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

async fn deactivation_and_role_change_end_sessions(app: TestApp) {
    let admin = app.token("admin").await;
    let steering = app.token("steering_member").await;
    let user = user_of(&app, &admin, "steering_member").await;
    let to_analyst = json!({"display_name": user["display_name"], "role": "analyst", "organisation_id": user["organisation_id"], "active": true});
    assert_eq!(
        app.put(
            &format!("/api/v1/users/{}", user["id"]),
            &admin,
            user["version"].as_i64(),
            &to_analyst,
        )
        .await
        .status(),
        StatusCode::OK
    );
    assert_problem(
        app.get("/api/v1/auth/me", &steering).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    // A change of the display name alone leaves sessions alone.
    let analyst = app.token("steering_member").await;
    let user = user_of(&app, &admin, "steering_member").await;
    let renamed = json!({"display_name": "Renamed", "role": "analyst", "organisation_id": user["organisation_id"], "active": true});
    app.put(
        &format!("/api/v1/users/{}", user["id"]),
        &admin,
        user["version"].as_i64(),
        &renamed,
    )
    .await;
    assert_eq!(
        app.get("/api/v1/auth/me", &analyst).await.status(),
        StatusCode::OK
    );
    let user = user_of(&app, &admin, "steering_member").await;
    let disabled = json!({"display_name": "Renamed", "role": "analyst", "organisation_id": user["organisation_id"], "active": false});
    app.put(
        &format!("/api/v1/users/{}", user["id"]),
        &admin,
        user["version"].as_i64(),
        &disabled,
    )
    .await;
    assert_problem(
        app.get("/api/v1/auth/me", &analyst).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
}

/// Every response says `nosniff`; every answer under /api/v1 `no-store` (issue 10 item 8).
mod headers {
    use super::*;

    backend_tests!(every_response_says_nosniff_and_api_answers_are_not_stored);

    async fn every_response_says_nosniff_and_api_answers_are_not_stored(app: TestApp) {
        let token = app.token("case_manager").await;
        let responses = [
            app.get("/api/v1/clients", &token).await,
            app.get("/api/v1/municipalities", &token).await,
            app.request(kim_tests::Method::GET, "/api/v1/auth/me", None)
                .send()
                .await
                .expect("send"),
        ];
        for response in responses {
            let url = response.url().to_string();
            assert_eq!(
                response.headers()["x-content-type-options"],
                "nosniff",
                "{url}"
            );
            assert_eq!(response.headers()["cache-control"], "no-store", "{url}");
        }
        let live = app
            .request(kim_tests::Method::GET, "/health/live", None)
            .send()
            .await
            .expect("send");
        assert_eq!(live.headers()["x-content-type-options"], "nosniff");
    }
}
