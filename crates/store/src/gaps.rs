//! Systematic gaps (systematische Lücken): the gap, its evidence (reports with optional case
//! links), and the history of every step. What each step adds (mandates, solutions, feedback)
//! lives in [`crate::gap_steps`]. The rules are `kim_domain::gap`; this module only stores.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use kim_domain::gap::{distinct_reporting_positions, GapStage, GapStep, Publicity};
use kim_domain::paging::PageRequest;
use kim_domain::reference::{normalise_set, LegalDomain};

use crate::audit::Actor;
use crate::connection::MultiBackend;
use crate::error::{changed_or_stale, StoreResult};
use crate::schema::{positions, users};
use crate::{clock, municipalities, organisations, DbConn, Listed, StoreError};

mod view;
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

/// One step in a gap's history.
#[derive(Debug, Clone, PartialEq)]
pub struct GapEvent {
    pub id: i64,
    /// A [`GapStep`], or `report` for evidence added.
    pub step: String,
    pub from_stage: Option<GapStage>,
    pub to_stage: GapStage,
    pub actor_id: Option<i64>,
    pub actor_role: Option<String>,
    pub occurred_at: DateTime<Utc>,
    pub comment: Option<String>,
    /// JSON of what the step brought along.
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
    let mut cases: HashMap<i64, Vec<i64>> = HashMap::new();
    for (report, case) in gap_report_cases::table
        .filter(gap_report_cases::report_id.eq_any(&report_ids))
        .order(gap_report_cases::case_id.asc())
        .select((gap_report_cases::report_id, gap_report_cases::case_id))
        .load::<(i64, i64)>(conn)?
    {
        cases.entry(report).or_default().push(case);
    }
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
    let mut municipalities: HashMap<i64, Vec<i64>> = HashMap::new();
    for (gap, m) in gap_municipalities::table
        .filter(gap_municipalities::gap_id.eq_any(&ids))
        .order(gap_municipalities::municipality_id.asc())
        .select((
            gap_municipalities::gap_id,
            gap_municipalities::municipality_id,
        ))
        .load::<(i64, i64)>(conn)?
    {
        municipalities.entry(gap).or_default().push(m);
    }
    let mut organisations: HashMap<i64, Vec<i64>> = HashMap::new();
    for (gap, o) in gap_organisations::table
        .filter(gap_organisations::gap_id.eq_any(&ids))
        .order(gap_organisations::organisation_id.asc())
        .select((
            gap_organisations::gap_id,
            gap_organisations::organisation_id,
        ))
        .load::<(i64, i64)>(conn)?
    {
        organisations.entry(gap).or_default().push(o);
    }
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

#[derive(Debug, Clone, Default)]
pub struct GapFilter {
    pub stages: Vec<GapStage>,
    pub topic: Option<String>,
    pub municipality_id: Option<i64>,
    /// Gaps any mandate of which names this project group.
    pub project_group_id: Option<i64>,
    /// First reported on or after.
    pub reported_from: Option<NaiveDate>,
    /// First reported on or before.
    pub reported_to: Option<NaiveDate>,
}

type Boxed = gaps::BoxedQuery<'static, MultiBackend>;

fn filtered(conn: &mut DbConn, filter: &GapFilter) -> StoreResult<Boxed> {
    let mut query = gaps::table.into_boxed::<MultiBackend>();
    if !filter.stages.is_empty() {
        let stages: Vec<&'static str> = filter.stages.iter().map(|s| s.as_str()).collect();
        query = query.filter(gaps::stage.eq_any(stages));
    }
    if let Some(topic) = &filter.topic {
        query = query.filter(gaps::topic.eq(topic.clone()));
    }
    if let Some(municipality) = filter.municipality_id {
        let ids: Vec<i64> = gap_municipalities::table
            .filter(gap_municipalities::municipality_id.eq(municipality))
            .select(gap_municipalities::gap_id)
            .load(conn)?;
        query = query.filter(gaps::id.eq_any(ids));
    }
    if let Some(group) = filter.project_group_id {
        query = query.filter(gaps::id.eq_any(gaps_mandated_to(conn, group)?));
    }
    if let Some(from) = filter.reported_from {
        query = query.filter(gaps::created_at.ge(from.and_time(chrono::NaiveTime::MIN)));
    }
    if let Some(to) = filter.reported_to {
        if let Some(next) = to.succ_opt() {
            query = query.filter(gaps::created_at.lt(next.and_time(chrono::NaiveTime::MIN)));
        }
    }
    Ok(query)
}

/// Newest first.
pub fn list(conn: &mut DbConn, filter: &GapFilter, page: PageRequest) -> StoreResult<Listed<Gap>> {
    let total: i64 = filtered(conn, filter)?.count().get_result(conn)?;
    let rows: Vec<GapRow> = filtered(conn, filter)?
        .order(gaps::id.desc())
        .limit(page.limit)
        .offset(page.offset)
        .select(GapRow::as_select())
        .load(conn)?;
    Ok(Listed {
        items: complete(conn, rows)?,
        total,
    })
}

/// Every gap in one of `stages`, oldest first (work lists; bounded by the number of open gaps).
pub fn in_stages(conn: &mut DbConn, stages: &[GapStage]) -> StoreResult<Vec<Gap>> {
    let stages: Vec<&'static str> = stages.iter().map(|s| s.as_str()).collect();
    let rows: Vec<GapRow> = gaps::table
        .filter(gaps::stage.eq_any(stages))
        .order(gaps::id.asc())
        .select(GapRow::as_select())
        .load(conn)?;
    complete(conn, rows)
}

/// How many gaps are in `stage` now.
pub fn count_in_stage(conn: &mut DbConn, stage: GapStage) -> StoreResult<i64> {
    Ok(gaps::table
        .filter(gaps::stage.eq(stage.as_str()))
        .count()
        .get_result(conn)?)
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
    for case in normalise_set(&report.case_ids) {
        diesel::insert_into(gap_report_cases::table)
            .values((
                gap_report_cases::report_id.eq(id),
                gap_report_cases::case_id.eq(case),
            ))
            .execute(conn)?;
    }
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
    let id: i64 = diesel::insert_into(gaps::table)
        .values((
            gaps::title.eq(&data.title),
            gaps::description.eq(&data.description),
            gaps::topic.eq(&data.topic),
            gaps::legal_domains.eq(domains.join(",")),
            gaps::target_groups.eq(serde_json::Value::from(data.target_groups.clone()).to_string()),
            gaps::stage.eq(GapStage::Reported.as_str()),
            gaps::stage_since.eq(now),
            gaps::created_by.eq(actor.id),
            gaps::version.eq(1),
            gaps::created_at.eq(now),
            gaps::updated_at.eq(now),
        ))
        .returning(gaps::id)
        .get_result(conn)?;
    for m in normalise_set(&data.municipality_ids) {
        diesel::insert_into(gap_municipalities::table)
            .values((
                gap_municipalities::gap_id.eq(id),
                gap_municipalities::municipality_id.eq(m),
            ))
            .execute(conn)?;
    }
    for o in normalise_set(&data.organisation_ids) {
        diesel::insert_into(gap_organisations::table)
            .values((
                gap_organisations::gap_id.eq(id),
                gap_organisations::organisation_id.eq(o),
            ))
            .execute(conn)?;
    }
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

/// A new version for a change that does not move the stage (a report, feedback).
pub fn touch(conn: &mut DbConn, gap_id: i64) -> StoreResult<()> {
    diesel::update(gaps::table.filter(gaps::id.eq(gap_id)))
        .set((
            gaps::version.eq(gaps::version + 1),
            gaps::updated_at.eq(clock::now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// What a step changes on the gap itself besides the stage.
#[derive(Debug, Clone, Default)]
pub struct StageChange<'a> {
    pub merged_into_id: Option<i64>,
    pub publicity: Option<(Publicity, Option<&'a str>)>,
    pub outcome: Option<&'a str>,
}

/// The columns one step writes besides the version. `None` leaves a column as it is (diesel's
/// default for `AsChangeset`), so the stage and everything the step adds go in one UPDATE.
#[derive(AsChangeset)]
#[diesel(table_name = gaps)]
struct StageColumns<'a> {
    stage: &'a str,
    stage_since: Option<NaiveDateTime>,
    merged_into_id: Option<i64>,
    publicity: Option<&'a str>,
    /// `Some(None)` clears the text.
    publicity_text: Option<Option<&'a str>>,
    outcome: Option<&'a str>,
    updated_at: NaiveDateTime,
}

/// Moves a gap to `to` (if it still is at `from` and, when given, at `expected_version`) and
/// records the step.
#[allow(clippy::too_many_arguments)]
pub fn move_stage(
    conn: &mut DbConn,
    actor: &Actor,
    gap_id: i64,
    step: GapStep,
    from: GapStage,
    to: GapStage,
    expected_version: Option<i32>,
    change: &StageChange<'_>,
    comment: Option<&str>,
    payload: &serde_json::Value,
) -> StoreResult<()> {
    let now = clock::now();
    let columns = StageColumns {
        stage: to.as_str(),
        stage_since: (from != to).then_some(now),
        merged_into_id: change.merged_into_id,
        publicity: change.publicity.map(|(publicity, _)| publicity.as_str()),
        publicity_text: change.publicity.map(|(_, text)| text),
        outcome: change.outcome,
        updated_at: now,
    };
    let set = (columns, gaps::version.eq(gaps::version + 1));
    // One conditional UPDATE: a check by SELECT first would let two concurrent steps (under
    // PostgreSQL's read committed) both see the old stage and both move the gap.
    let changed = match expected_version {
        Some(version) => diesel::update(
            gaps::table
                .filter(gaps::id.eq(gap_id))
                .filter(gaps::stage.eq(from.as_str()))
                .filter(gaps::version.eq(version)),
        )
        .set(set)
        .execute(conn)?,
        None => diesel::update(
            gaps::table
                .filter(gaps::id.eq(gap_id))
                .filter(gaps::stage.eq(from.as_str())),
        )
        .set(set)
        .execute(conn)?,
    };
    match expected_version {
        Some(_) => changed_or_stale(changed, || {
            Ok(gaps::table.find(gap_id).select(gaps::version).first(conn)?)
        })?,
        // Steps without If-Match lose the race to a step that moved the gap first.
        None if changed == 0 => {
            return Err(StoreError::Conflict(
                "the gap moved on meanwhile; reload it and try again".into(),
            ))
        }
        None => {}
    }
    record_event(
        conn,
        actor,
        gap_id,
        step.as_str(),
        Some(from),
        to,
        comment,
        payload,
    )
}

/// Moves every report of `from_gap` to `into_gap` (merging duplicates).
pub fn move_reports(conn: &mut DbConn, from_gap: i64, into_gap: i64) -> StoreResult<usize> {
    Ok(
        diesel::update(gap_reports::table.filter(gap_reports::gap_id.eq(from_gap)))
            .set(gap_reports::gap_id.eq(into_gap))
            .execute(conn)?,
    )
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = gap_events, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
struct EventRow {
    id: i64,
    gap_id: i64,
    step: String,
    from_stage: Option<String>,
    to_stage: String,
    actor_id: Option<i64>,
    actor_role: Option<String>,
    occurred_at: NaiveDateTime,
    comment: Option<String>,
    payload: String,
}

fn to_event(row: EventRow) -> StoreResult<(i64, GapEvent)> {
    Ok((
        row.gap_id,
        GapEvent {
            id: row.id,
            step: row.step,
            from_stage: row.from_stage.as_deref().map(GapStage::parse).transpose()?,
            to_stage: GapStage::parse(&row.to_stage)?,
            actor_id: row.actor_id,
            actor_role: row.actor_role,
            occurred_at: clock::to_utc(row.occurred_at),
            comment: row.comment,
            payload: serde_json::from_str(&row.payload)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        },
    ))
}

/// The history of a gap, oldest first.
pub fn history(conn: &mut DbConn, gap_id: i64) -> StoreResult<Vec<GapEvent>> {
    gap_events::table
        .filter(gap_events::gap_id.eq(gap_id))
        .order(gap_events::id.asc())
        .select(EventRow::as_select())
        .load(conn)?
        .into_iter()
        .map(|row| to_event(row).map(|(_, e)| e))
        .collect()
}

/// Every gap's stage moves, `(gap id, event)` by gap then time: the pipeline's input.
pub fn all_stage_moves(conn: &mut DbConn) -> StoreResult<Vec<(i64, GapEvent)>> {
    gap_events::table
        .order((gap_events::gap_id.asc(), gap_events::id.asc()))
        .select(EventRow::as_select())
        .load(conn)?
        .into_iter()
        .map(to_event)
        .collect()
}

/// When the gap last took `step`, if ever.
pub fn last_step_at(
    conn: &mut DbConn,
    gap_id: i64,
    step: GapStep,
) -> StoreResult<Option<DateTime<Utc>>> {
    let at: Option<NaiveDateTime> = gap_events::table
        .filter(gap_events::gap_id.eq(gap_id))
        .filter(gap_events::step.eq(step.as_str()))
        .order(gap_events::id.desc())
        .select(gap_events::occurred_at)
        .first(conn)
        .optional()?;
    Ok(at.map(clock::to_utc))
}
