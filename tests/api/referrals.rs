//! Referrals (Verweisberatung): drafts, sending against consent, the partner's view limited to
//! consented categories, the lifecycle by side, idempotent retries, and who sees nothing.

use chrono::{Duration, Utc};
use kim_domain::case::{IntakeChannel, TargetGroup, Topic};
use kim_domain::client::ResidenceStatus;
use kim_domain::reference::LegalDomain;
use kim_domain::Role;
use kim_store::audit::{Actor, AuditFilter};
use kim_store::cases::{CaseData, Intake};
use kim_store::clients::ClientData;
use kim_store::StoreError;
use kim_tests::builders::{days_ago, move_to};
use kim_tests::{
    assert_problem, backend_tests, error_fields, Method, ReferralBuilder, StatusCode, TestApp,
};
use serde_json::{json, Value};

backend_tests!(
    sending_needs_consent_and_the_partner_sees_only_consented_data,
    a_partner_of_another_organisation_sees_nothing,
    each_side_takes_only_its_moves,
    an_idempotent_retry_changes_nothing_twice,
    other_case_managers_and_roles_without_case_access_see_nothing,
    draft_input_is_validated,
    a_draft_is_changed_until_it_is_sent,
    who_may_change_a_draft,
    an_expired_idempotency_key_runs_afresh,
    a_replay_keeps_no_personal_data_and_honours_a_revocation,
    a_partners_list_counts_and_pages_only_what_consent_still_covers,
);

/// A client with a case assigned to `username`, made through the store.
pub(crate) struct Fixture {
    pub client_id: i64,
    pub reference: String,
    pub case_id: i64,
}

pub(crate) fn open_case(app: &TestApp, username: &str) -> Fixture {
    let mut conn = app.pool.get().expect("connection");
    kim_store::connection::transaction(&mut conn, |conn| {
        let user = kim_store::users::find_by_username(conn, username)?.expect("user");
        let municipality = kim_store::municipalities::find_by_name(conn, "Troisdorf")?
            .expect("Troisdorf")
            .id;
        let client = kim_store::clients::insert(
            conn,
            &ClientData {
                given_name: Some("Amina".into()),
                family_name: Some("Khalil".into()),
                birth_year: Some(1990),
                gender: None,
                languages: vec!["Arabisch".into(), "Deutsch".into()],
                country_of_origin: Some("Syrien".into()),
                residence_status: Some(ResidenceStatus::RecognisedRefugee),
                municipality_id: municipality,
            },
            None,
            Some(user.id),
            2026,
        )?;
        let case = kim_store::cases::insert(
            conn,
            &Actor::system(),
            &CaseData {
                client_ids: vec![client.id],
                lead_client_id: client.id,
                municipality_id: municipality,
                target_group: TargetGroup::NewArrivals,
                legal_domains: vec![LegalDomain::SgbII],
                topics: vec![Topic::Work],
                intake_channel: IntakeChannel::SelfReferral,
                referred_by_organisation_id: None,
                arrived_on: None,
                other_case_management: vec![],
            },
            user.id,
            None,
            &Intake {
                eligible: true,
                justification: None,
            },
            Utc::now().date_naive(),
        )?;
        Ok::<_, StoreError>(Fixture {
            client_id: client.id,
            reference: client.reference,
            case_id: case.id,
        })
    })
    .expect("fixture")
}

/// A second case manager, `case_manager_2`, with the demo password.
pub(crate) async fn second_case_manager(app: &TestApp) -> String {
    app.add_user("case_manager_2", Role::CaseManager);
    app.token_of("case_manager_2").await
}

/// A partner token of `organisation` with `scopes`, issued by the admin.
pub(crate) async fn partner(app: &TestApp, organisation: &str, scopes: Value) -> String {
    let admin = app.token("admin").await;
    let organisation_id = app.id_of("organisations", organisation, &admin).await;
    let body = app
        .issue_partner_token(
            &json!({"name": "Fachverfahren", "organisation_id": organisation_id, "scopes": scopes, "expires_in_days": 30}),
        )
        .await;
    body["secret"].as_str().expect("secret").to_owned()
}

pub(crate) async fn organisation(app: &TestApp, name: &str) -> i64 {
    let admin = app.token("admin").await;
    app.id_of("organisations", name, &admin).await
}

pub(crate) const JOBCENTER: &str = "Jobcenter Rhein-Sieg";
pub(crate) const CARITAS: &str = "Caritasverband Rhein-Sieg";

/// Records a consent for referrals to `recipient` releasing `categories`; returns its id.
pub(crate) async fn consent(
    app: &TestApp,
    token: &str,
    client_id: i64,
    recipient: i64,
    categories: Value,
) -> i64 {
    let response = app
        .post(
            &format!("/api/v1/clients/{client_id}/consents"),
            token,
            &json!({"recipient_organisation_ids": [recipient], "purposes": ["referral"],
                "categories": categories, "given_on": days_ago(10), "document_reference": "Akte 1"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.expect("json");
    body["id"].as_i64().expect("id")
}

async fn revoke(app: &TestApp, token: &str, client_id: i64, consent_id: i64) {
    let response = app
        .post(
            &format!("/api/v1/clients/{client_id}/consents/{consent_id}/revocation"),
            token,
            &json!({}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
}

async fn transition(
    app: &TestApp,
    token: &str,
    id: i64,
    version: Option<i64>,
    body: Value,
    key: Option<&str>,
) -> reqwest::Response {
    let mut builder = app
        .request(
            Method::POST,
            &format!("/api/v1/referrals/{id}/transitions"),
            Some(token),
        )
        .json(&body);
    if let Some(v) = version {
        builder = builder.header("If-Match", format!("\"{v}\""));
    }
    if let Some(k) = key {
        builder = builder.header("Idempotency-Key", k);
    }
    builder.send().await.expect("send")
}

fn ids(page: &Value) -> Vec<i64> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["id"].as_i64())
        .collect()
}

fn audit_actions(app: &TestApp, reference: &str) -> Vec<(String, String)> {
    let mut conn = app.pool.get().expect("connection");
    let listed = kim_store::audit::list(
        &mut conn,
        &AuditFilter {
            client_reference: Some(reference.into()),
            ..AuditFilter::default()
        },
        kim_domain::paging::PageRequest {
            limit: 200,
            offset: 0,
        },
    )
    .expect("audit");
    listed
        .items
        .into_iter()
        .map(|e| (e.actor_kind, e.action))
        .collect()
}

async fn sending_needs_consent_and_the_partner_sees_only_consented_data(app: TestApp) {
    let cm = app.token("case_manager").await;
    let fixture = open_case(&app, "case_manager");
    let jobcenter = organisation(&app, JOBCENTER).await;
    let partner_token = partner(
        &app,
        JOBCENTER,
        json!(["referrals:read", "referrals:write"]),
    )
    .await;

    let identity = consent(&app, &cm, fixture.client_id, jobcenter, json!(["identity"])).await;
    let referral = ReferralBuilder::new(&app, fixture.case_id, &cm)
        .to(jobcenter)
        .sharing(json!(["residence_status"]))
        .create()
        .await;
    assert_eq!(referral["status"], "draft");
    assert_eq!(
        referral["shared_categories"],
        json!(["identity", "residence_status"])
    );
    assert_eq!(referral["allowed_transitions"], json!(["sent"]));
    let id = referral["id"].as_i64().expect("id");

    // Identity alone is not enough: residence status is shared too.
    let refused = assert_problem(
        transition(&app, &cm, id, Some(1), json!({"to": "sent"}), None).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(refused["type"]
        .as_str()
        .is_some_and(|t| t.ends_with("/consent-missing")));
    assert_eq!(refused["missing_categories"], json!(["residence_status"]));
    // The draft stays a draft and the partner does not see it.
    assert_problem(
        app.get(&format!("/api/v1/referrals/{id}"), &partner_token)
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;

    let residence = consent(
        &app,
        &cm,
        fixture.client_id,
        jobcenter,
        json!(["residence_status"]),
    )
    .await;
    let sent = move_to(&app, &cm, &referral, json!({"to": "sent"})).await;
    assert_eq!(sent["status"], "sent");
    assert_eq!(sent["consent_ids"], json!([identity, residence]));
    assert!(sent["sent_at"].is_string());

    // The partner lists and reads it, with identity and residence status only.
    let listed = app.get_json("/api/v1/referrals", &partner_token).await;
    assert_eq!(ids(&listed), vec![id]);
    let seen = app
        .get_json(&format!("/api/v1/referrals/{id}"), &partner_token)
        .await;
    assert_eq!(
        seen["visible_categories"],
        json!(["identity", "residence_status"])
    );
    assert_eq!(seen["client"]["given_name"], "Amina");
    assert_eq!(seen["client"]["birth_year"], 1990);
    assert_eq!(seen["client"]["reference"], fixture.reference.as_str());
    assert_eq!(seen["client"]["residence_status"], "recognised_refugee");
    assert!(seen["client"].get("languages").is_none(), "{seen}");
    assert!(seen.get("case_content").is_none(), "{seen}");
    assert!(seen.get("case_id").is_none() && seen.get("consent_ids").is_none());
    assert_eq!(seen["allowed_transitions"], json!(["accepted", "declined"]));
    // The case side sees everything.
    let own = app.get_json(&format!("/api/v1/referrals/{id}"), &cm).await;
    assert_eq!(own["client"]["languages"], json!(["Arabisch", "Deutsch"]));
    assert_eq!(own["case_content"]["topics"], json!(["work"]));
    assert_eq!(own["allowed_transitions"], json!(["withdrawn"]));

    // Revoking the residence-status consent hides that category at once.
    revoke(&app, &cm, fixture.client_id, residence).await;
    let seen = app
        .get_json(&format!("/api/v1/referrals/{id}"), &partner_token)
        .await;
    assert_eq!(seen["visible_categories"], json!(["identity"]));
    assert!(seen["client"].get("residence_status").is_none(), "{seen}");

    // Revoking the last consent cuts the partner off: read, list and moves are refused.
    revoke(&app, &cm, fixture.client_id, identity).await;
    assert_problem(
        app.get(&format!("/api/v1/referrals/{id}"), &partner_token)
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let listed = app.get_json("/api/v1/referrals", &partner_token).await;
    assert_eq!(listed["total"], 0);
    assert_problem(
        transition(
            &app,
            &partner_token,
            id,
            Some(2),
            json!({"to": "accepted"}),
            None,
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    // The case side still sees it.
    app.get_json(&format!("/api/v1/referrals/{id}"), &cm).await;

    // Every access is in the audit trail under the client's reference.
    let actions = audit_actions(&app, &fixture.reference);
    for expected in [
        ("user", "consent.create"),
        ("user", "consent.revoke"),
        ("user", "referral.create"),
        ("user", "referral.transition"),
        ("user", "referral.transfer"),
        ("user", "referral.read"),
        ("partner", "referral.read"),
        ("partner", "referral.list"),
    ] {
        assert!(
            actions
                .iter()
                .any(|(kind, action)| kind == expected.0 && action == expected.1),
            "{expected:?} missing in {actions:?}"
        );
    }
}

async fn a_partner_of_another_organisation_sees_nothing(app: TestApp) {
    let cm = app.token("case_manager").await;
    let fixture = open_case(&app, "case_manager");
    let jobcenter = organisation(&app, JOBCENTER).await;
    consent(&app, &cm, fixture.client_id, jobcenter, json!(["identity"])).await;
    let referral = ReferralBuilder::new(&app, fixture.case_id, &cm)
        .to(jobcenter)
        .create()
        .await;
    let sent = move_to(&app, &cm, &referral, json!({"to": "sent"})).await;
    let id = sent["id"].as_i64().expect("id");

    let caritas = partner(&app, CARITAS, json!(["referrals:read", "referrals:write"])).await;
    let listed = app.get_json("/api/v1/referrals", &caritas).await;
    assert_eq!(listed["total"], 0);
    assert!(ids(&listed).is_empty());
    assert_problem(
        app.get(&format!("/api/v1/referrals/{id}"), &caritas).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        transition(&app, &caritas, id, Some(2), json!({"to": "accepted"}), None).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    // Partners never see cases or consents.
    assert_problem(
        app.get(
            &format!("/api/v1/cases/{}/referrals", fixture.case_id),
            &caritas,
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    // A token without referral scopes may not list at all.
    let reports = partner(&app, JOBCENTER, json!(["reports:read"])).await;
    assert_problem(
        app.get("/api/v1/referrals", &reports).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_problem(
        app.get(&format!("/api/v1/referrals/{id}"), &reports).await,
        StatusCode::NOT_FOUND,
    )
    .await;
}

async fn each_side_takes_only_its_moves(app: TestApp) {
    let cm = app.token("case_manager").await;
    let fixture = open_case(&app, "case_manager");
    let jobcenter = organisation(&app, JOBCENTER).await;
    let partner_token = partner(&app, JOBCENTER, json!(["referrals:write"])).await;
    let reader = partner(&app, JOBCENTER, json!(["referrals:read"])).await;
    consent(
        &app,
        &cm,
        fixture.client_id,
        jobcenter,
        json!(["identity", "case_content"]),
    )
    .await;

    // Accept and complete.
    let referral = ReferralBuilder::new(&app, fixture.case_id, &cm)
        .to(jobcenter)
        .sharing(json!(["case_content"]))
        .create()
        .await;
    let id = referral["id"].as_i64().expect("id");
    // The draft is invisible to the partner; the partner cannot send it.
    assert_problem(
        transition(
            &app,
            &partner_token,
            id,
            Some(1),
            json!({"to": "sent"}),
            None,
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    // Without If-Match: 428; with a stale one: 412.
    assert_problem(
        transition(&app, &cm, id, None, json!({"to": "sent"}), None).await,
        StatusCode::PRECONDITION_REQUIRED,
    )
    .await;
    assert_problem(
        transition(&app, &cm, id, Some(7), json!({"to": "sent"}), None).await,
        StatusCode::PRECONDITION_FAILED,
    )
    .await;
    // Accepting a draft is the partner's move: 403 for the case side.
    assert_problem(
        transition(&app, &cm, id, Some(1), json!({"to": "accepted"}), None).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let sent = move_to(&app, &cm, &referral, json!({"to": "sent"})).await;
    let problem = assert_problem(
        transition(&app, &cm, id, Some(2), json!({"to": "sent"}), None).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(problem["type"]
        .as_str()
        .is_some_and(|t| t.ends_with("/conflict")));
    // The partner sees case content (consented and shared).
    let seen = app
        .get_json(&format!("/api/v1/referrals/{id}"), &partner_token)
        .await;
    assert_eq!(seen["case_content"]["legal_domains"], json!(["sgb_ii"]));
    // Wrong side: the partner may not withdraw, the case side may not accept.
    assert_problem(
        transition(
            &app,
            &partner_token,
            id,
            Some(2),
            json!({"to": "withdrawn"}),
            None,
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_problem(
        transition(&app, &cm, id, Some(2), json!({"to": "accepted"}), None).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    // A read-only token may not answer.
    assert_problem(
        transition(&app, &reader, id, Some(2), json!({"to": "accepted"}), None).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    // Declining needs a reason.
    let invalid = assert_problem(
        transition(
            &app,
            &partner_token,
            id,
            Some(2),
            json!({"to": "declined"}),
            None,
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&invalid), vec!["reason"]);
    let accepted = move_to(
        &app,
        &partner_token,
        &sent,
        json!({"to": "accepted", "reason": "Termin am Montag"}),
    )
    .await;
    assert_eq!(accepted["status"], "accepted");
    assert_eq!(accepted["allowed_transitions"], json!(["completed"]));
    assert_problem(
        transition(&app, &cm, id, Some(3), json!({"to": "withdrawn"}), None).await,
        StatusCode::CONFLICT,
    )
    .await;
    let completed = move_to(&app, &partner_token, &accepted, json!({"to": "completed"})).await;
    assert_eq!(completed["status"], "completed");
    assert_eq!(completed["allowed_transitions"], json!([]));
    assert_problem(
        transition(
            &app,
            &partner_token,
            id,
            Some(4),
            json!({"to": "completed"}),
            None,
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;

    // Decline with a reason.
    let second = ReferralBuilder::new(&app, fixture.case_id, &cm)
        .to(jobcenter)
        .create()
        .await;
    let second = move_to(&app, &cm, &second, json!({"to": "sent"})).await;
    let declined = move_to(
        &app,
        &partner_token,
        &second,
        json!({"to": "declined", "reason": "Keine freien Plätze"}),
    )
    .await;
    assert_eq!(declined["status"], "declined");
    assert_eq!(declined["status_reason"], "Keine freien Plätze");
    assert_problem(
        transition(
            &app,
            &partner_token,
            declined["id"].as_i64().expect("id"),
            Some(3),
            json!({"to": "accepted"}),
            None,
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;

    // Withdraw by the case side; the partner still sees it was withdrawn but cannot accept.
    let third = ReferralBuilder::new(&app, fixture.case_id, &cm)
        .to(jobcenter)
        .create()
        .await;
    let third = move_to(&app, &cm, &third, json!({"to": "sent"})).await;
    let withdrawn = move_to(&app, &cm, &third, json!({"to": "withdrawn"})).await;
    let third_id = withdrawn["id"].as_i64().expect("id");
    let seen = app
        .get_json(&format!("/api/v1/referrals/{third_id}"), &partner_token)
        .await;
    assert_eq!(seen["status"], "withdrawn");
    assert_problem(
        transition(
            &app,
            &partner_token,
            third_id,
            Some(3),
            json!({"to": "accepted"}),
            None,
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;

    // The case's list shows all three (and a fourth draft), newest first.
    let fourth = ReferralBuilder::new(&app, fixture.case_id, &cm)
        .to(jobcenter)
        .create()
        .await;
    let listed = app
        .get_json(&format!("/api/v1/cases/{}/referrals", fixture.case_id), &cm)
        .await;
    assert_eq!(listed["total"], 4);
    assert_eq!(ids(&listed)[0], fourth["id"].as_i64().expect("id"));
    // The partner's list has no draft; the status filter works.
    let partner_list = app.get_json("/api/v1/referrals", &partner_token).await;
    assert_eq!(partner_list["total"], 3);
    let only_declined = app
        .get_json("/api/v1/referrals?status=declined", &partner_token)
        .await;
    assert_eq!(
        ids(&only_declined),
        vec![declined["id"].as_i64().expect("id")]
    );

    // A draft can be deleted (with If-Match); a sent referral cannot.
    let fourth_path = format!("/api/v1/referrals/{}", fourth["id"]);
    assert_problem(
        app.delete(&fourth_path, &cm, None).await,
        StatusCode::PRECONDITION_REQUIRED,
    )
    .await;
    assert_problem(
        app.delete(&fourth_path, &partner_token, Some(1)).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(
        app.delete(&fourth_path, &cm, Some(1)).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_problem(app.get(&fourth_path, &cm).await, StatusCode::NOT_FOUND).await;
    assert_problem(
        app.delete(&format!("/api/v1/referrals/{id}"), &cm, Some(4))
            .await,
        StatusCode::CONFLICT,
    )
    .await;
}

async fn an_idempotent_retry_changes_nothing_twice(app: TestApp) {
    let cm = app.token("case_manager").await;
    let fixture = open_case(&app, "case_manager");
    let jobcenter = organisation(&app, JOBCENTER).await;
    let partner_token = partner(&app, JOBCENTER, json!(["referrals:write"])).await;
    consent(&app, &cm, fixture.client_id, jobcenter, json!(["identity"])).await;

    // Creating twice with one key creates one draft.
    let body = json!({"recipient_organisation_id": jobcenter, "purpose": "Beratung"});
    let mut created = Vec::new();
    for _ in 0..2 {
        let response = app
            .request(
                Method::POST,
                &format!("/api/v1/cases/{}/referrals", fixture.case_id),
                Some(&cm),
            )
            .header("Idempotency-Key", "create-1")
            .json(&body)
            .send()
            .await
            .expect("send");
        assert_eq!(response.status(), StatusCode::CREATED);
        created.push(response.json::<Value>().await.expect("json"));
    }
    assert_eq!(created[0], created[1]);
    let listed = app
        .get_json(&format!("/api/v1/cases/{}/referrals", fixture.case_id), &cm)
        .await;
    assert_eq!(listed["total"], 1);
    let sent = move_to(&app, &cm, &created[0], json!({"to": "sent"})).await;
    let id = sent["id"].as_i64().expect("id");

    // The partner accepts; a retry returns the first answer and moves nothing.
    let first = transition(
        &app,
        &partner_token,
        id,
        Some(2),
        json!({"to": "accepted"}),
        Some("accept-1"),
    )
    .await;
    assert_eq!(first.status(), StatusCode::OK);
    let first: Value = first.json().await.expect("json");
    let retry = transition(
        &app,
        &partner_token,
        id,
        Some(2),
        json!({"to": "accepted"}),
        Some("accept-1"),
    )
    .await;
    assert_eq!(retry.status(), StatusCode::OK);
    assert_eq!(
        retry
            .headers()
            .get("idempotent-replayed")
            .and_then(|v| v.to_str().ok()),
        Some("true")
    );
    assert_eq!(
        retry.headers().get("etag").and_then(|v| v.to_str().ok()),
        Some("\"3\"")
    );
    let retry: Value = retry.json().await.expect("json");
    assert_eq!(retry, first);
    let now = app.get_json(&format!("/api/v1/referrals/{id}"), &cm).await;
    assert_eq!(now["version"], 3);
    let transitions = {
        let mut conn = app.pool.get().expect("connection");
        kim_store::referrals::history(&mut conn, id).expect("history")
    };
    assert_eq!(transitions.len(), 3, "draft, sent, accepted once");
    let history = app
        .get_json(&format!("/api/v1/referrals/{id}/history"), &partner_token)
        .await;
    let statuses: Vec<&str> = history
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["to_status"].as_str())
        .collect();
    assert_eq!(statuses, vec!["draft", "sent", "accepted"]);
    assert_eq!(history[2]["actor_kind"], "partner");
    assert!(history[2].get("actor_id").is_none(), "{history}");
    let own_history = app
        .get_json(&format!("/api/v1/referrals/{id}/history"), &cm)
        .await;
    assert!(own_history[1]["actor_id"].is_i64(), "{own_history}");

    // The same key for another request is refused.
    let misuse = assert_problem(
        transition(
            &app,
            &partner_token,
            id,
            Some(3),
            json!({"to": "completed"}),
            Some("accept-1"),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&misuse), vec!["Idempotency-Key"]);
    // Without a key, a repeated move is simply illegal.
    assert_problem(
        transition(
            &app,
            &partner_token,
            id,
            Some(3),
            json!({"to": "accepted"}),
            None,
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
}

async fn other_case_managers_and_roles_without_case_access_see_nothing(app: TestApp) {
    let cm = app.token("case_manager").await;
    let fixture = open_case(&app, "case_manager");
    let jobcenter = organisation(&app, JOBCENTER).await;
    let referral = ReferralBuilder::new(&app, fixture.case_id, &cm)
        .to(jobcenter)
        .create()
        .await;
    let id = referral["id"].as_i64().expect("id");
    let case_path = format!("/api/v1/cases/{}/referrals", fixture.case_id);
    let path = format!("/api/v1/referrals/{id}");

    let other = second_case_manager(&app).await;
    let mut roles = vec![
        other.clone(),
        app.token("analyst").await,
        app.token("admin").await,
        app.token("data_protection_officer").await,
    ];
    for token in &roles {
        assert_problem(app.get(&case_path, token).await, StatusCode::NOT_FOUND).await;
        assert_problem(app.get(&path, token).await, StatusCode::NOT_FOUND).await;
        assert_problem(
            transition(&app, token, id, Some(1), json!({"to": "sent"}), None).await,
            StatusCode::NOT_FOUND,
        )
        .await;
        assert_problem(
            app.post(
                &case_path,
                token,
                &json!({"recipient_organisation_id": jobcenter, "purpose": "x"}),
            )
            .await,
            StatusCode::NOT_FOUND,
        )
        .await;
    }
    // The other case manager's list does not have it; roles without case work may not list.
    let listed = app.get_json("/api/v1/referrals", &other).await;
    assert_eq!(listed["total"], 0);
    for token in roles.split_off(1) {
        assert_problem(
            app.get("/api/v1/referrals", &token).await,
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    // The CM coordination reads (supervision) but does not act.
    let coordination = app.token("cm_coordinator").await;
    app.get_json(&path, &coordination).await;
    let listed = app.get_json("/api/v1/referrals", &coordination).await;
    assert_eq!(ids(&listed), vec![id]);
    assert_problem(
        transition(
            &app,
            &coordination,
            id,
            Some(1),
            json!({"to": "sent"}),
            None,
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_problem(
        app.post(
            &case_path,
            &coordination,
            &json!({"recipient_organisation_id": jobcenter, "purpose": "x"}),
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    // The owner's list has it.
    let own = app.get_json("/api/v1/referrals", &cm).await;
    assert_eq!(ids(&own), vec![id]);
}

async fn draft_input_is_validated(app: TestApp) {
    let cm = app.token("case_manager").await;
    let fixture = open_case(&app, "case_manager");
    let other = open_case(&app, "case_manager");
    let jobcenter = organisation(&app, JOBCENTER).await;
    let path = format!("/api/v1/cases/{}/referrals", fixture.case_id);
    let cases = [
        (
            json!({"recipient_organisation_id": jobcenter, "purpose": "  "}),
            "purpose",
        ),
        (
            json!({"recipient_organisation_id": 999_999, "purpose": "Beratung"}),
            "recipient_organisation_id",
        ),
        (
            json!({"recipient_organisation_id": jobcenter, "purpose": "Beratung", "client_id": other.client_id}),
            "client_id",
        ),
        (
            json!({"recipient_organisation_id": jobcenter, "purpose": "Beratung", "message": "x".repeat(4001)}),
            "message",
        ),
    ];
    for (body, field) in cases {
        let problem = assert_problem(
            app.post(&path, &cm, &body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(error_fields(&problem), vec![field], "{body}");
    }
    let unknown = app
        .post(
            &path,
            &cm,
            &json!({"recipient_organisation_id": jobcenter, "purpose": "Beratung", "secret": 1}),
        )
        .await;
    assert!(unknown.status().is_client_error());
    assert_problem(
        app.post(
            "/api/v1/cases/999999/referrals",
            &cm,
            &json!({"recipient_organisation_id": jobcenter, "purpose": "Beratung"}),
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        app.get("/api/v1/referrals/999999", &cm).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let bad_key = app
        .request(Method::POST, &path, Some(&cm))
        .header("Idempotency-Key", "x".repeat(300))
        .json(&json!({"recipient_organisation_id": jobcenter, "purpose": "Beratung"}))
        .send()
        .await
        .expect("send");
    assert_problem(bad_key, StatusCode::UNPROCESSABLE_ENTITY).await;
}

async fn a_draft_is_changed_until_it_is_sent(app: TestApp) {
    let cm = app.token("case_manager").await;
    let fixture = open_case(&app, "case_manager");
    let other = open_case(&app, "case_manager");
    let jobcenter = organisation(&app, JOBCENTER).await;
    let caritas = organisation(&app, CARITAS).await;
    let referral = ReferralBuilder::new(&app, fixture.case_id, &cm)
        .to(jobcenter)
        .create()
        .await;
    let path = format!("/api/v1/referrals/{}", referral["id"]);
    let changed = json!({"recipient_organisation_id": caritas, "purpose": "Migrationsberatung",
        "shared_categories": ["residence_status"], "due_on": days_ago(-21)});

    assert_problem(
        app.put(&path, &cm, None, &changed).await,
        StatusCode::PRECONDITION_REQUIRED,
    )
    .await;
    for (body, field) in [
        (
            json!({"recipient_organisation_id": caritas, "purpose": " "}),
            "purpose",
        ),
        (
            json!({"recipient_organisation_id": 999_999, "purpose": "Beratung"}),
            "recipient_organisation_id",
        ),
        (
            json!({"recipient_organisation_id": caritas, "purpose": "Beratung", "client_id": other.client_id}),
            "client_id",
        ),
    ] {
        let problem = assert_problem(
            app.put(&path, &cm, Some(1), &body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(error_fields(&problem), vec![field], "{body}");
    }
    let response = app.put(&path, &cm, Some(1), &changed).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["etag"], "\"2\"");
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["recipient_organisation_id"], caritas);
    assert_eq!(body["purpose"], "Migrationsberatung");
    assert_eq!(body["message"], Value::Null);
    assert_eq!(body["status"], "draft");
    assert_eq!(app.get_json(&path, &cm).await, body);
    assert_problem(
        app.put(&path, &cm, Some(1), &changed).await,
        StatusCode::PRECONDITION_FAILED,
    )
    .await;

    // Once sent, the referral stays as the recipient received it.
    consent(
        &app,
        &cm,
        fixture.client_id,
        caritas,
        json!(["identity", "residence_status"]),
    )
    .await;
    let sent = move_to(&app, &cm, &body, json!({"to": "sent"})).await;
    let problem = assert_problem(
        app.put(&path, &cm, sent["version"].as_i64(), &changed)
            .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(problem["detail"]
        .as_str()
        .expect("detail")
        .contains("only a draft can be changed"));
    assert!(audit_actions(&app, &fixture.reference)
        .iter()
        .any(|(_, action)| action == "referral.update"));
}

async fn who_may_change_a_draft(app: TestApp) {
    let cm = app.token("case_manager").await;
    let fixture = open_case(&app, "case_manager");
    let jobcenter = organisation(&app, JOBCENTER).await;
    let referral = ReferralBuilder::new(&app, fixture.case_id, &cm)
        .to(jobcenter)
        .create()
        .await;
    let path = format!("/api/v1/referrals/{}", referral["id"]);
    let body = json!({"recipient_organisation_id": jobcenter, "purpose": "Beratung"});
    let response = app
        .request(Method::PUT, &path, None)
        .header("If-Match", "\"1\"")
        .json(&body)
        .send()
        .await
        .expect("send");
    assert_problem(response, StatusCode::UNAUTHORIZED).await;
    let coordination = app.token("cm_coordinator").await;
    assert_problem(
        app.put(&path, &coordination, Some(1), &body).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let partner_token = partner(&app, JOBCENTER, json!(["referrals:write"])).await;
    let mut outsiders = vec![
        second_case_manager(&app).await,
        partner_token,
        app.token("analyst").await,
        app.token("admin").await,
    ];
    outsiders.push(app.token("immigration_officer").await);
    for token in &outsiders {
        assert_problem(
            app.put(&path, token, Some(1), &body).await,
            StatusCode::NOT_FOUND,
        )
        .await;
    }
    assert_problem(
        app.put("/api/v1/referrals/999999", &cm, Some(1), &body)
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(app.get_json(&path, &cm).await["version"], 1);
}

/// POSTs a draft to `case_id` with `key`; returns the response.
async fn post_draft(
    app: &TestApp,
    token: &str,
    case_id: i64,
    key: &str,
    body: &Value,
) -> reqwest::Response {
    app.request(
        Method::POST,
        &format!("/api/v1/cases/{case_id}/referrals"),
        Some(token),
    )
    .header("Idempotency-Key", key)
    .json(body)
    .send()
    .await
    .expect("send")
}

fn replayed(response: &reqwest::Response) -> bool {
    response
        .headers()
        .get("idempotent-replayed")
        .is_some_and(|v| v == "true")
}

/// Makes every stored idempotency key `hours` old.
fn age_keys(app: &TestApp, hours: i64) {
    use diesel::RunQueryDsl;
    let at = (Utc::now() - Duration::hours(hours)).naive_utc();
    let mut conn = app.pool.get().expect("connection");
    diesel::sql_query(format!(
        "UPDATE idempotency_keys SET created_at = '{}'",
        at.format("%Y-%m-%d %H:%M:%S")
    ))
    .execute(&mut *conn)
    .expect("age the keys");
}

/// Issue 10 item 8: a stored first answer is replayed for KIM_IDEMPOTENCY_TTL_HOURS (24 by
/// default) only; an older key runs as a new request (also with another body) and is then
/// replayed afresh.
async fn an_expired_idempotency_key_runs_afresh(app: TestApp) {
    let cm = app.token("case_manager").await;
    let fixture = open_case(&app, "case_manager");
    let jobcenter = organisation(&app, JOBCENTER).await;
    let body = json!({"recipient_organisation_id": jobcenter, "purpose": "Beratung"});
    let first = post_draft(&app, &cm, fixture.case_id, "daily-1", &body).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.expect("json");
    // Within the day: replayed.
    age_keys(&app, 23);
    let retry = post_draft(&app, &cm, fixture.case_id, "daily-1", &body).await;
    assert_eq!(retry.status(), StatusCode::CREATED);
    assert!(replayed(&retry));
    let retry: Value = retry.json().await.expect("json");
    assert_eq!(retry["id"], first["id"]);
    // A day later: a new request, even with the same body.
    age_keys(&app, 25);
    let again = post_draft(&app, &cm, fixture.case_id, "daily-1", &body).await;
    assert_eq!(again.status(), StatusCode::CREATED);
    assert!(!replayed(&again));
    let again: Value = again.json().await.expect("json");
    assert_ne!(again["id"], first["id"]);
    // ... and that one is what the key replays now.
    let retry = post_draft(&app, &cm, fixture.case_id, "daily-1", &body).await;
    assert!(replayed(&retry));
    let retry: Value = retry.json().await.expect("json");
    assert_eq!(retry["id"], again["id"]);
    // An expired key may carry another body; a live one may not.
    age_keys(&app, 25);
    let other = json!({"recipient_organisation_id": jobcenter, "purpose": "Sprachkurs"});
    let fresh = post_draft(&app, &cm, fixture.case_id, "daily-1", &other).await;
    assert_eq!(fresh.status(), StatusCode::CREATED);
    assert!(!replayed(&fresh));
    let misuse = assert_problem(
        post_draft(&app, &cm, fixture.case_id, "daily-1", &body).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&misuse), vec!["Idempotency-Key"]);
    let listed = app
        .get_json(&format!("/api/v1/cases/{}/referrals", fixture.case_id), &cm)
        .await;
    assert_eq!(listed["total"], 3);
    // The key is the caller's own: without a token, 401; another case manager, 404.
    assert_problem(
        app.request(
            Method::POST,
            &format!("/api/v1/cases/{}/referrals", fixture.case_id),
            None,
        )
        .header("Idempotency-Key", "daily-1")
        .json(&body)
        .send()
        .await
        .expect("send"),
        StatusCode::UNAUTHORIZED,
    )
    .await;
    let other_cm = second_case_manager(&app).await;
    assert_problem(
        post_draft(&app, &other_cm, fixture.case_id, "daily-1", &body).await,
        StatusCode::NOT_FOUND,
    )
    .await;
}

/// The columns of `idempotency_keys`, sorted.
fn replay_columns(app: &TestApp) -> Vec<String> {
    use diesel::sql_types::Text;
    use diesel::{QueryableByName, RunQueryDsl};
    #[derive(QueryableByName)]
    struct Column {
        #[diesel(sql_type = Text)]
        name: String,
    }
    let mut conn = app.pool.get().expect("connection");
    let columns: Vec<Column> = match &mut *conn {
        kim_store::DbConn::Sqlite(c) => {
            diesel::sql_query("SELECT name FROM pragma_table_info('idempotency_keys')").load(c)
        }
        kim_store::DbConn::Postgres(c) => diesel::sql_query(
            "SELECT column_name AS name FROM information_schema.columns \
             WHERE table_name = 'idempotency_keys' AND table_schema = current_schema()",
        )
        .load(c),
    }
    .expect("columns");
    let mut names: Vec<String> = columns.into_iter().map(|c| c.name).collect();
    names.sort();
    names
}

/// Every stored replay: fingerprint, status code, resource id.
fn stored_replays(app: &TestApp) -> Vec<(String, i32, i64)> {
    use diesel::sql_types::{BigInt, Integer, Text};
    use diesel::{QueryableByName, RunQueryDsl};
    #[derive(QueryableByName)]
    struct Replay {
        #[diesel(sql_type = Text)]
        fingerprint: String,
        #[diesel(sql_type = Integer)]
        status_code: i32,
        #[diesel(sql_type = BigInt)]
        resource_id: i64,
    }
    let query = "SELECT fingerprint, status_code, resource_id FROM idempotency_keys";
    let mut conn = app.pool.get().expect("connection");
    let rows: Vec<Replay> = match &mut *conn {
        kim_store::DbConn::Sqlite(c) => diesel::sql_query(query).load(c),
        kim_store::DbConn::Postgres(c) => diesel::sql_query(query).load(c),
    }
    .expect("replays");
    rows.into_iter()
        .map(|r| (r.fingerprint, r.status_code, r.resource_id))
        .collect()
}

/// Issue 10 item 8: what is kept for a replay is a hash of the request, the status and the
/// referral's id — no answer with the client's data; a replay reads the referral again, so a
/// partner retrying after the client revoked the consent gets 404 like any other read.
async fn a_replay_keeps_no_personal_data_and_honours_a_revocation(app: TestApp) {
    let cm = app.token("case_manager").await;
    let fixture = open_case(&app, "case_manager");
    let jobcenter = organisation(&app, JOBCENTER).await;
    let partner_token = partner(&app, JOBCENTER, json!(["referrals:write"])).await;
    let consent_id = consent(
        &app,
        &cm,
        fixture.client_id,
        jobcenter,
        json!(["identity", "contact"]),
    )
    .await;
    let drafted = ReferralBuilder::new(&app, fixture.case_id, &cm)
        .to(jobcenter)
        .sharing(json!(["identity", "contact"]))
        .create()
        .await;
    let sent = move_to(&app, &cm, &drafted, json!({"to": "sent"})).await;
    let id = sent["id"].as_i64().expect("id");
    let accept = || {
        transition(
            &app,
            &partner_token,
            id,
            Some(2),
            json!({"to": "accepted"}),
            Some("accept-once"),
        )
    };
    let first = accept().await;
    assert_eq!(first.status(), StatusCode::OK);
    let first: Value = first.json().await.expect("json");
    assert_eq!(first["client"]["given_name"], "Amina");

    // Stored: who, which key, a hash, the status and the referral's id; nothing else.
    assert_eq!(
        replay_columns(&app),
        vec![
            "actor_id",
            "actor_kind",
            "created_at",
            "fingerprint",
            "id",
            "idempotency_key",
            "resource_id",
            "status_code"
        ]
    );
    let stored = stored_replays(&app);
    assert_eq!(stored.len(), 1);
    let (fingerprint, status, resource) = &stored[0];
    assert_eq!((*status, *resource), (200, id));
    assert_eq!(fingerprint.len(), 64, "a SHA-256 in hex");

    // A retry reads the referral again: the same answer while nothing changed ...
    let retry = accept().await;
    assert_eq!(retry.status(), StatusCode::OK);
    assert!(replayed(&retry));
    let retry: Value = retry.json().await.expect("json");
    assert_eq!(retry, first);
    // ... and 404 once the client's consent no longer releases the data.
    revoke(&app, &cm, fixture.client_id, consent_id).await;
    let after = accept().await;
    let text = format!("{:?}", after.headers());
    let problem = assert_problem(after, StatusCode::NOT_FOUND).await;
    assert!(
        !problem.to_string().contains("Amina") && !text.contains("Amina"),
        "{problem}"
    );
    let now = app.get_json(&format!("/api/v1/referrals/{id}"), &cm).await;
    assert_eq!(
        (now["status"].as_str(), now["version"].as_i64()),
        (Some("accepted"), Some(3))
    );
}

mod short_ttl {
    use super::*;
    use kim_tests::backend_tests_with;

    backend_tests_with!(&[("KIM_IDEMPOTENCY_TTL_HOURS", "1")]; the_time_to_live_is_configured);

    /// With `KIM_IDEMPOTENCY_TTL_HOURS=1`, a key two hours old runs afresh.
    async fn the_time_to_live_is_configured(app: TestApp) {
        let cm = app.token("case_manager").await;
        let fixture = open_case(&app, "case_manager");
        let jobcenter = organisation(&app, JOBCENTER).await;
        let body = json!({"recipient_organisation_id": jobcenter, "purpose": "Beratung"});
        let first = post_draft(&app, &cm, fixture.case_id, "hourly-1", &body).await;
        assert_eq!(first.status(), StatusCode::CREATED);
        let retry = post_draft(&app, &cm, fixture.case_id, "hourly-1", &body).await;
        assert!(replayed(&retry));
        age_keys(&app, 2);
        let again = post_draft(&app, &cm, fixture.case_id, "hourly-1", &body).await;
        assert_eq!(again.status(), StatusCode::CREATED);
        assert!(!replayed(&again));
        let listed = app
            .get_json(&format!("/api/v1/cases/{}/referrals", fixture.case_id), &cm)
            .await;
        assert_eq!(listed["total"], 2);
    }
}

/// A partner's list counts only the referrals whose client's consents still release identity
/// to it, and pages over exactly those: `total` is exact, every page but the last is full and
/// `next` points to the following one, whichever referrals around a page lost their consent
/// (revoked, expired). The case side keeps seeing every referral.
async fn a_partners_list_counts_and_pages_only_what_consent_still_covers(app: TestApp) {
    use diesel::RunQueryDsl;
    let cm = app.token("case_manager").await;
    let jobcenter = organisation(&app, JOBCENTER).await;
    let partner_token = partner(&app, JOBCENTER, json!(["referrals:write"])).await;
    // Twelve clients, each with an identity consent and a referral sent to the Jobcenter; the
    // first client has a second referral, client 10 a second consent.
    let mut clients = Vec::new();
    let mut referrals: Vec<(usize, Value)> = Vec::new();
    for n in 0..12 {
        let fixture = open_case(&app, "case_manager");
        let consent_id = consent(
            &app,
            &cm,
            fixture.client_id,
            jobcenter,
            json!(["identity", "contact"]),
        )
        .await;
        if n == 10 {
            consent(&app, &cm, fixture.client_id, jobcenter, json!(["identity"])).await;
        }
        for _ in 0..if n == 0 { 2 } else { 1 } {
            let referral = ReferralBuilder::new(&app, fixture.case_id, &cm)
                .to(jobcenter)
                .sharing(json!(["contact"]))
                .create()
                .await;
            let sent = move_to(&app, &cm, &referral, json!({"to": "sent"})).await;
            referrals.push((n, sent));
        }
        clients.push((fixture, consent_id));
    }
    // The partner accepts the referrals of clients 3 and 4.
    for (n, referral) in referrals.iter_mut() {
        if *n == 3 || *n == 4 {
            *referral = move_to(&app, &partner_token, referral, json!({"to": "accepted"})).await;
        }
    }
    // Consent ends for clients 1, 4, 5 and 10 (revoked) and 7 (expired yesterday); client
    // 10's second consent still covers it.
    for n in [1, 4, 5, 10] {
        let (fixture, consent_id) = &clients[n];
        revoke(&app, &cm, fixture.client_id, *consent_id).await;
    }
    {
        let mut conn = app.pool.get().expect("connection");
        diesel::sql_query(format!(
            "UPDATE consents SET valid_until = '{}' WHERE id = {}",
            days_ago(1),
            clients[7].1
        ))
        .execute(&mut conn)
        .expect("expire the consent");
    }
    let hidden = [1, 4, 5, 7];
    let mut everything: Vec<i64> = referrals
        .iter()
        .map(|(_, r)| r["id"].as_i64().expect("id"))
        .collect();
    everything.sort_unstable_by(|a, b| b.cmp(a));
    let mut expected: Vec<i64> = referrals
        .iter()
        .filter(|(n, _)| !hidden.contains(n))
        .map(|(_, r)| r["id"].as_i64().expect("id"))
        .collect();
    expected.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(expected.len(), 9);

    // Pages of two: exact total, full pages, `next` to the following page, nothing twice.
    let mut paged = Vec::new();
    let mut offset = 0;
    loop {
        let listed = app
            .get_json(
                &format!("/api/v1/referrals?limit=2&offset={offset}"),
                &partner_token,
            )
            .await;
        assert_eq!(listed["total"], 9, "offset {offset}");
        assert_eq!(listed["limit"], 2);
        assert_eq!(listed["offset"], offset);
        let page = ids(&listed);
        assert_eq!(page.len(), 2.min(9 - offset as usize), "offset {offset}");
        paged.extend(page);
        if offset + 2 < 9 {
            assert_eq!(listed["next"], offset + 2, "offset {offset}");
            offset += 2;
        } else {
            assert!(listed["next"].is_null(), "{listed}");
            break;
        }
    }
    assert_eq!(paged, expected);
    // One page with everything, and the status filter on top of consent: the accepted
    // referral of client 4 is hidden, that of client 3 is not.
    let whole = app
        .get_json("/api/v1/referrals?limit=200", &partner_token)
        .await;
    assert_eq!(ids(&whole), expected);
    assert!(whole["next"].is_null());
    let accepted = app
        .get_json("/api/v1/referrals?status=accepted", &partner_token)
        .await;
    assert_eq!(accepted["total"], 1);
    let client_3 = referrals
        .iter()
        .find(|(n, _)| *n == 3)
        .map(|(_, r)| r["id"].as_i64().expect("id"));
    assert_eq!(ids(&accepted), client_3.into_iter().collect::<Vec<_>>());
    let sent = app
        .get_json("/api/v1/referrals?status=sent&limit=5", &partner_token)
        .await;
    assert_eq!(sent["total"], 8);
    assert_eq!(sent["next"], 5);
    assert_eq!(ids(&sent).len(), 5);
    // Past the end: an empty page with the exact total.
    let past = app
        .get_json("/api/v1/referrals?offset=9", &partner_token)
        .await;
    assert_eq!(past["total"], 9);
    assert!(ids(&past).is_empty());

    // The case side sees every referral, whatever the consents say now.
    let own = app.get_json("/api/v1/referrals?limit=200", &cm).await;
    assert_eq!(own["total"], 13);
    assert_eq!(ids(&own), everything);

    // The partner's list reads left a `referral.list` event for every client it showed and
    // none for a client it no longer sees.
    for (n, (fixture, _)) in clients.iter().enumerate() {
        let listed_by_partner = audit_actions(&app, &fixture.reference)
            .iter()
            .any(|(kind, action)| kind == "partner" && action == "referral.list");
        assert_eq!(listed_by_partner, !hidden.contains(&n), "client {n}");
    }
}
