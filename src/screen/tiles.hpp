// Tile mode of the screen feed (`/stream/ws?mode=tiles`): only what changed, as JPEG tiles with positions.
// Pure logic, no I/O: the grid that changed regions snap to, the wire format (README "Tile mode"), and the
// state that lets a viewer who fell behind get the merged change since what it last received.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "screen/image.hpp"

namespace redred::screen {

// A cell of the grid is 64x64: a multiple of 16, so tile edges fall on JPEG 4:2:0 block edges, and large enough
// that a tile's JPEG headers (~600 bytes) stay small beside its pixels.
inline constexpr int kTileCell = 64;
inline constexpr std::size_t kTileMessageHeaderBytes = 24;
inline constexpr std::size_t kTileRecordHeaderBytes = 12;
inline constexpr std::uint8_t kTileFormatVersion = 1;

// The grid of cells over a picture; the last column and row may be narrower.
class TileGrid {
public:
    TileGrid(int width, int height, int cell = kTileCell);
    int width() const { return width_; }
    int height() const { return height_; }
    int columns() const { return columns_; }
    int rows() const { return rows_; }
    int cell_count() const { return columns_ * rows_; }
    Rect cell_rect(int column, int row) const;

    // Which cells `changed` touches, one flag per cell, row by row.
    std::vector<bool> touched_cells(const std::vector<Rect>& changed) const;
    // Rectangles that cover exactly the flagged cells, few and large: runs along each row, and runs with the
    // same columns in consecutive rows stacked into one rectangle.
    std::vector<Rect> cover(const std::vector<bool>& cells) const;
    std::vector<Rect> cover(const std::vector<Rect>& changed) const { return cover(touched_cells(changed)); }

private:
    int width_;
    int height_;
    int cell_;
    int columns_;
    int rows_;
};

// One encoded tile: its rectangle, the state it shows, and its wire record (12-byte header + JPEG), built once
// and shared by every viewer's messages.
struct EncodedTile {
    Rect rect;
    std::uint64_t seq = 0;
    std::string record;
    std::string_view jpeg() const { return std::string_view(record).substr(kTileRecordHeaderBytes); }
};
using TilePtr = std::shared_ptr<const EncodedTile>;

TilePtr make_tile(Rect rect, std::uint64_t seq, std::string_view jpeg);

struct TileMessageHeader {
    bool key = false;
    std::uint16_t tile_count = 0;
    std::uint32_t seq = 0;
    std::uint16_t width = 0;
    std::uint16_t height = 0;
    std::uint64_t captured_at_ms = 0;  // Unix time in ms
};
std::string encode_tile_message_header(const TileMessageHeader& header);
std::string encode_tile_record_header(Rect rect, std::size_t jpeg_size);

// A whole message, parsed (for tests, fuzzing and the load generator). Tiles point into `bytes`.
struct ParsedTile {
    Rect rect;
    std::string_view jpeg;
};
struct ParsedTileMessage {
    TileMessageHeader header;
    std::vector<ParsedTile> tiles;
};
// nullopt when the bytes are not one well-formed message (bad magic/version, truncated, tile off the screen).
std::optional<ParsedTileMessage> parse_tile_message(std::string_view bytes);
// One tile record (12-byte header + JPEG) at `at`, which it advances past it; nullopt if cut short or empty.
// Shared by tile messages and what instances relay to each other (screen/relay.hpp).
std::optional<ParsedTile> parse_tile_record(std::string_view bytes, std::size_t& at);

// Little-endian integers of `size` bytes, the byte order of both wire formats.
void put_le(std::string& out, std::uint64_t value, int size);
std::uint64_t get_le(std::string_view bytes, std::size_t at, int size);

// The newest tile of every cell and the state it came from. A key frame resets it (the key's full picture is
// the base); each later change overwrites the cells its tiles cover. A viewer at state `since` >= base()
// catches up with the distinct tiles newer than `since`, oldest first: drawn in that order they give exactly
// the newest picture, however many states it missed, in at most one tile per cell.
class TileState {
public:
    void reset(int width, int height, std::uint64_t key_seq);
    // Tiles of one change (all with the same seq, covering whole cells as TileGrid::cover makes them).
    void apply(const std::vector<TilePtr>& tiles);
    // A change whose tiles were not made (nobody wanted them): deltas are impossible until the next reset.
    void invalidate() { valid_ = false; }

    bool can_serve(std::uint64_t since) const { return valid_ && since >= base_; }
    std::vector<TilePtr> since(std::uint64_t since) const;
    std::uint64_t base() const { return base_; }

private:
    std::unique_ptr<TileGrid> grid_;
    std::vector<TilePtr> cells_;
    std::uint64_t base_ = 0;
    bool valid_ = false;
};

// Lowers a viewer's frame rate to fit `max_kbps`: after a message of n bytes, the next may go n*8/max_kbps ms
// later. 0 = no cap.
class RateCap {
public:
    explicit RateCap(int max_kbps = 0) : max_kbps_(max_kbps) {}
    bool capped() const { return max_kbps_ > 0; }
    static constexpr std::int64_t kMaxPauseUs = 30'000'000;
    // Microseconds to wait after sending `bytes` before the next message (at most kMaxPauseUs).
    std::int64_t pause_after_us(std::size_t bytes) const;

private:
    int max_kbps_;
};

}  // namespace redred::screen
