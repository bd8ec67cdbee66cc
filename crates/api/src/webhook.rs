//! Webhook delivery (issue 15 item 2): Standard Webhooks signatures, the URL check with the
//! network (resolve, check every address, connect to the checked one), and the worker that
//! fans outbox events out to subscriptions and sends them.
//!
//! The worker runs on the server's actix system beside the HTTP server; database work goes to
//! the blocking pool in short transactions, never across an HTTP call. It never touches the
//! request that caused an event: the event is already committed when the worker sees it.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use kim_domain::webhook::{self, AfterAttempt, Target, UrlRefusal};
use kim_store::webhooks::{self as store, Attempt, Claimed};
use rand::{Rng, RngCore};
use sha2::Sha256;
use tokio::sync::watch;

use crate::config::WebhookSettings;
use crate::db::Db;
use crate::routes::events::EventMessage;

/// The prefix of a webhook secret, as Standard Webhooks writes it.
pub const SECRET_PREFIX: &str = "whsec_";

/// A new secret: `whsec_` and the base64 of 32 random bytes.
pub fn generate_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{SECRET_PREFIX}{}", STANDARD.encode(bytes))
}

/// `v1,<base64 HMAC-SHA256>` over `{id}.{timestamp}.{body}` with the secret's bytes (the base64
/// after `whsec_`). `None` for a secret that is not of that form (never issued by this server).
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> Option<String> {
    let key = STANDARD.decode(secret.strip_prefix(SECRET_PREFIX)?).ok()?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).ok()?;
    mac.update(&webhook::signed_content(id, timestamp, body));
    Some(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

/// A checked URL and the addresses to connect to.
pub struct Resolved {
    pub target: Target,
    pub addresses: Vec<SocketAddr>,
}

/// Checks `raw` with the policy, resolves its host and checks every address.
pub async fn resolve(raw: &str, settings: &WebhookSettings) -> Result<Resolved, UrlRefusal> {
    let target = webhook::parse_target(raw, &settings.policy)?;
    let addresses: Vec<SocketAddr> = match target.host.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, target.port)],
        Err(_) => tokio::time::timeout(
            settings.timeout,
            tokio::net::lookup_host((target.host.as_str(), target.port)),
        )
        .await
        .map_err(|_| UrlRefusal::Unresolvable(format!("{} (timed out)", target.host)))?
        .map(|found| found.collect())
        .unwrap_or_default(),
    };
    let ips: Vec<IpAddr> = addresses.iter().map(SocketAddr::ip).collect();
    webhook::check_addresses(&target, &ips, &settings.policy)?;
    Ok(Resolved { target, addresses })
}

/// A client that connects only to the checked addresses (a second DNS answer cannot differ),
/// follows no redirect, and gives up after `timeout`.
fn client(resolved: &Resolved, timeout: Duration) -> Result<reqwest::Client, String> {
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(timeout)
        .timeout(timeout)
        .no_proxy()
        .user_agent("KIM-Webhooks/1");
    if resolved.target.host.parse::<IpAddr>().is_err() {
        builder = builder.resolve_to_addrs(&resolved.target.host, &resolved.addresses);
    }
    builder.build().map_err(|e| e.to_string())
}

/// At registration: the URL passes the checks and its receiver answers HTTP at all (any status;
/// a `HEAD` carries no event) within the timeout.
pub async fn check_at_registration(
    raw: &str,
    settings: &WebhookSettings,
) -> Result<(), UrlRefusal> {
    let resolved = resolve(raw, settings).await?;
    let client = client(&resolved, settings.timeout).map_err(UrlRefusal::Unreachable)?;
    client
        .head(resolved.target.url.clone())
        .send()
        .await
        .map(|_| ())
        .map_err(|e| UrlRefusal::Unreachable(describe(&e)))
}

fn describe(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        "no answer within the timeout".into()
    } else if error.is_connect() {
        "no connection could be made".into()
    } else if error.is_redirect() {
        "redirects are not followed".into()
    } else {
        "the connection failed before an HTTP answer".into()
    }
}

/// Sends one delivery: the URL checked again and connected to as checked, the event signed.
async fn send(claimed: &Claimed, settings: &WebhookSettings) -> Attempt {
    let started = Instant::now();
    let attempted_at = chrono::Utc::now();
    let outcome = async {
        let resolved = resolve(&claimed.url, settings)
            .await
            .map_err(|refusal| format!("url refused: {refusal}"))?;
        let client = client(&resolved, settings.timeout)?;
        let message = EventMessage::from(&claimed.event);
        let body = serde_json::to_vec(&message).map_err(|e| e.to_string())?;
        let timestamp = chrono::Utc::now().timestamp();
        let signature = sign(&claimed.secret, &message.id, timestamp, &body)
            .ok_or_else(|| "the stored secret is malformed".to_owned())?;
        let response = client
            .post(resolved.target.url.clone())
            .header("content-type", "application/json")
            .header("webhook-id", &message.id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(body)
            .send()
            .await
            .map_err(|e| describe(&e))?;
        Ok::<u16, String>(response.status().as_u16())
    }
    .await;
    let latency_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
    match outcome {
        Ok(status) => Attempt {
            attempted_at,
            status_code: Some(i32::from(status)),
            error: (!(200..300).contains(&status)).then(|| format!("answered {status}")),
            latency_ms,
        },
        Err(error) => Attempt {
            attempted_at,
            status_code: None,
            error: Some(error),
            latency_ms,
        },
    }
}

/// Events fanned out per subscription and pass.
const FAN_OUT_BATCH: i64 = 500;
/// Deliveries in flight at once (each to a different subscription).
const IN_FLIGHT: usize = 32;

/// The running worker; [`Worker::stop`] ends it.
pub struct Worker {
    stop: watch::Sender<bool>,
    task: actix_web::rt::task::JoinHandle<()>,
}

impl Worker {
    /// Starts the worker on the current actix system.
    pub fn start(db: Db, settings: WebhookSettings) -> Worker {
        let (stop, mut stopped) = watch::channel(false);
        let task = actix_web::rt::spawn(async move {
            // Each delivery is sent in a task of its own, so a receiver that answers slowly
            // (up to the timeout) holds up no other subscription's deliveries.
            let mut in_flight = tokio::task::JoinSet::new();
            loop {
                tokio::select! {
                    _ = stopped.changed() => break,
                    _ = tokio::time::sleep(settings.poll) => {}
                }
                while in_flight.try_join_next().is_some() {}
                let room = IN_FLIGHT.saturating_sub(in_flight.len());
                match claim(&db, &settings, room).await {
                    Ok(claimed) => {
                        for claimed in claimed {
                            let (db, settings) = (db.clone(), settings.clone());
                            in_flight.spawn_local(async move {
                                deliver(&db, &settings, claimed).await;
                            });
                        }
                    }
                    Err(error) => tracing::warn!(%error, "webhook pass failed; trying again"),
                }
            }
            // Let the attempts in flight be recorded; the caller bounds the wait.
            while in_flight.join_next().await.is_some() {}
        });
        Worker { stop, task }
    }

    /// Stops claiming and waits at most `grace` for the attempts in flight to be recorded; an
    /// attempt cut off keeps its lease, which expires, and it is sent again: at least once.
    pub async fn stop(self, grace: Duration) {
        let _ = self.stop.send(true);
        let _ = tokio::time::timeout(grace, self.task).await;
    }
}

/// New events become deliveries; then up to `room` due deliveries are leased (one per
/// subscription, the oldest pending).
async fn claim(
    db: &Db,
    settings: &WebhookSettings,
    room: usize,
) -> Result<Vec<Claimed>, crate::ApiError> {
    db.write(|conn| store::fan_out(conn, FAN_OUT_BATCH)).await?;
    if room == 0 {
        return Ok(Vec::new());
    }
    // The lease outlasts resolving and sending, so no other server takes the delivery while
    // this one may still be sending it.
    let lease = chrono::Duration::from_std(settings.timeout * 2 + Duration::from_secs(5))
        .unwrap_or(chrono::Duration::minutes(1));
    let limit = i64::try_from(room).unwrap_or(1);
    db.write(move |conn| store::claim(conn, lease, limit)).await
}

/// Sends one claimed delivery and records the attempt and what follows it.
async fn deliver(db: &Db, settings: &WebhookSettings, claimed: Claimed) {
    let attempt = send(&claimed, settings).await;
    let jitter: f64 = rand::rng().random_range(0.0..=1.0);
    let after = webhook::after_attempt(
        u32::try_from(claimed.attempts + 1).unwrap_or(u32::MAX),
        attempt.status_code.and_then(|s| u16::try_from(s).ok()),
        settings.retry_base,
        jitter,
    );
    if after != AfterAttempt::Delivered {
        tracing::info!(
            delivery = claimed.delivery_id,
            error = attempt.error.as_deref().unwrap_or(""),
            "webhook attempt failed"
        );
    }
    let delivery = claimed.delivery_id;
    if let Err(error) = db
        .write(move |conn| store::record_attempt(conn, &claimed, &attempt, after))
        .await
    {
        // The lease expires and the delivery is sent again: at least once.
        tracing::warn!(%error, delivery, "webhook attempt could not be recorded");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_whsec_and_32_bytes() {
        let secret = generate_secret();
        let bytes = STANDARD
            .decode(secret.strip_prefix(SECRET_PREFIX).expect("prefix"))
            .expect("base64");
        assert_eq!(bytes.len(), 32);
        assert_ne!(secret, generate_secret());
    }

    #[test]
    fn signatures_follow_standard_webhooks() {
        // The example of the Standard Webhooks specification (svix's reference libraries).
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body).as_deref(),
            Some("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        );
        assert_eq!(sign("no-prefix", "id", 1, body), None);
        assert_eq!(sign("whsec_???", "id", 1, body), None);
    }
}
