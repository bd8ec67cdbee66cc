//! The audit trail, for the data protection officer: who accessed which personal data when,
//! and whether the hash chain still holds. Append-only: there is no endpoint to change or
//! delete an event.

use crate::routes::RouteTable;
use actix_web::{get, web};
use kim_domain::Action;
use kim_store::audit as store;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::error_sets as sets;
use crate::http::paging::PageParams;
use crate::server::AppState;
use crate::views::audit_event::{AuditEventPage, AuditQuery};
use crate::ApiError;

pub fn configure(cfg: &mut impl RouteTable) {
    cfg.service(list_audit_events).service(verify_audit_trail);
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
