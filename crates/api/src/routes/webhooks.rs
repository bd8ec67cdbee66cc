//! Webhook subscriptions of partner tokens (issue 15 item 2): an administrator registers a URL
//! and event types for a token; the delivery worker (`crate::webhook`) pushes the token's
//! organisation's events there, signed as Standard Webhooks, and records every attempt.

use actix_web::{delete, get, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use kim_domain::event::{public_id, EventType};
use kim_domain::webhook::DeliveryStatus;
use kim_domain::Action;
use kim_store::webhooks::{self as store, NewSubscription};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Caller;
use crate::error::error_sets as sets;
use crate::error::responses as err;
use crate::http::body::Json;
use crate::http::paging::PageParams;
use crate::http::precondition::{created_versioned, ok_versioned, IfMatch};
use crate::routes::RouteTable;
use crate::server::AppState;
use crate::{page_type, webhook, ApiError};

pub fn configure(cfg: &mut impl RouteTable) {
    cfg.service(list_webhooks)
        .service(create_webhook)
        .service(get_webhook)
        .service(delete_webhook)
        .service(rotate_webhook_secret)
        .service(list_deliveries)
        .service(redeliver);
}

/// Webhook-Abonnement (webhook subscription) of a partner token: where its organisation's
/// events are pushed. The secret is shown only when issued or rotated.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 3, "partner_token_id": 1, "url": "https://fachverfahren.jobcenter.example/kim-events",
    "event_types": ["referral.sent", "consent.revoked"], "status": "active",
    "disabled_at": null, "disabled_reason": null, "version": 1,
    "created_at": "2026-11-30T08:00:00Z", "secret_rotated_at": null
}))]
pub struct WebhookSubscription {
    pub id: i64,
    pub partner_token_id: i64,
    pub url: String,
    pub event_types: Vec<EventType>,
    /// `active`, or `disabled` after repeated failed deliveries (register a new subscription
    /// once the receiver works again).
    #[schema(example = "active")]
    pub status: &'static str,
    pub disabled_at: Option<DateTime<Utc>>,
    pub disabled_reason: Option<String>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub secret_rotated_at: Option<DateTime<Utc>>,
}

impl From<store::Subscription> for WebhookSubscription {
    fn from(s: store::Subscription) -> Self {
        WebhookSubscription {
            id: s.id,
            partner_token_id: s.partner_token_id,
            url: s.url,
            event_types: s.event_types,
            status: if s.disabled_at.is_some() {
                "disabled"
            } else {
                "active"
            },
            disabled_at: s.disabled_at,
            disabled_reason: s.disabled_reason,
            version: s.version,
            created_at: s.created_at,
            secret_rotated_at: s.secret_rotated_at,
        }
    }
}

page_type!(WebhookSubscriptionPage, WebhookSubscription);

/// A subscription with its signing secret, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct IssuedWebhookSubscription {
    #[serde(flatten)]
    pub subscription: WebhookSubscription,
    /// `whsec_` and the base64 of 32 random bytes: verify `webhook-signature` with it (the
    /// HMAC-SHA256 key is the decoded bytes). It cannot be shown again.
    #[schema(example = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwJ0Xb8d2Lq3s=")]
    pub secret: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "url": "https://fachverfahren.jobcenter.example/kim-events",
    "event_types": ["referral.sent", "referral.withdrawn", "consent.revoked"]
}))]
pub struct NewWebhookInput {
    /// An `https` URL whose host resolves to public addresses only and answers HTTP; no user
    /// name or password, no fragment.
    #[schema(min_length = 1, max_length = 2000)]
    pub url: String,
    /// The event types to push (a set: a type listed twice is subscribed once); the token's scopes must let it see each
    /// (referral and consent events: `referrals:read` or `referrals:write`; intake request
    /// events: `intake:write`; residence-law request events: `residence_requests:read`).
    #[schema(min_items = 1)]
    pub event_types: Vec<EventType>,
}

/// Checks the types: at least one (422 `schema`), each seen by the token's scopes (422 `rule`).
/// They are a set: a type listed twice is subscribed once.
fn check_types(types: &mut Vec<EventType>, scopes: &[kim_domain::Scope]) -> Result<(), ApiError> {
    if types.is_empty() {
        return Err(ApiError::field(
            "event_types",
            "at least one event type is required",
        ));
    }
    let mut seen = Vec::with_capacity(types.len());
    types.retain(|t| {
        let first = !seen.contains(t);
        seen.push(*t);
        first
    });
    if let Some(unseen) = types.iter().find(|t| !t.visible_to(scopes)) {
        return Err(ApiError::rule(
            "event_types",
            format!(
                "the token's scopes do not see {unseen} events (it needs one of: {})",
                kim_domain::Scope::join(unseen.visible_with())
            ),
        ));
    }
    Ok(())
}

/// Register a webhook
///
/// Pushes the events of the token's organisation of the chosen types to `url` from now on,
/// signed as Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`), at
/// least once and in order, retried with backoff for about a day. The URL must be `https` and
/// resolve to public addresses only (not loopback, private, link-local, unique-local, CGNAT,
/// multicast or documentation ranges, nor IPv6 forms of them) unless the operator allow-listed
/// the host; it is resolved again at each delivery and never redirected. The receiver must
/// answer a `HEAD` (any status) within the timeout. A revoked or expired token's subscriptions
/// receive nothing, so registering one for it is a conflict (409). The answer carries the
/// signing secret once.
///
/// **Who may call:** `admin`.
#[utoipa::path(tag = "Webhooks", request_body = NewWebhookInput,
    params(("id" = i64, Path, description = "Partner token id")),
    responses(
    (status = 201, description = "Registered; the secret is in this response only", body = IssuedWebhookSubscription, headers(("Location" = String), ("ETag" = String))),
    (status = 400, response = err::BadRequest),
    (status = 401, response = err::Unauthorized),
    (status = 403, response = err::Forbidden),
    (status = 404, response = err::NotFound),
    (status = 409, response = err::Conflict),
    (status = 413, response = err::PayloadTooLarge),
    (status = 415, response = err::UnsupportedMediaType),
    (status = 422, response = err::Unprocessable),
    (status = 503, response = err::Unavailable),
), security(("bearer" = [])))]
#[post("/partner-tokens/{id}/webhooks")]
pub async fn create_webhook(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: Json<NewWebhookInput>,
) -> Result<HttpResponse, ApiError> {
    let caller = state.db.authenticate(caller).await?;
    caller.require(Action::ManagePartnerTokens)?;
    let token_id = id.into_inner();
    let mut input = body.into_inner();
    if input.url.is_empty() || input.url.chars().count() > 2000 {
        return Err(ApiError::field("url", "must be 1 to 2000 characters"));
    }
    let token = state
        .db
        .read(move |conn| store::token_scope(conn, token_id))
        .await?;
    if !token.receiving {
        return Err(ApiError::Conflict(
            "the token is revoked or expired: its subscriptions would receive nothing".into(),
        ));
    }
    check_types(&mut input.event_types, &token.scopes)?;
    webhook::check_at_registration(&input.url, &state.webhooks)
        .await
        .map_err(|refusal| ApiError::rule("url", refusal.to_string()))?;
    let actor = caller.actor();
    let new = NewSubscription {
        url: input.url,
        event_types: input.event_types,
        secret: webhook::generate_secret(),
    };
    let created = state
        .db
        .write(move |conn| store::create(conn, &actor, token_id, &new))
        .await?;
    let location = format!("/api/v1/partner-tokens/{token_id}/webhooks/{}", created.id);
    let version = created.version;
    let secret = created.secret.clone();
    let issued = IssuedWebhookSubscription {
        subscription: created.into(),
        secret,
    };
    let mut response = created_versioned(&issued, version, location);
    response.headers_mut().insert(
        actix_web::http::header::CACHE_CONTROL,
        actix_web::http::header::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

/// List a token's webhooks
///
/// Oldest first, without secrets.
///
/// **Who may call:** `admin`.
#[utoipa::path(tag = "Webhooks", params(("id" = i64, Path, description = "Partner token id"), PageParams), responses(
    (status = 200, description = "One page of the token's subscriptions", body = WebhookSubscriptionPage),
    sets::NestedListErrors,
), security(("bearer" = [])))]
#[get("/partner-tokens/{id}/webhooks")]
pub async fn list_webhooks(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    paging: web::Query<PageParams>,
) -> Result<web::Json<WebhookSubscriptionPage>, ApiError> {
    let page = paging.page()?;
    let token_id = id.into_inner();
    let webhook_subscriptions = state
        .db
        .read_as(caller, Action::ManagePartnerTokens, move |conn, _| {
            store::list(conn, token_id, page)
        })
        .await?;
    Ok(web::Json(WebhookSubscriptionPage::new(
        webhook_subscriptions,
        page,
    )))
}

/// Get a webhook
///
/// Without its secret; `status` says whether it was disabled after repeated failures, and why.
///
/// **Who may call:** `admin`.
#[utoipa::path(tag = "Webhooks", params(
    ("id" = i64, Path, description = "Partner token id"),
    ("wid" = i64, Path, description = "Subscription id")),
    responses(
    (status = 200, description = "The subscription", body = WebhookSubscription, headers(("ETag" = String))),
    sets::ReadErrors,
), security(("bearer" = [])))]
#[get("/partner-tokens/{id}/webhooks/{wid}")]
pub async fn get_webhook(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, ApiError> {
    let (token_id, id) = path.into_inner();
    let webhook_subscription = state
        .db
        .read_as(caller, Action::ManagePartnerTokens, move |conn, _| {
            store::find(conn, token_id, id)
        })
        .await?;
    let version = webhook_subscription.version;
    Ok(ok_versioned(
        &WebhookSubscription::from(webhook_subscription),
        version,
    ))
}

/// Delete a webhook
///
/// Stops pushing at once; its deliveries and their attempts are deleted with it. Requires
/// `If-Match`.
///
/// **Who may call:** `admin`.
#[utoipa::path(tag = "Webhooks", params(
    ("id" = i64, Path, description = "Partner token id"),
    ("wid" = i64, Path, description = "Subscription id"),
    ("If-Match" = String, Header, description = "ETag of the current version")),
    responses(
    (status = 204, description = "Deleted"),
    sets::DeleteErrors,
), security(("bearer" = [])))]
#[delete("/partner-tokens/{id}/webhooks/{wid}")]
pub async fn delete_webhook(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let (token_id, id) = path.into_inner();
    state
        .db
        .write_as(caller, Action::ManagePartnerTokens, move |conn, who| {
            let expected = if_match.version()?;
            let actor = who.actor();
            Ok(store::delete(conn, &actor, token_id, id, expected)?)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Rotate a webhook's secret
///
/// Issues a new secret, shown once in the answer; deliveries from now on are signed with it
/// only (the old one stops signing at once).
///
/// **Who may call:** `admin`.
#[utoipa::path(tag = "Webhooks", params(
    ("id" = i64, Path, description = "Partner token id"),
    ("wid" = i64, Path, description = "Subscription id")),
    responses(
    (status = 200, description = "The subscription with its new secret, in this response only", body = IssuedWebhookSubscription, headers(("ETag" = String))),
    sets::ReadErrors,
), security(("bearer" = [])))]
#[post("/partner-tokens/{id}/webhooks/{wid}/rotate-secret")]
pub async fn rotate_webhook_secret(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, ApiError> {
    let caller = state.db.authenticate(caller).await?;
    caller.require(Action::ManagePartnerTokens)?;
    let (token_id, id) = path.into_inner();
    let actor = caller.actor();
    let secret = webhook::generate_secret();
    let rotated = state
        .db
        .write(move |conn| store::rotate_secret(conn, &actor, token_id, id, &secret))
        .await?;
    let version = rotated.version;
    let secret = rotated.secret.clone();
    let issued = IssuedWebhookSubscription {
        subscription: rotated.into(),
        secret,
    };
    let mut response = ok_versioned(&issued, version);
    response.headers_mut().insert(
        actix_web::http::header::CACHE_CONTROL,
        actix_web::http::header::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

/// One attempt to deliver.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryAttempt {
    pub attempted_at: DateTime<Utc>,
    /// The receiver's HTTP status; `null` when it gave none (timeout, refused or closed
    /// connection, refused URL).
    #[schema(example = 500)]
    pub status_code: Option<i32>,
    /// Why the attempt did not succeed; `null` for a 2xx answer.
    #[schema(example = "answered 500")]
    pub error: Option<String>,
    #[schema(example = 42)]
    pub latency_ms: i64,
}

/// One event for one subscription, with every attempt.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 7, "event_id": "evt_41", "event_type": "referral.sent", "status": "delivered",
    "attempts": [
        {"attempted_at": "2026-11-30T08:15:01Z", "status_code": 500, "error": "answered 500", "latency_ms": 31},
        {"attempted_at": "2026-11-30T08:15:09Z", "status_code": 204, "error": null, "latency_ms": 18}],
    "next_attempt_at": null, "created_at": "2026-11-30T08:15:01Z", "updated_at": "2026-11-30T08:15:09Z"
}))]
pub struct WebhookDelivery {
    pub id: i64,
    /// The event's id, as in `webhook-id` and the feed.
    pub event_id: String,
    /// `null` only for a type this server version does not know.
    pub event_type: Option<EventType>,
    pub status: DeliveryStatus,
    /// Oldest first.
    pub attempts: Vec<DeliveryAttempt>,
    /// When the next attempt is due, while pending.
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<store::Delivery> for WebhookDelivery {
    fn from(d: store::Delivery) -> Self {
        WebhookDelivery {
            id: d.id,
            event_id: public_id(d.event_id),
            event_type: d.event_type,
            status: d.status,
            attempts: d
                .attempts
                .into_iter()
                .map(|a| DeliveryAttempt {
                    attempted_at: a.attempted_at,
                    status_code: a.status_code,
                    error: a.error,
                    latency_ms: a.latency_ms,
                })
                .collect(),
            next_attempt_at: d.next_attempt_at,
            created_at: d.created_at,
            updated_at: d.updated_at,
        }
    }
}

page_type!(WebhookDeliveryPage, WebhookDelivery);

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveryQuery {
    /// Only deliveries in this state.
    pub status: Option<DeliveryStatus>,
}

/// List a webhook's deliveries
///
/// Newest first, each with every attempt (time, HTTP status or error, latency) and, while
/// pending, the time of the next attempt.
///
/// **Who may call:** `admin`.
#[utoipa::path(tag = "Webhooks", params(
    ("id" = i64, Path, description = "Partner token id"),
    ("wid" = i64, Path, description = "Subscription id"),
    PageParams, DeliveryQuery),
    responses(
    (status = 200, description = "One page of deliveries", body = WebhookDeliveryPage),
    sets::NestedListErrors,
), security(("bearer" = [])))]
#[get("/partner-tokens/{id}/webhooks/{wid}/deliveries")]
pub async fn list_deliveries(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
    paging: web::Query<PageParams>,
    query: web::Query<DeliveryQuery>,
) -> Result<web::Json<WebhookDeliveryPage>, ApiError> {
    let page = paging.page()?;
    let (token_id, id) = path.into_inner();
    let status = query.status;
    let webhook_deliveries = state
        .db
        .read_as(caller, Action::ManagePartnerTokens, move |conn, _| {
            store::deliveries(conn, token_id, id, status, page)
        })
        .await?;
    Ok(web::Json(WebhookDeliveryPage::new(
        webhook_deliveries,
        page,
    )))
}

/// Redeliver an event
///
/// Queues a delivered or failed delivery again, with the same event id (receivers drop
/// duplicates by `webhook-id`) and a new round of retries. 409 while it is still pending or
/// when the subscription is disabled.
///
/// **Who may call:** `admin`.
#[utoipa::path(tag = "Webhooks", params(
    ("id" = i64, Path, description = "Partner token id"),
    ("wid" = i64, Path, description = "Subscription id"),
    ("did" = i64, Path, description = "Delivery id")),
    responses(
    (status = 202, description = "Queued again", body = WebhookDelivery),
    (status = 400, response = err::BadRequest),
    (status = 401, response = err::Unauthorized),
    (status = 403, response = err::Forbidden),
    (status = 404, response = err::NotFound),
    (status = 409, response = err::Conflict),
    (status = 503, response = err::Unavailable),
), security(("bearer" = [])))]
#[post("/partner-tokens/{id}/webhooks/{wid}/deliveries/{did}/redeliver")]
pub async fn redeliver(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64, i64)>,
) -> Result<HttpResponse, ApiError> {
    let (token_id, id, delivery_id) = path.into_inner();
    let queued = state
        .db
        .write_as(caller, Action::ManagePartnerTokens, move |conn, who| {
            let actor = who.actor();
            Ok(store::redeliver(conn, &actor, token_id, id, delivery_id)?)
        })
        .await?;
    Ok(HttpResponse::Accepted().json(WebhookDelivery::from(queued)))
}
