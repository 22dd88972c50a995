// Roles and permissions of the live platform: the seed's permission table, plus the rules for who may
// moderate whom. Pure functions; the caller resolves the role, asks here, then acts.
#pragma once
#include <array>
#include <set>

#include "core/result.hpp"
#include "live/types.hpp"

namespace redred::live {

enum class Action {
    StartStream,
    EndStream,
    KickUser,
    DeleteComment,
    TimeoutUser,
    AppointModerator,
    GrantVip,
    HighlightedChat,
    VipEmotes,
    WatchStream,
    Comment,
    ViewViewerList,
    WarnUser,
    ViewModerationLog,
};

inline constexpr std::array kAllActions = {
    Action::StartStream, Action::EndStream,        Action::KickUser, Action::DeleteComment,
    Action::TimeoutUser, Action::AppointModerator, Action::GrantVip, Action::HighlightedChat,
    Action::VipEmotes,   Action::WatchStream,      Action::Comment,  Action::ViewViewerList,
    Action::WarnUser,    Action::ViewModerationLog,
};

inline constexpr std::array kAllRoles = {Role::Streamer, Role::Moderator, Role::Vip, Role::Viewer, Role::Guest};

// Stable snake_case name: "start_stream", "kick_user", "timeout_user", "view_viewer_list", ...
const char* action_name(Action action);

// The permission table (see permissions.cpp). Guests (no account) may only watch.
bool can(Role role, Action action);

// Ok if `role` can do `action`; otherwise Forbidden ("viewers cannot kick users"), or Unauthenticated
// ("sign in to comment") when a guest asks for something an account would allow.
Result<Ok> require(Role role, Action action);

// For actions aimed at another person (KickUser, TimeoutUser, WarnUser, DeleteComment, AppointModerator,
// GrantVip); other actions only get the require() check. Rules, in order:
// - the actor must be allowed the action;
// - nobody moderates themselves ("you cannot kick yourself"), except deleting one's own comment;
// - the streamer cannot be moderated in their own stream;
// - moderators cannot kick, time out or warn other moderators (only the streamer can);
// - guests have no account, so they cannot be timed out, warned, appointed moderator or made VIP (kicking a
//   guest's connection is fine).
// All refusals are Forbidden, except the guest-target ones (BadInput, field "user").
Result<Ok> check_moderation(Role actor, Action action, Role target, bool target_is_self);

// A person's role in one stream. Moderator wins over VIP when someone is both. Unauthenticated → Guest
// (`user` is then ignored).
Role role_of(UserId user, UserId streamer_id, const std::set<UserId>& moderators, const std::set<UserId>& vips,
             bool authenticated);

}  // namespace redred::live
