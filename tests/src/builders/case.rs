//! `CaseBuilder`: a family case opened through `POST /api/v1/cases`, optionally with consents.

use serde_json::{json, Value};

use super::days_ago;
use crate::{StatusCode, TestApp};

/// A family case in `municipality_id`, opened (backdated) 30 days ago by people who arrived
/// about a year before: a mother and a child.
pub fn family(municipality_id: i64) -> Value {
    json!({
        "clients": [
            {"given_name": "Amina", "birth_year": 1990, "languages": ["ar", "de"], "residence_status": "recognised_refugee", "municipality_id": municipality_id},
            {"given_name": "Omar", "birth_year": 2020, "municipality_id": municipality_id}
        ],
        "municipality_id": municipality_id, "target_group": "multilingual_children_with_language_disorders",
        "legal_domains": ["sgb_viii", "sgb_ii"], "topics": ["language", "childcare"], "intake_channel": "self_referral",
        "arrived_on": days_ago(400), "other_case_management": ["none"], "opened_on": days_ago(30)
    })
}

/// Opens a case as a case manager (the demo `case_manager` unless told otherwise).
pub struct CaseBuilder<'a> {
    app: &'a TestApp,
    username: String,
    municipality: String,
    body: fn(i64) -> Value,
    token: Option<String>,
    changes: Vec<(String, Value)>,
    consents: Vec<(i64, Value)>,
}

/// A case as opened, with the case manager's token and the consents recorded for its lead
/// client.
pub struct BuiltCase {
    pub case: Value,
    pub token: String,
    pub id: i64,
    pub lead_client_id: i64,
    pub consent_ids: Vec<i64>,
}

impl BuiltCase {
    pub fn version(&self) -> i64 {
        super::version(&self.case)
    }

    pub fn path(&self) -> String {
        format!("/api/v1/cases/{}", self.id)
    }
}

impl<'a> CaseBuilder<'a> {
    pub fn new(app: &'a TestApp) -> Self {
        CaseBuilder {
            app,
            username: "case_manager".into(),
            municipality: "Siegburg".into(),
            body: family,
            token: None,
            changes: Vec::new(),
            consents: Vec::new(),
        }
    }

    /// The account that opens (and so works) the case.
    pub fn for_case_manager(mut self, username: &str) -> Self {
        self.username = username.into();
        self
    }

    /// Opens the case with `token` (a case manager's) instead of logging in again, e.g. where
    /// a test counts audit events.
    pub fn with_token(mut self, token: &str) -> Self {
        self.token = Some(token.into());
        self
    }

    /// Another body than [`family`], made from the municipality's id.
    pub fn with_body(mut self, body: fn(i64) -> Value) -> Self {
        self.body = body;
        self
    }

    /// The municipality of the case and its clients (default Siegburg).
    pub fn in_municipality(mut self, name: &str) -> Self {
        self.municipality = name.into();
        self
    }

    /// Replaces one top-level field of the body.
    pub fn with(mut self, field: &str, value: Value) -> Self {
        self.changes.push((field.into(), value));
        self
    }

    /// A consent of the lead client to referrals to `recipient_organisation_id`, releasing
    /// `categories`, given ten days ago.
    pub fn with_consent(mut self, recipient_organisation_id: i64, categories: Value) -> Self {
        self.consents.push((recipient_organisation_id, categories));
        self
    }

    /// Opens the case (asserting 201) and records its consents.
    pub async fn create(self) -> BuiltCase {
        let token = match self.token {
            Some(token) => token,
            None => self.app.token_of(&self.username).await,
        };
        let municipality = self
            .app
            .id_of("municipalities", &self.municipality, &token)
            .await;
        let mut body = (self.body)(municipality);
        for (field, value) in self.changes {
            body[field] = value;
        }
        let response = self.app.post("/api/v1/cases", &token, &body).await;
        let status = response.status();
        let case: Value = response.json().await.expect("json");
        assert_eq!(status, StatusCode::CREATED, "opening a case: {case}");
        let lead_client_id = case["lead_client_id"].as_i64().expect("lead_client_id");
        let mut consent_ids = Vec::new();
        for (recipient, categories) in self.consents {
            let consent = self
                .app
                .post_created(
                    &format!("/api/v1/clients/{lead_client_id}/consents"),
                    &token,
                    &json!({"recipient_organisation_ids": [recipient], "purposes": ["referral"],
                        "categories": categories, "given_on": days_ago(10), "document_reference": "Akte 1"}),
                )
                .await;
            consent_ids.push(super::id(&consent));
        }
        BuiltCase {
            id: super::id(&case),
            case,
            token,
            lead_client_id,
            consent_ids,
        }
    }
}
