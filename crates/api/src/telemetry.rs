//! Request ids and structured logs.
//!
//! Every request gets the server's own id (a new UUID, always) and keeps the client's
//! `X-Request-Id` beside it when it sends a sane one. The id shown to the caller (response
//! header, problem+json bodies) is the client's when it sent one, else the server's; log lines
//! carry both; audit events store both, so a caller cannot make its events look like another
//! request's by sending that request's id.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use tracing::Instrument;

pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// What error responses need to know about the request they answer.
#[derive(Debug, Clone)]
pub struct RequestContext {
    /// The server's own id of this request.
    pub request_id: String,
    /// The `X-Request-Id` the client sent, if sane.
    pub client_request_id: Option<String>,
    pub path: String,
}

tokio::task_local! {
    static CURRENT: RequestContext;
}

impl RequestContext {
    /// The context of the request being handled, if any.
    pub fn current() -> Option<RequestContext> {
        CURRENT.try_with(|c| c.clone()).ok()
    }

    /// The id the caller sees: its own when it sent one, else the server's.
    pub fn shown_id(&self) -> &str {
        self.client_request_id
            .as_deref()
            .unwrap_or(&self.request_id)
    }
}

/// A client's request id when it is short, printable ASCII.
fn client_request_id(req: &ServiceRequest) -> Option<String> {
    req.headers()
        .get(&REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 128 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_owned)
}

/// Middleware: assigns the request id, logs one line per request, sets `X-Request-Id`.
pub async fn request_context(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let context = RequestContext {
        request_id: uuid::Uuid::new_v4().to_string(),
        client_request_id: client_request_id(&req),
        path: req.path().to_owned(),
    };
    let shown = context.shown_id().to_owned();
    let span = tracing::info_span!(
        "request",
        request_id = %context.request_id,
        client_request_id = context.client_request_id.as_deref().unwrap_or(""),
        method = %req.method(),
        path = %req.path(),
    );
    let started = Instant::now();
    let mut response = CURRENT
        .scope(context, next.call(req).instrument(span.clone()))
        .await?;
    let status = response.status().as_u16();
    span.in_scope(|| {
        tracing::info!(
            status,
            elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
            "handled"
        );
    });
    if let Ok(value) = HeaderValue::from_str(&shown) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    Ok(response)
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// Installs the global subscriber; `RUST_LOG` filters (default `info`). Safe to call twice.
pub fn init(format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,actix_server=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init(),
        LogFormat::Text => builder.compact().try_init(),
    };
}
