#include "ws/fanout.hpp"

#include <gtest/gtest.h>

namespace redred::ws::fanout {
namespace {

Text text(const char* s) { return std::make_shared<const std::string>(s); }

TEST(Fanout, OneMessageIsSharedNotCopied) {
    auto m = text(R"({"type":"comment"})");
    std::vector<Outgoing> batch{Outgoing::to_all(m)};
    auto share = share_for(7, batch);
    EXPECT_EQ(share.count, 1u);
    EXPECT_EQ(share.text.get(), m.get());
    EXPECT_EQ(share.close, nullptr);
}

TEST(Fanout, SeveralMessagesJoinInOrder) {
    std::vector<Outgoing> batch{Outgoing::to_all(text("1")), Outgoing::to_one(7, text("2")), Outgoing::to_all(text("3"))};
    auto share = share_for(7, batch);
    EXPECT_EQ(share.count, 3u);
    EXPECT_EQ(*share.text, "1,2,3");
    auto other = share_for(8, batch);
    EXPECT_EQ(other.count, 2u);
    EXPECT_EQ(*other.text, "1,3");
}

TEST(Fanout, ExceptLeavesOutOnlyThoseNamed) {
    std::vector<Outgoing> batch{Outgoing::to_all(text("c"), {7}), Outgoing::to_one(7, text("ack"))};
    EXPECT_EQ(*share_for(7, batch).text, "ack");
    EXPECT_EQ(*share_for(9, batch).text, "c");
    EXPECT_EQ(named_in(batch), (std::set<std::uint64_t>{7}));
    EXPECT_TRUE(reaches_everyone(batch));
}

TEST(Fanout, NothingAfterACloseAndTheCloseGoesLast) {
    std::vector<Outgoing> batch{Outgoing::to_one(5, text("notice")), Outgoing::close(5, 4001, "kicked"),
                                Outgoing::to_all(text("later"))};
    auto kicked = share_for(5, batch);
    EXPECT_EQ(*kicked.text, "notice");
    ASSERT_NE(kicked.close, nullptr);
    EXPECT_EQ(kicked.close->close_code, 4001);
    auto other = share_for(6, batch);
    EXPECT_EQ(*other.text, "later");
    EXPECT_EQ(other.close, nullptr);
}

TEST(Fanout, CloseEveryone) {
    std::vector<Outgoing> batch{Outgoing::to_all(text("ended")), Outgoing::close(0, 1000, "stream ended")};
    auto share = share_for(3, batch);
    EXPECT_EQ(*share.text, "ended");
    ASSERT_NE(share.close, nullptr);
    EXPECT_EQ(share.close->close_reason, "stream ended");
}

TEST(Fanout, TargetedOnlyBatchNamesItsSockets) {
    std::vector<Outgoing> batch{Outgoing::to_one(4, text("a")), Outgoing::to_one(9, text("b"))};
    EXPECT_FALSE(reaches_everyone(batch));
    EXPECT_EQ(named_in(batch), (std::set<std::uint64_t>{4, 9}));
    EXPECT_EQ(share_for(1, batch).count, 0u);
    EXPECT_EQ(share_for(1, batch).text, nullptr);
}

TEST(Fanout, PassesOfBigRoomsAreSpacedSmallOnesSendAtOnce) {
    using std::chrono::milliseconds;
    EXPECT_EQ(pass_spacing(0), milliseconds(0));
    EXPECT_EQ(pass_spacing(3999), milliseconds(0));
    EXPECT_EQ(pass_spacing(4000), milliseconds(100));
    EXPECT_EQ(pass_spacing(50000), milliseconds(100));
}

}  // namespace
}  // namespace redred::ws::fanout
