// Who is watching one stream, by WebSocket connection. Owned by the stream's hub; used on its strand.
//
// viewers_count counts distinct viewing identities, not connections, and never the streamer:
// - an account is one identity however many tabs it has open (two tabs count once);
// - a guest has no account to recognise across tabs, so each guest connection is its own identity;
// - identities whose role is Streamer are not counted (nor listed): the seed counts people watching.
// peak_viewers is the highest viewers_count seen; it never decreases.
// An identity's username and role are those of its latest join (or set_role).
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "live/types.hpp"

namespace redred::live {

struct Viewer {
    std::optional<UserId> user;  // nullopt: a guest
    std::string username;        // empty for guests
    Role role = Role::Guest;
    bool operator==(const Viewer&) const = default;
};

// One identity in list(): who, and every connection (tab) it has open, ascending.
struct ViewerEntry {
    std::optional<UserId> user;
    std::string username;
    Role role = Role::Guest;
    std::vector<std::uint64_t> connection_ids;
    bool operator==(const ViewerEntry&) const = default;
};
// {"user_id":7 | null,"username":"ana","role":"moderator","connections":2}
void to_json(nlohmann::json& j, const ViewerEntry& entry);

// What a join or leave did, so the caller knows what to broadcast.
struct PresenceChange {
    bool applied = false;          // false: join of a connection already present / leave of an unknown one
    bool identity_joined = false;  // first connection of this identity → send user_joined to the streamer
    bool identity_left = false;    // its last connection left → send user_left to the streamer
    bool count_changed = false;    // → broadcast viewers_update
    bool peak_changed = false;     // → persist peak_viewers
    int viewers_count = 0;         // after the change
    int peak_viewers = 0;          // after the change
    Viewer viewer;                 // who joined or left (as of that moment)
};

class Presence {
public:
    // initial_peak: the stream's stored peak_viewers, so a restarted hub keeps it.
    explicit Presence(int initial_peak = 0);

    PresenceChange join(std::uint64_t connection_id, Viewer viewer);
    PresenceChange leave(std::uint64_t connection_id);  // unknown connection: a no-op, applied = false
    // After AppointModerator / GrantVip: the new role shows in list(). Only between Moderator, Vip and Viewer;
    // returns false (nothing changed) for other roles or a user not present.
    bool set_role(UserId user, Role role);

    int viewers_count() const { return viewers_count_; }
    int peak_viewers() const { return peak_viewers_; }
    std::size_t connection_count() const { return connections_.size(); }

    // Viewers for the streamer and moderators, without the streamer, ordered by role (moderators, VIPs,
    // viewers, guests) then username.
    std::vector<ViewerEntry> list() const;
    std::optional<Viewer> viewer_on(std::uint64_t connection_id) const;
    // Every open connection of an account (to kick all its tabs), ascending.
    std::vector<std::uint64_t> connections_of(UserId user) const;
    // The streamer's most recently joined connection still open (where WebRTC answers go).
    std::optional<std::uint64_t> streamer_connection() const;
    // The streamer's open connections, oldest first (one stream has one streamer connection: older ones are
    // being replaced).
    const std::vector<std::uint64_t>& streamer_connections() const { return streamer_connections_; }
    // The lowest open connection id, if any.
    std::optional<std::uint64_t> first_connection() const {
        if (connections_.empty()) return std::nullopt;
        return connections_.begin()->first;
    }
    // Every open connection with who is on it, ascending by connection id (to copy presence elsewhere).
    std::vector<std::pair<std::uint64_t, Viewer>> connections() const;

private:
    // A user id, or for a guest the connection id.
    struct IdentityKey {
        std::optional<UserId> user;
        std::uint64_t guest_connection = 0;
        auto operator<=>(const IdentityKey&) const = default;
    };
    struct Identity {
        Viewer viewer;
        std::vector<std::uint64_t> connections;  // join order
    };
    static IdentityKey key_for(std::uint64_t connection_id, const Viewer& viewer);
    static bool counted(const Viewer& viewer) { return viewer.role != Role::Streamer; }
    PresenceChange change(bool applied, const Viewer& viewer, int count_before, int peak_before) const;

    std::map<std::uint64_t, IdentityKey> connections_;
    std::map<IdentityKey, Identity> identities_;
    std::vector<std::uint64_t> streamer_connections_;  // join order
    int viewers_count_ = 0;
    int peak_viewers_ = 0;
};

}  // namespace redred::live
