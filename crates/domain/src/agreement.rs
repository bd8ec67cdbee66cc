//! Cooperation agreements (Kooperationsvereinbarungen): the status machine and what each status
//! requires of an agreement's partner and dates.
//!
//! | from          | allowed to                 |
//! |---------------|----------------------------|
//! | `draft`       | `negotiating`              |
//! | `negotiating` | `draft`, `signed`          |
//! | `signed`      | `active`, `terminated`     |
//! | `active`      | `terminated`, `expired`    |
//! | `terminated`  | nothing (final)            |
//! | `expired`     | nothing (final)            |
//!
//! What a status requires (checked on every change, so an edit cannot undo it either):
//! - every status: `ends_on` is not before `starts_on`;
//! - `signed`, `active`, `terminated`, `expired`: a signing date and a partner besides the county
//!   (an organisation or a municipality); a draft or an agreement under negotiation may still
//!   leave the partner open;
//! - `active`, `expired`: a start date;
//! - `expired`: an end date that is not in the future.
//!
//! Agreements in a final status are a record and can no longer be edited.

use chrono::{Days, NaiveDate};

use crate::transition::IllegalTransition;

crate::vocabulary! {
    /// Status einer Kooperationsvereinbarung (status of a cooperation agreement).
    pub enum AgreementStatus {
        /// Entwurf: being written; the starting status of every new agreement
        Draft => "draft",
        /// In Verhandlung: under negotiation with the partner
        Negotiating => "negotiating",
        /// Unterzeichnet: signed by both parties, not yet in effect
        Signed => "signed",
        /// In Kraft: in effect
        Active => "active",
        /// Gekündigt / aufgehoben: ended before its term (final)
        Terminated => "terminated",
        /// Ausgelaufen: ended at its end date (final)
        Expired => "expired",
    }
}

impl AgreementStatus {
    /// Where an agreement may go from this status (see the module table).
    pub fn allowed_next(self) -> &'static [AgreementStatus] {
        use AgreementStatus::*;
        match self {
            Draft => &[Negotiating],
            Negotiating => &[Draft, Signed],
            Signed => &[Active, Terminated],
            Active => &[Terminated, Expired],
            Terminated | Expired => &[],
        }
    }

    pub fn transition(self, to: AgreementStatus) -> Result<AgreementStatus, IllegalTransition> {
        IllegalTransition::check(self, to, self.allowed_next(), Self::as_str)
    }

    /// Terminated and expired agreements are final: no transition, no edit.
    pub fn is_final(self) -> bool {
        self.allowed_next().is_empty()
    }

    /// Both parties have signed: the agreement is or was binding.
    pub fn is_signed(self) -> bool {
        use AgreementStatus::*;
        matches!(self, Signed | Active | Terminated | Expired)
    }

    /// The agreement has come into effect at some point.
    fn has_started(self) -> bool {
        matches!(self, AgreementStatus::Active | AgreementStatus::Expired)
    }
}

crate::vocabulary! {
    /// Art eines Eintrags in der Historie einer Kooperationsvereinbarung (kind of history entry).
    pub enum AgreementEventKind {
        /// Angelegt: the agreement was created (as `draft`)
        Created => "created",
        /// Geändert: its fields were replaced (status unchanged)
        Updated => "updated",
        /// Statuswechsel: its status changed
        StatusChanged => "status_changed",
    }
}

/// What the status rules look at: whether there is a partner besides the county, and the dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AgreementTerms {
    /// A partner organisation or municipality is named.
    pub has_partner: bool,
    /// Unterzeichnet am (signing date).
    pub signed_on: Option<NaiveDate>,
    /// Gültig ab (start date).
    pub starts_on: Option<NaiveDate>,
    /// Gültig bis (end date), inclusive; none for an open-ended agreement.
    pub ends_on: Option<NaiveDate>,
}

/// One rule an agreement breaks, on the request field that fixes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleViolation {
    pub field: &'static str,
    pub message: String,
}

impl RuleViolation {
    fn new(field: &'static str, message: impl Into<String>) -> Self {
        RuleViolation {
            field,
            message: message.into(),
        }
    }
}

/// Checks `terms` against what `status` requires (see the module docs); `today` decides whether
/// an end date has passed. Lists every violation, in field order.
pub fn check_terms(
    status: AgreementStatus,
    terms: &AgreementTerms,
    today: NaiveDate,
) -> Result<(), Vec<RuleViolation>> {
    let mut violations = Vec::new();
    let name = with_article(status);
    if let (Some(starts), Some(ends)) = (terms.starts_on, terms.ends_on) {
        if ends < starts {
            violations.push(RuleViolation::new(
                "ends_on",
                format!("must not be before starts_on ({starts})"),
            ));
        }
    }
    if status == AgreementStatus::Expired {
        match terms.ends_on {
            None => violations.push(RuleViolation::new(
                "ends_on",
                "an expired agreement needs an end date",
            )),
            Some(ends) if ends > today => violations.push(RuleViolation::new(
                "ends_on",
                format!("an agreement expires at its end date; {ends} is still in the future"),
            )),
            Some(_) => {}
        }
    }
    if status.is_signed() && !terms.has_partner {
        let message = format!(
            "{name} agreement needs a partner besides the county: set organisation_id or municipality_id"
        );
        violations.push(RuleViolation::new("municipality_id", message.clone()));
        violations.push(RuleViolation::new("organisation_id", message));
    }
    if status.is_signed() && terms.signed_on.is_none() {
        violations.push(RuleViolation::new(
            "signed_on",
            format!("{name} agreement needs a signing date"),
        ));
    }
    if status.has_started() && terms.starts_on.is_none() {
        violations.push(RuleViolation::new(
            "starts_on",
            format!("{name} agreement needs a start date"),
        ));
    }
    violations.sort_by_key(|v| v.field);
    if violations.is_empty() {
        Ok(())
    } else {
        Err(violations)
    }
}

fn with_article(status: AgreementStatus) -> String {
    let article = if matches!(status, AgreementStatus::Active | AgreementStatus::Expired) {
        "an"
    } else {
        "a"
    };
    format!("{article} {status}")
}

/// Whether an agreement in `status` may still be edited; the message says why not.
pub fn check_editable(status: AgreementStatus) -> Result<(), String> {
    if status.is_final() {
        Err(format!(
            "the agreement is {status}, a final status; it can no longer be changed"
        ))
    } else {
        Ok(())
    }
}

/// The most days `expiring_within_days` may look ahead (ten years).
pub const MAX_EXPIRY_WINDOW_DAYS: i64 = 3650;

/// The inclusive range of end dates that count as "expiring within `days` days" from `today`.
pub fn expiry_window(today: NaiveDate, days: i64) -> Result<(NaiveDate, NaiveDate), String> {
    if !(0..=MAX_EXPIRY_WINDOW_DAYS).contains(&days) {
        return Err(format!("must be between 0 and {MAX_EXPIRY_WINDOW_DAYS}"));
    }
    let last = today
        .checked_add_days(Days::new(days.unsigned_abs()))
        .ok_or_else(|| "reaches beyond the supported dates".to_owned())?;
    Ok((today, last))
}

#[cfg(test)]
mod tests {
    use super::*;
    use AgreementStatus::*;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("date")
    }

    fn today() -> NaiveDate {
        date("2024-06-15")
    }

    /// Everything every status asks for.
    fn complete() -> AgreementTerms {
        AgreementTerms {
            has_partner: true,
            signed_on: Some(date("2021-03-01")),
            starts_on: Some(date("2021-04-01")),
            ends_on: Some(date("2023-12-31")),
        }
    }

    fn fields(result: Result<(), Vec<RuleViolation>>) -> Vec<&'static str> {
        result
            .err()
            .unwrap_or_default()
            .iter()
            .map(|v| v.field)
            .collect()
    }

    #[test]
    fn the_whole_transition_table() {
        let allowed = [
            (Draft, Negotiating),
            (Negotiating, Draft),
            (Negotiating, Signed),
            (Signed, Active),
            (Signed, Terminated),
            (Active, Terminated),
            (Active, Expired),
        ];
        for from in AgreementStatus::ALL {
            for to in AgreementStatus::ALL {
                let expected = allowed.contains(&(*from, *to));
                assert_eq!(from.transition(*to).is_ok(), expected, "{from} -> {to}");
                assert_eq!(from.allowed_next().contains(to), expected, "{from} -> {to}");
            }
        }
    }

    #[test]
    fn illegal_transition_names_the_allowed_ones() {
        let error = Draft.transition(Signed).unwrap_err();
        assert_eq!(error.from, "draft");
        assert_eq!(error.to, "signed");
        assert_eq!(error.allowed, vec!["negotiating"]);
        assert_eq!(
            Active.transition(Draft).unwrap_err().allowed,
            vec!["terminated", "expired"]
        );
        assert!(Terminated
            .transition(Active)
            .unwrap_err()
            .allowed
            .is_empty());
        assert!(Expired.transition(Active).unwrap_err().allowed.is_empty());
    }

    #[test]
    fn final_and_signed_statuses() {
        let finals: Vec<_> = AgreementStatus::ALL
            .iter()
            .filter(|s| s.is_final())
            .collect();
        assert_eq!(finals, vec![&Terminated, &Expired]);
        let signed: Vec<_> = AgreementStatus::ALL
            .iter()
            .filter(|s| s.is_signed())
            .collect();
        assert_eq!(signed, vec![&Signed, &Active, &Terminated, &Expired]);
    }

    #[test]
    fn complete_terms_satisfy_every_status() {
        for status in AgreementStatus::ALL {
            assert_eq!(
                check_terms(*status, &complete(), today()),
                Ok(()),
                "{status}"
            );
        }
    }

    #[test]
    fn empty_terms_suffice_before_signing_only() {
        let empty = AgreementTerms::default();
        let expected: &[(AgreementStatus, &[&str])] = &[
            (Draft, &[]),
            (Negotiating, &[]),
            (Signed, &["municipality_id", "organisation_id", "signed_on"]),
            (
                Active,
                &[
                    "municipality_id",
                    "organisation_id",
                    "signed_on",
                    "starts_on",
                ],
            ),
            (
                Terminated,
                &["municipality_id", "organisation_id", "signed_on"],
            ),
            (
                Expired,
                &[
                    "ends_on",
                    "municipality_id",
                    "organisation_id",
                    "signed_on",
                    "starts_on",
                ],
            ),
        ];
        assert_eq!(expected.len(), AgreementStatus::ALL.len());
        for (status, missing) in expected {
            assert_eq!(
                fields(check_terms(*status, &empty, today())),
                missing.to_vec(),
                "{status}"
            );
        }
    }

    #[test]
    fn each_requirement_on_its_own() {
        let no_partner = AgreementTerms {
            has_partner: false,
            ..complete()
        };
        let no_signing_date = AgreementTerms {
            signed_on: None,
            ..complete()
        };
        let no_start = AgreementTerms {
            starts_on: None,
            ..complete()
        };
        let no_end = AgreementTerms {
            ends_on: None,
            ..complete()
        };
        for status in AgreementStatus::ALL {
            let partner = if status.is_signed() {
                vec!["municipality_id", "organisation_id"]
            } else {
                vec![]
            };
            assert_eq!(
                fields(check_terms(*status, &no_partner, today())),
                partner,
                "{status}"
            );
            let signing = if status.is_signed() {
                vec!["signed_on"]
            } else {
                vec![]
            };
            assert_eq!(
                fields(check_terms(*status, &no_signing_date, today())),
                signing,
                "{status}"
            );
            let start = if matches!(status, Active | Expired) {
                vec!["starts_on"]
            } else {
                vec![]
            };
            assert_eq!(
                fields(check_terms(*status, &no_start, today())),
                start,
                "{status}"
            );
            let end = if *status == Expired {
                vec!["ends_on"]
            } else {
                vec![]
            };
            assert_eq!(
                fields(check_terms(*status, &no_end, today())),
                end,
                "{status}"
            );
        }
    }

    #[test]
    fn the_end_may_not_come_before_the_start_in_any_status() {
        let reversed = AgreementTerms {
            starts_on: Some(date("2022-01-01")),
            ends_on: Some(date("2021-12-31")),
            ..complete()
        };
        for status in AgreementStatus::ALL {
            let violations = check_terms(*status, &reversed, today()).unwrap_err();
            assert_eq!(violations.len(), 1, "{status}");
            assert_eq!(violations[0].field, "ends_on");
            assert!(violations[0].message.contains("2022-01-01"));
        }
        let same_day = AgreementTerms {
            starts_on: Some(date("2022-01-01")),
            ends_on: Some(date("2022-01-01")),
            ..complete()
        };
        assert_eq!(check_terms(Active, &same_day, today()), Ok(()));
        let open_start = AgreementTerms {
            starts_on: None,
            ends_on: Some(date("2020-01-01")),
            ..AgreementTerms::default()
        };
        assert_eq!(check_terms(Draft, &open_start, today()), Ok(()));
    }

    #[test]
    fn an_agreement_expires_only_once_its_end_date_has_come() {
        let ending = |ends: &str| AgreementTerms {
            ends_on: Some(date(ends)),
            ..complete()
        };
        assert_eq!(check_terms(Expired, &ending("2024-06-14"), today()), Ok(()));
        assert_eq!(check_terms(Expired, &ending("2024-06-15"), today()), Ok(()));
        let early = check_terms(Expired, &ending("2024-06-16"), today()).unwrap_err();
        assert_eq!(early[0].field, "ends_on");
        assert!(early[0].message.contains("future"));
        // Only expiry looks at today: an active agreement may well end in the future.
        assert_eq!(check_terms(Active, &ending("2030-01-01"), today()), Ok(()));
    }

    #[test]
    fn messages_name_the_status() {
        let violations = check_terms(Signed, &AgreementTerms::default(), today()).unwrap_err();
        let signing = violations
            .iter()
            .find(|v| v.field == "signed_on")
            .expect("signed_on");
        assert_eq!(signing.message, "a signed agreement needs a signing date");
        assert!(violations[0]
            .message
            .contains("organisation_id or municipality_id"));
        let active = check_terms(Active, &AgreementTerms::default(), today()).unwrap_err();
        assert!(active
            .iter()
            .any(|v| v.message == "an active agreement needs a start date"));
    }

    #[test]
    fn only_final_agreements_are_read_only() {
        for status in AgreementStatus::ALL {
            assert_eq!(
                check_editable(*status).is_err(),
                status.is_final(),
                "{status}"
            );
        }
        assert!(check_editable(Expired).unwrap_err().contains("expired"));
    }

    #[test]
    fn expiry_window_is_inclusive_and_bounded() {
        assert_eq!(expiry_window(today(), 0), Ok((today(), today())));
        assert_eq!(
            expiry_window(today(), 30),
            Ok((today(), date("2024-07-15")))
        );
        assert!(expiry_window(today(), MAX_EXPIRY_WINDOW_DAYS).is_ok());
        assert!(expiry_window(today(), MAX_EXPIRY_WINDOW_DAYS + 1).is_err());
        assert!(expiry_window(today(), -1).is_err());
        assert!(expiry_window(NaiveDate::MAX, 1).is_err());
    }

    #[test]
    fn vocabularies_round_trip() {
        for status in AgreementStatus::ALL {
            assert_eq!(AgreementStatus::parse(status.as_str()), Ok(*status));
        }
        for kind in AgreementEventKind::ALL {
            assert_eq!(AgreementEventKind::parse(kind.as_str()), Ok(*kind));
        }
        assert_eq!(
            serde_json::to_string(&Negotiating).expect("json"),
            "\"negotiating\""
        );
        assert!(AgreementStatus::parse("cancelled").is_err());
    }
}
