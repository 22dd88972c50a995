// The rooms of this process, one per stream with connected clients. A room is loaded from the database on the
// first join and forgotten when its last member leaves (everything that must outlive it is stored).
#pragma once
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "ws/room.hpp"

namespace redred::ws {

class RoomRegistry {
public:
    explicit RoomRegistry(LiveContext& ctx) : ctx_(ctx) {}

    // The room of `id`, loading it if needed; NotFound if there is no such stream.
    net::awaitable<Result<std::shared_ptr<Room>>> get(live::StreamId id);
    std::shared_ptr<Room> find(live::StreamId id) const;  // only if loaded
    void forget(live::StreamId id, const Room* room);     // if `room` is still the one registered
    std::vector<std::shared_ptr<Room>> all() const;
    // A room event from outside any room (REST role changes, an end through the API on a process without the
    // room): to every process's replica with --redis, else to this process's room if loaded.
    void publish(live::StreamId id, Json event);

private:
    LiveContext& ctx_;
    mutable std::mutex mutex_;
    std::map<live::StreamId, std::shared_ptr<Room>> rooms_;
};

}  // namespace redred::ws
