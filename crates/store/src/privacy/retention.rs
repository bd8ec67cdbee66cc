//! Retention rules as data, and the run that applies them (`kim retention run`, and daily in the
//! server). Each rule selects the records due with one query per batch; a dry run counts the
//! same selection, so its counts equal what a real run changes. Legal holds are excluded from
//! every selection of case data. On PostgreSQL a session advisory lock lets only one server
//! run at a time; the others report that they skipped.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use kim_domain::retention::{
    audit_cutoff, may_act, Period, PeriodUnit, RecordType, RetentionAction, Rule, BATCH_SIZE,
};

use crate::audit::Actor;
use crate::connection::{transaction, DbConn};
use crate::consents::consents;
use crate::referrals::{idempotency_keys, referrals};
use crate::schema::{audit_events, cases, retention_rules};
use crate::{audit, clock, login_failures, StoreError};

use super::{erasure, holds};

/// A rule with its version, for the rules API.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRule {
    pub rule: Rule,
    pub version: i32,
    pub updated_by: Option<i64>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = retention_rules, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
struct RuleRow {
    record_type: String,
    period_amount: i32,
    period_unit: String,
    action: String,
    version: i32,
    updated_by: Option<i64>,
    updated_at: NaiveDateTime,
}

fn stored(row: RuleRow) -> Result<StoredRule, StoreError> {
    let RuleRow {
        record_type,
        period_amount: amount,
        period_unit: unit,
        action,
        version,
        updated_by,
        updated_at,
    } = row;
    Ok(StoredRule {
        rule: Rule {
            record_type: RecordType::parse(&record_type)?,
            period: Period::new(
                u32::try_from(amount)
                    .map_err(|_| StoreError::Corrupt(format!("period {amount}")))?,
                PeriodUnit::parse(&unit)?,
            ),
            action: RetentionAction::parse(&action)?,
        },
        version,
        updated_by,
        updated_at: clock::to_utc(updated_at),
    })
}

/// Every rule, in the order of [`RecordType::ALL`]. A type without a stored rule (only after a
/// manual deletion) gets its default, so that the run never silently skips a type.
pub fn rules(conn: &mut DbConn) -> Result<Vec<StoredRule>, StoreError> {
    let rows: Vec<RuleRow> = retention_rules::table
        .select(RuleRow::as_select())
        .load(conn)?;
    let mut stored_rules = rows
        .into_iter()
        .map(stored)
        .collect::<Result<Vec<_>, _>>()?;
    let mut ordered = Vec::with_capacity(RecordType::ALL.len());
    for record_type in RecordType::ALL {
        match stored_rules
            .iter()
            .position(|r| r.rule.record_type == *record_type)
        {
            Some(at) => ordered.push(stored_rules.swap_remove(at)),
            None => ordered.push(StoredRule {
                rule: record_type.default_rule(),
                version: 0,
                updated_by: None,
                updated_at: clock::to_utc(clock::now()),
            }),
        }
    }
    Ok(ordered)
}

pub fn find(conn: &mut DbConn, record_type: RecordType) -> Result<StoredRule, StoreError> {
    stored(
        retention_rules::table
            .find(record_type.as_str())
            .select(RuleRow::as_select())
            .first(conn)?,
    )
}

/// Changes a rule (checked by the caller with `kim_domain::retention::check_rule`); 412 on a
/// stale version. Audited as `retention_rule.update`.
pub fn update(
    conn: &mut DbConn,
    actor: &Actor,
    rule: &Rule,
    expected_version: i32,
) -> Result<StoredRule, StoreError> {
    let current = find(conn, rule.record_type)?;
    let amount = i32::try_from(rule.period.amount).map_err(|_| StoreError::Invalid {
        field: "period_amount",
        message: "too large".into(),
    })?;
    let changed = diesel::update(
        retention_rules::table
            .filter(retention_rules::record_type.eq(rule.record_type.as_str()))
            .filter(retention_rules::version.eq(expected_version)),
    )
    .set((
        retention_rules::period_amount.eq(amount),
        retention_rules::period_unit.eq(rule.period.unit.as_str()),
        retention_rules::action.eq(rule.action.as_str()),
        retention_rules::version.eq(expected_version + 1),
        retention_rules::updated_by.eq(actor.id),
        retention_rules::updated_at.eq(clock::now()),
    ))
    .execute(conn)?;
    crate::error::changed_or_stale(changed, || Ok(current.version))?;
    audit::record(conn, actor, "retention_rule.update", "retention_rule", None)?;
    find(conn, rule.record_type)
}

/// What one rule did (or, in a dry run, would do).
#[derive(Debug, Clone, PartialEq)]
pub struct RuleOutcome {
    pub rule: Rule,
    /// Records before this point in time were due.
    pub cutoff: DateTime<Utc>,
    /// Records touched (deleted or anonymised); in a dry run, those that would be.
    pub records: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RunReport {
    pub dry_run: bool,
    /// `false` when another server held the lock: nothing was done.
    pub ran: bool,
    pub outcomes: Vec<RuleOutcome>,
}

/// The advisory lock key of the retention run ("KIMRETEN" in ASCII, as an i64).
const LOCK_KEY: i64 = 0x4B49_4D52_4554_454E;

#[derive(QueryableByName)]
struct Locked {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    locked: bool,
}

/// On PostgreSQL, takes the session advisory lock if free; elsewhere there is one server per
/// database file, and SQLite's single writer serialises the batches anyway.
fn try_lock(conn: &mut DbConn) -> Result<bool, StoreError> {
    match conn {
        DbConn::Postgres(pg) => {
            let row: Locked =
                diesel::sql_query(format!("SELECT pg_try_advisory_lock({LOCK_KEY}) AS locked"))
                    .get_result(pg)?;
            Ok(row.locked)
        }
        DbConn::Sqlite(_) => Ok(true),
    }
}

fn unlock(conn: &mut DbConn) -> Result<(), StoreError> {
    if let DbConn::Postgres(pg) = conn {
        diesel::sql_query(format!("SELECT pg_advisory_unlock({LOCK_KEY}) AS locked"))
            .get_result::<Locked>(pg)?;
    }
    Ok(())
}

/// Holds the run's lock on `conn` for as long as `work` runs (tests of the lock use it too).
pub fn with_run_lock<T>(
    conn: &mut DbConn,
    work: impl FnOnce(&mut DbConn) -> Result<T, StoreError>,
) -> Result<Option<T>, StoreError> {
    if !try_lock(conn)? {
        return Ok(None);
    }
    let result = work(conn);
    let released = unlock(conn);
    let value = result?;
    released?;
    Ok(Some(value))
}

/// Runs every rule as of `now`; each batch of at most [`BATCH_SIZE`] records is one transaction.
/// Not itself in a transaction: the caller passes a plain connection.
pub fn run(
    conn: &mut DbConn,
    actor: &Actor,
    now: NaiveDateTime,
    dry_run: bool,
) -> Result<RunReport, StoreError> {
    let outcomes = with_run_lock(conn, |conn| {
        let rules = rules(conn)?;
        let mut outcomes = Vec::with_capacity(rules.len());
        for stored in rules {
            outcomes.push(apply(conn, actor, stored.rule, now, dry_run)?);
        }
        Ok(outcomes)
    })?;
    Ok(match outcomes {
        Some(outcomes) => RunReport {
            dry_run,
            ran: true,
            outcomes,
        },
        None => RunReport {
            dry_run,
            ran: false,
            outcomes: Vec::new(),
        },
    })
}

fn apply(
    conn: &mut DbConn,
    actor: &Actor,
    rule: Rule,
    now: NaiveDateTime,
    dry_run: bool,
) -> Result<RuleOutcome, StoreError> {
    // A period reaching before the calendar (refused when set) leaves nothing due.
    let cutoff = rule.period.cutoff(now).unwrap_or(NaiveDateTime::MIN);
    let cutoff = match rule.record_type {
        RecordType::AuditEvents => audit_cutoff(cutoff, oldest_held_event(conn)?),
        _ => cutoff,
    };
    let records = if dry_run {
        count_due(conn, rule.record_type, cutoff)?
    } else {
        act(conn, actor, rule.record_type, cutoff)?
    };
    Ok(RuleOutcome {
        rule,
        cutoff: clock::to_utc(cutoff),
        records,
    })
}

fn limit() -> i64 {
    i64::try_from(BATCH_SIZE).unwrap_or(500)
}

// The `due_*` queries give at most `limit` ids, all of them for `None` (the largest LIMIT
// both databases take), oldest first.

/// Ids of closed cases due for anonymisation, held ones left out.
fn due_closed_cases(
    conn: &mut DbConn,
    cutoff: NaiveDateTime,
    limit: Option<i64>,
) -> Result<Vec<i64>, StoreError> {
    let held = holds::held_case_ids(conn)?;
    Ok(cases::table
        .filter(cases::status.eq("closed"))
        .filter(cases::status_since.lt(cutoff.date()))
        .filter(cases::anonymised_at.is_null())
        .filter(cases::id.ne_all(held))
        .order(cases::id.asc())
        .select(cases::id)
        .limit(limit.unwrap_or(i64::MAX))
        .load(conn)?)
}

fn due_referral_drafts(
    conn: &mut DbConn,
    cutoff: NaiveDateTime,
    limit: Option<i64>,
) -> Result<Vec<i64>, StoreError> {
    let held = holds::held_case_ids(conn)?;
    Ok(referrals::table
        .filter(referrals::status.eq("draft"))
        .filter(referrals::created_at.lt(cutoff))
        .filter(referrals::case_id.ne_all(held))
        .order(referrals::id.asc())
        .select(referrals::id)
        .limit(limit.unwrap_or(i64::MAX))
        .load(conn)?)
}

fn due_ended_consents(
    conn: &mut DbConn,
    cutoff: NaiveDateTime,
    limit: Option<i64>,
) -> Result<Vec<i64>, StoreError> {
    let held_clients = holds::held_client_ids(conn)?;
    let day = cutoff.date();
    let ended = consents::revoked_on.lt(day).or(consents::revoked_on
        .is_null()
        .and(consents::valid_until.lt(day)));
    Ok(consents::table
        .filter(ended)
        .filter(consents::client_id.ne_all(held_clients))
        .order(consents::id.asc())
        .select(consents::id)
        .limit(limit.unwrap_or(i64::MAX))
        .load(conn)?)
}

fn due_replays(
    conn: &mut DbConn,
    cutoff: NaiveDateTime,
    limit: Option<i64>,
) -> Result<Vec<i64>, StoreError> {
    Ok(idempotency_keys::table
        .filter(idempotency_keys::created_at.lt(cutoff))
        .order(idempotency_keys::id.asc())
        .select(idempotency_keys::id)
        .limit(limit.unwrap_or(i64::MAX))
        .load(conn)?)
}

/// The oldest audit event about a client of a held case: the audit cut stops before it.
fn oldest_held_event(conn: &mut DbConn) -> Result<Option<NaiveDateTime>, StoreError> {
    let held_clients = holds::held_client_ids(conn)?;
    if held_clients.is_empty() {
        return Ok(None);
    }
    Ok(audit_events::table
        .filter(audit_events::client_id.eq_any(held_clients))
        .select(diesel::dsl::min(audit_events::occurred_at))
        .first(conn)?)
}

fn count_due(
    conn: &mut DbConn,
    record_type: RecordType,
    cutoff: NaiveDateTime,
) -> Result<u64, StoreError> {
    let count = match record_type {
        RecordType::ClosedCases => due_closed_cases(conn, cutoff, None)?.len(),
        RecordType::ReferralDrafts => due_referral_drafts(conn, cutoff, None)?.len(),
        RecordType::EndedConsents => due_ended_consents(conn, cutoff, None)?.len(),
        RecordType::IdempotencyReplays => due_replays(conn, cutoff, None)?.len(),
        RecordType::DeclinedIntakeRequests => {
            crate::intake_requests::declined_before(conn, cutoff, None)?.len()
        }
        RecordType::LoginFailures => {
            return u64::try_from(login_failures::count_before(conn, cutoff)?)
                .map_err(|_| StoreError::Corrupt("negative count".into()))
        }
        RecordType::AuditEvents => {
            // `audit::remove_before` removes the longest beginning of the chain before the
            // cutoff; the chain runs in id order, so that beginning is every event older than
            // the first one at or after the cutoff.
            let first_kept: Option<i64> = audit_events::table
                .filter(audit_events::occurred_at.ge(cutoff))
                .select(diesel::dsl::min(audit_events::id))
                .first(conn)?;
            let mut prefix = audit_events::table.into_boxed::<crate::connection::MultiBackend>();
            if let Some(first_kept) = first_kept {
                prefix = prefix.filter(audit_events::id.lt(first_kept));
            }
            let count: i64 = prefix.count().get_result(conn)?;
            return u64::try_from(count).map_err(|_| StoreError::Corrupt("negative count".into()));
        }
    };
    Ok(count as u64)
}

/// Applies one rule in batches, each its own transaction; returns how many records it touched.
fn act(
    conn: &mut DbConn,
    actor: &Actor,
    record_type: RecordType,
    cutoff: NaiveDateTime,
) -> Result<u64, StoreError> {
    debug_assert!(may_act(record_type, false));
    let mut total: u64 = 0;
    loop {
        let touched = transaction(conn, |conn| -> Result<usize, StoreError> {
            act_batch(conn, actor, record_type, cutoff)
        })?;
        total += touched as u64;
        if touched < BATCH_SIZE || record_type == RecordType::AuditEvents {
            return Ok(total);
        }
    }
}

fn act_batch(
    conn: &mut DbConn,
    actor: &Actor,
    record_type: RecordType,
    cutoff: NaiveDateTime,
) -> Result<usize, StoreError> {
    let reason = format!("retention rule {record_type}");
    match record_type {
        RecordType::ClosedCases => {
            let ids = due_closed_cases(conn, cutoff, Some(limit()))?;
            for id in &ids {
                erasure::anonymise_closed_case(conn, actor, *id, &reason, erasure::random_u64)?;
            }
            Ok(ids.len())
        }
        RecordType::ReferralDrafts => {
            let ids = due_referral_drafts(conn, cutoff, Some(limit()))?;
            let removed = diesel::delete(referrals::table.filter(referrals::id.eq_any(&ids)))
                .execute(conn)?;
            if removed > 0 {
                audit::record(conn, actor, "referral.delete", "referral", None)?;
            }
            Ok(removed)
        }
        RecordType::EndedConsents => {
            let ids = due_ended_consents(conn, cutoff, Some(limit()))?;
            let removed =
                diesel::delete(consents::table.filter(consents::id.eq_any(&ids))).execute(conn)?;
            if removed > 0 {
                audit::record(conn, actor, "consent.delete", "consent", None)?;
            }
            Ok(removed)
        }
        RecordType::IdempotencyReplays => {
            let ids = due_replays(conn, cutoff, Some(limit()))?;
            Ok(
                diesel::delete(idempotency_keys::table.filter(idempotency_keys::id.eq_any(&ids)))
                    .execute(conn)?,
            )
        }
        RecordType::LoginFailures => login_failures::remove_before(conn, cutoff, BATCH_SIZE),
        RecordType::DeclinedIntakeRequests => {
            let ids = crate::intake_requests::declined_before(conn, cutoff, Some(limit()))?;
            let removed = crate::intake_requests::delete(conn, &ids)?;
            if removed > 0 {
                audit::record(conn, actor, "intake_request.delete", "intake_request", None)?;
            }
            Ok(removed)
        }
        RecordType::AuditEvents => usize::try_from(audit::remove_before(conn, cutoff, actor)?)
            .map_err(|_| StoreError::Corrupt("count out of range".into())),
    }
}
