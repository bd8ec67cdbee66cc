//! The parameters every report takes, the caller's scope and the one database call.

use actix_web::http::header;
use actix_web::HttpRequest;
use chrono::{Datelike, NaiveDate};
use kim_domain::report::query::{parse_dimensions, parse_year, Period, ReportFormat};
use kim_domain::{Action, Principal};
use kim_store::reports::Scope;
use kim_store::{clock, DbConn};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::caller::Authenticated;
use crate::auth::Caller;
use crate::error::FieldError;
use crate::http::query::parse_date;
use crate::server::AppState;
use crate::ApiError;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// First day of the period (inclusive, `YYYY-MM-DD`); default 1 January of the current year.
    #[param(value_type = Option<String>, format = Date, example = "2026-01-01")]
    pub from: Option<String>,
    /// Last day of the period (inclusive); default 31 December. At most 10 years after `from`.
    #[param(value_type = Option<String>, format = Date, example = "2026-12-31")]
    pub to: Option<String>,
    /// At most two distinct dimensions, comma-separated (`municipality,month`); which ones each
    /// report offers, its `enum` lists and its description explains.
    #[param(value_type = Option<Vec<String>>, style = Form, explode = false, example = json!(["municipality", "month"]))]
    pub group_by: Option<String>,
    /// `json` (default), `csv` or `svg`; `Accept: text/csv` also selects CSV.
    #[param(value_type = Option<String>, pattern = "^(json|csv|svg)$")]
    pub format: Option<String>,
}

/// The checked request: every bad parameter reported at once.
pub(super) struct Request<D> {
    pub(super) period: Period,
    pub(super) dims: Vec<D>,
    pub(super) format: ReportFormat,
}

pub(super) fn accept(http: &HttpRequest) -> Option<String> {
    http.headers()
        .get(header::ACCEPT)
        .and_then(|a| a.to_str().ok())
        .map(str::to_owned)
}

fn date(
    field: &'static str,
    value: Option<&str>,
    errors: &mut Vec<FieldError>,
) -> Option<NaiveDate> {
    let text = value?;
    parse_date(text)
        .map_err(|message| errors.push(FieldError::new(field, message)))
        .ok()
}

/// The parameters of a yearly report without a chart (`year`, default this year; `format`
/// json or csv, or the `Accept` header): both, or 422 naming every field that is wrong.
/// `no_chart` is the message for `format=svg`.
pub(super) fn yearly_table(
    year: Option<&str>,
    format: Option<&str>,
    http: &HttpRequest,
    no_chart: &str,
) -> Result<(i32, ReportFormat), ApiError> {
    let mut errors = Vec::new();
    let year = match year {
        None => Some(clock::now().date().year()),
        Some(text) => parse_year(text)
            .map_err(|e| errors.push(domain_error(e)))
            .ok(),
    };
    let format = ReportFormat::choose(format, accept(http).as_deref())
        .map_err(|e| errors.push(domain_error(e)))
        .ok();
    if format == Some(ReportFormat::Svg) {
        errors.push(FieldError::new("format", no_chart));
    }
    match (year, format) {
        (Some(year), Some(format)) if errors.is_empty() => Ok((year, format)),
        _ => Err(ApiError::Validation(errors)),
    }
}

pub(super) fn domain_error(e: kim_domain::field::FieldError) -> FieldError {
    e.into()
}

impl ReportQuery {
    pub(super) fn request<D: Copy + PartialEq>(
        &self,
        http: &HttpRequest,
        parse: impl Fn(&str) -> Result<D, kim_domain::UnknownValue>,
        svg: bool,
    ) -> Result<Request<D>, ApiError> {
        let mut errors = Vec::new();
        let from = date("from", self.from.as_deref(), &mut errors);
        let to = date("to", self.to.as_deref(), &mut errors);
        let period = Period::parse(from, to, clock::now().date())
            .map_err(|e| errors.push(domain_error(e)))
            .ok();
        let dims = parse_dimensions(self.group_by.as_deref(), parse)
            .map_err(|e| errors.push(domain_error(e)))
            .ok();
        let format = ReportFormat::choose(self.format.as_deref(), accept(http).as_deref())
            .map_err(|e| errors.push(domain_error(e)))
            .ok();
        if format == Some(ReportFormat::Svg) && !svg {
            errors.push(FieldError::new(
                "format",
                "this report has no chart; use json or csv",
            ));
        }
        match (period, dims, format) {
            (Some(period), Some(dims), Some(format)) if errors.is_empty() => Ok(Request {
                period,
                dims,
                format,
            }),
            _ => Err(ApiError::Validation(errors)),
        }
    }
}

/// Whose cases the caller's reports count: all for report readers, their own for case managers.
fn scope(who: &Authenticated) -> Result<Scope, ApiError> {
    if who.principal.may(Action::ReadReports) {
        return Ok(Scope::All);
    }
    match who.principal {
        Principal::Person { user_id, .. } if who.principal.may(Action::ReadOwnCaseReports) => {
            Ok(Scope::CaseManager(user_id))
        }
        _ => who.require(Action::ReadReports).map(|_| Scope::All),
    }
}

/// Runs a report's store work with the caller's scope, in one database call.
pub(super) async fn run<T: Send + 'static>(
    state: &AppState,
    caller: Caller,
    f: impl FnOnce(&mut DbConn, Scope) -> Result<T, kim_store::StoreError> + Send + 'static,
) -> Result<T, ApiError> {
    run_as(state, caller, move |conn, scope, _| f(conn, scope)).await
}

/// Like [`run`], with the caller at hand, for a block only some callers get.
pub(super) async fn run_as<T: Send + 'static>(
    state: &AppState,
    caller: Caller,
    f: impl FnOnce(&mut DbConn, Scope, &Authenticated) -> Result<T, kim_store::StoreError>
        + Send
        + 'static,
) -> Result<T, ApiError> {
    state
        .db
        .read_with(caller, move |conn, who| {
            let scope = scope(who)?;
            f(conn, scope, who).map_err(ApiError::from)
        })
        .await
}
