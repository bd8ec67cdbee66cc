//! Partner tokens: how partner systems (Jobcenter, immigration office, welfare organisations)
//! authenticate. An administrator issues a token for one organisation with scopes and an
//! expiry; the secret is shown once; the token can be listed and revoked.

use crate::http::body::Json;
use crate::routes::RouteTable;
use actix_web::{delete, get, post, web, HttpResponse};
use chrono::{Duration, Utc};
use kim_domain::access_change;
use kim_domain::{Action, Scope};
use kim_store::access_changes;
use kim_store::partner_tokens::{self as store, NewPartnerToken, TokenFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::not_blank;
use crate::auth::{partner_secret, Caller};
use crate::error::error_sets as sets;
use crate::http::paging::PageParams;
use crate::server::AppState;
use crate::{page_type, ApiError};

pub fn configure(cfg: &mut impl RouteTable) {
    cfg.service(list_partner_tokens)
        .service(issue_partner_token)
        .service(get_partner_token)
        .service(revoke_partner_token);
}

pub use kim_store::partner_tokens::PartnerToken;

page_type!(PartnerTokenPage, PartnerToken);

/// A newly issued token with its secret, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct IssuedPartnerToken {
    #[serde(flatten)]
    pub token: PartnerToken,
    /// Use as `Authorization: Bearer <secret>`. Stored only as a hash: it cannot be shown again.
    #[schema(example = "kimp_3f9a1c0e5b7d4a2f8c6e1b3d5f7a9c0e2b4d6f8a1c3e5b7d9f0a2c4e6b8d0f1a")]
    pub secret: String,
    /// The access change a second person must confirm before the token works (referral
    /// scopes reach case data); `null` when it works at once.
    pub access_change_id: Option<i64>,
}

/// Whether an issued token may reach case data only after a second person confirms it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Issuer {
    /// An administrator through the API: referral scopes wait for confirmation.
    Administrator,
    /// The server's operator (`kim token issue`, the demo seed): the bootstrap path.
    Operator,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "Jobcenter case system", "organisation_id": 4,
    "scopes": ["referrals:read", "referrals:write"], "expires_in_days": 365
}))]
pub struct NewPartnerTokenInput {
    #[validate(length(max = 200), custom(function = "not_blank"))]
    #[schema(pattern = "\\S", min_length = 1, max_length = 200)]
    pub name: String,
    pub organisation_id: i64,
    /// One or more scopes, each once.
    #[validate(length(min = 1, message = "at least one scope is required"))]
    #[schema(min_items = 1)]
    pub scopes: Vec<Scope>,
    /// Lifetime in days, 1 to `KIM_PARTNER_TOKEN_MAX_DAYS` (default 365).
    #[validate(range(min = 1, max = 3650, message = "must be between 1 and 3650"))]
    #[schema(minimum = 1, maximum = 3650, default = 365)]
    pub expires_in_days: Option<i64>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PartnerTokenQuery {
    pub organisation_id: Option<i64>,
    /// Also list revoked and expired tokens. Default `false`.
    pub include_inactive: Option<bool>,
}

/// List partner tokens
///
/// Newest first. Secrets are never listed, only their first characters.
///
/// **Who may call:** `admin`.
#[utoipa::path(tag = "Partner tokens", params(PageParams, PartnerTokenQuery), responses(
    (status = 200, description = "One page of partner tokens", body = PartnerTokenPage),
    sets::ListErrors,
), security(("bearer" = [])))]
#[get("/partner-tokens")]
pub async fn list_partner_tokens(
    caller: Caller,
    state: web::Data<AppState>,
    paging: web::Query<PageParams>,
    query: web::Query<PartnerTokenQuery>,
) -> Result<web::Json<PartnerTokenPage>, ApiError> {
    let page = paging.page()?;
    let filter = TokenFilter {
        organisation_id: query.organisation_id,
        include_inactive: query.include_inactive.unwrap_or(false),
    };
    let partner_tokens = state
        .db
        .read_as(caller, Action::ManagePartnerTokens, move |conn, _| {
            store::list(conn, &filter, page)
        })
        .await?;
    Ok(web::Json(PartnerTokenPage::new(partner_tokens, page)))
}

/// Issue a partner token
///
/// Creates a token for one organisation. The response carries the secret once; store it in the
/// partner system's secret store. The partner sends it as `Authorization: Bearer <secret>`.
///
/// A token with a referral scope (`referrals:read`, `referrals:write`) reaches case data: it is
/// issued with status `awaiting_confirmation` and the answer is 202 with `access_change_id`;
/// until the data protection officer or the KI lead confirms that access change, calls with
/// it answer 403 `confirmation-required`.
///
/// **Who may call:** `admin`.
#[utoipa::path(tag = "Partner tokens", request_body = NewPartnerTokenInput, responses(
    (status = 201, description = "Issued; the secret is in this response only", body = IssuedPartnerToken, headers(("Location" = String))),
    (status = 202, description = "Issued, awaiting a second person's confirmation; the secret is in this response only", body = IssuedPartnerToken, headers(("Location" = String))),
    sets::SubmitErrors,
), security(("bearer" = [])))]
#[post("/partner-tokens")]
pub async fn issue_partner_token(
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<NewPartnerTokenInput>,
) -> Result<HttpResponse, ApiError> {
    let caller = state.db.authenticate(caller).await?;
    caller.require(Action::ManagePartnerTokens)?;
    let input = body.into_inner();
    input.validate()?;
    let scopes = Scope::parse_list(&input.scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>())
        .map_err(|message| ApiError::field("scopes", message))?;
    let days = input.expires_in_days.unwrap_or(365);
    if days > state.partner_token_max_days {
        return Err(ApiError::field(
            "expires_in_days",
            format!(
                "must be at most {} (KIM_PARTNER_TOKEN_MAX_DAYS)",
                state.partner_token_max_days
            ),
        ));
    }
    let (actor, name, organisation_id) = (
        caller.actor(),
        input.name.trim().to_owned(),
        input.organisation_id,
    );
    let issued = state
        .db
        .write(move |conn| {
            issue_in(
                conn,
                &actor,
                name,
                organisation_id,
                scopes,
                days,
                Issuer::Administrator,
            )
        })
        .await?;
    let location = format!("/api/v1/partner-tokens/{}", issued.token.id);
    let mut response = match issued.access_change_id {
        Some(_) => HttpResponse::Accepted(),
        None => HttpResponse::Created(),
    };
    Ok(response
        .insert_header(("Location", location))
        .insert_header(("Cache-Control", "no-store"))
        .json(issued))
}

/// Issues a token inside the caller's transaction; shared by the endpoint and `kim token issue`.
pub fn issue_in(
    conn: &mut kim_store::DbConn,
    actor: &kim_store::audit::Actor,
    name: String,
    organisation_id: i64,
    scopes: Vec<Scope>,
    days: i64,
    issuer: Issuer,
) -> Result<IssuedPartnerToken, kim_store::StoreError> {
    let secret = partner_secret::generate();
    let needs_confirmation =
        issuer == Issuer::Administrator && access_change::scopes_reach_case_data(&scopes);
    let summary = format!(
        "partner token for organisation {organisation_id} with scopes {}",
        Scope::join(&scopes)
    );
    let new = NewPartnerToken {
        name,
        organisation_id,
        scopes,
        token_hash: secret.hash,
        token_prefix: secret.prefix,
        expires_at: Utc::now() + Duration::days(days),
        awaiting_confirmation: needs_confirmation,
    };
    let mut token = store::insert(conn, actor, &new)?;
    let access_change_id = if needs_confirmation {
        let change = access_changes::request_partner_token(conn, actor, token.id, &summary)?;
        token = store::find(conn, token.id)?;
        Some(change.id)
    } else {
        None
    };
    Ok(IssuedPartnerToken {
        token,
        secret: secret.secret,
        access_change_id,
    })
}

/// Get a partner token
///
/// **Who may call:** `admin`.
#[utoipa::path(tag = "Partner tokens", params(("id" = i64, Path, description = "Token id")), responses(
    (status = 200, description = "The partner token (without its secret)", body = PartnerToken),
    sets::ReadErrors,
), security(("bearer" = [])))]
#[get("/partner-tokens/{id}")]
pub async fn get_partner_token(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<web::Json<PartnerToken>, ApiError> {
    let id = id.into_inner();
    let token = state
        .db
        .read_as(caller, Action::ManagePartnerTokens, move |conn, _| {
            store::find(conn, id)
        })
        .await?;
    Ok(web::Json(token))
}

/// Revoke a partner token
///
/// The token is refused from the next request on. Revoking again changes nothing. The token
/// stays listed (with `include_inactive=true`) for the record.
///
/// **Who may call:** `admin`.
#[utoipa::path(tag = "Partner tokens", params(("id" = i64, Path, description = "Token id")), responses(
    (status = 200, description = "The partner token (without its secret)", body = PartnerToken),
    sets::ReadErrors,
), security(("bearer" = [])))]
#[delete("/partner-tokens/{id}")]
pub async fn revoke_partner_token(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<web::Json<PartnerToken>, ApiError> {
    let id = id.into_inner();
    let token = state
        .db
        .write_as(caller, Action::ManagePartnerTokens, move |conn, who| {
            let actor = who.actor();
            Ok(store::revoke(conn, &actor, id)?)
        })
        .await?;
    Ok(web::Json(token))
}
