DROP TABLE audit_events;
DROP TABLE login_failures;
DROP TABLE partner_tokens;
DROP TABLE users;
DROP TABLE organisation_municipalities;
DROP TABLE organisation_legal_domains;
DROP TABLE organisations;
DROP TABLE municipalities;
