//! Funding (Förderung): the year's funding per module and position, and the rates behind it.

use crate::http::body::Json;
use crate::routes::RouteTable;
use actix_web::{delete, get, post, put, web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use kim_domain::funding::{self, check_basis, FundingItem, Rate, RateBasis};
use kim_domain::staffing::{Module, PositionFunction, StaffingPhase};
use kim_domain::Action;
use kim_store::funding_rates::{self, StoredRate};
use kim_store::positions;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::trimmed;
use crate::auth::Caller;
use crate::error::error_sets as sets;
use crate::error::responses as err;
use crate::http::precondition::{created_versioned, ok_versioned, IfMatch};
use crate::server::AppState;
use crate::views::funding::{funding_inputs, FundingFigures, ModuleFunding};
use crate::ApiError;

pub fn configure(cfg: &mut impl RouteTable) {
    cfg.service(funding_overview)
        .service(funding_by_position)
        .service(list_rates)
        .service(create_rate)
        .service(update_rate)
        .service(delete_rate);
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct YearQuery {
    /// The funding year, 2000 to 2100; default the current year.
    #[param(minimum = 2000, maximum = 2100, example = 2021)]
    pub year: Option<i32>,
}

fn year_of(query: &YearQuery) -> Result<i32, ApiError> {
    let year = query
        .year
        .unwrap_or_else(|| chrono::Datelike::year(&Utc::now().date_naive()));
    if !(2000..=2100).contains(&year) {
        return Err(ApiError::field("year", "must be between 2000 and 2100"));
    }
    Ok(year)
}

/// Förderübersicht (funding overview) of a year.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "year": 2021, "reference_date": "2021-12-31",
    "modules": [{"module": "module_2", "planned_fte": 11.0, "filled_fte": 11.0, "vacant_fte": 0.0,
        "planned_cents": 60500000, "due_cents": 60500000, "difference_cents": 0,
        "items": [{"item": "staff", "planned_cents": 60500000, "due_cents": 60500000}]}],
    "total": {"planned_fte": 11.0, "filled_fte": 11.0, "vacant_fte": 0.0, "planned_cents": 60500000,
        "due_cents": 60500000, "difference_cents": 0, "items": []}
}))]
pub struct FundingOverview {
    pub year: i32,
    /// The date the FTE figures refer to: the year's last day once it is over, today during it.
    pub reference_date: NaiveDate,
    pub modules: Vec<ModuleFunding>,
    pub total: FundingFigures,
}

/// One position's funding in the year.
#[derive(Debug, Serialize, ToSchema)]
pub struct PositionFundingLine {
    pub position_id: i64,
    pub title: String,
    pub module: Module,
    pub function: PositionFunction,
    pub fte: f64,
    pub funded: bool,
    /// The phase on the reference date; absent when the position did not exist yet.
    pub phase: Option<StaffingPhase>,
    /// Months of the year the position existed and had not ended (15th-of-month rule).
    pub months_planned: u32,
    /// Months of the year it was staffed: onboarding, qualification or active on the 15th.
    pub months_staffed: u32,
    /// Staff funding for a full year at the position's FTE (euro cents).
    pub annual_rate_cents: i64,
    pub planned_cents: i64,
    pub due_cents: i64,
    pub difference_cents: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PositionFundingList {
    pub year: i32,
    pub reference_date: NaiveDate,
    pub items: Vec<PositionFundingLine>,
}

fn compute(
    conn: &mut kim_store::DbConn,
    year: i32,
) -> Result<(funding::Overview, Vec<positions::Position>), ApiError> {
    let inputs = funding_inputs(conn)?;
    Ok((
        funding::overview(&inputs.rates, year, Utc::now().date_naive(), &inputs.funded),
        inputs.positions,
    ))
}

/// Funding overview
///
/// Per module and in total: planned, filled and vacant FTE on the reference date; funding
/// planned (every planned position staffed all year), due (pro rata by the months staffed) and
/// the difference. Rates come from `/funding/rates` by year (a year without its own rate uses
/// the latest earlier year's). Money in euro cents.
///
/// **Who may call:** `admin`, `ki_lead`, `coordinator`, `cm_coordinator`, `steering_member`, `analyst`.
#[utoipa::path(tag = "Funding", params(YearQuery), responses(
    (status = 200, description = "The year's funding", body = FundingOverview),
    sets::ListErrors,
), security(("bearer" = [])))]
#[get("/funding")]
pub async fn funding_overview(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<YearQuery>,
) -> Result<web::Json<FundingOverview>, ApiError> {
    let year = year_of(&query)?;
    let (overview, _) = state
        .db
        .read_as(caller, Action::ReadSteering, move |conn, _| {
            compute(conn, year)
        })
        .await?;
    Ok(web::Json(FundingOverview {
        year,
        reference_date: overview.reference_date,
        modules: overview
            .modules
            .iter()
            .map(|(module, summary)| ModuleFunding {
                module: *module,
                figures: summary.into(),
            })
            .collect(),
        total: (&overview.total).into(),
    }))
}

/// Funding per position
///
/// The same figures per position: months planned and staffed in the year, the yearly rate,
/// planned, due and the difference. Ordered by position id.
///
/// **Who may call:** `admin`, `ki_lead`, `coordinator`, `cm_coordinator`, `steering_member`, `analyst`.
#[utoipa::path(tag = "Funding", params(YearQuery), responses(
    (status = 200, description = "The year's funding per position", body = PositionFundingList),
    sets::ListErrors,
), security(("bearer" = [])))]
#[get("/funding/positions")]
pub async fn funding_by_position(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<YearQuery>,
) -> Result<web::Json<PositionFundingList>, ApiError> {
    let year = year_of(&query)?;
    let (overview, all) = state
        .db
        .read_as(caller, Action::ReadSteering, move |conn, _| {
            compute(conn, year)
        })
        .await?;
    let items = overview
        .positions
        .iter()
        .zip(all)
        .map(|(line, position)| PositionFundingLine {
            position_id: position.id,
            module: position.module(),
            title: position.data.title,
            function: position.data.function,
            fte: position.data.fte.as_decimal(),
            funded: position.data.funded,
            phase: line.phase,
            months_planned: line.funding.months_planned,
            months_staffed: line.funding.months_staffed,
            annual_rate_cents: line.funding.annual_staff_cents,
            planned_cents: line.funding.planned_cents(),
            due_cents: line.funding.due_cents(),
            difference_cents: line.funding.difference_cents(),
        })
        .collect();
    Ok(web::Json(PositionFundingList {
        year,
        reference_date: overview.reference_date,
        items,
    }))
}

/// Fördersatz (funding rate) of a year, module and item.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": 1, "year": 2023, "module": "module_2", "item": "staff", "amount_cents": 5700000,
    "basis": "per_fte", "note": "Landesförderung 2023", "version": 1,
    "created_at": "2026-11-25T10:00:00Z", "updated_at": "2026-11-25T10:00:00Z"}))]
pub struct FundingRate {
    pub id: i64,
    pub year: i32,
    pub module: Module,
    pub item: FundingItem,
    /// Euro cents per `basis`.
    pub amount_cents: i64,
    pub basis: RateBasis,
    pub note: Option<String>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<StoredRate> for FundingRate {
    fn from(r: StoredRate) -> Self {
        FundingRate {
            id: r.id,
            year: r.rate.year,
            module: r.rate.module,
            item: r.rate.item,
            amount_cents: r.rate.amount_cents,
            basis: r.rate.basis,
            note: r.note,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"year": 2023, "module": "module_2", "item": "staff", "amount_cents": 5700000, "basis": "per_fte"}))]
pub struct FundingRateInput {
    #[validate(range(min = 2000, max = 2100, message = "must be between 2000 and 2100"))]
    #[schema(minimum = 2000, maximum = 2100)]
    pub year: i32,
    pub module: Module,
    pub item: FundingItem,
    /// Euro cents per `basis`, 0 to 100,000,000.
    #[validate(range(
        min = 0,
        max = 100_000_000,
        message = "must be between 0 and 100000000"
    ))]
    #[schema(minimum = 0, maximum = 100_000_000)]
    pub amount_cents: i64,
    /// Must fit the item: staff items per FTE or half FTE, material costs per workplace,
    /// events and interface management per year.
    pub basis: RateBasis,
    #[validate(length(max = 500))]
    #[schema(max_length = 500)]
    pub note: Option<String>,
}

impl FundingRateInput {
    fn into_rate(self) -> Result<(Rate, Option<String>), ApiError> {
        self.validate()?;
        check_basis(self.item, self.basis).map_err(|m| ApiError::rule("basis", m))?;
        let rate = Rate {
            year: self.year,
            module: self.module,
            item: self.item,
            amount_cents: self.amount_cents,
            basis: self.basis,
        };
        Ok((rate, trimmed(self.note)))
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RateQuery {
    pub year: Option<i32>,
    pub module: Option<Module>,
}

/// List funding rates
///
/// Ordered by year, module and item.
///
/// **Who may call:** `admin`, `ki_lead`, `coordinator`, `cm_coordinator`, `steering_member`, `analyst`.
#[utoipa::path(tag = "Funding", params(RateQuery), responses(
    (status = 200, description = "The rates", body = Vec<FundingRate>),
    (status = 400, response = err::BadRequest),
    (status = 401, response = err::Unauthorized),
    (status = 403, response = err::Forbidden),
    (status = 503, response = err::Unavailable),
), security(("bearer" = [])))]
#[get("/funding/rates")]
pub async fn list_rates(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<RateQuery>,
) -> Result<web::Json<Vec<FundingRate>>, ApiError> {
    let RateQuery { year, module } = query.into_inner();
    let rates = state
        .db
        .read_as(caller, Action::ReadSteering, move |conn, _| {
            funding_rates::list(conn, year, module)
        })
        .await?;
    Ok(web::Json(
        rates.into_iter().map(FundingRate::from).collect(),
    ))
}

/// Create a funding rate
///
/// One rate per year, module and item (409 otherwise).
///
/// **Who may call:** `ki_lead`, `coordinator`.
#[utoipa::path(tag = "Funding", request_body = FundingRateInput, responses(
    (status = 201, description = "Created", body = FundingRate, headers(("ETag" = String), ("Location" = String))),
    (status = 400, response = err::BadRequest),
    (status = 401, response = err::Unauthorized),
    (status = 403, response = err::Forbidden),
    (status = 409, response = err::Conflict),
    (status = 415, response = err::UnsupportedMediaType),
    (status = 422, response = err::Unprocessable),
    (status = 503, response = err::Unavailable),
), security(("bearer" = [])))]
#[post("/funding/rates")]
pub async fn create_rate(
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<FundingRateInput>,
) -> Result<HttpResponse, ApiError> {
    let funding_rate = state
        .db
        .write_as(caller, Action::WriteSteering, move |conn, _| {
            let (rate, note) = body.into_inner().into_rate()?;
            Ok(funding_rates::insert(conn, &rate, note.as_deref())?)
        })
        .await?;
    let (id, version) = (funding_rate.id, funding_rate.version);
    Ok(created_versioned(
        &FundingRate::from(funding_rate),
        version,
        format!("/api/v1/funding/rates/{id}"),
    ))
}

/// Replace a funding rate
///
/// Requires `If-Match`.
///
/// **Who may call:** `ki_lead`, `coordinator`.
#[utoipa::path(tag = "Funding", request_body = FundingRateInput,
    params(("id" = i64, Path, description = "Rate id"), ("If-Match" = String, Header, description = "ETag of the version you edited")),
    responses(
    (status = 200, description = "The rate", body = FundingRate, headers(("ETag" = String))),
    sets::ReplaceErrors,
), security(("bearer" = [])))]
#[put("/funding/rates/{id}")]
pub async fn update_rate(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: Json<FundingRateInput>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let funding_rate = state
        .db
        .write_as(caller, Action::WriteSteering, move |conn, _| {
            let expected = if_match.version()?;
            let (rate, note) = body.into_inner().into_rate()?;
            Ok(funding_rates::update(
                conn,
                id,
                expected,
                &rate,
                note.as_deref(),
            )?)
        })
        .await?;
    let version = funding_rate.version;
    Ok(ok_versioned(&FundingRate::from(funding_rate), version))
}

/// Delete a funding rate
///
/// Requires `If-Match`. The year then falls back to the latest earlier year's rate.
///
/// **Who may call:** `ki_lead`, `coordinator`.
#[utoipa::path(tag = "Funding",
    params(("id" = i64, Path, description = "Rate id"), ("If-Match" = String, Header, description = "ETag of the current version")),
    responses(
    (status = 204, description = "Deleted"),
    (status = 400, response = err::BadRequest),
    (status = 401, response = err::Unauthorized),
    (status = 403, response = err::Forbidden),
    (status = 404, response = err::NotFound),
    (status = 412, response = err::PreconditionFailed),
    (status = 428, response = err::PreconditionRequired),
    (status = 503, response = err::Unavailable),
), security(("bearer" = [])))]
#[delete("/funding/rates/{id}")]
pub async fn delete_rate(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let rate_id = id.into_inner();
    state
        .db
        .write_as(caller, Action::WriteSteering, move |conn, _| {
            Ok(funding_rates::delete(conn, rate_id, if_match.version()?)?)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
