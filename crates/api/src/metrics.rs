//! Prometheus metrics for operators (issue 14 item 5): what the server does (requests by route
//! template, method and status, and their latency) and how close it runs to its limits (the
//! database pools, the password queue, the audit appender's queue). docs/OPERATIONS.md lists
//! the families and the alerts to set on them.
//!
//! Served only on a listener of its own (`KIM_METRICS_BIND`, see [`server`]), never on the
//! API's: not part of the API contract (not in the OpenAPI document), not audited, and nothing
//! to protect with a token when a firewall keeps the port private.
//!
//! Labels never carry what a client sent: the route is actix's template
//! (`/api/v1/cases/{id}`), never the path; a request no route matched is `unmatched`; a method
//! outside RFC 9110's is `other`. So label values are few and hold no id and no personal data.
//!
//! This is the only module that knows the exporter. The pools (`crate::db::MeteredPool`), the
//! password workers and the appender count in plain atomics, and [`Sampled`] reads them when
//! Prometheus scrapes.

use std::net::TcpListener;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use actix_web::body::MessageBody;
use actix_web::dev::{ServerHandle, ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{web, App, HttpResponse, HttpServer};
use prometheus::core::{Collector, Desc};
use prometheus::proto::MetricFamily;
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};

use crate::auth::password::PasswordWorkers;
use crate::db::Db;
use crate::server::AppState;

/// The route label of a request that no route matched (404 from the default service, or a
/// failure before routing).
pub const UNMATCHED: &str = "unmatched";

/// Latency buckets in seconds: from a cached read (about a millisecond) to the pool's
/// connection timeout (3 s) and beyond.
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// How long a scrape waits for a database connection to tell whether the database answers.
const PING_TIMEOUT: Duration = Duration::from_secs(1);

/// The metrics of one server. Cloned into the metrics listener; cheap to clone.
#[derive(Clone)]
pub struct Metrics(Option<Arc<Registered>>);

struct Registered {
    registry: Registry,
    requests: IntCounterVec,
    duration: HistogramVec,
    in_flight: IntGauge,
}

impl Metrics {
    /// Registers every family. Registration fails only for a malformed or duplicate name,
    /// which every test scraping the metrics would show; should it happen all the same, requests are served
    /// unmeasured and [`server`] refuses to start, so the operator learns it at once.
    pub fn new(db: &Db, passwords: &PasswordWorkers) -> Metrics {
        match Registered::new(db, passwords) {
            Ok(registered) => Metrics(Some(Arc::new(registered))),
            Err(error) => {
                tracing::error!(%error, "the metrics could not be set up");
                Metrics(None)
            }
        }
    }

    /// The text exposition format, sampling pools and queues now. Blocks for up to
    /// [`PING_TIMEOUT`] (the database check): call it on a blocking thread.
    pub fn render(&self) -> Result<String, String> {
        let registered = self.0.as_ref().ok_or("the metrics could not be set up")?;
        let mut text = Vec::new();
        TextEncoder::new()
            .encode(&registered.registry.gather(), &mut text)
            .map_err(|e| e.to_string())?;
        String::from_utf8(text).map_err(|e| e.to_string())
    }

    fn observe(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        if let Some(registered) = &self.0 {
            let status = status.to_string();
            let labels = [method, route, status.as_str()];
            registered.requests.with_label_values(&labels).inc();
            registered
                .duration
                .with_label_values(&labels)
                .observe(elapsed.as_secs_f64());
        }
    }
}

impl Registered {
    fn new(db: &Db, passwords: &PasswordWorkers) -> prometheus::Result<Registered> {
        let request_labels = &["method", "route", "status"];
        let requests = IntCounterVec::new(
            Opts::new(
                "kim_http_requests_total",
                "HTTP requests answered, by method, route template and status.",
            ),
            request_labels,
        )?;
        let duration = HistogramVec::new(
            HistogramOpts::new(
                "kim_http_request_duration_seconds",
                "Time from a request's arrival until its response head is ready, by method, \
                 route template and status.",
            )
            .buckets(LATENCY_BUCKETS.to_vec()),
            request_labels,
        )?;
        let in_flight = IntGauge::new(
            "kim_http_requests_in_flight",
            "HTTP requests being handled now.",
        )?;
        let registry = Registry::new();
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(duration.clone()))?;
        registry.register(Box::new(in_flight.clone()))?;
        registry.register(Box::new(Sampled::new(db.clone(), passwords.clone())?))?;
        Ok(Registered {
            registry,
            requests,
            duration,
            in_flight,
        })
    }
}

/// The families read from the pools and queues at scrape time.
struct Sampled {
    db: Db,
    passwords: PasswordWorkers,
    pool_connections: IntGaugeVec,
    pool_max: IntGaugeVec,
    pool_waiting: IntGaugeVec,
    pool_timeouts: IntCounterVec,
    database_up: IntGauge,
    password_length: IntGauge,
    password_capacity: IntGauge,
    password_refused: IntCounter,
    appender_length: IntGauge,
    appender_capacity: IntGauge,
    appender_refused: IntCounter,
    appender_failed_batches: IntCounter,
    /// Webhook deliveries not yet delivered or failed: the outbox backlog partners wait for.
    webhook_pending: IntGauge,
    /// Counters are set from the components' totals (reset, then added): one scrape at a time.
    scrape: Mutex<()>,
}

impl Sampled {
    fn new(db: Db, passwords: PasswordWorkers) -> prometheus::Result<Sampled> {
        let pool = &["pool"];
        Ok(Sampled {
            db,
            passwords,
            pool_connections: IntGaugeVec::new(
                Opts::new(
                    "kim_db_pool_connections",
                    "Open database connections by pool (SQLite: writer, reader; PostgreSQL: \
                     shared) and state (in_use, idle).",
                ),
                &["pool", "state"],
            )?,
            pool_max: IntGaugeVec::new(
                Opts::new(
                    "kim_db_pool_max_connections",
                    "The most connections a pool opens.",
                ),
                pool,
            )?,
            pool_waiting: IntGaugeVec::new(
                Opts::new(
                    "kim_db_pool_waiting",
                    "Callers waiting now for a connection of the pool (a free one or a new one \
                     being opened).",
                ),
                pool,
            )?,
            pool_timeouts: IntCounterVec::new(
                Opts::new(
                    "kim_db_pool_timeouts_total",
                    "Waits for a connection that gave up after the pool's timeout (the request \
                     answered 503).",
                ),
                pool,
            )?,
            database_up: IntGauge::new(
                "kim_database_up",
                "1 when the database answered a ping through the pool within one second at \
                 this scrape, else 0 (what /health/ready reports).",
            )?,
            password_length: IntGauge::new(
                "kim_password_queue_length",
                "Password checks (argon2) waiting or running now.",
            )?,
            password_capacity: IntGauge::new(
                "kim_password_queue_capacity",
                "KIM_PASSWORD_QUEUE: at this length logins are refused with 503.",
            )?,
            password_refused: IntCounter::new(
                "kim_password_queue_refused_total",
                "Logins refused with 503 because the password queue was full.",
            )?,
            appender_length: IntGauge::new(
                "kim_audit_appender_queue_length",
                "Reads whose audit events wait now to be taken into a batch.",
            )?,
            appender_capacity: IntGauge::new(
                "kim_audit_appender_queue_capacity",
                "At this length the appender refuses reads (503).",
            )?,
            appender_refused: IntCounter::new(
                "kim_audit_appender_refused_total",
                "Reads refused with 503 because the audit appender's queue was full.",
            )?,
            appender_failed_batches: IntCounter::new(
                "kim_audit_appender_failed_batches_total",
                "Audit batches that could not be committed (their reads answered 503).",
            )?,
            webhook_pending: IntGauge::new(
                "kim_webhook_deliveries_pending",
                "Webhook deliveries waiting to be sent or retried (sampled by one count query \
                 at this scrape; unchanged when the database did not answer).",
            )?,
            scrape: Mutex::new(()),
        })
    }

    fn families(&self) -> [&dyn Collector; 13] {
        [
            &self.pool_connections,
            &self.pool_max,
            &self.pool_waiting,
            &self.pool_timeouts,
            &self.database_up,
            &self.password_length,
            &self.password_capacity,
            &self.password_refused,
            &self.appender_length,
            &self.appender_capacity,
            &self.appender_refused,
            &self.appender_failed_batches,
            &self.webhook_pending,
        ]
    }

    fn sample(&self) {
        for (name, pool) in self.db.pools() {
            let load = pool.load();
            let connections = |state| self.pool_connections.with_label_values(&[name, state]);
            connections("in_use").set(load.in_use.into());
            connections("idle").set(load.idle.into());
            self.pool_max
                .with_label_values(&[name])
                .set(load.max.into());
            self.pool_waiting
                .with_label_values(&[name])
                .set(gauge_value(load.waiting));
            set_counter(
                &self.pool_timeouts.with_label_values(&[name]),
                load.timeouts,
            );
        }
        // After the pools are sampled, so that the ping's own connection is not counted.
        self.database_up
            .set(i64::from(self.db.ping(PING_TIMEOUT).is_ok()));
        let passwords = self.passwords.load();
        self.password_length.set(gauge_value(passwords.length));
        self.password_capacity.set(gauge_value(passwords.capacity));
        set_counter(&self.password_refused, passwords.refused);
        let appender = self.db.appender().load();
        self.appender_length.set(gauge_value(appender.length));
        self.appender_capacity.set(gauge_value(appender.capacity));
        set_counter(&self.appender_refused, appender.refused);
        set_counter(&self.appender_failed_batches, appender.failed_batches);
        if let Ok(pending) = self.db.pending_webhook_deliveries(PING_TIMEOUT) {
            self.webhook_pending.set(pending);
        }
    }
}

impl Collector for Sampled {
    fn desc(&self) -> Vec<&Desc> {
        self.families()
            .into_iter()
            .flat_map(|family| family.desc())
            .collect()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        let _one_at_a_time = self.scrape.lock().unwrap_or_else(PoisonError::into_inner);
        self.sample();
        self.families()
            .into_iter()
            .flat_map(|family| family.collect())
            .collect()
    }
}

fn gauge_value(count: usize) -> i64 {
    i64::try_from(count).unwrap_or(i64::MAX)
}

/// Sets `counter` to a component's running total (which only grows).
fn set_counter(counter: &IntCounter, total: u64) {
    counter.reset();
    counter.inc_by(total);
}

/// The method as a label: RFC 9110's methods by name, anything else `other` (clients may send
/// any token as a method, which must not become a new series each).
fn method_label(method: &Method) -> &'static str {
    const KNOWN: [Method; 9] = [
        Method::GET,
        Method::HEAD,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
        Method::OPTIONS,
        Method::TRACE,
        Method::CONNECT,
    ];
    KNOWN
        .iter()
        .find(|known| *known == method)
        .map(Method::as_str)
        .unwrap_or("other")
}

/// Decrements the in-flight gauge however the request ends (also when the client goes away
/// and the request's future is dropped).
struct InFlight(IntGauge);

impl InFlight {
    fn enter(gauge: &IntGauge) -> InFlight {
        gauge.inc();
        InFlight(gauge.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// Middleware: counts and times every request by route template, method and status.
pub async fn record(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let metrics = req
        .app_data::<web::Data<AppState>>()
        .map(|state| state.metrics.clone())
        .unwrap_or(Metrics(None));
    let method = method_label(req.method());
    let started = Instant::now();
    let _in_flight = metrics.0.as_ref().map(|r| InFlight::enter(&r.in_flight));
    let result = next.call(req).await;
    let (route, status) = match &result {
        // After routing: the template of the resource that answered.
        Ok(response) => (response.request().match_pattern(), response.status()),
        Err(error) => (None, error.as_response_error().status_code()),
    };
    metrics.observe(
        method,
        route.as_deref().unwrap_or(UNMATCHED),
        status.as_u16(),
        started.elapsed(),
    );
    result
}

async fn scrape(metrics: web::Data<Metrics>) -> HttpResponse {
    let metrics = metrics.get_ref().clone();
    let rendered = web::block(move || metrics.render())
        .await
        .map_err(|e| e.to_string())
        .and_then(|rendered| rendered);
    match rendered {
        Ok(text) => HttpResponse::Ok()
            .content_type(TextEncoder::new().format_type())
            .body(text),
        Err(error) => {
            // Prometheus marks the target down (`up == 0`): the operator's alert.
            tracing::error!(%error, "rendering the metrics failed");
            HttpResponse::InternalServerError().finish()
        }
    }
}

/// Runs the metrics listener on the current actix system: `GET /metrics` and nothing else
/// (404), one worker. It ignores signals: whoever starts it stops it through the handle once
/// the API server has stopped, so the metrics stay readable while requests drain.
pub fn spawn(metrics: Metrics, listener: TcpListener) -> std::io::Result<ServerHandle> {
    if metrics.0.is_none() {
        return Err(std::io::Error::other(
            "the metrics could not be set up (see the log above)",
        ));
    }
    if let Ok(address) = listener.local_addr() {
        if !address.ip().is_loopback() {
            tracing::warn!(%address, "metrics served beyond this host: keep the port behind a firewall");
        }
    }
    let metrics = web::Data::new(metrics);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(metrics.clone())
            .route("/metrics", web::get().to(scrape))
    })
    .workers(1)
    .disable_signals()
    .shutdown_timeout(1)
    .listen(listener)?
    .run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    Ok(handle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_methods_share_one_label() {
        assert_eq!(method_label(&Method::GET), "GET");
        assert_eq!(method_label(&Method::DELETE), "DELETE");
        let invented = Method::from_bytes(b"PROPFIND-1234").expect("a token is a method");
        assert_eq!(method_label(&invented), "other");
    }
}
