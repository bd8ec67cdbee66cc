//! A case (Fall) as the API shows it, and the body that opens or changes one.

use chrono::{DateTime, NaiveDate, Utc};
use kim_domain::case::{
    CaseStatus, CloseReason, IntakeChannel, OtherCaseManagement, TargetGroup, Topic,
};
use kim_domain::reference::LegalDomain;
use kim_store::cases as store;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::views::client::ClientInput;

pub use kim_store::cases::CaseEvent;

/// Fall (case): one or more clients worked with across legal domains.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": 3, "client_ids": [12, 13], "lead_client_id": 12, "lead_client_reference": "K-2026-000012",
    "assigned_user_id": 5, "deputy_user_id": null, "municipality_id": 17, "target_group": "new_arrivals",
    "legal_domains": ["sgb_ii", "aufenthg"], "topics": ["language", "work"], "intake_channel": "self_referral",
    "referring_organisation_id": null, "arrived_on": "2025-03-01", "other_case_management": ["none"],
    "eligible": true, "eligibility_justification": null, "status": "active", "status_since": "2026-01-10",
    "close_reason": null, "opened_on": "2026-01-05", "allowed_transitions": ["paused", "closed"], "version": 2,
    "created_at": "2026-11-25T10:00:00Z", "updated_at": "2026-11-25T10:00:00Z"}))]
pub struct Case {
    pub id: i64,
    pub client_ids: Vec<i64>,
    pub lead_client_id: i64,
    pub lead_client_reference: String,
    /// Fallverantwortliche/r (case manager).
    pub assigned_user_id: i64,
    /// Vertretung (deputy).
    pub deputy_user_id: Option<i64>,
    pub municipality_id: i64,
    pub target_group: TargetGroup,
    pub legal_domains: Vec<LegalDomain>,
    pub topics: Vec<Topic>,
    pub intake_channel: IntakeChannel,
    pub referring_organisation_id: Option<i64>,
    /// Einreisedatum (date of arrival in Germany).
    pub arrived_on: Option<NaiveDate>,
    pub other_case_management: Vec<OtherCaseManagement>,
    /// Within the intake rule; otherwise opened as an exception with the justification.
    pub eligible: bool,
    pub eligibility_justification: Option<String>,
    pub status: CaseStatus,
    pub status_since: NaiveDate,
    pub close_reason: Option<CloseReason>,
    pub opened_on: NaiveDate,
    pub allowed_transitions: Vec<CaseStatus>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<store::Case> for Case {
    fn from(c: store::Case) -> Self {
        Case {
            id: c.id,
            client_ids: c.data.client_ids,
            lead_client_id: c.data.lead_client_id,
            lead_client_reference: c.lead_client_reference,
            assigned_user_id: c.assigned_user_id,
            deputy_user_id: c.deputy_user_id,
            municipality_id: c.data.municipality_id,
            target_group: c.data.target_group,
            legal_domains: c.data.legal_domains,
            topics: c.data.topics,
            intake_channel: c.data.intake_channel,
            referring_organisation_id: c.data.referred_by_organisation_id,
            arrived_on: c.data.arrived_on,
            other_case_management: c.data.other_case_management,
            eligible: c.eligible,
            eligibility_justification: c.eligibility_justification,
            allowed_transitions: c.status.allowed_next().to_vec(),
            status: c.status,
            status_since: c.status_since,
            close_reason: c.close_reason,
            opened_on: c.opened_on,
            version: c.version,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

/// A client of a new case: an existing one by id, or a new one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum CaseClient {
    Existing {
        /// An existing client the caller may see.
        id: i64,
    },
    New(ClientInput),
}

/// What the case is about; on opening also its clients and who works it.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "clients": [{"given_name": "Amina", "birth_year": 1990, "municipality_id": 17, "languages": ["ar"]},
                {"given_name": "Omar", "birth_year": 2019, "municipality_id": 17}],
    "municipality_id": 17, "target_group": "new_arrivals", "legal_domains": ["sgb_ii", "aufenthg"],
    "topics": ["language", "childcare"], "intake_channel": "self_referral", "arrived_on": "2025-03-01",
    "other_case_management": ["none"]
}))]
pub struct CaseInput {
    /// On opening: the clients, the first is the lead client (a family case: parent first).
    /// On update: omit, and give `client_ids` instead.
    #[serde(default)]
    #[schema(max_items = 20)]
    pub clients: Vec<CaseClient>,
    /// On update: the case's clients by id, the lead client first.
    pub client_ids: Option<Vec<i64>>,
    pub municipality_id: i64,
    pub target_group: TargetGroup,
    #[serde(default)]
    pub legal_domains: Vec<LegalDomain>,
    #[serde(default)]
    pub topics: Vec<Topic>,
    pub intake_channel: IntakeChannel,
    /// Required when `intake_channel` is `referred_by_organisation`.
    pub referring_organisation_id: Option<i64>,
    pub arrived_on: Option<NaiveDate>,
    /// Other case management already in place, or `["none"]`.
    #[schema(min_items = 1)]
    pub other_case_management: Vec<OtherCaseManagement>,
    /// Required when the case is outside the intake rule; refused when it is inside.
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    pub justification: Option<String>,
    /// On opening: the case manager (default: the caller). Only the CM coordination (who may
    /// reassign cases) names someone else; they must hold a role that works cases.
    pub assigned_user_id: Option<i64>,
    /// On opening: the deputy (Vertretung). Only the CM coordination names one (otherwise 422);
    /// someone other than the case manager, with a role that works cases.
    pub deputy_user_id: Option<i64>,
    /// On opening: the opening date (default today); not in the future and at most
    /// `KIM_CASE_BACKDATE_MAX_DAYS` (default 31) days in the past. The intake rule is judged
    /// against the day the case is really opened (today), whatever this says.
    pub opened_on: Option<NaiveDate>,
}

impl CaseInput {
    /// The case's facts as stored: `client_ids` (not empty; the first leads) and the other case
    /// management `check_input` accepted.
    pub fn case_data(
        self,
        client_ids: Vec<i64>,
        other_case_management: Vec<OtherCaseManagement>,
    ) -> store::CaseData {
        store::CaseData {
            lead_client_id: client_ids[0],
            client_ids,
            municipality_id: self.municipality_id,
            target_group: self.target_group,
            legal_domains: self.legal_domains,
            topics: self.topics,
            intake_channel: self.intake_channel,
            referred_by_organisation_id: self.referring_organisation_id,
            arrived_on: self.arrived_on,
            other_case_management,
        }
    }
}
