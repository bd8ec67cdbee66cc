//! Retention rules (Löschfristen) as data: read and changed by the data protection officer,
//! applied by `kim retention run` and daily by the server.

use actix_web::{get, put, web, HttpResponse};
use chrono::{DateTime, Utc};
use kim_domain::retention::{check_rule, Period, PeriodUnit, RecordType, RetentionAction, Rule};
use kim_domain::Action;
use kim_store::privacy::retention as store;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::error_sets as sets;
use crate::error::FieldError;
use crate::http::body::Json;
use crate::http::precondition::{ok_versioned, IfMatch};
use crate::routes::RouteTable;
use crate::server::AppState;
use crate::ApiError;

pub fn configure(cfg: &mut impl RouteTable) {
    cfg.service(list_rules).service(update_rule);
}

/// Löschregel (retention rule) of one record type.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"record_type": "closed_cases", "reference_date": "the day the case was closed (status since)",
    "period_amount": 3, "period_unit": "years", "action": "anonymise", "allowed_actions": ["anonymise"],
    "minimum_amount": 6, "minimum_unit": "months", "version": 1, "updated_by": null, "updated_at": "2026-11-29T10:00:00Z"}))]
pub struct RetentionRule {
    pub record_type: RecordType,
    /// What the period counts from (fixed per record type).
    pub reference_date: String,
    pub period_amount: u32,
    pub period_unit: PeriodUnit,
    pub action: RetentionAction,
    /// The actions this record type accepts.
    pub allowed_actions: Vec<RetentionAction>,
    /// The legal minimum (documented in README, "Data protection"): no shorter period is accepted.
    pub minimum_amount: u32,
    pub minimum_unit: PeriodUnit,
    pub version: i32,
    pub updated_by: Option<i64>,
    pub updated_at: DateTime<Utc>,
}

impl From<store::StoredRule> for RetentionRule {
    fn from(s: store::StoredRule) -> Self {
        let t = s.rule.record_type;
        RetentionRule {
            record_type: t,
            reference_date: t.reference_date().into(),
            period_amount: s.rule.period.amount,
            period_unit: s.rule.period.unit,
            action: s.rule.action,
            allowed_actions: t.allowed_actions().to_vec(),
            minimum_amount: t.minimum().amount,
            minimum_unit: t.minimum().unit,
            version: s.version,
            updated_by: s.updated_by,
            updated_at: s.updated_at,
        }
    }
}

/// The retention rules, one per record type.
#[derive(Debug, Serialize, ToSchema)]
pub struct RetentionRuleList {
    pub items: Vec<RetentionRule>,
}

/// List retention rules
///
/// One rule per record type: what the period counts from, the period, the action (delete or
/// anonymise) and the legal minimum. Legal holds win over every rule.
///
/// **Who may call:** `data_protection_officer`. Others: 403.
#[utoipa::path(tag = "Data protection", responses(
    (status = 200, description = "The rules", body = RetentionRuleList),
    (status = 401, response = crate::error::responses::Unauthorized),
    (status = 403, response = crate::error::responses::Forbidden),
    (status = 503, response = crate::error::responses::Unavailable),
), security(("bearer" = [])))]
#[get("/retention/rules")]
pub async fn list_rules(
    caller: Caller,
    state: web::Data<AppState>,
) -> Result<web::Json<RetentionRuleList>, ApiError> {
    let rules = state
        .db
        .read_as(caller, Action::ManageRetention, |conn, _| {
            store::rules(conn)
        })
        .await?;
    Ok(web::Json(RetentionRuleList {
        items: rules.into_iter().map(RetentionRule::from).collect(),
    }))
}

/// A changed rule.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"period_amount": 5, "period_unit": "years", "action": "anonymise"}))]
pub struct RetentionRuleInput {
    #[schema(minimum = 1)]
    pub period_amount: u32,
    pub period_unit: PeriodUnit,
    pub action: RetentionAction,
}

/// Change a retention rule
///
/// Sets the period and action of one record type. Requires `If-Match`. 422 for an unknown record
/// type, an action the type does not accept (closed cases are only anonymised) or a period below
/// the legal minimum (e.g. audit events under one year). Recorded in the audit trail.
///
/// **Who may call:** `data_protection_officer`. Others: 403.
#[utoipa::path(tag = "Data protection", request_body = RetentionRuleInput,
    params(("record_type" = RecordType, Path, description = "closed_cases, referral_drafts, ended_consents, idempotency_replays, login_failures, audit_events or declined_intake_requests"),
        ("If-Match" = String, Header, description = "ETag of the rule")),
    responses((status = 200, description = "The rule", body = RetentionRule, headers(("ETag" = String))), sets::ReplaceErrors),
    security(("bearer" = [])))]
#[put("/retention/rules/{record_type}")]
pub async fn update_rule(
    caller: Caller,
    state: web::Data<AppState>,
    record_type: web::Path<String>,
    if_match: IfMatch,
    body: Json<RetentionRuleInput>,
) -> Result<HttpResponse, ApiError> {
    let record_type = record_type.into_inner();
    let input = body.into_inner();
    let rule = state
        .db
        .write_with(caller, move |conn, who| {
            who.require(Action::ManageRetention)?;
            let record_type = RecordType::parse(&record_type)
                .map_err(|e| ApiError::field("record_type", e.to_string()))?;
            let rule = Rule {
                record_type,
                period: Period::new(input.period_amount, input.period_unit),
                action: input.action,
            };
            check_rule(&rule, kim_store::clock::now()).map_err(|errors| {
                ApiError::Validation(errors.into_iter().map(FieldError::from).collect())
            })?;
            let expected = if_match.version()?;
            Ok::<_, ApiError>(store::update(conn, &who.actor(), &rule, expected)?)
        })
        .await?;
    let version = rule.version;
    Ok(ok_versioned(&RetentionRule::from(rule), version))
}
