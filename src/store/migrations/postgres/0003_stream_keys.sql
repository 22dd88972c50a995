-- 0003: stream keys for WHIP encoders (as sqlite/0003_stream_keys.sql): only a hash of the key is kept.
CREATE TABLE stream_keys (
    live_stream_id BIGINT PRIMARY KEY REFERENCES live_streams (id),
    key_hash       TEXT   NOT NULL,
    created_at     BIGINT NOT NULL
);
