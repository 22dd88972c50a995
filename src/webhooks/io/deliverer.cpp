#include "webhooks/io/deliverer.hpp"

#include "core/log.hpp"
#include "http/async_db.hpp"
#include "store/webhook_outbox.hpp"
#include "webhooks/events.hpp"
#include "webhooks/io/http_post.hpp"
#include "webhooks/signature.hpp"

namespace redred::webhooks {
namespace {

auto logger() { return log::get("webhooks"); }

struct Due {
    std::vector<store::WebhookDeliveryRow> rows;
};

// What an operator may see of a URL in the log: no query string (it may carry a token).
std::string shown(const WebhookUrl& url) {
    const auto query = url.target.find('?');
    return std::string(url.tls ? "https://" : "http://") + url.host_header() + url.target.substr(0, query);
}

void log_if_thrown(std::exception_ptr error) {
    if (!error) return;
    try {
        std::rethrow_exception(error);
    } catch (const std::exception& e) {
        logger()->error("webhook loop stopped error={}", e.what());
    }
}

}  // namespace

std::shared_ptr<Deliverer> Deliverer::create(net::any_io_executor executor, store::Database& database,
                                             Metrics& metrics, DelivererOptions options,
                                             std::shared_ptr<state::redis::LiveBus> bus) {
    return std::shared_ptr<Deliverer>(
        new Deliverer(std::move(executor), database, metrics, std::move(options), std::move(bus)));
}

Deliverer::Deliverer(net::any_io_executor executor, store::Database& database, Metrics& metrics,
                     DelivererOptions options, std::shared_ptr<state::redis::LiveBus> bus)
    : strand_(net::make_strand(executor)),
      database_(database),
      metrics_(metrics),
      options_(std::move(options)),
      bus_(std::move(bus)),
      random_(std::random_device{}()) {
    for (const auto& url : options_.urls) parsed_.push_back(*parse_webhook_url(url));
}

void Deliverer::start() {
    // Deliveries to URLs no longer configured would wait forever: drop them (and say so).
    const auto urls = options_.urls;
    database_.write(
        [urls](store::Store& s) {
            if (const int n = store::forget_webhook_urls_except(s, urls); n > 0)
                logger()->warn("webhook deliveries to URLs no longer configured dropped count={}", n);
        },
        {});
    for (std::size_t i = 0; i < parsed_.size(); ++i)
        net::co_spawn(strand_, deliver_loop(shared_from_this(), i), log_if_thrown);
    net::co_spawn(strand_, trim_loop(shared_from_this()), log_if_thrown);
    logger()->info("webhooks on urls={} max_backlog={}", parsed_.size(), options_.max_backlog);
}

void Deliverer::stop() { stopped_.store(true); }

net::awaitable<void> Deliverer::pause(std::chrono::milliseconds how_long) {
    net::steady_timer timer(strand_);
    timer.expires_after(how_long);
    error_code ec;
    co_await timer.async_wait(net::redirect_error(use_awaitable, ec));
}

net::awaitable<bool> Deliverer::my_turn() {
    if (!bus_) co_return true;
    // Held a little longer than one POST may take, so it cannot lapse while one is under way.
    const auto hold = options_.timeout + std::chrono::milliseconds(5000);
    co_return co_await bus_->hold_lock("webhooks", hold);
}

net::awaitable<void> Deliverer::deliver_loop(std::shared_ptr<Deliverer> self, std::size_t url_index) {
    const WebhookUrl& url = self->parsed_[url_index];
    const std::string url_text = self->options_.urls[url_index];
    const std::string where = shown(url);
    while (!self->stopped_.load()) {
        if (!co_await self->my_turn()) {
            co_await self->pause(self->options_.poll);
            continue;
        }
        const auto now = live::Clock::now();
        const int batch = self->options_.batch;
        auto due_job = [url_text, now, batch](store::Store& s) -> Result<Due> {
            return Due{store::due_webhook_deliveries(s, url_text, now, batch)};
        };
        auto due = co_await db::read<Due>(self->database_, due_job);
        if (!due || due->rows.empty()) {
            co_await self->pause(self->options_.poll);
            continue;
        }
        for (const auto& row : due->rows) {
            if (self->stopped_.load()) co_return;
            if (!co_await self->my_turn()) break;
            std::string body = event_body(row.event);
            Headers headers{{std::string(kSignatureHeader), signature_header_value(self->options_.secret, body)},
                            {"X-Redred-Event", row.event.event},
                            {"X-Redred-Delivery", std::to_string(row.event.id)}};
            WebhookUrl target = url;
            auto outcome = co_await post_json(std::move(target), std::move(body), std::move(headers),
                                              self->options_.timeout);
            const auto id = row.event.id;
            if (outcome.delivered()) {
                auto delivered_job = [url_text, id](store::Store& s) -> Result<bool> {
                    return store::mark_webhook_delivered(s, url_text, id);
                };
                auto marked = co_await db::write<bool>(self->database_, delivered_job);
                if (!marked) logger()->warn("webhook delivered but not marked id={} error={}", id, marked.error().message);
                self->metrics_.webhook_delivered.add();
                logger()->debug("webhook delivered id={} event={} url={} status={}", id, row.event.event, where,
                                outcome.status);
                continue;
            }
            const int attempts = row.attempts + 1;
            const double jitter = std::uniform_real_distribution<double>(0.0, 1.0)(self->random_);
            const auto delay = retry_delay(attempts, self->options_.retry, jitter);
            const auto next = live::Clock::now() + delay;
            const std::string error =
                outcome.status ? "HTTP " + std::to_string(outcome.status) : outcome.error;
            auto failed_job = [url_text, id, attempts, next, error](store::Store& s) -> Result<Ok> {
                store::mark_webhook_failed(s, url_text, id, attempts, next, error);
                return Ok{};
            };
            co_await db::write<Ok>(self->database_, failed_job);
            self->metrics_.webhook_failed.add();
            logger()->warn("webhook delivery failed id={} event={} url={} attempts={} error=\"{}\" retry_in_ms={}", id,
                           row.event.event, where, attempts, error, delay.count());
        }
    }
}

net::awaitable<void> Deliverer::trim_loop(std::shared_ptr<Deliverer> self) {
    const int max_backlog = self->options_.max_backlog;
    while (!self->stopped_.load()) {
        // Counted on a reader; the writer is asked only when there is something to drop.
        auto count_job = [](store::Store& s) -> Result<int> { return store::count_webhook_events(s); };
        auto backlog = co_await db::read<int>(self->database_, count_job);
        if (backlog && *backlog > max_backlog) {
            auto trim_job = [max_backlog](store::Store& s) -> Result<int> {
                return store::trim_webhook_backlog(s, max_backlog);
            };
            auto dropped = co_await db::write<int>(self->database_, trim_job);
            if (dropped && *dropped > 0) {
                self->metrics_.webhook_dropped.add(static_cast<std::uint64_t>(*dropped));
                logger()->warn("webhook backlog full: oldest events dropped count={} max_backlog={}", *dropped,
                               max_backlog);
                *backlog -= *dropped;
            }
        }
        if (backlog) self->metrics_.webhook_backlog.value.store(*backlog);
        co_await self->pause(self->options_.trim_every);
    }
}

}  // namespace redred::webhooks
