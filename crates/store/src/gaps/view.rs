//! The read model of one gap: everything `GET /gaps/{id}` and every step's answer show, in one
//! call, so the API crate assembles nothing from separate store reads.

use crate::bodies::{self, Decision};
use crate::error::StoreResult;
use crate::gap_steps::{self, Feedback, Mandate, Solution};
use crate::DbConn;

use super::{find, history, Gap, GapEvent};

/// A gap with its steps' records, each list oldest first.
#[derive(Debug, Clone)]
pub struct GapView {
    pub gap: Gap,
    pub history: Vec<GapEvent>,
    /// The last is the current mandate.
    pub mandates: Vec<Mandate>,
    pub solutions: Vec<Solution>,
    pub feedback: Vec<Feedback>,
    /// User ids of the case managers who acknowledged the communicated solutions.
    pub acknowledged_by: Vec<i64>,
    /// The steering group's decisions naming this gap.
    pub decisions: Vec<Decision>,
}

/// The gap `id` and what its steps recorded (`NotFound` if there is no such gap).
pub fn view(conn: &mut DbConn, id: i64) -> StoreResult<GapView> {
    let gap = find(conn, id)?;
    Ok(GapView {
        gap,
        history: history(conn, id)?,
        mandates: gap_steps::mandates(conn, id)?,
        solutions: gap_steps::solutions_of(conn, &[id])?
            .into_iter()
            .map(|(_, solution)| solution)
            .collect(),
        feedback: gap_steps::feedback(conn, id)?,
        acknowledged_by: gap_steps::acknowledged_by(conn, id)?,
        decisions: bodies::decisions_on(conn, id)?,
    })
}
