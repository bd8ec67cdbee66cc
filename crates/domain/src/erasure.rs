//! Erasure by anonymisation (Löschung durch Anonymisierung, GDPR Art. 17) and legal holds
//! (Aufbewahrungssperre).
//!
//! An erasure removes what identifies the person and keeps what the reports count, so past
//! report figures do not change:
//!
//! | removed or overwritten | kept |
//! |---|---|
//! | given and family name, gender, languages, country of origin, residence status, household links | municipality, the reports' captured attributes per case membership |
//! | birth year → age band at the time of the first case | case dates, target group, legal domains, topics, intake channel, eligibility |
//! | reference → an opaque one (`ANON-…`) | statuses, status history dates, close reasons |
//! | goal texts and progress notes, contact notes and participants, eligibility justification, reasons in the case history | goal topics and statuses, contact dates, kinds and durations |
//! | referral purposes, messages and status reasons | referral organisation, status and dates |
//! | residence-law questions, answers and notes | request office, status and dates |
//! | conference summaries, outcomes and task descriptions (conferences of the person's cases) | conference dates, participants (staff and organisations) |
//! | consents' document references; open consents are revoked that day | consent dates, purposes, categories, recipients |
//!
//! Free texts of a case cannot be told apart by family member, so they are overwritten for every
//! case the person belongs to. Audit events stay: they name the person by internal id, and show
//! the opaque reference from then on.

use crate::field::{required_text, FieldError};
use crate::report::AgeBand;

/// What overwritten free texts read afterwards (for required text columns).
pub const ERASED_TEXT: &str = "[erased]";

/// The prefix of the opaque reference an erased client gets.
pub const OPAQUE_REFERENCE_PREFIX: &str = "ANON-";

/// The age band that replaces the birth year: the band in the year of the client's first case
/// (the reports' [`AgeBand`], so the client record agrees with the figures captured then), or in
/// the year of registration for a client in no case.
pub fn coarsened_birth_year(birth_year: i32, first_case_year: i32) -> AgeBand {
    AgeBand::in_year(birth_year, first_case_year)
}

/// The opaque reference of an erased client: random, so nothing leads back to the old one.
/// `random` is 64 random bits from the caller (the domain has no randomness of its own).
pub fn opaque_reference(random: u64) -> String {
    format!("{OPAQUE_REFERENCE_PREFIX}{random:016x}")
}

/// Whether a reference is one given by an erasure.
pub fn is_opaque_reference(reference: &str) -> bool {
    reference.starts_with(OPAQUE_REFERENCE_PREFIX)
}

/// Why an erasure is refused (409).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErasureRefusal {
    /// The client was erased before.
    AlreadyErased,
    /// A case of the client is under a legal hold; names the first.
    LegalHold { case_id: i64, reason: String },
}

impl std::fmt::Display for ErasureRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ErasureRefusal::AlreadyErased => f.write_str("this client has already been erased"),
            ErasureRefusal::LegalHold { case_id, reason } => write!(
                f,
                "case {case_id} of this client is under a legal hold ({reason}); lift the hold first"
            ),
        }
    }
}

/// An active legal hold on a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldCase {
    pub case_id: i64,
    pub reason: String,
}

/// Whether a client may be erased: not twice, and not while any of their cases is held.
pub fn check_erasure(already_erased: bool, holds: &[HeldCase]) -> Result<(), ErasureRefusal> {
    if already_erased {
        return Err(ErasureRefusal::AlreadyErased);
    }
    match holds.iter().min_by_key(|h| h.case_id) {
        Some(hold) => Err(ErasureRefusal::LegalHold {
            case_id: hold.case_id,
            reason: hold.reason.clone(),
        }),
        None => Ok(()),
    }
}

/// The reason an erasure or a legal hold is given for: required, at most 2000 characters.
pub fn check_reason(reason: Option<&str>) -> Result<String, FieldError> {
    required_text("reason", reason)
}

/// Why placing or lifting a hold is refused (409).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoldRefusal {
    AlreadyHeld,
    NotHeld,
}

impl std::fmt::Display for HoldRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HoldRefusal::AlreadyHeld => f.write_str("this case is already under a legal hold"),
            HoldRefusal::NotHeld => f.write_str("this case is not under a legal hold"),
        }
    }
}

/// A hold is placed on a case without one, and lifted from a case with one.
pub fn check_hold_change(currently_held: bool, place: bool) -> Result<(), HoldRefusal> {
    match (currently_held, place) {
        (false, true) | (true, false) => Ok(()),
        (true, true) => Err(HoldRefusal::AlreadyHeld),
        (false, false) => Err(HoldRefusal::NotHeld),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_birth_year_becomes_the_band_at_the_first_case() {
        // Born 2008: 17 when the case opened in 2025, 18 a year later.
        assert_eq!(coarsened_birth_year(2008, 2025), AgeBand::From6To17);
        assert_eq!(coarsened_birth_year(2008, 2026), AgeBand::From18To26);
        assert_eq!(coarsened_birth_year(1990, 2026), AgeBand::From27To44);
        assert_eq!(coarsened_birth_year(1950, 2026), AgeBand::From65);
        assert_eq!(coarsened_birth_year(2024, 2026), AgeBand::UpTo5);
    }

    #[test]
    fn opaque_references_carry_nothing_of_the_old_one() {
        let reference = opaque_reference(0xdead_beef);
        assert_eq!(reference, "ANON-00000000deadbeef");
        assert!(is_opaque_reference(&reference));
        assert!(!is_opaque_reference("K-2026-000012"));
        assert_ne!(opaque_reference(1), opaque_reference(2));
    }

    #[test]
    fn erasure_is_refused_twice_and_under_a_hold() {
        assert_eq!(check_erasure(false, &[]), Ok(()));
        assert_eq!(check_erasure(true, &[]), Err(ErasureRefusal::AlreadyErased));
        let holds = [
            HeldCase {
                case_id: 9,
                reason: "court proceedings".into(),
            },
            HeldCase {
                case_id: 4,
                reason: "inspection by the Land".into(),
            },
        ];
        let refused = check_erasure(false, &holds).expect_err("held");
        assert_eq!(
            refused,
            ErasureRefusal::LegalHold {
                case_id: 4,
                reason: "inspection by the Land".into()
            }
        );
        assert!(refused.to_string().contains("case 4"));
        // Already erased wins: nothing is left to hold back.
        assert_eq!(
            check_erasure(true, &holds),
            Err(ErasureRefusal::AlreadyErased)
        );
    }

    #[test]
    fn a_reason_is_required() {
        assert_eq!(
            check_reason(Some("  request of 2026-11-20 ")),
            Ok("request of 2026-11-20".into())
        );
        assert_eq!(check_reason(None).map_err(|e| e.field), Err("reason"));
        assert_eq!(
            check_reason(Some("   ")).map_err(|e| e.field),
            Err("reason")
        );
        assert!(check_reason(Some(&"x".repeat(2001))).is_err());
    }

    #[test]
    fn holds_are_placed_once_and_lifted_once() {
        assert_eq!(check_hold_change(false, true), Ok(()));
        assert_eq!(check_hold_change(true, false), Ok(()));
        assert_eq!(check_hold_change(true, true), Err(HoldRefusal::AlreadyHeld));
        assert_eq!(check_hold_change(false, false), Err(HoldRefusal::NotHeld));
    }
}
