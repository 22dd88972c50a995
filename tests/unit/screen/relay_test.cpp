// What crosses Redis between instances for each change of the screen.
#include "screen/relay.hpp"

#include <gtest/gtest.h>

namespace redred::screen {

TEST(Relay, AChangeCarriesItsPictureAndTilesByteForByte) {
    FrameContent content;
    content.seq = 9;
    content.task_id = "t";
    content.width = 128;
    content.height = 64;
    content.captured_at_ms = 1'765'000'000'000ULL;
    content.jpeg = "\xFF\xD8picture";
    content.tiles = {make_tile(Rect{0, 0, 64, 64}, 9, "one"), make_tile(Rect{64, 0, 64, 64}, 9, "two")};
    const auto body = encode_relayed_change(*make_frame(std::move(content)));
    const auto change = decode_relayed_change(body);
    ASSERT_TRUE(change.has_value());
    EXPECT_FALSE(change->key);
    EXPECT_TRUE(change->changed);
    EXPECT_EQ(change->captured_at_ms, 1'765'000'000'000ULL);
    EXPECT_EQ(change->jpeg, "\xFF\xD8picture");
    ASSERT_EQ(change->tiles.size(), 2u);
    EXPECT_EQ(change->tiles[1].rect, (Rect{64, 0, 64, 64}));
    EXPECT_EQ(change->tiles[1].jpeg, "two");
}

TEST(Relay, AKeyFrameOfAStillScreenSaysSo) {
    FrameContent content;
    content.seq = 3;
    content.key = true;
    content.changed = false;
    content.jpeg = "\xFF\xD8whole";
    const auto change = decode_relayed_change(encode_relayed_change(*make_frame(std::move(content))));
    ASSERT_TRUE(change.has_value());
    EXPECT_TRUE(change->key);
    EXPECT_FALSE(change->changed);
    EXPECT_TRUE(change->tiles.empty());
}

TEST(Relay, ABareJpegFromAnOlderInstanceIsAWholeChange) {
    const std::string_view jpeg = "\xFF\xD8\xFF\xE0 rest of a jpeg";
    const auto change = decode_relayed_change(jpeg);
    ASSERT_TRUE(change.has_value());
    EXPECT_TRUE(change->key);
    EXPECT_EQ(change->jpeg, jpeg);
}

TEST(Relay, TruncatedOrForeignBytesAreRefused) {
    FrameContent content;
    content.jpeg = "\xFF\xD8picture";
    content.tiles = {make_tile(Rect{0, 0, 8, 8}, 1, "tile")};
    const auto body = encode_relayed_change(*make_frame(std::move(content)));
    for (std::size_t cut = 1; cut < body.size(); ++cut) EXPECT_FALSE(decode_relayed_change(body.substr(0, cut)).has_value()) << cut;
    EXPECT_FALSE(decode_relayed_change(body + "x").has_value());
    EXPECT_FALSE(decode_relayed_change("hello").has_value());
    EXPECT_FALSE(decode_relayed_change("").has_value());
}

}  // namespace redred::screen
