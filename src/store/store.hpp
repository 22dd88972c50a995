// Store: the live platform's persistent data (seed 003: users, sessions, LiveStream, LiveStreamComment,
// StreamModerator, StreamVIP, plus sanctions and viewer samples), over ONE SQLite connection.
//
// Synchronous and not thread-safe: it runs only on the thread that owns its connection (in production a
// Database writer or reader thread, never an I/O thread; STYLE §3). Methods never begin or commit
// transactions: Database wraps each write batch and each read job in one. Times are stored as unix
// milliseconds, so sub-millisecond precision is dropped. Failed SQL throws StoreError; expected outcomes
// (a taken username, a missing row) are Result errors, nullopt or false. The domain validates input first:
// the store does not check title lengths or who may do what.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "live/types.hpp"
#include "store/sql.hpp"
#include "store/sqlite/connection.hpp"
#include "store/store_error.hpp"

namespace redred::store {

using live::CommentId;
using live::StreamId;
using live::StreamStatus;
using live::TimePoint;
using live::UserId;

struct User {
    UserId id = 0;
    std::string username;
    TimePoint created_at;
};

struct Credentials {
    User user;
    std::string password_hash;
};

struct StreamRow {
    StreamId id = 0;
    UserId streamer_id = 0;
    std::string streamer_username;
    std::string title;
    std::string description;
    StreamStatus status = StreamStatus::Waiting;
    TimePoint created_at;
    std::optional<TimePoint> started_at, ended_at;
    int viewers_count = 0;
    int peak_viewers = 0;
    std::optional<TimePoint> last_viewer_at;
};

struct CommentRow {
    CommentId id = 0;
    StreamId stream_id = 0;
    UserId user_id = 0;
    std::string username;
    std::string content;
    TimePoint created_at;
};

enum class SanctionKind { Timeout, Kick };
const char* sanction_kind_name(SanctionKind kind);  // "timeout" | "kick", as stored

struct SanctionRow {
    StreamId stream_id = 0;
    UserId user_id = 0;
    std::string username;
    SanctionKind kind = SanctionKind::Timeout;
    TimePoint until;
    UserId created_by = 0;
    TimePoint created_at;
};

struct ViewerSampleRow {
    TimePoint at;
    int viewers = 0;
};

struct RecordingRow {
    StreamId stream_id = 0;
    std::string mime_type;
    std::int64_t bytes = 0;
    int chunks = 0;          // the next chunk's sequence number
    TimePoint created_at;
    TimePoint updated_at;
};

struct StreamKeyRow {
    StreamId stream_id = 0;
    std::string key_hash;  // crypto::token_hash of the key
    TimePoint created_at;
};

// One row of the moderation log (migration 0004). Usernames are read back through the users table.
enum class ModerationKind { Warn, DeleteComment, Timeout, Kick, AddModerator, RemoveModerator, AddVip, RemoveVip };
const char* moderation_kind_name(ModerationKind kind);  // "warn", "delete_comment", "timeout", ... as stored
std::optional<ModerationKind> parse_moderation_kind(std::string_view name);

struct ModerationActionRow {
    std::int64_t id = 0;  // set by the store
    StreamId stream_id = 0;
    UserId actor_id = 0;
    std::string actor_username;  // read back; ignored when adding
    ModerationKind action = ModerationKind::Warn;
    UserId target_id = 0;
    std::string target_username;  // read back; ignored when adding
    std::optional<std::string> reason;
    std::optional<std::int64_t> seconds;      // timeouts and kicks
    std::optional<CommentId> comment_id;      // delete_comment
    TimePoint created_at;
};

struct RoleLists {
    std::vector<User> moderators;  // in the order they were appointed
    std::vector<User> vips;
};

class Store {
public:
    // Takes a connection whose schema is up to date (see apply_migrations); for SQLite with foreign_keys ON.
    explicit Store(std::unique_ptr<sql::Connection> connection) : db_(std::move(connection)) {}
    explicit Store(sqlite::Connection connection);

    // ---- users and sessions ----
    // Conflict "username is taken" when the name exists in any letter case (ASCII case folding).
    Result<User> create_user(std::string_view username, std::string_view password_hash, TimePoint now);
    std::optional<Credentials> find_credentials(std::string_view username);  // case-insensitive
    std::optional<User> find_user(UserId id);
    std::optional<User> find_user_by_name(std::string_view username);         // case-insensitive
    // token_hash is a hash of the token, never the token itself. Throws on a duplicate hash.
    void create_session(std::string_view token_hash, UserId user, TimePoint now, TimePoint expires_at);
    std::optional<User> find_session_user(std::string_view token_hash, TimePoint now);  // nullopt once expired
    void delete_session(std::string_view token_hash);
    int delete_expired_sessions(TimePoint now);  // returns how many were deleted

    // ---- streams ----
    StreamRow create_stream(UserId streamer, std::string_view title, std::string_view description, TimePoint now);
    std::optional<StreamRow> find_stream(StreamId id);
    // Newest first (created_at desc, id desc); limit and offset below 0 count as 0.
    std::vector<StreamRow> list_streams(std::optional<StreamStatus> status, int limit, int offset);
    int count_streams(std::optional<StreamStatus> status);
    std::vector<StreamRow> list_recently_ended(int limit);  // newest ended_at first
    // waiting -> live sets started_at; already live is a no-op returning true; ended or missing: false.
    bool set_stream_live(StreamId id, TimePoint started_at);
    // waiting or live -> ended sets ended_at; already ended or missing: false.
    bool set_stream_ended(StreamId id, TimePoint ended_at);
    // Writes the counts as given, except that peak_viewers never goes down (a restarted server that counts
    // from 0 again must not erase the stream's historic peak). last_viewer_at is written as given (nullopt
    // stores NULL).
    void set_viewers(StreamId id, int viewers_count, int peak_viewers, std::optional<TimePoint> last_viewer_at);
    std::vector<StreamRow> streams_with_status(StreamStatus status);  // by id; for cleanup

    // ---- comments (soft-deleted ones are invisible to every read below) ----
    CommentRow add_comment(StreamId stream, UserId user, std::string_view content, TimePoint now);
    std::optional<CommentRow> find_comment(CommentId id);
    // false if the comment is not in that stream or already deleted.
    bool delete_comment(StreamId stream, CommentId id, UserId by, TimePoint now);
    // The last `limit` comments, returned oldest first (chronological: created_at, then id).
    std::vector<CommentRow> recent_comments(StreamId stream, int limit);
    std::vector<CommentRow> list_comments(StreamId stream, int limit, int offset);  // chronological
    int count_comments(StreamId stream);

    // ---- roles: false when nothing changed (already had it / did not have it) ----
    bool add_moderator(StreamId stream, UserId user, TimePoint now);
    bool remove_moderator(StreamId stream, UserId user);
    bool add_vip(StreamId stream, UserId user, TimePoint now);
    bool remove_vip(StreamId stream, UserId user);
    RoleLists roles(StreamId stream);

    // ---- sanctions ----
    void add_sanction(StreamId stream, UserId user, SanctionKind kind, TimePoint until, UserId by, TimePoint now);
    // Deletes every sanction of that kind for that user in that stream, active or not; returns how many.
    int lift_sanctions(StreamId stream, UserId user, SanctionKind kind);
    std::vector<SanctionRow> active_sanctions(StreamId stream, TimePoint now);  // until > now, oldest first

    // ---- moderation log ----
    // Stores the row (its id and usernames are ignored) and returns it as read back.
    ModerationActionRow add_moderation_action(const ModerationActionRow& row);
    // Newest first (created_at desc, id desc); limit and offset below 0 count as 0.
    std::vector<ModerationActionRow> list_moderation_actions(StreamId stream, int limit, int offset);
    int count_moderation_actions(StreamId stream);

    // ---- statistics ----
    void add_viewer_sample(StreamId stream, TimePoint at, int viewers);
    std::vector<ViewerSampleRow> viewer_samples(StreamId stream);  // chronological

    std::optional<RecordingRow> find_recording(StreamId stream);
    // Records one more stored chunk of `size` bytes (creating the row on the first one).
    RecordingRow add_recording_chunk(StreamId stream, std::string_view mime_type, std::int64_t size, TimePoint now);

    // ---- stream keys (WHIP) ----
    void set_stream_key(StreamId stream, std::string_view key_hash, TimePoint now);  // replaces any older key
    std::optional<StreamKeyRow> find_stream_key(StreamId stream);

    int schema_version();

    // For Database (transactions) and tests. Jobs must not begin or end transactions on it.
    sql::Connection& connection() { return *db_; }
    sql::Dialect dialect() const { return db_->dialect(); }

private:
    std::vector<User> role_list(std::string_view sql, StreamId stream);
    bool change_role(std::string_view sql, StreamId stream, UserId user, std::optional<TimePoint> now);

    std::unique_ptr<sql::Connection> db_;
};

}  // namespace redred::store
