-- 0003: stream keys for WHIP encoders (issue 7). Only a hash of the key is kept; the streamer sees the key
-- once, when it is made; making a new one replaces the old.
CREATE TABLE stream_keys (
    live_stream_id INTEGER PRIMARY KEY REFERENCES live_streams (id),
    key_hash       TEXT    NOT NULL,
    created_at     INTEGER NOT NULL
);
