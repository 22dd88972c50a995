// One WebSocket connection of the live platform. Lives on its connection's strand (shared with other
// connections, core/connection.hpp); everything it owns is touched only there. Other code calls deliver() or
// close(), which post, or, already on that strand, deliver_here().
//
// Outbound: a queue capped in bytes (STYLE §4). Messages are written by this class as ready-made WebSocket
// frames straight to the socket: a non-blocking send from the strand when the socket can take it (the common
// case: no coroutine, no timer, no composed operation per message), an async write of the rest otherwise.
// Everything queued meanwhile goes out as one frame: one message as itself, several as one JSON array of them
// (docs/PROTOCOL.md). Beast does the handshake, reads, and the close. Because Beast does not know about our
// writes, it must not write on its own: keep-alive pings are ours (queued like messages). Beast answers a
// client's ping or close through GatedConnection, which holds its pong until a half-written frame of ours is
// out (and ours until its pong is out), so the two never interleave. Over TLS every write is asynchronous
// (through OpenSSL); over plain TCP the non-blocking send above is used.
// A viewer whose queue passes the cap is closed with 1013 (try again later) and counted.
#pragma once
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>

#include "core/connection.hpp"
#include "core/metrics.hpp"
#include "core/net.hpp"
#include "ws/gated_connection.hpp"

namespace redred::ws {

struct WsLimits {
    std::size_t max_message_bytes = 16 * 1024;        // larger client frames: closed with 1009
    std::size_t max_queued_bytes = 1024 * 1024;       // outbound cap per connection
    std::chrono::milliseconds handshake_timeout{10000};
    std::chrono::milliseconds idle_timeout{30000};    // nothing from the peer (we ping every half of it)
};

class WsSession;

// What a session reports to its owner (a room). Called on the session's strand.
struct WsHandler {
    std::function<void(std::shared_ptr<WsSession>)> on_open;
    std::function<void(std::shared_ptr<WsSession>, std::string)> on_message;
    std::function<void(std::shared_ptr<WsSession>)> on_close;
};

class WsSession : public std::enable_shared_from_this<WsSession> {
public:
    using Message = std::shared_ptr<const std::string>;

    WsSession(Connection stream, WsLimits limits, Metrics& metrics);
    ~WsSession();

    // Accepts the upgrade, then reads until the socket closes. `self` keeps the session alive.
    static net::awaitable<void> run(std::shared_ptr<WsSession> self, http::request<http::string_body> upgrade,
                                    WsHandler handler);

    void deliver(Message message);                          // any thread
    // A batch: `messages` is `count` JSON messages joined by commas, without brackets (count > 1), or one message.
    // `pass` is released once this delivery has been handed to the socket (or queued): the room's fan-out pass
    // knows by it when every socket has had its turn (see Room::broadcast).
    void deliver(Message messages, std::uint32_t count, std::shared_ptr<void> pass);
    void close(websocket::close_code code, std::string reason);  // any thread; sends what is queued first
    std::uint64_t id() const { return id_; }

    // For code that serves many sessions at once (a room's fan-out pass): sessions with the same nonzero
    // strand_key() share one strand, so one handler posted to strand() may call deliver_here() for all of them.
    StrandKey strand_key() const { return strand_key_; }
    const net::any_io_executor& strand() const { return strand_; }
    void deliver_here(const Message& messages, std::uint32_t count);  // on strand() only; a batch as above

private:
    void on_deliver(Message messages, std::uint32_t count);
    void on_close_request(websocket::close_code code, std::string reason);
    void flush();                      // writes what is queued; strand only
    void start_close();                // Beast's close handshake, once nothing of ours is in flight
    void schedule_ping();
    void mark_closed();

    net::any_io_executor strand_;
    const StrandKey strand_key_;
    websocket::stream<GatedConnection> ws_;  // Beast's writes take turns with ours (see GatedConnection)
    WsLimits limits_;
    Metrics& metrics_;
    const std::uint64_t id_;

    // Strand only.
    struct Queued {
        Message text;         // one message, or several joined by commas
        std::uint32_t count;  // how many messages `text` holds
    };
    std::deque<Queued> queue_;
    std::size_t queued_bytes_ = 0;
    std::size_t queued_messages_ = 0;
    std::string frame_;             // the frame being written (header + payload)
    bool writing_ = false;          // an async write of frame_ is in flight
    bool open_ = false;             // handshake done, not closed
    bool closing_ = false;
    bool close_started_ = false;
    bool ping_due_ = false;
    std::chrono::steady_clock::time_point last_heard_;  // any frame from the peer, pongs included
    websocket::close_reason close_reason_;
    net::steady_timer ping_timer_;
};

// A fresh connection id, from the same sequence as WebSocket sessions (a WHEP player is a connection too).
std::uint64_t new_connection_id();
// With --redis every process has a cluster tag (1..2^20-1) and its connection ids are (tag << 32) | counter:
// unique across the cluster and still exact as JavaScript numbers. Call once, before any connection.
void set_connection_tag(std::uint32_t tag);
inline std::uint32_t connection_tag(std::uint64_t connection_id) {
    return static_cast<std::uint32_t>(connection_id >> 32);
}

// A server-to-client frame (unmasked, FIN set) around `payload`; opcode 0x1 text, 0x9 ping.
void append_frame_header(std::string& out, std::uint8_t opcode, std::size_t payload_size);

}  // namespace redred::ws
