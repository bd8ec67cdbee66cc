//! Throttling of failed logins per username: after `max_failures` attempts that did not succeed
//! the username is locked for `lockout`; a success clears the count. The rule counts per
//! username (not per address) because password guessing against one account is the threat it
//! answers; a separate per-address limit (in the API) answers guessing over many usernames.
//!
//! An attempt is counted *before* its password is checked ([`ThrottlePolicy::reserve`], in one
//! transaction with the stored record), so a burst of parallel guesses cannot all be judged:
//! at most `max_failures` attempts per lockout window ever reach the password check, whatever
//! the concurrency. A success then clears the record; a failure leaves its reservation counted.

use chrono::{DateTime, Duration, Utc};

/// The configured limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottlePolicy {
    pub max_failures: u32,
    pub lockout: Duration,
}

/// What is stored about one username's failed attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FailureRecord {
    pub failures: u32,
    pub locked_until: Option<DateTime<Utc>>,
}

impl ThrottlePolicy {
    /// If the username is locked at `now`, the time left until it may try again.
    pub fn retry_after(&self, record: &FailureRecord, now: DateTime<Utc>) -> Option<Duration> {
        record
            .locked_until
            .filter(|until| *until > now)
            .map(|until| until - now)
    }

    /// Reserves one attempt at `now`: the record to store before the password is checked, or
    /// the time left while the username is locked. The attempt that reaches `max_failures`
    /// still gets judged, and locks the username for everyone else while it is.
    pub fn reserve(
        &self,
        record: &FailureRecord,
        now: DateTime<Utc>,
    ) -> Result<FailureRecord, Duration> {
        if let Some(wait) = self.retry_after(record, now) {
            return Err(wait);
        }
        Ok(self.after_failure(record, now))
    }

    /// The record after one more failed attempt at `now`. Reaching the limit locks the
    /// username and starts a fresh count, so the next lock needs as many failures again.
    pub fn after_failure(&self, record: &FailureRecord, now: DateTime<Utc>) -> FailureRecord {
        let expired_lock = record.locked_until.is_some_and(|until| until <= now);
        let failures = if expired_lock { 1 } else { record.failures + 1 };
        if failures >= self.max_failures {
            FailureRecord {
                failures: 0,
                locked_until: Some(now + self.lockout),
            }
        } else {
            FailureRecord {
                failures,
                locked_until: if expired_lock {
                    None
                } else {
                    record.locked_until
                },
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> ThrottlePolicy {
        ThrottlePolicy {
            max_failures: 3,
            lockout: Duration::seconds(60),
        }
    }

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000 + secs, 0).unwrap_or_default()
    }

    #[test]
    fn locks_after_max_failures_and_reports_time_left() {
        let p = policy();
        let mut r = FailureRecord::default();
        r = p.after_failure(&r, at(0));
        r = p.after_failure(&r, at(1));
        assert_eq!(p.retry_after(&r, at(1)), None);
        r = p.after_failure(&r, at(2));
        assert_eq!(p.retry_after(&r, at(2)), Some(Duration::seconds(60)));
        assert_eq!(p.retry_after(&r, at(32)), Some(Duration::seconds(30)));
    }

    #[test]
    fn lock_expires_and_counting_starts_again() {
        let p = policy();
        let locked = FailureRecord {
            failures: 0,
            locked_until: Some(at(60)),
        };
        assert_eq!(p.retry_after(&locked, at(60)), None);
        let after = p.after_failure(&locked, at(61));
        assert_eq!(
            after,
            FailureRecord {
                failures: 1,
                locked_until: None
            }
        );
    }

    #[test]
    fn reservations_count_before_judgement_and_stop_at_the_limit() {
        let p = policy();
        let mut r = FailureRecord::default();
        let mut judged = 0;
        // Ten attempts arrive before any of them is judged: only max_failures get through.
        for _ in 0..10 {
            if let Ok(next) = p.reserve(&r, at(0)) {
                judged += 1;
                r = next;
            }
        }
        assert_eq!(judged, 3);
        assert_eq!(p.reserve(&r, at(10)), Err(Duration::seconds(50)));
        // After the lockout the count starts again.
        let again = p.reserve(&r, at(60)).expect("unlocked");
        assert_eq!(again.failures, 1);
        assert_eq!(again.locked_until, None);
    }

    #[test]
    fn a_single_allowed_failure_locks_immediately() {
        let p = ThrottlePolicy {
            max_failures: 1,
            lockout: Duration::seconds(5),
        };
        let r = p.after_failure(&FailureRecord::default(), at(0));
        assert!(p.retry_after(&r, at(0)).is_some());
    }
}
