#include "live/presence.hpp"

#include <algorithm>
#include <tuple>

#include <nlohmann/json.hpp>

namespace redred::live {
namespace {

int list_order(Role role) {
    switch (role) {
        case Role::Streamer: return 0;
        case Role::Moderator: return 1;
        case Role::Vip: return 2;
        case Role::Viewer: return 3;
        case Role::Guest: return 4;
    }
    return 5;
}

}  // namespace

void to_json(nlohmann::json& j, const ViewerEntry& entry) {
    j = nlohmann::json{{"user_id", entry.user ? nlohmann::json(*entry.user) : nlohmann::json(nullptr)},
                       {"username", entry.user ? nlohmann::json(entry.username) : nlohmann::json(nullptr)},
                       {"role", role_name(entry.role)},
                       {"connections", entry.connection_ids.size()}};
}

Presence::Presence(int initial_peak) : peak_viewers_(std::max(0, initial_peak)) {}

Presence::IdentityKey Presence::key_for(std::uint64_t connection_id, const Viewer& viewer) {
    if (viewer.user) return IdentityKey{viewer.user, 0};
    return IdentityKey{std::nullopt, connection_id};
}

PresenceChange Presence::change(bool applied, const Viewer& viewer, int count_before, int peak_before) const {
    PresenceChange result;
    result.applied = applied;
    result.count_changed = viewers_count_ != count_before;
    result.peak_changed = peak_viewers_ != peak_before;
    result.viewers_count = viewers_count_;
    result.peak_viewers = peak_viewers_;
    result.viewer = viewer;
    return result;
}

PresenceChange Presence::join(std::uint64_t connection_id, Viewer viewer) {
    const int count_before = viewers_count_, peak_before = peak_viewers_;
    if (connections_.contains(connection_id)) return change(false, viewer, count_before, peak_before);

    const IdentityKey key = key_for(connection_id, viewer);
    connections_.emplace(connection_id, key);
    if (viewer.role == Role::Streamer) streamer_connections_.push_back(connection_id);

    auto [it, is_new_identity] = identities_.try_emplace(key);
    Identity& identity = it->second;
    const bool was_counted = !is_new_identity && counted(identity.viewer);
    identity.viewer = std::move(viewer);
    identity.connections.push_back(connection_id);
    viewers_count_ += static_cast<int>(counted(identity.viewer)) - static_cast<int>(was_counted);
    peak_viewers_ = std::max(peak_viewers_, viewers_count_);

    PresenceChange result = change(true, identity.viewer, count_before, peak_before);
    result.identity_joined = is_new_identity;
    return result;
}

PresenceChange Presence::leave(std::uint64_t connection_id) {
    const int count_before = viewers_count_, peak_before = peak_viewers_;
    const auto conn = connections_.find(connection_id);
    if (conn == connections_.end()) return change(false, Viewer{}, count_before, peak_before);

    const auto it = identities_.find(conn->second);
    connections_.erase(conn);
    std::erase(streamer_connections_, connection_id);
    Identity& identity = it->second;
    std::erase(identity.connections, connection_id);
    const Viewer viewer = identity.viewer;
    const bool identity_left = identity.connections.empty();
    if (identity_left) {
        viewers_count_ -= static_cast<int>(counted(viewer));
        identities_.erase(it);
    }
    PresenceChange result = change(true, viewer, count_before, peak_before);
    result.identity_left = identity_left;
    return result;
}

bool Presence::set_role(UserId user, Role role) {
    const auto is_plain_role = [](Role r) { return r == Role::Moderator || r == Role::Vip || r == Role::Viewer; };
    const auto it = identities_.find(IdentityKey{user, 0});
    if (it == identities_.end() || !is_plain_role(role) || !is_plain_role(it->second.viewer.role)) return false;
    if (it->second.viewer.role == role) return false;
    it->second.viewer.role = role;  // all three are counted: viewers_count is unchanged
    return true;
}

std::vector<ViewerEntry> Presence::list() const {
    std::vector<ViewerEntry> entries;
    entries.reserve(identities_.size());
    for (const auto& [key, identity] : identities_) {
        if (!counted(identity.viewer)) continue;
        std::vector<std::uint64_t> ids = identity.connections;
        std::sort(ids.begin(), ids.end());
        const Viewer& viewer = identity.viewer;
        entries.push_back(ViewerEntry{viewer.user, viewer.username, viewer.role, std::move(ids)});
    }
    std::sort(entries.begin(), entries.end(), [](const ViewerEntry& a, const ViewerEntry& b) {
        return std::tuple(list_order(a.role), a.username, a.user, a.connection_ids) <
               std::tuple(list_order(b.role), b.username, b.user, b.connection_ids);
    });
    return entries;
}

std::optional<Viewer> Presence::viewer_on(std::uint64_t connection_id) const {
    const auto conn = connections_.find(connection_id);
    if (conn == connections_.end()) return std::nullopt;
    return identities_.at(conn->second).viewer;
}

std::vector<std::uint64_t> Presence::connections_of(UserId user) const {
    const auto it = identities_.find(IdentityKey{user, 0});
    if (it == identities_.end()) return {};
    std::vector<std::uint64_t> ids = it->second.connections;
    std::sort(ids.begin(), ids.end());
    return ids;
}

std::optional<std::uint64_t> Presence::streamer_connection() const {
    if (streamer_connections_.empty()) return std::nullopt;
    return streamer_connections_.back();
}

std::vector<std::pair<std::uint64_t, Viewer>> Presence::connections() const {
    std::vector<std::pair<std::uint64_t, Viewer>> out;
    out.reserve(connections_.size());
    for (const auto& [id, key] : connections_) out.emplace_back(id, identities_.at(key).viewer);
    return out;
}

}  // namespace redred::live
