-- Consents (Einwilligung / Schweigepflichtentbindung) of one client: named recipients, purposes
-- and data categories (comma-separated vocabularies), dated; a revocation is recorded, never
-- deleted.
CREATE TABLE consents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id BIGINT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    purposes TEXT NOT NULL,
    categories TEXT NOT NULL,
    given_on DATE NOT NULL,
    valid_until DATE,
    revoked_on DATE,
    document_reference TEXT,
    recorded_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX consents_client ON consents (client_id);

CREATE TABLE consent_recipients (
    consent_id BIGINT NOT NULL REFERENCES consents (id) ON DELETE CASCADE,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id) ON DELETE RESTRICT,
    PRIMARY KEY (consent_id, organisation_id)
);
CREATE INDEX consent_recipients_organisation ON consent_recipients (organisation_id);

-- Referrals (Verweisberatung) from a case to an organisation, about one client of the case.
-- `shared_categories` and `consent_ids` are comma-separated; `consent_ids` names the consents the
-- transfer relied on when it was sent.
CREATE TABLE referrals (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id BIGINT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    client_id BIGINT NOT NULL REFERENCES clients (id) ON DELETE RESTRICT,
    recipient_organisation_id BIGINT NOT NULL REFERENCES organisations (id) ON DELETE RESTRICT,
    offer TEXT,
    purpose TEXT NOT NULL,
    message TEXT,
    shared_categories TEXT NOT NULL,
    due_on DATE,
    status TEXT NOT NULL,
    status_reason TEXT,
    consent_ids TEXT NOT NULL DEFAULT '',
    sent_at TIMESTAMP,
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX referrals_case ON referrals (case_id);
CREATE INDEX referrals_recipient ON referrals (recipient_organisation_id, status);

-- Every status change of a referral with its actor (a user or a partner token). Append-only.
CREATE TABLE referral_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    referral_id BIGINT NOT NULL REFERENCES referrals (id) ON DELETE CASCADE,
    from_status TEXT,
    to_status TEXT NOT NULL,
    reason TEXT,
    actor_kind TEXT NOT NULL,
    actor_id BIGINT,
    occurred_at TIMESTAMP NOT NULL
);
CREATE INDEX referral_events_referral ON referral_events (referral_id);

-- Idempotency-Key: the first successful response to a key, per caller (a user or a partner
-- token), so that a retried POST returns it and changes nothing twice.
CREATE TABLE idempotency_keys (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    actor_kind TEXT NOT NULL,
    actor_id BIGINT NOT NULL,
    idempotency_key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status_code INTEGER NOT NULL,
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (actor_kind, actor_id, idempotency_key)
);
