//! The agreement list: filters, sorting and paging.

use chrono::NaiveDate;
use diesel::prelude::*;
use kim_domain::agreement::AgreementStatus;
use kim_domain::paging::PageRequest;
use kim_domain::staffing::Module;

use crate::connection::MultiBackend;
use crate::error::StoreResult;
use crate::municipalities::like_pattern;
use crate::schema::lower;
use crate::{DbConn, Direction, Listed};

use super::schema::{agreement_modules, agreement_positions, agreements};

use super::{with_sets, Agreement, AgreementRow};

/// Filters of the list; all optional, combined with AND.
#[derive(Debug, Clone, Default)]
pub struct AgreementFilter {
    /// Case-insensitive part of the title.
    pub q: Option<String>,
    pub status: Option<AgreementStatus>,
    pub organisation_id: Option<i64>,
    pub municipality_id: Option<i64>,
    pub module: Option<Module>,
    pub position_id: Option<i64>,
    /// Active agreements whose end date lies in this inclusive range.
    pub active_ending_between: Option<(NaiveDate, NaiveDate)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgreementSort {
    Title,
    SignedOn,
    StartsOn,
    EndsOn,
    CreatedAt,
}

type Boxed = agreements::BoxedQuery<'static, MultiBackend>;

fn filtered(filter: &AgreementFilter) -> Boxed {
    let mut query = agreements::table.into_boxed::<MultiBackend>();
    if let Some(q) = &filter.q {
        query = query.filter(lower(agreements::title).like(like_pattern(q)));
    }
    if let Some(status) = filter.status {
        query = query.filter(agreements::status.eq(status.as_str()));
    }
    if let Some(organisation) = filter.organisation_id {
        query = query.filter(agreements::organisation_id.eq(organisation));
    }
    if let Some(municipality) = filter.municipality_id {
        query = query.filter(agreements::municipality_id.eq(municipality));
    }
    if let Some(module) = filter.module {
        query = query.filter(
            agreements::id.eq_any(
                agreement_modules::table
                    .filter(agreement_modules::module.eq(module.as_str()))
                    .select(agreement_modules::agreement_id),
            ),
        );
    }
    if let Some(position) = filter.position_id {
        query = query.filter(
            agreements::id.eq_any(
                agreement_positions::table
                    .filter(agreement_positions::position_id.eq(position))
                    .select(agreement_positions::agreement_id),
            ),
        );
    }
    if let Some((first, last)) = filter.active_ending_between {
        query = query
            .filter(agreements::status.eq(AgreementStatus::Active.as_str()))
            .filter(agreements::ends_on.ge(first))
            .filter(agreements::ends_on.le(last));
    }
    query
}

/// Sorting by a date puts agreements without it last in either direction, on both databases
/// (they disagree where NULL goes).
macro_rules! by_date {
    ($query:expr, $column:expr, $direction:expr) => {
        match $direction {
            Direction::Asc => $query.order(($column.is_null().asc(), $column.asc())),
            Direction::Desc => $query.order(($column.is_null().asc(), $column.desc())),
        }
    };
}

pub fn list(
    conn: &mut DbConn,
    filter: &AgreementFilter,
    sort: AgreementSort,
    direction: Direction,
    page: PageRequest,
) -> StoreResult<Listed<Agreement>> {
    let total: i64 = filtered(filter).count().get_result(conn)?;
    let query = filtered(filter);
    let query = match (sort, direction) {
        (AgreementSort::Title, Direction::Asc) => query.order(agreements::title.asc()),
        (AgreementSort::Title, Direction::Desc) => query.order(agreements::title.desc()),
        (AgreementSort::SignedOn, d) => by_date!(query, agreements::signed_on, d),
        (AgreementSort::StartsOn, d) => by_date!(query, agreements::starts_on, d),
        (AgreementSort::EndsOn, d) => by_date!(query, agreements::ends_on, d),
        (AgreementSort::CreatedAt, Direction::Asc) => query.order(agreements::created_at.asc()),
        (AgreementSort::CreatedAt, Direction::Desc) => query.order(agreements::created_at.desc()),
    };
    // The id breaks ties so that pages never overlap or skip.
    let rows: Vec<AgreementRow> = query
        .then_order_by(agreements::id.asc())
        .limit(page.limit)
        .offset(page.offset)
        .select(AgreementRow::as_select())
        .load(conn)?;
    let items = with_sets(conn, rows)?;
    Ok(Listed { items, total })
}
