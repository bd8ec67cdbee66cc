//! The hash chain that makes the audit trail tamper-evident.
//!
//! Every sealed event has a `chain_seq` (1, 2, 3, … without gaps) and
//! `entry_hash = SHA-256(previous entry_hash ‖ canonical content ‖ chain_seq)`, hex-encoded; the
//! first event's previous hash is 64 zeros, or the anchor left by [`remove_before`].
//!
//! **Order under concurrent writers.** The chain is extended by one party at a time: a
//! transaction first takes the chain ([`lock_chain`]: on PostgreSQL a transaction-scoped
//! advisory lock, so that with several servers only one appends; on SQLite the transaction
//! already holds the single writer lock), reads the head, and assigns the next numbers. Events
//! written by a write request in its own transaction are inserted unsealed (`chain_seq` NULL)
//! and sealed by the next appender pass, in the order of their ids as far as they have
//! committed; an event of a transaction still running is sealed in a later pass. Sealing only
//! fills `chain_seq` and `entry_hash`, which is the one UPDATE the append-only trigger allows.
//!
//! **What it proves.** Editing, deleting or inserting an event in the middle breaks the chain
//! at that event; [`verify`] names the first broken one. Removing the newest events leaves a
//! shorter valid chain, which is why the data protection officer's verification also reports
//! the head (sequence and hash) to compare with an earlier printout.

use diesel::prelude::*;
use sha2::{Digest, Sha256};

use super::{Actor, NewEvent};
use crate::schema::{audit_chain_anchors, audit_events, audit_removal_permits};
use crate::{clock, DbConn, StoreError};

/// The previous hash of the very first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Advisory lock key of the chain on PostgreSQL ("KIMAUDIT" in ASCII).
const CHAIN_LOCK: i64 = 0x4b49_4d41_5544_4954;

/// How many pending events one pass seals, so one pass stays short.
const SEAL_PASS: i64 = 2_000;

/// The last link of the chain: the next event gets `seq + 1` and hashes over `hash`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub seq: i64,
    pub hash: String,
}

/// What is hashed of an event: everything but the storage id.
struct Content<'a> {
    occurred_at: chrono::NaiveDateTime,
    actor_kind: &'a str,
    actor_id: Option<i64>,
    actor_role: Option<&'a str>,
    action: &'a str,
    object_type: &'a str,
    object_id: Option<&'a str>,
    request_id: Option<&'a str>,
    client_id: Option<i64>,
    client_request_id: Option<&'a str>,
}

impl<'a> Content<'a> {
    fn of(e: &'a NewEvent) -> Self {
        Content {
            occurred_at: e.occurred_at,
            actor_kind: &e.actor_kind,
            actor_id: e.actor_id,
            actor_role: e.actor_role.as_deref(),
            action: &e.action,
            object_type: &e.object_type,
            object_id: e.object_id.as_deref(),
            request_id: e.request_id.as_deref(),
            client_id: e.client_id,
            client_request_id: e.client_request_id.as_deref(),
        }
    }

    /// SHA-256 over the previous hash, the sequence number and each field length-prefixed (so no
    /// two different contents serialise alike), hex-encoded.
    fn hash(&self, previous: &str, seq: i64) -> String {
        fn text(h: &mut Sha256, value: Option<&str>) {
            match value {
                Some(v) => h.update(format!("1:{}:{v}|", v.len())),
                None => h.update("0|"),
            }
        }
        fn number(h: &mut Sha256, value: Option<i64>) {
            text(h, value.map(|v| v.to_string()).as_deref());
        }
        let mut h = Sha256::new();
        text(&mut h, Some(previous));
        number(&mut h, Some(seq));
        text(
            &mut h,
            Some(&self.occurred_at.format("%Y-%m-%dT%H:%M:%S%.6f").to_string()),
        );
        text(&mut h, Some(self.actor_kind));
        number(&mut h, self.actor_id);
        text(&mut h, self.actor_role);
        text(&mut h, Some(self.action));
        text(&mut h, Some(self.object_type));
        text(&mut h, self.object_id);
        text(&mut h, self.request_id);
        number(&mut h, self.client_id);
        text(&mut h, self.client_request_id);
        hex::encode(h.finalize())
    }
}

/// An event as stored, with its place in the chain.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = audit_events, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
struct Stored {
    id: i64,
    #[diesel(embed)]
    event: NewEvent,
    chain_seq: Option<i64>,
    entry_hash: Option<String>,
}

/// Takes the chain for the rest of the caller's transaction. PostgreSQL: an advisory lock
/// released at commit or rollback. SQLite: nothing to do, the transaction (`BEGIN IMMEDIATE`)
/// already holds the only writer lock.
pub fn lock_chain(conn: &mut DbConn) -> Result<(), StoreError> {
    if let DbConn::Postgres(c) = conn {
        diesel::sql_query(format!("SELECT pg_advisory_xact_lock({CHAIN_LOCK})")).execute(c)?;
    }
    Ok(())
}

/// The newest anchor (where the chain continues after a removal), if any.
fn latest_anchor(conn: &mut DbConn) -> Result<Option<Head>, StoreError> {
    Ok(audit_chain_anchors::table
        .order(audit_chain_anchors::chain_seq.desc())
        .select((
            audit_chain_anchors::chain_seq,
            audit_chain_anchors::entry_hash,
        ))
        .first::<(i64, String)>(conn)
        .optional()?
        .map(|(seq, hash)| Head { seq, hash }))
}

/// The last sealed event, else the anchor, else the genesis.
pub fn head(conn: &mut DbConn) -> Result<Head, StoreError> {
    let last = audit_events::table
        .filter(audit_events::chain_seq.is_not_null())
        .order(audit_events::chain_seq.desc())
        .select((audit_events::chain_seq, audit_events::entry_hash))
        .first::<(Option<i64>, Option<String>)>(conn)
        .optional()?;
    if let Some((Some(seq), Some(hash))) = last {
        return Ok(Head { seq, hash });
    }
    Ok(latest_anchor(conn)?.unwrap_or(Head {
        seq: 0,
        hash: GENESIS.to_owned(),
    }))
}

/// Seals up to one pass of pending (unsealed, committed) events in id order; returns the new
/// head. The caller holds the chain ([`lock_chain`]).
pub fn seal_pending(conn: &mut DbConn) -> Result<Head, StoreError> {
    Ok(seal_pass(conn)?.0)
}

fn seal_pass(conn: &mut DbConn) -> Result<(Head, usize), StoreError> {
    let mut head = head(conn)?;
    let pending: Vec<Stored> = audit_events::table
        .filter(audit_events::chain_seq.is_null())
        .order(audit_events::id.asc())
        .limit(SEAL_PASS)
        .select(Stored::as_select())
        .load(conn)?;
    for event in &pending {
        let seq = head.seq + 1;
        let hash = Content::of(&event.event).hash(&head.hash, seq);
        diesel::update(
            audit_events::table
                .filter(audit_events::id.eq(event.id))
                .filter(audit_events::chain_seq.is_null()),
        )
        .set((
            audit_events::chain_seq.eq(seq),
            audit_events::entry_hash.eq(&hash),
        ))
        .execute(conn)?;
        head = Head { seq, hash };
    }
    Ok((head, pending.len()))
}

#[derive(Insertable)]
#[diesel(table_name = audit_events, treat_none_as_default_value = false)]
struct SealedEvent {
    #[diesel(embed)]
    event: NewEvent,
    chain_seq: i64,
    entry_hash: String,
}

/// Inserts `events` after `head`, already sealed, in one multi-row INSERT. The caller holds the
/// chain and `head` is current.
pub fn insert_sealed(
    conn: &mut DbConn,
    mut head: Head,
    events: &[NewEvent],
) -> Result<(), StoreError> {
    if events.is_empty() {
        return Ok(());
    }
    let mut rows = Vec::with_capacity(events.len());
    for event in events {
        let seq = head.seq + 1;
        let hash = Content::of(event).hash(&head.hash, seq);
        head = Head {
            seq,
            hash: hash.clone(),
        };
        rows.push(SealedEvent {
            event: event.clone(),
            chain_seq: seq,
            entry_hash: hash,
        });
    }
    // One statement for the whole batch; multi-row INSERT is not expressible through the
    // MultiBackend, so it goes to the concrete connection.
    let insert = diesel::insert_into(audit_events::table).values(&rows);
    match conn {
        DbConn::Postgres(c) => insert.execute(c)?,
        DbConn::Sqlite(c) => insert.execute(c)?,
    };
    Ok(())
}

/// Seals every pending event, in its own transaction(s); returns how many it sealed.
pub fn seal(conn: &mut DbConn) -> Result<u64, StoreError> {
    let mut total = 0u64;
    loop {
        let sealed = crate::connection::transaction(conn, |conn| {
            lock_chain(conn)?;
            seal_pass(conn).map(|(_, n)| n)
        })?;
        total += sealed as u64;
        if sealed < SEAL_PASS as usize {
            return Ok(total);
        }
    }
}

/// The first event at which the chain does not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    pub id: i64,
    pub chain_seq: i64,
    pub reason: String,
}

/// The result of walking the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// Sealed events whose hash was recomputed (up to and including a broken one).
    pub checked: u64,
    /// Events not yet sealed by the appender (written moments ago by a write request).
    pub unsealed: u64,
    /// Where the chain starts after earlier removals (`None`: from the genesis).
    pub anchor_seq: Option<i64>,
    /// The last link checked: compare with an earlier printout to notice a cut-off tail.
    pub head: Head,
    pub first_broken: Option<Broken>,
}

/// Walks the chain by sequence from the anchor (or the genesis), recomputing every hash; stops
/// at the first event that does not match. Reads only.
pub fn verify(conn: &mut DbConn) -> Result<Verification, StoreError> {
    let anchor = latest_anchor(conn)?;
    let mut previous = anchor.clone().unwrap_or(Head {
        seq: 0,
        hash: GENESIS.to_owned(),
    });
    let mut checked = 0u64;
    let mut first_broken = None;
    'walk: loop {
        let page: Vec<Stored> = audit_events::table
            .filter(audit_events::chain_seq.gt(previous.seq))
            .order(audit_events::chain_seq.asc())
            .limit(5_000)
            .select(Stored::as_select())
            .load(conn)?;
        if page.is_empty() {
            break;
        }
        for event in &page {
            checked += 1;
            let seq = event.chain_seq.unwrap_or_default();
            let broken = |reason: String| Broken {
                id: event.id,
                chain_seq: seq,
                reason,
            };
            if seq != previous.seq + 1 {
                first_broken = Some(broken(format!(
                    "sequence gap: expected {}, found {seq} (events missing before it)",
                    previous.seq + 1
                )));
                break 'walk;
            }
            let expected = Content::of(&event.event).hash(&previous.hash, seq);
            if event.entry_hash.as_deref() != Some(expected.as_str()) {
                first_broken = Some(broken(
                    "hash does not match the event's content and its predecessor".into(),
                ));
                break 'walk;
            }
            previous = Head {
                seq,
                hash: expected,
            };
        }
    }
    let unsealed: i64 = audit_events::table
        .filter(audit_events::chain_seq.is_null())
        .count()
        .get_result(conn)?;
    Ok(Verification {
        checked,
        unsealed: unsealed as u64,
        anchor_seq: anchor.map(|a| a.seq),
        head: previous,
        first_broken,
    })
}

/// Removes the audit events that occurred before `cutoff` (the retention rule), the only path
/// that deletes audit events. It seals everything pending, removes the longest beginning of the
/// chain whose events all lie before `cutoff` (an event before the cutoff that follows a newer
/// one in the chain stays until the next run), leaves an anchor (the last removed sequence and
/// hash) so the rest still verifies, and records its own event (`audit_trail.erase`, object id
/// = the last removed sequence number). Runs in its own transaction, or a savepoint of the
/// caller's. Returns how many events it removed.
pub fn remove_before(
    conn: &mut DbConn,
    cutoff: chrono::NaiveDateTime,
    actor: &Actor,
) -> Result<u64, StoreError> {
    crate::connection::transaction(conn, |conn| {
        lock_chain(conn)?;
        while seal_pass(conn)?.1 == SEAL_PASS as usize {}
        let first_kept: Option<i64> = audit_events::table
            .filter(audit_events::occurred_at.ge(cutoff))
            .filter(audit_events::chain_seq.is_not_null())
            .select(diesel::dsl::min(audit_events::chain_seq))
            .first(conn)?;
        let head = head(conn)?;
        let up_to = first_kept.map(|s| s - 1).unwrap_or(head.seq);
        let start = latest_anchor(conn)?.map(|a| a.seq).unwrap_or(0);
        let mut removed = 0u64;
        if up_to > start {
            let last_hash: Option<String> = audit_events::table
                .filter(audit_events::chain_seq.eq(up_to))
                .select(audit_events::entry_hash)
                .first::<Option<String>>(conn)?;
            let last_hash = last_hash
                .ok_or_else(|| StoreError::Corrupt(format!("audit event {up_to} unsealed")))?;
            diesel::insert_into(audit_removal_permits::table)
                .values(audit_removal_permits::up_to_seq.eq(up_to))
                .execute(conn)?;
            removed = diesel::delete(audit_events::table.filter(audit_events::chain_seq.le(up_to)))
                .execute(conn)? as u64;
            diesel::delete(audit_removal_permits::table).execute(conn)?;
            diesel::insert_into(audit_chain_anchors::table)
                .values((
                    audit_chain_anchors::chain_seq.eq(up_to),
                    audit_chain_anchors::entry_hash.eq(last_hash),
                    audit_chain_anchors::removed.eq(removed as i64),
                    audit_chain_anchors::cutoff.eq(cutoff),
                    audit_chain_anchors::created_at.eq(clock::now()),
                ))
                .execute(conn)?;
        }
        super::record(
            conn,
            actor,
            "audit_trail.erase",
            "audit_trail",
            Some(up_to.max(start)),
        )?;
        Ok(removed)
    })
}
