// Tile mode's pure parts: the grid that changes snap to, the wire format, catch-up state, the rate cap.
#include "screen/tiles.hpp"

#include <gtest/gtest.h>

namespace redred::screen {
namespace {

long long covered_area(const std::vector<Rect>& rects) {
    long long area = 0;
    for (const Rect& r : rects) area += r.area();
    return area;
}

}  // namespace

TEST(TileGrid, EdgeCellsAreNarrower) {
    TileGrid grid(1280, 720);
    EXPECT_EQ(grid.columns(), 20);
    EXPECT_EQ(grid.rows(), 12);
    EXPECT_EQ(grid.cell_rect(19, 11), (Rect{1216, 704, 64, 16}));
    TileGrid odd(100, 70);
    EXPECT_EQ(odd.cell_rect(1, 1), (Rect{64, 64, 36, 6}));
}

TEST(TileGrid, ASmallChangeSnapsToTheCellsItTouches) {
    TileGrid grid(1280, 720);
    // 10x10 at (60,60) straddles four cells.
    const auto rects = grid.cover(std::vector<Rect>{Rect{60, 60, 10, 10}});
    ASSERT_EQ(rects.size(), 1u);
    EXPECT_EQ(rects[0], (Rect{0, 0, 128, 128}));
    // Inside one cell.
    EXPECT_EQ(grid.cover(std::vector<Rect>{Rect{70, 70, 5, 5}}), (std::vector<Rect>{Rect{64, 64, 64, 64}}));
}

TEST(TileGrid, RunsInARowAndRunsStackedOverRowsMerge) {
    TileGrid grid(640, 256);
    // A line of text: one row of cells -> one wide tile.
    EXPECT_EQ(grid.cover(std::vector<Rect>{Rect{10, 70, 500, 12}}), (std::vector<Rect>{Rect{0, 64, 512, 64}}));
    // An L shape: two rows of different spans stay two rectangles, and cover exactly the touched cells.
    const auto l = grid.cover(std::vector<Rect>{Rect{0, 0, 200, 10}, Rect{0, 64, 60, 100}});
    EXPECT_EQ(covered_area(l), 4 * 64 * 64 + 2 * 64 * 64);
    // A block: stacked.
    EXPECT_EQ(grid.cover(std::vector<Rect>{Rect{64, 64, 128, 128}}), (std::vector<Rect>{Rect{64, 64, 128, 128}}));
}

TEST(TileGrid, OutOfPictureAndEmptyRectsTouchNothing) {
    TileGrid grid(128, 128);
    EXPECT_TRUE(grid.cover(std::vector<Rect>{Rect{500, 500, 10, 10}, Rect{0, 0, 0, 10}, Rect{-20, -20, 10, 10}}).empty());
    // Clipped: a rect hanging off the left edge touches the first column only.
    EXPECT_EQ(grid.cover(std::vector<Rect>{Rect{-20, 0, 30, 10}}), (std::vector<Rect>{Rect{0, 0, 64, 64}}));
}

TEST(TileGrid, TheWholePictureIsOneRectangle) {
    TileGrid grid(1280, 720);
    EXPECT_EQ(grid.cover(std::vector<Rect>{Rect{0, 0, 1280, 720}}), (std::vector<Rect>{Rect{0, 0, 1280, 720}}));
}

TEST(TileWire, MessagesRoundTripByteForByte) {
    TileMessageHeader h;
    h.key = true;
    h.tile_count = 2;
    h.seq = 0xA1B2C3D4;
    h.width = 1280;
    h.height = 720;
    h.captured_at_ms = 1'765'000'000'123ULL;
    auto a = make_tile(Rect{0, 0, 64, 64}, 1, "first");
    auto b = make_tile(Rect{1216, 704, 64, 16}, 1, "second!");
    const std::string bytes = encode_tile_message_header(h) + a->record + b->record;
    EXPECT_EQ(bytes.size(), kTileMessageHeaderBytes + 2 * kTileRecordHeaderBytes + 5 + 7);
    EXPECT_EQ(bytes.substr(0, 4), "RRTL");
    EXPECT_EQ(static_cast<unsigned char>(bytes[8]), 0xD4);  // little-endian seq
    auto parsed = parse_tile_message(bytes);
    ASSERT_TRUE(parsed.has_value());
    EXPECT_TRUE(parsed->header.key);
    EXPECT_EQ(parsed->header.seq, 0xA1B2C3D4u);
    EXPECT_EQ(parsed->header.captured_at_ms, 1'765'000'000'123ULL);
    ASSERT_EQ(parsed->tiles.size(), 2u);
    EXPECT_EQ(parsed->tiles[1].rect, (Rect{1216, 704, 64, 16}));
    EXPECT_EQ(parsed->tiles[1].jpeg, "second!");
    EXPECT_EQ(a->jpeg(), "first");
}

TEST(TileWire, MalformedMessagesAreRejected) {
    TileMessageHeader h;
    h.tile_count = 1;
    h.width = 64;
    h.height = 64;
    const std::string good = encode_tile_message_header(h) + make_tile(Rect{0, 0, 64, 64}, 1, "jpeg")->record;
    ASSERT_TRUE(parse_tile_message(good).has_value());
    EXPECT_FALSE(parse_tile_message(good.substr(0, good.size() - 1)).has_value());  // truncated JPEG
    EXPECT_FALSE(parse_tile_message(good + "x").has_value());                       // trailing bytes
    EXPECT_FALSE(parse_tile_message("RRTL").has_value());
    std::string bad_magic = good;
    bad_magic[0] = 'X';
    EXPECT_FALSE(parse_tile_message(bad_magic).has_value());
    std::string bad_version = good;
    bad_version[4] = 2;
    EXPECT_FALSE(parse_tile_message(bad_version).has_value());
    // A tile past the screen's edge.
    const std::string off = encode_tile_message_header(h) + make_tile(Rect{32, 0, 64, 64}, 1, "jpeg")->record;
    EXPECT_FALSE(parse_tile_message(off).has_value());
}

TEST(TileState, NothingToServeBeforeAKeyFrame) {
    TileState state;
    EXPECT_FALSE(state.can_serve(0));
    state.reset(256, 128, 5);
    EXPECT_FALSE(state.can_serve(4));  // older than the key: needs the key
    EXPECT_TRUE(state.can_serve(5));
    EXPECT_TRUE(state.since(5).empty());
    state.invalidate();
    EXPECT_FALSE(state.can_serve(5));
}

TEST(TileState, CatchUpIsDistinctNewestTilesOldestFirst) {
    TileState state;
    state.reset(256, 128, 1);
    auto wide = make_tile(Rect{0, 0, 192, 64}, 2, "wide");
    auto mid = make_tile(Rect{64, 0, 64, 64}, 3, "mid");
    auto low = make_tile(Rect{0, 64, 64, 64}, 4, "low");
    state.apply({wide});
    state.apply({mid});
    state.apply({low});
    EXPECT_EQ(state.since(1), (std::vector<TilePtr>{wide, mid, low}));
    EXPECT_EQ(state.since(2), (std::vector<TilePtr>{mid, low}));
    EXPECT_EQ(state.since(3), (std::vector<TilePtr>{low}));
    EXPECT_TRUE(state.since(4).empty());
    // A tile fully covered by newer ones is no longer anywhere.
    auto cover = make_tile(Rect{0, 0, 192, 64}, 5, "cover");
    state.apply({cover});
    EXPECT_EQ(state.since(1), (std::vector<TilePtr>{low, cover}));
}

TEST(RateCap, PauseIsTheTimeTheBytesTakeAtTheCap) {
    EXPECT_FALSE(RateCap(0).capped());
    EXPECT_EQ(RateCap(0).pause_after_us(1'000'000), 0);
    // 125,000 bytes = 1,000,000 bits; at 1,000 kbit/s that is one second.
    EXPECT_EQ(RateCap(1000).pause_after_us(125'000), 1'000'000);
    EXPECT_EQ(RateCap(8).pause_after_us(1), 1000);
    EXPECT_EQ(RateCap(1).pause_after_us(200'000), RateCap::kMaxPauseUs);  // 27 minutes otherwise
}

}  // namespace redred::screen
