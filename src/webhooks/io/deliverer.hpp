// Delivers the webhook outbox (docs/WEBHOOKS.md). Built and started by App when --webhook-url is given.
//
// One loop per URL: reads what is due (per stream, the oldest event not yet delivered there), POSTs each with its
// signature and, on a 2xx, deletes it; anything else sets the next attempt (exponential backoff with jitter,
// kept in the database so a restart keeps it). A stream's next event waits for its previous one's 2xx: in order
// per stream, at least once (receivers deduplicate by id). A second loop trims the backlog to --webhook-max-backlog
// (oldest first, counted) and keeps the backlog gauge.
//
// With --redis, one process of the cluster delivers at a time: the one holding the "webhooks" lock, renewed
// before every POST. Lives on its own strand; the Database is borrowed and outlives it.
#pragma once
#include <atomic>
#include <chrono>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/metrics.hpp"
#include "core/net.hpp"
#include "state/redis/live_bus.hpp"
#include "store/database.hpp"
#include "webhooks/retry.hpp"
#include "webhooks/url.hpp"

namespace redred::webhooks {

struct DelivererOptions {
    std::vector<std::string> urls;
    std::string secret;
    RetryPolicy retry;
    int max_backlog = 10000;
    std::chrono::milliseconds timeout{10000};   // one POST, connect to reply
    std::chrono::milliseconds poll{250};        // how often each URL's queue is read when it was empty
    std::chrono::milliseconds trim_every{1000};
    int batch = 32;                             // deliveries read at once per URL
};

class Deliverer : public std::enable_shared_from_this<Deliverer> {
public:
    // The URLs must have been validated (parse_webhook_url).
    static std::shared_ptr<Deliverer> create(net::any_io_executor executor, store::Database& database,
                                             Metrics& metrics, DelivererOptions options,
                                             std::shared_ptr<state::redis::LiveBus> bus);
    void start();
    void stop();  // the loops end at their next step; a POST under way is abandoned (sent again later)

private:
    Deliverer(net::any_io_executor executor, store::Database& database, Metrics& metrics, DelivererOptions options,
              std::shared_ptr<state::redis::LiveBus> bus);
    static net::awaitable<void> deliver_loop(std::shared_ptr<Deliverer> self, std::size_t url_index);
    static net::awaitable<void> trim_loop(std::shared_ptr<Deliverer> self);
    net::awaitable<bool> my_turn();
    net::awaitable<void> pause(std::chrono::milliseconds how_long);

    net::strand<net::any_io_executor> strand_;
    store::Database& database_;  // borrowed
    Metrics& metrics_;           // borrowed
    const DelivererOptions options_;
    std::vector<WebhookUrl> parsed_;
    std::shared_ptr<state::redis::LiveBus> bus_;
    std::mt19937_64 random_;     // jitter; used on the strand only
    std::atomic<bool> stopped_{false};
};

}  // namespace redred::webhooks
