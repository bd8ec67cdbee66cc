//! The steering group's reports: gaps by stage, topic and outcome, the programme's staffing and
//! meetings, and the clearing's figures.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::Text;
use kim_domain::report::query::Period;
use kim_domain::report::table::Count;

use crate::error::StoreResult;
use crate::DbConn;

use super::{grouped, lit, total, Scope};

/// Systematic gaps: how many are in each stage now, entered and left each stage in the period,
/// the days spent per finished stage visit, and feedback ratings given in the period.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GapCounts {
    pub now: Vec<(String, u64)>,
    pub entered: Vec<(String, u64)>,
    pub left: Vec<(String, u64)>,
    pub days_in_stage: HashMap<String, Vec<i64>>,
    pub ratings: Vec<(String, u64)>,
}

fn pairs(counts: Vec<Count>) -> Vec<(String, u64)> {
    counts
        .into_iter()
        .map(|c| {
            (
                c.keys.into_iter().next().flatten().unwrap_or_default(),
                c.count,
            )
        })
        .collect()
}

pub fn gaps(conn: &mut DbConn, period: Period) -> StoreResult<GapCounts> {
    let until = lit(period.to.succ_opt().unwrap_or(period.to));
    let from = lit(period.from);
    let now = pairs(grouped(conn, &["g.stage".into()], "g.id", "FROM gaps g")?);
    let in_period = format!("e.occurred_at >= {from} AND e.occurred_at < {until}");
    // A step that keeps the stage (another report, an acknowledgement, feedback) neither enters
    // nor leaves it.
    let entered = pairs(grouped(
        conn,
        &["e.to_stage".into()],
        "e.id",
        &format!(
            "FROM gap_events e WHERE (e.from_stage IS NULL OR e.from_stage <> e.to_stage) \
             AND {in_period}"
        ),
    )?);
    let left = pairs(grouped(
        conn,
        &["e.from_stage".into()],
        "e.id",
        &format!("FROM gap_events e WHERE e.from_stage IS NOT NULL AND e.from_stage <> e.to_stage AND {in_period}"),
    )?);
    // Stage visits that ended in the period: each event that left a stage, paired with the
    // latest earlier event that entered it from elsewhere (a step that kept the stage does not
    // start a new visit).
    #[derive(QueryableByName)]
    struct Visit {
        #[diesel(sql_type = Text)]
        stage: String,
        #[diesel(sql_type = diesel::sql_types::Timestamp)]
        entered_at: NaiveDateTime,
        #[diesel(sql_type = diesel::sql_types::Timestamp)]
        left_at: NaiveDateTime,
    }
    let entry = "p.gap_id = e.gap_id AND p.to_stage = e.from_stage \
                 AND (p.from_stage IS NULL OR p.from_stage <> p.to_stage) \
                 AND p.occurred_at <= e.occurred_at";
    let visits: Vec<Visit> = diesel::sql_query(format!(
        "SELECT e.from_stage AS stage, e.occurred_at AS left_at, \
         (SELECT MAX(p.occurred_at) FROM gap_events p WHERE {entry}) AS entered_at \
         FROM gap_events e WHERE e.from_stage IS NOT NULL AND e.from_stage <> e.to_stage AND {in_period} \
         AND EXISTS (SELECT 1 FROM gap_events p WHERE {entry})"
    ))
    .load(conn)?;
    let mut days_in_stage: HashMap<String, Vec<i64>> = HashMap::new();
    for v in visits {
        days_in_stage
            .entry(v.stage)
            .or_default()
            .push((v.left_at.date() - v.entered_at.date()).num_days());
    }
    let ratings = pairs(grouped(
        conn,
        &["f.rating".into()],
        "f.id",
        &format!("FROM gap_feedback f WHERE f.created_at >= {from} AND f.created_at < {until}"),
    )?);
    Ok(GapCounts {
        now,
        entered,
        left,
        days_in_stage,
        ratings,
    })
}

/// The programme blocks that are neither casework nor staffing (which the funding rules
/// compute from the positions' histories): meetings held per body kind in the period, and
/// survey campaigns started in the period.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProgrammeCounts {
    /// (body kind, meetings)
    pub meetings: Vec<(String, u64)>,
    pub campaigns: u64,
}

pub fn programme(conn: &mut DbConn, period: Period) -> StoreResult<ProgrammeCounts> {
    let (from, until) = (
        lit(period.from),
        lit(period.to.succ_opt().unwrap_or(period.to)),
    );
    let mut meetings = pairs(grouped(
        conn,
        &["b.kind".into()],
        "mt.id",
        &format!(
            "FROM meetings mt JOIN bodies b ON b.id = mt.body_id \
             WHERE mt.held_on >= {from} AND mt.held_on < {until}"
        ),
    )?);
    meetings.sort_unstable();
    let campaigns = total(
        conn,
        "sc.id",
        &format!("FROM survey_campaigns sc WHERE sc.opens_on >= {from} AND sc.opens_on < {until}"),
    )?;
    Ok(ProgrammeCounts {
        meetings,
        campaigns,
    })
}

/// The clearing records (Kompetenzerfassung) first made in a period: how many, their vocational
/// qualifications per recognition status, and the clients' level of German.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ClearingCounts {
    pub records: u64,
    /// (recognition status, qualifications)
    pub recognition: Vec<(String, u64)>,
    /// (level, clients) for the language `de`.
    pub german_levels: Vec<(String, u64)>,
}

pub fn clearing(conn: &mut DbConn, scope: Scope, period: Period) -> StoreResult<ClearingCounts> {
    let until = period.to.succ_opt().unwrap_or(period.to);
    let records_where = format!(
        "{} WHERE r.created_at >= {} AND r.created_at < {} AND {}",
        scope.case_join("r.case_id"),
        lit(period.from),
        lit(until),
        scope.condition()
    );
    let records = total(
        conn,
        "r.id",
        &format!("FROM clearing_records r{records_where}"),
    )?;
    // `*`: each qualification row is one procedure, each German row one client (a language is
    // listed once per record).
    let recognition = pairs(grouped(
        conn,
        &["q.recognition".into()],
        "*",
        &format!(
            "FROM clearing_qualifications q JOIN clearing_records r ON r.id = q.record_id\
             {records_where}"
        ),
    )?);
    let german_levels = pairs(grouped(
        conn,
        &["l.level".into()],
        "*",
        &format!(
            "FROM clearing_languages l JOIN clearing_records r ON r.id = l.record_id\
             {records_where} AND l.language = 'de'"
        ),
    )?);
    Ok(ClearingCounts {
        records,
        recognition,
        german_levels,
    })
}
