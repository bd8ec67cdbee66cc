//! The referral and goal reports: referrals by organisation, kind and outcome with their rates and
//! times, and the help-plan goals by status.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{Nullable, Text};
use kim_domain::report::query::{Period, ReferralDimension};

use crate::error::StoreResult;
use crate::DbConn;

use super::{grouped_pairs, lit, Scope};

/// The referral outcomes, in the order the report shows them.
pub const REFERRAL_OUTCOMES: &[&str] = &["accepted", "declined", "completed", "withdrawn", "sent"];

/// Referrals sent in the period per recipient (organisation id or kind) and current status, and
/// the days from sending to the first answer (accepted or declined) of each answered one.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReferralCounts {
    /// (recipient key, outcome, count)
    pub counts: Vec<(String, String, u64)>,
    /// recipient key → days to answer, one value per answered referral
    pub answer_days: HashMap<String, Vec<i64>>,
}

pub fn referrals(
    conn: &mut DbConn,
    scope: Scope,
    period: Period,
    dim: ReferralDimension,
) -> StoreResult<ReferralCounts> {
    let counts = referral_counts(conn, scope, period, dim)?;
    let from_where = referrals_sent_in(scope, period, dim);
    let key = referral_key(dim);

    #[derive(QueryableByName)]
    struct Answer {
        #[diesel(sql_type = Nullable<Text>)]
        k: Option<String>,
        #[diesel(sql_type = diesel::sql_types::Timestamp)]
        sent_at: NaiveDateTime,
        #[diesel(sql_type = diesel::sql_types::Timestamp)]
        answered_at: NaiveDateTime,
    }
    // The inner join keeps only answered referrals; the first answer is the earliest event.
    let sql = format!(
        "SELECT CAST({key} AS TEXT) AS k, r.sent_at AS sent_at, MIN(e.occurred_at) AS answered_at \
         {from_where} GROUP BY r.id, 1, r.sent_at"
    );
    let sql = sql.replacen(
        "FROM referrals r",
        "FROM referrals r JOIN referral_events e ON e.referral_id = r.id \
         AND e.to_status IN ('accepted', 'declined')",
        1,
    );
    let answers: Vec<Answer> = diesel::sql_query(sql).load(conn)?;
    let mut answer_days: HashMap<String, Vec<i64>> = HashMap::new();
    for a in answers {
        answer_days
            .entry(a.k.unwrap_or_default())
            .or_default()
            .push((a.answered_at.date() - a.sent_at.date()).num_days());
    }
    Ok(ReferralCounts {
        counts,
        answer_days,
    })
}

fn referral_key(dim: ReferralDimension) -> &'static str {
    match dim {
        ReferralDimension::Organisation => "CAST(r.recipient_organisation_id AS TEXT)",
        ReferralDimension::OrganisationKind => "o.kind",
    }
}

/// Referrals sent at or after the period's first day and before the day after its last.
fn referrals_sent_in(scope: Scope, period: Period, dim: ReferralDimension) -> String {
    let until = period.to.succ_opt().unwrap_or(period.to);
    let organisation = match dim {
        ReferralDimension::Organisation => "",
        ReferralDimension::OrganisationKind => {
            " JOIN organisations o ON o.id = r.recipient_organisation_id"
        }
    };
    format!(
        "FROM referrals r{}{organisation} \
         WHERE r.sent_at IS NOT NULL AND r.sent_at >= {} AND r.sent_at < {} AND {}",
        scope.case_join("r.case_id"),
        lit(period.from),
        lit(until),
        scope.condition()
    )
}

/// Referrals sent in the period per recipient and current status, without the days to answer
/// (the programme report shows the counts only; the days cost it 190 ms on 100,000 cases).
pub fn referral_counts(
    conn: &mut DbConn,
    scope: Scope,
    period: Period,
    dim: ReferralDimension,
) -> StoreResult<Vec<(String, String, u64)>> {
    // `*`: the joins (its case, its organisation) are one row each, so no referral repeats.
    grouped_pairs(
        conn,
        [referral_key(dim).to_owned(), "r.status".to_owned()],
        "*",
        &referrals_sent_in(scope, period, dim),
    )
}

/// The goal statuses, in the order the report shows them.
pub const GOAL_STATUSES: &[&str] = &["achieved", "dropped", "open"];

/// Help-plan goals set in the period, per topic and current status.
pub fn goals(
    conn: &mut DbConn,
    scope: Scope,
    period: Period,
) -> StoreResult<Vec<(String, String, u64)>> {
    let until = period.to.succ_opt().unwrap_or(period.to);
    let from_where = format!(
        "FROM goals g{} WHERE g.created_at >= {} AND g.created_at < {} AND {}",
        scope.case_join("g.case_id"),
        lit(period.from),
        lit(until),
        scope.condition()
    );
    // `*`: a goal has one case, so the join repeats none.
    grouped_pairs(
        conn,
        ["g.topic".into(), "g.status".into()],
        "*",
        &from_where,
    )
}
