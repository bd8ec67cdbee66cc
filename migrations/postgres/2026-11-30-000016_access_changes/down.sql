ALTER TABLE partner_tokens DROP COLUMN awaiting_confirmation;
DROP TABLE access_changes;
