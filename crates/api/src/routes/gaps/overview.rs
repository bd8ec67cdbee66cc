//! The overview of the gap process: how many gaps stand in each stage (the pipeline), and the
//! solutions feed that tells case managers what became of what they reported.

use actix_web::{get, web};
use chrono::{DateTime, Utc};
use kim_domain::gap::{median_days, stage_stays, GapStage, Publicity};
use kim_domain::Action;
use kim_store::gaps as store;
use kim_store::{clock, gap_steps, StoreError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::error_sets as sets;
use crate::server::AppState;
use crate::views::gap::Solution;
use crate::{page_type, ApiError};

/// Count and time of one stage.
#[derive(Debug, Serialize, ToSchema)]
pub struct PipelineStage {
    pub stage: GapStage,
    /// Gaps in this stage now.
    pub count: i64,
    /// Median days a gap spends in this stage, over finished and ongoing stays; absent when no
    /// gap was ever in it. Rounded to a tenth.
    pub median_days: Option<f64>,
    /// Stays the median is computed from.
    pub stays: usize,
}

/// Der Prozess im Überblick (pipeline of the gap process).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"as_of": "2026-11-25T12:00:00Z", "stages": [
    {"stage": "reported", "count": 3, "median_days": 6.5, "stays": 8}]}))]
pub struct Pipeline {
    pub as_of: DateTime<Utc>,
    /// Every stage in process order.
    pub stages: Vec<PipelineStage>,
}

/// The gap pipeline
///
/// For every stage: how many gaps are in it now and the median days gaps spend in it (final
/// stages have counts, no durations).
///
/// **Who may call:** every role that reads gaps (see `GET /gaps/{id}`).
#[utoipa::path(tag = "Systematic gaps", responses(
    (status = 200, description = "Counts and median days per stage", body = Pipeline),
    (status = 401, response = crate::error::responses::Unauthorized),
    (status = 403, response = crate::error::responses::Forbidden),
    (status = 503, response = crate::error::responses::Unavailable),
), security(("bearer" = [])))]
#[get("/gaps/pipeline")]
pub async fn pipeline(
    caller: Caller,
    state: web::Data<AppState>,
) -> Result<web::Json<Pipeline>, ApiError> {
    let now = clock::now();
    state
        .db
        .read_as(caller, Action::ReadGaps, move |conn, _| {
            let moves = store::all_stage_moves(conn)?;
            let mut stays: Vec<(GapStage, f64)> = Vec::new();
            let mut entries = Vec::new();
            let mut current_gap = None;
            for (gap, event) in moves {
                if current_gap != Some(gap) {
                    stays.extend(stage_stays(&entries, now));
                    entries.clear();
                    current_gap = Some(gap);
                }
                entries.push((event.to_stage, clock::from_utc(event.occurred_at)));
            }
            stays.extend(stage_stays(&entries, now));
            let mut stages = Vec::new();
            for stage in GapStage::ALL {
                let days: Vec<f64> = stays
                    .iter()
                    .filter(|(s, _)| s == stage)
                    .map(|(_, d)| *d)
                    .collect();
                stages.push(PipelineStage {
                    stage: *stage,
                    count: store::count_in_stage(conn, *stage)?,
                    median_days: median_days(&days),
                    stays: days.len(),
                });
            }
            Ok::<_, StoreError>(Pipeline {
                as_of: clock::to_utc(now),
                stages,
            })
        })
        .await
        .map(web::Json)
}

/// A communicated solution for case managers to apply.
#[derive(Debug, Serialize, ToSchema)]
pub struct SolutionNotice {
    pub gap_id: i64,
    pub gap_title: String,
    pub stage: GapStage,
    /// The accepted solutions.
    pub solutions: Vec<Solution>,
    pub publicity: Option<Publicity>,
    pub publicity_text: Option<String>,
    /// The caller acknowledged them.
    pub acknowledged: bool,
    /// Feedback the caller gave on them.
    pub my_feedback_count: usize,
}

page_type!(SolutionNoticePage, SolutionNotice);

/// Solutions to apply
///
/// The accepted solutions of gaps `communicated` or `in_application`, newest gap first: to
/// acknowledge (`POST /gaps/{id}/acknowledge`) and give feedback on
/// (`POST /gaps/{id}/feedback`).
///
/// **Who may call:** `case_manager`.
#[utoipa::path(tag = "Systematic gaps", params(crate::http::paging::PageParams), responses(
    (status = 200, description = "The solutions feed", body = SolutionNoticePage),
    sets::ListErrors,
), security(("bearer" = [])))]
#[get("/me/solutions")]
pub async fn my_solutions(
    caller: Caller,
    state: web::Data<AppState>,
    paging: web::Query<crate::http::paging::PageParams>,
) -> Result<web::Json<SolutionNoticePage>, ApiError> {
    let page = paging.page()?;
    let solution_notices = state
        .db
        .read_as(caller, Action::ReportGaps, move |conn, who| {
            let me = who.user_id();
            let mut gaps =
                store::in_stages(conn, &[GapStage::Communicated, GapStage::InApplication])?;
            gaps.reverse();
            let total = gaps.len() as i64;
            let mut items = Vec::new();
            for gap in gaps
                .into_iter()
                .skip(page.offset as usize)
                .take(page.limit as usize)
            {
                let solutions = gap_steps::solutions_of(conn, &[gap.id])?
                    .into_iter()
                    .filter(|(_, s)| s.accepted == Some(true))
                    .map(|(g, s)| Solution::new(g, s))
                    .collect();
                let acknowledged = gap_steps::acknowledged_by(conn, gap.id)?
                    .iter()
                    .any(|id| Some(*id) == me);
                let my_feedback_count = gap_steps::feedback(conn, gap.id)?
                    .iter()
                    .filter(|f| f.user_id.is_some() && f.user_id == me)
                    .count();
                items.push(SolutionNotice {
                    gap_id: gap.id,
                    gap_title: gap.data.title,
                    stage: gap.stage,
                    solutions,
                    publicity: gap.publicity,
                    publicity_text: gap.publicity_text,
                    acknowledged,
                    my_feedback_count,
                });
            }
            Ok::<_, StoreError>(kim_store::Listed { items, total })
        })
        .await?;
    Ok(web::Json(SolutionNoticePage::new(solution_notices, page)))
}
