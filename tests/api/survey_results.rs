//! Needs-survey results: aggregates of a hand-made set of responses equal hand-computed figures,
//! with the filters; status and reminders; the need score and its use by the distribution report;
//! the demo survey.

use kim_tests::{assert_problem, backend_tests, error_fields, StatusCode, TestApp};
use serde_json::{json, Value};

use crate::referrals::partner;
use crate::surveys::{answer, json_of, open_campaign, save, Respondents};

backend_tests!(
    results_equal_hand_computed_figures,
    results_filter_by_respondent_kind_and_side_of_the_rhine,
    status_and_reminders_show_who_has_not_submitted,
    need_score_is_the_weighted_mean_and_feeds_the_distribution,
    demo_survey_has_a_closed_campaign_with_most_municipalities_answered,
);

/// Four submitted responses and one draft (which never counts):
///
/// | respondent | topic | groups | need | housing | staff | note | coop |
/// |---|---|---|---|---|---|---|---|
/// | Siegburg (right) | work | youth, women | 4 | 2 | 1.5 | Mehr Kitaplätze | yes |
/// | Bornheim (left) | language | women | 2 | 5 | 0.5 | – | yes |
/// | Alfter (left) | work | – | 5 | – | 3 | Dolmetscher fehlen | no |
/// | Caritas (organisation) | work | elderly | 4 | 4 | 2 | – | yes |
/// | Jobcenter (draft) | – | – | 1 | – | – | – | – |
async fn answered(app: &TestApp) -> (i64, Respondents) {
    let (campaign, r) = open_campaign(app).await;
    let case_manager = app.token("case_manager").await;
    let group_member = app.token("project_group_member").await;
    let coordinator = app.token("coordinator").await;
    let caritas = partner(app, "Caritasverband Rhein-Sieg", json!(["surveys:write"])).await;
    answer(
        app,
        &case_manager,
        campaign,
        r.siegburg,
        json!({"topic": "work", "groups": ["youth", "women"],
        "need": 4, "housing": 2, "staff": 1.5, "note": "Mehr Kitaplätze", "coop": true}),
    )
    .await;
    answer(
        app,
        &group_member,
        campaign,
        r.bornheim,
        json!({"topic": "language", "groups": ["women"],
        "need": 2, "housing": 5, "staff": 0.5, "coop": true}),
    )
    .await;
    answer(
        app,
        &coordinator,
        campaign,
        r.alfter,
        json!({"topic": "work", "need": 5, "staff": 3,
        "note": "Dolmetscher fehlen", "coop": false}),
    )
    .await;
    answer(
        app,
        &caritas,
        campaign,
        r.caritas,
        json!({"topic": "work", "groups": ["elderly"],
        "need": 4, "housing": 4, "staff": 2, "coop": true}),
    )
    .await;
    json_of(
        save(app, &coordinator, campaign, r.jobcenter, json!({"need": 1})).await,
        StatusCode::OK,
    )
    .await;
    (campaign, r)
}

async fn results(app: &TestApp, campaign: i64, query: &str) -> Value {
    let token = app.token("ki_lead").await;
    json_of(
        app.get(
            &format!("/api/v1/campaigns/{campaign}/results{query}"),
            &token,
        )
        .await,
        StatusCode::OK,
    )
    .await
}

fn question<'a>(results: &'a Value, key: &str) -> &'a Value {
    results["questions"]
        .as_array()
        .expect("questions")
        .iter()
        .find(|q| q["key"] == key)
        .unwrap_or_else(|| panic!("no question {key}"))
}

fn counts(results: &Value, key: &str) -> Vec<(String, i64)> {
    question(results, key)["distribution"]
        .as_array()
        .expect("distribution")
        .iter()
        .map(|c| {
            (
                c["value"].as_str().expect("value").to_owned(),
                c["count"].as_i64().expect("count"),
            )
        })
        .collect()
}

fn pairs(list: &[(&str, i64)]) -> Vec<(String, i64)> {
    list.iter().map(|(v, n)| (v.to_string(), *n)).collect()
}

fn figures(results: &Value, key: &str) -> (Value, Value, Value, Value) {
    let q = question(results, key);
    (
        q["mean"].clone(),
        q["median"].clone(),
        q["min"].clone(),
        q["max"].clone(),
    )
}

async fn results_equal_hand_computed_figures(app: TestApp) {
    let (campaign, _) = answered(&app).await;
    let all = results(&app, campaign, "").await;
    assert_eq!(all["responses"], 4);
    let order: Vec<&str> = all["questions"]
        .as_array()
        .expect("questions")
        .iter()
        .filter_map(|q| q["key"].as_str())
        .collect();
    assert_eq!(
        order,
        vec!["topic", "groups", "need", "housing", "staff", "note", "coop"]
    );
    assert_eq!(
        counts(&all, "topic"),
        pairs(&[("work", 3), ("language", 1)])
    );
    assert_eq!(
        question(&all, "topic")["distribution"][0]["label"],
        "Arbeit"
    );
    assert_eq!(
        counts(&all, "groups"),
        pairs(&[("youth", 1), ("women", 2), ("elderly", 1)])
    );
    assert_eq!(
        (
            question(&all, "groups")["answered"].as_i64(),
            question(&all, "groups")["unanswered"].as_i64()
        ),
        (Some(3), Some(1))
    );
    // need: 4, 2, 5, 4 → mean 15/4 = 3.75; sorted 2 4 4 5 → median 4. The draft's 1 is left out.
    assert_eq!(
        counts(&all, "need"),
        pairs(&[("1", 0), ("2", 1), ("3", 0), ("4", 2), ("5", 1)])
    );
    assert_eq!(
        figures(&all, "need"),
        (json!(3.75), json!(4.0), json!(2.0), json!(5.0))
    );
    // housing: 2, 5, 4 → mean 11/3 = 3.67; median 4; Alfter left it out.
    assert_eq!(
        figures(&all, "housing"),
        (json!(3.67), json!(4.0), json!(2.0), json!(5.0))
    );
    assert_eq!(question(&all, "housing")["unanswered"], 1);
    // staff: 1.5, 0.5, 3, 2 → mean 7/4 = 1.75; sorted 0.5 1.5 2 3 → median 1.75.
    assert_eq!(
        figures(&all, "staff"),
        (json!(1.75), json!(1.75), json!(0.5), json!(3.0))
    );
    assert_eq!(question(&all, "staff")["distribution"], json!([]));
    assert_eq!(
        question(&all, "note")["texts"],
        json!(["Mehr Kitaplätze", "Dolmetscher fehlen"])
    );
    assert_eq!(counts(&all, "coop"), pairs(&[("yes", 3), ("no", 1)]));
    // Who may read results.
    for role in ["case_manager", "analyst", "steering_member", "admin"] {
        let token = app.token(role).await;
        assert_problem(
            app.get(&format!("/api/v1/campaigns/{campaign}/results"), &token)
                .await,
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    let coordinator = app.token("coordinator").await;
    assert_problem(
        app.get("/api/v1/campaigns/999999/results", &coordinator)
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        app.get(
            &format!("/api/v1/campaigns/{campaign}/results?rhine_side=north"),
            &coordinator,
        )
        .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
}

async fn results_filter_by_respondent_kind_and_side_of_the_rhine(app: TestApp) {
    let (campaign, _) = answered(&app).await;
    // Left of the Rhine: Bornheim and Alfter. need 2, 5 → mean 3.5, median 3.5.
    let left = results(&app, campaign, "?rhine_side=left").await;
    assert_eq!(left["responses"], 2);
    assert_eq!(left["rhine_side"], "left");
    assert_eq!(
        figures(&left, "need"),
        (json!(3.5), json!(3.5), json!(2.0), json!(5.0))
    );
    assert_eq!(
        counts(&left, "topic"),
        pairs(&[("work", 1), ("language", 1)])
    );
    assert_eq!(figures(&left, "housing").0, json!(5.0));
    // Municipalities: Siegburg, Bornheim, Alfter. need 4, 2, 5 → mean 11/3 = 3.67, median 4.
    let municipal = results(&app, campaign, "?respondent_kind=municipality").await;
    assert_eq!(municipal["responses"], 3);
    assert_eq!(figures(&municipal, "need").0, json!(3.67));
    assert_eq!(figures(&municipal, "need").1, json!(4.0));
    // Organisations: only Caritas submitted.
    let organisations = results(&app, campaign, "?respondent_kind=organisation").await;
    assert_eq!(organisations["responses"], 1);
    assert_eq!(
        counts(&organisations, "groups"),
        pairs(&[("youth", 0), ("women", 0), ("elderly", 1)])
    );
    // Organisations have no side of the Rhine.
    let none = results(
        &app,
        campaign,
        "?respondent_kind=organisation&rhine_side=right",
    )
    .await;
    assert_eq!(none["responses"], 0);
    assert_eq!(question(&none, "need")["mean"], Value::Null);
    let right = results(&app, campaign, "?rhine_side=right").await;
    assert_eq!(right["responses"], 1);
    assert_eq!(
        question(&right, "note")["texts"],
        json!(["Mehr Kitaplätze"])
    );
}

async fn status_and_reminders_show_who_has_not_submitted(app: TestApp) {
    let (campaign, r) = open_campaign(&app).await;
    let case_manager = app.token("case_manager").await;
    let coordinator = app.token("coordinator").await;
    answer(
        &app,
        &case_manager,
        campaign,
        r.siegburg,
        crate::surveys::complete(),
    )
    .await;
    json_of(
        save(&app, &coordinator, campaign, r.alfter, json!({"need": 3})).await,
        StatusCode::OK,
    )
    .await;
    let ki_lead = app.token("ki_lead").await;
    let status = json_of(
        app.get(&format!("/api/v1/campaigns/{campaign}/status"), &ki_lead)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (
            status["not_started"].as_i64(),
            status["draft"].as_i64(),
            status["submitted"].as_i64()
        ),
        (Some(3), Some(1), Some(1))
    );
    let rows: Vec<(String, String)> = status["respondents"]
        .as_array()
        .expect("respondents")
        .iter()
        .map(|r| {
            (
                r["name"].as_str().expect("name").to_owned(),
                r["status"].as_str().expect("status").to_owned(),
            )
        })
        .collect();
    let expected = [
        ("Alfter", "draft"),
        ("Bornheim", "not_started"),
        ("Caritasverband Rhein-Sieg", "not_started"),
        ("Jobcenter Rhein-Sieg", "not_started"),
        ("Siegburg", "submitted"),
    ];
    assert_eq!(
        rows,
        expected
            .iter()
            .map(|(n, s)| (n.to_string(), s.to_string()))
            .collect::<Vec<_>>()
    );
    let siegburg = &status["respondents"][4];
    assert_eq!(siegburg["respondent_user_name"], "Demo Case Manager");
    assert_eq!(siegburg["rhine_side"], "right");
    assert!(siegburg["submitted_at"].is_string());
    let reminders = json_of(
        app.get(&format!("/api/v1/campaigns/{campaign}/reminders"), &ki_lead)
            .await,
        StatusCode::OK,
    )
    .await;
    let names: Vec<&str> = reminders["respondents"]
        .as_array()
        .expect("respondents")
        .iter()
        .filter_map(|r| r["name"].as_str())
        .collect();
    assert_eq!(
        names,
        vec![
            "Alfter",
            "Bornheim",
            "Caritasverband Rhein-Sieg",
            "Jobcenter Rhein-Sieg"
        ]
    );
    // The reminder list names only who has not submitted, but counts everyone.
    assert_eq!(
        (
            reminders["not_started"].as_i64(),
            reminders["draft"].as_i64(),
            reminders["submitted"].as_i64()
        ),
        (Some(3), Some(1), Some(1))
    );
    let left = json_of(
        app.get(
            &format!("/api/v1/campaigns/{campaign}/reminders?respondent_kind=municipality&rhine_side=left"),
            &ki_lead,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (
            left["not_started"].as_i64(),
            left["draft"].as_i64(),
            left["submitted"].as_i64()
        ),
        (Some(1), Some(1), Some(0))
    );
    let campaign_view = json_of(
        app.get(&format!("/api/v1/campaigns/{campaign}"), &ki_lead)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        campaign_view["progress"],
        json!({"respondents": 5, "not_started": 3, "draft": 1, "submitted": 1})
    );
    for path in ["status", "reminders"] {
        assert_problem(
            app.get(
                &format!("/api/v1/campaigns/{campaign}/{path}"),
                &case_manager,
            )
            .await,
            StatusCode::FORBIDDEN,
        )
        .await;
        assert_problem(
            app.get(&format!("/api/v1/campaigns/999999/{path}"), &ki_lead)
                .await,
            StatusCode::NOT_FOUND,
        )
        .await;
    }
}

async fn need_score_is_the_weighted_mean_and_feeds_the_distribution(app: TestApp) {
    let (campaign, _) = answered(&app).await;
    let coordinator = app.token("coordinator").await;
    let path = format!("/api/v1/campaigns/{campaign}/need-score");
    let before = json_of(app.get(&path, &coordinator).await, StatusCode::OK).await;
    assert_eq!(before["weights"], json!([]));
    let version = before["version"].as_i64();
    let weights = json!({"weights": [{"question_key": "need", "weight": 2}, {"question_key": "housing", "weight": 1}]});
    // Only scale questions, each once, with positive weights.
    let bad = json!({"weights": [{"question_key": "staff", "weight": 1}, {"question_key": "need", "weight": 0},
        {"question_key": "nope", "weight": 1}]});
    let problem = assert_problem(
        app.put(&path, &coordinator, version, &bad).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(
        error_fields(&problem),
        vec![
            "weights[0].question_key",
            "weights[1].weight",
            "weights[2].question_key"
        ]
    );
    let ki_lead = app.token("ki_lead").await;
    assert_problem(
        app.put(&path, &ki_lead, version, &weights).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_problem(
        app.put(&path, &coordinator, None, &weights).await,
        StatusCode::PRECONDITION_REQUIRED,
    )
    .await;
    assert_problem(
        app.put(&path, &coordinator, Some(99), &weights).await,
        StatusCode::PRECONDITION_FAILED,
    )
    .await;
    let set = json_of(
        app.put(&path, &coordinator, version, &weights).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(set["version"].as_i64(), version.map(|v| v + 1));
    // Siegburg (4×2 + 2×1)/3 = 3.33; Bornheim (2×2 + 5×1)/3 = 3.0; Alfter left housing out: 5.0.
    let scores: Vec<(String, Value)> = set["municipalities"]
        .as_array()
        .expect("municipalities")
        .iter()
        .map(|m| {
            (
                m["name"].as_str().expect("name").to_owned(),
                m["need_score"].clone(),
            )
        })
        .collect();
    assert_eq!(
        scores,
        vec![
            ("Alfter".to_owned(), json!(5.0)),
            ("Bornheim".to_owned(), json!(3.0)),
            ("Siegburg".to_owned(), json!(3.33)),
        ]
    );
    let read = json_of(app.get(&path, &ki_lead).await, StatusCode::OK).await;
    assert_eq!(read["municipalities"], set["municipalities"]);
    // The distribution report shows the latest campaign's score.
    let analyst = app.token("analyst").await;
    let rows: Value = json_of(
        app.get("/api/v1/distribution", &analyst).await,
        StatusCode::OK,
    )
    .await;
    let row = |name: &str| {
        rows.as_array()
            .expect("rows")
            .iter()
            .find(|r| r["name"] == name)
            .unwrap_or_else(|| panic!("{name}"))
            .clone()
    };
    assert_eq!(row("Siegburg")["needs_survey_score"], 3.33);
    assert_eq!(row("Bornheim")["needs_survey_score"], 3.0);
    assert_eq!(row("Alfter")["needs_survey_score"], 5.0);
    assert_eq!(row("Lohmar")["needs_survey_score"], Value::Null);
    assert_eq!(row("Siegburg")["needs_survey_campaign_id"], campaign);
    // The capacity figures are unchanged by it.
    assert_eq!(row("Siegburg")["cm_fte"], 1.0);
}

async fn demo_survey_has_a_closed_campaign_with_most_municipalities_answered(app: TestApp) {
    let ki_lead = app.token("ki_lead").await;
    let campaigns = json_of(app.get("/api/v1/campaigns", &ki_lead).await, StatusCode::OK).await;
    assert_eq!(campaigns["total"], 1);
    let demo = &campaigns["items"][0];
    assert_eq!(demo["title"], "Bedarfsabfrage Frühjahr 2021");
    assert_eq!(demo["status"], "closed");
    assert_eq!(
        demo["progress"],
        json!({"respondents": 23, "not_started": 2, "draft": 3, "submitted": 18})
    );
    let id = demo["id"].as_i64().expect("id");
    let municipal = results(&app, id, "?respondent_kind=municipality").await;
    assert_eq!(municipal["responses"], 16);
    let reminders = json_of(
        app.get(&format!("/api/v1/campaigns/{id}/reminders"), &ki_lead)
            .await,
        StatusCode::OK,
    )
    .await;
    let names: Vec<&str> = reminders["respondents"]
        .as_array()
        .expect("respondents")
        .iter()
        .filter_map(|r| r["name"].as_str())
        .collect();
    assert_eq!(
        names,
        vec![
            "Diakonisches Werk an Sieg und Rhein",
            "Katholische Jugendagentur Bonn – Jugendmigrationsdienst",
            "Much",
            "Ruppichteroth",
            "Windeck"
        ]
    );
    // The distribution report uses its need score: every municipality that submitted has one.
    let rows: Value = json_of(
        app.get("/api/v1/distribution", &ki_lead).await,
        StatusCode::OK,
    )
    .await;
    let scored: Vec<&str> = rows
        .as_array()
        .expect("rows")
        .iter()
        .filter(|r| r["needs_survey_score"].is_number())
        .filter_map(|r| r["name"].as_str())
        .collect();
    assert_eq!(scored.len(), 16);
    for unscored in ["Much", "Ruppichteroth", "Windeck"] {
        assert!(!scored.contains(&unscored), "{unscored}");
    }
    assert!(rows
        .as_array()
        .expect("rows")
        .iter()
        .all(|r| r["needs_survey_campaign_id"] == id));
    let version = json_of(
        app.get("/api/v1/questionnaires", &ki_lead).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(version["items"][0]["versions"][0]["frozen"], true);
    assert_eq!(version["items"][0]["versions"][0]["question_count"], 14);
}
