-- 0005: the webhook outbox (issue 9, docs/WEBHOOKS.md). An event row is written in the same transaction as the
-- fact it reports (a comment, a stream going live or ending), so it is never lost and never sent for a fact
-- that was not stored. One delivery row per configured URL says what is still to be sent there; the event row
-- goes once no delivery row points at it. AUTOINCREMENT: an id is never reused, even after the newest rows
-- were delivered and deleted (receivers deduplicate by it).
CREATE TABLE webhook_events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    event      TEXT    NOT NULL,
    stream_id  INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    data       TEXT    NOT NULL
);

CREATE TABLE webhook_deliveries (
    event_id        INTEGER NOT NULL REFERENCES webhook_events (id) ON DELETE CASCADE,
    url             TEXT    NOT NULL,
    stream_id       INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT,
    PRIMARY KEY (url, event_id)
);
-- The head of each stream's queue for a URL (ordering per stream).
CREATE INDEX webhook_deliveries_by_stream ON webhook_deliveries (url, stream_id, event_id);
CREATE INDEX webhook_deliveries_by_event ON webhook_deliveries (event_id);
