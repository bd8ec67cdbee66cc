//! Externe Mitwirkung: the proposed solutions and feedback that member organisations of a
//! mandated project group send through their partner tokens, and which gaps such an
//! organisation sees (the gaps any mandate of which names a project group it is a member of).

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use kim_domain::gap::FeedbackRating;
use kim_domain::gap_contribution::{ContributionKind, NewContribution};

use crate::bodies::{bodies, body_members};
use crate::error::StoreResult;
use crate::{clock, gaps, DbConn, StoreError};

diesel::table! {
    gap_contributions (id) {
        id -> BigInt,
        gap_id -> BigInt,
        organisation_id -> BigInt,
        project_group_id -> BigInt,
        partner_token_id -> Nullable<BigInt>,
        kind -> Text,
        text -> Text,
        rating -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = gap_contributions, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
struct ContributionRow {
    id: i64,
    gap_id: i64,
    organisation_id: i64,
    project_group_id: i64,
    partner_token_id: Option<i64>,
    kind: String,
    text: String,
    rating: Option<String>,
    created_at: NaiveDateTime,
}

/// A stored contribution.
#[derive(Debug, Clone, PartialEq)]
pub struct Contribution {
    pub id: i64,
    pub gap_id: i64,
    pub organisation_id: i64,
    /// The mandated project group the organisation contributed as a member of.
    pub project_group_id: i64,
    pub partner_token_id: Option<i64>,
    pub kind: ContributionKind,
    pub text: String,
    pub rating: Option<FeedbackRating>,
    pub created_at: DateTime<Utc>,
}

impl TryFrom<ContributionRow> for Contribution {
    type Error = StoreError;

    fn try_from(row: ContributionRow) -> StoreResult<Contribution> {
        Ok(Contribution {
            id: row.id,
            gap_id: row.gap_id,
            organisation_id: row.organisation_id,
            project_group_id: row.project_group_id,
            partner_token_id: row.partner_token_id,
            kind: ContributionKind::parse(&row.kind)?,
            text: row.text,
            rating: row
                .rating
                .as_deref()
                .map(FeedbackRating::parse)
                .transpose()?,
            created_at: clock::to_utc(row.created_at),
        })
    }
}

/// The project groups (local or thematic) the organisation is a member of, by id.
pub fn project_groups_of(conn: &mut DbConn, organisation_id: i64) -> StoreResult<Vec<i64>> {
    let member_of: Vec<i64> = body_members::table
        .filter(body_members::organisation_id.eq(organisation_id))
        .select(body_members::body_id)
        .load(conn)?;
    let rows: Vec<(i64, String)> = bodies::table
        .filter(bodies::id.eq_any(member_of))
        .select((bodies::id, bodies::kind))
        .load(conn)?;
    let mut ids: Vec<i64> = rows
        .into_iter()
        .filter(|(_, kind)| {
            kim_domain::body::BodyKind::parse(kind).is_ok_and(|k| k.is_project_group())
        })
        .map(|(id, _)| id)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

/// The gaps the organisation sees as a contributor, each with the organisation's groups its
/// mandates name, by gap id.
pub fn visible_gaps(conn: &mut DbConn, organisation_id: i64) -> StoreResult<Vec<(i64, Vec<i64>)>> {
    let mut seen: std::collections::BTreeMap<i64, Vec<i64>> = std::collections::BTreeMap::new();
    for group in project_groups_of(conn, organisation_id)? {
        for gap in gaps::gaps_mandated_to(conn, group)? {
            seen.entry(gap).or_default().push(group);
        }
    }
    Ok(seen.into_iter().collect())
}

/// The organisation's groups that a mandate of the gap names (empty: the gap is not theirs).
pub fn groups_for(conn: &mut DbConn, organisation_id: i64, gap_id: i64) -> StoreResult<Vec<i64>> {
    Ok(visible_gaps(conn, organisation_id)?
        .into_iter()
        .find(|(gap, _)| *gap == gap_id)
        .map(|(_, groups)| groups)
        .unwrap_or_default())
}

pub fn insert(
    conn: &mut DbConn,
    gap_id: i64,
    organisation_id: i64,
    project_group_id: i64,
    partner_token_id: Option<i64>,
    new: &NewContribution,
) -> StoreResult<Contribution> {
    let id: i64 = diesel::insert_into(gap_contributions::table)
        .values((
            gap_contributions::gap_id.eq(gap_id),
            gap_contributions::organisation_id.eq(organisation_id),
            gap_contributions::project_group_id.eq(project_group_id),
            gap_contributions::partner_token_id.eq(partner_token_id),
            gap_contributions::kind.eq(new.kind.as_str()),
            gap_contributions::text.eq(&new.text),
            gap_contributions::rating.eq(new.rating.map(|r| r.as_str())),
            gap_contributions::created_at.eq(clock::now()),
        ))
        .returning(gap_contributions::id)
        .get_result(conn)?;
    find(conn, id)
}

pub fn find(conn: &mut DbConn, id: i64) -> StoreResult<Contribution> {
    gap_contributions::table
        .find(id)
        .select(ContributionRow::as_select())
        .first(conn)?
        .try_into()
}

/// The contributions to a gap, oldest first; only one organisation's when `organisation_id`
/// is given.
pub fn of_gap(
    conn: &mut DbConn,
    gap_id: i64,
    organisation_id: Option<i64>,
) -> StoreResult<Vec<Contribution>> {
    let mut query = gap_contributions::table
        .filter(gap_contributions::gap_id.eq(gap_id))
        .into_boxed();
    if let Some(organisation) = organisation_id {
        query = query.filter(gap_contributions::organisation_id.eq(organisation));
    }
    query
        .order(gap_contributions::id.asc())
        .select(ContributionRow::as_select())
        .load::<ContributionRow>(conn)?
        .into_iter()
        .map(Contribution::try_from)
        .collect()
}
