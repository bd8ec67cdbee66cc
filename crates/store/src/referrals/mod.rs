//! Referrals (Verweisberatung) from a case to a partner organisation, their dated status history,
//! and the responses remembered for `Idempotency-Key`.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use kim_domain::access::ReferralFacts;
use kim_domain::consent::DataCategory;
use kim_domain::reference::normalise_set;
use kim_domain::referral::{ReferralStatus, ReferralTransition};

use crate::audit::Actor;
use crate::consents::{consent_recipients, consents, join_values, split_values};
use crate::error::{expect_version, StoreResult};
use crate::outbox::{self, NewEvent};
use crate::schema::{case_clients, cases, organisations};
use crate::versioned::{delete_versioned, insert_versioned, update_versioned};
use crate::{cases as case_store, clock, DbConn, StoreError};

mod lists;
mod remembered;

pub use lists::{visible_page, waiting_on_assignee, ListedReferral, ReferralFilter};
pub use remembered::{forget, remember, remembered, Remembered, RememberedResponse};

diesel::table! {
    referrals (id) {
        id -> BigInt,
        case_id -> BigInt,
        client_id -> BigInt,
        recipient_organisation_id -> BigInt,
        offer -> Nullable<Text>,
        purpose -> Text,
        message -> Nullable<Text>,
        shared_categories -> Text,
        due_on -> Nullable<Date>,
        status -> Text,
        status_reason -> Nullable<Text>,
        consent_ids -> Text,
        sent_at -> Nullable<Timestamp>,
        created_by -> Nullable<BigInt>,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    referral_events (id) {
        id -> BigInt,
        referral_id -> BigInt,
        from_status -> Nullable<Text>,
        to_status -> Text,
        reason -> Nullable<Text>,
        actor_kind -> Text,
        actor_id -> Nullable<BigInt>,
        occurred_at -> Timestamp,
    }
}

diesel::table! {
    idempotency_keys (id) {
        id -> BigInt,
        actor_kind -> Text,
        actor_id -> BigInt,
        idempotency_key -> Text,
        fingerprint -> Text,
        status_code -> Integer,
        resource_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::allow_tables_to_appear_in_same_query!(referrals, referral_events, idempotency_keys);
diesel::allow_tables_to_appear_in_same_query!(referrals, cases);
diesel::allow_tables_to_appear_in_same_query!(referrals, consents);
diesel::allow_tables_to_appear_in_same_query!(referrals, consent_recipients);

#[derive(Queryable, Selectable)]
#[diesel(table_name = referrals, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
struct ReferralRow {
    id: i64,
    case_id: i64,
    client_id: i64,
    recipient_organisation_id: i64,
    offer: Option<String>,
    purpose: String,
    message: Option<String>,
    shared_categories: String,
    due_on: Option<NaiveDate>,
    status: String,
    status_reason: Option<String>,
    consent_ids: String,
    sent_at: Option<NaiveDateTime>,
    created_by: Option<i64>,
    version: i32,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

/// What the case manager writes into a draft.
#[derive(Debug, Clone, PartialEq)]
pub struct ReferralData {
    /// The client referred: one of the case's clients.
    pub client_id: i64,
    pub recipient_organisation_id: i64,
    /// The recipient's offer (Angebot), e.g. a course or a counselling service.
    pub offer: Option<String>,
    pub purpose: String,
    pub message: Option<String>,
    /// As from [`kim_domain::referral::shared_categories`] (identity included).
    pub shared_categories: Vec<DataCategory>,
    pub due_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Referral {
    pub id: i64,
    pub case_id: i64,
    pub data: ReferralData,
    pub status: ReferralStatus,
    /// The reason or note given with the last status change (a decline's reason).
    pub status_reason: Option<String>,
    /// The consents the transfer relied on when it was sent.
    pub consent_ids: Vec<i64>,
    pub sent_at: Option<DateTime<Utc>>,
    pub created_by: Option<i64>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<ReferralRow> for Referral {
    type Error = StoreError;
    fn try_from(row: ReferralRow) -> StoreResult<Referral> {
        Ok(Referral {
            id: row.id,
            case_id: row.case_id,
            data: ReferralData {
                client_id: row.client_id,
                recipient_organisation_id: row.recipient_organisation_id,
                offer: row.offer,
                purpose: row.purpose,
                message: row.message,
                shared_categories: normalise_set(&split_values(
                    &row.shared_categories,
                    DataCategory::parse,
                )?),
                due_on: row.due_on,
            },
            status: ReferralStatus::parse(&row.status)?,
            status_reason: row.status_reason,
            consent_ids: row
                .consent_ids
                .split(',')
                .filter(|v| !v.is_empty())
                .map(|v| {
                    v.parse::<i64>()
                        .map_err(|_| StoreError::Corrupt(format!("consent id '{v}'")))
                })
                .collect::<StoreResult<Vec<i64>>>()?,
            sent_at: row.sent_at.map(clock::to_utc),
            created_by: row.created_by,
            version: row.version,
            created_at: clock::to_utc(row.created_at),
            updated_at: clock::to_utc(row.updated_at),
        })
    }
}

pub fn find(conn: &mut DbConn, id: i64) -> StoreResult<Referral> {
    referrals::table
        .find(id)
        .select(ReferralRow::as_select())
        .first(conn)?
        .try_into()
}

/// What decides access to the referral.
pub fn facts(conn: &mut DbConn, referral: &Referral) -> StoreResult<ReferralFacts> {
    Ok(ReferralFacts {
        case: case_store::facts(conn, referral.case_id)?,
        recipient_organisation_id: referral.data.recipient_organisation_id,
        status: referral.status,
    })
}

fn record(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    from: Option<ReferralStatus>,
    to: ReferralStatus,
    reason: Option<&str>,
) -> StoreResult<()> {
    diesel::insert_into(referral_events::table)
        .values((
            referral_events::referral_id.eq(id),
            referral_events::from_status.eq(from.map(|s| s.as_str())),
            referral_events::to_status.eq(to.as_str()),
            referral_events::reason.eq(reason),
            referral_events::actor_kind.eq(actor.kind),
            referral_events::actor_id.eq(actor.id),
            referral_events::occurred_at.eq(clock::now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// The recipient must exist and the client must be one of the case's clients.
fn check_data(conn: &mut DbConn, case_id: i64, data: &ReferralData) -> StoreResult<()> {
    let organisation: i64 = organisations::table
        .filter(organisations::id.eq(data.recipient_organisation_id))
        .count()
        .get_result(conn)?;
    if organisation == 0 {
        return Err(StoreError::unknown(
            "recipient_organisation_id",
            format!("no organisation with id {}", data.recipient_organisation_id),
        ));
    }
    let member: i64 = case_clients::table
        .filter(case_clients::case_id.eq(case_id))
        .filter(case_clients::client_id.eq(data.client_id))
        .count()
        .get_result(conn)?;
    if member == 0 {
        return Err(StoreError::unknown(
            "client_id",
            format!("client {} is not a client of this case", data.client_id),
        ));
    }
    Ok(())
}

/// Creates a draft referral of `case_id`.
/// The columns of [`ReferralData`], on insert and on a draft's update alike.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = referrals, treat_none_as_null = true)]
struct ReferralColumns<'a> {
    client_id: i64,
    recipient_organisation_id: i64,
    offer: Option<&'a str>,
    purpose: &'a str,
    message: Option<&'a str>,
    shared_categories: String,
    due_on: Option<NaiveDate>,
}

impl<'a> From<&'a ReferralData> for ReferralColumns<'a> {
    fn from(data: &'a ReferralData) -> Self {
        ReferralColumns {
            client_id: data.client_id,
            recipient_organisation_id: data.recipient_organisation_id,
            offer: data.offer.as_deref(),
            purpose: &data.purpose,
            message: data.message.as_deref(),
            shared_categories: join_values(
                &normalise_set(&data.shared_categories),
                DataCategory::as_str,
            ),
            due_on: data.due_on,
        }
    }
}

pub fn insert(
    conn: &mut DbConn,
    actor: &Actor,
    case_id: i64,
    data: &ReferralData,
) -> StoreResult<Referral> {
    check_data(conn, case_id, data)?;
    let now = clock::now();
    let id: i64 = insert_versioned!(
        conn,
        referrals,
        (
            referrals::case_id.eq(case_id),
            ReferralColumns::from(data),
            referrals::status.eq(ReferralStatus::Draft.as_str()),
            referrals::consent_ids.eq(""),
            referrals::created_by.eq(if actor.kind == "user" { actor.id } else { None })
        ),
        now
    )?;
    record(conn, actor, id, None, ReferralStatus::Draft, None)?;
    find(conn, id)
}

/// Applies a move the domain has checked ([`kim_domain::referral::check_referral_transition`]).
pub fn transition(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    expected_version: i32,
    change: &ReferralTransition,
) -> StoreResult<Referral> {
    let current = find(conn, id)?;
    expect_version(current.version, expected_version)?;
    if current.status != change.from {
        return Err(StoreError::Conflict(format!(
            "the referral is {} now, not {}",
            current.status, change.from
        )));
    }
    let now = clock::now();
    let sent_at = if change.to == ReferralStatus::Sent {
        Some(now)
    } else {
        current.sent_at.map(clock::from_utc)
    };
    let consent_ids = if change.to == ReferralStatus::Sent {
        change
            .consent_ids
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",")
    } else {
        current
            .consent_ids
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",")
    };
    // Conditional on the version, so that a concurrent move in between cannot be overwritten.
    update_versioned!(
        conn,
        referrals,
        id,
        expected_version,
        (
            referrals::status.eq(change.to.as_str()),
            referrals::status_reason.eq(change.reason.as_deref()),
            referrals::consent_ids.eq(consent_ids),
            referrals::sent_at.eq(sent_at)
        ),
        now
    )?;
    record(
        conn,
        actor,
        id,
        Some(change.from),
        change.to,
        change.reason.as_deref(),
    )?;
    if let Some(event) = kim_domain::event::of_referral_move(change.to) {
        let recipient = current.data.recipient_organisation_id;
        outbox::record(conn, &[NewEvent::new(event, recipient, id)])?;
    }
    find(conn, id)
}

/// The referrals to `organisation_id` whose transfer relied on consent `consent_id` of
/// `client_id` (sent or later; a draft relies on nothing yet), oldest first.
pub fn sent_under_consent(
    conn: &mut DbConn,
    client_id: i64,
    consent_id: i64,
    organisation_id: i64,
) -> StoreResult<Vec<i64>> {
    let rows: Vec<(i64, String)> = referrals::table
        .filter(referrals::client_id.eq(client_id))
        .filter(referrals::recipient_organisation_id.eq(organisation_id))
        .filter(referrals::status.ne(ReferralStatus::Draft.as_str()))
        .order(referrals::id.asc())
        .select((referrals::id, referrals::consent_ids))
        .load(conn)?;
    let consent = consent_id.to_string();
    Ok(rows
        .into_iter()
        .filter(|(_, ids)| ids.split(',').any(|id| id == consent))
        .map(|(id, _)| id)
        .collect())
}

/// Deletes a draft; a referral once sent stays on record (withdraw it instead).
/// Replaces the content of a draft if `expected_version` is current. Once sent, a referral's
/// content is what the recipient was sent and stays as it is (409).
pub fn update_draft(
    conn: &mut DbConn,
    id: i64,
    expected_version: i32,
    data: &ReferralData,
) -> StoreResult<Referral> {
    let current = find(conn, id)?;
    expect_version(current.version, expected_version)?;
    if !current.status.is_draft() {
        return Err(StoreError::Conflict(format!(
            "only a draft can be changed; this referral is {} and stays as it was sent",
            current.status
        )));
    }
    check_data(conn, current.case_id, data)?;
    update_versioned!(
        conn,
        referrals,
        id,
        expected_version,
        ReferralColumns::from(data)
    )?;
    find(conn, id)
}

pub fn delete_draft(conn: &mut DbConn, id: i64, expected_version: i32) -> StoreResult<()> {
    let current = find(conn, id)?;
    expect_version(current.version, expected_version)?;
    if !current.status.is_draft() {
        return Err(StoreError::Conflict(format!(
            "only a draft can be deleted; this referral is {}, withdraw it instead",
            current.status
        )));
    }
    diesel::delete(referral_events::table.filter(referral_events::referral_id.eq(id)))
        .execute(conn)?;
    delete_versioned!(conn, referrals, id, expected_version)?;
    Ok(())
}

/// One entry of a referral's history.
#[derive(Debug, Clone, PartialEq)]
pub struct ReferralEvent {
    pub from_status: Option<ReferralStatus>,
    pub to_status: ReferralStatus,
    pub reason: Option<String>,
    /// `user` or `partner`.
    pub actor_kind: String,
    pub actor_id: Option<i64>,
    pub occurred_at: DateTime<Utc>,
}

pub fn history(conn: &mut DbConn, id: i64) -> StoreResult<Vec<ReferralEvent>> {
    type Row = (
        Option<String>,
        String,
        Option<String>,
        String,
        Option<i64>,
        NaiveDateTime,
    );
    let rows: Vec<Row> = referral_events::table
        .filter(referral_events::referral_id.eq(id))
        .order(referral_events::id.asc())
        .select((
            referral_events::from_status,
            referral_events::to_status,
            referral_events::reason,
            referral_events::actor_kind,
            referral_events::actor_id,
            referral_events::occurred_at,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|(from, to, reason, kind, actor, at)| {
            Ok(ReferralEvent {
                from_status: from.as_deref().map(ReferralStatus::parse).transpose()?,
                to_status: ReferralStatus::parse(&to)?,
                reason,
                actor_kind: kind,
                actor_id: actor,
                occurred_at: clock::to_utc(at),
            })
        })
        .collect()
}
