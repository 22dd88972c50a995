#include "screen/tiles.hpp"

#include <algorithm>
#include <cstring>
#include <unordered_set>

namespace redred::screen {
namespace {

std::uint16_t clamp_u16(int v) { return static_cast<std::uint16_t>(std::clamp(v, 0, 0xffff)); }

constexpr std::string_view kMagic = "RRTL";

}  // namespace

void put_le(std::string& out, std::uint64_t value, int size) {
    for (int i = 0; i < size; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

std::uint64_t get_le(std::string_view bytes, std::size_t at, int size) {
    std::uint64_t v = 0;
    for (int i = size - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(bytes[at + i]);
    return v;
}

std::optional<ParsedTile> parse_tile_record(std::string_view bytes, std::size_t& at) {
    if (at > bytes.size() || bytes.size() - at < kTileRecordHeaderBytes) return std::nullopt;
    ParsedTile tile;
    tile.rect = Rect{static_cast<int>(get_le(bytes, at, 2)), static_cast<int>(get_le(bytes, at + 2, 2)),
                     static_cast<int>(get_le(bytes, at + 4, 2)), static_cast<int>(get_le(bytes, at + 6, 2))};
    const std::uint64_t size = get_le(bytes, at + 8, 4);
    const std::size_t jpeg_at = at + kTileRecordHeaderBytes;
    if (size > bytes.size() - jpeg_at || tile.rect.empty()) return std::nullopt;
    tile.jpeg = bytes.substr(jpeg_at, size);
    at = jpeg_at + size;
    return tile;
}

TileGrid::TileGrid(int width, int height, int cell)
    : width_(std::max(width, 0)),
      height_(std::max(height, 0)),
      cell_(std::max(cell, 1)),
      columns_((width_ + cell_ - 1) / cell_),
      rows_((height_ + cell_ - 1) / cell_) {}

Rect TileGrid::cell_rect(int column, int row) const {
    const int x = column * cell_;
    const int y = row * cell_;
    return Rect{x, y, std::min(cell_, width_ - x), std::min(cell_, height_ - y)};
}

std::vector<bool> TileGrid::touched_cells(const std::vector<Rect>& changed) const {
    std::vector<bool> cells(static_cast<std::size_t>(cell_count()), false);
    for (const Rect& r : changed) {
        const int x0 = std::max(r.x, 0);
        const int y0 = std::max(r.y, 0);
        const int x1 = std::min(r.x + r.w, width_);
        const int y1 = std::min(r.y + r.h, height_);
        if (x0 >= x1 || y0 >= y1) continue;
        for (int row = y0 / cell_; row <= (y1 - 1) / cell_; ++row)
            for (int column = x0 / cell_; column <= (x1 - 1) / cell_; ++column)
                cells[static_cast<std::size_t>(row * columns_ + column)] = true;
    }
    return cells;
}

std::vector<Rect> TileGrid::cover(const std::vector<bool>& cells) const {
    struct Run {
        int first;
        int last;  // columns, inclusive
        int top;   // first row of the stack
        int rows;
    };
    std::vector<Rect> out;
    std::vector<Run> open;  // runs of the previous row, still extendable
    const auto close = [&](const Run& run) {
        const int x = run.first * cell_;
        const int y = run.top * cell_;
        const int right = std::min((run.last + 1) * cell_, width_);
        const int bottom = std::min((run.top + run.rows) * cell_, height_);
        out.push_back(Rect{x, y, right - x, bottom - y});
    };
    for (int row = 0; row < rows_; ++row) {
        std::vector<Run> next;
        for (int column = 0; column < columns_;) {
            if (!cells[static_cast<std::size_t>(row * columns_ + column)]) {
                ++column;
                continue;
            }
            int last = column;
            while (last + 1 < columns_ && cells[static_cast<std::size_t>(row * columns_ + last + 1)]) ++last;
            auto same = std::find_if(open.begin(), open.end(),
                                     [&](const Run& r) { return r.first == column && r.last == last; });
            if (same != open.end()) {
                Run grown = *same;
                ++grown.rows;
                open.erase(same);
                next.push_back(grown);
            } else {
                next.push_back(Run{column, last, row, 1});
            }
            column = last + 1;
        }
        for (const Run& run : open) close(run);
        open = std::move(next);
    }
    for (const Run& run : open) close(run);
    return out;
}

std::string encode_tile_message_header(const TileMessageHeader& header) {
    std::string out;
    out.reserve(kTileMessageHeaderBytes);
    out.append(kMagic);
    out.push_back(static_cast<char>(kTileFormatVersion));
    out.push_back(static_cast<char>(header.key ? 1 : 0));
    put_le(out, header.tile_count, 2);
    put_le(out, header.seq, 4);
    put_le(out, header.width, 2);
    put_le(out, header.height, 2);
    put_le(out, header.captured_at_ms, 8);
    return out;
}

std::string encode_tile_record_header(Rect rect, std::size_t jpeg_size) {
    std::string out;
    out.reserve(kTileRecordHeaderBytes);
    for (int v : {rect.x, rect.y, rect.w, rect.h}) put_le(out, clamp_u16(v), 2);
    put_le(out, jpeg_size, 4);
    return out;
}

TilePtr make_tile(Rect rect, std::uint64_t seq, std::string_view jpeg) {
    auto tile = std::make_shared<EncodedTile>();
    tile->rect = rect;
    tile->seq = seq;
    tile->record.reserve(kTileRecordHeaderBytes + jpeg.size());
    tile->record = encode_tile_record_header(rect, jpeg.size());
    tile->record.append(jpeg);
    return tile;
}

std::optional<ParsedTileMessage> parse_tile_message(std::string_view bytes) {
    if (bytes.size() < kTileMessageHeaderBytes || bytes.substr(0, 4) != kMagic ||
        static_cast<std::uint8_t>(bytes[4]) != kTileFormatVersion || (static_cast<std::uint8_t>(bytes[5]) & ~1u) != 0)
        return std::nullopt;
    ParsedTileMessage message;
    TileMessageHeader& h = message.header;
    h.key = (bytes[5] & 1) != 0;
    h.tile_count = static_cast<std::uint16_t>(get_le(bytes, 6, 2));
    h.seq = static_cast<std::uint32_t>(get_le(bytes, 8, 4));
    h.width = static_cast<std::uint16_t>(get_le(bytes, 12, 2));
    h.height = static_cast<std::uint16_t>(get_le(bytes, 14, 2));
    h.captured_at_ms = get_le(bytes, 16, 8);
    std::size_t at = kTileMessageHeaderBytes;
    message.tiles.reserve(h.tile_count);
    for (int i = 0; i < h.tile_count; ++i) {
        auto tile = parse_tile_record(bytes, at);
        if (!tile || tile->rect.x + tile->rect.w > h.width || tile->rect.y + tile->rect.h > h.height)
            return std::nullopt;
        message.tiles.push_back(*tile);
    }
    if (at != bytes.size()) return std::nullopt;
    return message;
}

void TileState::reset(int width, int height, std::uint64_t key_seq) {
    if (!grid_ || grid_->width() != width || grid_->height() != height) grid_ = std::make_unique<TileGrid>(width, height);
    cells_.assign(static_cast<std::size_t>(grid_->cell_count()), nullptr);
    base_ = key_seq;
    valid_ = true;
}

void TileState::apply(const std::vector<TilePtr>& tiles) {
    if (!valid_ || !grid_) return;
    for (const TilePtr& tile : tiles) {
        const std::vector<bool> touched = grid_->touched_cells({tile->rect});
        for (std::size_t i = 0; i < touched.size(); ++i)
            if (touched[i]) cells_[i] = tile;
    }
}

std::vector<TilePtr> TileState::since(std::uint64_t since) const {
    std::vector<TilePtr> out;
    std::unordered_set<const EncodedTile*> seen;
    for (const TilePtr& tile : cells_)
        if (tile && tile->seq > since && seen.insert(tile.get()).second) out.push_back(tile);
    std::stable_sort(out.begin(), out.end(), [](const TilePtr& a, const TilePtr& b) { return a->seq < b->seq; });
    return out;
}

std::int64_t RateCap::pause_after_us(std::size_t bytes) const {
    if (max_kbps_ <= 0) return 0;
    // bits / (kbit/s) = ms; * 1000 for µs. At most 30 s: a viewer with an absurdly low cap still gets a picture
    // now and then, and a full-frame viewer that left (nothing is read from its socket) is noticed.
    return std::min<std::int64_t>(static_cast<std::int64_t>(bytes) * 8 * 1000 / max_kbps_, kMaxPauseUs);
}

}  // namespace redred::screen
