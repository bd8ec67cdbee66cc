//! A step in a referral's history as the API shows it.

use chrono::{DateTime, Utc};
use kim_domain::referral::ReferralStatus;
use serde::Serialize;
use utoipa::ToSchema;

/// One status change of a referral.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"from_status": "draft", "to_status": "sent", "reason": null,
    "actor_kind": "user", "occurred_at": "2026-11-25T10:00:00Z"}))]
pub struct ReferralEvent {
    /// Absent for the creation of the draft.
    pub from_status: Option<ReferralStatus>,
    pub to_status: ReferralStatus,
    pub reason: Option<String>,
    /// `user` (the case side) or `partner` (the recipient's system).
    pub actor_kind: String,
    /// The user or token id (case side only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor_id: Option<i64>,
    pub occurred_at: DateTime<Utc>,
}
