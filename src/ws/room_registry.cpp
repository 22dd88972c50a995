#include "ws/room_registry.hpp"

#include "http/async_db.hpp"

namespace redred::ws {
namespace {
struct RoomData {
    store::StreamRow stream;
    store::RoleLists roles;
    std::vector<store::SanctionRow> sanctions;
};
}  // namespace

net::awaitable<Result<std::shared_ptr<Room>>> RoomRegistry::get(live::StreamId id) {
    if (auto room = find(id)) co_return room;
    const auto now = live::Clock::now();
    auto find_stream_job = [id, now](store::Store& s) -> Result<RoomData> {
        auto stream = s.find_stream(id);
        if (!stream) return make_error(Errc::NotFound, "no stream with id " + std::to_string(id));
        return RoomData{std::move(*stream), s.roles(id), s.active_sanctions(id, now)};
    };
    auto data = co_await db::read<RoomData>(ctx_.database, find_stream_job);
    if (!data) co_return data.error();
    std::shared_ptr<Room> room;
    {
        std::lock_guard lock(mutex_);
        auto [it, inserted] = rooms_.try_emplace(id, nullptr);
        if (!inserted) co_return it->second;  // another join loaded it meanwhile: first one wins
        it->second =
            std::make_shared<Room>(ctx_, std::move(data->stream), std::move(data->roles), std::move(data->sanctions));
        room = it->second;
    }
    Room::start(room);  // registered first, so no event of the stream is missed while it loads the cluster's state
    co_return room;
}

void RoomRegistry::publish(live::StreamId id, Json event) {
    if (!ctx_.bus) {
        if (auto room = find(id)) room->on_event(0, 0, std::move(event));
        return;
    }
    struct Publish {
        static net::awaitable<void> run(RoomRegistry* registry, std::shared_ptr<state::redis::LiveBus> bus,
                                        live::StreamId id, Json event) {
            const auto seq = bus->next_seq();
            const bool sent = co_await bus->publish(id, seq, event);
            if (!sent)  // Redis away: this process's room at least
                if (auto room = registry->find(id)) room->on_event(0, 0, std::move(event));
        }
    };
    net::co_spawn(ctx_.io, Publish::run(this, ctx_.bus, id, std::move(event)), net::detached);
}

std::shared_ptr<Room> RoomRegistry::find(live::StreamId id) const {
    std::lock_guard lock(mutex_);
    auto it = rooms_.find(id);
    return it == rooms_.end() ? nullptr : it->second;
}

void RoomRegistry::forget(live::StreamId id, const Room* room) {
    std::lock_guard lock(mutex_);
    auto it = rooms_.find(id);
    if (it != rooms_.end() && it->second.get() == room) rooms_.erase(it);
}

std::vector<std::shared_ptr<Room>> RoomRegistry::all() const {
    std::lock_guard lock(mutex_);
    std::vector<std::shared_ptr<Room>> out;
    for (const auto& [id, room] : rooms_) out.push_back(room);
    return out;
}

}  // namespace redred::ws
