//! Cases (Fälle) of case management, module 2: target group (Zielgruppe), topics
//! (Handlungsfelder), intake channel (Zugangsweg), other case management involved (anderes
//! Fallmanagement), the case status (Fallstatus) state machine and what each move requires.
//!
//! The status machine: `intake → active ⇄ paused`, `active | paused → closed` with a close reason
//! (Abschlussgrund), `closed → active` (reopen, Wiederaufnahme) with a written reason. An intake
//! may also be closed directly: a first conversation (Erstgespräch) that never becomes a case
//! (the person declines, does not come back, is handed over) would otherwise stay open forever.

use crate::field::{forbidden, optional_text, required_text, FieldError};
use crate::transition::IllegalTransition;

crate::vocabulary! {
    /// Zielgruppe (target group) of a case.
    pub enum TargetGroup {
        /// Neuzugewanderte (new arrivals)
        NewArrivals => "new_arrivals",
        /// Mehrsprachige Kinder mit Sprachentwicklungsstörungen und ihre Eltern (multilingual children with language development disorders and their parents; thematic CM of the KI)
        MultilingualChildrenWithLanguageDisorders => "multilingual_children_with_language_disorders",
        /// Sonstige (other)
        Other => "other",
    }
}

crate::vocabulary! {
    /// Handlungsfeld (topic) a case works on; a case has one or more.
    pub enum Topic {
        /// Sprache (language)
        Language => "language",
        /// Arbeit (work)
        Work => "work",
        /// Bildung (education, school, vocational training)
        Education => "education",
        /// Kinderbetreuung (childcare)
        Childcare => "childcare",
        /// Wohnen (housing)
        Housing => "housing",
        /// Gesundheit (health)
        Health => "health",
        /// Aufenthalt (residence law)
        Residence => "residence",
        /// Einbürgerung (naturalisation)
        Naturalisation => "naturalisation",
        /// Familie (family)
        Family => "family",
        /// Sonstiges (other)
        Other => "other",
    }
}

crate::vocabulary! {
    /// Zugangsweg (how the client came to case management).
    pub enum IntakeChannel {
        /// Selbstmelder/in (the client came on their own)
        SelfReferral => "self_referral",
        /// Zuweisung durch eine Organisation (referred by an organisation, which is named)
        ReferredByOrganisation => "referred_by_organisation",
        /// Aufsuchende Arbeit (outreach)
        Outreach => "outreach",
    }
}

/// The referring organisation is named exactly when the channel is a referral by an
/// organisation: reports count referrals per organisation, and a name on another channel would
/// be a contradiction.
pub fn check_intake_source(
    channel: IntakeChannel,
    referring_organisation_id: Option<i64>,
) -> Result<(), FieldError> {
    match (channel, referring_organisation_id) {
        (IntakeChannel::ReferredByOrganisation, None) => Err(FieldError::rule(
            "referring_organisation_id",
            "is required when the intake channel is 'referred_by_organisation'",
        )),
        (IntakeChannel::ReferredByOrganisation, Some(_)) | (_, None) => Ok(()),
        (_, Some(_)) => Err(forbidden(
            "referring_organisation_id",
            "unless the intake channel is 'referred_by_organisation'",
        )),
    }
}

crate::vocabulary! {
    /// Anderes Fallmanagement (other case management already working with the client).
    pub enum OtherCaseManagement {
        /// Fallmanagement im Jobcenter (SGB II)
        Jobcenter => "jobcenter",
        /// Agentur für Arbeit (SGB III)
        EmploymentAgency => "employment_agency",
        /// Jugendhilfe / Allgemeiner Sozialer Dienst (youth welfare, SGB VIII)
        YouthWelfare => "youth_welfare",
        /// Sozialamt (social welfare, SGB XII / AsylbLG)
        SocialWelfare => "social_welfare",
        /// Migrationsberatung für erwachsene Zuwanderer (MBE)
        Mbe => "mbe",
        /// Jugendmigrationsdienst (JMD)
        Jmd => "jmd",
        /// Flüchtlingsberatung (refugee counselling)
        RefugeeCounselling => "refugee_counselling",
        /// Sonstiges Fallmanagement (other)
        Other => "other",
        /// Kein anderes Fallmanagement (none; stands alone)
        NoneInvolved => "none",
    }
}

/// The other case management of a case as a set: at least one value (an explicit `none` when
/// there is none, so that "none" and "not asked" differ), `none` not combined with anything.
/// Returns the set sorted and without duplicates.
pub fn check_other_case_management(
    values: &[OtherCaseManagement],
) -> Result<Vec<OtherCaseManagement>, FieldError> {
    let set = crate::reference::normalise_set(values);
    if set.is_empty() {
        return Err(FieldError::new(
            "other_case_management",
            "name at least one, or 'none'",
        ));
    }
    if set.len() > 1 && set.contains(&OtherCaseManagement::NoneInvolved) {
        return Err(FieldError::rule(
            "other_case_management",
            "'none' cannot be combined with other values",
        ));
    }
    Ok(set)
}

crate::vocabulary! {
    /// Abschlussgrund (why a case was closed).
    pub enum CloseReason {
        /// Ziele erreicht (goals achieved)
        GoalsAchieved => "goals_achieved",
        /// An andere Stelle übergeben (handed over to another service)
        HandedOver => "handed_over",
        /// Weggezogen (moved away)
        MovedAway => "moved_away",
        /// Kein Kontakt mehr (no contact)
        NoContact => "no_contact",
        /// Von der Klientin / dem Klienten abgelehnt (declined by the client)
        Declined => "declined",
        /// Sonstiges (other; a note says what)
        Other => "other",
    }
}

crate::vocabulary! {
    /// Fallstatus (status of a case).
    pub enum CaseStatus {
        /// Erstgespräch / Clearing (intake)
        Intake => "intake",
        /// In Begleitung (active)
        Active => "active",
        /// Ruhend (paused)
        Paused => "paused",
        /// Abgeschlossen (closed; may be reopened)
        Closed => "closed",
    }
}

impl CaseStatus {
    /// Where a case may go from this status.
    pub fn allowed_next(self) -> &'static [CaseStatus] {
        use CaseStatus::*;
        match self {
            Intake => &[Active, Closed],
            Active => &[Paused, Closed],
            Paused => &[Active, Closed],
            Closed => &[Active],
        }
    }

    pub fn transition(self, to: CaseStatus) -> Result<CaseStatus, IllegalTransition> {
        IllegalTransition::check(self, to, self.allowed_next(), Self::as_str)
    }

    /// Counts in a caseload (Fallzahl): every status but closed.
    pub fn is_open(self) -> bool {
        self != CaseStatus::Closed
    }
}

/// What a caller sends to move a case (`POST /cases/{id}/transitions` or similar).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CaseTransitionInput<'a> {
    /// Required when closing, refused otherwise.
    pub close_reason: Option<CloseReason>,
    /// Required to reopen and to close with reason `other`; optional otherwise.
    pub reason: Option<&'a str>,
}

/// A checked move, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseTransition {
    pub from: CaseStatus,
    pub to: CaseStatus,
    pub close_reason: Option<CloseReason>,
    /// Trimmed; `None` when none was given.
    pub reason: Option<String>,
}

impl CaseTransition {
    /// Closed → active: reports count reopened cases.
    pub fn is_reopening(&self) -> bool {
        self.from == CaseStatus::Closed
    }
}

/// Why a move was refused: the state machine (409) or the input (422).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CaseTransitionError {
    #[error(transparent)]
    Illegal(#[from] IllegalTransition),
    #[error("{}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<FieldError>),
}

/// Checks the move `from → to` and what it requires: closing needs a close reason (and a reason
/// text when the close reason is `other`); reopening needs a reason text; a close reason on any
/// other move is refused. The state machine is checked first, so an impossible move is 409 even
/// when its fields are also wrong.
pub fn check_case_transition(
    from: CaseStatus,
    to: CaseStatus,
    input: &CaseTransitionInput<'_>,
) -> Result<CaseTransition, CaseTransitionError> {
    from.transition(to)?;
    let mut errors = Vec::new();
    let closing = to == CaseStatus::Closed;
    let reopening = from == CaseStatus::Closed;

    let close_reason = match (closing, input.close_reason) {
        (true, None) => {
            errors.push(FieldError::rule(
                "close_reason",
                "is required when closing a case",
            ));
            None
        }
        (false, Some(_)) => {
            errors.push(forbidden("close_reason", "unless the case is being closed"));
            None
        }
        (_, given) => given,
    };

    let reason_required = reopening || close_reason == Some(CloseReason::Other);
    // Whether a reason is required depends on the move: a rule across fields.
    let reason = if reason_required {
        required_text("reason", input.reason)
            .map(Some)
            .map_err(|e| FieldError::rule(e.field, e.message))
    } else {
        optional_text("reason", input.reason)
    };
    let reason = reason.unwrap_or_else(|error| {
        errors.push(error);
        None
    });

    if errors.is_empty() {
        Ok(CaseTransition {
            from,
            to,
            close_reason,
            reason,
        })
    } else {
        Err(CaseTransitionError::Invalid(errors))
    }
}

/// How many clients one case may have (a family, or a household in one case).
pub const MAX_CLIENTS: usize = 20;

/// A case has at most [`MAX_CLIENTS`] clients (`count` of them named in `clients`).
pub fn check_client_limit(count: usize) -> Result<(), FieldError> {
    if count > MAX_CLIENTS {
        return Err(FieldError::new(
            "clients",
            format!("at most {MAX_CLIENTS} clients"),
        ));
    }
    Ok(())
}

/// A case is opened for at least one client. (The request type also serves updates, which
/// name clients in `client_ids`, so the document cannot require `clients`.)
pub fn check_clients_named(count: usize) -> Result<(), FieldError> {
    if count == 0 {
        return Err(FieldError::rule("clients", "name at least one client"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::FieldErrorKind;
    use CaseStatus::*;

    #[test]
    fn the_whole_transition_table() {
        let allowed = [
            (Intake, Active),
            (Intake, Closed),
            (Active, Paused),
            (Active, Closed),
            (Paused, Active),
            (Paused, Closed),
            (Closed, Active),
        ];
        for from in CaseStatus::ALL {
            for to in CaseStatus::ALL {
                let expected = allowed.contains(&(*from, *to));
                assert_eq!(from.transition(*to).is_ok(), expected, "{from} -> {to}");
            }
        }
    }

    #[test]
    fn illegal_transition_names_the_allowed_ones() {
        let error = Closed.transition(Paused).unwrap_err();
        assert_eq!(error.allowed, vec!["active"]);
        assert_eq!(
            Intake.transition(Paused).unwrap_err().allowed,
            vec!["active", "closed"]
        );
        assert!(matches!(
            check_case_transition(Active, Intake, &CaseTransitionInput::default()),
            Err(CaseTransitionError::Illegal(_))
        ));
    }

    #[test]
    fn only_closed_is_not_open() {
        let open: Vec<_> = CaseStatus::ALL.iter().filter(|s| s.is_open()).collect();
        assert_eq!(open, vec![&Intake, &Active, &Paused]);
    }

    fn fields(result: Result<CaseTransition, CaseTransitionError>) -> Vec<&'static str> {
        match result {
            Err(CaseTransitionError::Invalid(errors)) => errors.iter().map(|e| e.field).collect(),
            other => panic!("expected invalid fields, got {other:?}"),
        }
    }

    #[test]
    fn closing_requires_a_close_reason_from_every_open_status() {
        for from in [Intake, Active, Paused] {
            assert_eq!(
                fields(check_case_transition(
                    from,
                    Closed,
                    &CaseTransitionInput::default()
                )),
                vec!["close_reason"]
            );
            let closed = check_case_transition(
                from,
                Closed,
                &CaseTransitionInput {
                    close_reason: Some(CloseReason::MovedAway),
                    reason: None,
                },
            )
            .unwrap();
            assert_eq!(closed.close_reason, Some(CloseReason::MovedAway));
            assert_eq!(closed.reason, None);
            assert!(!closed.is_reopening());
        }
    }

    #[test]
    fn closing_as_other_requires_a_reason_text() {
        let input = CaseTransitionInput {
            close_reason: Some(CloseReason::Other),
            reason: Some("   "),
        };
        assert_eq!(
            fields(check_case_transition(Active, Closed, &input)),
            vec!["reason"]
        );
        let input = CaseTransitionInput {
            close_reason: Some(CloseReason::Other),
            reason: Some(" died "),
        };
        assert_eq!(
            check_case_transition(Active, Closed, &input)
                .unwrap()
                .reason
                .as_deref(),
            Some("died")
        );
    }

    #[test]
    fn every_close_reason_but_other_needs_no_text() {
        for reason in CloseReason::ALL {
            let input = CaseTransitionInput {
                close_reason: Some(*reason),
                reason: None,
            };
            let result = check_case_transition(Paused, Closed, &input);
            assert_eq!(result.is_ok(), *reason != CloseReason::Other, "{reason}");
        }
    }

    #[test]
    fn reopening_requires_a_reason_and_no_close_reason() {
        assert_eq!(
            fields(check_case_transition(
                Closed,
                Active,
                &CaseTransitionInput::default()
            )),
            vec!["reason"]
        );
        assert_eq!(
            fields(check_case_transition(
                Closed,
                Active,
                &CaseTransitionInput {
                    close_reason: Some(CloseReason::Declined),
                    reason: None
                }
            )),
            vec!["close_reason", "reason"]
        );
        let reopened = check_case_transition(
            Closed,
            Active,
            &CaseTransitionInput {
                close_reason: None,
                reason: Some("client came back"),
            },
        )
        .unwrap();
        assert!(reopened.is_reopening());
        assert_eq!(reopened.reason.as_deref(), Some("client came back"));
    }

    #[test]
    fn other_moves_take_an_optional_reason_and_refuse_a_close_reason() {
        for (from, to) in [(Intake, Active), (Active, Paused), (Paused, Active)] {
            assert!(check_case_transition(from, to, &CaseTransitionInput::default()).is_ok());
            let with_note = check_case_transition(
                from,
                to,
                &CaseTransitionInput {
                    close_reason: None,
                    reason: Some("parental leave"),
                },
            )
            .unwrap();
            assert_eq!(with_note.reason.as_deref(), Some("parental leave"));
            assert_eq!(
                fields(check_case_transition(
                    from,
                    to,
                    &CaseTransitionInput {
                        close_reason: Some(CloseReason::GoalsAchieved),
                        reason: None
                    }
                )),
                vec!["close_reason"]
            );
        }
    }

    #[test]
    fn intake_source_names_an_organisation_only_for_referrals() {
        use IntakeChannel::*;
        assert!(check_intake_source(ReferredByOrganisation, Some(4)).is_ok());
        assert!(check_intake_source(ReferredByOrganisation, None).is_err());
        for channel in [SelfReferral, Outreach] {
            assert!(check_intake_source(channel, None).is_ok());
            assert!(check_intake_source(channel, Some(4)).is_err());
        }
    }

    #[test]
    fn other_case_management_is_a_set_with_a_lonely_none() {
        use OtherCaseManagement as O;
        assert_eq!(
            check_other_case_management(&[O::Mbe, O::Jobcenter, O::Mbe]),
            Ok(vec![O::Jobcenter, O::Mbe])
        );
        assert_eq!(
            check_other_case_management(&[O::NoneInvolved]),
            Ok(vec![O::NoneInvolved])
        );
        assert_eq!(
            check_other_case_management(&[O::NoneInvolved, O::NoneInvolved]),
            Ok(vec![O::NoneInvolved])
        );
        assert!(check_other_case_management(&[]).is_err());
        assert!(check_other_case_management(&[O::NoneInvolved, O::Jmd]).is_err());
    }

    #[test]
    fn vocabularies_round_trip() {
        for v in TargetGroup::ALL {
            assert_eq!(TargetGroup::parse(v.as_str()), Ok(*v));
        }
        for v in Topic::ALL {
            assert_eq!(Topic::parse(v.as_str()), Ok(*v));
        }
        for v in IntakeChannel::ALL {
            assert_eq!(IntakeChannel::parse(v.as_str()), Ok(*v));
        }
        for v in OtherCaseManagement::ALL {
            assert_eq!(OtherCaseManagement::parse(v.as_str()), Ok(*v));
        }
        for v in CloseReason::ALL {
            assert_eq!(CloseReason::parse(v.as_str()), Ok(*v));
        }
        assert_eq!(Topic::ALL.len(), 10);
        assert_eq!(CloseReason::ALL.len(), 6);
    }

    #[test]
    fn a_case_has_one_to_twenty_clients() {
        let none = check_clients_named(0).unwrap_err();
        assert_eq!(
            (none.field, none.message.as_str(), none.kind),
            ("clients", "name at least one client", FieldErrorKind::Rule)
        );
        for count in [1, 2, MAX_CLIENTS] {
            assert!(check_clients_named(count).is_ok());
            assert!(check_client_limit(count).is_ok());
        }
        assert!(check_client_limit(0).is_ok());
        let many = check_client_limit(MAX_CLIENTS + 1).unwrap_err();
        assert_eq!(
            (many.field, many.message.as_str(), many.kind),
            ("clients", "at most 20 clients", FieldErrorKind::Schema)
        );
    }
}
