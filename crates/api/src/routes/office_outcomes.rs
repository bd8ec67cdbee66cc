//! Module 3 outcomes (Ergebnisse Baustein 3): quarterly counts of the immigration and
//! naturalisation offices, entered by their staff; no persons.

use actix_web::{get, post, put, web, HttpResponse};
use chrono::{DateTime, Utc};
use kim_domain::office_outcome::OutcomeCounts;
use kim_domain::Action;
use kim_store::office_outcomes::{self as store, OutcomeData, OutcomeFilter};
use kim_store::DbConn;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::auth::{Authenticated, Caller};
use crate::error::error_sets as sets;
use crate::http::body::Json;
use crate::http::paging::PageParams;
use crate::http::precondition::{created_versioned, ok_versioned, IfMatch};
use crate::routes::RouteTable;
use crate::server::AppState;
use crate::{page_type, ApiError};

pub fn configure(cfg: &mut impl RouteTable) {
    cfg.service(list_outcomes)
        .service(get_outcome)
        .service(create_outcome)
        .service(update_outcome);
}

fn checked(counts: OutcomeCounts) -> Result<OutcomeCounts, ApiError> {
    counts
        .check()
        .map_err(|errors| ApiError::Validation(errors.into_iter().map(Into::into).collect()))?;
    Ok(counts)
}

/// Ergebnisse einer Behörde in einem Quartal (module 3 outcomes of one office and quarter).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 3, "organisation_id": 31, "year": 2021, "quarter": 2,
    "counts": {"information_events": 2, "event_attendance": 45, "counselling_sessions": 60,
        "naturalisations_initiated": 30, "naturalisations_completed": 22, "residence_secured": 8,
        "opportunity_residence_procedures": 0},
    "version": 1, "created_at": "2026-11-30T07:00:00Z", "updated_at": "2026-11-30T07:00:00Z"
}))]
pub struct OfficeOutcome {
    pub id: i64,
    /// The office (Ausländer- or Einbürgerungsbehörde).
    pub organisation_id: i64,
    pub year: i32,
    pub quarter: i32,
    pub counts: OutcomeCounts,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<store::OfficeOutcome> for OfficeOutcome {
    fn from(o: store::OfficeOutcome) -> Self {
        OfficeOutcome {
            id: o.id,
            organisation_id: o.data.organisation_id,
            year: o.data.year,
            quarter: o.data.quarter,
            counts: o.data.counts,
            version: o.version,
            created_at: o.created_at,
            updated_at: o.updated_at,
        }
    }
}

page_type!(OfficeOutcomePage, OfficeOutcome);

/// The quarter to record for the caller's office, and its counts.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"year": 2021, "quarter": 2, "counts": {"information_events": 2, "event_attendance": 45,
    "counselling_sessions": 60, "naturalisations_initiated": 30, "naturalisations_completed": 22,
    "residence_secured": 8}}))]
pub struct OfficeOutcomeInput {
    #[validate(range(min = 2000, max = 2100, message = "must be between 2000 and 2100"))]
    #[schema(minimum = 2000, maximum = 2100)]
    pub year: i32,
    #[validate(range(min = 1, max = 4, message = "must be between 1 and 4"))]
    #[schema(minimum = 1, maximum = 4)]
    pub quarter: i32,
    pub counts: OutcomeCounts,
}

/// New counts of a recorded quarter (office, year and quarter stay).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"counts": {"information_events": 2, "event_attendance": 50, "counselling_sessions": 61}}))]
pub struct OfficeOutcomeUpdate {
    pub counts: OutcomeCounts,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OfficeOutcomeQuery {
    #[param(minimum = 2000, maximum = 2100)]
    pub year: Option<i32>,
    /// One office (the coordination; an office's staff see only their own anyway).
    pub organisation_id: Option<i64>,
}

/// Whose records `who` may read: every office's with `read_steering`, their own office's with
/// `record_office_outcomes`.
fn readable_office(conn: &mut DbConn, who: &Authenticated) -> Result<Option<i64>, ApiError> {
    if who.principal.may(Action::ReadSteering) {
        return Ok(None);
    }
    who.require(Action::RecordOfficeOutcomes)?;
    own_office(conn, who).map(Some)
}

/// The caller's office: their account's organisation (403 without one).
fn own_office(conn: &mut DbConn, who: &Authenticated) -> Result<i64, ApiError> {
    let organisation = match who.user_id() {
        Some(user_id) => kim_store::users::find(conn, user_id)?.organisation_id,
        None => None,
    };
    organisation.ok_or_else(|| {
        ApiError::Forbidden("your account belongs to no office; ask the administrator".into())
    })
}

/// A record `who` may read; another office's is 404 for an office's staff.
fn readable(
    conn: &mut DbConn,
    who: &Authenticated,
    id: i64,
) -> Result<store::OfficeOutcome, ApiError> {
    let office = readable_office(conn, who)?;
    let found = store::find(conn, id)?;
    match office {
        Some(own) if found.data.organisation_id != own => Err(ApiError::NotFound),
        _ => Ok(found),
    }
}

/// List module 3 outcomes
///
/// Quarterly counts of the immigration and naturalisation offices, by year, quarter and office.
/// An office's staff see their own office's only.
///
/// **Who may call:** `admin`, `ki_lead`, `coordinator`, `cm_coordinator`, `steering_member`,
/// `analyst`; `immigration_officer` (own office only).
#[utoipa::path(tag = "Module 3 outcomes", params(PageParams, OfficeOutcomeQuery), responses(
    (status = 200, description = "One page of records", body = OfficeOutcomePage),
    sets::ListErrors,
), security(("bearer" = [])))]
#[get("/office-outcomes")]
pub async fn list_outcomes(
    caller: Caller,
    state: web::Data<AppState>,
    paging: web::Query<PageParams>,
    query: web::Query<OfficeOutcomeQuery>,
) -> Result<web::Json<OfficeOutcomePage>, ApiError> {
    let page = paging.page()?;
    if query.year.is_some_and(|y| !(2000..=2100).contains(&y)) {
        return Err(ApiError::field("year", "must be between 2000 and 2100"));
    }
    let (year, organisation_id) = (query.year, query.organisation_id);
    let office_outcomes = state
        .db
        .read_with(caller, move |conn, who| {
            let own = readable_office(conn, who)?;
            let filter = OutcomeFilter {
                year,
                organisation_id: own.or(organisation_id),
            };
            if own.is_some() && organisation_id.is_some_and(|o| Some(o) != own) {
                // Another office's records are not the caller's to see: an empty list.
                return Ok(kim_store::Listed {
                    items: Vec::new(),
                    total: 0,
                });
            }
            Ok::<_, ApiError>(store::list(conn, filter, page)?)
        })
        .await?;
    Ok(web::Json(OfficeOutcomePage::new(office_outcomes, page)))
}

/// Get a module 3 record
///
/// **Who may call:** `admin`, `ki_lead`, `coordinator`, `cm_coordinator`, `steering_member`,
/// `analyst`; `immigration_officer` (own office only; others answer 404).
#[utoipa::path(tag = "Module 3 outcomes", params(("id" = i64, Path, description = "Record id")), responses(
    (status = 200, description = "The record", body = OfficeOutcome, headers(("ETag" = String))),
    sets::ReadErrors,
), security(("bearer" = [])))]
#[get("/office-outcomes/{id}")]
pub async fn get_outcome(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let office_outcome = state
        .db
        .read_with(caller, move |conn, who| readable(conn, who, id))
        .await?;
    let version = office_outcome.version;
    Ok(ok_versioned(&OfficeOutcome::from(office_outcome), version))
}

/// Record a quarter of one's office
///
/// For the caller's own office (their account's organisation). Counts from 0 to 1,000,000
/// (422 `schema`); attendance needs at least one information event (422 `rule`). One record per
/// office and quarter: a second is 409 (change the first with `PUT` and `If-Match`).
///
/// **Who may call:** `immigration_officer`.
#[utoipa::path(tag = "Module 3 outcomes", request_body = OfficeOutcomeInput, responses(
    (status = 201, description = "Recorded", body = OfficeOutcome, headers(("ETag" = String), ("Location" = String))),
    sets::CreateErrors,
), security(("bearer" = [])))]
#[post("/office-outcomes")]
pub async fn create_outcome(
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<OfficeOutcomeInput>,
) -> Result<HttpResponse, ApiError> {
    let input = body.into_inner();
    let office_outcome = state
        .db
        .write_with(caller, move |conn, who| {
            who.require(Action::RecordOfficeOutcomes)?;
            input.validate()?;
            let counts = checked(input.counts)?;
            let organisation_id = own_office(conn, who)?;
            Ok::<_, ApiError>(store::insert(
                conn,
                &OutcomeData {
                    organisation_id,
                    year: input.year,
                    quarter: input.quarter,
                    counts,
                },
            )?)
        })
        .await?;
    let (id, version) = (office_outcome.id, office_outcome.version);
    Ok(created_versioned(
        &OfficeOutcome::from(office_outcome),
        version,
        format!("/api/v1/office-outcomes/{id}"),
    ))
}

/// Change the counts of a quarter
///
/// Replaces the counts, with the same rules as on create; office, year and quarter stay.
/// Requires `If-Match`.
///
/// **Who may call:** `immigration_officer` (own office only; others answer 404).
#[utoipa::path(tag = "Module 3 outcomes", request_body = OfficeOutcomeUpdate,
    params(("id" = i64, Path, description = "Record id"), ("If-Match" = String, Header, description = "ETag of the version you edited")),
    responses(
    (status = 200, description = "The record", body = OfficeOutcome, headers(("ETag" = String))),
    sets::ReplaceErrors,
), security(("bearer" = [])))]
#[put("/office-outcomes/{id}")]
pub async fn update_outcome(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: Json<OfficeOutcomeUpdate>,
) -> Result<HttpResponse, ApiError> {
    let expected = if_match.version()?;
    let counts = body.into_inner().counts;
    let id = id.into_inner();
    let office_outcome = state
        .db
        .write_with(caller, move |conn, who| {
            who.require(Action::RecordOfficeOutcomes)?;
            let own = own_office(conn, who)?;
            if store::find(conn, id)?.data.organisation_id != own {
                return Err(ApiError::NotFound);
            }
            let counts = checked(counts)?;
            Ok(store::update_counts(conn, id, expected, &counts)?)
        })
        .await?;
    let version = office_outcome.version;
    Ok(ok_versioned(&OfficeOutcome::from(office_outcome), version))
}
