//! The `Caller` extractor: who is calling, checked on every request.
//!
//! A JWT is verified (signature, algorithm, `exp`, `nbf`, `iss`, `aud`) and then the account is
//! looked up, so a deleted or disabled account is refused at once and a changed role takes
//! effect at once. A partner token is looked up by hash and must be neither revoked nor expired.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};
use kim_domain::{Action, Principal};
use kim_store::audit::Actor;
use kim_store::{partner_tokens, users};

use super::partner_secret;
use crate::server::AppState;
use crate::telemetry::RequestContext;
use crate::ApiError;

#[derive(Debug, Clone)]
pub struct Caller {
    pub principal: Principal,
}

impl Caller {
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

    /// Who acted, for the audit trail.
    pub fn actor(&self) -> Actor {
        let request_id = RequestContext::current().map(|c| c.request_id);
        match &self.principal {
            Principal::Person { user_id, role } => Actor {
                kind: "user",
                id: Some(*user_id),
                role: Some(role.as_str().to_owned()),
                request_id,
            },
            Principal::Partner { token_id, .. } => Actor {
                kind: "partner",
                id: Some(*token_id),
                role: None,
                request_id,
            },
        }
    }
}

fn unauthorized() -> ApiError {
    ApiError::Unauthorized("missing, invalid, expired or revoked bearer token".into())
}

fn bearer_token(req: &HttpRequest) -> Result<String, ApiError> {
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or_else(|| ApiError::Unauthorized("send 'Authorization: Bearer <token>'".into()))?;
    let value = value.to_str().map_err(|_| unauthorized())?;
    let (scheme, token) = value.split_once(' ').ok_or_else(unauthorized)?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(unauthorized());
    }
    Ok(token.trim().to_owned())
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Caller, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = bearer_token(req);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let token = token?;
            let state = state.ok_or_else(|| ApiError::Internal("app state missing".into()))?;
            if partner_secret::looks_like_partner_token(&token) {
                let hash = partner_secret::hash(&token);
                let found = state
                    .db
                    .read(move |conn| partner_tokens::find_usable_by_hash(conn, &hash))
                    .await?;
                let token = found.ok_or_else(unauthorized)?;
                return Ok(Caller {
                    principal: Principal::Partner {
                        token_id: token.id,
                        organisation_id: token.organisation_id,
                        scopes: token.scopes,
                    },
                });
            }
            let user_id = state.jwt.verify(&token).ok_or_else(unauthorized)?;
            let role = state
                .db
                .read(move |conn| users::active_role(conn, user_id))
                .await?;
            let role = role.ok_or_else(unauthorized)?;
            Ok(Caller {
                principal: Principal::Person { user_id, role },
            })
        })
    }
}
