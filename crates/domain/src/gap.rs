//! The systematic-gap process (Bearbeitung systematischer Lücken): how a problem seen in single
//! cases becomes a structural fix. One table of steps, each with the one role that may take it,
//! the stages it may be taken from and the stage it leads to; [`check_gap_step`] adds what each
//! step requires. The store records actor, time, comment and payload of every step.
//!
//! | stage | who acts | steps (→ next stage) |
//! |---|---|---|
//! | `reported` | cm_coordinator | escalate (→ escalated; below the threshold only with a reason), close_not_systematic (→ not_systematic), merge (→ merged) |
//! | `escalated` | ki_lead; cm_coordinator | forward (→ with_steering_group); merge (→ merged) |
//! | `with_steering_group` | steering_member | mandate (→ mandated), reject (→ rejected) |
//! | `mandated` | project_group_member of a mandated group | propose (→ solutions_proposed) |
//! | `solutions_proposed` | steering_member | decide (→ solutions_decided), send_back (→ mandated) |
//! | `solutions_decided` | cm_coordinator | communicate (→ communicated) |
//! | `communicated` | case_manager | acknowledge (→ in_application) |
//! | `in_application` | case_manager; cm_coordinator | acknowledge, feedback (stay); close (→ closed), reopen (→ with_steering_group, after negative feedback) |
//!
//! `rejected`, `not_systematic`, `merged` and `closed` are final.
//!
//! The role is checked before the stage: a step belongs to one role whatever the stage, so a
//! caller who may never take it learns that (403) rather than when it would be possible (409).

use chrono::NaiveDate;

use crate::field::{optional_text, required_text, FieldError};
use crate::Role;

crate::vocabulary! {
    /// Stage of a systematic gap (Stand der Lücke).
    pub enum GapStage {
        /// 1. Gemeldet: reported by case managers.
        Reported => "reported",
        /// 2. Weitergemeldet: escalated by the CM coordination.
        Escalated => "escalated",
        /// 3. Bei der Lenkungsgruppe: forwarded by the KI head (or reopened).
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
        /// Zusammengeführt: a duplicate merged into another gap, which holds its reports (final).
        Merged => "merged",
    }
}

crate::vocabulary! {
    /// A step of the gap process (Verfahrensschritt); each is its own POST operation.
    pub enum GapStep {
        /// CM-Koordination meldet weiter (cm_coordinator).
        Escalate => "escalate",
        /// CM-Koordination schließt als nicht systematisch, mit Begründung (cm_coordinator).
        CloseNotSystematic => "close_not_systematic",
        /// CM-Koordination führt ein Duplikat mit einer anderen Lücke zusammen (cm_coordinator).
        Merge => "merge",
        /// KI-Leitung gibt an die Lenkungsgruppe (ki_lead).
        Forward => "forward",
        /// Lenkungsgruppe erteilt Projektgruppen ein Mandat (steering_member).
        Mandate => "mandate",
        /// Lenkungsgruppe lehnt ein Mandat ab, mit Begründung (steering_member).
        Reject => "reject",
        /// Projektgruppe legt Lösungsansätze vor (project_group_member of a mandated group).
        Propose => "propose",
        /// Lenkungsgruppe beschließt Lösungen und Öffentlichkeitsarbeit (steering_member).
        Decide => "decide",
        /// Lenkungsgruppe gibt an die Projektgruppe zurück, mit Begründung (steering_member).
        SendBack => "send_back",
        /// CM-Koordination macht die Lösungen den Fallmanager/innen bekannt (cm_coordinator).
        Communicate => "communicate",
        /// Fallmanager/in nimmt die Lösung zur Kenntnis und wendet sie an (case_manager).
        Acknowledge => "acknowledge",
        /// Fallmanager/in meldet zurück, ob die Lösung wirkt (case_manager).
        Feedback => "feedback",
        /// CM-Koordination schließt mit Ergebnis (cm_coordinator).
        Close => "close",
        /// CM-Koordination gibt erneut an die Lenkungsgruppe, wenn die Lösung nicht wirkt (cm_coordinator).
        Reopen => "reopen",
    }
}

crate::vocabulary! {
    /// Öffentlichkeitsarbeit / Transparenz decided with the solutions.
    pub enum Publicity {
        /// Keine: nothing is published.
        None => "none",
        /// Intern: made known within the administration and partners.
        Internal => "internal",
        /// Öffentlich: public relations (press, website).
        Public => "public",
    }
}

crate::vocabulary! {
    /// How well an applied solution works, as a case manager sees it (Rückmeldung).
    pub enum FeedbackRating {
        /// Wirksam
        Effective => "effective",
        /// Teilweise wirksam
        PartlyEffective => "partly_effective",
        /// Nicht wirksam
        NotEffective => "not_effective",
    }
}

impl FeedbackRating {
    /// Feedback that can justify reopening the gap.
    pub fn is_negative(self) -> bool {
        self != FeedbackRating::Effective
    }
}

/// One row of the table: step, from, to. The role is the step's ([`GapStep::role`]).
const TABLE: &[(GapStep, GapStage, GapStage)] = {
    use GapStage::*;
    use GapStep::*;
    &[
        (Escalate, Reported, Escalated),
        (CloseNotSystematic, Reported, NotSystematic),
        (Merge, Reported, Merged),
        (Merge, Escalated, Merged),
        (Forward, Escalated, WithSteeringGroup),
        (Mandate, WithSteeringGroup, Mandated),
        (Reject, WithSteeringGroup, Rejected),
        (Propose, Mandated, SolutionsProposed),
        (Decide, SolutionsProposed, SolutionsDecided),
        (SendBack, SolutionsProposed, Mandated),
        (Communicate, SolutionsDecided, Communicated),
        (Acknowledge, Communicated, InApplication),
        (Acknowledge, InApplication, InApplication),
        (Feedback, InApplication, InApplication),
        (Close, InApplication, Closed),
        (Reopen, InApplication, WithSteeringGroup),
    ]
};

impl GapStep {
    /// The one role that takes this step.
    pub fn role(self) -> Role {
        use GapStep::*;
        match self {
            Escalate | CloseNotSystematic | Merge | Communicate | Close | Reopen => {
                Role::CmCoordinator
            }
            Forward => Role::KiLead,
            Mandate | Reject | Decide | SendBack => Role::SteeringMember,
            Propose => Role::ProjectGroupMember,
            Acknowledge | Feedback => Role::CaseManager,
        }
    }

    /// The stage this step leads to from `from`, if it may be taken there.
    pub fn target(self, from: GapStage) -> Option<GapStage> {
        TABLE
            .iter()
            .find(|(step, stage, _)| *step == self && *stage == from)
            .map(|(_, _, to)| *to)
    }

    /// Steps the steering group takes in a meeting; each is recorded as one of its decisions.
    pub fn is_steering_decision(self) -> bool {
        self.role() == Role::SteeringMember
    }
}

impl GapStage {
    /// The steps possible in this stage, by anyone, in table order.
    pub fn steps(self) -> Vec<GapStep> {
        let mut steps: Vec<GapStep> = Vec::new();
        for (step, from, _) in TABLE {
            if *from == self && !steps.contains(step) {
                steps.push(*step);
            }
        }
        steps
    }

    /// The steps `role` may take in this stage: what waits for that role.
    pub fn steps_for(self, role: Role) -> Vec<GapStep> {
        self.steps()
            .into_iter()
            .filter(|s| s.role() == role)
            .collect()
    }

    pub fn is_final(self) -> bool {
        self.steps().is_empty()
    }
}

/// What a step may bring along; which fields are required depends on the step.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GapStepInput<'a> {
    /// Escalating early, closing as not systematic, rejecting, sending back, reopening.
    pub reason: Option<&'a str>,
    /// Merging: the surviving gap.
    pub merge_into: Option<i64>,
    /// Mandating, rejecting, deciding, sending back: the steering-group meeting the decision
    /// is recorded in.
    pub meeting_id: Option<i64>,
    /// Mandating: the project groups mandated.
    pub project_group_ids: &'a [i64],
    /// Mandating: the mandate's text.
    pub mandate: Option<&'a str>,
    /// Mandating: by when (not before today).
    pub due_on: Option<NaiveDate>,
    /// Proposing: how many solution approaches are submitted.
    pub solutions: usize,
    /// Deciding: how many of the proposed solutions are accepted.
    pub accepted_solutions: usize,
    /// Deciding: public relations / transparency.
    pub publicity: Option<Publicity>,
    /// Deciding: what is published and how (required unless `publicity` is `none`).
    pub publicity_text: Option<&'a str>,
    /// Feedback: how well the solution works.
    pub rating: Option<FeedbackRating>,
    /// Feedback: what the case manager saw.
    pub text: Option<&'a str>,
    /// Closing: the outcome.
    pub outcome: Option<&'a str>,
}

/// What the rules need to know about the gap and the caller beyond the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GapFacts {
    /// Distinct positions whose case managers reported the gap ([`distinct_reporting_positions`]).
    pub reporting_positions: u32,
    /// How many distinct positions make a gap systematic without a justification (default 2).
    pub escalation_threshold: u32,
    /// The caller belongs to a project group the gap's current mandate names.
    pub caller_in_mandated_group: bool,
    /// For the steering group's steps: whether the caller is a member of the body whose
    /// meeting the step names; `None` when no existing meeting is named (the input check
    /// answers that).
    pub caller_in_meeting_body: Option<bool>,
    /// Feedback rated partly or not effective has been given since the solutions were communicated.
    pub negative_feedback: u32,
    pub today: NaiveDate,
}

/// Why a step was refused: role (403), stage (409), input (422), another state of things (409).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GapStepError {
    #[error("only {} may {step}", step.role())]
    WrongRole { step: GapStep },
    #[error("only members of a project group mandated with this gap may propose solutions")]
    NotInMandatedGroup,
    #[error("only members of the steering group may take its decisions; you are not a member of the body whose meeting you named")]
    NotInSteeringGroup,
    #[error(
        "'{step}' is not possible while the gap is '{stage}'; possible now: {}",
        allowed_text(allowed)
    )]
    NotNow {
        step: GapStep,
        stage: GapStage,
        allowed: Vec<GapStep>,
    },
    #[error("{}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<FieldError>),
    #[error("{0}")]
    Conflict(String),
}

fn allowed_text(allowed: &[GapStep]) -> String {
    if allowed.is_empty() {
        "nothing (final stage)".into()
    } else {
        allowed
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Checks a step: the role (403), the stage (409), then the input (422) and the facts (409).
/// Returns the stage the gap moves to.
pub fn check_gap_step(
    step: GapStep,
    stage: GapStage,
    role: Role,
    input: &GapStepInput<'_>,
    facts: &GapFacts,
) -> Result<GapStage, GapStepError> {
    use GapStep::*;
    if role != step.role() {
        return Err(GapStepError::WrongRole { step });
    }
    let Some(to) = step.target(stage) else {
        return Err(GapStepError::NotNow {
            step,
            stage,
            allowed: stage.steps(),
        });
    };
    if step == Propose && !facts.caller_in_mandated_group {
        return Err(GapStepError::NotInMandatedGroup);
    }
    // The role says what kind of person decides; membership says whose decision it is: a
    // steering member of another county's (or a former) steering group does not decide here.
    if step.is_steering_decision() && facts.caller_in_meeting_body == Some(false) {
        return Err(GapStepError::NotInSteeringGroup);
    }
    let mut errors = Vec::new();
    let mut require = |field: &'static str, value: Option<&str>| {
        if let Err(e) = required_text(field, value) {
            errors.push(e);
        }
    };
    match step {
        Escalate if facts.reporting_positions < facts.escalation_threshold => {
            if input.reason.map(str::trim).unwrap_or_default().is_empty() {
                errors.push(FieldError::new(
                    "reason",
                    format!(
                        "is required to escalate a gap reported from {} position(s), fewer than {}",
                        facts.reporting_positions, facts.escalation_threshold
                    ),
                ));
            } else {
                require("reason", input.reason);
            }
        }
        CloseNotSystematic | Reject | SendBack | Reopen => require("reason", input.reason),
        Mandate => {
            require("mandate", input.mandate);
        }
        Feedback => require("text", input.text),
        Close => require("outcome", input.outcome),
        _ => {}
    }
    if let Err(e) = optional_text("reason", input.reason) {
        if !errors.iter().any(|x| x.field == "reason") {
            errors.push(e);
        }
    }
    if step == Merge && input.merge_into.is_none() {
        errors.push(FieldError::new(
            "merge_into",
            "is required: the surviving gap",
        ));
    }
    if step.is_steering_decision() && input.meeting_id.is_none() {
        errors.push(FieldError::new(
            "meeting_id",
            "is required: the step is a decision of a steering-group meeting",
        ));
    }
    if step == Mandate {
        if input.project_group_ids.is_empty() {
            errors.push(FieldError::new(
                "project_group_ids",
                "name at least one project group",
            ));
        }
        match input.due_on {
            None => errors.push(FieldError::new("due_on", "is required for a mandate")),
            Some(due) if due < facts.today => {
                errors.push(FieldError::new("due_on", "must not be in the past"))
            }
            Some(_) => {}
        }
    }
    if step == Propose && input.solutions == 0 {
        errors.push(FieldError::new(
            "solutions",
            "submit at least one solution approach",
        ));
    }
    if step == Decide {
        if input.accepted_solutions == 0 {
            errors.push(FieldError::new(
                "accepted_solution_ids",
                "accept at least one proposed solution, or send them back",
            ));
        }
        match input.publicity {
            None => errors.push(FieldError::new(
                "publicity",
                "is required: none, internal or public",
            )),
            Some(Publicity::None) => {}
            Some(_) => {
                if let Err(e) = required_text("publicity_text", input.publicity_text) {
                    errors.push(FieldError::new(
                        "publicity_text",
                        format!("{} when publicity is internal or public", e.message),
                    ));
                }
            }
        }
    }
    if step == Feedback && input.rating.is_none() {
        errors.push(FieldError::new(
            "rating",
            "is required: effective, partly_effective or not_effective",
        ));
    }
    if !errors.is_empty() {
        return Err(GapStepError::Invalid(errors));
    }
    if step == Reopen && facts.negative_feedback == 0 {
        return Err(GapStepError::Conflict(
            "reopening needs feedback rated partly_effective or not_effective; close the gap if the solutions work".into(),
        ));
    }
    Ok(to)
}

/// The gap a merge keeps (`merge_into`): another gap, and one still open — merging into a
/// closed, rejected or already merged gap would bury the reports.
pub fn check_merge_target(
    gap_id: i64,
    target_id: i64,
    target_stage: GapStage,
) -> Result<(), FieldError> {
    if target_id == gap_id {
        return Err(FieldError::new(
            "merge_into",
            "a gap cannot be merged into itself",
        ));
    }
    if target_stage.is_final() {
        return Err(FieldError::new(
            "merge_into",
            format!("gap {target_id} is '{target_stage}'; merge into an open gap"),
        ));
    }
    Ok(())
}

/// The number of distinct reporting positions (Stellen) of a gap's reports, given as
/// `(reporting user, position the user held when reporting)`. A reporter who held no position
/// counts as a position of their own, so that a report is never lost from the count; several
/// reports from one position count once.
pub fn distinct_reporting_positions(reports: &[(i64, Option<i64>)]) -> u32 {
    let mut keys: Vec<(bool, i64)> = reports
        .iter()
        .map(|(user, position)| match position {
            Some(p) => (true, *p),
            None => (false, *user),
        })
        .collect();
    keys.sort_unstable();
    keys.dedup();
    keys.len() as u32
}

/// The median of some durations in days (the mean of the middle two for an even count).
pub fn median_days(days: &[f64]) -> Option<f64> {
    if days.is_empty() {
        return None;
    }
    let mut sorted = days.to_vec();
    sorted.sort_by(|a, b| a.total_cmp(b));
    let middle = sorted.len() / 2;
    let median = if sorted.len().is_multiple_of(2) {
        (sorted[middle - 1] + sorted[middle]) / 2.0
    } else {
        sorted[middle]
    };
    Some((median * 10.0).round() / 10.0)
}

/// The stays of one gap in its stages, in days, from its stage entries `(stage, entered at)`
/// oldest first (consecutive entries of one stage are one stay); the last stay runs until
/// `now` unless its stage is final. For the pipeline's median days per stage.
pub fn stage_stays(
    entries: &[(GapStage, chrono::NaiveDateTime)],
    now: chrono::NaiveDateTime,
) -> Vec<(GapStage, f64)> {
    let mut stays = Vec::new();
    let mut current: Option<(GapStage, chrono::NaiveDateTime)> = None;
    for (stage, at) in entries {
        match current {
            Some((open, _)) if open == *stage => {}
            Some((open, since)) => {
                stays.push((open, days_between(since, *at)));
                current = Some((*stage, *at));
            }
            None => current = Some((*stage, *at)),
        }
    }
    if let Some((open, since)) = current {
        if !open.is_final() {
            stays.push((open, days_between(since, now)));
        }
    }
    stays
}

fn days_between(from: chrono::NaiveDateTime, to: chrono::NaiveDateTime) -> f64 {
    (to - from).num_seconds().max(0) as f64 / 86_400.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use GapStage::*;
    use GapStep::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 25).unwrap_or_default()
    }

    fn facts() -> GapFacts {
        GapFacts {
            reporting_positions: 2,
            escalation_threshold: 2,
            caller_in_mandated_group: true,
            caller_in_meeting_body: Some(true),
            negative_feedback: 1,
            today: today(),
        }
    }

    /// Input that satisfies every requirement, so the table itself is what is tested.
    fn complete() -> GapStepInput<'static> {
        GapStepInput {
            reason: Some("because"),
            merge_into: Some(7),
            meeting_id: Some(1),
            project_group_ids: &[1],
            mandate: Some("Find a way"),
            due_on: NaiveDate::from_ymd_opt(2027, 1, 1),
            solutions: 1,
            accepted_solutions: 1,
            publicity: Some(Publicity::Internal),
            publicity_text: Some("Newsletter to all CM staff"),
            rating: Some(FeedbackRating::NotEffective),
            text: Some("Still waiting months"),
            outcome: Some("Works"),
        }
    }

    /// The whole table, written out: every stage, every step, every role.
    #[test]
    fn every_stage_step_and_role() {
        let expected: &[(GapStep, GapStage, GapStage)] = &[
            (Escalate, Reported, Escalated),
            (CloseNotSystematic, Reported, NotSystematic),
            (Merge, Reported, Merged),
            (Merge, Escalated, Merged),
            (Forward, Escalated, WithSteeringGroup),
            (Mandate, WithSteeringGroup, Mandated),
            (Reject, WithSteeringGroup, Rejected),
            (Propose, Mandated, SolutionsProposed),
            (Decide, SolutionsProposed, SolutionsDecided),
            (SendBack, SolutionsProposed, Mandated),
            (Communicate, SolutionsDecided, Communicated),
            (Acknowledge, Communicated, InApplication),
            (Acknowledge, InApplication, InApplication),
            (Feedback, InApplication, InApplication),
            (Close, InApplication, Closed),
            (Reopen, InApplication, WithSteeringGroup),
        ];
        let roles = [
            (Escalate, Role::CmCoordinator),
            (CloseNotSystematic, Role::CmCoordinator),
            (Merge, Role::CmCoordinator),
            (Forward, Role::KiLead),
            (Mandate, Role::SteeringMember),
            (Reject, Role::SteeringMember),
            (Propose, Role::ProjectGroupMember),
            (Decide, Role::SteeringMember),
            (SendBack, Role::SteeringMember),
            (Communicate, Role::CmCoordinator),
            (Acknowledge, Role::CaseManager),
            (Feedback, Role::CaseManager),
            (Close, Role::CmCoordinator),
            (Reopen, Role::CmCoordinator),
        ];
        assert_eq!(roles.len(), GapStep::ALL.len());
        for stage in GapStage::ALL {
            for step in GapStep::ALL {
                let mover = roles
                    .iter()
                    .find(|(s, _)| s == step)
                    .map(|(_, r)| *r)
                    .expect("every step has a role");
                let target = expected
                    .iter()
                    .find(|(s, from, _)| s == step && from == stage)
                    .map(|(_, _, to)| *to);
                for role in Role::ALL {
                    let result = check_gap_step(*step, *stage, *role, &complete(), &facts());
                    let wanted = if *role != mover {
                        Err(GapStepError::WrongRole { step: *step })
                    } else {
                        match target {
                            Some(to) => Ok(to),
                            None => Err(GapStepError::NotNow {
                                step: *step,
                                stage: *stage,
                                allowed: stage.steps(),
                            }),
                        }
                    };
                    assert_eq!(result, wanted, "{step} from {stage} by {role}");
                }
            }
        }
    }

    #[test]
    fn final_stages_and_possible_steps() {
        for stage in [Rejected, Closed, NotSystematic, Merged] {
            assert!(stage.is_final(), "{stage}");
        }
        assert_eq!(Reported.steps(), vec![Escalate, CloseNotSystematic, Merge]);
        assert_eq!(
            InApplication.steps(),
            vec![Acknowledge, Feedback, Close, Reopen]
        );
        assert_eq!(
            InApplication.steps_for(Role::CaseManager),
            vec![Acknowledge, Feedback]
        );
        assert_eq!(WithSteeringGroup.steps_for(Role::CaseManager), vec![]);
        let refused = check_gap_step(
            Mandate,
            Reported,
            Role::SteeringMember,
            &complete(),
            &facts(),
        )
        .unwrap_err();
        assert_eq!(
            refused.to_string(),
            "'mandate' is not possible while the gap is 'reported'; possible now: escalate, close_not_systematic, merge"
        );
        let closed =
            check_gap_step(Close, Closed, Role::CmCoordinator, &complete(), &facts()).unwrap_err();
        assert!(closed.to_string().ends_with("nothing (final stage)"));
        assert_eq!(
            check_gap_step(Close, Reported, Role::KiLead, &complete(), &facts())
                .unwrap_err()
                .to_string(),
            "only cm_coordinator may close"
        );
    }

    #[test]
    fn escalating_below_the_threshold_needs_a_justification() {
        let few = GapFacts {
            reporting_positions: 1,
            ..facts()
        };
        let bare = GapStepInput::default();
        match check_gap_step(Escalate, Reported, Role::CmCoordinator, &bare, &few) {
            Err(GapStepError::Invalid(e)) => {
                assert_eq!(e[0].field, "reason");
                assert!(e[0].message.contains("1 position(s), fewer than 2"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            check_gap_step(Escalate, Reported, Role::CmCoordinator, &bare, &facts()),
            Ok(Escalated)
        );
        let justified = GapStepInput {
            reason: Some("Affects every family with a Kita place"),
            ..GapStepInput::default()
        };
        assert_eq!(
            check_gap_step(Escalate, Reported, Role::CmCoordinator, &justified, &few),
            Ok(Escalated)
        );
        let higher = GapFacts {
            escalation_threshold: 3,
            ..facts()
        };
        assert!(check_gap_step(Escalate, Reported, Role::CmCoordinator, &bare, &higher).is_err());
    }

    #[test]
    fn each_step_requires_its_input() {
        let bare = GapStepInput::default();
        let fields = |step: GapStep, stage| match check_gap_step(
            step,
            stage,
            step.role(),
            &bare,
            &facts(),
        ) {
            Err(GapStepError::Invalid(errors)) => {
                errors.iter().map(|e| e.field).collect::<Vec<_>>()
            }
            other => panic!("{step}: {other:?}"),
        };
        assert_eq!(fields(CloseNotSystematic, Reported), vec!["reason"]);
        assert_eq!(fields(Merge, Reported), vec!["merge_into"]);
        assert_eq!(
            fields(Mandate, WithSteeringGroup),
            vec!["mandate", "meeting_id", "project_group_ids", "due_on"]
        );
        assert_eq!(
            fields(Reject, WithSteeringGroup),
            vec!["reason", "meeting_id"]
        );
        assert_eq!(fields(Propose, Mandated), vec!["solutions"]);
        assert_eq!(
            fields(Decide, SolutionsProposed),
            vec!["meeting_id", "accepted_solution_ids", "publicity"]
        );
        assert_eq!(
            fields(SendBack, SolutionsProposed),
            vec!["reason", "meeting_id"]
        );
        assert_eq!(fields(Feedback, InApplication), vec!["text", "rating"]);
        assert_eq!(fields(Close, InApplication), vec!["outcome"]);
        assert_eq!(fields(Reopen, InApplication), vec!["reason"]);
        for (step, stage, to) in [
            (Forward, Escalated, WithSteeringGroup),
            (Communicate, SolutionsDecided, Communicated),
            (Acknowledge, Communicated, InApplication),
        ] {
            assert_eq!(
                check_gap_step(step, stage, step.role(), &bare, &facts()),
                Ok(to)
            );
        }
    }

    #[test]
    fn publicity_other_than_none_needs_a_text() {
        let mut input = complete();
        input.publicity_text = None;
        assert!(matches!(
            check_gap_step(Decide, SolutionsProposed, Role::SteeringMember, &input, &facts()),
            Err(GapStepError::Invalid(e)) if e[0].field == "publicity_text"
        ));
        input.publicity = Some(Publicity::None);
        assert_eq!(
            check_gap_step(
                Decide,
                SolutionsProposed,
                Role::SteeringMember,
                &input,
                &facts()
            ),
            Ok(SolutionsDecided)
        );
    }

    #[test]
    fn a_mandate_is_not_due_in_the_past() {
        let mut input = complete();
        input.due_on = today().pred_opt();
        assert!(matches!(
            check_gap_step(Mandate, WithSteeringGroup, Role::SteeringMember, &input, &facts()),
            Err(GapStepError::Invalid(e)) if e[0].field == "due_on"
        ));
    }

    #[test]
    fn only_members_of_a_mandated_group_propose() {
        let outsider = GapFacts {
            caller_in_mandated_group: false,
            ..facts()
        };
        assert_eq!(
            check_gap_step(
                Propose,
                Mandated,
                Role::ProjectGroupMember,
                &complete(),
                &outsider
            ),
            Err(GapStepError::NotInMandatedGroup)
        );
    }

    #[test]
    fn only_members_of_the_meetings_body_take_steering_decisions() {
        for step in GapStep::ALL
            .iter()
            .copied()
            .filter(|s| s.is_steering_decision())
        {
            let stage = GapStage::ALL
                .iter()
                .copied()
                .find(|stage| step.target(*stage).is_some())
                .expect("a stage the step starts from");
            for member in [Some(true), Some(false), None] {
                let facts = GapFacts {
                    caller_in_meeting_body: member,
                    ..facts()
                };
                let checked =
                    check_gap_step(step, stage, Role::SteeringMember, &complete(), &facts);
                assert_eq!(
                    checked == Err(GapStepError::NotInSteeringGroup),
                    member == Some(false),
                    "{step} / {member:?}"
                );
            }
        }
        // Other steps do not ask.
        let facts = GapFacts {
            caller_in_meeting_body: Some(false),
            ..facts()
        };
        assert!(check_gap_step(Forward, Escalated, Role::KiLead, &complete(), &facts).is_ok());
    }

    #[test]
    fn a_gap_merges_only_into_another_open_gap() {
        assert_eq!(
            check_merge_target(3, 3, GapStage::Reported).map_err(|e| e.field),
            Err("merge_into")
        );
        for stage in GapStage::ALL {
            assert_eq!(
                check_merge_target(3, 4, *stage).is_ok(),
                !stage.is_final(),
                "{stage}"
            );
        }
    }

    #[test]
    fn reopening_needs_negative_feedback() {
        let all_good = GapFacts {
            negative_feedback: 0,
            ..facts()
        };
        assert!(matches!(
            check_gap_step(
                Reopen,
                InApplication,
                Role::CmCoordinator,
                &complete(),
                &all_good
            ),
            Err(GapStepError::Conflict(_))
        ));
        assert!(FeedbackRating::PartlyEffective.is_negative());
        assert!(!FeedbackRating::Effective.is_negative());
    }

    #[test]
    fn positions_count_once_and_reporters_without_a_position_count_alone() {
        assert_eq!(distinct_reporting_positions(&[]), 0);
        assert_eq!(
            distinct_reporting_positions(&[(1, Some(10)), (1, Some(10)), (2, Some(10))]),
            1
        );
        assert_eq!(
            distinct_reporting_positions(&[(1, Some(10)), (2, Some(11))]),
            2
        );
        assert_eq!(distinct_reporting_positions(&[(1, None), (1, None)]), 1);
        // A user id and a position id that happen to be equal are still two positions.
        assert_eq!(distinct_reporting_positions(&[(5, None), (6, Some(5))]), 2);
    }

    #[test]
    fn stays_per_stage() {
        let at = |day: u32| {
            NaiveDate::from_ymd_opt(2026, 11, day)
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .unwrap_or_default()
        };
        let entries = [
            (Reported, at(1)),
            (Reported, at(2)),
            (Escalated, at(4)),
            (WithSteeringGroup, at(5)),
        ];
        assert_eq!(
            stage_stays(&entries, at(11)),
            vec![(Reported, 3.0), (Escalated, 1.0), (WithSteeringGroup, 6.0)]
        );
        let closed = [(InApplication, at(1)), (Closed, at(3))];
        assert_eq!(stage_stays(&closed, at(20)), vec![(InApplication, 2.0)]);
        assert!(stage_stays(&[], at(1)).is_empty());
    }

    #[test]
    fn medians() {
        assert_eq!(median_days(&[]), None);
        assert_eq!(median_days(&[3.0]), Some(3.0));
        assert_eq!(median_days(&[5.0, 1.0, 3.0]), Some(3.0));
        assert_eq!(median_days(&[1.0, 2.0, 4.0, 10.0]), Some(3.0));
        assert_eq!(median_days(&[0.04, 0.0]), Some(0.0));
    }
}
