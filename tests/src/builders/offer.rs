//! `OfferBuilder`: an offer of an organisation, created by the coordination.

use serde_json::{json, Value};

use crate::TestApp;

/// A valid offer of `organisation_id` in `municipality_ids` (county-wide when empty).
pub fn offer(organisation_id: i64, title: &str, municipality_ids: &[i64]) -> Value {
    json!({
        "organisation_id": organisation_id, "title": title,
        "description": "Beratung in der Sprechstunde",
        "topics": ["counselling", "housing"], "target_groups": ["refugees"],
        "county_wide": municipality_ids.is_empty(), "municipality_ids": municipality_ids,
        "min_age": 18, "max_age": 99, "residence_statuses": ["asylum_seeker"],
        "languages": ["de", "ar"], "access": "walk_in", "capacity_per_month": 40,
        "active_from": "2021-01-01", "active_until": null
    })
}

pub struct OfferBuilder<'a> {
    app: &'a TestApp,
    organisation: String,
    title: String,
    municipalities: Vec<String>,
    changes: Vec<(String, Value)>,
    token: Option<String>,
}

impl<'a> OfferBuilder<'a> {
    /// "Beratung" of the Caritasverband Rhein-Sieg, county-wide, created by the coordinator.
    pub fn new(app: &'a TestApp) -> Self {
        OfferBuilder {
            app,
            organisation: "Caritasverband Rhein-Sieg".into(),
            title: "Beratung".into(),
            municipalities: Vec::new(),
            changes: Vec::new(),
            token: None,
        }
    }

    pub fn of(mut self, organisation_name: &str) -> Self {
        self.organisation = organisation_name.into();
        self
    }

    pub fn titled(mut self, title: &str) -> Self {
        self.title = title.into();
        self
    }

    /// Offered in the municipality `name` rather than county-wide (may be called again).
    pub fn in_municipality(mut self, name: &str) -> Self {
        self.municipalities.push(name.into());
        self
    }

    /// Replaces one field of the [`offer`] body.
    pub fn with(mut self, field: &str, value: Value) -> Self {
        self.changes.push((field.into(), value));
        self
    }

    /// Created with `token` (e.g. a partner token with `offers:write`) instead of the
    /// coordinator's.
    pub fn by(mut self, token: &str) -> Self {
        self.token = Some(token.into());
        self
    }

    /// Creates the offer (asserting 201); returns it.
    pub async fn create(self) -> Value {
        let admin = self.app.token("admin").await;
        let organisation = self
            .app
            .id_of("organisations", &self.organisation, &admin)
            .await;
        let mut municipality_ids = Vec::new();
        for name in &self.municipalities {
            municipality_ids.push(self.app.id_of("municipalities", name, &admin).await);
        }
        let mut body = offer(organisation, &self.title, &municipality_ids);
        for (field, value) in self.changes {
            body[field] = value;
        }
        let token = match self.token {
            Some(token) => token,
            None => self.app.token("coordinator").await,
        };
        self.app.post_created("/api/v1/offers", &token, &body).await
    }
}
