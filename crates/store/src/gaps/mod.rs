//! Systematic gaps (systematische Lücken): the gap, its evidence (reports with optional case
//! links), and the history of every step. What each step adds (mandates, solutions, feedback)
//! lives in [`crate::gap_steps`]. The rules are `kim_domain::gap`; this module only stores.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use kim_domain::gap::{distinct_reporting_positions, GapStage, Publicity};
use kim_domain::reference::{normalise_set, LegalDomain};
use serde::Serialize;
use utoipa::ToSchema;

use crate::audit::Actor;
use crate::error::StoreResult;
use crate::link_sets::{insert_links, load_links};
use crate::schema::{positions, users};
use crate::versioned::insert_versioned;
use crate::{clock, municipalities, organisations, DbConn, StoreError};

mod history;
mod list;
mod stage;
mod view;

pub use history::{all_stage_moves, history, last_step_at};
pub use list::{count_in_stage, in_stages, list, GapFilter};
pub use stage::{move_reports, move_stage, touch, StageChange};
pub use view::{view, GapView};

diesel::table! {
    gaps (id) {
        id -> BigInt,
        title -> Text,
        description -> Text,
        topic -> Text,
        legal_domains -> Text,
        target_groups -> Text,
        stage -> Text,
        stage_since -> Timestamp,
        merged_into_id -> Nullable<BigInt>,
        publicity -> Nullable<Text>,
        publicity_text -> Nullable<Text>,
        outcome -> Nullable<Text>,
        created_by -> Nullable<BigInt>,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    gap_municipalities (gap_id, municipality_id) {
        gap_id -> BigInt,
        municipality_id -> BigInt,
    }
}

diesel::table! {
    gap_organisations (gap_id, organisation_id) {
        gap_id -> BigInt,
        organisation_id -> BigInt,
    }
}

diesel::table! {
    gap_reports (id) {
        id -> BigInt,
        gap_id -> BigInt,
        reported_by -> Nullable<BigInt>,
        position_id -> Nullable<BigInt>,
        reported_on -> Date,
        text -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    gap_report_cases (report_id, case_id) {
        report_id -> BigInt,
        case_id -> BigInt,
    }
}

diesel::table! {
    gap_events (id) {
        id -> BigInt,
        gap_id -> BigInt,
        step -> Text,
        from_stage -> Nullable<Text>,
        to_stage -> Text,
        actor_id -> Nullable<BigInt>,
        actor_role -> Nullable<Text>,
        occurred_at -> Timestamp,
        comment -> Nullable<Text>,
        payload -> Text,
    }
}

diesel::table! {
    gap_mandates (id) {
        id -> BigInt,
        gap_id -> BigInt,
        text -> Text,
        due_on -> Date,
        decision_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    gap_mandate_groups (mandate_id, body_id) {
        mandate_id -> BigInt,
        body_id -> BigInt,
    }
}

/// What describes a gap (set when it is first reported).
#[derive(Debug, Clone, PartialEq)]
pub struct GapData {
    pub title: String,
    pub description: String,
    pub topic: String,
    /// The interface concerned: legal domains (Rechtskreise).
    pub legal_domains: Vec<LegalDomain>,
    /// The interface concerned: organisations.
    pub organisation_ids: Vec<i64>,
    pub target_groups: Vec<String>,
    pub municipality_ids: Vec<i64>,
}

/// A report to store. The caller has checked that the reporter may see every linked case.
#[derive(Debug, Clone, PartialEq)]
pub struct NewReport {
    pub text: String,
    pub reported_on: NaiveDate,
    pub case_ids: Vec<i64>,
}

/// One piece of evidence.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub id: i64,
    pub gap_id: i64,
    pub reported_by: Option<i64>,
    pub reporter_name: Option<String>,
    /// The position (Stelle) the reporter held when reporting.
    pub position_id: Option<i64>,
    pub position_title: Option<String>,
    pub reported_on: NaiveDate,
    pub text: String,
    /// Linked cases: the API shows them to the reporter only, to everyone else as a count.
    pub case_ids: Vec<i64>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Gap {
    pub id: i64,
    pub data: GapData,
    pub stage: GapStage,
    pub stage_since: DateTime<Utc>,
    pub merged_into_id: Option<i64>,
    pub publicity: Option<Publicity>,
    pub publicity_text: Option<String>,
    pub outcome: Option<String>,
    pub created_by: Option<i64>,
    pub reports: Vec<Report>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Gap {
    /// Distinct positions among the reports ([`distinct_reporting_positions`]).
    pub fn reporting_positions(&self) -> u32 {
        let keys: Vec<(i64, Option<i64>)> = self
            .reports
            .iter()
            // A reporter whose account was deleted counts per report (a negative key cannot
            // collide with a user id).
            .map(|r| (r.reported_by.unwrap_or(-r.id), r.position_id))
            .collect();
        distinct_reporting_positions(&keys)
    }
}

/// Eintrag der Historie: one step (or report), who, when, why, what it brought along.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = HistoryEntry)]
pub struct GapEvent {
    #[serde(skip)]
    pub id: i64,
    /// A step name, or `report` for evidence added and `merge_in` for reports received.
    pub step: String,
    pub from_stage: Option<GapStage>,
    pub to_stage: GapStage,
    pub actor_id: Option<i64>,
    pub actor_role: Option<String>,
    pub occurred_at: DateTime<Utc>,
    /// The reason, justification, outcome or message of the step.
    pub comment: Option<String>,
    /// What the step brought along (meeting and decision ids, project groups, solution ids,
    /// rating, ...); never case ids.
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = gaps, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
struct GapRow {
    id: i64,
    title: String,
    description: String,
    topic: String,
    legal_domains: String,
    target_groups: String,
    stage: String,
    stage_since: NaiveDateTime,
    merged_into_id: Option<i64>,
    publicity: Option<String>,
    publicity_text: Option<String>,
    outcome: Option<String>,
    created_by: Option<i64>,
    version: i32,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = gap_reports, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
struct ReportRow {
    id: i64,
    gap_id: i64,
    reported_by: Option<i64>,
    position_id: Option<i64>,
    reported_on: NaiveDate,
    text: String,
    created_at: NaiveDateTime,
}

fn parse_domains(text: &str) -> StoreResult<Vec<LegalDomain>> {
    text.split(',')
        .filter(|s| !s.is_empty())
        .map(|s| LegalDomain::parse(s).map_err(StoreError::from))
        .collect()
}

fn reports_of(conn: &mut DbConn, gap_ids: &[i64]) -> StoreResult<Vec<Report>> {
    let rows: Vec<ReportRow> = gap_reports::table
        .filter(gap_reports::gap_id.eq_any(gap_ids))
        .order((gap_reports::reported_on.asc(), gap_reports::id.asc()))
        .select(ReportRow::as_select())
        .load(conn)?;
    let report_ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut cases = load_links!(conn, gap_report_cases, report_id = &report_ids, case_id: i64);
    let user_ids: Vec<i64> = rows.iter().filter_map(|r| r.reported_by).collect();
    let names: HashMap<i64, String> = users::table
        .filter(users::id.eq_any(&user_ids))
        .select((users::id, users::display_name))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect();
    let position_ids: Vec<i64> = rows.iter().filter_map(|r| r.position_id).collect();
    let titles: HashMap<i64, String> = positions::table
        .filter(positions::id.eq_any(&position_ids))
        .select((positions::id, positions::title))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect();
    Ok(rows
        .into_iter()
        .map(|row| Report {
            id: row.id,
            gap_id: row.gap_id,
            reported_by: row.reported_by,
            reporter_name: row.reported_by.and_then(|u| names.get(&u).cloned()),
            position_id: row.position_id,
            position_title: row.position_id.and_then(|p| titles.get(&p).cloned()),
            reported_on: row.reported_on,
            text: row.text,
            case_ids: cases.remove(&row.id).unwrap_or_default(),
            created_at: clock::to_utc(row.created_at),
        })
        .collect())
}

fn complete(conn: &mut DbConn, rows: Vec<GapRow>) -> StoreResult<Vec<Gap>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut reports: HashMap<i64, Vec<Report>> = HashMap::new();
    for report in reports_of(conn, &ids)? {
        reports.entry(report.gap_id).or_default().push(report);
    }
    let mut municipalities =
        load_links!(conn, gap_municipalities, gap_id = &ids, municipality_id: i64);
    let mut organisations =
        load_links!(conn, gap_organisations, gap_id = &ids, organisation_id: i64);
    rows.into_iter()
        .map(|row| {
            Ok(Gap {
                id: row.id,
                data: GapData {
                    title: row.title,
                    description: row.description,
                    topic: row.topic,
                    legal_domains: parse_domains(&row.legal_domains)?,
                    organisation_ids: organisations.remove(&row.id).unwrap_or_default(),
                    target_groups: serde_json::from_str(&row.target_groups)
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    municipality_ids: municipalities.remove(&row.id).unwrap_or_default(),
                },
                stage: GapStage::parse(&row.stage)?,
                stage_since: clock::to_utc(row.stage_since),
                merged_into_id: row.merged_into_id,
                publicity: row.publicity.as_deref().map(Publicity::parse).transpose()?,
                publicity_text: row.publicity_text,
                outcome: row.outcome,
                created_by: row.created_by,
                reports: reports.remove(&row.id).unwrap_or_default(),
                version: row.version,
                created_at: clock::to_utc(row.created_at),
                updated_at: clock::to_utc(row.updated_at),
            })
        })
        .collect()
}

pub fn find(conn: &mut DbConn, id: i64) -> StoreResult<Gap> {
    let row = gaps::table
        .find(id)
        .select(GapRow::as_select())
        .first(conn)?;
    complete(conn, vec![row])?.pop().ok_or(StoreError::NotFound)
}

/// The stage of a gap (404 when there is none).
pub fn stage_of(conn: &mut DbConn, id: i64) -> StoreResult<GapStage> {
    let stage: String = gaps::table.find(id).select(gaps::stage).first(conn)?;
    Ok(GapStage::parse(&stage)?)
}

/// The gaps any mandate of which names the body.
pub fn gaps_mandated_to(conn: &mut DbConn, body_id: i64) -> StoreResult<Vec<i64>> {
    let mandates: Vec<i64> = gap_mandate_groups::table
        .filter(gap_mandate_groups::body_id.eq(body_id))
        .select(gap_mandate_groups::mandate_id)
        .load(conn)?;
    let mut ids: Vec<i64> = gap_mandates::table
        .filter(gap_mandates::id.eq_any(mandates))
        .select(gap_mandates::gap_id)
        .load(conn)?;
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

/// The position `user_id` holds now, if any (the newest, should they hold several).
pub fn position_of(conn: &mut DbConn, user_id: i64) -> StoreResult<Option<i64>> {
    Ok(positions::table
        .filter(positions::holder_user_id.eq(user_id))
        .order(positions::id.desc())
        .select(positions::id)
        .first(conn)
        .optional()?)
}

fn check_references(conn: &mut DbConn, data: &GapData) -> StoreResult<()> {
    if let Some(unknown) = municipalities::first_unknown(conn, &data.municipality_ids)? {
        return Err(StoreError::unknown(
            "municipality_ids",
            format!("no municipality with id {unknown}"),
        ));
    }
    for id in &data.organisation_ids {
        if !organisations::exists(conn, *id)? {
            return Err(StoreError::unknown(
                "organisation_ids",
                format!("no organisation with id {id}"),
            ));
        }
    }
    Ok(())
}

/// Appends one step to a gap's history.
#[allow(clippy::too_many_arguments)]
pub fn record_event(
    conn: &mut DbConn,
    actor: &Actor,
    gap_id: i64,
    step: &str,
    from: Option<GapStage>,
    to: GapStage,
    comment: Option<&str>,
    payload: &serde_json::Value,
) -> StoreResult<()> {
    diesel::insert_into(gap_events::table)
        .values((
            gap_events::gap_id.eq(gap_id),
            gap_events::step.eq(step),
            gap_events::from_stage.eq(from.map(|s| s.as_str())),
            gap_events::to_stage.eq(to.as_str()),
            gap_events::actor_id.eq(actor.id),
            gap_events::actor_role.eq(actor.role.as_deref()),
            gap_events::occurred_at.eq(clock::now()),
            gap_events::comment.eq(comment),
            gap_events::payload.eq(payload.to_string()),
        ))
        .execute(conn)?;
    Ok(())
}

fn insert_report(
    conn: &mut DbConn,
    actor: &Actor,
    gap_id: i64,
    report: &NewReport,
) -> StoreResult<i64> {
    let position = match actor.id {
        Some(user) => position_of(conn, user)?,
        None => None,
    };
    let id: i64 = diesel::insert_into(gap_reports::table)
        .values((
            gap_reports::gap_id.eq(gap_id),
            gap_reports::reported_by.eq(actor.id),
            gap_reports::position_id.eq(position),
            gap_reports::reported_on.eq(report.reported_on),
            gap_reports::text.eq(&report.text),
            gap_reports::created_at.eq(clock::now()),
        ))
        .returning(gap_reports::id)
        .get_result(conn)?;
    insert_links!(
        conn,
        gap_report_cases,
        report_id = id,
        case_id = &report.case_ids
    );
    Ok(id)
}

/// Reports a new gap: stage `reported`, its first report, the first history entry.
pub fn insert(
    conn: &mut DbConn,
    actor: &Actor,
    data: &GapData,
    report: &NewReport,
) -> StoreResult<(Gap, i64)> {
    check_references(conn, data)?;
    let now = clock::now();
    let domains: Vec<&str> = normalise_set(&data.legal_domains)
        .iter()
        .map(|d| d.as_str())
        .collect();
    let id: i64 = insert_versioned!(
        conn,
        gaps,
        (
            gaps::title.eq(&data.title),
            gaps::description.eq(&data.description),
            gaps::topic.eq(&data.topic),
            gaps::legal_domains.eq(domains.join(",")),
            gaps::target_groups.eq(serde_json::Value::from(data.target_groups.clone()).to_string()),
            gaps::stage.eq(GapStage::Reported.as_str()),
            gaps::stage_since.eq(now),
            gaps::created_by.eq(actor.id)
        ),
        now
    )?;
    insert_links!(
        conn,
        gap_municipalities,
        gap_id = id,
        municipality_id = &data.municipality_ids
    );
    insert_links!(
        conn,
        gap_organisations,
        gap_id = id,
        organisation_id = &data.organisation_ids
    );
    let report_id = insert_report(conn, actor, id, report)?;
    record_event(
        conn,
        actor,
        id,
        "report",
        None,
        GapStage::Reported,
        None,
        &serde_json::json!({"report_id": report_id, "linked_cases": report.case_ids.len()}),
    )?;
    Ok((find(conn, id)?, report_id))
}

/// Adds a report to an open gap (409 when the gap is final; a merged gap names its survivor).
pub fn add_report(
    conn: &mut DbConn,
    actor: &Actor,
    gap_id: i64,
    report: &NewReport,
) -> StoreResult<(Gap, i64)> {
    let gap = find(conn, gap_id)?;
    if let Some(survivor) = gap.merged_into_id {
        return Err(StoreError::Conflict(format!(
            "the gap was merged into gap {survivor}; add the report there"
        )));
    }
    if gap.stage.is_final() {
        return Err(StoreError::Conflict(format!(
            "the gap is '{}'; report a new gap instead",
            gap.stage
        )));
    }
    let report_id = insert_report(conn, actor, gap_id, report)?;
    record_event(
        conn,
        actor,
        gap_id,
        "report",
        Some(gap.stage),
        gap.stage,
        None,
        &serde_json::json!({"report_id": report_id, "linked_cases": report.case_ids.len()}),
    )?;
    touch(conn, gap_id)?;
    Ok((find(conn, gap_id)?, report_id))
}
