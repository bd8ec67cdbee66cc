//! The audit trail, for the data protection officer: who accessed which personal data when,
//! and whether the hash chain still holds. Append-only: there is no endpoint to change or
//! delete an event.

use crate::routes::RouteTable;
use actix_web::{get, web};
use chrono::{DateTime, NaiveDate, Utc};
use kim_domain::Action;
use kim_store::audit::{self as store, AuditFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::trimmed;
use crate::auth::Caller;
use crate::error::error_sets as sets;
use crate::http::paging::PageParams;
use crate::server::AppState;
use crate::{page_type, ApiError};

pub fn configure(cfg: &mut impl RouteTable) {
    cfg.service(list_audit_events).service(verify_audit_trail);
}

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

/// List audit events
///
/// The audit trail of every access to personal data, newest first, filtered by actor, client,
/// object and period. Events cannot be changed or deleted.
///
/// **Who may call:** `data_protection_officer`.
#[utoipa::path(tag = "Audit", params(PageParams, AuditQuery), responses(
    (status = 200, description = "One page of audit events", body = AuditEventPage),
    sets::ListErrors,
), security(("bearer" = [])))]
#[get("/audit-events")]
pub async fn list_audit_events(
    caller: Caller,
    state: web::Data<AppState>,
    paging: web::Query<PageParams>,
    query: web::Query<AuditQuery>,
) -> Result<web::Json<AuditEventPage>, ApiError> {
    let page = paging.page()?;
    let filter = query.into_inner().into_filter()?;
    state
        .db
        .read_as(caller, Action::ReadAuditTrail, move |conn, _| {
            Ok::<_, ApiError>(AuditEventPage::new(store::list(conn, &filter, page)?, page))
        })
        .await
        .map(web::Json)
}

/// The result of walking the audit trail's hash chain.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"intact": false, "checked": 1204, "unsealed": 2, "anchor_seq": null,
    "head_seq": 1203, "head_hash": "3f1c…", "first_broken": {"id": 1250, "chain_seq": 1204,
    "reason": "hash does not match the event's content and its predecessor"}}))]
pub struct AuditVerification {
    /// Whether every sealed event's hash matches its content and predecessor.
    pub intact: bool,
    /// How many sealed events were checked.
    pub checked: u64,
    /// Events written moments ago and not yet sealed into the chain.
    pub unsealed: u64,
    /// The chain starts after this sequence number (earlier events were removed by the
    /// retention rule, leaving an anchor); `null` when it starts at the beginning.
    pub anchor_seq: Option<i64>,
    /// The last verified link: keep it; a later verification whose head lies before it means
    /// the newest events were removed.
    pub head_seq: i64,
    pub head_hash: String,
    /// The first event at which the chain does not hold.
    pub first_broken: Option<BrokenLink>,
}

/// Where the chain breaks.
#[derive(Debug, Serialize, ToSchema)]
pub struct BrokenLink {
    /// The audit event's id.
    pub id: i64,
    pub chain_seq: i64,
    pub reason: String,
}

impl From<store::Verification> for AuditVerification {
    fn from(v: store::Verification) -> Self {
        AuditVerification {
            intact: v.first_broken.is_none(),
            checked: v.checked,
            unsealed: v.unsealed,
            anchor_seq: v.anchor_seq,
            head_seq: v.head.seq,
            head_hash: v.head.hash,
            first_broken: v.first_broken.map(|b| BrokenLink {
                id: b.id,
                chain_seq: b.chain_seq,
                reason: b.reason,
            }),
        }
    }
}

/// Verify the audit trail
///
/// Walks the hash chain of the audit trail from its start (or the anchor left by the retention
/// rule), recomputing every event's SHA-256 hash over its content and its predecessor's hash,
/// and names the first event that does not match (an event edited, removed or inserted
/// directly in the database). Reads only; the same check as `kim audit verify` on the server.
/// A broken chain is still a 200 answer: the finding is the result.
///
/// **Who may call:** `data_protection_officer`.
#[utoipa::path(tag = "Audit", responses(
    (status = 200, description = "The result of the verification", body = AuditVerification),
    sets::ComputeErrors,
), security(("bearer" = [])))]
#[get("/audit-events/verification")]
pub async fn verify_audit_trail(
    caller: Caller,
    state: web::Data<AppState>,
) -> Result<web::Json<AuditVerification>, ApiError> {
    state
        .db
        .read_as(caller, Action::ReadAuditTrail, move |conn, _| {
            Ok::<_, ApiError>(AuditVerification::from(store::verify(conn)?))
        })
        .await
        .map(web::Json)
}
