// The layer under Beast's websocket::stream in WsSession. WsSession writes its own frames straight to the
// Connection (cheaper than Beast's writer, docs/BENCHMARKS.md), while Beast still writes the handshake answer,
// the pong to a client's ping and the close frame through this layer. Two writers on one byte stream must take
// turns, or a pong lands inside a half-written frame of ours and the client reads garbage:
// - Beast's writes wait here while one of ours is in flight (begin_own_write .. end_own_write), and each is
//   written whole (a write_some that takes every byte), so nothing of ours can land inside one of Beast's;
// - ours wait while one of Beast's is waiting or in flight (beast_pending()); on_beast_done is posted after
//   each of Beast's writes so that ours resume, in order: the pong goes out between two of our frames.
// Strand only (the session's).
#pragma once
#include <functional>

#include "core/connection.hpp"
#include "core/net.hpp"

namespace redred::ws {

class GatedConnection {
public:
    using executor_type = Connection::executor_type;

    explicit GatedConnection(Connection next) : next_(std::move(next)), wake_(next_.get_executor()) {
        wake_.expires_at(net::steady_timer::time_point::max());
    }

    executor_type get_executor() { return next_.get_executor(); }
    Connection& next_layer() { return next_; }

    // Our own writes.
    bool beast_pending() const { return beast_waiting_ || beast_writing_; }
    void begin_own_write() { own_writing_ = true; }
    void end_own_write() {
        own_writing_ = false;
        wake_.cancel();  // a write of Beast's waiting for its turn goes now
    }
    std::function<void()> on_beast_done;  // posted after each of Beast's writes

    template <class MutableBuffers, class Token>
    auto async_read_some(const MutableBuffers& buffers, Token&& token) {
        return next_.async_read_some(buffers, std::forward<Token>(token));
    }
    // Beast's writes.
    template <class ConstBuffers, class Token>
    auto async_write_some(const ConstBuffers& buffers, Token&& token) {
        return net::async_compose<Token, void(error_code, std::size_t)>(BeastWrite<ConstBuffers>{this, buffers},
                                                                          token, next_.get_executor());
    }

private:
    template <class ConstBuffers>
    struct BeastWrite {
        GatedConnection* gate;
        ConstBuffers buffers;
        bool writing = false;

        template <class Self>
        void operator()(Self& self, error_code ec = {}, std::size_t written = 0) {
            if (!writing) {
                if (gate->own_writing_) {
                    gate->beast_waiting_ = true;
                    gate->wake_.async_wait(std::move(self));  // woken (cancelled) by end_own_write
                    return;
                }
                gate->beast_waiting_ = false;
                gate->beast_writing_ = true;
                writing = true;
                net::async_write(gate->next_, buffers, std::move(self));
                return;
            }
            gate->beast_writing_ = false;
            if (gate->on_beast_done) net::post(gate->next_.get_executor(), gate->on_beast_done);
            self.complete(ec, written);
        }
    };

    Connection next_;
    net::steady_timer wake_;
    bool own_writing_ = false;
    bool beast_waiting_ = false;
    bool beast_writing_ = false;

    friend void beast_close_socket(GatedConnection& c) { c.next_.close(); }
    friend void teardown(beast::role_type role, GatedConnection& c, error_code& ec) {
        teardown(role, c.next_, ec);
    }
    template <class TeardownHandler>
    friend void async_teardown(beast::role_type role, GatedConnection& c, TeardownHandler&& handler) {
        async_teardown(role, c.next_, std::forward<TeardownHandler>(handler));
    }
};

}  // namespace redred::ws
