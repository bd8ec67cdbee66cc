//! User accounts of people. Administrators manage them; managing accounts grants no access to
//! case data (the permission table keeps those apart).

use crate::http::body::Json;
use crate::routes::RouteTable;
use actix_web::{delete, get, post, put, web, HttpResponse};
use kim_domain::text::{check_password, check_username};
use kim_domain::{Action, Principal, Role};
use kim_store::access_changes::{self, Outcome};
use kim_store::users::{self as store, NewUser, UserChanges, UserFilter, UserSort};
use kim_store::Direction;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use validator::{Validate, ValidationError};

use super::not_blank;
use crate::auth::{password, Authenticated, Caller};
use crate::error::error_sets as sets;
use crate::http::paging::{parse_sort, PageParams};
use crate::http::precondition::{created_versioned, ok_versioned, IfMatch};
use crate::server::AppState;
use crate::views::access_change::{accepted, AccessChange};
use crate::{page_type, ApiError};

pub use kim_store::users::User;

pub fn configure(cfg: &mut impl RouteTable) {
    cfg.service(list_users)
        .service(get_user)
        .service(create_user)
        .service(update_user)
        .service(delete_user);
}

page_type!(UserPage, User);

fn username_rule(value: &str) -> Result<(), ValidationError> {
    check_username(value).map_err(|message| {
        let mut e = ValidationError::new("username");
        e.message = Some(message.into());
        e
    })
}

fn password_rule(value: &str) -> Result<(), ValidationError> {
    check_password(value).map_err(|message| {
        let mut e = ValidationError::new("password");
        e.message = Some(message.into());
        e
    })
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "username": "anna.schmidt", "display_name": "Anna Schmidt", "role": "case_manager",
    "organisation_id": 1, "password": "a long initial passphrase"
}))]
pub struct NewUserInput {
    /// 3 to 64 characters: lowercase letters, digits, `.`, `_`, `-`; starts with a letter. Fixed once created.
    #[validate(custom(function = "username_rule"))]
    #[schema(min_length = 3, max_length = 64, pattern = "^[a-z][a-z0-9._-]{2,63}$")]
    pub username: String,
    #[validate(length(max = 200), custom(function = "not_blank"))]
    #[schema(pattern = "\\S", min_length = 1, max_length = 200)]
    pub display_name: String,
    pub role: Role,
    pub organisation_id: Option<i64>,
    /// At least 12 characters.
    #[validate(custom(function = "password_rule"))]
    #[schema(min_length = 12, max_length = 256, format = Password)]
    pub password: String,
    /// Default `true`.
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "display_name": "Anna Schmidt", "role": "cm_coordinator", "organisation_id": 1, "active": true
}))]
pub struct UserUpdateInput {
    #[validate(length(max = 200), custom(function = "not_blank"))]
    #[schema(pattern = "\\S", min_length = 1, max_length = 200)]
    pub display_name: String,
    pub role: Role,
    pub organisation_id: Option<i64>,
    pub active: bool,
    /// Sets a new password (an administrator's reset); omit to keep the current one.
    #[validate(custom(function = "password_rule"))]
    #[schema(min_length = 12, max_length = 256, format = Password)]
    pub password: Option<String>,
}

/// The order of the list; its filters are the store's [`UserFilter`].
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserOrder {
    /// `username`, `display_name` or `created_at`; prefix `-` for descending. Default `username`.
    #[param(pattern = "^(-?(username|display_name|created_at))?$")]
    pub sort: Option<String>,
}

const SORT_FIELDS: &[(&str, UserSort)] = &[
    ("username", UserSort::Username),
    ("display_name", UserSort::DisplayName),
    ("created_at", UserSort::CreatedAt),
];

/// List user accounts
///
/// **Who may call:** `admin`.
#[utoipa::path(tag = "Users", params(PageParams, UserFilter, UserOrder), responses(
    (status = 200, description = "One page of user accounts", body = UserPage),
    sets::ListErrors,
), security(("bearer" = [])))]
#[get("/users")]
pub async fn list_users(
    caller: Caller,
    state: web::Data<AppState>,
    paging: web::Query<PageParams>,
    filter: web::Query<UserFilter>,
    order: web::Query<UserOrder>,
) -> Result<web::Json<UserPage>, ApiError> {
    let page = paging.page()?;
    let (sort, direction) = parse_sort(
        order.sort.as_deref(),
        (UserSort::Username, Direction::Asc),
        SORT_FIELDS,
    )?;
    let filter = filter.into_inner();
    let users = state
        .db
        .read_as(caller, Action::ManageUsers, move |conn, _| {
            store::list(conn, &filter, sort, direction, page)
        })
        .await?;
    Ok(web::Json(UserPage::new(users, page)))
}

/// Get a user account
///
/// **Who may call:** `admin`.
#[utoipa::path(tag = "Users", params(("id" = i64, Path, description = "User id")), responses(
    (status = 200, description = "The user account", body = User, headers(("ETag" = String))),
    sets::ReadErrors,
), security(("bearer" = [])))]
#[get("/users/{id}")]
pub async fn get_user(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let user_id = id.into_inner();
    let user = state
        .db
        .read_as(caller, Action::ManageUsers, move |conn, _| {
            store::find(conn, user_id)
        })
        .await?;
    let version = user.version;
    Ok(ok_versioned(&user, version))
}

/// Create a user account
///
/// The password is stored as an argon2id hash; the person must set their own at first login
/// (every other call answers 403 `password-change-required` until then). Usernames are unique
/// (409).
///
/// An active account whose role reaches case data (`case_manager`, `cm_coordinator`,
/// `immigration_officer`, and the confirmers `data_protection_officer` and `ki_lead`) is
/// created disabled and works once a second person confirms it: the answer is then 202 with
/// the access change (`Location: /api/v1/access-changes/{id}`). The server's CLI
/// (`kim user create`) stays the bootstrap path and needs no confirmation.
///
/// **Who may call:** `admin`.
#[utoipa::path(tag = "Users", request_body = NewUserInput, responses(
    (status = 201, description = "Created", body = User, headers(("ETag" = String), ("Location" = String))),
    (status = 202, description = "Created disabled; its activation waits for a second person", body = AccessChange, headers(("Location" = String))),
    sets::CreateErrors,
), security(("bearer" = [])))]
#[post("/users")]
pub async fn create_user(
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<NewUserInput>,
) -> Result<HttpResponse, ApiError> {
    let caller = state.db.authenticate(caller).await?;
    caller.require(Action::ManageUsers)?;
    let input = body.into_inner();
    input.validate()?;
    let secret = input.password;
    let password_hash = web::block(move || password::hash(&secret))
        .await?
        .map_err(ApiError::Internal)?;
    let new = NewUser {
        username: input.username,
        display_name: input.display_name.trim().to_owned(),
        role: input.role,
        organisation_id: input.organisation_id,
        active: input.active,
        password_hash,
        must_change_password: true,
    };
    let actor = caller.actor();
    let outcome = state
        .db
        .write(move |conn| access_changes::create_account(conn, &actor, &new))
        .await?;
    Ok(match outcome {
        Outcome::Applied(created) => {
            let (id, version) = (created.id, created.version);
            created_versioned(&created, version, format!("/api/v1/users/{id}"))
        }
        Outcome::Pending(change) => accepted(*change),
    })
}

/// Change a user account
///
/// Changes display name, role, organisation and active flag, and optionally resets the
/// password. Requires `If-Match`. Administrators cannot disable themselves or take away their
/// own admin role (409), so the county is never left without an administrator by accident.
///
/// A change that lets the account reach case data it did not reach before (activating it,
/// giving it a role that works or reads cases, moving such an account to another organisation,
/// setting its password) is not applied: it waits for a second person, and the answer is 202
/// with the access change. One such change per account at a time (409). Changes that take
/// access away apply at once. Sessions issued before a role, organisation, activity or password
/// change end; after a reset the person must set their own password.
///
/// **Who may call:** `admin`.
#[utoipa::path(tag = "Users", request_body = UserUpdateInput,
    params(("id" = i64, Path, description = "User id"), ("If-Match" = String, Header, description = "ETag of the version you edited")),
    responses(
    (status = 200, description = "The user account", body = User, headers(("ETag" = String))),
    (status = 202, description = "Not applied yet: waits for a second person", body = AccessChange, headers(("Location" = String))),
    sets::ReplaceErrors,
), security(("bearer" = [])))]
#[put("/users/{id}")]
pub async fn update_user(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: Json<UserUpdateInput>,
) -> Result<HttpResponse, ApiError> {
    let caller = state.db.authenticate(caller).await?;
    caller.require(Action::ManageUsers)?;
    let expected = if_match.version()?;
    let input = body.into_inner();
    input.validate()?;
    let id = id.into_inner();
    if is_self(&caller, id) && (!input.active || input.role != Role::Admin) {
        return Err(ApiError::Conflict(
            "you cannot disable your own account or remove your own admin role".into(),
        ));
    }
    let password_hash = match input.password {
        Some(secret) => Some(
            web::block(move || password::hash(&secret))
                .await?
                .map_err(ApiError::Internal)?,
        ),
        None => None,
    };
    let changes = UserChanges {
        display_name: input.display_name.trim().to_owned(),
        role: input.role,
        organisation_id: input.organisation_id,
        active: input.active,
        password_hash,
    };
    let actor = caller.actor();
    let outcome = state
        .db
        .write(move |conn| access_changes::change_account(conn, &actor, id, expected, &changes))
        .await?;
    Ok(match outcome {
        Outcome::Applied(updated) => {
            let version = updated.version;
            ok_versioned(&updated, version)
        }
        Outcome::Pending(change) => accepted(*change),
    })
}

/// Delete a user account
///
/// The account stops working at once, including tokens already issued. Requires `If-Match`.
/// Administrators cannot delete themselves (409).
///
/// **Who may call:** `admin`.
#[utoipa::path(tag = "Users",
    params(("id" = i64, Path, description = "User id"), ("If-Match" = String, Header, description = "ETag of the current version")),
    responses(
    (status = 204, description = "Deleted"),
    sets::DeleteErrors,
), security(("bearer" = [])))]
#[delete("/users/{id}")]
pub async fn delete_user(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let caller = state.db.authenticate(caller).await?;
    caller.require(Action::ManageUsers)?;
    let expected = if_match.version()?;
    let id = id.into_inner();
    if is_self(&caller, id) {
        return Err(ApiError::Conflict(
            "you cannot delete your own account".into(),
        ));
    }
    let actor = caller.actor();
    state
        .db
        .write(move |conn| store::delete(conn, &actor, id, expected))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

fn is_self(caller: &Authenticated, id: i64) -> bool {
    matches!(caller.principal, Principal::Person { user_id, .. } if user_id == id)
}
