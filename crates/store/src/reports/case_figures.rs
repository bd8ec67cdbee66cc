//! The case and people reports and the caseloads: cases opened, open and closed by period and
//! attribute, the people counted per case membership, and who carries how many cases.

use std::collections::HashMap;

use chrono::NaiveDate;
use diesel::prelude::*;
use kim_domain::report::query::{CaseDimension, PeopleDimension, Period};
use kim_domain::report::table::Count;

use crate::error::StoreResult;
use crate::DbConn;

use super::{grouped, is_postgres, lit, month, quarter, total, year, Scope, Total};

/// The three measures of the cases report, each with its grouped counts and true total.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseCounts {
    pub new: (Vec<Count>, u64),
    pub open: (Vec<Count>, u64),
    pub closed: (Vec<Count>, u64),
}

/// The social area covering a case's municipality whole, if any: at most one row per case
/// (`social_area_parts_place` is unique on municipality and district), so no case counts twice.
const SOCIAL_AREA_JOIN: &str =
    "LEFT JOIN social_area_parts sap ON sap.municipality_id = c.municipality_id AND sap.district = ''";

/// A case dimension as SQL: the key expression and the joins it needs. `event` is the date
/// column (or literal) the time dimensions read.
fn case_key(pg: bool, d: CaseDimension, event: &str, joins: &mut Vec<&'static str>) -> String {
    match d {
        CaseDimension::Municipality => "c.municipality_id".into(),
        CaseDimension::SocialArea => {
            joins.push(SOCIAL_AREA_JOIN);
            "sap.social_area_id".into()
        }
        CaseDimension::RhineSide => {
            joins.push("JOIN municipalities m ON m.id = c.municipality_id");
            "m.rhine_side".into()
        }
        CaseDimension::TargetGroup => "c.target_group".into(),
        CaseDimension::LegalDomain => {
            joins.push("JOIN case_legal_domains ld ON ld.case_id = c.id");
            "ld.legal_domain".into()
        }
        CaseDimension::Topic => {
            joins.push("JOIN case_topics tp ON tp.case_id = c.id");
            "tp.topic".into()
        }
        CaseDimension::IntakeChannel => "c.intake_channel".into(),
        CaseDimension::Eligible => "CASE WHEN c.eligible THEN 'true' ELSE 'false' END".into(),
        CaseDimension::CloseReason => "c.close_reason".into(),
        CaseDimension::Month => month(pg, event),
        CaseDimension::Quarter => quarter(pg, event),
        CaseDimension::Year => year(pg, event),
    }
}

fn case_measure(
    conn: &mut DbConn,
    dims: &[CaseDimension],
    event: &str,
    condition: &str,
) -> StoreResult<(Vec<Count>, u64)> {
    let pg = is_postgres(conn);
    let mut joins = Vec::new();
    let keys: Vec<String> = dims
        .iter()
        .map(|d| case_key(pg, *d, event, &mut joins))
        .collect();
    let from_where = format!("FROM cases c {} WHERE {condition}", joins.join(" "));
    // Legal domains and topics count a case once per value: only then can a case be in several
    // groups, so only then do the groups need COUNT(DISTINCT) and the total its own query.
    let multi_valued = dims
        .iter()
        .any(|d| matches!(d, CaseDimension::LegalDomain | CaseDimension::Topic));
    if multi_valued {
        let counts = grouped(conn, &keys, "c.id", &from_where)?;
        let total = total(conn, "c.id", &format!("FROM cases c WHERE {condition}"))?;
        return Ok((counts, total));
    }
    let counts = grouped(conn, &keys, "*", &from_where)?;
    let total = counts.iter().map(|c| c.count).sum();
    Ok((counts, total))
}

/// New (opened in the period), open (at its last day) and closed (in the period) cases. A case
/// counts as closed on the day of its last closing (`status_since` of a closed case).
pub fn cases(
    conn: &mut DbConn,
    scope: Scope,
    period: Period,
    dims: &[CaseDimension],
) -> StoreResult<CaseCounts> {
    let (from, to) = (lit(period.from), lit(period.to));
    let scope = scope.condition();
    let new = case_measure(
        conn,
        dims,
        "c.opened_on",
        &format!("c.opened_on BETWEEN {from} AND {to} AND {scope}"),
    )?;
    // SQLite's date functions take the text itself; a CAST to DATE would make it a number.
    let at_end = if is_postgres(conn) {
        format!("CAST({to} AS DATE)")
    } else {
        to.clone()
    };
    let open = case_measure(
        conn,
        dims,
        &at_end,
        &format!(
            "c.opened_on <= {to} AND NOT (c.status = 'closed' AND c.status_since <= {to}) AND {scope}"
        ),
    )?;
    let closed = case_measure(
        conn,
        dims,
        "c.status_since",
        &format!("c.status = 'closed' AND c.status_since BETWEEN {from} AND {to} AND {scope}"),
    )?;
    Ok(CaseCounts { new, open, closed })
}

/// Cases that were open on some day of the period.
fn open_in_period(period: Period) -> String {
    format!(
        "c.opened_on <= {} AND NOT (c.status = 'closed' AND c.status_since < {})",
        lit(period.to),
        lit(period.from)
    )
}

/// People reached: distinct clients of cases open at any time in the period, grouped by the
/// attributes captured when they joined the case.
pub fn people(
    conn: &mut DbConn,
    scope: Scope,
    period: Period,
    dims: &[PeopleDimension],
) -> StoreResult<(Vec<Count>, u64)> {
    let mut join = "";
    let keys: Vec<String> = dims
        .iter()
        .map(|d| {
            match d {
                PeopleDimension::AgeBand => "cc.age_band",
                PeopleDimension::Gender => "cc.gender",
                PeopleDimension::CountryOfOrigin => "cc.country_of_origin",
                PeopleDimension::ResidenceStatus => "cc.residence_status",
                PeopleDimension::Municipality => "c.municipality_id",
                PeopleDimension::SocialArea => {
                    join = SOCIAL_AREA_JOIN;
                    "sap.social_area_id"
                }
                PeopleDimension::TargetGroup => "c.target_group",
            }
            .to_owned()
        })
        .collect();
    let from_where = format!(
        "FROM case_clients cc JOIN cases c ON c.id = cc.case_id {join} WHERE {} AND {}",
        open_in_period(period),
        scope.condition()
    );
    let total = if is_postgres(conn) {
        total(conn, "cc.client_id", &from_where)?
    } else {
        // SQLite counts distinct values in a temporary B-tree; grouping instead walks the
        // client index in order and needs none: 166 ms -> 76 ms for the people reached in one
        // year on 100,000 synthetic cases (PostgreSQL's hash of COUNT(DISTINCT) is faster than
        // its grouping, so it keeps the plain form).
        let sql = format!(
            "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM (SELECT cc.client_id {from_where} \
             GROUP BY cc.client_id) AS reached"
        );
        let row: Total = diesel::sql_query(sql).get_result(conn)?;
        u64::try_from(row.n).unwrap_or(0)
    };
    if keys.is_empty() {
        // The headline figure (the programme report): the one group is the total; the same
        // distinct count twice cost 80 ms on 100,000 synthetic cases.
        return Ok((
            vec![Count {
                keys: Vec::new(),
                count: total,
            }],
            total,
        ));
    }
    let counts = grouped(conn, &keys, "cc.client_id", &from_where)?;
    Ok((counts, total))
}

/// A municipality as reports show it.
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    pub id: i64,
    pub name: String,
    pub rhine_side: String,
}

/// The names of the social areas, by id, for labelling rows grouped by `social_area`.
pub fn social_area_names(conn: &mut DbConn) -> StoreResult<HashMap<i64, String>> {
    Ok(crate::social_areas::all(conn)?
        .into_iter()
        .map(|a| (a.id, a.data.name))
        .collect())
}

pub fn places(conn: &mut DbConn) -> StoreResult<Vec<Place>> {
    use crate::schema::municipalities as m;
    Ok(m::table
        .order(m::name.asc())
        .select((m::id, m::name, m::rhine_side))
        .load::<(i64, String, String)>(conn)?
        .into_iter()
        .map(|(id, name, rhine_side)| Place {
            id,
            name,
            rhine_side,
        })
        .collect())
}

/// Cases open at the end of `on`.
fn open_on(on: NaiveDate) -> String {
    let at = lit(on);
    format!("c.opened_on <= {at} AND NOT (c.status = 'closed' AND c.status_since <= {at})")
}

/// Open cases at `on` per municipality, and their true total. (The capacity they are set
/// against comes from the positions' histories, see `kim_domain::report::caseload`.)
pub fn caseload(conn: &mut DbConn, scope: Scope, on: NaiveDate) -> StoreResult<(Vec<Count>, u64)> {
    let from_where = format!(
        "FROM cases c WHERE {} AND {}",
        open_on(on),
        scope.condition()
    );
    let counts = grouped(conn, &["c.municipality_id".into()], "c.id", &from_where)?;
    let total = total(conn, "c.id", &from_where)?;
    Ok((counts, total))
}

/// Open cases at `on` per assigned case manager (user id, ascending), for the CM coordination.
pub fn caseload_by_case_manager(conn: &mut DbConn, on: NaiveDate) -> StoreResult<Vec<(i64, u64)>> {
    let from_where = format!("FROM cases c WHERE {}", open_on(on));
    let mut counts: Vec<(i64, u64)> =
        grouped(conn, &["c.assigned_user_id".into()], "c.id", &from_where)?
            .into_iter()
            .filter_map(|c| {
                let user = c.keys.into_iter().next().flatten()?.parse::<i64>().ok()?;
                Some((user, c.count))
            })
            .collect();
    counts.sort_unstable();
    Ok(counts)
}
