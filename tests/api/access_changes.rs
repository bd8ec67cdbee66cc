//! Separation of duties (issue 10 item 2): an administrator alone never reaches case data. A
//! grant of access to case data waits for the data protection officer or the KI lead; removing
//! access applies at once; nobody confirms their own request or their own account.

use kim_tests::{assert_problem, backend_tests, error_fields, StatusCode, TestApp, PASSWORD};
use serde_json::{json, Value};

backend_tests!(
    an_administrator_alone_cannot_create_a_case_manager,
    raising_moving_and_resetting_wait_while_removing_applies_at_once,
    partner_tokens_with_referral_scopes_wait_for_confirmation,
    only_a_second_confirmer_decides_and_refusals_change_nothing,
    an_administrator_cannot_create_a_confirmer_alone,
);

const INITIAL: &str = "a long initial passphrase";

fn problem_type(problem: &Value) -> &str {
    problem["type"]
        .as_str()
        .and_then(|t| t.rsplit('/').next())
        .unwrap_or_default()
}

async fn json_of(response: reqwest::Response) -> Value {
    response.json().await.expect("json")
}

async fn user(app: &TestApp, admin: &str, id: i64) -> Value {
    json_of(app.get(&format!("/api/v1/users/{id}"), admin).await).await
}

fn audit_actions(app: &TestApp, object_type: &str, id: i64) -> Vec<String> {
    let mut conn = app.pool.get().expect("conn");
    kim_store::audit::for_object(&mut conn, object_type, id)
        .expect("audit")
        .into_iter()
        .map(|(action, _)| action)
        .collect()
}

async fn an_administrator_alone_cannot_create_a_case_manager(app: TestApp) {
    let admin = app.token("admin").await;
    let body = json!({"username": "anna.schmidt", "display_name": "Anna Schmidt", "role": "case_manager", "password": INITIAL});
    let response = app.post("/api/v1/users", &admin, &body).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("Location")
        .to_owned();
    let change = json_of(response).await;
    assert_eq!(location, format!("/api/v1/access-changes/{}", change["id"]));
    assert_eq!(change["kind"], "create_user");
    assert_eq!(change["status"], "pending");
    assert_eq!(change["account"]["role"], "case_manager");
    assert_eq!(change["account"]["active"], true);
    assert_eq!(change["summary"], "new account with role case_manager");
    assert!(change.get("password_hash").is_none() && change["account"].get("password").is_none());
    let user_id = change["user_id"].as_i64().expect("user_id");

    // The account exists, disabled: the username is taken, the password opens nothing.
    let account = user(&app, &admin, user_id).await;
    assert_eq!(account["active"], false);
    assert_eq!(
        app.login("anna.schmidt", INITIAL).await.status(),
        StatusCode::UNAUTHORIZED
    );

    // The data protection officer finds it on their work list and in the pending list.
    let dpo = app.token("data_protection_officer").await;
    let tasks = json_of(app.get("/api/v1/me/tasks", &dpo).await).await;
    let task = tasks["items"]
        .as_array()
        .expect("tasks")
        .iter()
        .find(|t| t["object_type"] == "access_change" && t["object_id"] == change["id"])
        .expect("the change is on the DPO's work list")
        .clone();
    assert_eq!(task["kind"], "access_change_to_confirm");
    assert_eq!(task["title"], "new account with role case_manager");
    let pending = json_of(
        app.get("/api/v1/access-changes?status=pending", &admin)
            .await,
    )
    .await;
    assert_eq!(pending["total"], 1);
    assert_eq!(pending["items"][0]["id"], change["id"]);

    let confirmed = app
        .post(&format!("{location}/confirm"), &dpo, &json!({}))
        .await;
    assert_eq!(confirmed.status(), StatusCode::OK);
    let confirmed = json_of(confirmed).await;
    assert_eq!(confirmed["status"], "confirmed");
    let dpo_id = app.id_of("users", "data_protection_officer", &admin).await;
    assert_eq!(confirmed["decided_by"], dpo_id);
    assert_eq!(user(&app, &admin, user_id).await["active"], true);

    // Now the person logs in, sets their own password (the administrator chose the first) and
    // works cases.
    let login = json_of(app.login("anna.schmidt", INITIAL).await).await;
    let first = login["access_token"].as_str().expect("token");
    let problem =
        assert_problem(app.get("/api/v1/cases", first).await, StatusCode::FORBIDDEN).await;
    assert_eq!(problem_type(&problem), "password-change-required");
    let own = json!({"current_password": INITIAL, "new_password": "anna's own passphrase"});
    let changed = json_of(app.post("/api/v1/auth/password", first, &own).await).await;
    let token = changed["access_token"].as_str().expect("token");
    assert_eq!(
        app.get("/api/v1/cases", token).await.status(),
        StatusCode::OK
    );

    // Everything is in the audit trail.
    let change_id = change["id"].as_i64().expect("id");
    assert_eq!(
        audit_actions(&app, "access_change", change_id),
        vec!["access_change.create", "access_change.confirm"]
    );
    assert_eq!(
        audit_actions(&app, "user", user_id),
        vec!["user.create", "user.update", "user.password_change"]
    );
    // Gone from the work list once decided.
    let tasks = json_of(app.get("/api/v1/me/tasks", &dpo).await).await;
    assert!(!tasks["items"]
        .as_array()
        .expect("tasks")
        .iter()
        .any(|t| t["object_type"] == "access_change"));
}

async fn raising_moving_and_resetting_wait_while_removing_applies_at_once(app: TestApp) {
    let admin = app.token("admin").await;
    let analyst_session = app.token("analyst").await;
    let analyst_id = app.id_of("users", "analyst", &admin).await;
    let path = format!("/api/v1/users/{analyst_id}");
    let before = user(&app, &admin, analyst_id).await;

    // Raising a role to one that works cases waits; the account is untouched meanwhile.
    let raise = json!({"display_name": "Analyst", "role": "case_manager", "organisation_id": before["organisation_id"], "active": true});
    let response = app.put(&path, &admin, Some(1), &raise).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let change = json_of(response).await;
    assert_eq!(change["kind"], "change_user");
    assert_eq!(change["summary"], "role analyst → case_manager");
    assert_eq!(user(&app, &admin, analyst_id).await, before);
    assert_eq!(
        app.get("/api/v1/auth/me", &analyst_session).await.status(),
        StatusCode::OK,
        "nothing applied, so the session goes on"
    );
    // One pending change per account.
    let problem = assert_problem(
        app.put(&path, &admin, Some(1), &raise).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(problem["detail"]
        .as_str()
        .is_some_and(|d| d.contains("waits for confirmation")));

    // A change that grants nothing applies at once, and makes the pending one stale.
    let rename = json!({"display_name": "Analyst Renamed", "role": "analyst", "organisation_id": before["organisation_id"], "active": true});
    assert_eq!(
        app.put(&path, &admin, Some(1), &rename).await.status(),
        StatusCode::OK
    );
    let ki_lead = app.token("ki_lead").await;
    let change_path = format!("/api/v1/access-changes/{}", change["id"]);
    let problem = assert_problem(
        app.post(&format!("{change_path}/confirm"), &ki_lead, &json!({}))
            .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(problem["detail"]
        .as_str()
        .is_some_and(|d| d.contains("changed since")));
    assert_eq!(user(&app, &admin, analyst_id).await["role"], "analyst");
    let rejected = app
        .post(
            &format!("{change_path}/reject"),
            &ki_lead,
            &json!({"reason": "asked against an old version"}),
        )
        .await;
    assert_eq!(rejected.status(), StatusCode::OK);
    let rejected = json_of(rejected).await;
    assert_eq!(rejected["status"], "rejected");
    assert_eq!(rejected["decision_reason"], "asked against an old version");

    // Asked again and confirmed by the KI lead: applied, and the old session ends.
    let raise = json!({"display_name": "Analyst Renamed", "role": "case_manager", "organisation_id": before["organisation_id"], "active": true});
    let change = json_of(app.put(&path, &admin, Some(2), &raise).await).await;
    assert_eq!(change["status"], "pending");
    let confirmed = app
        .post(
            &format!("/api/v1/access-changes/{}/confirm", change["id"]),
            &ki_lead,
            &json!({}),
        )
        .await;
    assert_eq!(confirmed.status(), StatusCode::OK);
    assert_eq!(user(&app, &admin, analyst_id).await["role"], "case_manager");
    assert_problem(
        app.get("/api/v1/auth/me", &analyst_session).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;

    // Moving an immigration officer to another office waits.
    let officer_id = app.id_of("users", "immigration_officer", &admin).await;
    let officer = user(&app, &admin, officer_id).await;
    let other_office = app
        .id_of("organisations", "Caritasverband Rhein-Sieg", &admin)
        .await;
    let moved = json!({"display_name": officer["display_name"], "role": "immigration_officer", "organisation_id": other_office, "active": true});
    let response = app
        .put(
            &format!("/api/v1/users/{officer_id}"),
            &admin,
            officer["version"].as_i64(),
            &moved,
        )
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    assert_eq!(
        user(&app, &admin, officer_id).await["organisation_id"],
        officer["organisation_id"]
    );

    // An administrator's password reset of a case manager waits; the old password still works.
    let cm_id = app.id_of("users", "case_manager", &admin).await;
    let cm = user(&app, &admin, cm_id).await;
    let reset = json!({"display_name": cm["display_name"], "role": "case_manager", "organisation_id": cm["organisation_id"], "active": true, "password": "the admin knows this one"});
    let response = app
        .put(
            &format!("/api/v1/users/{cm_id}"),
            &admin,
            cm["version"].as_i64(),
            &reset,
        )
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let change = json_of(response).await;
    assert_eq!(change["account"]["password_reset"], true);
    assert_eq!(
        app.login("case_manager", "the admin knows this one")
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login("case_manager", PASSWORD).await.status(),
        StatusCode::OK
    );
    // Confirmed: the new password applies and must be replaced at once.
    app.confirm_access_change(change["id"].as_i64().expect("id"))
        .await;
    let login = app.login("case_manager", "the admin knows this one").await;
    assert_eq!(login.status(), StatusCode::OK);
    let token = json_of(login).await["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    let problem = assert_problem(
        app.get("/api/v1/cases", &token).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_eq!(problem_type(&problem), "password-change-required");

    // Taking access away applies at once: deactivating the CM coordination.
    let cmc_session = app.token("cm_coordinator").await;
    let cmc_id = app.id_of("users", "cm_coordinator", &admin).await;
    let cmc = user(&app, &admin, cmc_id).await;
    let off = json!({"display_name": cmc["display_name"], "role": "cm_coordinator", "organisation_id": cmc["organisation_id"], "active": false});
    let response = app
        .put(
            &format!("/api/v1/users/{cmc_id}"),
            &admin,
            cmc["version"].as_i64(),
            &off,
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_problem(
        app.get("/api/v1/cases", &cmc_session).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
}

async fn partner_tokens_with_referral_scopes_wait_for_confirmation(app: TestApp) {
    let admin = app.token("admin").await;
    let jobcenter = app
        .id_of("organisations", "Jobcenter Rhein-Sieg", &admin)
        .await;
    let referrals = json!({"name": "Fachverfahren", "organisation_id": jobcenter, "scopes": ["referrals:read"], "expires_in_days": 30});
    let response = app.post("/api/v1/partner-tokens", &admin, &referrals).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let issued = json_of(response).await;
    assert_eq!(issued["status"], "awaiting_confirmation");
    let secret = issued["secret"].as_str().expect("secret");
    let problem = assert_problem(
        app.get("/api/v1/referrals", secret).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_eq!(problem_type(&problem), "confirmation-required");
    let change_id = issued["access_change_id"].as_i64().expect("change");
    let change = json_of(
        app.get(&format!("/api/v1/access-changes/{change_id}"), &admin)
            .await,
    )
    .await;
    assert_eq!(change["kind"], "issue_partner_token");
    assert_eq!(change["partner_token_id"], issued["id"]);
    assert!(change["summary"]
        .as_str()
        .is_some_and(|s| s.contains("referrals:read")));

    // Rejected: the token is revoked and never works.
    let dpo = app.token("data_protection_officer").await;
    let rejected = app
        .post(
            &format!("/api/v1/access-changes/{change_id}/reject"),
            &dpo,
            &json!({"reason": "no cooperation agreement yet"}),
        )
        .await;
    assert_eq!(rejected.status(), StatusCode::OK);
    let token = json_of(
        app.get(&format!("/api/v1/partner-tokens/{}", issued["id"]), &admin)
            .await,
    )
    .await;
    assert_eq!(token["status"], "revoked");
    assert_problem(
        app.get("/api/v1/referrals", secret).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;

    // Issued again and confirmed: it works.
    let issued = json_of(app.post("/api/v1/partner-tokens", &admin, &referrals).await).await;
    let secret = issued["secret"].as_str().expect("secret");
    app.confirm_access_change(issued["access_change_id"].as_i64().expect("change"))
        .await;
    assert_eq!(
        app.get("/api/v1/referrals", secret).await.status(),
        StatusCode::OK
    );

    // Scopes without case data work at once.
    let reports = json!({"name": "Berichte", "organisation_id": jobcenter, "scopes": ["reports:read"], "expires_in_days": 30});
    let response = app.post("/api/v1/partner-tokens", &admin, &reports).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let issued = json_of(response).await;
    assert!(issued["access_change_id"].is_null());
    assert_eq!(issued["status"], "active");
}

async fn only_a_second_confirmer_decides_and_refusals_change_nothing(app: TestApp) {
    let admin = app.token("admin").await;
    // The administrator resets the data protection officer's password: it concerns the DPO's
    // own account, so only the KI lead may confirm it.
    let dpo_id = app.id_of("users", "data_protection_officer", &admin).await;
    let dpo_account = user(&app, &admin, dpo_id).await;
    let reset = json!({"display_name": dpo_account["display_name"], "role": "data_protection_officer", "organisation_id": dpo_account["organisation_id"], "active": true, "password": "chosen by the admin"});
    let change = json_of(
        app.put(
            &format!("/api/v1/users/{dpo_id}"),
            &admin,
            dpo_account["version"].as_i64(),
            &reset,
        )
        .await,
    )
    .await;
    assert_eq!(change["status"], "pending");
    let confirm = format!("/api/v1/access-changes/{}/confirm", change["id"]);
    let reject = format!("/api/v1/access-changes/{}/reject", change["id"]);

    let dpo = app.token("data_protection_officer").await;
    let problem = assert_problem(
        app.post(&confirm, &dpo, &json!({})).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_eq!(problem_type(&problem), "confirmation-required");
    // Not on the DPO's own work list either.
    let tasks = json_of(app.get("/api/v1/me/tasks", &dpo).await).await;
    assert!(!tasks["items"]
        .as_array()
        .expect("tasks")
        .iter()
        .any(|t| t["object_id"] == change["id"] && t["object_type"] == "access_change"));

    // The requester (an administrator) and other roles may not decide at all.
    for role in [
        "admin",
        "case_manager",
        "cm_coordinator",
        "coordinator",
        "analyst",
    ] {
        let token = app.token(role).await;
        let problem = assert_problem(
            app.post(&confirm, &token, &json!({})).await,
            StatusCode::FORBIDDEN,
        )
        .await;
        assert_eq!(problem_type(&problem), "forbidden", "{role}");
    }
    for role in ["case_manager", "coordinator", "immigration_officer"] {
        let token = app.token(role).await;
        assert_problem(
            app.get("/api/v1/access-changes", &token).await,
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    // A partner system neither.
    let partner = app
        .issue_partner_token(&json!({"name": "p", "organisation_id": app.id_of("organisations", "Jobcenter Rhein-Sieg", &admin).await, "scopes": ["referrals:write"], "expires_in_days": 30}))
        .await;
    let secret = partner["secret"].as_str().expect("secret");
    assert_problem(
        app.post(&confirm, secret, &json!({})).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_problem(
        app.get("/api/v1/access-changes", secret).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    // Without credentials: 401; an unknown change: 404; a reason is required.
    assert_problem(
        app.request(kim_tests::Method::POST, &confirm, None)
            .send()
            .await
            .expect("send"),
        StatusCode::UNAUTHORIZED,
    )
    .await;
    let ki_lead = app.token("ki_lead").await;
    assert_problem(
        app.post(
            "/api/v1/access-changes/424242/confirm",
            &ki_lead,
            &json!({}),
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        app.get("/api/v1/access-changes/424242", &ki_lead).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let problem = assert_problem(
        app.post(&reject, &ki_lead, &json!({"reason": "  "})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["reason"]);
    assert_problem(
        app.post(&reject, &ki_lead, &json!({"reason": "x", "extra": 1}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_problem(
        app.get("/api/v1/access-changes?status=maybe", &ki_lead)
            .await,
        StatusCode::BAD_REQUEST,
    )
    .await;

    // None of the refusals changed anything: still pending, the password unchanged.
    let still = json_of(
        app.get(&format!("/api/v1/access-changes/{}", change["id"]), &admin)
            .await,
    )
    .await;
    assert_eq!(still["status"], "pending");
    assert_eq!(user(&app, &admin, dpo_id).await, dpo_account);
    assert_eq!(
        app.login("data_protection_officer", PASSWORD)
            .await
            .status(),
        StatusCode::OK
    );
    let change_id = change["id"].as_i64().expect("id");
    assert_eq!(
        audit_actions(&app, "access_change", change_id),
        vec!["access_change.create"]
    );

    // The KI lead decides; a second decision is refused.
    assert_eq!(
        app.post(&confirm, &ki_lead, &json!({})).await.status(),
        StatusCode::OK
    );
    let problem = assert_problem(
        app.post(&reject, &ki_lead, &json!({"reason": "too late"}))
            .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(problem_type(&problem), "already-decided");
    assert_eq!(
        app.login("data_protection_officer", PASSWORD)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
}

async fn an_administrator_cannot_create_a_confirmer_alone(app: TestApp) {
    let admin = app.token("admin").await;
    // Else an administrator could create a KI lead and confirm their own requests with it.
    for (username, role) in [
        ("kilead.zwei", "ki_lead"),
        ("dsb.zwei", "data_protection_officer"),
    ] {
        let body = json!({"username": username, "display_name": "Zweite Person", "role": role, "password": INITIAL});
        let response = app.post("/api/v1/users", &admin, &body).await;
        assert_eq!(response.status(), StatusCode::ACCEPTED, "{role}");
        assert_eq!(
            app.login(username, INITIAL).await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    // A disabled account with a case role needs nothing now; activating it later waits.
    let body = json!({"username": "later", "display_name": "Later", "role": "case_manager", "password": INITIAL, "active": false});
    let response = app.post("/api/v1/users", &admin, &body).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let created = json_of(response).await;
    let activate = json!({"display_name": "Later", "role": "case_manager", "organisation_id": null, "active": true});
    let response = app
        .put(
            &format!("/api/v1/users/{}", created["id"]),
            &admin,
            Some(1),
            &activate,
        )
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    assert_eq!(
        json_of(response).await["summary"],
        "activates an account with role case_manager"
    );
}
