//! Intake requests (Zuweisungen): people referred into case management by a partner
//! organisation, the CM coordination's decision, and what erasure and retention do to them.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use kim_domain::case::Topic;
use kim_domain::client::ResidenceStatus;
use kim_domain::erasure::ERASED_TEXT;
use kim_domain::intake_request::{CheckedDecision, IntakeFacts, IntakeRequestStatus, IntakeScope};
use kim_domain::paging::PageRequest;
use kim_domain::reference::normalise_set;

use crate::audit::Actor;
use crate::connection::MultiBackend;
use crate::error::{expect_version, StoreResult};
use crate::outbox::{self, NewEvent};
use crate::schema::organisations;
use crate::versioned::{insert_versioned, update_versioned};
use crate::{clock, municipalities, DbConn, Listed, StoreError};

diesel::table! {
    intake_requests (id) {
        id -> BigInt,
        referring_organisation_id -> BigInt,
        partner_reference -> Text,
        given_name -> Nullable<Text>,
        family_name -> Nullable<Text>,
        birth_year -> Nullable<Integer>,
        municipality_id -> BigInt,
        languages -> Text,
        residence_status -> Nullable<Text>,
        reason -> Text,
        topics -> Text,
        consent_given_on -> Date,
        status -> Text,
        decline_reason -> Nullable<Text>,
        case_id -> Nullable<BigInt>,
        client_id -> Nullable<BigInt>,
        submitted_by_kind -> Text,
        submitted_by_id -> Nullable<BigInt>,
        decided_by -> Nullable<BigInt>,
        decided_at -> Nullable<Timestamp>,
        anonymised_at -> Nullable<Timestamp>,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = intake_requests, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
struct Row {
    id: i64,
    referring_organisation_id: i64,
    partner_reference: String,
    given_name: Option<String>,
    family_name: Option<String>,
    birth_year: Option<i32>,
    municipality_id: i64,
    languages: String,
    residence_status: Option<String>,
    reason: String,
    topics: String,
    consent_given_on: NaiveDate,
    status: String,
    decline_reason: Option<String>,
    case_id: Option<i64>,
    client_id: Option<i64>,
    submitted_by_kind: String,
    submitted_by_id: Option<i64>,
    decided_by: Option<i64>,
    decided_at: Option<NaiveDateTime>,
    anonymised_at: Option<NaiveDateTime>,
    version: i32,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

/// What the referrer sends: the person's minimal data, why, and the consent statement.
#[derive(Debug, Clone, PartialEq)]
pub struct IntakeData {
    pub referring_organisation_id: i64,
    /// The referrer's own reference, unique per organisation.
    pub partner_reference: String,
    pub given_name: String,
    pub family_name: String,
    pub birth_year: Option<i32>,
    pub municipality_id: i64,
    /// ISO 639-1 codes, sorted.
    pub languages: Vec<String>,
    pub residence_status: Option<ResidenceStatus>,
    pub reason: String,
    pub topics: Vec<Topic>,
    /// The day the person consented to the transfer to KIM.
    pub consent_given_on: NaiveDate,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IntakeRequest {
    pub id: i64,
    pub referring_organisation_id: i64,
    pub partner_reference: String,
    /// `None` once erased.
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub birth_year: Option<i32>,
    pub municipality_id: i64,
    pub languages: Vec<String>,
    pub residence_status: Option<ResidenceStatus>,
    pub reason: String,
    pub topics: Vec<Topic>,
    pub consent_given_on: NaiveDate,
    pub status: IntakeRequestStatus,
    pub decline_reason: Option<String>,
    /// The case opened on acceptance.
    pub case_id: Option<i64>,
    /// The client the request was linked to on acceptance (created or matched).
    pub client_id: Option<i64>,
    /// `partner` or `user`.
    pub submitted_by_kind: String,
    /// The partner token or the user.
    pub submitted_by_id: Option<i64>,
    pub decided_by: Option<i64>,
    pub decided_at: Option<DateTime<Utc>>,
    pub anonymised_at: Option<DateTime<Utc>>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl IntakeRequest {
    /// What decides who sees the request.
    pub fn facts(&self) -> IntakeFacts {
        IntakeFacts {
            referring_organisation_id: self.referring_organisation_id,
            submitted_by_user: self
                .submitted_by_id
                .filter(|_| self.submitted_by_kind == "user"),
        }
    }
}

/// Languages are ISO codes: `;` never occurs in one.
fn split(stored: &str, separator: char) -> impl Iterator<Item = &str> {
    stored.split(separator).filter(|v| !v.is_empty())
}

impl TryFrom<Row> for IntakeRequest {
    type Error = StoreError;
    fn try_from(row: Row) -> StoreResult<IntakeRequest> {
        Ok(IntakeRequest {
            id: row.id,
            referring_organisation_id: row.referring_organisation_id,
            partner_reference: row.partner_reference,
            given_name: row.given_name,
            family_name: row.family_name,
            birth_year: row.birth_year,
            municipality_id: row.municipality_id,
            languages: split(&row.languages, ';').map(String::from).collect(),
            residence_status: row
                .residence_status
                .as_deref()
                .map(ResidenceStatus::parse)
                .transpose()?,
            reason: row.reason,
            topics: split(&row.topics, ',')
                .map(Topic::parse)
                .collect::<Result<Vec<_>, _>>()?,
            consent_given_on: row.consent_given_on,
            status: IntakeRequestStatus::parse(&row.status)?,
            decline_reason: row.decline_reason,
            case_id: row.case_id,
            client_id: row.client_id,
            submitted_by_kind: row.submitted_by_kind,
            submitted_by_id: row.submitted_by_id,
            decided_by: row.decided_by,
            decided_at: row.decided_at.map(clock::to_utc),
            anonymised_at: row.anonymised_at.map(clock::to_utc),
            version: row.version,
            created_at: clock::to_utc(row.created_at),
            updated_at: clock::to_utc(row.updated_at),
        })
    }
}

pub fn find(conn: &mut DbConn, id: i64) -> StoreResult<IntakeRequest> {
    intake_requests::table
        .find(id)
        .select(Row::as_select())
        .first(conn)?
        .try_into()
}

/// Records a submitted request. The municipality and the organisation must exist (422 naming
/// the field); a second request of the organisation with the same `partner_reference` is 409.
pub fn insert(conn: &mut DbConn, actor: &Actor, data: &IntakeData) -> StoreResult<IntakeRequest> {
    if let Some(unknown) = municipalities::first_unknown(conn, &[data.municipality_id])? {
        return Err(StoreError::unknown(
            "municipality_id",
            format!("no municipality with id {unknown}"),
        ));
    }
    let organisation: i64 = organisations::table
        .filter(organisations::id.eq(data.referring_organisation_id))
        .count()
        .get_result(conn)?;
    if organisation == 0 {
        return Err(StoreError::unknown(
            "referring_organisation_id",
            format!("no organisation with id {}", data.referring_organisation_id),
        ));
    }
    let topics: Vec<&str> = normalise_set(&data.topics)
        .iter()
        .map(|t| t.as_str())
        .collect();
    let now = clock::now();
    let id: i64 = insert_versioned!(
        conn,
        intake_requests,
        (
            intake_requests::referring_organisation_id.eq(data.referring_organisation_id),
            intake_requests::partner_reference.eq(&data.partner_reference),
            intake_requests::given_name.eq(&data.given_name),
            intake_requests::family_name.eq(&data.family_name),
            intake_requests::birth_year.eq(data.birth_year),
            intake_requests::municipality_id.eq(data.municipality_id),
            intake_requests::languages.eq(data.languages.join(";")),
            intake_requests::residence_status.eq(data.residence_status.map(|s| s.as_str())),
            intake_requests::reason.eq(&data.reason),
            intake_requests::topics.eq(topics.join(",")),
            intake_requests::consent_given_on.eq(data.consent_given_on),
            intake_requests::status.eq(IntakeRequestStatus::Submitted.as_str()),
            intake_requests::submitted_by_kind.eq(actor.kind),
            intake_requests::submitted_by_id.eq(actor.id)
        ),
        now
    )
    .map_err(|e| e.on_field("partner_reference"))?;
    find(conn, id)
}

/// The case and client an accepted request opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Opened {
    pub case_id: i64,
    pub client_id: i64,
}

/// Records a decision the domain checked ([`kim_domain::intake_request::check_decision`]), if
/// `expected_version` is current (412) and the request is still in the status the check saw
/// (409): conditional on both, so two coordinators deciding at once cannot both win. Writes the
/// decision's event for the referring organisation to the outbox in the same transaction.
pub fn decide(
    conn: &mut DbConn,
    decided_by: i64,
    id: i64,
    expected_version: i32,
    decision: &CheckedDecision,
    opened: Option<Opened>,
) -> StoreResult<IntakeRequest> {
    let current = find(conn, id)?;
    expect_version(current.version, expected_version)?;
    if current.status != decision.from {
        return Err(StoreError::Conflict(format!(
            "the intake request is {} now, not {}",
            current.status, decision.from
        )));
    }
    let now = clock::now();
    // Every decision moves the version on, so the version still read means still undecided.
    update_versioned!(
        conn,
        intake_requests,
        id,
        expected_version,
        (
            intake_requests::status.eq(decision.to.as_str()),
            intake_requests::decline_reason.eq(decision.decline_reason.as_deref()),
            intake_requests::case_id.eq(opened.map(|o| o.case_id)),
            intake_requests::client_id.eq(opened.map(|o| o.client_id)),
            intake_requests::decided_by.eq(decided_by),
            intake_requests::decided_at.eq(now),
        ),
        now
    )?;
    // The referrer learns of the decision from the outbox, in this transaction.
    if let Some(event) = decision.to.event() {
        outbox::record(
            conn,
            &[NewEvent::new(event, current.referring_organisation_id, id)],
        )?;
    }
    find(conn, id)
}

type Boxed = intake_requests::BoxedQuery<'static, MultiBackend>;

fn scoped(scope: IntakeScope, status: Option<IntakeRequestStatus>) -> Option<Boxed> {
    let mut query = intake_requests::table.into_boxed::<MultiBackend>();
    match scope {
        IntakeScope::Nothing => return None,
        IntakeScope::All => {}
        IntakeScope::OfOrganisation(organisation) => {
            query = query.filter(intake_requests::referring_organisation_id.eq(organisation));
        }
        IntakeScope::EnteredBy(user) => {
            query = query
                .filter(intake_requests::submitted_by_kind.eq("user"))
                .filter(intake_requests::submitted_by_id.eq(user));
        }
    }
    if let Some(status) = status {
        query = query.filter(intake_requests::status.eq(status.as_str()));
    }
    Some(query)
}

/// One page of the requests in `scope` (with `status`, if given), with the exact total; in
/// submission order (the id follows it), newest first when `descending`.
pub fn list(
    conn: &mut DbConn,
    scope: IntakeScope,
    status: Option<IntakeRequestStatus>,
    descending: bool,
    page: PageRequest,
) -> StoreResult<Listed<IntakeRequest>> {
    let Some(counted) = scoped(scope, status) else {
        return Ok(Listed {
            items: Vec::new(),
            total: 0,
        });
    };
    let total: i64 = counted.count().get_result(conn)?;
    let Some(query) = scoped(scope, status) else {
        return Ok(Listed {
            items: Vec::new(),
            total,
        });
    };
    let query = if descending {
        query.order(intake_requests::id.desc())
    } else {
        query.order(intake_requests::id.asc())
    };
    let items = query
        .limit(page.limit)
        .offset(page.offset)
        .select(Row::as_select())
        .load(conn)?
        .into_iter()
        .map(IntakeRequest::try_from)
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(Listed { items, total })
}

/// The requests waiting for the CM coordination's decision, oldest first (the work list).
pub fn waiting(conn: &mut DbConn) -> StoreResult<Vec<IntakeRequest>> {
    intake_requests::table
        .filter(intake_requests::status.eq(IntakeRequestStatus::Submitted.as_str()))
        .order(intake_requests::id.asc())
        .select(Row::as_select())
        .load(conn)?
        .into_iter()
        .map(IntakeRequest::try_from)
        .collect()
}

/// The requests linked to a client, oldest first (the Art. 15 export).
pub fn of_client(conn: &mut DbConn, client_id: i64) -> StoreResult<Vec<IntakeRequest>> {
    intake_requests::table
        .filter(intake_requests::client_id.eq(client_id))
        .order(intake_requests::id.asc())
        .select(Row::as_select())
        .load(conn)?
        .into_iter()
        .map(IntakeRequest::try_from)
        .collect()
}

/// Overwrites the personal data of the requests linked to a client (erasure, and the
/// anonymisation of a closed case's client): names and birth year go, languages and residence
/// status go, the reason and the decline reason become the erased marker. The organisation,
/// the partner's reference, the dates, the topics and the municipality stay: they name no one.
pub(crate) fn anonymise_of_client(
    conn: &mut DbConn,
    client_id: i64,
    now: NaiveDateTime,
) -> StoreResult<usize> {
    let linked = intake_requests::table.filter(intake_requests::client_id.eq(client_id));
    let changed = diesel::update(linked)
        .set((
            intake_requests::given_name.eq(None::<String>),
            intake_requests::family_name.eq(None::<String>),
            intake_requests::birth_year.eq(None::<i32>),
            intake_requests::languages.eq(""),
            intake_requests::residence_status.eq(None::<String>),
            intake_requests::reason.eq(ERASED_TEXT),
            intake_requests::anonymised_at.eq(now),
            intake_requests::updated_at.eq(now),
        ))
        .execute(conn)?;
    diesel::update(
        intake_requests::table
            .filter(intake_requests::client_id.eq(client_id))
            .filter(intake_requests::decline_reason.is_not_null()),
    )
    .set(intake_requests::decline_reason.eq(ERASED_TEXT))
    .execute(conn)?;
    Ok(changed)
}

/// Ids of declined requests decided before `cutoff` (the retention rule), at most `limit`.
pub(crate) fn declined_before(
    conn: &mut DbConn,
    cutoff: NaiveDateTime,
    limit: Option<i64>,
) -> StoreResult<Vec<i64>> {
    Ok(intake_requests::table
        .filter(intake_requests::status.eq(IntakeRequestStatus::Declined.as_str()))
        .filter(intake_requests::decided_at.lt(cutoff))
        .order(intake_requests::id.asc())
        .select(intake_requests::id)
        // No limit: the largest LIMIT both databases take.
        .limit(limit.unwrap_or(i64::MAX))
        .load(conn)?)
}

/// Deletes the requests `ids` (the retention rule, for declined ones).
pub(crate) fn delete(conn: &mut DbConn, ids: &[i64]) -> StoreResult<usize> {
    Ok(
        diesel::delete(intake_requests::table.filter(intake_requests::id.eq_any(ids)))
            .execute(conn)?,
    )
}
