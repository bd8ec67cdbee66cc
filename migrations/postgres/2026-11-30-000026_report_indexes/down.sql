DROP INDEX referrals_sent_report;
CREATE INDEX referrals_sent ON referrals (sent_at);
DROP INDEX goals_created_report;
