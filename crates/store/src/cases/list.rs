//! The case list: filters, sorting and paging within the caller's scope.

use chrono::NaiveDate;
use diesel::prelude::*;
use kim_domain::access::CaseScope;
use kim_domain::case::{CaseStatus, TargetGroup};
use kim_domain::paging::PageRequest;
use kim_domain::reference::LegalDomain;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::connection::MultiBackend;
use crate::error::StoreResult;
use crate::schema::{case_clients, case_legal_domains as domains, cases, clients};
use crate::{DbConn, Listed};

use super::{complete, Case, CaseRow};

/// Case search; every field optional, combined with AND, within the caller's scope. The API
/// reads it from the query string of `GET /cases` as it is, so its documentation is the
/// parameters'.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CaseFilter {
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
    #[serde(default, deserialize_with = "crate::filter::trimmed")]
    pub client_reference: Option<String>,
    /// `false`: the exceptions to the intake rule.
    pub eligible: Option<bool>,
    /// Only open cases (intake, active, paused): the work list. Not a query parameter.
    #[serde(skip)]
    pub open: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseSort {
    OpenedOn,
    StatusSince,
    Id,
}

type Boxed = cases::BoxedQuery<'static, MultiBackend>;

fn all_cases() -> Boxed {
    cases::table.into_boxed::<MultiBackend>()
}

fn filtered(mut query: Boxed, filter: &CaseFilter) -> Boxed {
    if let Some(status) = filter.status {
        query = query.filter(cases::status.eq(status.as_str()));
    }
    if filter.open {
        // A literal, not a bound value: the partial indexes of open cases
        // (`cases_assignee_open`, `cases_deputy_open`) match only the very predicate.
        query = query.filter(diesel::dsl::sql::<diesel::sql_types::Bool>(
            "cases.status <> 'closed'",
        ));
    }
    if let Some(municipality) = filter.municipality_id {
        query = query.filter(cases::municipality_id.eq(municipality));
    }
    if let Some(group) = filter.target_group {
        query = query.filter(cases::target_group.eq(group.as_str()));
    }
    if let Some(domain) = filter.legal_domain {
        query = query.filter(
            cases::id.eq_any(
                domains::table
                    .filter(domains::legal_domain.eq(domain.as_str()))
                    .select(domains::case_id),
            ),
        );
    }
    if let Some(user) = filter.assigned_user_id {
        query = query.filter(cases::assigned_user_id.eq(user));
    }
    if let Some(from) = filter.opened_from {
        query = query.filter(cases::opened_on.ge(from));
    }
    if let Some(to) = filter.opened_to {
        query = query.filter(cases::opened_on.le(to));
    }
    if filter.closed_from.is_some() || filter.closed_to.is_some() {
        query = query.filter(cases::status.eq(CaseStatus::Closed.as_str()));
    }
    if let Some(from) = filter.closed_from {
        query = query.filter(cases::status_since.ge(from));
    }
    if let Some(to) = filter.closed_to {
        query = query.filter(cases::status_since.le(to));
    }
    if let Some(reference) = &filter.client_reference {
        let client = clients::table
            .filter(clients::reference.eq(reference.clone()))
            .select(clients::id);
        query = query.filter(
            cases::id.eq_any(
                case_clients::table
                    .filter(case_clients::client_id.eq_any(client))
                    .select(case_clients::case_id),
            ),
        );
    }
    if let Some(eligible) = filter.eligible {
        query = query.filter(cases::eligible.eq(eligible));
    }
    query
}

fn ordered(query: Boxed, sort: CaseSort, descending: bool) -> Boxed {
    let query = match (sort, descending) {
        (CaseSort::OpenedOn, false) => query.order(cases::opened_on.asc()),
        (CaseSort::OpenedOn, true) => query.order(cases::opened_on.desc()),
        (CaseSort::StatusSince, false) => query.order(cases::status_since.asc()),
        (CaseSort::StatusSince, true) => query.order(cases::status_since.desc()),
        (CaseSort::Id, false) => query.order(cases::id.asc()),
        (CaseSort::Id, true) => query.order(cases::id.desc()),
    };
    query.then_order_by(cases::id.asc())
}

/// Up to which row (`offset + limit`) an assignee's page is merged from two index scans.
const MERGED_PAGES_UP_TO: i64 = 1_000;

/// The ids that can be on the page of an assignee's cases (assigned or deputy). Asked as one
/// `OR` over two indexes, the database collects and sorts every case of the person (thousands
/// for a full caseload) to show twenty; asked as the first `offset + limit` ids of each role,
/// each read in order from its own index (`cases_assignee_*`, `cases_deputy_*`), it touches at
/// most twice the page. Two small queries whatever the page size.
fn assignee_candidates(
    conn: &mut DbConn,
    user: i64,
    filter: &CaseFilter,
    sort: CaseSort,
    descending: bool,
    page: PageRequest,
) -> StoreResult<Vec<i64>> {
    let first = page.offset.saturating_add(page.limit);
    let mut ids: Vec<i64> = ordered(
        filtered(
            cases::table
                .into_boxed::<MultiBackend>()
                .filter(cases::assigned_user_id.eq(user)),
            filter,
        ),
        sort,
        descending,
    )
    .select(cases::id)
    .limit(first)
    .load(conn)?;
    let deputised: Vec<i64> = ordered(
        filtered(
            cases::table
                .into_boxed::<MultiBackend>()
                .filter(cases::deputy_user_id.eq(user))
                .filter(cases::assigned_user_id.ne(user)),
            filter,
        ),
        sort,
        descending,
    )
    .select(cases::id)
    .limit(first)
    .load(conn)?;
    ids.extend(deputised);
    Ok(ids)
}

/// One page of cases in `scope`, with the total.
pub fn list(
    conn: &mut DbConn,
    scope: CaseScope,
    filter: &CaseFilter,
    sort: CaseSort,
    descending: bool,
    page: PageRequest,
) -> StoreResult<Listed<Case>> {
    let (total, query): (i64, Boxed) = match scope {
        CaseScope::Nothing => {
            return Ok(Listed {
                items: Vec::new(),
                total: 0,
            })
        }
        CaseScope::All => (
            filtered(all_cases(), filter).count().get_result(conn)?,
            filtered(all_cases(), filter),
        ),
        CaseScope::Assigned(user) => {
            let mine = || {
                all_cases().filter(
                    cases::assigned_user_id
                        .eq(user)
                        .or(cases::deputy_user_id.eq(user)),
                )
            };
            // Two disjoint counts, each from one index, rather than one over an OR.
            let assigned: i64 =
                filtered(all_cases().filter(cases::assigned_user_id.eq(user)), filter)
                    .count()
                    .get_result(conn)?;
            let deputised: i64 = filtered(
                all_cases()
                    .filter(cases::deputy_user_id.eq(user))
                    .filter(cases::assigned_user_id.ne(user)),
                filter,
            )
            .count()
            .get_result(conn)?;
            let total = assigned + deputised;
            let query = if page.offset.saturating_add(page.limit) <= MERGED_PAGES_UP_TO {
                let candidates = assignee_candidates(conn, user, filter, sort, descending, page)?;
                all_cases().filter(cases::id.eq_any(candidates))
            } else {
                // Deep pages: the candidates would be too many to name.
                filtered(mine(), filter)
            };
            (total, query)
        }
    };
    let rows: Vec<CaseRow> = ordered(query, sort, descending)
        .limit(page.limit)
        .offset(page.offset)
        .select(CaseRow::as_select())
        .load(conn)?;
    Ok(Listed {
        items: complete(conn, rows)?,
        total,
    })
}
