//! Consents (Einwilligung / Schweigepflichtentbindung) of clients: recorded from the signed form,
//! revoked by a dated revocation, never deleted, so that every transfer stays provable.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use kim_domain::consent::{Consent, ConsentPurpose, DataCategory, NewConsent};
use kim_domain::reference::normalise_set;

use kim_domain::event::EventType;

use crate::error::StoreResult;
use crate::link_sets::{insert_links, load_links};
use crate::outbox::{self, NewEvent};
use crate::referrals;
use crate::schema::organisations;
use crate::versioned::insert_versioned;
use crate::{clock, DbConn, StoreError};

diesel::table! {
    consents (id) {
        id -> BigInt,
        client_id -> BigInt,
        purposes -> Text,
        categories -> Text,
        given_on -> Date,
        valid_until -> Nullable<Date>,
        revoked_on -> Nullable<Date>,
        document_reference -> Nullable<Text>,
        recorded_by -> Nullable<BigInt>,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    consent_recipients (consent_id, organisation_id) {
        consent_id -> BigInt,
        organisation_id -> BigInt,
    }
}

diesel::allow_tables_to_appear_in_same_query!(consents, consent_recipients);

#[derive(Queryable, Selectable)]
#[diesel(table_name = consents, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
struct ConsentRow {
    id: i64,
    client_id: i64,
    purposes: String,
    categories: String,
    given_on: NaiveDate,
    valid_until: Option<NaiveDate>,
    revoked_on: Option<NaiveDate>,
    document_reference: Option<String>,
    recorded_by: Option<i64>,
    version: i32,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

/// A consent as stored: the domain's consent plus its record.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredConsent {
    pub consent: Consent,
    pub client_id: i64,
    /// Where the signed form is filed (file number, DMS id).
    pub document_reference: Option<String>,
    pub recorded_by: Option<i64>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Joins vocabulary values with `,` (no value contains one).
pub(crate) fn join_values<T: Copy>(values: &[T], text: impl Fn(T) -> &'static str) -> String {
    values
        .iter()
        .map(|v| text(*v))
        .collect::<Vec<_>>()
        .join(",")
}

pub(crate) fn split_values<T>(
    stored: &str,
    parse: impl Fn(&str) -> Result<T, kim_domain::UnknownValue>,
) -> StoreResult<Vec<T>> {
    stored
        .split(',')
        .filter(|v| !v.is_empty())
        .map(|v| parse(v).map_err(StoreError::from))
        .collect()
}

fn complete(conn: &mut DbConn, rows: Vec<ConsentRow>) -> StoreResult<Vec<StoredConsent>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut recipients =
        load_links!(conn, consent_recipients, consent_id = &ids, organisation_id: i64);
    rows.into_iter()
        .map(|row| {
            Ok(StoredConsent {
                consent: Consent {
                    id: row.id,
                    recipient_organisation_ids: recipients.remove(&row.id).unwrap_or_default(),
                    purposes: normalise_set(&split_values(&row.purposes, ConsentPurpose::parse)?),
                    categories: normalise_set(&split_values(&row.categories, DataCategory::parse)?),
                    given_on: row.given_on,
                    valid_until: row.valid_until,
                    revoked_on: row.revoked_on,
                },
                client_id: row.client_id,
                document_reference: row.document_reference,
                recorded_by: row.recorded_by,
                version: row.version,
                created_at: clock::to_utc(row.created_at),
                updated_at: clock::to_utc(row.updated_at),
            })
        })
        .collect()
}

/// What the domain's consent rules read of a consent, its recipients apart: for lists that
/// decide for many clients in one query ([`crate::referrals::visible_page`]).
#[derive(Queryable, Selectable)]
#[diesel(table_name = consents, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct ConsentRuleRow {
    id: i64,
    client_id: i64,
    purposes: String,
    categories: String,
    given_on: NaiveDate,
    valid_until: Option<NaiveDate>,
    revoked_on: Option<NaiveDate>,
}

impl ConsentRuleRow {
    /// The client and the consent as the rules take it, naming `recipients`.
    pub(crate) fn into_rule(self, recipients: Vec<i64>) -> StoreResult<(i64, Consent)> {
        Ok((
            self.client_id,
            Consent {
                id: self.id,
                recipient_organisation_ids: recipients,
                purposes: normalise_set(&split_values(&self.purposes, ConsentPurpose::parse)?),
                categories: normalise_set(&split_values(&self.categories, DataCategory::parse)?),
                given_on: self.given_on,
                valid_until: self.valid_until,
                revoked_on: self.revoked_on,
            },
        ))
    }
}

/// Every consent of a client, oldest first (revoked and expired ones included).
pub fn of_client(conn: &mut DbConn, client_id: i64) -> StoreResult<Vec<StoredConsent>> {
    let rows: Vec<ConsentRow> = consents::table
        .filter(consents::client_id.eq(client_id))
        .order((consents::given_on.asc(), consents::id.asc()))
        .select(ConsentRow::as_select())
        .load(conn)?;
    complete(conn, rows)
}

/// The client's consents as the domain rules take them.
pub fn rules_of_client(conn: &mut DbConn, client_id: i64) -> StoreResult<Vec<Consent>> {
    Ok(of_client(conn, client_id)?
        .into_iter()
        .map(|c| c.consent)
        .collect())
}

/// One consent of one client; `NotFound` when it belongs to another client.
pub fn find(conn: &mut DbConn, client_id: i64, id: i64) -> StoreResult<StoredConsent> {
    let row: ConsentRow = consents::table
        .filter(consents::id.eq(id))
        .filter(consents::client_id.eq(client_id))
        .select(ConsentRow::as_select())
        .first(conn)?;
    complete(conn, vec![row])?.pop().ok_or(StoreError::NotFound)
}

/// Records a consent the domain has checked ([`kim_domain::consent::check_new_consent`]).
pub fn insert(
    conn: &mut DbConn,
    client_id: i64,
    consent: &NewConsent,
    document_reference: Option<&str>,
    recorded_by: Option<i64>,
) -> StoreResult<StoredConsent> {
    let known: Vec<i64> = organisations::table
        .filter(organisations::id.eq_any(&consent.recipient_organisation_ids))
        .select(organisations::id)
        .load(conn)?;
    if let Some(unknown) = consent
        .recipient_organisation_ids
        .iter()
        .find(|id| !known.contains(id))
    {
        return Err(StoreError::unknown(
            "recipient_organisation_ids",
            format!("no organisation with id {unknown}"),
        ));
    }
    let now = clock::now();
    let id: i64 = insert_versioned!(
        conn,
        consents,
        (
            consents::client_id.eq(client_id),
            consents::purposes.eq(join_values(&consent.purposes, ConsentPurpose::as_str)),
            consents::categories.eq(join_values(&consent.categories, DataCategory::as_str)),
            consents::given_on.eq(consent.given_on),
            consents::valid_until.eq(consent.valid_until),
            consents::document_reference.eq(document_reference),
            consents::recorded_by.eq(recorded_by)
        ),
        now
    )?;
    insert_links!(
        conn,
        consent_recipients,
        consent_id = id,
        organisation_id = &consent.recipient_organisation_ids
    );
    find(conn, client_id, id)
}

/// Records a revocation the domain has checked ([`kim_domain::consent::check_revocation`]).
pub fn revoke(
    conn: &mut DbConn,
    client_id: i64,
    id: i64,
    revoked_on: NaiveDate,
) -> StoreResult<StoredConsent> {
    find(conn, client_id, id)?;
    let changed = diesel::update(
        consents::table
            .filter(consents::id.eq(id))
            .filter(consents::revoked_on.is_null()),
    )
    .set((
        consents::revoked_on.eq(Some(revoked_on)),
        consents::version.eq(consents::version + 1),
        consents::updated_at.eq(clock::now()),
    ))
    .execute(conn)?;
    if changed == 0 {
        return Err(StoreError::Conflict(
            "the consent is already revoked".into(),
        ));
    }
    let revoked = find(conn, client_id, id)?;
    // Every organisation the consent named learns of it, with the referrals it covered, whose
    // next read shows less or is refused.
    let mut events = Vec::new();
    for &organisation_id in &revoked.consent.recipient_organisation_ids {
        let mut event = NewEvent::new(EventType::ConsentRevoked, organisation_id, id);
        event.related_ids = referrals::sent_under_consent(conn, client_id, id, organisation_id)?;
        events.push(event);
    }
    outbox::record(conn, &events)?;
    Ok(revoked)
}
