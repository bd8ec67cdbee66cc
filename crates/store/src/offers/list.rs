//! The offer list: filters on every set (topic, target group, municipality, language, residence
//! status), each an indexed lookup, with sorting and paging.

use chrono::NaiveDate;
use diesel::prelude::*;
use kim_domain::offer::{LanguageCode, OfferTargetGroup, OfferTopic};
use kim_domain::paging::PageRequest;

use crate::connection::MultiBackend;
use crate::error::StoreResult;
use crate::municipalities::like_pattern;
use crate::schema::lower;
use crate::{DbConn, Direction, Listed};

use super::schema::{
    offer_languages, offer_municipalities, offer_target_groups, offer_topics, offers,
};

use super::{with_sets, Offer, OfferRow};

/// Filters of the list; all optional, combined with AND.
#[derive(Debug, Clone, Default)]
pub struct OfferFilter {
    /// Case-insensitive substring of the title.
    pub q: Option<String>,
    pub organisation_id: Option<i64>,
    pub topic: Option<OfferTopic>,
    pub target_group: Option<OfferTargetGroup>,
    /// Offers serving this municipality, county-wide offers included.
    pub municipality_id: Option<i64>,
    pub language: Option<LanguageCode>,
    /// Offers running on this date (period bounds inclusive, open bounds unlimited).
    pub active_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OfferSort {
    Title,
    ActiveFrom,
    CreatedAt,
}

type Boxed = offers::BoxedQuery<'static, MultiBackend>;

fn filtered(filter: &OfferFilter) -> Boxed {
    let mut query = offers::table.into_boxed::<MultiBackend>();
    if let Some(q) = &filter.q {
        query = query.filter(lower(offers::title).like(like_pattern(q)));
    }
    if let Some(organisation) = filter.organisation_id {
        query = query.filter(offers::organisation_id.eq(organisation));
    }
    if let Some(topic) = filter.topic {
        query = query.filter(
            offers::id.eq_any(
                offer_topics::table
                    .filter(offer_topics::topic.eq(topic.as_str()))
                    .select(offer_topics::offer_id),
            ),
        );
    }
    if let Some(group) = filter.target_group {
        query = query.filter(
            offers::id.eq_any(
                offer_target_groups::table
                    .filter(offer_target_groups::target_group.eq(group.as_str()))
                    .select(offer_target_groups::offer_id),
            ),
        );
    }
    if let Some(municipality) = filter.municipality_id {
        query = query.filter(
            offers::county_wide.eq(true).or(offers::id.eq_any(
                offer_municipalities::table
                    .filter(offer_municipalities::municipality_id.eq(municipality))
                    .select(offer_municipalities::offer_id),
            )),
        );
    }
    if let Some(language) = filter.language {
        query = query.filter(
            offers::id.eq_any(
                offer_languages::table
                    .filter(offer_languages::language.eq(language.as_str()))
                    .select(offer_languages::offer_id),
            ),
        );
    }
    if let Some(date) = filter.active_on {
        query = query
            .filter(
                offers::active_from
                    .is_null()
                    .or(offers::active_from.le(date)),
            )
            .filter(
                offers::active_until
                    .is_null()
                    .or(offers::active_until.ge(date)),
            );
    }
    query
}

pub fn list(
    conn: &mut DbConn,
    filter: &OfferFilter,
    sort: OfferSort,
    direction: Direction,
    page: PageRequest,
) -> StoreResult<Listed<Offer>> {
    let total: i64 = filtered(filter).count().get_result(conn)?;
    let query = filtered(filter);
    let query = match (sort, direction) {
        (OfferSort::Title, Direction::Asc) => query.order(offers::title.asc()),
        (OfferSort::Title, Direction::Desc) => query.order(offers::title.desc()),
        // Offers without a start sort first ascending, last descending, on both databases
        // (they disagree where NULL goes): "running since always" is the earliest start.
        (OfferSort::ActiveFrom, Direction::Asc) => query.order((
            offers::active_from.is_not_null().asc(),
            offers::active_from.asc(),
        )),
        (OfferSort::ActiveFrom, Direction::Desc) => query.order((
            offers::active_from.is_not_null().desc(),
            offers::active_from.desc(),
        )),
        (OfferSort::CreatedAt, Direction::Asc) => query.order(offers::created_at.asc()),
        (OfferSort::CreatedAt, Direction::Desc) => query.order(offers::created_at.desc()),
    };
    // The id breaks ties so that pages never overlap or skip.
    let rows: Vec<OfferRow> = query
        .then_order_by(offers::id.asc())
        .limit(page.limit)
        .offset(page.offset)
        .select(OfferRow::as_select())
        .load(conn)?;
    let items = with_sets(conn, rows)?;
    Ok(Listed { items, total })
}
