//! Events for partner systems (issue 15): what happened to an object a partner organisation is
//! party to, written to the outbox in the transaction of the change, then pushed by webhook and
//! listed by the event feed.
//!
//! Events are thin: a type, the object's kind and id, and the path to fetch it. No personal
//! data travels in an event, so the partner's read of the object decides, at read time, what
//! its token may still see (a revoked consent hides the referral it covered).

use crate::referral::ReferralStatus;
use crate::Scope;

crate::vocabulary! {
    /// Type of an event, as a partner subscribes to it.
    pub enum EventType {
        /// A referral was sent to the organisation.
        ReferralSent => "referral.sent",
        /// The case side withdrew a referral sent to the organisation.
        ReferralWithdrawn => "referral.withdrawn",
        /// A referral sent to the organisation changed status on the recipient side (accepted,
        /// declined, completed), so that every system of the organisation stays in step.
        ReferralUpdated => "referral.updated",
        /// A client revoked a consent that named the organisation; `related` lists the referrals
        /// to the organisation it covered, whose next read is refused or shows less.
        ConsentRevoked => "consent.revoked",
        /// The CM coordination accepted an intake request of the organisation: a case is open.
        IntakeRequestAccepted => "intake_request.accepted",
        /// The CM coordination declined an intake request of the organisation, with a reason.
        IntakeRequestDeclined => "intake_request.declined",
        /// Case management asked the organisation (an immigration office) a residence-law question.
        ResidenceRequestCreated => "residence_request.created",
        /// Case management withdrew a residence-law request to the organisation.
        ResidenceRequestWithdrawn => "residence_request.withdrawn",
    }
}

crate::vocabulary! {
    /// Kind of object an event is about.
    pub enum EventObject {
        /// A referral (`GET /api/v1/referrals/{id}`).
        Referral => "referral",
        /// A consent; partners cannot read consents, so its event lists the referrals it covered.
        Consent => "consent",
        /// An intake request (`GET /api/v1/intake-requests/{id}`).
        IntakeRequest => "intake_request",
        /// A residence-law request (`GET /api/v1/residence-requests/{id}`).
        ResidenceRequest => "residence_request",
    }
}

impl EventType {
    /// The kind of object this event is about.
    pub fn object(self) -> EventObject {
        use EventType::*;
        match self {
            ReferralSent | ReferralWithdrawn | ReferralUpdated => EventObject::Referral,
            ConsentRevoked => EventObject::Consent,
            IntakeRequestAccepted | IntakeRequestDeclined => EventObject::IntakeRequest,
            ResidenceRequestCreated | ResidenceRequestWithdrawn => EventObject::ResidenceRequest,
        }
    }

    /// The scopes any of which lets a partner token of the audience organisation see (feed) or
    /// receive (webhook) this event: those with which it can read the object. A token without
    /// one learns nothing from the event's existence.
    pub fn visible_with(self) -> &'static [Scope] {
        match self.object() {
            EventObject::Referral | EventObject::Consent => {
                &[Scope::ReferralsRead, Scope::ReferralsWrite]
            }
            EventObject::IntakeRequest => &[Scope::IntakeWrite],
            EventObject::ResidenceRequest => &[Scope::ResidenceRequestsRead],
        }
    }

    /// Whether a token with `scopes` sees this event (for its own organisation's events only).
    pub fn visible_to(self, scopes: &[Scope]) -> bool {
        self.visible_with().iter().any(|s| scopes.contains(s))
    }

    /// The event types a token with `scopes` sees.
    pub fn visible_types(scopes: &[Scope]) -> Vec<EventType> {
        EventType::ALL
            .iter()
            .copied()
            .filter(|t| t.visible_to(scopes))
            .collect()
    }
}

impl EventObject {
    /// Where a partner fetches the object, relative to the server's root; `None` for an object
    /// partners cannot read.
    pub fn path(self, id: i64) -> Option<String> {
        match self {
            EventObject::Referral => Some(format!("/api/v1/referrals/{id}")),
            EventObject::Consent => None,
            EventObject::IntakeRequest => Some(format!("/api/v1/intake-requests/{id}")),
            EventObject::ResidenceRequest => Some(format!("/api/v1/residence-requests/{id}")),
        }
    }
}

/// The event a referral's move to `to` gives its recipient; `None` for a draft, which the
/// recipient never sees.
pub fn of_referral_move(to: ReferralStatus) -> Option<EventType> {
    use ReferralStatus::*;
    match to {
        Draft => None,
        Sent => Some(EventType::ReferralSent),
        Withdrawn => Some(EventType::ReferralWithdrawn),
        Accepted | Declined | Completed => Some(EventType::ReferralUpdated),
    }
}

/// The largest cursor: JavaScript's largest safe integer, so that a cursor survives a JSON round
/// trip in every client (positions will not come near it).
pub const MAX_CURSOR: i64 = 9_007_199_254_740_991;

/// A page of the event feed: the events after cursor `after`, at most `limit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeedRequest {
    pub after: i64,
    pub limit: i64,
}

impl FeedRequest {
    /// `after` defaults to 0 (the beginning), `limit` to [`crate::paging::DEFAULT_LIMIT`] and
    /// may be 1 to [`crate::paging::MAX_LIMIT`], as for every list. Errors name the parameter.
    pub fn parse(after: Option<i64>, limit: Option<i64>) -> Result<Self, (&'static str, String)> {
        let after = after.unwrap_or(0);
        if after < 0 {
            return Err(("after", "must not be negative".into()));
        }
        if after > MAX_CURSOR {
            return Err(("after", format!("must be at most {MAX_CURSOR}")));
        }
        let limit = limit.unwrap_or(crate::paging::DEFAULT_LIMIT);
        if !(1..=crate::paging::MAX_LIMIT).contains(&limit) {
            return Err((
                "limit",
                format!("must be between 1 and {}", crate::paging::MAX_LIMIT),
            ));
        }
        Ok(FeedRequest { after, limit })
    }
}

/// The event id partners see (`webhook-id`, the feed's `id`): stable across retries and
/// redeliveries, so a receiver can drop duplicates of an at-least-once delivery.
pub fn public_id(sequence: i64) -> String {
    format!("evt_{sequence}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_names_its_object_and_a_scope_that_reads_it() {
        for t in EventType::ALL {
            assert!(!t.visible_with().is_empty(), "{t}");
            let object = t.object();
            assert!(
                t.as_str().starts_with(object.as_str()),
                "{t} is about a {object}"
            );
        }
    }

    #[test]
    fn visibility_follows_the_scopes() {
        use EventType::*;
        assert_eq!(
            EventType::visible_types(&[Scope::ReferralsRead]),
            vec![
                ReferralSent,
                ReferralWithdrawn,
                ReferralUpdated,
                ConsentRevoked
            ]
        );
        assert_eq!(
            EventType::visible_types(&[Scope::ReferralsWrite]),
            EventType::visible_types(&[Scope::ReferralsRead])
        );
        assert_eq!(
            EventType::visible_types(&[Scope::IntakeWrite]),
            vec![IntakeRequestAccepted, IntakeRequestDeclined]
        );
        assert_eq!(
            EventType::visible_types(&[Scope::ResidenceRequestsRead]),
            vec![ResidenceRequestCreated, ResidenceRequestWithdrawn]
        );
        // Reports, offers and surveys tokens read no object an event is about.
        for scope in [Scope::ReportsRead, Scope::OffersWrite, Scope::SurveysWrite] {
            assert!(EventType::visible_types(&[scope]).is_empty(), "{scope}");
        }
        assert_eq!(
            EventType::visible_types(Scope::ALL),
            EventType::ALL.to_vec()
        );
    }

    #[test]
    fn every_referral_move_the_recipient_sees_is_an_event() {
        use ReferralStatus::*;
        for to in ReferralStatus::ALL {
            let expected = match to {
                Draft => None,
                Sent => Some(EventType::ReferralSent),
                Withdrawn => Some(EventType::ReferralWithdrawn),
                Accepted | Declined | Completed => Some(EventType::ReferralUpdated),
            };
            assert_eq!(of_referral_move(*to), expected, "{to}");
        }
    }

    #[test]
    fn feed_request_defaults_and_bounds() {
        use crate::paging::{DEFAULT_LIMIT, MAX_LIMIT};
        assert_eq!(
            FeedRequest::parse(None, None),
            Ok(FeedRequest {
                after: 0,
                limit: DEFAULT_LIMIT
            })
        );
        assert_eq!(
            FeedRequest::parse(Some(17), Some(MAX_LIMIT)),
            Ok(FeedRequest {
                after: 17,
                limit: MAX_LIMIT
            })
        );
        assert_eq!(FeedRequest::parse(Some(-1), None).unwrap_err().0, "after");
        assert!(FeedRequest::parse(Some(MAX_CURSOR), None).is_ok());
        assert_eq!(
            FeedRequest::parse(Some(MAX_CURSOR + 1), None)
                .unwrap_err()
                .0,
            "after"
        );
        assert_eq!(FeedRequest::parse(None, Some(0)).unwrap_err().0, "limit");
        assert_eq!(
            FeedRequest::parse(None, Some(MAX_LIMIT + 1)).unwrap_err().0,
            "limit"
        );
    }

    #[test]
    fn paths_point_at_the_objects_partners_read() {
        assert_eq!(
            EventObject::Referral.path(5).as_deref(),
            Some("/api/v1/referrals/5")
        );
        assert_eq!(
            EventObject::IntakeRequest.path(6).as_deref(),
            Some("/api/v1/intake-requests/6")
        );
        assert_eq!(
            EventObject::ResidenceRequest.path(7).as_deref(),
            Some("/api/v1/residence-requests/7")
        );
        assert_eq!(EventObject::Consent.path(8), None);
        assert_eq!(public_id(42), "evt_42");
    }
}
