//! `GET /reports/referrals`

use std::collections::{BTreeMap, HashMap};

use actix_web::{get, web, HttpRequest, HttpResponse};
use kim_domain::report::disclosure::{median, rate, withholds_statistic};
use kim_domain::report::query::ReferralDimension;
use kim_domain::report::table;
use kim_store::reports as store;

use super::answer::{respond, CasesReport};
use super::partitioned::{withhold_rates, Partitioned};
use super::query::{run, ReportQuery};
use crate::auth::Caller;
use crate::error::error_sets as sets;
use crate::server::AppState;
use crate::ApiError;

/// Referrals and their outcomes
///
/// Referrals sent in the period per recipient organisation (`group_by=organisation`, default;
/// rows carry `organisation_id` and `organisation`) or organisation kind
/// (`group_by=organisation_kind`): `sent`, and by current status `accepted`, `declined`,
/// `completed`, `withdrawn`, `open` (no answer yet); `acceptance_rate` (accepted or completed
/// over those answered) and `median_days_to_answer` (sent to the first acceptance or decline).
/// Rates and medians over fewer than `min_cell` referrals are `null` and count in
/// `suppressed_cells`. Same parameters, formats, disclosure control and errors as
/// `GET /reports/cases`.
///
/// **Who may call:** as `GET /reports/cases`.
#[utoipa::path(tag = "Reports", params(ReportQuery), responses(
    (status = 200, description = "The report", content(
        (CasesReport = "application/json", example = json!({"from": "2026-01-01", "to": "2026-12-31", "group_by": ["organisation_kind"], "min_cell": 5,
            "rows": [{"organisation_kind": "jobcenter", "sent": 40, "accepted": 22, "declined": 6, "completed": 7, "withdrawn": null, "open": null, "acceptance_rate": 0.829, "median_days_to_answer": 6.0}],
            "totals": {"sent": 40, "accepted": 22, "declined": 6, "completed": 7, "withdrawn": null, "open": null}, "suppressed_cells": 4})),
        (String = "text/csv"),
        (String = "image/svg+xml")
    )),
    sets::ListErrors,
), security(("bearer" = [])))]
#[get("/reports/referrals")]
pub async fn referrals_report(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<ReportQuery>,
    http: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let request = query.request(&http, ReferralDimension::parse, true)?;
    if request.dims.len() > 1 {
        return Err(ApiError::field(
            "group_by",
            "the referrals report groups by one dimension",
        ));
    }
    let dim = request
        .dims
        .first()
        .copied()
        .unwrap_or(ReferralDimension::Organisation);
    let period = request.period;
    let (counts, names) = run(&state, caller, move |conn, scope| {
        let counts = store::referrals(conn, scope, period, dim)?;
        let ids: Vec<i64> = counts
            .counts
            .iter()
            .filter_map(|(k, _, _)| k.parse().ok())
            .collect();
        let names = if dim == ReferralDimension::Organisation {
            kim_store::offers::organisation_names(conn, &ids)?
        } else {
            HashMap::new()
        };
        Ok((counts, names))
    })
    .await?;
    let min_cell = state.report_min_cell;
    let by = by_recipient(&counts.counts);
    let mut answer_days = counts.answer_days;
    let mut rates = Vec::with_capacity(by.len());
    let mut withheld_statistics = 0;
    for (key, parts) in &by {
        let answered = parts[0] + parts[1] + parts[2];
        let days = answer_days
            .get_mut(key)
            .map(|v| v.as_mut_slice())
            .unwrap_or(&mut []);
        withheld_statistics += usize::from(withholds_statistic(answered, min_cell))
            + usize::from(withholds_statistic(days.len() as u64, min_cell));
        rates.push((
            rate(parts[0] + parts[2], answered, min_cell),
            median(days, min_cell),
        ));
    }
    let rows: Vec<(Vec<Option<String>>, Vec<u64>)> =
        by.into_iter().map(|(k, v)| (vec![Some(k)], v)).collect();
    let mut table = table::partition(&rows, min_cell);
    // Rates and medians over fewer than `min_cell` referrals are withheld like small counts.
    table.suppressed_cells += withheld_statistics;
    // A rate over withheld cells would give them away.
    let rates = withhold_rates(rates, &table, &[1, 2, 3]);
    let labels = if dim == ReferralDimension::Organisation {
        names
            .into_iter()
            .map(|(id, name)| (id.to_string(), name))
            .collect()
    } else {
        HashMap::new()
    };
    let report = Partitioned {
        title: "Referrals".into(),
        period,
        min_cell,
        key: dim.as_str(),
        total_name: "sent",
        parts: vec!["accepted", "declined", "completed", "withdrawn", "open"],
        table,
        rates,
        rate_name: "acceptance_rate",
        median_name: Some("median_days_to_answer"),
        labels,
    };
    respond(
        request.format,
        "referrals",
        || report.json(),
        || report.sheet(),
        || Some(report.chart()),
    )
}

/// The counts per recipient and status as one row per recipient, its outcomes in the order of
/// `REFERRAL_OUTCOMES`.
pub(super) fn by_recipient(counts: &[(String, String, u64)]) -> BTreeMap<String, Vec<u64>> {
    let mut by: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for (key, status, n) in counts {
        let slot = by
            .entry(key.clone())
            .or_insert_with(|| vec![0; store::REFERRAL_OUTCOMES.len()]);
        if let Some(i) = store::REFERRAL_OUTCOMES.iter().position(|s| s == status) {
            slot[i] += n;
        }
    }
    by
}
