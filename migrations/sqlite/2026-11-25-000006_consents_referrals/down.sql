DROP TABLE idempotency_keys;
DROP TABLE referral_events;
DROP TABLE referrals;
DROP TABLE consent_recipients;
DROP TABLE consents;
