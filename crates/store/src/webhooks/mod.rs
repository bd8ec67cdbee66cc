//! Webhook subscriptions of partner tokens, their deliveries and every attempt (issue 15 item 2).
//!
//! The worker's side works in short transactions the caller opens: [`fan_out`] turns outbox
//! events into deliveries and moves each subscription's cursor with them (so an event committed
//! before a crash is fanned out after it); [`claim`] leases the oldest pending delivery of each
//! subscription (PostgreSQL: `FOR UPDATE SKIP LOCKED`, so of several servers exactly one sends
//! it); [`record_attempt`] writes the outcome. No transaction stays open across an HTTP call.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use kim_domain::event::EventType;
use kim_domain::paging::PageRequest;
use kim_domain::Scope;

use crate::audit::{self, Actor};
use crate::error::{expect_version, StoreResult};
use crate::outbox::outbox_events;
use crate::schema::partner_tokens;
use crate::{clock, DbConn, Listed};

mod deliveries;

pub use deliveries::{
    claim, deliveries, fan_out, pending_count, record_attempt, redeliver, Attempt, Claimed,
    Delivery,
};

diesel::table! {
    webhook_subscriptions (id) {
        id -> BigInt,
        partner_token_id -> BigInt,
        url -> Text,
        event_types -> Text,
        secret -> Text,
        event_cursor -> BigInt,
        failed_in_a_row -> Integer,
        disabled_at -> Nullable<Timestamp>,
        disabled_reason -> Nullable<Text>,
        version -> Integer,
        created_at -> Timestamp,
        created_by -> Nullable<BigInt>,
        secret_rotated_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> BigInt,
        subscription_id -> BigInt,
        event_id -> BigInt,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Nullable<Timestamp>,
        leased_until -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    webhook_attempts (id) {
        id -> BigInt,
        delivery_id -> BigInt,
        attempted_at -> Timestamp,
        status_code -> Nullable<Integer>,
        error -> Nullable<Text>,
        latency_ms -> BigInt,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    webhook_subscriptions,
    webhook_deliveries,
    webhook_attempts
);

const AUDIT_OBJECT: &str = "webhook_subscription";

/// A subscription as stored (with its secret: the API shows it only when issued).
#[derive(Debug, Clone, PartialEq)]
pub struct Subscription {
    pub id: i64,
    pub partner_token_id: i64,
    pub url: String,
    pub event_types: Vec<EventType>,
    pub secret: String,
    pub failed_in_a_row: i32,
    pub disabled_at: Option<DateTime<Utc>>,
    pub disabled_reason: Option<String>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub created_by: Option<i64>,
    pub secret_rotated_at: Option<DateTime<Utc>>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = webhook_subscriptions, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
struct SubscriptionRow {
    id: i64,
    partner_token_id: i64,
    url: String,
    event_types: String,
    secret: String,
    event_cursor: i64,
    failed_in_a_row: i32,
    disabled_at: Option<NaiveDateTime>,
    disabled_reason: Option<String>,
    version: i32,
    created_at: NaiveDateTime,
    created_by: Option<i64>,
    secret_rotated_at: Option<NaiveDateTime>,
}

impl From<SubscriptionRow> for Subscription {
    fn from(row: SubscriptionRow) -> Self {
        Subscription {
            id: row.id,
            partner_token_id: row.partner_token_id,
            url: row.url,
            // A type this version does not know (written by a newer one) is left out.
            event_types: row
                .event_types
                .split(',')
                .filter_map(|t| EventType::parse(t).ok())
                .collect(),
            secret: row.secret,
            failed_in_a_row: row.failed_in_a_row,
            disabled_at: row.disabled_at.map(clock::to_utc),
            disabled_reason: row.disabled_reason,
            version: row.version,
            created_at: clock::to_utc(row.created_at),
            created_by: row.created_by,
            secret_rotated_at: row.secret_rotated_at.map(clock::to_utc),
        }
    }
}

fn join_types(types: &[EventType]) -> String {
    types
        .iter()
        .map(|t| t.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// What an administrator registers; `url` and `event_types` checked by the caller.
pub struct NewSubscription {
    pub url: String,
    pub event_types: Vec<EventType>,
    pub secret: String,
}

/// The token a subscription belongs to: its organisation and scopes, and whether it is usable.
#[derive(Debug, Clone)]
pub struct TokenScope {
    pub organisation_id: i64,
    pub scopes: Vec<Scope>,
    /// Neither revoked nor expired (a token awaiting confirmation receives once confirmed).
    pub receiving: bool,
}

/// The scopes of token `token_id` (404 when there is none), for checking the event types.
pub fn token_scope(conn: &mut DbConn, token_id: i64) -> StoreResult<TokenScope> {
    let (organisation_id, scopes, revoked_at, expires_at): (
        i64,
        String,
        Option<NaiveDateTime>,
        NaiveDateTime,
    ) = partner_tokens::table
        .find(token_id)
        .select((
            partner_tokens::organisation_id,
            partner_tokens::scopes,
            partner_tokens::revoked_at,
            partner_tokens::expires_at,
        ))
        .first(conn)?;
    Ok(TokenScope {
        organisation_id,
        scopes: Scope::split(&scopes),
        receiving: revoked_at.is_none() && expires_at > clock::now(),
    })
}

fn last_event(conn: &mut DbConn) -> StoreResult<i64> {
    let last: Option<i64> = outbox_events::table
        .select(diesel::dsl::max(outbox_events::id))
        .first(conn)?;
    Ok(last.unwrap_or(0))
}

/// Registers a subscription for token `token_id`, starting at the current end of the outbox:
/// it receives events committed from now on.
pub fn create(
    conn: &mut DbConn,
    actor: &Actor,
    token_id: i64,
    new: &NewSubscription,
) -> StoreResult<Subscription> {
    token_scope(conn, token_id)?;
    let cursor = last_event(conn)?;
    let now = clock::now();
    let id: i64 = diesel::insert_into(webhook_subscriptions::table)
        .values((
            webhook_subscriptions::partner_token_id.eq(token_id),
            webhook_subscriptions::url.eq(&new.url),
            webhook_subscriptions::event_types.eq(join_types(&new.event_types)),
            webhook_subscriptions::secret.eq(&new.secret),
            webhook_subscriptions::event_cursor.eq(cursor),
            webhook_subscriptions::version.eq(1),
            webhook_subscriptions::created_at.eq(now),
            webhook_subscriptions::created_by.eq(actor.id),
        ))
        .returning(webhook_subscriptions::id)
        .get_result(conn)?;
    audit::record(
        conn,
        actor,
        "webhook_subscription.create",
        AUDIT_OBJECT,
        Some(id),
    )?;
    find(conn, token_id, id)
}

/// Subscription `id` of token `token_id`; 404 when it belongs to another token.
pub fn find(conn: &mut DbConn, token_id: i64, id: i64) -> StoreResult<Subscription> {
    Ok(webhook_subscriptions::table
        .filter(webhook_subscriptions::id.eq(id))
        .filter(webhook_subscriptions::partner_token_id.eq(token_id))
        .select(SubscriptionRow::as_select())
        .first(conn)?
        .into())
}

/// Token `token_id`'s subscriptions, oldest first; 404 when the token does not exist.
pub fn list(
    conn: &mut DbConn,
    token_id: i64,
    page: PageRequest,
) -> StoreResult<Listed<Subscription>> {
    token_scope(conn, token_id)?;
    let of_token = webhook_subscriptions::partner_token_id.eq(token_id);
    let total: i64 = webhook_subscriptions::table
        .filter(of_token)
        .count()
        .get_result(conn)?;
    let rows: Vec<SubscriptionRow> = webhook_subscriptions::table
        .filter(of_token)
        .order(webhook_subscriptions::id.asc())
        .limit(page.limit)
        .offset(page.offset)
        .select(SubscriptionRow::as_select())
        .load(conn)?;
    Ok(Listed {
        items: rows.into_iter().map(Subscription::from).collect(),
        total,
    })
}

/// Deletes a subscription with its deliveries and their attempts.
pub fn delete(
    conn: &mut DbConn,
    actor: &Actor,
    token_id: i64,
    id: i64,
    expected_version: i32,
) -> StoreResult<()> {
    let current = find(conn, token_id, id)?;
    expect_version(current.version, expected_version)?;
    let deliveries: Vec<i64> = webhook_deliveries::table
        .filter(webhook_deliveries::subscription_id.eq(id))
        .select(webhook_deliveries::id)
        .load(conn)?;
    diesel::delete(
        webhook_attempts::table.filter(webhook_attempts::delivery_id.eq_any(deliveries)),
    )
    .execute(conn)?;
    diesel::delete(webhook_deliveries::table.filter(webhook_deliveries::subscription_id.eq(id)))
        .execute(conn)?;
    diesel::delete(webhook_subscriptions::table.find(id)).execute(conn)?;
    audit::record(
        conn,
        actor,
        "webhook_subscription.delete",
        AUDIT_OBJECT,
        Some(id),
    )
}

/// Replaces the secret: deliveries from now on are signed with `secret` only.
pub fn rotate_secret(
    conn: &mut DbConn,
    actor: &Actor,
    token_id: i64,
    id: i64,
    secret: &str,
) -> StoreResult<Subscription> {
    let current = find(conn, token_id, id)?;
    diesel::update(webhook_subscriptions::table.find(id))
        .set((
            webhook_subscriptions::secret.eq(secret),
            webhook_subscriptions::secret_rotated_at.eq(Some(clock::now())),
            webhook_subscriptions::version.eq(current.version + 1),
        ))
        .execute(conn)?;
    audit::record(
        conn,
        actor,
        "webhook_subscription.rotate_secret",
        AUDIT_OBJECT,
        Some(id),
    )?;
    find(conn, token_id, id)
}
