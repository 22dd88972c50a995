-- 0001: the live platform (seed 003, "RED-RED"): accounts, streams, chat, roles, moderation, statistics.
-- Never edit this file once merged: add 0002_<what>.sql instead (STYLE §7).
-- Times are INTEGER unix milliseconds. Foreign keys are enforced (PRAGMA foreign_keys = ON per connection).
-- No BEGIN/COMMIT here: the migration runner wraps each file in one transaction.
-- Users are never deleted, so references to users(id) get an index only where a query needs one.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT    NOT NULL UNIQUE COLLATE NOCASE,  -- NOCASE folds ASCII letters only
    password_hash TEXT    NOT NULL,
    created_at    INTEGER NOT NULL
);

-- Only a hash of the session token is stored, so a copy of the database cannot be replayed as logins.
CREATE TABLE sessions (
    token_hash TEXT    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_by_expiry ON sessions (expires_at);
CREATE INDEX sessions_by_user ON sessions (user_id);

-- The seed's LiveStream. status follows waiting -> live -> ended (or waiting -> ended).
CREATE TABLE live_streams (
    id             INTEGER PRIMARY KEY,
    streamer_id    INTEGER NOT NULL REFERENCES users (id),
    title          TEXT    NOT NULL,
    description    TEXT    NOT NULL DEFAULT '',
    status         TEXT    NOT NULL DEFAULT 'waiting' CHECK (status IN ('waiting', 'live', 'ended')),
    created_at     INTEGER NOT NULL,
    started_at     INTEGER,
    ended_at       INTEGER,
    viewers_count  INTEGER NOT NULL DEFAULT 0 CHECK (viewers_count >= 0),
    peak_viewers   INTEGER NOT NULL DEFAULT 0 CHECK (peak_viewers >= 0),
    last_viewer_at INTEGER  -- for cleanup: "no viewers for 30 minutes"
);
-- Listing newest first, all or by status (the rowid id is the implicit last column, the tie-breaker).
CREATE INDEX live_streams_by_created ON live_streams (created_at);
CREATE INDEX live_streams_by_status ON live_streams (status, created_at);
CREATE INDEX live_streams_by_status_ended ON live_streams (status, ended_at);
CREATE INDEX live_streams_by_streamer ON live_streams (streamer_id);

-- The seed's LiveStreamComment. Moderators delete softly: the row stays, with who deleted it and when.
CREATE TABLE live_stream_comments (
    id             INTEGER PRIMARY KEY,
    live_stream_id INTEGER NOT NULL REFERENCES live_streams (id) ON DELETE CASCADE,
    user_id        INTEGER NOT NULL REFERENCES users (id),
    content        TEXT    NOT NULL,
    created_at     INTEGER NOT NULL,
    deleted_at     INTEGER,
    deleted_by     INTEGER REFERENCES users (id),
    CHECK ((deleted_at IS NULL) = (deleted_by IS NULL))
);
CREATE INDEX live_stream_comments_visible ON live_stream_comments (live_stream_id, created_at)
    WHERE deleted_at IS NULL;
CREATE INDEX live_stream_comments_by_user ON live_stream_comments (user_id);

-- The seed's StreamModerator and StreamVIP: roles granted by the streamer, per stream.
CREATE TABLE stream_moderators (
    live_stream_id INTEGER NOT NULL REFERENCES live_streams (id) ON DELETE CASCADE,
    user_id        INTEGER NOT NULL REFERENCES users (id),
    created_at     INTEGER NOT NULL,
    PRIMARY KEY (live_stream_id, user_id)
) WITHOUT ROWID;
CREATE INDEX stream_moderators_by_user ON stream_moderators (user_id);

CREATE TABLE stream_vips (
    live_stream_id INTEGER NOT NULL REFERENCES live_streams (id) ON DELETE CASCADE,
    user_id        INTEGER NOT NULL REFERENCES users (id),
    created_at     INTEGER NOT NULL,
    PRIMARY KEY (live_stream_id, user_id)
) WITHOUT ROWID;
CREATE INDEX stream_vips_by_user ON stream_vips (user_id);

-- Timeouts (may not comment until `until`) and kicks (may not join until `until`).
CREATE TABLE stream_sanctions (
    id             INTEGER PRIMARY KEY,
    live_stream_id INTEGER NOT NULL REFERENCES live_streams (id) ON DELETE CASCADE,
    user_id        INTEGER NOT NULL REFERENCES users (id),
    kind           TEXT    NOT NULL CHECK (kind IN ('timeout', 'kick')),
    until          INTEGER NOT NULL,
    created_by     INTEGER NOT NULL REFERENCES users (id),
    created_at     INTEGER NOT NULL
);
CREATE INDEX stream_sanctions_by_user ON stream_sanctions (live_stream_id, user_id, kind);
CREATE INDEX stream_sanctions_by_until ON stream_sanctions (live_stream_id, until);

-- Viewer counts over time, for average viewers and the statistics graph.
CREATE TABLE viewer_samples (
    live_stream_id INTEGER NOT NULL REFERENCES live_streams (id) ON DELETE CASCADE,
    at             INTEGER NOT NULL,
    viewers        INTEGER NOT NULL CHECK (viewers >= 0)
);
CREATE INDEX viewer_samples_by_stream ON viewer_samples (live_stream_id, at);
