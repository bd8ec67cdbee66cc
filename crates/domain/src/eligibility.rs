//! Intake eligibility (Zugangsvoraussetzungen): whether a case fits the county's rule for whom
//! case management is meant, and the exception (Ausnahme) with a written justification
//! (Begründung) when it does not.
//!
//! The rule is configuration, not law: the county decides how long after arrival a person still
//! counts as newly arrived and whether people already served by another case management are
//! excluded. A case outside the rule may still be opened, but only with a justification, and
//! reports count these exceptions so that the steering group sees how often the rule is bent.

use chrono::{Days, Months, NaiveDate};

use crate::case::OtherCaseManagement;
use crate::field::{forbidden, required_text, FieldError};

/// The county's intake rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EligibilityRule {
    /// How many years after arrival (Einreise) a case may still be opened; the anniversary day
    /// itself is still within the rule.
    pub max_years_since_arrival: u32,
    /// Whether a client already served by another case management is outside the rule, to
    /// avoid duplicate structures (Doppelstrukturen).
    pub exclude_other_case_management: bool,
}

impl Default for EligibilityRule {
    /// Three years, other case management excluded: the usual reading of "newly arrived".
    fn default() -> Self {
        EligibilityRule {
            max_years_since_arrival: 3,
            exclude_other_case_management: true,
        }
    }
}

/// The facts of an intake the rule looks at.
#[derive(Debug, Clone, PartialEq)]
pub struct IntakeFacts<'a> {
    /// `None` when the client does not know or does not say.
    pub arrived_on: Option<NaiveDate>,
    pub other_case_management: &'a [OtherCaseManagement],
    /// The day the case is really opened: today when opening, the day the case was recorded
    /// when it is edited later. Never the `opened_on` the case manager may backdate, or a case
    /// outside the rule could be dated back into it.
    pub decided_on: NaiveDate,
}

/// One way an intake falls outside the rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IneligibilityReason {
    /// The arrival date is unknown, so the time since arrival cannot be checked.
    ArrivalUnknown,
    /// Arrived more than the rule's years before the case was (really) opened.
    ArrivedTooLongAgo {
        arrived_on: NaiveDate,
        /// The last opening date the rule allows.
        eligible_until: NaiveDate,
    },
    /// Another case management already serves the client (the values other than `none`).
    OtherCaseManagementInvolved(Vec<OtherCaseManagement>),
}

impl IneligibilityReason {
    /// Stable code for the API and for counting exceptions by reason.
    pub fn code(&self) -> &'static str {
        match self {
            IneligibilityReason::ArrivalUnknown => "arrival_unknown",
            IneligibilityReason::ArrivedTooLongAgo { .. } => "arrived_too_long_ago",
            IneligibilityReason::OtherCaseManagementInvolved(_) => "other_case_management",
        }
    }
}

impl std::fmt::Display for IneligibilityReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IneligibilityReason::ArrivalUnknown => f.write_str("the arrival date is unknown"),
            IneligibilityReason::ArrivedTooLongAgo {
                arrived_on,
                eligible_until,
            } => write!(
                f,
                "arrived on {arrived_on}; cases may be opened until {eligible_until}"
            ),
            IneligibilityReason::OtherCaseManagementInvolved(others) => write!(
                f,
                "already served by other case management: {}",
                others
                    .iter()
                    .map(|o| o.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

/// The rule's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Eligibility {
    Eligible,
    /// Every reason found, so the case manager sees all of them at once.
    NotEligible(Vec<IneligibilityReason>),
}

impl EligibilityRule {
    /// Evaluates the rule. Dates are assumed plausible (see [`check_arrival_date`]).
    pub fn evaluate(&self, facts: &IntakeFacts<'_>) -> Eligibility {
        let mut reasons = Vec::new();
        match facts.arrived_on {
            None => reasons.push(IneligibilityReason::ArrivalUnknown),
            Some(arrived_on) => {
                // Calendar years, not 365-day blocks: arriving on 29 February makes the
                // anniversary 28 February (chrono clamps to the month's last day).
                let eligible_until = self
                    .max_years_since_arrival
                    .checked_mul(12)
                    .and_then(|months| arrived_on.checked_add_months(Months::new(months)));
                // No representable end date means the limit lies beyond the calendar.
                if let Some(eligible_until) = eligible_until {
                    if facts.decided_on > eligible_until {
                        reasons.push(IneligibilityReason::ArrivedTooLongAgo {
                            arrived_on,
                            eligible_until,
                        });
                    }
                }
            }
        }
        if self.exclude_other_case_management {
            let others: Vec<_> = crate::reference::normalise_set(facts.other_case_management)
                .into_iter()
                .filter(|o| *o != OtherCaseManagement::NoneInvolved)
                .collect();
            if !others.is_empty() {
                reasons.push(IneligibilityReason::OtherCaseManagementInvolved(others));
            }
        }
        if reasons.is_empty() {
            Eligibility::Eligible
        } else {
            Eligibility::NotEligible(reasons)
        }
    }
}

/// An arrival date after the opening date is a typo, not an eligibility question.
pub fn check_arrival_date(arrived_on: NaiveDate, opened_on: NaiveDate) -> Result<(), FieldError> {
    if arrived_on > opened_on {
        Err(FieldError::rule(
            "arrived_on",
            "may not be later than the date the case is opened",
        ))
    } else {
        Ok(())
    }
}

/// The opening date a case manager may record (`opened_on`): not in the future, and at most
/// `max_backdate_days` before `today` (`KIM_CASE_BACKDATE_MAX_DAYS`), so that a case first
/// written down a little late keeps the day work really began. Backdating does not move the
/// day the intake rule is judged on (see [`IntakeFacts::decided_on`]).
pub fn check_opened_on(
    opened_on: NaiveDate,
    today: NaiveDate,
    max_backdate_days: u32,
) -> Result<(), FieldError> {
    if opened_on > today {
        return Err(FieldError::rule("opened_on", "may not be in the future"));
    }
    let earliest = today
        .checked_sub_days(Days::new(u64::from(max_backdate_days)))
        .unwrap_or(NaiveDate::MIN);
    if opened_on < earliest {
        return Err(FieldError::rule(
            "opened_on",
            format!("may be at most {max_backdate_days} days in the past (not before {earliest})"),
        ));
    }
    Ok(())
}

/// How a case came to be opened, as stored and counted in reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IntakeDecision {
    /// Within the rule.
    Regular,
    /// Outside the rule, opened with a justification (Ausnahme mit Begründung).
    Exception {
        reasons: Vec<IneligibilityReason>,
        /// Trimmed.
        justification: String,
    },
}

impl IntakeDecision {
    pub fn is_exception(&self) -> bool {
        matches!(self, IntakeDecision::Exception { .. })
    }
}

/// A case outside the rule opens only with a non-blank justification. A justification on a case
/// within the rule is refused: it would be stored without meaning and blur the count of
/// exceptions.
pub fn decide_intake(
    eligibility: Eligibility,
    justification: Option<&str>,
) -> Result<IntakeDecision, FieldError> {
    match eligibility {
        Eligibility::Eligible => match justification.map(str::trim) {
            Some(text) if !text.is_empty() => Err(forbidden(
                "justification",
                "when the case is within the intake rule",
            )),
            _ => Ok(IntakeDecision::Regular),
        },
        Eligibility::NotEligible(reasons) => {
            let justification = required_text("justification", justification).map_err(|e| {
                FieldError::rule(
                    e.field,
                    format!(
                        "{} (the case is outside the intake rule: {})",
                        e.message,
                        reasons
                            .iter()
                            .map(|r| r.to_string())
                            .collect::<Vec<_>>()
                            .join("; ")
                    ),
                )
            })?;
            Ok(IntakeDecision::Exception {
                reasons,
                justification,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use OtherCaseManagement as O;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn facts(
        arrived_on: Option<NaiveDate>,
        others: &[O],
        decided_on: NaiveDate,
    ) -> IntakeFacts<'_> {
        IntakeFacts {
            arrived_on,
            other_case_management: others,
            decided_on,
        }
    }

    fn codes(eligibility: Eligibility) -> Vec<&'static str> {
        match eligibility {
            Eligibility::Eligible => vec![],
            Eligibility::NotEligible(reasons) => reasons.iter().map(|r| r.code()).collect(),
        }
    }

    #[test]
    fn exactly_n_years_is_still_eligible_one_day_more_is_not() {
        let rule = EligibilityRule::default();
        let arrived = Some(date(2023, 3, 15));
        let none = [O::NoneInvolved];
        assert_eq!(
            rule.evaluate(&facts(arrived, &none, date(2026, 3, 15))),
            Eligibility::Eligible
        );
        assert_eq!(
            rule.evaluate(&facts(arrived, &none, date(2026, 3, 16))),
            Eligibility::NotEligible(vec![IneligibilityReason::ArrivedTooLongAgo {
                arrived_on: date(2023, 3, 15),
                eligible_until: date(2026, 3, 15),
            }])
        );
        assert_eq!(
            rule.evaluate(&facts(arrived, &none, date(2023, 3, 15))),
            Eligibility::Eligible
        );
    }

    #[test]
    fn a_leap_day_arrival_ends_on_the_28th() {
        let rule = EligibilityRule::default();
        let arrived = Some(date(2024, 2, 29));
        assert!(codes(rule.evaluate(&facts(arrived, &[], date(2027, 2, 28)))).is_empty());
        assert_eq!(
            codes(rule.evaluate(&facts(arrived, &[], date(2027, 3, 1)))),
            vec!["arrived_too_long_ago"]
        );
    }

    #[test]
    fn the_number_of_years_is_configurable() {
        let rule = EligibilityRule {
            max_years_since_arrival: 5,
            exclude_other_case_management: true,
        };
        let arrived = Some(date(2020, 1, 1));
        assert!(codes(rule.evaluate(&facts(arrived, &[], date(2025, 1, 1)))).is_empty());
        assert!(!codes(rule.evaluate(&facts(arrived, &[], date(2025, 1, 2)))).is_empty());
        let huge = EligibilityRule {
            max_years_since_arrival: u32::MAX,
            exclude_other_case_management: false,
        };
        assert!(codes(huge.evaluate(&facts(arrived, &[], date(2099, 1, 1)))).is_empty());
    }

    #[test]
    fn unknown_arrival_is_outside_the_rule() {
        let rule = EligibilityRule::default();
        assert_eq!(
            codes(rule.evaluate(&facts(None, &[], date(2026, 1, 1)))),
            vec!["arrival_unknown"]
        );
    }

    #[test]
    fn other_case_management_excludes_only_when_configured() {
        let arrived = Some(date(2025, 1, 1));
        let opened = date(2026, 1, 1);
        let strict = EligibilityRule::default();
        let lenient = EligibilityRule {
            exclude_other_case_management: false,
            ..EligibilityRule::default()
        };
        assert_eq!(
            strict.evaluate(&facts(arrived, &[O::Mbe, O::Jobcenter], opened)),
            Eligibility::NotEligible(vec![IneligibilityReason::OtherCaseManagementInvolved(
                vec![O::Jobcenter, O::Mbe]
            )])
        );
        assert_eq!(
            strict.evaluate(&facts(arrived, &[O::NoneInvolved], opened)),
            Eligibility::Eligible
        );
        assert_eq!(
            lenient.evaluate(&facts(arrived, &[O::Mbe], opened)),
            Eligibility::Eligible
        );
    }

    #[test]
    fn all_reasons_are_reported_together() {
        let rule = EligibilityRule::default();
        assert_eq!(
            codes(rule.evaluate(&facts(None, &[O::Jmd], date(2026, 1, 1)))),
            vec!["arrival_unknown", "other_case_management"]
        );
        let eligibility =
            rule.evaluate(&facts(Some(date(2010, 1, 1)), &[O::Jmd], date(2026, 1, 1)));
        assert_eq!(
            codes(eligibility),
            vec!["arrived_too_long_ago", "other_case_management"]
        );
    }

    #[test]
    fn reasons_read_well() {
        assert_eq!(
            IneligibilityReason::ArrivedTooLongAgo {
                arrived_on: date(2020, 1, 1),
                eligible_until: date(2023, 1, 1)
            }
            .to_string(),
            "arrived on 2020-01-01; cases may be opened until 2023-01-01"
        );
        assert_eq!(
            IneligibilityReason::OtherCaseManagementInvolved(vec![O::Jobcenter, O::Mbe])
                .to_string(),
            "already served by other case management: jobcenter, mbe"
        );
    }

    #[test]
    fn arrival_may_not_follow_opening() {
        assert!(check_arrival_date(date(2026, 1, 1), date(2026, 1, 1)).is_ok());
        assert_eq!(
            check_arrival_date(date(2026, 1, 2), date(2026, 1, 1))
                .unwrap_err()
                .field,
            "arrived_on"
        );
    }

    #[test]
    fn opened_on_is_today_or_up_to_the_configured_days_before() {
        let today = date(2026, 11, 30);
        for ok in [today, date(2026, 11, 1), date(2026, 10, 30)] {
            assert_eq!(check_opened_on(ok, today, 31), Ok(()), "{ok}");
        }
        for (bad, words) in [
            (date(2026, 12, 1), "future"),
            (date(2026, 10, 29), "at most 31 days"),
            (date(2000, 1, 1), "not before 2026-10-30"),
        ] {
            let error = check_opened_on(bad, today, 31).unwrap_err();
            assert_eq!(error.field, "opened_on");
            assert!(error.message.contains(words), "{bad}: {error}");
        }
        // No backdating at all, and a limit beyond the calendar.
        assert_eq!(check_opened_on(today, today, 0), Ok(()));
        assert!(check_opened_on(date(2026, 11, 29), today, 0).is_err());
        assert_eq!(check_opened_on(date(1, 1, 1), today, u32::MAX), Ok(()));
    }

    /// The rule looks at the day the case is really opened: backdating `opened_on` into the
    /// rule's window does not make a case eligible; the caller passes today as `decided_on`.
    #[test]
    fn backdating_does_not_move_the_day_the_rule_is_judged_on() {
        let rule = EligibilityRule::default();
        let arrived = Some(date(2023, 11, 1));
        let today = date(2026, 11, 30);
        let backdated = date(2026, 10, 31);
        assert_eq!(check_opened_on(backdated, today, 31), Ok(()));
        assert_eq!(
            codes(rule.evaluate(&facts(arrived, &[], backdated))),
            Vec::<&str>::new(),
            "judged on the backdated day the case would slip in"
        );
        assert_eq!(
            codes(rule.evaluate(&facts(arrived, &[], today))),
            vec!["arrived_too_long_ago"]
        );
    }

    #[test]
    fn an_eligible_case_opens_regularly_and_refuses_a_justification() {
        assert_eq!(
            decide_intake(Eligibility::Eligible, None),
            Ok(IntakeDecision::Regular)
        );
        assert_eq!(
            decide_intake(Eligibility::Eligible, Some("  ")),
            Ok(IntakeDecision::Regular)
        );
        assert_eq!(
            decide_intake(Eligibility::Eligible, Some("because"))
                .unwrap_err()
                .field,
            "justification"
        );
    }

    #[test]
    fn an_ineligible_case_needs_a_non_blank_justification() {
        let not_eligible = || Eligibility::NotEligible(vec![IneligibilityReason::ArrivalUnknown]);
        for blank in [None, Some(""), Some(" \n ")] {
            let error = decide_intake(not_eligible(), blank).unwrap_err();
            assert_eq!(error.field, "justification");
            assert!(error.message.contains("arrival date is unknown"), "{error}");
        }
        let decision = decide_intake(not_eligible(), Some(" family reunion pending ")).unwrap();
        assert!(decision.is_exception());
        assert_eq!(
            decision,
            IntakeDecision::Exception {
                reasons: vec![IneligibilityReason::ArrivalUnknown],
                justification: "family reunion pending".into()
            }
        );
        assert!(!IntakeDecision::Regular.is_exception());
    }
}
