#include "media/io/sfu.hpp"

#include <sodium.h>

#include "core/crypto.hpp"
#include "core/ids.hpp"
#include "core/log.hpp"
#include "media/videoroom.hpp"

namespace redred::media {
namespace {

auto logger() {
    return log::get("media");
}

int janus_error_code(const Error& error) {
    // JanusClient formats plugin errors as "janus plugin error <code>: <reason>".
    constexpr std::string_view kPrefix = "janus plugin error ";
    const auto at = error.message.find(kPrefix);
    if (at == std::string::npos) return 0;
    return std::atoi(error.message.c_str() + at + kPrefix.size());
}

void ignore(std::exception_ptr) {}

}  // namespace

Sfu::Sfu(std::shared_ptr<JanusClient> janus, SfuOptions options)
    : janus_(std::move(janus)),
      options_(std::move(options)),
      secret_key_(options_.admin_key.empty() ? random_hex(32) : options_.admin_key) {}

std::string Sfu::room_secret(std::uint64_t room) const {
    return crypto::keyed_hash_hex(secret_key_, "redred videoroom " + std::to_string(room));
}

net::awaitable<Result<JanusClient::Handle>> Sfu::control_handle() {
    const auto generation = janus_->generation();
    {
        std::lock_guard lock(mutex_);
        if (control_ && control_.generation == generation) co_return control_;
    }
    auto executor = co_await net::this_coro::executor;
    const std::string plugin(janus::kVideoRoom);  // named: see STYLE §3 (GCC 12, prvalues in co_await)
    JanusClient::EventHandler ignore_events = [](janus::Incoming) {};
    auto attached = co_await janus_->attach(plugin, executor, ignore_events);
    if (!attached) co_return attached.error();
    std::lock_guard lock(mutex_);
    if (control_ && control_.generation == attached->generation) {
        janus_->detach(*attached);  // another caller attached meanwhile
        co_return control_;
    }
    control_ = *attached;
    co_return control_;
}

net::awaitable<Result<janus::Incoming>> Sfu::control(Json body) {
    auto handle = co_await control_handle();
    if (!handle) co_return handle.error();
    auto reply = co_await janus_->message(*handle, std::move(body));
    co_return reply;
}

net::awaitable<Result<SfuRoom>> Sfu::create_room(std::uint64_t stream_id, std::string description) {
    videoroom::RoomSettings settings;
    settings.room = stream_id;
    settings.secret = room_secret(stream_id);
    settings.admin_key = options_.admin_key;
    settings.description = std::move(description);
    settings.bitrate = options_.publisher_bitrate;
    settings.fir_freq = options_.fir_freq;
    const auto generation = janus_->generation();
    auto create = videoroom::create_room(settings);
    auto created = co_await control(create);
    if (!created && janus_error_code(created.error()) == videoroom::kErrorRoomExists) {
        // Left over from an earlier run of this server: ours if the secret (derived from the admin key) opens it.
        auto destroy = videoroom::destroy_room(settings.room, settings.secret);
        auto destroyed = co_await control(destroy);
        if (destroyed) {
            created = co_await control(create);
        } else {
            std::uint64_t random_id = 0;
            randombytes_buf(&random_id, sizeof random_id);
            settings.room = (random_id >> 12) | (1ULL << 51);  // below 2^53, away from stream ids
            settings.secret = room_secret(settings.room);
            logger()->warn("media room exists and is not ours stream={} using_room={}", stream_id, settings.room);
            create = videoroom::create_room(settings);
            created = co_await control(create);
        }
    }
    if (!created) co_return created.error();
    logger()->info("media room created stream={} room={}", stream_id, settings.room);
    co_return SfuRoom{settings.room, settings.secret, generation};
}

void Sfu::destroy_room(SfuRoom room) {
    if (room.id == 0 || room.generation != janus_->generation()) return;  // gone with the old Janus session
    struct Destroy {
        static net::awaitable<void> run(Sfu* sfu, SfuRoom room) {
            auto body = videoroom::destroy_room(room.id, room.secret);
            auto done = co_await sfu->control(std::move(body));
            if (done)
                logger()->info("media room destroyed room={}", room.id);
            else
                logger()->warn("media room not destroyed room={} error={}", room.id, done.error().message);
        }
    };
    net::co_spawn(janus_->executor(), Destroy::run(this, std::move(room)), ignore);
}

}  // namespace redred::media
