//! Bodies (Gremien) of KIM and what their meetings decide: the steering group gives mandates
//! to project groups and decides on their solutions; working groups and network meetings
//! discuss. Which body may take which gap step is decided here.

crate::vocabulary! {
    /// Art des Gremiums (kind of body).
    pub enum BodyKind {
        /// Lenkungsgruppe: decision-maker level; mandates project groups, decides on solutions.
        SteeringGroup => "steering_group",
        /// Projektgruppe (lokal): one municipality or social area.
        ProjectGroupLocal => "project_group_local",
        /// Projektgruppe (thematisch): bound to a topic.
        ProjectGroupThematic => "project_group_thematic",
        /// Arbeitskreis, e.g. Arbeitskreis Integration.
        WorkingGroup => "working_group",
        /// Netzwerktreffen.
        NetworkMeeting => "network_meeting",
        /// Fallkonferenz-Runde (case-conference circle).
        CaseConferenceCircle => "case_conference_circle",
        /// Politischer Ausschuss: a council committee (e.g. Ausschuss für Soziales und
        /// Integration) the KI reports to; it decides nothing in the gap process.
        PoliticalCommittee => "political_committee",
    }
}

impl BodyKind {
    /// Project groups receive mandates and propose solutions.
    pub fn is_project_group(self) -> bool {
        matches!(
            self,
            BodyKind::ProjectGroupLocal | BodyKind::ProjectGroupThematic
        )
    }

    /// Only the steering group's meetings record the decisions of the gap process.
    pub fn records_gap_decisions(self) -> bool {
        self == BodyKind::SteeringGroup
    }
}

crate::vocabulary! {
    /// Ergebnis eines Beschlusses (outcome of a decision).
    pub enum DecisionOutcome {
        /// Angenommen (adopted), for a free decision.
        Adopted => "adopted",
        /// Abgelehnt: refused, or a gap's mandate refused.
        Rejected => "rejected",
        /// Vertagt (deferred).
        Deferred => "deferred",
        /// Mandat erteilt: project groups mandated with a gap.
        Mandated => "mandated",
        /// Lösungen beschlossen: solutions of a gap accepted.
        SolutionsAccepted => "solutions_accepted",
        /// Zurückgegeben: solutions sent back to the project groups.
        SentBack => "sent_back",
    }
}

impl DecisionOutcome {
    /// Outcomes that only the steps of the gap process record, so that a gap's decisions
    /// always match its history.
    pub fn is_gap_step(self) -> bool {
        matches!(
            self,
            DecisionOutcome::Mandated
                | DecisionOutcome::SolutionsAccepted
                | DecisionOutcome::SentBack
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_groups_and_the_steering_group() {
        let project: Vec<_> = BodyKind::ALL
            .iter()
            .filter(|k| k.is_project_group())
            .collect();
        assert_eq!(
            project,
            vec![
                &BodyKind::ProjectGroupLocal,
                &BodyKind::ProjectGroupThematic
            ]
        );
        let deciding: Vec<_> = BodyKind::ALL
            .iter()
            .filter(|k| k.records_gap_decisions())
            .collect();
        assert_eq!(deciding, vec![&BodyKind::SteeringGroup]);
    }

    #[test]
    fn gap_outcomes_are_reserved_for_the_gap_steps() {
        let reserved: Vec<_> = DecisionOutcome::ALL
            .iter()
            .filter(|o| o.is_gap_step())
            .collect();
        assert_eq!(
            reserved,
            vec![
                &DecisionOutcome::Mandated,
                &DecisionOutcome::SolutionsAccepted,
                &DecisionOutcome::SentBack
            ]
        );
    }

    #[test]
    fn vocabularies_round_trip() {
        for kind in BodyKind::ALL {
            assert_eq!(BodyKind::parse(kind.as_str()), Ok(*kind));
        }
        for outcome in DecisionOutcome::ALL {
            assert_eq!(DecisionOutcome::parse(outcome.as_str()), Ok(*outcome));
        }
    }
}
