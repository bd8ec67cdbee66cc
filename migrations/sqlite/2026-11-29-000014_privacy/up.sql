-- Data-subject rights and retention (issue 11).

-- An erased client keeps its row (cases, referrals and audit events refer to it) with personal
-- fields removed; `age_band` is what remains of the birth year (the band at the first case).
ALTER TABLE clients ADD COLUMN erased_at TIMESTAMP;
ALTER TABLE clients ADD COLUMN age_band TEXT;

-- A case whose free texts were overwritten, by an erasure or by the closed-cases rule.
ALTER TABLE cases ADD COLUMN anonymised_at TIMESTAMP;

-- Login failures carry the time of the last failed attempt, so the retention rule can remove
-- records nobody has touched for its period.
ALTER TABLE login_failures ADD COLUMN last_failed_at TIMESTAMP;
UPDATE login_failures SET last_failed_at = CURRENT_TIMESTAMP;
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
CREATE INDEX referrals_status_created ON referrals (status, created_at);

-- Every erasure: who, when, why; the client by internal id only.
CREATE TABLE erasures (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id BIGINT NOT NULL REFERENCES clients (id) ON DELETE RESTRICT,
    reason TEXT NOT NULL,
    erased_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    erased_at TIMESTAMP NOT NULL
);
CREATE INDEX erasures_client ON erasures (client_id);

-- Legal holds (Aufbewahrungssperre) on cases. Lifted holds stay, with who lifted them and when;
-- at most one active hold per case.
CREATE TABLE legal_holds (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id BIGINT NOT NULL REFERENCES cases (id) ON DELETE RESTRICT,
    reason TEXT NOT NULL,
    placed_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    placed_at TIMESTAMP NOT NULL,
    lifted_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    lifted_at TIMESTAMP
);
CREATE UNIQUE INDEX legal_holds_active ON legal_holds (case_id) WHERE lifted_at IS NULL;

-- Retention rules, one per record type; the defaults are the county's to confirm (README).
CREATE TABLE retention_rules (
    record_type TEXT PRIMARY KEY,
    period_amount INTEGER NOT NULL,
    period_unit TEXT NOT NULL,
    action TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    updated_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    updated_at TIMESTAMP NOT NULL
);
INSERT INTO retention_rules (record_type, period_amount, period_unit, action, updated_at) VALUES
    ('closed_cases', 3, 'years', 'anonymise', CURRENT_TIMESTAMP),
    ('referral_drafts', 90, 'days', 'delete', CURRENT_TIMESTAMP),
    ('ended_consents', 3, 'years', 'delete', CURRENT_TIMESTAMP),
    ('idempotency_replays', 24, 'hours', 'delete', CURRENT_TIMESTAMP),
    ('login_failures', 30, 'days', 'delete', CURRENT_TIMESTAMP),
    ('audit_events', 2, 'years', 'delete', CURRENT_TIMESTAMP);
