//! Assembling and running the HTTP server.

use std::net::TcpListener;

use actix_cors::Cors;
use actix_web::dev::Server;
use actix_web::http::header;
use actix_web::middleware::{from_fn, DefaultHeaders};
use actix_web::{web, App, HttpRequest, HttpServer};
use kim_domain::login_throttle::ThrottlePolicy;
use utoipa_actix_web::scope;
use utoipa_actix_web::service_config::ServiceConfig;
use utoipa_swagger_ui::{Config as SwaggerConfig, SwaggerUi, Url as SwaggerUrl};

use crate::auth::jwt::JwtService;
use crate::auth::password::PasswordWorkers;
use crate::db::Db;
use crate::http::extract;
use crate::http::methods::MethodTable;
use crate::routes::{self, health};
use crate::telemetry::{request_context, REQUEST_ID_HEADER};
use crate::Config;

/// What every handler can reach.
pub struct AppState {
    pub db: Db,
    pub jwt: JwtService,
    pub login_policy: ThrottlePolicy,
    pub partner_token_max_days: i64,
    pub passwords: PasswordWorkers,
    pub intake_rule: kim_domain::eligibility::EligibilityRule,
    /// `KIM_CASE_BACKDATE_MAX_DAYS`.
    pub case_backdate_max_days: u32,
    /// `KIM_IDEMPOTENCY_TTL_HOURS`.
    pub idempotency_ttl: chrono::Duration,
    pub gap_escalation_threshold: u32,
    pub report_min_cell: u64,
    /// Login attempts per client address (both login endpoints).
    pub login_limiter: LoginLimiter,
    pub client_address: crate::config::ClientAddress,
    /// Request counts and latencies, pools and queues (served when `KIM_METRICS_BIND` is set).
    pub metrics: crate::metrics::Metrics,
    /// How webhook URLs are checked and deliveries sent (`KIM_WEBHOOK_*`).
    pub webhooks: crate::config::WebhookSettings,
}

/// The per-address limit on login attempts: a keyed GCRA limiter (governor).
pub type LoginLimiter = governor::DefaultKeyedRateLimiter<std::net::IpAddr>;

impl AppState {
    pub fn new(config: &Config, db: Db) -> Self {
        let passwords = PasswordWorkers::start(config.password_threads, config.password_queue);
        AppState {
            metrics: crate::metrics::Metrics::new(&db, &passwords),
            webhooks: config.webhooks.clone(),
            db,
            jwt: JwtService::new(config.jwt.clone()),
            login_policy: config.login,
            partner_token_max_days: config.partner_token_max_days,
            passwords,
            login_limiter: governor::RateLimiter::keyed(governor::Quota::per_minute(
                std::num::NonZeroU32::new(config.login_per_address_per_minute)
                    .unwrap_or(std::num::NonZeroU32::MIN),
            )),
            client_address: config.client_address,
            intake_rule: config.intake_rule.clone(),
            case_backdate_max_days: config.case_backdate_max_days,
            idempotency_ttl: config.idempotency_ttl,
            gap_escalation_threshold: config.gap_escalation_threshold,
            report_min_cell: config.report_min_cell,
        }
    }
}

/// Every route, documented: what `kim openapi` builds the document from.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(scope::scope("/api/v1").configure(|c| routes::api_v1(c)));
    cfg.service(health::live).service(health::ready);
}

/// The same routes as [`routes`], registered without their documentation, for the workers.
/// The walk over the document in the black-box tests calls every documented operation, so a
/// route missing here fails it.
fn served_routes(cfg: &mut web::ServiceConfig) {
    // Any answer under /api/v1 may carry personal data (or a token): no cache, shared or
    // private, may keep it (issue 10 item 8). Handlers that set their own Cache-Control keep it.
    cfg.service(
        web::scope("/api/v1")
            .wrap(DefaultHeaders::new().add((header::CACHE_CONTROL, "no-store")))
            .configure(|c| routes::api_v1(&mut routes::Served(c))),
    );
    cfg.service(health::live).service(health::ready);
}

fn cors(origins: &[String]) -> Cors {
    let mut cors = Cors::default()
        .allowed_methods(["GET", "POST", "PUT", "PATCH", "DELETE"])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_MATCH,
            header::ACCEPT,
            REQUEST_ID_HEADER,
            header::HeaderName::from_static("idempotency-key"),
        ])
        .expose_headers([
            header::ETAG,
            header::LOCATION,
            header::RETRY_AFTER,
            REQUEST_ID_HEADER,
        ])
        .max_age(3600);
    for origin in origins {
        cors = cors.allowed_origin(origin);
    }
    cors
}

/// The OpenAPI document as committed; `tests/api/schema.rs` fails when it differs from the
/// one built from the code, so serving it is serving the code's document.
const DOCUMENT: &str = include_str!("../../../openapi/openapi.json");

/// The partner document as committed, kept current by the same test.
const PARTNER_DOCUMENT: &str = include_str!("../../../openapi/partner.json");

async fn serve_document() -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok()
        .content_type("application/json")
        .body(DOCUMENT)
}

async fn serve_partner_document() -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok()
        .content_type("application/json")
        .body(PARTNER_DOCUMENT)
}

/// A server bound to `listener`, not yet running. Tests bind port 0 and pass the listener.
pub fn build(
    config: &Config,
    state: web::Data<AppState>,
    listener: TcpListener,
) -> std::io::Result<Server> {
    let json_limit = config.json_limit_bytes;
    let origins = config.cors_origins.clone();
    let workers = config.workers.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2)
    });
    let blocking_threads = (config.pool_size as usize).div_ceil(workers).max(1);
    let methods = web::Data::new(MethodTable::from_document(DOCUMENT));
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(extract::json_config(json_limit))
            .app_data(extract::query_config())
            .app_data(extract::path_config())
            .configure(served_routes)
            .route("/api-docs/openapi.json", web::get().to(serve_document))
            .route(
                "/api-docs/partner.json",
                web::get().to(serve_partner_document),
            )
            .service(
                // Both documents, chosen in Swagger UI's top bar; the full one first.
                SwaggerUi::new("/swagger-ui/{_:.*}").config(SwaggerConfig::new([
                    SwaggerUrl::new("KIM API", "/api-docs/openapi.json"),
                    SwaggerUrl::new("KIM API for partner systems", "/api-docs/partner.json"),
                ])),
            )
            .service(web::redirect("/swagger-ui", "/swagger-ui/"))
            .app_data(methods.clone())
            .default_service(web::to(
                |request: HttpRequest, methods: web::Data<MethodTable>| async move {
                    methods.answer(&request)
                },
            ))
            .wrap(cors(&origins))
            .wrap(from_fn(request_context))
            // Outside the request context and CORS, so it times and counts everything they do.
            .wrap(from_fn(crate::metrics::record))
            // Outermost, so every response (preflights and errors too) says it: browsers must
            // not guess a type other than the one declared (issue 10 item 8).
            .wrap(DefaultHeaders::new().add((header::X_CONTENT_TYPE_OPTIONS, "nosniff")))
    })
    // SIGTERM (or SIGINT) stops accepting connections at once and lets requests in flight
    // finish for up to the grace period; then their connections are closed.
    .shutdown_timeout(config.shutdown_grace.as_secs())
    .workers(workers)
    // Blocking threads only wait for database connections (argon2 has its own threads), so
    // more of them than pooled connections would only add stacks and allocator arenas.
    .worker_max_blocking_threads(blocking_threads)
    .listen(listener)?;
    Ok(server.run())
}

/// A running server for tests: its address and a handle to stop it.
pub struct RunningServer {
    pub port: u16,
    pub handle: actix_web::dev::ServerHandle,
    /// The metrics listener's port when `KIM_METRICS_BIND` is set (port 0 picks a free one).
    pub metrics_port: Option<u16>,
    pub metrics_handle: Option<actix_web::dev::ServerHandle>,
    /// The webhook delivery worker, running on the same actix system.
    pub webhooks: crate::webhook::Worker,
}

/// Binds a free port on 127.0.0.1 and runs the server on the current actix system; beside it
/// the metrics listener on `KIM_METRICS_BIND` when that is set.
pub fn spawn(config: &Config, state: AppState) -> std::io::Result<RunningServer> {
    let (metrics_port, metrics_handle) = match config.metrics_bind {
        Some(address) => {
            let listener = TcpListener::bind(address)?;
            let port = listener.local_addr()?.port();
            let handle = crate::metrics::spawn(state.metrics.clone(), listener)?;
            (Some(port), Some(handle))
        }
        None => (None, None),
    };
    seed_default_intake_rule(&state);
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    let webhooks = crate::webhook::Worker::start(state.db.clone(), config.webhooks.clone());
    let server = build(config, web::Data::new(state), listener)?;
    let handle = server.handle();
    actix_web::rt::spawn(server);
    Ok(RunningServer {
        port,
        handle,
        metrics_port,
        metrics_handle,
        webhooks,
    })
}

/// The first start writes the default intake rule from `KIM_INTAKE_MAX_YEARS_SINCE_ARRIVAL` and
/// `KIM_INTAKE_EXCLUDE_OTHER_CASE_MANAGEMENT` when the database holds none; later starts leave
/// the rule as the CM coordination changed it. A database that cannot be reached now is no
/// reason not to start: cases are judged by the configured rule until a default is stored.
pub fn seed_default_intake_rule(state: &AppState) {
    let written = state
        .db
        .pool()
        .get()
        .map_err(kim_store::StoreError::from)
        .and_then(|mut conn| {
            kim_store::connection::transaction(&mut conn, |conn| {
                kim_store::intake_rules::ensure_default(conn, &state.intake_rule)
            })
        });
    match written {
        Ok(true) => tracing::info!(
            max_years_since_arrival = state.intake_rule.max_years_since_arrival,
            exclude_other_case_management = state.intake_rule.exclude_other_case_management,
            "default intake rule written from KIM_INTAKE_*"
        ),
        Ok(false) => {}
        Err(error) => tracing::warn!(%error, "cannot write the default intake rule now"),
    }
}
