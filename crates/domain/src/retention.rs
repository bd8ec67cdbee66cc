//! Retention rules (Löschkonzept): per record type a reference date, a period and an action
//! (delete or anonymise), kept as data so that the data protection officer can change the
//! periods, within legal minimums that are code (GDPR Art. 5(1)(e), SGB X § 84).
//!
//! The record types are closed: each one is a query the store knows how to run. The reference
//! date of a type is fixed by what the type is (a closed case counts from its closing, a consent
//! from its end), so only the period and, where more than one makes sense, the action are data.
//! Legal holds (Aufbewahrungssperre) win over every rule that touches case data: see
//! [`RecordType::hold_scope`].

use chrono::{Duration, Months, NaiveDateTime};

use crate::field::FieldError;

crate::vocabulary! {
    /// Datenart einer Löschregel (record type a retention rule applies to).
    pub enum RecordType {
        /// Abgeschlossene Fälle (closed cases, counted from the day they were closed)
        ClosedCases => "closed_cases",
        /// Nie versandte Entwürfe von Weitervermittlungen (referral drafts never sent, counted from their creation)
        ReferralDrafts => "referral_drafts",
        /// Widerrufene oder abgelaufene Einwilligungen (revoked or expired consents, counted from their end)
        EndedConsents => "ended_consents",
        /// Gespeicherte Antworten für Idempotency-Key (idempotency replays, counted from the first response)
        IdempotencyReplays => "idempotency_replays",
        /// Fehlgeschlagene Anmeldungen (login failures, counted from the attempt)
        LoginFailures => "login_failures",
        /// Protokolleinträge (audit events, counted from the event)
        AuditEvents => "audit_events",
        /// Abgelehnte Zuweisungen von Partnerorganisationen (declined intake requests, counted from the decline)
        DeclinedIntakeRequests => "declined_intake_requests",
    }
}

crate::vocabulary! {
    /// Was nach Ablauf der Frist geschieht (what happens when the period has passed).
    pub enum RetentionAction {
        /// Löschen (rows are removed)
        Delete => "delete",
        /// Anonymisieren (personal fields and free texts are overwritten; counted fields stay)
        Anonymise => "anonymise",
    }
}

crate::vocabulary! {
    /// Einheit einer Frist (unit of a retention period).
    pub enum PeriodUnit {
        /// Stunden
        Hours => "hours",
        /// Tage
        Days => "days",
        /// Monate (calendar months)
        Months => "months",
        /// Jahre (calendar years)
        Years => "years",
    }
}

/// A retention period, e.g. 3 years. Calendar units, so "3 years after 2023-02-28" is 2026-02-28.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Period {
    pub amount: u32,
    pub unit: PeriodUnit,
}

/// The longest period accepted: 100 years is "keep", and keeps date arithmetic in range.
pub const MAX_PERIOD_YEARS: u32 = 100;

impl Period {
    pub const fn new(amount: u32, unit: PeriodUnit) -> Period {
        Period { amount, unit }
    }

    /// The point in time before which records are due: `now` minus the period. `None` when the
    /// period reaches before the calendar's start (only for absurd periods, refused by
    /// [`check_rule`]).
    pub fn cutoff(self, now: NaiveDateTime) -> Option<NaiveDateTime> {
        let amount = i64::from(self.amount);
        match self.unit {
            PeriodUnit::Hours => now.checked_sub_signed(Duration::hours(amount)),
            PeriodUnit::Days => now.checked_sub_signed(Duration::days(amount)),
            PeriodUnit::Months => now.checked_sub_months(Months::new(self.amount)),
            PeriodUnit::Years => self
                .amount
                .checked_mul(12)
                .and_then(|months| now.checked_sub_months(Months::new(months))),
        }
    }

    /// Whether this period is at least `other` when both are counted back from `now`.
    pub fn at_least(self, other: Period, now: NaiveDateTime) -> bool {
        match (self.cutoff(now), other.cutoff(now)) {
            (Some(mine), Some(theirs)) => mine <= theirs,
            (None, _) => true,
            (Some(_), None) => false,
        }
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.amount, self.unit)
    }
}

/// Whether legal holds keep records of a type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoldScope {
    /// The record belongs to a case (or to a client of a case): a hold on that case keeps it.
    Case,
    /// Audit events about a client of a held case are kept: the cut moves before the oldest of
    /// them ([`audit_cutoff`]), because audit events are removed only as a prefix of the chain.
    ClientEvents,
    /// Technical records that belong to no case (replays, login failures).
    None,
}

impl RecordType {
    /// What the period counts from, as the rules API shows it.
    pub fn reference_date(self) -> &'static str {
        match self {
            RecordType::ClosedCases => "the day the case was closed (status since)",
            RecordType::ReferralDrafts => "the day the draft was created",
            RecordType::EndedConsents => {
                "the day the consent was revoked, or expired (valid until)"
            }
            RecordType::IdempotencyReplays => "the time of the first response",
            RecordType::LoginFailures => "the time of the failed attempt",
            RecordType::AuditEvents => "the time of the event",
            RecordType::DeclinedIntakeRequests => "the time the request was declined",
        }
    }

    /// The actions that make sense for the type. Closed cases are anonymised, never deleted:
    /// the reports count them, and a deletion would change past figures.
    pub fn allowed_actions(self) -> &'static [RetentionAction] {
        match self {
            RecordType::ClosedCases => &[RetentionAction::Anonymise],
            _ => &[RetentionAction::Delete],
        }
    }

    /// The legal minimum (documented in README, "Data protection"): no rule may be shorter.
    pub fn minimum(self) -> Period {
        match self {
            // A closed case may be reopened; half a year is the least time to notice a wrong close.
            RecordType::ClosedCases => Period::new(6, PeriodUnit::Months),
            // A draft may still be sent within a month.
            RecordType::ReferralDrafts => Period::new(30, PeriodUnit::Days),
            // Proof that a transfer was lawful (Art. 5(2), 7(1) GDPR) for at least a year.
            RecordType::EndedConsents => Period::new(1, PeriodUnit::Years),
            // Partner systems retry within minutes; an hour covers every retry policy we know.
            RecordType::IdempotencyReplays => Period::new(1, PeriodUnit::Hours),
            // The lockout window must still see the failures it counts.
            RecordType::LoginFailures => Period::new(1, PeriodUnit::Days),
            // § 76 BDSG / SGB X § 67 ff.: access logs for at least a year of data-protection control.
            RecordType::AuditEvents => Period::new(1, PeriodUnit::Years),
            // The referrer may ask about a decline, or send the request again, within a month.
            RecordType::DeclinedIntakeRequests => Period::new(30, PeriodUnit::Days),
        }
    }

    /// The county's default (to be confirmed by the county: README, "Data protection").
    pub fn default_rule(self) -> Rule {
        let (period, action) = match self {
            RecordType::ClosedCases => (
                Period::new(3, PeriodUnit::Years),
                RetentionAction::Anonymise,
            ),
            RecordType::ReferralDrafts => {
                (Period::new(90, PeriodUnit::Days), RetentionAction::Delete)
            }
            RecordType::EndedConsents => {
                (Period::new(3, PeriodUnit::Years), RetentionAction::Delete)
            }
            RecordType::IdempotencyReplays => {
                (Period::new(24, PeriodUnit::Hours), RetentionAction::Delete)
            }
            RecordType::LoginFailures => {
                (Period::new(30, PeriodUnit::Days), RetentionAction::Delete)
            }
            RecordType::AuditEvents => (Period::new(2, PeriodUnit::Years), RetentionAction::Delete),
            // No case was opened: nothing the programme needs of the person stays useful.
            RecordType::DeclinedIntakeRequests => {
                (Period::new(6, PeriodUnit::Months), RetentionAction::Delete)
            }
        };
        Rule {
            record_type: self,
            period,
            action,
        }
    }

    pub fn hold_scope(self) -> HoldScope {
        match self {
            RecordType::ClosedCases | RecordType::ReferralDrafts | RecordType::EndedConsents => {
                HoldScope::Case
            }
            RecordType::AuditEvents => HoldScope::ClientEvents,
            // A declined request belongs to no case and no client.
            RecordType::IdempotencyReplays
            | RecordType::LoginFailures
            | RecordType::DeclinedIntakeRequests => HoldScope::None,
        }
    }
}

/// One retention rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub record_type: RecordType,
    pub period: Period,
    pub action: RetentionAction,
}

/// The defaults, one per record type, in declaration order.
pub fn default_rules() -> Vec<Rule> {
    RecordType::ALL.iter().map(|t| t.default_rule()).collect()
}

/// Checks a changed rule: a known action for the type, a period of at least one unit, at most
/// [`MAX_PERIOD_YEARS`], and not below the type's legal minimum (counted back from `now`).
pub fn check_rule(rule: &Rule, now: NaiveDateTime) -> Result<(), Vec<FieldError>> {
    let mut errors = Vec::new();
    let allowed = rule.record_type.allowed_actions();
    if !allowed.contains(&rule.action) {
        let names: Vec<&str> = allowed.iter().map(|a| a.as_str()).collect();
        // Which actions a record type allows depends on the path's record type.
        errors.push(FieldError::rule(
            "action",
            format!(
                "{} records can only be: {}",
                rule.record_type,
                names.join(", ")
            ),
        ));
    }
    let longest = Period::new(MAX_PERIOD_YEARS, PeriodUnit::Years);
    if rule.period.amount == 0 {
        errors.push(FieldError::new("period_amount", "must be at least 1"));
    } else if !longest.at_least(rule.period, now) {
        // Across amount and unit.
        errors.push(FieldError::rule(
            "period_amount",
            format!("must be at most {longest}"),
        ));
    } else {
        let minimum = rule.record_type.minimum();
        if !rule.period.at_least(minimum, now) {
            errors.push(FieldError::rule(
                "period_amount",
                format!(
                    "{} must be kept at least {minimum} (legal minimum)",
                    rule.record_type
                ),
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// Whether a record of `record_type` that is due may be acted on, given whether a legal hold
/// covers its case. Holds win over every rule for case data.
pub fn may_act(record_type: RecordType, under_hold: bool) -> bool {
    match record_type.hold_scope() {
        HoldScope::Case | HoldScope::ClientEvents => !under_hold,
        HoldScope::None => true,
    }
}

/// The cut for audit events: the rule's cutoff, moved back to the oldest event about a client
/// of a held case when that is earlier, so that no such event is removed.
pub fn audit_cutoff(
    rule_cutoff: NaiveDateTime,
    oldest_held_event: Option<NaiveDateTime>,
) -> NaiveDateTime {
    match oldest_held_event {
        Some(held) if held < rule_cutoff => held,
        _ => rule_cutoff,
    }
}

/// How many records one transaction of a retention run touches: small enough that a run never
/// holds the SQLite writer for long, large enough that 100,000 rows take a few hundred commits.
pub const BATCH_SIZE: usize = 500;

/// The hour of the day (UTC) of the daily run, from `KIM_RETENTION_HOUR`.
pub fn check_run_hour(hour: u32) -> Result<u32, String> {
    if hour < 24 {
        Ok(hour)
    } else {
        Err(format!("must be an hour of the day, 0 to 23, not {hour}"))
    }
}

/// How long to wait from `now` until the next `hour`:00 UTC (today's if still ahead, else
/// tomorrow's).
pub fn until_next_run(now: NaiveDateTime, hour: u32) -> Duration {
    let today = now.date().and_hms_opt(hour, 0, 0);
    let next = match today {
        Some(at) if at > now => at,
        Some(at) => at + Duration::days(1),
        None => now + Duration::days(1),
    };
    next - now
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(y: i32, m: u32, d: u32, h: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .and_then(|day| day.and_hms_opt(h, 0, 0))
            .expect("valid")
    }

    fn rule(record_type: RecordType, amount: u32, unit: PeriodUnit) -> Rule {
        Rule {
            record_type,
            period: Period::new(amount, unit),
            action: record_type.allowed_actions()[0],
        }
    }

    #[test]
    fn cutoffs_count_calendar_units_back() {
        let now = at(2026, 11, 29, 2);
        assert_eq!(
            Period::new(24, PeriodUnit::Hours).cutoff(now),
            Some(at(2026, 11, 28, 2))
        );
        assert_eq!(
            Period::new(90, PeriodUnit::Days).cutoff(now),
            Some(at(2026, 8, 31, 2))
        );
        assert_eq!(
            Period::new(6, PeriodUnit::Months).cutoff(now),
            Some(at(2026, 5, 29, 2))
        );
        assert_eq!(
            Period::new(3, PeriodUnit::Years).cutoff(now),
            Some(at(2023, 11, 29, 2))
        );
        // The end of February: no 29th in 2023.
        assert_eq!(
            Period::new(3, PeriodUnit::Years).cutoff(at(2024, 2, 29, 0)),
            Some(at(2021, 2, 28, 0))
        );
    }

    #[test]
    fn periods_compare_across_units() {
        let now = at(2026, 11, 29, 0);
        let year = Period::new(1, PeriodUnit::Years);
        assert!(Period::new(12, PeriodUnit::Months).at_least(year, now));
        assert!(Period::new(365, PeriodUnit::Days).at_least(year, now));
        assert!(!Period::new(364, PeriodUnit::Days).at_least(year, now));
        assert!(!Period::new(11, PeriodUnit::Months).at_least(year, now));
        assert!(Period::new(24, PeriodUnit::Hours).at_least(Period::new(1, PeriodUnit::Days), now));
    }

    #[test]
    fn defaults_are_the_issues_and_pass_their_own_checks() {
        let now = at(2026, 11, 29, 0);
        let rules = default_rules();
        assert_eq!(rules.len(), RecordType::ALL.len());
        for rule in &rules {
            assert_eq!(check_rule(rule, now), Ok(()), "{:?}", rule);
        }
        let find = |t: RecordType| rules.iter().find(|r| r.record_type == t).copied();
        assert_eq!(
            find(RecordType::ClosedCases).map(|r| (r.period.to_string(), r.action)),
            Some(("3 years".into(), RetentionAction::Anonymise))
        );
        assert_eq!(
            find(RecordType::ReferralDrafts).map(|r| r.period.to_string()),
            Some("90 days".into())
        );
        assert_eq!(
            find(RecordType::EndedConsents).map(|r| r.period.to_string()),
            Some("3 years".into())
        );
        assert_eq!(
            find(RecordType::IdempotencyReplays).map(|r| r.period.to_string()),
            Some("24 hours".into())
        );
        assert_eq!(
            find(RecordType::LoginFailures).map(|r| r.period.to_string()),
            Some("30 days".into())
        );
        assert_eq!(
            find(RecordType::AuditEvents).map(|r| (r.period.to_string(), r.action)),
            Some(("2 years".into(), RetentionAction::Delete))
        );
    }

    #[test]
    fn every_type_refuses_a_period_below_its_minimum_and_accepts_the_minimum() {
        let now = at(2026, 11, 29, 0);
        for record_type in RecordType::ALL {
            let minimum = record_type.minimum();
            let at_minimum = Rule {
                record_type: *record_type,
                period: minimum,
                action: record_type.allowed_actions()[0],
            };
            assert_eq!(check_rule(&at_minimum, now), Ok(()), "{record_type}");
            let below = Rule {
                period: Period::new(minimum.amount - 1, minimum.unit),
                ..at_minimum
            };
            let errors = check_rule(&below, now).expect_err("below minimum");
            assert_eq!(errors[0].field, "period_amount", "{record_type}");
        }
    }

    #[test]
    fn audit_events_under_a_year_are_refused() {
        let now = at(2026, 11, 29, 0);
        let errors = check_rule(&rule(RecordType::AuditEvents, 364, PeriodUnit::Days), now)
            .expect_err("too short");
        assert!(errors[0].message.contains("legal minimum"), "{errors:?}");
        assert!(check_rule(&rule(RecordType::AuditEvents, 1, PeriodUnit::Years), now).is_ok());
    }

    #[test]
    fn zero_and_absurd_periods_are_refused() {
        let now = at(2026, 11, 29, 0);
        for (amount, unit) in [
            (0, PeriodUnit::Days),
            (101, PeriodUnit::Years),
            (u32::MAX, PeriodUnit::Years),
            (1300, PeriodUnit::Months),
        ] {
            let errors = check_rule(&rule(RecordType::LoginFailures, amount, unit), now)
                .expect_err("refused");
            assert_eq!(errors[0].field, "period_amount");
        }
        assert!(check_rule(
            &rule(RecordType::LoginFailures, 100, PeriodUnit::Years),
            now
        )
        .is_ok());
    }

    #[test]
    fn closed_cases_are_anonymised_never_deleted_and_the_rest_deleted() {
        let now = at(2026, 11, 29, 0);
        for record_type in RecordType::ALL {
            for action in RetentionAction::ALL {
                let candidate = Rule {
                    record_type: *record_type,
                    period: Period::new(50, PeriodUnit::Years),
                    action: *action,
                };
                let expected = match record_type {
                    RecordType::ClosedCases => *action == RetentionAction::Anonymise,
                    _ => *action == RetentionAction::Delete,
                };
                assert_eq!(
                    check_rule(&candidate, now).is_ok(),
                    expected,
                    "{record_type} {action}"
                );
                if !expected {
                    let errors = check_rule(&candidate, now).expect_err("refused");
                    assert_eq!(errors[0].field, "action");
                }
            }
        }
    }

    #[test]
    fn holds_win_over_every_rule_on_case_data() {
        for record_type in RecordType::ALL {
            assert!(may_act(*record_type, false), "{record_type}");
            // A declined intake request is of no case: no hold reaches it.
            let expected = matches!(
                record_type,
                RecordType::IdempotencyReplays
                    | RecordType::LoginFailures
                    | RecordType::DeclinedIntakeRequests
            );
            assert_eq!(may_act(*record_type, true), expected, "{record_type}");
        }
        assert_eq!(RecordType::ClosedCases.hold_scope(), HoldScope::Case);
        assert_eq!(RecordType::ReferralDrafts.hold_scope(), HoldScope::Case);
        assert_eq!(RecordType::EndedConsents.hold_scope(), HoldScope::Case);
        assert_eq!(
            RecordType::AuditEvents.hold_scope(),
            HoldScope::ClientEvents
        );
    }

    #[test]
    fn the_audit_cut_stops_before_held_events() {
        let cutoff = at(2024, 11, 29, 0);
        assert_eq!(audit_cutoff(cutoff, None), cutoff);
        assert_eq!(audit_cutoff(cutoff, Some(at(2025, 1, 1, 0))), cutoff);
        assert_eq!(
            audit_cutoff(cutoff, Some(at(2023, 1, 1, 0))),
            at(2023, 1, 1, 0)
        );
    }

    #[test]
    fn every_type_names_its_reference_date() {
        for record_type in RecordType::ALL {
            assert!(!record_type.reference_date().is_empty());
        }
    }

    #[test]
    fn the_daily_run_waits_for_the_next_hour() {
        assert_eq!(until_next_run(at(2026, 11, 29, 1), 2), Duration::hours(1));
        assert_eq!(until_next_run(at(2026, 11, 29, 2), 2), Duration::hours(24));
        assert_eq!(until_next_run(at(2026, 11, 29, 3), 2), Duration::hours(23));
        assert_eq!(check_run_hour(2), Ok(2));
        assert_eq!(check_run_hour(23), Ok(23));
        assert!(check_run_hour(24).is_err());
    }
}
