//! Cases (Fälle): opening a case for one or more clients, the intake rule, the lifecycle,
//! reassignment, history and search. Only the assigned case manager, the deputy and the CM
//! coordination see a case; to everyone else it does not exist (404).

use crate::http::body::Json;
use crate::routes::RouteTable;
use actix_web::{get, post, put, web, HttpResponse};
use chrono::{NaiveDate, Utc};
use kim_domain::access::{
    case_scope, check_deputy, may_open_cases, may_reassign_cases, Access, CaseScope,
};
use kim_domain::audit::{AuditObject, AuditVerb};
use kim_domain::case::{check_case_transition, CaseStatus, CaseTransitionInput, CloseReason};
use kim_store::cases::{self as store, CaseFilter, CaseSort};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::trimmed;
use crate::auth::{Authenticated, Caller};
use crate::case_access::{audit, case_for, client_for, Trail};
use crate::case_opening::{check_case_workers, check_input, intake_rule_for, open_in, IntakeDays};
use crate::error::error_sets as sets;
use crate::http::paging::{parse_sort, PageParams};
use crate::http::precondition::{created_versioned, ok_versioned, IfMatch};
use crate::server::AppState;
use crate::views::case::{Case, CaseEvent, CaseInput};
use crate::{page_type, ApiError};

pub fn configure(cfg: &mut impl RouteTable) {
    cfg.service(list_cases)
        .service(my_cases)
        .service(open_case)
        .service(get_case)
        .service(update_case)
        .service(transition_case)
        .service(reassign_case)
        .service(case_history);
}

page_type!(CasePage, Case);

/// Open a case
///
/// Opens a case in status `intake` for one or more clients (new ones are created; existing ones
/// must be visible to the caller), the first being the lead client. The intake rule decides
/// whether a `justification` is needed: the most specific of `GET /intake-rules` covering the
/// case (its municipality and target group, else its municipality, else the default rule); a case outside it opens as a counted exception. The
/// rule is judged against today, the day the case is really opened: `opened_on` may be
/// backdated by at most `KIM_CASE_BACKDATE_MAX_DAYS` days (422 on `opened_on` otherwise) and
/// does not move it. Naming another case manager (`assigned_user_id`) or a deputy
/// (`deputy_user_id`) is for the CM coordination only (422); whoever is named must hold a role
/// that works cases (422).
///
/// **Who may call:** `case_manager` (assigned to themselves). Other roles 403.
#[utoipa::path(tag = "Cases", request_body = CaseInput, responses(
    (status = 201, description = "Opened", body = Case, headers(("ETag" = String), ("Location" = String))),
    sets::CreateErrors,
), security(("bearer" = [])))]
#[post("/cases")]
pub async fn open_case(
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<CaseInput>,
) -> Result<HttpResponse, ApiError> {
    let input = body.into_inner();
    let rule = state.intake_rule.clone();
    let backdate_limit = state.case_backdate_max_days;
    let today = Utc::now().date_naive();
    let case = state
        .db
        .write_with(caller, move |conn, who| {
            if !may_open_cases(&who.principal) {
                return Err(ApiError::Forbidden("your role does not open cases".into()));
            }
            let me = who
                .user_id()
                .ok_or(ApiError::Forbidden("partners do not open cases".into()))?;
            open_in(conn, who, me, input, &rule, today, backdate_limit)
        })
        .await?;
    let (id, version) = (case.id, case.version);
    Ok(created_versioned(
        &Case::from(case),
        version,
        format!("/api/v1/cases/{id}"),
    ))
}

/// The order of `GET /cases`; its filters are the store's [`CaseFilter`].
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CaseOrder {
    /// `opened_on`, `status_since` or `id`; prefix `-` for descending. Default `-opened_on`.
    #[param(pattern = "^(-?(opened_on|status_since|id))?$")]
    pub sort: Option<String>,
}

const SORT_FIELDS: &[(&str, CaseSort)] = &[
    ("opened_on", CaseSort::OpenedOn),
    ("status_since", CaseSort::StatusSince),
    ("id", CaseSort::Id),
];

fn search(
    conn: &mut kim_store::DbConn,
    who: &Authenticated,
    trail: &mut Trail,
    filter: &CaseFilter,
    sort: CaseSort,
    descending: bool,
    page: kim_domain::paging::PageRequest,
) -> Result<CasePage, ApiError> {
    let scope = case_scope(&who.principal);
    if scope == CaseScope::Nothing {
        return Err(ApiError::Forbidden("your role sees no case data".into()));
    }
    let listed = store::list(conn, scope, filter, sort, descending, page)?;
    record_listed(trail, &listed.items);
    Ok(CasePage::new(listed, page))
}

/// Search cases
///
/// The cases the caller may see (a case manager: assigned or deputised; the CM coordination:
/// all), filtered and paged, newest first unless `sort` says otherwise. Invisible cases are
/// neither listed nor counted. Each case listed is recorded in the audit trail.
///
/// **Who may call:** `case_manager` (own cases), `cm_coordinator` (all). Others: 403.
#[utoipa::path(tag = "Cases", params(PageParams, CaseFilter, CaseOrder), responses(
    (status = 200, description = "One page of cases", body = CasePage),
    sets::ListErrors,
), security(("bearer" = [])))]
#[get("/cases")]
pub async fn list_cases(
    caller: Caller,
    state: web::Data<AppState>,
    paging: web::Query<PageParams>,
    filter: web::Query<CaseFilter>,
    order: web::Query<CaseOrder>,
) -> Result<web::Json<CasePage>, ApiError> {
    let page = paging.page()?;
    let (sort, direction) = parse_sort(
        order.sort.as_deref(),
        (CaseSort::OpenedOn, kim_store::Direction::Desc),
        SORT_FIELDS,
    )?;
    let filter = filter.into_inner();
    let descending = direction == kim_store::Direction::Desc;
    state
        .db
        .audited_read(caller, None, move |conn, who, trail| {
            search(conn, who, trail, &filter, sort, descending, page)
        })
        .await
        .map(web::Json)
}

/// My cases
///
/// The open cases the caller is assigned to or deputises, most recently changed status first.
///
/// **Who may call:** `case_manager`, `cm_coordinator` (their own assignments).
#[utoipa::path(tag = "Cases", params(PageParams), responses(
    (status = 200, description = "One page of cases", body = CasePage),
    sets::ListErrors,
), security(("bearer" = [])))]
#[get("/me/cases")]
pub async fn my_cases(
    caller: Caller,
    state: web::Data<AppState>,
    paging: web::Query<PageParams>,
) -> Result<web::Json<CasePage>, ApiError> {
    let page = paging.page()?;
    state
        .db
        .audited_read(caller, None, move |conn, who, trail| {
            let me = who
                .user_id()
                .ok_or(ApiError::Forbidden("partners have no cases".into()))?;
            if case_scope(&who.principal) == CaseScope::Nothing {
                return Err(ApiError::Forbidden("your role sees no case data".into()));
            }
            // One page in SQL: open cases, most recent status change first.
            let filter = CaseFilter {
                open: true,
                ..CaseFilter::default()
            };
            let listed = store::list(
                conn,
                CaseScope::Assigned(me),
                &filter,
                CaseSort::StatusSince,
                true,
                page,
            )?;
            record_listed(trail, &listed.items);
            Ok(CasePage::new(listed, page))
        })
        .await
        .map(web::Json)
}

/// Get a case
///
/// Recorded in the audit trail. A case the caller may not see answers 404.
///
/// **Who may call:** `case_manager` (assigned or deputy), `cm_coordinator`.
#[utoipa::path(tag = "Cases", params(("id" = i64, Path, description = "Case id")), responses(
    (status = 200, description = "The case", body = Case, headers(("ETag" = String))),
    sets::ReadErrors,
), security(("bearer" = [])))]
#[get("/cases/{id}")]
pub async fn get_case(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let case = state
        .db
        .audited_read(
            caller,
            Some((AuditObject::Case, id)),
            move |conn, who, trail| {
                let case = case_for(conn, who, id, Access::Read)?;
                trail.record(
                    AuditObject::Case,
                    AuditVerb::Read,
                    Some(id),
                    Some(case.data.lead_client_id),
                );
                Ok::<_, ApiError>(case)
            },
        )
        .await?;
    let version = case.version;
    Ok(ok_versioned(&Case::from(case), version))
}

/// Change a case
///
/// Replaces what the case is about: `client_ids` (lead first), municipality, target group,
/// legal domains, topics, intake facts; the intake rule is checked again (the rule now covering
/// the case's municipality and target group, see `GET /intake-rules`). Status and
/// assignment change through their own operations. Requires `If-Match`.
///
/// **Who may call:** `case_manager` (assigned or deputy).
#[utoipa::path(tag = "Cases", request_body = CaseInput,
    params(("id" = i64, Path, description = "Case id"), ("If-Match" = String, Header, description = "ETag of the version you edited")),
    responses((status = 200, description = "The case", body = Case, headers(("ETag" = String))), sets::ReplaceErrors),
    security(("bearer" = [])))]
#[put("/cases/{id}")]
pub async fn update_case(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: Json<CaseInput>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let input = body.into_inner();
    let rule = state.intake_rule.clone();
    let case = state
        .db
        .write_with(caller, move |conn, who| {
            let current = case_for(conn, who, id, Access::ReadWrite)?;
            let expected = if_match.version()?;
            // Judged against the day the case was really opened (recorded), not its opened_on.
            let days = IntakeDays { opened_on: current.opened_on, decided_on: current.created_at.date_naive(), backdate_limit: None };
            let rule = intake_rule_for(conn, input.municipality_id, input.target_group, &rule)?;
            let (other, intake) = check_input(&input, &rule, &days)?;
            if !input.clients.is_empty() || input.assigned_user_id.is_some() || input.deputy_user_id.is_some() || input.opened_on.is_some() {
                return Err(ApiError::rule("clients", "only `client_ids` and the case's facts change here; reassign through /reassign"));
            }
            let client_ids = input.client_ids.clone().unwrap_or_else(|| current.data.client_ids.clone());
            if client_ids.is_empty() {
                return Err(ApiError::rule("client_ids", "name at least one client"));
            }
            for client in &client_ids {
                if !current.data.client_ids.contains(client) {
                    client_for(conn, who, *client, Access::Read).map_err(|_| ApiError::reference("client_ids", format!("client {client}: no such client, or you may not see it")))?;
                }
            }
            let data = input.case_data(client_ids, other);
            let case = store::update(conn, &who.actor(), id, expected, &data, &intake)?;
            audit_case(conn, who, AuditVerb::Update, &case)?;
            Ok(case)
        })
        .await?;
    let version = case.version;
    Ok(ok_versioned(&Case::from(case), version))
}

/// A move of a case in its lifecycle.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"to": "closed", "close_reason": "goals_achieved", "effective_on": "2026-11-20"}))]
pub struct CaseTransitionBody {
    pub to: CaseStatus,
    /// Required when closing.
    pub close_reason: Option<CloseReason>,
    /// Required to reopen and to close with reason `other`.
    #[schema(max_length = 2000)]
    pub reason: Option<String>,
    /// When the move took effect (default today); not before the current status began.
    pub effective_on: Option<NaiveDate>,
}

/// Change the case's status
///
/// intake → active ⇄ paused → closed (closing needs a close reason: goals achieved, handed
/// over, moved away, no contact, declined, other); an intake may also close (e.g. declined);
/// closed → active reopens (with a reason). Other moves answer 409 naming the allowed ones.
/// Every move is dated and kept with its actor. Requires `If-Match`.
///
/// **Who may call:** `case_manager` (assigned or deputy).
#[utoipa::path(tag = "Cases", request_body = CaseTransitionBody,
    params(("id" = i64, Path, description = "Case id"), ("If-Match" = String, Header, description = "ETag of the version you saw")),
    responses((status = 200, description = "The case in its new status", body = Case, headers(("ETag" = String))), sets::ReplaceErrors),
    security(("bearer" = [])))]
#[post("/cases/{id}/transitions")]
pub async fn transition_case(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: Json<CaseTransitionBody>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let input = body.into_inner();
    let case = state
        .db
        .write_with(caller, move |conn, who| {
            let current = case_for(conn, who, id, Access::ReadWrite)?;
            let expected = if_match.version()?;
            let change = check_case_transition(
                current.status,
                input.to,
                &CaseTransitionInput {
                    close_reason: input.close_reason,
                    reason: input.reason.as_deref(),
                },
            )?;
            let on = input
                .effective_on
                .unwrap_or_else(|| Utc::now().date_naive());
            let case = store::transition(conn, &who.actor(), id, expected, &change, on)?;
            audit_case(conn, who, AuditVerb::Transition, &case)?;
            Ok::<_, ApiError>(case)
        })
        .await?;
    let version = case.version;
    Ok(ok_versioned(&Case::from(case), version))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"assigned_user_id": 7, "deputy_user_id": null, "reason": "parental leave"}))]
pub struct ReassignBody {
    pub assigned_user_id: i64,
    pub deputy_user_id: Option<i64>,
    #[schema(max_length = 2000)]
    pub reason: Option<String>,
}

/// Reassign a case
///
/// Gives the case to another case manager (and deputy). Both must be active accounts with a
/// role that works cases, and the deputy someone other than the case manager (422 otherwise).
/// Requires `If-Match`.
///
/// **Who may call:** `cm_coordinator`.
#[utoipa::path(tag = "Cases", request_body = ReassignBody,
    params(("id" = i64, Path, description = "Case id"), ("If-Match" = String, Header, description = "ETag of the version you saw")),
    responses((status = 200, description = "The case", body = Case, headers(("ETag" = String))), sets::ReplaceErrors),
    security(("bearer" = [])))]
#[post("/cases/{id}/reassign")]
pub async fn reassign_case(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: Json<ReassignBody>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let input = body.into_inner();
    let case = state
        .db
        .write_with(caller, move |conn, who| {
            case_for(conn, who, id, Access::Read)?;
            if !may_reassign_cases(&who.principal) {
                return Err(ApiError::Forbidden(
                    "only the CM coordination reassigns cases".into(),
                ));
            }
            let expected = if_match.version()?;
            check_deputy(input.assigned_user_id, input.deputy_user_id)?;
            check_case_workers(conn, input.assigned_user_id, input.deputy_user_id)?;
            let reason = trimmed(input.reason);
            let case = store::reassign(
                conn,
                &who.actor(),
                id,
                expected,
                input.assigned_user_id,
                input.deputy_user_id,
                reason.as_deref(),
            )?;
            audit_case(conn, who, AuditVerb::Reassign, &case)?;
            Ok::<_, ApiError>(case)
        })
        .await?;
    let version = case.version;
    Ok(ok_versioned(&Case::from(case), version))
}

/// Case history
///
/// Every status move, update and reassignment, oldest first, dated with its actor.
///
/// **Who may call:** `case_manager` (assigned or deputy), `cm_coordinator`.
#[utoipa::path(tag = "Cases", params(("id" = i64, Path, description = "Case id")), responses(
    (status = 200, description = "The history", body = Vec<CaseEvent>),
    sets::ReadErrors,
), security(("bearer" = [])))]
#[get("/cases/{id}/history")]
pub async fn case_history(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<web::Json<Vec<CaseEvent>>, ApiError> {
    let id = id.into_inner();
    let events = state
        .db
        .write_with_denied(caller, (AuditObject::Case, id), move |conn, who| {
            let case = case_for(conn, who, id, Access::Read)?;
            audit_case(conn, who, AuditVerb::Read, &case)?;
            Ok::<_, ApiError>(store::history(conn, id)?)
        })
        .await?;
    Ok(web::Json(events))
}

/// The audit event of `verb` on `case`, naming its lead client.
fn audit_case(
    conn: &mut kim_store::DbConn,
    who: &Authenticated,
    verb: AuditVerb,
    case: &store::Case,
) -> Result<(), ApiError> {
    audit(
        conn,
        who,
        AuditObject::Case,
        verb,
        Some(case.id),
        Some(&case.lead_client_reference),
    )
}

/// One `list` audit event per case shown, naming its lead client.
fn record_listed(trail: &mut Trail, cases: &[store::Case]) {
    for case in cases {
        trail.record(
            AuditObject::Case,
            AuditVerb::List,
            Some(case.id),
            Some(case.data.lead_client_id),
        );
    }
}
