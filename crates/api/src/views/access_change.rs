//! A change of access rights waiting for a second person, as the API shows it.

use actix_web::HttpResponse;
use chrono::{DateTime, Utc};
use kim_domain::access_change::{AccessChangeKind, AccessChangeStatus};
use kim_domain::Role;
use kim_store::access_changes as store;
use serde::Serialize;
use utoipa::ToSchema;

/// Zugriffsänderung: a grant of access to case data waiting for, or decided by, a second person.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 3, "kind": "change_user", "status": "pending", "user_id": 12, "partner_token_id": null,
    "account": {"display_name": "Anna Schmidt", "role": "case_manager", "organisation_id": 1,
        "active": true, "password_reset": false},
    "summary": "role analyst → case_manager",
    "requested_by": 1, "requested_at": "2026-11-30T09:00:00Z",
    "decided_by": null, "decided_at": null, "decision_reason": null
}))]
pub struct AccessChange {
    pub id: i64,
    pub kind: AccessChangeKind,
    pub status: AccessChangeStatus,
    /// The account concerned (`create_user`, `change_user`).
    pub user_id: Option<i64>,
    /// The token concerned (`issue_partner_token`); its scopes are on `GET /partner-tokens/{id}`.
    pub partner_token_id: Option<i64>,
    /// For accounts: the state the change asks for.
    pub account: Option<RequestedAccount>,
    /// Why a second person must confirm, in words.
    pub summary: String,
    pub requested_by: Option<i64>,
    pub requested_at: DateTime<Utc>,
    pub decided_by: Option<i64>,
    pub decided_at: Option<DateTime<Utc>>,
    /// Why it was rejected.
    pub decision_reason: Option<String>,
}

impl From<store::AccessChange> for AccessChange {
    fn from(c: store::AccessChange) -> Self {
        AccessChange {
            id: c.id,
            kind: c.kind,
            status: c.status,
            user_id: c.user_id,
            partner_token_id: c.partner_token_id,
            account: c.account.map(|a| RequestedAccount {
                display_name: a.display_name,
                role: a.role,
                organisation_id: a.organisation_id,
                active: a.active,
                password_reset: a.password_reset,
            }),
            summary: c.summary,
            requested_by: c.requested_by,
            requested_at: c.requested_at,
            decided_by: c.decided_by,
            decided_at: c.decided_at,
            decision_reason: c.decision_reason,
        }
    }
}

/// The answer of a request that waits for a second person: 202 with the change.
pub fn accepted(change: store::AccessChange) -> HttpResponse {
    let location = format!("/api/v1/access-changes/{}", change.id);
    HttpResponse::Accepted()
        .insert_header(("Location", location))
        .json(AccessChange::from(change))
}

/// The account as it will be once the change is confirmed.
#[derive(Debug, Serialize, ToSchema)]
pub struct RequestedAccount {
    pub display_name: String,
    pub role: Role,
    pub organisation_id: Option<i64>,
    pub active: bool,
    /// The administrator chose a new password; confirming applies it and makes the person set
    /// their own at next login. The password itself is never shown.
    pub password_reset: bool,
}
