#include "store/store.hpp"

#include <algorithm>
#include <chrono>

#include "store/migrations.hpp"
#include "store/sqlite/sql_connection.hpp"

namespace redred::store {
namespace {

std::int64_t to_ms(TimePoint t) {
    return std::chrono::floor<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

std::optional<std::int64_t> to_ms(std::optional<TimePoint> t) {
    if (!t) return std::nullopt;
    return to_ms(*t);
}

TimePoint from_ms(std::int64_t ms) { return TimePoint(std::chrono::milliseconds(ms)); }

std::optional<TimePoint> from_ms(std::optional<std::int64_t> ms) {
    if (!ms) return std::nullopt;
    return from_ms(*ms);
}

std::int64_t non_negative(int value) { return std::max(value, 0); }

// ---- row readers: the column order matches the SELECT lists below ----

#define USER_COLUMNS "u.id, u.username, u.created_at"

User read_user(const sql::Query& q, int first = 0) {
    return User{q.int64(first), q.text(first + 1), from_ms(q.int64(first + 2))};
}

#define STREAM_SELECT                                                                                      \
    "SELECT s.id, s.streamer_id, u.username, s.title, s.description, s.status, s.created_at, s.started_at, " \
    "s.ended_at, s.viewers_count, s.peak_viewers, s.last_viewer_at "                                       \
    "FROM live_streams s JOIN users u ON u.id = s.streamer_id "

StreamRow read_stream(const sql::Query& q) {
    StreamRow row;
    row.id = q.int64(0);
    row.streamer_id = q.int64(1);
    row.streamer_username = q.text(2);
    row.title = q.text(3);
    row.description = q.text(4);
    const std::string status = q.text(5);
    const auto parsed = live::parse_status(status);
    if (!parsed) throw StoreError("live_streams.status holds an unknown value '" + status + "'", 0);
    row.status = *parsed;
    row.created_at = from_ms(q.int64(6));
    row.started_at = from_ms(q.optional_int64(7));
    row.ended_at = from_ms(q.optional_int64(8));
    row.viewers_count = q.integer(9);
    row.peak_viewers = q.integer(10);
    row.last_viewer_at = from_ms(q.optional_int64(11));
    return row;
}

std::vector<StreamRow> read_streams(sql::Query& q) {
    std::vector<StreamRow> rows;
    while (q.step()) rows.push_back(read_stream(q));
    return rows;
}

#define COMMENT_SELECT                                                                  \
    "SELECT c.id, c.live_stream_id, c.user_id, u.username, c.content, c.created_at " \
    "FROM live_stream_comments c JOIN users u ON u.id = c.user_id "

CommentRow read_comment(const sql::Query& q) {
    return CommentRow{q.int64(0), q.int64(1), q.int64(2), q.text(3), q.text(4), from_ms(q.int64(5))};
}

std::vector<CommentRow> read_comments(sql::Query& q) {
    std::vector<CommentRow> rows;
    while (q.step()) rows.push_back(read_comment(q));
    return rows;
}

SanctionKind parse_kind(const std::string& text) {
    if (text == "timeout") return SanctionKind::Timeout;
    if (text == "kick") return SanctionKind::Kick;
    throw StoreError("stream_sanctions.kind holds an unknown value '" + text + "'", 0);
}

#define MODERATION_SELECT                                                                                 \
    "SELECT m.id, m.live_stream_id, m.actor_id, a.username, m.action, m.target_id, t.username, m.reason, " \
    "m.seconds, m.comment_id, m.created_at "                                                              \
    "FROM moderation_actions m JOIN users a ON a.id = m.actor_id JOIN users t ON t.id = m.target_id "

ModerationActionRow read_moderation_action(const sql::Query& q) {
    ModerationActionRow row;
    row.id = q.int64(0);
    row.stream_id = q.int64(1);
    row.actor_id = q.int64(2);
    row.actor_username = q.text(3);
    const std::string action = q.text(4);
    const auto kind = parse_moderation_kind(action);
    if (!kind) throw StoreError("moderation_actions.action holds an unknown value '" + action + "'", 0);
    row.action = *kind;
    row.target_id = q.int64(5);
    row.target_username = q.text(6);
    if (!q.is_null(7)) row.reason = q.text(7);
    row.seconds = q.optional_int64(8);
    row.comment_id = q.optional_int64(9);
    row.created_at = from_ms(q.int64(10));
    return row;
}

}  // namespace

const char* moderation_kind_name(ModerationKind kind) {
    switch (kind) {
        case ModerationKind::Warn: return "warn";
        case ModerationKind::DeleteComment: return "delete_comment";
        case ModerationKind::Timeout: return "timeout";
        case ModerationKind::Kick: return "kick";
        case ModerationKind::AddModerator: return "add_moderator";
        case ModerationKind::RemoveModerator: return "remove_moderator";
        case ModerationKind::AddVip: return "add_vip";
        case ModerationKind::RemoveVip: return "remove_vip";
    }
    return "warn";
}

std::optional<ModerationKind> parse_moderation_kind(std::string_view name) {
    for (auto kind : {ModerationKind::Warn, ModerationKind::DeleteComment, ModerationKind::Timeout,
                      ModerationKind::Kick, ModerationKind::AddModerator, ModerationKind::RemoveModerator,
                      ModerationKind::AddVip, ModerationKind::RemoveVip})
        if (name == moderation_kind_name(kind)) return kind;
    return std::nullopt;
}

const char* sanction_kind_name(SanctionKind kind) {
    switch (kind) {
        case SanctionKind::Timeout: return "timeout";
        case SanctionKind::Kick: return "kick";
    }
    return "timeout";
}

Store::Store(sqlite::Connection connection)
    : db_(std::make_unique<sqlite::SqlConnection>(std::move(connection))) {}

// ---- users and sessions ----

Result<User> Store::create_user(std::string_view username, std::string_view password_hash, TimePoint now) {
    // DO NOTHING only covers uniqueness (here: username, case-insensitively); other violations still throw.
    auto q = db_->query(
        "INSERT INTO users (username, password_hash, created_at) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING"
        " RETURNING id");
    q.bind_all(username, password_hash, to_ms(now));
    if (!q.step()) return make_error(Errc::Conflict, "username is taken", "username");
    const UserId id = q.int64(0);
    q.run();
    return User{id, std::string(username), from_ms(to_ms(now))};
}

std::optional<Credentials> Store::find_credentials(std::string_view username) {
    auto q = db_->query("SELECT " USER_COLUMNS ", u.password_hash FROM users u WHERE u.username = ?1");
    q.bind_all(username);
    if (!q.step()) return std::nullopt;
    return Credentials{read_user(q), q.text(3)};
}

std::optional<User> Store::find_user(UserId id) {
    auto q = db_->query("SELECT " USER_COLUMNS " FROM users u WHERE u.id = ?1");
    q.bind_all(id);
    if (!q.step()) return std::nullopt;
    return read_user(q);
}

std::optional<User> Store::find_user_by_name(std::string_view username) {
    auto q = db_->query("SELECT " USER_COLUMNS " FROM users u WHERE u.username = ?1");
    q.bind_all(username);
    if (!q.step()) return std::nullopt;
    return read_user(q);
}

void Store::create_session(std::string_view token_hash, UserId user, TimePoint now, TimePoint expires_at) {
    auto q = db_->query("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)");
    q.bind_all(token_hash, user, to_ms(now), to_ms(expires_at)).run();
}

std::optional<User> Store::find_session_user(std::string_view token_hash, TimePoint now) {
    auto q = db_->query("SELECT " USER_COLUMNS
                       " FROM sessions s JOIN users u ON u.id = s.user_id"
                       " WHERE s.token_hash = ?1 AND s.expires_at > ?2");
    q.bind_all(token_hash, to_ms(now));
    if (!q.step()) return std::nullopt;
    return read_user(q);
}

void Store::delete_session(std::string_view token_hash) {
    db_->query("DELETE FROM sessions WHERE token_hash = ?1").bind_all(token_hash).run();
}

int Store::delete_expired_sessions(TimePoint now) {
    db_->query("DELETE FROM sessions WHERE expires_at <= ?1").bind_all(to_ms(now)).run();
    return static_cast<int>(db_->changes());
}

// ---- streams ----

StreamRow Store::create_stream(UserId streamer, std::string_view title, std::string_view description,
                               TimePoint now) {
    auto q = db_->query(
        "INSERT INTO live_streams (streamer_id, title, description, status, created_at)"
        " VALUES (?1, ?2, ?3, 'waiting', ?4) RETURNING id");
    q.bind_all(streamer, title, description, to_ms(now));
    if (!q.step()) throw StoreError("created stream has no id", 0);
    const StreamId id = q.int64(0);
    q.run();
    auto row = find_stream(id);
    if (!row) throw StoreError("created stream is not readable back", 0);
    return *std::move(row);
}

std::optional<StreamRow> Store::find_stream(StreamId id) {
    auto q = db_->query(STREAM_SELECT "WHERE s.id = ?1");
    q.bind_all(id);
    if (!q.step()) return std::nullopt;
    return read_stream(q);
}

std::vector<StreamRow> Store::list_streams(std::optional<StreamStatus> status, int limit, int offset) {
    if (!status) {
        auto q = db_->query(STREAM_SELECT "ORDER BY s.created_at DESC, s.id DESC LIMIT ?1 OFFSET ?2");
        q.bind_all(non_negative(limit), non_negative(offset));
        return read_streams(q);
    }
    auto q = db_->query(STREAM_SELECT "WHERE s.status = ?1 ORDER BY s.created_at DESC, s.id DESC LIMIT ?2 OFFSET ?3");
    q.bind_all(std::string_view(live::status_name(*status)), non_negative(limit), non_negative(offset));
    return read_streams(q);
}

int Store::count_streams(std::optional<StreamStatus> status) {
    if (!status) {
        auto q = db_->query("SELECT COUNT(*) FROM live_streams");
        q.step();
        return q.integer(0);
    }
    auto q = db_->query("SELECT COUNT(*) FROM live_streams WHERE status = ?1");
    q.bind_all(std::string_view(live::status_name(*status)));
    q.step();
    return q.integer(0);
}

std::vector<StreamRow> Store::list_recently_ended(int limit) {
    auto q = db_->query(STREAM_SELECT "WHERE s.status = 'ended' ORDER BY s.ended_at DESC, s.id DESC LIMIT ?1");
    q.bind_all(non_negative(limit));
    return read_streams(q);
}

bool Store::set_stream_live(StreamId id, TimePoint started_at) {
    db_->query("UPDATE live_streams SET status = 'live', started_at = ?2 WHERE id = ?1 AND status = 'waiting'")
        .bind_all(id, to_ms(started_at))
        .run();
    if (db_->changes() > 0) return true;
    auto q = db_->query("SELECT status FROM live_streams WHERE id = ?1");
    q.bind_all(id);
    return q.step() && q.text(0) == "live";
}

bool Store::set_stream_ended(StreamId id, TimePoint ended_at) {
    db_->query(
           "UPDATE live_streams SET status = 'ended', ended_at = ?2"
           " WHERE id = ?1 AND status IN ('waiting', 'live')")
        .bind_all(id, to_ms(ended_at))
        .run();
    return db_->changes() > 0;
}

void Store::set_viewers(StreamId id, int viewers_count, int peak_viewers, std::optional<TimePoint> last_viewer_at) {
    // The peak never goes down (a restarted room counts from 0 again): the larger of the stored and the new.
    const int peak = std::max(peak_viewers, viewers_count);
    db_->query(
           "UPDATE live_streams SET viewers_count = ?2,"
           " peak_viewers = CASE WHEN peak_viewers > ?3 THEN peak_viewers ELSE ?3 END,"
           " last_viewer_at = ?4 WHERE id = ?1")
        .bind_all(id, viewers_count, peak, to_ms(last_viewer_at))
        .run();
}

std::vector<StreamRow> Store::streams_with_status(StreamStatus status) {
    auto q = db_->query(STREAM_SELECT "WHERE s.status = ?1 ORDER BY s.id");
    q.bind_all(std::string_view(live::status_name(status)));
    return read_streams(q);
}

// ---- comments ----

CommentRow Store::add_comment(StreamId stream, UserId user, std::string_view content, TimePoint now) {
    auto q = db_->query(
        "INSERT INTO live_stream_comments (live_stream_id, user_id, content, created_at) VALUES (?1, ?2, ?3, ?4)"
        " RETURNING id");
    q.bind_all(stream, user, content, to_ms(now));
    if (!q.step()) throw StoreError("created comment has no id", 0);
    const CommentId id = q.int64(0);
    q.run();
    auto row = find_comment(id);
    if (!row) throw StoreError("created comment is not readable back", 0);
    return *std::move(row);
}

std::optional<CommentRow> Store::find_comment(CommentId id) {
    auto q = db_->query(COMMENT_SELECT "WHERE c.id = ?1 AND c.deleted_at IS NULL");
    q.bind_all(id);
    if (!q.step()) return std::nullopt;
    return read_comment(q);
}

bool Store::delete_comment(StreamId stream, CommentId id, UserId by, TimePoint now) {
    db_->query(
           "UPDATE live_stream_comments SET deleted_at = ?3, deleted_by = ?4"
           " WHERE id = ?1 AND live_stream_id = ?2 AND deleted_at IS NULL")
        .bind_all(id, stream, to_ms(now), by)
        .run();
    return db_->changes() > 0;
}

std::vector<CommentRow> Store::recent_comments(StreamId stream, int limit) {
    auto q = db_->query(COMMENT_SELECT
                       "WHERE c.live_stream_id = ?1 AND c.deleted_at IS NULL"
                       " ORDER BY c.created_at DESC, c.id DESC LIMIT ?2");
    q.bind_all(stream, non_negative(limit));
    auto rows = read_comments(q);
    std::reverse(rows.begin(), rows.end());
    return rows;
}

std::vector<CommentRow> Store::list_comments(StreamId stream, int limit, int offset) {
    auto q = db_->query(COMMENT_SELECT
                       "WHERE c.live_stream_id = ?1 AND c.deleted_at IS NULL"
                       " ORDER BY c.created_at, c.id LIMIT ?2 OFFSET ?3");
    q.bind_all(stream, non_negative(limit), non_negative(offset));
    return read_comments(q);
}

int Store::count_comments(StreamId stream) {
    auto q = db_->query("SELECT COUNT(*) FROM live_stream_comments WHERE live_stream_id = ?1 AND deleted_at IS NULL");
    q.bind_all(stream);
    q.step();
    return q.integer(0);
}

// ---- recordings ----

std::optional<RecordingRow> Store::find_recording(StreamId stream) {
    auto q = db_->query("SELECT mime_type, bytes, chunks, created_at, updated_at FROM recordings WHERE live_stream_id = ?1");
    q.bind_all(stream);
    if (!q.step()) return std::nullopt;
    return RecordingRow{stream, q.text(0), q.int64(1), q.integer(2), from_ms(q.int64(3)), from_ms(q.int64(4))};
}

RecordingRow Store::add_recording_chunk(StreamId stream, std::string_view mime_type, std::int64_t size, TimePoint now) {
    auto q = db_->query(
        "INSERT INTO recordings (live_stream_id, mime_type, bytes, chunks, created_at, updated_at) "
        "VALUES (?1, ?2, ?3, 1, ?4, ?4) "
        "ON CONFLICT (live_stream_id) DO UPDATE SET bytes = bytes + ?3, chunks = chunks + 1, updated_at = ?4");
    q.bind_all(stream, mime_type, size, to_ms(now));
    q.run();
    return *find_recording(stream);
}

// ---- stream keys ----

void Store::set_stream_key(StreamId stream, std::string_view key_hash, TimePoint now) {
    auto q = db_->query(
        "INSERT INTO stream_keys (live_stream_id, key_hash, created_at) VALUES (?1, ?2, ?3) "
        "ON CONFLICT (live_stream_id) DO UPDATE SET key_hash = ?2, created_at = ?3");
    q.bind_all(stream, key_hash, to_ms(now));
    q.run();
}

std::optional<StreamKeyRow> Store::find_stream_key(StreamId stream) {
    auto q = db_->query("SELECT key_hash, created_at FROM stream_keys WHERE live_stream_id = ?1");
    q.bind_all(stream);
    if (!q.step()) return std::nullopt;
    return StreamKeyRow{stream, q.text(0), from_ms(q.int64(1))};
}

// ---- roles ----

bool Store::change_role(std::string_view sql, StreamId stream, UserId user, std::optional<TimePoint> now) {
    auto q = db_->query(sql);
    q.bind(1, stream).bind(2, user);
    if (now) q.bind(3, to_ms(*now));
    q.run();
    return db_->changes() > 0;
}

bool Store::add_moderator(StreamId stream, UserId user, TimePoint now) {
    return change_role(
        "INSERT INTO stream_moderators (live_stream_id, user_id, created_at) VALUES (?1, ?2, ?3)"
        " ON CONFLICT DO NOTHING",
        stream, user, now);
}

bool Store::remove_moderator(StreamId stream, UserId user) {
    return change_role("DELETE FROM stream_moderators WHERE live_stream_id = ?1 AND user_id = ?2", stream, user,
                       std::nullopt);
}

bool Store::add_vip(StreamId stream, UserId user, TimePoint now) {
    return change_role(
        "INSERT INTO stream_vips (live_stream_id, user_id, created_at) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
        stream, user, now);
}

bool Store::remove_vip(StreamId stream, UserId user) {
    return change_role("DELETE FROM stream_vips WHERE live_stream_id = ?1 AND user_id = ?2", stream, user,
                       std::nullopt);
}

std::vector<User> Store::role_list(std::string_view sql, StreamId stream) {
    auto q = db_->query(sql);
    q.bind_all(stream);
    std::vector<User> users;
    while (q.step()) users.push_back(read_user(q));
    return users;
}

RoleLists Store::roles(StreamId stream) {
    RoleLists lists;
    lists.moderators = role_list("SELECT " USER_COLUMNS
                                 " FROM stream_moderators r JOIN users u ON u.id = r.user_id"
                                 " WHERE r.live_stream_id = ?1 ORDER BY r.created_at, u.id",
                                 stream);
    lists.vips = role_list("SELECT " USER_COLUMNS
                           " FROM stream_vips r JOIN users u ON u.id = r.user_id"
                           " WHERE r.live_stream_id = ?1 ORDER BY r.created_at, u.id",
                           stream);
    return lists;
}

// ---- sanctions ----

void Store::add_sanction(StreamId stream, UserId user, SanctionKind kind, TimePoint until, UserId by, TimePoint now) {
    db_->query(
           "INSERT INTO stream_sanctions (live_stream_id, user_id, kind, until, created_by, created_at)"
           " VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
        .bind_all(stream, user, std::string_view(sanction_kind_name(kind)), to_ms(until), by, to_ms(now))
        .run();
}

int Store::lift_sanctions(StreamId stream, UserId user, SanctionKind kind) {
    db_->query("DELETE FROM stream_sanctions WHERE live_stream_id = ?1 AND user_id = ?2 AND kind = ?3")
        .bind_all(stream, user, std::string_view(sanction_kind_name(kind)))
        .run();
    return static_cast<int>(db_->changes());
}

std::vector<SanctionRow> Store::active_sanctions(StreamId stream, TimePoint now) {
    auto q = db_->query(
        "SELECT x.live_stream_id, x.user_id, u.username, x.kind, x.until, x.created_by, x.created_at"
        " FROM stream_sanctions x JOIN users u ON u.id = x.user_id"
        " WHERE x.live_stream_id = ?1 AND x.until > ?2 ORDER BY x.created_at, x.id");
    q.bind_all(stream, to_ms(now));
    std::vector<SanctionRow> rows;
    while (q.step()) {
        rows.push_back(SanctionRow{q.int64(0), q.int64(1), q.text(2), parse_kind(q.text(3)), from_ms(q.int64(4)),
                                   q.int64(5), from_ms(q.int64(6))});
    }
    return rows;
}

// ---- moderation log ----

ModerationActionRow Store::add_moderation_action(const ModerationActionRow& row) {
    auto q = db_->query(
        "INSERT INTO moderation_actions (live_stream_id, actor_id, action, target_id, reason, seconds, comment_id,"
        " created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) RETURNING id");
    q.bind(1, row.stream_id).bind(2, row.actor_id).bind(3, std::string_view(moderation_kind_name(row.action)));
    q.bind(4, row.target_id);
    if (row.reason)
        q.bind(5, std::string_view(*row.reason));
    else
        q.bind(5, std::nullopt);
    q.bind(6, row.seconds).bind(7, row.comment_id).bind(8, to_ms(row.created_at));
    if (!q.step()) throw StoreError("created moderation action has no id", 0);
    const std::int64_t id = q.int64(0);
    q.run();
    auto read = db_->query(MODERATION_SELECT "WHERE m.id = ?1");
    read.bind_all(id);
    if (!read.step()) throw StoreError("created moderation action is not readable back", 0);
    return read_moderation_action(read);
}

std::vector<ModerationActionRow> Store::list_moderation_actions(StreamId stream, int limit, int offset) {
    auto q = db_->query(MODERATION_SELECT
                       "WHERE m.live_stream_id = ?1 ORDER BY m.created_at DESC, m.id DESC LIMIT ?2 OFFSET ?3");
    q.bind_all(stream, non_negative(limit), non_negative(offset));
    std::vector<ModerationActionRow> rows;
    while (q.step()) rows.push_back(read_moderation_action(q));
    return rows;
}

int Store::count_moderation_actions(StreamId stream) {
    auto q = db_->query("SELECT COUNT(*) FROM moderation_actions WHERE live_stream_id = ?1");
    q.bind_all(stream);
    q.step();
    return q.integer(0);
}

// ---- statistics ----

void Store::add_viewer_sample(StreamId stream, TimePoint at, int viewers) {
    db_->query("INSERT INTO viewer_samples (live_stream_id, at, viewers) VALUES (?1, ?2, ?3)")
        .bind_all(stream, to_ms(at), viewers)
        .run();
}

std::vector<ViewerSampleRow> Store::viewer_samples(StreamId stream) {
    // Samples at the same millisecond keep their insertion order: SQLite's rowid, PostgreSQL's id column.
    auto q = db_->query(dialect() == sql::Dialect::Sqlite
                            ? "SELECT at, viewers FROM viewer_samples WHERE live_stream_id = ?1 ORDER BY at, rowid"
                            : "SELECT at, viewers FROM viewer_samples WHERE live_stream_id = ?1 ORDER BY at, id");
    q.bind_all(stream);
    std::vector<ViewerSampleRow> rows;
    while (q.step()) rows.push_back(ViewerSampleRow{from_ms(q.int64(0)), q.integer(1)});
    return rows;
}

int Store::schema_version() { return store::schema_version(*db_); }

}  // namespace redred::store
