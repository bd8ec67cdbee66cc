//! An intake request (Zugangsanfrage) as the API shows it.

use chrono::{DateTime, NaiveDate, Utc};
use kim_domain::case::Topic;
use kim_domain::client::ResidenceStatus;
use kim_domain::intake_request::{IntakeAccess, IntakeRequestStatus};
use kim_domain::offer::LanguageCode;
use kim_store::intake_requests as store;
use serde::Serialize;
use utoipa::ToSchema;

/// Zuweisung (intake request): a person referred into case management by an organisation.
/// The referrer sees the status fields only; the CM coordination also the person, the reason,
/// the consent date, and on acceptance the case and client.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": 7, "referring_organisation_id": 10, "partner_reference": "JC-2026-0815",
    "status": "accepted", "decline_reason": null, "submitted_at": "2026-11-30T08:00:00Z",
    "decided_at": "2026-11-30T10:00:00Z", "version": 2, "updated_at": "2026-11-30T10:00:00Z",
    "person": {"given_name": "Amina", "family_name": "Khalil", "birth_year": 1990, "municipality_id": 17,
        "languages": ["ar", "de"], "residence_status": "recognised_refugee"},
    "reason": "Sucht Unterstützung bei Arbeit und Sprache", "topics": ["language", "work"],
    "consent_given_on": "2026-11-28", "case_id": 12, "client_id": 31, "decided_by": 4}))]
pub struct IntakeRequest {
    pub id: i64,
    pub referring_organisation_id: i64,
    /// The referrer's own reference.
    pub partner_reference: String,
    pub status: IntakeRequestStatus,
    /// Why the CM coordination declined (declined requests only).
    pub decline_reason: Option<String>,
    pub submitted_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    pub version: i32,
    pub updated_at: DateTime<Utc>,
    /// CM coordination only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub person: Option<IntakePerson>,
    /// CM coordination only: why the person is referred.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// CM coordination only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topics: Option<Vec<Topic>>,
    /// CM coordination only: the day the person consented to the transfer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consent_given_on: Option<NaiveDate>,
    /// CM coordination only: the case opened on acceptance.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub case_id: Option<i64>,
    /// CM coordination only: the client created or matched on acceptance.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<i64>,
    /// CM coordination only: who decided.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<i64>,
}

impl IntakeRequest {
    /// The request as `access` shows it; the submitter's view leaves out everything but status.
    pub fn shown(request: store::IntakeRequest, access: IntakeAccess) -> IntakeRequest {
        let decider = access == IntakeAccess::Decider;
        IntakeRequest {
            id: request.id,
            referring_organisation_id: request.referring_organisation_id,
            partner_reference: request.partner_reference,
            status: request.status,
            decline_reason: request.decline_reason,
            submitted_at: request.created_at,
            decided_at: request.decided_at,
            version: request.version,
            updated_at: request.updated_at,
            person: decider.then_some(IntakePerson {
                given_name: request.given_name,
                family_name: request.family_name,
                birth_year: request.birth_year,
                municipality_id: request.municipality_id,
                languages: request.languages,
                residence_status: request.residence_status,
            }),
            reason: decider.then_some(request.reason),
            topics: decider.then_some(request.topics),
            consent_given_on: decider.then_some(request.consent_given_on),
            case_id: request.case_id.filter(|_| decider),
            client_id: request.client_id.filter(|_| decider),
            decided_by: request.decided_by.filter(|_| decider),
        }
    }
}

/// The person referred, as the referrer described them (CM coordination only).
#[derive(Debug, Serialize, ToSchema)]
pub struct IntakePerson {
    /// `null` once the person's data were erased.
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub birth_year: Option<i32>,
    /// Wohnort (municipality of residence).
    pub municipality_id: i64,
    /// ISO 639-1 codes.
    #[schema(value_type = Vec<LanguageCode>)]
    pub languages: Vec<String>,
    pub residence_status: Option<ResidenceStatus>,
}
