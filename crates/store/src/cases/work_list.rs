//! What the work list reads of cases: the open cases a case manager works and the intakes
//! waiting for their decision.

use std::collections::HashMap;

use chrono::NaiveDate;
use diesel::prelude::*;
use kim_domain::case::CaseStatus;

use crate::error::StoreResult;
use crate::schema::{cases, clients};
use crate::DbConn;

/// The ids of the open cases `user` works (assigned or deputy), as a subquery for the work
/// list's reads of goals and referrals: the database narrows them, no list of ids travels.
#[diesel::dsl::auto_type]
pub fn open_of_assignee(user: i64) -> _ {
    let open: diesel::expression::SqlLiteral<diesel::sql_types::Bool> =
        diesel::dsl::sql("cases.status <> 'closed'");
    cases::table
        .filter(
            cases::assigned_user_id
                .eq(user)
                .or(cases::deputy_user_id.eq(user)),
        )
        .filter(open)
        .select(cases::id)
}

/// An intake waiting for `user`'s decision: the work list's `intake_to_decide`.
#[derive(Debug, Clone, PartialEq)]
pub struct IntakeTask {
    pub case_id: i64,
    pub opened_on: NaiveDate,
    pub lead_client_id: i64,
    pub lead_client_reference: String,
}

/// The cases in intake that `user` works (the work list's `intake_to_decide`): the first
/// `window` of them, oldest first, and how many there are in all. Three queries, whatever the
/// caseload.
pub fn intakes_of_assignee(
    conn: &mut DbConn,
    user: i64,
    window: i64,
) -> StoreResult<(Vec<IntakeTask>, i64)> {
    let intakes = || {
        cases::table
            .filter(
                cases::assigned_user_id
                    .eq(user)
                    .or(cases::deputy_user_id.eq(user)),
            )
            .filter(cases::status.eq(CaseStatus::Intake.as_str()))
    };
    let total: i64 = intakes().count().get_result(conn)?;
    if total == 0 || window <= 0 {
        return Ok((Vec::new(), total));
    }
    let rows: Vec<(i64, NaiveDate, i64)> = intakes()
        .order((cases::opened_on.asc(), cases::id.asc()))
        .limit(window)
        .select((cases::id, cases::opened_on, cases::lead_client_id))
        .load(conn)?;
    let leads: Vec<i64> = rows.iter().map(|r| r.2).collect();
    let references: HashMap<i64, String> = clients::table
        .filter(clients::id.eq_any(&leads))
        .select((clients::id, clients::reference))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect();
    let tasks = rows
        .into_iter()
        .map(|(case_id, opened_on, lead_client_id)| IntakeTask {
            case_id,
            opened_on,
            lead_client_id,
            lead_client_reference: references.get(&lead_client_id).cloned().unwrap_or_default(),
        })
        .collect();
    Ok((tasks, total))
}
