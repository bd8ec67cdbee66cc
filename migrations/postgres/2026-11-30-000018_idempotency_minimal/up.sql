-- Idempotency replays keep no personal data (issue 10 item 8): instead of the whole first
-- answer (a referral with the client's name, say) a replay keeps the id of the object it
-- showed and reads it again. The rows are replay aids living a day at most; the old ones,
-- with their answers, are dropped with the old table.
DROP INDEX idempotency_keys_created;
DROP TABLE idempotency_keys;
CREATE TABLE idempotency_keys (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    actor_kind TEXT NOT NULL,
    actor_id BIGINT NOT NULL,
    idempotency_key TEXT NOT NULL,
    -- SHA-256 of method, path, If-Match and body: tells a retry from another request.
    fingerprint TEXT NOT NULL,
    status_code INTEGER NOT NULL,
    -- The object the first answer showed (a referral, an offer), read again on a replay.
    resource_id BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (actor_kind, actor_id, idempotency_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
