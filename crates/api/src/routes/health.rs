//! Liveness and readiness for load balancers and orchestrators.

use std::time::{Duration, Instant};

use actix_web::{get, web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use crate::server::AppState;
use crate::ApiError;

#[derive(Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    pub status: &'static str,
    /// The database backend, on readiness only.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "sqlite")]
    pub database: Option<&'static str>,
}

/// How long readiness waits for a database connection.
const READY_TIMEOUT: Duration = Duration::from_secs(2);

/// Liveness
///
/// The process is up and answering. Never touches the database.
///
/// **Who may call:** anyone, without a token.
#[utoipa::path(tag = "Operations", responses((status = 200, description = "Alive", body = Health)), security(()))]
#[get("/health/live")]
pub async fn live() -> HttpResponse {
    HttpResponse::Ok().json(Health {
        status: "ok",
        database: None,
    })
}

/// Readiness
///
/// The database answers within two seconds. Answers 503 while it does not, and recovers by
/// itself when it is back.
///
/// **Who may call:** anyone, without a token.
#[utoipa::path(tag = "Operations", responses(
    (status = 200, description = "Healthy", body = Health, example = json!({"status": "ready", "database": "sqlite"})),
    (status = 503, response = crate::error::responses::Unavailable),
), security(()))]
#[get("/health/ready")]
pub async fn ready(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let pool = state.db.pool().clone();
    // Counted from now: a probe queued behind requests that wait for the database (which is
    // when it matters) must still answer within its time.
    let asked = Instant::now();
    web::block(move || {
        let mut conn = pool.get_timeout(READY_TIMEOUT.saturating_sub(asked.elapsed()))?;
        let pinged = kim_store::connection::ping(&mut conn);
        if pinged.is_err() {
            kim_store::connection::drop_if_lost(&mut conn);
        }
        pinged
    })
    .await??;
    Ok(HttpResponse::Ok().json(Health {
        status: "ready",
        database: Some(state.db.backend().as_str()),
    }))
}
