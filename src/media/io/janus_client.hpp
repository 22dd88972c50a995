// One WebSocket connection to Janus ("janus-protocol") and one Janus session on it, shared by every room of
// this process. Reconnects by itself (backoff 250 ms doubling to 5 s) from start() until stop(): when Janus
// restarts, every handle of the old session is gone, so generation() moves on, handles of an older
// generation fail at once with Unavailable, and state handlers hear "down" then "up" to rebuild what they had.
//
// Threads: the client owns a strand; the socket, the queues, pending requests and handle routes are touched
// only there. Requests may be awaited from any executor and resume on the caller's. Events about a handle are
// posted to the executor given at attach() (a room's strand), in the order Janus sent them.
//
// Janus answers a request with "success"/"error" (synchronous) or "ack" and later an "event" carrying the same
// transaction (asynchronous plugin requests such as VideoRoom "join"): message() resolves with that event.
// The session is kept alive with a keepalive every --janus-keepalive; one unanswered keepalive drops the link.
#pragma once
#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/metrics.hpp"
#include "core/net.hpp"
#include "core/result.hpp"
#include "media/janus_api.hpp"

namespace redred::media {

using janus::Json;

struct JanusOptions {
    std::string url = "ws://127.0.0.1:8188";
    std::string api_secret;  // Janus's api_secret, sent with every request when set
    std::chrono::milliseconds request_timeout{10000};
    std::chrono::milliseconds keepalive{15000};  // Janus drops an idle session after 60 s by default
};

class JanusClient : public std::enable_shared_from_this<JanusClient> {
public:
    struct Handle {
        janus::HandleId id = 0;
        std::uint64_t generation = 0;  // the Janus session it belongs to
        explicit operator bool() const { return id != 0; }
    };
    using EventHandler = std::function<void(janus::Incoming)>;
    using StateHandler = std::function<void(bool up)>;

    static std::shared_ptr<JanusClient> create(net::any_io_executor executor, JanusOptions options, Metrics& metrics);
    ~JanusClient();

    // Before start(): called on the client's strand on every change (down -> up after a session is made).
    void on_state_change(StateHandler handler);
    void start();
    void stop();  // any thread; idempotent; fails pending requests

    bool up() const { return up_.load(); }
    net::any_io_executor executor() const { return strand_; }  // for tasks that talk to Janus only
    std::uint64_t generation() const { return generation_.load(); }
    std::string status() const;          // "up" or why it is down, for /healthz and logs
    std::string server_version() const;  // from Janus's "info" at connect, e.g. "1.1.2"
    std::vector<std::string> plugins() const;

    // Attaches a handle to `plugin`; its events go to `on_event` on `events`.
    net::awaitable<Result<Handle>> attach(std::string plugin, net::any_io_executor events, EventHandler on_event);
    // A plugin request ({"janus":"message"}), with an optional JSEP. Resolves with the synchronous answer or
    // the asynchronous event; a plugin's {"error_code"} comes back as an Error.
    net::awaitable<Result<janus::Incoming>> message(Handle handle, Json body, Json jsep = nullptr);
    // Fire and forget (failures are logged): a trickled candidate (null: end of candidates), a detach.
    void trickle(Handle handle, Json candidate);
    void detach(Handle handle);

private:
    struct Pending;
    struct Route {
        net::any_io_executor executor;
        EventHandler handler;
    };
    using Strand = net::strand<net::any_io_executor>;
    using Socket = websocket::stream<beast::tcp_stream>;

    JanusClient(net::any_io_executor executor, JanusOptions options, Metrics& metrics);

    static net::awaitable<void> run(std::shared_ptr<JanusClient> self);
    static net::awaitable<void> write_loop(std::shared_ptr<JanusClient> self, std::uint64_t link);
    static net::awaitable<void> keepalive_loop(std::shared_ptr<JanusClient> self, std::uint64_t link);
    net::awaitable<std::string> serve_link();  // connect, make a session, read until lost; returns why

    // Resolves on the caller's executor; `ack_answers`: an "ack" is the answer (trickle, keepalive).
    net::awaitable<Result<janus::Incoming>> request(Json body, bool ack_answers, std::uint64_t generation);
    void enqueue(std::shared_ptr<Pending> pending);  // strand
    void dispatch(janus::Incoming in);                // strand
    void lose_link(const std::string& reason);        // strand
    void set_status(std::string text);

    // Owned; touched only on strand_.
    Strand strand_;
    const JanusOptions options_;
    Metrics& metrics_;
    janus::WsUrl url_;
    std::shared_ptr<Socket> socket_;      // replaced per connection; loops hold their own reference
    net::steady_timer wake_;
    net::steady_timer retry_;
    std::deque<std::string> queued_;
    std::map<std::string, std::shared_ptr<Pending>> pending_;
    std::map<janus::HandleId, Route> routes_;
    std::vector<StateHandler> state_handlers_;
    janus::SessionId session_ = 0;
    std::uint64_t link_ = 0;              // bumped per connection; ends stale writer/keepalive loops
    std::uint64_t next_transaction_ = 1;

    // Any thread.
    std::atomic<bool> started_{false};
    std::atomic<bool> stopped_{false};
    std::atomic<bool> up_{false};
    std::atomic<std::uint64_t> generation_{0};
    mutable std::mutex info_mutex_;
    std::string status_ = "not connected yet";
    std::string version_;
    std::vector<std::string> plugins_;
};

}  // namespace redred::media
