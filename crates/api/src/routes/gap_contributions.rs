//! Externe Mitwirkung: partner systems of organisations that are members of a project group
//! (scope `gaps:contribute`) read the gaps their group is mandated with — without reports, so
//! without case links or reporters — and send proposed solutions and feedback. The group's
//! people read the contributions beside the gap and take the `solutions` step themselves.

use actix_web::{get, post, web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use kim_domain::gap::{FeedbackRating, GapStage};
use kim_domain::gap_contribution::{check_contribution, ContributionKind};
use kim_domain::reference::LegalDomain;
use kim_domain::{Action, Principal};
use kim_store::gap_contributions::{self as store, Contribution};
use kim_store::referrals::RememberedResponse;
use kim_store::{gap_steps, gaps, DbConn};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{Authenticated, Caller};
use crate::error::error_sets as sets;
use crate::http::body::Json;
use crate::http::idempotency::{respond, Answer, IdempotencyKey};
use crate::http::paging::slice;
use crate::http::paging::PageParams;
use crate::routes::RouteTable;
use crate::server::AppState;
use crate::{page_type, ApiError};

pub fn configure(cfg: &mut impl RouteTable) {
    cfg.service(list_mandated_gaps)
        .service(get_mandated_gap)
        .service(contribute_to_gap)
        .service(list_gap_contributions);
}

/// A contribution of a member organisation (Beitrag eines externen Mitglieds).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": 4, "gap_id": 3, "organisation_id": 14, "project_group_id": 2,
    "kind": "solution", "text": "Kita-Lotsinnen der Caritas begleiten Familien mit Duldung zur Anmeldung.",
    "rating": null, "created_at": "2026-11-20T09:00:00Z"}))]
pub struct ContributionView {
    pub id: i64,
    pub gap_id: i64,
    pub organisation_id: i64,
    /// The mandated project group the organisation contributed as a member of.
    pub project_group_id: i64,
    pub kind: ContributionKind,
    pub text: String,
    /// Feedback only.
    pub rating: Option<FeedbackRating>,
    pub created_at: DateTime<Utc>,
}

impl From<Contribution> for ContributionView {
    fn from(c: Contribution) -> Self {
        ContributionView {
            id: c.id,
            gap_id: c.gap_id,
            organisation_id: c.organisation_id,
            project_group_id: c.project_group_id,
            kind: c.kind,
            text: c.text,
            rating: c.rating,
            created_at: c.created_at,
        }
    }
}

page_type!(ContributionPage, ContributionView);

/// A mandate as a member organisation sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContributorMandate {
    pub text: String,
    pub due_on: NaiveDate,
    pub project_group_ids: Vec<i64>,
}

/// A solution approach of the project group(s), as a member organisation sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContributorSolution {
    pub id: i64,
    pub text: String,
    pub responsible_actors: String,
    pub estimate: String,
    /// `None` until the steering group decided.
    pub accepted: Option<bool>,
}

/// A systematic gap as an external member of a mandated project group sees it: what the gap
/// is about, the mandates naming the organisation's groups, the solution approaches, and the
/// organisation's own contributions. No reports: no case links, no reporters, no history.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": 3, "title": "Keine Kita-Plätze für Kinder mit Duldung",
    "description": "Familien mit Duldung werden von Kitas abgewiesen.", "topic": "early_childhood",
    "legal_domains": ["sgb_viii"], "target_groups": [], "municipality_ids": [17], "stage": "mandated",
    "stage_since": "2026-11-12T10:00:00Z", "project_group_ids": [2],
    "mandates": [{"text": "Verfahren mit dem Jugendamt vorschlagen.", "due_on": "2027-03-01", "project_group_ids": [2]}],
    "solutions": [], "contributions": []}))]
pub struct ContributorGap {
    pub id: i64,
    pub title: String,
    pub description: String,
    pub topic: String,
    pub legal_domains: Vec<LegalDomain>,
    pub target_groups: Vec<String>,
    pub municipality_ids: Vec<i64>,
    pub stage: GapStage,
    pub stage_since: DateTime<Utc>,
    /// The caller's organisation's project groups that a mandate of this gap names.
    pub project_group_ids: Vec<i64>,
    /// The mandates naming those groups, oldest first.
    pub mandates: Vec<ContributorMandate>,
    pub solutions: Vec<ContributorSolution>,
    /// The caller's organisation's contributions, oldest first.
    pub contributions: Vec<ContributionView>,
}

page_type!(ContributorGapPage, ContributorGap);

/// What a contributor sends.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"kind": "solution", "text": "Kita-Lotsinnen der Caritas begleiten Familien mit Duldung zur Anmeldung."}))]
pub struct ContributionInput {
    pub kind: ContributionKind,
    /// 1 to 2000 characters, not blank.
    #[schema(pattern = "\\S", min_length = 1, max_length = 2000)]
    pub text: String,
    /// Feedback only (422 `rule` on a solution).
    pub rating: Option<FeedbackRating>,
}

/// The token's organisation, if the caller is a partner token holding `gaps:contribute`.
fn contributor(who: &Authenticated) -> Result<(i64, i64), ApiError> {
    who.require(Action::ContributeToGaps)?;
    match &who.principal {
        Principal::Partner {
            token_id,
            organisation_id,
            ..
        } => Ok((*organisation_id, *token_id)),
        Principal::Person { .. } => Err(ApiError::Forbidden(
            "people read gaps and their contributions through /gaps".into(),
        )),
    }
}

fn shown(
    conn: &mut DbConn,
    organisation_id: i64,
    gap_id: i64,
    groups: Vec<i64>,
) -> Result<ContributorGap, ApiError> {
    let gap = gaps::find(conn, gap_id)?;
    let mandates = gap_steps::mandates(conn, gap_id)?
        .into_iter()
        .filter(|m| m.project_group_ids.iter().any(|g| groups.contains(g)))
        .map(|m| ContributorMandate {
            text: m.text,
            due_on: m.due_on,
            project_group_ids: m.project_group_ids,
        })
        .collect();
    let solutions = gap_steps::solutions_of(conn, &[gap_id])?
        .into_iter()
        .map(|(_, s)| ContributorSolution {
            id: s.id,
            text: s.solution.text,
            responsible_actors: s.solution.responsible_actors,
            estimate: s.solution.estimate,
            accepted: s.accepted,
        })
        .collect();
    let contributions = store::of_gap(conn, gap_id, Some(organisation_id))?
        .into_iter()
        .map(ContributionView::from)
        .collect();
    Ok(ContributorGap {
        id: gap.id,
        title: gap.data.title,
        description: gap.data.description,
        topic: gap.data.topic,
        legal_domains: gap.data.legal_domains,
        target_groups: gap.data.target_groups,
        municipality_ids: gap.data.municipality_ids,
        stage: gap.stage,
        stage_since: gap.stage_since,
        project_group_ids: groups,
        mandates,
        solutions,
        contributions,
    })
}

/// The organisation's groups mandated with the gap; 404 when there are none (or no such gap).
fn mandated_groups(
    conn: &mut DbConn,
    organisation_id: i64,
    gap_id: i64,
) -> Result<Vec<i64>, ApiError> {
    let groups = store::groups_for(conn, organisation_id, gap_id)?;
    if groups.is_empty() {
        return Err(ApiError::NotFound);
    }
    Ok(groups)
}

/// List the gaps my organisation's project groups are mandated with
///
/// For a partner system of an organisation that is a member of a project group (Projektgruppe):
/// every gap a mandate of the steering group names one of those groups for, in any stage since,
/// oldest first. No reports, history or decisions: nothing about cases or the people who reported.
/// An organisation in no mandated group gets an empty list.
///
/// **Who may call:** partner tokens with `gaps:contribute`. People 403 (they use `/gaps`).
#[utoipa::path(tag = "External contributors", params(PageParams), responses(
    (status = 200, description = "The gaps", body = ContributorGapPage),
    sets::ListErrors,
), security(("bearer" = [])))]
#[get("/mandated-gaps")]
pub async fn list_mandated_gaps(
    caller: Caller,
    state: web::Data<AppState>,
    paging: web::Query<PageParams>,
) -> Result<web::Json<ContributorGapPage>, ApiError> {
    let page = paging.page()?;
    let contributor_gaps = state
        .db
        .read_with(caller, move |conn, who| {
            let (organisation, _) = contributor(who)?;
            let visible = store::visible_gaps(conn, organisation)?;
            let total = visible.len();
            let mut shown_gaps = Vec::new();
            for (gap, groups) in visible
                .into_iter()
                .skip(usize::try_from(page.offset).unwrap_or(usize::MAX))
                .take(usize::try_from(page.limit).unwrap_or(0))
            {
                shown_gaps.push(shown(conn, organisation, gap, groups)?);
            }
            Ok::<_, ApiError>(kim_store::Listed {
                items: shown_gaps,
                total: i64::try_from(total).unwrap_or(i64::MAX),
            })
        })
        .await?;
    Ok(web::Json(ContributorGapPage::new(contributor_gaps, page)))
}

/// Get a gap my organisation's project group is mandated with
///
/// As in the list. A gap no mandate names one of the organisation's project groups for is 404.
///
/// **Who may call:** partner tokens with `gaps:contribute`. People 403 (they use `/gaps/{id}`).
#[utoipa::path(tag = "External contributors", params(("id" = i64, Path, description = "Gap id")), responses(
    (status = 200, description = "The gap", body = ContributorGap),
    sets::ReadErrors,
), security(("bearer" = [])))]
#[get("/mandated-gaps/{id}")]
pub async fn get_mandated_gap(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<web::Json<ContributorGap>, ApiError> {
    let gap_id = id.into_inner();
    let gap = state
        .db
        .read_with(caller, move |conn, who| {
            let (organisation, _) = contributor(who)?;
            let groups = mandated_groups(conn, organisation, gap_id)?;
            shown(conn, organisation, gap_id, groups)
        })
        .await?;
    Ok(web::Json(gap))
}

fn replayed(
    conn: &mut DbConn,
    first: &RememberedResponse,
) -> Result<Answer<ContributionView>, ApiError> {
    let contribution = store::find(conn, first.resource_id)?;
    Ok(Answer {
        status: actix_web::http::StatusCode::from_u16(first.status_code)
            .unwrap_or(actix_web::http::StatusCode::CREATED),
        version: 1,
        body: ContributionView::from(contribution),
        replayed: true,
    })
}

/// Contribute to a gap my organisation's project group is mandated with
///
/// Sends a proposed solution (`kind: solution`, while the gap is `mandated`) or feedback
/// (`kind: feedback`, optionally with a `rating`, while solutions are proposed, decided,
/// communicated or in application); another stage is 409 naming the stages that take it. A
/// rating on a solution is 422 `rule`. The contribution does not move the gap: the project
/// group's people read it (`GET /gaps/{id}/contributions`) and take the `solutions` step. When
/// the organisation is a member of several mandated groups, the contribution is recorded for
/// the first of them. Honours `Idempotency-Key` like `POST /intake-requests`.
///
/// **Who may call:** partner tokens with `gaps:contribute`, for gaps their organisation's
/// project group is mandated with (else 404). People 403.
#[utoipa::path(tag = "External contributors", request_body = ContributionInput,
    params(("id" = i64, Path, description = "Gap id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response instead of contributing again")),
    responses(
    (status = 201, description = "Recorded", body = ContributionView, headers(("ETag" = String), ("Location" = String))),
    sets::CreateErrors,
), security(("bearer" = [])))]
#[post("/mandated-gaps/{id}/contributions")]
pub async fn contribute_to_gap(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    idempotency: IdempotencyKey,
    body: Json<ContributionInput>,
) -> Result<HttpResponse, ApiError> {
    let gap_id = id.into_inner();
    let input = body.into_inner();
    let fingerprint = idempotency.fingerprint(None, &input);
    let answer = state
        .db
        .write_with(caller, move |conn, who| {
            let (organisation, token) = contributor(who)?;
            let groups = mandated_groups(conn, organisation, gap_id)?;
            if let Some(first) = idempotency.replay(conn, who, &fingerprint)? {
                return replayed(conn, &first);
            }
            let stage = gaps::stage_of(conn, gap_id)?;
            let new = check_contribution(stage, input.kind, Some(&input.text), input.rating)?;
            let contribution_view =
                store::insert(conn, gap_id, organisation, groups[0], Some(token), &new)?;
            idempotency.remember(
                conn,
                who,
                &RememberedResponse {
                    fingerprint,
                    status_code: 201,
                    resource_id: contribution_view.id,
                },
            )?;
            Ok::<_, ApiError>(Answer {
                status: actix_web::http::StatusCode::CREATED,
                version: 1,
                body: ContributionView::from(contribution_view),
                replayed: false,
            })
        })
        .await?;
    let location = format!("/api/v1/mandated-gaps/{gap_id}");
    respond(&answer, Some(location))
}

/// List the contributions of external members to a gap
///
/// What member organisations of the mandated project groups sent (proposed solutions and
/// feedback), oldest first, with the organisation and the group. For the group's people, who
/// use them in the `solutions` step, and every other reader of gaps.
///
/// **Who may call:** every role that reads gaps (`read_gaps`). Partner tokens 403 (they see
/// their own under `/mandated-gaps/{id}`). An unknown gap 404.
#[utoipa::path(tag = "External contributors", params(("id" = i64, Path, description = "Gap id"), PageParams), responses(
    (status = 200, description = "The contributions", body = ContributionPage),
    (status = 404, response = crate::error::responses::NotFound),
    sets::ListErrors,
), security(("bearer" = [])))]
#[get("/gaps/{id}/contributions")]
pub async fn list_gap_contributions(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    paging: web::Query<PageParams>,
) -> Result<web::Json<ContributionPage>, ApiError> {
    let page = paging.page()?;
    let gap_id = id.into_inner();
    let all = state
        .db
        .read_with(caller, move |conn, who| {
            // No scope grants `read_gaps`: partner systems read their own contributions under
            // `/mandated-gaps/{id}`.
            who.require(Action::ReadGaps)?;
            gaps::stage_of(conn, gap_id)?;
            Ok::<_, ApiError>(store::of_gap(conn, gap_id, None)?)
        })
        .await?;
    let all: Vec<ContributionView> = all.into_iter().map(ContributionView::from).collect();
    Ok(web::Json(ContributionPage::new(slice(all, page), page)))
}
