#include "state/redis/redis_screen_state.hpp"

#include <cstdlib>

#include <charconv>

#include "core/log.hpp"
#include "state/redis/keys.hpp"

namespace redred::state::redis {
namespace {

// KEYS: state, stop_requested, capturer. Every script keeps this invariant: a stream is live only while
// `active` is "true" AND the capturer key exists; a live-looking hash without it is an orphan and is ended.

// ARGV: task_id, host, port, fps, quality, capturer value ("" if none), lease_ms, pending_ms
// -> {1, started_at} | {0, active task_id}
constexpr const char* kStartScript = R"lua(
if redis.call('HGET', KEYS[1], 'active') == 'true' then
  if redis.call('EXISTS', KEYS[3]) == 1 then return {0, redis.call('HGET', KEYS[1], 'task_id') or ''} end
  redis.call('HSET', KEYS[1], 'active', 'false')
end
local t = redis.call('TIME')
local started = string.format('%d.%03d', tonumber(t[1]), math.floor(tonumber(t[2]) / 1000))
redis.call('HSET', KEYS[1], 'active', 'true', 'task_id', ARGV[1], 'host', ARGV[2], 'port', ARGV[3],
           'fps', ARGV[4], 'quality', ARGV[5], 'started_at', started)
redis.call('DEL', KEYS[2])
if ARGV[6] ~= '' then
  redis.call('SET', KEYS[3], ARGV[6], 'PX', ARGV[7])
else
  redis.call('SET', KEYS[3], 'pending', 'PX', ARGV[8])
end
return {1, started}
)lua";

// -> {1, hash} | {0, hash}
constexpr const char* kStopScript = R"lua(
if redis.call('HGET', KEYS[1], 'active') ~= 'true' then return {0, redis.call('HGETALL', KEYS[1])} end
local live = redis.call('EXISTS', KEYS[3]) == 1
redis.call('HSET', KEYS[1], 'active', 'false')
redis.call('DEL', KEYS[3])
if not live then return {0, redis.call('HGETALL', KEYS[1])} end
redis.call('SET', KEYS[2], 'true', 'EX', 60)
return {1, redis.call('HGETALL', KEYS[1])}
)lua";

// ARGV: instance id ("" = cannot capture), lease_ms, host, port -> {claimed 0|1, hash}
constexpr const char* kSyncScript = R"lua(
local claimed = 0
if redis.call('HGET', KEYS[1], 'active') == 'true' then
  local owner = redis.call('GET', KEYS[3])
  if not owner then
    redis.call('HSET', KEYS[1], 'active', 'false')
  elseif owner == 'pending' and ARGV[1] ~= '' then
    local task = redis.call('HGET', KEYS[1], 'task_id') or ''
    redis.call('SET', KEYS[3], ARGV[1] .. ' ' .. task, 'PX', ARGV[2])
    redis.call('HSET', KEYS[1], 'host', ARGV[3], 'port', ARGV[4])
    claimed = 1
  end
end
return {claimed, redis.call('HGETALL', KEYS[1])}
)lua";

// ARGV: capturer value, lease_ms -> 'keep' | 'stop' | 'lost'
constexpr const char* kRenewScript = R"lua(
if redis.call('GET', KEYS[3]) ~= ARGV[1] then return 'lost' end
if redis.call('HGET', KEYS[1], 'active') ~= 'true' then
  redis.call('DEL', KEYS[3])
  return 'lost'
end
if redis.call('GET', KEYS[2]) == 'true' then
  redis.call('HSET', KEYS[1], 'active', 'false')
  redis.call('DEL', KEYS[3], KEYS[2])
  return 'stop'
end
redis.call('PEXPIRE', KEYS[3], ARGV[2])
return 'keep'
)lua";

// ARGV: capturer value -> 1 released | 0 not the owner
constexpr const char* kReleaseScript = R"lua(
if redis.call('GET', KEYS[3]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[3])
redis.call('HSET', KEYS[1], 'active', 'false')
return 1
)lua";

template <class Number>
Number to_number(const std::string& text, Number fallback = 0) {
    Number value = fallback;
    std::from_chars(text.data(), text.data() + text.size(), value);
    return value;
}

std::string capturer_value(const std::string& instance, const std::string& task_id) { return instance + " " + task_id; }

Error unexpected(const Reply& reply) {
    if (reply.is_error()) return make_error(Errc::Unavailable, "redis error: " + reply.str);
    return make_error(Errc::Internal, "unexpected reply from redis");
}

}  // namespace

StreamRecord record_from_hash(const Reply& hash) {
    StreamRecord r;
    for (std::size_t i = 0; i + 1 < hash.elements.size(); i += 2) {
        const std::string& field = hash.elements[i].str;
        const std::string& value = hash.elements[i + 1].str;
        if (field == "active") r.active = value == "true";
        else if (field == "task_id") r.task_id = value;
        else if (field == "host") r.host = value;
        else if (field == "port") r.port = to_number<int>(value);
        else if (field == "fps") r.fps = to_number<int>(value);
        else if (field == "quality") r.quality = to_number<int>(value);
        else if (field == "started_at") r.started_at = to_number<double>(value);
    }
    return r;
}

RedisScreenState::RedisScreenState(net::any_io_executor executor, Endpoint endpoint, std::string instance_id,
                                   RedisScreenStateOptions options)
    : executor_(std::move(executor)),
      endpoint_(std::move(endpoint)),
      instance_id_(std::move(instance_id)),
      options_(options),
      connection_(Connection::create(executor_, endpoint_, "state")) {
    connection_->start();
}

RedisScreenState::~RedisScreenState() { close(); }

void RedisScreenState::close() {
    if (subscriber_) subscriber_->stop();
    connection_->stop();
}

net::awaitable<Result<Reply>> RedisScreenState::eval(const char* script, std::vector<std::string> args) {
    std::vector<std::string> command{"EVAL", script, "3", keys::kStreamingState, keys::kStreamingStopRequested,
                                     keys::kScreenCapturer};
    for (auto& a : args) command.push_back(std::move(a));
    auto reply = co_await connection_->command(std::move(command));
    if (reply && reply->is_error()) co_return unexpected(*reply);
    co_return reply;
}

net::awaitable<Result<StreamRecord>> RedisScreenState::start(StreamRecord wanted, std::string capturer) {
    // Arguments are built before co_await: GCC 12 double-destroys temporaries of a conditional inside co_await.
    std::string owner;
    if (!capturer.empty()) owner = capturer_value(capturer, wanted.task_id);
    auto args = cmd(wanted.task_id, wanted.host, wanted.port, wanted.fps, wanted.quality, std::move(owner),
                    options_.lease_ms, options_.pending_claim_ms);
    auto reply = co_await eval(kStartScript, std::move(args));
    if (!reply) co_return reply.error();
    if (reply->elements.size() != 2) co_return unexpected(*reply);
    if (reply->elements[0].integer == 0)
        co_return make_error(Errc::Conflict, "a stream is already active (task_id " + reply->elements[1].str + ")");
    wanted.active = true;
    wanted.started_at = to_number<double>(reply->elements[1].str);
    co_return wanted;
}

net::awaitable<Result<StreamRecord>> RedisScreenState::stop() {
    auto reply = co_await eval(kStopScript, std::vector<std::string>());
    if (!reply) co_return reply.error();
    if (reply->elements.size() != 2) co_return unexpected(*reply);
    if (reply->elements[0].integer == 0) co_return make_error(Errc::Conflict, "no stream is active");
    co_return record_from_hash(reply->elements[1]);
}

net::awaitable<Result<SyncResult>> RedisScreenState::sync(std::string capturer) {
    auto args = cmd(std::move(capturer), options_.lease_ms, options_.host, options_.port);
    auto reply = co_await eval(kSyncScript, std::move(args));
    if (!reply) co_return reply.error();
    if (reply->elements.size() != 2) co_return unexpected(*reply);
    co_return SyncResult{record_from_hash(reply->elements[1]), reply->elements[0].integer == 1};
}

net::awaitable<Result<LeaseOutcome>> RedisScreenState::renew(std::string capturer, std::string task_id) {
    auto args = cmd(capturer_value(capturer, task_id), options_.lease_ms);
    auto reply = co_await eval(kRenewScript, std::move(args));
    if (!reply) co_return reply.error();
    if (reply->str == "keep") co_return LeaseOutcome::Keep;
    if (reply->str == "stop") co_return LeaseOutcome::StopRequested;
    co_return LeaseOutcome::Lost;
}

net::awaitable<Result<bool>> RedisScreenState::release(std::string capturer, std::string task_id) {
    auto args = cmd(capturer_value(capturer, task_id));
    auto reply = co_await eval(kReleaseScript, std::move(args));
    if (!reply) co_return reply.error();
    co_return reply->integer == 1;
}

void RedisScreenState::watch(FrameHandler on_frame, ChangeHandler on_change, LinkHandler on_link) {
    auto on_message = [on_frame = std::move(on_frame), on_change = std::move(on_change)](const std::string& channel,
                                                                                         std::string payload) {
        if (channel == keys::kScreenChanges) {
            on_change();
            return;
        }
        // "<capturer> <task_id> <seq>\n<jpeg>"; instances of older versions send no seq.
        const auto newline = payload.find('\n');
        if (newline == std::string::npos) return;
        const auto space = payload.find(' ');
        if (space == std::string::npos || space > newline) return;
        std::string capturer = payload.substr(0, space);
        std::string task_id = payload.substr(space + 1, newline - space - 1);
        std::uint64_t seq = 0;
        if (const auto seq_at = task_id.find(' '); seq_at != std::string::npos) {
            seq = std::strtoull(task_id.c_str() + seq_at + 1, nullptr, 10);
            task_id.resize(seq_at);
        }
        payload.erase(0, newline + 1);
        on_frame(std::move(task_id), std::move(capturer), seq, std::move(payload));
    };
    subscriber_ = Subscriber::create(executor_, endpoint_, {keys::kScreenFrames, keys::kScreenChanges},
                                     std::move(on_message), std::move(on_link));
    subscriber_->start();
}

net::awaitable<void> RedisScreenState::publish(std::shared_ptr<Connection> connection, std::string channel,
                                               std::string payload, std::shared_ptr<std::atomic<bool>> in_flight) {
    auto args = cmd("PUBLISH", std::move(channel), std::move(payload));
    auto reply = co_await connection->command(std::move(args));
    (void)reply;  // best effort: a lost frame is replaced by the next one
    if (in_flight) in_flight->store(false);
}

net::awaitable<void> RedisScreenState::set_with_ttl(std::shared_ptr<Connection> connection, std::string key,
                                                    std::string value, int ttl_ms) {
    auto args = cmd("SET", std::move(key), std::move(value), "PX", ttl_ms);
    auto reply = co_await connection->command(std::move(args));
    (void)reply;  // best effort: the next tick writes it again
}

void RedisScreenState::publish_frame(const std::string& capturer, const std::string& task_id, std::uint64_t seq,
                                     std::string_view jpeg) {
    // At most one frame in flight to Redis: if Redis is slow, newer frames are skipped rather than queued.
    if (frame_in_flight_->exchange(true)) return;
    const std::string seq_text = std::to_string(seq);
    std::string payload;
    payload.reserve(capturer.size() + task_id.size() + seq_text.size() + 3 + jpeg.size());
    payload.append(capturer).append(" ").append(task_id).append(" ").append(seq_text).append("\n").append(jpeg);
    net::co_spawn(executor_, publish(connection_, keys::kScreenFrames, std::move(payload), frame_in_flight_),
                  net::detached);
}

void RedisScreenState::publish_change() {
    net::co_spawn(executor_, publish(connection_, keys::kScreenChanges, "change", nullptr), net::detached);
}

void RedisScreenState::announce(const nlohmann::json& instance) {
    auto id = instance.value("id", instance_id_);
    net::co_spawn(executor_, set_with_ttl(connection_, keys::instance(id), instance.dump(), 3000), net::detached);
}

}  // namespace redred::state::redis
