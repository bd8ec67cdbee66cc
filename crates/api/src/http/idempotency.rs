//! `Idempotency-Key` on POSTs that create or move something a client may retry (a referral, an
//! intake request, a gap contribution): the first answer is remembered and a retry with the
//! same key and request gets it again, marked `Idempotent-Replayed: true`. What is kept and for
//! how long is [`kim_domain::idempotency`]'s.

use std::future::{ready, Ready};

use actix_web::dev::Payload;
use actix_web::http::{header, Method, StatusCode};
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use chrono::Utc;
use kim_domain::idempotency::replayable;
use kim_store::referrals::{self, RememberedResponse};
use kim_store::DbConn;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::auth::Authenticated;
use crate::http::precondition::etag;
use crate::server::AppState;
use crate::ApiError;

/// `Idempotency-Key` of a POST: at most 255 visible ASCII characters. A first answer is
/// replayed for `KIM_IDEMPOTENCY_TTL_HOURS`; what is kept for it and why is in
/// [`kim_domain::idempotency`].
#[derive(Debug, Clone)]
pub struct IdempotencyKey {
    key: Option<String>,
    method: Method,
    path: String,
    ttl: chrono::Duration,
}

impl FromRequest for IdempotencyKey {
    type Error = ApiError;
    type Future = Ready<Result<IdempotencyKey, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let key = match req.headers().get("idempotency-key") {
            None => Ok(None),
            // Exactly the document's pattern (`^[!-~]{1,255}$`).
            Some(value) => match value.to_str() {
                Ok(v)
                    if (1..=255).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_graphic()) =>
                {
                    Ok(Some(v.to_owned()))
                }
                _ => Err(ApiError::field(
                    "Idempotency-Key",
                    "must be 1 to 255 visible ASCII characters, e.g. a UUID",
                )),
            },
        };
        let ttl = req
            .app_data::<web::Data<AppState>>()
            .map(|state| state.idempotency_ttl)
            .unwrap_or_else(|| chrono::Duration::hours(24));
        ready(key.map(|key| IdempotencyKey {
            key,
            method: req.method().clone(),
            path: req.path().to_owned(),
            ttl,
        }))
    }
}

impl IdempotencyKey {
    pub fn fingerprint(&self, if_match: Option<i32>, body: &impl Serialize) -> String {
        let body = serde_json::to_string(body).unwrap_or_default();
        let text = format!("{} {} {:?} {}", self.method, self.path, if_match, body);
        hex::encode(Sha256::digest(text.as_bytes()))
    }

    /// The remembered first response to this key, or 422 when the key was used for another
    /// request. A key older than the time to live is forgotten: the request runs afresh.
    pub fn replay(
        &self,
        conn: &mut DbConn,
        who: &Authenticated,
        fingerprint: &str,
    ) -> Result<Option<RememberedResponse>, ApiError> {
        let Some(key) = &self.key else {
            return Ok(None);
        };
        match referrals::remembered(conn, &who.actor(), key)? {
            Some(first) if !replayable(first.answered_at, Utc::now(), self.ttl) => {
                referrals::forget(conn, &who.actor(), key)?;
                Ok(None)
            }
            Some(first) if first.response.fingerprint != fingerprint => Err(ApiError::rule(
                "Idempotency-Key",
                "was already used for a different request; use a new key for a new request",
            )),
            other => Ok(other.map(|first| first.response)),
        }
    }

    pub fn remember(
        &self,
        conn: &mut DbConn,
        who: &Authenticated,
        response: &RememberedResponse,
    ) -> Result<(), ApiError> {
        if let Some(key) = &self.key {
            referrals::remember(conn, &who.actor(), key, response).map_err(|e| match e {
                // The same key arrived twice at once (a client's retry, perhaps through another
                // server behind the load balancer) and the other request committed first: this
                // one rolls back, and its retry replays the first answer.
                kim_store::StoreError::Duplicate { .. } => ApiError::Conflict(
                    "a request with this Idempotency-Key was being processed at the same time;                      retry it to get its answer"
                        .into(),
                ),
                other => other.into(),
            })?;
        }
        Ok(())
    }
}

/// The answer to a POST that honours `Idempotency-Key`, first or replayed: the object as the
/// caller may see it now, with its `ETag` (and `Location` when created).
pub struct Answer<T> {
    pub status: StatusCode,
    pub body: T,
    pub version: i32,
    pub replayed: bool,
}

/// A JSON response with the object's `ETag`; `Idempotent-Replayed: true` on a replay.
pub fn respond<T: Serialize>(
    answer: &Answer<T>,
    location: Option<String>,
) -> Result<HttpResponse, ApiError> {
    let body = serde_json::to_string(&answer.body)
        .map_err(|e| ApiError::Internal(format!("answer as JSON: {e}")))?;
    let mut builder = HttpResponse::build(answer.status);
    builder.insert_header((header::CONTENT_TYPE, "application/json"));
    builder.insert_header((header::ETAG, etag(answer.version)));
    if let Some(location) = location {
        builder.insert_header((header::LOCATION, location));
    }
    if answer.replayed {
        builder.insert_header(("Idempotent-Replayed", "true"));
    }
    Ok(builder.body(body))
}
