#include "state/redis/redis_subscriber.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "state/redis/redis_protocol.hpp"

namespace redred::state::redis {
namespace {

constexpr auto kConnectTimeout = std::chrono::milliseconds(2000);
constexpr auto kFirstBackoff = std::chrono::milliseconds(100);
constexpr auto kMaxBackoff = std::chrono::milliseconds(2000);
constexpr size_t kReadChunkBytes = 64 * 1024;

std::string without_prefix(std::string message) {
    constexpr std::string_view kPrefix = "redis unavailable: ";
    if (message.rfind(kPrefix, 0) == 0) message.erase(0, kPrefix.size());
    return message;
}

}  // namespace

std::shared_ptr<Subscriber> Subscriber::create(net::any_io_executor executor, Endpoint endpoint,
                                               std::vector<std::string> channels, MessageHandler on_message,
                                               LinkHandler on_link) {
    return std::shared_ptr<Subscriber>(new Subscriber(std::move(executor), std::move(endpoint), std::move(channels),
                                                      std::move(on_message), std::move(on_link)));
}

Subscriber::Subscriber(net::any_io_executor executor, Endpoint endpoint, std::vector<std::string> channels,
                       MessageHandler on_message, LinkHandler on_link)
    : strand_(net::make_strand(executor)),
      endpoint_(std::move(endpoint)),
      channels_(std::move(channels)),
      on_message_(std::move(on_message)),
      on_link_(std::move(on_link)),
      resolver_(strand_),
      retry_(strand_) {}

Subscriber::~Subscriber() = default;

void Subscriber::start() {
    if (started_.exchange(true)) return;
    net::co_spawn(strand_, run(shared_from_this()), log_if_thrown("redis subscriber loop"));
}

void Subscriber::stop() {
    if (stopped_.exchange(true)) return;
    net::post(strand_, [self = shared_from_this()] { self->shut_down(); });
}

void Subscriber::shut_down() {
    retry_.cancel();
    resolver_.cancel();
    if (stream_) stream_->close();
}

net::awaitable<void> Subscriber::run(std::shared_ptr<Subscriber> self) {
    auto log = state_logger();
    const std::string label = endpoint_label(self->endpoint_);
    auto backoff = kFirstBackoff;
    int failed_attempts = 0;
    while (!self->stopped_) {
        self->stream_.emplace(self->strand_);
        self->reader_ = std::make_unique<ReplyReader>();
        auto opened = co_await open_connection(*self->stream_, self->resolver_, *self->reader_, self->endpoint_,
                                               kConnectTimeout);
        if (self->stopped_) break;
        if (opened) {
            failed_attempts = 0;
            std::string reason = co_await self->listen();
            self->stream_->close();
            bool was_up = self->link_up_;
            self->link_up_ = false;
            if (self->stopped_) break;
            if (was_up) {
                backoff = kFirstBackoff;
                self->report_link(false);
            }
            log->warn("redis subscription lost endpoint={} channels={} reason={}", label, self->channels_.size(),
                      reason);
        } else {
            std::string reason = without_prefix(opened.error().message);
            if (failed_attempts == 0) {
                log->warn("redis subscriber connect failed endpoint={} reason={} retrying=yes", label, reason);
            } else {
                log->debug("redis subscriber connect failed endpoint={} reason={} attempt={}", label, reason,
                           failed_attempts + 1);
            }
            ++failed_attempts;
        }
        self->retry_.expires_after(backoff);
        error_code ec;
        co_await self->retry_.async_wait(net::redirect_error(use_awaitable, ec));
        backoff = std::min(backoff * 2, kMaxBackoff);
    }
    if (self->stream_) self->stream_->close();
    log->info("redis subscriber stopped endpoint={}", label);
}

net::awaitable<std::string> Subscriber::listen() {
    error_code ec;
    size_t confirmed = 0;
    if (channels_.empty()) {
        link_up_ = true;
        report_link(true);
    } else {
        std::vector<std::string> subscribe;
        subscribe.reserve(channels_.size() + 1);
        subscribe.push_back("SUBSCRIBE");
        subscribe.insert(subscribe.end(), channels_.begin(), channels_.end());
        std::string wire = format_command(subscribe);
        co_await net::async_write(*stream_, net::buffer(wire), net::redirect_error(use_awaitable, ec));
        if (ec) co_return "subscribe failed: " + ec.message();
    }

    std::vector<char> buffer(kReadChunkBytes);
    for (;;) {
        for (;;) {
            auto reply = reader_->next();
            if (!reply) co_return reply.error().message;
            if (!*reply) break;
            Reply& push = **reply;
            if (push.is_error()) co_return "subscribe failed: " + push.str;
            // Pushes are arrays whose first element names the kind: message, subscribe, pong, ...
            if (!push.is_array() || push.elements.empty()) continue;
            const std::string& kind = push.elements[0].str;
            if (kind == "message" && push.elements.size() == 3) {
                if (stopped_) co_return std::string("stopped");
                if (!on_message_) continue;
                try {
                    on_message_(push.elements[1].str, std::move(push.elements[2].str));
                } catch (const std::exception& e) {
                    state_logger()->error("redis message handler threw channel={} error={}", push.elements[1].str,
                                          e.what());
                }
            } else if (kind == "subscribe") {
                // Redis confirms each SUBSCRIBE argument separately; the link is up once all are in.
                if (++confirmed == channels_.size() && !link_up_) {
                    link_up_ = true;
                    report_link(true);
                }
            }
        }
        size_t n = co_await stream_->async_read_some(net::buffer(buffer), net::redirect_error(use_awaitable, ec));
        if (ec) {
            if (stopped_) co_return std::string("stopped");
            co_return ec == net::error::eof ? std::string("server closed the connection") : ec.message();
        }
        if (!reader_->feed(std::string_view(buffer.data(), n))) co_return std::string("protocol error");
    }
}

void Subscriber::report_link(bool up) {
    if (stopped_ || !on_link_) return;
    if (up) {
        state_logger()->info("redis subscribed endpoint={} channels={}", endpoint_label(endpoint_), channels_.size());
    }
    try {
        on_link_(up);
    } catch (const std::exception& e) {
        state_logger()->error("redis link handler threw up={} error={}", up, e.what());
    }
}

}  // namespace redred::state::redis
