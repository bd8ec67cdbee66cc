//! Needs survey (Bedarfsabfrage): questionnaires and their frozen versions, campaigns with
//! respondents, the response lifecycle, who may see and answer which response.

use chrono::{Duration, Utc};
use kim_tests::{assert_problem, backend_tests, error_fields, Method, StatusCode, TestApp};
use serde_json::{json, Value};

use crate::referrals::partner;

backend_tests!(
    questionnaires_are_validated_per_question_kind,
    frozen_versions_refuse_edits_and_new_versions_copy_the_last,
    questionnaire_readers_writers_and_if_match,
    campaigns_validate_their_respondents_and_lifecycle,
    answers_are_validated_per_question_kind,
    a_response_goes_from_draft_to_submitted_to_reopened_to_submitted,
    respondents_see_and_edit_only_their_own_response,
    partner_tokens_answer_only_for_their_organisation,
    answering_outside_the_campaign_period_is_409,
    respondents_are_added_and_removed_only_before_they_start,
);

pub(crate) fn questionnaire(title: &str) -> Value {
    json!({
        "title": title,
        "description": "Test questionnaire",
        "sections": [
            {"title": "Angebote und Bedarfe", "questions": [
                {"key": "topic", "text": "Wichtigstes Thema?", "kind": "single_choice", "required": true,
                 "options": [{"value": "work", "label": "Arbeit"}, {"value": "language", "label": "Sprache"}]},
                {"key": "groups", "text": "Unterversorgte Zielgruppen?", "kind": "multiple_choice",
                 "options": [{"value": "youth", "label": "Jugend"}, {"value": "women", "label": "Frauen"},
                             {"value": "elderly", "label": "Ältere"}]},
                {"key": "need", "text": "Bedarf?", "kind": "scale", "required": true,
                 "help_text": "1 = gering, 5 = hoch"},
                {"key": "housing", "text": "Bedarf Wohnen?", "kind": "scale"}
            ]},
            {"title": "Kapazität und Kooperation", "questions": [
                {"key": "staff", "text": "Stellen?", "kind": "number", "required": true, "min": 0, "max": 10},
                {"key": "note", "text": "Anmerkungen", "kind": "free_text"},
                {"key": "coop", "text": "Kooperation gewünscht?", "kind": "yes_no", "required": true}
            ]}
        ]
    })
}

/// Complete answers.
pub(crate) fn complete() -> Value {
    json!({"topic": "work", "groups": ["youth"], "need": 3, "staff": 1.5, "coop": true})
}

pub(crate) async fn json_of(response: reqwest::Response, status: StatusCode) -> Value {
    assert_eq!(response.status(), status, "{}", response.url());
    response.json().await.expect("json")
}

/// Creates the test questionnaire; returns (questionnaire id, version-1 id).
pub(crate) async fn create_questionnaire(app: &TestApp, token: &str, title: &str) -> (i64, i64) {
    let created = json_of(
        app.post("/api/v1/questionnaires", token, &questionnaire(title))
            .await,
        StatusCode::CREATED,
    )
    .await;
    (
        created["id"].as_i64().expect("id"),
        created["versions"][0]["id"].as_i64().expect("version id"),
    )
}

pub(crate) fn day(offset: i64) -> String {
    (Utc::now().date_naive() + Duration::days(offset)).to_string()
}

/// The respondents of the test campaign, in this order.
pub(crate) struct Respondents {
    pub siegburg: i64,
    pub bornheim: i64,
    pub alfter: i64,
    pub caritas: i64,
    pub jobcenter: i64,
}

/// An open campaign running from ten days ago to ten days ahead: Siegburg (answered by the
/// case manager), Bornheim (project group member), Alfter (nobody named), Caritas and the
/// Jobcenter (their partner tokens).
pub(crate) async fn open_campaign(app: &TestApp) -> (i64, Respondents) {
    let token = app.token("coordinator").await;
    let admin = app.token("admin").await;
    let (_, version_id) = create_questionnaire(app, &token, "Testfragebogen").await;
    let place = |name: &'static str| app.id_of("municipalities", name, &token);
    let (siegburg, bornheim, alfter) = (
        place("Siegburg").await,
        place("Bornheim").await,
        place("Alfter").await,
    );
    let caritas = app
        .id_of("organisations", "Caritasverband Rhein-Sieg", &token)
        .await;
    let jobcenter = app
        .id_of("organisations", "Jobcenter Rhein-Sieg", &token)
        .await;
    let case_manager = app.id_of("users", "case_manager", &admin).await;
    let group_member = app.id_of("users", "project_group_member", &admin).await;
    let campaign = json_of(
        app.post(
            "/api/v1/campaigns",
            &token,
            &json!({
                "questionnaire_version_id": version_id, "title": "Testbefragung",
                "opens_on": day(-10), "closes_on": day(10), "status": "open",
                "respondents": [
                    {"kind": "municipality", "municipality_id": siegburg, "respondent_user_id": case_manager},
                    {"kind": "municipality", "municipality_id": bornheim, "respondent_user_id": group_member},
                    {"kind": "municipality", "municipality_id": alfter},
                    {"kind": "organisation", "organisation_id": caritas},
                    {"kind": "organisation", "organisation_id": jobcenter}
                ]
            }),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let id = campaign["id"].as_i64().expect("id");
    assert_eq!(campaign["progress"]["not_started"], 5);
    let status = json_of(
        app.get(&format!("/api/v1/campaigns/{id}/status"), &token)
            .await,
        StatusCode::OK,
    )
    .await;
    let slot = |name: &str| {
        status["respondents"]
            .as_array()
            .expect("respondents")
            .iter()
            .find(|r| r["name"] == name)
            .and_then(|r| r["id"].as_i64())
            .unwrap_or_else(|| panic!("no respondent {name}"))
    };
    let respondents = Respondents {
        siegburg: slot("Siegburg"),
        bornheim: slot("Bornheim"),
        alfter: slot("Alfter"),
        caritas: slot("Caritasverband Rhein-Sieg"),
        jobcenter: slot("Jobcenter Rhein-Sieg"),
    };
    (id, respondents)
}

pub(crate) fn response_path(campaign: i64, respondent: i64) -> String {
    format!("/api/v1/campaigns/{campaign}/respondents/{respondent}/response")
}

/// Saves `answers` as `token` at the response's current version; returns the response.
pub(crate) async fn save(
    app: &TestApp,
    token: &str,
    campaign: i64,
    respondent: i64,
    answers: Value,
) -> reqwest::Response {
    let path = response_path(campaign, respondent);
    let current = json_of(app.get(&path, token).await, StatusCode::OK).await;
    app.put(
        &path,
        token,
        current["version"].as_i64(),
        &json!({ "answers": answers }),
    )
    .await
}

pub(crate) async fn submit(
    app: &TestApp,
    token: &str,
    campaign: i64,
    respondent: i64,
) -> reqwest::Response {
    let path = response_path(campaign, respondent);
    let current = json_of(app.get(&path, token).await, StatusCode::OK).await;
    let version = current["version"].as_i64().expect("version");
    app.request(Method::POST, &format!("{path}/submit"), Some(token))
        .header("If-Match", format!("\"{version}\""))
        .send()
        .await
        .expect("send")
}

/// Saves and submits `answers`.
pub(crate) async fn answer(
    app: &TestApp,
    token: &str,
    campaign: i64,
    respondent: i64,
    answers: Value,
) {
    json_of(
        save(app, token, campaign, respondent, answers).await,
        StatusCode::OK,
    )
    .await;
    let submitted = json_of(
        submit(app, token, campaign, respondent).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(submitted["status"], "submitted");
}

async fn questionnaires_are_validated_per_question_kind(app: TestApp) {
    let token = app.token("coordinator").await;
    let body = json!({
        "title": " ",
        "sections": [
            {"title": "A", "questions": [
                {"key": "one", "text": "Eins?", "kind": "single_choice", "options": [{"value": "a", "label": "A"}]},
                {"key": "one", "text": "Doppelt?", "kind": "yes_no"},
                {"key": "scale", "text": "Skala?", "kind": "scale", "options": [{"value": "a", "label": "A"}, {"value": "b", "label": "B"}]},
                {"key": "count", "text": "Zahl?", "kind": "number", "min": 5, "max": 1},
                {"key": "Bad Key", "text": "", "kind": "free_text", "min": 1},
                {"key": "many", "text": "Mehrere?", "kind": "multiple_choice",
                 "options": [{"value": "x", "label": "X"}, {"value": "x", "label": "Y"}]}
            ]},
            {"title": "Leer", "questions": []}
        ]
    });
    let problem = assert_problem(
        app.post("/api/v1/questionnaires", &token, &body).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(
        error_fields(&problem),
        vec![
            "sections[0].questions[0].options",
            "sections[0].questions[1].key",
            "sections[0].questions[2].options",
            "sections[0].questions[3].max",
            "sections[0].questions[4].key",
            "sections[0].questions[4].min",
            "sections[0].questions[4].text",
            "sections[0].questions[5].options[1].value",
            "sections[1].questions",
            "title",
        ]
    );
    let unknown_kind = json!({"title": "X", "sections": [{"title": "A", "questions": [
        {"key": "a", "text": "A?", "kind": "essay"}]}]});
    assert_problem(
        app.post("/api/v1/questionnaires", &token, &unknown_kind)
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let no_sections = json!({"title": "X", "sections": []});
    let problem = assert_problem(
        app.post("/api/v1/questionnaires", &token, &no_sections)
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["sections"]);
    // A valid one is stored as given, in order.
    let (id, _) = create_questionnaire(&app, &token, "Gültig").await;
    let version = json_of(
        app.get(&format!("/api/v1/questionnaires/{id}/versions/1"), &token)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(version["frozen"], false);
    assert_eq!(
        version["sections"],
        questionnaire("Gültig")["sections"].clone().tap_defaults()
    );
    // The title is unique.
    assert_problem(
        app.post("/api/v1/questionnaires", &token, &questionnaire("Gültig"))
            .await,
        StatusCode::CONFLICT,
    )
    .await;
}

/// The stored form of the test sections: absent optional fields come back as defaults.
trait Defaults {
    fn tap_defaults(self) -> Value;
}

impl Defaults for Value {
    fn tap_defaults(mut self) -> Value {
        for section in self.as_array_mut().expect("sections") {
            section
                .as_object_mut()
                .expect("section")
                .entry("description")
                .or_insert(Value::Null);
            for question in section["questions"].as_array_mut().expect("questions") {
                let q = question.as_object_mut().expect("question");
                q.entry("help_text").or_insert(Value::Null);
                q.entry("required").or_insert(json!(false));
                q.entry("options").or_insert(json!([]));
                for bound in ["min", "max"] {
                    let value = q.get(bound).and_then(Value::as_f64);
                    q.insert(bound.into(), value.map_or(Value::Null, |v| json!(v)));
                }
            }
        }
        self
    }
}

async fn frozen_versions_refuse_edits_and_new_versions_copy_the_last(app: TestApp) {
    let token = app.token("coordinator").await;
    let (id, version_id) = create_questionnaire(&app, &token, "Versioniert").await;
    let path = format!("/api/v1/questionnaires/{id}/versions/1");
    let mut sections = questionnaire("Versioniert")["sections"].clone();
    sections[0]["title"] = json!("Angebote");
    let edited = json_of(
        app.put(&path, &token, Some(1), &json!({ "sections": sections }))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(edited["version"], 2);
    assert_eq!(edited["sections"][0]["title"], "Angebote");
    // A campaign uses version 1: it is frozen.
    let campaign = json!({"questionnaire_version_id": version_id, "title": "Friert ein",
        "opens_on": day(0), "closes_on": day(30)});
    json_of(
        app.post("/api/v1/campaigns", &token, &campaign).await,
        StatusCode::CREATED,
    )
    .await;
    let frozen = json_of(app.get(&path, &token).await, StatusCode::OK).await;
    assert_eq!(frozen["frozen"], true);
    let problem = assert_problem(
        app.put(&path, &token, Some(2), &json!({ "sections": sections }))
            .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(problem["detail"]
        .as_str()
        .is_some_and(|d| d.contains("new version")));
    // A new version copies the last one and is a draft.
    let versions = format!("/api/v1/questionnaires/{id}/versions");
    let created = app.post(&versions, &token, &json!({})).await;
    assert_eq!(
        created.headers()["location"],
        format!("/api/v1/questionnaires/{id}/versions/2").as_str()
    );
    let second = json_of(created, StatusCode::CREATED).await;
    assert_eq!(
        (second["number"].as_i64(), second["frozen"].as_bool()),
        (Some(2), Some(false))
    );
    assert_eq!(second["sections"], frozen["sections"]);
    // One draft at a time.
    assert_problem(
        app.post(&versions, &token, &json!({})).await,
        StatusCode::CONFLICT,
    )
    .await;
    sections[1]["questions"][0]["max"] = json!(20);
    let edited = json_of(
        app.put(
            &format!("{versions}/2"),
            &token,
            Some(1),
            &json!({ "sections": sections }),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(edited["sections"][1]["questions"][0]["max"], 20.0);
    // Version 1 is unchanged.
    let first = json_of(app.get(&path, &token).await, StatusCode::OK).await;
    assert_eq!(first["sections"][1]["questions"][0]["max"], 10.0);
    let listed = json_of(
        app.get(&format!("/api/v1/questionnaires/{id}"), &token)
            .await,
        StatusCode::OK,
    )
    .await;
    let flags: Vec<(i64, bool, i64)> = listed["versions"]
        .as_array()
        .expect("versions")
        .iter()
        .map(|v| {
            (
                v["number"].as_i64().expect("number"),
                v["frozen"].as_bool().expect("frozen"),
                v["question_count"].as_i64().expect("count"),
            )
        })
        .collect();
    assert_eq!(flags, vec![(1, true, 7), (2, false, 7)]);
    // Invalid content of a draft version is 422, an unknown version 404.
    let problem = assert_problem(
        app.put(
            &format!("{versions}/2"),
            &token,
            Some(2),
            &json!({"sections": []}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["sections"]);
    assert_problem(
        app.get(&format!("{versions}/9"), &token).await,
        StatusCode::NOT_FOUND,
    )
    .await;
}

async fn questionnaire_readers_writers_and_if_match(app: TestApp) {
    let coordinator = app.token("coordinator").await;
    let (id, _) = create_questionnaire(&app, &coordinator, "Rechte").await;
    let path = format!("/api/v1/questionnaires/{id}");
    let ki_lead = app.token("ki_lead").await;
    let listed = json_of(
        app.get("/api/v1/questionnaires", &ki_lead).await,
        StatusCode::OK,
    )
    .await;
    // The demo questionnaire and this one.
    assert_eq!(listed["total"], 2);
    let got = app.get(&path, &ki_lead).await;
    assert_eq!(got.headers()["etag"], "\"1\"");
    for role in ["ki_lead", "case_manager", "analyst", "admin"] {
        let token = app.token(role).await;
        assert_problem(
            app.post("/api/v1/questionnaires", &token, &questionnaire("X"))
                .await,
            StatusCode::FORBIDDEN,
        )
        .await;
        assert_problem(
            app.put(&path, &token, Some(1), &json!({"title": "Y"}))
                .await,
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    for role in ["case_manager", "analyst", "steering_member"] {
        let token = app.token(role).await;
        assert_problem(app.get(&path, &token).await, StatusCode::FORBIDDEN).await;
    }
    let update = json!({"title": "Rechte 2021", "description": "Neu"});
    assert_problem(
        app.put(&path, &coordinator, None, &update).await,
        StatusCode::PRECONDITION_REQUIRED,
    )
    .await;
    assert_problem(
        app.put(&path, &coordinator, Some(7), &update).await,
        StatusCode::PRECONDITION_FAILED,
    )
    .await;
    let updated = json_of(
        app.put(&path, &coordinator, Some(1), &update).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (updated["title"].as_str(), updated["version"].as_i64()),
        (Some("Rechte 2021"), Some(2))
    );
    let problem = assert_problem(
        app.put(&path, &coordinator, Some(2), &json!({"title": ""}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["title"]);
    assert_problem(
        app.get("/api/v1/questionnaires/999999", &coordinator).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        app.request(Method::GET, &path, None)
            .send()
            .await
            .expect("send"),
        StatusCode::UNAUTHORIZED,
    )
    .await;
}

async fn campaigns_validate_their_respondents_and_lifecycle(app: TestApp) {
    let token = app.token("coordinator").await;
    let (_, version_id) = create_questionnaire(&app, &token, "Kampagnen").await;
    let siegburg = app.id_of("municipalities", "Siegburg", &token).await;
    let caritas = app
        .id_of("organisations", "Caritasverband Rhein-Sieg", &token)
        .await;
    let bad = json!({"questionnaire_version_id": version_id, "title": "", "opens_on": day(5),
        "closes_on": day(1), "status": "closed", "respondents": [
            {"kind": "municipality", "organisation_id": caritas},
            {"kind": "organisation", "municipality_id": siegburg}]});
    let problem = assert_problem(
        app.post("/api/v1/campaigns", &token, &bad).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(
        error_fields(&problem),
        vec![
            "closes_on",
            "respondents[0]",
            "respondents[1]",
            "status",
            "title"
        ]
    );
    let unknown = |field: &str, value: i64| {
        let mut respondent = json!({"kind": "municipality", "municipality_id": siegburg});
        respondent[field] = json!(value);
        json!({"questionnaire_version_id": version_id, "title": "Unbekannt",
            "opens_on": day(0), "closes_on": day(9), "respondents": [respondent]})
    };
    for (field, body) in [
        ("municipality_id", unknown("municipality_id", 999_999)),
        ("respondent_user_id", unknown("respondent_user_id", 999_999)),
    ] {
        let problem = assert_problem(
            app.post("/api/v1/campaigns", &token, &body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(error_fields(&problem), vec![field]);
    }
    let extra = json!({"questionnaire_version_id": version_id, "title": "Extra",
        "opens_on": day(0), "closes_on": day(9), "bogus": 1});
    assert_problem(
        app.post("/api/v1/campaigns", &token, &extra).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let admin = app.token("admin").await;
    let analyst = app.id_of("users", "analyst", &admin).await;
    let problem = assert_problem(
        app.post(
            "/api/v1/campaigns",
            &token,
            &unknown("respondent_user_id", analyst),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["respondent_user_id"]);
    assert!(problem["errors"][0]["message"]
        .as_str()
        .is_some_and(|m| m.contains("may not answer surveys")));
    let no_version = json!({"questionnaire_version_id": 999_999, "title": "Ohne",
        "opens_on": day(0), "closes_on": day(9)});
    let problem = assert_problem(
        app.post("/api/v1/campaigns", &token, &no_version).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["questionnaire_version_id"]);
    let twice = json!({"questionnaire_version_id": version_id, "title": "Doppelt",
        "opens_on": day(0), "closes_on": day(9), "respondents": [
            {"kind": "municipality", "municipality_id": siegburg},
            {"kind": "municipality", "municipality_id": siegburg}]});
    assert_problem(
        app.post("/api/v1/campaigns", &token, &twice).await,
        StatusCode::CONFLICT,
    )
    .await;
    let ki_lead = app.token("ki_lead").await;
    let good = json!({"questionnaire_version_id": version_id, "title": "Entwurf",
        "opens_on": day(0), "closes_on": day(9), "respondents": [
            {"kind": "municipality", "municipality_id": siegburg}]});
    assert_problem(
        app.post("/api/v1/campaigns", &ki_lead, &good).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let created = json_of(
        app.post("/api/v1/campaigns", &token, &good).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(created["status"], "draft");
    assert_eq!(created["questionnaire_version"], 1);
    let path = format!("/api/v1/campaigns/{}", created["id"]);
    let got = app.get(&path, &ki_lead).await;
    assert_eq!(got.headers()["etag"], "\"1\"");
    let mut body = good.clone();
    body.as_object_mut().expect("object").remove("respondents");
    // draft → closed is not a move.
    body["status"] = json!("closed");
    let problem = assert_problem(
        app.put(&path, &token, Some(1), &body).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(problem["detail"]
        .as_str()
        .is_some_and(|d| d.contains("allowed from 'draft': open")));
    body["status"] = json!("open");
    let opened = json_of(app.put(&path, &token, Some(1), &body).await, StatusCode::OK).await;
    assert_eq!(
        (opened["status"].as_str(), opened["version"].as_i64()),
        (Some("open"), Some(2))
    );
    // The version of an opened campaign stays.
    let (other_questionnaire, other_version) = create_questionnaire(&app, &token, "Anderer").await;
    let mut moved = body.clone();
    moved["questionnaire_version_id"] = json!(other_version);
    assert_problem(
        app.put(&path, &token, Some(2), &moved).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_problem(
        app.put(&path, &token, None, &body).await,
        StatusCode::PRECONDITION_REQUIRED,
    )
    .await;
    assert_problem(
        app.put(&path, &token, Some(1), &body).await,
        StatusCode::PRECONDITION_FAILED,
    )
    .await;
    assert_problem(
        app.put(&path, &ki_lead, Some(2), &body).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let open = json_of(
        app.get("/api/v1/campaigns?status=open", &ki_lead).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(open["total"], 1);
    assert_eq!(open["items"][0]["title"], "Entwurf");
    let closed = json_of(
        app.get("/api/v1/campaigns?status=closed", &ki_lead).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(closed["items"][0]["title"], "Bedarfsabfrage Frühjahr 2021");
    let analyst = app.token("analyst").await;
    assert_problem(
        app.get("/api/v1/campaigns", &analyst).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_problem(
        app.get("/api/v1/campaigns/999999", &token).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    // An opened campaign keeps its answers; a draft can be deleted, which unfreezes its version.
    let problem = assert_problem(
        app.delete(&path, &token, Some(2)).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(problem["detail"]
        .as_str()
        .is_some_and(|d| d.contains("only draft campaigns")));
    let draft = json_of(
        app.post(
            "/api/v1/campaigns",
            &token,
            &json!({"questionnaire_version_id": other_version, "title": "Verworfen",
                "opens_on": day(0), "closes_on": day(9)}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let draft_path = format!("/api/v1/campaigns/{}", draft["id"]);
    assert_problem(
        app.delete(&draft_path, &token, None).await,
        StatusCode::PRECONDITION_REQUIRED,
    )
    .await;
    assert_problem(
        app.delete(&draft_path, &ki_lead, Some(1)).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_eq!(
        app.delete(&draft_path, &token, Some(1)).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_problem(app.get(&draft_path, &token).await, StatusCode::NOT_FOUND).await;
    let unused = json_of(
        app.get(
            &format!("/api/v1/questionnaires/{other_questionnaire}/versions/1"),
            &token,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(unused["frozen"], false);
}

async fn answers_are_validated_per_question_kind(app: TestApp) {
    let (campaign, r) = open_campaign(&app).await;
    let token = app.token("case_manager").await;
    let cases = [
        ("topic", json!("housing")),
        ("topic", json!(["work"])),
        ("groups", json!(["youth", "nobody"])),
        ("groups", json!(["youth", "youth"])),
        ("need", json!(0)),
        ("need", json!(6)),
        ("need", json!(2.5)),
        ("need", json!("3")),
        ("staff", json!(-1)),
        ("staff", json!(10.5)),
        ("note", json!("x".repeat(4001))),
        ("coop", json!("ja")),
        ("unknown_question", json!(1)),
    ];
    for (key, value) in cases {
        let problem = assert_problem(
            save(&app, &token, campaign, r.siegburg, json!({ key: value })).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(
            error_fields(&problem),
            vec![format!("answers.{key}")],
            "{key}: {value}"
        );
    }
    // Several wrong answers are listed together.
    let problem = assert_problem(
        save(
            &app,
            &token,
            campaign,
            r.siegburg,
            json!({"need": 9, "coop": 1, "topic": "work"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["answers.coop", "answers.need"]);
    // Bounds are inclusive; texts are trimmed; multiple choice keeps the questionnaire's order.
    let saved = json_of(
        save(
            &app,
            &token,
            campaign,
            r.siegburg,
            json!({"need": 5, "staff": 10, "note": "  Dolmetscher  ", "groups": ["elderly", "youth"], "housing": null}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        saved["answers"],
        json!({"need": 5.0, "staff": 10.0, "note": "Dolmetscher", "groups": ["youth", "elderly"]})
    );
    assert_eq!(saved["status"], "draft");
}

async fn a_response_goes_from_draft_to_submitted_to_reopened_to_submitted(app: TestApp) {
    let (campaign, r) = open_campaign(&app).await;
    let token = app.token("case_manager").await;
    let path = response_path(campaign, r.siegburg);
    let fresh = json_of(app.get(&path, &token).await, StatusCode::OK).await;
    assert_eq!(
        (fresh["status"].as_str(), fresh["version"].as_i64()),
        (Some("not_started"), Some(1))
    );
    assert_eq!(fresh["respondent"]["name"], "Siegburg");
    assert_eq!(fresh["sections"][0]["questions"][0]["key"], "topic");
    // A partial draft.
    let draft = json_of(
        app.put(&path, &token, Some(1), &json!({"answers": {"need": 4}}))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (draft["status"].as_str(), draft["version"].as_i64()),
        (Some("draft"), Some(2))
    );
    assert_problem(
        app.put(&path, &token, None, &json!({"answers": {}})).await,
        StatusCode::PRECONDITION_REQUIRED,
    )
    .await;
    assert_problem(
        app.put(&path, &token, Some(1), &json!({"answers": {}}))
            .await,
        StatusCode::PRECONDITION_FAILED,
    )
    .await;
    // Submitting the incomplete draft lists each missing required answer.
    let problem = assert_problem(
        submit(&app, &token, campaign, r.siegburg).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(
        error_fields(&problem),
        vec!["answers.coop", "answers.staff", "answers.topic"]
    );
    // Saving replaces the answers: the complete set.
    json_of(
        save(&app, &token, campaign, r.siegburg, complete()).await,
        StatusCode::OK,
    )
    .await;
    let submitted = json_of(
        submit(&app, &token, campaign, r.siegburg).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(submitted["status"], "submitted");
    assert!(submitted["submitted_at"].is_string());
    assert_eq!(submitted["history"][0]["action"], "submitted");
    assert_eq!(submitted["history"][0]["actor_kind"], "user");
    let version = submitted["version"].as_i64();
    // A submitted response is not changed, nor submitted twice.
    assert_problem(
        app.put(&path, &token, version, &json!({"answers": complete()}))
            .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_problem(
        submit(&app, &token, campaign, r.siegburg).await,
        StatusCode::CONFLICT,
    )
    .await;
    // Only the coordination reopens, with a reason.
    let reopen = format!("{path}/reopen");
    let reopen_as = |token: String, body: Value, version: Option<i64>| {
        let mut request = app.request(Method::POST, &reopen, Some(&token)).json(&body);
        if let Some(v) = version {
            request = request.header("If-Match", format!("\"{v}\""));
        }
        async move { request.send().await.expect("send") }
    };
    for role in ["case_manager", "ki_lead"] {
        assert_problem(
            reopen_as(app.token(role).await, json!({"reason": "x"}), version).await,
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    let coordinator = app.token("coordinator").await;
    let problem = assert_problem(
        reopen_as(coordinator.clone(), json!({"reason": "  "}), version).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["reason"]);
    assert_problem(
        reopen_as(
            coordinator.clone(),
            json!({"reason": "Zahlen korrigieren"}),
            None,
        )
        .await,
        StatusCode::PRECONDITION_REQUIRED,
    )
    .await;
    let reopened = json_of(
        reopen_as(
            coordinator.clone(),
            json!({"reason": "Zahlen korrigieren"}),
            version,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(reopened["status"], "draft");
    assert!(reopened["submitted_at"].is_null());
    assert_eq!(reopened["answers"]["staff"], 1.5, "answers are kept");
    assert_eq!(reopened["history"][1]["action"], "reopened");
    assert_eq!(reopened["history"][1]["reason"], "Zahlen korrigieren");
    // A draft cannot be reopened.
    assert_problem(
        reopen_as(
            coordinator,
            json!({"reason": "nochmal"}),
            reopened["version"].as_i64(),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
    let mut corrected = complete();
    corrected["staff"] = json!(2);
    json_of(
        save(&app, &token, campaign, r.siegburg, corrected).await,
        StatusCode::OK,
    )
    .await;
    let again = json_of(
        submit(&app, &token, campaign, r.siegburg).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(again["status"], "submitted");
    assert_eq!(again["answers"]["staff"], 2.0);
    let actions: Vec<&str> = again["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert_eq!(actions, vec!["submitted", "reopened", "submitted"]);
}

async fn respondents_see_and_edit_only_their_own_response(app: TestApp) {
    let (campaign, r) = open_campaign(&app).await;
    let case_manager = app.token("case_manager").await;
    let group_member = app.token("project_group_member").await;
    // Each named person reads and answers its own slot only; another's answers 404.
    json_of(
        app.get(&response_path(campaign, r.siegburg), &case_manager)
            .await,
        StatusCode::OK,
    )
    .await;
    for (token, other) in [
        (&case_manager, r.bornheim),
        (&case_manager, r.alfter),
        (&group_member, r.siegburg),
        (&group_member, r.caritas),
    ] {
        assert_problem(
            app.get(&response_path(campaign, other), token).await,
            StatusCode::NOT_FOUND,
        )
        .await;
        assert_problem(
            app.put(
                &response_path(campaign, other),
                token,
                Some(1),
                &json!({"answers": {"need": 1}}),
            )
            .await,
            StatusCode::NOT_FOUND,
        )
        .await;
    }
    json_of(
        save(
            &app,
            &group_member,
            campaign,
            r.bornheim,
            json!({"need": 2}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    // Roles that may not answer surveys: 403 on a change, 404 on a read.
    let analyst = app.token("analyst").await;
    assert_problem(
        app.put(
            &response_path(campaign, r.siegburg),
            &analyst,
            Some(1),
            &json!({"answers": {}}),
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_problem(
        app.get(&response_path(campaign, r.siegburg), &analyst)
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    // The KI lead reads every response but answers none of them.
    let ki_lead = app.token("ki_lead").await;
    let read = json_of(
        app.get(&response_path(campaign, r.bornheim), &ki_lead)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(read["answers"], json!({"need": 2.0}));
    assert_problem(
        app.put(
            &response_path(campaign, r.bornheim),
            &ki_lead,
            Some(2),
            &json!({"answers": {}}),
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    // The coordination answers on behalf of a slot without a named person.
    let coordinator = app.token("coordinator").await;
    answer(&app, &coordinator, campaign, r.alfter, complete()).await;
    // A respondent of another campaign's slot: the slot id under a wrong campaign is 404.
    assert_problem(
        app.get(&response_path(campaign + 1000, r.siegburg), &case_manager)
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        app.request(Method::GET, &response_path(campaign, r.siegburg), None)
            .send()
            .await
            .expect("send"),
        StatusCode::UNAUTHORIZED,
    )
    .await;
    // My surveys: the named person sees its slot in this campaign.
    let mine = json_of(
        app.get("/api/v1/me/surveys", &case_manager).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(mine.as_array().map(Vec::len), Some(1));
    assert_eq!(mine[0]["respondent"]["name"], "Siegburg");
    assert_eq!(
        mine[0]["response_path"],
        response_path(campaign, r.siegburg)
    );
    let theirs = json_of(
        app.get("/api/v1/me/surveys", &group_member).await,
        StatusCode::OK,
    )
    .await;
    let names: Vec<&str> = theirs
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|s| s["respondent"]["name"].as_str())
        .collect();
    // This campaign's Bornheim and, in the demo campaign, Siegburg.
    assert_eq!(names, vec!["Bornheim", "Siegburg"]);
    assert_problem(
        app.get("/api/v1/me/surveys", &analyst).await,
        StatusCode::FORBIDDEN,
    )
    .await;
}

async fn partner_tokens_answer_only_for_their_organisation(app: TestApp) {
    let (campaign, r) = open_campaign(&app).await;
    let caritas = partner(&app, "Caritasverband Rhein-Sieg", json!(["surveys:write"])).await;
    let jobcenter_reader = partner(&app, "Jobcenter Rhein-Sieg", json!(["referrals:read"])).await;
    json_of(
        app.get(&response_path(campaign, r.caritas), &caritas).await,
        StatusCode::OK,
    )
    .await;
    answer(&app, &caritas, campaign, r.caritas, complete()).await;
    let done = json_of(
        app.get(&response_path(campaign, r.caritas), &caritas).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(done["history"][0]["actor_kind"], "partner");
    for other in [r.jobcenter, r.siegburg, r.alfter] {
        assert_problem(
            app.get(&response_path(campaign, other), &caritas).await,
            StatusCode::NOT_FOUND,
        )
        .await;
        assert_problem(
            app.put(
                &response_path(campaign, other),
                &caritas,
                Some(1),
                &json!({"answers": {"need": 1}}),
            )
            .await,
            StatusCode::NOT_FOUND,
        )
        .await;
    }
    // Without the scope surveys:write the Jobcenter's own slot is refused.
    assert_problem(
        app.put(
            &response_path(campaign, r.jobcenter),
            &jobcenter_reader,
            Some(1),
            &json!({"answers": {"need": 1}}),
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let mine = json_of(
        app.get("/api/v1/me/surveys", &caritas).await,
        StatusCode::OK,
    )
    .await;
    let names: Vec<(&str, &str)> = mine
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|s| Some((s["title"].as_str()?, s["respondent"]["status"].as_str()?)))
        .collect();
    assert_eq!(
        names,
        vec![
            ("Testbefragung", "submitted"),
            ("Bedarfsabfrage Frühjahr 2021", "submitted")
        ]
    );
    // Partners never read results or reopen.
    assert_problem(
        app.get(&format!("/api/v1/campaigns/{campaign}/results"), &caritas)
            .await,
        StatusCode::FORBIDDEN,
    )
    .await;
}

async fn answering_outside_the_campaign_period_is_409(app: TestApp) {
    let (campaign, r) = open_campaign(&app).await;
    let coordinator = app.token("coordinator").await;
    let token = app.token("case_manager").await;
    json_of(
        save(&app, &token, campaign, r.siegburg, complete()).await,
        StatusCode::OK,
    )
    .await;
    let path = format!("/api/v1/campaigns/{campaign}");
    let current = json_of(app.get(&path, &coordinator).await, StatusCode::OK).await;
    let mut body = json!({"questionnaire_version_id": current["questionnaire_version_id"],
        "title": "Testbefragung", "opens_on": day(-10), "closes_on": day(-1), "status": "open"});
    json_of(
        app.put(&path, &coordinator, current["version"].as_i64(), &body)
            .await,
        StatusCode::OK,
    )
    .await;
    let problem = assert_problem(
        save(&app, &token, campaign, r.siegburg, complete()).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(problem["detail"]
        .as_str()
        .is_some_and(|d| d.contains("took answers until")));
    assert_problem(
        submit(&app, &token, campaign, r.siegburg).await,
        StatusCode::CONFLICT,
    )
    .await;
    // Not yet open, and closed, are refused too.
    body["opens_on"] = json!(day(1));
    body["closes_on"] = json!(day(5));
    json_of(
        app.put(&path, &coordinator, Some(2), &body).await,
        StatusCode::OK,
    )
    .await;
    assert_problem(
        save(&app, &token, campaign, r.siegburg, complete()).await,
        StatusCode::CONFLICT,
    )
    .await;
    body["opens_on"] = json!(day(-1));
    body["status"] = json!("closed");
    json_of(
        app.put(&path, &coordinator, Some(3), &body).await,
        StatusCode::OK,
    )
    .await;
    let problem = assert_problem(
        save(&app, &token, campaign, r.siegburg, complete()).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(problem["detail"]
        .as_str()
        .is_some_and(|d| d.contains("closed")));
    // Reopening the campaign lets the respondent finish.
    body["status"] = json!("open");
    json_of(
        app.put(&path, &coordinator, Some(4), &body).await,
        StatusCode::OK,
    )
    .await;
    json_of(
        submit(&app, &token, campaign, r.siegburg).await,
        StatusCode::OK,
    )
    .await;
}

async fn respondents_are_added_and_removed_only_before_they_start(app: TestApp) {
    let (campaign, r) = open_campaign(&app).await;
    let coordinator = app.token("coordinator").await;
    let diakonie = app
        .id_of(
            "organisations",
            "Diakonisches Werk an Sieg und Rhein",
            &coordinator,
        )
        .await;
    let respondents = format!("/api/v1/campaigns/{campaign}/respondents");
    let added = json_of(
        app.post(
            &respondents,
            &coordinator,
            &json!({"kind": "organisation", "organisation_id": diakonie}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(
        (added["status"].as_str(), added["rhine_side"].is_null()),
        (Some("not_started"), true)
    );
    assert_problem(
        app.post(
            &respondents,
            &coordinator,
            &json!({"kind": "organisation", "organisation_id": diakonie}),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
    let problem = assert_problem(
        app.post(
            &respondents,
            &coordinator,
            &json!({"kind": "organisation", "municipality_id": 1}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["body"]);
    let ki_lead = app.token("ki_lead").await;
    assert_problem(
        app.post(
            &respondents,
            &ki_lead,
            &json!({"kind": "organisation", "organisation_id": diakonie}),
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    // A started response is not thrown away.
    let token = app.token("case_manager").await;
    json_of(
        save(&app, &token, campaign, r.siegburg, json!({"need": 1})).await,
        StatusCode::OK,
    )
    .await;
    assert_problem(
        app.delete(&format!("{respondents}/{}", r.siegburg), &coordinator, None)
            .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_problem(
        app.delete(&format!("{respondents}/{}", added["id"]), &ki_lead, None)
            .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_eq!(
        app.delete(
            &format!("{respondents}/{}", added["id"]),
            &coordinator,
            None
        )
        .await
        .status(),
        StatusCode::NO_CONTENT
    );
    assert_problem(
        app.get(
            &response_path(campaign, added["id"].as_i64().expect("id")),
            &coordinator,
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let campaign_now = json_of(
        app.get(&format!("/api/v1/campaigns/{campaign}"), &coordinator)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        campaign_now["progress"],
        json!({"respondents": 5, "not_started": 4, "draft": 1, "submitted": 0})
    );
}
