//! Consent (Einwilligung / Schweigepflichtentbindung): which data of a client may go to which
//! organisation for which purpose, from when until when.
//!
//! Case data are social data (SGB X §67 ff.); sharing them across legal domains needs the
//! client's consent, and consent must be specific: data categories, named recipients, purpose.
//! So a consent here names all three, and a consent without named recipients (blanket consent,
//! Pauschaleinwilligung) covers nothing.
//!
//! Decisions where the issue was silent:
//! - The purpose is a small vocabulary ([`ConsentPurpose`]), not free text: only a closed set can
//!   be checked by a machine when a referral is sent. A free-text note on the form may still be
//!   stored beside it.
//! - Coverage is per category, across consents: sharing categories C with organisation O for
//!   purpose P on day D is allowed when every category in C is covered by some consent valid on D
//!   that names O, P and that category. Two forms signed on different days (identity and contact
//!   first, residence status later) together allow what each allows; nothing is combined across
//!   recipients or purposes. The answer names the consents used, so the transfer is provable.
//! - Dates are whole days: a consent is valid from `given_on` through `valid_until` inclusive;
//!   a revocation takes effect on `revoked_on` itself (revoked on D means not valid on D).

use chrono::NaiveDate;

use crate::field::FieldError;
use crate::reference::normalise_set;

crate::vocabulary! {
    /// Datenkategorie (category of client data a consent may release).
    pub enum DataCategory {
        /// Identitätsdaten: name, year of birth, client reference
        Identity => "identity",
        /// Kontaktdaten: address, phone, e-mail
        Contact => "contact",
        /// Aufenthaltsstatus (residence status and residence-law documents)
        ResidenceStatus => "residence_status",
        /// Fallinhalte: topics, goals, contacts and notes of the case
        CaseContent => "case_content",
    }
}

crate::vocabulary! {
    /// Zweck (purpose) for which a consent releases data.
    pub enum ConsentPurpose {
        /// Weitervermittlung an eine Stelle (referral, Verweisberatung)
        Referral => "referral",
        /// Fallkonferenz (case conference with the named organisations)
        CaseConference => "case_conference",
        /// Anfrage an die Ausländer- oder Einbürgerungsbehörde (residence-law request, module 3)
        ResidenceLawRequest => "residence_law_request",
        /// Abstimmung mit anderem Fallmanagement (coordinating support with another case management)
        CoordinatedSupport => "coordinated_support",
    }
}

crate::vocabulary! {
    /// Stand einer Einwilligung an einem Tag (state of a consent on a given day).
    pub enum ConsentState {
        /// Noch nicht erteilt (given on a later day)
        NotYetValid => "not_yet_valid",
        /// Gültig (valid)
        Valid => "valid",
        /// Abgelaufen (past its end date)
        Expired => "expired",
        /// Widerrufen (revoked on or before the day)
        Revoked => "revoked",
    }
}

/// The categories a transfer about a client shares: those chosen plus identity, because a
/// referral or a request names the person. Sorted, without duplicates.
pub fn with_identity(chosen: &[DataCategory]) -> Vec<DataCategory> {
    let mut all = chosen.to_vec();
    all.push(DataCategory::Identity);
    normalise_set(&all)
}

/// What `organisation_id` may see of a transfer for `purpose` on `on`: the shared categories its
/// valid consents still release. A revocation hides data already sent from the day it takes
/// effect.
pub fn visible_shared_categories(
    shared: &[DataCategory],
    consents: &[Consent],
    organisation_id: i64,
    purpose: ConsentPurpose,
    on: NaiveDate,
) -> Vec<DataCategory> {
    visible_categories(consents, organisation_id, purpose, on)
        .into_iter()
        .filter(|c| shared.contains(c))
        .collect()
}

/// A recorded consent of one client.
#[derive(Debug, Clone, PartialEq)]
pub struct Consent {
    pub id: i64,
    pub recipient_organisation_ids: Vec<i64>,
    pub purposes: Vec<ConsentPurpose>,
    pub categories: Vec<DataCategory>,
    pub given_on: NaiveDate,
    /// Last day of validity; `None` until revoked.
    pub valid_until: Option<NaiveDate>,
    /// The day the revocation takes effect.
    pub revoked_on: Option<NaiveDate>,
}

impl Consent {
    /// The consent's state on `on`. A revocation wins over everything else.
    pub fn state_on(&self, on: NaiveDate) -> ConsentState {
        if self.revoked_on.is_some_and(|revoked| revoked <= on) {
            ConsentState::Revoked
        } else if on < self.given_on {
            ConsentState::NotYetValid
        } else if self.valid_until.is_some_and(|until| until < on) {
            ConsentState::Expired
        } else {
            ConsentState::Valid
        }
    }

    /// Valid on `on` and naming `organisation_id` and `purpose`. A consent naming no recipient
    /// names nobody.
    pub fn allows(&self, organisation_id: i64, purpose: ConsentPurpose, on: NaiveDate) -> bool {
        self.state_on(on) == ConsentState::Valid
            && self.recipient_organisation_ids.contains(&organisation_id)
            && self.purposes.contains(&purpose)
    }
}

/// A planned transfer: categories to `recipient_organisation_id` for `purpose` on `on`.
#[derive(Debug, Clone, PartialEq)]
pub struct SharingRequest<'a> {
    pub recipient_organisation_id: i64,
    pub purpose: ConsentPurpose,
    pub categories: &'a [DataCategory],
    pub on: NaiveDate,
}

/// No valid consent covers these categories (409 `consent-missing` at the API).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "no valid consent of the client releases {} to this organisation for this purpose",
    missing.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", ")
)]
pub struct ConsentMissing {
    pub missing: Vec<DataCategory>,
}

/// Whether `consents` (one client's) cover `request`; on success the ids of the consents relied
/// on, sorted, for the record of the transfer. Sharing no category needs no consent.
pub fn check_coverage(
    consents: &[Consent],
    request: &SharingRequest<'_>,
) -> Result<Vec<i64>, ConsentMissing> {
    let usable: Vec<&Consent> = consents
        .iter()
        .filter(|c| {
            c.allows(
                request.recipient_organisation_id,
                request.purpose,
                request.on,
            )
        })
        .collect();
    let mut used = Vec::new();
    let mut missing = Vec::new();
    for category in normalise_set(request.categories) {
        let covering: Vec<i64> = usable
            .iter()
            .filter(|c| c.categories.contains(&category))
            .map(|c| c.id)
            .collect();
        if covering.is_empty() {
            missing.push(category);
        }
        used.extend(covering);
    }
    if missing.is_empty() {
        Ok(normalise_set(&used))
    } else {
        Err(ConsentMissing { missing })
    }
}

/// The categories `organisation_id` may see for `purpose` on `on`: what the valid consents naming
/// it release, sorted. A partner reading a referral sees the intersection of this with what the
/// referral shares, so a revocation hides data already sent from the day it takes effect.
pub fn visible_categories(
    consents: &[Consent],
    organisation_id: i64,
    purpose: ConsentPurpose,
    on: NaiveDate,
) -> Vec<DataCategory> {
    let released: Vec<DataCategory> = consents
        .iter()
        .filter(|c| c.allows(organisation_id, purpose, on))
        .flat_map(|c| c.categories.iter().copied())
        .collect();
    normalise_set(&released)
}

/// A consent as recorded by the case manager from the signed form.
#[derive(Debug, Clone, PartialEq)]
pub struct NewConsent {
    pub recipient_organisation_ids: Vec<i64>,
    pub purposes: Vec<ConsentPurpose>,
    pub categories: Vec<DataCategory>,
    pub given_on: NaiveDate,
    pub valid_until: Option<NaiveDate>,
}

/// Checks a consent before it is recorded and returns it with its sets sorted and deduplicated:
/// at least one named recipient (blanket consent is invalid), purpose and category; given no
/// later than `today` (a consent is recorded after it was signed); an end date not before the
/// start.
pub fn check_new_consent(
    consent: &NewConsent,
    today: NaiveDate,
) -> Result<NewConsent, Vec<FieldError>> {
    let mut errors = Vec::new();
    if consent.recipient_organisation_ids.is_empty() {
        errors.push(FieldError::new(
            "recipient_organisation_ids",
            "name at least one recipient organisation; blanket consent is invalid",
        ));
    }
    if consent.purposes.is_empty() {
        errors.push(FieldError::new("purposes", "name at least one purpose"));
    }
    if consent.categories.is_empty() {
        errors.push(FieldError::new(
            "categories",
            "name at least one data category",
        ));
    }
    if consent.given_on > today {
        errors.push(FieldError::rule(
            "given_on",
            "may not be in the future; record a consent once it is given",
        ));
    }
    if consent
        .valid_until
        .is_some_and(|until| until < consent.given_on)
    {
        errors.push(FieldError::rule(
            "valid_until",
            "may not be earlier than given_on",
        ));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(NewConsent {
        recipient_organisation_ids: normalise_set(&consent.recipient_organisation_ids),
        purposes: normalise_set(&consent.purposes),
        categories: normalise_set(&consent.categories),
        ..consent.clone()
    })
}

/// A revocation (Widerruf) is recorded once, dated no earlier than the consent and no later than
/// `today`. It may predate an end date already passed: the client may revoke an expired consent
/// for the record.
pub fn check_revocation(
    consent: &Consent,
    revoked_on: NaiveDate,
    today: NaiveDate,
) -> Result<(), FieldError> {
    if consent.revoked_on.is_some() {
        return Err(FieldError::new(
            "revoked_on",
            "the consent is already revoked",
        ));
    }
    if revoked_on < consent.given_on {
        return Err(FieldError::rule(
            "revoked_on",
            "may not be earlier than the day the consent was given",
        ));
    }
    if revoked_on > today {
        return Err(FieldError::rule(
            "revoked_on",
            "may not be in the future; a revocation takes effect when it is declared",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use DataCategory::*;

    const JOBCENTER: i64 = 10;
    const CARITAS: i64 = 20;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn consent(id: i64, categories: &[DataCategory]) -> Consent {
        Consent {
            id,
            recipient_organisation_ids: vec![JOBCENTER],
            purposes: vec![ConsentPurpose::Referral],
            categories: categories.to_vec(),
            given_on: date(2026, 1, 10),
            valid_until: Some(date(2026, 12, 31)),
            revoked_on: None,
        }
    }

    fn request(categories: &[DataCategory], on: NaiveDate) -> SharingRequest<'_> {
        SharingRequest {
            recipient_organisation_id: JOBCENTER,
            purpose: ConsentPurpose::Referral,
            categories,
            on,
        }
    }

    fn day() -> NaiveDate {
        date(2026, 6, 1)
    }

    #[test]
    fn a_matching_consent_covers_and_is_named() {
        let consents = [consent(1, &[Identity, Contact])];
        assert_eq!(
            check_coverage(&consents, &request(&[Identity, Contact], day())),
            Ok(vec![1])
        );
        assert_eq!(
            check_coverage(&consents, &request(&[Contact, Contact], day())),
            Ok(vec![1])
        );
    }

    #[test]
    fn a_missing_category_is_named() {
        let consents = [consent(1, &[Identity, Contact])];
        let error = check_coverage(
            &consents,
            &request(&[CaseContent, Identity, ResidenceStatus], day()),
        )
        .unwrap_err();
        assert_eq!(error.missing, vec![ResidenceStatus, CaseContent]);
        assert_eq!(
            error.to_string(),
            "no valid consent of the client releases residence_status, case_content to this organisation for this purpose"
        );
    }

    #[test]
    fn categories_combine_across_consents_for_the_same_recipient_and_purpose() {
        let consents = [
            consent(1, &[Identity]),
            consent(2, &[ResidenceStatus]),
            consent(3, &[CaseContent]),
        ];
        assert_eq!(
            check_coverage(&consents, &request(&[Identity, ResidenceStatus], day())),
            Ok(vec![1, 2])
        );
    }

    #[test]
    fn validity_is_inclusive_of_the_first_and_last_day() {
        let consents = [consent(1, &[Identity])];
        let categories = [Identity];
        assert!(check_coverage(&consents, &request(&categories, date(2026, 1, 10))).is_ok());
        assert!(check_coverage(&consents, &request(&categories, date(2026, 12, 31))).is_ok());
        assert!(check_coverage(&consents, &request(&categories, date(2027, 1, 1))).is_err());
        assert!(check_coverage(&consents, &request(&categories, date(2026, 1, 9))).is_err());
    }

    #[test]
    fn a_consent_without_end_date_lasts_until_revoked() {
        let mut open_ended = consent(1, &[Identity]);
        open_ended.valid_until = None;
        assert!(check_coverage(
            &[open_ended.clone()],
            &request(&[Identity], date(2040, 1, 1))
        )
        .is_ok());
        open_ended.revoked_on = Some(date(2030, 1, 1));
        assert!(check_coverage(&[open_ended], &request(&[Identity], date(2040, 1, 1))).is_err());
    }

    #[test]
    fn revocation_takes_effect_on_its_day() {
        let mut revoked = consent(1, &[Identity]);
        revoked.revoked_on = Some(day());
        let consents = [revoked];
        assert!(check_coverage(&consents, &request(&[Identity], day())).is_err());
        assert!(
            check_coverage(&consents, &request(&[Identity], day().pred_opt().unwrap())).is_ok()
        );
        assert_eq!(consents[0].state_on(day()), ConsentState::Revoked);
    }

    #[test]
    fn a_future_consent_does_not_cover_today() {
        let mut future = consent(1, &[Identity]);
        future.given_on = date(2026, 7, 1);
        assert_eq!(future.state_on(day()), ConsentState::NotYetValid);
        assert!(check_coverage(&[future], &request(&[Identity], day())).is_err());
    }

    #[test]
    fn another_recipient_or_purpose_does_not_cover() {
        let consents = [consent(1, &[Identity])];
        let other_recipient = SharingRequest {
            recipient_organisation_id: CARITAS,
            ..request(&[Identity], day())
        };
        assert!(check_coverage(&consents, &other_recipient).is_err());
        let other_purpose = SharingRequest {
            purpose: ConsentPurpose::CaseConference,
            ..request(&[Identity], day())
        };
        assert!(check_coverage(&consents, &other_purpose).is_err());
    }

    #[test]
    fn categories_do_not_combine_across_recipients() {
        let mut for_caritas = consent(2, &[Contact]);
        for_caritas.recipient_organisation_ids = vec![CARITAS];
        let consents = [consent(1, &[Identity]), for_caritas];
        assert_eq!(
            check_coverage(&consents, &request(&[Identity, Contact], day()))
                .unwrap_err()
                .missing,
            vec![Contact]
        );
    }

    #[test]
    fn a_blanket_consent_without_recipients_covers_nothing() {
        let mut blanket = consent(1, &[Identity, Contact, ResidenceStatus, CaseContent]);
        blanket.recipient_organisation_ids.clear();
        assert!(check_coverage(&[blanket.clone()], &request(&[Identity], day())).is_err());
        assert!(
            visible_categories(&[blanket], JOBCENTER, ConsentPurpose::Referral, day()).is_empty()
        );
    }

    #[test]
    fn sharing_nothing_needs_no_consent() {
        assert_eq!(check_coverage(&[], &request(&[], day())), Ok(vec![]));
        assert!(check_coverage(&[], &request(&[Identity], day())).is_err());
    }

    #[test]
    fn states_over_a_consents_life() {
        let mut c = consent(1, &[Identity]);
        c.revoked_on = Some(date(2026, 8, 1));
        assert_eq!(c.state_on(date(2026, 1, 9)), ConsentState::NotYetValid);
        assert_eq!(c.state_on(date(2026, 1, 10)), ConsentState::Valid);
        assert_eq!(c.state_on(date(2026, 7, 31)), ConsentState::Valid);
        assert_eq!(c.state_on(date(2026, 8, 1)), ConsentState::Revoked);
        let expired = consent(2, &[Identity]);
        assert_eq!(expired.state_on(date(2027, 1, 1)), ConsentState::Expired);
        for state in ConsentState::ALL {
            assert_eq!(ConsentState::parse(state.as_str()), Ok(*state));
        }
    }

    #[test]
    fn visible_categories_are_the_union_of_valid_consents_for_that_recipient() {
        let mut expired = consent(3, &[CaseContent]);
        expired.valid_until = Some(date(2026, 2, 1));
        let mut for_caritas = consent(4, &[Contact]);
        for_caritas.recipient_organisation_ids = vec![CARITAS];
        let consents = [
            consent(1, &[ResidenceStatus]),
            consent(2, &[Identity, ResidenceStatus]),
            expired,
            for_caritas,
        ];
        assert_eq!(
            visible_categories(&consents, JOBCENTER, ConsentPurpose::Referral, day()),
            vec![Identity, ResidenceStatus]
        );
        assert_eq!(
            visible_categories(&consents, CARITAS, ConsentPurpose::Referral, day()),
            vec![Contact]
        );
        assert!(
            visible_categories(&consents, JOBCENTER, ConsentPurpose::CaseConference, day())
                .is_empty()
        );
    }

    fn new_consent() -> NewConsent {
        NewConsent {
            recipient_organisation_ids: vec![CARITAS, JOBCENTER, CARITAS],
            purposes: vec![ConsentPurpose::Referral],
            categories: vec![Contact, Identity],
            given_on: date(2026, 6, 1),
            valid_until: Some(date(2026, 6, 1)),
        }
    }

    #[test]
    fn a_new_consent_is_normalised() {
        let checked = check_new_consent(&new_consent(), day()).unwrap();
        assert_eq!(checked.recipient_organisation_ids, vec![JOBCENTER, CARITAS]);
        assert_eq!(checked.categories, vec![Identity, Contact]);
    }

    #[test]
    fn a_new_consent_must_be_specific_and_dated_plausibly() {
        let empty = NewConsent {
            recipient_organisation_ids: vec![],
            purposes: vec![],
            categories: vec![],
            given_on: date(2026, 6, 2),
            valid_until: Some(date(2026, 6, 1)),
        };
        let fields: Vec<_> = check_new_consent(&empty, day())
            .unwrap_err()
            .iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            vec![
                "recipient_organisation_ids",
                "purposes",
                "categories",
                "given_on",
                "valid_until"
            ]
        );
    }

    #[test]
    fn revocations_are_dated_between_consent_and_today_and_happen_once() {
        let c = consent(1, &[Identity]);
        assert!(check_revocation(&c, date(2026, 1, 10), day()).is_ok());
        assert!(check_revocation(&c, day(), day()).is_ok());
        assert!(check_revocation(&c, date(2026, 1, 9), day()).is_err());
        assert!(check_revocation(&c, date(2026, 6, 2), day()).is_err());
        let mut revoked = c;
        revoked.revoked_on = Some(date(2026, 2, 1));
        assert!(check_revocation(&revoked, day(), day()).is_err());
    }

    #[test]
    fn transfers_always_share_identity() {
        assert_eq!(with_identity(&[]), vec![Identity]);
        assert_eq!(
            with_identity(&[CaseContent, Identity]),
            vec![Identity, CaseContent]
        );
    }

    #[test]
    fn visible_shared_categories_intersect_shared_and_released() {
        let consents = [consent(1, &[Identity, Contact, CaseContent])];
        let shared = [Identity, Contact, ResidenceStatus];
        assert_eq!(
            visible_shared_categories(
                &shared,
                &consents,
                JOBCENTER,
                ConsentPurpose::Referral,
                day()
            ),
            vec![Identity, Contact]
        );
        assert!(visible_shared_categories(
            &shared,
            &consents,
            CARITAS,
            ConsentPurpose::Referral,
            day()
        )
        .is_empty());
    }

    #[test]
    fn vocabularies_round_trip() {
        for v in DataCategory::ALL {
            assert_eq!(DataCategory::parse(v.as_str()), Ok(*v));
        }
        for v in ConsentPurpose::ALL {
            assert_eq!(ConsentPurpose::parse(v.as_str()), Ok(*v));
        }
    }
}
