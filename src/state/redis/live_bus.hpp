// The live platform on several processes (--redis): what the rooms of one stream share across processes.
//
// - One pub/sub channel, redred:live:events (redred:live:events:<db> off database 0), carries every room event of every stream, each published once.
//   Every process (the publisher too) applies what comes back from Redis, so all see one order per stream.
// - A hash per stream, redred:live:presence:<id>, holds every connection in the cluster (field: connection
//   id, value: who). A connection id carries its process's tag in its high bits (see ws::connection_tag).
// - A key per process, redred:live:instance:<tag>, renewed every second with a short TTL: its heartbeat.
//   Entries of a process whose key has expired are dropped from the hashes, and every process is told.
// - A token bucket per user and stream for chat rate limits, and a lock for the cleanup sweeper.
// Decisions stay in the rooms; this class only moves bytes. Lua scripts keep each change atomic in Redis.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/metrics.hpp"
#include "core/net.hpp"
#include "core/result.hpp"
#include "state/redis/redis_connection.hpp"
#include "state/redis/redis_subscriber.hpp"
#include "state/redis/redis_url.hpp"

namespace redred::state::redis {

struct LiveBusOptions {
    std::uint32_t tag = 1;       // this process's cluster tag (the high bits of its connection ids)
    std::string instance_id;     // shown by doctor
    std::string address;         // host:port, shown by doctor
    std::chrono::milliseconds heartbeat{1000};
    std::chrono::milliseconds heartbeat_ttl{3000};
    std::chrono::milliseconds dead_after{1000};  // a heartbeat key must stay missing this long
};

struct LiveBusHandlers {
    // A room event (any process's, this one's included), in Redis order. Called on the subscriber's strand.
    std::function<void(std::int64_t stream, std::uint32_t origin, std::uint64_t seq, nlohmann::json body)> on_event;
    // The event channel was lost (false) or subscribed again (true, after the heartbeat is renewed).
    std::function<void(bool up)> on_link;
    // A process stopped renewing its heartbeat: its connections are gone.
    std::function<void(std::uint32_t tag)> on_instance_gone;
    // Extra fields for this process's heartbeat (connection counts), any thread.
    std::function<nlohmann::json()> describe;
};

// One connection in a stream's presence hash.
struct PresenceEntry {
    std::uint64_t connection = 0;
    std::string value;  // JSON written by the room
};

struct PresenceSnapshot {
    std::vector<PresenceEntry> entries;                // of live processes only
    std::optional<std::int64_t> streamer_left_ms;      // when the streamer's last connection closed
};

class LiveBus : public std::enable_shared_from_this<LiveBus> {
public:
    // Pub/sub channels are shared by every database of a Redis server, keys are not: the channel names the
    // database, so clusters on separate databases of one Redis stay apart.
    static std::string channel_for(int db);

    static std::shared_ptr<LiveBus> create(net::any_io_executor executor, Endpoint endpoint, LiveBusOptions options,
                                           Metrics& metrics);
    ~LiveBus();

    void start(LiveBusHandlers handlers);
    // Stops the links and deletes this process's heartbeat key (so others drop its connections sooner).
    net::awaitable<void> stop();

    std::uint32_t tag() const { return options_.tag; }
    bool link_up() const { return link_up_.load() && connection_->connected(); }
    std::uint64_t next_seq() { return seq_.fetch_add(1) + 1; }

    enum class PresenceOp { None, Add, Remove, RemoveStreamer };
    // Publishes one room event; with a presence op, changes the hash in the same atomic step. False if Redis
    // did not take it (the caller then applies the event locally). `body` by value: the coroutine starts when
    // awaited, maybe after the caller's object is gone (ASan found a test co_spawning it so).
    net::awaitable<bool> publish(std::int64_t stream, std::uint64_t seq, nlohmann::json body,
                                 PresenceOp op = PresenceOp::None, std::uint64_t connection = 0,
                                 std::string value = {});
    net::awaitable<Result<PresenceSnapshot>> presence(std::int64_t stream);
    // After the link came back: this process's entries for `stream` become exactly `mine`.
    net::awaitable<bool> restore_presence(std::int64_t stream, std::vector<PresenceEntry> mine);
    net::awaitable<bool> forget_connections(std::int64_t stream, std::vector<std::uint64_t> connections);
    // Cluster-wide token bucket: nullopt = allowed; a duration = refused, retry after it. Error: Redis is away.
    net::awaitable<Result<std::optional<std::chrono::milliseconds>>> take_chat_token(std::int64_t stream,
                                                                                     std::int64_t user, int burst,
                                                                                     double per_second);
    // True if this process holds `name` for `ttl` (nobody else can take it meanwhile).
    net::awaitable<bool> try_lock(std::string name, std::chrono::milliseconds ttl);
    // Like try_lock, but a holder that asks again keeps the lock for another `ttl`: a role one process keeps
    // for as long as it renews (webhook delivery). False when Redis is away.
    net::awaitable<bool> hold_lock(std::string name, std::chrono::milliseconds ttl);
    // Watch a process seen in a presence snapshot; on_instance_gone fires when its heartbeat stops.
    void watch_tag(std::uint32_t tag);

    // Every process's heartbeat (doctor): the JSON each wrote.
    static net::awaitable<Result<std::vector<nlohmann::json>>> instances(std::shared_ptr<Connection> connection);

private:
    LiveBus(net::any_io_executor executor, Endpoint endpoint, LiveBusOptions options, Metrics& metrics);
    static net::awaitable<void> heartbeat_loop(std::shared_ptr<LiveBus> self);
    net::awaitable<void> heartbeat();
    net::awaitable<void> check_instances();
    void on_message(const std::string& channel, std::string payload);
    void on_subscriber_link(bool up);

    net::any_io_executor executor_;
    Endpoint endpoint_;
    const std::string channel_;
    const LiveBusOptions options_;
    Metrics& metrics_;
    LiveBusHandlers handlers_;
    std::shared_ptr<Connection> connection_;
    std::shared_ptr<Subscriber> subscriber_;
    net::steady_timer heartbeat_timer_;
    std::atomic<bool> subscribed_{false};  // the event channel is subscribed
    std::atomic<bool> link_up_{false};     // subscribed and this process's heartbeat written since
    std::atomic<bool> stopped_{false};
    std::atomic<std::uint64_t> seq_{0};
    std::mutex watched_mutex_;
    std::map<std::uint32_t, std::optional<std::chrono::steady_clock::time_point>> watched_;  // tag -> missing since
};

}  // namespace redred::state::redis
