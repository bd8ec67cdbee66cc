//! Partner tokens: long-lived bearer tokens of partner systems, bound to one organisation.
//! Only a SHA-256 hash of the secret is stored; the secret is shown once, when issued.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use kim_domain::paging::PageRequest;
use kim_domain::scope::token_status;
use kim_domain::Scope;
use serde::Serialize;
use utoipa::ToSchema;

use crate::audit::{self, Actor};
use crate::error::StoreResult;
use crate::schema::partner_tokens;
use crate::{clock, organisations, DbConn, Listed, StoreError};

#[derive(Queryable, Selectable)]
#[diesel(table_name = partner_tokens, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
struct TokenRow {
    id: i64,
    name: String,
    organisation_id: i64,
    scopes: String,
    token_prefix: String,
    expires_at: NaiveDateTime,
    created_at: NaiveDateTime,
    created_by: Option<i64>,
    revoked_at: Option<NaiveDateTime>,
    awaiting_confirmation: bool,
}

/// Partner-Token: credentials of a partner system, bound to one organisation.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 1, "name": "Jobcenter case system", "organisation_id": 4,
    "scopes": ["referrals:read", "referrals:write"], "token_prefix": "kimp_3f9a1c0",
    "expires_at": "2027-11-25T10:00:00Z", "created_at": "2026-11-25T10:00:00Z",
    "created_by": 1, "revoked_at": null, "status": "active"
}))]
pub struct PartnerToken {
    pub id: i64,
    /// What the token is for, e.g. the partner's system.
    pub name: String,
    pub organisation_id: i64,
    pub scopes: Vec<Scope>,
    /// The first characters of the secret, to recognise it.
    pub token_prefix: String,
    pub expires_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub created_by: Option<i64>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// `active`, `expired`, `revoked` or `awaiting_confirmation` (issued with referral scopes; works
    /// once a second person confirms its access change).
    #[schema(example = "active")]
    pub status: &'static str,
    /// Issued with scopes that reach case data: works only once a second person confirms it.
    #[serde(skip)]
    pub awaiting_confirmation: bool,
}

impl From<TokenRow> for PartnerToken {
    fn from(row: TokenRow) -> Self {
        PartnerToken {
            id: row.id,
            name: row.name,
            organisation_id: row.organisation_id,
            scopes: Scope::split(&row.scopes),
            token_prefix: row.token_prefix,
            expires_at: clock::to_utc(row.expires_at),
            created_at: clock::to_utc(row.created_at),
            created_by: row.created_by,
            revoked_at: row.revoked_at.map(clock::to_utc),
            status: token_status(
                row.revoked_at.is_some(),
                clock::to_utc(row.expires_at),
                row.awaiting_confirmation,
                chrono::Utc::now(),
            ),
            awaiting_confirmation: row.awaiting_confirmation,
        }
    }
}

pub struct NewPartnerToken {
    pub name: String,
    pub organisation_id: i64,
    pub scopes: Vec<Scope>,
    pub token_hash: String,
    pub token_prefix: String,
    pub expires_at: DateTime<Utc>,
    /// The token waits for an access change to be confirmed.
    pub awaiting_confirmation: bool,
}

pub fn insert(
    conn: &mut DbConn,
    actor: &Actor,
    new: &NewPartnerToken,
) -> StoreResult<PartnerToken> {
    if !organisations::exists(conn, new.organisation_id)? {
        return Err(StoreError::unknown(
            "organisation_id",
            format!("no organisation with id {}", new.organisation_id),
        ));
    }
    let id: i64 = diesel::insert_into(partner_tokens::table)
        .values((
            partner_tokens::name.eq(&new.name),
            partner_tokens::organisation_id.eq(new.organisation_id),
            partner_tokens::scopes.eq(Scope::join(&new.scopes)),
            partner_tokens::token_hash.eq(&new.token_hash),
            partner_tokens::token_prefix.eq(&new.token_prefix),
            partner_tokens::expires_at.eq(clock::from_utc(new.expires_at)),
            partner_tokens::created_at.eq(clock::now()),
            partner_tokens::created_by.eq(actor.id),
            partner_tokens::awaiting_confirmation.eq(new.awaiting_confirmation),
        ))
        .returning(partner_tokens::id)
        .get_result(conn)?;
    audit::record(
        conn,
        actor,
        "partner_token.issue",
        "partner_token",
        Some(id),
    )?;
    find(conn, id)
}

pub fn find(conn: &mut DbConn, id: i64) -> StoreResult<PartnerToken> {
    Ok(partner_tokens::table
        .find(id)
        .select(TokenRow::as_select())
        .first(conn)?
        .into())
}

#[derive(Debug, Clone, Default)]
pub struct TokenFilter {
    pub organisation_id: Option<i64>,
    /// `Some(false)`: only tokens that are neither revoked nor expired.
    pub include_inactive: bool,
}

pub fn list(
    conn: &mut DbConn,
    filter: &TokenFilter,
    page: PageRequest,
) -> StoreResult<Listed<PartnerToken>> {
    let build = || {
        let mut q = partner_tokens::table.into_boxed::<crate::connection::MultiBackend>();
        if let Some(org) = filter.organisation_id {
            q = q.filter(partner_tokens::organisation_id.eq(org));
        }
        if !filter.include_inactive {
            q = q
                .filter(partner_tokens::revoked_at.is_null())
                .filter(partner_tokens::expires_at.gt(clock::now()));
        }
        q
    };
    let total: i64 = build().count().get_result(conn)?;
    let rows: Vec<TokenRow> = build()
        .order(partner_tokens::id.desc())
        .limit(page.limit)
        .offset(page.offset)
        .select(TokenRow::as_select())
        .load(conn)?;
    Ok(Listed {
        items: rows.into_iter().map(PartnerToken::from).collect(),
        total,
    })
}

/// Revokes a token; revoking a revoked token is a no-op that keeps the first revocation time.
pub fn revoke(conn: &mut DbConn, actor: &Actor, id: i64) -> StoreResult<PartnerToken> {
    let token = find(conn, id)?;
    if token.revoked_at.is_none() {
        diesel::update(partner_tokens::table.find(id))
            .set((
                partner_tokens::revoked_at.eq(Some(clock::now())),
                partner_tokens::revoked_by.eq(actor.id),
            ))
            .execute(conn)?;
        audit::record(
            conn,
            actor,
            "partner_token.revoke",
            "partner_token",
            Some(id),
        )?;
    }
    find(conn, id)
}

/// Lets a token that waited for its access change work (the change's confirmation applies).
pub(crate) fn confirm(conn: &mut DbConn, id: i64) -> StoreResult<PartnerToken> {
    let changed = diesel::update(partner_tokens::table.find(id))
        .filter(partner_tokens::revoked_at.is_null())
        .set(partner_tokens::awaiting_confirmation.eq(false))
        .execute(conn)?;
    if changed == 0 {
        return Err(StoreError::Conflict(
            "the token was revoked in the meantime; reject this change".into(),
        ));
    }
    find(conn, id)
}

/// The token with this secret hash if it is usable now: not revoked, not expired. A token
/// awaiting confirmation is returned too, so the caller can say why it does not work yet.
pub fn find_usable_by_hash(
    conn: &mut DbConn,
    token_hash: &str,
) -> StoreResult<Option<PartnerToken>> {
    let row: Option<TokenRow> = partner_tokens::table
        .filter(partner_tokens::token_hash.eq(token_hash))
        .filter(partner_tokens::revoked_at.is_null())
        .filter(partner_tokens::expires_at.gt(clock::now()))
        .select(TokenRow::as_select())
        .first(conn)
        .optional()?;
    Ok(row.map(PartnerToken::from))
}
