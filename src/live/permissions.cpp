#include "live/permissions.hpp"

#include <string>

namespace redred::live {
namespace {

struct PermissionRow {
    Action action;
    bool streamer, moderator, vip, viewer, guest;
};

constexpr bool yes = true;
constexpr bool no = false;

// The seed's "Permisos por Rol" table, one row per action, in enum order. Rows after the seed's are
// redred's additions: GrantVip goes with naming moderators, VIP emotes with highlighted chat (streamer and
// moderators have everything a VIP has), the viewer list with moderation.
constexpr PermissionRow kPermissionTable[] = {
    //  action                    streamer moderator vip  viewer guest
    {Action::StartStream,         yes,     no,       no,  no,    no},   // Iniciar/Finalizar stream
    {Action::EndStream,           yes,     no,       no,  no,    no},   // Iniciar/Finalizar stream
    {Action::KickUser,            yes,     yes,      no,  no,    no},   // Kickear usuarios
    {Action::DeleteComment,       yes,     yes,      no,  no,    no},   // Eliminar comentarios
    {Action::TimeoutUser,         yes,     yes,      no,  no,    no},   // Timeout usuarios
    {Action::AppointModerator,    yes,     no,       no,  no,    no},   // Nombrar moderadores
    {Action::GrantVip,            yes,     no,       no,  no,    no},
    {Action::HighlightedChat,     yes,     yes,      yes, no,    no},   // Chat destacado
    {Action::VipEmotes,           yes,     yes,      yes, no,    no},   // Emotes especiales (VIP)
    {Action::WatchStream,         yes,     yes,      yes, yes,   yes},  // Ver stream
    {Action::Comment,             yes,     yes,      yes, yes,   no},   // Comentar
    {Action::ViewViewerList,      yes,     yes,      no,  no,    no},   // Lista de viewers
    {Action::WarnUser,            yes,     yes,      no,  no,    no},   // Advertencia (flujo de moderación)
    {Action::ViewModerationLog,   yes,     yes,      no,  no,    no},   // Registro de moderación
};

constexpr bool table_is_in_enum_order() {
    for (std::size_t i = 0; i < kAllActions.size(); ++i)
        if (kPermissionTable[i].action != kAllActions[i]) return false;
    return std::size(kPermissionTable) == kAllActions.size();
}
static_assert(table_is_in_enum_order(), "kPermissionTable needs exactly one row per Action, in enum order");

const char* role_plural(Role role) {
    switch (role) {
        case Role::Streamer: return "streamers";
        case Role::Moderator: return "moderators";
        case Role::Vip: return "VIPs";
        case Role::Viewer: return "viewers";
        case Role::Guest: return "guests";
    }
    return "guests";
}

// Completes "<role> cannot ..." and "sign in to ...".
const char* action_phrase(Action action) {
    switch (action) {
        case Action::StartStream: return "start streams";
        case Action::EndStream: return "end streams";
        case Action::KickUser: return "kick users";
        case Action::DeleteComment: return "delete comments";
        case Action::TimeoutUser: return "time out users";
        case Action::AppointModerator: return "appoint moderators";
        case Action::GrantVip: return "grant VIP status";
        case Action::HighlightedChat: return "use highlighted chat";
        case Action::VipEmotes: return "use VIP emotes";
        case Action::WatchStream: return "watch streams";
        case Action::Comment: return "comment";
        case Action::ViewViewerList: return "see the viewer list";
        case Action::WarnUser: return "warn users";
        case Action::ViewModerationLog: return "see the moderation log";
    }
    return "do that";
}

// Completes "you cannot ... yourself" / "moderators cannot ... other moderators".
const char* action_verb(Action action) {
    switch (action) {
        case Action::KickUser: return "kick";
        case Action::TimeoutUser: return "time out";
        case Action::WarnUser: return "warn";
        case Action::DeleteComment: return "delete comments of";
        case Action::AppointModerator: return "appoint";
        case Action::GrantVip: return "grant VIP status to";
        default: return "moderate";
    }
}

// Completes "guests ... cannot be ...".
const char* action_past_participle(Action action) {
    switch (action) {
        case Action::TimeoutUser: return "timed out";
        case Action::WarnUser: return "warned";
        case Action::AppointModerator: return "appointed moderator";
        case Action::GrantVip: return "made VIP";
        default: return "moderated";
    }
}

bool targets_a_person(Action action) {
    switch (action) {
        case Action::KickUser:
        case Action::TimeoutUser:
        case Action::WarnUser:
        case Action::DeleteComment:
        case Action::AppointModerator:
        case Action::GrantVip: return true;
        default: return false;
    }
}

}  // namespace

const char* action_name(Action action) {
    switch (action) {
        case Action::StartStream: return "start_stream";
        case Action::EndStream: return "end_stream";
        case Action::KickUser: return "kick_user";
        case Action::DeleteComment: return "delete_comment";
        case Action::TimeoutUser: return "timeout_user";
        case Action::AppointModerator: return "appoint_moderator";
        case Action::GrantVip: return "grant_vip";
        case Action::HighlightedChat: return "highlighted_chat";
        case Action::VipEmotes: return "vip_emotes";
        case Action::WatchStream: return "watch_stream";
        case Action::Comment: return "comment";
        case Action::ViewViewerList: return "view_viewer_list";
        case Action::WarnUser: return "warn_user";
        case Action::ViewModerationLog: return "view_moderation_log";
    }
    return "unknown";
}

bool can(Role role, Action action) {
    const PermissionRow& row = kPermissionTable[static_cast<std::size_t>(action)];
    switch (role) {
        case Role::Streamer: return row.streamer;
        case Role::Moderator: return row.moderator;
        case Role::Vip: return row.vip;
        case Role::Viewer: return row.viewer;
        case Role::Guest: return row.guest;
    }
    return false;
}

Result<Ok> require(Role role, Action action) {
    if (can(role, action)) return Ok{};
    if (role == Role::Guest && can(Role::Viewer, action))
        return make_error(Errc::Unauthenticated, std::string("sign in to ") + action_phrase(action));
    return make_error(Errc::Forbidden, std::string(role_plural(role)) + " cannot " + action_phrase(action));
}

Result<Ok> check_moderation(Role actor, Action action, Role target, bool target_is_self) {
    if (auto allowed = require(actor, action); !allowed) return allowed;
    if (!targets_a_person(action)) return Ok{};
    if (target_is_self) {
        // Removing one's own message is housekeeping, not self-moderation.
        if (action == Action::DeleteComment) return Ok{};
        return make_error(Errc::Forbidden, std::string("you cannot ") + action_verb(action) + " yourself");
    }
    if (target == Role::Streamer)
        return make_error(Errc::Forbidden, "the streamer cannot be moderated in their own stream");
    if (actor == Role::Moderator && target == Role::Moderator &&
        (action == Action::KickUser || action == Action::TimeoutUser || action == Action::WarnUser))
        return make_error(Errc::Forbidden, std::string("moderators cannot ") + action_verb(action) +
                                               " other moderators; only the streamer can");
    if (target == Role::Guest && (action == Action::TimeoutUser || action == Action::WarnUser ||
                                  action == Action::AppointModerator || action == Action::GrantVip))
        return make_error(Errc::BadInput, std::string("guests have no account, so they cannot be ") +
                                              action_past_participle(action), "user");
    return Ok{};
}

Role role_of(UserId user, UserId streamer_id, const std::set<UserId>& moderators, const std::set<UserId>& vips,
             bool authenticated) {
    if (!authenticated) return Role::Guest;
    if (user == streamer_id) return Role::Streamer;
    if (moderators.contains(user)) return Role::Moderator;
    if (vips.contains(user)) return Role::Vip;
    return Role::Viewer;
}

}  // namespace redred::live
