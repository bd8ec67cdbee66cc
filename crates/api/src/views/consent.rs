//! A consent (Einwilligung) as the API shows it.

use chrono::{DateTime, NaiveDate, Utc};
use kim_domain::consent::{ConsentPurpose, ConsentState, DataCategory};
use kim_store::consents::StoredConsent;
use serde::Serialize;
use utoipa::ToSchema;

/// Einwilligung / Schweigepflichtentbindung (consent of a client to share data): which data
/// categories may go to which named organisations for which purposes, from when until when.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 3, "client_id": 12, "recipient_organisation_ids": [9], "purposes": ["referral"],
    "categories": ["identity", "residence_status"], "given_on": "2026-11-02",
    "valid_until": "2027-11-01", "revoked_on": null, "document_reference": "Akte 2026/117, Bl. 4",
    "state": "valid", "version": 1, "created_at": "2026-11-25T10:00:00Z",
    "updated_at": "2026-11-25T10:00:00Z"
}))]
pub struct Consent {
    pub id: i64,
    pub client_id: i64,
    /// The organisations named on the form (Empfänger); a consent names at least one.
    pub recipient_organisation_ids: Vec<i64>,
    pub purposes: Vec<ConsentPurpose>,
    pub categories: Vec<DataCategory>,
    /// The day the client signed.
    pub given_on: NaiveDate,
    /// Last day of validity (inclusive); absent until revoked.
    pub valid_until: Option<NaiveDate>,
    /// The day the revocation (Widerruf) took effect; not valid from that day on.
    pub revoked_on: Option<NaiveDate>,
    /// Where the signed form is filed.
    pub document_reference: Option<String>,
    /// The state today.
    pub state: ConsentState,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<StoredConsent> for Consent {
    fn from(c: StoredConsent) -> Self {
        Consent {
            state: c.consent.state_on(chrono::Utc::now().date_naive()),
            id: c.consent.id,
            client_id: c.client_id,
            recipient_organisation_ids: c.consent.recipient_organisation_ids,
            purposes: c.consent.purposes,
            categories: c.consent.categories,
            given_on: c.consent.given_on,
            valid_until: c.consent.valid_until,
            revoked_on: c.consent.revoked_on,
            document_reference: c.document_reference,
            version: c.version,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}
