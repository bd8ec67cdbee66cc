//! Systematische Lücken (systematic gaps): reporting, the list with its filters, one gap with
//! its evidence and history, the pipeline, and the solutions feed of case managers. The steps
//! of the process are in [`super::gap_steps`].
//!
//! Evidence may point to cases. Case ids are shown only to the reporter of that report; every
//! other caller sees the number of linked cases, never ids or case data.

use crate::http::body::Json;
use crate::routes::RouteTable;
use actix_web::{get, post, web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use kim_domain::access::Access;
use kim_domain::audit::{AuditObject, AuditVerb};
use kim_domain::gap::GapStage;
use kim_domain::reference::LegalDomain;
use kim_domain::Action;
use kim_store::gaps::{self as store, GapData, GapFilter, NewReport};
use kim_store::DbConn;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::{not_blank, trimmed};
use crate::auth::{Authenticated, Caller};
use crate::case_access::{audit, case_for};
use crate::error::error_sets as sets;
use crate::error::{invalid_fields, FieldError, OrUnknown};
use crate::http::precondition::{created_versioned, ok_versioned};
use crate::server::AppState;
use crate::views::gap::{load_gap, next_steps, Gap, NextStep};
use crate::{page_type, ApiError};

mod overview;

pub use overview::{my_solutions, pipeline, Pipeline, PipelineStage, SolutionNotice};

pub fn configure(cfg: &mut impl RouteTable) {
    cfg.service(list_gaps)
        .service(pipeline)
        .service(report_gap)
        .service(get_gap)
        .service(add_report)
        .service(my_solutions);
}

/// Systematische Lücke (systematic gap) in a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct GapSummary {
    pub id: i64,
    pub title: String,
    pub topic: String,
    pub stage: GapStage,
    pub stage_since: DateTime<Utc>,
    /// Set when merged: the gap that holds the reports now.
    pub merged_into_id: Option<i64>,
    pub municipality_ids: Vec<i64>,
    /// Distinct reporting positions (a reporter without a position counts alone).
    pub reporting_positions: u32,
    pub report_count: usize,
    pub next_steps: Vec<NextStep>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<store::Gap> for GapSummary {
    fn from(g: store::Gap) -> Self {
        GapSummary {
            reporting_positions: g.reporting_positions(),
            report_count: g.reports.len(),
            next_steps: next_steps(g.stage),
            id: g.id,
            title: g.data.title,
            topic: g.data.topic,
            stage: g.stage,
            stage_since: g.stage_since,
            merged_into_id: g.merged_into_id,
            municipality_ids: g.data.municipality_ids,
            version: g.version,
            created_at: g.created_at,
            updated_at: g.updated_at,
        }
    }
}

page_type!(GapPage, GapSummary);

/// A report: the evidence a case manager adds.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"text": "Three families this month were refused a daycare place", "case_ids": [12, 14]}))]
pub struct ReportInput {
    /// What was seen, without personal data; 1 to 2000 characters.
    #[validate(length(max = 2000), custom(function = "not_blank"))]
    #[schema(pattern = "\\S", min_length = 1, max_length = 2000)]
    pub text: String,
    /// Default today; not in the future.
    pub reported_on: Option<NaiveDate>,
    /// Cases of the reporter that show the gap; only cases the reporter may see (422
    /// otherwise). Shown to others only as a count. At most 50.
    #[serde(default)]
    #[validate(length(max = 50, message = "at most 50 cases"))]
    #[schema(max_items = 50)]
    pub case_ids: Vec<i64>,
}

impl ReportInput {
    fn into_report(self, today: NaiveDate) -> Result<NewReport, Vec<FieldError>> {
        let mut errors = invalid_fields(&self);
        let reported_on = self.reported_on.unwrap_or(today);
        if reported_on > today {
            errors.push(FieldError::rule("reported_on", "must not be in the future"));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(NewReport {
            text: self.text.trim().to_owned(),
            reported_on,
            case_ids: self.case_ids,
        })
    }
}

/// A new gap with its first report.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "title": "No daycare places for children without residence title",
    "description": "Families with a Duldung are turned away by daycare centres",
    "topic": "early_childhood", "legal_domains": ["sgb_viii", "aufenthg"], "organisation_ids": [3],
    "target_groups": ["Families with a Duldung"], "municipality_ids": [17],
    "report": {"text": "Three families this month were refused a daycare place", "case_ids": [12]}
}))]
pub struct GapInput {
    /// 1 to 200 characters.
    #[validate(length(max = 200), custom(function = "not_blank"))]
    #[schema(pattern = "\\S", min_length = 1, max_length = 200)]
    pub title: String,
    /// 1 to 4000 characters, without personal data.
    #[validate(length(max = 4000), custom(function = "not_blank"))]
    #[schema(pattern = "\\S", min_length = 1, max_length = 4000)]
    pub description: String,
    /// A short topic key the list filters by, e.g. `early_childhood`, `housing`; 1 to 100.
    #[validate(length(max = 100), custom(function = "not_blank"))]
    #[schema(pattern = "\\S", min_length = 1, max_length = 100)]
    pub topic: String,
    #[serde(default)]
    pub legal_domains: Vec<LegalDomain>,
    /// Existing organisations; at most 50.
    #[serde(default)]
    #[validate(length(max = 50, message = "at most 50 organisations"))]
    #[schema(max_items = 50)]
    pub organisation_ids: Vec<i64>,
    /// Free texts (Zielgruppen); at most 20.
    #[serde(default)]
    #[validate(length(max = 20, message = "at most 20 target groups"))]
    #[schema(max_items = 20)]
    pub target_groups: Vec<String>,
    /// Existing municipalities; at most 19.
    #[serde(default)]
    #[validate(length(max = 19, message = "at most 19 municipalities"))]
    #[schema(max_items = 19)]
    pub municipality_ids: Vec<i64>,
    pub report: ReportInput,
}

impl GapInput {
    fn into_parts(self, today: NaiveDate) -> Result<(GapData, NewReport), ApiError> {
        let mut errors: Vec<FieldError> = invalid_fields(&self)
            .into_iter()
            .filter(|e| !e.field.starts_with("report"))
            .collect();
        let target_groups: Vec<String> = self
            .target_groups
            .into_iter()
            .filter_map(|t| trimmed(Some(t)))
            .collect();
        if target_groups.iter().any(|t| t.chars().count() > 200) {
            errors.push(FieldError::new(
                "target_groups",
                "each must be at most 200 characters",
            ));
        }
        let report = match self.report.into_report(today) {
            Ok(report) => Some(report),
            Err(list) => {
                errors.extend(list.into_iter().map(|e| FieldError {
                    field: format!("report.{}", e.field),
                    message: e.message,
                    kind: e.kind,
                }));
                None
            }
        };
        match report {
            Some(report) if errors.is_empty() => Ok((
                GapData {
                    title: self.title.trim().to_owned(),
                    description: self.description.trim().to_owned(),
                    topic: self.topic.trim().to_owned(),
                    legal_domains: self.legal_domains,
                    organisation_ids: self.organisation_ids,
                    target_groups,
                    municipality_ids: self.municipality_ids,
                },
                report,
            )),
            _ => {
                errors.sort_by(|a, b| a.field.cmp(&b.field));
                Err(ApiError::Validation(errors))
            }
        }
    }
}

/// The client references of the linked cases, if the reporter may see every one (422 on
/// `field` otherwise, with the same words for a case that does not exist, so that existence
/// does not leak).
fn visible_cases(
    conn: &mut DbConn,
    who: &Authenticated,
    field: &'static str,
    case_ids: &[i64],
) -> Result<Vec<String>, ApiError> {
    case_ids
        .iter()
        .map(|case_id| {
            // Reading is refused only as 404 (never 403), which `or_unknown` turns into the
            // same 422 for a case that does not exist.
            case_for(conn, who, *case_id, Access::Read)
                .map(|case| case.lead_client_reference)
                .or_unknown(field, format!("no case {case_id} that you may see"))
        })
        .collect()
}

/// Writes the audit event of linking each case to the report.
fn audit_links(
    conn: &mut DbConn,
    who: &Authenticated,
    references: &[String],
    report_id: i64,
) -> Result<(), ApiError> {
    for reference in references {
        audit(
            conn,
            who,
            AuditObject::GapReport,
            AuditVerb::Create,
            Some(report_id),
            Some(reference),
        )?;
    }
    Ok(())
}

/// Report a systematic gap
///
/// Creates a gap in stage `reported` with its first report. To add evidence to a gap that
/// exists, use `POST /gaps/{id}/reports` instead of reporting a duplicate (the CM coordination
/// can also merge duplicates). Linked cases must be the reporter's own (422 on
/// `report.case_ids`); linking writes an audit event per case.
///
/// **Who may call:** `case_manager`.
#[utoipa::path(tag = "Systematic gaps", request_body = GapInput, responses(
    (status = 201, description = "Reported", body = Gap, headers(("ETag" = String), ("Location" = String))),
    sets::CreateErrors,
), security(("bearer" = [])))]
#[post("/gaps")]
pub async fn report_gap(
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<GapInput>,
) -> Result<HttpResponse, ApiError> {
    let input = body.into_inner();
    let today = Utc::now().date_naive();
    let gap = state
        .db
        .write_with(caller, move |conn, who| {
            who.require(Action::ReportGaps)?;
            let (data, report) = input.into_parts(today)?;
            let linked = visible_cases(conn, who, "report.case_ids", &report.case_ids)?;
            let (gap, report_id) = store::insert(conn, &who.actor(), &data, &report)?;
            audit_links(conn, who, &linked, report_id)?;
            Ok::<_, ApiError>(load_gap(conn, gap.id, &who.principal)?)
        })
        .await?;
    let (id, version) = (gap.id, gap.version);
    Ok(created_versioned(
        &gap,
        version,
        format!("/api/v1/gaps/{id}"),
    ))
}

/// Add a report to an existing gap
///
/// More evidence for a gap that is not final (409 otherwise; a merged gap names the gap to
/// report to). Counts towards the distinct reporting positions. No `If-Match`: a report adds,
/// it overwrites nothing.
///
/// **Who may call:** `case_manager`.
#[utoipa::path(tag = "Systematic gaps", request_body = ReportInput, params(("id" = i64, Path, description = "Gap id")), responses(
    (status = 201, description = "Added; the whole gap", body = Gap, headers(("ETag" = String), ("Location" = String))),
    (status = 404, response = crate::error::responses::NotFound),
    sets::CreateErrors,
), security(("bearer" = [])))]
#[post("/gaps/{id}/reports")]
pub async fn add_report(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: Json<ReportInput>,
) -> Result<HttpResponse, ApiError> {
    let input = body.into_inner();
    let id = id.into_inner();
    let today = Utc::now().date_naive();
    let gap = state
        .db
        .write_with(caller, move |conn, who| {
            who.require(Action::ReportGaps)?;
            let report = input.into_report(today).map_err(ApiError::Validation)?;
            let linked = visible_cases(conn, who, "case_ids", &report.case_ids)?;
            let (_, report_id) = store::add_report(conn, &who.actor(), id, &report)?;
            audit_links(conn, who, &linked, report_id)?;
            Ok::<_, ApiError>(load_gap(conn, id, &who.principal)?)
        })
        .await?;
    let version = gap.version;
    Ok(created_versioned(
        &gap,
        version,
        format!("/api/v1/gaps/{id}"),
    ))
}

/// Get a gap with its full history
///
/// A merged gap answers 200 with stage `merged` and `merged_into_id` naming the gap that holds
/// its reports now; its history stays. Case ids of a report are shown to its reporter only.
///
/// **Who may call:** `ki_lead`, `coordinator`, `cm_coordinator`, `case_manager`,
/// `steering_member`, `project_group_member`, `analyst`.
#[utoipa::path(tag = "Systematic gaps", params(("id" = i64, Path, description = "Gap id")), responses(
    (status = 200, description = "The gap", body = Gap, headers(("ETag" = String))),
    sets::ReadErrors,
), security(("bearer" = [])))]
#[get("/gaps/{id}")]
pub async fn get_gap(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let gap = state
        .db
        .read_as(caller, Action::ReadGaps, move |conn, who| {
            load_gap(conn, id, &who.principal)
        })
        .await?;
    let version = gap.version;
    Ok(ok_versioned(&gap, version))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct GapQuery {
    /// Only gaps in these stages (comma-separated, e.g. `reported,escalated`).
    #[param(value_type = Option<Vec<GapStage>>, style = Form, explode = false, min_items = 1, example = json!(["reported", "escalated"]))]
    pub stage: Option<String>,
    /// Only gaps of this topic (exact).
    pub topic: Option<String>,
    /// Only gaps concerning this municipality.
    pub municipality_id: Option<i64>,
    /// Only gaps a mandate of which names this project group.
    pub project_group_id: Option<i64>,
    /// Only gaps first reported on or after this date.
    pub reported_from: Option<NaiveDate>,
    /// Only gaps first reported on or before this date.
    pub reported_to: Option<NaiveDate>,
    /// Items per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200, default = 50, example = 50)]
    #[serde(default, deserialize_with = "crate::http::paging::whole_number")]
    pub limit: Option<i64>,
    /// Items to skip, 0 to 1,000,000.
    #[param(minimum = 0, maximum = 1_000_000, default = 0, example = 0)]
    #[serde(default, deserialize_with = "crate::http::paging::whole_number")]
    pub offset: Option<i64>,
}

/// List gaps
///
/// Newest first. Filters combine with AND.
///
/// **Who may call:** every role that reads gaps (see `GET /gaps/{id}`).
#[utoipa::path(tag = "Systematic gaps", params(GapQuery), responses(
    (status = 200, description = "One page of gaps", body = GapPage),
    sets::ListErrors,
), security(("bearer" = [])))]
#[get("/gaps")]
pub async fn list_gaps(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<GapQuery>,
) -> Result<web::Json<GapPage>, ApiError> {
    let q = query.into_inner();
    let page = kim_domain::paging::PageRequest::parse(q.limit, q.offset)
        .map_err(|(field, message)| ApiError::field(field, message))?;
    // As the document states it: an array of at least one stage, comma-separated.
    let stages = match q.stage.as_deref() {
        None => Vec::new(),
        Some(text) => text
            .split(',')
            .map(|s| GapStage::parse(s).map_err(|e| ApiError::field("stage", e.to_string())))
            .collect::<Result<_, _>>()?,
    };
    if let (Some(from), Some(to)) = (q.reported_from, q.reported_to) {
        if to < from {
            return Err(ApiError::rule(
                "reported_to",
                "must not be before reported_from",
            ));
        }
    }
    let filter = GapFilter {
        stages,
        topic: trimmed(q.topic),
        municipality_id: q.municipality_id,
        project_group_id: q.project_group_id,
        reported_from: q.reported_from,
        reported_to: q.reported_to,
    };
    let gaps = state
        .db
        .read_as(caller, Action::ReadGaps, move |conn, _| {
            store::list(conn, &filter, page)
        })
        .await?;
    Ok(web::Json(GapPage::new(gaps, page)))
}
