//! Access changes: grants of access to case data that wait for a second person (issue 10 item
//! 2). Administrators ask for them through `POST /users`, `PUT /users/{id}` and
//! `POST /partner-tokens` (which answer 202 with the change); the data protection officer or
//! the KI lead confirms or rejects them here. The rule is [`kim_domain::access_change`].

use crate::http::body::Json;
use crate::routes::RouteTable;
use actix_web::{get, post, web};
use kim_domain::access_change::{self as rule};
use kim_store::access_changes::{self as store, AccessChangeFilter};
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use super::not_blank;
use crate::auth::{Authenticated, Caller};
use crate::error::error_sets as sets;
use crate::error::responses as err;
use crate::http::paging::PageParams;
use crate::server::AppState;
use crate::views::access_change::AccessChange;
use crate::{page_type, ApiError};

pub fn configure(cfg: &mut impl RouteTable) {
    cfg.service(list_access_changes)
        .service(get_access_change)
        .service(confirm_access_change)
        .service(reject_access_change);
}

page_type!(AccessChangePage, AccessChange);

fn require_reader(who: &Authenticated) -> Result<(), ApiError> {
    if rule::may_read(&who.principal) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "access changes are for administrators, the data protection officer and the KI lead"
                .into(),
        ))
    }
}

/// List access changes
///
/// Newest first; filter by `status` (e.g. `pending`), `kind` and `user_id`. A confirmer's
/// pending changes are also on their `/me/tasks`.
///
/// **Who may call:** `admin`, `data_protection_officer`, `ki_lead`.
#[utoipa::path(tag = "Access changes", params(PageParams, AccessChangeFilter), responses(
    (status = 200, description = "One page of access changes", body = AccessChangePage),
    sets::ListErrors,
), security(("bearer" = [])))]
#[get("/access-changes")]
pub async fn list_access_changes(
    caller: Caller,
    state: web::Data<AppState>,
    paging: web::Query<PageParams>,
    filter: web::Query<AccessChangeFilter>,
) -> Result<web::Json<AccessChangePage>, ApiError> {
    let page = paging.page()?;
    let filter = filter.into_inner();
    let access_changes = state
        .db
        .read_with(caller, move |conn, who| {
            require_reader(who)?;
            Ok::<_, ApiError>(store::list(conn, &filter, page)?)
        })
        .await?;
    Ok(web::Json(AccessChangePage::new(access_changes, page)))
}

/// Get an access change
///
/// **Who may call:** `admin`, `data_protection_officer`, `ki_lead`.
#[utoipa::path(tag = "Access changes", params(("id" = i64, Path, description = "Access change id")), responses(
    (status = 200, description = "The access change", body = AccessChange),
    sets::ReadErrors,
), security(("bearer" = [])))]
#[get("/access-changes/{id}")]
pub async fn get_access_change(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<web::Json<AccessChange>, ApiError> {
    let id = id.into_inner();
    let change = state
        .db
        .read_with(caller, move |conn, who| {
            require_reader(who)?;
            Ok::<_, ApiError>(store::find(conn, id)?)
        })
        .await?;
    Ok(web::Json(change))
}

/// Confirm an access change
///
/// Applies the change: the account takes the requested state (a new account becomes active;
/// a new password applies and the person must set their own at next login; sessions issued
/// before end), or the partner token starts to work. Refused with 403 `confirmation-required`
/// when the caller asked for the change or it concerns their own account, 409 `already-decided`
/// when it is no longer pending, and 409 `conflict` when the account was changed since the
/// request (reject it and ask again).
///
/// **Who may call:** `data_protection_officer`, `ki_lead` — not the requester, not the person
/// concerned.
#[utoipa::path(tag = "Access changes", params(("id" = i64, Path, description = "Access change id")), responses(
    (status = 200, description = "The confirmed access change", body = AccessChange),
    (status = 401, response = err::Unauthorized),
    (status = 403, response = err::Forbidden),
    (status = 404, response = err::NotFound),
    (status = 409, response = err::Conflict),
    (status = 503, response = err::Unavailable),
), security(("bearer" = [])))]
#[post("/access-changes/{id}/confirm")]
pub async fn confirm_access_change(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<web::Json<AccessChange>, ApiError> {
    let id = id.into_inner();
    let confirmed = state
        .db
        .write_with(caller, move |conn, who| {
            require_reader(who)?;
            let change = store::find(conn, id)?;
            rule::may_decide(&who.principal, change.pending())?;
            Ok::<_, ApiError>(store::confirm(conn, &who.actor(), &change)?)
        })
        .await?;
    Ok(web::Json(confirmed))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "Ms Schmidt starts in the Jobcenter, not in case management"}))]
pub struct RejectInput {
    /// Why, for the requester (1 to 500 characters).
    #[validate(length(max = 500), custom(function = "not_blank"))]
    #[schema(pattern = "\\S", min_length = 1, max_length = 500)]
    pub reason: String,
}

/// Reject an access change
///
/// The account keeps its state (a new account stays disabled; delete it or ask again), a
/// partner token waiting for the change is revoked. Same refusals as confirming.
///
/// **Who may call:** `data_protection_officer`, `ki_lead` — not the requester, not the person
/// concerned.
#[utoipa::path(tag = "Access changes", request_body = RejectInput,
    params(("id" = i64, Path, description = "Access change id")), responses(
    (status = 200, description = "The rejected access change", body = AccessChange),
    (status = 404, response = err::NotFound),
    sets::CreateErrors,
), security(("bearer" = [])))]
#[post("/access-changes/{id}/reject")]
pub async fn reject_access_change(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: Json<RejectInput>,
) -> Result<web::Json<AccessChange>, ApiError> {
    let id = id.into_inner();
    let input = body.into_inner();
    let rejected = state
        .db
        .write_with(caller, move |conn, who| {
            require_reader(who)?;
            input.validate()?;
            let reason = input.reason.trim();
            let change = store::find(conn, id)?;
            rule::may_decide(&who.principal, change.pending())?;
            Ok::<_, ApiError>(store::reject(conn, &who.actor(), &change, reason)?)
        })
        .await?;
    Ok(web::Json(rejected))
}
