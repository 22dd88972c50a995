#include "state/redis/redis_connection.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <functional>
#include <string_view>

#include <spdlog/spdlog.h>

#include "core/pending_call.hpp"
#include "state/redis/redis_protocol.hpp"

namespace redred::state::redis {
namespace {

constexpr auto kConnectTimeout = std::chrono::milliseconds(2000);
constexpr auto kFirstBackoff = std::chrono::milliseconds(100);
constexpr auto kMaxBackoff = std::chrono::milliseconds(2000);
constexpr size_t kReadChunkBytes = 64 * 1024;
// Bounds one gathered write; a single larger command is still written whole.
constexpr size_t kMaxBatchCommands = 512;
constexpr size_t kMaxBatchBytes = 4 * 1024 * 1024;

// Commands that switch the connection to push mode or answer with more than one reply; they would break
// the one-request-one-reply matching that pipelining relies on.
bool needs_dedicated_connection(std::string_view name) {
    static constexpr std::array<std::string_view, 7> kNames = {
        "subscribe", "psubscribe", "ssubscribe", "unsubscribe", "punsubscribe", "sunsubscribe", "monitor"};
    std::string lower(name);
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    return std::find(kNames.begin(), kNames.end(), lower) != kNames.end();
}

std::string without_prefix(std::string message) {
    constexpr std::string_view kPrefix = "redis unavailable: ";
    if (message.rfind(kPrefix, 0) == 0) message.erase(0, kPrefix.size());
    return message;
}

}  // namespace

// One command in flight. Created by command() on the caller's thread, then touched only on the strand.
struct Connection::Pending : PendingCall<Result<Reply>> {
    std::string wire;  // formatted RESP; released once written
};

std::shared_ptr<Connection> Connection::create(net::any_io_executor executor, Endpoint endpoint,
                                               std::string log_name) {
    return std::shared_ptr<Connection>(new Connection(std::move(executor), std::move(endpoint), std::move(log_name)));
}

Connection::Connection(net::any_io_executor executor, Endpoint endpoint, std::string log_name)
    : strand_(net::make_strand(executor)),
      endpoint_(std::move(endpoint)),
      log_name_(std::move(log_name)),
      resolver_(strand_),
      wake_(strand_),
      writer_done_(strand_),
      retry_(strand_) {}

Connection::~Connection() = default;

void Connection::start() {
    if (started_.exchange(true)) return;
    auto self = shared_from_this();
    net::co_spawn(strand_, run(self), log_if_thrown("redis connection loop name=" + log_name_));
}

void Connection::stop() {
    if (stopped_.exchange(true)) return;
    connected_ = false;
    set_down_reason("stopped");
    net::post(strand_, [self = shared_from_this()] { self->shut_down(); });
}

net::awaitable<Result<Reply>> Connection::command(std::vector<std::string> args, std::chrono::milliseconds timeout) {
    // Taken at the first resumption: keeps the connection alive while this request is in flight.
    auto self = shared_from_this();
    if (args.empty()) co_return make_error(Errc::BadInput, "redis command needs at least a name");
    if (needs_dedicated_connection(args[0])) {
        co_return make_error(Errc::BadInput,
                             "redis command " + args[0] + " needs a dedicated connection; use redis::Subscriber");
    }
    if (!connected_ || stopped_) co_return unavailable(down_reason());

    auto pending = std::make_shared<Pending>();
    pending->wire = format_command(args);
    std::vector<std::string>().swap(args);  // large values live once, in `wire`, while we wait

    // Named on purpose: GCC 12 destroys a temporary initiation passed to async_initiate inside co_await twice,
    // which double-releases the captured shared_ptrs.
    auto initiation = [self, pending, timeout](auto handler) {
        using Handler = decltype(handler);
        // Track work on the caller's executor so its io_context cannot run dry while we wait.
        auto caller = net::prefer(net::get_associated_executor(handler), net::execution::outstanding_work.tracked);
        auto shared_handler = std::make_shared<Handler>(std::move(handler));
        pending->complete = [caller, shared_handler](Result<Reply> result) {
            net::post(caller, [shared_handler, result = std::move(result)]() mutable {
                (*shared_handler)(std::move(result));
            });
        };
        net::post(self->strand_, [self, pending, timeout] { self->enqueue(pending, timeout); });
    };
    pending.reset();  // the initiation holds it; the strand owns it from here on
    auto result = co_await net::async_initiate<const net::use_awaitable_t<>&, void(Result<Reply>)>(
        std::move(initiation), net::use_awaitable);
    co_return std::move(result);
}

net::awaitable<void> Connection::run(std::shared_ptr<Connection> self) {
    auto log = state_logger();
    auto backoff = kFirstBackoff;
    int failed_attempts = 0;
    bool ever_connected = false;
    while (!self->stopped_) {
        self->stream_.emplace(self->strand_);
        self->reader_ = std::make_unique<ReplyReader>();
        auto opened = co_await open_connection(*self->stream_, self->resolver_, *self->reader_, self->endpoint_,
                                               kConnectTimeout);
        if (self->stopped_) break;
        if (opened) {
            log->info("redis {} name={} endpoint={}", ever_connected ? "reconnected" : "connected", self->log_name_,
                      endpoint_label(self->endpoint_));
            ever_connected = true;
            failed_attempts = 0;
            backoff = kFirstBackoff;
            ++self->session_;
            self->link_up_ = true;
            self->write_error_.clear();
            self->connected_ = true;
            self->writer_running_ = true;
            net::co_spawn(self->strand_, write_loop(self, self->session_),
                          log_if_thrown("redis writer name=" + self->log_name_));
            std::string reason = co_await self->read_loop();
            self->end_session(reason);
            // The next attempt replaces stream_, so the old writer must be gone first; the socket is closed, so
            // its write or wait ends at once.
            while (self->writer_running_) {
                self->writer_done_.expires_at(net::steady_timer::time_point::max());
                error_code ec;
                co_await self->writer_done_.async_wait(net::redirect_error(use_awaitable, ec));
            }
            if (self->stopped_) break;
            log->warn("redis connection lost name={} endpoint={} reason={}", self->log_name_,
                      endpoint_label(self->endpoint_), reason);
        } else {
            std::string reason = without_prefix(opened.error().message);
            self->set_down_reason(reason);
            // One warning per outage; retries every few seconds would flood the log.
            if (failed_attempts == 0) {
                log->warn("redis connect failed name={} reason={} retrying=yes", self->log_name_, reason);
            } else {
                log->debug("redis connect failed name={} reason={} attempt={}", self->log_name_, reason,
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
    log->info("redis connection stopped name={}", self->log_name_);
}

net::awaitable<std::string> Connection::read_loop() {
    std::vector<char> buffer(kReadChunkBytes);
    for (;;) {
        error_code ec;
        size_t n = co_await stream_->async_read_some(net::buffer(buffer), net::redirect_error(use_awaitable, ec));
        if (ec) {
            if (!write_error_.empty()) co_return write_error_;
            if (stopped_) co_return std::string("stopped");
            co_return ec == net::error::eof ? std::string("server closed the connection") : ec.message();
        }
        if (!reader_->feed(std::string_view(buffer.data(), n))) co_return std::string("protocol error");
        for (;;) {
            auto reply = reader_->next();
            if (!reply) co_return reply.error().message;
            if (!*reply) break;
            if (awaiting_.empty()) co_return std::string("reply without a request");
            auto pending = std::move(awaiting_.front());
            awaiting_.pop_front();
            pending->finish(std::move(**reply));  // a no-op if it already timed out
        }
    }
}

net::awaitable<void> Connection::write_loop(std::shared_ptr<Connection> self, std::uint64_t session) {
    std::vector<std::shared_ptr<Pending>> batch;
    std::vector<net::const_buffer> buffers;
    while (self->link_up_ && self->session_ == session) {
        if (self->queued_.empty()) {
            self->wake_.expires_at(net::steady_timer::time_point::max());
            error_code ec;
            co_await self->wake_.async_wait(net::redirect_error(use_awaitable, ec));
            continue;
        }
        batch.clear();
        buffers.clear();
        size_t bytes = 0;
        while (!self->queued_.empty() && batch.size() < kMaxBatchCommands && bytes < kMaxBatchBytes) {
            auto pending = std::move(self->queued_.front());
            self->queued_.pop_front();
            if (pending->done) continue;  // timed out before it was sent: never send it
            bytes += pending->wire.size();
            buffers.push_back(net::buffer(pending->wire));
            self->awaiting_.push_back(pending);  // before writing: the reply may be read before the write ends
            batch.push_back(std::move(pending));
        }
        if (batch.empty()) continue;
        error_code ec;
        co_await net::async_write(*self->stream_, buffers, net::redirect_error(use_awaitable, ec));
        if (ec) {
            if (self->session_ == session && self->link_up_) {
                self->write_error_ = "write failed: " + ec.message();
                self->stream_->close();  // the read loop ends and reports the loss
            }
            break;
        }
        for (auto& pending : batch) std::string().swap(pending->wire);
    }
    self->writer_running_ = false;
    self->writer_done_.cancel();
}

void Connection::enqueue(std::shared_ptr<Pending> pending, std::chrono::milliseconds timeout) {
    if (!link_up_) {
        pending->finish(unavailable(stopped_ ? std::string("stopped") : down_reason()));
        return;
    }
    pending->deadline.emplace(strand_, timeout);
    pending->deadline->async_wait([pending, timeout](error_code ec) {
        if (!ec) pending->finish(unavailable("no reply within " + std::to_string(timeout.count()) + " ms"));
    });
    queued_.push_back(std::move(pending));
    wake_.cancel();
}

void Connection::end_session(const std::string& reason) {
    link_up_ = false;
    connected_ = false;
    set_down_reason(stopped_ ? std::string("stopped") : "connection lost (" + reason + ")");
    if (stream_) stream_->close();
    wake_.cancel();
    fail_all(stopped_ ? std::string("stopped") : "connection lost (" + reason + ")");
}

void Connection::fail_all(const std::string& reason) {
    auto queued = std::move(queued_);
    auto awaiting = std::move(awaiting_);
    queued_.clear();
    awaiting_.clear();
    for (auto& pending : awaiting) pending->finish(unavailable(reason));
    for (auto& pending : queued) pending->finish(unavailable(reason));
}

void Connection::shut_down() {
    retry_.cancel();
    resolver_.cancel();
    if (stream_) stream_->close();  // ends a connect, handshake or read in progress
    wake_.cancel();
    link_up_ = false;
    fail_all("stopped");
}

void Connection::set_down_reason(std::string reason) {
    std::lock_guard lock(down_reason_mutex_);
    down_reason_ = std::move(reason);
}

std::string Connection::down_reason() const {
    std::lock_guard lock(down_reason_mutex_);
    return down_reason_;
}

}  // namespace redred::state::redis
