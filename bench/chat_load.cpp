// chat_load: load generator for redred's live chat fan-out (the stream WebSocket, docs/PROTOCOL.md).
//
// In one process: optionally the streamer's WebSocket (makes a `waiting` stream `live`), then N guest
// viewers joining `/ws/live/<id>/` as fast as the ramp allows (the join storm), then signed-in senders that
// post R comments per second in total for S seconds. Each comment's content is "bench <seq> <send-ns>", with
// the send time from CLOCK_MONOTONIC: senders and viewers share this process, so every viewer computes its
// delivery latency from the content alone. Server frames may be one JSON object or an array of them
// (batched); both are split by a small JSON skimmer that reads a few top-level fields and allocates nothing.
// Client frames are masked (RFC 6455); pings are answered with pongs.
//
// Several processes of one cluster (--ports P1,P2,...): viewers are spread round-robin over the ports, the
// streamer joins on the first, and there is one sender per port; comment k goes out through sender k mod P,
// so the total rate stays R/s. Latency is also split by viewer port and by "local" (viewer on the sender's
// port) vs "remote" deliveries.
//
// Reports: join time (first connect -> all N got `connection_established`; -> a viewer got
// `viewers_update` with viewers_count >= N; -> every viewer knew a count >= N, also per port), deliveries/s,
// expected vs received deliveries after a drain wait, duplicated deliveries (one viewer got the same comment
// twice), latency p50/p90/p99/max, errors and close codes, each server's CPU (--server-pid, one per port) and
// RSS, this process's own CPU (getrusage) per phase, and /metrics deltas of every port over the chat span
// (window start -> end of the drain: cluster events published/received per comment, cluster lag, messages
// sent); with --redis-port also Redis's command counts and CPU over the same span (INFO all).
//
// Only the standard library and Linux epoll/sockets. Loopback only. Bounded: the process ends after
// streamer wait + join timeout + sender wait + seconds + drain (+5 s grace via alarm(), pushed back by the time
// the /metrics and INFO reads took, each at most 5 s).
// Prints numbers, not verdicts.
//
// Usage: chat_load (--port P | --ports P1,P2,...) --stream 1 --clients 1000 --sender-token TOKEN
//                  [--sender-token TOKEN2 ...] [--rate 20] [--seconds 10] [--streamer-token TOKEN] [--threads 2]
//                  [--ramp-per-ms 200] [--join-timeout 30] [--drain 5] [--server-pid PID[,PID2,...]]
//                  [--redis-port P] [--aux-pids PID,...] [--json]

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
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

constexpr std::size_t kReadBufferBytes = 64 * 1024;  // one per thread, shared by its connections
constexpr std::size_t kMaxResponseHeaderBytes = 16 * 1024;
constexpr std::size_t kMaxMessageBytes = 8 * 1024 * 1024;  // a server message larger than this is a protocol error
constexpr int kGraceSeconds = 5;
constexpr double kControlWaitSeconds = 10;  // streamer and senders each get this long to be established
constexpr int kScrapeSeconds = 5;           // one /metrics or Redis INFO read at the chat span's edges, at most
constexpr std::string_view kBenchPrefix = "bench ";
constexpr std::size_t kMaxPorts = 16;  // --ports: processes of one cluster

std::int64_t now_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

double ms_between(std::int64_t from_ns, std::int64_t to_ns) { return static_cast<double>(to_ns - from_ns) / 1e6; }

struct Options {
    int port = 8080;         // the first of `ports`
    std::vector<int> ports;  // viewers round-robin; one sender per port; the streamer on the first
    long long stream_id = 0;
    int clients = 100;
    double rate = 20;
    double seconds = 10;
    int threads = 2;
    int ramp_per_ms = 200;
    double join_timeout_seconds = 30;
    double drain_seconds = 5;
    std::string streamer_token;
    std::vector<std::string> sender_tokens;  // one per port, or one for all
    std::vector<int> server_pids;             // one per port (or fewer); CPU and RSS of each
    std::vector<int> aux_pids;                // other processes whose CPU is summed (Redis, PostgreSQL)
    int redis_port = 0;                       // INFO all at the chat span's edges (0 = not read)
    bool json = false;

    std::size_t port_count() const { return ports.size(); }
    const std::string& sender_token(std::size_t port_index) const {
        return sender_tokens.size() == 1 ? sender_tokens[0] : sender_tokens[port_index];
    }
};

enum class ErrorKind { None, Connect, Handshake, Eof, Recv, Protocol, Closed };
constexpr int kErrorKinds = 7;

constexpr const char* error_name(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::None: return "none";
        case ErrorKind::Connect: return "connect";
        case ErrorKind::Handshake: return "handshake";
        case ErrorKind::Eof: return "eof";
        case ErrorKind::Recv: return "recv";
        case ErrorKind::Protocol: return "protocol";
        case ErrorKind::Closed: return "closed";
    }
    return "?";
}

// ---- JSON skimming --------------------------------------------------------------------------------------
// Enough to split a server frame into its top-level objects and read a few of their top-level fields as raw
// text (strings without their quotes, not unescaped). Nested values (the `comments` of
// `connection_established`, say) are skipped whole, so their fields never shadow the top-level ones.

struct Fields {
    std::string_view type;
    std::string_view content;
    std::string_view viewers_count;
    std::string_view ref;
    std::string_view error;
    std::string_view message;
};

const char* skip_ws(const char* p, const char* end) {
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) ++p;
    return p;
}

// p at the opening quote; returns just past the closing quote (or end).
const char* skip_string(const char* p, const char* end) {
    for (++p; p < end; ++p) {
        if (*p == '\\') {
            ++p;
        } else if (*p == '"') {
            return p + 1;
        }
    }
    return end;
}

const char* skip_value(const char* p, const char* end) {
    if (p >= end) return end;
    if (*p == '"') return skip_string(p, end);
    if (*p == '{' || *p == '[') {
        int depth = 0;
        while (p < end) {
            const char c = *p;
            if (c == '"') {
                p = skip_string(p, end);
                continue;
            }
            if (c == '{' || c == '[') {
                ++depth;
            } else if (c == '}' || c == ']') {
                if (--depth == 0) return p + 1;
            }
            ++p;
        }
        return end;
    }
    while (p < end && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\n' && *p != '\r' && *p != '\t') ++p;
    return p;
}

// p at '{'; fills the fields it knows; returns just past the closing brace, or nullptr if malformed.
const char* parse_object(const char* p, const char* end, Fields& fields) {
    ++p;
    for (;;) {
        p = skip_ws(p, end);
        if (p >= end) return nullptr;
        if (*p == '}') return p + 1;
        if (*p == ',') {
            ++p;
            continue;
        }
        if (*p != '"') return nullptr;
        const char* key_end = skip_string(p, end);
        const std::string_view key(p + 1, static_cast<std::size_t>(std::max<std::ptrdiff_t>(0, key_end - p - 2)));
        p = skip_ws(key_end, end);
        if (p >= end || *p != ':') return nullptr;
        p = skip_ws(p + 1, end);
        const char* value_start = p;
        p = skip_value(p, end);
        std::string_view value(value_start, static_cast<std::size_t>(p - value_start));
        if (value.size() >= 2 && value.front() == '"') value = value.substr(1, value.size() - 2);
        if (key == "type") fields.type = value;
        else if (key == "content") fields.content = value;
        else if (key == "viewers_count") fields.viewers_count = value;
        else if (key == "ref") fields.ref = value;
        else if (key == "error") fields.error = value;
        else if (key == "message") fields.message = value;
    }
}

// Calls fn(Fields) for the object, or for each object of the array, in `payload`. Returns how many messages
// it found, or -1 if the payload is neither.
template <class Fn>
int for_each_message(std::string_view payload, Fn&& fn) {
    const char* p = skip_ws(payload.data(), payload.data() + payload.size());
    const char* end = payload.data() + payload.size();
    if (p >= end) return -1;
    if (*p == '{') {
        Fields fields;
        if (!parse_object(p, end, fields)) return -1;
        fn(fields);
        return 1;
    }
    if (*p != '[') return -1;
    int count = 0;
    ++p;
    for (;;) {
        p = skip_ws(p, end);
        if (p >= end) return -1;
        if (*p == ']') return count;
        if (*p == ',') {
            ++p;
            continue;
        }
        if (*p == '{') {
            Fields fields;
            p = parse_object(p, end, fields);
            if (!p) return -1;
            fn(fields);
            ++count;
        } else {
            p = skip_value(p, end);
        }
    }
}

template <class T>
std::optional<T> to_number(std::string_view s) {
    T value{};
    const auto result = std::from_chars(s.data(), s.data() + s.size(), value);
    if (result.ec != std::errc{}) return std::nullopt;
    return value;
}

// "bench <seq> <send-ns>" -> {seq, send_ns}
std::optional<std::pair<std::uint32_t, std::int64_t>> parse_bench_content(std::string_view content) {
    if (content.substr(0, kBenchPrefix.size()) != kBenchPrefix) return std::nullopt;
    content.remove_prefix(kBenchPrefix.size());
    const auto space = content.find(' ');
    if (space == std::string_view::npos) return std::nullopt;
    const auto seq = to_number<std::uint32_t>(content.substr(0, space));
    const auto sent = to_number<std::int64_t>(content.substr(space + 1));
    if (!seq || !sent) return std::nullopt;
    return std::pair{*seq, *sent};
}

// ---- shared state ---------------------------------------------------------------------------------------

// Written by the main thread (phase switches) and by the workers (progress). All atomics; per-connection
// details stay in the owning worker until the threads are joined.
struct Shared {
    std::atomic<bool> stop{false};
    std::atomic<bool> streamer_go{false};
    std::atomic<bool> sender_go{false};
    std::atomic<std::int64_t> viewers_go_ns{0};  // ramp start; 0 = not yet
    std::atomic<std::int64_t> send_start_ns{0};  // comment k goes out at send_start + k / rate; 0 = not yet

    // join storm
    std::atomic<int> established{0};        // viewers that got connection_established
    std::atomic<int> open_established{0};   // ... and are still open
    std::atomic<std::int64_t> all_established_ns{0};
    std::atomic<std::int64_t> first_counted_ns{0};  // a viewer got viewers_update with count >= N
    std::atomic<int> know_full{0};                  // viewers that saw a count >= N (either message)
    std::atomic<std::int64_t> all_know_ns{0};
    // per port (index into Options::ports)
    std::array<std::atomic<int>, kMaxPorts> port_viewers{};           // viewers assigned to the port
    std::array<std::atomic<int>, kMaxPorts> port_open_established{};  // got connection_established, still open
    std::array<std::atomic<int>, kMaxPorts> port_know_full{};
    std::array<std::atomic<std::int64_t>, kMaxPorts> port_all_know_ns{};

    // control connections
    std::atomic<bool> streamer_established{false};
    std::atomic<int> senders_established{0};

    // chat
    std::atomic<int> comments_sent{0};
    std::atomic<int> comments_acked{0};
    std::atomic<int> comments_refused{0};
    std::atomic<std::int64_t> sends_done_ns{0};
    std::atomic<std::uint64_t> deliveries{0};  // bench comments received by viewers
};

void atomic_set_once(std::atomic<std::int64_t>& slot, std::int64_t value) {
    std::int64_t expected = 0;
    slot.compare_exchange_strong(expected, value);
}

// ---- one WebSocket connection ---------------------------------------------------------------------------

// One client WebSocket and its incremental frame parser. Owned by one worker thread.
struct Conn {
    enum class Kind { Viewer, Streamer, Sender };
    enum class State { Idle, Connecting, Handshake, Open, Done };

    Kind kind = Kind::Viewer;
    State state = State::Idle;
    std::uint8_t port_index = 0;  // into Options::ports
    int fd = -1;
    bool want_out = false;  // EPOLLOUT registered
    std::string in;         // received bytes not parsed yet
    std::string out;        // bytes not written yet
    std::string fragments;  // a fragmented message being assembled
    std::uint32_t mask_seed = 0x9e3779b9;

    std::int64_t connect_ns = 0;
    std::int64_t established_ns = 0;
    bool established = false;
    bool knows_full = false;
    bool got_close = false;
    int close_code = 0;  // 0 = none; 1005 = close without a code
    ErrorKind error = ErrorKind::None;
    std::string error_detail;

    // viewers: which comments arrived (index = seq; sized up front, for duplicates), how many
    std::vector<std::uint8_t> seen;
    std::uint64_t comments = 0;
    std::uint64_t duplicates = 0;
};

// Per-thread context: its epoll, its read buffer, the connections it owns and their counters.
class Worker {
public:
    // Viewers: `viewers` connections, the i-th on port (first_index + i) mod ports (round-robin over the whole
    // process). Control: the streamer (first port) and one sender per port.
    Worker(const Options& options, Shared& shared, std::size_t viewers, bool control, int total_comments,
           std::size_t first_index = 0)
        : options_(options), shared_(shared), control_(control), total_comments_(total_comments),
          ports_(options.port_count()), conns_(control ? 1 + options.port_count() : viewers),
          buffer_(new char[kReadBufferBytes]) {
        if (control_) {
            conns_[0].kind = Conn::Kind::Streamer;
            for (std::size_t k = 0; k < ports_; ++k) {
                conns_[1 + k].kind = Conn::Kind::Sender;
                conns_[1 + k].port_index = static_cast<std::uint8_t>(k);
            }
        } else {
            const auto n = static_cast<std::size_t>(total_comments_);
            seq_min_us.assign(n, 0);
            seq_max_us.assign(n, 0);
            seq_count.assign(n, 0);
            seq_sum_us.assign(n, 0);
            // Everything the hot path writes is allocated here: the per-viewer seen flags and the latency
            // buckets (each viewer gets every comment once; 1/ports of them come from its own port's sender).
            std::array<std::size_t, kMaxPorts> on_port{};
            for (std::size_t i = 0; i < conns_.size(); ++i) {
                Conn& conn = conns_[i];
                conn.port_index = static_cast<std::uint8_t>((first_index + i) % ports_);
                conn.seen.assign(n, 0);
                ++on_port[conn.port_index];
                shared_.port_viewers[conn.port_index].fetch_add(1);
            }
            const std::size_t local_max = (n + ports_ - 1) / ports_, remote_max = n - n / ports_;
            for (std::size_t p = 0; p < ports_; ++p) {
                latency_us[p][0].reserve(on_port[p] * local_max);
                if (ports_ > 1) latency_us[p][1].reserve(on_port[p] * remote_max);
            }
        }
        std::uint32_t seed = static_cast<std::uint32_t>(now_ns()) | 1u;
        for (auto& conn : conns_) conn.mask_seed = (seed = seed * 1664525u + 1013904223u) | 1u;
    }

    std::vector<Conn>& conns() { return conns_; }

    void run(double ramp_per_ms) {
        epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
        if (epoll_fd_ < 0) {
            std::perror("epoll_create1");
            std::_Exit(2);
        }
        const std::string base = "/ws/live/" + std::to_string(options_.stream_id) + "/";
        for (std::size_t p = 0; p < ports_; ++p) viewer_requests_.push_back(upgrade_request(base, options_.ports[p]));
        std::size_t next_to_connect = 0;
        std::vector<epoll_event> events(512);
        while (!shared_.stop.load(std::memory_order_relaxed)) {
            const std::int64_t now = now_ns();
            int timeout_ms = 10;
            if (control_) {
                if (shared_.streamer_go && conns_[0].state == Conn::State::Idle) {
                    start_connect(conns_[0], upgrade_request(base + "?token=" + options_.streamer_token, options_.ports[0]),
                                  now);
                }
                for (std::size_t k = 0; k < ports_ && shared_.sender_go; ++k) {
                    if (conns_[1 + k].state != Conn::State::Idle) continue;
                    start_connect(conns_[1 + k],
                                  upgrade_request(base + "?token=" + options_.sender_token(k), options_.ports[k]), now);
                }
                timeout_ms = std::min(timeout_ms, send_due(now));
            } else if (next_to_connect < conns_.size()) {
                const std::int64_t go = shared_.viewers_go_ns.load();
                if (go != 0) {
                    const auto allowed = static_cast<std::size_t>(ramp_per_ms * (ms_between(go, now) + 1.0));
                    while (next_to_connect < conns_.size() && next_to_connect < allowed) {
                        Conn& conn = conns_[next_to_connect++];
                        start_connect(conn, viewer_requests_[conn.port_index], now_ns());
                    }
                    timeout_ms = 1;
                }
            }
            const int n = epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), timeout_ms);
            if (n < 0) {
                if (errno == EINTR) continue;
                std::perror("epoll_wait");
                break;
            }
            for (int i = 0; i < n; ++i) {
                on_event(*static_cast<Conn*>(events[i].data.ptr), events[i].events);
            }
        }
        for (auto& conn : conns_) {
            if (conn.fd >= 0) ::close(conn.fd);
            conn.fd = -1;
        }
        ::close(epoll_fd_);
    }

    // counters, read by main after join()
    // viewers: one per delivered bench comment, by the viewer's port and [0] local (sent through the sender on
    // the viewer's own port) or [1] remote (sent on another port)
    std::array<std::array<std::vector<std::uint32_t>, 2>, kMaxPorts> latency_us;
    std::vector<std::uint32_t> ack_latency_us;  // sender: its own comment coming back
    // viewers, per comment (index = seq): first and last delivery latency, sum and count, to tell how long one
    // broadcast takes to reach everyone and whether latency grows over the window (a server behind its load)
    std::vector<std::uint32_t> seq_min_us, seq_max_us, seq_count;
    std::vector<std::uint64_t> seq_sum_us;
    std::int64_t last_delivery_ns = 0;
    std::uint64_t text_frames = 0;       // viewers
    std::uint64_t batched_frames = 0;    // viewers: frames that were a JSON array
    std::uint64_t messages = 0;          // viewers: messages in those frames
    std::uint64_t streamer_comments = 0;
    std::uint64_t streamer_user_joined = 0;
    std::uint64_t pings = 0;
    std::string first_refusal;

private:
    static std::string upgrade_request(const std::string& target, int port) {
        // The key is fixed: the server's Sec-WebSocket-Accept is not checked (we are not a browser).
        return "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
               "\r\nUser-Agent: chat_load\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    }

    // Sends every comment that is due; returns the epoll timeout until the next one.
    int send_due(std::int64_t now) {
        const std::int64_t start = shared_.send_start_ns.load();
        if (start == 0 || next_seq_ >= total_comments_) return 10;
        const double period_ns = 1e9 / options_.rate;
        while (next_seq_ < total_comments_) {
            const auto due = start + static_cast<std::int64_t>(period_ns * next_seq_);
            if (now < due) return static_cast<int>(std::clamp<std::int64_t>((due - now + 999'999) / 1'000'000, 0, 10));
            // Comments alternate between the senders (one per port): comment k goes through port k mod P.
            Conn& sender = conns_[1 + static_cast<std::size_t>(next_seq_) % ports_];
            if (sender.state == Conn::State::Open) {
                const std::int64_t sent_ns = now_ns();
                const std::string body = R"({"type":"comment","content":"bench )" + std::to_string(next_seq_) + " " +
                                         std::to_string(sent_ns) + R"(","ref":)" + std::to_string(next_seq_) + "}";
                send_frame(sender, 0x1, body);
                shared_.comments_sent.fetch_add(1);
            }
            if (++next_seq_ == total_comments_) shared_.sends_done_ns = now_ns();
            now = now_ns();
        }
        return 10;
    }

    void fail(Conn& conn, ErrorKind kind, std::string detail) {
        if (conn.error == ErrorKind::None) {
            conn.error = kind;
            conn.error_detail = std::move(detail);
        }
        finish(conn);
    }

    void finish(Conn& conn) {
        if (conn.fd >= 0) {
            epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, conn.fd, nullptr);
            ::close(conn.fd);
            conn.fd = -1;
        }
        if (conn.established && conn.kind == Conn::Kind::Viewer && conn.state != Conn::State::Done) {
            shared_.open_established.fetch_sub(1);
            shared_.port_open_established[conn.port_index].fetch_sub(1);
        }
        conn.state = Conn::State::Done;
    }

    void start_connect(Conn& conn, const std::string& request, std::int64_t now) {
        conn.connect_ns = now;
        conn.state = Conn::State::Connecting;
        conn.out = request;
        conn.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (conn.fd < 0) {
            fail(conn, ErrorKind::Connect, std::string("socket: ") + std::strerror(errno));
            return;
        }
        const int one = 1;
        setsockopt(conn.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(static_cast<std::uint16_t>(options_.ports[conn.port_index]));
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        const int rc = ::connect(conn.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
        if (rc < 0 && errno != EINPROGRESS) {
            fail(conn, ErrorKind::Connect, std::string("connect: ") + std::strerror(errno));
            return;
        }
        epoll_event ev{};
        ev.events = EPOLLOUT;
        ev.data.ptr = &conn;
        conn.want_out = true;
        if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, conn.fd, &ev) < 0) {
            fail(conn, ErrorKind::Connect, std::string("epoll_ctl: ") + std::strerror(errno));
        }
    }

    void set_want_out(Conn& conn, bool want) {
        if (conn.want_out == want || conn.fd < 0) return;
        conn.want_out = want;
        epoll_event ev{};
        ev.events = EPOLLIN | (want ? EPOLLOUT : 0u);
        ev.data.ptr = &conn;
        epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, conn.fd, &ev);
    }

    void flush(Conn& conn) {
        while (!conn.out.empty() && conn.fd >= 0) {
            const ssize_t n = ::send(conn.fd, conn.out.data(), conn.out.size(), MSG_NOSIGNAL);
            if (n > 0) {
                conn.out.erase(0, static_cast<std::size_t>(n));
            } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                set_want_out(conn, true);
                return;
            } else if (n < 0 && errno == EINTR) {
                continue;
            } else {
                fail(conn, ErrorKind::Recv, std::string("send: ") + std::strerror(errno));
                return;
            }
        }
        set_want_out(conn, false);
    }

    // A masked client frame (RFC 6455 5.3), FIN set.
    void send_frame(Conn& conn, std::uint8_t opcode, std::string_view payload) {
        if (conn.fd < 0) return;
        std::string& out = conn.out;
        out.push_back(static_cast<char>(0x80 | opcode));
        if (payload.size() < 126) {
            out.push_back(static_cast<char>(0x80 | payload.size()));
        } else if (payload.size() < 65536) {
            out.push_back(static_cast<char>(0x80 | 126));
            out.push_back(static_cast<char>(payload.size() >> 8));
            out.push_back(static_cast<char>(payload.size() & 0xff));
        } else {
            out.push_back(static_cast<char>(0x80 | 127));
            for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((payload.size() >> shift) & 0xff));
        }
        conn.mask_seed ^= conn.mask_seed << 13;
        conn.mask_seed ^= conn.mask_seed >> 17;
        conn.mask_seed ^= conn.mask_seed << 5;
        char mask[4];
        std::memcpy(mask, &conn.mask_seed, 4);
        out.append(mask, 4);
        for (std::size_t i = 0; i < payload.size(); ++i) out.push_back(static_cast<char>(payload[i] ^ mask[i & 3]));
        flush(conn);
    }

    void on_event(Conn& conn, std::uint32_t events) {
        if (conn.state == Conn::State::Done) return;
        if (conn.state == Conn::State::Connecting) {
            int err = 0;
            socklen_t len = sizeof err;
            getsockopt(conn.fd, SOL_SOCKET, SO_ERROR, &err, &len);
            if (err != 0) {
                fail(conn, ErrorKind::Connect, std::string("connect: ") + std::strerror(err));
                return;
            }
            conn.state = Conn::State::Handshake;
            flush(conn);  // the upgrade request; switches the interest to EPOLLIN once written
            return;
        }
        if ((events & EPOLLOUT) && !conn.out.empty()) flush(conn);
        if (!(events & (EPOLLIN | EPOLLERR | EPOLLHUP)) || conn.fd < 0) return;
        // Level-triggered, one read per wake-up per connection: keeps connections fair with each other.
        const ssize_t n = ::recv(conn.fd, buffer_.get(), kReadBufferBytes, 0);
        if (n > 0) {
            on_bytes(conn, buffer_.get(), static_cast<std::size_t>(n), now_ns());
        } else if (n == 0) {
            if (conn.got_close) {
                finish(conn);
            } else {
                fail(conn, ErrorKind::Eof, "server closed the connection without a close frame");
            }
        } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            fail(conn, ErrorKind::Recv, std::string("recv: ") + std::strerror(errno));
        }
    }

    void on_bytes(Conn& conn, const char* data, std::size_t len, std::int64_t now) {
        if (conn.state == Conn::State::Handshake) {
            const std::size_t before = conn.in.size();
            conn.in.append(data, std::min(len, kMaxResponseHeaderBytes));
            const auto pos = conn.in.find("\r\n\r\n", before >= 3 ? before - 3 : 0);
            if (pos == std::string::npos) {
                if (conn.in.size() >= kMaxResponseHeaderBytes) fail(conn, ErrorKind::Handshake, "response header too large");
                return;
            }
            const std::string_view header(conn.in.data(), pos);
            if (header.substr(0, 12) != "HTTP/1.1 101") {
                fail(conn, ErrorKind::Handshake, std::string(header.substr(0, header.find('\r'))));
                return;
            }
            conn.state = Conn::State::Open;
            conn.in.erase(0, pos + 4);
            if (!conn.in.empty()) parse_frames(conn, now);
            return;
        }
        // Parse straight from the thread's buffer when nothing is pending; keep only an incomplete tail.
        if (conn.in.empty()) {
            const std::size_t used = parse_frames_from(conn, data, len, now);
            if (conn.state != Conn::State::Done && used < len) conn.in.assign(data + used, len - used);
        } else {
            conn.in.append(data, len);
            parse_frames(conn, now);
        }
    }

    void parse_frames(Conn& conn, std::int64_t now) {
        std::string pending = std::move(conn.in);
        conn.in.clear();
        const std::size_t used = parse_frames_from(conn, pending.data(), pending.size(), now);
        if (conn.state != Conn::State::Done && used < pending.size()) conn.in.assign(pending, used, std::string::npos);
    }

    // Returns how many bytes were whole frames (and were handled).
    std::size_t parse_frames_from(Conn& conn, const char* data, std::size_t len, std::int64_t now) {
        std::size_t pos = 0;
        while (conn.state == Conn::State::Open && len - pos >= 2) {
            const auto b0 = static_cast<std::uint8_t>(data[pos]);
            const auto b1 = static_cast<std::uint8_t>(data[pos + 1]);
            const bool fin = b0 & 0x80;
            const int opcode = b0 & 0x0f;
            const bool masked = b1 & 0x80;
            std::uint64_t payload_len = b1 & 0x7f;
            std::size_t header = 2;
            if (payload_len == 126) {
                if (len - pos < 4) break;
                payload_len = (static_cast<std::uint64_t>(static_cast<std::uint8_t>(data[pos + 2])) << 8) |
                              static_cast<std::uint8_t>(data[pos + 3]);
                header = 4;
            } else if (payload_len == 127) {
                if (len - pos < 10) break;
                payload_len = 0;
                for (int i = 0; i < 8; ++i) payload_len = (payload_len << 8) | static_cast<std::uint8_t>(data[pos + 2 + i]);
                header = 10;
            }
            if (masked) header += 4;
            if (payload_len > kMaxMessageBytes) {
                fail(conn, ErrorKind::Protocol, "frame larger than " + std::to_string(kMaxMessageBytes) + " bytes");
                return pos;
            }
            if (len - pos < header + payload_len) break;
            std::string unmasked;
            std::string_view payload(data + pos + header, static_cast<std::size_t>(payload_len));
            if (masked) {  // servers must not mask, but be lenient
                unmasked.assign(payload);
                for (std::size_t i = 0; i < unmasked.size(); ++i) unmasked[i] ^= data[pos + header - 4 + (i & 3)];
                payload = unmasked;
            }
            pos += header + static_cast<std::size_t>(payload_len);
            on_frame(conn, fin, opcode, payload, now);
        }
        return pos;
    }

    void on_frame(Conn& conn, bool fin, int opcode, std::string_view payload, std::int64_t now) {
        switch (opcode) {
            case 0x0:  // continuation
                conn.fragments.append(payload);
                if (conn.fragments.size() > kMaxMessageBytes) {
                    fail(conn, ErrorKind::Protocol, "fragmented message too large");
                    return;
                }
                if (fin) {
                    const std::string whole = std::move(conn.fragments);
                    conn.fragments.clear();
                    on_message(conn, whole, now);
                }
                return;
            case 0x1:
            case 0x2:
                if (fin) {
                    on_message(conn, payload, now);
                } else {
                    conn.fragments.assign(payload);
                }
                return;
            case 0x8: {  // close: answer it, then let the server end the TCP connection
                conn.got_close = true;
                conn.close_code = payload.size() >= 2 ? (static_cast<std::uint8_t>(payload[0]) << 8) |
                                                            static_cast<std::uint8_t>(payload[1])
                                                      : 1005;
                const std::string reason(payload.size() > 2 ? payload.substr(2) : std::string_view{});
                send_frame(conn, 0x8, payload.substr(0, std::min<std::size_t>(2, payload.size())));
                fail(conn, ErrorKind::Closed, "close " + std::to_string(conn.close_code) + " " + reason);
                return;
            }
            case 0x9:
                ++pings;
                send_frame(conn, 0xA, payload);
                return;
            case 0xA:
                return;
            default:
                fail(conn, ErrorKind::Protocol, "unknown opcode " + std::to_string(opcode));
        }
    }

    void on_message(Conn& conn, std::string_view payload, std::int64_t now) {
        const bool viewer = conn.kind == Conn::Kind::Viewer;
        const int count = for_each_message(payload, [&](const Fields& f) { on_json(conn, f, now); });
        if (count < 0) {
            fail(conn, ErrorKind::Protocol, "frame is not a JSON object or array: " + std::string(payload.substr(0, 80)));
            return;
        }
        if (viewer) {
            ++text_frames;
            messages += static_cast<std::uint64_t>(count);
            if (!payload.empty() && payload.front() == '[') ++batched_frames;
        }
    }

    void on_json(Conn& conn, const Fields& f, std::int64_t now) {
        if (f.type == "comment") {
            const auto bench = parse_bench_content(f.content);
            if (!bench) return;
            const auto [seq, sent_ns] = *bench;
            const auto latency_us = static_cast<std::uint32_t>(std::max<std::int64_t>(0, (now - sent_ns) / 1000));
            if (conn.kind == Conn::Kind::Viewer) {
                if (seq < conn.seen.size() && conn.seen[seq]) {
                    ++conn.duplicates;  // the same comment again: counted, not a delivery
                    return;
                }
                if (seq < conn.seen.size()) conn.seen[seq] = 1;
                ++conn.comments;
                const bool remote = seq % ports_ != conn.port_index;
                this->latency_us[conn.port_index][remote ? 1 : 0].push_back(latency_us);
                if (seq < seq_count.size()) {
                    if (seq_count[seq]++ == 0 || latency_us < seq_min_us[seq]) seq_min_us[seq] = latency_us;
                    seq_max_us[seq] = std::max(seq_max_us[seq], latency_us);
                    seq_sum_us[seq] += latency_us;
                }
                last_delivery_ns = std::max(last_delivery_ns, now);
                shared_.deliveries.fetch_add(1, std::memory_order_relaxed);
            } else if (conn.kind == Conn::Kind::Sender) {
                if (!f.ref.empty()) {  // only the sender's own copy carries its ref
                    ack_latency_us.push_back(latency_us);
                    shared_.comments_acked.fetch_add(1);
                }
            } else {
                ++streamer_comments;
            }
            return;
        }
        if (f.type == "viewers_update" || f.type == "connection_established") {
            if (f.type == "connection_established" && !conn.established) {
                conn.established = true;
                conn.established_ns = now;
                if (conn.kind == Conn::Kind::Viewer) {
                    shared_.open_established.fetch_add(1);
                    shared_.port_open_established[conn.port_index].fetch_add(1);
                    if (shared_.established.fetch_add(1) + 1 == options_.clients) atomic_set_once(shared_.all_established_ns, now);
                } else if (conn.kind == Conn::Kind::Streamer) {
                    shared_.streamer_established = true;
                } else {
                    shared_.senders_established.fetch_add(1);
                }
            }
            if (conn.kind != Conn::Kind::Viewer) return;
            const auto count = to_number<long long>(f.viewers_count);
            if (!count || *count < options_.clients) return;
            if (f.type == "viewers_update") atomic_set_once(shared_.first_counted_ns, now);
            if (!conn.knows_full) {
                conn.knows_full = true;
                if (shared_.know_full.fetch_add(1) + 1 == options_.clients) atomic_set_once(shared_.all_know_ns, now);
                const std::size_t p = conn.port_index;
                if (shared_.port_know_full[p].fetch_add(1) + 1 == shared_.port_viewers[p].load()) {
                    atomic_set_once(shared_.port_all_know_ns[p], now);
                }
            }
            return;
        }
        if (f.type == "user_joined") {
            if (conn.kind == Conn::Kind::Streamer) ++streamer_user_joined;
            return;
        }
        if (f.type == "error" && conn.kind == Conn::Kind::Sender) {
            if (!f.ref.empty()) shared_.comments_refused.fetch_add(1);
            if (first_refusal.empty()) first_refusal = std::string(f.error) + ": " + std::string(f.message);
        }
    }

    const Options& options_;
    Shared& shared_;
    const bool control_;
    const int total_comments_;
    const std::size_t ports_;
    std::vector<Conn> conns_;  // never resized: epoll holds pointers into it
    std::unique_ptr<char[]> buffer_;
    std::vector<std::string> viewer_requests_;  // per port
    int epoll_fd_ = -1;
    int next_seq_ = 0;  // control worker: next comment to send
};

[[noreturn]] void usage(const char* message) {
    std::fprintf(stderr,
                 "chat_load: %s\n"
                 "usage: chat_load (--port P | --ports P1,P2,...) --stream ID --clients N --sender-token TOKEN\n"
                 "                 [--sender-token TOKEN2 ...] [--rate R] [--seconds S] [--streamer-token TOKEN]\n"
                 "                 [--threads T] [--ramp-per-ms R] [--join-timeout S] [--drain S]\n"
                 "                 [--server-pid PID[,PID2,...]] [--redis-port P] [--aux-pids PID,...] [--json]\n",
                 message);
    std::exit(2);
}

// "1,2,3" -> {1, 2, 3}; empty items are skipped.
std::vector<int> int_list(const std::string& text) {
    std::vector<int> out;
    std::size_t start = 0;
    while (start <= text.size()) {
        const std::size_t comma = std::min(text.find(',', start), text.size());
        if (comma > start) out.push_back(std::stoi(text.substr(start, comma - start)));
        start = comma + 1;
    }
    return out;
}

Options parse_options(int argc, char** argv) {
    Options options;
    bool port_given = false;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) usage(("missing value for " + std::string(arg)).c_str());
            return argv[++i];
        };
        if (arg == "--port") {
            options.port = std::stoi(value());
            port_given = true;
        } else if (arg == "--ports") options.ports = int_list(value());
        else if (arg == "--stream") options.stream_id = std::stoll(value());
        else if (arg == "--clients" || arg == "-n") options.clients = std::stoi(value());
        else if (arg == "--rate") options.rate = std::stod(value());
        else if (arg == "--seconds") options.seconds = std::stod(value());
        else if (arg == "--threads") options.threads = std::stoi(value());
        else if (arg == "--ramp-per-ms") options.ramp_per_ms = std::stoi(value());
        else if (arg == "--join-timeout") options.join_timeout_seconds = std::stod(value());
        else if (arg == "--drain") options.drain_seconds = std::stod(value());
        else if (arg == "--streamer-token") options.streamer_token = value();
        else if (arg == "--sender-token") options.sender_tokens.push_back(value());
        else if (arg == "--server-pid") {
            for (const int pid : int_list(value())) options.server_pids.push_back(pid);
        } else if (arg == "--aux-pids") {
            for (const int pid : int_list(value())) options.aux_pids.push_back(pid);
        } else if (arg == "--redis-port") options.redis_port = std::stoi(value());
        else if (arg == "--json") options.json = true;
        else if (arg == "--help" || arg == "-h") usage("help");
        else usage(("unknown option " + std::string(arg)).c_str());
    }
    if (port_given && !options.ports.empty()) usage("give --port or --ports, not both");
    if (options.ports.empty()) options.ports.push_back(options.port);
    if (options.ports.size() > kMaxPorts) usage("--ports takes at most 16 ports");
    for (const int port : options.ports) {
        if (port <= 0 || port > 65535) usage("--port / --ports must be 1..65535");
    }
    options.port = options.ports[0];
    if (options.redis_port < 0 || options.redis_port > 65535) usage("--redis-port must be 1..65535");
    if (options.server_pids.size() > options.ports.size()) usage("at most one --server-pid per port");
    if (options.stream_id <= 0) usage("--stream must be a stream id");
    if (options.clients < 1 || options.clients > 25000) usage("--clients must be 1..25000");
    if (!(options.rate > 0 && options.rate <= 10000)) usage("--rate must be in (0, 10000]");
    if (!(options.seconds > 0 && options.seconds <= 300)) usage("--seconds must be in (0, 300]");
    if (options.rate * options.seconds > 1e6) usage("--rate x --seconds must be at most 1e6 comments");
    if (options.threads < 1 || options.threads > 64) usage("--threads must be 1..64");
    if (options.ramp_per_ms < 1) usage("--ramp-per-ms must be >= 1");
    if (!(options.join_timeout_seconds > 0 && options.join_timeout_seconds <= 300)) usage("--join-timeout must be in (0, 300]");
    if (!(options.drain_seconds >= 0 && options.drain_seconds <= 120)) usage("--drain must be in [0, 120]");
    if (options.sender_tokens.empty()) usage("--sender-token is required (guests cannot comment)");
    if (options.sender_tokens.size() != 1 && options.sender_tokens.size() != options.ports.size()) {
        usage("give --sender-token once (used on every port) or once per port");
    }
    if (options.clients < static_cast<int>(options.ports.size())) usage("--clients must be at least the number of ports");
    return options;
}


double self_cpu_seconds() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// CPU of this process, of each server and of the auxiliary processes (summed) at one instant.
struct CpuMark {
    std::int64_t at_ns = 0;
    double self = 0;
    std::vector<std::optional<double>> servers;  // per --server-pid
    std::optional<double> aux;                   // sum over --aux-pids (nullopt: none readable)
};

CpuMark cpu_mark(const Options& options) {
    CpuMark mark{now_ns(), self_cpu_seconds(), {}, std::nullopt};
    for (const int pid : options.server_pids) mark.servers.push_back(process_cpu_seconds(pid));
    for (const int pid : options.aux_pids) {
        if (const auto seconds = process_cpu_seconds(pid)) mark.aux = mark.aux.value_or(0) + *seconds;
    }
    return mark;
}

struct CpuSpan {
    double seconds = 0;
    double self_cores = 0;
    std::vector<std::optional<double>> server_cores;  // per --server-pid
    std::optional<double> servers_total_cores;        // sum (nullopt if a server was not readable)
    std::optional<double> aux_cores;
};

CpuSpan cpu_span(const CpuMark& a, const CpuMark& b) {
    CpuSpan span;
    span.seconds = static_cast<double>(b.at_ns - a.at_ns) / 1e9;
    span.server_cores.resize(a.servers.size());
    if (span.seconds <= 0) return span;
    span.self_cores = (b.self - a.self) / span.seconds;
    double total = 0;
    bool all = !a.servers.empty();
    for (std::size_t i = 0; i < a.servers.size(); ++i) {
        if (a.servers[i] && b.servers[i]) {
            span.server_cores[i] = (*b.servers[i] - *a.servers[i]) / span.seconds;
            total += *span.server_cores[i];
        } else {
            all = false;
        }
    }
    if (all) span.servers_total_cores = total;
    if (a.aux && b.aux) span.aux_cores = (*b.aux - *a.aux) / span.seconds;
    return span;
}

// A "Key:   123 kB" line of /proc/PID/status, in MB.
std::optional<double> proc_status_mb(int pid, std::string_view key) {
    if (pid <= 0) return std::nullopt;
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.size() > key.size() && line.compare(0, key.size(), key) == 0 && line[key.size()] == ':') {
            return std::strtod(line.c_str() + key.size() + 1, nullptr) / 1024.0;
        }
    }
    return std::nullopt;
}

// The largest VmRSS of each server seen while the main thread waits (read at most every 250 ms).
struct RssSampler {
    std::vector<int> pids;
    std::vector<double> max_mb;
    std::int64_t next_ns = 0;

    explicit RssSampler(const std::vector<int>& server_pids) : pids(server_pids), max_mb(server_pids.size(), 0) {}
    void maybe_sample() {
        const std::int64_t now = now_ns();
        if (now < next_ns) return;
        next_ns = now + 250'000'000;
        for (std::size_t i = 0; i < pids.size(); ++i) {
            if (const auto mb = proc_status_mb(pids[i], "VmRSS")) max_mb[i] = std::max(max_mb[i], *mb);
        }
    }
};

// Sleeps in 1 ms steps until done() or the deadline; returns done().
template <class Pred>
bool wait_until(std::int64_t deadline_ns, Pred done, RssSampler* rss = nullptr) {
    while (!done()) {
        if (rss) rss->maybe_sample();
        if (now_ns() >= deadline_ns) return done();
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
}

std::int64_t after_seconds(double seconds) { return now_ns() + static_cast<std::int64_t>(seconds * 1e9); }

// ---- /metrics and Redis INFO at the edges of the chat span ----------------------------------------------------
// Blocking, on loopback, with a deadline; run by the main thread between phases, never on the hot path.

// Sends `request` to 127.0.0.1:port and reads until the peer closes, `complete(bytes)` says the answer is whole,
// 8 MB or the deadline (kScrapeSeconds: an overloaded server answers /metrics late). nullopt if nothing came back.
template <class Complete>
std::optional<std::string> loopback_exchange(int port, std::string_view request, Complete complete) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return std::nullopt;
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(kScrapeSeconds);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    std::string reply;
    const std::int64_t deadline = after_seconds(kScrapeSeconds);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
        ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size())) {
        char buf[16384];
        while (now_ns() < deadline && reply.size() < kMaxMessageBytes && !complete(reply)) {
            const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
            if (n > 0) {
                reply.append(buf, static_cast<std::size_t>(n));
            } else if (n < 0 && errno == EINTR) {
                continue;
            } else {
                break;  // closed, error or a 1 s silence
            }
        }
    }
    ::close(fd);
    if (reply.empty()) return std::nullopt;
    return reply;
}

// The /metrics counters read per port: each is the sum of its samples (all label sets).
constexpr std::array<std::string_view, 9> kMetricNames = {
    "redred_cluster_published_total",  "redred_cluster_received_total", "redred_cluster_publish_failed_total",
    "redred_cluster_lag_seconds_sum",  "redred_cluster_lag_seconds_count", "redred_ws_messages_sent_total",
    "redred_ws_writes_total",          "redred_ws_slow_closed_total",     "redred_ws_connections"};
enum MetricIndex { kPublished, kReceived, kPublishFailed, kLagSum, kLagCount, kMessagesSent, kWrites, kSlowClosed, kConnections };
using MetricValues = std::array<std::optional<double>, kMetricNames.size()>;

MetricValues scrape_metrics(int port) {
    MetricValues values;
    // HTTP/1.0: the body ends when the server closes, never chunked.
    const std::string request = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1:" + std::to_string(port) + "\r\n\r\n";
    const auto reply = loopback_exchange(port, request, [](const std::string&) { return false; });
    if (!reply || (reply->compare(0, 12, "HTTP/1.1 200") != 0 && reply->compare(0, 12, "HTTP/1.0 200") != 0)) return values;
    const auto body_at = reply->find("\r\n\r\n");
    if (body_at == std::string::npos) return values;
    std::string_view body(*reply);
    body.remove_prefix(body_at + 4);
    while (!body.empty()) {
        const auto eol = std::min(body.find('\n'), body.size());
        std::string_view line = body.substr(0, eol);
        body.remove_prefix(std::min(eol + 1, body.size()));
        if (line.empty() || line.front() == '#') continue;
        const auto name_end = line.find_first_of("{ ");
        const auto value_at = line.rfind(' ');
        if (name_end == std::string_view::npos || value_at == std::string_view::npos) continue;
        const std::string_view name = line.substr(0, name_end);
        for (std::size_t i = 0; i < kMetricNames.size(); ++i) {
            if (name != kMetricNames[i]) continue;
            const double v = std::strtod(std::string(line.substr(value_at + 1)).c_str(), nullptr);
            values[i] = values[i].value_or(0) + v;
        }
    }
    return values;
}

// Redis INFO all (inline command, one bulk reply): numeric fields by name, and `cmdstat_<cmd>` as its calls.
std::optional<std::map<std::string, double>> redis_info(int port) {
    if (port <= 0) return std::nullopt;
    auto whole = [](const std::string& r) {
        if (r.empty() || r[0] != '$') return !r.empty();  // an error reply is one line; stop at once
        const auto eol = r.find("\r\n");
        if (eol == std::string::npos) return false;
        const long long len = std::atoll(r.c_str() + 1);
        return len < 0 || r.size() >= eol + 2 + static_cast<std::size_t>(len);
    };
    const auto reply = loopback_exchange(port, "INFO all\r\n", whole);
    if (!reply || (*reply)[0] != '$' || !whole(*reply)) return std::nullopt;
    std::map<std::string, double> out;
    std::string_view text(*reply);
    text.remove_prefix(text.find("\r\n") + 2);
    while (!text.empty()) {
        const auto eol = std::min(text.find('\n'), text.size());
        std::string_view line = text.substr(0, eol);
        text.remove_prefix(std::min(eol + 1, text.size()));
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        const auto colon = line.find(':');
        if (line.empty() || line.front() == '#' || colon == std::string_view::npos) continue;
        const std::string key(line.substr(0, colon));
        std::string_view value = line.substr(colon + 1);
        if (key.rfind("cmdstat_", 0) == 0) {
            if (value.rfind("calls=", 0) != 0) continue;
            value.remove_prefix(6);
            if (const auto calls = to_number<long long>(value.substr(0, value.find(',')))) out[key] = static_cast<double>(*calls);
            continue;
        }
        char* end = nullptr;
        const std::string v(value);
        const double number = std::strtod(v.c_str(), &end);
        if (!v.empty() && end == v.c_str() + v.size()) out[key] = number;
    }
    return out;
}

struct SpanSnapshot {
    std::int64_t at_ns = 0;
    std::vector<MetricValues> metrics;  // per port
    std::optional<std::map<std::string, double>> redis;
};

SpanSnapshot span_snapshot(const Options& options) {
    SpanSnapshot snap;
    for (const int port : options.ports) snap.metrics.push_back(scrape_metrics(port));
    snap.redis = redis_info(options.redis_port);
    snap.at_ns = now_ns();
    return snap;
}

std::optional<double> metric_delta(const SpanSnapshot& a, const SpanSnapshot& b, std::size_t port, MetricIndex m) {
    const auto& x = a.metrics[port][m];
    const auto& y = b.metrics[port][m];
    if (!x || !y) return std::nullopt;
    return *y - *x;
}

// Summed over ports (nullopt if a port did not answer).
std::optional<double> metric_delta_sum(const SpanSnapshot& a, const SpanSnapshot& b, MetricIndex m) {
    double sum = 0;
    for (std::size_t p = 0; p < a.metrics.size(); ++p) {
        const auto d = metric_delta(a, b, p, m);
        if (!d) return std::nullopt;
        sum += *d;
    }
    return sum;
}

std::optional<double> redis_delta(const SpanSnapshot& a, const SpanSnapshot& b, const std::string& key) {
    if (!a.redis || !b.redis) return std::nullopt;
    const auto x = a.redis->find(key);
    const auto y = b.redis->find(key);
    return (y == b.redis->end() ? 0.0 : y->second) - (x == a.redis->end() ? 0.0 : x->second);
}

std::optional<double> per(std::optional<double> v, double n) {
    if (!v || n <= 0) return std::nullopt;
    return *v / n;
}

std::string num_or_null(std::optional<double> v, int decimals = 3) {
    if (!v) return "null";
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, *v);
    return buf;
}

// {"p50":..,"p90":..,"p99":..,"max":..} of sorted µs values, in ms ("null"s when empty).
std::string latency_json(const std::vector<std::uint32_t>& sorted) {
    if (sorted.empty()) return "{\"p50\":null,\"p90\":null,\"p99\":null,\"max\":null}";
    char buf[160];
    std::snprintf(buf, sizeof buf, "{\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,\"max\":%.3f}", percentile(sorted, 50) / 1e3,
                  percentile(sorted, 90) / 1e3, percentile(sorted, 99) / 1e3, sorted.back() / 1e3);
    return buf;
}

}  // namespace

int main(int argc, char** argv) {
    const Options options = parse_options(argc, argv);
    const int total_comments = static_cast<int>(std::llround(options.rate * options.seconds));
    const std::size_t ports = options.port_count();

    // Hard bound: whatever happens (a stuck server, a stuck thread), the process ends. The /metrics and INFO reads
    // at the chat span's two edges (milliseconds in practice, kScrapeSeconds each at most) push it back by the
    // time they took (extend_alarm).
    const unsigned alarm_seconds = static_cast<unsigned>(std::ceil(2 * kControlWaitSeconds + options.join_timeout_seconds +
                                                                   options.seconds + options.drain_seconds + 1)) +
                                   kGraceSeconds;
    std::int64_t hard_deadline_ns = now_ns() + static_cast<std::int64_t>(alarm_seconds) * 1'000'000'000;
    alarm(alarm_seconds);
    auto extend_alarm = [&hard_deadline_ns](std::int64_t by_ns) {
        hard_deadline_ns += by_ns;
        alarm(static_cast<unsigned>(std::max<std::int64_t>(1, (hard_deadline_ns - now_ns()) / 1'000'000'000 + 1)));
    };
    signal(SIGPIPE, SIG_IGN);

    rlimit nofile{};
    if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
        nofile.rlim_cur = nofile.rlim_max;
        setrlimit(RLIMIT_NOFILE, &nofile);
    }
    if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < static_cast<rlim_t>(options.clients) + 64) {
        std::fprintf(stderr, "chat_load: warning: open-file limit %llu is below %d clients; raise ulimit -n\n",
                     static_cast<unsigned long long>(nofile.rlim_cur), options.clients);
    }

    Shared shared;
    auto control = std::make_unique<Worker>(options, shared, 0, true, total_comments);
    std::vector<std::unique_ptr<Worker>> viewers;
    std::size_t first_index = 0;
    for (int t = 0; t < options.threads; ++t) {
        const int share = options.clients / options.threads + (t < options.clients % options.threads ? 1 : 0);
        viewers.push_back(std::make_unique<Worker>(options, shared, static_cast<std::size_t>(share), false, total_comments,
                                                   first_index));
        first_index += static_cast<std::size_t>(share);
    }
    const double ramp_per_thread = static_cast<double>(options.ramp_per_ms) / options.threads;
    std::vector<std::thread> threads;
    threads.emplace_back([&control] { control->run(0); });
    for (auto& worker : viewers) threads.emplace_back([&worker, ramp_per_thread] { worker->run(ramp_per_thread); });

    RssSampler rss(options.server_pids);
    const CpuMark run_start = cpu_mark(options);
    std::string phase_error;

    // 1. The streamer, so the stream is live as in production (and receives one user_joined per viewer).
    const bool with_streamer = !options.streamer_token.empty();
    if (with_streamer) {
        shared.streamer_go = true;
        if (!wait_until(after_seconds(kControlWaitSeconds), [&] { return shared.streamer_established.load(); }, &rss)) {
            phase_error = "streamer not established";
        }
    }

    // 2. The join storm: all viewers connect as fast as the ramp allows.
    const CpuMark join_start = cpu_mark(options);
    shared.viewers_go_ns = join_start.at_ns;
    const bool joined = wait_until(
        after_seconds(options.join_timeout_seconds),
        [&] {
            return shared.all_established_ns.load() != 0 && shared.first_counted_ns.load() != 0 &&
                   shared.all_know_ns.load() != 0;
        },
        &rss);
    const CpuMark join_end = cpu_mark(options);
    if (!joined && phase_error.empty()) phase_error = "join timeout";

    // 3. The senders join (one per port; each counts as one more viewer), then post `rate` comments/s in total
    //    for `seconds`, alternating between them.
    shared.sender_go = true;
    const int senders = static_cast<int>(ports);
    const bool sender_ok = wait_until(
        after_seconds(kControlWaitSeconds), [&] { return shared.senders_established.load() >= senders; }, &rss);
    if (!sender_ok && phase_error.empty()) phase_error = "sender not established";
    wait_until(after_seconds(0.2), [] { return false; }, &rss);  // let the senders' viewers_update go by
    const int viewers_at_start = shared.open_established.load();
    std::array<int, kMaxPorts> port_at_start{};
    for (std::size_t p = 0; p < ports; ++p) port_at_start[p] = shared.port_open_established[p].load();
    const std::int64_t scrape_from = now_ns();
    const SpanSnapshot span_start = span_snapshot(options);  // /metrics of every port, Redis INFO
    extend_alarm(span_start.at_ns - scrape_from);
    const CpuMark window_start = cpu_mark(options);
    const std::int64_t send_start = window_start.at_ns + 1'000'000;
    std::int64_t window_end_ns = send_start + static_cast<std::int64_t>(options.seconds * 1e9);
    if (sender_ok) {
        shared.send_start_ns = send_start;
        wait_until(window_end_ns, [] { return false; }, &rss);
    } else {
        window_end_ns = now_ns();
    }
    const CpuMark window_end = cpu_mark(options);

    // 4. Drain: wait for every expected delivery and every acknowledgement, or the drain deadline.
    wait_until(
        after_seconds(options.drain_seconds),
        [&] {
            const int sent = shared.comments_sent.load();
            const auto expected = static_cast<std::uint64_t>(viewers_at_start) *
                                  static_cast<std::uint64_t>(sent - shared.comments_refused.load());
            return shared.sends_done_ns.load() != 0 && shared.deliveries.load() >= expected &&
                   shared.comments_acked.load() + shared.comments_refused.load() >= sent;
        },
        &rss);
    const CpuMark run_end = cpu_mark(options);
    const std::int64_t scrape_end_from = now_ns();
    const SpanSnapshot span_end = span_snapshot(options);  // still connected: no leave events in the span
    extend_alarm(span_end.at_ns - scrape_end_from);
    rss.next_ns = 0;
    rss.maybe_sample();
    std::vector<std::optional<double>> rss_end_mb, hwm_mb;
    for (const int pid : options.server_pids) {
        rss_end_mb.push_back(proc_status_mb(pid, "VmRSS"));
        hwm_mb.push_back(proc_status_mb(pid, "VmHWM"));
    }
    shared.stop = true;
    for (auto& thread : threads) thread.join();

    // Aggregate.
    std::vector<std::uint32_t> latency, latency_local, latency_remote;
    std::array<std::vector<std::uint32_t>, kMaxPorts> latency_by_port;
    std::vector<double> established_ms;
    std::uint64_t received = 0, duplicates = 0, text_frames = 0, batched_frames = 0, messages = 0, pings = 0;
    std::array<std::uint64_t, kMaxPorts> port_received{}, port_duplicates{};
    std::array<int, kMaxPorts> port_errors{};
    std::int64_t last_delivery = 0;
    int errors_by_kind[kErrorKinds] = {};
    std::map<int, int> close_codes;
    std::string first_error;
    for (auto& worker : viewers) {
        for (std::size_t p = 0; p < ports; ++p) {
            for (int r = 0; r < 2; ++r) {
                const auto& bucket = worker->latency_us[p][r];
                latency.insert(latency.end(), bucket.begin(), bucket.end());
                latency_by_port[p].insert(latency_by_port[p].end(), bucket.begin(), bucket.end());
                auto& side = r ? latency_remote : latency_local;
                side.insert(side.end(), bucket.begin(), bucket.end());
            }
        }
        last_delivery = std::max(last_delivery, worker->last_delivery_ns);
        text_frames += worker->text_frames;
        batched_frames += worker->batched_frames;
        messages += worker->messages;
        pings += worker->pings;
        for (const auto& conn : worker->conns()) {
            if (conn.established) established_ms.push_back(ms_between(conn.connect_ns, conn.established_ns));
            received += conn.comments;
            duplicates += conn.duplicates;
            port_received[conn.port_index] += conn.comments;
            port_duplicates[conn.port_index] += conn.duplicates;
            ++errors_by_kind[static_cast<int>(conn.error)];
            if (conn.error != ErrorKind::None) ++port_errors[conn.port_index];
            if (conn.close_code) ++close_codes[conn.close_code];
            if (conn.error != ErrorKind::None && first_error.empty()) first_error = conn.error_detail;
        }
    }
    std::sort(latency.begin(), latency.end());
    std::sort(latency_local.begin(), latency_local.end());
    std::sort(latency_remote.begin(), latency_remote.end());
    for (std::size_t p = 0; p < ports; ++p) std::sort(latency_by_port[p].begin(), latency_by_port[p].end());
    std::sort(established_ms.begin(), established_ms.end());

    // Per comment: spread = last minus first delivery (how long one broadcast takes to reach every viewer);
    // per second of the window: the mean latency of the comments sent in it (growth = a server behind).
    std::vector<double> spread_ms, first_ms;
    const int window_seconds = static_cast<int>(std::ceil(options.seconds));
    std::vector<double> second_sum(static_cast<std::size_t>(window_seconds), 0), second_count(second_sum.size(), 0);
    for (int seq = 0; seq < total_comments; ++seq) {
        std::uint32_t lo = UINT32_MAX, hi = 0, count = 0;
        std::uint64_t sum = 0;
        for (auto& worker : viewers) {
            const auto i = static_cast<std::size_t>(seq);
            if (worker->seq_count[i] == 0) continue;
            lo = std::min(lo, worker->seq_min_us[i]);
            hi = std::max(hi, worker->seq_max_us[i]);
            count += worker->seq_count[i];
            sum += worker->seq_sum_us[i];
        }
        if (count == 0) continue;
        spread_ms.push_back((hi - lo) / 1e3);
        first_ms.push_back(lo / 1e3);
        const auto second = std::min<std::size_t>(static_cast<std::size_t>(seq / options.rate), second_sum.size() - 1);
        second_sum[second] += static_cast<double>(sum) / 1e3;
        second_count[second] += count;
    }
    std::sort(spread_ms.begin(), spread_ms.end());
    std::sort(first_ms.begin(), first_ms.end());
    std::string by_second_json = "[", by_second_text;
    for (std::size_t i = 0; i < second_sum.size(); ++i) {
        const double mean = second_count[i] ? second_sum[i] / second_count[i] : 0;
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.1f", mean);
        by_second_json += (i ? "," : "") + std::string(buf);
        by_second_text += (i ? " " : "") + std::string(buf);
    }
    by_second_json += "]";
    auto& acks = control->ack_latency_us;
    std::sort(acks.begin(), acks.end());
    const Conn& streamer = control->conns()[0];
    std::string sender_errors;  // every sender's error, "; "-separated (one sender: as before)
    for (std::size_t k = 0; k < ports; ++k) {
        const std::string& e = control->conns()[1 + k].error_detail;
        if (e.empty()) continue;
        sender_errors += (sender_errors.empty() ? "" : "; ") + (ports > 1 ? "port " + std::to_string(options.ports[k]) + ": " : "") + e;
    }

    const int sent = shared.comments_sent.load();
    const int refused = shared.comments_refused.load();
    const int acked = shared.comments_acked.load();
    const int accepted = sent - refused;
    const std::uint64_t expected = static_cast<std::uint64_t>(viewers_at_start) * static_cast<std::uint64_t>(accepted);
    const std::int64_t lost = static_cast<std::int64_t>(expected) - static_cast<std::int64_t>(received);
    const double lost_pct = expected ? 100.0 * static_cast<double>(lost) / static_cast<double>(expected) : 0;
    const double delivery_span_s = last_delivery > send_start ? static_cast<double>(last_delivery - send_start) / 1e9 : 0;
    const double deliveries_per_s = delivery_span_s > 0 ? static_cast<double>(received) / delivery_span_s : 0;
    const std::int64_t sends_done = shared.sends_done_ns.load();
    std::optional<double> tail_ms;
    if (sends_done != 0 && last_delivery != 0) tail_ms.emplace(ms_between(sends_done, last_delivery));
    const int errors = options.clients - errors_by_kind[0];
    auto since_go = [&](std::int64_t t) -> std::optional<double> {
        if (t == 0) return std::nullopt;
        return ms_between(join_start.at_ns, t);
    };
    const auto all_established = since_go(shared.all_established_ns.load());
    const auto first_counted = since_go(shared.first_counted_ns.load());
    const auto all_know = since_go(shared.all_know_ns.load());
    const CpuSpan join_cpu = cpu_span(join_start, join_end);
    const CpuSpan window_cpu = cpu_span(window_start, window_end);
    const CpuSpan total_cpu = cpu_span(run_start, run_end);
    const double lat = 1e3;  // µs -> ms
    const double messages_per_frame = text_frames ? static_cast<double>(messages) / static_cast<double>(text_frames) : 0;
    std::string codes_json = "{", codes_text;
    for (const auto& [code, count] : close_codes) {
        if (codes_json.size() > 1) codes_json += ",";
        codes_json += "\"" + std::to_string(code) + "\":" + std::to_string(count);
        codes_text += (codes_text.empty() ? "" : ", ") + std::to_string(code) + "×" + std::to_string(count);
    }
    codes_json += "}";

    // The chat span: window start -> end of the drain (viewers and senders all still connected, so the room
    // events in it are the comments). Deltas of every port's /metrics, summed, and of Redis's counters.
    const double span_s = static_cast<double>(span_end.at_ns - span_start.at_ns) / 1e9;
    const auto published = metric_delta_sum(span_start, span_end, kPublished);
    const auto cluster_received = metric_delta_sum(span_start, span_end, kReceived);
    const auto publish_failed = metric_delta_sum(span_start, span_end, kPublishFailed);
    const auto lag_sum = metric_delta_sum(span_start, span_end, kLagSum);
    const auto lag_count = metric_delta_sum(span_start, span_end, kLagCount);
    const auto ws_sent = metric_delta_sum(span_start, span_end, kMessagesSent);
    const auto ws_writes = metric_delta_sum(span_start, span_end, kWrites);
    std::optional<double> lag_mean_ms;
    if (lag_sum && lag_count && *lag_count > 0) lag_mean_ms = *lag_sum / *lag_count * 1e3;
    const auto redis_commands = redis_delta(span_start, span_end, "total_commands_processed");
    const auto redis_publish = redis_delta(span_start, span_end, "cmdstat_publish");
    std::optional<double> redis_cpu_cores;
    if (const auto u = redis_delta(span_start, span_end, "used_cpu_user")) {
        if (const auto s = redis_delta(span_start, span_end, "used_cpu_sys"); s && span_s > 0) redis_cpu_cores = (*u + *s) / span_s;
    }
    std::string redis_json = "null", redis_text;
    if (span_start.redis && span_end.redis) {
        std::string by_command = "{";
        for (const auto& [key, value] : *span_end.redis) {
            if (key.rfind("cmdstat_", 0) != 0) continue;
            const double d = *redis_delta(span_start, span_end, key);
            if (d <= 0) continue;
            char buf[96];
            std::snprintf(buf, sizeof buf, "%s\"%s\":%.0f", by_command.size() > 1 ? "," : "", key.c_str() + 8, d);
            by_command += buf;
            std::snprintf(buf, sizeof buf, "%s %s %.0f", redis_text.empty() ? "" : ",", key.c_str() + 8, d);
            redis_text += buf;
        }
        by_command += "}";
        redis_json = "{\"commands\":" + num_or_null(redis_commands, 0) +
                     ",\"commands_per_comment\":" + num_or_null(per(redis_commands, accepted)) +
                     ",\"publish_calls\":" + num_or_null(redis_publish, 0) +
                     ",\"publish_per_comment\":" + num_or_null(per(redis_publish, accepted)) +
                     ",\"cpu_cores\":" + num_or_null(redis_cpu_cores) + ",\"by_command\":" + by_command + "}";
    }
    const std::string cluster_json =
        "{\"span_s\":" + num_or_null(span_s) + ",\"comments_accepted\":" + std::to_string(accepted) +
        ",\"published\":" + num_or_null(published, 0) + ",\"published_per_comment\":" + num_or_null(per(published, accepted)) +
        ",\"received\":" + num_or_null(cluster_received, 0) +
        ",\"received_per_comment\":" + num_or_null(per(cluster_received, accepted)) +
        ",\"publish_failed\":" + num_or_null(publish_failed, 0) + ",\"lag_mean_ms\":" + num_or_null(lag_mean_ms) +
        ",\"ws_messages_sent\":" + num_or_null(ws_sent, 0) + ",\"ws_writes\":" + num_or_null(ws_writes, 0) + "}";

    // Per port: its viewers, its server (the --server-pid at the same index) and its /metrics.
    auto port_know_ms = [&](std::size_t p) { return since_go(shared.port_all_know_ns[p].load()); };
    auto pid_at = [&](std::size_t p) { return p < options.server_pids.size() ? options.server_pids[p] : 0; };
    auto server_at = [](const CpuSpan& span, std::size_t p) -> std::optional<double> {
        return p < span.server_cores.size() ? span.server_cores[p] : std::nullopt;
    };
    auto of_pid = [&](const std::vector<std::optional<double>>& v, std::size_t p) -> std::optional<double> {
        return p < v.size() ? v[p] : std::nullopt;
    };
    std::string per_port_json = "[";
    for (std::size_t p = 0; p < ports; ++p) {
        const auto port_expected = static_cast<std::uint64_t>(port_at_start[p]) * static_cast<std::uint64_t>(accepted);
        const auto port_lost = static_cast<std::int64_t>(port_expected) - static_cast<std::int64_t>(port_received[p]);
        std::optional<double> rss_max;
        if (p < rss.max_mb.size() && rss.max_mb[p] > 0) rss_max = rss.max_mb[p];
        char head[512];
        std::snprintf(head, sizeof head,
                      "%s{\"port\":%d,\"viewers\":%d,\"viewers_at_start\":%d,\"expected\":%llu,\"received\":%llu,"
                      "\"lost\":%lld,\"duplicates\":%llu,\"errors\":%d,\"all_know_count_ms\":%s,\"latency_ms\":",
                      p ? "," : "", options.ports[p], shared.port_viewers[p].load(), port_at_start[p],
                      static_cast<unsigned long long>(port_expected), static_cast<unsigned long long>(port_received[p]),
                      static_cast<long long>(port_lost), static_cast<unsigned long long>(port_duplicates[p]), port_errors[p],
                      num_or_null(port_know_ms(p), 1).c_str());
        per_port_json += head + latency_json(latency_by_port[p]);
        per_port_json += ",\"server_pid\":" + std::to_string(pid_at(p)) +
                         ",\"join_server_cpu_cores\":" + num_or_null(server_at(join_cpu, p)) +
                         ",\"server_cpu_cores\":" + num_or_null(server_at(window_cpu, p)) +
                         ",\"total_server_cpu_cores\":" + num_or_null(server_at(total_cpu, p)) +
                         ",\"vmrss_max_sampled_mb\":" + num_or_null(rss_max, 0) +
                         ",\"vmrss_end_mb\":" + num_or_null(of_pid(rss_end_mb, p), 0) +
                         ",\"vmhwm_mb\":" + num_or_null(of_pid(hwm_mb, p), 0) + ",\"metrics\":{";
        for (std::size_t m = 0; m < kMetricNames.size(); ++m) {
            std::string name(kMetricNames[m].substr(7));  // without "redred_"
            const auto value = m == kConnections ? span_end.metrics[p][m]
                                                 : metric_delta(span_start, span_end, p, static_cast<MetricIndex>(m));
            per_port_json += (m ? ",\"" : "\"") + name + "\":" + num_or_null(value, m == kLagSum ? 6 : 0);
        }
        per_port_json += "}}";
    }
    per_port_json += "]";
    std::string ports_text;
    for (std::size_t p = 0; p < ports; ++p) ports_text += (p ? "," : "") + std::to_string(options.ports[p]);

    if (options.json) {
        std::printf(
            "{\"clients\":%d,\"rate\":%.3f,\"seconds\":%.3f,\"threads\":%d,\"stream_id\":%lld,\"streamer\":%s,"
            "\"phase_error\":\"%s\",\"established\":%d,\"established_ms_p50\":%.1f,\"established_ms_max\":%.1f,"
            "\"join_all_established_ms\":%s,\"join_first_counted_ms\":%s,\"join_all_know_count_ms\":%s,"
            "\"viewers_at_start\":%d,\"comments_total\":%d,\"comments_sent\":%d,\"comments_acked\":%d,"
            "\"comments_refused\":%d,\"first_refusal\":\"%s\",\"expected\":%llu,\"received\":%llu,\"lost\":%lld,"
            "\"lost_pct\":%.3f,\"duplicates\":%llu,\"offered_deliveries_per_s\":%.1f,\"deliveries_per_s\":%.1f,"
            "\"latency_ms\":{\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,\"max\":%.3f},"
            "\"ack_latency_ms\":{\"p50\":%.3f,\"p99\":%.3f,\"max\":%.3f},\"last_delivery_after_last_send_ms\":%s,"
            "\"first_delivery_ms\":{\"p50\":%.3f,\"max\":%.3f},\"fanout_spread_ms\":{\"p50\":%.3f,\"max\":%.3f},"
            "\"mean_latency_ms_by_second\":%s,"
            "\"viewer_text_frames\":%llu,\"viewer_batched_frames\":%llu,\"viewer_messages\":%llu,"
            "\"viewer_messages_per_frame\":%.3f,\"pings\":%llu,\"errors\":%d,"
            "\"errors_by_kind\":{\"connect\":%d,\"handshake\":%d,\"eof\":%d,\"recv\":%d,\"protocol\":%d,\"closed\":%d},"
            "\"close_codes\":%s,\"first_error\":\"%s\",\"streamer_user_joined\":%llu,\"streamer_comments\":%llu,"
            "\"streamer_error\":\"%s\",\"sender_error\":\"%s\","
            "\"join_s\":%.3f,\"join_loadgen_cpu_cores\":%.3f,\"join_server_cpu_cores\":%s,"
            "\"window_s\":%.3f,\"loadgen_cpu_cores\":%.3f,\"server_cpu_cores\":%s,"
            "\"total_s\":%.3f,\"total_loadgen_cpu_cores\":%.3f,\"total_server_cpu_cores\":%s,\"server_pid\":%d,"
            "\"ports\":[%s],\"senders\":%d,\"latency_local_ms\":%s,\"latency_remote_ms\":%s,"
            "\"deliveries_local\":%zu,\"deliveries_remote\":%zu,\"join_aux_cpu_cores\":%s,\"aux_cpu_cores\":%s,"
            "\"cluster\":%s,\"redis\":%s,\"per_port\":%s}\n",
            options.clients, options.rate, options.seconds, options.threads, options.stream_id,
            with_streamer ? "true" : "false", json_escape(phase_error).c_str(), static_cast<int>(established_ms.size()),
            percentile(established_ms, 50), established_ms.empty() ? 0.0 : established_ms.back(),
            num_or_null(all_established, 1).c_str(), num_or_null(first_counted, 1).c_str(),
            num_or_null(all_know, 1).c_str(), viewers_at_start, total_comments, sent, acked, refused,
            json_escape(control->first_refusal).c_str(), static_cast<unsigned long long>(expected),
            static_cast<unsigned long long>(received), static_cast<long long>(lost), lost_pct,
            static_cast<unsigned long long>(duplicates), options.rate * viewers_at_start, deliveries_per_s,
            percentile(latency, 50) / lat, percentile(latency, 90) / lat, percentile(latency, 99) / lat,
            latency.empty() ? 0.0 : latency.back() / lat, percentile(acks, 50) / lat, percentile(acks, 99) / lat,
            acks.empty() ? 0.0 : acks.back() / lat, num_or_null(tail_ms, 1).c_str(), percentile(first_ms, 50),
            first_ms.empty() ? 0.0 : first_ms.back(), percentile(spread_ms, 50), spread_ms.empty() ? 0.0 : spread_ms.back(),
            by_second_json.c_str(), static_cast<unsigned long long>(text_frames), static_cast<unsigned long long>(batched_frames),
            static_cast<unsigned long long>(messages), messages_per_frame, static_cast<unsigned long long>(pings), errors,
            errors_by_kind[static_cast<int>(ErrorKind::Connect)], errors_by_kind[static_cast<int>(ErrorKind::Handshake)],
            errors_by_kind[static_cast<int>(ErrorKind::Eof)], errors_by_kind[static_cast<int>(ErrorKind::Recv)],
            errors_by_kind[static_cast<int>(ErrorKind::Protocol)], errors_by_kind[static_cast<int>(ErrorKind::Closed)],
            codes_json.c_str(), json_escape(first_error).c_str(),
            static_cast<unsigned long long>(control->streamer_user_joined),
            static_cast<unsigned long long>(control->streamer_comments), json_escape(streamer.error_detail).c_str(),
            json_escape(sender_errors).c_str(), join_cpu.seconds, join_cpu.self_cores,
            num_or_null(join_cpu.servers_total_cores).c_str(), window_cpu.seconds, window_cpu.self_cores,
            num_or_null(window_cpu.servers_total_cores).c_str(), total_cpu.seconds, total_cpu.self_cores,
            num_or_null(total_cpu.servers_total_cores).c_str(), pid_at(0), ports_text.c_str(), senders,
            latency_json(latency_local).c_str(), latency_json(latency_remote).c_str(), latency_local.size(),
            latency_remote.size(), num_or_null(join_cpu.aux_cores).c_str(), num_or_null(window_cpu.aux_cores).c_str(),
            cluster_json.c_str(), redis_json.c_str(), per_port_json.c_str());
    } else {
        std::printf("chat_load stream=%lld clients=%d rate=%.1f/s seconds=%.1f threads=%d streamer=%s ports=%s%s%s\n",
                    options.stream_id, options.clients, options.rate, options.seconds, options.threads,
                    with_streamer ? "yes" : "no", ports_text.c_str(), phase_error.empty() ? "" : "  PHASE: ",
                    phase_error.c_str());
        std::printf("  join: %zu/%d established (each: p50 %.1f ms, max %.1f ms); all established %s ms, "
                    "first viewers_update >= N %s ms, every viewer knew N %s ms (from the first connect)\n",
                    established_ms.size(), options.clients, percentile(established_ms, 50),
                    established_ms.empty() ? 0.0 : established_ms.back(), num_or_null(all_established, 1).c_str(),
                    num_or_null(first_counted, 1).c_str(), num_or_null(all_know, 1).c_str());
        std::printf("  comments: %d sent (%d sender%s), %d acknowledged, %d refused%s%s\n", sent, senders,
                    senders == 1 ? "" : "s", acked, refused, control->first_refusal.empty() ? "" : " (first: ",
                    control->first_refusal.empty() ? "" : (control->first_refusal + ")").c_str());
        std::printf("  deliveries: expected %llu (%d viewers), received %llu, lost %lld (%.2f %%), duplicates %llu\n",
                    static_cast<unsigned long long>(expected), viewers_at_start,
                    static_cast<unsigned long long>(received), static_cast<long long>(lost), lost_pct,
                    static_cast<unsigned long long>(duplicates));
        std::printf("  rate: %.0f deliveries/s (offered %.0f/s); last delivery %s ms after the last send\n",
                    deliveries_per_s, options.rate * viewers_at_start, num_or_null(tail_ms, 1).c_str());
        std::printf("  latency: p50 %.2f ms  p90 %.2f ms  p99 %.2f ms  max %.2f ms  (sender ack p50 %.2f, p99 %.2f ms)\n",
                    percentile(latency, 50) / lat, percentile(latency, 90) / lat, percentile(latency, 99) / lat,
                    latency.empty() ? 0.0 : latency.back() / lat, percentile(acks, 50) / lat, percentile(acks, 99) / lat);
        if (ports > 1) {
            std::printf("  latency by sender: local (viewer on the sender's port) p50 %.2f, p99 %.2f ms (%zu); remote "
                        "p50 %.2f, p99 %.2f ms (%zu)\n",
                        percentile(latency_local, 50) / lat, percentile(latency_local, 99) / lat, latency_local.size(),
                        percentile(latency_remote, 50) / lat, percentile(latency_remote, 99) / lat, latency_remote.size());
        }
        std::printf("  per comment: first delivery p50 %.2f ms, max %.2f ms; first-to-last delivery spread p50 %.2f ms, "
                    "max %.2f ms\n  mean latency by second sent (ms): %s\n",
                    percentile(first_ms, 50), first_ms.empty() ? 0.0 : first_ms.back(), percentile(spread_ms, 50),
                    spread_ms.empty() ? 0.0 : spread_ms.back(), by_second_text.c_str());
        std::printf("  viewer frames: %llu (%llu batched), %.2f messages per frame; pings answered %llu\n",
                    static_cast<unsigned long long>(text_frames), static_cast<unsigned long long>(batched_frames),
                    messages_per_frame, static_cast<unsigned long long>(pings));
        std::printf("  viewer errors: %d", errors);
        if (errors) {
            std::printf(" (connect %d, handshake %d, eof %d, recv %d, protocol %d, closed %d; close codes: %s; first: %s)",
                        errors_by_kind[1], errors_by_kind[2], errors_by_kind[3], errors_by_kind[4], errors_by_kind[5],
                        errors_by_kind[6], codes_text.empty() ? "none" : codes_text.c_str(), first_error.c_str());
        }
        std::printf("\n  streamer: %llu user_joined, %llu comments%s%s; sender%s: %s\n",
                    static_cast<unsigned long long>(control->streamer_user_joined),
                    static_cast<unsigned long long>(control->streamer_comments),
                    streamer.error_detail.empty() ? "" : "; error: ", streamer.error_detail.c_str(), senders == 1 ? "" : "s",
                    sender_errors.empty() ? "ok" : sender_errors.c_str());
        std::printf("  CPU (cores): join %.2f s: load generator %.2f, server%s %s; chat window %.2f s: load generator "
                    "%.2f, server%s %s\n",
                    join_cpu.seconds, join_cpu.self_cores, options.server_pids.size() > 1 ? "s" : "",
                    num_or_null(join_cpu.servers_total_cores, 2).c_str(), window_cpu.seconds, window_cpu.self_cores,
                    options.server_pids.size() > 1 ? "s" : "", num_or_null(window_cpu.servers_total_cores, 2).c_str());
        if (!options.aux_pids.empty()) {
            std::printf("  CPU of --aux-pids (cores): join %s, chat window %s\n", num_or_null(join_cpu.aux_cores, 2).c_str(),
                        num_or_null(window_cpu.aux_cores, 2).c_str());
        }
        if (ports > 1 || options.server_pids.size() > 1) {
            for (std::size_t p = 0; p < ports; ++p) {
                const auto port_expected = static_cast<std::uint64_t>(port_at_start[p]) * static_cast<std::uint64_t>(accepted);
                std::printf("  port %d: %d viewers (%d at start), received %llu of %llu, duplicates %llu, errors %d, "
                            "everyone knew N %s ms; latency p50 %.2f, p99 %.2f ms; server pid %d: CPU join %s, chat %s "
                            "cores, max RSS %.0f MB\n",
                            options.ports[p], shared.port_viewers[p].load(), port_at_start[p],
                            static_cast<unsigned long long>(port_received[p]), static_cast<unsigned long long>(port_expected),
                            static_cast<unsigned long long>(port_duplicates[p]), port_errors[p],
                            num_or_null(port_know_ms(p), 1).c_str(), percentile(latency_by_port[p], 50) / lat,
                            percentile(latency_by_port[p], 99) / lat, pid_at(p),
                            num_or_null(server_at(join_cpu, p), 2).c_str(), num_or_null(server_at(window_cpu, p), 2).c_str(),
                            p < rss.max_mb.size() ? rss.max_mb[p] : 0.0);
            }
        }
        std::printf("  chat span %.2f s (/metrics of every port): cluster events published %s (%s per comment), received "
                    "%s (%s per comment), publish failed %s, mean lag %s ms; ws messages %s in %s writes\n",
                    span_s, num_or_null(published, 0).c_str(), num_or_null(per(published, accepted), 2).c_str(),
                    num_or_null(cluster_received, 0).c_str(), num_or_null(per(cluster_received, accepted), 2).c_str(),
                    num_or_null(publish_failed, 0).c_str(), num_or_null(lag_mean_ms, 2).c_str(),
                    num_or_null(ws_sent, 0).c_str(), num_or_null(ws_writes, 0).c_str());
        if (options.redis_port) {
            std::printf("  redis: %s commands (%s per comment), PUBLISH %s (%s per comment), CPU %s cores; by command:%s\n",
                        num_or_null(redis_commands, 0).c_str(), num_or_null(per(redis_commands, accepted), 2).c_str(),
                        num_or_null(redis_publish, 0).c_str(), num_or_null(per(redis_publish, accepted), 2).c_str(),
                        num_or_null(redis_cpu_cores, 2).c_str(), redis_text.empty() ? " none" : redis_text.c_str());
        }
    }
    return 0;
}
