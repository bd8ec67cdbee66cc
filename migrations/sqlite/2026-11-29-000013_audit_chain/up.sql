-- The audit trail names the person by internal client id (the reference shown comes from a join
-- with clients, so replacing a client's reference on erasure changes no audit row), stores the
-- server's own request id beside the one a client sent, and carries a hash chain
-- (chain_seq, entry_hash) assigned by the appender; see crates/store/src/audit.rs.
ALTER TABLE audit_events ADD COLUMN client_id BIGINT;
UPDATE audit_events SET client_id = (SELECT c.id FROM clients c WHERE c.reference = audit_events.client_reference);
DROP INDEX audit_events_client;
ALTER TABLE audit_events DROP COLUMN client_reference;
CREATE INDEX audit_events_client_id ON audit_events (client_id, id);
ALTER TABLE audit_events ADD COLUMN client_request_id TEXT;
ALTER TABLE audit_events ADD COLUMN chain_seq BIGINT;
ALTER TABLE audit_events ADD COLUMN entry_hash TEXT;
CREATE UNIQUE INDEX audit_events_chain ON audit_events (chain_seq);
CREATE INDEX audit_events_unsealed ON audit_events (id) WHERE chain_seq IS NULL;
CREATE INDEX audit_events_action ON audit_events (action, id);

-- Where the chain continues after `audit::remove_before` removed its beginning: the last removed
-- event's sequence and hash, so the first remaining event still verifies.
CREATE TABLE audit_chain_anchors (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    chain_seq BIGINT NOT NULL,
    entry_hash TEXT NOT NULL,
    removed BIGINT NOT NULL,
    cutoff TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- A permit to delete audit events up to a sequence number; written and removed again by
-- `audit::remove_before` inside its own transaction, never visible to anyone else.
CREATE TABLE audit_removal_permits (
    up_to_seq BIGINT NOT NULL
);

-- Append-only: an UPDATE is refused unless it seals an unsealed event (sets chain_seq and
-- entry_hash, changes nothing else); a DELETE is refused unless a removal permit covers the
-- event's sequence number.
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
WHEN NOT (OLD.chain_seq IS NULL AND OLD.entry_hash IS NULL
    AND NEW.chain_seq IS NOT NULL AND NEW.entry_hash IS NOT NULL
    AND NEW.id IS OLD.id AND NEW.occurred_at IS OLD.occurred_at
    AND NEW.actor_kind IS OLD.actor_kind AND NEW.actor_id IS OLD.actor_id
    AND NEW.actor_role IS OLD.actor_role AND NEW.action IS OLD.action
    AND NEW.object_type IS OLD.object_type AND NEW.object_id IS OLD.object_id
    AND NEW.request_id IS OLD.request_id AND NEW.client_id IS OLD.client_id
    AND NEW.client_request_id IS OLD.client_request_id)
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;

CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
WHEN NOT EXISTS (SELECT 1 FROM audit_removal_permits p
    WHERE OLD.chain_seq IS NOT NULL AND OLD.chain_seq <= p.up_to_seq)
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;

CREATE TRIGGER audit_chain_anchors_no_update BEFORE UPDATE ON audit_chain_anchors
BEGIN
    SELECT RAISE(ABORT, 'audit_chain_anchors is append-only');
END;

CREATE TRIGGER audit_chain_anchors_no_delete BEFORE DELETE ON audit_chain_anchors
BEGIN
    SELECT RAISE(ABORT, 'audit_chain_anchors is append-only');
END;
