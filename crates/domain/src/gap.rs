//! The systematic-gap process (Bearbeitung systematischer Lücken): how a problem seen in single
//! cases becomes a structural fix. One transition table, each move with the role that may take
//! it and what it requires; the API records actor, time and comment of every move.
//!
//! Groundwork for the gap issue: the rules only, without storage or endpoints yet.

use crate::field::{required_text, FieldError};
use crate::transition::IllegalTransition;
use crate::Role;

crate::vocabulary! {
    /// Stage of a systematic gap (Stand der Lücke).
    pub enum GapStage {
        /// 1. Gemeldet: reported by case managers.
        Reported => "reported",
        /// 2. Weitergemeldet: escalated by the CM coordination.
        Escalated => "escalated",
        /// 3. Bei der Lenkungsgruppe: forwarded by the KI head.
        WithSteeringGroup => "with_steering_group",
        /// 4a. Mandatiert: project groups have a mandate.
        Mandated => "mandated",
        /// 4b. Abgelehnt: the steering group refused a mandate (final).
        Rejected => "rejected",
        /// 5. Lösungsansätze vorgelegt: the project groups proposed solutions.
        SolutionsProposed => "solutions_proposed",
        /// 6. Beschlossen: the steering group accepted solutions.
        SolutionsDecided => "solutions_decided",
        /// 7. Kommuniziert: the CM coordination told the case managers.
        Communicated => "communicated",
        /// 8. In Anwendung: case managers apply the solutions and report back.
        InApplication => "in_application",
        /// Abgeschlossen: closed with an outcome (final).
        Closed => "closed",
        /// Nicht systematisch: closed by the CM coordination as a single-case problem (final).
        NotSystematic => "not_systematic",
    }
}

/// One row of the table: from, to, who.
const TABLE: &[(GapStage, GapStage, Role)] = {
    use GapStage::*;
    &[
        (Reported, Escalated, Role::CmCoordinator),
        (Reported, NotSystematic, Role::CmCoordinator),
        (Escalated, WithSteeringGroup, Role::KiLead),
        (WithSteeringGroup, Mandated, Role::SteeringMember),
        (WithSteeringGroup, Rejected, Role::SteeringMember),
        (Mandated, SolutionsProposed, Role::ProjectGroupMember),
        (SolutionsProposed, SolutionsDecided, Role::SteeringMember),
        (SolutionsProposed, Mandated, Role::SteeringMember),
        (SolutionsDecided, Communicated, Role::CmCoordinator),
        (Communicated, InApplication, Role::CaseManager),
        (InApplication, Closed, Role::CmCoordinator),
        (InApplication, WithSteeringGroup, Role::CmCoordinator),
    ]
};

impl GapStage {
    /// The stages reachable from this one, by anyone.
    pub fn allowed_next(self) -> Vec<GapStage> {
        TABLE
            .iter()
            .filter(|(from, _, _)| *from == self)
            .map(|(_, to, _)| *to)
            .collect()
    }

    /// The role that may move a gap from `self` to `to`, if the move exists.
    pub fn mover(self, to: GapStage) -> Option<Role> {
        TABLE
            .iter()
            .find(|(from, target, _)| *from == self && *target == to)
            .map(|(_, _, role)| *role)
    }

    pub fn is_final(self) -> bool {
        self.allowed_next().is_empty()
    }
}

/// What a move may bring along; which fields are required depends on the move.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GapMoveInput<'a> {
    /// Escalating early, closing as not systematic, rejecting, sending back, reopening.
    pub reason: Option<&'a str>,
    /// Mandating: the project groups mandated.
    pub project_group_ids: &'a [i64],
    /// Mandating: the mandate's text.
    pub mandate: Option<&'a str>,
    /// Mandating: by when.
    pub due_on: Option<chrono::NaiveDate>,
    /// Mandating, rejecting, deciding: the steering-group meeting decision this is recorded as.
    pub decision_id: Option<i64>,
    /// Proposing: how many solution approaches are submitted.
    pub solutions: usize,
    /// Deciding: how many of the proposed solutions are accepted.
    pub accepted_solutions: usize,
    /// Closing: the outcome.
    pub outcome: Option<&'a str>,
}

/// What the rules need to know about the gap and the caller beyond the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GapFacts {
    /// Distinct positions whose case managers reported the gap.
    pub reporting_positions: u32,
    /// How many distinct positions make a gap systematic without a justification (default 2).
    pub escalation_threshold: u32,
    /// The caller belongs to a project group the gap is mandated to.
    pub caller_in_mandated_group: bool,
}

/// Why a move was refused: role (403), state machine (409), input (422).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GapMoveError {
    #[error("only {0} may take this step")]
    WrongRole(Role),
    #[error(transparent)]
    Illegal(#[from] IllegalTransition),
    #[error("{}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<FieldError>),
}

/// Checks a move: the state machine first (409), then the role (403), then the input (422).
pub fn check_gap_move(
    from: GapStage,
    to: GapStage,
    role: Role,
    input: &GapMoveInput<'_>,
    facts: &GapFacts,
) -> Result<(), GapMoveError> {
    use GapStage::*;
    let Some(mover) = from.mover(to) else {
        return Err(GapMoveError::Illegal(IllegalTransition {
            from: from.as_str(),
            to: to.as_str(),
            allowed: from.allowed_next().iter().map(|s| s.as_str()).collect(),
        }));
    };
    if role != mover || (to == SolutionsProposed && !facts.caller_in_mandated_group) {
        return Err(GapMoveError::WrongRole(mover));
    }
    let mut errors = Vec::new();
    let need_reason = |errors: &mut Vec<FieldError>| {
        if let Err(e) = required_text("reason", input.reason) {
            errors.push(e);
        }
    };
    match (from, to) {
        (Reported, Escalated) if facts.reporting_positions < facts.escalation_threshold => {
            need_reason(&mut errors)
        }
        (Reported, NotSystematic)
        | (WithSteeringGroup, Rejected)
        | (SolutionsProposed, Mandated)
        | (InApplication, WithSteeringGroup) => need_reason(&mut errors),
        _ => {}
    }
    if matches!(to, Mandated | Rejected | SolutionsDecided) && input.decision_id.is_none() {
        errors.push(FieldError::new(
            "decision_id",
            "is required: the step is a decision of a steering-group meeting",
        ));
    }
    if to == Mandated && from == WithSteeringGroup {
        if input.project_group_ids.is_empty() {
            errors.push(FieldError::new(
                "project_group_ids",
                "name at least one project group",
            ));
        }
        if let Err(e) = required_text("mandate", input.mandate) {
            errors.push(e);
        }
        if input.due_on.is_none() {
            errors.push(FieldError::new("due_on", "is required for a mandate"));
        }
    }
    if to == SolutionsProposed && input.solutions == 0 {
        errors.push(FieldError::new(
            "solutions",
            "submit at least one solution approach",
        ));
    }
    if to == SolutionsDecided && input.accepted_solutions == 0 {
        errors.push(FieldError::new(
            "accepted_solutions",
            "accept at least one solution, or send them back",
        ));
    }
    if to == Closed {
        if let Err(e) = required_text("outcome", input.outcome) {
            errors.push(e);
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(GapMoveError::Invalid(errors))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use GapStage::*;

    fn facts() -> GapFacts {
        GapFacts {
            reporting_positions: 2,
            escalation_threshold: 2,
            caller_in_mandated_group: true,
        }
    }

    /// Input that satisfies every requirement, so the table itself is what is tested.
    fn complete() -> GapMoveInput<'static> {
        GapMoveInput {
            reason: Some("because"),
            project_group_ids: &[1],
            mandate: Some("Find a way"),
            due_on: chrono::NaiveDate::from_ymd_opt(2027, 1, 1),
            decision_id: Some(1),
            solutions: 1,
            accepted_solutions: 1,
            outcome: Some("Works"),
        }
    }

    #[test]
    fn the_whole_table_for_every_role() {
        for from in GapStage::ALL {
            for to in GapStage::ALL {
                for role in Role::ALL {
                    let result = check_gap_move(*from, *to, *role, &complete(), &facts());
                    match from.mover(*to) {
                        None => assert!(
                            matches!(result, Err(GapMoveError::Illegal(_))),
                            "{from}->{to}"
                        ),
                        Some(mover) if mover == *role => {
                            assert_eq!(result, Ok(()), "{from}->{to} by {role}")
                        }
                        Some(mover) => assert_eq!(
                            result,
                            Err(GapMoveError::WrongRole(mover)),
                            "{from}->{to} by {role}"
                        ),
                    }
                }
            }
        }
    }

    #[test]
    fn final_stages_and_allowed_moves() {
        assert!(Rejected.is_final() && Closed.is_final() && NotSystematic.is_final());
        assert_eq!(Reported.allowed_next(), vec![Escalated, NotSystematic]);
        assert_eq!(
            InApplication.allowed_next(),
            vec![Closed, WithSteeringGroup]
        );
        let refused = check_gap_move(
            Reported,
            Mandated,
            Role::SteeringMember,
            &complete(),
            &facts(),
        )
        .unwrap_err();
        assert!(
            refused.to_string().contains("escalated, not_systematic"),
            "{refused}"
        );
    }

    #[test]
    fn escalating_early_needs_a_justification() {
        let few = GapFacts {
            reporting_positions: 1,
            ..facts()
        };
        let bare = GapMoveInput::default();
        assert!(
            matches!(check_gap_move(Reported, Escalated, Role::CmCoordinator, &bare, &few), Err(GapMoveError::Invalid(e)) if e[0].field == "reason")
        );
        assert_eq!(
            check_gap_move(Reported, Escalated, Role::CmCoordinator, &bare, &facts()),
            Ok(())
        );
        let justified = GapMoveInput {
            reason: Some("Affects every family with a Kita place"),
            ..GapMoveInput::default()
        };
        assert_eq!(
            check_gap_move(Reported, Escalated, Role::CmCoordinator, &justified, &few),
            Ok(())
        );
    }

    #[test]
    fn each_step_requires_its_input() {
        let bare = GapMoveInput::default();
        let fields = |from, to, role| match check_gap_move(from, to, role, &bare, &facts()) {
            Err(GapMoveError::Invalid(errors)) => {
                errors.iter().map(|e| e.field).collect::<Vec<_>>()
            }
            other => panic!("{other:?}"),
        };
        assert_eq!(
            fields(Reported, NotSystematic, Role::CmCoordinator),
            vec!["reason"]
        );
        assert_eq!(
            fields(WithSteeringGroup, Mandated, Role::SteeringMember),
            vec!["decision_id", "project_group_ids", "mandate", "due_on"]
        );
        assert_eq!(
            fields(WithSteeringGroup, Rejected, Role::SteeringMember),
            vec!["reason", "decision_id"]
        );
        assert_eq!(
            fields(Mandated, SolutionsProposed, Role::ProjectGroupMember),
            vec!["solutions"]
        );
        assert_eq!(
            fields(SolutionsProposed, SolutionsDecided, Role::SteeringMember),
            vec!["decision_id", "accepted_solutions"]
        );
        assert_eq!(
            fields(SolutionsProposed, Mandated, Role::SteeringMember),
            vec!["reason", "decision_id"]
        );
        assert_eq!(
            fields(InApplication, Closed, Role::CmCoordinator),
            vec!["outcome"]
        );
        assert_eq!(
            fields(InApplication, WithSteeringGroup, Role::CmCoordinator),
            vec!["reason"]
        );
        assert_eq!(
            check_gap_move(Escalated, WithSteeringGroup, Role::KiLead, &bare, &facts()),
            Ok(())
        );
        assert_eq!(
            check_gap_move(
                Communicated,
                InApplication,
                Role::CaseManager,
                &bare,
                &facts()
            ),
            Ok(())
        );
    }

    #[test]
    fn only_members_of_a_mandated_group_propose() {
        let outsider = GapFacts {
            caller_in_mandated_group: false,
            ..facts()
        };
        assert_eq!(
            check_gap_move(
                Mandated,
                SolutionsProposed,
                Role::ProjectGroupMember,
                &complete(),
                &outsider
            ),
            Err(GapMoveError::WrongRole(Role::ProjectGroupMember))
        );
    }
}
