-- 0005: the webhook outbox (as sqlite/0005_webhooks.sql). Identity ids are never reused.
CREATE TABLE webhook_events (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event      TEXT   NOT NULL,
    stream_id  BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    data       TEXT   NOT NULL
);

CREATE TABLE webhook_deliveries (
    event_id        BIGINT  NOT NULL REFERENCES webhook_events (id) ON DELETE CASCADE,
    url             TEXT    NOT NULL,
    stream_id       BIGINT  NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT  NOT NULL,
    last_error      TEXT,
    PRIMARY KEY (url, event_id)
);
CREATE INDEX webhook_deliveries_by_stream ON webhook_deliveries (url, stream_id, event_id);
CREATE INDEX webhook_deliveries_by_event ON webhook_deliveries (event_id);
