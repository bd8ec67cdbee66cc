DROP TABLE intake_rules;
