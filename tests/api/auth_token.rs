//! `POST /auth/token`: the OAuth2 password grant (RFC 6749 §4.3) beside `/auth/login`, and the
//! OAuth2 security scheme Swagger UI's *Authorize* dialog uses.

use kim_tests::{
    assert_problem, backend_tests, Method, StatusCode, TestApp, MAX_FAILURES, PASSWORD,
};
use serde_json::Value;

backend_tests!(
    token_endpoint_issues_a_bearer_token_for_the_password_grant,
    token_endpoint_answers_rfc_6749_errors,
    token_endpoint_refuses_what_is_not_a_form,
    token_endpoint_shares_the_lockout_with_login,
);

/// Percent-encodes a form value (only what the tests send needs it).
fn form_value(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn token_request(app: &TestApp, body: String) -> reqwest::Response {
    app.request(Method::POST, "/api/v1/auth/token", None)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .expect("send")
}

async fn password_grant(app: &TestApp, username: &str, password: &str) -> reqwest::Response {
    token_request(
        app,
        format!(
            "grant_type=password&username={}&password={}",
            form_value(username),
            form_value(password)
        ),
    )
    .await
}

/// Asserts an RFC 6749 §5.2 error that is also a problem document; returns the body.
async fn assert_oauth_error(response: reqwest::Response, error: &str) -> Value {
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["error"], error, "{body}");
    assert!(body["error_description"].is_string(), "{body}");
    assert_eq!(body["status"], 400);
    assert_eq!(
        body["type"],
        format!(
            "https://kim-api.example/problems/{}",
            error.replace('_', "-")
        )
    );
    body
}

async fn token_endpoint_issues_a_bearer_token_for_the_password_grant(app: TestApp) {
    // Swagger UI sends scope and client_id too: unknown parameters are ignored (RFC 6749 §3.2).
    let response = token_request(
        &app,
        format!(
            "grant_type=password&username=Analyst&password={}&scope=&client_id=swagger",
            form_value(PASSWORD)
        ),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(response.headers()["pragma"], "no-cache");
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);
    let token = body["access_token"].as_str().expect("access_token");
    let me: Value = app
        .get("/api/v1/auth/me", token)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(me["username"], "analyst");
}

async fn token_endpoint_answers_rfc_6749_errors(app: TestApp) {
    let wrong = assert_oauth_error(
        password_grant(&app, "analyst", "not the password").await,
        "invalid_grant",
    )
    .await;
    let unknown = assert_oauth_error(
        password_grant(&app, "nobody", "not the password").await,
        "invalid_grant",
    )
    .await;
    assert_eq!(
        wrong["error_description"], unknown["error_description"],
        "no hint which usernames exist"
    );
    assert_oauth_error(
        token_request(&app, "grant_type=client_credentials&client_id=x".into()).await,
        "unsupported_grant_type",
    )
    .await;
    assert_oauth_error(
        token_request(&app, "username=analyst&password=x".into()).await,
        "invalid_request",
    )
    .await;
    assert_oauth_error(
        token_request(&app, "grant_type=password&username=analyst".into()).await,
        "invalid_request",
    )
    .await;
    assert_oauth_error(
        token_request(
            &app,
            "grant_type=password&username=analyst&username=admin&password=x".into(),
        )
        .await,
        "invalid_request",
    )
    .await;
    // A wrong guess through the token endpoint counts like one through /auth/login; two did
    // not lock the account (MAX_FAILURES is 3).
    assert_eq!(
        password_grant(&app, "analyst", PASSWORD).await.status(),
        StatusCode::OK
    );
}

async fn token_endpoint_refuses_what_is_not_a_form(app: TestApp) {
    let response = app
        .request(Method::POST, "/api/v1/auth/token", None)
        .json(&serde_json::json!({"grant_type": "password", "username": "analyst", "password": PASSWORD}))
        .send()
        .await
        .expect("send");
    assert_problem(response, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
    let huge = format!(
        "grant_type=password&username=analyst&password={}",
        "a".repeat(5000)
    );
    assert_problem(
        token_request(&app, huge).await,
        StatusCode::PAYLOAD_TOO_LARGE,
    )
    .await;
}

async fn token_endpoint_shares_the_lockout_with_login(app: TestApp) {
    for _ in 0..MAX_FAILURES {
        assert_oauth_error(
            password_grant(&app, "coordinator", "wrong password!").await,
            "invalid_grant",
        )
        .await;
    }
    // Locked: the RFC says nothing about throttling, so this is the usual problem document.
    let locked = password_grant(&app, "coordinator", PASSWORD).await;
    assert!(locked.headers().contains_key("retry-after"));
    assert_problem(locked, StatusCode::TOO_MANY_REQUESTS).await;
    assert_problem(
        app.login("coordinator", PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS,
    )
    .await;
}

/// Swagger UI's *Authorize* dialog offers the password flow, and operations that take a bearer
/// token accept the token it gets.
#[test]
fn openapi_offers_the_oauth2_password_flow_beside_bearer() {
    let document = serde_json::to_value(kim_api::openapi::document()).expect("json");
    let schemes = &document["components"]["securitySchemes"];
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(schemes["oauth2"]["type"], "oauth2");
    assert_eq!(
        schemes["oauth2"]["flows"]["password"]["tokenUrl"],
        "/api/v1/auth/token"
    );
    let me = &document["paths"]["/api/v1/auth/me"]["get"]["security"];
    assert!(
        me.as_array()
            .is_some_and(|s| s.iter().any(|r| r.get("oauth2").is_some())),
        "{me}"
    );
    let token = &document["paths"]["/api/v1/auth/token"]["post"];
    assert!(token["requestBody"]["content"]
        .get("application/x-www-form-urlencoded")
        .is_some());
}
