//! Login, lockout, `/auth/me`, and every way a bearer token can be bad.

use chrono::Utc;
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use kim_tests::{
    assert_problem, backend_tests, Method, StatusCode, TestApp, JWT_SECRET, MAX_FAILURES, PASSWORD,
};
use serde_json::{json, Value};

backend_tests!(
    login_returns_a_bearer_token,
    wrong_password_and_unknown_user_are_the_same_401,
    login_input_is_validated,
    repeated_failures_lock_the_username_with_retry_after,
    me_describes_the_person_and_their_permissions,
    missing_or_malformed_authorization_is_401,
    forged_expired_none_and_foreign_tokens_are_401,
    tokens_of_deleted_or_disabled_accounts_are_401,
    a_role_change_takes_effect_at_once,
);

fn signed(claims: Value, algorithm: Algorithm, secret: &str) -> String {
    encode(
        &Header::new(algorithm),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .expect("encode")
}

fn claims(sub: i64, overrides: Value) -> Value {
    let now = Utc::now().timestamp();
    let mut base = json!({"sub": sub.to_string(), "iss": "kim-api", "aud": "kim", "iat": now, "nbf": now, "exp": now + 600, "jti": "t", "ver": 0});
    if let (Some(base), Some(o)) = (base.as_object_mut(), overrides.as_object()) {
        for (k, v) in o {
            base.insert(k.clone(), v.clone());
        }
    }
    base
}

async fn login_returns_a_bearer_token(app: TestApp) {
    let response = app.login("case_manager", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);
    let token = body["access_token"].as_str().expect("token");
    assert_eq!(token.split('.').count(), 3, "a JWT");
    let me = app.get("/api/v1/auth/me", token).await;
    assert_eq!(me.status(), StatusCode::OK);
    // Usernames are case-insensitive at login.
    assert_eq!(
        app.login("Case_Manager", PASSWORD).await.status(),
        StatusCode::OK
    );
}

async fn wrong_password_and_unknown_user_are_the_same_401(app: TestApp) {
    let wrong = assert_problem(
        app.login("case_manager", "not the password").await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    let unknown = assert_problem(
        app.login("nobody", "not the password").await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_eq!(
        wrong["detail"], unknown["detail"],
        "no hint which usernames exist"
    );
}

async fn login_input_is_validated(app: TestApp) {
    let response = app
        .request(Method::POST, "/api/v1/auth/login", None)
        .json(&json!({"username": "", "password": ""}))
        .send()
        .await
        .expect("send");
    let problem = assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(
        kim_tests::error_fields(&problem),
        vec!["password", "username"]
    );
    let response = app
        .request(Method::POST, "/api/v1/auth/login", None)
        .header("content-type", "application/json")
        .body("{\"username\": ")
        .send()
        .await
        .expect("send");
    assert_problem(response, StatusCode::BAD_REQUEST).await;
    let response = app
        .request(Method::POST, "/api/v1/auth/login", None)
        .json(&json!({"username": "admin"}))
        .send()
        .await
        .expect("send");
    let problem = assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(kim_tests::error_fields(&problem), vec!["password"]);
}

async fn repeated_failures_lock_the_username_with_retry_after(app: TestApp) {
    for _ in 0..MAX_FAILURES {
        assert_eq!(
            app.login("analyst", "wrong password!").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    // Locked now: even the right password is refused until the lock expires.
    let locked = app.login("analyst", PASSWORD).await;
    let retry_after: u64 = locked.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&retry_after), "Retry-After {retry_after}");
    assert_problem(locked, StatusCode::TOO_MANY_REQUESTS).await;
    // Other usernames are not affected.
    assert_eq!(
        app.login("coordinator", PASSWORD).await.status(),
        StatusCode::OK
    );
}

async fn me_describes_the_person_and_their_permissions(app: TestApp) {
    let token = app.token("coordinator").await;
    let me: Value = app
        .get("/api/v1/auth/me", &token)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(me["kind"], "person");
    assert_eq!(me["username"], "coordinator");
    assert_eq!(me["role"], "coordinator");
    assert_eq!(
        me["permissions"],
        json!([
            "read_own_account",
            "read_reference_data",
            "write_reference_data",
            "read_steering",
            "write_steering",
            "see_holder_names",
            "read_gaps",
            "manage_bodies",
            "write_offers",
            "manage_surveys",
            "read_survey_results",
            "answer_surveys",
            "read_reports",
            "read_programme_documents",
            "record_document_feedback",
        ])
    );
    let admin = app.token("admin").await;
    let me: Value = app
        .get("/api/v1/auth/me", &admin)
        .await
        .json()
        .await
        .expect("json");
    assert!(me["permissions"]
        .as_array()
        .is_some_and(|p| p.contains(&json!("manage_users"))));
}

async fn missing_or_malformed_authorization_is_401(app: TestApp) {
    let response = app
        .request(Method::GET, "/api/v1/auth/me", None)
        .send()
        .await
        .expect("send");
    assert_eq!(
        response.headers()["www-authenticate"],
        "Bearer realm=\"kim\""
    );
    assert_problem(response, StatusCode::UNAUTHORIZED).await;
    for header in ["Basic YWRtaW46eA==", "Bearer", "Bearer    ", "token abc"] {
        let response = app
            .request(Method::GET, "/api/v1/municipalities", None)
            .header("authorization", header)
            .send()
            .await
            .expect("send");
        assert_problem(response, StatusCode::UNAUTHORIZED).await;
    }
}

async fn forged_expired_none_and_foreign_tokens_are_401(app: TestApp) {
    let admin_id = {
        let token = app.token("admin").await;
        let me: Value = app
            .get("/api/v1/auth/me", &token)
            .await
            .json()
            .await
            .expect("json");
        me["id"].as_i64().expect("id")
    };
    let now = Utc::now().timestamp();
    // The control: a token we sign the same way is accepted.
    let good = signed(claims(admin_id, json!({})), Algorithm::HS256, JWT_SECRET);
    assert_eq!(
        app.get("/api/v1/auth/me", &good).await.status(),
        StatusCode::OK
    );

    let forged = signed(
        claims(admin_id, json!({})),
        Algorithm::HS256,
        "another-secret-of-at-least-32-bytes!!",
    );
    let expired = signed(
        claims(
            admin_id,
            json!({"iat": now - 7200, "nbf": now - 7200, "exp": now - 3600}),
        ),
        Algorithm::HS256,
        JWT_SECRET,
    );
    let not_yet = signed(
        claims(admin_id, json!({"nbf": now + 3600, "exp": now + 7200})),
        Algorithm::HS256,
        JWT_SECRET,
    );
    let wrong_audience = signed(
        claims(admin_id, json!({"aud": "another-app"})),
        Algorithm::HS256,
        JWT_SECRET,
    );
    let wrong_issuer = signed(
        claims(admin_id, json!({"iss": "someone-else"})),
        Algorithm::HS256,
        JWT_SECRET,
    );
    let other_algorithm = signed(claims(admin_id, json!({})), Algorithm::HS384, JWT_SECRET);
    let payload = good.split('.').nth(1).expect("payload").to_owned();
    let alg_none = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{payload}.");
    let tampered = {
        let parts: Vec<&str> = good.split('.').collect();
        // The payload of another user's token with this token's signature.
        let other = signed(
            claims(admin_id + 1, json!({})),
            Algorithm::HS256,
            JWT_SECRET,
        );
        format!(
            "{}.{}.{}",
            parts[0],
            other.split('.').nth(1).expect("payload"),
            parts[2]
        )
    };
    let cases = [
        ("forged signature", forged),
        ("expired", expired),
        ("not yet valid", not_yet),
        ("wrong audience", wrong_audience),
        ("wrong issuer", wrong_issuer),
        ("HS384 instead of HS256", other_algorithm),
        ("alg none", alg_none),
        ("tampered payload", tampered),
        ("garbage", "not.a.jwt".to_owned()),
        ("partner-looking garbage", "kimp_0000".to_owned()),
    ];
    for (case, token) in cases {
        let response = app.get("/api/v1/auth/me", &token).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{case}");
    }
}

async fn tokens_of_deleted_or_disabled_accounts_are_401(app: TestApp) {
    let admin = app.token("admin").await;
    let analyst = app.token("analyst").await;
    let steering = app.token("steering_member").await;
    let analyst_id = app.id_of("users", "analyst", &admin).await;
    let steering_id = app.id_of("users", "steering_member", &admin).await;

    let user: Value = app
        .get(&format!("/api/v1/users/{analyst_id}"), &admin)
        .await
        .json()
        .await
        .expect("json");
    let disable = json!({"display_name": user["display_name"], "role": "analyst", "organisation_id": user["organisation_id"], "active": false});
    let response = app
        .put(
            &format!("/api/v1/users/{analyst_id}"),
            &admin,
            user["version"].as_i64(),
            &disable,
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_problem(
        app.get("/api/v1/municipalities", &analyst).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_eq!(
        app.login("analyst", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED,
        "disabled accounts cannot log in"
    );

    let response = app
        .delete(&format!("/api/v1/users/{steering_id}"), &admin, Some(1))
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_problem(
        app.get("/api/v1/auth/me", &steering).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
}

async fn a_role_change_takes_effect_at_once(app: TestApp) {
    let admin = app.token("admin").await;
    let analyst = app.token("analyst").await;
    let body = json!({"name": "Neustadt", "kind": "town", "rhine_side": "left"});
    assert_problem(
        app.post("/api/v1/municipalities", &analyst, &body).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let id = app.id_of("users", "analyst", &admin).await;
    let promote = json!({"display_name": "Analyst", "role": "coordinator", "organisation_id": null, "active": true});
    assert_eq!(
        app.put(&format!("/api/v1/users/{id}"), &admin, Some(1), &promote)
            .await
            .status(),
        StatusCode::OK
    );
    // The role change ends the session (issue 10 item 3); the next login has the new role.
    assert_problem(
        app.post("/api/v1/municipalities", &analyst, &body).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    let promoted = app.token("analyst").await;
    assert_eq!(
        app.post("/api/v1/municipalities", &promoted, &body)
            .await
            .status(),
        StatusCode::CREATED
    );
}
