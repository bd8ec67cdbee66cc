//! User accounts of people. The password hash never leaves this module except for the one
//! function that checks a login.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use kim_domain::paging::PageRequest;
use kim_domain::Role;
use serde::Deserialize;
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};

use crate::audit::{self, Actor};
use crate::connection::MultiBackend;
use crate::error::{expect_version, StoreResult};
use crate::municipalities::like_pattern;
use crate::schema::{lower, users};
use crate::versioned::{delete_versioned, update_versioned};
use crate::{clock, organisations, DbConn, Direction, Listed, StoreError};

#[derive(Queryable, Selectable)]
#[diesel(table_name = users, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
struct UserRow {
    id: i64,
    username: String,
    display_name: String,
    role: String,
    organisation_id: Option<i64>,
    active: bool,
    version: i32,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    token_version: i32,
    must_change_password: bool,
}

/// Benutzerkonto (user account) of a person. The password is never returned.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 5, "username": "case_manager", "display_name": "Demo Case Manager", "role": "case_manager",
    "organisation_id": 1, "active": true, "version": 1,
    "created_at": "2026-11-25T10:00:00Z", "updated_at": "2026-11-25T10:00:00Z"
}))]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// The organisation the person works for (employer).
    pub organisation_id: Option<i64>,
    /// A disabled account cannot log in, and its tokens stop working at once.
    pub active: bool,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Access tokens carry it; raising it ends every session issued before.
    #[serde(skip)]
    pub token_version: i32,
    /// Set by an administrator's reset: the account must set its own password first.
    #[serde(skip)]
    pub must_change_password: bool,
}

impl TryFrom<UserRow> for User {
    type Error = StoreError;
    fn try_from(row: UserRow) -> Result<Self, StoreError> {
        Ok(User {
            id: row.id,
            username: row.username,
            display_name: row.display_name,
            role: Role::parse(&row.role)?,
            organisation_id: row.organisation_id,
            active: row.active,
            version: row.version,
            created_at: clock::to_utc(row.created_at),
            updated_at: clock::to_utc(row.updated_at),
            token_version: row.token_version,
            must_change_password: row.must_change_password,
        })
    }
}

/// A new account; the password arrives already hashed (argon2id, by the API).
#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub organisation_id: Option<i64>,
    pub active: bool,
    pub password_hash: String,
    /// Someone else chose the password (an administrator): the person sets their own before
    /// anything else. The server's CLI and the seeds create accounts without it.
    pub must_change_password: bool,
}

/// The fields an administrator may change. The username is fixed once created.
#[derive(Debug, Clone)]
pub struct UserChanges {
    pub display_name: String,
    pub role: Role,
    pub organisation_id: Option<i64>,
    pub active: bool,
    /// A new password hash, when the administrator resets the password.
    pub password_hash: Option<String>,
}

/// Filters of the list; all optional, combined with AND.
/// The API reads them from the query string as they are, so their documentation is the
/// parameters'.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserFilter {
    /// Case-insensitive part of the username or display name.
    #[serde(default, deserialize_with = "crate::filter::trimmed")]
    pub q: Option<String>,
    pub role: Option<Role>,
    pub organisation_id: Option<i64>,
    pub active: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserSort {
    Username,
    DisplayName,
    CreatedAt,
}

type Boxed = users::BoxedQuery<'static, MultiBackend>;

fn filtered(filter: &UserFilter) -> Boxed {
    let mut query = users::table.into_boxed::<MultiBackend>();
    if let Some(q) = &filter.q {
        let pattern = like_pattern(q);
        query = query.filter(
            lower(users::username)
                .like(pattern.clone())
                .or(lower(users::display_name).like(pattern)),
        );
    }
    if let Some(role) = filter.role {
        query = query.filter(users::role.eq(role.as_str()));
    }
    if let Some(org) = filter.organisation_id {
        query = query.filter(users::organisation_id.eq(org));
    }
    if let Some(active) = filter.active {
        query = query.filter(users::active.eq(active));
    }
    query
}

pub fn list(
    conn: &mut DbConn,
    filter: &UserFilter,
    sort: UserSort,
    direction: Direction,
    page: PageRequest,
) -> StoreResult<Listed<User>> {
    let total: i64 = filtered(filter).count().get_result(conn)?;
    let query = match (sort, direction) {
        (UserSort::Username, Direction::Asc) => filtered(filter).order(users::username.asc()),
        (UserSort::Username, Direction::Desc) => filtered(filter).order(users::username.desc()),
        (UserSort::DisplayName, Direction::Asc) => {
            filtered(filter).order(users::display_name.asc())
        }
        (UserSort::DisplayName, Direction::Desc) => {
            filtered(filter).order(users::display_name.desc())
        }
        (UserSort::CreatedAt, Direction::Asc) => filtered(filter).order(users::created_at.asc()),
        (UserSort::CreatedAt, Direction::Desc) => filtered(filter).order(users::created_at.desc()),
    };
    let rows: Vec<UserRow> = query
        .then_order_by(users::id.asc())
        .limit(page.limit)
        .offset(page.offset)
        .select(UserRow::as_select())
        .load(conn)?;
    let items = rows
        .into_iter()
        .map(User::try_from)
        .collect::<StoreResult<_>>()?;
    Ok(Listed { items, total })
}

pub fn find(conn: &mut DbConn, id: i64) -> StoreResult<User> {
    users::table
        .find(id)
        .select(UserRow::as_select())
        .first(conn)?
        .try_into()
}

/// The account and its password hash, for checking a login. Unknown usernames → `None`.
pub fn find_for_login(conn: &mut DbConn, username: &str) -> StoreResult<Option<(User, String)>> {
    let found: Option<(UserRow, String)> = users::table
        .filter(users::username.eq(username))
        .select((UserRow::as_select(), users::password_hash))
        .first(conn)
        .optional()?;
    found
        .map(|(row, hash)| Ok((User::try_from(row)?, hash)))
        .transpose()
}

pub(crate) fn check_organisation(
    conn: &mut DbConn,
    organisation_id: Option<i64>,
) -> StoreResult<()> {
    match organisation_id {
        Some(id) if !organisations::exists(conn, id)? => Err(StoreError::unknown(
            "organisation_id",
            format!("no organisation with id {id}"),
        )),
        _ => Ok(()),
    }
}

pub fn insert(conn: &mut DbConn, actor: &Actor, new: &NewUser) -> StoreResult<User> {
    check_organisation(conn, new.organisation_id)?;
    let now = clock::now();
    let user: User = diesel::insert_into(users::table)
        .values((
            users::username.eq(&new.username),
            users::display_name.eq(&new.display_name),
            users::role.eq(new.role.as_str()),
            users::organisation_id.eq(new.organisation_id),
            users::active.eq(new.active),
            users::password_hash.eq(&new.password_hash),
            users::must_change_password.eq(new.must_change_password),
            users::version.eq(1),
            users::created_at.eq(now),
            users::updated_at.eq(now),
        ))
        .returning((
            users::id,
            users::username,
            users::display_name,
            users::role,
            users::organisation_id,
            users::active,
            users::version,
            users::created_at,
            users::updated_at,
            users::token_version,
            users::must_change_password,
        ))
        .get_result::<UserRow>(conn)
        .map_err(|e| StoreError::from(e).on_field("username"))?
        .try_into()?;
    audit::record(conn, actor, "user.create", "user", Some(user.id))?;
    Ok(user)
}

pub fn update(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    expected_version: i32,
    changes: &UserChanges,
) -> StoreResult<User> {
    let current = find(conn, id)?;
    expect_version(current.version, expected_version)?;
    check_organisation(conn, changes.organisation_id)?;
    // What a token vouches for changes: every session issued before ends (issue 10 item 3).
    let ends_sessions = changes.role != current.role
        || changes.organisation_id != current.organisation_id
        || changes.active != current.active
        || changes.password_hash.is_some();
    let token_version = current.token_version + i32::from(ends_sessions);
    update_versioned!(
        conn,
        users,
        id,
        expected_version,
        (
            users::display_name.eq(&changes.display_name),
            users::role.eq(changes.role.as_str()),
            users::organisation_id.eq(changes.organisation_id),
            users::active.eq(changes.active),
            users::token_version.eq(token_version),
        )
    )?;
    if let Some(hash) = &changes.password_hash {
        // Someone else chose this password: the account must replace it at next login.
        diesel::update(users::table.filter(users::id.eq(id)))
            .set((
                users::password_hash.eq(hash),
                users::must_change_password.eq(true),
            ))
            .execute(conn)?;
        audit::record(conn, actor, "user.password_reset", "user", Some(id))?;
    }
    audit::record(conn, actor, "user.update", "user", Some(id))?;
    find(conn, id)
}

pub fn delete(conn: &mut DbConn, actor: &Actor, id: i64, expected_version: i32) -> StoreResult<()> {
    let current = find(conn, id)?;
    expect_version(current.version, expected_version)?;
    delete_versioned!(conn, users, id, expected_version)?;
    audit::record(conn, actor, "user.delete", "user", Some(id))?;
    Ok(())
}

/// What each request checks about a person's account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Session {
    pub role: Role,
    pub token_version: i32,
    pub must_change_password: bool,
}

/// The session facts of an active account, or `None` when it is deleted or disabled. Called on
/// every request, so a disabled account, a changed role and a revoked session take effect at
/// once, whatever the token says.
pub fn session(conn: &mut DbConn, id: i64) -> StoreResult<Option<Session>> {
    let row: Option<(String, i32, bool)> = users::table
        .filter(users::id.eq(id))
        .filter(users::active.eq(true))
        .select((
            users::role,
            users::token_version,
            users::must_change_password,
        ))
        .first(conn)
        .optional()?;
    row.map(|(role, token_version, must_change_password)| {
        Ok(Session {
            role: Role::parse(&role)?,
            token_version,
            must_change_password,
        })
    })
    .transpose()
}

/// Ends every session of `id` (logout): tokens issued before are refused from now on.
pub fn end_sessions(conn: &mut DbConn, actor: &Actor, id: i64) -> StoreResult<()> {
    diesel::update(users::table.filter(users::id.eq(id)))
        .set(users::token_version.eq(users::token_version + 1))
        .execute(conn)?;
    audit::record(conn, actor, "user.logout", "user", Some(id))?;
    Ok(())
}

/// The account sets its own password: clears `must_change_password` and ends every other
/// session (the caller issues a fresh token); returns the account.
pub fn set_own_password(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    password_hash: &str,
) -> StoreResult<User> {
    diesel::update(users::table.filter(users::id.eq(id)))
        .set((
            users::password_hash.eq(password_hash),
            users::must_change_password.eq(false),
            users::token_version.eq(users::token_version + 1),
            users::updated_at.eq(clock::now()),
        ))
        .execute(conn)?;
    audit::record(conn, actor, "user.password_change", "user", Some(id))?;
    find(conn, id)
}

/// The role of an active account, or `None` when it is deleted or disabled. Called on every
/// request, so a disabled account loses access at once, whatever its token says.
pub fn active_role(conn: &mut DbConn, id: i64) -> StoreResult<Option<Role>> {
    let role: Option<String> = users::table
        .filter(users::id.eq(id))
        .filter(users::active.eq(true))
        .select(users::role)
        .first(conn)
        .optional()?;
    role.map(|r| Role::parse(&r).map_err(StoreError::from))
        .transpose()
}

/// Which users a reference may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Referable {
    /// Any account, also a disabled one (a member listed in a body's history, a position's holder).
    Any,
    /// Only accounts that can act (someone assigned a case or a task).
    Active,
}

/// The first id in `ids` that names no user (or no active one); `None` when all do.
pub fn first_unknown(
    conn: &mut DbConn,
    ids: &[i64],
    referable: Referable,
) -> StoreResult<Option<i64>> {
    if ids.is_empty() {
        return Ok(None);
    }
    let mut query = users::table
        .filter(users::id.eq_any(ids))
        .select(users::id)
        .into_boxed::<crate::connection::MultiBackend>();
    if referable == Referable::Active {
        query = query.filter(users::active.eq(true));
    }
    let known: Vec<i64> = query.load(conn)?;
    Ok(ids.iter().copied().find(|id| !known.contains(id)))
}

/// `UnknownReference` on `field` unless every id names a (referable) user.
pub fn check_references(
    conn: &mut DbConn,
    field: &'static str,
    ids: &[i64],
    referable: Referable,
) -> StoreResult<()> {
    match first_unknown(conn, ids, referable)? {
        None => Ok(()),
        Some(id) => Err(StoreError::UnknownReference {
            field,
            message: match referable {
                Referable::Any => format!("no user with id {id}"),
                Referable::Active => format!("no active user with id {id}"),
            },
        }),
    }
}

pub fn find_by_username(conn: &mut DbConn, username: &str) -> StoreResult<Option<User>> {
    Ok(find_for_login(conn, username)?.map(|(user, _)| user))
}
