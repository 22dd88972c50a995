#include "state/redis/redis_protocol.hpp"

#include <hiredis/hiredis.h>
#include <spdlog/spdlog.h>

#include "core/log.hpp"

#include <stdexcept>

namespace redred::state::redis {
namespace {

Reply convert(const redisReply& raw) {
    Reply reply;
    switch (raw.type) {
        case REDIS_REPLY_STATUS:
            reply.type = Reply::Type::Status;
            reply.str.assign(raw.str, raw.len);
            break;
        case REDIS_REPLY_ERROR:
            reply.type = Reply::Type::Error;
            reply.str.assign(raw.str, raw.len);
            break;
        case REDIS_REPLY_STRING:
            reply.type = Reply::Type::String;
            reply.str.assign(raw.str, raw.len);
            break;
        case REDIS_REPLY_INTEGER:
            reply.type = Reply::Type::Integer;
            reply.integer = raw.integer;
            break;
        case REDIS_REPLY_ARRAY:
            reply.type = Reply::Type::Array;
            reply.elements.reserve(raw.elements);
            for (size_t i = 0; i < raw.elements; ++i) reply.elements.push_back(convert(*raw.element[i]));
            break;
        default:
            reply.type = Reply::Type::Nil;
            break;
    }
    return reply;
}

std::string describe(const error_code& ec, std::chrono::milliseconds timeout) {
    if (ec == beast::error::timeout) return "timed out after " + std::to_string(timeout.count()) + " ms";
    return ec.message();
}

}  // namespace

std::string format_command(const std::vector<std::string>& args) {
    if (args.empty()) throw std::invalid_argument("redis command needs at least a name");
    std::vector<const char*> argv;
    std::vector<size_t> argv_len;
    argv.reserve(args.size());
    argv_len.reserve(args.size());
    for (const auto& arg : args) {
        argv.push_back(arg.data());
        argv_len.push_back(arg.size());
    }
    char* formatted = nullptr;
    int length = redisFormatCommandArgv(&formatted, static_cast<int>(args.size()), argv.data(), argv_len.data());
    if (length < 0 || formatted == nullptr) throw std::bad_alloc();
    std::string wire(formatted, static_cast<size_t>(length));
    redisFreeCommand(formatted);
    return wire;
}

struct ReplyReader::Impl {
    redisReader* reader = nullptr;
};

ReplyReader::ReplyReader() : impl_(std::make_unique<Impl>()) {
    impl_->reader = redisReaderCreate();
    if (impl_->reader == nullptr) throw std::bad_alloc();
}

ReplyReader::~ReplyReader() {
    redisReaderFree(impl_->reader);
}

bool ReplyReader::feed(std::string_view bytes) {
    return redisReaderFeed(impl_->reader, bytes.data(), bytes.size()) == REDIS_OK;
}

Result<std::optional<Reply>> ReplyReader::next() {
    void* raw = nullptr;
    if (redisReaderGetReply(impl_->reader, &raw) != REDIS_OK) {
        return make_error(Errc::Internal, std::string("redis protocol error: ") + impl_->reader->errstr);
    }
    if (raw == nullptr) return std::optional<Reply>();
    std::unique_ptr<redisReply, void (*)(void*)> owned(static_cast<redisReply*>(raw), freeReplyObject);
    return std::optional<Reply>(convert(*owned));
}

Error unavailable(std::string_view reason) {
    return make_error(Errc::Unavailable, "redis unavailable: " + std::string(reason));
}

net::awaitable<Result<Ok>> open_connection(beast::tcp_stream& stream, tcp::resolver& resolver, ReplyReader& reader,
                                           const Endpoint& endpoint, std::chrono::milliseconds timeout) {
    const std::string label = endpoint_label(endpoint);
    error_code ec;
    auto targets = co_await resolver.async_resolve(endpoint.host, std::to_string(endpoint.port),
                                                   net::redirect_error(use_awaitable, ec));
    if (ec) co_return unavailable("cannot resolve " + endpoint.host + ": " + ec.message());

    stream.expires_after(timeout);
    co_await stream.async_connect(targets, net::redirect_error(use_awaitable, ec));
    if (ec) co_return unavailable("cannot connect to " + label + ": " + describe(ec, timeout));
    // Replies are small and latency matters more than packet count; we coalesce writes ourselves.
    stream.socket().set_option(tcp::no_delay(true), ec);
    stream.socket().set_option(net::socket_base::keep_alive(true), ec);

    std::vector<std::vector<std::string>> handshake;
    if (!endpoint.password.empty()) {
        if (endpoint.username.empty()) {
            handshake.push_back({"AUTH", endpoint.password});
        } else {
            handshake.push_back({"AUTH", endpoint.username, endpoint.password});
        }
    }
    if (endpoint.db != 0) handshake.push_back({"SELECT", std::to_string(endpoint.db)});

    if (!handshake.empty()) {
        std::string wire;
        for (const auto& command : handshake) wire += format_command(command);
        co_await net::async_write(stream, net::buffer(wire), net::redirect_error(use_awaitable, ec));
        if (ec) co_return unavailable("handshake with " + label + " failed: " + describe(ec, timeout));

        std::vector<char> buffer(4096);
        size_t answered = 0;
        while (answered < handshake.size()) {
            auto reply = reader.next();
            if (!reply) co_return unavailable(reply.error().message);
            if (*reply) {
                // Error texts such as WRONGPASS never contain the password itself.
                if ((*reply)->is_error()) {
                    co_return unavailable(handshake[answered][0] + " on " + label + " failed: " + (*reply)->str);
                }
                ++answered;
                continue;
            }
            size_t n = co_await stream.async_read_some(net::buffer(buffer), net::redirect_error(use_awaitable, ec));
            if (ec) co_return unavailable("handshake with " + label + " failed: " + describe(ec, timeout));
            reader.feed(std::string_view(buffer.data(), n));
        }
    }
    stream.expires_never();
    co_return Ok{};
}

std::shared_ptr<spdlog::logger> state_logger() {
    return log::get("state");
}

std::function<void(std::exception_ptr)> log_if_thrown(std::string what) {
    return [what = std::move(what)](std::exception_ptr error) {
        if (!error) return;
        try {
            std::rethrow_exception(error);
        } catch (const std::exception& e) {
            state_logger()->error("{} crashed error={}", what, e.what());
        } catch (...) {
            state_logger()->error("{} crashed error=unknown", what);
        }
    };
}

}  // namespace redred::state::redis
