#include "http/recording_routes.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <charconv>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <set>

#include "core/log.hpp"
#include "http/async_db.hpp"
#include "http/auth.hpp"
#include "http/error_response.hpp"
#include "live/types.hpp"

namespace redred::http_server {
namespace {

using Ctx = std::shared_ptr<ws::LiveContext>;
using Json = nlohmann::json;

constexpr std::int64_t kMaxRangeBytes = 8 * 1024 * 1024;  // one answer to a Range request, at most

// Streams with a chunk being stored right now: a second upload for the same stream waits its turn (409).
struct InFlight {
    std::mutex mutex;
    std::set<live::StreamId> streams;
};

std::optional<std::int64_t> parse_number(std::string_view text) {
    std::int64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value < 0) return std::nullopt;
    return value;
}

std::string file_of(const ws::LiveContext& ctx, live::StreamId id) {
    return (std::filesystem::path(ctx.recordings_dir) / (std::to_string(id) + ".webm")).string();
}

Json recording_json(const store::RecordingRow& r) {
    return {{"stream_id", r.stream_id},
            {"mime_type", r.mime_type},
            {"bytes", r.bytes},
            {"chunks", r.chunks},
            {"next_seq", r.chunks},
            {"created_at", live::to_unix_seconds(r.created_at)},
            {"updated_at", live::to_unix_seconds(r.updated_at)},
            {"url", "/api/live/" + std::to_string(r.stream_id) + "/recording/file"}};
}

// Appends `data` at offset `acknowledged` (cutting any unacknowledged tail a crash left), then syncs, so the
// row written after it never counts bytes the file does not have. Runs on the blocking pool.
net::awaitable<std::string> append_chunk(std::string path, std::int64_t acknowledged, std::string data) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) co_return std::string("cannot open the recording file: ") + std::strerror(errno);
    std::string error;
    if (::ftruncate(fd, acknowledged) != 0 || ::lseek(fd, acknowledged, SEEK_SET) != acknowledged) {
        error = std::string("cannot position the recording file: ") + std::strerror(errno);
    } else {
        std::size_t done = 0;
        while (done < data.size()) {
            const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
            if (n < 0) {
                if (errno == EINTR) continue;
                error = std::string("cannot write the recording: ") + std::strerror(errno);
                break;
            }
            done += static_cast<std::size_t>(n);
        }
        if (error.empty() && ::fdatasync(fd) != 0)
            error = std::string("cannot sync the recording: ") + std::strerror(errno);
    }
    ::close(fd);
    co_return error;
}

net::awaitable<std::string> read_range(std::string path, std::int64_t offset, std::int64_t length) {
    std::string out(static_cast<std::size_t>(length), '\0');
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) co_return std::string();
    std::size_t done = 0;
    while (done < out.size()) {
        const ssize_t n = ::pread(fd, out.data() + done, out.size() - done, offset + static_cast<off_t>(done));
        if (n <= 0) break;
        done += static_cast<std::size_t>(n);
    }
    ::close(fd);
    out.resize(done);
    co_return out;
}

net::awaitable<Result<std::optional<store::RecordingRow>>> load_recording(const Ctx& ctx, live::StreamId id) {
    auto find_recording_job = [id](store::Store& s) -> Result<std::optional<store::RecordingRow>> {
        return s.find_recording(id);
    };
    co_return co_await db::read<std::optional<store::RecordingRow>>(ctx->database, find_recording_job);
}

net::awaitable<Response> put_chunk(Ctx ctx, std::shared_ptr<InFlight> in_flight, const Request& req,
                                   const PathParams& params) {
    Identity who;
    if (auto refused = co_await require_user(*ctx->auth, req, who)) co_return std::move(*refused);
    auto id = parse_number(params.at("id"));
    auto seq = parse_number(params.at("seq"));
    if (!id || *id == 0) co_return error_response(make_error(Errc::NotFound, "no such stream"));
    if (!seq) co_return error_response(make_error(Errc::BadInput, "the chunk number must be a whole number", "seq"));
    const live::StreamId sid = *id;
    auto find_stream_job = [sid](store::Store& s) -> Result<store::StreamRow> {
        auto row = s.find_stream(sid);
        if (!row) return make_error(Errc::NotFound, "no stream with id " + std::to_string(sid));
        return *row;
    };
    auto stream = co_await db::read<store::StreamRow>(ctx->database, find_stream_job);
    if (!stream) co_return error_response(stream.error());
    if (stream->streamer_id != who.user.id)
        co_return error_response(make_error(Errc::Forbidden, "only the streamer records their stream"));
    if (stream->status != live::StreamStatus::Live)
        co_return error_response(make_error(Errc::Conflict, "recordings are uploaded while the stream is live"));
    if (req.body().empty()) co_return error_response(make_error(Errc::BadInput, "the chunk is empty"));

    {
        std::lock_guard lock(in_flight->mutex);
        if (!in_flight->streams.insert(sid).second) {
            auto res =
                error_response(make_error(Errc::Conflict, "another chunk of this recording is being stored; retry"));
            co_return res;
        }
    }
    struct Release {
        std::shared_ptr<InFlight> in_flight;
        live::StreamId id;
        ~Release() {
            std::lock_guard lock(in_flight->mutex);
            in_flight->streams.erase(id);
        }
    } release{in_flight, sid};

    auto current = co_await load_recording(ctx, sid);
    if (!current) co_return error_response(current.error());
    const int next_seq = *current ? (**current).chunks : 0;
    const std::int64_t bytes = *current ? (**current).bytes : 0;
    if (*seq < next_seq)
        co_return json_response(http::status::ok,
                                {{"recording", recording_json(**current)}});  // a retry: stored already
    if (*seq > next_seq) {
        auto res = json_response(
            http::status::conflict,
            {{"error", "conflict"}, {"message", "chunks must arrive in order; send next_seq"}, {"next_seq", next_seq}});
        co_return res;
    }
    if (bytes + static_cast<std::int64_t>(req.body().size()) > ctx->max_recording_bytes)
        co_return error_response(make_error(Errc::TooLarge, "the recording has reached its size limit"));

    std::error_code fs_error;
    std::filesystem::create_directories(ctx->recordings_dir, fs_error);
    auto appending = append_chunk(file_of(*ctx, sid), bytes, req.body());
    const std::string error = co_await net::co_spawn(ctx->auth->blocking, std::move(appending), use_awaitable);
    if (!error.empty()) {
        log::get("http")->error("recording not stored stream={} error={}", sid, error);
        co_return error_response(make_error(Errc::Unavailable, "the recording chunk could not be stored"));
    }
    std::string mime(req[http::field::content_type]);
    if (mime.empty() || mime.size() > 100) mime = "video/webm";
    const auto size = static_cast<std::int64_t>(req.body().size());
    const auto now = live::Clock::now();
    auto add_chunk_job = [sid, mime, size, now](store::Store& s) -> Result<store::RecordingRow> {
        return s.add_recording_chunk(sid, mime, size, now);
    };
    auto stored = co_await db::write<store::RecordingRow>(ctx->database, add_chunk_job);
    if (!stored) co_return error_response(stored.error());
    co_return json_response(http::status::ok, {{"recording", recording_json(*stored)}});
}

net::awaitable<Response> get_recording(Ctx ctx, const PathParams& params) {
    auto id = parse_number(params.at("id"));
    if (!id) co_return error_response(make_error(Errc::NotFound, "no such stream"));
    auto rec = co_await load_recording(ctx, *id);
    if (!rec) co_return error_response(rec.error());
    if (!*rec) co_return error_response(make_error(Errc::NotFound, "this stream has no recording"));
    co_return json_response(http::status::ok, {{"recording", recording_json(**rec)}});
}

// bytes=a-b | bytes=a- | bytes=-n, against a file of `size` bytes. nullopt: not satisfiable.
std::optional<std::pair<std::int64_t, std::int64_t>> parse_range(std::string_view header, std::int64_t size) {
    if (header.rfind("bytes=", 0) != 0 || size == 0) return std::nullopt;
    header.remove_prefix(6);
    if (header.find(',') != std::string_view::npos) header = header.substr(0, header.find(','));  // first range only
    const auto dash = header.find('-');
    if (dash == std::string_view::npos) return std::nullopt;
    auto first = parse_number(header.substr(0, dash));
    auto last = parse_number(header.substr(dash + 1));
    std::int64_t from, to;
    if (!first) {
        if (!last || *last == 0) return std::nullopt;
        from = std::max<std::int64_t>(0, size - *last);
        to = size - 1;
    } else {
        from = *first;
        to = last ? std::min(*last, size - 1) : size - 1;
    }
    if (from >= size || from > to) return std::nullopt;
    return std::make_pair(from, std::min(to, from + kMaxRangeBytes - 1));
}

net::awaitable<void> serve_file(Ctx ctx, Connection stream, Request req) {
    const std::string target(req.target());
    const auto segments = split_path(target.substr(0, target.find('?')));
    auto id = segments.size() >= 3 ? parse_number(segments[2]) : std::nullopt;
    Response res;
    std::optional<store::RecordingRow> rec;
    if (id) {
        auto found = co_await load_recording(ctx, *id);
        if (found) rec = *found;
    }
    if (!rec) {
        res = error_response(make_error(Errc::NotFound, "this stream has no recording"));
    } else {
        const auto size = rec->bytes;
        const auto range_header = req[http::field::range];
        std::int64_t from = 0, to = size - 1;
        bool partial = false;
        if (!range_header.empty()) {
            auto range = parse_range(range_header, size);
            if (!range) {
                res = error_response(http::status::range_not_satisfiable, "bad_input",
                                     "the requested range is outside the recording");
                res.set(http::field::content_range, "bytes */" + std::to_string(size));
            } else {
                std::tie(from, to) = *range;
                partial = true;
            }
        } else if (size > kMaxRangeBytes) {
            // Whole-file requests of a large recording get the first part; players and downloads continue with Range.
            to = kMaxRangeBytes - 1;
            partial = true;
        }
        if (res.result() != http::status::range_not_satisfiable) {
            auto reading = read_range(file_of(*ctx, *id), from, to - from + 1);
            std::string body = co_await net::co_spawn(ctx->auth->blocking, std::move(reading), use_awaitable);
            res.result(partial ? http::status::partial_content : http::status::ok);
            if (partial)
                res.set(http::field::content_range,
                        "bytes " + std::to_string(from) + "-" +
                            std::to_string(from + static_cast<std::int64_t>(body.size()) - 1) + "/" +
                            std::to_string(size));
            res.set(http::field::content_type, rec->mime_type);
            res.set(http::field::content_disposition, "inline; filename=\"stream-" + std::to_string(*id) + ".webm\"");
            res.body() = std::move(body);
        }
    }
    res.version(req.version());
    res.set(http::field::accept_ranges, "bytes");
    res.set(http::field::server, "redred");
    res.keep_alive(false);
    if (req.method() == http::verb::head) {
        const auto length = res.body().size();
        res.body().clear();
        res.content_length(length);
    } else {
        res.prepare_payload();
    }
    error_code ec;
    stream.expires_after(std::chrono::seconds(30));
    co_await http::async_write(stream, res, net::redirect_error(use_awaitable, ec));
    if (!ec) co_await finish(stream);
}

}  // namespace

void add_recording_routes(Router& router, Ctx ctx) {
    auto in_flight = std::make_shared<InFlight>();
    router.add(http::verb::put, "/api/live/:id/recording/chunks/:seq/",
               [ctx, in_flight](const Request& r, const PathParams& p) { return put_chunk(ctx, in_flight, r, p); });
    router.add(http::verb::get, "/api/live/:id/recording/",
               [ctx](const Request&, const PathParams& p) { return get_recording(ctx, p); });
    router.add_stream(http::verb::get, "/api/live/:id/recording/file",
                      [ctx](Connection stream, beast::flat_buffer, Request req) {
                          return serve_file(ctx, std::move(stream), std::move(req));
                      });
}

}  // namespace redred::http_server
