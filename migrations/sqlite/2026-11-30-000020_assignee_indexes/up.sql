-- An assignee's cases (GET /me/cases, a case manager's GET /cases, /me/tasks) are paged as the
-- first rows of each role read in the page's order from its own index, then merged (issue 13):
-- one index per role and sort. They replace the single-column ones, whose id order the
-- (…, id) pair keeps. The work list (open cases, most recent status change first) has partial
-- indexes over the open cases only, in exactly its order, so its page and its count are read
-- from the index alone; the store writes that filter as the literal `status <> 'closed'` so
-- both databases can match it to the index predicate.
DROP INDEX cases_assigned;
DROP INDEX cases_deputy;
CREATE INDEX cases_assignee_id ON cases (assigned_user_id, id);
CREATE INDEX cases_deputy_id ON cases (deputy_user_id, id);
CREATE INDEX cases_assignee_opened_on ON cases (assigned_user_id, opened_on, id);
CREATE INDEX cases_deputy_opened_on ON cases (deputy_user_id, opened_on, id);
CREATE INDEX cases_assignee_open ON cases (assigned_user_id, status_since DESC, id) WHERE status <> 'closed';
CREATE INDEX cases_deputy_open ON cases (deputy_user_id, status_since DESC, id) WHERE status <> 'closed';
