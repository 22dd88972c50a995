#include "live/permissions.hpp"

#include <gtest/gtest.h>

namespace redred::live {
namespace {

struct ExpectedRow {
    Action action;
    bool streamer, moderator, vip, viewer, guest;
};
constexpr bool Y = true;
constexpr bool N = false;

// Written out from the seed's "Permisos por Rol" table, plus redred's rows (GrantVip, VipEmotes,
// ViewViewerList) and the Guest column.
const ExpectedRow kExpected[] = {
    //                                   Streamer Moderador VIP Viewer Guest
    {Action::StartStream,       /* Iniciar/Finalizar */ Y, N, N, N, N},
    {Action::EndStream,         /* Iniciar/Finalizar */ Y, N, N, N, N},
    {Action::KickUser,          /* Kickear usuarios  */ Y, Y, N, N, N},
    {Action::DeleteComment,     /* Eliminar coment.  */ Y, Y, N, N, N},
    {Action::TimeoutUser,       /* Timeout usuarios  */ Y, Y, N, N, N},
    {Action::AppointModerator,  /* Nombrar moderad.  */ Y, N, N, N, N},
    {Action::GrantVip,          /* (like Nombrar)    */ Y, N, N, N, N},
    {Action::HighlightedChat,   /* Chat destacado    */ Y, Y, Y, N, N},
    {Action::VipEmotes,         /* Emotes especiales */ Y, Y, Y, N, N},
    {Action::WatchStream,       /* Ver stream        */ Y, Y, Y, Y, Y},
    {Action::Comment,           /* Comentar          */ Y, Y, Y, Y, N},
    {Action::ViewViewerList,    /* Lista de viewers  */ Y, Y, N, N, N},
    {Action::WarnUser,          /* Advertencia       */ Y, Y, N, N, N},
    {Action::ViewModerationLog, /* Registro de mod.  */ Y, Y, N, N, N},
};

TEST(Permissions, EveryRoleAndActionMatchesTheSeedTable) {
    ASSERT_EQ(std::size(kExpected), kAllActions.size());
    for (const ExpectedRow& row : kExpected) {
        SCOPED_TRACE(action_name(row.action));
        EXPECT_EQ(can(Role::Streamer, row.action), row.streamer);
        EXPECT_EQ(can(Role::Moderator, row.action), row.moderator);
        EXPECT_EQ(can(Role::Vip, row.action), row.vip);
        EXPECT_EQ(can(Role::Viewer, row.action), row.viewer);
        EXPECT_EQ(can(Role::Guest, row.action), row.guest);
    }
}

TEST(Permissions, ActionNamesAreStableSnakeCase) {
    EXPECT_STREQ(action_name(Action::StartStream), "start_stream");
    EXPECT_STREQ(action_name(Action::TimeoutUser), "timeout_user");
    EXPECT_STREQ(action_name(Action::ViewViewerList), "view_viewer_list");
    EXPECT_STREQ(action_name(Action::WarnUser), "warn_user");
    EXPECT_STREQ(action_name(Action::ViewModerationLog), "view_moderation_log");
    for (Action action : kAllActions) EXPECT_STRNE(action_name(action), "unknown");
}

TEST(Permissions, RequireExplainsAForbiddenAction) {
    EXPECT_TRUE(require(Role::Streamer, Action::EndStream).ok());
    const auto refused = require(Role::Viewer, Action::KickUser);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, Errc::Forbidden);
    EXPECT_EQ(refused.error().message, "viewers cannot kick users");
}

TEST(Permissions, GuestsAreAskedToSignInForWhatAnAccountAllows) {
    const auto refused = require(Role::Guest, Action::Comment);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, Errc::Unauthenticated);
    EXPECT_EQ(refused.error().message, "sign in to comment");
    EXPECT_EQ(require(Role::Guest, Action::KickUser).error().code, Errc::Forbidden);
}

struct ModerationCase {
    const char* name;
    Role actor;
    Action action;
    Role target;
    bool target_is_self;
    std::optional<Errc> error;  // nullopt: allowed
    const char* message;
};

TEST(CheckModeration, FollowsTheRulesOfWhoMayModerateWhom) {
    const ModerationCase cases[] = {
        {"streamer kicks a viewer", Role::Streamer, Action::KickUser, Role::Viewer, false, {}, ""},
        {"streamer times out a moderator", Role::Streamer, Action::TimeoutUser, Role::Moderator, false, {}, ""},
        {"streamer kicks a moderator", Role::Streamer, Action::KickUser, Role::Moderator, false, {}, ""},
        {"moderator times out a VIP", Role::Moderator, Action::TimeoutUser, Role::Vip, false, {}, ""},
        {"moderator kicks a guest", Role::Moderator, Action::KickUser, Role::Guest, false, {}, ""},
        {"moderator deletes another moderator's comment", Role::Moderator, Action::DeleteComment,
         Role::Moderator, false, {}, ""},
        {"moderator deletes own comment", Role::Moderator, Action::DeleteComment, Role::Moderator, true, {}, ""},
        {"streamer appoints a viewer", Role::Streamer, Action::AppointModerator, Role::Viewer, false, {}, ""},
        {"viewer cannot kick", Role::Viewer, Action::KickUser, Role::Viewer, false, Errc::Forbidden,
         "viewers cannot kick users"},
        {"VIP cannot time out", Role::Vip, Action::TimeoutUser, Role::Viewer, false, Errc::Forbidden,
         "VIPs cannot time out users"},
        {"moderator cannot appoint", Role::Moderator, Action::AppointModerator, Role::Viewer, false,
         Errc::Forbidden, "moderators cannot appoint moderators"},
        {"moderator cannot grant VIP", Role::Moderator, Action::GrantVip, Role::Viewer, false, Errc::Forbidden,
         "moderators cannot grant VIP status"},
        {"moderator cannot time out a moderator", Role::Moderator, Action::TimeoutUser, Role::Moderator, false,
         Errc::Forbidden, "moderators cannot time out other moderators; only the streamer can"},
        {"moderator cannot kick a moderator", Role::Moderator, Action::KickUser, Role::Moderator, false,
         Errc::Forbidden, "moderators cannot kick other moderators; only the streamer can"},
        {"moderator cannot kick the streamer", Role::Moderator, Action::KickUser, Role::Streamer, false,
         Errc::Forbidden, "the streamer cannot be moderated in their own stream"},
        {"moderator cannot delete the streamer's comment", Role::Moderator, Action::DeleteComment,
         Role::Streamer, false, Errc::Forbidden, "the streamer cannot be moderated in their own stream"},
        {"moderator cannot time out themselves", Role::Moderator, Action::TimeoutUser, Role::Moderator, true,
         Errc::Forbidden, "you cannot time out yourself"},
        {"streamer cannot kick themselves", Role::Streamer, Action::KickUser, Role::Streamer, true,
         Errc::Forbidden, "you cannot kick yourself"},
        {"guest cannot be timed out", Role::Moderator, Action::TimeoutUser, Role::Guest, false, Errc::BadInput,
         "guests have no account, so they cannot be timed out"},
        {"guest cannot be appointed", Role::Streamer, Action::AppointModerator, Role::Guest, false,
         Errc::BadInput, "guests have no account, so they cannot be appointed moderator"},
        // The warning step: the same limits as a timeout.
        {"streamer warns a viewer", Role::Streamer, Action::WarnUser, Role::Viewer, false, {}, ""},
        {"streamer warns a moderator", Role::Streamer, Action::WarnUser, Role::Moderator, false, {}, ""},
        {"moderator warns a VIP", Role::Moderator, Action::WarnUser, Role::Vip, false, {}, ""},
        {"viewer cannot warn", Role::Viewer, Action::WarnUser, Role::Viewer, false, Errc::Forbidden,
         "viewers cannot warn users"},
        {"VIP cannot warn", Role::Vip, Action::WarnUser, Role::Viewer, false, Errc::Forbidden,
         "VIPs cannot warn users"},
        {"moderator cannot warn a moderator", Role::Moderator, Action::WarnUser, Role::Moderator, false,
         Errc::Forbidden, "moderators cannot warn other moderators; only the streamer can"},
        {"moderator cannot warn the streamer", Role::Moderator, Action::WarnUser, Role::Streamer, false,
         Errc::Forbidden, "the streamer cannot be moderated in their own stream"},
        {"streamer cannot warn themselves", Role::Streamer, Action::WarnUser, Role::Streamer, true,
         Errc::Forbidden, "you cannot warn yourself"},
        {"guest cannot be warned", Role::Moderator, Action::WarnUser, Role::Guest, false, Errc::BadInput,
         "guests have no account, so they cannot be warned"},
    };
    for (const ModerationCase& c : cases) {
        SCOPED_TRACE(c.name);
        const Result<Ok> result = check_moderation(c.actor, c.action, c.target, c.target_is_self);
        ASSERT_EQ(result.ok(), !c.error.has_value());
        if (c.error) {
            EXPECT_EQ(result.error().code, *c.error);
            EXPECT_EQ(result.error().message, c.message);
        }
    }
}

TEST(RoleOf, ResolvesStreamerModeratorVipViewerAndGuest) {
    const UserId streamer = 1;
    const std::set<UserId> moderators = {2, 4};
    const std::set<UserId> vips = {3, 4};
    EXPECT_EQ(role_of(1, streamer, moderators, vips, true), Role::Streamer);
    EXPECT_EQ(role_of(2, streamer, moderators, vips, true), Role::Moderator);
    EXPECT_EQ(role_of(3, streamer, moderators, vips, true), Role::Vip);
    EXPECT_EQ(role_of(5, streamer, moderators, vips, true), Role::Viewer);
    EXPECT_EQ(role_of(1, streamer, moderators, vips, false), Role::Guest);
}

TEST(RoleOf, ModeratorWinsOverVip) {
    EXPECT_EQ(role_of(4, 1, {4}, {4}, true), Role::Moderator);
}

}  // namespace
}  // namespace redred::live

namespace redred::live {
namespace {
TEST(RoleNames, ParseRoleReadsEveryNameBack) {
    for (Role role : {Role::Streamer, Role::Moderator, Role::Vip, Role::Viewer, Role::Guest})
        EXPECT_EQ(parse_role(role_name(role)), role);
    EXPECT_EQ(parse_role("admin"), std::nullopt);
    EXPECT_EQ(parse_role(""), std::nullopt);
}
}  // namespace
}  // namespace redred::live
