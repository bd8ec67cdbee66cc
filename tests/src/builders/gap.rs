//! `GapBuilder`: a systematic gap reported by a case manager and moved through its steps.

use serde_json::{json, Value};

use crate::{StatusCode, TestApp};

/// The path of `gap` (its JSON, e.g. as created or as a step answered): `/api/v1/gaps/{id}`.
pub fn gap_path(gap: &Value) -> String {
    format!("/api/v1/gaps/{}", super::id(gap))
}

/// A further report ("Same here") on `gap` with `token` (asserting 201); returns the gap as
/// that reporter reads it in the answer.
pub async fn add_report(app: &TestApp, token: &str, gap: &Value) -> Value {
    app.post_created(
        &format!("{}/reports", gap_path(gap)),
        token,
        &json!({"text": "Same here"}),
    )
    .await
}

/// Step `name` (`escalate`, `forward`, `mandate`…) on `gap` at its current version, by the
/// account `username`, with `body`: the raw response, for tests of refusals.
pub async fn try_step(
    app: &TestApp,
    username: &str,
    gap: &Value,
    name: &str,
    body: &Value,
) -> reqwest::Response {
    let token = app.token_of(username).await;
    app.post_if_match(
        &format!("{}/{name}", gap_path(gap)),
        &token,
        gap["version"].as_i64(),
        body,
    )
    .await
}

/// Step `name` on `gap` at its current version by `username` with `body`, asserting 200;
/// returns the gap as the step answered.
pub async fn take_step(
    app: &TestApp,
    username: &str,
    gap: &Value,
    name: &str,
    body: &Value,
) -> Value {
    let token = app.token_of(username).await;
    app.post_json_if_match(
        &format!("{}/{name}", gap_path(gap)),
        &token,
        super::version(gap),
        body,
    )
    .await
}

/// A gap report body titled `title`, naming `case_ids`.
pub fn new_gap(title: &str, case_ids: &[i64]) -> Value {
    json!({"title": title, "description": "Families are turned away by daycare centres",
        "topic": "early_childhood", "legal_domains": ["sgb_viii", "aufenthg"],
        "target_groups": ["Families with a Duldung"],
        "report": {"text": "Three families this month", "case_ids": case_ids}})
}

pub struct GapBuilder<'a> {
    app: &'a TestApp,
    reporter: String,
    body: Value,
    reports_by: Vec<String>,
    steps: Vec<(String, String, Value)>,
}

impl<'a> GapBuilder<'a> {
    /// A gap "Kita places" reported by the demo `case_manager`.
    pub fn new(app: &'a TestApp) -> Self {
        GapBuilder {
            app,
            reporter: "case_manager".into(),
            body: new_gap("Kita places", &[]),
            reports_by: Vec::new(),
            steps: Vec::new(),
        }
    }

    pub fn reported_by(mut self, username: &str) -> Self {
        self.reporter = username.into();
        self
    }

    /// The whole report body (see [`new_gap`]).
    pub fn with_body(mut self, body: Value) -> Self {
        self.body = body;
        self
    }

    /// A further report ("Same here") by `username` after the first.
    pub fn also_reported_by(mut self, username: &str) -> Self {
        self.reports_by.push(username.into());
        self
    }

    /// A step (`escalate`, `forward`, `mandate`…) taken by `username` with `body`, in order.
    pub fn step(mut self, name: &str, username: &str, body: Value) -> Self {
        self.steps.push((name.into(), username.into(), body));
        self
    }

    /// Reports the gap (asserting 201), adds the further reports (each asserting 201), takes
    /// the steps (each asserting 200 at the gap's current version); returns the gap as the
    /// reporter reads it when no step was taken, else as the last step answered.
    pub async fn create(self) -> Value {
        let token = self.app.token_of(&self.reporter).await;
        let response = self.app.post("/api/v1/gaps", &token, &self.body).await;
        let status = response.status();
        assert!(response.headers().contains_key("location"));
        let mut gap: Value = response.json().await.expect("json");
        assert_eq!(status, StatusCode::CREATED, "reporting a gap: {gap}");
        let path = gap_path(&gap);
        for username in &self.reports_by {
            let other = self.app.token_of(username).await;
            add_report(self.app, &other, &gap).await;
        }
        if !self.reports_by.is_empty() {
            gap = self.app.get_json(&path, &token).await;
        }
        for (name, username, body) in &self.steps {
            gap = take_step(self.app, username, &gap, name, body).await;
        }
        gap
    }
}
