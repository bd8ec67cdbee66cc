DROP TABLE agreement_events;
DROP TABLE agreement_positions;
DROP TABLE agreement_modules;
DROP TABLE agreements;
