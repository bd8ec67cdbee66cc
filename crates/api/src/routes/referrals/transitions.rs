//! Moving a referral through its status machine (send, accept, decline, complete, withdraw),
//! each side its own moves, and reading its dated history.

use crate::http::body::Json;
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpResponse};
use kim_domain::audit::{AuditObject, AuditVerb};
use kim_domain::referral::{
    check_referral_transition, ReferralMove, ReferralSide, ReferralStatus, SendingFacts,
};
use kim_store::consents;
use kim_store::error::expect_version;
use kim_store::referrals as store;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::auth::Caller;
use crate::case_access::audit;
use crate::error::error_sets as sets;
use crate::error::responses as err;
use crate::http::idempotency::{respond, Answer, IdempotencyKey};
use crate::http::precondition::IfMatch;
use crate::server::AppState;
use crate::views::referral::ReferralEvent;
use crate::ApiError;

use super::visibility::{read_visible, remembered, replayed_referral, today, visible};
use super::Referral;

/// A move of a referral to another status.
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"to": "declined", "reason": "Keine freien Plätze bis März"}))]
pub struct ReferralTransitionInput {
    pub to: ReferralStatus,
    /// Required to decline; an optional note otherwise.
    #[validate(length(max = 1000))]
    #[schema(max_length = 1000)]
    pub reason: Option<String>,
}

/// Change a referral's status
///
/// `draft → sent → accepted | declined`, `accepted → completed`, `sent → withdrawn`. The case
/// side sends and withdraws; the recipient's partner system (`referrals:write`) accepts,
/// declines (with a `reason`) and completes. The other side's move is 403; a move the state
/// machine does not allow is 409 naming the allowed ones; a decline without reason is 422.
/// Sending transfers data: without a valid consent of the client covering the recipient, the
/// purpose `referral` and every shared category it is 409 with problem type
/// `https://kim-api.example/problems/consent-missing` and `missing_categories`. Requires
/// `If-Match`; honours `Idempotency-Key` (a retry within `KIM_IDEMPOTENCY_TTL_HOURS` answers
/// like the first, with the referral as it is now and `Idempotent-Replayed: true`, and changes
/// nothing; the same key with another request is 422; an older key runs afresh).
/// Leaves a `referral.transition` audit event, and `referral.transfer` when sent.
///
/// **Who may call:** `case_manager` of the case (or deputy) for `sent` and `withdrawn`; partner
/// tokens with `referrals:write` of the recipient organisation for `accepted`, `declined` and
/// `completed`. Callers who may only read get 403; anyone else 404.
#[utoipa::path(tag = "Referrals", request_body = ReferralTransitionInput,
    params(("id" = i64, Path, description = "Referral id"),
        ("If-Match" = String, Header, description = "ETag of the version you saw"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response instead of moving again")),
    responses(
    (status = 200, description = "The referral in its new status", body = Referral, headers(("ETag" = String))),
    (status = 409, description = "Illegal move (`conflict`), or sending without covering consent (`consent-missing`, with `missing_categories`)", body = crate::error::Problem, content_type = "application/problem+json",
        example = json!({"type": "https://kim-api.example/problems/consent-missing", "title": "Consent missing",
            "status": 409, "detail": "no valid consent of the client releases residence_status to this organisation for this purpose",
            "missing_categories": ["residence_status"]})),
    (status = 400, response = err::BadRequest),
    (status = 401, response = err::Unauthorized),
    (status = 403, response = err::Forbidden),
    (status = 404, response = err::NotFound),
    (status = 412, response = err::PreconditionFailed),
    (status = 413, response = err::PayloadTooLarge),
    (status = 415, response = err::UnsupportedMediaType),
    (status = 422, response = err::Unprocessable),
    (status = 428, response = err::PreconditionRequired),
    (status = 503, response = err::Unavailable),
), security(("bearer" = [])))]
#[post("/referrals/{id}/transitions")]
pub async fn transition_referral(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    if_match: IfMatch,
    idempotency: IdempotencyKey,
    body: Json<ReferralTransitionInput>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let input = body.into_inner();
    let answer = state
        .db
        .write_with(caller, move |conn, who| {
            let current = store::find(conn, id)?;
            let shown = visible(conn, who, current.clone())?;
            let Some(side) = shown.access.acting_side() else {
                return Err(ApiError::Forbidden(
                    "you may read this referral but not change it".into(),
                ));
            };
            let expected = if_match.version()?;
            let fingerprint = idempotency.fingerprint(Some(expected), &input);
            if let Some(first) = idempotency.replay(conn, who, &fingerprint)? {
                return replayed_referral(conn, who, &first);
            }
            // The condition of the change before the change itself (as for gap steps): of
            // concurrent moves with one If-Match the losers get 412 whether they read the
            // referral before or after the winner committed, not 412 or 409 by timing.
            expect_version(current.version, expected)?;
            input.validate()?;
            let consents = consents::rules_of_client(conn, current.data.client_id)?;
            let change = check_referral_transition(
                &ReferralMove {
                    actor: side,
                    from: current.status,
                    to: input.to,
                    reason: input.reason.as_deref(),
                },
                &SendingFacts {
                    recipient_organisation_id: current.data.recipient_organisation_id,
                    shared_categories: &current.data.shared_categories,
                    consents: &consents,
                    today: today(),
                },
            )?;
            let moved = store::transition(conn, &who.actor(), id, expected, &change)?;
            let reference = shown.client_reference;
            audit(
                conn,
                who,
                AuditObject::Referral,
                AuditVerb::Transition,
                Some(id),
                Some(&reference),
            )?;
            if change.to == ReferralStatus::Sent && side == ReferralSide::Case {
                audit(
                    conn,
                    who,
                    AuditObject::Referral,
                    AuditVerb::Transfer,
                    Some(id),
                    Some(&reference),
                )?;
            }
            let shown = visible(conn, who, moved)?;
            let response = remembered(StatusCode::OK, fingerprint, &shown.referral);
            idempotency.remember(conn, who, &response)?;
            Ok(Answer {
                status: StatusCode::OK,
                version: shown.referral.version,
                body: shown.referral,
                replayed: false,
            })
        })
        .await?;
    respond(&answer, None)
}

/// Referral history
///
/// Every status change of the referral, oldest first, dated, with the side that made it.
/// Partner systems see who acted only by side. Leaves a `referral.read` audit event.
///
/// **Who may call:** as for reading the referral.
#[utoipa::path(tag = "Referrals", params(("id" = i64, Path, description = "Referral id")), responses(
    (status = 200, description = "The history, oldest first", body = Vec<ReferralEvent>),
    sets::ReadErrors,
), security(("bearer" = [])))]
#[get("/referrals/{id}/history")]
pub async fn referral_history(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<web::Json<Vec<ReferralEvent>>, ApiError> {
    let id = id.into_inner();
    let events = state
        .db
        .write_with_denied(caller, (AuditObject::Referral, id), move |conn, who| {
            let shown = read_visible(conn, who, id)?;
            let case_side = !shown.access.limited_to_consented_categories();
            let events = store::history(conn, id)?
                .into_iter()
                .map(|e| ReferralEvent {
                    from_status: e.from_status,
                    to_status: e.to_status,
                    reason: e.reason,
                    actor_kind: e.actor_kind,
                    actor_id: e.actor_id.filter(|_| case_side),
                    occurred_at: e.occurred_at,
                })
                .collect::<Vec<_>>();
            Ok::<_, ApiError>(events)
        })
        .await?;
    Ok(web::Json(events))
}
