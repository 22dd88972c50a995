// Screen state in Redis, so several `redred serve` processes act as one service (the seed's design, without its
// zombie tasks). The record is the seed's hash `streaming:state`; the capturing instance holds a lease key it
// renews every tick, so a crashed capturer's stream ends by itself when the lease runs out. Decisions are Lua
// scripts, atomic in Redis. Frames go to the other instances over pub/sub (one subscription per process).
#pragma once
#include <atomic>
#include <memory>

#include "state/redis/redis_connection.hpp"
#include "state/redis/redis_subscriber.hpp"
#include "state/redis/redis_url.hpp"
#include "state/screen_state.hpp"

namespace redred::state::redis {

struct RedisScreenStateOptions {
    int lease_ms = 2000;          // a capturer silent for this long has died
    int pending_claim_ms = 3000;  // how long a stream started without a capturer waits for one
    std::string host;             // this instance's address, written to the record when it claims a stream
    int port = 0;
};

class RedisScreenState final : public ScreenState {
public:
    RedisScreenState(net::any_io_executor executor, Endpoint endpoint, std::string instance_id,
                     RedisScreenStateOptions options = {});
    ~RedisScreenState() override;

    const char* backend_name() const override { return "redis"; }
    bool shared() const override { return true; }
    net::awaitable<Result<StreamRecord>> start(StreamRecord wanted, std::string capturer) override;
    net::awaitable<Result<StreamRecord>> stop() override;
    net::awaitable<Result<SyncResult>> sync(std::string capturer) override;
    net::awaitable<Result<LeaseOutcome>> renew(std::string capturer, std::string task_id) override;
    net::awaitable<Result<bool>> release(std::string capturer, std::string task_id) override;

    void watch(FrameHandler on_frame, ChangeHandler on_change, LinkHandler on_link) override;
    void publish_frame(const std::string& capturer, const std::string& task_id, std::uint64_t seq,
                       std::string_view jpeg) override;
    void publish_change() override;
    void announce(const nlohmann::json& instance) override;
    void close() override;

    std::shared_ptr<Connection> connection() const { return connection_; }

private:
    net::awaitable<Result<Reply>> eval(const char* script, std::vector<std::string> args);
    static net::awaitable<void> publish(std::shared_ptr<Connection> connection, std::string channel, std::string payload,
                                        std::shared_ptr<std::atomic<bool>> in_flight);
    static net::awaitable<void> set_with_ttl(std::shared_ptr<Connection> connection, std::string key,
                                             std::string value, int ttl_ms);

    net::any_io_executor executor_;
    Endpoint endpoint_;
    std::string instance_id_;
    RedisScreenStateOptions options_;
    std::shared_ptr<Connection> connection_;
    std::shared_ptr<Subscriber> subscriber_;
    std::shared_ptr<std::atomic<bool>> frame_in_flight_ = std::make_shared<std::atomic<bool>>(false);
};

// Parses a flat HGETALL reply of `streaming:state`.
StreamRecord record_from_hash(const Reply& hash);

}  // namespace redred::state::redis
