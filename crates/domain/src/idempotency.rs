//! Idempotent retries (`Idempotency-Key`) of partner POSTs: how long a first answer is replayed
//! and what is kept for it.
//!
//! A retry with the same key within the time to live gets the first answer again and changes
//! nothing. What is kept for that is the least a replay needs: a hash of the request (to tell
//! a retry from a different request under the same key), the status code, and the id of the
//! object the answer showed. The answer itself is not kept: a replay reads the object again and
//! shows it as the caller may see it now. So the table holds no personal data, and a consent
//! revoked after the first answer hides the data in a replay as everywhere else.
//!
//! After the time to live (`KIM_IDEMPOTENCY_TTL_HOURS`, default 24) a key is forgotten: the
//! same key runs as a new request. Partner systems retry within minutes; a day covers every
//! retry policy without keeping keys for ever. The retention rule `idempotency_replays` may
//! delete the rows sooner; it never makes them live longer.

use chrono::{DateTime, Duration, Utc};

/// Whether a first answer given at `answered_at` is still replayed at `now`: for less than
/// `ttl` after it (a first answer dated after `now`, by a clock step, still is).
pub fn replayable(answered_at: DateTime<Utc>, now: DateTime<Utc>, ttl: Duration) -> bool {
    match answered_at.checked_add_signed(ttl) {
        Some(expires) => now < expires,
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(hours: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_790_000_000, 0).expect("time") + Duration::hours(hours)
    }

    #[test]
    fn a_first_answer_is_replayed_for_exactly_the_time_to_live() {
        let ttl = Duration::hours(24);
        assert!(replayable(at(0), at(0), ttl));
        assert!(replayable(at(0), at(23), ttl));
        assert!(replayable(at(0), at(24) - Duration::microseconds(1), ttl));
        assert!(!replayable(at(0), at(24), ttl));
        assert!(!replayable(at(0), at(25), ttl));
        assert!(!replayable(at(0), at(24 * 365), ttl));
    }

    #[test]
    fn a_shorter_time_to_live_and_a_clock_step_back() {
        assert!(!replayable(at(0), at(1), Duration::hours(1)));
        assert!(replayable(at(0), at(1), Duration::hours(2)));
        // Answered "in the future" (the clock stepped back): still the same retry window.
        assert!(replayable(at(3), at(1), Duration::hours(1)));
        // A time to live beyond the calendar never expires rather than overflowing.
        assert!(replayable(at(0), at(10), Duration::MAX));
    }
}
