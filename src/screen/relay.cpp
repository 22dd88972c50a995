#include "screen/relay.hpp"

namespace redred::screen {
namespace {

constexpr std::string_view kMagic = "RRRL";

}  // namespace

// "RRRL", flags (bit 0 key, bit 1 changed), captured_at (u64), JPEG length (u32), JPEG, tile count (u16),
// then each tile's wire record (as in tile mode: x, y, w, h, length, JPEG). Little-endian.
std::string encode_relayed_change(const Frame& frame) {
    std::size_t size = 4 + 1 + 8 + 4 + frame.jpeg.size() + 2;
    for (const TilePtr& tile : frame.tiles) size += tile->record.size();
    std::string out;
    out.reserve(size);
    out.append(kMagic);
    out.push_back(static_cast<char>((frame.key ? 1 : 0) | (frame.changed ? 2 : 0)));
    put_le(out, frame.captured_at_ms, 8);
    put_le(out, frame.jpeg.size(), 4);
    out.append(frame.jpeg);
    const std::size_t tiles = frame.key ? 0 : frame.tiles.size();
    put_le(out, tiles, 2);
    for (std::size_t i = 0; i < tiles; ++i) out.append(frame.tiles[i]->record);
    return out;
}

std::optional<RelayedChange> decode_relayed_change(std::string_view body) {
    RelayedChange change;
    if (body.substr(0, 4) != kMagic) {
        if (body.size() < 2 || static_cast<unsigned char>(body[0]) != 0xFF || static_cast<unsigned char>(body[1]) != 0xD8)
            return std::nullopt;
        change.jpeg = std::string(body);  // an older instance: the bare JPEG of a change
        return change;
    }
    std::size_t at = 4;
    if (body.size() < at + 1 + 8 + 4) return std::nullopt;
    const auto flags = static_cast<unsigned char>(body[at]);
    change.key = (flags & 1) != 0;
    change.changed = (flags & 2) != 0;
    change.captured_at_ms = get_le(body, at + 1, 8);
    const std::uint64_t jpeg_size = get_le(body, at + 9, 4);
    at += 13;
    if (jpeg_size > body.size() - at) return std::nullopt;
    change.jpeg = std::string(body.substr(at, jpeg_size));
    at += jpeg_size;
    if (body.size() - at < 2) return std::nullopt;
    const std::uint64_t count = get_le(body, at, 2);
    at += 2;
    for (std::uint64_t i = 0; i < count; ++i) {
        const auto tile = parse_tile_record(body, at);
        if (!tile) return std::nullopt;
        change.tiles.push_back(*tile);
    }
    if (at != body.size()) return std::nullopt;
    return change;
}

}  // namespace redred::screen
