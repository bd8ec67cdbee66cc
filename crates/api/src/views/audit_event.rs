//! An audit event as the API shows it, and the query that filters them.

use chrono::{DateTime, NaiveDate, Utc};
use kim_store::audit::{self as store, AuditFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::routes::trimmed;
use crate::{page_type, ApiError};

/// Protokolleintrag (audit event).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": 981, "occurred_at": "2026-11-25T10:00:00Z", "actor_kind": "user", "actor_id": 5,
    "actor_role": "case_manager", "action": "client.read", "object_type": "client", "object_id": "12",
    "client_id": 12, "client_reference": "K-2026-000012", "request_id": "9b2f6c1e-2a8f-4a51-9d0e-0a6a5f3b8c11",
    "client_request_id": "trace-123", "chain_seq": 977}))]
pub struct AuditEvent {
    pub id: i64,
    pub occurred_at: DateTime<Utc>,
    /// `user`, `partner` (a partner token) or `system` (the command line).
    pub actor_kind: String,
    /// The user id, or the partner token id.
    pub actor_id: Option<i64>,
    pub actor_role: Option<String>,
    /// `object.verb`, e.g. `client.read`, `referral.transition`.
    pub action: String,
    pub object_type: String,
    pub object_id: Option<String>,
    /// The internal id of the client concerned.
    pub client_id: Option<i64>,
    /// The client's pseudonymous reference as it is now (after an erasure: its replacement).
    pub client_reference: Option<String>,
    /// The server's own id of the request that caused the event.
    pub request_id: Option<String>,
    /// The `X-Request-Id` the caller sent, if any (the caller's claim, not the server's).
    pub client_request_id: Option<String>,
    /// Position in the tamper-evident hash chain; absent for a moment after a write, until the
    /// appender seals the event.
    pub chain_seq: Option<i64>,
}

impl From<store::AuditEvent> for AuditEvent {
    fn from(e: store::AuditEvent) -> Self {
        AuditEvent {
            id: e.id,
            occurred_at: kim_store::clock::to_utc(e.occurred_at),
            actor_kind: e.actor_kind,
            actor_id: e.actor_id,
            actor_role: e.actor_role,
            action: e.action,
            object_type: e.object_type,
            object_id: e.object_id,
            client_id: e.client_id,
            client_reference: e.client_reference,
            request_id: e.request_id,
            client_request_id: e.client_request_id,
            chain_seq: e.chain_seq,
        }
    }
}

page_type!(AuditEventPage, AuditEvent);

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Events of this user (or partner token, with `actor_kind=partner`).
    pub actor_id: Option<i64>,
    /// `user`, `partner` or `system`.
    pub actor_kind: Option<String>,
    /// Events concerning this client reference.
    pub client_reference: Option<String>,
    /// E.g. `client`, `case`, `referral`.
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    /// From this day on (inclusive).
    pub from: Option<NaiveDate>,
    /// Up to this day (inclusive).
    pub to: Option<NaiveDate>,
}

impl AuditQuery {
    pub fn into_filter(self) -> Result<AuditFilter, ApiError> {
        if let (Some(from), Some(to)) = (self.from, self.to) {
            if to < from {
                return Err(ApiError::rule("to", "must not be before 'from'"));
            }
        }
        Ok(AuditFilter {
            actor_id: self.actor_id,
            actor_kind: trimmed(self.actor_kind),
            client_id: None,
            client_reference: trimmed(self.client_reference),
            object_type: trimmed(self.object_type),
            object_id: trimmed(self.object_id),
            from: self.from.and_then(|d| d.and_hms_opt(0, 0, 0)),
            to: self
                .to
                .and_then(|d| d.succ_opt())
                .and_then(|d| d.and_hms_opt(0, 0, 0)),
        })
    }
}
