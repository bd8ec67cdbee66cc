//! Intake requests (Zuweisungen an das Case Management): a partner organisation (Jobcenter,
//! youth office, welfare organisation) refers a person into KIM case management; the CM
//! coordination accepts the request, which opens a case, or declines it with a reason.
//!
//! The rules here: the state machine (a request is decided once, from `submitted`), the consent
//! statement the referrer must make (the person agreed to the transfer, on a day not in the
//! future), who sees which requests and how much of each.

use chrono::NaiveDate;

use crate::event::EventType;
use crate::field::{required_text, FieldError};
use crate::permission::{Action, Principal};
use crate::transition::IllegalTransition;

crate::vocabulary! {
    /// Stand einer Zuweisung (status of an intake request).
    pub enum IntakeRequestStatus {
        /// Eingegangen, nicht entschieden (submitted, waiting for the CM coordination)
        Submitted => "submitted",
        /// Angenommen: ein Fall wurde eröffnet (accepted: a case was opened)
        Accepted => "accepted",
        /// Abgelehnt, mit Begründung (declined, with a reason)
        Declined => "declined",
    }
}

impl IntakeRequestStatus {
    /// Where a request may go from this status: only a submitted request is decided, once.
    pub fn allowed_next(self) -> &'static [IntakeRequestStatus] {
        match self {
            IntakeRequestStatus::Submitted => {
                &[IntakeRequestStatus::Accepted, IntakeRequestStatus::Declined]
            }
            IntakeRequestStatus::Accepted | IntakeRequestStatus::Declined => &[],
        }
    }
}

impl IntakeRequestStatus {
    /// The event the referring organisation gets when a request enters this status; `None`
    /// for a submission, which the referrer made itself.
    pub fn event(self) -> Option<EventType> {
        match self {
            IntakeRequestStatus::Submitted => None,
            IntakeRequestStatus::Accepted => Some(EventType::IntakeRequestAccepted),
            IntakeRequestStatus::Declined => Some(EventType::IntakeRequestDeclined),
        }
    }
}

/// What the CM coordination decides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IntakeDecision<'a> {
    Accept,
    /// With the reason the referrer reads.
    Decline {
        reason: Option<&'a str>,
    },
}

impl IntakeDecision<'_> {
    pub fn target(&self) -> IntakeRequestStatus {
        match self {
            IntakeDecision::Accept => IntakeRequestStatus::Accepted,
            IntakeDecision::Decline { .. } => IntakeRequestStatus::Declined,
        }
    }
}

/// A decision the state machine allows, with the trimmed decline reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedDecision {
    pub from: IntakeRequestStatus,
    pub to: IntakeRequestStatus,
    pub decline_reason: Option<String>,
}

/// Why a decision is refused: the request was already decided (409, naming its status), or the
/// decline has no reason (422).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IntakeDecisionError {
    #[error("the intake request is {status} already; only a submitted request can be decided ({refused})")]
    AlreadyDecided {
        status: IntakeRequestStatus,
        refused: IllegalTransition,
    },
    #[error("{0}")]
    Invalid(FieldError),
}

/// Checks a decision on a request in status `from`. The status is checked first: a second
/// decline of a declined request is 409 whatever its reason.
pub fn check_decision(
    from: IntakeRequestStatus,
    decision: &IntakeDecision<'_>,
) -> Result<CheckedDecision, IntakeDecisionError> {
    let to = decision.target();
    if !from.allowed_next().contains(&to) {
        return Err(IntakeDecisionError::AlreadyDecided {
            status: from,
            refused: IllegalTransition {
                from: from.as_str(),
                to: to.as_str(),
                allowed: from.allowed_next().iter().map(|s| s.as_str()).collect(),
            },
        });
    }
    let decline_reason = match decision {
        IntakeDecision::Accept => None,
        IntakeDecision::Decline { reason } => {
            Some(required_text("reason", *reason).map_err(IntakeDecisionError::Invalid)?)
        }
    };
    Ok(CheckedDecision {
        from,
        to,
        decline_reason,
    })
}

/// The referrer's statement that the person consented to the transfer of their data to KIM
/// case management. `given` is stated as `true` by the document; the day may not lie after
/// `today` (a rule across the value and the server's clock).
pub fn check_consent_statement(
    given: bool,
    given_on: NaiveDate,
    today: NaiveDate,
) -> Result<(), FieldError> {
    if !given {
        return Err(FieldError::new(
            "consent_to_transfer.given",
            "must be true: without the person's consent the request may not be sent",
        ));
    }
    if given_on > today {
        return Err(FieldError::rule(
            "consent_to_transfer.given_on",
            format!("must not be after today ({today})"),
        ));
    }
    Ok(())
}

/// Whose request it is, for the submitter's view: the referring organisation and, when staff
/// entered it, the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IntakeFacts {
    pub referring_organisation_id: i64,
    /// The user who entered it (staff), `None` for a partner system's request.
    pub submitted_by_user: Option<i64>,
}

/// How much of a request a caller sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntakeAccess {
    /// Not at all (404).
    None,
    /// The submitter's view: status, its reference, dates and a decline's reason; never the
    /// case, the client or the case manager behind an accepted request (a partner learns about
    /// the case only through a consent that releases it, as a referral).
    Submitter,
    /// Everything, and the decision (the CM coordination).
    Decider,
}

/// Which requests a caller's list holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntakeScope {
    Nothing,
    /// Every request (the CM coordination).
    All,
    /// The requests of one referring organisation (a partner system).
    OfOrganisation(i64),
    /// The requests one user entered.
    EnteredBy(i64),
}

/// May `principal` submit intake requests at all (partner tokens with `intake:write`, staff who
/// take referrals on the phone).
pub fn may_submit(principal: &Principal) -> bool {
    principal.may(Action::SubmitIntakeRequests)
}

/// May `principal` decide requests (accept, decline) and read them all.
pub fn may_decide(principal: &Principal) -> bool {
    principal.may(Action::DecideIntakeRequests)
}

/// The caller's access to one request.
pub fn intake_access(principal: &Principal, facts: &IntakeFacts) -> IntakeAccess {
    if may_decide(principal) {
        return IntakeAccess::Decider;
    }
    if !may_submit(principal) {
        return IntakeAccess::None;
    }
    match principal {
        Principal::Partner {
            organisation_id, ..
        } if *organisation_id == facts.referring_organisation_id => IntakeAccess::Submitter,
        Principal::Person { user_id, .. } if facts.submitted_by_user == Some(*user_id) => {
            IntakeAccess::Submitter
        }
        _ => IntakeAccess::None,
    }
}

/// The requests on the caller's list; `mine` narrows the CM coordination's list to the
/// requests it entered itself (for a partner and a submitting user it changes nothing: they
/// see only their own anyway).
pub fn intake_scope(principal: &Principal, mine: bool) -> IntakeScope {
    match principal {
        Principal::Partner {
            organisation_id, ..
        } if may_submit(principal) => IntakeScope::OfOrganisation(*organisation_id),
        Principal::Person { .. } if may_decide(principal) && !mine => IntakeScope::All,
        Principal::Person { user_id, .. } if may_decide(principal) || may_submit(principal) => {
            IntakeScope::EnteredBy(*user_id)
        }
        _ => IntakeScope::Nothing,
    }
}

impl IntakeScope {
    /// Whether a request with `facts` is in this scope: agrees with [`intake_access`].
    pub fn includes(self, facts: &IntakeFacts) -> bool {
        match self {
            IntakeScope::Nothing => false,
            IntakeScope::All => true,
            IntakeScope::OfOrganisation(org) => facts.referring_organisation_id == org,
            IntakeScope::EnteredBy(user) => facts.submitted_by_user == Some(user),
        }
    }
}

/// The organisation a request is from: a partner's token's organisation (the body may repeat it
/// but not name another), or the one staff name.
pub fn referring_organisation(
    principal: &Principal,
    named: Option<i64>,
) -> Result<i64, FieldError> {
    match (principal, named) {
        (
            Principal::Partner {
                organisation_id, ..
            },
            None,
        ) => Ok(*organisation_id),
        (
            Principal::Partner {
                organisation_id, ..
            },
            Some(named),
        ) if named == *organisation_id => Ok(named),
        (Principal::Partner { .. }, Some(_)) => Err(FieldError::rule(
            "referring_organisation_id",
            "a partner system refers for its token's organisation only: leave it out",
        )),
        (Principal::Person { .. }, Some(named)) => Ok(named),
        (Principal::Person { .. }, None) => Err(FieldError::rule(
            "referring_organisation_id",
            "staff entering a request name the organisation that referred the person",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Role, Scope};

    fn person(role: Role, user_id: i64) -> Principal {
        Principal::Person { user_id, role }
    }

    fn partner(organisation_id: i64, scopes: &[Scope]) -> Principal {
        Principal::Partner {
            token_id: 1,
            organisation_id,
            scopes: scopes.to_vec(),
        }
    }

    fn day(text: &str) -> NaiveDate {
        text.parse().expect("date")
    }

    /// Every status against every decision, written out.
    #[test]
    fn only_a_submitted_request_is_decided_and_only_once() {
        use IntakeRequestStatus::*;
        for from in IntakeRequestStatus::ALL {
            for decision in [
                IntakeDecision::Accept,
                IntakeDecision::Decline {
                    reason: Some("Kein Platz"),
                },
            ] {
                let result = check_decision(*from, &decision);
                match from {
                    Submitted => {
                        let checked = result.expect("allowed");
                        assert_eq!(checked.from, Submitted);
                        assert_eq!(checked.to, decision.target());
                    }
                    Accepted | Declined => match result {
                        Err(IntakeDecisionError::AlreadyDecided { status, refused }) => {
                            assert_eq!(status, *from);
                            assert!(refused.allowed.is_empty());
                            assert!(refused.to_string().contains(from.as_str()));
                        }
                        other => panic!("{from}: {other:?}"),
                    },
                }
            }
        }
        assert_eq!(Submitted.allowed_next(), &[Accepted, Declined]);
        assert!(Accepted.allowed_next().is_empty());
        assert!(Declined.allowed_next().is_empty());
    }

    #[test]
    fn every_decision_is_an_event_of_the_referrer_and_a_submission_is_none() {
        assert_eq!(IntakeRequestStatus::Submitted.event(), None);
        assert_eq!(
            IntakeRequestStatus::Accepted.event(),
            Some(EventType::IntakeRequestAccepted)
        );
        assert_eq!(
            IntakeRequestStatus::Declined.event(),
            Some(EventType::IntakeRequestDeclined)
        );
        for status in IntakeRequestStatus::ALL {
            if let Some(event) = status.event() {
                assert_eq!(event.object(), crate::event::EventObject::IntakeRequest);
                assert!(event.visible_to(&[crate::Scope::IntakeWrite]));
            }
        }
    }

    #[test]
    fn a_decline_needs_a_reason_which_is_trimmed() {
        let checked = check_decision(
            IntakeRequestStatus::Submitted,
            &IntakeDecision::Decline {
                reason: Some("  Wohnort außerhalb des Kreises "),
            },
        )
        .expect("allowed");
        assert_eq!(
            checked.decline_reason.as_deref(),
            Some("Wohnort außerhalb des Kreises")
        );
        for reason in [None, Some(""), Some("  \t ")] {
            match check_decision(
                IntakeRequestStatus::Submitted,
                &IntakeDecision::Decline { reason },
            ) {
                Err(IntakeDecisionError::Invalid(e)) => assert_eq!(e.field, "reason"),
                other => panic!("{reason:?}: {other:?}"),
            }
        }
        // Accepting takes no reason and keeps none.
        let accepted = check_decision(IntakeRequestStatus::Submitted, &IntakeDecision::Accept)
            .expect("allowed");
        assert_eq!(accepted.decline_reason, None);
        // A decided request is 409 before its reason is judged.
        assert!(matches!(
            check_decision(
                IntakeRequestStatus::Declined,
                &IntakeDecision::Decline { reason: None }
            ),
            Err(IntakeDecisionError::AlreadyDecided { .. })
        ));
    }

    #[test]
    fn the_consent_statement_is_given_and_not_dated_in_the_future() {
        let today = day("2026-11-30");
        assert_eq!(check_consent_statement(true, today, today), Ok(()));
        assert_eq!(
            check_consent_statement(true, day("2020-01-01"), today),
            Ok(())
        );
        let future = check_consent_statement(true, day("2026-12-01"), today).unwrap_err();
        assert_eq!(future.field, "consent_to_transfer.given_on");
        assert_eq!(future.kind, crate::field::FieldErrorKind::Rule);
        let refused = check_consent_statement(false, today, today).unwrap_err();
        assert_eq!(refused.field, "consent_to_transfer.given");
        assert_eq!(refused.kind, crate::field::FieldErrorKind::Schema);
    }

    #[test]
    fn who_sees_which_request_and_how_much() {
        let facts = IntakeFacts {
            referring_organisation_id: 10,
            submitted_by_user: None,
        };
        let entered = IntakeFacts {
            referring_organisation_id: 10,
            submitted_by_user: Some(5),
        };
        assert_eq!(
            intake_access(&person(Role::CmCoordinator, 2), &facts),
            IntakeAccess::Decider
        );
        let own = partner(10, &[Scope::IntakeWrite]);
        let other = partner(11, &[Scope::IntakeWrite]);
        let without_scope = partner(10, &[Scope::ReferralsWrite]);
        assert_eq!(intake_access(&own, &facts), IntakeAccess::Submitter);
        assert_eq!(intake_access(&other, &facts), IntakeAccess::None);
        assert_eq!(intake_access(&without_scope, &facts), IntakeAccess::None);
        assert_eq!(
            intake_access(&person(Role::CaseManager, 5), &entered),
            IntakeAccess::Submitter
        );
        assert_eq!(
            intake_access(&person(Role::CaseManager, 6), &entered),
            IntakeAccess::None
        );
        for role in Role::ALL {
            if matches!(role, Role::CmCoordinator | Role::CaseManager) {
                continue;
            }
            assert_eq!(
                intake_access(&person(*role, 5), &entered),
                IntakeAccess::None,
                "{role}"
            );
            assert_eq!(
                intake_scope(&person(*role, 5), false),
                IntakeScope::Nothing,
                "{role}"
            );
        }
    }

    #[test]
    fn lists_agree_with_single_reads() {
        let coordinator = person(Role::CmCoordinator, 2);
        assert_eq!(intake_scope(&coordinator, false), IntakeScope::All);
        assert_eq!(intake_scope(&coordinator, true), IntakeScope::EnteredBy(2));
        let manager = person(Role::CaseManager, 5);
        for mine in [false, true] {
            assert_eq!(intake_scope(&manager, mine), IntakeScope::EnteredBy(5));
            assert_eq!(
                intake_scope(&partner(10, &[Scope::IntakeWrite]), mine),
                IntakeScope::OfOrganisation(10)
            );
            assert_eq!(
                intake_scope(&partner(10, &[Scope::ReferralsRead]), mine),
                IntakeScope::Nothing
            );
        }
        let requests = [
            IntakeFacts {
                referring_organisation_id: 10,
                submitted_by_user: None,
            },
            IntakeFacts {
                referring_organisation_id: 11,
                submitted_by_user: Some(5),
            },
            IntakeFacts {
                referring_organisation_id: 10,
                submitted_by_user: Some(2),
            },
        ];
        let callers = [
            coordinator.clone(),
            manager,
            partner(10, &[Scope::IntakeWrite]),
            partner(11, &[Scope::IntakeWrite]),
            person(Role::Analyst, 9),
        ];
        for caller in &callers {
            for facts in &requests {
                assert_eq!(
                    intake_scope(caller, false).includes(facts),
                    intake_access(caller, facts) != IntakeAccess::None,
                    "{caller:?} {facts:?}"
                );
            }
        }
    }

    #[test]
    fn the_referring_organisation_is_the_tokens_or_named_by_staff() {
        let own = partner(10, &[Scope::IntakeWrite]);
        assert_eq!(referring_organisation(&own, None), Ok(10));
        assert_eq!(referring_organisation(&own, Some(10)), Ok(10));
        let other = referring_organisation(&own, Some(11)).unwrap_err();
        assert_eq!(other.field, "referring_organisation_id");
        assert_eq!(other.kind, crate::field::FieldErrorKind::Rule);
        let staff = person(Role::CaseManager, 5);
        assert_eq!(referring_organisation(&staff, Some(11)), Ok(11));
        let missing = referring_organisation(&staff, None).unwrap_err();
        assert_eq!(missing.kind, crate::field::FieldErrorKind::Rule);
    }
}
