// What a room hands its sockets in one fan-out pass, and each socket's share of it. Pure (no I/O): Room runs the
// passes (see Room::run_pass), this decides who gets what, in order.
#pragma once
#include <chrono>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace redred::ws::fanout {

using Text = std::shared_ptr<const std::string>;  // one serialized JSON message

struct Outgoing {
    Text message;                        // null: a close
    std::uint64_t to = 0;                // 0: every socket but `except`
    std::vector<std::uint64_t> except;
    std::uint16_t close_code = 0;
    std::string close_reason;

    static Outgoing to_all(Text message, std::vector<std::uint64_t> except = {});
    static Outgoing to_one(std::uint64_t connection, Text message);
    static Outgoing close(std::uint64_t connection, std::uint16_t code, std::string reason);  // connection 0: all
    bool applies_to(std::uint64_t connection) const;
};

// One socket's part of a batch: its messages in order, as one text (WsSession::deliver's batch form: one message
// as itself, several joined by commas), then perhaps a close (nothing after a close reaches that socket).
struct Share {
    Text text;
    std::uint32_t count = 0;
    const Outgoing* close = nullptr;
};

// How long after the start of one fan-out pass of a room the next may start, for `members` sockets of it on
// this process: at once below kPacedRoomSize, kPassSpacing from there on. A pass to thousands of sockets takes
// tens of ms of CPU, and the kernel charges per write (~7 us on loopback), not per byte; spaced passes carry
// more per write (2 comments at 20/s instead of 1.5), so a big room costs less CPU and its latency stops
// depending on how busy the machine is, for at most kPassSpacing of added wait. Measured in docs/BENCHMARKS.md
// (live chat across processes, runs 5-9): at 10,000 viewers p99 441 -> 143-191 ms on two processes, 287 -> ~130 ms
// on one. Spacing by the last pass's duration was worse (it oscillates), and so were 60 and 80 ms (more CPU).
// Run 10: with one handler per connection strand instead of one post per socket, two processes 129-133 ms.
inline constexpr std::size_t kPacedRoomSize = 4000;
inline constexpr std::chrono::milliseconds kPassSpacing{100};
std::chrono::milliseconds pass_spacing(std::size_t members);

Share share_for(std::uint64_t connection, const std::vector<Outgoing>& batch);
// Whether some entry goes to every socket (else only the named ones need a look).
bool reaches_everyone(const std::vector<Outgoing>& batch);
// Connections an entry names (`to` or `except`): their share may differ from everyone else's.
std::set<std::uint64_t> named_in(const std::vector<Outgoing>& batch);

}  // namespace redred::ws::fanout
