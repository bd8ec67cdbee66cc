//! Cases: one or more clients, the case manager and deputy, what the case is about, intake
//! eligibility, the status lifecycle and its dated history.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use kim_domain::access::CaseFacts;
use kim_domain::case::{
    CaseStatus, CaseTransition, CloseReason, IntakeChannel, OtherCaseManagement, TargetGroup, Topic,
};
use kim_domain::reference::{normalise_set, LegalDomain};
use kim_domain::report::StatisticalAttributes;

use crate::audit::Actor;
use crate::error::{expect_version, StoreResult};
use crate::link_sets::{insert_links, load_links};
use crate::schema::{
    case_clients, case_legal_domains as domains, case_topics as topics, cases, clients,
};
use crate::versioned::{insert_versioned, update_versioned};
use crate::{clock, municipalities, organisations, DbConn, StoreError};

mod history;
mod list;
mod work_list;

use history::{event, record};
pub use history::{history, CaseEvent};
pub use list::{list, CaseFilter, CaseSort};
pub use work_list::{intakes_of_assignee, open_of_assignee, IntakeTask};

#[derive(Queryable, Selectable)]
#[diesel(table_name = cases, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
struct CaseRow {
    id: i64,
    lead_client_id: i64,
    assigned_user_id: i64,
    deputy_user_id: Option<i64>,
    municipality_id: i64,
    target_group: String,
    intake_channel: String,
    referred_by_organisation_id: Option<i64>,
    arrived_on: Option<NaiveDate>,
    other_case_management: String,
    eligible: bool,
    eligibility_justification: Option<String>,
    status: String,
    status_since: NaiveDate,
    close_reason: Option<String>,
    opened_on: NaiveDate,
    version: i32,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

/// What the case manager records when opening or editing a case.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseData {
    /// Every client of the case, the lead client among them.
    pub client_ids: Vec<i64>,
    pub lead_client_id: i64,
    pub municipality_id: i64,
    pub target_group: TargetGroup,
    pub legal_domains: Vec<LegalDomain>,
    pub topics: Vec<Topic>,
    pub intake_channel: IntakeChannel,
    pub referred_by_organisation_id: Option<i64>,
    pub arrived_on: Option<NaiveDate>,
    pub other_case_management: Vec<OtherCaseManagement>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    pub id: i64,
    pub data: CaseData,
    pub assigned_user_id: i64,
    pub deputy_user_id: Option<i64>,
    /// Inside the intake rule; otherwise opened as an exception with a justification.
    pub eligible: bool,
    pub eligibility_justification: Option<String>,
    pub status: CaseStatus,
    pub status_since: NaiveDate,
    pub close_reason: Option<CloseReason>,
    pub opened_on: NaiveDate,
    /// The lead client's pseudonymous reference, for audit events and lists.
    pub lead_client_reference: String,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Case {
    pub fn facts(&self) -> CaseFacts {
        CaseFacts {
            assigned_to: self.assigned_user_id,
            deputy: self.deputy_user_id,
        }
    }
}

fn join<T: Copy>(values: &[T], text: impl Fn(T) -> &'static str) -> String {
    values
        .iter()
        .map(|v| text(*v))
        .collect::<Vec<_>>()
        .join(",")
}

/// The lead client of each of `case_ids`, in one query (for audit events of lists).
pub fn lead_clients(conn: &mut DbConn, case_ids: &[i64]) -> StoreResult<HashMap<i64, i64>> {
    Ok(cases::table
        .filter(cases::id.eq_any(case_ids))
        .select((cases::id, cases::lead_client_id))
        .load::<(i64, i64)>(conn)?
        .into_iter()
        .collect())
}

/// The legal domains of each of the cases `ids`.
fn legal_domains_of(conn: &mut DbConn, ids: &[i64]) -> StoreResult<HashMap<i64, Vec<LegalDomain>>> {
    Ok(load_links!(conn, domains, case_id = ids, legal_domain: String => LegalDomain::parse))
}

/// The topics of each of the cases `ids`.
fn topics_of(conn: &mut DbConn, ids: &[i64]) -> StoreResult<HashMap<i64, Vec<Topic>>> {
    Ok(load_links!(conn, topics, case_id = ids, topic: String => Topic::parse))
}

/// Adds clients, domains, topics and the lead reference to rows, in four queries.
fn complete(conn: &mut DbConn, rows: Vec<CaseRow>) -> StoreResult<Vec<Case>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut members = load_links!(conn, case_clients, case_id = &ids, client_id: i64);
    let mut legal = legal_domains_of(conn, &ids)?;
    let mut themes = topics_of(conn, &ids)?;
    let leads: Vec<i64> = rows.iter().map(|r| r.lead_client_id).collect();
    let references: HashMap<i64, String> = clients::table
        .filter(clients::id.eq_any(&leads))
        .select((clients::id, clients::reference))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect();
    rows.into_iter()
        .map(|row| {
            let other = row
                .other_case_management
                .split(',')
                .filter(|v| !v.is_empty())
                .map(OtherCaseManagement::parse)
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Case {
                id: row.id,
                lead_client_reference: references
                    .get(&row.lead_client_id)
                    .cloned()
                    .unwrap_or_default(),
                data: CaseData {
                    client_ids: members.remove(&row.id).unwrap_or_default(),
                    lead_client_id: row.lead_client_id,
                    municipality_id: row.municipality_id,
                    target_group: TargetGroup::parse(&row.target_group)?,
                    legal_domains: normalise_set(&legal.remove(&row.id).unwrap_or_default()),
                    topics: normalise_set(&themes.remove(&row.id).unwrap_or_default()),
                    intake_channel: IntakeChannel::parse(&row.intake_channel)?,
                    referred_by_organisation_id: row.referred_by_organisation_id,
                    arrived_on: row.arrived_on,
                    other_case_management: other,
                },
                assigned_user_id: row.assigned_user_id,
                deputy_user_id: row.deputy_user_id,
                eligible: row.eligible,
                eligibility_justification: row.eligibility_justification,
                status: CaseStatus::parse(&row.status)?,
                status_since: row.status_since,
                close_reason: row
                    .close_reason
                    .as_deref()
                    .map(CloseReason::parse)
                    .transpose()?,
                opened_on: row.opened_on,
                version: row.version,
                created_at: clock::to_utc(row.created_at),
                updated_at: clock::to_utc(row.updated_at),
            })
        })
        .collect()
}

pub fn find(conn: &mut DbConn, id: i64) -> StoreResult<Case> {
    let row: CaseRow = cases::table
        .find(id)
        .select(CaseRow::as_select())
        .first(conn)?;
    complete(conn, vec![row])?.pop().ok_or(StoreError::NotFound)
}

/// What a list of a case's child objects (referrals) shows of the case: who works it, for the
/// access rule, and what it is about.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseOutline {
    pub facts: CaseFacts,
    pub target_group: TargetGroup,
    pub legal_domains: Vec<LegalDomain>,
    pub topics: Vec<Topic>,
}

/// The outlines of the cases `ids`, keyed by case id, in three queries however many cases.
pub fn outlines(conn: &mut DbConn, ids: &[i64]) -> StoreResult<HashMap<i64, CaseOutline>> {
    let rows: Vec<(i64, i64, Option<i64>, String)> = cases::table
        .filter(cases::id.eq_any(ids))
        .select((
            cases::id,
            cases::assigned_user_id,
            cases::deputy_user_id,
            cases::target_group,
        ))
        .load(conn)?;
    let mut legal = legal_domains_of(conn, ids)?;
    let mut themes = topics_of(conn, ids)?;
    rows.into_iter()
        .map(|(id, assigned_to, deputy, target_group)| {
            Ok((
                id,
                CaseOutline {
                    facts: CaseFacts {
                        assigned_to,
                        deputy,
                    },
                    target_group: TargetGroup::parse(&target_group)?,
                    legal_domains: normalise_set(&legal.remove(&id).unwrap_or_default()),
                    topics: normalise_set(&themes.remove(&id).unwrap_or_default()),
                },
            ))
        })
        .collect()
}

/// Who may see the case, without loading the rest (for access checks of child objects).
pub fn facts(conn: &mut DbConn, id: i64) -> StoreResult<CaseFacts> {
    let (assigned_to, deputy): (i64, Option<i64>) = cases::table
        .find(id)
        .select((cases::assigned_user_id, cases::deputy_user_id))
        .first(conn)?;
    Ok(CaseFacts {
        assigned_to,
        deputy,
    })
}

/// Who may see the case and its lead client (the person the audit events of the case's
/// records name), in one query: what a write to a goal or a contact needs of the case.
pub fn facts_and_lead(conn: &mut DbConn, id: i64) -> StoreResult<(CaseFacts, i64)> {
    let (assigned_to, deputy, lead): (i64, Option<i64>, i64) = cases::table
        .find(id)
        .select((
            cases::assigned_user_id,
            cases::deputy_user_id,
            cases::lead_client_id,
        ))
        .first(conn)?;
    Ok((
        CaseFacts {
            assigned_to,
            deputy,
        },
        lead,
    ))
}

fn check_user(conn: &mut DbConn, field: &'static str, id: i64) -> StoreResult<()> {
    crate::users::check_references(conn, field, &[id], crate::users::Referable::Active)
}

fn check_references(conn: &mut DbConn, data: &CaseData) -> StoreResult<()> {
    if let Some(id) = municipalities::first_unknown(conn, &[data.municipality_id])? {
        return Err(StoreError::unknown(
            "municipality_id",
            format!("no municipality with id {id}"),
        ));
    }
    if let Some(id) = data.referred_by_organisation_id {
        if !organisations::exists(conn, id)? {
            return Err(StoreError::unknown(
                "referred_by_organisation_id",
                format!("no organisation with id {id}"),
            ));
        }
    }
    let known: Vec<i64> = clients::table
        .filter(clients::id.eq_any(&data.client_ids))
        .select(clients::id)
        .load(conn)?;
    if let Some(id) = data.client_ids.iter().find(|id| !known.contains(id)) {
        return Err(StoreError::unknown(
            "client_ids",
            format!("no client with id {id}"),
        ));
    }
    Ok(())
}

/// A client joining a case: id, birth year, gender, country of origin, residence status.
type Joining = (
    i64,
    Option<i32>,
    Option<String>,
    Option<String>,
    Option<String>,
);

fn replace_sets(conn: &mut DbConn, id: i64, data: &CaseData) -> StoreResult<()> {
    let wanted = normalise_set(&data.client_ids);
    // Memberships that stay keep the statistical attributes captured when the client joined;
    // only removed clients are deleted and only new ones are captured.
    diesel::delete(
        case_clients::table
            .filter(case_clients::case_id.eq(id))
            .filter(case_clients::client_id.ne_all(&wanted)),
    )
    .execute(conn)?;
    diesel::delete(domains::table.filter(domains::case_id.eq(id))).execute(conn)?;
    diesel::delete(topics::table.filter(topics::case_id.eq(id))).execute(conn)?;
    let present: Vec<i64> = case_clients::table
        .filter(case_clients::case_id.eq(id))
        .select(case_clients::client_id)
        .load(conn)?;
    let joining: Vec<i64> = wanted
        .into_iter()
        .filter(|c| !present.contains(c))
        .collect();
    if !joining.is_empty() {
        let opened_on: NaiveDate = cases::table.find(id).select(cases::opened_on).first(conn)?;
        let people: Vec<Joining> = clients::table
            .filter(clients::id.eq_any(&joining))
            .select((
                clients::id,
                clients::birth_year,
                clients::gender,
                clients::country_of_origin,
                clients::residence_status,
            ))
            .load(conn)?;
        // One row per statement: batch inserts do not compile through the MultiBackend.
        for (client, birth_year, gender, origin, residence) in people {
            let captured = StatisticalAttributes::capture(
                birth_year,
                gender.as_deref(),
                origin.as_deref(),
                residence.as_deref(),
                opened_on.year(),
            );
            diesel::insert_into(case_clients::table)
                .values((
                    case_clients::case_id.eq(id),
                    case_clients::client_id.eq(client),
                    case_clients::age_band.eq(captured.age_band.map(|b| b.as_str())),
                    case_clients::gender.eq(captured.gender),
                    case_clients::country_of_origin.eq(captured.country_of_origin),
                    case_clients::residence_status.eq(captured.residence_status),
                ))
                .execute(conn)?;
        }
    }
    insert_links!(conn, domains, case_id = id, legal_domain = &data.legal_domains => as_str);
    insert_links!(conn, topics, case_id = id, topic = &data.topics => as_str);
    Ok(())
}

/// How the case got past the intake rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Intake {
    pub eligible: bool,
    pub justification: Option<String>,
}

/// The columns what a case is about and the intake verdict fill, alike when a case is opened
/// and when it is changed.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = cases, treat_none_as_null = true)]
struct CaseColumns<'a> {
    lead_client_id: i64,
    municipality_id: i64,
    target_group: &'static str,
    intake_channel: &'static str,
    referred_by_organisation_id: Option<i64>,
    arrived_on: Option<NaiveDate>,
    other_case_management: String,
    eligible: bool,
    eligibility_justification: Option<&'a str>,
}

impl<'a> CaseColumns<'a> {
    fn new(data: &CaseData, intake: &'a Intake) -> Self {
        CaseColumns {
            lead_client_id: data.lead_client_id,
            municipality_id: data.municipality_id,
            target_group: data.target_group.as_str(),
            intake_channel: data.intake_channel.as_str(),
            referred_by_organisation_id: data.referred_by_organisation_id,
            arrived_on: data.arrived_on,
            other_case_management: join(&data.other_case_management, OtherCaseManagement::as_str),
            eligible: intake.eligible,
            eligibility_justification: intake.justification.as_deref(),
        }
    }
}

/// Opens a case in status `intake` on `opened_on`, assigned to `assigned_user_id`.
pub fn insert(
    conn: &mut DbConn,
    actor: &Actor,
    data: &CaseData,
    assigned_user_id: i64,
    deputy_user_id: Option<i64>,
    intake: &Intake,
    opened_on: NaiveDate,
) -> StoreResult<Case> {
    check_references(conn, data)?;
    check_user(conn, "assigned_user_id", assigned_user_id)?;
    if let Some(deputy) = deputy_user_id {
        check_user(conn, "deputy_user_id", deputy)?;
    }
    let now = clock::now();
    let id: i64 = insert_versioned!(
        conn,
        cases,
        (
            CaseColumns::new(data, intake),
            cases::assigned_user_id.eq(assigned_user_id),
            cases::deputy_user_id.eq(deputy_user_id),
            cases::status.eq(CaseStatus::Intake.as_str()),
            cases::status_since.eq(opened_on),
            cases::opened_on.eq(opened_on)
        ),
        now
    )?;
    replace_sets(conn, id, data)?;
    let mut opened = event("opened", opened_on);
    opened.to_status = Some(CaseStatus::Intake);
    opened.reason = intake.justification.clone();
    record(conn, actor, id, &opened)?;
    find(conn, id)
}

/// Replaces what the case is about (not its status or assignment).
pub fn update(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    expected_version: i32,
    data: &CaseData,
    intake: &Intake,
) -> StoreResult<Case> {
    let current = find(conn, id)?;
    expect_version(current.version, expected_version)?;
    check_references(conn, data)?;
    update_versioned!(
        conn,
        cases,
        id,
        expected_version,
        CaseColumns::new(data, intake)
    )?;
    replace_sets(conn, id, data)?;
    record(conn, actor, id, &event("updated", clock::now().date()))?;
    find(conn, id)
}

/// Applies a status change the domain has checked.
pub fn transition(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    expected_version: i32,
    change: &CaseTransition,
    on: NaiveDate,
) -> StoreResult<Case> {
    let current = find(conn, id)?;
    expect_version(current.version, expected_version)?;
    if current.status != change.from {
        return Err(StoreError::Conflict(format!(
            "the case is {} now, not {}",
            current.status, change.from
        )));
    }
    if on < current.status_since {
        return Err(StoreError::Invalid {
            field: "effective_on",
            message: format!(
                "must not be before the current status began ({})",
                current.status_since
            ),
        });
    }
    update_versioned!(
        conn,
        cases,
        id,
        expected_version,
        (
            cases::status.eq(change.to.as_str()),
            cases::status_since.eq(on),
            cases::close_reason.eq(change.close_reason.map(|r| r.as_str()))
        )
    )?;
    let mut moved = event("status", on);
    moved.from_status = Some(change.from);
    moved.to_status = Some(change.to);
    moved.close_reason = change.close_reason;
    moved.reason = change.reason.clone();
    record(conn, actor, id, &moved)?;
    find(conn, id)
}

/// Gives the case to another case manager (and deputy).
pub fn reassign(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    expected_version: i32,
    assigned: i64,
    deputy: Option<i64>,
    reason: Option<&str>,
) -> StoreResult<Case> {
    let current = find(conn, id)?;
    expect_version(current.version, expected_version)?;
    check_user(conn, "assigned_user_id", assigned)?;
    if let Some(deputy) = deputy {
        check_user(conn, "deputy_user_id", deputy)?;
    }
    update_versioned!(
        conn,
        cases,
        id,
        expected_version,
        (
            cases::assigned_user_id.eq(assigned),
            cases::deputy_user_id.eq(deputy)
        )
    )?;
    let mut moved = event("reassigned", clock::now().date());
    moved.reason = reason.map(String::from);
    record(conn, actor, id, &moved)?;
    find(conn, id)
}
