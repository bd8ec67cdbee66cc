DROP INDEX body_members_organisation;
DROP TABLE gap_contributions;
