//! `ReferralBuilder`: a referral drafted from a case to an organisation, optionally sent and
//! accepted through its status moves.

use serde_json::{json, Value};

use super::{days_ago, version};
use crate::{StatusCode, TestApp};

/// A referral draft to `recipient_organisation_id` sharing `shared_categories`, due in two weeks.
pub fn referral(recipient_organisation_id: i64, shared_categories: Value) -> Value {
    json!({"recipient_organisation_id": recipient_organisation_id, "purpose": "Arbeitsvermittlung",
        "message": "Frau K. sucht eine Teilzeitstelle.", "offer": "Integrationskurs",
        "shared_categories": shared_categories, "due_on": days_ago(-14)})
}

/// How far the referral is moved after drafting.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Stage {
    Draft,
    Sent,
    Accepted,
}

pub struct ReferralBuilder<'a> {
    app: &'a TestApp,
    case_id: i64,
    token: String,
    recipient: Option<i64>,
    shared: Value,
    stage: Stage,
    partner_token: Option<String>,
}

impl<'a> ReferralBuilder<'a> {
    /// A referral from case `case_id`, drafted with `token` (its case manager's).
    pub fn new(app: &'a TestApp, case_id: i64, token: &str) -> Self {
        ReferralBuilder {
            app,
            case_id,
            token: token.into(),
            recipient: None,
            shared: json!([]),
            stage: Stage::Draft,
            partner_token: None,
        }
    }

    /// The receiving organisation (required).
    pub fn to(mut self, organisation_id: i64) -> Self {
        self.recipient = Some(organisation_id);
        self
    }

    /// The categories of data the referral shares (default none).
    pub fn sharing(mut self, categories: Value) -> Self {
        self.shared = categories;
        self
    }

    /// Sent by the case manager after drafting (the consent must cover it).
    pub fn sent(mut self) -> Self {
        self.stage = self.stage.max(Stage::Sent);
        self
    }

    /// Sent, then accepted with `partner_token` (a token of the receiving organisation).
    pub fn accepted_by(mut self, partner_token: &str) -> Self {
        self.stage = Stage::Accepted;
        self.partner_token = Some(partner_token.into());
        self
    }

    /// Drafts the referral (asserting 201 and a `Location`), then moves it; returns its state.
    pub async fn create(self) -> Value {
        let recipient = self
            .recipient
            .expect("ReferralBuilder needs .to(organisation)");
        let response = self
            .app
            .post(
                &format!("/api/v1/cases/{}/referrals", self.case_id),
                &self.token,
                &referral(recipient, self.shared),
            )
            .await;
        let status = response.status();
        assert!(response.headers().get("location").is_some());
        let mut referral: Value = response.json().await.expect("json");
        assert_eq!(
            status,
            StatusCode::CREATED,
            "drafting a referral: {referral}"
        );
        if self.stage >= Stage::Sent {
            referral = move_to(self.app, &self.token, &referral, json!({"to": "sent"})).await;
        }
        if self.stage >= Stage::Accepted {
            let partner = self.partner_token.as_deref().expect("partner token");
            referral = move_to(self.app, partner, &referral, json!({"to": "accepted"})).await;
        }
        referral
    }
}

/// Moves `referral` with `body` (e.g. `{"to": "sent"}`) at its current version; asserts 200 and
/// returns the new state.
pub async fn move_to(app: &TestApp, token: &str, referral: &Value, body: Value) -> Value {
    let path = format!("/api/v1/referrals/{}/transitions", referral["id"]);
    let response = app
        .post_if_match(&path, token, Some(version(referral)), &body)
        .await;
    let status = response.status();
    let moved: Value = response.json().await.expect("json");
    assert_eq!(status, StatusCode::OK, "{body}: {moved}");
    moved
}
