//! `POST /auth/token`: the OAuth2 resource owner password grant (RFC 6749 §4.3), so that OAuth2
//! clients, Swagger UI's *Authorize* dialog among them, can log in.
//!
//! Errors: where RFC 6749 §5.2 defines the answer (a malformed request, an unsupported grant
//! type, a wrong username or password) it is a 400 with `error` and `error_description` as the
//! RFC demands, and the same body also carries the RFC 9457 fields (`type`, `title`, `status`,
//! `detail`), so clients of either kind can read it; its media type is `application/json` as
//! the RFC requires. Where the RFC says nothing (a locked username, a rate limit, an overloaded
//! server, an unreachable database, a body too large) the answer is the API's usual
//! problem+json, exactly as for `/auth/login`.

use actix_web::http::header;
use actix_web::{post, web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use serde::Serialize;
use utoipa::ToSchema;

use super::issue_token;
use crate::auth::login;
use crate::error::responses as err;
use crate::server::AppState;
use crate::telemetry::RequestContext;
use crate::ApiError;

/// A form body is a few dozen bytes; anything much larger is not a token request.
const MAX_BODY_BYTES: usize = 4096;

/// The form fields of the password grant (`application/x-www-form-urlencoded`). Other fields
/// (`scope`, `client_id`, `client_secret`, sent by some clients) are ignored, as RFC 6749 §3.2
/// requires of unrecognised parameters.
#[derive(ToSchema)]
#[allow(dead_code)]
#[schema(example = json!({"grant_type": "password", "username": "analyst", "password": "demo-password"}))]
pub struct TokenRequest {
    /// Must be `password`.
    #[schema(example = "password")]
    grant_type: String,
    /// 1 to 64 characters, case-insensitive.
    #[schema(min_length = 1, max_length = 64)]
    username: String,
    /// 1 to 256 characters.
    #[schema(min_length = 1, max_length = 256, format = Password)]
    password: String,
    /// Ignored: access follows the account's role.
    scope: Option<String>,
}

/// An OAuth2 error (RFC 6749 §5.2) that is also a problem document (RFC 9457).
#[derive(Serialize, ToSchema)]
#[schema(example = json!({
    "error": "invalid_grant",
    "error_description": "wrong username or password",
    "type": "https://kim-api.example/problems/invalid-grant",
    "title": "Invalid grant",
    "status": 400,
    "detail": "wrong username or password",
    "instance": "/api/v1/auth/token"
}))]
pub struct OAuthError {
    /// `invalid_request`, `invalid_grant` or `unsupported_grant_type`.
    pub error: &'static str,
    pub error_description: String,
    #[serde(rename = "type")]
    pub problem_type: String,
    pub title: &'static str,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OAuthCode {
    InvalidRequest,
    InvalidGrant,
    UnsupportedGrantType,
}

impl OAuthCode {
    fn parts(self) -> (&'static str, &'static str, &'static str) {
        match self {
            OAuthCode::InvalidRequest => ("invalid_request", "invalid-request", "Invalid request"),
            OAuthCode::InvalidGrant => ("invalid_grant", "invalid-grant", "Invalid grant"),
            OAuthCode::UnsupportedGrantType => (
                "unsupported_grant_type",
                "unsupported-grant-type",
                "Unsupported grant type",
            ),
        }
    }
}

fn oauth_error(code: OAuthCode, description: impl Into<String>) -> HttpResponse {
    let (error, slug, title) = code.parts();
    let description = description.into();
    let context = RequestContext::current();
    HttpResponse::BadRequest()
        .insert_header(("Cache-Control", "no-store"))
        .insert_header(("Pragma", "no-cache"))
        .json(OAuthError {
            error,
            error_description: description.clone(),
            problem_type: format!("https://kim-api.example/problems/{slug}"),
            title,
            status: 400,
            detail: description,
            instance: context.as_ref().map(|c| c.path.clone()),
            request_id: context.map(|c| c.shown_id().to_owned()),
        })
}

/// The grant's fields, or what RFC 6749 §5.2 calls the request's fault.
fn parse_form(body: &[u8]) -> Result<(String, String), (OAuthCode, String)> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).map_err(|_| {
        (
            OAuthCode::InvalidRequest,
            "the body is not a valid application/x-www-form-urlencoded form".to_owned(),
        )
    })?;
    let single = |name: &str| -> Result<Option<String>, (OAuthCode, String)> {
        let mut values = pairs.iter().filter(|(k, _)| k == name).map(|(_, v)| v);
        let first = values.next().cloned();
        if values.next().is_some() {
            // RFC 6749 §3.2: request parameters must not be included more than once.
            return Err((
                OAuthCode::InvalidRequest,
                format!("'{name}' is given more than once"),
            ));
        }
        Ok(first)
    };
    let grant_type = single("grant_type")?;
    let username = single("username")?;
    let password = single("password")?;
    match grant_type.as_deref() {
        None | Some("") => {
            return Err((
                OAuthCode::InvalidRequest,
                "'grant_type' is required".to_owned(),
            ))
        }
        Some("password") => {}
        Some(other) => {
            return Err((
                OAuthCode::UnsupportedGrantType,
                format!("grant type '{other}' is not supported; use 'password'"),
            ))
        }
    }
    let username = username.unwrap_or_default();
    let password = password.unwrap_or_default();
    let mut faults = Vec::new();
    if username.trim().is_empty() || username.chars().count() > 64 {
        faults.push("'username' must be 1 to 64 characters");
    }
    if password.is_empty() || password.chars().count() > 256 {
        faults.push("'password' must be 1 to 256 characters");
    }
    if !faults.is_empty() {
        return Err((OAuthCode::InvalidRequest, faults.join("; ")));
    }
    Ok((username, password))
}

/// Log in (OAuth2 password grant)
///
/// The OAuth2 resource owner password credentials grant (RFC 6749 §4.3) for clients that speak
/// OAuth2, Swagger UI's *Authorize* dialog among them: send
/// `grant_type=password&username=…&password=…` as `application/x-www-form-urlencoded` and get
/// the same access token as `POST /auth/login` gives (RFC 6749 §5.1). The same lockout applies:
/// the attempts of both endpoints count together per username, and both share the per-address
/// limit.
///
/// Errors defined by RFC 6749 §5.2 (`invalid_request`, `invalid_grant` for a wrong username or
/// password, `unsupported_grant_type`) answer 400 with `error` and `error_description`; the body
/// carries the problem-details fields too. A locked username (429), the rate limit (429), a body
/// over 4 KiB (413), a body that is not a form (415) and an unreachable database (503) answer
/// with problem+json as everywhere else.
///
/// **Who may call:** anyone, without a token.
#[utoipa::path(tag = "Authentication",
    request_body(content = TokenRequest, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "Logged in", body = super::TokenResponse),
        (status = 400, description = "RFC 6749 §5.2 error: `invalid_request`, `invalid_grant` (wrong username or password) or `unsupported_grant_type`", body = OAuthError),
        (status = 413, response = err::PayloadTooLarge),
        (status = 415, response = err::UnsupportedMediaType),
        (status = 429, response = err::TooManyRequests),
        (status = 503, response = err::Unavailable),
    ),
    security(())
)]
#[post("/auth/token")]
pub async fn token(
    state: web::Data<AppState>,
    request: HttpRequest,
    mut payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let is_form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            v.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    if !is_form {
        return Err(ApiError::UnsupportedMediaType(
            "send the body as Content-Type: application/x-www-form-urlencoded".into(),
        ));
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|e| ApiError::BadRequest(format!("cannot read the body: {e}")))?;
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(ApiError::PayloadTooLarge {
                limit: MAX_BODY_BYTES,
            });
        }
        body.extend_from_slice(&chunk);
    }
    let (username, password) = match parse_form(&body) {
        Ok(fields) => fields,
        Err((code, description)) => return Ok(oauth_error(code, description)),
    };
    let client = login::client_address(&request, state.client_address);
    match login::check_credentials(&state, client, &username, password).await {
        Ok(user) => issue_token(&state, &user),
        Err(ApiError::Unauthorized(description)) => {
            Ok(oauth_error(OAuthCode::InvalidGrant, description))
        }
        Err(other) => Err(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_grant_is_parsed() {
        assert_eq!(
            parse_form(b"grant_type=password&username=analyst&password=a%20b&scope=x"),
            Ok(("analyst".to_owned(), "a b".to_owned()))
        );
    }

    #[test]
    fn faults_are_named_as_rfc_6749_does() {
        let code = |body: &[u8]| parse_form(body).map_err(|(c, _)| c);
        assert_eq!(
            code(b"username=a&password=b"),
            Err(OAuthCode::InvalidRequest)
        );
        assert_eq!(
            code(b"grant_type=client_credentials&username=a&password=b"),
            Err(OAuthCode::UnsupportedGrantType)
        );
        assert_eq!(
            code(b"grant_type=password&username=a"),
            Err(OAuthCode::InvalidRequest)
        );
        assert_eq!(
            code(b"grant_type=password&username=a&username=b&password=c"),
            Err(OAuthCode::InvalidRequest)
        );
        let long = format!("grant_type=password&username={}&password=b", "a".repeat(65));
        assert_eq!(code(long.as_bytes()), Err(OAuthCode::InvalidRequest));
    }
}
