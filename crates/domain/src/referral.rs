//! Referrals (Verweisberatung / Weitervermittlung): a case manager refers a client to a partner
//! organisation (Jobcenter, migration counselling, a welfare organisation), which accepts or
//! declines and reports completion.
//!
//! Status machine: `draft → sent → accepted | declined`, `accepted → completed`,
//! `sent → withdrawn`. Two sides move it: the case side (the case's case managers) sends and
//! withdraws; the recipient side (the partner organisation, through its token) accepts, declines
//! and completes. A decline needs a reason. Sending is a transfer of personal data, so it needs
//! consent covering every shared category for the recipient and the purpose `referral`.
//!
//! How the API maps [`ReferralTransitionError`]: `WrongSide` 403, `Illegal` 409, `Invalid` 422,
//! `ConsentMissing` 409 with problem type `consent-missing`. (A caller with no access at all gets
//! 404 before any of this; see [`crate::access`].)
//!
//! Decisions where the issue was silent: a draft is never shown to the recipient and is deleted
//! rather than withdrawn; a referral always shares identity, because it names the person.

use chrono::NaiveDate;

use crate::consent::{
    check_coverage, visible_categories, visible_shared_categories, with_identity, Consent,
    ConsentMissing, ConsentPurpose, DataCategory, SharingRequest,
};
use crate::field::{optional_text, required_text, FieldError};
use crate::transition::IllegalTransition;

crate::vocabulary! {
    /// Stand einer Weitervermittlung (status of a referral).
    pub enum ReferralStatus {
        /// Entwurf (draft; only the case side sees it)
        Draft => "draft",
        /// Versendet (sent to the recipient organisation)
        Sent => "sent",
        /// Angenommen (accepted by the recipient)
        Accepted => "accepted",
        /// Abgelehnt (declined by the recipient, with a reason)
        Declined => "declined",
        /// Abgeschlossen (completed by the recipient)
        Completed => "completed",
        /// Zurückgezogen (withdrawn by the case side before an answer)
        Withdrawn => "withdrawn",
    }
}

crate::vocabulary! {
    /// Seite einer Weitervermittlung (who acts on a referral).
    pub enum ReferralSide {
        /// Fallseite: the case's case managers
        Case => "case",
        /// Empfängerseite: the recipient organisation's partner system
        Recipient => "recipient",
    }
}

impl ReferralStatus {
    pub fn allowed_next(self) -> &'static [ReferralStatus] {
        use ReferralStatus::*;
        match self {
            Draft => &[Sent],
            Sent => &[Accepted, Declined, Withdrawn],
            Accepted => &[Completed],
            Declined | Completed | Withdrawn => &[],
        }
    }

    pub fn transition(self, to: ReferralStatus) -> Result<ReferralStatus, IllegalTransition> {
        IllegalTransition::check(self, to, self.allowed_next(), Self::as_str)
    }

    /// The side that moves a referral into this status; `None` for the draft, which is created,
    /// never entered.
    pub fn entered_by(self) -> Option<ReferralSide> {
        use ReferralStatus::*;
        match self {
            Draft => None,
            Sent | Withdrawn => Some(ReferralSide::Case),
            Accepted | Declined | Completed => Some(ReferralSide::Recipient),
        }
    }

    /// The recipient sees a referral from the moment it is sent, withdrawn ones included (it
    /// must learn that a referral it saw was withdrawn).
    pub fn is_visible_to_recipient(self) -> bool {
        self != ReferralStatus::Draft
    }

    /// Only a draft may be edited or deleted; once sent, what was shared is on record.
    pub fn is_draft(self) -> bool {
        self == ReferralStatus::Draft
    }
}

/// The categories a referral shares: those chosen plus identity, since a referral names the
/// person. Sorted, without duplicates.
pub fn shared_categories(chosen: &[DataCategory]) -> Vec<DataCategory> {
    with_identity(chosen)
}

/// What the recipient may see of a referral on `on`: the shared categories its valid consents
/// still release for referrals.
pub fn recipient_visible_categories(
    shared: &[DataCategory],
    consents: &[Consent],
    recipient_organisation_id: i64,
    on: NaiveDate,
) -> Vec<DataCategory> {
    visible_shared_categories(
        shared,
        consents,
        recipient_organisation_id,
        ConsentPurpose::Referral,
        on,
    )
}

/// Whether the recipient organisation sees referrals about a client at all on `on`: when the
/// client's valid consents still release the client's identity to it for referrals. A referral
/// always shares identity ([`shared_categories`]), so this depends on the client's consents
/// alone, not on the referral: a list decides it once per client (and can count and page the
/// referrals it leaves in the database), a single read through [`recipient_view`].
pub fn recipient_sees_client(
    consents: &[Consent],
    recipient_organisation_id: i64,
    on: NaiveDate,
) -> bool {
    visible_categories(
        consents,
        recipient_organisation_id,
        ConsentPurpose::Referral,
        on,
    )
    .contains(&DataCategory::Identity)
}

/// What the recipient sees of a referral on `on`: `None` when it does not see the referral at
/// all ([`recipient_sees_client`]; the API answers 404 and leaves it out of the recipient's
/// list), else the shared categories its valid consents still release
/// ([`recipient_visible_categories`]).
pub fn recipient_view(
    shared: &[DataCategory],
    consents: &[Consent],
    recipient_organisation_id: i64,
    on: NaiveDate,
) -> Option<Vec<DataCategory>> {
    recipient_sees_client(consents, recipient_organisation_id, on)
        .then(|| recipient_visible_categories(shared, consents, recipient_organisation_id, on))
}

/// A requested move.
#[derive(Debug, Clone, PartialEq)]
pub struct ReferralMove<'a> {
    /// The side the caller acts for, from [`crate::access::referral_access`].
    pub actor: ReferralSide,
    pub from: ReferralStatus,
    pub to: ReferralStatus,
    /// Required to decline; an optional note otherwise.
    pub reason: Option<&'a str>,
}

/// What sending is checked against.
#[derive(Debug, Clone, PartialEq)]
pub struct SendingFacts<'a> {
    pub recipient_organisation_id: i64,
    /// As from [`shared_categories`].
    pub shared_categories: &'a [DataCategory],
    /// The client's consents.
    pub consents: &'a [Consent],
    pub today: NaiveDate,
}

/// A checked move, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct ReferralTransition {
    pub from: ReferralStatus,
    pub to: ReferralStatus,
    /// Trimmed.
    pub reason: Option<String>,
    /// For `sent`: the consents the transfer relies on, to be stored with it. Empty otherwise.
    pub consent_ids: Vec<i64>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ReferralTransitionError {
    /// The other side takes this move (403).
    #[error("only the {} side may move a referral to '{to}'", side.as_str())]
    WrongSide {
        to: ReferralStatus,
        side: ReferralSide,
    },
    /// The state machine refuses the move (409).
    #[error(transparent)]
    Illegal(#[from] IllegalTransition),
    /// A required field is missing or invalid (422).
    #[error("{}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<FieldError>),
    /// Sending would share data no consent releases (409 `consent-missing`).
    #[error(transparent)]
    ConsentMissing(#[from] ConsentMissing),
}

/// Checks a move in this order: the side (who), the state machine (whether), the fields (with
/// what), and for sending the consent (may the data go).
pub fn check_referral_transition(
    requested: &ReferralMove<'_>,
    facts: &SendingFacts<'_>,
) -> Result<ReferralTransition, ReferralTransitionError> {
    let side = requested.to.entered_by();
    if side != Some(requested.actor) {
        // Draft has no entering side; the state machine below names it illegal for both.
        if let Some(side) = side {
            return Err(ReferralTransitionError::WrongSide {
                to: requested.to,
                side,
            });
        }
    }
    requested.from.transition(requested.to)?;

    let reason = if requested.to == ReferralStatus::Declined {
        required_text("reason", requested.reason)
            .map(Some)
            .map_err(|e| ReferralTransitionError::Invalid(vec![e]))?
    } else {
        optional_text("reason", requested.reason)
            .map_err(|e| ReferralTransitionError::Invalid(vec![e]))?
    };

    let consent_ids = if requested.to == ReferralStatus::Sent {
        check_coverage(
            facts.consents,
            &SharingRequest {
                recipient_organisation_id: facts.recipient_organisation_id,
                purpose: ConsentPurpose::Referral,
                categories: facts.shared_categories,
                on: facts.today,
            },
        )?
    } else {
        Vec::new()
    };

    Ok(ReferralTransition {
        from: requested.from,
        to: requested.to,
        reason,
        consent_ids,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use DataCategory::*;
    use ReferralStatus::*;

    const JOBCENTER: i64 = 10;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn today() -> NaiveDate {
        date(2026, 6, 1)
    }

    fn consent(id: i64, categories: &[DataCategory]) -> Consent {
        Consent {
            id,
            recipient_organisation_ids: vec![JOBCENTER],
            purposes: vec![ConsentPurpose::Referral],
            categories: categories.to_vec(),
            given_on: date(2026, 1, 1),
            valid_until: None,
            revoked_on: None,
        }
    }

    fn facts<'a>(shared: &'a [DataCategory], consents: &'a [Consent]) -> SendingFacts<'a> {
        SendingFacts {
            recipient_organisation_id: JOBCENTER,
            shared_categories: shared,
            consents,
            today: today(),
        }
    }

    fn mv(
        actor: ReferralSide,
        from: ReferralStatus,
        to: ReferralStatus,
        reason: Option<&str>,
    ) -> ReferralMove<'_> {
        ReferralMove {
            actor,
            from,
            to,
            reason,
        }
    }

    #[test]
    fn the_whole_transition_table() {
        let allowed = [
            (Draft, Sent),
            (Sent, Accepted),
            (Sent, Declined),
            (Sent, Withdrawn),
            (Accepted, Completed),
        ];
        for from in ReferralStatus::ALL {
            for to in ReferralStatus::ALL {
                let expected = allowed.contains(&(*from, *to));
                assert_eq!(from.transition(*to).is_ok(), expected, "{from} -> {to}");
            }
        }
        assert_eq!(
            Sent.transition(Draft).unwrap_err().allowed,
            vec!["accepted", "declined", "withdrawn"]
        );
        assert!(Completed.transition(Sent).unwrap_err().allowed.is_empty());
    }

    #[test]
    fn each_side_takes_only_its_moves_over_the_whole_table() {
        let consents = [consent(1, &[Identity, Contact])];
        let shared = shared_categories(&[Contact]);
        for side in ReferralSide::ALL {
            for from in ReferralStatus::ALL {
                for to in ReferralStatus::ALL {
                    let result = check_referral_transition(
                        &mv(*side, *from, *to, Some("no capacity")),
                        &facts(&shared, &consents),
                    );
                    let legal = from.transition(*to).is_ok();
                    let own_side = to.entered_by() == Some(*side);
                    match result {
                        Ok(_) => assert!(legal && own_side, "{side}: {from} -> {to}"),
                        Err(ReferralTransitionError::WrongSide { side: owner, .. }) => {
                            assert!(
                                !own_side && Some(owner) == to.entered_by(),
                                "{side}: {from} -> {to}"
                            )
                        }
                        Err(ReferralTransitionError::Illegal(_)) => {
                            assert!(
                                !legal && (own_side || *to == Draft),
                                "{side}: {from} -> {to}"
                            )
                        }
                        Err(other) => panic!("{side}: {from} -> {to}: {other:?}"),
                    }
                }
            }
        }
    }

    #[test]
    fn sides_of_each_status() {
        assert_eq!(Draft.entered_by(), None);
        for status in [Sent, Withdrawn] {
            assert_eq!(status.entered_by(), Some(ReferralSide::Case));
        }
        for status in [Accepted, Declined, Completed] {
            assert_eq!(status.entered_by(), Some(ReferralSide::Recipient));
        }
    }

    #[test]
    fn declining_requires_a_reason() {
        let no_consents: [Consent; 0] = [];
        for blank in [None, Some("  ")] {
            let result = check_referral_transition(
                &mv(ReferralSide::Recipient, Sent, Declined, blank),
                &facts(&[], &no_consents),
            );
            assert!(
                matches!(&result, Err(ReferralTransitionError::Invalid(e)) if e[0].field == "reason"),
                "{result:?}"
            );
        }
        let declined = check_referral_transition(
            &mv(
                ReferralSide::Recipient,
                Sent,
                Declined,
                Some(" no capacity "),
            ),
            &facts(&[], &no_consents),
        )
        .unwrap();
        assert_eq!(declined.reason.as_deref(), Some("no capacity"));
        assert!(declined.consent_ids.is_empty());
    }

    #[test]
    fn other_moves_take_an_optional_note() {
        let no_consents: [Consent; 0] = [];
        for (side, from, to) in [
            (ReferralSide::Case, Sent, Withdrawn),
            (ReferralSide::Recipient, Sent, Accepted),
            (ReferralSide::Recipient, Accepted, Completed),
        ] {
            let bare =
                check_referral_transition(&mv(side, from, to, None), &facts(&[], &no_consents))
                    .unwrap();
            assert_eq!(bare.reason, None);
            let noted = check_referral_transition(
                &mv(side, from, to, Some("job found")),
                &facts(&[], &no_consents),
            )
            .unwrap();
            assert_eq!(noted.reason.as_deref(), Some("job found"));
        }
    }

    #[test]
    fn sending_requires_consent_for_every_shared_category_and_names_it() {
        let shared = shared_categories(&[Contact, ResidenceStatus]);
        assert_eq!(shared, vec![Identity, Contact, ResidenceStatus]);
        let partial = [consent(1, &[Identity, Contact])];
        let send = mv(ReferralSide::Case, Draft, Sent, None);
        assert_eq!(
            check_referral_transition(&send, &facts(&shared, &partial)),
            Err(ReferralTransitionError::ConsentMissing(ConsentMissing {
                missing: vec![ResidenceStatus]
            }))
        );
        let full = [
            consent(1, &[Identity, Contact]),
            consent(2, &[ResidenceStatus]),
        ];
        let sent = check_referral_transition(&send, &facts(&shared, &full)).unwrap();
        assert_eq!(sent.consent_ids, vec![1, 2]);
        assert_eq!(sent.to, Sent);
    }

    #[test]
    fn sending_checks_consent_on_the_day_of_sending() {
        let mut revoked = consent(1, &[Identity]);
        revoked.revoked_on = Some(today());
        let shared = shared_categories(&[]);
        let result = check_referral_transition(
            &mv(ReferralSide::Case, Draft, Sent, None),
            &facts(&shared, &[revoked]),
        );
        assert!(matches!(
            result,
            Err(ReferralTransitionError::ConsentMissing(_))
        ));
    }

    #[test]
    fn the_side_is_checked_before_the_state_and_the_state_before_consent() {
        let none: [Consent; 0] = [];
        assert!(matches!(
            check_referral_transition(
                &mv(ReferralSide::Recipient, Draft, Sent, None),
                &facts(&[Identity], &none)
            ),
            Err(ReferralTransitionError::WrongSide {
                side: ReferralSide::Case,
                ..
            })
        ));
        assert!(matches!(
            check_referral_transition(
                &mv(ReferralSide::Case, Sent, Sent, None),
                &facts(&[Identity], &none)
            ),
            Err(ReferralTransitionError::Illegal(_))
        ));
        assert_eq!(
            ReferralTransitionError::WrongSide {
                to: Accepted,
                side: ReferralSide::Recipient
            }
            .to_string(),
            "only the recipient side may move a referral to 'accepted'"
        );
    }

    #[test]
    fn the_recipient_sees_only_shared_and_still_consented_categories() {
        let consents = [consent(1, &[Identity, Contact, CaseContent])];
        let shared = shared_categories(&[Contact, ResidenceStatus]);
        assert_eq!(
            recipient_visible_categories(&shared, &consents, JOBCENTER, today()),
            vec![Identity, Contact]
        );
        assert!(recipient_visible_categories(&shared, &consents, 99, today()).is_empty());
        let mut revoked = consents[0].clone();
        revoked.revoked_on = Some(today());
        assert!(recipient_visible_categories(&shared, &[revoked], JOBCENTER, today()).is_empty());
    }

    /// Consents of one client in every state that matters on [`today`]: valid, revoked that
    /// day, expired the day before, given the day after, for another organisation, for another
    /// purpose, and valid without identity.
    fn consents_in_every_state() -> Vec<Consent> {
        let day = |d: i64| today() + chrono::Duration::days(d);
        let mut revoked = consent(2, &[Identity, Contact]);
        revoked.revoked_on = Some(today());
        let mut expired = consent(3, &[Identity, ResidenceStatus]);
        expired.valid_until = Some(day(-1));
        let mut not_yet = consent(4, &[Identity, CaseContent]);
        not_yet.given_on = day(1);
        let mut elsewhere = consent(5, &[Identity, Contact]);
        elsewhere.recipient_organisation_ids = vec![99];
        let mut other_purpose = consent(6, &[Identity, CaseContent]);
        other_purpose.purposes = vec![ConsentPurpose::CaseConference];
        let mut until_today = consent(8, &[Identity]);
        until_today.valid_until = Some(today());
        vec![
            consent(1, &[Identity]),
            revoked,
            expired,
            not_yet,
            elsewhere,
            other_purpose,
            consent(7, &[Contact, ResidenceStatus]),
            until_today,
        ]
    }

    #[test]
    fn whether_the_recipient_sees_a_referral_depends_on_the_clients_consents_alone() {
        let all = consents_in_every_state();
        // Every subset of the client's consents, with every choice of shared categories: the
        // view is what a single read showed before lists decided per client (the shared
        // categories the consents release, hidden when identity is not among them), and
        // whether it is shown at all is the per-client answer.
        for mask in 0u32..(1 << all.len()) {
            let consents: Vec<Consent> = all
                .iter()
                .enumerate()
                .filter(|(i, _)| mask & (1 << i) != 0)
                .map(|(_, c)| c.clone())
                .collect();
            let sees = recipient_sees_client(&consents, JOBCENTER, today());
            for chosen_mask in 0u32..(1 << DataCategory::ALL.len()) {
                let chosen: Vec<DataCategory> = DataCategory::ALL
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| chosen_mask & (1 << i) != 0)
                    .map(|(_, c)| *c)
                    .collect();
                let shared = shared_categories(&chosen);
                let released = recipient_visible_categories(&shared, &consents, JOBCENTER, today());
                let expected = released.contains(&Identity).then_some(released);
                let view = recipient_view(&shared, &consents, JOBCENTER, today());
                assert_eq!(view, expected, "consents {mask:b}, shared {shared:?}");
                assert_eq!(view.is_some(), sees, "consents {mask:b}, shared {shared:?}");
            }
        }
        // The valid identity consents are what counts: alone, each shows the client.
        assert!(recipient_sees_client(&all[..1], JOBCENTER, today()));
        assert!(recipient_sees_client(&all[7..8], JOBCENTER, today()));
        assert!(!recipient_sees_client(&all[1..7], JOBCENTER, today()));
        assert!(!recipient_sees_client(&all, 99 + 1, today()));
        assert!(recipient_sees_client(&all[4..5], 99, today()));
    }

    #[test]
    fn drafts_are_private_and_editable() {
        for status in ReferralStatus::ALL {
            assert_eq!(status.is_visible_to_recipient(), *status != Draft);
            assert_eq!(status.is_draft(), *status == Draft);
        }
    }
}
