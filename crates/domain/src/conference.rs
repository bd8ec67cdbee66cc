//! Case conferences (Fallkonferenzen) after they were recorded: who may change the record and
//! who may tick off its follow-up tasks.
//!
//! | conference | read | change | complete a task |
//! |---|---|---|---|
//! | with a case | as the case (its case managers, the CM coordination) | the case's case managers | they, and the task's owner |
//! | anonymised | every case manager and the CM coordination | its author | its author, and the task's owner |
//!
//! A task's owner may be someone who cannot see the case (a colleague from another office who
//! took on a follow-up): they may mark their own task done, and learn nothing else from it.
//!
//! A conference about a case shares the client's data with everyone present. Participants from
//! the county administration (its offices, [`OrganisationKind::is_county_administration`])
//! process them as one controller; every other participating organisation — named directly, or
//! as the organisation of a participating user — is a partner, and the lead client's consents
//! must release [`SHARED_IN_CONFERENCE`] to it for the purpose `case_conference` on the day the
//! conference is held ([`check_conference_consent`]; 409 `consent-missing` at the API, as for
//! referrals). The day held, not the day recorded: the data were shared at the table, and a
//! revocation afterwards does not make a conference held with consent unlawful to record.

use chrono::NaiveDate;

use crate::access::Access;
use crate::consent::{check_coverage, Consent, ConsentPurpose, DataCategory, SharingRequest};
use crate::permission::{Action, Principal};
use crate::reference::{normalise_set, OrganisationKind};

/// What a case conference shares with those present: who the client is and what the case is
/// about.
pub const SHARED_IN_CONFERENCE: &[DataCategory] =
    &[DataCategory::Identity, DataCategory::CaseContent];

/// The participating organisations outside the county administration, from the kinds of the
/// organisations taking part (directly or through a participating user). Sorted, without
/// duplicates.
pub fn external_participants(participants: &[(i64, OrganisationKind)]) -> Vec<i64> {
    let external: Vec<i64> = participants
        .iter()
        .filter(|(_, kind)| !kind.is_county_administration())
        .map(|(id, _)| *id)
        .collect();
    normalise_set(&external)
}

/// No valid consent releases what a conference shares to these partners.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "no valid consent of the lead client releases {} to organisation {} for a case conference on {held_on}",
    missing.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", "),
    organisation_ids.iter().map(|o| o.to_string()).collect::<Vec<_>>().join(", ")
)]
pub struct ConferenceConsentMissing {
    /// The partners not covered, sorted.
    pub organisation_ids: Vec<i64>,
    /// The categories missing for at least one of them, sorted.
    pub missing: Vec<DataCategory>,
    pub held_on: NaiveDate,
}

/// Whether the lead client's `consents` allow a conference held on `held_on` with the
/// `external` partners ([`external_participants`]); on success the consents relied on, sorted.
/// A conference among the county administration alone needs no consent.
pub fn check_conference_consent(
    consents: &[Consent],
    external: &[i64],
    held_on: NaiveDate,
) -> Result<Vec<i64>, ConferenceConsentMissing> {
    let mut used = Vec::new();
    let mut uncovered = Vec::new();
    let mut missing = Vec::new();
    for organisation in normalise_set(external) {
        match check_coverage(
            consents,
            &SharingRequest {
                recipient_organisation_id: organisation,
                purpose: ConsentPurpose::CaseConference,
                categories: SHARED_IN_CONFERENCE,
                on: held_on,
            },
        ) {
            Ok(ids) => used.extend(ids),
            Err(gap) => {
                uncovered.push(organisation);
                missing.extend(gap.missing);
            }
        }
    }
    if uncovered.is_empty() {
        Ok(normalise_set(&used))
    } else {
        Err(ConferenceConsentMissing {
            organisation_ids: uncovered,
            missing: normalise_set(&missing),
            held_on,
        })
    }
}

/// Where a conference belongs, as the rules see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConferenceFacts {
    /// Linked to a case; carries the caller's access to that case.
    OfCase(Access),
    /// No case; only a summary without personal data.
    Anonymised { created_by: Option<i64> },
}

/// What `principal` may do with a conference.
pub fn conference_access(principal: &Principal, facts: ConferenceFacts) -> Access {
    match facts {
        ConferenceFacts::OfCase(case) => case,
        ConferenceFacts::Anonymised { created_by } => match principal {
            Principal::Person { user_id, .. } if principal.may(Action::WorkCases) => {
                if created_by == Some(*user_id) {
                    Access::ReadWrite
                } else {
                    Access::Read
                }
            }
            _ if principal.may(Action::SuperviseCases) => Access::Read,
            _ => Access::None,
        },
    }
}

/// Whether `principal` may mark a task owned by `owner_user_id` done.
pub fn may_complete_task(principal: &Principal, conference: Access, owner_user_id: i64) -> bool {
    conference.may_write()
        || matches!(principal, Principal::Person { user_id, .. } if *user_id == owner_user_id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Role, Scope};
    use DataCategory::*;

    const JOBCENTER: i64 = 10;
    const CARITAS: i64 = 20;
    const YOUTH_OFFICE: i64 = 30;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn consent(
        id: i64,
        to: &[i64],
        purpose: ConsentPurpose,
        categories: &[DataCategory],
    ) -> Consent {
        Consent {
            id,
            recipient_organisation_ids: to.to_vec(),
            purposes: vec![purpose],
            categories: categories.to_vec(),
            given_on: date(2026, 3, 1),
            valid_until: None,
            revoked_on: None,
        }
    }

    #[test]
    fn only_partners_outside_the_county_administration_count() {
        use OrganisationKind as K;
        assert_eq!(
            external_participants(&[
                (YOUTH_OFFICE, K::CountyOffice),
                (CARITAS, K::WelfareOrganisation),
                (JOBCENTER, K::Jobcenter),
                (CARITAS, K::WelfareOrganisation),
                (40, K::MunicipalOffice),
            ]),
            vec![JOBCENTER, CARITAS, 40]
        );
        assert!(external_participants(&[(YOUTH_OFFICE, K::CountyOffice)]).is_empty());
        assert!(external_participants(&[]).is_empty());
    }

    #[test]
    fn a_conference_within_the_county_administration_needs_no_consent() {
        assert_eq!(
            check_conference_consent(&[], &[], date(2026, 6, 1)),
            Ok(vec![])
        );
    }

    #[test]
    fn every_partner_needs_identity_and_case_content_for_case_conferences() {
        let held = date(2026, 6, 1);
        let both = consent(
            1,
            &[JOBCENTER, CARITAS],
            ConsentPurpose::CaseConference,
            &[Identity, CaseContent],
        );
        assert_eq!(
            check_conference_consent(std::slice::from_ref(&both), &[JOBCENTER, CARITAS], held),
            Ok(vec![1])
        );
        // Two forms together, as for referrals.
        let identity = consent(2, &[JOBCENTER], ConsentPurpose::CaseConference, &[Identity]);
        let content = consent(
            3,
            &[JOBCENTER],
            ConsentPurpose::CaseConference,
            &[CaseContent],
        );
        assert_eq!(
            check_conference_consent(&[identity.clone(), content], &[JOBCENTER], held),
            Ok(vec![2, 3])
        );
        // One partner covered, one not; only case content missing for the other.
        let refused =
            check_conference_consent(&[identity, both.clone()], &[JOBCENTER, CARITAS, 40], held)
                .unwrap_err();
        assert_eq!(refused.organisation_ids, vec![40]);
        assert_eq!(refused.missing, vec![Identity, CaseContent]);
        assert!(refused.to_string().contains("organisation 40"), "{refused}");
        assert!(refused.to_string().contains("2026-06-01"), "{refused}");
    }

    #[test]
    fn another_purpose_or_a_consent_invalid_on_the_day_held_does_not_cover() {
        let held = date(2026, 6, 1);
        let referral = consent(
            1,
            &[JOBCENTER],
            ConsentPurpose::Referral,
            &[Identity, CaseContent],
        );
        assert_eq!(
            check_conference_consent(&[referral], &[JOBCENTER], held)
                .unwrap_err()
                .missing,
            vec![Identity, CaseContent]
        );
        let mut later = consent(
            2,
            &[JOBCENTER],
            ConsentPurpose::CaseConference,
            &[Identity, CaseContent],
        );
        later.given_on = date(2026, 6, 2);
        assert!(
            check_conference_consent(std::slice::from_ref(&later), &[JOBCENTER], held).is_err()
        );
        let mut revoked = later.clone();
        revoked.given_on = date(2026, 1, 1);
        revoked.revoked_on = Some(held);
        assert!(
            check_conference_consent(std::slice::from_ref(&revoked), &[JOBCENTER], held).is_err()
        );
        // Revoked after the conference: it was held with consent.
        revoked.revoked_on = Some(date(2026, 6, 2));
        assert_eq!(
            check_conference_consent(&[revoked], &[JOBCENTER], held),
            Ok(vec![2])
        );
        let mut expired = later;
        expired.given_on = date(2026, 1, 1);
        expired.valid_until = Some(date(2026, 5, 31));
        assert!(check_conference_consent(&[expired], &[JOBCENTER], held).is_err());
    }

    const ME: i64 = 7;

    fn person(role: Role) -> Principal {
        Principal::Person { user_id: ME, role }
    }

    #[test]
    fn a_case_conference_follows_the_case() {
        for role in Role::ALL {
            for case in [Access::None, Access::Read, Access::ReadWrite] {
                assert_eq!(
                    conference_access(&person(*role), ConferenceFacts::OfCase(case)),
                    case
                );
            }
        }
    }

    #[test]
    fn an_anonymised_conference_is_changed_by_its_author_and_read_by_case_management() {
        for role in Role::ALL {
            for created_by in [Some(ME), Some(ME + 1), None] {
                let expected = match role {
                    Role::CaseManager if created_by == Some(ME) => Access::ReadWrite,
                    Role::CaseManager | Role::CmCoordinator => Access::Read,
                    _ => Access::None,
                };
                assert_eq!(
                    conference_access(&person(*role), ConferenceFacts::Anonymised { created_by }),
                    expected,
                    "{role} / {created_by:?}"
                );
            }
        }
    }

    #[test]
    fn partners_see_no_conference() {
        let partner = Principal::Partner {
            token_id: 1,
            organisation_id: 1,
            scopes: Scope::ALL.to_vec(),
        };
        let facts = ConferenceFacts::Anonymised { created_by: None };
        assert_eq!(conference_access(&partner, facts), Access::None);
        assert!(!may_complete_task(&partner, Access::None, ME));
    }

    #[test]
    fn tasks_are_completed_by_their_owner_or_whoever_may_change_the_conference() {
        for role in Role::ALL {
            for access in [Access::None, Access::Read, Access::ReadWrite] {
                for owner in [ME, ME + 1] {
                    let expected = access == Access::ReadWrite || owner == ME;
                    assert_eq!(
                        may_complete_task(&person(*role), access, owner),
                        expected,
                        "{role} / {access:?} / owner {owner}"
                    );
                }
            }
        }
    }
}
