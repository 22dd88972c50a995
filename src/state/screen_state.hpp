// Shared state of the screen stream: the seed's `streaming:state` record, who captures it, and (with Redis) how
// frames and changes reach the other instances. Chosen once in App: memory (embedded default) or Redis.
//
// Every operation that decides something is atomic in the backend (a mutex in memory, a Lua script in Redis),
// so two simultaneous starts on two instances give exactly one winner.
#pragma once
#include <functional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/net.hpp"
#include "core/result.hpp"
#include "screen/stream_request.hpp"

namespace redred::state {

using screen::StreamRecord;

enum class LeaseOutcome {
    Keep,           // still the capturer: go on
    StopRequested,  // `streaming:stop_requested` was set (API or redis-cli): the stream is now ended
    Lost,           // stopped elsewhere, or the lease expired: stop capturing
};

struct SyncResult {
    StreamRecord record;
    bool claimed = false;  // this instance has just become the capturer of record.task_id
};

class ScreenState {
public:
    // `seq` is the capturer's screen state (a repeated seq: the same picture again, sent so late joiners get it);
    // `body` is opaque here (screen/relay.hpp).
    using FrameHandler =
        std::function<void(std::string task_id, std::string capturer, std::uint64_t seq, std::string body)>;
    using ChangeHandler = std::function<void()>;
    using LinkHandler = std::function<void(bool up)>;

    virtual ~ScreenState() = default;
    virtual const char* backend_name() const = 0;
    virtual bool shared() const = 0;  // true when other processes may serve the same stream

    // Starts `wanted` unless a stream is active (Conflict). `capturer` is this instance's id if it has a screen
    // source (it then owns the capture), empty otherwise (another instance with a source claims it).
    // Fills started_at. Returns the stored record.
    virtual net::awaitable<Result<StreamRecord>> start(StreamRecord wanted, std::string capturer) = 0;
    // Ends the active stream (Conflict if none). Sets `streaming:stop_requested` like the seed's stop task.
    virtual net::awaitable<Result<StreamRecord>> stop() = 0;
    // Reads the record. Also ends a stream whose capturer vanished, and, when `capturer` is non-empty, claims a
    // stream that was started by an instance without a screen source.
    virtual net::awaitable<Result<SyncResult>> sync(std::string capturer) = 0;
    // The capturer's heartbeat (every tick): keeps its lease, and sees the stop key.
    virtual net::awaitable<Result<LeaseOutcome>> renew(std::string capturer, std::string task_id) = 0;
    // Ends the stream if `capturer` still owns `task_id` (graceful shutdown). Ok(false) if it did not own it.
    virtual net::awaitable<Result<bool>> release(std::string capturer, std::string task_id) = 0;

    // Cross-instance plumbing; no-ops in memory.
    virtual void watch(FrameHandler on_frame, ChangeHandler on_change, LinkHandler on_link) {}
    virtual void publish_frame(const std::string& capturer, const std::string& task_id, std::uint64_t seq,
                               std::string_view body) {}
    virtual void publish_change() {}
    virtual void announce(const nlohmann::json& instance) {}
    virtual void close() {}
};

}  // namespace redred::state
