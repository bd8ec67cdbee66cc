-- The work list (GET /me/tasks, issue 13) counts and cuts, for each kind, the caller's
-- intakes, the overdue goals and the waiting referrals of their open cases. With only the
-- case id indexed, each count read the rows of the caller's ~4,000 open cases to look at their
-- status and date (15-19 ms each on SQLite over 100,000 synthetic cases). With status and the
-- date in the index, each is answered from the index (1-8 ms).
CREATE INDEX cases_assignee_status_opened ON cases (assigned_user_id, status, opened_on, id);
CREATE INDEX cases_deputy_status_opened ON cases (deputy_user_id, status, opened_on, id);
CREATE INDEX goals_case_status_target ON goals (case_id, status, target_on);
CREATE INDEX referrals_case_status_due ON referrals (case_id, status, due_on);
