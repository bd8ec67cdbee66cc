//! A respondent of a survey campaign as the API shows it.

use chrono::{DateTime, Utc};
use kim_domain::reference::RhineSide;
use kim_domain::survey::{RespondentKind, ResponseStatus};
use kim_store::surveys::campaigns as store;
use serde::Serialize;
use utoipa::ToSchema;

/// A respondent slot with the state of its response.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 5, "campaign_id": 1, "kind": "municipality", "municipality_id": 17, "organisation_id": null,
    "name": "Siegburg", "rhine_side": "right", "respondent_user_id": 12,
    "respondent_user_name": "Demo Respondent Siegburg", "status": "submitted",
    "submitted_at": "2021-03-20T09:00:00Z", "last_change_at": "2021-03-20T09:00:00Z"
}))]
pub struct Respondent {
    pub id: i64,
    pub campaign_id: i64,
    pub kind: RespondentKind,
    pub municipality_id: Option<i64>,
    pub organisation_id: Option<i64>,
    /// The municipality's or organisation's name.
    pub name: String,
    /// Municipalities only.
    pub rhine_side: Option<RhineSide>,
    /// The person named to answer; without one, a partner token of the organisation answers,
    /// or the coordination enters the answers on the respondent's behalf.
    pub respondent_user_id: Option<i64>,
    pub respondent_user_name: Option<String>,
    pub status: ResponseStatus,
    pub submitted_at: Option<DateTime<Utc>>,
    /// When the response last changed (or the slot was created).
    pub last_change_at: DateTime<Utc>,
}

impl From<store::Respondent> for Respondent {
    fn from(r: store::Respondent) -> Self {
        Respondent {
            id: r.id,
            campaign_id: r.campaign_id,
            kind: r.slot.kind,
            municipality_id: r.slot.municipality_id,
            organisation_id: r.slot.organisation_id,
            name: r.name,
            rhine_side: r.rhine_side,
            respondent_user_id: r.slot.respondent_user_id,
            respondent_user_name: r.respondent_user_name,
            status: r.status,
            submitted_at: r.submitted_at,
            last_change_at: r.response_updated_at,
        }
    }
}
