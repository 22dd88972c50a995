#include "ws/fanout.hpp"

#include <algorithm>

namespace redred::ws::fanout {

Outgoing Outgoing::to_all(Text message, std::vector<std::uint64_t> except) {
    return Outgoing{std::move(message), 0, std::move(except), 0, {}};
}

Outgoing Outgoing::to_one(std::uint64_t connection, Text message) {
    return Outgoing{std::move(message), connection, {}, 0, {}};
}

Outgoing Outgoing::close(std::uint64_t connection, std::uint16_t code, std::string reason) {
    return Outgoing{nullptr, connection, {}, code, std::move(reason)};
}

bool Outgoing::applies_to(std::uint64_t connection) const {
    if (to) return to == connection;
    return std::find(except.begin(), except.end(), connection) == except.end();
}

Share share_for(std::uint64_t connection, const std::vector<Outgoing>& batch) {
    Share share;
    const Text* only = nullptr;
    std::string joined;
    for (const auto& o : batch) {
        if (!o.applies_to(connection)) continue;
        if (!o.message) {
            share.close = &o;
            break;
        }
        if (share.count == 0) {
            only = &o.message;
        } else {
            if (share.count == 1) joined = **only;
            joined.push_back(',');
            joined.append(*o.message);
        }
        ++share.count;
    }
    if (share.count == 1) share.text = *only;  // the shared text itself, no copy
    if (share.count > 1) share.text = std::make_shared<const std::string>(std::move(joined));
    return share;
}

bool reaches_everyone(const std::vector<Outgoing>& batch) {
    return std::any_of(batch.begin(), batch.end(), [](const Outgoing& o) { return o.to == 0; });
}

std::set<std::uint64_t> named_in(const std::vector<Outgoing>& batch) {
    std::set<std::uint64_t> named;
    for (const auto& o : batch) {
        if (o.to) named.insert(o.to);
        named.insert(o.except.begin(), o.except.end());
    }
    return named;
}

std::chrono::milliseconds pass_spacing(std::size_t members) {
    return members >= kPacedRoomSize ? kPassSpacing : std::chrono::milliseconds(0);
}

}  // namespace redred::ws::fanout
