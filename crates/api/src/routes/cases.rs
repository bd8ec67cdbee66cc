//! Cases (Fälle): opening a case for one or more clients, the intake rule, the lifecycle,
//! reassignment, history and search. Only the assigned case manager, the deputy and the CM
//! coordination see a case; to everyone else it does not exist (404).

use crate::http::body::Json;
use crate::routes::RouteTable;
use actix_web::{get, post, put, web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use kim_domain::access::{
    case_scope, check_case_worker, check_deputy, may_open_cases, may_reassign_cases,
    opening_assignment, Access, CaseScope,
};
use kim_domain::audit::{AuditObject, AuditVerb};
use kim_domain::case::{
    check_case_transition, check_client_limit, check_clients_named, check_intake_source,
    check_other_case_management, CaseStatus, CaseTransitionInput, CloseReason, IntakeChannel,
    OtherCaseManagement, TargetGroup, Topic,
};
use kim_domain::eligibility::{
    check_arrival_date, check_opened_on, decide_intake, IntakeDecision, IntakeFacts,
};
use kim_domain::reference::LegalDomain;
use kim_store::cases::{self as store, CaseData, CaseFilter, CaseSort, Intake};
use kim_store::clients::{self, NamedClient};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::clients::ClientInput;
use super::trimmed;
use crate::auth::{Authenticated, Caller};
use crate::case_access::{audit, case_for, client_for, Trail};
use crate::error::error_sets as sets;
use crate::error::{invalid_fields, FieldError, OrUnknown};
use crate::http::paging::{parse_sort, PageParams};
use crate::http::precondition::{created_versioned, ok_versioned, IfMatch};
use crate::server::AppState;
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

/// Fall (case): one or more clients worked with across legal domains.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": 3, "client_ids": [12, 13], "lead_client_id": 12, "lead_client_reference": "K-2026-000012",
    "assigned_user_id": 5, "deputy_user_id": null, "municipality_id": 17, "target_group": "new_arrivals",
    "legal_domains": ["sgb_ii", "aufenthg"], "topics": ["language", "work"], "intake_channel": "self_referral",
    "referring_organisation_id": null, "arrived_on": "2025-03-01", "other_case_management": ["none"],
    "eligible": true, "eligibility_justification": null, "status": "active", "status_since": "2026-01-10",
    "close_reason": null, "opened_on": "2026-01-05", "allowed_transitions": ["paused", "closed"], "version": 2,
    "created_at": "2026-11-25T10:00:00Z", "updated_at": "2026-11-25T10:00:00Z"}))]
pub struct Case {
    pub id: i64,
    pub client_ids: Vec<i64>,
    pub lead_client_id: i64,
    pub lead_client_reference: String,
    /// Fallverantwortliche/r (case manager).
    pub assigned_user_id: i64,
    /// Vertretung (deputy).
    pub deputy_user_id: Option<i64>,
    pub municipality_id: i64,
    pub target_group: TargetGroup,
    pub legal_domains: Vec<LegalDomain>,
    pub topics: Vec<Topic>,
    pub intake_channel: IntakeChannel,
    pub referring_organisation_id: Option<i64>,
    /// Einreisedatum (date of arrival in Germany).
    pub arrived_on: Option<NaiveDate>,
    pub other_case_management: Vec<OtherCaseManagement>,
    /// Within the intake rule; otherwise opened as an exception with the justification.
    pub eligible: bool,
    pub eligibility_justification: Option<String>,
    pub status: CaseStatus,
    pub status_since: NaiveDate,
    pub close_reason: Option<CloseReason>,
    pub opened_on: NaiveDate,
    pub allowed_transitions: Vec<CaseStatus>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<store::Case> for Case {
    fn from(c: store::Case) -> Self {
        Case {
            id: c.id,
            client_ids: c.data.client_ids,
            lead_client_id: c.data.lead_client_id,
            lead_client_reference: c.lead_client_reference,
            assigned_user_id: c.assigned_user_id,
            deputy_user_id: c.deputy_user_id,
            municipality_id: c.data.municipality_id,
            target_group: c.data.target_group,
            legal_domains: c.data.legal_domains,
            topics: c.data.topics,
            intake_channel: c.data.intake_channel,
            referring_organisation_id: c.data.referred_by_organisation_id,
            arrived_on: c.data.arrived_on,
            other_case_management: c.data.other_case_management,
            eligible: c.eligible,
            eligibility_justification: c.eligibility_justification,
            allowed_transitions: c.status.allowed_next().to_vec(),
            status: c.status,
            status_since: c.status_since,
            close_reason: c.close_reason,
            opened_on: c.opened_on,
            version: c.version,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

page_type!(CasePage, Case);

/// A client of a new case: an existing one by id, or a new one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum CaseClient {
    Existing {
        /// An existing client the caller may see.
        id: i64,
    },
    New(ClientInput),
}

/// What the case is about; on opening also its clients and who works it.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "clients": [{"given_name": "Amina", "birth_year": 1990, "municipality_id": 17, "languages": ["ar"]},
                {"given_name": "Omar", "birth_year": 2019, "municipality_id": 17}],
    "municipality_id": 17, "target_group": "new_arrivals", "legal_domains": ["sgb_ii", "aufenthg"],
    "topics": ["language", "childcare"], "intake_channel": "self_referral", "arrived_on": "2025-03-01",
    "other_case_management": ["none"]
}))]
pub struct CaseInput {
    /// On opening: the clients, the first is the lead client (a family case: parent first).
    /// On update: omit, and give `client_ids` instead.
    #[serde(default)]
    #[schema(max_items = 20)]
    pub clients: Vec<CaseClient>,
    /// On update: the case's clients by id, the lead client first.
    pub client_ids: Option<Vec<i64>>,
    pub municipality_id: i64,
    pub target_group: TargetGroup,
    #[serde(default)]
    pub legal_domains: Vec<LegalDomain>,
    #[serde(default)]
    pub topics: Vec<Topic>,
    pub intake_channel: IntakeChannel,
    /// Required when `intake_channel` is `referred_by_organisation`.
    pub referring_organisation_id: Option<i64>,
    pub arrived_on: Option<NaiveDate>,
    /// Other case management already in place, or `["none"]`.
    #[schema(min_items = 1)]
    pub other_case_management: Vec<OtherCaseManagement>,
    /// Required when the case is outside the intake rule; refused when it is inside.
    #[validate(length(max = 2000, message = "must be at most 2000 characters"))]
    #[schema(max_length = 2000)]
    pub justification: Option<String>,
    /// On opening: the case manager (default: the caller). Only the CM coordination (who may
    /// reassign cases) names someone else; they must hold a role that works cases.
    pub assigned_user_id: Option<i64>,
    /// On opening: the deputy (Vertretung). Only the CM coordination names one (otherwise 422);
    /// someone other than the case manager, with a role that works cases.
    pub deputy_user_id: Option<i64>,
    /// On opening: the opening date (default today); not in the future and at most
    /// `KIM_CASE_BACKDATE_MAX_DAYS` (default 31) days in the past. The intake rule is judged
    /// against the day the case is really opened (today), whatever this says.
    pub opened_on: Option<NaiveDate>,
}

/// The days a case's checks look at.
struct IntakeDays {
    /// The recorded opening date, which the arrival date may not follow.
    opened_on: NaiveDate,
    /// The day the case is really opened, which the intake rule is judged on.
    decided_on: NaiveDate,
    /// On opening: how far `opened_on` may lie before `decided_on` (today).
    backdate_limit: Option<u32>,
}

/// The checks that need no database: fields, opening date, intake source, other case
/// management, the rule.
fn check_input(
    input: &CaseInput,
    rule: &kim_domain::eligibility::EligibilityRule,
    days: &IntakeDays,
) -> Result<(Vec<OtherCaseManagement>, Intake), ApiError> {
    let IntakeDays {
        opened_on,
        decided_on,
        backdate_limit,
    } = *days;
    let mut errors: Vec<FieldError> = invalid_fields(&input);
    let mut push = |e: kim_domain::field::FieldError| errors.push(FieldError::from(e));
    if let Err(e) = check_client_limit(input.clients.len()) {
        push(e);
    }
    if let Some(limit) = backdate_limit {
        if let Err(e) = check_opened_on(opened_on, decided_on, limit) {
            push(e);
        }
    }
    if let Err(e) = check_intake_source(input.intake_channel, input.referring_organisation_id) {
        push(e);
    }
    let other = match check_other_case_management(&input.other_case_management) {
        Ok(other) => other,
        Err(e) => {
            push(e);
            Vec::new()
        }
    };
    if let Some(arrived) = input.arrived_on {
        if let Err(e) = check_arrival_date(arrived, opened_on) {
            push(e);
        }
    }
    let eligibility = rule.evaluate(&IntakeFacts {
        arrived_on: input.arrived_on,
        other_case_management: &other,
        decided_on,
    });
    let intake = match decide_intake(eligibility, input.justification.as_deref()) {
        Ok(IntakeDecision::Regular) => Intake {
            eligible: true,
            justification: None,
        },
        Ok(IntakeDecision::Exception { justification, .. }) => Intake {
            eligible: false,
            justification: Some(justification),
        },
        Err(e) => {
            push(e);
            Intake {
                eligible: true,
                justification: None,
            }
        }
    };
    if !errors.is_empty() {
        errors.sort_by(|a, b| a.field.cmp(&b.field));
        return Err(ApiError::Validation(errors));
    }
    Ok((other, intake))
}

/// The intake rule a case opened in `municipality_id` for `target_group` is judged by: the most
/// specific stored rule covering it (`GET /intake-rules`); `configured` (`KIM_INTAKE_*`) only
/// when not even a default rule is stored, which the first start writes.
fn intake_rule_for(
    conn: &mut kim_store::DbConn,
    municipality_id: i64,
    target_group: TargetGroup,
    configured: &kim_domain::eligibility::EligibilityRule,
) -> Result<kim_domain::eligibility::EligibilityRule, ApiError> {
    let rules = kim_store::intake_rules::covering(conn, municipality_id)?;
    Ok(
        kim_domain::intake_rule::applicable_rule(&rules, municipality_id, target_group)
            .cloned()
            .unwrap_or_else(|| configured.clone()),
    )
}

/// The case manager and deputy a case is given to must be active accounts whose role works
/// cases (422 naming the field otherwise).
fn check_case_workers(
    conn: &mut kim_store::DbConn,
    assigned: i64,
    deputy: Option<i64>,
) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    for (field, user) in [
        ("assigned_user_id", Some(assigned)),
        ("deputy_user_id", deputy),
    ] {
        let Some(user) = user else { continue };
        match kim_store::users::active_role(conn, user)? {
            None => errors.push(FieldError::reference(
                field,
                format!("no active user with id {user}"),
            )),
            Some(role) => {
                if let Err(e) = check_case_worker(field, user, role) {
                    errors.push(FieldError::from(e));
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(errors))
    }
}

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

/// Opens a case as `who` (user `me`): the checks of the case rules, the assignment, the
/// clients (new ones created, existing ones visible to the caller), the case and the audit
/// events of each; in the caller's transaction. `POST /cases` and the acceptance of an intake
/// request (`POST /intake-requests/{id}/accept`) both open cases through it, so every case
/// rule holds for both.
pub(crate) fn open_in(
    conn: &mut kim_store::DbConn,
    who: &Authenticated,
    me: i64,
    input: CaseInput,
    rule: &kim_domain::eligibility::EligibilityRule,
    today: NaiveDate,
    backdate_limit: u32,
) -> Result<store::Case, ApiError> {
    let year = chrono::Datelike::year(&today);
    let opened_on = input.opened_on.unwrap_or(today);
    let days = IntakeDays {
        opened_on,
        decided_on: today,
        backdate_limit: Some(backdate_limit),
    };
    let rule = intake_rule_for(conn, input.municipality_id, input.target_group, rule)?;
    let (other, intake) = check_input(&input, &rule, &days)?;
    check_clients_named(input.clients.len())?;
    if input.client_ids.is_some() {
        return Err(ApiError::rule(
            "client_ids",
            "is for updates; on opening give `clients`",
        ));
    }
    let (assigned, deputy) = opening_assignment(
        &who.principal,
        me,
        input.assigned_user_id,
        input.deputy_user_id,
    )?;
    check_case_workers(conn, assigned, deputy)?;
    let mut named = Vec::with_capacity(input.clients.len());
    for (index, client) in input.clients.into_iter().enumerate() {
        named.push(match client {
            CaseClient::Existing { id } => {
                client_for(conn, who, id, Access::Read).or_unknown(
                    "clients",
                    format!("client {id}: no such client, or you may not see it"),
                )?;
                NamedClient::Existing(id)
            }
            CaseClient::New(new) => NamedClient::New(
                new.into_data(&format!("clients[{index}]."))
                    .map_err(ApiError::Validation)?,
            ),
        });
    }
    let organisation = kim_store::users::find(conn, me)?.organisation_id;
    let (client_ids, created) = clients::resolve_named(conn, &named, organisation, Some(me), year)?;
    for client in &created {
        audit(
            conn,
            who,
            AuditObject::Client,
            AuditVerb::Create,
            Some(client.id),
            Some(&client.reference),
        )?;
    }
    let data = CaseData {
        lead_client_id: client_ids[0],
        client_ids,
        municipality_id: input.municipality_id,
        target_group: input.target_group,
        legal_domains: input.legal_domains,
        topics: input.topics,
        intake_channel: input.intake_channel,
        referred_by_organisation_id: input.referring_organisation_id,
        arrived_on: input.arrived_on,
        other_case_management: other,
    };
    let case = store::insert(
        conn,
        &who.actor(),
        &data,
        assigned,
        deputy,
        &intake,
        opened_on,
    )?;
    audit(
        conn,
        who,
        AuditObject::Case,
        AuditVerb::Create,
        Some(case.id),
        Some(&case.lead_client_reference),
    )?;
    Ok(case)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CaseQuery {
    pub status: Option<CaseStatus>,
    pub municipality_id: Option<i64>,
    pub target_group: Option<TargetGroup>,
    pub legal_domain: Option<LegalDomain>,
    /// Cases of this case manager.
    pub assigned_user_id: Option<i64>,
    /// Opened on or after this day.
    pub opened_from: Option<NaiveDate>,
    pub opened_to: Option<NaiveDate>,
    /// Closed on or after this day (closed cases only).
    pub closed_from: Option<NaiveDate>,
    pub closed_to: Option<NaiveDate>,
    /// Cases of the client with this reference.
    pub client_reference: Option<String>,
    /// `false`: the exceptions to the intake rule.
    pub eligible: Option<bool>,
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
    for case in &listed.items {
        trail.record(
            AuditObject::Case,
            AuditVerb::List,
            Some(case.id),
            Some(case.data.lead_client_id),
        );
    }
    Ok(CasePage::new(listed, page))
}

/// Search cases
///
/// The cases the caller may see (a case manager: assigned or deputised; the CM coordination:
/// all), filtered and paged, newest first unless `sort` says otherwise. Invisible cases are
/// neither listed nor counted. Each case listed is recorded in the audit trail.
///
/// **Who may call:** `case_manager` (own cases), `cm_coordinator` (all). Others: 403.
#[utoipa::path(tag = "Cases", params(PageParams, CaseQuery), responses(
    (status = 200, description = "One page of cases", body = CasePage),
    sets::ListErrors,
), security(("bearer" = [])))]
#[get("/cases")]
pub async fn list_cases(
    caller: Caller,
    state: web::Data<AppState>,
    paging: web::Query<PageParams>,
    query: web::Query<CaseQuery>,
) -> Result<web::Json<CasePage>, ApiError> {
    let page = paging.page()?;
    let q = query.into_inner();
    let (sort, direction) = parse_sort(
        q.sort.as_deref(),
        (CaseSort::OpenedOn, kim_store::Direction::Desc),
        SORT_FIELDS,
    )?;
    let filter = CaseFilter {
        status: q.status,
        municipality_id: q.municipality_id,
        target_group: q.target_group,
        legal_domain: q.legal_domain,
        assigned_user_id: q.assigned_user_id,
        opened_from: q.opened_from,
        opened_to: q.opened_to,
        closed_from: q.closed_from,
        closed_to: q.closed_to,
        client_reference: trimmed(q.client_reference),
        eligible: q.eligible,
        open: false,
    };
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
            for case in &listed.items {
                trail.record(
                    AuditObject::Case,
                    AuditVerb::List,
                    Some(case.id),
                    Some(case.data.lead_client_id),
                );
            }
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
            let client_ids = input.client_ids.unwrap_or_else(|| current.data.client_ids.clone());
            let Some(lead) = client_ids.first().copied() else {
                return Err(ApiError::rule("client_ids", "name at least one client"));
            };
            for client in &client_ids {
                if !current.data.client_ids.contains(client) {
                    client_for(conn, who, *client, Access::Read).map_err(|_| ApiError::reference("client_ids", format!("client {client}: no such client, or you may not see it")))?;
                }
            }
            let data = CaseData {
                lead_client_id: lead,
                client_ids,
                municipality_id: input.municipality_id,
                target_group: input.target_group,
                legal_domains: input.legal_domains,
                topics: input.topics,
                intake_channel: input.intake_channel,
                referred_by_organisation_id: input.referring_organisation_id,
                arrived_on: input.arrived_on,
                other_case_management: other,
            };
            let case = store::update(conn, &who.actor(), id, expected, &data, &intake)?;
            audit(conn, who, AuditObject::Case, AuditVerb::Update, Some(id), Some(&case.lead_client_reference))?;
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
            audit(
                conn,
                who,
                AuditObject::Case,
                AuditVerb::Transition,
                Some(id),
                Some(&case.lead_client_reference),
            )?;
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
            audit(
                conn,
                who,
                AuditObject::Case,
                AuditVerb::Reassign,
                Some(id),
                Some(&case.lead_client_reference),
            )?;
            Ok::<_, ApiError>(case)
        })
        .await?;
    let version = case.version;
    Ok(ok_versioned(&Case::from(case), version))
}

/// One entry of a case's history.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseEvent {
    /// `opened`, `updated`, `status` or `reassigned`.
    pub kind: String,
    pub from_status: Option<CaseStatus>,
    pub to_status: Option<CaseStatus>,
    pub close_reason: Option<CloseReason>,
    pub reason: Option<String>,
    pub occurred_on: NaiveDate,
    pub occurred_at: DateTime<Utc>,
    pub actor_id: Option<i64>,
}

impl From<store::CaseEvent> for CaseEvent {
    fn from(e: store::CaseEvent) -> Self {
        CaseEvent {
            kind: e.kind,
            from_status: e.from_status,
            to_status: e.to_status,
            close_reason: e.close_reason,
            reason: e.reason,
            occurred_on: e.occurred_on,
            occurred_at: e.occurred_at,
            actor_id: e.actor_id,
        }
    }
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
            audit(
                conn,
                who,
                AuditObject::Case,
                AuditVerb::Read,
                Some(id),
                Some(&case.lead_client_reference),
            )?;
            Ok::<_, ApiError>(store::history(conn, id)?)
        })
        .await?;
    Ok(web::Json(events.into_iter().map(CaseEvent::from).collect()))
}
