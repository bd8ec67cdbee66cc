DROP TABLE retention_rules;
DROP TABLE legal_holds;
DROP TABLE erasures;
DROP INDEX referrals_status_created;
DROP INDEX idempotency_keys_created;
ALTER TABLE login_failures DROP COLUMN last_failed_at;
ALTER TABLE cases DROP COLUMN anonymised_at;
ALTER TABLE clients DROP COLUMN age_band;
ALTER TABLE clients DROP COLUMN erased_at;
