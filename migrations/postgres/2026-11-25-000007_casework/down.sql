DROP TABLE conference_tasks;
DROP TABLE conference_users;
DROP TABLE conference_organisations;
DROP TABLE conferences;
DROP TABLE residence_requests;
DROP TABLE contacts;
DROP TABLE goal_notes;
DROP TABLE goals;
