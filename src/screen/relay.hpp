// What the capturing instance sends the others through Redis for each change (pure: no I/O): the whole
// picture (their full-frame viewers need it) and the tiles of the change (so their tile viewers get deltas,
// not a whole picture per change). Instances of older versions sent the bare JPEG; that still decodes.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "screen/frame.hpp"

namespace redred::screen {

struct RelayedChange {
    bool key = true;       // the picture is the whole change (no tiles)
    bool changed = true;   // false: the same state again (a refresh of a still screen)
    std::uint64_t captured_at_ms = 0;
    std::string jpeg;
    std::vector<ParsedTile> tiles;  // point into the decoded bytes: keep them while these are used
};

std::string encode_relayed_change(const Frame& frame);
// nullopt when the bytes are neither this format nor a bare JPEG.
std::optional<RelayedChange> decode_relayed_change(std::string_view body);

}  // namespace redred::screen
