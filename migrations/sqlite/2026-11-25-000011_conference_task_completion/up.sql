-- When a follow-up task of a case conference was done; open tasks have none.
ALTER TABLE conference_tasks ADD COLUMN done_on DATE;
