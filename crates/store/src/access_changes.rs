//! Access changes waiting for a second person (issue 10 item 2). The rule of what needs one and
//! who may decide lives in [`kim_domain::access_change`]; this module keeps the requests and
//! applies them when confirmed, in the confirming request's transaction.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use kim_domain::access_change::{
    grants, summary, AccessChangeKind, AccessChangeStatus, AccountAccess, PendingChange,
};
use kim_domain::paging::PageRequest;
use kim_domain::Role;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::audit::{self, Actor};
use crate::connection::MultiBackend;
use crate::error::{expect_version, StoreResult};
use crate::schema::access_changes;
use crate::users::{self, NewUser, User, UserChanges};
use crate::{clock, partner_tokens, DbConn, Listed, StoreError};

#[derive(Queryable, Selectable)]
#[diesel(table_name = access_changes, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
struct Row {
    id: i64,
    kind: String,
    status: String,
    user_id: Option<i64>,
    partner_token_id: Option<i64>,
    base_version: Option<i32>,
    display_name: Option<String>,
    role: Option<String>,
    organisation_id: Option<i64>,
    active: Option<bool>,
    password_reset: bool,
    summary: String,
    requested_by: Option<i64>,
    requested_at: NaiveDateTime,
    decided_by: Option<i64>,
    decided_at: Option<NaiveDateTime>,
    decision_reason: Option<String>,
}

/// The account as it will be once the change is confirmed.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct RequestedAccount {
    pub display_name: String,
    pub role: Role,
    pub organisation_id: Option<i64>,
    pub active: bool,
    /// The administrator chose a new password; confirming applies it and makes the person set
    /// their own at next login. The password itself is never shown.
    pub password_reset: bool,
}

/// Zugriffsänderung: a grant of access to case data waiting for, or decided by, a second person.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 3, "kind": "change_user", "status": "pending", "user_id": 12, "partner_token_id": null,
    "account": {"display_name": "Anna Schmidt", "role": "case_manager", "organisation_id": 1,
        "active": true, "password_reset": false},
    "summary": "role analyst → case_manager",
    "requested_by": 1, "requested_at": "2026-11-30T09:00:00Z",
    "decided_by": null, "decided_at": null, "decision_reason": null
}))]
pub struct AccessChange {
    pub id: i64,
    pub kind: AccessChangeKind,
    pub status: AccessChangeStatus,
    /// The account concerned (`create_user`, `change_user`).
    pub user_id: Option<i64>,
    /// The token concerned (`issue_partner_token`); its scopes are on `GET /partner-tokens/{id}`.
    pub partner_token_id: Option<i64>,
    /// For accounts: the state the change asks for.
    pub account: Option<RequestedAccount>,
    /// Why a second person must confirm, in words.
    pub summary: String,
    pub requested_by: Option<i64>,
    pub requested_at: DateTime<Utc>,
    pub decided_by: Option<i64>,
    pub decided_at: Option<DateTime<Utc>>,
    /// Why it was rejected.
    pub decision_reason: Option<String>,
    /// The account's version the change was asked against.
    #[serde(skip)]
    pub base_version: Option<i32>,
}

impl AccessChange {
    /// The facts the decision rule needs.
    pub fn pending(&self) -> PendingChange {
        PendingChange {
            status: self.status,
            requested_by: self.requested_by,
            user_id: self.user_id,
        }
    }
}

impl TryFrom<Row> for AccessChange {
    type Error = StoreError;
    fn try_from(row: Row) -> Result<Self, StoreError> {
        let account = match (row.display_name, row.role, row.active) {
            (Some(display_name), Some(role), Some(active)) => Some(RequestedAccount {
                display_name,
                role: Role::parse(&role)?,
                organisation_id: row.organisation_id,
                active,
                password_reset: row.password_reset,
            }),
            _ => None,
        };
        Ok(AccessChange {
            id: row.id,
            kind: AccessChangeKind::parse(&row.kind)?,
            status: AccessChangeStatus::parse(&row.status)?,
            user_id: row.user_id,
            partner_token_id: row.partner_token_id,
            base_version: row.base_version,
            account,
            summary: row.summary,
            requested_by: row.requested_by,
            requested_at: clock::to_utc(row.requested_at),
            decided_by: row.decided_by,
            decided_at: row.decided_at.map(clock::to_utc),
            decision_reason: row.decision_reason,
        })
    }
}

pub fn find(conn: &mut DbConn, id: i64) -> StoreResult<AccessChange> {
    access_changes::table
        .find(id)
        .select(Row::as_select())
        .first(conn)?
        .try_into()
}

/// Filters of the list; all optional, combined with AND. The API reads them from the query
/// string as they are, so their documentation is the parameters'.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AccessChangeFilter {
    pub status: Option<AccessChangeStatus>,
    pub kind: Option<AccessChangeKind>,
    pub user_id: Option<i64>,
    /// Leave out changes this person asked for or that concern their account: what they may
    /// decide (their `/me/tasks`). Not a query parameter.
    #[serde(skip)]
    pub decidable_by: Option<i64>,
}

type Boxed = access_changes::BoxedQuery<'static, MultiBackend>;

fn filtered(filter: &AccessChangeFilter) -> Boxed {
    let mut query = access_changes::table.into_boxed::<MultiBackend>();
    if let Some(status) = filter.status {
        query = query.filter(access_changes::status.eq(status.as_str()));
    }
    if let Some(kind) = filter.kind {
        query = query.filter(access_changes::kind.eq(kind.as_str()));
    }
    if let Some(user_id) = filter.user_id {
        query = query.filter(access_changes::user_id.eq(user_id));
    }
    if let Some(me) = filter.decidable_by {
        query = query
            .filter(
                access_changes::requested_by
                    .is_null()
                    .or(access_changes::requested_by.ne(me)),
            )
            .filter(
                access_changes::user_id
                    .is_null()
                    .or(access_changes::user_id.ne(me)),
            );
    }
    query
}

/// Newest first.
pub fn list(
    conn: &mut DbConn,
    filter: &AccessChangeFilter,
    page: PageRequest,
) -> StoreResult<Listed<AccessChange>> {
    let total: i64 = filtered(filter).count().get_result(conn)?;
    let rows: Vec<Row> = filtered(filter)
        .order(access_changes::id.desc())
        .limit(page.limit)
        .offset(page.offset)
        .select(Row::as_select())
        .load(conn)?;
    Ok(Listed {
        items: rows
            .into_iter()
            .map(AccessChange::try_from)
            .collect::<Result<_, _>>()?,
        total,
    })
}

/// Stores a change of account `user_id` (at `base_version`) that waits for a second person;
/// the account stays as it is. One pending change per account: a second one is a conflict.
pub fn request_account_change(
    conn: &mut DbConn,
    actor: &Actor,
    kind: AccessChangeKind,
    user_id: i64,
    base_version: i32,
    target: &UserChanges,
    summary: &str,
) -> StoreResult<AccessChange> {
    if let Some(pending) = access_changes::table
        .filter(access_changes::user_id.eq(user_id))
        .filter(access_changes::status.eq(AccessChangeStatus::Pending.as_str()))
        .select(access_changes::id)
        .first::<i64>(conn)
        .optional()?
    {
        return Err(StoreError::Conflict(format!(
            "access change {pending} for this account still waits for confirmation: \
             have it decided first"
        )));
    }
    insert_pending(
        conn,
        actor,
        NewRow {
            kind: kind.as_str(),
            user_id: Some(user_id),
            partner_token_id: None,
            base_version: Some(base_version),
            display_name: Some(&target.display_name),
            role: Some(target.role.as_str()),
            organisation_id: target.organisation_id,
            active: Some(target.active),
            password_hash: target.password_hash.as_deref(),
            password_reset: target.password_hash.is_some(),
            summary,
        },
    )
}

/// Creates the account disabled and asks for its activation: the username is taken at once,
/// the account works once a second person confirms.
pub fn request_new_account(
    conn: &mut DbConn,
    actor: &Actor,
    new: &NewUser,
    summary: &str,
) -> StoreResult<AccessChange> {
    let disabled = NewUser {
        active: false,
        ..new.clone()
    };
    let user = users::insert(conn, actor, &disabled)?;
    let target = UserChanges {
        display_name: user.display_name.clone(),
        role: user.role,
        organisation_id: user.organisation_id,
        active: true,
        password_hash: None,
    };
    request_account_change(
        conn,
        actor,
        AccessChangeKind::CreateUser,
        user.id,
        user.version,
        &target,
        summary,
    )
}

/// Stores the issue of token `token_id` (inserted awaiting confirmation) as a pending change.
pub fn request_partner_token(
    conn: &mut DbConn,
    actor: &Actor,
    token_id: i64,
    summary: &str,
) -> StoreResult<AccessChange> {
    insert_pending(
        conn,
        actor,
        NewRow {
            kind: AccessChangeKind::IssuePartnerToken.as_str(),
            user_id: None,
            partner_token_id: Some(token_id),
            base_version: None,
            display_name: None,
            role: None,
            organisation_id: None,
            active: None,
            password_hash: None,
            password_reset: false,
            summary,
        },
    )
}

/// A pending access change as asked for; who asked and when are the actor and now.
#[derive(Insertable)]
#[diesel(table_name = access_changes)]
struct NewRow<'a> {
    kind: &'a str,
    user_id: Option<i64>,
    partner_token_id: Option<i64>,
    base_version: Option<i32>,
    display_name: Option<&'a str>,
    role: Option<&'a str>,
    organisation_id: Option<i64>,
    active: Option<bool>,
    password_hash: Option<&'a str>,
    password_reset: bool,
    summary: &'a str,
}

/// Stores `row` as pending, asked for by `actor` now, with its audit event.
fn insert_pending(conn: &mut DbConn, actor: &Actor, row: NewRow<'_>) -> StoreResult<AccessChange> {
    let id: i64 = diesel::insert_into(access_changes::table)
        .values((
            row,
            access_changes::status.eq(AccessChangeStatus::Pending.as_str()),
            access_changes::requested_by.eq(actor.id),
            access_changes::requested_at.eq(clock::now()),
        ))
        .returning(access_changes::id)
        .get_result(conn)?;
    audit::record(
        conn,
        actor,
        "access_change.create",
        "access_change",
        Some(id),
    )?;
    find(conn, id)
}

/// Marks a pending change decided and forgets the password hash it held. Conflict when
/// someone decided it in the meantime.
fn decide(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    status: AccessChangeStatus,
    reason: Option<&str>,
) -> StoreResult<()> {
    let changed = diesel::update(
        access_changes::table
            .find(id)
            .filter(access_changes::status.eq(AccessChangeStatus::Pending.as_str())),
    )
    .set((
        access_changes::status.eq(status.as_str()),
        access_changes::decided_by.eq(actor.id),
        access_changes::decided_at.eq(Some(clock::now())),
        access_changes::decision_reason.eq(reason),
        access_changes::password_hash.eq(None::<String>),
    ))
    .execute(conn)?;
    if changed == 0 {
        return Err(StoreError::Conflict(
            "this access change was decided in the meantime".into(),
        ));
    }
    let action = match status {
        AccessChangeStatus::Rejected => "access_change.reject",
        _ => "access_change.confirm",
    };
    audit::record(conn, actor, action, "access_change", Some(id))
}

/// Confirms `change` and applies it: the account takes the requested state (refused when it
/// changed since the request), the token starts to work.
pub fn confirm(
    conn: &mut DbConn,
    actor: &Actor,
    change: &AccessChange,
) -> StoreResult<AccessChange> {
    match (change.user_id, change.partner_token_id, &change.account) {
        (Some(user_id), _, Some(account)) => {
            // The hash is read only here, to apply it; deciding the change removes it.
            let password_hash: Option<String> = access_changes::table
                .find(change.id)
                .select(access_changes::password_hash)
                .first(conn)?;
            let target = UserChanges {
                display_name: account.display_name.clone(),
                role: account.role,
                organisation_id: account.organisation_id,
                active: account.active,
                password_hash,
            };
            let base_version = change.base_version.unwrap_or_default();
            users::update(conn, actor, user_id, base_version, &target).map_err(|e| match e {
                StoreError::StaleVersion { current } => StoreError::Conflict(format!(
                    "the account changed since this change was asked for (version \
                     {base_version}, now {current}): reject it and ask again"
                )),
                other => other,
            })?;
        }
        (None, Some(token_id), _) => {
            partner_tokens::confirm(conn, token_id)?;
        }
        _ => {
            return Err(StoreError::Conflict(
                "this access change names neither an account nor a token".into(),
            ))
        }
    }
    decide(conn, actor, change.id, AccessChangeStatus::Confirmed, None)?;
    find(conn, change.id)
}

/// Rejects `change`: the account keeps its state (a new account stays disabled), a token
/// waiting for it is revoked.
pub fn reject(
    conn: &mut DbConn,
    actor: &Actor,
    change: &AccessChange,
    reason: &str,
) -> StoreResult<AccessChange> {
    decide(
        conn,
        actor,
        change.id,
        AccessChangeStatus::Rejected,
        Some(reason),
    )?;
    if let Some(token_id) = change.partner_token_id {
        partner_tokens::revoke(conn, actor, token_id)?;
    }
    find(conn, change.id)
}

/// What became of an account request: applied at once, or waiting for a second person.
#[derive(Debug)]
pub enum Outcome<T> {
    Applied(T),
    Pending(Box<AccessChange>),
}

fn access_of(role: Role, organisation_id: Option<i64>, active: bool) -> AccountAccess {
    AccountAccess {
        role,
        organisation_id,
        active,
    }
}

/// Creates an account, or, when it would reach case data, creates it disabled and asks a
/// second person to confirm its activation.
pub fn create_account(
    conn: &mut DbConn,
    actor: &Actor,
    new: &NewUser,
) -> StoreResult<Outcome<User>> {
    let reasons = grants(
        None,
        access_of(new.role, new.organisation_id, new.active),
        false,
    );
    if reasons.is_empty() {
        return users::insert(conn, actor, new).map(Outcome::Applied);
    }
    request_new_account(conn, actor, new, &summary(&reasons)).map(|c| Outcome::Pending(Box::new(c)))
}

/// Changes account `id` (at `expected_version`), or, when the change would let it reach case
/// data it did not reach before, keeps the account as it is and asks a second person.
pub fn change_account(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    expected_version: i32,
    changes: &UserChanges,
) -> StoreResult<Outcome<User>> {
    let current = users::find(conn, id)?;
    expect_version(current.version, expected_version)?;
    let reasons = grants(
        Some(access_of(
            current.role,
            current.organisation_id,
            current.active,
        )),
        access_of(changes.role, changes.organisation_id, changes.active),
        changes.password_hash.is_some(),
    );
    if reasons.is_empty() {
        return users::update(conn, actor, id, expected_version, changes).map(Outcome::Applied);
    }
    users::check_organisation(conn, changes.organisation_id)?;
    request_account_change(
        conn,
        actor,
        AccessChangeKind::ChangeUser,
        id,
        expected_version,
        changes,
        &summary(&reasons),
    )
    .map(|c| Outcome::Pending(Box::new(c)))
}
