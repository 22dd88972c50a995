// Fan-out of screen frames to every viewer of this process. Capture once, share the same Frame with everyone.
//
// Thread-safe. A viewer holds one FrameSubscription, which lives on the viewer's strand and keeps at most one
// pending frame: a newer frame replaces an untaken one (latest wins, the replaced one is counted as dropped).
// So a slow viewer skips to the newest frame, costs no memory beyond two shared frames, and slows nobody.
#pragma once
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/metrics.hpp"
#include "core/net.hpp"
#include "screen/frame.hpp"

namespace redred::screen {

class FrameSubscription : public std::enable_shared_from_this<FrameSubscription> {
public:
    FrameSubscription(net::any_io_executor strand, Metrics& metrics, FeedTransport transport);
    ~FrameSubscription();

    // Waits for the next frame. Returns nullptr when the stream has ended (or the hub closed).
    // Must be awaited from a coroutine running on `strand`.
    net::awaitable<FramePtr> next();

    // Hub side; any thread. Posts to the strand.
    void offer(FramePtr frame);
    void end();

private:
    void on_frame(FramePtr frame);
    void on_end();

    net::any_io_executor strand_;
    net::steady_timer wake_;
    Metrics& metrics_;
    FeedTransport transport_;
    FramePtr pending_;    // strand only
    bool ended_ = false;  // strand only
};

class FrameHub {
public:
    explicit FrameHub(Metrics& metrics) : metrics_(metrics) {}

    // Opens the hub for stream `task_id` (closing a previous, different one). Returns true if it was not open.
    bool open(const std::string& task_id);
    // Ends the current stream: every subscriber's next() returns nullptr. No-op when closed.
    void close();
    bool is_open() const;
    std::string task_id() const;  // empty when closed

    // Fans `frame` out to every subscriber if it belongs to the open stream; the newest frame is kept for late joiners.
    void publish(FramePtr frame);

    // nullptr if the hub is closed (the caller answers "stream_stopped" at once, like the seed).
    std::shared_ptr<FrameSubscription> subscribe(net::any_io_executor strand, FeedTransport transport);
    std::size_t subscriber_count() const;

private:
    void close_locked(std::vector<std::shared_ptr<FrameSubscription>>& ended);

    Metrics& metrics_;
    mutable std::mutex mutex_;
    std::string task_id_;  // empty = closed
    FramePtr latest_;
    std::vector<std::weak_ptr<FrameSubscription>> subscribers_;
};

}  // namespace redred::screen
