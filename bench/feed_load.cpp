// feed_load: load generator for redred's screen feeds (SSE /stream/feed, MJPEG /stream/mjpeg, WebSocket
// /stream/ws whole frames and /stream/ws?mode=tiles).
//
// Opens N concurrent HTTP/1.1 connections to 127.0.0.1:PORT, ramps them up with non-blocking
// connects, parses the streams incrementally with as little CPU as possible (SSE: memchr for
// "\n\n", no base64 decoding; MJPEG: part headers + Content-Length, body bytes are skipped; WebSocket: an
// HTTP upgrade, then frame headers only — server frames are unmasked, payloads are skipped, pings answered
// with pongs; of a tile-mode message only its 24-byte header is read: key flag, tile count, captured_at) and
// reports per-client frame (message) rates and byte rates over a measurement window that follows a warm-up.
//
// The standard library, Linux epoll/sockets and, for --tls, OpenSSL (non-blocking SSL objects on the same
// epoll loop), so it compiles in a couple of seconds.
// Loopback only. Bounded: the process ends after warmup + seconds (+5 s grace via alarm()).
// Prints numbers, not verdicts.
//
// Usage: feed_load --port 8080 --path /stream/feed --clients 100 [--seconds 10] [--warmup 2]
//                  [--threads 1] [--ramp-per-ms 200] [--server-pid PID] [--json]
//                  [--tls [--tls-ca CERT.pem]]
// A path starting with /stream/ws is a WebSocket feed (e.g. --path '/stream/ws?mode=tiles').

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "bench_util.hpp"

namespace {

using bench::json_escape;
using bench::percentile;
using bench::process_cpu_seconds;

using Clock = std::chrono::steady_clock;

constexpr std::size_t kReadBufferBytes = 256 * 1024;  // one per thread, shared by its clients
constexpr std::size_t kMaxResponseHeaderBytes = 16 * 1024;
constexpr std::size_t kMaxPartHeaderBytes = 4 * 1024;
constexpr std::size_t kSsePrefixBytes = 24;  // enough to tell "data: stream_stopped" from a frame
constexpr std::size_t kMinSseFrameBytes = 64;
constexpr int kGraceSeconds = 5;
constexpr std::size_t kWsPrefixBytes = 24;  // a tile message's header (README "Tile mode")

enum class FeedKind { Sse, Mjpeg, WebSocket };

struct Options {
    int port = 8080;
    std::string path = "/stream/feed";
    int clients = 1;
    double seconds = 10;
    double warmup_seconds = 2;
    int threads = 1;
    int ramp_per_ms = 200;
    int server_pid = 0;
    bool json = false;
    bool tls = false;
    std::string tls_ca;  // PEM file to verify the server against; empty: no verification (see make_tls_context)
};

// The TLS client context shared by every connection (nullptr without --tls). TLS 1.2+ and OpenSSL's default
// client cipher list, as a browser would offer; the server picks the suite (printed in the results).
// Without --tls-ca the certificate is NOT verified: acceptable only because this tool talks to a throwaway
// self-signed certificate on loopback (bench/feed_bench.sh makes one per run). feed_bench.sh passes that
// certificate as --tls-ca, so its runs verify it (chain and the IP 127.0.0.1 in subjectAltName).
SSL_CTX* make_tls_context(const Options& options) {
    SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) return nullptr;
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    // A server that closes without close_notify is an EOF like on plain TCP, not an error.
    SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    if (!options.tls_ca.empty()) {
        if (SSL_CTX_load_verify_locations(ctx, options.tls_ca.c_str(), nullptr) != 1) {
            SSL_CTX_free(ctx);
            return nullptr;
        }
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    } else {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);  // throwaway loopback certificate only (see above)
    }
    return ctx;
}

// OpenSSL's error queue as one line, then cleared.
std::string tls_error_text() {
    std::string text;
    while (const unsigned long code = ERR_get_error()) {
        char buffer[256];
        ERR_error_string_n(code, buffer, sizeof buffer);
        if (!text.empty()) text += "; ";
        text += buffer;
    }
    return text.empty() ? "no OpenSSL error" : text;
}

enum class ErrorKind { None, Connect, HttpStatus, Eof, Recv, Protocol, Tls };
constexpr int kErrorKinds = 7;

constexpr const char* error_name(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::None: return "none";
        case ErrorKind::Connect: return "connect";
        case ErrorKind::HttpStatus: return "http_status";
        case ErrorKind::Eof: return "eof";
        case ErrorKind::Recv: return "recv";
        case ErrorKind::Protocol: return "protocol";
        case ErrorKind::Tls: return "tls";
    }
    return "?";
}

// Measurement window shared by all threads; written once before threads start.
struct Window {
    Clock::time_point start;
    Clock::time_point end;
};

// One HTTP connection and its incremental parser state. Owned by one epoll thread.
struct Client {
    enum class State { Connecting, TlsHandshake, Headers, Body, Done };
    enum class Chunk { Size, Data, DataEnd, Finished };

    int fd = -1;
    SSL* ssl = nullptr;  // --tls only
    State state = State::Connecting;
    Clock::time_point connect_start;
    std::optional<Clock::time_point> first_frame;

    // HTTP response headers and chunked transfer decoding
    std::string header_acc;
    bool chunked = false;
    Chunk chunk = Chunk::Size;
    std::uint64_t chunk_size = 0;
    bool chunk_ext = false;

    // SSE: bytes in the current event, its first bytes, whether the last byte seen was '\n'
    std::uint64_t event_bytes = 0;
    char prefix[kSsePrefixBytes] = {};
    std::size_t prefix_len = 0;
    bool last_was_newline = false;

    // MJPEG: "--boundary", accumulated part header, bytes left of the current part body
    std::string boundary;
    std::string part_acc;
    bool in_part_body = false;
    std::uint64_t part_remaining = 0;
    std::uint64_t part_length = 0;

    // WebSocket: the current frame's header (2..10 bytes, servers never mask), the payload bytes left of it,
    // the message it belongs to (opcode of its first frame, bytes so far, its first bytes), a ping's payload
    std::uint8_t ws_header[10] = {};
    std::size_t ws_header_len = 0;
    std::uint64_t ws_remaining = 0;
    std::uint8_t ws_frame_opcode = 0;
    bool ws_frame_fin = false;
    std::uint8_t ws_message_opcode = 0;
    std::uint64_t ws_message_bytes = 0;
    std::uint8_t ws_prefix[kWsPrefixBytes] = {};
    std::size_t ws_prefix_len = 0;
    std::string ws_control;  // ping/close payload (<= 125 bytes)

    // counters
    std::uint64_t frames_total = 0;
    std::uint64_t frames_window = 0;
    std::uint64_t bytes_total = 0;
    std::uint64_t bytes_window = 0;
    std::uint64_t jpeg_bytes_sum = 0;  // SSE: estimated from base64 length; MJPEG: Content-Length; WS: payload
    // WebSocket tile mode: key frames and tiles received, capture -> last byte here (ms) of messages in the window
    std::uint64_t key_frames_total = 0;
    std::uint64_t key_frames_window = 0;
    std::uint64_t key_frame_bytes_window = 0;  // payload bytes of the key frames in the window
    std::uint64_t tiles_window = 0;
    std::vector<float> latency_ms;
    std::uint64_t pings_answered = 0;
    std::uint64_t ws_data_frames = 0;  // data frames (fragments) received: > messages when the server fragments
    bool stream_stopped = false;
    ErrorKind error = ErrorKind::None;
    std::string error_detail;
};

bool istarts_with(std::string_view s, std::string_view prefix) {
    if (s.size() < prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(s[i])) != std::tolower(static_cast<unsigned char>(prefix[i])))
            return false;
    }
    return true;
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// Finds "\r\n\r\n" after appending `data` to `acc` (bounded by `max_bytes`). Returns how many bytes of
// `data` belong to the header, or nullopt if the header is not complete yet (all of data consumed).
// Sets `overflow` when the header would exceed the bound.
std::optional<std::size_t> accumulate_header(std::string& acc, const char* data, std::size_t len,
                                             std::size_t max_bytes, bool& overflow) {
    const std::size_t before = acc.size();
    const std::size_t take = std::min(len, max_bytes - std::min(max_bytes, before));
    acc.append(data, take);
    const std::size_t search_from = before >= 3 ? before - 3 : 0;
    const auto pos = acc.find("\r\n\r\n", search_from);
    if (pos == std::string::npos) {
        overflow = acc.size() >= max_bytes;
        return std::nullopt;
    }
    const std::size_t header_end = pos + 4;
    acc.resize(header_end);
    return header_end - before;
}

// Per-thread context: its epoll, its read buffer, the clients it owns.
class Worker {
public:
    Worker(const Options& options, FeedKind kind, const Window& window, std::size_t client_count, SSL_CTX* tls)
        : options_(options), kind_(kind), window_(window), clients_(client_count), buffer_(new char[kReadBufferBytes]),
          tls_(tls) {}

    // The negotiated protocol and cipher of the first TLS connection (empty without --tls).
    const std::string& tls_session() const { return tls_session_; }

    std::vector<Client>& clients() { return clients_; }

    void run(Clock::time_point ramp_start, double ramp_per_ms) {
        epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
        if (epoll_fd_ < 0) {
            std::perror("epoll_create1");
            std::_Exit(2);
        }
        if (kind_ == FeedKind::WebSocket) {
            // A fixed key: the server must answer 101 but this client does not check Sec-WebSocket-Accept.
            request_ = "GET " + options_.path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(options_.port) +
                       "\r\nUser-Agent: feed_load\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                       "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
        } else {
            request_ = "GET " + options_.path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(options_.port) +
                       "\r\nUser-Agent: feed_load\r\nAccept: " +
                       (kind_ == FeedKind::Sse ? "text/event-stream" : "multipart/x-mixed-replace") + "\r\n\r\n";
        }
        // Tile messages carry their capture time in Unix ms: map this thread's steady batch times to that clock.
        wall_minus_steady_ms_ =
            std::chrono::duration<double, std::milli>(std::chrono::system_clock::now().time_since_epoch()).count() -
            std::chrono::duration<double, std::milli>(Clock::now().time_since_epoch()).count();

        std::size_t next_to_connect = 0;
        std::vector<epoll_event> events(512);
        for (;;) {
            const auto now = Clock::now();
            if (now >= window_.end) break;

            if (next_to_connect < clients_.size()) {
                const double elapsed_ms = std::chrono::duration<double, std::milli>(now - ramp_start).count();
                const auto allowed = static_cast<std::size_t>(ramp_per_ms * (elapsed_ms + 1.0));
                while (next_to_connect < clients_.size() && next_to_connect < allowed) {
                    start_connect(clients_[next_to_connect++], Clock::now());
                }
            }

            int timeout_ms = next_to_connect < clients_.size() ? 1 : 100;
            const auto to_end = std::chrono::duration_cast<std::chrono::milliseconds>(window_.end - now).count() + 1;
            timeout_ms = static_cast<int>(std::min<long long>(timeout_ms, to_end));
            const int n = epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), timeout_ms);
            if (n < 0) {
                if (errno == EINTR) continue;
                std::perror("epoll_wait");
                break;
            }
            // One clock read per wake-up: frame times have the resolution of one batch, which is
            // far below a frame interval and keeps the per-frame cost at zero syscalls.
            const auto batch_time = Clock::now();
            for (int i = 0; i < n; ++i) {
                auto& client = *static_cast<Client*>(events[i].data.ptr);
                on_event(client, events[i].events, batch_time);
            }
        }
        for (auto& client : clients_) {
            if (client.ssl) SSL_free(client.ssl);
            client.ssl = nullptr;
            if (client.fd >= 0) ::close(client.fd);
            client.fd = -1;
        }
        ::close(epoll_fd_);
    }

private:
    void fail(Client& client, ErrorKind kind, std::string detail) {
        if (client.error == ErrorKind::None && !client.stream_stopped) {
            client.error = kind;
            client.error_detail = std::move(detail);
        }
        finish(client);
    }

    void finish(Client& client) {
        if (client.ssl) {
            SSL_free(client.ssl);  // no close_notify: the run is over for this client either way
            client.ssl = nullptr;
        }
        if (client.fd >= 0) {
            epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, client.fd, nullptr);
            ::close(client.fd);
            client.fd = -1;
        }
        client.state = Client::State::Done;
    }

    void start_connect(Client& client, Clock::time_point now) {
        client.connect_start = now;
        client.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (client.fd < 0) {
            fail(client, ErrorKind::Connect, std::string("socket: ") + std::strerror(errno));
            return;
        }
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(static_cast<std::uint16_t>(options_.port));
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        const int rc = ::connect(client.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
        if (rc < 0 && errno != EINPROGRESS) {
            fail(client, ErrorKind::Connect, std::string("connect: ") + std::strerror(errno));
            return;
        }
        epoll_event ev{};
        ev.events = EPOLLOUT;
        ev.data.ptr = &client;
        if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, client.fd, &ev) < 0) {
            fail(client, ErrorKind::Connect, std::string("epoll_ctl: ") + std::strerror(errno));
        }
    }

    void on_event(Client& client, std::uint32_t events, Clock::time_point now) {
        if (client.state == Client::State::Done) return;
        if (client.state == Client::State::Connecting) {
            int err = 0;
            socklen_t len = sizeof err;
            getsockopt(client.fd, SOL_SOCKET, SO_ERROR, &err, &len);
            if (err != 0) {
                fail(client, ErrorKind::Connect, std::string("connect: ") + std::strerror(err));
                return;
            }
            if (tls_) {
                client.ssl = SSL_new(tls_);
                if (!client.ssl || SSL_set_fd(client.ssl, client.fd) != 1) {
                    fail(client, ErrorKind::Tls, "SSL_new: " + tls_error_text());
                    return;
                }
                if (!options_.tls_ca.empty()) {
                    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(client.ssl), "127.0.0.1");  // the IP in subjectAltName
                }
                SSL_set_connect_state(client.ssl);
                client.state = Client::State::TlsHandshake;
            } else {
                // The request is ~150 bytes: it always fits a fresh socket's send buffer in one write.
                const ssize_t sent = ::send(client.fd, request_.data(), request_.size(), MSG_NOSIGNAL);
                if (sent != static_cast<ssize_t>(request_.size())) {
                    fail(client, ErrorKind::Connect, "short send of request");
                    return;
                }
                watch(client, EPOLLIN);
                client.state = Client::State::Headers;
                return;
            }
        }
        if (client.state == Client::State::TlsHandshake) {
            const int rc = SSL_do_handshake(client.ssl);
            if (rc != 1) {
                const int err = SSL_get_error(client.ssl, rc);
                if (err == SSL_ERROR_WANT_READ) watch(client, EPOLLIN);
                else if (err == SSL_ERROR_WANT_WRITE) watch(client, EPOLLOUT);
                else fail(client, ErrorKind::Tls, "handshake: " + tls_error_text());
                return;
            }
            if (tls_session_.empty()) {
                tls_session_ = std::string(SSL_get_version(client.ssl)) + " " + SSL_get_cipher_name(client.ssl);
            }
            // ~150 bytes in one record, right after the handshake: the send buffer is empty, so it goes in one call.
            const int sent = SSL_write(client.ssl, request_.data(), static_cast<int>(request_.size()));
            if (sent != static_cast<int>(request_.size())) {
                fail(client, ErrorKind::Tls, "short write of request: " + tls_error_text());
                return;
            }
            watch(client, EPOLLIN);
            client.state = Client::State::Headers;
            return;
        }
        // Level-triggered, one read per wake-up per client: keeps clients fair with each other.
        const ssize_t n = client.ssl ? tls_read(client) : ::recv(client.fd, buffer_.get(), kReadBufferBytes, 0);
        if (n == -2) return;  // TLS error, already counted
        if (n > 0) {
            on_bytes(client, buffer_.get(), static_cast<std::size_t>(n), now);
        } else if (n == 0) {
            if (client.stream_stopped) {
                finish(client);
            } else {
                fail(client, ErrorKind::Eof, "server closed the connection");
            }
        } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            fail(client, ErrorKind::Recv, std::string("recv: ") + std::strerror(errno));
        } else if (events & (EPOLLERR | EPOLLHUP)) {
            fail(client, ErrorKind::Recv, "socket error");
        }
    }

    void watch(Client& client, std::uint32_t events) {
        epoll_event ev{};
        ev.events = events;
        ev.data.ptr = &client;
        epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, client.fd, &ev);
    }

    // The TLS counterpart of one recv(): reads records until the buffer is full or the socket is drained, so a
    // wake-up takes about as many bytes as a plain recv() would. With read-ahead off (the default) OpenSSL
    // reads one record at a time from the socket, and every SSL_read here has room for a whole record, so no
    // decrypted bytes are ever left inside OpenSSL while the socket is empty: level-triggered epoll stays
    // correct. Returns the bytes read, 0 at EOF, -1 with errno EAGAIN when nothing was readable, -2 after fail().
    ssize_t tls_read(Client& client) {
        std::size_t total = 0;
        while (kReadBufferBytes - total >= SSL3_RT_MAX_PLAIN_LENGTH) {
            const int rc = SSL_read(client.ssl, buffer_.get() + total, static_cast<int>(kReadBufferBytes - total));
            if (rc > 0) {
                total += static_cast<std::size_t>(rc);
                continue;
            }
            const int err = SSL_get_error(client.ssl, rc);
            if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) break;
            if (total > 0) break;  // hand over what we have; the EOF or error shows on the next wake-up
            if (err == SSL_ERROR_ZERO_RETURN) return 0;
            if (err == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
                if (errno == 0) return 0;
                fail(client, ErrorKind::Recv, std::string("recv: ") + std::strerror(errno));
                return -2;
            }
            fail(client, ErrorKind::Tls, "SSL_read: " + tls_error_text());
            return -2;
        }
        if (total == 0) {
            errno = EAGAIN;
            return -1;
        }
        return static_cast<ssize_t>(total);
    }

    void on_bytes(Client& client, const char* data, std::size_t len, Clock::time_point now) {
        client.bytes_total += len;
        if (now >= window_.start && now < window_.end) client.bytes_window += len;

        if (client.state == Client::State::Headers) {
            bool overflow = false;
            const auto used = accumulate_header(client.header_acc, data, len, kMaxResponseHeaderBytes, overflow);
            if (!used) {
                if (overflow) fail(client, ErrorKind::Protocol, "response header too large");
                return;
            }
            if (!parse_response_header(client)) return;
            data += *used;
            len -= *used;
            client.state = Client::State::Body;
        }
        if (kind_ == FeedKind::WebSocket) {
            on_websocket(client, data, len, now);
        } else if (client.chunked) {
            on_chunked(client, data, len, now);
        } else {
            on_body(client, data, len, now);
        }
    }

    bool parse_response_header(Client& client) {
        const std::string_view header = client.header_acc;
        // "HTTP/1.1 200 OK"
        const auto sp = header.find(' ');
        int status = 0;
        if (sp != std::string_view::npos) {
            std::from_chars(header.data() + sp + 1, header.data() + std::min(header.size(), sp + 4), status);
        }
        const int expected_status = kind_ == FeedKind::WebSocket ? 101 : 200;
        if (status != expected_status) {
            fail(client, ErrorKind::HttpStatus,
                 "status " + std::to_string(status) + ": " + std::string(header.substr(0, header.find('\r'))));
            return false;
        }
        std::size_t line_start = header.find("\r\n") + 2;
        while (line_start < header.size()) {
            const auto line_end = header.find("\r\n", line_start);
            if (line_end == std::string_view::npos || line_end == line_start) break;
            const auto line = header.substr(line_start, line_end - line_start);
            if (istarts_with(line, "transfer-encoding:") && lower(line).find("chunked") != std::string::npos) {
                client.chunked = true;
            }
            if (istarts_with(line, "content-type:") && kind_ == FeedKind::Mjpeg) {
                const auto lowered = lower(line);
                const auto b = lowered.find("boundary=");
                if (b != std::string::npos) {
                    auto value = std::string(line.substr(b + 9));
                    if (const auto semi = value.find(';'); semi != std::string::npos) value.resize(semi);
                    while (!value.empty() && (value.back() == ' ' || value.back() == '"')) value.pop_back();
                    while (!value.empty() && (value.front() == ' ' || value.front() == '"')) value.erase(0, 1);
                    client.boundary = "--" + value;
                }
            }
            line_start = line_end + 2;
        }
        if (kind_ == FeedKind::Mjpeg && client.boundary.empty()) {
            fail(client, ErrorKind::Protocol, "no boundary in Content-Type");
            return false;
        }
        client.header_acc.clear();
        client.header_acc.shrink_to_fit();
        return true;
    }

    // Chunked transfer decoding: per-byte work only on the chunk framing, data goes through whole.
    void on_chunked(Client& client, const char* data, std::size_t len, Clock::time_point now) {
        std::size_t pos = 0;
        while (pos < len && client.state == Client::State::Body) {
            switch (client.chunk) {
                case Client::Chunk::Size: {
                    const char c = data[pos++];
                    if (c == '\n') {
                        if (client.chunk_size == 0) {
                            client.chunk = Client::Chunk::Finished;
                        } else {
                            client.chunk = Client::Chunk::Data;
                        }
                        client.chunk_ext = false;
                    } else if (c == ';') {
                        client.chunk_ext = true;
                    } else if (!client.chunk_ext && std::isxdigit(static_cast<unsigned char>(c))) {
                        const int digit = c <= '9' ? c - '0' : (std::tolower(c) - 'a' + 10);
                        client.chunk_size = client.chunk_size * 16 + static_cast<std::uint64_t>(digit);
                    }
                    break;
                }
                case Client::Chunk::Data: {
                    const auto take = static_cast<std::size_t>(std::min<std::uint64_t>(client.chunk_size, len - pos));
                    on_body(client, data + pos, take, now);
                    pos += take;
                    client.chunk_size -= take;
                    if (client.chunk_size == 0) client.chunk = Client::Chunk::DataEnd;
                    break;
                }
                case Client::Chunk::DataEnd:
                    if (data[pos++] == '\n') client.chunk = Client::Chunk::Size;
                    break;
                case Client::Chunk::Finished:
                    pos = len;
                    break;
            }
        }
    }

    void on_body(Client& client, const char* data, std::size_t len, Clock::time_point now) {
        if (kind_ == FeedKind::Sse) {
            on_sse(client, data, len, now);
        } else {
            on_mjpeg(client, data, len, now);
        }
    }

    void count_frame(Client& client, std::uint64_t jpeg_bytes, Clock::time_point now) {
        ++client.frames_total;
        client.jpeg_bytes_sum += jpeg_bytes;
        if (!client.first_frame) client.first_frame = now;
        if (now >= window_.start && now < window_.end) ++client.frames_window;
    }

    // SSE events end with "\n\n". Base64 has no newlines, so memchr jumps over a frame in one call.
    void on_sse(Client& client, const char* data, std::size_t len, Clock::time_point now) {
        const char* p = data;
        const char* const end = data + len;
        while (p < end) {
            if (client.prefix_len < kSsePrefixBytes) {
                const auto take = std::min<std::size_t>(kSsePrefixBytes - client.prefix_len, end - p);
                std::memcpy(client.prefix + client.prefix_len, p, take);
                client.prefix_len += take;
            }
            const char* event_end = nullptr;  // points at the second '\n'
            if (client.last_was_newline && *p == '\n') {
                event_end = p;
            } else {
                const char* q = static_cast<const char*>(std::memchr(p, '\n', end - p));
                while (q) {
                    if (q + 1 == end) break;
                    if (q[1] == '\n') {
                        event_end = q + 1;
                        break;
                    }
                    q = static_cast<const char*>(std::memchr(q + 1, '\n', end - (q + 1)));
                }
            }
            if (!event_end) {
                client.event_bytes += static_cast<std::uint64_t>(end - p);
                client.last_was_newline = end[-1] == '\n';
                return;
            }
            client.event_bytes += static_cast<std::uint64_t>(event_end + 1 - p);
            on_sse_event(client, now);
            if (client.state != Client::State::Body) return;
            p = event_end + 1;
        }
    }

    void on_sse_event(Client& client, Clock::time_point now) {
        const std::string_view prefix(client.prefix, client.prefix_len);
        const auto bytes = client.event_bytes;
        client.event_bytes = 0;
        client.prefix_len = 0;
        client.last_was_newline = false;
        if (prefix.starts_with("data: stream_stopped") || prefix.starts_with("data:stream_stopped")) {
            client.stream_stopped = true;
            finish(client);
            return;
        }
        if (prefix.starts_with(":") || bytes < kMinSseFrameBytes) return;  // comment / keep-alive
        // "data: " + base64 + "\n\n": decoded size is 3/4 of the base64 length.
        const std::uint64_t base64_len = bytes > 8 ? bytes - 8 : 0;
        count_frame(client, base64_len / 4 * 3, now);
    }

    // MJPEG: "\r\n--boundary\r\nContent-Type: image/jpeg\r\nContent-Length: N\r\n\r\n" + N bytes.
    void on_mjpeg(Client& client, const char* data, std::size_t len, Clock::time_point now) {
        while (len > 0 && client.state == Client::State::Body) {
            if (client.in_part_body) {
                const auto take = static_cast<std::size_t>(std::min<std::uint64_t>(client.part_remaining, len));
                client.part_remaining -= take;
                data += take;
                len -= take;
                if (client.part_remaining == 0) {
                    client.in_part_body = false;
                    count_frame(client, client.part_length, now);
                }
                continue;
            }
            // The CRLF that ends a part body (and any blank line a server adds) precedes the delimiter.
            if (client.part_acc.empty()) {
                while (len > 0 && (*data == '\r' || *data == '\n')) {
                    ++data;
                    --len;
                }
                if (len == 0) return;
            }
            bool overflow = false;
            const auto used = accumulate_header(client.part_acc, data, len, kMaxPartHeaderBytes, overflow);
            if (!used) {
                if (client.part_acc.find(client.boundary + "--") != std::string::npos) {
                    client.stream_stopped = true;
                    finish(client);
                } else if (overflow) {
                    fail(client, ErrorKind::Protocol, "MJPEG part header too large");
                }
                return;
            }
            data += *used;
            len -= *used;
            if (!parse_part_header(client)) return;
        }
    }

    // WebSocket frames: [FIN|opcode] [len7] [len16 | len64] payload (servers never mask). Data messages are counted
    // when their last frame ends; pings are answered with a pong (the server closes a connection that does not
    // answer its keep-alive pings), a close ends the client.
    void on_websocket(Client& client, const char* data, std::size_t len, Clock::time_point now) {
        while (len > 0 && client.state == Client::State::Body) {
            if (client.ws_remaining == 0 && !ws_header_complete(client)) {
                const std::size_t need = ws_header_size(client) - client.ws_header_len;
                const std::size_t take = std::min(need, len);
                std::memcpy(client.ws_header + client.ws_header_len, data, take);
                client.ws_header_len += take;
                data += take;
                len -= take;
                if (!ws_header_complete(client)) continue;  // a 16/64-bit length follows, or more bytes are needed
                if (!start_ws_frame(client, now)) return;
                continue;
            }
            const auto take = static_cast<std::size_t>(std::min<std::uint64_t>(client.ws_remaining, len));
            on_ws_payload(client, data, take);
            client.ws_remaining -= take;
            data += take;
            len -= take;
            if (client.ws_remaining == 0) end_ws_frame(client, now);
        }
    }

    // Header bytes needed so far: 2, then 4 or 10 once the 7-bit length says so.
    static std::size_t ws_header_size(const Client& client) {
        if (client.ws_header_len < 2) return 2;
        const std::uint8_t len7 = client.ws_header[1] & 0x7f;
        return len7 == 126 ? 4 : len7 == 127 ? 10 : 2;
    }
    static bool ws_header_complete(const Client& client) {
        return client.ws_header_len >= 2 && client.ws_header_len == ws_header_size(client);
    }

    bool start_ws_frame(Client& client, Clock::time_point now) {
        const std::uint8_t* h = client.ws_header;
        if (h[1] & 0x80) {
            fail(client, ErrorKind::Protocol, "masked frame from the server");
            return false;
        }
        std::uint64_t length = h[1] & 0x7f;
        if (length == 126) length = (std::uint64_t{h[2]} << 8) | h[3];
        if (length == 127) {
            length = 0;
            for (int i = 2; i < 10; ++i) length = (length << 8) | h[i];
        }
        client.ws_header_len = 0;
        client.ws_frame_fin = (h[0] & 0x80) != 0;
        client.ws_frame_opcode = h[0] & 0x0f;
        if (client.ws_frame_opcode == 0) ++client.ws_data_frames;  // a continuation
        if (client.ws_frame_opcode >= 8) {
            if (length > 125) {
                fail(client, ErrorKind::Protocol, "control frame longer than 125 bytes");
                return false;
            }
            client.ws_control.clear();
        } else if (client.ws_frame_opcode != 0) {  // the first frame of a data message
            ++client.ws_data_frames;
            client.ws_message_opcode = client.ws_frame_opcode;
            client.ws_message_bytes = 0;
            client.ws_prefix_len = 0;
        }
        client.ws_remaining = length;
        if (length == 0) end_ws_frame(client, now);
        return true;
    }

    void on_ws_payload(Client& client, const char* data, std::size_t len) {
        if (client.ws_frame_opcode >= 8) {
            client.ws_control.append(data, len);
            return;
        }
        client.ws_message_bytes += len;
        if (client.ws_prefix_len < kWsPrefixBytes) {
            const auto take = std::min(kWsPrefixBytes - client.ws_prefix_len, len);
            std::memcpy(client.ws_prefix + client.ws_prefix_len, data, take);
            client.ws_prefix_len += take;
        }
    }

    void end_ws_frame(Client& client, Clock::time_point now) {
        switch (client.ws_frame_opcode) {
            case 0x8:  // close: the server ends the feed (after "stream_stopped" when the stream stopped)
                if (client.stream_stopped)
                    finish(client);
                else
                    fail(client, ErrorKind::Eof, "server sent a close frame");
                return;
            case 0x9:
                send_pong(client);
                return;
            case 0xA:
                return;
            default:
                break;
        }
        if (!client.ws_frame_fin) return;  // more frames of this message follow
        const std::string_view prefix(reinterpret_cast<const char*>(client.ws_prefix), client.ws_prefix_len);
        if (client.ws_message_opcode == 0x1) {  // text: "stream_stopped" is the only one the server sends
            if (prefix.starts_with("stream_stopped")) client.stream_stopped = true;
            return;
        }
        count_frame(client, client.ws_message_bytes, now);
        if (client.ws_prefix_len == kWsPrefixBytes && prefix.starts_with("RRTL")) {
            const bool key = (client.ws_prefix[5] & 1) != 0;
            const unsigned tiles = client.ws_prefix[6] | (unsigned{client.ws_prefix[7]} << 8);
            std::uint64_t captured_at_ms = 0;
            for (int i = 7; i >= 0; --i) captured_at_ms = (captured_at_ms << 8) | client.ws_prefix[16 + i];
            const bool in_window = now >= window_.start && now < window_.end;
            if (key) ++client.key_frames_total;
            if (in_window) {
                if (key) {
                    ++client.key_frames_window;
                    client.key_frame_bytes_window += client.ws_message_bytes;
                }
                client.tiles_window += tiles;
                const double received_ms =
                    std::chrono::duration<double, std::milli>(now.time_since_epoch()).count() + wall_minus_steady_ms_;
                client.latency_ms.push_back(static_cast<float>(received_ms - static_cast<double>(captured_at_ms)));
            }
        }
    }

    // A pong echoing the ping's payload, masked as every client frame must be (with a zero key: the payload goes
    // as is; servers do not judge the key). At most 131 bytes: always fits the send buffer of a socket this
    // client keeps drained.
    void send_pong(Client& client) {
        std::string frame;
        frame.push_back(static_cast<char>(0x8A));
        frame.push_back(static_cast<char>(0x80 | client.ws_control.size()));
        frame.append(4, '\0');
        frame += client.ws_control;
        const long sent = client.ssl ? SSL_write(client.ssl, frame.data(), static_cast<int>(frame.size()))
                                     : ::send(client.fd, frame.data(), frame.size(), MSG_NOSIGNAL);
        if (sent != static_cast<long>(frame.size())) {
            fail(client, ErrorKind::Recv, "short write of a pong");
            return;
        }
        ++client.pings_answered;
    }

    bool parse_part_header(Client& client) {
        const std::string_view header = client.part_acc;
        if (header.find(client.boundary) == std::string_view::npos) {
            fail(client, ErrorKind::Protocol, "MJPEG part without boundary");
            return false;
        }
        std::optional<std::uint64_t> length;
        std::size_t line_start = 0;
        while (line_start < header.size()) {
            auto line_end = header.find("\r\n", line_start);
            if (line_end == std::string_view::npos) line_end = header.size();
            const auto line = header.substr(line_start, line_end - line_start);
            if (istarts_with(line, "content-length:")) {
                auto value = line.substr(15);
                while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
                std::uint64_t parsed = 0;
                if (std::from_chars(value.data(), value.data() + value.size(), parsed).ec == std::errc{}) length = parsed;
            }
            line_start = line_end + 2;
        }
        if (!length) {
            fail(client, ErrorKind::Protocol, "MJPEG part without Content-Length");
            return false;
        }
        client.part_acc.clear();
        client.part_length = *length;
        client.part_remaining = *length;
        client.in_part_body = true;
        if (*length == 0) {
            client.in_part_body = false;
            count_frame(client, 0, Clock::now());
        }
        return true;
    }

    const Options& options_;
    const FeedKind kind_;
    const Window& window_;
    std::vector<Client> clients_;
    std::unique_ptr<char[]> buffer_;
    std::string request_;
    int epoll_fd_ = -1;
    SSL_CTX* const tls_;
    std::string tls_session_;
    double wall_minus_steady_ms_ = 0;
};

[[noreturn]] void usage(const char* message) {
    std::fprintf(
        stderr,
        "feed_load: %s\n"
        "usage: feed_load --port P --path /stream/feed|/stream/mjpeg|/stream/ws[?mode=tiles] --clients N\n"
        "                 [--seconds S] [--warmup W] [--threads T] [--ramp-per-ms R] [--server-pid PID] [--json]\n"
        "                 [--tls [--tls-ca CERT.pem]]  (HTTPS; without --tls-ca the certificate is not verified)\n",
        message);
    std::exit(2);
}

Options parse_options(int argc, char** argv) {
    Options options;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) usage(("missing value for " + std::string(arg)).c_str());
            return argv[++i];
        };
        if (arg == "--port") options.port = std::stoi(value());
        else if (arg == "--path") options.path = value();
        else if (arg == "--clients" || arg == "-n") options.clients = std::stoi(value());
        else if (arg == "--seconds") options.seconds = std::stod(value());
        else if (arg == "--warmup") options.warmup_seconds = std::stod(value());
        else if (arg == "--threads") options.threads = std::stoi(value());
        else if (arg == "--ramp-per-ms") options.ramp_per_ms = std::stoi(value());
        else if (arg == "--server-pid") options.server_pid = std::stoi(value());
        else if (arg == "--json") options.json = true;
        else if (arg == "--tls") options.tls = true;
        else if (arg == "--tls-ca") options.tls_ca = value();
        else if (arg == "--help" || arg == "-h") usage("help");
        else usage(("unknown option " + std::string(arg)).c_str());
    }
    if (options.port <= 0 || options.port > 65535) usage("--port must be 1..65535");
    if (options.clients < 1 || options.clients > 60000) usage("--clients must be 1..60000");
    if (options.seconds <= 0 || options.seconds > 600) usage("--seconds must be in (0, 600]");
    if (options.warmup_seconds < 0 || options.warmup_seconds > 600) usage("--warmup must be in [0, 600]");
    if (options.threads < 1 || options.threads > 64) usage("--threads must be 1..64");
    if (options.ramp_per_ms < 1) usage("--ramp-per-ms must be >= 1");
    if (!options.tls_ca.empty() && !options.tls) usage("--tls-ca needs --tls");
    return options;
}


double seconds_of(const timeval& tv) { return static_cast<double>(tv.tv_sec) + tv.tv_usec / 1e6; }

struct Usage {
    double user = 0;
    double sys = 0;
};

Usage self_usage() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return {seconds_of(ru.ru_utime), seconds_of(ru.ru_stime)};
}


double median(const std::vector<double>& sorted) {
    if (sorted.empty()) return 0;
    const auto n = sorted.size();
    return n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}


}  // namespace

int main(int argc, char** argv) {
    const Options options = parse_options(argc, argv);
    const FeedKind kind = options.path.starts_with("/stream/ws")            ? FeedKind::WebSocket
                          : options.path.find("mjpeg") != std::string::npos ? FeedKind::Mjpeg
                                                                            : FeedKind::Sse;

    // Hard bound: whatever happens (a stuck server, a stuck thread), the process ends.
    alarm(static_cast<unsigned>(std::ceil(options.warmup_seconds + options.seconds)) + kGraceSeconds);
    signal(SIGPIPE, SIG_IGN);

    rlimit nofile{};
    if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
        nofile.rlim_cur = nofile.rlim_max;
        setrlimit(RLIMIT_NOFILE, &nofile);
    }

    const auto run_start = Clock::now();
    Window window;
    window.start = run_start + std::chrono::duration_cast<Clock::duration>(
                                   std::chrono::duration<double>(options.warmup_seconds));
    window.end = window.start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(options.seconds));

    SSL_CTX* tls = nullptr;
    if (options.tls) {
        tls = make_tls_context(options);
        if (!tls) {
            std::fprintf(stderr, "feed_load: TLS context: %s\n", tls_error_text().c_str());
            return 2;
        }
    }
    std::vector<std::unique_ptr<Worker>> workers;
    for (int t = 0; t < options.threads; ++t) {
        const int share = options.clients / options.threads + (t < options.clients % options.threads ? 1 : 0);
        workers.push_back(std::make_unique<Worker>(options, kind, window, static_cast<std::size_t>(share), tls));
    }
    const double ramp_per_thread = static_cast<double>(options.ramp_per_ms) / options.threads;
    std::vector<std::thread> threads;
    for (auto& worker : workers) {
        threads.emplace_back([&worker, run_start, ramp_per_thread] { worker->run(run_start, ramp_per_thread); });
    }

    // The main thread only samples CPU usage at the window edges.
    std::this_thread::sleep_until(window.start);
    const Usage usage_start = self_usage();
    const auto server_start = options.server_pid ? process_cpu_seconds(options.server_pid) : std::nullopt;
    const auto measured_start = Clock::now();
    std::this_thread::sleep_until(window.end);
    const Usage usage_end = self_usage();
    const auto server_end = options.server_pid ? process_cpu_seconds(options.server_pid) : std::nullopt;
    const double window_seconds = std::chrono::duration<double>(Clock::now() - measured_start).count();
    for (auto& thread : threads) thread.join();

    // Aggregate.
    std::vector<double> fps;
    std::vector<double> ttff_ms;
    std::uint64_t bytes_window = 0, frames_window = 0, frames_total = 0, jpeg_bytes = 0;
    int zero_frame_clients = 0, stopped = 0;
    int errors_by_kind[kErrorKinds] = {};
    std::vector<double> client_bytes_per_s;  // wire bytes (headers and framing included) per client in the window
    std::uint64_t key_frames_total = 0, key_frames_window = 0, key_frame_bytes_window = 0, tiles_window = 0,
                  pings_answered = 0, ws_data_frames = 0;
    std::vector<float> latency_ms;
    std::string first_error;
    std::string tls_session;
    for (auto& worker : workers) {
        if (tls_session.empty()) tls_session = worker->tls_session();
        for (const auto& client : worker->clients()) {
            fps.push_back(static_cast<double>(client.frames_window) / options.seconds);
            client_bytes_per_s.push_back(static_cast<double>(client.bytes_window) / options.seconds);
            key_frames_total += client.key_frames_total;
            key_frames_window += client.key_frames_window;
            key_frame_bytes_window += client.key_frame_bytes_window;
            tiles_window += client.tiles_window;
            pings_answered += client.pings_answered;
            ws_data_frames += client.ws_data_frames;
            latency_ms.insert(latency_ms.end(), client.latency_ms.begin(), client.latency_ms.end());
            if (client.first_frame) {
                ttff_ms.push_back(std::chrono::duration<double, std::milli>(*client.first_frame - client.connect_start).count());
            }
            bytes_window += client.bytes_window;
            frames_window += client.frames_window;
            frames_total += client.frames_total;
            jpeg_bytes += client.jpeg_bytes_sum;
            if (client.frames_window == 0) ++zero_frame_clients;
            if (client.stream_stopped) ++stopped;
            ++errors_by_kind[static_cast<int>(client.error)];
            if (client.error != ErrorKind::None && first_error.empty()) first_error = client.error_detail;
        }
    }
    std::sort(fps.begin(), fps.end());
    std::sort(ttff_ms.begin(), ttff_ms.end());
    std::sort(client_bytes_per_s.begin(), client_bytes_per_s.end());
    std::sort(latency_ms.begin(), latency_ms.end());
    const double client_bytes_mean = static_cast<double>(bytes_window) / options.seconds / options.clients;
    const double fps_mean = static_cast<double>(frames_window) / options.seconds / options.clients;
    const double latency_max = latency_ms.empty() ? 0 : latency_ms.back();
    const int errors = options.clients - errors_by_kind[0];
    const double mb_per_s = static_cast<double>(bytes_window) / 1e6 / options.seconds;
    const double mean_frame_kb = frames_total ? static_cast<double>(jpeg_bytes) / static_cast<double>(frames_total) / 1e3 : 0;
    const double loadgen_user = usage_end.user - usage_start.user;
    const double loadgen_sys = usage_end.sys - usage_start.sys;
    const double loadgen_cores = (loadgen_user + loadgen_sys) / window_seconds;
    std::optional<double> server_cores;
    if (server_start && server_end) server_cores = (*server_end - *server_start) / window_seconds;
    const double ttff_median = median(ttff_ms);
    const double ttff_max = ttff_ms.empty() ? 0 : ttff_ms.back();

    if (options.json) {
        std::printf(
            "{\"path\":\"%s\",\"clients\":%d,\"threads\":%d,\"warmup_s\":%.3f,\"window_s\":%.3f,"
            "\"fps_median\":%.3f,\"fps_min\":%.3f,\"fps_p10\":%.3f,\"fps_aggregate\":%.2f,"
            "\"ttff_ms_median\":%.1f,\"ttff_ms_max\":%.1f,\"clients_with_frame\":%zu,\"zero_frame_clients\":%d,"
            "\"mb_per_s\":%.2f,\"mean_frame_kb\":%.2f,\"frames_total\":%llu,\"stream_stopped\":%d,\"errors\":%d,"
            "\"errors_by_kind\":{\"connect\":%d,\"http_status\":%d,\"eof\":%d,\"recv\":%d,\"protocol\":%d,\"tls\":%d},"
            "\"first_error\":\"%s\",\"loadgen_cpu_cores\":%.3f,\"loadgen_user_s\":%.3f,\"loadgen_sys_s\":%.3f,"
            "\"server_pid\":%d,\"server_cpu_cores\":%s,\"scheme\":\"%s\",\"tls_session\":\"%s\","
            "\"fps_mean\":%.3f,\"fps_max\":%.3f,\"client_bytes_per_s_mean\":%.1f,\"client_bytes_per_s_min\":%.1f,"
            "\"client_bytes_per_s_max\":%.1f,\"bytes_window\":%llu,\"key_frames_total\":%llu,"
            "\"key_frames_window\":%llu,\"key_frame_bytes_window\":%llu,\"tiles_window\":%llu,\"pings_answered\":%llu,"
            "\"ws_data_frames\":%llu,\"latency_samples\":%zu,\"latency_ms_median\":%.1f,\"latency_ms_p90\":%.1f,"
            "\"latency_ms_p99\":%.1f,\"latency_ms_max\":%.1f}\n",
            json_escape(options.path).c_str(), options.clients, options.threads, options.warmup_seconds, window_seconds,
            median(fps), fps.front(), percentile(fps, 10), static_cast<double>(frames_window) / options.seconds,
            ttff_median, ttff_max, ttff_ms.size(), zero_frame_clients, mb_per_s, mean_frame_kb,
            static_cast<unsigned long long>(frames_total), stopped, errors,
            errors_by_kind[static_cast<int>(ErrorKind::Connect)],
            errors_by_kind[static_cast<int>(ErrorKind::HttpStatus)], errors_by_kind[static_cast<int>(ErrorKind::Eof)],
            errors_by_kind[static_cast<int>(ErrorKind::Recv)], errors_by_kind[static_cast<int>(ErrorKind::Protocol)],
            errors_by_kind[static_cast<int>(ErrorKind::Tls)], json_escape(first_error).c_str(), loadgen_cores,
            loadgen_user, loadgen_sys, options.server_pid,
            server_cores ? std::to_string(*server_cores).c_str() : "null", options.tls ? "https" : "http",
            json_escape(tls_session).c_str(), fps_mean, fps.back(), client_bytes_mean, client_bytes_per_s.front(),
            client_bytes_per_s.back(), static_cast<unsigned long long>(bytes_window),
            static_cast<unsigned long long>(key_frames_total), static_cast<unsigned long long>(key_frames_window),
            static_cast<unsigned long long>(key_frame_bytes_window), static_cast<unsigned long long>(tiles_window),
            static_cast<unsigned long long>(pings_answered), static_cast<unsigned long long>(ws_data_frames),
            latency_ms.size(), percentile(latency_ms, 50), percentile(latency_ms, 90), percentile(latency_ms, 99),
            latency_max);
    } else {
        std::printf("feed_load %s%s clients=%d threads=%d warmup=%.1fs window=%.2fs%s%s\n", options.tls ? "https " : "",
                    options.path.c_str(), options.clients, options.threads, options.warmup_seconds, window_seconds,
                    tls_session.empty() ? "" : " tls=", tls_session.c_str());
        std::printf("  frames/s per client: median %.2f  min %.2f  p10 %.2f  (all clients: %.1f frames/s)\n",
                    median(fps), fps.front(), percentile(fps, 10), static_cast<double>(frames_window) / options.seconds);
        std::printf("  time to first frame: median %.1f ms  max %.1f ms  (%zu of %d clients got a frame)\n", ttff_median,
                    ttff_max, ttff_ms.size(), options.clients);
        std::printf("  received: %.1f MB/s  mean frame %.1f KB (JPEG bytes; WebSocket: message payload)\n", mb_per_s,
                    mean_frame_kb);
        std::printf("  per client: %.1f KB/s mean (min %.1f, max %.1f), %.2f messages/s mean\n",
                    client_bytes_mean / 1e3, client_bytes_per_s.front() / 1e3, client_bytes_per_s.back() / 1e3,
                    fps_mean);
        if (kind == FeedKind::WebSocket) {
            std::printf("  WebSocket: %llu data frames for %llu messages\n",
                        static_cast<unsigned long long>(ws_data_frames), static_cast<unsigned long long>(frames_total));
            std::printf(
                "  tile mode: %llu key frames (%llu in the window, %.1f MB), %llu tiles in the window; pings answered "
                "%llu\n",
                static_cast<unsigned long long>(key_frames_total), static_cast<unsigned long long>(key_frames_window),
                static_cast<double>(key_frame_bytes_window) / 1e6, static_cast<unsigned long long>(tiles_window),
                static_cast<unsigned long long>(pings_answered));
            if (!latency_ms.empty()) {
                std::printf("  capture -> received here: median %.1f ms  p90 %.1f  p99 %.1f  max %.1f (%zu messages)\n",
                            percentile(latency_ms, 50), percentile(latency_ms, 90), percentile(latency_ms, 99),
                            latency_max, latency_ms.size());
            }
        }
        std::printf("  zero-frame clients in window: %d  stream_stopped: %d  errors: %d", zero_frame_clients, stopped,
                    errors);
        if (errors) {
            std::printf(" (connect %d, http_status %d, eof %d, recv %d, protocol %d, tls %d; first: %s)",
                        errors_by_kind[static_cast<int>(ErrorKind::Connect)],
                        errors_by_kind[static_cast<int>(ErrorKind::HttpStatus)],
                        errors_by_kind[static_cast<int>(ErrorKind::Eof)], errors_by_kind[static_cast<int>(ErrorKind::Recv)],
                        errors_by_kind[static_cast<int>(ErrorKind::Protocol)],
                        errors_by_kind[static_cast<int>(ErrorKind::Tls)], first_error.c_str());
        }
        std::printf("\n  load generator CPU: %.2f cores (user %.2f s, sys %.2f s)\n", loadgen_cores, loadgen_user, loadgen_sys);
        if (server_cores) std::printf("  server CPU (pid %d): %.2f cores\n", options.server_pid, *server_cores);
    }
    if (tls) SSL_CTX_free(tls);
    return 0;
}
