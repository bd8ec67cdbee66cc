-- Intake requests (issue 15 item 1): a partner organisation refers a person into case
-- management; the CM coordination accepts (a case is opened, linked here) or declines.
-- The person's fields are nullable because erasure overwrites them once the request is linked
-- to a client; a declined request is deleted by the retention rule 'declined_intake_requests'.
CREATE TABLE intake_requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    referring_organisation_id BIGINT NOT NULL REFERENCES organisations (id) ON DELETE RESTRICT,
    partner_reference TEXT NOT NULL,
    given_name TEXT,
    family_name TEXT,
    birth_year INTEGER,
    municipality_id BIGINT NOT NULL REFERENCES municipalities (id) ON DELETE RESTRICT,
    languages TEXT NOT NULL DEFAULT '',
    residence_status TEXT,
    reason TEXT NOT NULL,
    topics TEXT NOT NULL DEFAULT '',
    consent_given_on DATE NOT NULL,
    status TEXT NOT NULL,
    decline_reason TEXT,
    case_id BIGINT REFERENCES cases (id) ON DELETE SET NULL,
    client_id BIGINT REFERENCES clients (id) ON DELETE SET NULL,
    submitted_by_kind TEXT NOT NULL,
    submitted_by_id BIGINT,
    decided_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    decided_at TIMESTAMP,
    anonymised_at TIMESTAMP,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
-- The partner's own reference names one request of its organisation (409 on a second).
CREATE UNIQUE INDEX intake_requests_partner_reference
    ON intake_requests (referring_organisation_id, partner_reference);
CREATE INDEX intake_requests_status ON intake_requests (status, id);
CREATE INDEX intake_requests_client ON intake_requests (client_id);
CREATE INDEX intake_requests_submitter ON intake_requests (submitted_by_kind, submitted_by_id);

INSERT INTO retention_rules (record_type, period_amount, period_unit, action, updated_at) VALUES
    ('declined_intake_requests', 6, 'months', 'delete', CURRENT_TIMESTAMP);
