-- Events for partner systems (issue 15 item 2): written in the transaction of the change they
-- describe, so no change commits without its event and no event without its change; then
-- pushed by the webhook worker and listed by the event feed (`GET /api/v1/events`).
--
-- One row per organisation the event concerns (a revoked consent naming two organisations is
-- two rows): the id is both the feed's cursor and, as `evt_<id>`, the event id partners see.
-- Writers take a transaction-scoped advisory lock (PostgreSQL; SQLite has one writer) before inserting, so
-- ids become visible in their order and a cursor never skips an event committed later.
-- Rows hold ids, never personal data.
CREATE TABLE outbox_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event_type TEXT NOT NULL,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    object_type TEXT NOT NULL,
    object_id BIGINT NOT NULL,
    -- Ids of further objects the event concerns (the referrals a revoked consent covered),
    -- comma-separated; empty when none.
    related_ids TEXT NOT NULL DEFAULT '',
    occurred_at TIMESTAMP NOT NULL
);
-- The feed: one organisation's events after a cursor.
CREATE INDEX outbox_events_organisation ON outbox_events (organisation_id, id);
