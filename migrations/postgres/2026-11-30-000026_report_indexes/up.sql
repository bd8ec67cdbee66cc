-- The programme and goals/referrals reports count from indexes alone (issue 12, performance):
-- the goals set in a period by topic and status, and the referrals sent in a period by
-- recipient and status, each with the case id for a case manager's own-cases scope. Measured on
-- 100,000 synthetic cases (SQLite): the goals of one year 376 ms -> 23 ms.
CREATE INDEX goals_created_report ON goals (created_at, topic, status, case_id);
-- Leads with sent_at as the index it replaces did, so every query that used that one uses this.
DROP INDEX referrals_sent;
CREATE INDEX referrals_sent_report ON referrals (sent_at, recipient_organisation_id, status, case_id);
