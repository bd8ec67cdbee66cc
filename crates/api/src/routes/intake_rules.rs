//! Intake rules (Aufnahmekriterien, örtliche Schwerpunkte): the county's default rule and the
//! rules agreed locally per municipality and target group, maintained by the CM coordination and
//! evaluated when a case is opened (the most specific covering rule wins; see
//! `kim_domain::intake_rule`).

use actix_web::{delete, get, post, put, web, HttpResponse};
use chrono::{DateTime, Utc};
use kim_domain::case::TargetGroup;
use kim_domain::eligibility::EligibilityRule;
use kim_domain::intake_rule::RuleScope;
use kim_domain::Action;
use kim_store::intake_rules::{self as store, RuleData, RuleFilter};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::trimmed;
use crate::auth::Caller;
use crate::error::error_sets as sets;
use crate::http::body::Json;
use crate::http::paging::PageParams;
use crate::http::precondition::{created_versioned, ok_versioned, IfMatch};
use crate::routes::RouteTable;
use crate::server::AppState;
use crate::{page_type, ApiError};

pub fn configure(cfg: &mut impl RouteTable) {
    cfg.service(list_intake_rules)
        .service(get_intake_rule)
        .service(create_intake_rule)
        .service(update_intake_rule)
        .service(delete_intake_rule);
}

/// Where a rule applies.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IntakeRuleScope {
    /// The county's default rule (no municipality, no target group).
    Default,
    /// Every case of one municipality.
    Municipality,
    /// The cases of one target group in one municipality.
    MunicipalityTargetGroup,
}

/// Aufnahmekriterium (intake rule): how long after arrival a case may be opened without a
/// justification, and whether other case management involved needs one.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 2, "scope": "municipality", "municipality_id": 9, "target_group": null,
    "max_years_since_arrival": 5, "exclude_other_case_management": true,
    "note": "Örtlicher Schwerpunkt: Familiennachzug", "version": 1,
    "created_at": "2026-11-30T07:00:00Z", "updated_at": "2026-11-30T07:00:00Z"
}))]
pub struct IntakeRule {
    pub id: i64,
    pub scope: IntakeRuleScope,
    /// `null` for the default rule.
    pub municipality_id: Option<i64>,
    /// The case's target group (Zielgruppe) the rule is for; `null` for every target group.
    pub target_group: Option<TargetGroup>,
    pub max_years_since_arrival: u32,
    pub exclude_other_case_management: bool,
    pub note: Option<String>,
    /// Send as `If-Match` when changing; also the `ETag`.
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<store::IntakeRule> for IntakeRule {
    fn from(r: store::IntakeRule) -> Self {
        IntakeRule {
            id: r.id,
            scope: match r.scope {
                RuleScope::Default => IntakeRuleScope::Default,
                RuleScope::Municipality(_) => IntakeRuleScope::Municipality,
                RuleScope::MunicipalityTargetGroup(..) => IntakeRuleScope::MunicipalityTargetGroup,
            },
            municipality_id: r.scope.municipality_id(),
            target_group: r.scope.target_group(),
            max_years_since_arrival: r.data.rule.max_years_since_arrival,
            exclude_other_case_management: r.data.rule.exclude_other_case_management,
            note: r.data.note,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

page_type!(IntakeRulePage, IntakeRule);

/// What a rule says (on create together with where it applies; on PUT alone).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"max_years_since_arrival": 5, "exclude_other_case_management": false,
    "note": "Örtlicher Schwerpunkt"}))]
pub struct IntakeRuleUpdate {
    /// Years after arrival (Einreise) a case may still be opened without a justification; the
    /// anniversary itself is within. 0 to 50.
    #[validate(range(min = 1, max = 50, message = "must be between 1 and 50"))]
    #[schema(minimum = 1, maximum = 50)]
    pub max_years_since_arrival: u32,
    /// Whether a client already served by another case management needs a justification.
    pub exclude_other_case_management: bool,
    /// Why the rule was agreed; at most 2000 characters.
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    pub note: Option<String>,
}

impl IntakeRuleUpdate {
    fn into_data(self) -> Result<RuleData, ApiError> {
        self.validate()?;
        Ok(RuleData {
            rule: EligibilityRule {
                max_years_since_arrival: self.max_years_since_arrival,
                exclude_other_case_management: self.exclude_other_case_management,
            },
            note: trimmed(self.note),
        })
    }
}

/// A local rule: for a municipality, or for one target group in it.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"municipality_id": 9, "target_group": "multilingual_children_with_language_disorders",
    "max_years_since_arrival": 10, "exclude_other_case_management": false}))]
pub struct IntakeRuleInput {
    /// The municipality the rule is agreed for (422 `reference` when unknown).
    pub municipality_id: i64,
    /// Only the cases of this target group; absent for every target group of the municipality.
    pub target_group: Option<TargetGroup>,
    #[validate(range(min = 1, max = 50, message = "must be between 1 and 50"))]
    #[schema(minimum = 1, maximum = 50)]
    pub max_years_since_arrival: u32,
    pub exclude_other_case_management: bool,
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    pub note: Option<String>,
}

/// List intake rules
///
/// The default rule first, then the local rules by municipality and target group. When a case
/// is opened (`POST /cases`, or accepting an intake request) the most specific rule covering it
/// judges it: the rule of its municipality and target group, else its municipality's rule,
/// else the default rule.
///
/// **Who may call:** every authenticated person and partner token.
#[utoipa::path(tag = "Intake rules", params(PageParams, RuleFilter), responses(
    (status = 200, description = "One page of rules", body = IntakeRulePage),
    sets::ListErrors,
), security(("bearer" = [])))]
#[get("/intake-rules")]
pub async fn list_intake_rules(
    caller: Caller,
    state: web::Data<AppState>,
    paging: web::Query<PageParams>,
    filter: web::Query<RuleFilter>,
) -> Result<web::Json<IntakeRulePage>, ApiError> {
    let page = paging.page()?;
    let filter = filter.into_inner();
    let intake_rules = state
        .db
        .read_as(caller, Action::ReadReferenceData, move |conn, _| {
            store::list(conn, filter, page)
        })
        .await?;
    Ok(web::Json(IntakeRulePage::new(intake_rules, page)))
}

/// Get an intake rule
///
/// **Who may call:** every authenticated person and partner token.
#[utoipa::path(tag = "Intake rules", params(("id" = i64, Path, description = "Rule id")), responses(
    (status = 200, description = "The rule", body = IntakeRule, headers(("ETag" = String))),
    sets::ReadErrors,
), security(("bearer" = [])))]
#[get("/intake-rules/{id}")]
pub async fn get_intake_rule(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let intake_rule_id = id.into_inner();
    let intake_rule = state
        .db
        .read_as(caller, Action::ReadReferenceData, move |conn, _| {
            store::find(conn, intake_rule_id)
        })
        .await?;
    let version = intake_rule.version;
    Ok(ok_versioned(&IntakeRule::from(intake_rule), version))
}

/// Add a local intake rule
///
/// For a municipality (every target group) or for one target group in it. One rule per
/// municipality and one per municipality and target group: a second is 409 (change the first
/// with `PUT`). The default rule exists from the first start (seeded from
/// `KIM_INTAKE_MAX_YEARS_SINCE_ARRIVAL` and `KIM_INTAKE_EXCLUDE_OTHER_CASE_MANAGEMENT`) and is
/// changed with `PUT`, not added.
///
/// **Who may call:** `cm_coordinator`.
#[utoipa::path(tag = "Intake rules", request_body = IntakeRuleInput, responses(
    (status = 201, description = "Added", body = IntakeRule, headers(("ETag" = String), ("Location" = String))),
    sets::CreateErrors,
), security(("bearer" = [])))]
#[post("/intake-rules")]
pub async fn create_intake_rule(
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<IntakeRuleInput>,
) -> Result<HttpResponse, ApiError> {
    let intake_rule = state
        .db
        .write_as(caller, Action::ManageIntakeRules, move |conn, _| {
            let input = body.into_inner();
            let scope = RuleScope::Municipality(input.municipality_id);
            let scope = match input.target_group {
                Some(group) => RuleScope::MunicipalityTargetGroup(input.municipality_id, group),
                None => scope,
            };
            let data = IntakeRuleUpdate {
                max_years_since_arrival: input.max_years_since_arrival,
                exclude_other_case_management: input.exclude_other_case_management,
                note: input.note,
            }
            .into_data()?;
            Ok(store::insert(conn, scope, &data)?)
        })
        .await?;
    let (id, version) = (intake_rule.id, intake_rule.version);
    Ok(created_versioned(
        &IntakeRule::from(intake_rule),
        version,
        format!("/api/v1/intake-rules/{id}"),
    ))
}

/// Change an intake rule
///
/// Replaces what the rule says (years, other case management, note); where it applies stays
/// (delete and add to move a local rule). The default rule is changed here too. Cases already
/// opened keep how they were judged. Requires `If-Match`.
///
/// **Who may call:** `cm_coordinator`.
#[utoipa::path(tag = "Intake rules", request_body = IntakeRuleUpdate,
    params(("id" = i64, Path, description = "Rule id"), ("If-Match" = String, Header, description = "ETag of the version you edited")),
    responses(
    (status = 200, description = "The rule", body = IntakeRule, headers(("ETag" = String))),
    sets::ReplaceErrors,
), security(("bearer" = [])))]
#[put("/intake-rules/{id}")]
pub async fn update_intake_rule(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: Json<IntakeRuleUpdate>,
) -> Result<HttpResponse, ApiError> {
    let intake_rule_id = id.into_inner();
    let intake_rule = state
        .db
        .write_as(caller, Action::ManageIntakeRules, move |conn, _| {
            let expected = if_match.version()?;
            let data = body.into_inner().into_data()?;
            Ok(store::update(conn, intake_rule_id, expected, &data)?)
        })
        .await?;
    let version = intake_rule.version;
    Ok(ok_versioned(&IntakeRule::from(intake_rule), version))
}

/// Delete a local intake rule
///
/// The municipality's cases are then judged by the next less specific rule. The default rule
/// cannot be deleted (409). Requires `If-Match`.
///
/// **Who may call:** `cm_coordinator`.
#[utoipa::path(tag = "Intake rules",
    params(("id" = i64, Path, description = "Rule id"), ("If-Match" = String, Header, description = "ETag of the current version")),
    responses(
    (status = 204, description = "Deleted"),
    sets::DeleteErrors,
), security(("bearer" = [])))]
#[delete("/intake-rules/{id}")]
pub async fn delete_intake_rule(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let intake_rule_id = id.into_inner();
    state
        .db
        .write_as(caller, Action::ManageIntakeRules, move |conn, _| {
            Ok(store::delete(conn, intake_rule_id, if_match.version()?)?)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
