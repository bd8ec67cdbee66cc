//! Webhooks (issue 15 item 2): subscriptions of partner tokens, the SSRF guard on their URLs,
//! signed delivery to a real receiver on 127.0.0.1, retries in order, every attempt recorded,
//! redelivery and secret rotation.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use kim_tests::{assert_problem, error_fields, Method, StatusCode, TestApp};
use serde_json::{json, Value};
use sha2::Sha256;

use crate::events::sent_referral;
use crate::referrals::{organisation, JOBCENTER};

/// Fast and loopback-friendly delivery for every server of this file.
const FAST: &[(&str, &str)] = &[
    ("KIM_WEBHOOK_ALLOW_HTTP_LOOPBACK", "true"),
    ("KIM_WEBHOOK_POLL_MILLIS", "50"),
    ("KIM_WEBHOOK_RETRY_BASE_MILLIS", "20"),
    ("KIM_WEBHOOK_TIMEOUT_SECONDS", "2"),
];

kim_tests::backend_tests_with!(super::FAST;
    a_sent_referral_reaches_the_jobcenter_signed,
    failures_are_retried_in_order_and_every_attempt_recorded,
    unsafe_urls_are_refused_and_change_nothing,
    only_administrators_manage_webhooks_of_existing_tokens,
    bad_input_is_refused_with_its_kind,
    a_rotated_secret_signs_alone,
    deliveries_are_redelivered_once_done,
    deleting_needs_the_current_version,
    revoked_tokens_receive_nothing,
    a_revoked_consent_is_pushed_and_the_next_read_refused,
);

/// Retries in milliseconds: a delivery fails for good within seconds.
const FASTEST: &[(&str, &str)] = &[
    ("KIM_WEBHOOK_ALLOW_HTTP_LOOPBACK", "true"),
    ("KIM_WEBHOOK_POLL_MILLIS", "10"),
    ("KIM_WEBHOOK_RETRY_BASE_MILLIS", "1"),
    ("KIM_WEBHOOK_TIMEOUT_SECONDS", "2"),
    ("KIM_METRICS_BIND", "127.0.0.1:0"),
];

mod fastest {
    use super::*;
    kim_tests::backend_tests_with!(super::FASTEST;
        failed_deliveries_in_a_row_disable_the_subscription,
    );
}

/// Several servers on one PostgreSQL database: a second server with its own worker.
mod two_servers {
    #[actix_web::test]
    async fn each_delivery_is_sent_by_one_of_two_servers() {
        let Some(app) =
            kim_tests::TestApp::spawn_with(kim_store::Backend::Postgres, super::FAST).await
        else {
            eprintln!("skipped: KIM_TEST_POSTGRES_URL is not set");
            return;
        };
        super::each_delivery_is_sent_by_one_of_two_servers(app).await;
    }
}

mod without_loopback {
    use super::*;
    kim_tests::backend_tests!(loopback_is_refused_without_the_flag);
}

/// What the receiver answers to the next POST.
#[derive(Debug, Clone, Copy)]
enum Reply {
    Status(u16),
    /// Close the connection without an answer.
    Close,
}

#[derive(Debug, Clone)]
struct Received {
    id: String,
    timestamp: String,
    signature: String,
    body: Vec<u8>,
}

/// A receiver on 127.0.0.1: answers HEAD with 200, POSTs with the scripted replies (then 204),
/// and records every POST.
struct Receiver {
    port: u16,
    received: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    fn start(script: Vec<Reply>) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("address").port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let script = Arc::new(Mutex::new(script.into_iter()));
        let log = received.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (log, script) = (log.clone(), script.clone());
                std::thread::spawn(move || serve(stream, &log, &script));
            }
        });
        Receiver { port, received }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hook", self.port)
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().expect("lock").clone()
    }

    /// Waits (polling, at most 15 s) until `n` POSTs arrived.
    async fn wait_for(&self, n: usize) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            assert!(
                Instant::now() < deadline,
                "{} of {n} requests arrived",
                got.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

fn serve(
    mut stream: TcpStream,
    log: &Mutex<Vec<Received>>,
    script: &Mutex<std::vec::IntoIter<Reply>>,
) {
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    let header_end = loop {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => data.extend_from_slice(&buf[..n]),
        }
        if let Some(at) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
    };
    let head = String::from_utf8_lossy(&data[..header_end]).to_string();
    let header = |name: &str| {
        head.lines()
            .find_map(|line| {
                let (key, value) = line.split_once(':')?;
                key.trim()
                    .eq_ignore_ascii_case(name)
                    .then(|| value.trim().to_owned())
            })
            .unwrap_or_default()
    };
    let length: usize = header("content-length").parse().unwrap_or(0);
    while data.len() < header_end + length {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => data.extend_from_slice(&buf[..n]),
        }
    }
    let answer = |stream: &mut TcpStream, status: u16| {
        let _ = stream.write_all(
            format!("HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                .as_bytes(),
        );
    };
    if head.starts_with("HEAD ") {
        answer(&mut stream, 200);
        return;
    }
    let reply = script
        .lock()
        .expect("lock")
        .next()
        .unwrap_or(Reply::Status(204));
    log.lock().expect("lock").push(Received {
        id: header("webhook-id"),
        timestamp: header("webhook-timestamp"),
        signature: header("webhook-signature"),
        body: data[header_end..header_end + length].to_vec(),
    });
    match reply {
        Reply::Status(status) => answer(&mut stream, status),
        Reply::Close => {
            let _ = stream.shutdown(std::net::Shutdown::Both);
        }
    }
}

/// Verifies a Standard Webhooks signature with `secret`, independently of the server's code.
fn verifies(received: &Received, secret: &str) -> bool {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").expect("whsec_ prefix"))
        .expect("base64 secret");
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("key");
    mac.update(received.id.as_bytes());
    mac.update(b".");
    mac.update(received.timestamp.as_bytes());
    mac.update(b".");
    mac.update(&received.body);
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    received
        .signature
        .split(' ')
        .any(|candidate| candidate == expected)
}

fn body_of(received: &Received) -> Value {
    serde_json::from_slice(&received.body).expect("JSON body")
}

/// A Jobcenter token with `scopes`: (id, secret).
async fn jobcenter_token(app: &TestApp, scopes: Value) -> (i64, String) {
    let organisation_id = organisation(app, JOBCENTER).await;
    let issued = app
        .issue_partner_token(
            &json!({"name": "Fachverfahren", "organisation_id": organisation_id,
            "scopes": scopes, "expires_in_days": 30}),
        )
        .await;
    (
        issued["id"].as_i64().expect("id"),
        issued["secret"].as_str().expect("secret").to_owned(),
    )
}

async fn subscribe(app: &TestApp, token_id: i64, url: &str, types: Value) -> reqwest::Response {
    let admin = app.token("admin").await;
    app.post(
        &format!("/api/v1/partner-tokens/{token_id}/webhooks"),
        &admin,
        &json!({"url": url, "event_types": types}),
    )
    .await
}

/// A registered subscription: (id, secret).
async fn subscribed(app: &TestApp, token_id: i64, url: &str) -> (i64, String) {
    let response = subscribe(
        app,
        token_id,
        url,
        json!(["referral.sent", "referral.withdrawn"]),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.expect("json");
    (
        body["id"].as_i64().expect("id"),
        body["secret"].as_str().expect("secret").to_owned(),
    )
}

async fn deliveries(app: &TestApp, token_id: i64, id: i64, query: &str) -> Value {
    let admin = app.token("admin").await;
    let response = app
        .get(
            &format!("/api/v1/partner-tokens/{token_id}/webhooks/{id}/deliveries{query}"),
            &admin,
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.expect("json")
}

/// Waits (polling, at most 15 s) until the subscription has no pending delivery left.
async fn settled(app: &TestApp, token_id: i64, id: i64) -> Value {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let pending = deliveries(app, token_id, id, "?status=pending").await;
        if pending["total"] == 0 {
            return deliveries(app, token_id, id, "").await;
        }
        assert!(Instant::now() < deadline, "still pending: {pending}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn list_count(app: &TestApp, token_id: i64) -> i64 {
    let admin = app.token("admin").await;
    let response = app
        .get(
            &format!("/api/v1/partner-tokens/{token_id}/webhooks"),
            &admin,
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let page: Value = response.json().await.expect("json");
    page["total"].as_i64().expect("total")
}

async fn a_sent_referral_reaches_the_jobcenter_signed(app: TestApp) {
    let receiver = Receiver::start(vec![]);
    let (token_id, _) = jobcenter_token(&app, json!(["referrals:read"])).await;
    // A set: listed twice, subscribed once.
    let response = subscribe(
        &app,
        token_id,
        &receiver.url(),
        json!(["referral.sent", "referral.sent"]),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert!(response.headers().get("location").is_some());
    let created: Value = response.json().await.expect("json");
    let secret = created["secret"].as_str().expect("secret").to_owned();
    let secret_bytes = STANDARD
        .decode(secret.strip_prefix("whsec_").expect("whsec_"))
        .expect("base64");
    assert!((24..=32).contains(&secret_bytes.len()));
    assert_eq!(created["status"], "active");
    assert_eq!(created["event_types"], json!(["referral.sent"]));
    let id = created["id"].as_i64().expect("id");

    // The secret is shown once.
    let admin = app.token("admin").await;
    let got: Value = app
        .get(
            &format!("/api/v1/partner-tokens/{token_id}/webhooks/{id}"),
            &admin,
        )
        .await
        .json()
        .await
        .expect("json");
    assert!(got.get("secret").is_none(), "{got}");
    assert_eq!(got["url"], receiver.url());
    assert_eq!(list_count(&app, token_id).await, 1);

    let cm = app.token("case_manager").await;
    let jobcenter = organisation(&app, JOBCENTER).await;
    let (referral, _, _, _) = sent_referral(&app, &cm, jobcenter).await;
    let received = receiver.wait_for(1).await;
    let push = &received[0];
    assert!(verifies(push, &secret), "signature {push:?}");
    assert!(!verifies(push, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));
    let body = body_of(push);
    assert_eq!(body["type"], "referral.sent");
    assert_eq!(body["id"], push.id.as_str());
    assert_eq!(body["data"]["id"], referral);
    assert_eq!(body["data"]["url"], format!("/api/v1/referrals/{referral}"));
    let timestamp: i64 = push.timestamp.parse().expect("unix seconds");
    assert!((chrono::Utc::now().timestamp() - timestamp).abs() < 60);

    // The same event in the feed: one shape for both.
    let listed = settled(&app, token_id, id).await;
    assert_eq!(listed["total"], 1);
    let delivery = &listed["items"][0];
    assert_eq!(delivery["status"], "delivered");
    assert_eq!(delivery["event_id"], push.id.as_str());
    assert_eq!(delivery["event_type"], "referral.sent");
    let attempts = delivery["attempts"].as_array().expect("attempts");
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0]["status_code"], 204);
    assert!(attempts[0]["latency_ms"].as_i64().is_some());
}

async fn a_revoked_consent_is_pushed_and_the_next_read_refused(app: TestApp) {
    let receiver = Receiver::start(vec![]);
    let (token_id, partner) = jobcenter_token(&app, json!(["referrals:read"])).await;
    let response = subscribe(
        &app,
        token_id,
        &receiver.url(),
        json!(["referral.sent", "consent.revoked"]),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let secret = response.json::<Value>().await.expect("json")["secret"]
        .as_str()
        .expect("secret")
        .to_owned();
    let cm = app.token("case_manager").await;
    let jobcenter = organisation(&app, JOBCENTER).await;
    let (referral, _, client, consent) = sent_referral(&app, &cm, jobcenter).await;
    let path = format!("/api/v1/referrals/{referral}");
    assert_eq!(app.get(&path, &partner).await.status(), StatusCode::OK);

    let response = app
        .post(
            &format!("/api/v1/clients/{client}/consents/{consent}/revocation"),
            &cm,
            &json!({}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let received = receiver.wait_for(2).await;
    let revoked = &received[1];
    assert!(verifies(revoked, &secret), "signature {revoked:?}");
    let body = body_of(revoked);
    assert_eq!(body["type"], "consent.revoked");
    assert_eq!(body["data"]["object"], "consent");
    assert_eq!(body["data"]["id"], consent);
    assert_eq!(
        body["data"]["related"],
        json!([{"object": "referral", "id": referral, "url": path}])
    );
    // The push carries no personal data, and the partner's next read is refused.
    assert!(!String::from_utf8_lossy(&revoked.body).contains("Amina"));
    assert_eq!(
        app.get(&path, &partner).await.status(),
        StatusCode::NOT_FOUND
    );
}

async fn failures_are_retried_in_order_and_every_attempt_recorded(app: TestApp) {
    let receiver = Receiver::start(vec![Reply::Status(500), Reply::Close]);
    let (token_id, _) = jobcenter_token(&app, json!(["referrals:read"])).await;
    let (id, secret) = subscribed(&app, token_id, &receiver.url()).await;
    let cm = app.token("case_manager").await;
    let jobcenter = organisation(&app, JOBCENTER).await;
    let (first, _, _, _) = sent_referral(&app, &cm, jobcenter).await;
    let (second, _, _, _) = sent_referral(&app, &cm, jobcenter).await;

    let received = receiver.wait_for(4).await;
    let objects: Vec<i64> = received
        .iter()
        .map(|r| body_of(r)["data"]["id"].as_i64().expect("id"))
        .collect();
    // The second event waits until the first is delivered.
    assert_eq!(objects, [first, first, first, second]);
    assert!(received.iter().all(|r| verifies(r, &secret)));
    assert_eq!(received[0].id, received[2].id, "a retry keeps the event id");

    let listed = settled(&app, token_id, id).await;
    assert_eq!(listed["total"], 2);
    let items = listed["items"].as_array().expect("items");
    // Newest first.
    assert_eq!(items[1]["event_id"], received[0].id.as_str());
    assert_eq!(items[1]["status"], "delivered");
    let attempts = items[1]["attempts"].as_array().expect("attempts");
    assert_eq!(attempts.len(), 3, "{attempts:?}");
    assert_eq!(attempts[0]["status_code"], 500);
    assert_eq!(attempts[1]["status_code"], Value::Null);
    assert!(attempts[1]["error"].as_str().is_some());
    assert_eq!(attempts[2]["status_code"], 204);
    assert_eq!(items[0]["attempts"].as_array().expect("attempts").len(), 1);
    // Delivered once: no further request arrives for the first event.
    assert_eq!(receiver.received().len(), 4);
    let delivered = deliveries(&app, token_id, id, "?status=delivered").await;
    assert_eq!(delivered["total"], 2);
    let failed = deliveries(&app, token_id, id, "?status=failed").await;
    assert_eq!(failed["total"], 0);
}

async fn unsafe_urls_are_refused_and_change_nothing(app: TestApp) {
    let (token_id, _) = jobcenter_token(&app, json!(["referrals:read"])).await;
    // A port nothing listens on: bound, then released.
    let closed = {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("address").port()
    };
    for (url, reason) in [
        ("http://10.0.0.1/".to_owned(), "10.0.0.1"),
        ("https://10.0.0.1/".to_owned(), "private"),
        (
            "https://169.254.169.254/latest/meta-data".to_owned(),
            "link-local",
        ),
        ("https://[fe80::1]/".to_owned(), "link-local"),
        ("https://[fd00::1]/".to_owned(), "unique-local"),
        ("https://[::ffff:10.0.0.1]/".to_owned(), "private"),
        ("https://100.64.0.1/".to_owned(), "carrier-grade"),
        ("https://0.0.0.0/".to_owned(), "unspecified"),
        ("https://224.0.0.1/".to_owned(), "multicast"),
        ("https://192.0.2.1/".to_owned(), "documentation"),
        ("ftp://127.0.0.1/".to_owned(), "https"),
        ("http://user:pw@127.0.0.1:1/".to_owned(), "user name"),
        ("https://127.0.0.1/#x".to_owned(), "fragment"),
        ("not a url".to_owned(), "absolute"),
        (format!("http://localhost:{closed}/"), "unreachable"),
        // `.invalid` never resolves (RFC 6761).
        (
            "https://kim-webhooks.invalid/".to_owned(),
            "does not resolve",
        ),
    ] {
        let problem = assert_problem(
            subscribe(&app, token_id, &url, json!(["referral.sent"])).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(error_fields(&problem), ["url"], "{url}: {problem}");
        assert_eq!(problem["errors"][0]["kind"], "rule", "{url}");
        let message = problem["errors"][0]["message"].as_str().expect("message");
        assert!(message.contains(reason), "{url}: {message}");
    }
    assert_eq!(list_count(&app, token_id).await, 0);
}

async fn loopback_is_refused_without_the_flag(app: TestApp) {
    let receiver = Receiver::start(vec![]);
    let (token_id, _) = jobcenter_token(&app, json!(["referrals:read"])).await;
    for url in [
        format!("https://[::1]:{}/", receiver.port),
        format!("https://localhost:{}/", receiver.port),
        format!("https://127.0.0.1:{}/", receiver.port),
        receiver.url(),
    ] {
        let problem = assert_problem(
            subscribe(&app, token_id, &url, json!(["referral.sent"])).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(error_fields(&problem), ["url"], "{url}");
    }
    assert_eq!(list_count(&app, token_id).await, 0);
    assert!(receiver.received().is_empty());
}

async fn only_administrators_manage_webhooks_of_existing_tokens(app: TestApp) {
    let receiver = Receiver::start(vec![]);
    let (token_id, partner_secret) = jobcenter_token(&app, json!(["referrals:read"])).await;
    let (other_id, _) = jobcenter_token(&app, json!(["referrals:write"])).await;
    let (id, _) = subscribed(&app, token_id, &receiver.url()).await;
    let body = json!({"url": receiver.url(), "event_types": ["referral.sent"]});
    let base = format!("/api/v1/partner-tokens/{token_id}/webhooks");
    let one = format!("{base}/{id}");
    for role in ["analyst", "case_manager"] {
        let token = app.token(role).await;
        assert_problem(app.post(&base, &token, &body).await, StatusCode::FORBIDDEN).await;
        assert_problem(app.get(&base, &token).await, StatusCode::FORBIDDEN).await;
        assert_problem(app.get(&one, &token).await, StatusCode::FORBIDDEN).await;
        assert_problem(
            app.delete(&one, &token, Some(1)).await,
            StatusCode::FORBIDDEN,
        )
        .await;
        assert_problem(
            app.post(&format!("{one}/rotate-secret"), &token, &json!({}))
                .await,
            StatusCode::FORBIDDEN,
        )
        .await;
        assert_problem(
            app.get(&format!("{one}/deliveries"), &token).await,
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    // The partner token itself manages nothing.
    assert_problem(app.get(&base, &partner_secret).await, StatusCode::FORBIDDEN).await;
    for (method, path) in [
        (Method::GET, base.clone()),
        (Method::POST, base.clone()),
        (Method::GET, one.clone()),
        (Method::POST, format!("{one}/rotate-secret")),
        (Method::GET, format!("{one}/deliveries")),
    ] {
        let response = app
            .request(method.clone(), &path, None)
            .json(&body)
            .send()
            .await
            .expect("send");
        assert_problem(response, StatusCode::UNAUTHORIZED).await;
    }
    // Another token's path, an unknown token, an unknown subscription: 404.
    let admin = app.token("admin").await;
    let foreign = format!("/api/v1/partner-tokens/{other_id}/webhooks/{id}");
    assert_problem(app.get(&foreign, &admin).await, StatusCode::NOT_FOUND).await;
    assert_problem(
        app.delete(&foreign, &admin, Some(1)).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        app.post(&format!("{foreign}/rotate-secret"), &admin, &json!({}))
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        app.get(&format!("{foreign}/deliveries"), &admin).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        app.post(
            &format!("{foreign}/deliveries/1/redeliver"),
            &admin,
            &json!({}),
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        app.get("/api/v1/partner-tokens/999999/webhooks", &admin)
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        app.post("/api/v1/partner-tokens/999999/webhooks", &admin, &body)
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        app.get(&format!("{base}/999999"), &admin).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    // Nothing changed: one subscription, version 1, no other token's.
    assert_eq!(list_count(&app, token_id).await, 1);
    assert_eq!(list_count(&app, other_id).await, 0);
    let got: Value = app.get(&one, &admin).await.json().await.expect("json");
    assert_eq!(got["version"], 1);
}

async fn bad_input_is_refused_with_its_kind(app: TestApp) {
    let receiver = Receiver::start(vec![]);
    let (token_id, _) = jobcenter_token(&app, json!(["referrals:read"])).await;
    let url = receiver.url();
    for (body, field, kind) in [
        (
            json!({"url": url, "event_types": []}),
            "event_types",
            "schema",
        ),
        (
            json!({"url": "", "event_types": ["referral.sent"]}),
            "url",
            "schema",
        ),
        // The token's scopes do not see residence-law requests.
        (
            json!({"url": url, "event_types": ["referral.sent", "residence_request.created"]}),
            "event_types",
            "rule",
        ),
    ] {
        let admin = app.token("admin").await;
        let problem = assert_problem(
            app.post(
                &format!("/api/v1/partner-tokens/{token_id}/webhooks"),
                &admin,
                &body,
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(error_fields(&problem), [field], "{body}: {problem}");
        assert_eq!(problem["errors"][0]["kind"], kind, "{body}: {problem}");
    }
    for body in [
        json!({"url": url, "event_types": ["referral.exploded"]}),
        json!({"url": url}),
        json!({"url": url, "event_types": ["referral.sent"], "secret": "mine"}),
    ] {
        let admin = app.token("admin").await;
        let response = app
            .post(
                &format!("/api/v1/partner-tokens/{token_id}/webhooks"),
                &admin,
                &body,
            )
            .await;
        assert!(
            response.status() == StatusCode::UNPROCESSABLE_ENTITY
                || response.status() == StatusCode::BAD_REQUEST,
            "{body}: {}",
            response.status()
        );
    }
    let admin = app.token("admin").await;
    let problem = assert_problem(
        app.get(
            &format!("/api/v1/partner-tokens/{token_id}/webhooks/1/deliveries?status=lost"),
            &admin,
        )
        .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(problem["detail"].is_string());
    assert_eq!(list_count(&app, token_id).await, 0);
    assert!(receiver.received().is_empty());
}

async fn a_rotated_secret_signs_alone(app: TestApp) {
    let receiver = Receiver::start(vec![]);
    let (token_id, _) = jobcenter_token(&app, json!(["referrals:read"])).await;
    let (id, old) = subscribed(&app, token_id, &receiver.url()).await;
    let admin = app.token("admin").await;
    let response = app
        .post(
            &format!("/api/v1/partner-tokens/{token_id}/webhooks/{id}/rotate-secret"),
            &admin,
            &json!({}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["etag"], "\"2\"");
    let rotated: Value = response.json().await.expect("json");
    let new = rotated["secret"].as_str().expect("secret").to_owned();
    assert_ne!(new, old);
    assert!(rotated["secret_rotated_at"].is_string());

    let cm = app.token("case_manager").await;
    let jobcenter = organisation(&app, JOBCENTER).await;
    sent_referral(&app, &cm, jobcenter).await;
    let received = receiver.wait_for(1).await;
    assert!(verifies(&received[0], &new));
    assert!(!verifies(&received[0], &old));
}

async fn deliveries_are_redelivered_once_done(app: TestApp) {
    let receiver = Receiver::start(vec![]);
    let (token_id, _) = jobcenter_token(&app, json!(["referrals:read"])).await;
    let (id, secret) = subscribed(&app, token_id, &receiver.url()).await;
    let cm = app.token("case_manager").await;
    let jobcenter = organisation(&app, JOBCENTER).await;
    sent_referral(&app, &cm, jobcenter).await;
    receiver.wait_for(1).await;
    let listed = settled(&app, token_id, id).await;
    let delivery = listed["items"][0]["id"].as_i64().expect("id");
    let admin = app.token("admin").await;
    let redeliver =
        format!("/api/v1/partner-tokens/{token_id}/webhooks/{id}/deliveries/{delivery}/redeliver");
    let response = app.post(&redeliver, &admin, &json!({})).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let queued: Value = response.json().await.expect("json");
    assert_eq!(queued["status"], "pending");
    let received = receiver.wait_for(2).await;
    assert_eq!(received[0].id, received[1].id, "the same event id");
    assert!(verifies(&received[1], &secret));
    let listed = settled(&app, token_id, id).await;
    assert_eq!(listed["total"], 1);
    assert_eq!(
        listed["items"][0]["attempts"]
            .as_array()
            .expect("attempts")
            .len(),
        2
    );

    // While pending (a receiver that keeps failing), redelivering is a conflict.
    let failing = Receiver::start(vec![Reply::Status(500); 20]);
    let (other, _) = subscribed(&app, token_id, &failing.url()).await;
    sent_referral(&app, &cm, jobcenter).await;
    failing.wait_for(1).await;
    let pending = deliveries(&app, token_id, other, "?status=pending").await;
    assert_eq!(pending["total"], 1, "{pending}");
    assert!(pending["items"][0]["next_attempt_at"].is_string());
    let pending_id = pending["items"][0]["id"].as_i64().expect("id");
    assert_problem(
        app.post(
            &format!(
                "/api/v1/partner-tokens/{token_id}/webhooks/{other}/deliveries/{pending_id}/redeliver"
            ),
            &admin,
            &json!({}),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
    // A delivery of another subscription: 404.
    assert_problem(
        app.post(
            &format!(
                "/api/v1/partner-tokens/{token_id}/webhooks/{other}/deliveries/{delivery}/redeliver"
            ),
            &admin,
            &json!({}),
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
}

async fn deleting_needs_the_current_version(app: TestApp) {
    let receiver = Receiver::start(vec![]);
    let (token_id, _) = jobcenter_token(&app, json!(["referrals:read"])).await;
    let (id, _) = subscribed(&app, token_id, &receiver.url()).await;
    let admin = app.token("admin").await;
    let path = format!("/api/v1/partner-tokens/{token_id}/webhooks/{id}");
    assert_problem(
        app.delete(&path, &admin, None).await,
        StatusCode::PRECONDITION_REQUIRED,
    )
    .await;
    assert_problem(
        app.delete(&path, &admin, Some(7)).await,
        StatusCode::PRECONDITION_FAILED,
    )
    .await;
    assert_eq!(list_count(&app, token_id).await, 1);
    let response = app.delete(&path, &admin, Some(1)).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_problem(app.get(&path, &admin).await, StatusCode::NOT_FOUND).await;
    assert_eq!(list_count(&app, token_id).await, 0);

    // Creating and deleting are in the audit trail, the refused attempts are not.
    let dpo = app.token("data_protection_officer").await;
    let trail: Value = app
        .get(
            "/api/v1/audit-events?limit=100&object_type=webhook_subscription",
            &dpo,
        )
        .await
        .json()
        .await
        .expect("json");
    let actions: Vec<&str> = trail["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| e["action"].as_str().expect("action"))
        .collect();
    assert_eq!(actions.len(), 2, "{actions:?}");
    assert!(actions.contains(&"webhook_subscription.create"));
    assert!(actions.contains(&"webhook_subscription.delete"));
}

async fn revoked_tokens_receive_nothing(app: TestApp) {
    let revoked_receiver = Receiver::start(vec![]);
    let active_receiver = Receiver::start(vec![]);
    let (revoked, _) = jobcenter_token(&app, json!(["referrals:read"])).await;
    let (active, _) = jobcenter_token(&app, json!(["referrals:read"])).await;
    subscribed(&app, revoked, &revoked_receiver.url()).await;
    subscribed(&app, active, &active_receiver.url()).await;
    let admin = app.token("admin").await;
    let response = app
        .delete(&format!("/api/v1/partner-tokens/{revoked}"), &admin, None)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    // A revoked token gets no new subscription either.
    assert_problem(
        subscribe(
            &app,
            revoked,
            &active_receiver.url(),
            json!(["referral.sent"]),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(list_count(&app, revoked).await, 1);
    let cm = app.token("case_manager").await;
    let jobcenter = organisation(&app, JOBCENTER).await;
    sent_referral(&app, &cm, jobcenter).await;
    sent_referral(&app, &cm, jobcenter).await;
    // Both events reached the active token's receiver; the worker passed the revoked one's.
    active_receiver.wait_for(2).await;
    assert!(revoked_receiver.received().is_empty());
}

async fn failed_deliveries_in_a_row_disable_the_subscription(app: TestApp) {
    let receiver = Receiver::start(vec![Reply::Status(503); 100]);
    let (token_id, _) = jobcenter_token(&app, json!(["referrals:read"])).await;
    let (id, _) = subscribed(&app, token_id, &receiver.url()).await;
    // Four deliveries failed before (arranged in the database: a real run takes days); the
    // fifth, below, disables the subscription.
    {
        use diesel::RunQueryDsl;
        let mut conn = app.pool.get().expect("connection");
        diesel::sql_query(format!(
            "UPDATE webhook_subscriptions SET failed_in_a_row = 4 WHERE id = {id}"
        ))
        .execute(&mut conn)
        .expect("arrange");
    }
    let cm = app.token("case_manager").await;
    let jobcenter = organisation(&app, JOBCENTER).await;
    sent_referral(&app, &cm, jobcenter).await;
    // While it is retried, it counts as pending in the metrics.
    receiver.wait_for(1).await;
    let metrics = app
        .client
        .get(format!(
            "{}/metrics",
            app.metrics_base.as_deref().expect("metrics")
        ))
        .send()
        .await
        .expect("scrape")
        .text()
        .await
        .expect("text");
    assert!(
        metrics.contains("kim_webhook_deliveries_pending"),
        "{metrics}"
    );

    let admin = app.token("admin").await;
    let path = format!("/api/v1/partner-tokens/{token_id}/webhooks/{id}");
    let deadline = Instant::now() + Duration::from_secs(30);
    let disabled = loop {
        let got: Value = app.get(&path, &admin).await.json().await.expect("json");
        if got["status"] == "disabled" {
            break got;
        }
        assert!(Instant::now() < deadline, "not disabled: {got}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(disabled["disabled_at"].is_string());
    assert!(disabled["disabled_reason"]
        .as_str()
        .is_some_and(|r| r.contains('5')));
    let failed = deliveries(&app, token_id, id, "?status=failed").await;
    assert_eq!(failed["total"], 1);
    let attempts = failed["items"][0]["attempts"].as_array().expect("attempts");
    assert_eq!(attempts.len(), 9, "the whole schedule was tried");
    assert!(attempts.iter().all(|a| a["status_code"] == 503));
    assert_eq!(failed["items"][0]["next_attempt_at"], Value::Null);
    assert_eq!(receiver.received().len(), 9);
    // Nothing sends for a disabled subscription: redelivery is a conflict.
    let delivery = failed["items"][0]["id"].as_i64().expect("id");
    assert_problem(
        app.post(
            &format!("{path}/deliveries/{delivery}/redeliver"),
            &admin,
            &json!({}),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
}

async fn each_delivery_is_sent_by_one_of_two_servers(app: TestApp) {
    use kim_store::connection::{pool_unchecked, PoolOptions};
    let config = kim_tests::test_config(&app.database_url, FAST);
    let pool = pool_unchecked(&config.database_url, PoolOptions::default());
    let state =
        kim_api::AppState::new(&config, kim_api::db::Db::new(pool, &config.database_url, 4));
    let second = kim_api::server::spawn(&config, state).expect("second server");

    // Two subscriptions, so both servers find work at once.
    let receivers = [Receiver::start(vec![]), Receiver::start(vec![])];
    let (token_id, _) = jobcenter_token(&app, json!(["referrals:read"])).await;
    let mut subscriptions = Vec::new();
    for receiver in &receivers {
        subscriptions.push(subscribed(&app, token_id, &receiver.url()).await.0);
    }
    let cm = app.token("case_manager").await;
    let jobcenter = organisation(&app, JOBCENTER).await;
    const EVENTS: usize = 6;
    for _ in 0..EVENTS {
        sent_referral(&app, &cm, jobcenter).await;
    }
    for (receiver, id) in receivers.iter().zip(&subscriptions) {
        receiver.wait_for(EVENTS).await;
        let listed = settled(&app, token_id, *id).await;
        assert_eq!(listed["total"], EVENTS as i64);
        for delivery in listed["items"].as_array().expect("items") {
            assert_eq!(delivery["status"], "delivered");
            assert_eq!(
                delivery["attempts"].as_array().expect("attempts").len(),
                1,
                "sent once: {delivery}"
            );
        }
        let mut ids: Vec<String> = receiver.received().into_iter().map(|r| r.id).collect();
        assert_eq!(ids.len(), EVENTS, "each event once: {ids:?}");
        // In order, each once.
        let sorted = {
            let mut sorted = ids.clone();
            sorted.sort_by_key(|id| id["evt_".len()..].parse::<i64>().expect("evt_<n>"));
            sorted
        };
        assert_eq!(ids, sorted);
        ids.dedup();
        assert_eq!(ids.len(), EVENTS);
    }
    second.handle.stop(true).await;
}
