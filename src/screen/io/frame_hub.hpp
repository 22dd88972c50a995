// Fan-out of screen changes to every viewer of this process. Capture and encode once, share with everyone.
//
// Thread-safe. The hub keeps the newest state only: the newest whole picture (full-frame feeds, key frames) and
// the newest tile of every grid cell (tile mode). A viewer holds one FeedSubscription; the hub wakes it when
// something changed, and the viewer then takes what it needs to be up to date *now*: the newest picture, or
// for tile mode the tiles that changed since what it last received, merged. So a slow viewer skips to the
// newest state, never queues, costs no memory of its own, and slows nobody.
#pragma once
#include <atomic>
#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/metrics.hpp"
#include "core/net.hpp"
#include "screen/frame.hpp"
#include "screen/tiles.hpp"

namespace redred::screen {

// One tile-mode WebSocket message, as pieces that point into shared, already-encoded bytes.
struct TileMessage {
    std::vector<std::string_view> parts;
    std::vector<std::shared_ptr<const void>> owners;  // keep `parts` alive
    std::size_t bytes = 0;
    std::size_t tiles = 0;
    bool key = false;
    std::uint64_t seq = 0;
};
using TileMessagePtr = std::shared_ptr<const TileMessage>;

// What the capture should make this tick; read by the capture thread.
struct CaptureDemand {
    bool pictures = false;  // whole pictures of every change: full-frame viewers, or the relay to other instances
    bool tiles = false;     // tiles of every change: tile-mode viewers
    bool key = false;       // a whole picture of the current state, changed or not: a viewer is waiting for one
};

class FrameHub;

class FeedSubscription : public std::enable_shared_from_this<FeedSubscription> {
public:
    enum class Wake { Ready, Ended, Idle };

    FeedSubscription(std::shared_ptr<FrameHub> hub, net::any_io_executor strand, Metrics& metrics,
                     FeedTransport transport);
    ~FeedSubscription();

    // Waits until the hub may have something newer for this viewer (Ready), the stream ended (Ended), or
    // `idle` passed with neither (Idle). Must be awaited on `strand`.
    net::awaitable<Wake> wait(std::chrono::milliseconds idle);
    // Waits `pause` (a rate cap) unless the stream ends first; returns false if it ended.
    net::awaitable<bool> pause(std::chrono::microseconds pause);

    // What this viewer should be sent now, or nullptr if it is up to date (wait again).
    FramePtr take_picture();        // full-frame transports
    TileMessagePtr take_tiles();    // tile mode
    void request_key_frame();       // tile mode: the next message is a key frame (any thread)

    FeedTransport transport() const { return transport_; }

    // Hub side; any thread. Post to the strand.
    void notify();
    void end();

private:
    friend class FrameHub;

    std::shared_ptr<FrameHub> hub_;
    net::any_io_executor strand_;
    net::steady_timer wake_;
    Metrics& metrics_;
    FeedTransport transport_;
    bool notified_ = false;  // strand only
    bool ended_ = false;     // strand only
    // Guarded by the hub's mutex.
    std::uint64_t last_seq_ = 0;  // the state this viewer was last sent (0 = nothing yet)
    bool wants_key_ = false;
};

class FrameHub : public std::enable_shared_from_this<FrameHub> {
public:
    explicit FrameHub(Metrics& metrics) : metrics_(metrics) {}

    // Opens the hub for stream `task_id` (closing a previous, different one). Returns true if it was not open.
    bool open(const std::string& task_id);
    // Ends the current stream: every subscriber's wait() returns Ended. No-op when closed.
    void close();
    bool is_open() const;
    std::string task_id() const;  // empty when closed

    // Takes one change (or requested picture) of the open stream and wakes every subscriber.
    void publish(FramePtr frame);

    // nullptr if the hub is closed (the caller answers "stream_stopped" at once, like the seed).
    std::shared_ptr<FeedSubscription> subscribe(net::any_io_executor strand, FeedTransport transport);
    std::size_t subscriber_count() const;

    // For the capture: what to make this tick (consumes a pending key-frame request).
    CaptureDemand demand();

private:
    friend class FeedSubscription;
    void close_locked(std::vector<std::shared_ptr<FeedSubscription>>& ended);
    FramePtr take_picture(FeedSubscription& sub);
    TileMessagePtr take_tiles(FeedSubscription& sub);
    void request_key_frame(FeedSubscription& sub);
    void unsubscribed(FeedTransport transport);
    TileMessagePtr delta_locked(std::uint64_t from);
    TileMessagePtr key_locked(const FramePtr& picture);
    std::string state_header_locked(bool key, std::size_t tiles) const;  // a message header for state_seq_

    Metrics& metrics_;
    std::atomic<int> picture_viewers_{0};
    std::atomic<int> tile_viewers_{0};
    std::atomic<bool> key_requested_{false};

    mutable std::mutex mutex_;
    std::string task_id_;  // empty = closed
    std::uint64_t state_seq_ = 0;          // newest state (0 = none yet)
    std::uint64_t state_captured_at_ms_ = 0;
    int width_ = 0;
    int height_ = 0;
    FramePtr latest_picture_;              // newest frame with a whole picture
    TileMessagePtr latest_key_;            // the key message of latest_picture_, built on first use
    TileState tiles_;
    std::deque<std::pair<std::uint64_t, TileMessagePtr>> deltas_;  // recent "since N" messages for state_seq_
    std::vector<std::weak_ptr<FeedSubscription>> subscribers_;
};

}  // namespace redred::screen
