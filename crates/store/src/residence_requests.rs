//! Residence-law requests (aufenthaltsrechtliche Anfragen) from a case to the immigration or
//! naturalisation office, their answer and their end.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use kim_domain::access::{CaseFacts, CaseScope, RequestFacts, RequestScope};
use kim_domain::consent::{Consent, DataCategory};
use kim_domain::paging::PageRequest;
use kim_domain::residence_request::{RequestTransition, ResidenceRequestStatus};

use kim_domain::event::EventType;

use crate::audit::Actor;
use crate::connection::MultiBackend;
use crate::error::{expect_version, StoreResult};
use crate::outbox::{self, NewEvent};
use crate::schema::{case_clients, cases, clients};
use crate::versioned::{insert_versioned, update_versioned};
use crate::{clock, organisations, DbConn, Listed, StoreError};

diesel::table! {
    residence_requests (id) {
        id -> BigInt,
        case_id -> BigInt,
        client_id -> BigInt,
        office_organisation_id -> BigInt,
        question -> Text,
        shared_categories -> Text,
        status -> Text,
        answer -> Nullable<Text>,
        answered_by -> Nullable<BigInt>,
        answered_at -> Nullable<Timestamp>,
        note -> Nullable<Text>,
        asked_by -> Nullable<BigInt>,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::allow_tables_to_appear_in_same_query!(residence_requests, cases);

#[derive(Queryable, Selectable)]
#[diesel(table_name = residence_requests, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
struct RequestRow {
    id: i64,
    case_id: i64,
    client_id: i64,
    office_organisation_id: i64,
    question: String,
    shared_categories: String,
    status: String,
    answer: Option<String>,
    answered_by: Option<i64>,
    answered_at: Option<NaiveDateTime>,
    note: Option<String>,
    asked_by: Option<i64>,
    version: i32,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

/// A request as asked by the case side.
#[derive(Debug, Clone, PartialEq)]
pub struct NewRequest {
    pub case_id: i64,
    pub client_id: i64,
    pub office_organisation_id: i64,
    pub question: String,
    /// As shared: identity always among them (see `residence_request::shared_categories`).
    pub shared_categories: Vec<DataCategory>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ResidenceRequest {
    pub id: i64,
    pub case_id: i64,
    pub client_id: i64,
    pub office_organisation_id: i64,
    pub question: String,
    pub shared_categories: Vec<DataCategory>,
    pub status: ResidenceRequestStatus,
    pub answer: Option<String>,
    pub answered_by: Option<i64>,
    pub answered_at: Option<DateTime<Utc>>,
    /// The note of the case side when closing or withdrawing.
    pub note: Option<String>,
    pub asked_by: Option<i64>,
    /// Who may see it: the case's case managers.
    pub case: CaseFacts,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ResidenceRequest {
    pub fn facts(&self) -> RequestFacts {
        RequestFacts {
            case: self.case.clone(),
            office_organisation_id: self.office_organisation_id,
        }
    }
}

fn categories(text: &str) -> StoreResult<Vec<DataCategory>> {
    text.split(',')
        .filter(|v| !v.is_empty())
        .map(|v| DataCategory::parse(v).map_err(StoreError::from))
        .collect()
}

fn complete(conn: &mut DbConn, rows: Vec<RequestRow>) -> StoreResult<Vec<ResidenceRequest>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.case_id).collect();
    let facts: Vec<(i64, i64, Option<i64>)> = cases::table
        .filter(cases::id.eq_any(&ids))
        .select((cases::id, cases::assigned_user_id, cases::deputy_user_id))
        .load(conn)?;
    rows.into_iter()
        .map(|row| {
            let (_, assigned_to, deputy) = facts
                .iter()
                .find(|f| f.0 == row.case_id)
                .copied()
                .ok_or_else(|| StoreError::Corrupt(format!("request {} has no case", row.id)))?;
            Ok(ResidenceRequest {
                id: row.id,
                case_id: row.case_id,
                client_id: row.client_id,
                office_organisation_id: row.office_organisation_id,
                question: row.question,
                shared_categories: categories(&row.shared_categories)?,
                status: ResidenceRequestStatus::parse(&row.status)?,
                answer: row.answer,
                answered_by: row.answered_by,
                answered_at: row.answered_at.map(clock::to_utc),
                note: row.note,
                asked_by: row.asked_by,
                case: CaseFacts {
                    assigned_to,
                    deputy,
                },
                version: row.version,
                created_at: clock::to_utc(row.created_at),
                updated_at: clock::to_utc(row.updated_at),
            })
        })
        .collect()
}

pub fn find(conn: &mut DbConn, id: i64) -> StoreResult<ResidenceRequest> {
    let row = residence_requests::table
        .find(id)
        .select(RequestRow::as_select())
        .first(conn)?;
    complete(conn, vec![row])?.pop().ok_or(StoreError::NotFound)
}

/// The client's consents as the domain rules take them (recipients, purposes, categories, given
/// on, valid until, revoked on).
pub fn consents_of(conn: &mut DbConn, client_id: i64) -> StoreResult<Vec<Consent>> {
    crate::consents::rules_of_client(conn, client_id)
}

/// 422 unless the client is a client of the case and the office an organisation.
pub fn check_references(
    conn: &mut DbConn,
    case_id: i64,
    client_id: i64,
    office_organisation_id: i64,
) -> StoreResult<()> {
    let in_case: i64 = case_clients::table
        .filter(case_clients::case_id.eq(case_id))
        .filter(case_clients::client_id.eq(client_id))
        .count()
        .get_result(conn)?;
    if in_case == 0 {
        return Err(StoreError::unknown(
            "client_id",
            format!("client {client_id} is not a client of this case"),
        ));
    }
    if !organisations::exists(conn, office_organisation_id)? {
        return Err(StoreError::unknown(
            "office_organisation_id",
            format!("no organisation with id {office_organisation_id}"),
        ));
    }
    Ok(())
}

/// Asks; the caller has checked access and consent.
pub fn insert(conn: &mut DbConn, actor: &Actor, new: &NewRequest) -> StoreResult<ResidenceRequest> {
    check_references(conn, new.case_id, new.client_id, new.office_organisation_id)?;
    let shared = new
        .shared_categories
        .iter()
        .map(|c| c.as_str())
        .collect::<Vec<_>>()
        .join(",");
    let now = clock::now();
    let id: i64 = insert_versioned!(
        conn,
        residence_requests,
        (
            residence_requests::case_id.eq(new.case_id),
            residence_requests::client_id.eq(new.client_id),
            residence_requests::office_organisation_id.eq(new.office_organisation_id),
            residence_requests::question.eq(&new.question),
            residence_requests::shared_categories.eq(shared),
            residence_requests::status.eq(ResidenceRequestStatus::Open.as_str()),
            residence_requests::asked_by.eq(actor.id)
        ),
        now
    )?;
    outbox::record(
        conn,
        &[NewEvent::new(
            EventType::ResidenceRequestCreated,
            new.office_organisation_id,
            id,
        )],
    )?;
    find(conn, id)
}

/// The pseudonymous reference of the client a request is about (for audit events).
pub fn client_reference(conn: &mut DbConn, client_id: i64) -> StoreResult<String> {
    Ok(clients::table
        .find(client_id)
        .select(clients::reference)
        .first(conn)?)
}

/// Applies a move the domain has checked.
pub fn transition(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    expected_version: i32,
    change: &RequestTransition,
) -> StoreResult<ResidenceRequest> {
    let current = find(conn, id)?;
    expect_version(current.version, expected_version)?;
    if current.status != change.from {
        return Err(StoreError::Conflict(format!(
            "the request is {} now, not {}",
            current.status, change.from
        )));
    }
    let now = clock::now();
    let status = residence_requests::status.eq(change.to.as_str());
    if change.to == ResidenceRequestStatus::Answered {
        let answer = (
            residence_requests::answer.eq(change.text.as_deref()),
            residence_requests::answered_by.eq(actor.id),
            residence_requests::answered_at.eq(now),
        );
        update_versioned!(
            conn,
            residence_requests,
            id,
            expected_version,
            (status, answer),
            now
        )?;
    } else {
        let note = residence_requests::note.eq(change.text.as_deref());
        update_versioned!(
            conn,
            residence_requests,
            id,
            expected_version,
            (status, note),
            now
        )?;
    }
    if change.to == ResidenceRequestStatus::Withdrawn {
        outbox::record(
            conn,
            &[NewEvent::new(
                EventType::ResidenceRequestWithdrawn,
                current.office_organisation_id,
                id,
            )],
        )?;
    }
    find(conn, id)
}

fn scoped(
    scope: RequestScope,
    status: Option<ResidenceRequestStatus>,
) -> residence_requests::BoxedQuery<'static, MultiBackend> {
    let mut query = residence_requests::table.into_boxed::<MultiBackend>();
    match scope {
        RequestScope::OfCases(CaseScope::All) => {}
        RequestScope::OfCases(CaseScope::Assigned(user_id)) => {
            let worked = cases::table
                .filter(
                    cases::assigned_user_id
                        .eq(user_id)
                        .or(cases::deputy_user_id.eq(user_id)),
                )
                .select(cases::id);
            query = query.filter(residence_requests::case_id.eq_any(worked));
        }
        RequestScope::ToOffice(office) => {
            query = query.filter(residence_requests::office_organisation_id.eq(office));
        }
        RequestScope::OfCases(CaseScope::Nothing) | RequestScope::Nothing => {
            query = query.filter(residence_requests::id.eq(-1));
        }
    }
    if let Some(status) = status {
        query = query.filter(residence_requests::status.eq(status.as_str()));
    }
    query
}

/// The requests in `scope`, newest first.
pub fn list(
    conn: &mut DbConn,
    scope: RequestScope,
    status: Option<ResidenceRequestStatus>,
    page: PageRequest,
) -> StoreResult<Listed<ResidenceRequest>> {
    let total: i64 = scoped(scope, status).count().get_result(conn)?;
    let rows = scoped(scope, status)
        .order(residence_requests::id.desc())
        .limit(page.limit)
        .offset(page.offset)
        .select(RequestRow::as_select())
        .load(conn)?;
    Ok(Listed {
        items: complete(conn, rows)?,
        total,
    })
}
