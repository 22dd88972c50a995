#include "state/redis/live_bus.hpp"

#include <charconv>

#include "core/log.hpp"

namespace redred::state::redis {
namespace {

auto logger() {
    return log::get("cluster");
}

std::string presence_key(std::int64_t stream) {
    return "redred:live:presence:" + std::to_string(stream);
}
std::string instance_key(std::uint32_t tag) {
    return "redred:live:instance:" + std::to_string(tag);
}
constexpr const char* kInstancePrefix = "redred:live:instance:";
constexpr const char* kStreamerLeftField = "streamer_left";

std::int64_t unix_ms_now() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

template <class Number>
std::optional<Number> parse_number(const std::string& text) {
    Number value{};
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

// Connection ids are (tag << 32) | counter, below 2^53 so Lua's doubles hold them exactly.
// KEYS: channel, presence hash. ARGV: payload, op (''|add|remove|remove_streamer), field, value, now_ms.
constexpr const char* kPublishScript = R"lua(
local op = ARGV[2]
if op == 'add' then
  redis.call('HSET', KEYS[2], ARGV[3], ARGV[4])
  redis.call('EXPIRE', KEYS[2], 172800)
elseif op == 'remove' then
  redis.call('HDEL', KEYS[2], ARGV[3])
elseif op == 'remove_streamer' then
  redis.call('HDEL', KEYS[2], ARGV[3])
  redis.call('HSET', KEYS[2], 'streamer_left', ARGV[5])
end
return redis.call('PUBLISH', KEYS[1], ARGV[1])
)lua";

// KEYS: presence hash. ARGV: instance key prefix. -> flat field/value list of live processes' entries; entries
// of processes without a heartbeat are deleted on the way. A streamer among them left now: unless a streamer is
// still connected elsewhere, streamer_left becomes now (Redis's clock), so the publisher grace counts from here.
constexpr const char* kPresenceScript = R"lua(
local all = redis.call('HGETALL', KEYS[1])
local alive, out, dead = {}, {}, {}
local left, streamer_alive, streamer_dead = nil, false, false
for i = 1, #all, 2 do
  local field = all[i]
  if field == 'streamer_left' then
    left = all[i + 1]
  else
    local tag = string.format('%d', math.floor(tonumber(field) / 4294967296))
    if alive[tag] == nil then alive[tag] = redis.call('EXISTS', ARGV[1] .. tag) == 1 end
    local is_streamer = string.find(all[i + 1], '"r":"streamer"', 1, true) ~= nil
    if alive[tag] then
      out[#out + 1] = field; out[#out + 1] = all[i + 1]
      if is_streamer then streamer_alive = true end
    else
      dead[#dead + 1] = field
      if is_streamer then streamer_dead = true end
    end
  end
end
for i = 1, #dead, 500 do redis.call('HDEL', KEYS[1], unpack(dead, i, math.min(i + 499, #dead))) end
if streamer_dead and not streamer_alive then
  local t = redis.call('TIME')
  left = string.format('%d', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
  redis.call('HSET', KEYS[1], 'streamer_left', left)
end
if left then out[#out + 1] = 'streamer_left'; out[#out + 1] = left end
return out
)lua";

// KEYS: presence hash. ARGV: tag, then field/value pairs. This process's entries become exactly those given.
constexpr const char* kRestoreScript = R"lua(
local mine = {}
for _, field in ipairs(redis.call('HKEYS', KEYS[1])) do
  if field ~= 'streamer_left' and string.format('%d', math.floor(tonumber(field) / 4294967296)) == ARGV[1] then
    mine[#mine + 1] = field
  end
end
for i = 1, #mine, 500 do redis.call('HDEL', KEYS[1], unpack(mine, i, math.min(i + 499, #mine))) end
for i = 2, #ARGV, 1000 do redis.call('HSET', KEYS[1], unpack(ARGV, i, math.min(i + 999, #ARGV))) end
if #ARGV > 1 then redis.call('EXPIRE', KEYS[1], 172800) end
return #mine
)lua";

// KEYS: bucket. ARGV: burst, tokens per second. Redis's clock, so every process sees the same bucket.
// -> -1 allowed | milliseconds to wait.
constexpr const char* kChatTokenScript = R"lua(
local burst, rate = tonumber(ARGV[1]), tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens, at = tonumber(state[1]) or burst, tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate / 1000)
if tokens < 1 then return math.ceil((1 - tokens) * 1000 / rate) end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens - 1), 'at', now)
redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 1000)
return -1
)lua";

// KEYS: lock. ARGV: holder, ttl_ms. -> 1 held by ARGV[1] (taken or renewed) | 0 held by another.
constexpr const char* kHoldLockScript = R"lua(
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if holder then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
)lua";

std::vector<std::string> eval_args(const char* script, std::initializer_list<std::string> keys) {
    std::vector<std::string> args{"EVAL", script, std::to_string(keys.size())};
    args.insert(args.end(), keys.begin(), keys.end());
    return args;
}

}  // namespace

std::shared_ptr<LiveBus> LiveBus::create(net::any_io_executor executor, Endpoint endpoint, LiveBusOptions options,
                                         Metrics& metrics) {
    return std::shared_ptr<LiveBus>(new LiveBus(std::move(executor), std::move(endpoint), std::move(options), metrics));
}

LiveBus::LiveBus(net::any_io_executor executor, Endpoint endpoint, LiveBusOptions options, Metrics& metrics)
    : executor_(executor),
      endpoint_(std::move(endpoint)),
      channel_(channel_for(endpoint_.db)),
      options_(std::move(options)),
      metrics_(metrics),
      connection_(Connection::create(executor, endpoint_, "live-bus")),
      heartbeat_timer_(net::make_strand(executor)) {}

LiveBus::~LiveBus() = default;

std::string LiveBus::channel_for(int db) {
    return db == 0 ? std::string("redred:live:events") : "redred:live:events:" + std::to_string(db);
}

void LiveBus::start(LiveBusHandlers handlers) {
    handlers_ = std::move(handlers);
    connection_->start();
    // The subscriber is ours: its callbacks hold us weakly, or the two would keep each other alive forever.
    std::weak_ptr<LiveBus> weak = weak_from_this();
    subscriber_ = Subscriber::create(
        executor_, endpoint_, {channel_},
        [weak](const std::string& channel, std::string payload) {
            if (auto self = weak.lock()) self->on_message(channel, std::move(payload));
        },
        [weak](bool up) {
            if (auto self = weak.lock()) self->on_subscriber_link(up);
        });
    subscriber_->start();
    net::co_spawn(heartbeat_timer_.get_executor(), heartbeat_loop(shared_from_this()), net::detached);
}

net::awaitable<void> LiveBus::stop() {
    if (stopped_.exchange(true)) co_return;
    heartbeat_timer_.cancel();
    if (subscriber_) subscriber_->stop();
    auto del = cmd("DEL", instance_key(options_.tag));
    auto reply = co_await connection_->command(std::move(del), std::chrono::milliseconds(500));
    (void)reply;  // best effort: otherwise the key expires within the heartbeat TTL
    connection_->stop();
}

void LiveBus::on_message(const std::string&, std::string payload) {
    auto j = nlohmann::json::parse(payload, nullptr, false);
    if (!j.is_object() || !j.contains("s") || !j.contains("o") || !j.contains("q") || !j.contains("b")) {
        logger()->warn("malformed room event ignored bytes={}", payload.size());
        return;
    }
    metrics_.cluster_received.add();
    if (auto t = j.find("t"); t != j.end() && t->is_number_integer()) {
        const auto lag_ms = unix_ms_now() - t->get<std::int64_t>();
        metrics_.cluster_lag_seconds.observe_microseconds(static_cast<std::uint64_t>(std::max<std::int64_t>(0, lag_ms)) *
                                                          1000);
    }
    const auto origin = j["o"].get<std::uint32_t>();
    if (origin != options_.tag) watch_tag(origin);
    if (handlers_.on_event)
        handlers_.on_event(j["s"].get<std::int64_t>(), origin, j["q"].get<std::uint64_t>(), std::move(j["b"]));
}

void LiveBus::on_subscriber_link(bool up) {
    subscribed_.store(up);
    if (!up) {
        link_up_.store(false);
        metrics_.cluster_link_up.value.store(0);
        logger()->warn("cluster link lost: each process serves its own sockets until Redis is back");
        if (handlers_.on_link) handlers_.on_link(false);
        return;
    }
    {
        std::lock_guard lock(watched_mutex_);
        for (auto& [tag, missing] : watched_) missing.reset();  // their heartbeats may not be back yet
    }
    // Renew the heartbeat before the rooms restore their entries, so nobody takes them for a dead process's.
    auto resume = [](std::shared_ptr<LiveBus> self) -> net::awaitable<void> {
        // The command connection reconnects on its own schedule: wait for it (bounded), or the heartbeat and the
        // rooms' restores below would fail.
        net::steady_timer wait(co_await net::this_coro::executor);
        for (int i = 0; i < 100 && !self->connection_->connected() && self->subscribed_.load(); ++i) {
            wait.expires_after(std::chrono::milliseconds(50));
            co_await wait.async_wait(use_awaitable);
        }
        if (!self->subscribed_.load()) co_return;
        co_await self->heartbeat();
        // Up only once this process's heartbeat is in Redis: others keep its presence entries from then on.
        self->link_up_.store(true);
        self->metrics_.cluster_link_up.value.store(1);
        logger()->info("cluster link up tag={}", self->options_.tag);
        if (self->handlers_.on_link) self->handlers_.on_link(true);
    };
    net::co_spawn(heartbeat_timer_.get_executor(), resume(shared_from_this()), net::detached);
}

net::awaitable<bool> LiveBus::publish(std::int64_t stream, std::uint64_t seq, nlohmann::json body,
                                      PresenceOp op, std::uint64_t connection, std::string value) {
    nlohmann::json envelope{{"s", stream}, {"o", options_.tag}, {"q", seq}, {"t", unix_ms_now()}, {"b", std::move(body)}};
    std::string payload = envelope.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    Result<Reply> reply = make_error(Errc::Internal, "not sent");
    if (op == PresenceOp::None) {
        auto args = cmd("PUBLISH", channel_, std::move(payload));
        reply = co_await connection_->command(std::move(args));
    } else {
        const char* op_name = op == PresenceOp::Add ? "add" : op == PresenceOp::Remove ? "remove" : "remove_streamer";
        auto args = eval_args(kPublishScript, {channel_, presence_key(stream)});
        for (auto& a : cmd(std::move(payload), op_name, connection, std::move(value), unix_ms_now()))
            args.push_back(std::move(a));
        reply = co_await connection_->command(std::move(args));
    }
    if (!reply || reply->is_error()) {
        metrics_.cluster_publish_failed.add();
        co_return false;
    }
    metrics_.cluster_published.add();
    co_return true;
}

net::awaitable<Result<PresenceSnapshot>> LiveBus::presence(std::int64_t stream) {
    auto args = eval_args(kPresenceScript, {presence_key(stream)});
    args.push_back(kInstancePrefix);
    auto reply = co_await connection_->command(std::move(args));
    if (!reply) co_return reply.error();
    if (!reply->is_array()) co_return make_error(Errc::Unavailable, "redis error: " + reply->str);
    PresenceSnapshot snapshot;
    const auto& e = reply->elements;
    for (std::size_t i = 0; i + 1 < e.size(); i += 2) {
        if (e[i].str == kStreamerLeftField) {
            snapshot.streamer_left_ms = parse_number<std::int64_t>(e[i + 1].str);
        } else if (auto id = parse_number<std::uint64_t>(e[i].str)) {
            snapshot.entries.push_back({*id, e[i + 1].str});
            const auto tag = static_cast<std::uint32_t>(*id >> 32);
            if (tag != options_.tag) watch_tag(tag);
        }
    }
    co_return snapshot;
}

net::awaitable<bool> LiveBus::restore_presence(std::int64_t stream, std::vector<PresenceEntry> mine) {
    auto args = eval_args(kRestoreScript, {presence_key(stream)});
    args.push_back(std::to_string(options_.tag));
    for (auto& entry : mine) {
        args.push_back(std::to_string(entry.connection));
        args.push_back(std::move(entry.value));
    }
    auto reply = co_await connection_->command(std::move(args));
    co_return reply && !reply->is_error();
}

net::awaitable<bool> LiveBus::forget_connections(std::int64_t stream, std::vector<std::uint64_t> connections) {
    if (connections.empty()) co_return true;
    std::vector<std::string> args{"HDEL", presence_key(stream)};
    for (auto c : connections) args.push_back(std::to_string(c));
    auto reply = co_await connection_->command(std::move(args));
    co_return reply && !reply->is_error();
}

net::awaitable<Result<std::optional<std::chrono::milliseconds>>> LiveBus::take_chat_token(std::int64_t stream,
                                                                                          std::int64_t user,
                                                                                          int burst,
                                                                                          double per_second) {
    auto args = eval_args(kChatTokenScript,
                          {"redred:live:chat:" + std::to_string(stream) + ":" + std::to_string(user)});
    args.push_back(std::to_string(burst));
    args.push_back(std::to_string(per_second));
    auto reply = co_await connection_->command(std::move(args), std::chrono::milliseconds(500));
    if (!reply) co_return reply.error();
    if (!reply->is_integer()) co_return make_error(Errc::Unavailable, "redis error: " + reply->str);
    if (reply->integer < 0) co_return std::optional<std::chrono::milliseconds>{};
    co_return std::optional<std::chrono::milliseconds>{std::chrono::milliseconds(reply->integer)};
}

net::awaitable<bool> LiveBus::try_lock(std::string name, std::chrono::milliseconds ttl) {
    auto args = cmd("SET", "redred:live:lock:" + name, std::to_string(options_.tag), "NX", "PX",
                    static_cast<long long>(ttl.count()));
    auto reply = co_await connection_->command(std::move(args));
    co_return reply && reply->is_status();
}

net::awaitable<bool> LiveBus::hold_lock(std::string name, std::chrono::milliseconds ttl) {
    auto args = eval_args(kHoldLockScript, {"redred:live:lock:" + name});
    args.push_back(std::to_string(options_.tag));
    args.push_back(std::to_string(ttl.count()));
    auto reply = co_await connection_->command(std::move(args));
    co_return reply && reply->is_integer() && reply->integer == 1;
}

void LiveBus::watch_tag(std::uint32_t tag) {
    std::lock_guard lock(watched_mutex_);
    watched_.try_emplace(tag, std::nullopt);
}

net::awaitable<void> LiveBus::heartbeat_loop(std::shared_ptr<LiveBus> self) {
    while (!self->stopped_.load()) {
        co_await self->heartbeat();
        co_await self->check_instances();
        self->heartbeat_timer_.expires_after(self->options_.heartbeat);
        error_code ec;
        co_await self->heartbeat_timer_.async_wait(net::redirect_error(use_awaitable, ec));
    }
}

net::awaitable<void> LiveBus::heartbeat() {
    nlohmann::json me = handlers_.describe ? handlers_.describe() : nlohmann::json::object();
    me["tag"] = options_.tag;
    me["instance"] = options_.instance_id;
    me["address"] = options_.address;
    me["at"] = unix_ms_now();
    auto args = cmd("SET", instance_key(options_.tag), me.dump(), "PX",
                    static_cast<long long>(options_.heartbeat_ttl.count()));
    auto reply = co_await connection_->command(std::move(args));
    (void)reply;  // a missed beat is renewed by the next; the TTL spans several
}

net::awaitable<void> LiveBus::check_instances() {
    std::vector<std::uint32_t> tags;
    {
        std::lock_guard lock(watched_mutex_);
        for (const auto& [tag, missing] : watched_) tags.push_back(tag);
    }
    if (!link_up()) co_return;  // cannot tell a dead process from a lost link
    std::vector<std::uint32_t> gone;
    std::int64_t alive = 1;
    const auto now = std::chrono::steady_clock::now();
    for (auto tag : tags) {
        auto args = cmd("EXISTS", instance_key(tag));
        auto reply = co_await connection_->command(std::move(args));
        if (!reply || !reply->is_integer()) co_return;
        std::lock_guard lock(watched_mutex_);
        auto it = watched_.find(tag);
        if (it == watched_.end()) continue;
        if (reply->integer == 1) {
            it->second.reset();
            ++alive;
        } else if (!it->second) {
            it->second = now;
        } else if (now - *it->second >= options_.dead_after) {
            gone.push_back(tag);
            watched_.erase(it);
        }
    }
    metrics_.cluster_instances.value.store(alive);
    for (auto tag : gone) {
        logger()->warn("process gone tag={}: its connections leave every room", tag);
        if (handlers_.on_instance_gone) handlers_.on_instance_gone(tag);
    }
}

net::awaitable<Result<std::vector<nlohmann::json>>> LiveBus::instances(std::shared_ptr<Connection> connection) {
    std::vector<nlohmann::json> out;
    std::string cursor = "0";
    for (int round = 0; round < 1000; ++round) {
        auto args = cmd("SCAN", cursor, "MATCH", std::string(kInstancePrefix) + "*", "COUNT", 1000);
        auto reply = co_await connection->command(std::move(args));
        if (!reply) co_return reply.error();
        if (!reply->is_array() || reply->elements.size() != 2) co_return make_error(Errc::Unavailable, "bad SCAN reply");
        cursor = reply->elements[0].str;
        for (const auto& key : reply->elements[1].elements) {
            auto get = cmd("GET", key.str);
            auto value = co_await connection->command(std::move(get));
            if (!value || !value->is_string()) continue;
            auto j = nlohmann::json::parse(value->str, nullptr, false);
            if (j.is_object()) out.push_back(std::move(j));
        }
        if (cursor == "0") break;
    }
    co_return out;
}

}  // namespace redred::state::redis
