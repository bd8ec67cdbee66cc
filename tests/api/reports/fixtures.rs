//! Building blocks of the hand-made data sets: dates around today, referrals sent and
//! answered through the API, the gap process step by step, and moving the time of recorded
//! events into the past where the API records "now" (the report periods need history).

use chrono::{Duration, NaiveDate, Utc};
use kim_tests::{Method, StatusCode, TestApp};
use serde_json::{json, Value};

use crate::referrals::{consent, organisation, partner};

pub fn today() -> NaiveDate {
    Utc::now().date_naive()
}

pub fn days_ago(days: i64) -> NaiveDate {
    today() - Duration::days(days)
}

/// A timestamp literal `days` before today, at 09:00 (UTC), for both databases.
pub fn at(days: i64) -> String {
    format!("'{} 09:00:00'", days_ago(days))
}

/// Runs one SQL statement against the test database.
pub fn sql(app: &TestApp, statement: &str) {
    use diesel::RunQueryDsl;
    let mut conn = app.pool.get().expect("connection");
    diesel::sql_query(statement)
        .execute(&mut conn)
        .unwrap_or_else(|e| panic!("{statement}: {e}"));
}

pub async fn json_of(response: reqwest::Response) -> Value {
    response.json().await.expect("json")
}

/// POST with `If-Match`; asserts `expected`, returns the body.
pub async fn post_versioned(
    app: &TestApp,
    token: &str,
    path: &str,
    version: &Value,
    body: Value,
    expected: StatusCode,
) -> Value {
    let response = app
        .request(Method::POST, path, Some(token))
        .header("If-Match", format!("\"{version}\""))
        .json(&body)
        .send()
        .await
        .expect("send");
    let status = response.status();
    let answer = json_of(response).await;
    assert_eq!(status, expected, "POST {path} {body}: {answer}");
    answer
}

/// The user id behind a token.
pub async fn user_id(app: &TestApp, token: &str) -> i64 {
    json_of(app.get("/api/v1/auth/me", token).await).await["id"]
        .as_i64()
        .expect("id")
}

// --- Referrals ---------------------------------------------------------------------------

/// A recipient organisation with the token of its partner system (allowed to answer).
pub struct Recipient {
    pub id: i64,
    pub token: String,
}

pub async fn recipient(app: &TestApp, name: &str) -> Recipient {
    Recipient {
        id: organisation(app, name).await,
        token: partner(app, name, json!(["referrals:read", "referrals:write"])).await,
    }
}

/// Allows referrals of the case's client to each recipient (identity only).
pub async fn consent_to(app: &TestApp, cm: &str, case: &Value, recipients: &[&Recipient]) {
    let client = case["lead_client_id"].as_i64().expect("client");
    for r in recipients {
        consent(app, cm, client, r.id, json!(["identity"])).await;
    }
}

/// A draft referral of `case` to `to`.
pub async fn draft(app: &TestApp, cm: &str, case: &Value, to: &Recipient) -> Value {
    let response = app
        .post(
            &format!("/api/v1/cases/{}/referrals", case["id"]),
            cm,
            &json!({"recipient_organisation_id": to.id, "purpose": "Beratung",
                "shared_categories": []}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    json_of(response).await
}

/// Moves a referral to `to` (with `reason` for a decline) as `token`; returns it.
pub async fn move_referral(app: &TestApp, token: &str, referral: &Value, to: &str) -> Value {
    let mut body = json!({"to": to});
    if to == "declined" {
        body["reason"] = json!("Keine freien Plätze");
    }
    post_versioned(
        app,
        token,
        &format!("/api/v1/referrals/{}/transitions", referral["id"]),
        &referral["version"],
        body,
        StatusCode::OK,
    )
    .await
}

/// A referral of `case` to `to`, sent now and taken along `path` (`accepted`, `declined`,
/// `completed` by the recipient, `withdrawn` by the case side); returns its id.
pub async fn referral(app: &TestApp, cm: &str, case: &Value, to: &Recipient, path: &[&str]) -> i64 {
    let mut r = draft(app, cm, case, to).await;
    r = move_referral(app, cm, &r, "sent").await;
    for step in path {
        let token = if *step == "withdrawn" { cm } else { &to.token };
        r = move_referral(app, token, &r, step).await;
    }
    r["id"].as_i64().expect("id")
}

/// Says the referral was sent `sent_days_ago` and answered (accepted or declined)
/// `answered_days_ago`: the API records both as now.
pub fn backdate_referral(app: &TestApp, id: i64, sent_days_ago: i64, answered_days_ago: i64) {
    sql(
        app,
        &format!(
            "UPDATE referrals SET sent_at = {} WHERE id = {id}",
            at(sent_days_ago)
        ),
    );
    sql(
        app,
        &format!(
            "UPDATE referral_events SET occurred_at = {} WHERE referral_id = {id} \
             AND to_status IN ('accepted', 'declined')",
            at(answered_days_ago)
        ),
    );
}

// --- Systematic gaps ----------------------------------------------------------------------

/// The demo users who take the steps of the gap process, and the steering group's past meeting
/// and the thematic project group of the demo county.
pub struct GapProcess {
    pub case_manager: String,
    pub cm_coordinator: String,
    pub ki_lead: String,
    pub steering_member: String,
    pub project_group_member: String,
    pub meeting: i64,
    pub kita_group: i64,
}

impl GapProcess {
    pub async fn new(app: &TestApp) -> GapProcess {
        let ki_lead = app.token("ki_lead").await;
        let steering = app
            .id_of("bodies", kim_api::seed::gaps::STEERING_GROUP, &ki_lead)
            .await;
        let meetings = json_of(
            app.get(&format!("/api/v1/bodies/{steering}/meetings"), &ki_lead)
                .await,
        )
        .await;
        let meeting = meetings["items"]
            .as_array()
            .and_then(|items| {
                items
                    .iter()
                    .find(|m| m["title"] == kim_api::seed::gaps::PAST_MEETING)
            })
            .and_then(|m| m["id"].as_i64())
            .expect("the demo's past meeting");
        let kita_group = app
            .id_of("bodies", kim_api::seed::gaps::KITA_GROUP, &ki_lead)
            .await;
        GapProcess {
            case_manager: app.token("case_manager").await,
            cm_coordinator: app.token("cm_coordinator").await,
            steering_member: app.token("steering_member").await,
            project_group_member: app.token("project_group_member").await,
            ki_lead,
            meeting,
            kita_group,
        }
    }

    /// A gap reported by the demo case manager.
    pub async fn report(&self, app: &TestApp, title: &str) -> Value {
        let response = app
            .post(
                "/api/v1/gaps",
                &self.case_manager,
                &json!({"title": title, "description": "Familien werden abgewiesen",
                    "topic": "early_childhood", "legal_domains": ["sgb_viii"],
                    "target_groups": ["Familien mit Duldung"],
                    "report": {"text": "Drei Familien in diesem Monat", "case_ids": []}}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        json_of(response).await
    }

    /// A further report on the gap (the stage stays).
    pub async fn add_report(&self, app: &TestApp, gap: &Value) -> Value {
        let response = app
            .post(
                &format!("/api/v1/gaps/{}/reports", gap["id"]),
                &self.case_manager,
                &json!({"text": "Auch hier"}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        json_of(
            app.get(&format!("/api/v1/gaps/{}", gap["id"]), &self.case_manager)
                .await,
        )
        .await
    }

    /// Takes `step` with the body it needs, as the role that takes it; returns the gap.
    pub async fn step(&self, app: &TestApp, gap: &Value, step: &str) -> Value {
        let (token, body) = match step {
            "escalate" => (
                &self.cm_coordinator,
                json!({"reason": "Betrifft viele Familien"}),
            ),
            "forward" => (&self.ki_lead, json!({})),
            "mandate" => (
                &self.steering_member,
                json!({"meeting_id": self.meeting, "project_group_ids": [self.kita_group],
                    "mandate": "Verfahren vorschlagen", "due_on": "2099-03-31"}),
            ),
            "reject" => (
                &self.steering_member,
                json!({"meeting_id": self.meeting, "reason": "Keine Zuständigkeit des Kreises"}),
            ),
            "solutions" => (
                &self.project_group_member,
                json!({"solutions": [{"text": "Zwei Plätze je Bezirk", "responsible_actors": "Jugendamt", "estimate": "keine Kosten"}]}),
            ),
            "decide" => (
                &self.steering_member,
                json!({"meeting_id": self.meeting, "accepted_solution_ids": [gap["solutions"][0]["id"]],
                    "publicity": "internal", "publicity_text": "Rundbrief"}),
            ),
            "communicate" => (&self.cm_coordinator, json!({})),
            "acknowledge" => (&self.case_manager, json!({})),
            "close" => (&self.cm_coordinator, json!({"outcome": "Gelöst"})),
            other => panic!("no step {other} here"),
        };
        post_versioned(
            app,
            token,
            &format!("/api/v1/gaps/{}/{step}", gap["id"]),
            &gap["version"],
            body,
            StatusCode::OK,
        )
        .await
    }

    pub async fn steps(&self, app: &TestApp, gap: Value, steps: &[&str]) -> Value {
        let mut gap = gap;
        for step in steps {
            gap = self.step(app, &gap, step).await;
        }
        gap
    }

    /// Feedback of the demo case manager on an applied solution.
    pub async fn feedback(&self, app: &TestApp, gap: &Value, rating: &str) -> Value {
        post_versioned(
            app,
            &self.case_manager,
            &format!("/api/v1/gaps/{}/feedback", gap["id"]),
            &gap["version"],
            json!({"rating": rating, "text": "Rückmeldung"}),
            StatusCode::OK,
        )
        .await
    }

    pub async fn merge(&self, app: &TestApp, gap: &Value, into: &Value) -> Value {
        post_versioned(
            app,
            &self.cm_coordinator,
            &format!("/api/v1/gaps/{}/merge", gap["id"]),
            &gap["version"],
            json!({"merge_into": into["id"]}),
            StatusCode::OK,
        )
        .await
    }
}

/// Says the gap's `step` events (`report` means its first report, `report+` a further one)
/// happened `days` ago: the API records every step as now.
pub fn backdate_step(app: &TestApp, gap: &Value, step: &str, days: i64) {
    let condition = match step {
        "report" => "step = 'report' AND from_stage IS NULL".to_owned(),
        "report+" => "step = 'report' AND from_stage IS NOT NULL".to_owned(),
        other => format!("step = '{other}'"),
    };
    sql(
        app,
        &format!(
            "UPDATE gap_events SET occurred_at = {} WHERE gap_id = {} AND {condition}",
            at(days),
            gap["id"]
        ),
    );
}
