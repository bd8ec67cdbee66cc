//! Assembling and running the HTTP server.

use std::net::TcpListener;

use actix_cors::Cors;
use actix_web::dev::Server;
use actix_web::http::header;
use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpServer};
use kim_domain::login_throttle::ThrottlePolicy;
use utoipa::OpenApi;
use utoipa_actix_web::service_config::ServiceConfig;
use utoipa_actix_web::{scope, AppExt};
use utoipa_swagger_ui::SwaggerUi;

use crate::auth::jwt::JwtService;
use crate::auth::password::PasswordWorkers;
use crate::db::Db;
use crate::http::extract;
use crate::openapi::ApiDoc;
use crate::routes::{self, health};
use crate::telemetry::{request_context, REQUEST_ID_HEADER};
use crate::{ApiError, Config};

/// What every handler can reach.
pub struct AppState {
    pub db: Db,
    pub jwt: JwtService,
    pub login_policy: ThrottlePolicy,
    pub partner_token_max_days: i64,
    pub passwords: PasswordWorkers,
    pub intake_rule: kim_domain::eligibility::EligibilityRule,
    pub gap_escalation_threshold: u32,
}

impl AppState {
    pub fn new(config: &Config, db: Db) -> Self {
        AppState {
            db,
            jwt: JwtService::new(config.jwt.clone()),
            login_policy: config.login,
            partner_token_max_days: config.partner_token_max_days,
            passwords: PasswordWorkers::start(config.password_threads),
            intake_rule: config.intake_rule.clone(),
            gap_escalation_threshold: config.gap_escalation_threshold,
        }
    }
}

/// Every documented route; shared by the server and `kim openapi` so they cannot differ.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(scope::scope("/api/v1").configure(routes::api_v1));
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
    let server = HttpServer::new(move || {
        let (app, api) = App::new()
            .app_data(state.clone())
            .app_data(extract::json_config(json_limit))
            .app_data(extract::query_config())
            .app_data(extract::path_config())
            .into_utoipa_app()
            .openapi(ApiDoc::openapi())
            .configure(routes)
            .split_for_parts();
        app.service(SwaggerUi::new("/swagger-ui/{_:.*}").url("/api-docs/openapi.json", api))
            .service(web::redirect("/swagger-ui", "/swagger-ui/"))
            .default_service(web::to(|| async {
                Err::<actix_web::HttpResponse, _>(ApiError::NotFound)
            }))
            .wrap(cors(&origins))
            .wrap(from_fn(request_context))
    })
    .shutdown_timeout(10)
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
}

/// Binds a free port on 127.0.0.1 and runs the server on the current actix system.
pub fn spawn(config: &Config, state: AppState) -> std::io::Result<RunningServer> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    let server = build(config, web::Data::new(state), listener)?;
    let handle = server.handle();
    actix_web::rt::spawn(server);
    Ok(RunningServer { port, handle })
}
