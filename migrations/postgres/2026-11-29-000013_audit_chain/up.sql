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
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
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
-- event's sequence number; TRUNCATE is refused.
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF OLD.chain_seq IS NULL AND OLD.entry_hash IS NULL
            AND NEW.chain_seq IS NOT NULL AND NEW.entry_hash IS NOT NULL
            AND (NEW.id, NEW.occurred_at, NEW.actor_kind, NEW.actor_id, NEW.actor_role,
                 NEW.action, NEW.object_type, NEW.object_id, NEW.request_id, NEW.client_id,
                 NEW.client_request_id)
                IS NOT DISTINCT FROM
                (OLD.id, OLD.occurred_at, OLD.actor_kind, OLD.actor_id, OLD.actor_role,
                 OLD.action, OLD.object_type, OLD.object_id, OLD.request_id, OLD.client_id,
                 OLD.client_request_id) THEN
            RETURN NEW;
        END IF;
    ELSIF TG_OP = 'DELETE' THEN
        IF OLD.chain_seq IS NOT NULL AND EXISTS (
            SELECT 1 FROM audit_removal_permits p WHERE OLD.chain_seq <= p.up_to_seq) THEN
            RETURN OLD;
        END IF;
    END IF;
    RAISE EXCEPTION 'audit_events is append-only';
END;
$$;
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();

CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END;
$$;
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_chain_anchors_append_only BEFORE UPDATE OR DELETE ON audit_chain_anchors
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_chain_anchors_no_truncate BEFORE TRUNCATE ON audit_chain_anchors
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
