-- Separation of duties (issue 10 item 2): a change that grants access to case data (an account
-- with a role that works or reads cases created, activated, given such a role, moved to another
-- organisation or given a new password by an administrator; a partner token with referral
-- scopes issued) waits here until a second person, the data protection officer or the KI lead,
-- confirms it. Until then the account keeps its old state and the token does not work.
CREATE TABLE access_changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL CHECK (kind IN ('create_user', 'change_user', 'issue_partner_token')),
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'confirmed', 'rejected')),
    user_id BIGINT REFERENCES users (id) ON DELETE CASCADE,
    partner_token_id BIGINT REFERENCES partner_tokens (id) ON DELETE CASCADE,
    -- The account's version the change was asked against; confirming a change to an account
    -- that changed since is refused.
    base_version INTEGER,
    -- The account as it will be once confirmed (user changes only).
    display_name TEXT,
    role TEXT,
    organisation_id BIGINT,
    active BOOLEAN,
    -- A new password chosen by the administrator, hashed; removed once the change is decided.
    password_hash TEXT,
    password_reset BOOLEAN NOT NULL DEFAULT 0,
    summary TEXT NOT NULL,
    requested_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    requested_at TIMESTAMP NOT NULL,
    decided_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    decided_at TIMESTAMP,
    decision_reason TEXT,
    CHECK ((user_id IS NULL) <> (partner_token_id IS NULL))
);
-- One pending change per account at a time.
CREATE UNIQUE INDEX access_changes_pending_user ON access_changes (user_id) WHERE status = 'pending';
CREATE INDEX access_changes_status ON access_changes (status, id);

-- A token issued with referral scopes works only once its access change is confirmed.
ALTER TABLE partner_tokens ADD COLUMN awaiting_confirmation BOOLEAN NOT NULL DEFAULT 0;
