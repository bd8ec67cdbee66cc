//! The gap list and the pipeline's reads: gaps filtered by stage, topic, municipality and domain,
//! paged, and counted by stage.

use chrono::NaiveDate;
use diesel::prelude::*;
use kim_domain::gap::GapStage;
use kim_domain::paging::PageRequest;

use crate::connection::MultiBackend;
use crate::error::StoreResult;
use crate::{DbConn, Listed};

use super::{complete, gap_municipalities, gaps, gaps_mandated_to, Gap, GapRow};

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
