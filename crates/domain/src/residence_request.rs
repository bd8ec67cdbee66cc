//! Residence-law requests (aufenthaltsrechtliche Anfragen) from case management to module 3, the
//! immigration or naturalisation office (Ausländer- / Einbürgerungsbehörde).
//!
//! Status machine: `open → answered → closed`, and `open → withdrawn`. The case side (the case's
//! case managers) asks, withdraws and closes; the office side (an immigration officer of the
//! addressed office) answers, with a non-blank answer. Asking shares client data with an
//! authority that has reporting duties (§§ 87, 88 AufenthG), so it needs consent covering the
//! shared categories for the office and the purpose `residence_law_request`, checked with
//! [`crate::consent::check_coverage`] when the request is created.
//!
//! Decision where the issue was silent: withdrawing is its own final status, not a move to
//! `closed`, so that "closed" always means "answered and done" and reports can tell requests the
//! office answered from those it never had to. A follow-up question is a new request.

use chrono::NaiveDate;

use crate::consent::{
    check_coverage, visible_shared_categories, with_identity, Consent, ConsentMissing,
    ConsentPurpose, DataCategory, SharingRequest,
};
use crate::field::{optional_text, required_text, FieldError};
use crate::transition::IllegalTransition;

crate::vocabulary! {
    /// Stand einer aufenthaltsrechtlichen Anfrage (status of a residence-law request).
    pub enum ResidenceRequestStatus {
        /// Offen (asked, waiting for the office)
        Open => "open",
        /// Beantwortet (the office answered)
        Answered => "answered",
        /// Abgeschlossen (the case side closed it after the answer)
        Closed => "closed",
        /// Zurückgezogen (withdrawn by the case side before an answer)
        Withdrawn => "withdrawn",
    }
}

crate::vocabulary! {
    /// Seite einer Anfrage (who acts on a residence-law request).
    pub enum RequestSide {
        /// Fallseite: the case's case managers
        Case => "case",
        /// Behördenseite: immigration officers of the addressed office
        Office => "office",
    }
}

impl ResidenceRequestStatus {
    pub fn allowed_next(self) -> &'static [ResidenceRequestStatus] {
        use ResidenceRequestStatus::*;
        match self {
            Open => &[Answered, Withdrawn],
            Answered => &[Closed],
            Closed | Withdrawn => &[],
        }
    }

    pub fn transition(
        self,
        to: ResidenceRequestStatus,
    ) -> Result<ResidenceRequestStatus, IllegalTransition> {
        IllegalTransition::check(self, to, self.allowed_next(), Self::as_str)
    }

    /// The side that moves a request into this status; `None` for `open`, which is created.
    pub fn entered_by(self) -> Option<RequestSide> {
        use ResidenceRequestStatus::*;
        match self {
            Open => None,
            Answered => Some(RequestSide::Office),
            Closed | Withdrawn => Some(RequestSide::Case),
        }
    }

    /// Waiting for the office: what its work list shows.
    pub fn awaits_answer(self) -> bool {
        self == ResidenceRequestStatus::Open
    }
}

/// A requested move.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestMove<'a> {
    /// The side the caller acts for, from [`crate::access::request_access`].
    pub actor: RequestSide,
    pub from: ResidenceRequestStatus,
    pub to: ResidenceRequestStatus,
    /// The answer: required to answer. An optional note on the other moves.
    pub text: Option<&'a str>,
}

/// A checked move, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestTransition {
    pub from: ResidenceRequestStatus,
    pub to: ResidenceRequestStatus,
    /// Trimmed.
    pub text: Option<String>,
}

/// Mapped like the referral's errors: `WrongSide` 403, `Illegal` 409, `Invalid` 422.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RequestTransitionError {
    #[error("only the {} side may move a residence-law request to '{to}'", side.as_str())]
    WrongSide {
        to: ResidenceRequestStatus,
        side: RequestSide,
    },
    #[error(transparent)]
    Illegal(#[from] IllegalTransition),
    #[error("{0}")]
    Invalid(FieldError),
}

/// Checks who, whether and with what, in that order.
pub fn check_request_transition(
    requested: &RequestMove<'_>,
) -> Result<RequestTransition, RequestTransitionError> {
    if let Some(side) = requested.to.entered_by() {
        if side != requested.actor {
            return Err(RequestTransitionError::WrongSide {
                to: requested.to,
                side,
            });
        }
    }
    requested.from.transition(requested.to)?;
    let text = if requested.to == ResidenceRequestStatus::Answered {
        required_text("answer", requested.text).map(Some)
    } else {
        optional_text("note", requested.text)
    }
    .map_err(RequestTransitionError::Invalid)?;
    Ok(RequestTransition {
        from: requested.from,
        to: requested.to,
        text,
    })
}

/// The categories a request shares: those chosen plus identity (the office must know whom the
/// question is about). Sorted, without duplicates.
pub fn shared_categories(chosen: &[DataCategory]) -> Vec<DataCategory> {
    with_identity(chosen)
}

/// Asking (creating a request) is a transfer to the office: the client's consents must cover
/// every shared category for the office and the purpose `residence_law_request` on `today`.
/// Returns the consents relied on (409 `consent-missing` otherwise, as for referrals).
pub fn check_asking(
    consents: &[Consent],
    office_organisation_id: i64,
    shared: &[DataCategory],
    today: NaiveDate,
) -> Result<Vec<i64>, ConsentMissing> {
    check_coverage(
        consents,
        &SharingRequest {
            recipient_organisation_id: office_organisation_id,
            purpose: ConsentPurpose::ResidenceLawRequest,
            categories: shared,
            on: today,
        },
    )
}

/// What the office may see of a request on `on`: the shared categories the client's consents
/// still release to it for residence-law requests. This is the "minimal, consented data" an
/// immigration officer gets; everything else of the case stays invisible.
pub fn office_visible_categories(
    shared: &[DataCategory],
    consents: &[Consent],
    office_organisation_id: i64,
    on: NaiveDate,
) -> Vec<DataCategory> {
    visible_shared_categories(
        shared,
        consents,
        office_organisation_id,
        ConsentPurpose::ResidenceLawRequest,
        on,
    )
}

/// What the addressed office sees of a request on `on`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficeView {
    /// The client's categories it sees ([`office_visible_categories`]).
    pub categories: Vec<DataCategory>,
    /// Whether it sees what was said about the client: the question, the answer and the case
    /// side's note.
    pub content: bool,
}

/// What the office sees of a request on `on`. The question, the answer and the note are
/// about the client, released with the categories shared: the office sees them only while the
/// client's consents still release every shared category to it for residence-law requests.
/// Once a consent is revoked (or runs out) it keeps the request's status, dates and version —
/// its own record that it was asked and answered — but neither the content nor the client
/// fields no longer released.
pub fn office_view(
    shared: &[DataCategory],
    consents: &[Consent],
    office_organisation_id: i64,
    on: NaiveDate,
) -> OfficeView {
    let categories = office_visible_categories(shared, consents, office_organisation_id, on);
    let content = crate::reference::normalise_set(shared)
        .iter()
        .all(|c| categories.contains(c));
    OfficeView {
        categories,
        content,
    }
}

/// The question itself: required, not blank, bounded like every reason text.
pub fn check_question(question: Option<&str>) -> Result<String, FieldError> {
    required_text("question", question)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ResidenceRequestStatus::*;

    fn mv(
        actor: RequestSide,
        from: ResidenceRequestStatus,
        to: ResidenceRequestStatus,
        text: Option<&str>,
    ) -> RequestMove<'_> {
        RequestMove {
            actor,
            from,
            to,
            text,
        }
    }

    #[test]
    fn the_whole_transition_table() {
        let allowed = [(Open, Answered), (Open, Withdrawn), (Answered, Closed)];
        for from in ResidenceRequestStatus::ALL {
            for to in ResidenceRequestStatus::ALL {
                let expected = allowed.contains(&(*from, *to));
                assert_eq!(from.transition(*to).is_ok(), expected, "{from} -> {to}");
            }
        }
        assert_eq!(
            Answered.transition(Withdrawn).unwrap_err().allowed,
            vec!["closed"]
        );
    }

    #[test]
    fn each_side_takes_only_its_moves_over_the_whole_table() {
        for side in RequestSide::ALL {
            for from in ResidenceRequestStatus::ALL {
                for to in ResidenceRequestStatus::ALL {
                    let result = check_request_transition(&mv(*side, *from, *to, Some("ok")));
                    let legal = from.transition(*to).is_ok();
                    let own = to.entered_by() == Some(*side);
                    match result {
                        Ok(_) => assert!(legal && own, "{side}: {from} -> {to}"),
                        Err(RequestTransitionError::WrongSide { side: owner, .. }) => {
                            assert!(
                                !own && Some(owner) == to.entered_by(),
                                "{side}: {from} -> {to}"
                            )
                        }
                        Err(RequestTransitionError::Illegal(_)) => {
                            assert!(!legal && (own || *to == Open), "{side}: {from} -> {to}")
                        }
                        Err(other) => panic!("{side}: {from} -> {to}: {other:?}"),
                    }
                }
            }
        }
    }

    #[test]
    fn case_side_asks_withdraws_and_closes_office_answers() {
        assert_eq!(Open.entered_by(), None);
        assert_eq!(Answered.entered_by(), Some(RequestSide::Office));
        assert_eq!(Closed.entered_by(), Some(RequestSide::Case));
        assert_eq!(Withdrawn.entered_by(), Some(RequestSide::Case));
    }

    #[test]
    fn answering_requires_an_answer() {
        for blank in [None, Some(" ")] {
            assert!(matches!(
                check_request_transition(&mv(RequestSide::Office, Open, Answered, blank)),
                Err(RequestTransitionError::Invalid(e)) if e.field == "answer"
            ));
        }
        let answered = check_request_transition(&mv(
            RequestSide::Office,
            Open,
            Answered,
            Some(" § 25b applies "),
        ))
        .unwrap();
        assert_eq!(answered.text.as_deref(), Some("§ 25b applies"));
    }

    #[test]
    fn closing_and_withdrawing_take_an_optional_note() {
        for (from, to) in [(Answered, Closed), (Open, Withdrawn)] {
            assert_eq!(
                check_request_transition(&mv(RequestSide::Case, from, to, None))
                    .unwrap()
                    .text,
                None
            );
        }
    }

    #[test]
    fn only_open_requests_await_an_answer() {
        for status in ResidenceRequestStatus::ALL {
            assert_eq!(status.awaits_answer(), *status == Open);
        }
    }

    fn consent(purpose: ConsentPurpose, categories: &[DataCategory]) -> Consent {
        Consent {
            id: 5,
            recipient_organisation_ids: vec![OFFICE],
            purposes: vec![purpose],
            categories: categories.to_vec(),
            given_on: date(2026, 1, 1),
            valid_until: None,
            revoked_on: None,
        }
    }

    const OFFICE: i64 = 30;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn asking_needs_consent_for_the_office_and_residence_law_requests() {
        use DataCategory::*;
        let today = date(2026, 6, 1);
        let shared = shared_categories(&[ResidenceStatus]);
        assert_eq!(shared, vec![Identity, ResidenceStatus]);
        let right = [consent(
            ConsentPurpose::ResidenceLawRequest,
            &[Identity, ResidenceStatus],
        )];
        assert_eq!(check_asking(&right, OFFICE, &shared, today), Ok(vec![5]));
        assert!(check_asking(&right, OFFICE + 1, &shared, today).is_err());
        let for_referrals = [consent(
            ConsentPurpose::Referral,
            &[Identity, ResidenceStatus],
        )];
        assert_eq!(
            check_asking(&for_referrals, OFFICE, &shared, today)
                .unwrap_err()
                .missing,
            vec![Identity, ResidenceStatus]
        );
    }

    #[test]
    fn the_office_sees_only_shared_and_consented_categories() {
        use DataCategory::*;
        let today = date(2026, 6, 1);
        let consents = [consent(
            ConsentPurpose::ResidenceLawRequest,
            &[Identity, ResidenceStatus, CaseContent],
        )];
        let shared = shared_categories(&[ResidenceStatus]);
        assert_eq!(
            office_visible_categories(&shared, &consents, OFFICE, today),
            vec![Identity, ResidenceStatus]
        );
        let referral_only = [consent(ConsentPurpose::Referral, &[Identity])];
        assert!(office_visible_categories(&shared, &referral_only, OFFICE, today).is_empty());
    }

    #[test]
    fn after_a_revocation_the_office_keeps_the_status_but_not_the_content() {
        use DataCategory::*;
        let shared = shared_categories(&[ResidenceStatus]);
        let mut given = consent(
            ConsentPurpose::ResidenceLawRequest,
            &[Identity, ResidenceStatus],
        );
        let before = date(2026, 6, 1);
        assert_eq!(
            office_view(&shared, std::slice::from_ref(&given), OFFICE, before),
            OfficeView {
                categories: vec![Identity, ResidenceStatus],
                content: true
            }
        );
        given.revoked_on = Some(date(2026, 6, 2));
        assert!(office_view(&shared, std::slice::from_ref(&given), OFFICE, before).content);
        let after = office_view(
            &shared,
            std::slice::from_ref(&given),
            OFFICE,
            date(2026, 6, 2),
        );
        assert_eq!(
            after,
            OfficeView {
                categories: vec![],
                content: false
            }
        );
        // Another office, another purpose or no consent at all: never the content.
        given.revoked_on = None;
        assert!(!office_view(&shared, std::slice::from_ref(&given), OFFICE + 1, before).content);
        let referral = consent(ConsentPurpose::Referral, &[Identity, ResidenceStatus]);
        assert!(!office_view(&shared, &[referral], OFFICE, before).content);
        assert!(!office_view(&shared, &[], OFFICE, before).content);
    }

    #[test]
    fn a_partly_released_request_shows_what_is_released_but_not_the_content() {
        use DataCategory::*;
        let shared = shared_categories(&[ResidenceStatus]);
        let identity_only = consent(ConsentPurpose::ResidenceLawRequest, &[Identity]);
        let mut status = consent(ConsentPurpose::ResidenceLawRequest, &[ResidenceStatus]);
        let day = date(2026, 6, 1);
        assert!(
            office_view(
                &shared,
                &[identity_only.clone(), status.clone()],
                OFFICE,
                day
            )
            .content
        );
        status.valid_until = Some(date(2026, 5, 31));
        assert_eq!(
            office_view(&shared, &[identity_only, status], OFFICE, day),
            OfficeView {
                categories: vec![Identity],
                content: false
            }
        );
    }

    #[test]
    fn a_question_must_be_asked() {
        assert_eq!(
            check_question(Some(" may she work? ")),
            Ok("may she work?".into())
        );
        assert!(check_question(Some("")).is_err());
        assert!(check_question(None).is_err());
    }
}
