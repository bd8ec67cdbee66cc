//! External contributors: partner systems of organisations that are members of a project group
//! (scope `gaps:contribute`) read the gaps their group is mandated with — without reports — and
//! send proposed solutions and feedback. The demo data mandate the Kita project group (members:
//! the demo project-group member, the Jugendamt, the Caritas and the Kurdische Gemeinschaft)
//! with the gap "Keine Kita-Plätze für Kinder mit Duldung"; the Diakonie is a member of the
//! left-of-the-Rhine group only, which no mandate names.

use kim_tests::{assert_problem, backend_tests, error_fields, Method, StatusCode, TestApp};
use serde_json::{json, Value};

backend_tests!(
    a_member_organisation_reads_its_mandated_gap_without_reports,
    a_member_organisation_proposes_a_solution_without_moving_the_gap,
    contribution_input_is_checked_and_a_refusal_records_nothing,
    contributing_needs_a_token_with_the_scope,
    an_organisation_whose_group_is_not_mandated_sees_nothing,
    feedback_follows_the_groups_solutions,
    a_retried_contribution_is_recorded_once,
);

const KITA_GAP: &str = "Keine Kita-Plätze für Kinder mit Duldung";
const CARITAS: &str = "Caritasverband Rhein-Sieg";
const DIAKONIE: &str = "Diakonisches Werk an Sieg und Rhein";

async fn gap_id(app: &TestApp, title: &str) -> i64 {
    let token = app.token("ki_lead").await;
    let list: Value = app
        .get("/api/v1/gaps?limit=200", &token)
        .await
        .json()
        .await
        .expect("json");
    list["items"]
        .as_array()
        .and_then(|items| items.iter().find(|g| g["title"] == title))
        .and_then(|g| g["id"].as_i64())
        .unwrap_or_else(|| panic!("no gap {title}"))
}

/// A token of `organisation` with `scopes`, issued by the admin; returns the issue answer.
async fn issue(app: &TestApp, organisation: &str, scopes: Value) -> Value {
    let admin = app.token("admin").await;
    let organisation_id = app.id_of("organisations", organisation, &admin).await;
    app.issue_partner_token(
        &json!({"name": "Verbandssoftware", "organisation_id": organisation_id,
        "scopes": scopes, "expires_in_days": 30}),
    )
    .await
}

async fn contributor(app: &TestApp, organisation: &str) -> String {
    issue(app, organisation, json!(["gaps:contribute"])).await["secret"]
        .as_str()
        .expect("secret")
        .to_owned()
}

fn solution() -> Value {
    json!({"kind": "solution", "text": "Kita-Lotsinnen begleiten Familien mit Duldung zur Anmeldung."})
}

async fn contributions(app: &TestApp, gap: i64) -> Value {
    let token = app.token("project_group_member").await;
    let response = app
        .get(&format!("/api/v1/gaps/{gap}/contributions"), &token)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.expect("json")
}

async fn a_member_organisation_reads_its_mandated_gap_without_reports(app: TestApp) {
    let issued = issue(&app, CARITAS, json!(["gaps:contribute"])).await;
    // The scope reaches no case data: the token works at once, no second person confirms it.
    assert_eq!(issued["status"], "active");
    assert_eq!(issued["access_change_id"], Value::Null);
    let token = issued["secret"].as_str().expect("secret");
    let gap = gap_id(&app, KITA_GAP).await;

    let list = app.get("/api/v1/mandated-gaps", token).await;
    assert_eq!(list.status(), StatusCode::OK);
    let list: Value = list.json().await.expect("json");
    assert_eq!(list["total"], 1, "{list}");
    assert_eq!(list["items"][0]["id"], gap);
    assert_eq!(list["items"][0]["stage"], "mandated");

    let one = app
        .get(&format!("/api/v1/mandated-gaps/{gap}"), token)
        .await;
    assert_eq!(one.status(), StatusCode::OK);
    let one: Value = one.json().await.expect("json");
    assert_eq!(one["title"], KITA_GAP);
    assert_eq!(one["mandates"].as_array().map(Vec::len), Some(1));
    assert!(one["mandates"][0]["text"]
        .as_str()
        .is_some_and(|t| t.contains("Jugendamt")));
    for hidden in [
        "reports",
        "history",
        "decisions",
        "report_count",
        "acknowledged_by",
    ] {
        assert!(one.get(hidden).is_none(), "{hidden} shown: {one}");
    }
    // The report's text and its reporter stay with the county.
    let text = one.to_string();
    assert!(
        !text.contains("reported_by") && !text.contains("case_ids"),
        "{text}"
    );
}

async fn a_member_organisation_proposes_a_solution_without_moving_the_gap(app: TestApp) {
    let token = contributor(&app, CARITAS).await;
    let gap = gap_id(&app, KITA_GAP).await;
    let ki_lead = app.token("ki_lead").await;
    let before: Value = app
        .get(&format!("/api/v1/gaps/{gap}"), &ki_lead)
        .await
        .json()
        .await
        .expect("json");

    let response = app
        .post(
            &format!("/api/v1/mandated-gaps/{gap}/contributions"),
            &token,
            &solution(),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let created: Value = response.json().await.expect("json");
    assert_eq!(created["kind"], "solution");
    assert_eq!(created["gap_id"], gap);
    let caritas = app.id_of("organisations", CARITAS, &ki_lead).await;
    assert_eq!(created["organisation_id"], caritas);
    let kita = app
        .id_of("bodies", kim_api::seed::gaps::KITA_GROUP, &ki_lead)
        .await;
    assert_eq!(created["project_group_id"], kita);

    let mine: Value = app
        .get(&format!("/api/v1/mandated-gaps/{gap}"), &token)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(mine["contributions"][0]["id"], created["id"]);

    let listed = contributions(&app, gap).await;
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["items"][0]["text"], solution()["text"]);

    let after: Value = app
        .get(&format!("/api/v1/gaps/{gap}"), &ki_lead)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(after["stage"], "mandated");
    assert_eq!(after["version"], before["version"], "the gap did not move");
}

async fn contribution_input_is_checked_and_a_refusal_records_nothing(app: TestApp) {
    let token = contributor(&app, CARITAS).await;
    let gap = gap_id(&app, KITA_GAP).await;
    let path = format!("/api/v1/mandated-gaps/{gap}/contributions");
    let problem = assert_problem(
        app.post(&path, &token, &json!({"kind": "solution", "text": "  "}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["text"]);
    let problem = assert_problem(
        app.post(
            &path,
            &token,
            &json!({"kind": "solution", "text": "x", "rating": "effective"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["rating"]);
    assert_eq!(problem["errors"][0]["kind"], "rule");
    for body in [
        json!({"kind": "wish", "text": "x"}),
        json!({"kind": "solution", "text": "x".repeat(2001)}),
        json!({"kind": "solution", "text": "x", "colour": "red"}),
        json!({"text": "x"}),
    ] {
        assert_problem(
            app.post(&path, &token, &body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    // Feedback waits for solutions.
    assert_problem(
        app.post(&path, &token, &json!({"kind": "feedback", "text": "Gut"}))
            .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(contributions(&app, gap).await["total"], 0);
}

async fn contributing_needs_a_token_with_the_scope(app: TestApp) {
    let gap = gap_id(&app, KITA_GAP).await;
    let list = "/api/v1/mandated-gaps".to_owned();
    let one = format!("/api/v1/mandated-gaps/{gap}");
    let post = format!("/api/v1/mandated-gaps/{gap}/contributions");
    for (method, path) in [
        (Method::GET, &list),
        (Method::GET, &one),
        (Method::POST, &post),
    ] {
        assert_problem(
            app.send(method, path, None, None, Some(&solution())).await,
            StatusCode::UNAUTHORIZED,
        )
        .await;
    }
    let reports_only = issue(&app, CARITAS, json!(["reports:read"])).await["secret"]
        .as_str()
        .expect("secret")
        .to_owned();
    let ki_lead = app.token("ki_lead").await;
    let member = app.token("project_group_member").await;
    for token in [&reports_only, &ki_lead, &member] {
        assert_problem(app.get(&list, token).await, StatusCode::FORBIDDEN).await;
        assert_problem(app.get(&one, token).await, StatusCode::FORBIDDEN).await;
        assert_problem(
            app.post(&post, token, &solution()).await,
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    // The people's list of contributions is not for partner systems.
    let token = contributor(&app, CARITAS).await;
    assert_problem(
        app.get(&format!("/api/v1/gaps/{gap}/contributions"), &token)
            .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_problem(
        app.get("/api/v1/gaps/999999/contributions", &member).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(contributions(&app, gap).await["total"], 0);
}

async fn an_organisation_whose_group_is_not_mandated_sees_nothing(app: TestApp) {
    let diakonie = contributor(&app, DIAKONIE).await;
    let gap = gap_id(&app, KITA_GAP).await;
    let list: Value = app
        .get("/api/v1/mandated-gaps", &diakonie)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(list["total"], 0);
    assert_eq!(list["items"], json!([]));
    assert_problem(
        app.get(&format!("/api/v1/mandated-gaps/{gap}"), &diakonie)
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        app.post(
            &format!("/api/v1/mandated-gaps/{gap}/contributions"),
            &diakonie,
            &solution(),
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    // A member of the mandated group still sees no other gap, nor one that does not exist.
    let caritas = contributor(&app, CARITAS).await;
    let unmandated = gap_id(
        &app,
        "Lange Wartezeiten auf Integrationskurse im ländlichen Raum",
    )
    .await;
    for id in [unmandated, 999_999] {
        assert_problem(
            app.get(&format!("/api/v1/mandated-gaps/{id}"), &caritas)
                .await,
            StatusCode::NOT_FOUND,
        )
        .await;
        assert_problem(
            app.post(
                &format!("/api/v1/mandated-gaps/{id}/contributions"),
                &caritas,
                &solution(),
            )
            .await,
            StatusCode::NOT_FOUND,
        )
        .await;
    }
    assert_eq!(contributions(&app, gap).await["total"], 0);
    assert_eq!(contributions(&app, unmandated).await["total"], 0);
}

async fn feedback_follows_the_groups_solutions(app: TestApp) {
    let token = contributor(&app, CARITAS).await;
    let gap = gap_id(&app, KITA_GAP).await;
    let path = format!("/api/v1/mandated-gaps/{gap}/contributions");
    let member = app.token("project_group_member").await;
    let ki_lead = app.token("ki_lead").await;
    let version = app
        .get(&format!("/api/v1/gaps/{gap}"), &ki_lead)
        .await
        .json::<Value>()
        .await
        .expect("json")["version"]
        .as_i64()
        .expect("version");
    let proposed = app.send(Method::POST, &format!("/api/v1/gaps/{gap}/solutions"), Some(&member), Some(version), Some(&json!({"solutions": [{"text": "Jugendamt reserviert Plätze", "responsible_actors": "Jugendamt, Kita-Träger", "estimate": "keine Mehrkosten"}]})))
    .await;
    assert_eq!(proposed.status(), StatusCode::OK);
    let shown: Value = app
        .get(&format!("/api/v1/mandated-gaps/{gap}"), &token)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(shown["stage"], "solutions_proposed");
    assert_eq!(shown["solutions"][0]["text"], "Jugendamt reserviert Plätze");
    assert_problem(
        app.post(&path, &token, &solution()).await,
        StatusCode::CONFLICT,
    )
    .await;
    let response = app
        .post(
            &path,
            &token,
            &json!({"kind": "feedback", "text": "Trägt; Plätze in Troisdorf knapp.", "rating": "partly_effective"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let listed = contributions(&app, gap).await;
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["items"][0]["rating"], "partly_effective");
}

async fn a_retried_contribution_is_recorded_once(app: TestApp) {
    let token = contributor(&app, CARITAS).await;
    let gap = gap_id(&app, KITA_GAP).await;
    let path = format!("/api/v1/mandated-gaps/{gap}/contributions");
    let mut ids = Vec::new();
    for _ in 0..2 {
        let response = app
            .request(Method::POST, &path, Some(&token))
            .header("Idempotency-Key", "caritas-2026-11-30-1")
            .json(&solution())
            .send()
            .await
            .expect("send");
        assert_eq!(response.status(), StatusCode::CREATED);
        let replayed = response.headers().contains_key("idempotent-replayed");
        let body: Value = response.json().await.expect("json");
        ids.push((body["id"].clone(), replayed));
    }
    assert_eq!(ids[0].0, ids[1].0);
    assert_eq!((ids[0].1, ids[1].1), (false, true));
    assert_eq!(contributions(&app, gap).await["total"], 1);
}
