-- Webhook subscriptions of partner tokens and their deliveries (issue 15 item 2).
--
-- Fan-out by cursor: each subscription remembers the last outbox event it has looked at
-- (`event_cursor`); the worker turns the organisation's newer events into deliveries and moves the
-- cursor in one transaction, so after a crash it continues where the last commit left it and
-- an event committed before the crash is delivered after the restart. A new subscription
-- starts at the current end of the outbox.
--
-- The secret signs deliveries, so it is stored as issued (not as a hash) and never shown again.
CREATE TABLE webhook_subscriptions (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    partner_token_id BIGINT NOT NULL REFERENCES partner_tokens (id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    -- Subscribed event types, comma-separated.
    event_types TEXT NOT NULL,
    secret TEXT NOT NULL,
    event_cursor BIGINT NOT NULL,
    -- Deliveries failed in a row; reset by a delivered one.
    failed_in_a_row INTEGER NOT NULL DEFAULT 0,
    disabled_at TIMESTAMP,
    disabled_reason TEXT,
    version INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by BIGINT,
    secret_rotated_at TIMESTAMP
);
CREATE INDEX webhook_subscriptions_token ON webhook_subscriptions (partner_token_id, id);

-- One event for one subscription. In order per subscription: only the oldest pending delivery
-- of a subscription is sent. `leased_until` is set by the server that claimed the delivery
-- (PostgreSQL: `FOR UPDATE SKIP LOCKED`) in a short transaction; no transaction stays open
-- across the HTTP call, and a server that died mid-call leaves a lease that expires.
CREATE TABLE webhook_deliveries (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subscription_id BIGINT NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
    event_id BIGINT NOT NULL REFERENCES outbox_events (id) ON DELETE CASCADE,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP,
    leased_until TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX webhook_deliveries_subscription ON webhook_deliveries (subscription_id, id);
-- The worker: the oldest pending delivery of each subscription.
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (status, subscription_id, id);

-- Every attempt, answered or not.
CREATE TABLE webhook_attempts (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    delivery_id BIGINT NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempted_at TIMESTAMP NOT NULL,
    status_code INTEGER,
    error TEXT,
    latency_ms BIGINT NOT NULL
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, id);
