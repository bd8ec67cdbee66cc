//! User accounts: administrators only; passwords hashed; audit trail.

use kim_tests::{assert_problem, backend_tests, error_fields, StatusCode, TestApp};
use serde_json::{json, Value};

backend_tests!(
    admin_creates_an_account_that_can_log_in,
    only_admin_manages_accounts,
    account_input_is_validated,
    usernames_are_unique,
    admins_cannot_lock_themselves_out,
    password_reset_and_audit_trail,
    list_filters,
);

/// An account whose role reaches no case data, so it applies without a second person (those
/// that do are in `access_changes.rs`).
fn new_user(username: &str) -> Value {
    json!({"username": username, "display_name": "Anna Schmidt", "role": "analyst", "password": "a long initial passphrase"})
}

async fn admin_creates_an_account_that_can_log_in(app: TestApp) {
    let admin = app.token("admin").await;
    let created = app
        .post("/api/v1/users", &admin, &new_user("anna.schmidt"))
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let body: Value = created.json().await.expect("json");
    assert_eq!(body["username"], "anna.schmidt");
    assert_eq!(body["role"], "analyst");
    assert_eq!(body["active"], true);
    assert!(
        body.get("password").is_none() && body.get("password_hash").is_none(),
        "no secrets: {body}"
    );
    let login = app.login("anna.schmidt", "a long initial passphrase").await;
    assert_eq!(login.status(), StatusCode::OK);
    // The administrator chose the password: the person sets their own before anything else.
    let token: Value = login.json().await.expect("json");
    let token = token["access_token"].as_str().expect("token");
    let problem = assert_problem(
        app.get("/api/v1/municipalities", token).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_eq!(
        problem["type"],
        "https://kim-api.example/problems/password-change-required"
    );
    let fetched: Value = app
        .get(&format!("/api/v1/users/{}", body["id"]), &admin)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(fetched, body);
}

async fn only_admin_manages_accounts(app: TestApp) {
    let admin = app.token("admin").await;
    let analyst_id = app.id_of("users", "analyst", &admin).await;
    for role in [
        "coordinator",
        "ki_lead",
        "data_protection_officer",
        "case_manager",
    ] {
        let token = app.token(role).await;
        assert_problem(
            app.get("/api/v1/users", &token).await,
            StatusCode::FORBIDDEN,
        )
        .await;
        // Another user's account is not readable either.
        assert_problem(
            app.get(&format!("/api/v1/users/{analyst_id}"), &token)
                .await,
            StatusCode::FORBIDDEN,
        )
        .await;
        assert_problem(
            app.post("/api/v1/users", &token, &new_user("mallory"))
                .await,
            StatusCode::FORBIDDEN,
        )
        .await;
        assert_problem(
            app.delete(&format!("/api/v1/users/{analyst_id}"), &token, Some(1))
                .await,
            StatusCode::FORBIDDEN,
        )
        .await;
    }
}

async fn account_input_is_validated(app: TestApp) {
    let admin = app.token("admin").await;
    let body = json!({"username": "A b", "display_name": " ", "role": "case_manager", "password": "short"});
    let problem = assert_problem(
        app.post("/api/v1/users", &admin, &body).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(
        error_fields(&problem),
        vec!["display_name", "password", "username"]
    );
    let bad_role = json!({"username": "bob", "display_name": "Bob", "role": "superuser", "password": "a long initial passphrase"});
    assert_problem(
        app.post("/api/v1/users", &admin, &bad_role).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let mut unknown_org = new_user("carla");
    unknown_org["organisation_id"] = json!(987654);
    let problem = assert_problem(
        app.post("/api/v1/users", &admin, &unknown_org).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["organisation_id"]);
}

async fn usernames_are_unique(app: TestApp) {
    let admin = app.token("admin").await;
    let problem = assert_problem(
        app.post("/api/v1/users", &admin, &new_user("case_manager"))
            .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(problem["detail"]
        .as_str()
        .is_some_and(|d| d.contains("username")));
}

async fn admins_cannot_lock_themselves_out(app: TestApp) {
    let admin = app.token("admin").await;
    let id = app.id_of("users", "admin", &admin).await;
    let path = format!("/api/v1/users/{id}");
    let demote = json!({"display_name": "Admin", "role": "analyst", "organisation_id": null, "active": true});
    assert_problem(
        app.put(&path, &admin, Some(1), &demote).await,
        StatusCode::CONFLICT,
    )
    .await;
    let disable =
        json!({"display_name": "Admin", "role": "admin", "organisation_id": null, "active": false});
    assert_problem(
        app.put(&path, &admin, Some(1), &disable).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_problem(
        app.delete(&path, &admin, Some(1)).await,
        StatusCode::CONFLICT,
    )
    .await;
}

async fn password_reset_and_audit_trail(app: TestApp) {
    let admin = app.token("admin").await;
    let id = app.id_of("users", "project_group_member", &admin).await;
    let body = json!({"display_name": "PG Member", "role": "project_group_member", "organisation_id": null, "active": true, "password": "a brand new passphrase"});
    let updated: Value = app
        .put(&format!("/api/v1/users/{id}"), &admin, Some(1), &body)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(updated["display_name"], "PG Member");
    assert_eq!(
        app.login("project_group_member", kim_tests::PASSWORD)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login("project_group_member", "a brand new passphrase")
            .await
            .status(),
        StatusCode::OK
    );
    let mut conn = app.pool.get().expect("conn");
    let events = kim_store::audit::for_object(&mut conn, "user", id).expect("audit");
    let actions: Vec<&str> = events.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(
        actions,
        vec!["user.create", "user.password_reset", "user.update"]
    );
    let admin_id = app.id_of("users", "admin", &admin).await;
    assert_eq!(events[1].1, Some(admin_id), "the actor is recorded");
}

async fn list_filters(app: TestApp) {
    let admin = app.token("admin").await;
    let all: Value = app
        .get("/api/v1/users", &admin)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(all["total"], 10);
    let managers: Value = app
        .get("/api/v1/users?role=case_manager", &admin)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(managers["total"], 1);
    let search: Value = app
        .get("/api/v1/users?q=immigration", &admin)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(search["items"][0]["username"], "immigration_officer");
    let desc: Value = app
        .get("/api/v1/users?sort=-username&limit=1", &admin)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(desc["items"][0]["username"], "steering_member");
}
