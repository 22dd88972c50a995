-- 0004: the moderation log (issue 9): every moderation action in a stream (warn, delete a comment, timeout,
-- kick, add/remove moderator, add/remove VIP) with who did it, to whom, why, for how long and when. Written
-- in the same transaction as the action itself; never updated.
CREATE TABLE moderation_actions (
    id             INTEGER PRIMARY KEY,
    live_stream_id INTEGER NOT NULL REFERENCES live_streams (id) ON DELETE CASCADE,
    actor_id       INTEGER NOT NULL REFERENCES users (id),
    action         TEXT    NOT NULL CHECK (action IN ('warn', 'delete_comment', 'timeout', 'kick', 'add_moderator',
                                                      'remove_moderator', 'add_vip', 'remove_vip')),
    target_id      INTEGER NOT NULL REFERENCES users (id),
    reason         TEXT,             -- NULL: none given
    seconds        INTEGER,          -- timeouts and kicks: how long
    comment_id     INTEGER REFERENCES live_stream_comments (id),  -- delete_comment: which one
    created_at     INTEGER NOT NULL
);
-- The log is read newest first, per stream (the rowid id is the implicit last column, the tie-breaker).
CREATE INDEX moderation_actions_by_stream ON moderation_actions (live_stream_id, created_at);
