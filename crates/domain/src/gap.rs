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
//!
//! One file on purpose (about 620 lines of rules, the rest their tests): the step table, the facts
//! a step is checked against and [`check_gap_step`] are read together, and the tests run over the
//! whole table.

use chrono::NaiveDate;

use crate::body::BodyKind;
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
    /// Deciding: the proposed solutions accepted.
    pub accepted_solution_ids: &'a [i64],
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
    /// Any step: a remark for the history, required by none.
    pub comment: Option<&'a str>,
}

/// What the rules need to know about the gap and the caller beyond the input: what only the
/// store knows. A fact a step does not ask about may be left at its default.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GapFacts<'a> {
    /// The gap the step is taken on.
    pub gap_id: i64,
    /// Distinct positions whose case managers reported the gap ([`distinct_reporting_positions`]).
    pub reporting_positions: u32,
    /// How many distinct positions make a gap systematic without a justification (default 2).
    pub escalation_threshold: u32,
    /// The caller belongs to a project group the gap's current mandate names.
    pub caller_in_mandated_group: bool,
    /// For the steering group's steps: the meeting `meeting_id` names; `None` when there is no
    /// such meeting.
    pub meeting: Option<MeetingFacts>,
    /// Feedback rated partly or not effective has been given since the solutions were communicated.
    pub negative_feedback: u32,
    /// Merging: the stage of the gap `merge_into` names; `None` when there is no such gap.
    pub merge_target_stage: Option<GapStage>,
    /// Mandating: the bodies among `project_group_ids` that exist, with their kind.
    pub project_group_kinds: &'a [(i64, BodyKind)],
    /// Deciding: the gap's proposed solutions the steering group has not decided on yet.
    pub undecided_solution_ids: &'a [i64],
    /// Acknowledging: the caller has acknowledged the solutions before.
    pub already_acknowledged: bool,
    pub today: NaiveDate,
}

/// The meeting a steering-group step names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MeetingFacts {
    /// The kind of body whose meeting it is.
    pub body_kind: BodyKind,
    /// The caller is a member of that body.
    pub caller_is_member: bool,
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
    /// 422 on `meeting_id`.
    #[error("no meeting with id {meeting_id}")]
    UnknownMeeting { meeting_id: i64 },
    /// 422 on `meeting_id`.
    #[error("meeting {meeting_id} is a meeting of a {kind}, not of the steering group")]
    NotASteeringMeeting { meeting_id: i64, kind: BodyKind },
    /// 422 on `project_group_ids`.
    #[error("no body with id {body_id}")]
    UnknownProjectGroup { body_id: i64 },
    /// 422 on `project_group_ids`.
    #[error("body {body_id} is a {kind}, not a project group")]
    NotAProjectGroup { body_id: i64, kind: BodyKind },
    /// 422 on `merge_into`.
    #[error("no gap with id {gap_id}")]
    UnknownMergeTarget { gap_id: i64 },
    /// 422 on `accepted_solution_ids`.
    #[error("{solution_id} is not a proposed, undecided solution of this gap")]
    NotAnUndecidedSolution { solution_id: i64 },
    /// 409: each case manager acknowledges once.
    #[error("you have already acknowledged these solutions")]
    AlreadyAcknowledged,
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

/// Checks a step: the role (403), the stage (409), then the input (422) and the facts (409),
/// then what the input's ids name (422) and a second acknowledgement (409): every refusal a
/// step can meet, in the order a client meets them. Returns the stage the gap moves to.
pub fn check_gap_step(
    step: GapStep,
    stage: GapStage,
    role: Role,
    input: &GapStepInput<'_>,
    facts: &GapFacts<'_>,
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
    // Membership counts only in a meeting of the steering group; any other meeting is refused
    // below (422 on `meeting_id`), whoever asks.
    if step.is_steering_decision()
        && facts
            .meeting
            .is_some_and(|m| m.body_kind.records_gap_decisions() && !m.caller_is_member)
    {
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
        if input.accepted_solution_ids.is_empty() {
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
    if let Err(e) = optional_text("comment", input.comment) {
        return Err(GapStepError::Invalid(vec![e]));
    }
    check_references(step, input, facts)?;
    if step == Acknowledge && facts.already_acknowledged {
        return Err(GapStepError::AlreadyAcknowledged);
    }
    Ok(to)
}

/// What the ids in the input name, once the input is complete: the steering group's meeting,
/// the surviving gap of a merge, the project groups of a mandate, the solutions accepted.
fn check_references(
    step: GapStep,
    input: &GapStepInput<'_>,
    facts: &GapFacts<'_>,
) -> Result<(), GapStepError> {
    use GapStep::*;
    if let Some(meeting_id) = input.meeting_id.filter(|_| step.is_steering_decision()) {
        match facts.meeting {
            None => return Err(GapStepError::UnknownMeeting { meeting_id }),
            Some(m) if !m.body_kind.records_gap_decisions() => {
                return Err(GapStepError::NotASteeringMeeting {
                    meeting_id,
                    kind: m.body_kind,
                })
            }
            Some(_) => {}
        }
    }
    match step {
        Merge => {
            let Some(target) = input.merge_into else {
                return Ok(());
            };
            let Some(stage) = facts.merge_target_stage else {
                return Err(GapStepError::UnknownMergeTarget { gap_id: target });
            };
            check_merge_target(facts.gap_id, target, stage)
                .map_err(|e| GapStepError::Invalid(vec![e]))
        }
        Mandate => {
            for &body_id in input.project_group_ids {
                match facts
                    .project_group_kinds
                    .iter()
                    .find(|(id, _)| *id == body_id)
                {
                    None => return Err(GapStepError::UnknownProjectGroup { body_id }),
                    Some(&(_, kind)) if !kind.is_project_group() => {
                        return Err(GapStepError::NotAProjectGroup { body_id, kind })
                    }
                    Some(_) => {}
                }
            }
            Ok(())
        }
        Decide => match input
            .accepted_solution_ids
            .iter()
            .find(|id| !facts.undecided_solution_ids.contains(id))
        {
            Some(&solution_id) => Err(GapStepError::NotAnUndecidedSolution { solution_id }),
            None => Ok(()),
        },
        _ => Ok(()),
    }
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
    use crate::field::MAX_REASON_CHARS;
    use GapStage::*;
    use GapStep::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 25).unwrap_or_default()
    }

    /// Facts under which the complete input passes: the meeting is the steering group's and
    /// the caller its member, the survivor of a merge is open, the project group is one,
    /// the accepted solution is undecided.
    fn facts() -> GapFacts<'static> {
        GapFacts {
            gap_id: 3,
            reporting_positions: 2,
            escalation_threshold: 2,
            caller_in_mandated_group: true,
            meeting: Some(MeetingFacts {
                body_kind: BodyKind::SteeringGroup,
                caller_is_member: true,
            }),
            negative_feedback: 1,
            merge_target_stage: Some(Reported),
            project_group_kinds: &[(1, BodyKind::ProjectGroupLocal)],
            undecided_solution_ids: &[4, 5],
            already_acknowledged: false,
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
            accepted_solution_ids: &[5],
            publicity: Some(Publicity::Internal),
            publicity_text: Some("Newsletter to all CM staff"),
            rating: Some(FeedbackRating::NotEffective),
            text: Some("Still waiting months"),
            outcome: Some("Works"),
            comment: Some("As discussed"),
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

    /// The steering group's steps, each with a stage it may be taken from.
    fn steering_steps() -> Vec<(GapStep, GapStage)> {
        GapStep::ALL
            .iter()
            .copied()
            .filter(|s| s.is_steering_decision())
            .map(|step| {
                let stage = GapStage::ALL
                    .iter()
                    .copied()
                    .find(|stage| step.target(*stage).is_some())
                    .expect("a stage the step starts from");
                (step, stage)
            })
            .collect()
    }

    #[test]
    fn only_members_of_the_meetings_body_take_steering_decisions() {
        let steps = steering_steps();
        assert_eq!(steps.len(), 4);
        for (step, stage) in steps {
            for kind in BodyKind::ALL.iter().copied() {
                for member in [true, false] {
                    let facts = GapFacts {
                        meeting: Some(MeetingFacts {
                            body_kind: kind,
                            caller_is_member: member,
                        }),
                        ..facts()
                    };
                    let checked =
                        check_gap_step(step, stage, Role::SteeringMember, &complete(), &facts);
                    // Membership counts only in the steering group; any other body's meeting
                    // is refused for what it is, whoever asks.
                    let wanted = match (kind, member) {
                        (BodyKind::SteeringGroup, true) => Ok(step.target(stage).unwrap_or(stage)),
                        (BodyKind::SteeringGroup, false) => Err(GapStepError::NotInSteeringGroup),
                        (kind, _) => Err(GapStepError::NotASteeringMeeting {
                            meeting_id: 1,
                            kind,
                        }),
                    };
                    assert_eq!(checked, wanted, "{step} / {kind} / {member}");
                }
            }
            // A meeting that does not exist: the caller's membership is not asked.
            let facts = GapFacts {
                meeting: None,
                ..facts()
            };
            assert_eq!(
                check_gap_step(step, stage, Role::SteeringMember, &complete(), &facts),
                Err(GapStepError::UnknownMeeting { meeting_id: 1 }),
                "{step}"
            );
            // A step without a meeting is told so, whatever the facts.
            let without = GapStepInput {
                meeting_id: None,
                ..complete()
            };
            assert!(matches!(
                check_gap_step(step, stage, Role::SteeringMember, &without, &facts),
                Err(GapStepError::Invalid(e)) if e.iter().any(|e| e.field == "meeting_id")
            ));
        }
        // Other steps do not ask, even when a meeting is named.
        let facts = GapFacts {
            meeting: None,
            ..facts()
        };
        assert!(check_gap_step(Forward, Escalated, Role::KiLead, &complete(), &facts).is_ok());
        let outsider = GapFacts {
            meeting: Some(MeetingFacts {
                body_kind: BodyKind::SteeringGroup,
                caller_is_member: false,
            }),
            ..facts
        };
        assert!(check_gap_step(Forward, Escalated, Role::KiLead, &complete(), &outsider).is_ok());
    }

    #[test]
    fn the_meeting_is_refused_after_the_stage_and_the_input() {
        let elsewhere = GapFacts {
            meeting: Some(MeetingFacts {
                body_kind: BodyKind::WorkingGroup,
                caller_is_member: false,
            }),
            ..facts()
        };
        // The stage first (409), then the input (422 on other fields), then the meeting.
        assert!(matches!(
            check_gap_step(
                Mandate,
                Reported,
                Role::SteeringMember,
                &complete(),
                &elsewhere
            ),
            Err(GapStepError::NotNow { .. })
        ));
        let no_reason = GapStepInput {
            reason: None,
            ..complete()
        };
        assert!(matches!(
            check_gap_step(Reject, WithSteeringGroup, Role::SteeringMember, &no_reason, &elsewhere),
            Err(GapStepError::Invalid(e)) if e[0].field == "reason"
        ));
        assert_eq!(
            check_gap_step(
                Reject,
                WithSteeringGroup,
                Role::SteeringMember,
                &complete(),
                &elsewhere
            )
            .unwrap_err()
            .to_string(),
            "meeting 1 is a meeting of a working_group, not of the steering group"
        );
        // The meeting before the project groups and the solutions it names.
        let everything_wrong = GapFacts {
            project_group_kinds: &[],
            undecided_solution_ids: &[],
            ..elsewhere
        };
        for (step, stage) in steering_steps() {
            assert!(
                matches!(
                    check_gap_step(
                        step,
                        stage,
                        Role::SteeringMember,
                        &complete(),
                        &everything_wrong
                    ),
                    Err(GapStepError::NotASteeringMeeting { .. })
                ),
                "{step}"
            );
        }
    }

    #[test]
    fn a_mandate_names_existing_project_groups() {
        fn mandate(ids: &[i64], kinds: &[(i64, BodyKind)]) -> Result<GapStage, GapStepError> {
            let input = GapStepInput {
                project_group_ids: ids,
                ..complete()
            };
            let facts = GapFacts {
                project_group_kinds: kinds,
                ..facts()
            };
            check_gap_step(
                Mandate,
                WithSteeringGroup,
                Role::SteeringMember,
                &input,
                &facts,
            )
        }
        use BodyKind::*;
        assert_eq!(
            mandate(
                &[1, 2],
                &[(1, ProjectGroupLocal), (2, ProjectGroupThematic)]
            ),
            Ok(Mandated)
        );
        for kind in BodyKind::ALL.iter().copied() {
            let kinds = [(1, ProjectGroupLocal), (2, kind)];
            let wanted = if kind.is_project_group() {
                Ok(Mandated)
            } else {
                Err(GapStepError::NotAProjectGroup { body_id: 2, kind })
            };
            assert_eq!(mandate(&[1, 2], &kinds), wanted, "{kind}");
        }
        assert_eq!(
            mandate(&[1, 9], &[(1, ProjectGroupLocal)]),
            Err(GapStepError::UnknownProjectGroup { body_id: 9 })
        );
        // The first wrong id in the order the request names them, unknown or of another kind.
        assert_eq!(
            mandate(&[9, 2], &[(2, WorkingGroup)]),
            Err(GapStepError::UnknownProjectGroup { body_id: 9 })
        );
        assert_eq!(
            mandate(&[2, 9], &[(2, WorkingGroup)]),
            Err(GapStepError::NotAProjectGroup {
                body_id: 2,
                kind: WorkingGroup
            })
        );
        assert_eq!(
            GapStepError::NotAProjectGroup {
                body_id: 2,
                kind: WorkingGroup
            }
            .to_string(),
            "body 2 is a working_group, not a project group"
        );
        assert_eq!(
            GapStepError::UnknownProjectGroup { body_id: 9 }.to_string(),
            "no body with id 9"
        );
        // Other steps do not ask.
        let facts = GapFacts {
            project_group_kinds: &[],
            ..facts()
        };
        assert_eq!(
            check_gap_step(
                Reject,
                WithSteeringGroup,
                Role::SteeringMember,
                &complete(),
                &facts
            ),
            Ok(Rejected)
        );
    }

    #[test]
    fn the_steering_group_decides_on_undecided_solutions_only() {
        let decide = |accepted: &'static [i64], undecided: &'static [i64]| {
            let input = GapStepInput {
                accepted_solution_ids: accepted,
                ..complete()
            };
            let facts = GapFacts {
                undecided_solution_ids: undecided,
                ..facts()
            };
            check_gap_step(
                Decide,
                SolutionsProposed,
                Role::SteeringMember,
                &input,
                &facts,
            )
        };
        assert_eq!(decide(&[4], &[4, 5]), Ok(SolutionsDecided));
        assert_eq!(decide(&[4, 5], &[4, 5]), Ok(SolutionsDecided));
        assert_eq!(
            decide(&[4, 6, 7], &[4, 5]),
            Err(GapStepError::NotAnUndecidedSolution { solution_id: 6 })
        );
        assert_eq!(
            decide(&[4], &[]),
            Err(GapStepError::NotAnUndecidedSolution { solution_id: 4 })
        );
        assert_eq!(
            GapStepError::NotAnUndecidedSolution { solution_id: 6 }.to_string(),
            "6 is not a proposed, undecided solution of this gap"
        );
        // None accepted is the input's refusal, not this one.
        assert!(matches!(
            decide(&[], &[]),
            Err(GapStepError::Invalid(e)) if e[0].field == "accepted_solution_ids"
        ));
        // Other steps do not ask.
        let facts = GapFacts {
            undecided_solution_ids: &[],
            ..facts()
        };
        assert_eq!(
            check_gap_step(
                SendBack,
                SolutionsProposed,
                Role::SteeringMember,
                &complete(),
                &facts
            ),
            Ok(Mandated)
        );
    }

    #[test]
    fn each_case_manager_acknowledges_once() {
        let again = GapFacts {
            already_acknowledged: true,
            ..facts()
        };
        for stage in [Communicated, InApplication] {
            assert_eq!(
                check_gap_step(Acknowledge, stage, Role::CaseManager, &complete(), &facts()),
                Ok(InApplication)
            );
            assert_eq!(
                check_gap_step(Acknowledge, stage, Role::CaseManager, &complete(), &again),
                Err(GapStepError::AlreadyAcknowledged)
            );
        }
        assert_eq!(
            GapStepError::AlreadyAcknowledged.to_string(),
            "you have already acknowledged these solutions"
        );
        // The stage and the comment first.
        assert!(matches!(
            check_gap_step(Acknowledge, Closed, Role::CaseManager, &complete(), &again),
            Err(GapStepError::NotNow { .. })
        ));
        let long = "x".repeat(5000);
        let input = GapStepInput {
            comment: Some(&long),
            ..complete()
        };
        assert!(matches!(
            check_gap_step(Acknowledge, InApplication, Role::CaseManager, &input, &again),
            Err(GapStepError::Invalid(e)) if e[0].field == "comment"
        ));
        // Feedback may be given again and again.
        assert_eq!(
            check_gap_step(
                Feedback,
                InApplication,
                Role::CaseManager,
                &complete(),
                &again
            ),
            Ok(InApplication)
        );
    }

    #[test]
    fn a_comment_is_optional_but_not_endless() {
        let long = "x".repeat(MAX_REASON_CHARS + 1);
        let too_long = Err(GapStepError::Invalid(vec![FieldError::new(
            "comment",
            format!("may be at most {MAX_REASON_CHARS} characters long"),
        )]));
        for step in GapStep::ALL.iter().copied() {
            let stage = GapStage::ALL
                .iter()
                .copied()
                .find(|stage| step.target(*stage).is_some())
                .expect("a stage the step starts from");
            let check = |input: &GapStepInput<'_>| {
                check_gap_step(step, stage, step.role(), input, &facts())
            };
            let without = GapStepInput {
                comment: None,
                ..complete()
            };
            assert!(check(&without).is_ok(), "{step}");
            let long_comment = GapStepInput {
                comment: Some(&long),
                ..complete()
            };
            assert_eq!(check(&long_comment), too_long, "{step}");
            // Missing input is told first, without the comment.
            let bare = GapStepInput::default();
            let bare_long = GapStepInput {
                comment: Some(&long),
                ..GapStepInput::default()
            };
            match check(&bare) {
                Ok(_) => assert_eq!(check(&bare_long), too_long, "{step}"),
                refused => assert_eq!(check(&bare_long), refused, "{step}"),
            }
        }
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
        // The same through the step, with the survivor's stage as a fact.
        let merge = |into: i64, survivor: Option<GapStage>| {
            let input = GapStepInput {
                merge_into: Some(into),
                ..complete()
            };
            let facts = GapFacts {
                merge_target_stage: survivor,
                ..facts()
            };
            check_gap_step(Merge, Reported, Role::CmCoordinator, &input, &facts)
        };
        for stage in GapStage::ALL.iter().copied() {
            let wanted = check_merge_target(3, 4, stage)
                .map(|()| Merged)
                .map_err(|e| GapStepError::Invalid(vec![e]));
            assert_eq!(merge(4, Some(stage)), wanted, "{stage}");
        }
        assert_eq!(
            merge(3, Some(Reported)),
            Err(GapStepError::Invalid(vec![FieldError::new(
                "merge_into",
                "a gap cannot be merged into itself"
            )]))
        );
        assert_eq!(
            merge(99, None),
            Err(GapStepError::UnknownMergeTarget { gap_id: 99 })
        );
        assert_eq!(
            GapStepError::UnknownMergeTarget { gap_id: 99 }.to_string(),
            "no gap with id 99"
        );
        // Without `merge_into` the input says so; the survivor is not asked.
        let bare = GapStepInput {
            merge_into: None,
            ..complete()
        };
        let facts = GapFacts {
            merge_target_stage: None,
            ..facts()
        };
        assert!(matches!(
            check_gap_step(Merge, Reported, Role::CmCoordinator, &bare, &facts),
            Err(GapStepError::Invalid(e)) if e[0].field == "merge_into"
        ));
        // Other steps do not ask.
        assert!(
            check_gap_step(Escalate, Reported, Role::CmCoordinator, &complete(), &facts).is_ok()
        );
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
