//! Who is calling, in two steps so that a read needs only one trip to the database.
//!
//! 1. The [`Caller`] extractor reads the bearer token without touching the database: a JWT is
//!    verified (signature, fixed algorithm, `exp`, `nbf`, `iss`, `aud`); a partner token is
//!    hashed. Anything malformed is 401 here.
//! 2. [`Caller::authenticate`] looks the account or partner token up, so that a deleted or
//!    disabled account and a revoked or expired token are refused at once, and a changed role
//!    takes effect at once. Reads do this inside their one database call (`Db::read_as`); writes
//!    do it first (`Db::authenticate`) so that a caller without permission gets 403 before any
//!    input is examined.

use std::future::{ready, Ready};

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};
use kim_domain::{Action, Principal};
use kim_store::audit::Actor;
use kim_store::{partner_tokens, users, DbConn};

use super::partner_secret;
use crate::server::AppState;
use crate::telemetry::RequestContext;
use crate::ApiError;

/// Bearer credentials that have passed every check short of the database, with the request
/// id taken while still on the request's task (database work runs on other threads).
#[derive(Debug, Clone)]
pub struct Caller {
    credentials: Credentials,
    request: Option<RequestContext>,
    /// Whether this request may be made while the account must change its password (setting
    /// the password, logging out, who am I).
    allowed_before_password_change: bool,
}

#[derive(Debug, Clone)]
enum Credentials {
    Person { user_id: i64, token_version: i32 },
    Partner { token_hash: String },
}

/// The requests an account whose password was reset may still make.
const ALLOWED_BEFORE_PASSWORD_CHANGE: [&str; 3] = [
    "/api/v1/auth/password",
    "/api/v1/auth/logout",
    "/api/v1/auth/me",
];

/// A caller whose account or token the database confirmed.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub principal: Principal,
    /// The request's ids, for the audit trail.
    pub request: Option<RequestContext>,
}

fn unauthorized() -> ApiError {
    ApiError::Unauthorized("missing, invalid, expired or revoked bearer token".into())
}

impl Caller {
    pub fn authenticate(&self, conn: &mut DbConn) -> Result<Authenticated, ApiError> {
        let principal = match &self.credentials {
            Credentials::Person {
                user_id,
                token_version,
            } => {
                let session = users::session(conn, *user_id)?
                    .filter(|s| s.token_version == *token_version)
                    .ok_or_else(unauthorized)?;
                if session.must_change_password && !self.allowed_before_password_change {
                    return Err(ApiError::PasswordChangeRequired);
                }
                Principal::Person {
                    user_id: *user_id,
                    role: session.role,
                }
            }
            Credentials::Partner { token_hash } => {
                let token = partner_tokens::find_usable_by_hash(conn, token_hash)?
                    .ok_or_else(unauthorized)?;
                if token.awaiting_confirmation {
                    return Err(ApiError::ConfirmationRequired(
                        "this partner token works once a second person (the data protection \
                         officer or the KI lead) confirms its issue"
                            .into(),
                    ));
                }
                Principal::Partner {
                    token_id: token.id,
                    organisation_id: token.organisation_id,
                    scopes: token.scopes,
                }
            }
        };
        Ok(Authenticated {
            principal,
            request: self.request.clone(),
        })
    }
}

impl Authenticated {
    /// 403 unless the permission table grants `action`.
    pub fn require(&self, action: Action) -> Result<(), ApiError> {
        if self.principal.may(action) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "your role or token scopes do not allow '{action}'"
            )))
        }
    }

    /// The user id of a person (none for partner systems).
    pub fn user_id(&self) -> Option<i64> {
        match self.principal {
            Principal::Person { user_id, .. } => Some(user_id),
            Principal::Partner { .. } => None,
        }
    }

    /// Who acted, for the audit trail.
    pub fn actor(&self) -> Actor {
        let request = self.request.clone().or_else(RequestContext::current);
        let request_id = request.as_ref().map(|r| r.request_id.clone());
        let client_request_id = request.and_then(|r| r.client_request_id);
        match &self.principal {
            Principal::Person { user_id, role } => Actor {
                kind: "user",
                id: Some(*user_id),
                role: Some(role.as_str().to_owned()),
                request_id,
                client_request_id,
            },
            Principal::Partner { token_id, .. } => Actor {
                kind: "partner",
                id: Some(*token_id),
                role: None,
                request_id,
                client_request_id,
            },
        }
    }
}

fn bearer_token(req: &HttpRequest) -> Result<&str, ApiError> {
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or_else(|| ApiError::Unauthorized("send 'Authorization: Bearer <token>'".into()))?;
    let value = value.to_str().map_err(|_| unauthorized())?;
    let (scheme, token) = value.split_once(' ').ok_or_else(unauthorized)?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(unauthorized());
    }
    Ok(token)
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Ready<Result<Caller, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready((|| {
            let token = bearer_token(req)?;
            let request = RequestContext::current();
            if partner_secret::looks_like_partner_token(token) {
                let credentials = Credentials::Partner {
                    token_hash: partner_secret::hash(token),
                };
                return Ok(Caller {
                    credentials,
                    request,
                    allowed_before_password_change: false,
                });
            }
            let state = req
                .app_data::<web::Data<AppState>>()
                .ok_or_else(|| ApiError::Internal("app state missing".into()))?;
            let verified = state.jwt.verify(token).ok_or_else(unauthorized)?;
            Ok(Caller {
                credentials: Credentials::Person {
                    user_id: verified.user_id,
                    token_version: verified.token_version,
                },
                request,
                allowed_before_password_change: ALLOWED_BEFORE_PASSWORD_CHANGE
                    .contains(&req.path()),
            })
        })())
    }
}
