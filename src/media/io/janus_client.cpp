#include "media/io/janus_client.hpp"

#include "core/log.hpp"
#include "core/pending_call.hpp"

namespace redred::media {
namespace {

constexpr auto kConnectTimeout = std::chrono::milliseconds(3000);
constexpr auto kFirstBackoff = std::chrono::milliseconds(250);
constexpr auto kMaxBackoff = std::chrono::milliseconds(5000);

auto logger() {
    return log::get("media");
}

std::function<void(std::exception_ptr)> log_if_thrown(const char* what) {
    return [what](std::exception_ptr e) {
        if (!e) return;
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& ex) {
            logger()->error("{} failed error={}", what, ex.what());
        }
    };
}

Error unavailable(const std::string& why) {
    return make_error(Errc::Unavailable, "media server unavailable: " + why);
}

}  // namespace

// One request in flight. Created by request() on the caller's thread, then touched only on the strand.
struct JanusClient::Pending : PendingCall<Result<janus::Incoming>> {
    Json body;
    bool ack_answers = false;
    std::uint64_t generation = 0;  // 0: not tied to a session (create, info)
    std::string transaction;
};

std::shared_ptr<JanusClient> JanusClient::create(net::any_io_executor executor, JanusOptions options,
                                                 Metrics& metrics) {
    return std::shared_ptr<JanusClient>(new JanusClient(std::move(executor), std::move(options), metrics));
}

JanusClient::JanusClient(net::any_io_executor executor, JanusOptions options, Metrics& metrics)
    : strand_(net::make_strand(executor)),
      options_(std::move(options)),
      metrics_(metrics),
      wake_(strand_),
      retry_(strand_) {
    if (auto url = janus::parse_ws_url(options_.url)) url_ = *url;
}

JanusClient::~JanusClient() = default;

void JanusClient::on_state_change(StateHandler handler) {
    state_handlers_.push_back(std::move(handler));
}

void JanusClient::start() {
    if (started_.exchange(true)) return;
    net::co_spawn(strand_, run(shared_from_this()), log_if_thrown("janus connection loop"));
}

void JanusClient::stop() {
    if (stopped_.exchange(true)) return;
    net::post(strand_, [self = shared_from_this()] {
        self->retry_.cancel();
        self->lose_link("stopped");
    });
}

std::string JanusClient::status() const {
    std::lock_guard lock(info_mutex_);
    return status_;
}

std::string JanusClient::server_version() const {
    std::lock_guard lock(info_mutex_);
    return version_;
}

std::vector<std::string> JanusClient::plugins() const {
    std::lock_guard lock(info_mutex_);
    return plugins_;
}

void JanusClient::set_status(std::string text) {
    std::lock_guard lock(info_mutex_);
    status_ = std::move(text);
}

net::awaitable<void> JanusClient::run(std::shared_ptr<JanusClient> self) {
    auto backoff = kFirstBackoff;
    int failures = 0;
    while (!self->stopped_) {
        const auto began = std::chrono::steady_clock::now();
        std::string reason = co_await self->serve_link();
        const bool was_up = self->up_.exchange(false);
        self->lose_link(reason);
        if (was_up) {
            self->metrics_.media_server_up.sub();
            logger()->warn("media server connection lost url={} reason={}", self->options_.url, reason);
            for (auto& handler : self->state_handlers_) handler(false);
        } else if (failures++ == 0) {
            logger()->warn("media server unreachable url={} reason={} retrying=yes", self->options_.url, reason);
        }
        self->set_status(reason);
        if (self->stopped_) break;
        if (std::chrono::steady_clock::now() - began > std::chrono::seconds(10)) backoff = kFirstBackoff;
        self->retry_.expires_after(backoff);
        error_code ec;
        co_await self->retry_.async_wait(net::redirect_error(use_awaitable, ec));
        backoff = std::min(backoff * 2, kMaxBackoff);
        if (was_up) failures = 0;
    }
    logger()->info("media server client stopped");
}

net::awaitable<std::string> JanusClient::serve_link() {
    if (url_.host.empty()) co_return std::string("bad --janus-url");
    const std::uint64_t link = ++link_;
    socket_ = std::make_shared<Socket>(strand_);
    auto& socket = *socket_;
    tcp::resolver resolver(strand_);
    error_code ec;
    auto endpoints = co_await resolver.async_resolve(url_.host, url_.port, net::redirect_error(use_awaitable, ec));
    if (ec) co_return "cannot resolve " + url_.host + ": " + ec.message();
    beast::get_lowest_layer(socket).expires_after(kConnectTimeout);
    co_await beast::get_lowest_layer(socket).async_connect(endpoints, net::redirect_error(use_awaitable, ec));
    if (ec) co_return "connect: " + ec.message();
    socket.set_option(websocket::stream_base::decorator(
        [](websocket::request_type& req) { req.set(http::field::sec_websocket_protocol, "janus-protocol"); }));
    const std::string host = url_.host + ":" + url_.port;  // named: see STYLE §3 (GCC 12, prvalues in co_await)
    co_await socket.async_handshake(host, url_.path, net::redirect_error(use_awaitable, ec));
    if (ec) co_return "websocket handshake: " + ec.message();
    beast::get_lowest_layer(socket).expires_never();
    socket.read_message_max(4 * 1024 * 1024);
    if (stopped_) co_return std::string("stopped");

    // The writer runs from here; info and create go through the ordinary request path.
    net::co_spawn(strand_, write_loop(shared_from_this(), link), log_if_thrown("janus writer"));
    struct Reader {
        static net::awaitable<std::string> run(std::shared_ptr<JanusClient> self, std::uint64_t link) {
            auto socket = self->socket_;
            beast::flat_buffer buffer;
            while (self->link_ == link) {
                error_code ec;
                co_await socket->async_read(buffer, net::redirect_error(use_awaitable, ec));
                if (ec) co_return ec == websocket::error::closed ? std::string("closed by janus") : ec.message();
                const auto text = beast::buffers_to_string(buffer.data());
                buffer.consume(buffer.size());
                auto in = janus::parse_incoming(text);
                if (!in) {
                    logger()->warn("media server sent a bad message error={}", in.error().message);
                    continue;
                }
                self->dispatch(std::move(*in));
            }
            co_return std::string("replaced");
        }
    };
    // Reading must run while we wait for info/create below: run it concurrently and join on its result.
    auto reader_done = std::make_shared<std::optional<std::string>>();
    auto reader_wake = std::make_shared<net::steady_timer>(strand_, net::steady_timer::time_point::max());
    net::co_spawn(strand_, Reader::run(shared_from_this(), link),
                  [reader_done, reader_wake](std::exception_ptr e, std::string why) {
                      *reader_done = e ? std::string("reader failed") : why;
                      reader_wake->cancel();
                  });

    auto info = co_await request(janus::info_request(), false, 0);
    if (info && info->kind == janus::Kind::ServerInfo) {
        std::vector<std::string> plugins;
        if (auto p = info->raw.find("plugins"); p != info->raw.end() && p->is_object())
            for (auto it = p->begin(); it != p->end(); ++it) plugins.push_back(it.key());
        std::lock_guard lock(info_mutex_);
        version_ = info->raw.value("version_string", std::string());
        plugins_ = std::move(plugins);
    }
    auto created = co_await request(janus::create_session_request(), false, 0);
    if (created && !janus::reply_error(*created) && created->data.is_object() && created->data.contains("id")) {
        session_ = created->data["id"].get<janus::SessionId>();
        generation_.fetch_add(1);
        up_ = true;
        metrics_.media_server_up.add();
        metrics_.media_server_sessions.add();
        set_status("up");
        logger()->info("media server connected url={} version={} session={}", options_.url, server_version(), session_);
        net::co_spawn(strand_, keepalive_loop(shared_from_this(), link), log_if_thrown("janus keepalive"));
        for (auto& handler : state_handlers_) handler(true);
    } else {
        std::string why = created ? (janus::reply_error(*created) ? janus::reply_error(*created)->message
                                                                  : std::string("no session id"))
                                  : created.error().message;
        if (socket_ && link_ == link) socket_->next_layer().close();
        while (!reader_done->has_value()) {
            error_code wait_ec;
            co_await reader_wake->async_wait(net::redirect_error(use_awaitable, wait_ec));
        }
        co_return "cannot create a session: " + why;
    }
    while (!reader_done->has_value()) {
        error_code wait_ec;
        co_await reader_wake->async_wait(net::redirect_error(use_awaitable, wait_ec));
    }
    co_return **reader_done;
}

net::awaitable<void> JanusClient::write_loop(std::shared_ptr<JanusClient> self, std::uint64_t link) {
    auto socket = self->socket_;
    while (self->link_ == link && !self->stopped_) {
        if (self->queued_.empty()) {
            self->wake_.expires_at(net::steady_timer::time_point::max());
            error_code ec;
            co_await self->wake_.async_wait(net::redirect_error(use_awaitable, ec));
            continue;
        }
        std::string text = std::move(self->queued_.front());
        self->queued_.pop_front();
        error_code ec;
        co_await socket->async_write(net::buffer(text), net::redirect_error(use_awaitable, ec));
        if (ec) {
            socket->next_layer().close();  // the reader ends and reports the loss
            co_return;
        }
    }
}

net::awaitable<void> JanusClient::keepalive_loop(std::shared_ptr<JanusClient> self, std::uint64_t link) {
    net::steady_timer timer(self->strand_);
    const auto generation = self->generation_.load();
    while (self->link_ == link && self->up_) {
        timer.expires_after(self->options_.keepalive);
        error_code ec;
        co_await timer.async_wait(net::redirect_error(use_awaitable, ec));
        if (self->link_ != link || !self->up_) co_return;
        auto alive = co_await self->request(janus::keepalive_request(self->session_), true, generation);
        if (!alive || janus::reply_error(*alive)) {
            logger()->warn("media server keepalive failed error={}",
                           alive ? janus::reply_error(*alive)->message : alive.error().message);
            if (self->link_ == link && self->socket_) self->socket_->next_layer().close();
            co_return;
        }
    }
}

net::awaitable<Result<janus::Incoming>> JanusClient::request(Json body, bool ack_answers, std::uint64_t generation) {
    auto self = shared_from_this();
    auto pending = std::make_shared<Pending>();
    pending->body = std::move(body);
    pending->ack_answers = ack_answers;
    pending->generation = generation;
    // Named on purpose (GCC 12 and temporaries inside co_await, see STYLE §3).
    auto initiation = [self, pending](auto handler) {
        auto caller = net::prefer(net::get_associated_executor(handler), net::execution::outstanding_work.tracked);
        auto shared_handler = std::make_shared<decltype(handler)>(std::move(handler));
        pending->complete = [caller, shared_handler](Result<janus::Incoming> result) {
            net::post(caller, [shared_handler, result = std::move(result)]() mutable {
                (*shared_handler)(std::move(result));
            });
        };
        net::post(self->strand_, [self, pending] { self->enqueue(pending); });
    };
    pending.reset();
    auto result = co_await net::async_initiate<const net::use_awaitable_t<>&, void(Result<janus::Incoming>)>(
        std::move(initiation), net::use_awaitable);
    co_return std::move(result);
}

void JanusClient::enqueue(std::shared_ptr<Pending> pending) {
    if (stopped_ || !socket_) {
        pending->finish(unavailable(stopped_ ? "stopped" : status()));
        return;
    }
    if (pending->generation != 0 && (!up_ || pending->generation != generation_.load())) {
        pending->finish(unavailable(up_ ? "the media server restarted" : status()));
        return;
    }
    pending->transaction = std::to_string(next_transaction_++);
    pending->body["transaction"] = pending->transaction;
    if (!options_.api_secret.empty()) pending->body["apisecret"] = options_.api_secret;
    queued_.push_back(pending->body.dump());
    pending->body = nullptr;
    pending->deadline.emplace(strand_, options_.request_timeout);
    pending->deadline->async_wait([self = shared_from_this(), pending](error_code ec) {
        if (ec) return;
        self->pending_.erase(pending->transaction);
        pending->finish(unavailable("no answer within " + std::to_string(self->options_.request_timeout.count()) + " ms"));
    });
    pending_[pending->transaction] = pending;
    wake_.cancel();
}

void JanusClient::dispatch(janus::Incoming in) {
    if (!in.transaction.empty()) {
        auto it = pending_.find(in.transaction);
        if (it != pending_.end()) {
            auto pending = it->second;
            if (in.kind == janus::Kind::Ack && !pending->ack_answers) return;  // the event follows
            pending_.erase(it);
            pending->finish(std::move(in));
            return;
        }
    }
    if (in.kind == janus::Kind::Timeout) {
        logger()->warn("media server session timed out session={}", in.session);
        if (socket_) socket_->next_layer().close();
        return;
    }
    if (in.sender == 0) return;
    auto route = routes_.find(in.sender);
    if (route == routes_.end()) return;
    const bool gone = in.kind == janus::Kind::Detached;
    auto executor = route->second.executor;
    auto handler = route->second.handler;
    if (gone) routes_.erase(route);
    net::post(executor, [handler = std::move(handler), in = std::move(in)]() mutable { handler(std::move(in)); });
}

void JanusClient::lose_link(const std::string& reason) {
    ++link_;  // stale writer and keepalive loops end
    if (socket_) {
        error_code ignored;
        socket_->next_layer().socket().close(ignored);
    }
    wake_.cancel();
    queued_.clear();
    auto pending = std::move(pending_);
    pending_.clear();
    for (auto& [transaction, p] : pending) p->finish(unavailable(reason));
    routes_.clear();
    session_ = 0;
}

net::awaitable<Result<JanusClient::Handle>> JanusClient::attach(std::string plugin, net::any_io_executor events,
                                                                EventHandler on_event) {
    const auto generation = generation_.load();
    struct Attach {
        static net::awaitable<Result<Handle>> run(std::shared_ptr<JanusClient> self, std::string plugin,
                                                  std::uint64_t generation, net::any_io_executor events,
                                                  EventHandler on_event) {
            // On the strand: session_ is stable here.
            if (!self->up_ || self->generation_.load() != generation) co_return unavailable(self->status());
            auto body = janus::attach_request(self->session_, plugin);
            auto reply = co_await self->request(std::move(body), false, generation);
            if (!reply) co_return reply.error();
            if (auto error = janus::reply_error(*reply)) co_return *error;
            if (!reply->data.is_object() || !reply->data.contains("id"))
                co_return make_error(Errc::Unavailable, "media server: attach without a handle id");
            Handle handle{reply->data["id"].get<janus::HandleId>(), generation};
            if (self->generation_.load() != generation) co_return unavailable("the media server restarted");
            self->routes_[handle.id] = Route{std::move(events), std::move(on_event)};
            co_return handle;
        }
    };
    auto job = Attach::run(shared_from_this(), std::move(plugin), generation, std::move(events), std::move(on_event));
    co_return co_await net::co_spawn(strand_, std::move(job), use_awaitable);
}

net::awaitable<Result<janus::Incoming>> JanusClient::message(Handle handle, Json body, Json jsep) {
    struct Message {
        static net::awaitable<Result<janus::Incoming>> run(std::shared_ptr<JanusClient> self, Handle handle, Json body,
                                                           Json jsep) {
            if (!self->up_ || self->generation_.load() != handle.generation)
                co_return unavailable(self->up_ ? "the media server restarted" : self->status());
            auto envelope = janus::message_request(self->session_, handle.id, std::move(body), std::move(jsep));
            auto reply = co_await self->request(std::move(envelope), false, handle.generation);
            if (!reply) co_return reply.error();
            if (auto error = janus::reply_error(*reply)) co_return *error;
            co_return std::move(*reply);
        }
    };
    auto job = Message::run(shared_from_this(), handle, std::move(body), std::move(jsep));
    co_return co_await net::co_spawn(strand_, std::move(job), use_awaitable);
}

void JanusClient::trickle(Handle handle, Json candidate) {
    struct Trickle {
        static net::awaitable<void> run(std::shared_ptr<JanusClient> self, Handle handle, Json candidate) {
            if (!self->up_ || self->generation_.load() != handle.generation) co_return;
            auto envelope = janus::trickle_request(self->session_, handle.id, candidate);
            auto reply = co_await self->request(std::move(envelope), true, handle.generation);
            if (!reply) logger()->debug("trickle not delivered handle={} error={}", handle.id, reply.error().message);
        }
    };
    net::co_spawn(strand_, Trickle::run(shared_from_this(), handle, std::move(candidate)), log_if_thrown("janus trickle"));
}

void JanusClient::detach(Handle handle) {
    if (!handle) return;
    struct Detach {
        static net::awaitable<void> run(std::shared_ptr<JanusClient> self, Handle handle) {
            self->routes_.erase(handle.id);
            if (!self->up_ || self->generation_.load() != handle.generation) co_return;
            auto envelope = janus::detach_request(self->session_, handle.id);
            auto reply = co_await self->request(std::move(envelope), false, handle.generation);
            if (!reply) logger()->debug("detach not acknowledged handle={} error={}", handle.id, reply.error().message);
        }
    };
    net::co_spawn(strand_, Detach::run(shared_from_this(), handle), log_if_thrown("janus detach"));
}

}  // namespace redred::media
