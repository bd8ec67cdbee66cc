DROP INDEX cases_deputy_open;
DROP INDEX cases_assignee_open;
DROP INDEX cases_deputy_opened_on;
DROP INDEX cases_assignee_opened_on;
DROP INDEX cases_deputy_id;
DROP INDEX cases_assignee_id;
CREATE INDEX cases_assigned ON cases (assigned_user_id);
CREATE INDEX cases_deputy ON cases (deputy_user_id);
