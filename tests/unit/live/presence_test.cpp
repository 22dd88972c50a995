#include "live/presence.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace redred::live {
namespace {

const Viewer kStreamer{1, "streamer", Role::Streamer};
const Viewer kAna{2, "ana", Role::Viewer};
const Viewer kBea{3, "bea", Role::Moderator};
const Viewer kGuest{std::nullopt, "", Role::Guest};

TEST(Presence, TwoTabsOfOneAccountCountOnce) {
    Presence presence;
    const PresenceChange first = presence.join(10, kAna);
    EXPECT_TRUE(first.identity_joined);
    EXPECT_TRUE(first.count_changed);
    EXPECT_EQ(first.viewers_count, 1);
    const PresenceChange second = presence.join(11, kAna);
    EXPECT_TRUE(second.applied);
    EXPECT_FALSE(second.identity_joined);
    EXPECT_FALSE(second.count_changed);
    EXPECT_EQ(presence.viewers_count(), 1);

    const PresenceChange close_one = presence.leave(10);
    EXPECT_FALSE(close_one.identity_left);
    EXPECT_FALSE(close_one.count_changed);
    const PresenceChange close_other = presence.leave(11);
    EXPECT_TRUE(close_other.identity_left);
    EXPECT_TRUE(close_other.count_changed);
    EXPECT_EQ(close_other.viewer, kAna);
    EXPECT_EQ(presence.viewers_count(), 0);
}

TEST(Presence, EachGuestConnectionCounts) {
    Presence presence;
    presence.join(10, kGuest);
    presence.join(11, kGuest);
    EXPECT_EQ(presence.viewers_count(), 2);
    EXPECT_TRUE(presence.leave(10).count_changed);
    EXPECT_EQ(presence.viewers_count(), 1);
}

TEST(Presence, TheStreamerIsNotCounted) {
    Presence presence;
    const PresenceChange change = presence.join(1, kStreamer);
    EXPECT_TRUE(change.identity_joined);
    EXPECT_FALSE(change.count_changed);
    presence.join(2, kAna);
    EXPECT_EQ(presence.viewers_count(), 1);
    EXPECT_FALSE(presence.leave(1).count_changed);
    EXPECT_EQ(presence.viewers_count(), 1);
}

TEST(Presence, PeakNeverDecreases) {
    Presence presence;
    presence.join(10, kAna);
    const PresenceChange second = presence.join(11, kBea);
    EXPECT_TRUE(second.peak_changed);
    EXPECT_EQ(second.peak_viewers, 2);
    const PresenceChange left = presence.leave(10);
    EXPECT_FALSE(left.peak_changed);
    EXPECT_EQ(left.peak_viewers, 2);
    presence.leave(11);
    EXPECT_EQ(presence.peak_viewers(), 2);
    EXPECT_FALSE(presence.join(12, kGuest).peak_changed);
}

TEST(Presence, StartsFromTheStoredPeak) {
    Presence presence(40);
    presence.join(10, kAna);
    EXPECT_EQ(presence.peak_viewers(), 40);
}

TEST(Presence, LeaveOfAnUnknownConnectionIsANoOp) {
    Presence presence;
    presence.join(10, kAna);
    const PresenceChange change = presence.leave(99);
    EXPECT_FALSE(change.applied);
    EXPECT_FALSE(change.count_changed);
    EXPECT_EQ(change.viewers_count, 1);
    EXPECT_EQ(presence.connection_count(), 1u);
}

TEST(Presence, JoiningTwiceOnOneConnectionIsANoOp) {
    Presence presence;
    presence.join(10, kAna);
    EXPECT_FALSE(presence.join(10, kBea).applied);
    EXPECT_EQ(presence.viewer_on(10), kAna);
    EXPECT_EQ(presence.viewers_count(), 1);
}

TEST(Presence, ListIsDeduplicatedOrderedByRoleAndLeavesOutTheStreamer) {
    Presence presence;
    presence.join(1, kStreamer);
    presence.join(10, kAna);
    presence.join(12, kAna);
    presence.join(11, kBea);
    presence.join(13, kGuest);
    const std::vector<ViewerEntry> expected = {
        {3, "bea", Role::Moderator, {11}},
        {2, "ana", Role::Viewer, {10, 12}},
        {std::nullopt, "", Role::Guest, {13}},
    };
    EXPECT_EQ(presence.list(), expected);
    const nlohmann::json j = presence.list();
    EXPECT_EQ(j[1], (nlohmann::json{{"user_id", 2}, {"username", "ana"}, {"role", "viewer"}, {"connections", 2}}));
    EXPECT_TRUE(j[2]["user_id"].is_null());
}

TEST(Presence, ConnectionsOfAUserListsEveryTab) {
    Presence presence;
    presence.join(12, kAna);
    presence.join(10, kAna);
    presence.join(11, kBea);
    EXPECT_EQ(presence.connections_of(2), (std::vector<std::uint64_t>{10, 12}));
    EXPECT_TRUE(presence.connections_of(42).empty());
}

TEST(Presence, StreamerConnectionIsTheLatestOpenOne) {
    Presence presence;
    EXPECT_EQ(presence.streamer_connection(), std::nullopt);
    presence.join(1, kStreamer);
    presence.join(5, kStreamer);  // a reconnect before the old socket noticed
    EXPECT_EQ(presence.streamer_connection(), 5u);
    presence.leave(5);
    EXPECT_EQ(presence.streamer_connection(), 1u);
    presence.leave(1);
    EXPECT_EQ(presence.streamer_connection(), std::nullopt);
}

TEST(Presence, SetRoleShowsAPromotionWithoutChangingTheCount) {
    Presence presence;
    presence.join(10, kAna);
    presence.join(1, kStreamer);
    EXPECT_TRUE(presence.set_role(2, Role::Moderator));
    EXPECT_EQ(presence.list().front().role, Role::Moderator);
    EXPECT_EQ(presence.viewer_on(10)->role, Role::Moderator);
    EXPECT_EQ(presence.viewers_count(), 1);
    EXPECT_FALSE(presence.set_role(1, Role::Viewer));    // the streamer stays the streamer
    EXPECT_FALSE(presence.set_role(2, Role::Streamer));
    EXPECT_FALSE(presence.set_role(42, Role::Vip));      // not here
}

TEST(Presence, ConnectionsCopiesEveryConnectionInIdOrder) {
    Presence presence;
    presence.join(30, kAna);
    presence.join(5, kStreamer);
    presence.join(12, kAna);
    presence.join(7, kStreamer);
    auto all = presence.connections();
    ASSERT_EQ(all.size(), 4u);
    EXPECT_EQ(all[0], std::make_pair(std::uint64_t{5}, kStreamer));
    EXPECT_EQ(all[1].first, 7u);
    EXPECT_EQ(all[2], std::make_pair(std::uint64_t{12}, kAna));
    EXPECT_EQ(all[3].first, 30u);
    EXPECT_EQ(presence.streamer_connections(), (std::vector<std::uint64_t>{5, 7}));
    presence.leave(5);
    EXPECT_EQ(presence.streamer_connections(), (std::vector<std::uint64_t>{7}));
}

}  // namespace
}  // namespace redred::live
