DROP INDEX referrals_sent_to;
DROP INDEX referrals_case_status;
CREATE INDEX referrals_case ON referrals (case_id);
