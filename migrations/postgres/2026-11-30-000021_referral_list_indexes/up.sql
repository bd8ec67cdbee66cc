-- The referral lists are counted and paged in the database (issue 13 item 3, issue 16 item 2).
-- A case manager's list, also filtered by status, finds the referrals of their cases by case
-- and status; this replaces the index on the case alone, which it leads with.
DROP INDEX referrals_case;
CREATE INDEX referrals_case_status ON referrals (case_id, status);
-- A partner's list: the referrals sent to its organisation (no drafts) of the clients whose
-- consents it is shown, counted from the index alone; the store writes the filter as the
-- literal `status <> 'draft'` so both databases can match it to the index predicate.
CREATE INDEX referrals_sent_to ON referrals (recipient_organisation_id, client_id, status) WHERE status <> 'draft';
