DROP TABLE office_outcomes;
DROP TABLE activity_decisions;
DROP TABLE activity_gaps;
DROP TABLE activities;
