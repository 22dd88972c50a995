-- 0002: recordings of live streams, uploaded by the streamer's browser while live (issue 4).
-- The bytes live in <data-dir>/recordings/<stream id>.webm; this row says how many of them are acknowledged
-- (a file longer than `bytes` after a crash is cut back to it before the next chunk is appended).
CREATE TABLE recordings (
    live_stream_id INTEGER PRIMARY KEY REFERENCES live_streams (id),
    mime_type      TEXT    NOT NULL,
    bytes          INTEGER NOT NULL DEFAULT 0,
    chunks         INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);
