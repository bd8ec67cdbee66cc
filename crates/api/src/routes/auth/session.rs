//! Ending sessions (issue 10 item 3) and setting one's own password (item 2: after an
//! administrator's reset, the account must choose its own before anything else).

use actix_web::{post, web, HttpRequest, HttpResponse};
use kim_domain::text::check_password;
use kim_domain::Action;
use kim_store::users;
use serde::Deserialize;
use utoipa::ToSchema;
use validator::{Validate, ValidationError};

use super::issue_token;
use crate::auth::{login, Caller};
use crate::error::responses as err;
use crate::http::body::Json;
use crate::server::AppState;
use crate::ApiError;

/// Log out
///
/// Ends every session of the caller's account: every access token issued to it before this
/// call (on any device) is refused from now on with 401. A password change or reset, a
/// deactivation and a change of role or organisation do the same.
///
/// **Who may call:** every person with an access token (partner tokens are revoked by an
/// administrator: 403).
#[utoipa::path(tag = "Authentication", responses(
    (status = 204, description = "Logged out; the token no longer works"),
    (status = 401, response = err::Unauthorized),
    (status = 403, response = err::Forbidden),
    (status = 404, response = err::NotFound),
    (status = 503, response = err::Unavailable),
), security(("bearer" = [])))]
#[post("/auth/logout")]
pub async fn logout(caller: Caller, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    state
        .db
        .write_with(caller, |conn, who| {
            who.require(Action::ReadOwnAccount)?;
            let user_id = who.user_id().ok_or_else(|| {
                ApiError::Forbidden(
                    "partner tokens cannot log out; an administrator revokes them".into(),
                )
            })?;
            users::end_sessions(conn, &who.actor(), user_id)?;
            Ok::<_, ApiError>(())
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

fn password_rule(value: &str) -> Result<(), ValidationError> {
    check_password(value).map_err(|message| {
        let mut e = ValidationError::new("password");
        e.message = Some(message.into());
        e
    })
}

/// Setting one's own password.
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"current_password": "the password an administrator set", "new_password": "a long passphrase of my own"}))]
pub struct PasswordChange {
    #[validate(length(min = 1, max = 256, message = "must be 1 to 256 characters"))]
    #[schema(min_length = 1, max_length = 256)]
    pub current_password: String,
    /// 12 to 256 characters (`kim_domain::text::check_password`).
    #[validate(custom(function = "password_rule"))]
    #[schema(min_length = 12, max_length = 256)]
    pub new_password: String,
}

/// Set my password
///
/// Replaces the caller's password after checking the current one (the check counts towards
/// the login lockout like a login does: 429 `login-locked`/`rate-limited`). Ends every other
/// session and answers with a fresh access token. After an administrator's reset this is the
/// only request, besides `GET /auth/me` and `POST /auth/logout`, that the account may make
/// (everything else answers 403 `password-change-required`). The new password must differ
/// from the current one (422).
///
/// **Who may call:** every person with an access token.
#[utoipa::path(tag = "Authentication", request_body = PasswordChange, responses(
    (status = 200, description = "Password set; a fresh token", body = super::TokenResponse),
    (status = 400, response = err::BadRequest),
    (status = 401, response = err::Unauthorized),
    (status = 403, response = err::Forbidden),
    (status = 404, response = err::NotFound),
    (status = 413, response = err::PayloadTooLarge),
    (status = 415, response = err::UnsupportedMediaType),
    (status = 422, response = err::Unprocessable),
    (status = 429, response = err::TooManyRequests),
    (status = 503, response = err::Unavailable),
), security(("bearer" = [])))]
#[post("/auth/password")]
pub async fn change_password(
    caller: Caller,
    state: web::Data<AppState>,
    request: HttpRequest,
    body: Json<PasswordChange>,
) -> Result<HttpResponse, ApiError> {
    let who = state.db.authenticate(caller).await?;
    who.require(Action::ReadOwnAccount)?;
    let user_id = who.user_id().ok_or_else(|| {
        ApiError::Forbidden("partner tokens have no password; an administrator issues them".into())
    })?;
    body.validate()?;
    let PasswordChange {
        current_password,
        new_password,
    } = body.into_inner();
    if new_password == current_password {
        return Err(ApiError::rule(
            "new_password",
            "must differ from the current password",
        ));
    }
    let account = state
        .db
        .read(move |conn| users::find(conn, user_id))
        .await?;
    let client = login::client_address(&request, state.client_address);
    login::check_credentials(&state, client, &account.username, current_password)
        .await
        .map_err(|refused| match refused {
            ApiError::Unauthorized(_) => {
                ApiError::rule("current_password", "is not your current password")
            }
            other => other,
        })?;
    let hash = state
        .passwords
        .run(move || crate::auth::password::hash(&new_password))
        .await?
        .map_err(ApiError::Internal)?;
    let actor = who.actor();
    let user = state
        .db
        .write(move |conn| users::set_own_password(conn, &actor, user_id, &hash))
        .await?;
    issue_token(&state, &user)
}
