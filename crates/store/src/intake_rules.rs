//! Intake rules (Aufnahmekriterien): the default rule and the local rules per municipality and
//! target group. One rule per scope (409 for a second); which rule judges a case is
//! `kim_domain::intake_rule::applicable_rule`'s choice over [`covering`].

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use kim_domain::case::TargetGroup;
use kim_domain::eligibility::EligibilityRule;
use kim_domain::intake_rule::{check_deletable, RuleScope};
use kim_domain::paging::PageRequest;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::connection::MultiBackend;
use crate::error::StoreResult;
use crate::schema::municipalities;
use crate::versioned::{delete_versioned, insert_versioned, update_versioned};
use crate::{clock, DbConn, Listed, StoreError};

use self::schema::intake_rules as ir;

/// The table of this module, written by hand to match `migrations/*/…_intake_rules`.
mod schema {
    diesel::table! {
        intake_rules (id) {
            id -> BigInt,
            scope -> Text,
            municipality_id -> Nullable<BigInt>,
            target_group -> Nullable<Text>,
            max_years_since_arrival -> Integer,
            exclude_other_case_management -> Bool,
            note -> Nullable<Text>,
            version -> Integer,
            created_at -> Timestamp,
            updated_at -> Timestamp,
        }
    }
}

/// What a rule says, apart from where it applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleData {
    pub rule: EligibilityRule,
    /// Why the rule was agreed (e.g. the local priority, the body that agreed it).
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntakeRule {
    pub id: i64,
    pub scope: RuleScope,
    pub data: RuleData,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = ir, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
struct Row {
    id: i64,
    municipality_id: Option<i64>,
    target_group: Option<String>,
    max_years_since_arrival: i32,
    exclude_other_case_management: bool,
    note: Option<String>,
    version: i32,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl TryFrom<Row> for IntakeRule {
    type Error = StoreError;
    fn try_from(r: Row) -> Result<Self, StoreError> {
        let target_group = r
            .target_group
            .as_deref()
            .map(TargetGroup::parse)
            .transpose()?;
        let scope = RuleScope::from_parts(r.municipality_id, target_group)
            .map_err(|e| StoreError::Corrupt(format!("intake rule {}: {e}", r.id)))?;
        Ok(IntakeRule {
            id: r.id,
            scope,
            data: RuleData {
                rule: EligibilityRule {
                    max_years_since_arrival: u32::try_from(r.max_years_since_arrival).unwrap_or(0),
                    exclude_other_case_management: r.exclude_other_case_management,
                },
                note: r.note,
            },
            version: r.version,
            created_at: clock::to_utc(r.created_at),
            updated_at: clock::to_utc(r.updated_at),
        })
    }
}

fn years(rule: &EligibilityRule) -> i32 {
    i32::try_from(rule.max_years_since_arrival).unwrap_or(i32::MAX)
}

/// Filters of the list; all optional, combined with AND.
/// The API reads them from the query string as they are, so their documentation is the
/// parameters'.
#[derive(Debug, Clone, Copy, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RuleFilter {
    /// The rules of one municipality (the default rule is not among them).
    pub municipality_id: Option<i64>,
}

fn filtered(filter: RuleFilter) -> ir::BoxedQuery<'static, MultiBackend> {
    let mut query = ir::table.into_boxed::<MultiBackend>();
    if let Some(municipality) = filter.municipality_id {
        query = query.filter(ir::municipality_id.eq(municipality));
    }
    query
}

fn loaded(rows: Vec<Row>) -> StoreResult<Vec<IntakeRule>> {
    rows.into_iter().map(IntakeRule::try_from).collect()
}

/// The default rule first (its scope sorts first), then by municipality and target group.
pub fn list(
    conn: &mut DbConn,
    filter: RuleFilter,
    page: PageRequest,
) -> StoreResult<Listed<IntakeRule>> {
    let total: i64 = filtered(filter).count().get_result(conn)?;
    let rows: Vec<Row> = filtered(filter)
        .order((
            ir::scope.asc(),
            ir::municipality_id.asc(),
            ir::target_group.asc(),
            ir::id.asc(),
        ))
        .limit(page.limit)
        .offset(page.offset)
        .select(Row::as_select())
        .load(conn)?;
    Ok(Listed {
        items: loaded(rows)?,
        total,
    })
}

pub fn find(conn: &mut DbConn, id: i64) -> StoreResult<IntakeRule> {
    ir::table
        .find(id)
        .select(Row::as_select())
        .first::<Row>(conn)?
        .try_into()
}

/// The rules that may cover a case opened in `municipality_id`: the default and the
/// municipality's own (a handful of rows).
pub fn covering(
    conn: &mut DbConn,
    municipality_id: i64,
) -> StoreResult<Vec<(RuleScope, EligibilityRule)>> {
    let rows: Vec<Row> = ir::table
        .filter(
            ir::municipality_id
                .eq(municipality_id)
                .or(ir::scope.eq(RuleScope::Default.kind())),
        )
        .select(Row::as_select())
        .load(conn)?;
    Ok(loaded(rows)?
        .into_iter()
        .map(|r| (r.scope, r.data.rule))
        .collect())
}

fn inserted(conn: &mut DbConn, scope: RuleScope, data: &RuleData) -> StoreResult<i64> {
    let now = clock::now();
    Ok(insert_versioned!(
        conn,
        ir,
        (
            ir::scope.eq(scope.kind()),
            ir::municipality_id.eq(scope.municipality_id()),
            ir::target_group.eq(scope.target_group().map(|g| g.as_str())),
            ir::max_years_since_arrival.eq(years(&data.rule)),
            ir::exclude_other_case_management.eq(data.rule.exclude_other_case_management),
            ir::note.eq(data.note.as_deref())
        ),
        now
    )?)
}

/// Adds a local rule; the municipality must exist (422) and its scope be free (409). The
/// default rule is not added here: it exists from the first start ([`ensure_default`]).
pub fn insert(conn: &mut DbConn, scope: RuleScope, data: &RuleData) -> StoreResult<IntakeRule> {
    if let Some(municipality) = scope.municipality_id() {
        let known: i64 = municipalities::table
            .filter(municipalities::id.eq(municipality))
            .count()
            .get_result(conn)?;
        if known == 0 {
            return Err(StoreError::unknown(
                "municipality_id",
                format!("no municipality with id {municipality}"),
            ));
        }
    }
    let id = inserted(conn, scope, data).map_err(|e| match e {
        StoreError::Duplicate { .. } => StoreError::Conflict(match scope {
            RuleScope::Default => "the default intake rule exists; change it with PUT".into(),
            RuleScope::Municipality(m) => format!(
                "municipality {m} has its intake rule; change it with PUT and If-Match"
            ),
            RuleScope::MunicipalityTargetGroup(m, g) => format!(
                "municipality {m} has its intake rule for target group '{}'; change it with PUT and If-Match",
                g.as_str()
            ),
        }),
        other => other,
    })?;
    find(conn, id)
}

/// Writes the default rule from the configuration when none exists (the first start, or a
/// database migrated by an older version); an existing default is left as the coordination
/// set it. Returns whether it wrote one.
pub fn ensure_default(conn: &mut DbConn, rule: &EligibilityRule) -> StoreResult<bool> {
    let existing: i64 = ir::table
        .filter(ir::scope.eq(RuleScope::Default.kind()))
        .count()
        .get_result(conn)?;
    if existing > 0 {
        return Ok(false);
    }
    let data = RuleData {
        rule: rule.clone(),
        note: Some(
            "Seeded from KIM_INTAKE_MAX_YEARS_SINCE_ARRIVAL and KIM_INTAKE_EXCLUDE_OTHER_CASE_MANAGEMENT"
                .into(),
        ),
    };
    match inserted(conn, RuleScope::Default, &data) {
        Ok(_) => Ok(true),
        // Another server wrote it first.
        Err(StoreError::Duplicate { .. }) => Ok(false),
        Err(other) => Err(other),
    }
}

/// Replaces what the rule says; its scope stays.
pub fn update(
    conn: &mut DbConn,
    id: i64,
    expected_version: i32,
    data: &RuleData,
) -> StoreResult<IntakeRule> {
    find(conn, id)?;
    update_versioned!(
        conn,
        ir,
        id,
        expected_version,
        (
            ir::max_years_since_arrival.eq(years(&data.rule)),
            ir::exclude_other_case_management.eq(data.rule.exclude_other_case_management),
            ir::note.eq(data.note.as_deref())
        )
    )?;
    find(conn, id)
}

/// Deletes a local rule (409 for the default).
pub fn delete(conn: &mut DbConn, id: i64, expected_version: i32) -> StoreResult<()> {
    let current = find(conn, id)?;
    check_deletable(current.scope).map_err(|why| StoreError::Conflict(why.into()))?;
    delete_versioned!(conn, ir, id, expected_version)
}
