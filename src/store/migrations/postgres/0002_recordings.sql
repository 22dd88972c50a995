-- 0002: recordings of live streams (as sqlite/0002_recordings.sql). The bytes live in the recordings
-- directory; this row says how many of them are acknowledged.
CREATE TABLE recordings (
    live_stream_id BIGINT  PRIMARY KEY REFERENCES live_streams (id),
    mime_type      TEXT    NOT NULL,
    bytes          BIGINT  NOT NULL DEFAULT 0,
    chunks         INTEGER NOT NULL DEFAULT 0,
    created_at     BIGINT  NOT NULL,
    updated_at     BIGINT  NOT NULL
);
