ALTER TABLE conference_tasks DROP COLUMN done_on;
