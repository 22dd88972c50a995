// The screen feed of one process: answers start/stop/status against the shared state, runs the capture when
// this instance owns it, relays frames captured elsewhere (Redis), and keeps the local FrameHub in step.
//
// A supervisor tick (every tick_ms) renews the capture lease, sees `streaming:stop_requested` within a second
// (the seed's runbook), ends orphans, and repairs any local divergence. Local state (`capture_`) is guarded by
// a mutex and always reconciled by task_id, so concurrent start/stop from several sessions cannot confuse it.
#pragma once
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "core/metrics.hpp"
#include "core/net.hpp"
#include "screen/capture_loop.hpp"
#include "screen/io/frame_hub.hpp"
#include "screen/screen_source.hpp"
#include "screen/stream_request.hpp"
#include "state/screen_state.hpp"

namespace redred::screen {

struct ScreenServiceOptions {
    std::string instance_id;
    std::string host;  // advertised in `streaming:state` (host, port)
    int port = 0;
    int tick_ms = 500;
    // A whole picture goes to the other instances at least this often, even of a still screen, so that a
    // viewer joining there sees the screen without waiting for a change (and a lost relay message heals).
    int relay_refresh_ms = 2000;
    int key_frame_interval_ms = 5000;
};

class ScreenService : public std::enable_shared_from_this<ScreenService> {
public:
    ScreenService(net::any_io_executor executor, Metrics& metrics, state::ScreenState& state,
                  std::unique_ptr<ScreenSource> source, ScreenServiceOptions options);
    ~ScreenService();

    void run();                        // starts the supervisor and the cross-instance watch
    net::awaitable<void> shutdown();   // ends our capture (shared state left consistent) and closes every feed

    net::awaitable<Result<StreamRecord>> start_stream(StartRequest request);
    net::awaitable<Result<StreamRecord>> stop_stream();
    net::awaitable<Result<StreamRecord>> status();

    // A viewer's subscription, or nullptr when no stream is active (the viewer then gets "stream_stopped").
    net::awaitable<std::shared_ptr<FeedSubscription>> subscribe(net::any_io_executor strand, FeedTransport transport);

    bool has_source() const { return source_ != nullptr; }
    std::string source_name() const;
    bool capturing() const;
    const ScreenServiceOptions& options() const { return options_; }
    FrameHub& hub() { return *hub_; }

private:
    static net::awaitable<void> supervise(std::shared_ptr<ScreenService> self);
    net::awaitable<void> tick();
    void reconcile(const StreamRecord& record, bool we_capture);
    void begin_capture(const StreamRecord& record);
    void end_stream_locally(const std::string& task_id, const char* reason);
    std::string capturer_id() const { return source_ ? options_.instance_id : std::string(); }
    void on_relayed_frame(std::string task_id, std::string capturer, std::uint64_t seq, std::string body);
    CaptureDemand capture_demand();
    void measure_viewer_rates();

    net::any_io_executor executor_;
    Metrics& metrics_;
    state::ScreenState& state_;
    std::unique_ptr<ScreenSource> source_;  // null with --screen-source none
    ScreenServiceOptions options_;
    std::shared_ptr<FrameHub> hub_;

    mutable std::mutex mutex_;
    std::unique_ptr<CaptureLoop> capture_;  // guarded by mutex_
    std::uint64_t relay_seq_ = 0;           // guarded by mutex_
    std::uint64_t relayed_from_seq_ = 0;    // guarded by mutex_: the capturer's seq of the last relayed picture
    std::atomic<std::int64_t> last_relay_ms_{0};  // steady clock, when we last relayed a picture
    // Per-viewer byte rates (metrics), measured by the supervisor tick.
    std::chrono::steady_clock::time_point rates_at_{};
    std::uint64_t rates_bytes_[kFeedTransports] = {};
    bool stopping_ = false;                 // guarded by mutex_
    net::steady_timer tick_timer_;
};

}  // namespace redred::screen
