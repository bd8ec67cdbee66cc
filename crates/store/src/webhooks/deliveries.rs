//! The deliveries of webhook events and every attempt: fanning outbox events out to the
//! subscriptions, claiming what is due, recording each attempt, redelivering on request.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use kim_domain::event::EventType;
use kim_domain::paging::PageRequest;
use kim_domain::webhook::{self, AfterAttempt, DeliveryStatus};
use kim_domain::Scope;

use crate::audit::{self, Actor};
use crate::error::StoreResult;
use crate::outbox::{self, outbox_events, Event};
use crate::schema::partner_tokens;
use crate::{clock, DbConn, Listed, StoreError};

use super::{
    find, webhook_attempts, webhook_deliveries, webhook_subscriptions, Subscription,
    SubscriptionRow, TokenScope,
};

/// One attempt to deliver.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    pub attempted_at: DateTime<Utc>,
    /// The receiver's HTTP status; `None` when it gave no answer.
    pub status_code: Option<i32>,
    /// Why there was no (2xx) answer, in short.
    pub error: Option<String>,
    pub latency_ms: i64,
}

/// One event for one subscription, with every attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub id: i64,
    pub subscription_id: i64,
    pub event_id: i64,
    pub event_type: Option<EventType>,
    pub status: DeliveryStatus,
    /// Attempts, oldest first.
    pub attempts: Vec<Attempt>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = webhook_deliveries, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
struct DeliveryRow {
    id: i64,
    subscription_id: i64,
    event_id: i64,
    status: String,
    attempts: i32,
    next_attempt_at: Option<NaiveDateTime>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = webhook_attempts, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
struct AttemptRow {
    delivery_id: i64,
    attempted_at: NaiveDateTime,
    status_code: Option<i32>,
    error: Option<String>,
    latency_ms: i64,
}

fn parse_status(raw: &str) -> StoreResult<DeliveryStatus> {
    DeliveryStatus::parse(raw).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Completes delivery rows with their event types and attempts (three queries for a page).
fn complete(conn: &mut DbConn, rows: Vec<DeliveryRow>) -> StoreResult<Vec<Delivery>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let event_ids: Vec<i64> = rows.iter().map(|r| r.event_id).collect();
    let types: HashMap<i64, String> = outbox_events::table
        .filter(outbox_events::id.eq_any(&event_ids))
        .select((outbox_events::id, outbox_events::event_type))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect();
    let mut attempts: BTreeMap<i64, Vec<Attempt>> = BTreeMap::new();
    let attempt_rows: Vec<AttemptRow> = webhook_attempts::table
        .filter(webhook_attempts::delivery_id.eq_any(&ids))
        .order(webhook_attempts::id.asc())
        .select(AttemptRow::as_select())
        .load(conn)?;
    for a in attempt_rows {
        attempts.entry(a.delivery_id).or_default().push(Attempt {
            attempted_at: clock::to_utc(a.attempted_at),
            status_code: a.status_code,
            error: a.error,
            latency_ms: a.latency_ms,
        });
    }
    rows.into_iter()
        .map(|row| {
            Ok(Delivery {
                id: row.id,
                subscription_id: row.subscription_id,
                event_id: row.event_id,
                event_type: types
                    .get(&row.event_id)
                    .and_then(|t| EventType::parse(t).ok()),
                status: parse_status(&row.status)?,
                attempts: attempts.remove(&row.id).unwrap_or_default(),
                next_attempt_at: row.next_attempt_at.map(clock::to_utc),
                created_at: clock::to_utc(row.created_at),
                updated_at: clock::to_utc(row.updated_at),
            })
        })
        .collect()
}

/// A subscription's deliveries, newest first, optionally only those in `status`; 404 when the
/// subscription is not token `token_id`'s.
pub fn deliveries(
    conn: &mut DbConn,
    token_id: i64,
    subscription_id: i64,
    status: Option<DeliveryStatus>,
    page: PageRequest,
) -> StoreResult<Listed<Delivery>> {
    find(conn, token_id, subscription_id)?;
    let build = || {
        let mut q = webhook_deliveries::table
            .filter(webhook_deliveries::subscription_id.eq(subscription_id))
            .into_boxed::<crate::connection::MultiBackend>();
        if let Some(status) = status {
            q = q.filter(webhook_deliveries::status.eq(status.as_str()));
        }
        q
    };
    let total: i64 = build().count().get_result(conn)?;
    let rows: Vec<DeliveryRow> = build()
        .order(webhook_deliveries::id.desc())
        .limit(page.limit)
        .offset(page.offset)
        .select(DeliveryRow::as_select())
        .load(conn)?;
    Ok(Listed {
        items: complete(conn, rows)?,
        total,
    })
}

fn find_delivery(conn: &mut DbConn, subscription_id: i64, id: i64) -> StoreResult<Delivery> {
    let row: DeliveryRow = webhook_deliveries::table
        .filter(webhook_deliveries::id.eq(id))
        .filter(webhook_deliveries::subscription_id.eq(subscription_id))
        .select(DeliveryRow::as_select())
        .first(conn)?;
    complete(conn, vec![row])?.pop().ok_or(StoreError::NotFound)
}

/// Queues a delivered or failed delivery again (same event, same id); 409 while it is pending
/// or while the subscription is disabled (nothing would send it).
pub fn redeliver(
    conn: &mut DbConn,
    actor: &Actor,
    token_id: i64,
    subscription_id: i64,
    delivery_id: i64,
) -> StoreResult<Delivery> {
    let subscription = find(conn, token_id, subscription_id)?;
    let delivery = find_delivery(conn, subscription_id, delivery_id)?;
    if delivery.status == DeliveryStatus::Pending {
        return Err(StoreError::Conflict(
            "the delivery is still pending: it is tried again on its own".into(),
        ));
    }
    if subscription.disabled_at.is_some() {
        return Err(StoreError::Conflict(
            "the subscription is disabled: register a new one to receive events again".into(),
        ));
    }
    let now = clock::now();
    diesel::update(webhook_deliveries::table.find(delivery_id))
        .set((
            webhook_deliveries::status.eq(DeliveryStatus::Pending.as_str()),
            // A new round of the retry schedule.
            webhook_deliveries::attempts.eq(0),
            webhook_deliveries::next_attempt_at.eq(Some(now)),
            webhook_deliveries::leased_until.eq(None::<NaiveDateTime>),
            webhook_deliveries::updated_at.eq(now),
        ))
        .execute(conn)?;
    audit::record(
        conn,
        actor,
        "webhook_delivery.redeliver",
        "webhook_delivery",
        Some(delivery_id),
    )?;
    find_delivery(conn, subscription_id, delivery_id)
}

/// Subscriptions whose token may receive now: neither revoked nor expired nor waiting for
/// confirmation, and the subscription not disabled.
fn receiving_tokens(conn: &mut DbConn, token_ids: &[i64]) -> StoreResult<HashMap<i64, TokenScope>> {
    let rows: Vec<(i64, i64, String)> = partner_tokens::table
        .filter(partner_tokens::id.eq_any(token_ids))
        .filter(partner_tokens::revoked_at.is_null())
        .filter(partner_tokens::expires_at.gt(clock::now()))
        .filter(partner_tokens::awaiting_confirmation.eq(false))
        .select((
            partner_tokens::id,
            partner_tokens::organisation_id,
            partner_tokens::scopes,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, organisation_id, scopes)| {
            (
                id,
                TokenScope {
                    organisation_id,
                    scopes: Scope::split(&scopes),
                    receiving: true,
                },
            )
        })
        .collect())
}

/// Turns the events after each enabled subscription's cursor into deliveries (the events of
/// its token's organisation, of a subscribed type the token still sees) and moves the cursor,
/// at most `batch` events per subscription. Run in a transaction: deliveries and cursor land
/// together. On PostgreSQL a subscription another server is fanning out is skipped. Returns
/// the number of deliveries created.
pub fn fan_out(conn: &mut DbConn, batch: i64) -> StoreResult<usize> {
    // Built per backend: `as_select` is typed by the backend it loads on.
    macro_rules! enabled {
        () => {
            webhook_subscriptions::table
                .filter(webhook_subscriptions::disabled_at.is_null())
                .order(webhook_subscriptions::id.asc())
                .select(SubscriptionRow::as_select())
        };
    }
    let rows: Vec<SubscriptionRow> = match conn {
        DbConn::Postgres(c) => enabled!().for_update().skip_locked().load(c)?,
        DbConn::Sqlite(c) => enabled!().load(c)?,
    };
    let token_ids: Vec<i64> = rows.iter().map(|r| r.partner_token_id).collect();
    let tokens = receiving_tokens(conn, &token_ids)?;
    let now = clock::now();
    let mut created = 0;
    for row in rows {
        // A token that cannot receive now keeps its cursor; revoked and expired tokens never
        // receive again, a token awaiting confirmation receives from its cursor once confirmed.
        let Some(token) = tokens.get(&row.partner_token_id) else {
            continue;
        };
        let events: Vec<Event> = outbox::of_organisation(
            conn,
            token.organisation_id,
            EventType::ALL,
            row.event_cursor,
            batch,
        )?;
        let Some(last) = events.last().map(|e| e.sequence) else {
            continue;
        };
        let subscribed = Subscription::from(row);
        for event in events.iter().filter(|e| {
            subscribed.event_types.contains(&e.event_type) && e.event_type.visible_to(&token.scopes)
        }) {
            diesel::insert_into(webhook_deliveries::table)
                .values((
                    webhook_deliveries::subscription_id.eq(subscribed.id),
                    webhook_deliveries::event_id.eq(event.sequence),
                    webhook_deliveries::status.eq(DeliveryStatus::Pending.as_str()),
                    webhook_deliveries::attempts.eq(0),
                    webhook_deliveries::next_attempt_at.eq(Some(now)),
                    webhook_deliveries::created_at.eq(now),
                    webhook_deliveries::updated_at.eq(now),
                ))
                .execute(conn)?;
            created += 1;
        }
        diesel::update(webhook_subscriptions::table.find(subscribed.id))
            .set(webhook_subscriptions::event_cursor.eq(last))
            .execute(conn)?;
    }
    Ok(created)
}

/// A delivery leased to this server, with what sending it needs.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub delivery_id: i64,
    pub subscription_id: i64,
    pub url: String,
    pub secret: String,
    pub event: Event,
    /// Attempts made before this one in the current round.
    pub attempts: i32,
}

/// Leases, until `now + lease`, the oldest pending delivery of each subscription when it is
/// due, its subscription enabled and its token able to receive; at most `limit`. Only the
/// oldest, so a subscription's next event waits until the earlier one is delivered or failed.
/// Run in a transaction: on PostgreSQL the rows are locked `FOR UPDATE SKIP LOCKED`, so
/// another server's claim skips them, and the lease keeps them out of later claims.
pub fn claim(conn: &mut DbConn, lease: Duration, limit: i64) -> StoreResult<Vec<Claimed>> {
    let now = clock::now();
    let oldest: Vec<Option<i64>> = webhook_deliveries::table
        .filter(webhook_deliveries::status.eq(DeliveryStatus::Pending.as_str()))
        .group_by(webhook_deliveries::subscription_id)
        .select(diesel::dsl::min(webhook_deliveries::id))
        .load(conn)?;
    let oldest: Vec<i64> = oldest.into_iter().flatten().collect();
    if oldest.is_empty() {
        return Ok(Vec::new());
    }
    macro_rules! due {
        () => {
            webhook_deliveries::table
                .filter(webhook_deliveries::id.eq_any(&oldest))
                .filter(webhook_deliveries::status.eq(DeliveryStatus::Pending.as_str()))
                .filter(webhook_deliveries::next_attempt_at.le(now))
                .filter(
                    webhook_deliveries::leased_until
                        .is_null()
                        .or(webhook_deliveries::leased_until.lt(now)),
                )
                .order(webhook_deliveries::id.asc())
                .limit(limit)
                .select(DeliveryRow::as_select())
        };
    }
    let rows: Vec<DeliveryRow> = match conn {
        DbConn::Postgres(c) => due!().for_update().skip_locked().load(c)?,
        DbConn::Sqlite(c) => due!().load(c)?,
    };
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let subscription_ids: Vec<i64> = rows.iter().map(|r| r.subscription_id).collect();
    let subscriptions: HashMap<i64, Subscription> = webhook_subscriptions::table
        .filter(webhook_subscriptions::id.eq_any(&subscription_ids))
        .filter(webhook_subscriptions::disabled_at.is_null())
        .select(SubscriptionRow::as_select())
        .load(conn)?
        .into_iter()
        .map(|row: SubscriptionRow| (row.id, Subscription::from(row)))
        .collect();
    let token_ids: Vec<i64> = subscriptions.values().map(|s| s.partner_token_id).collect();
    let tokens = receiving_tokens(conn, &token_ids)?;
    let leased_until = now + lease;
    let mut claimed = Vec::new();
    for row in rows {
        let Some(subscription) = subscriptions.get(&row.subscription_id) else {
            continue;
        };
        if !tokens.contains_key(&subscription.partner_token_id) {
            continue;
        }
        let Some(event) = outbox::find(conn, row.event_id)? else {
            continue;
        };
        diesel::update(webhook_deliveries::table.find(row.id))
            .set(webhook_deliveries::leased_until.eq(Some(leased_until)))
            .execute(conn)?;
        claimed.push(Claimed {
            delivery_id: row.id,
            subscription_id: row.subscription_id,
            url: subscription.url.clone(),
            secret: subscription.secret.clone(),
            event,
            attempts: row.attempts,
        });
    }
    Ok(claimed)
}

/// Records an attempt of a claimed delivery and what follows it (`after`, decided by
/// [`webhook::after_attempt`]): delivered, again at `now + wait`, or failed; a failed delivery
/// counts towards disabling its subscription, a delivered one resets the count.
pub fn record_attempt(
    conn: &mut DbConn,
    claimed: &Claimed,
    attempt: &Attempt,
    after: AfterAttempt,
) -> StoreResult<()> {
    let now = clock::now();
    diesel::insert_into(webhook_attempts::table)
        .values((
            webhook_attempts::delivery_id.eq(claimed.delivery_id),
            webhook_attempts::attempted_at.eq(clock::from_utc(attempt.attempted_at)),
            webhook_attempts::status_code.eq(attempt.status_code),
            webhook_attempts::error.eq(&attempt.error),
            webhook_attempts::latency_ms.eq(attempt.latency_ms),
        ))
        .execute(conn)?;
    let (status, next) = match after {
        AfterAttempt::Delivered => (DeliveryStatus::Delivered, None),
        AfterAttempt::RetryIn(wait) => (
            DeliveryStatus::Pending,
            Some(now + Duration::from_std(wait).unwrap_or(Duration::hours(10))),
        ),
        AfterAttempt::Failed => (DeliveryStatus::Failed, None),
    };
    diesel::update(webhook_deliveries::table.find(claimed.delivery_id))
        .set((
            webhook_deliveries::status.eq(status.as_str()),
            webhook_deliveries::attempts.eq(claimed.attempts + 1),
            webhook_deliveries::next_attempt_at.eq(next),
            webhook_deliveries::leased_until.eq(None::<NaiveDateTime>),
            webhook_deliveries::updated_at.eq(now),
        ))
        .execute(conn)?;
    let subscription = webhook_subscriptions::table.find(claimed.subscription_id);
    match status {
        DeliveryStatus::Delivered => {
            diesel::update(subscription)
                .set(webhook_subscriptions::failed_in_a_row.eq(0))
                .execute(conn)?;
        }
        DeliveryStatus::Failed => {
            let failed: i32 = diesel::update(subscription)
                .set(
                    webhook_subscriptions::failed_in_a_row
                        .eq(webhook_subscriptions::failed_in_a_row + 1),
                )
                .returning(webhook_subscriptions::failed_in_a_row)
                .get_result(conn)?;
            if webhook::disables(failed) {
                diesel::update(subscription)
                    .set((
                        webhook_subscriptions::disabled_at.eq(Some(now)),
                        webhook_subscriptions::disabled_reason.eq(Some(format!(
                            "{failed} deliveries in a row failed after every retry"
                        ))),
                    ))
                    .execute(conn)?;
            }
        }
        DeliveryStatus::Pending => {}
    }
    Ok(())
}

/// Deliveries waiting to be sent (pending) to enabled subscriptions, for the metrics; those of
/// a disabled subscription wait for no one.
pub fn pending_count(conn: &mut DbConn) -> StoreResult<i64> {
    let enabled = webhook_subscriptions::table
        .filter(webhook_subscriptions::disabled_at.is_null())
        .select(webhook_subscriptions::id);
    Ok(webhook_deliveries::table
        .filter(webhook_deliveries::status.eq(DeliveryStatus::Pending.as_str()))
        .filter(webhook_deliveries::subscription_id.eq_any(enabled))
        .count()
        .get_result(conn)?)
}
