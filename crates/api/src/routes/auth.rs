//! Login for people and "who am I" for every caller.

use crate::http::body::Json;
use crate::routes::RouteTable;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::Utc;
use kim_domain::{Action, Principal, Role, Scope};
use kim_store::{partner_tokens, users};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::auth::{login as credentials, Caller};
use crate::error::responses as err;
use crate::server::AppState;
use crate::ApiError;

mod session;
mod token;

pub fn configure(cfg: &mut impl RouteTable) {
    cfg.service(login)
        .service(token::token)
        .service(me)
        .service(session::logout)
        .service(session::change_password);
}

#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"username": "case_manager", "password": "demo-password"}))]
pub struct LoginRequest {
    #[validate(length(min = 1, max = 64, message = "must be 1 to 64 characters"))]
    #[schema(min_length = 1, max_length = 64)]
    pub username: String,
    #[validate(length(min = 1, max = 256, message = "must be 1 to 256 characters"))]
    #[schema(min_length = 1, max_length = 256)]
    pub password: String,
}

#[derive(Serialize, ToSchema)]
#[schema(example = json!({"access_token": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl", "token_type": "Bearer", "expires_in": 900}))]
pub struct TokenResponse {
    /// A JWT for `Authorization: Bearer`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the token expires.
    pub expires_in: i64,
}

/// Log in
///
/// Exchanges a username and password for a short-lived access token (JWT). After
/// `KIM_LOGIN_MAX_FAILURES` failed attempts (default 5) the username is locked for
/// `KIM_LOGIN_LOCKOUT_SECONDS` (default 300): further attempts, even with the right password,
/// answer 429 `login-locked` with `Retry-After`. Attempts are counted before the password is
/// checked, so parallel guesses cannot get more than that many judged. One client address may
/// try `KIM_LOGIN_PER_ADDRESS_PER_MINUTE` times a minute (default 30; 429 `rate-limited`). When
/// too many passwords wait to be checked the answer is 503 `overloaded` with `Retry-After`. A
/// wrong password, an unknown username and a disabled account all answer the same 401.
///
/// **Who may call:** anyone, without a token.
#[utoipa::path(tag = "Authentication", request_body = LoginRequest, responses(
    (status = 200, description = "Logged in", body = TokenResponse),
    (status = 400, response = err::BadRequest),
    (status = 401, response = err::Unauthorized),
    (status = 413, response = err::PayloadTooLarge),
    (status = 415, response = err::UnsupportedMediaType),
    (status = 422, response = err::Unprocessable),
    (status = 429, response = err::TooManyRequests),
    (status = 503, response = err::Unavailable),
), security(()))]
#[post("/auth/login")]
pub async fn login(
    state: web::Data<AppState>,
    request: HttpRequest,
    body: Json<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    body.validate()?;
    let LoginRequest { username, password } = body.into_inner();
    let client = credentials::client_address(&request, state.client_address);
    let user = credentials::check_credentials(&state, client, &username, password).await?;
    issue_token(&state, &user)
}

/// The 200 answer of both login endpoints (RFC 6749 §5.1: `Cache-Control: no-store`).
fn issue_token(state: &AppState, user: &users::User) -> Result<HttpResponse, ApiError> {
    let access_token = state
        .jwt
        .issue(user.id, user.token_version)
        .map_err(|e| ApiError::Internal(format!("cannot sign token: {e}")))?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .insert_header(("Pragma", "no-cache"))
        .json(TokenResponse {
            access_token,
            token_type: "Bearer",
            expires_in: state.jwt.ttl_seconds(),
        }))
}

/// The caller: a person's account or a partner token.
#[derive(Serialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Me {
    /// A person logged in with a password.
    #[schema(example = json!({"kind": "person", "id": 3, "username": "case_manager", "display_name": "Demo Case Manager", "role": "case_manager", "organisation_id": 1, "must_change_password": false, "permissions": ["read_own_account", "read_reference_data"]}))]
    Person {
        id: i64,
        username: String,
        display_name: String,
        role: Role,
        organisation_id: Option<i64>,
        /// An administrator reset the password: until the account sets its own with
        /// `POST /auth/password`, every other request answers 403 `password-change-required`.
        must_change_password: bool,
        /// What the permission table allows this role.
        permissions: Vec<Action>,
    },
    /// A partner system with a token.
    Partner {
        token_id: i64,
        name: String,
        organisation_id: i64,
        scopes: Vec<Scope>,
        expires_at: chrono::DateTime<Utc>,
        permissions: Vec<Action>,
    },
}

/// Who am I
///
/// The account (or partner token) the bearer token belongs to, with what it may do. Front ends
/// use `permissions` to show only what the user can use.
///
/// **Who may call:** every authenticated person and partner token.
#[utoipa::path(tag = "Authentication", responses(
    (status = 200, description = "The caller", body = Me),
    (status = 401, response = err::Unauthorized),
    (status = 503, response = err::Unavailable),
), security(("bearer" = [])))]
#[get("/auth/me")]
pub async fn me(caller: Caller, state: web::Data<AppState>) -> Result<web::Json<Me>, ApiError> {
    let caller = state.db.authenticate(caller).await?;
    caller.require(Action::ReadOwnAccount)?;
    let permissions: Vec<Action> = Action::ALL
        .iter()
        .copied()
        .filter(|a| caller.principal.may(*a))
        .collect();
    let me = match caller.principal {
        Principal::Person { user_id, .. } => {
            let user = state
                .db
                .read(move |conn| users::find(conn, user_id))
                .await?;
            Me::Person {
                id: user.id,
                username: user.username,
                display_name: user.display_name,
                role: user.role,
                organisation_id: user.organisation_id,
                must_change_password: user.must_change_password,
                permissions,
            }
        }
        Principal::Partner { token_id, .. } => {
            let token = state
                .db
                .read(move |conn| partner_tokens::find(conn, token_id))
                .await?;
            Me::Partner {
                token_id: token.id,
                name: token.name,
                organisation_id: token.organisation_id,
                scopes: token.scopes,
                expires_at: token.expires_at,
                permissions,
            }
        }
    };
    Ok(web::Json(me))
}
