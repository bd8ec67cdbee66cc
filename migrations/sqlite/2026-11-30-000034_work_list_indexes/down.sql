DROP INDEX referrals_case_status_due;
DROP INDEX goals_case_status_target;
DROP INDEX cases_deputy_status_opened;
DROP INDEX cases_assignee_status_opened;
