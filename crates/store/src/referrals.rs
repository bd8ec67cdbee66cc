//! Referrals (Verweisberatung) from a case to a partner organisation, their dated status history,
//! and the responses remembered for `Idempotency-Key`.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use kim_domain::access::{CaseScope, ReferralFacts, ReferralScope};
use kim_domain::consent::{Consent, DataCategory};
use kim_domain::paging::PageRequest;
use kim_domain::reference::normalise_set;
use kim_domain::referral::{recipient_sees_client, ReferralStatus, ReferralTransition};

use crate::audit::Actor;
use crate::cases::CaseOutline;
use crate::clients::Client;
use crate::connection::MultiBackend;
use crate::consents::{consent_recipients, consents, join_values, split_values, ConsentRuleRow};
use crate::error::{changed_or_stale, expect_version, StoreResult};
use crate::outbox::{self, NewEvent};
use crate::schema::{case_clients, cases, organisations};
use crate::{cases as case_store, clock, DbConn, Listed, StoreError};

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
pub fn insert(
    conn: &mut DbConn,
    actor: &Actor,
    case_id: i64,
    data: &ReferralData,
) -> StoreResult<Referral> {
    check_data(conn, case_id, data)?;
    let now = clock::now();
    let id: i64 = diesel::insert_into(referrals::table)
        .values((
            referrals::case_id.eq(case_id),
            referrals::client_id.eq(data.client_id),
            referrals::recipient_organisation_id.eq(data.recipient_organisation_id),
            referrals::offer.eq(data.offer.as_deref()),
            referrals::purpose.eq(&data.purpose),
            referrals::message.eq(data.message.as_deref()),
            referrals::shared_categories.eq(join_values(
                &normalise_set(&data.shared_categories),
                DataCategory::as_str,
            )),
            referrals::due_on.eq(data.due_on),
            referrals::status.eq(ReferralStatus::Draft.as_str()),
            referrals::consent_ids.eq(""),
            referrals::created_by.eq(if actor.kind == "user" { actor.id } else { None }),
            referrals::version.eq(1),
            referrals::created_at.eq(now),
            referrals::updated_at.eq(now),
        ))
        .returning(referrals::id)
        .get_result(conn)?;
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
    let changed = diesel::update(
        referrals::table
            .filter(referrals::id.eq(id))
            .filter(referrals::version.eq(expected_version)),
    )
    .set((
        referrals::status.eq(change.to.as_str()),
        referrals::status_reason.eq(change.reason.as_deref()),
        referrals::consent_ids.eq(consent_ids),
        referrals::sent_at.eq(sent_at),
        referrals::version.eq(expected_version + 1),
        referrals::updated_at.eq(now),
    ))
    .execute(conn)?;
    changed_or_stale(changed, || Ok(find(conn, id)?.version))?;
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
    let changed = diesel::update(
        referrals::table
            .filter(referrals::id.eq(id))
            .filter(referrals::version.eq(expected_version)),
    )
    .set((
        referrals::client_id.eq(data.client_id),
        referrals::recipient_organisation_id.eq(data.recipient_organisation_id),
        referrals::offer.eq(data.offer.as_deref()),
        referrals::purpose.eq(&data.purpose),
        referrals::message.eq(data.message.as_deref()),
        referrals::shared_categories.eq(join_values(
            &normalise_set(&data.shared_categories),
            DataCategory::as_str,
        )),
        referrals::due_on.eq(data.due_on),
        referrals::version.eq(expected_version + 1),
        referrals::updated_at.eq(clock::now()),
    ))
    .execute(conn)?;
    changed_or_stale(changed, || Ok(find(conn, id)?.version))?;
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
    diesel::delete(referrals::table.filter(referrals::id.eq(id))).execute(conn)?;
    Ok(())
}

/// Filters of a referral list, within the caller's scope; combined with AND.
#[derive(Debug, Clone, Default)]
pub struct ReferralFilter {
    pub case_id: Option<i64>,
    pub status: Option<ReferralStatus>,
}

/// A referral on a list page, with what showing it takes, loaded for the whole page at once.
#[derive(Debug, Clone, PartialEq)]
pub struct ListedReferral {
    pub referral: Referral,
    /// Who works the referral's case and what the case is about.
    pub case: CaseOutline,
    pub client: Client,
    /// On a recipient's list ([`ReferralScope::SentTo`]): the client's consents naming the
    /// recipient, each with its recipients narrowed to that one (all the rules ask when they
    /// decide for it), from which [`kim_domain::referral::recipient_view`] decides what it
    /// sees. Empty on the case side.
    pub consents: Vec<Consent>,
}

impl ListedReferral {
    /// What decides access to the referral.
    pub fn facts(&self) -> ReferralFacts {
        ReferralFacts {
            case: self.case.facts.clone(),
            recipient_organisation_id: self.referral.data.recipient_organisation_id,
            status: self.referral.status,
        }
    }
}

type Boxed = referrals::BoxedQuery<'static, MultiBackend>;

/// The recipient's side of [`ReferralScope::SentTo`] (no drafts), as a literal rather than a
/// bound value: the partial index `referrals_sent_to` matches only the very predicate.
const NOT_DRAFT: &str = "referrals.status <> 'draft'";

/// The referrals in `scope` matching `filter`; `None` when the scope holds none.
fn scoped(scope: ReferralScope, filter: &ReferralFilter) -> Option<Boxed> {
    let mut query = referrals::table.into_boxed::<MultiBackend>();
    match scope {
        ReferralScope::Nothing | ReferralScope::OfCases(CaseScope::Nothing) => return None,
        ReferralScope::OfCases(CaseScope::All) => {}
        ReferralScope::OfCases(CaseScope::Assigned(user)) => {
            // Two subqueries, each read from its own index (`cases_assignee_*`,
            // `cases_deputy_*`), rather than one over an OR, which the planner answers with a
            // scan of every case.
            query = query.filter(
                referrals::case_id
                    .eq_any(
                        cases::table
                            .filter(cases::assigned_user_id.eq(user))
                            .select(cases::id),
                    )
                    .or(referrals::case_id.eq_any(
                        cases::table
                            .filter(cases::deputy_user_id.eq(user))
                            .select(cases::id),
                    )),
            );
        }
        ReferralScope::SentTo(organisation) => {
            query = query
                .filter(referrals::recipient_organisation_id.eq(organisation))
                .filter(diesel::dsl::sql::<diesel::sql_types::Bool>(NOT_DRAFT));
        }
    }
    if let Some(case_id) = filter.case_id {
        query = query.filter(referrals::case_id.eq(case_id));
    }
    if let Some(status) = filter.status {
        query = query.filter(referrals::status.eq(status.as_str()));
    }
    Some(query)
}

/// The clients whose referrals the recipient `organisation` sees on `today`, with their
/// consents naming it; one query. The rule is the domain's ([`recipient_sees_client`]):
/// it depends on the client's consents alone, so it is decided once per client, over the
/// consents naming the organisation of every client with a referral sent to it; the database
/// then counts and pages the referrals of the clients it leaves.
fn clients_seen_by(
    conn: &mut DbConn,
    organisation: i64,
    today: NaiveDate,
) -> StoreResult<HashMap<i64, Vec<Consent>>> {
    let naming = consent_recipients::table
        .filter(consent_recipients::organisation_id.eq(organisation))
        .select(consent_recipients::consent_id);
    // Every client referred to the organisation, whatever the list's filters: they narrow the
    // referrals counted afterwards. (A subquery may not be boxed through the MultiBackend.)
    let referred = referrals::table
        .filter(referrals::recipient_organisation_id.eq(organisation))
        .filter(diesel::dsl::sql::<diesel::sql_types::Bool>(NOT_DRAFT))
        .select(referrals::client_id);
    let rows: Vec<ConsentRuleRow> = consents::table
        .filter(consents::id.eq_any(naming))
        .filter(consents::client_id.eq_any(referred))
        .order(consents::id.asc())
        .select(ConsentRuleRow::as_select())
        .load(conn)?;
    let mut of_client: HashMap<i64, Vec<Consent>> = HashMap::new();
    for row in rows {
        let (client, consent) = row.into_rule(vec![organisation])?;
        of_client.entry(client).or_default().push(consent);
    }
    of_client.retain(|_, consents| recipient_sees_client(consents, organisation, today));
    Ok(of_client)
}

/// One page of the referrals in `scope` matching `filter` that the caller sees on `today`,
/// newest first, with the exact total, and everything the page's items show: a fixed number of
/// queries whatever the page size: six (the count, the page, its clients, and its cases in
/// three), seven for a recipient, whose list first reads the consents naming it; fewer when
/// there is nothing to show.
///
/// On the case side the scope is the whole rule. A recipient ([`ReferralScope::SentTo`]) sees
/// only the referrals of clients whose consents still release their identity to it: that is
/// decided by the domain once per client ([`clients_seen_by`]), and the database counts and
/// pages the referrals of those clients. They travel as one bound id per client the recipient
/// sees: SQLite takes up to 32,766 bound values in a statement and PostgreSQL 65,535, far
/// more clients than a county's programme refers to one organisation.
pub fn visible_page(
    conn: &mut DbConn,
    scope: ReferralScope,
    filter: &ReferralFilter,
    today: NaiveDate,
    page: PageRequest,
) -> StoreResult<Listed<ListedReferral>> {
    let nothing = Listed {
        items: Vec::new(),
        total: 0,
    };
    let (seen, consents_of) = match scope {
        ReferralScope::SentTo(organisation) => {
            let consents = clients_seen_by(conn, organisation, today)?;
            if consents.is_empty() {
                return Ok(nothing);
            }
            let mut seen: Vec<i64> = consents.keys().copied().collect();
            seen.sort_unstable();
            (Some(seen), consents)
        }
        _ => (None, HashMap::new()),
    };
    let shown = || {
        scoped(scope, filter).map(|query| match &seen {
            Some(clients) => query.filter(referrals::client_id.eq_any(clients.clone())),
            None => query,
        })
    };
    let Some(counted) = shown() else {
        return Ok(nothing);
    };
    let total: i64 = counted.count().get_result(conn)?;
    let Some(paged) = shown() else {
        return Ok(nothing);
    };
    let rows: Vec<ReferralRow> = paged
        .order(referrals::id.desc())
        .limit(page.limit)
        .offset(page.offset)
        .select(ReferralRow::as_select())
        .load(conn)?;
    if rows.is_empty() {
        return Ok(Listed {
            items: Vec::new(),
            total,
        });
    }
    let referrals = rows
        .into_iter()
        .map(Referral::try_from)
        .collect::<StoreResult<Vec<_>>>()?;
    let mut client_ids: Vec<i64> = referrals.iter().map(|r| r.data.client_id).collect();
    client_ids.sort_unstable();
    client_ids.dedup();
    let mut case_ids: Vec<i64> = referrals.iter().map(|r| r.case_id).collect();
    case_ids.sort_unstable();
    case_ids.dedup();
    let clients = crate::clients::by_ids(conn, &client_ids)?;
    let outlines = case_store::outlines(conn, &case_ids)?;
    let items = referrals
        .into_iter()
        .map(|referral| {
            let client = clients
                .get(&referral.data.client_id)
                .cloned()
                .ok_or_else(|| {
                    StoreError::Corrupt(format!(
                        "referral {} names client {}, which is missing",
                        referral.id, referral.data.client_id
                    ))
                })?;
            let case = outlines.get(&referral.case_id).cloned().ok_or_else(|| {
                StoreError::Corrupt(format!(
                    "referral {} names case {}, which is missing",
                    referral.id, referral.case_id
                ))
            })?;
            let consents = consents_of
                .get(&referral.data.client_id)
                .cloned()
                .unwrap_or_default();
            Ok(ListedReferral {
                referral,
                case,
                client,
                consents,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(Listed { items, total })
}

/// The referrals of `user`'s open cases waiting for them: drafts to send and declined ones to
/// plan after (the work list). The first `window` in the work list's order (undated first,
/// then by due date, then id) and how many there are in all: two queries.
pub fn waiting_on_assignee(
    conn: &mut DbConn,
    user: i64,
    window: i64,
) -> StoreResult<(Vec<Referral>, i64)> {
    let waiting = || {
        referrals::table
            .filter(referrals::case_id.eq_any(crate::cases::open_of_assignee(user)))
            .filter(referrals::status.eq_any([
                ReferralStatus::Draft.as_str(),
                ReferralStatus::Declined.as_str(),
            ]))
    };
    let total: i64 = waiting().count().get_result(conn)?;
    if total == 0 || window <= 0 {
        return Ok((Vec::new(), total));
    }
    // Undated first on both databases (PostgreSQL sorts NULL last, SQLite first).
    let items = waiting()
        .order((
            referrals::due_on.is_not_null().asc(),
            referrals::due_on.asc(),
            referrals::id.asc(),
        ))
        .limit(window)
        .select(ReferralRow::as_select())
        .load(conn)?
        .into_iter()
        .map(Referral::try_from)
        .collect::<StoreResult<Vec<_>>>()?;
    Ok((items, total))
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

/// What is kept of the first successful response to an `Idempotency-Key`: no answer body, so no
/// personal data; a replay reads the object again ([`kim_domain::idempotency`]).
#[derive(Debug, Clone, PartialEq)]
pub struct RememberedResponse {
    /// What identified the request (method, path, precondition and body, hashed).
    pub fingerprint: String,
    pub status_code: u16,
    /// The object the first answer showed (a referral, an offer).
    pub resource_id: i64,
}

/// A remembered response and when it was given.
#[derive(Debug, Clone, PartialEq)]
pub struct Remembered {
    pub response: RememberedResponse,
    pub answered_at: DateTime<Utc>,
}

/// The response remembered for `key` of this caller, if any.
pub fn remembered(conn: &mut DbConn, actor: &Actor, key: &str) -> StoreResult<Option<Remembered>> {
    let Some(actor_id) = actor.id else {
        return Ok(None);
    };
    let row: Option<(String, i32, i64, NaiveDateTime)> = idempotency_keys::table
        .filter(idempotency_keys::actor_kind.eq(actor.kind))
        .filter(idempotency_keys::actor_id.eq(actor_id))
        .filter(idempotency_keys::idempotency_key.eq(key))
        .select((
            idempotency_keys::fingerprint,
            idempotency_keys::status_code,
            idempotency_keys::resource_id,
            idempotency_keys::created_at,
        ))
        .first(conn)
        .optional()?;
    row.map(|(fingerprint, status, resource_id, created_at)| {
        Ok(Remembered {
            response: RememberedResponse {
                fingerprint,
                status_code: u16::try_from(status)
                    .map_err(|_| StoreError::Corrupt(format!("status code {status}")))?,
                resource_id,
            },
            answered_at: clock::to_utc(created_at),
        })
    })
    .transpose()
}

/// Forgets the response remembered for `key` of this caller (it has expired), so that the key
/// runs as a new request.
pub fn forget(conn: &mut DbConn, actor: &Actor, key: &str) -> StoreResult<()> {
    let Some(actor_id) = actor.id else {
        return Ok(());
    };
    diesel::delete(
        idempotency_keys::table
            .filter(idempotency_keys::actor_kind.eq(actor.kind))
            .filter(idempotency_keys::actor_id.eq(actor_id))
            .filter(idempotency_keys::idempotency_key.eq(key)),
    )
    .execute(conn)?;
    Ok(())
}

/// Remembers the response to `key`, in the transaction of the change it answers. A concurrent
/// request with the same key fails on the unique key and rolls back (409).
pub fn remember(
    conn: &mut DbConn,
    actor: &Actor,
    key: &str,
    response: &RememberedResponse,
) -> StoreResult<()> {
    let Some(actor_id) = actor.id else {
        return Ok(());
    };
    diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::actor_kind.eq(actor.kind),
            idempotency_keys::actor_id.eq(actor_id),
            idempotency_keys::idempotency_key.eq(key),
            idempotency_keys::fingerprint.eq(&response.fingerprint),
            idempotency_keys::status_code.eq(i32::from(response.status_code)),
            idempotency_keys::resource_id.eq(response.resource_id),
            idempotency_keys::created_at.eq(clock::now()),
        ))
        .execute(conn)
        .map_err(|e| StoreError::from(e).on_field("Idempotency-Key"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_recipients_literal_leaves_out_drafts_only() {
        assert_eq!(
            NOT_DRAFT,
            format!("referrals.status <> '{}'", ReferralStatus::Draft.as_str())
        );
        for status in ReferralStatus::ALL {
            assert_eq!(status.is_visible_to_recipient(), !status.is_draft());
        }
    }
}
