#include "redis_server_fixture.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include "child_process.hpp"

namespace redred::test {
namespace {

constexpr auto kStartTimeout = std::chrono::seconds(5);
constexpr int kFirstStartAttempts = 5;  // a free port can be taken between probing and binding

// Sends an inline PING; true once the server answers (+PONG, or -NOAUTH when a password is set).
bool answers_ping(int port) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return false;
    timeval timeout{0, 200 * 1000};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = false;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
        const char ping[] = "PING\r\n";
        if (::send(fd, ping, sizeof ping - 1, MSG_NOSIGNAL) == static_cast<ssize_t>(sizeof ping - 1)) {
            char reply[64] = {};
            ssize_t n = ::recv(fd, reply, sizeof reply - 1, 0);
            ok = n > 0 && (std::strncmp(reply, "+PONG", 5) == 0 || std::strncmp(reply, "-NOAUTH", 7) == 0);
        }
    }
    ::close(fd);
    return ok;
}

std::string server_program() {
    const char* from_env = std::getenv("REDRED_REDIS_SERVER");
    return from_env && *from_env ? from_env : "redis-server";
}

}  // namespace

RedisServer::RedisServer() : RedisServer(Options{}) {}

RedisServer::RedisServer(Options options) : options_(std::move(options)) {
    dir_ = make_temp_dir("redred-redis");
    std::string why;
    for (int attempt = 0; attempt < kFirstStartAttempts; ++attempt) {
        port_ = find_free_port();
        if (launch_and_wait(why)) return;
    }
    std::string tail = log_tail();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
    throw std::runtime_error("redis-server did not start: " + why + "\n" + tail);
}

RedisServer::~RedisServer() {
    terminate(SIGKILL, 2000);
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
}

std::string RedisServer::url(int db) const {
    std::string credentials = options_.password.empty() ? "" : ":" + options_.password + "@";
    return "redis://" + credentials + "127.0.0.1:" + std::to_string(port_) + "/" + std::to_string(db);
}

state::redis::Endpoint RedisServer::endpoint(int db) const {
    state::redis::Endpoint endpoint;
    endpoint.host = "127.0.0.1";
    endpoint.port = port_;
    endpoint.db = db;
    endpoint.password = options_.password;
    return endpoint;
}

void RedisServer::stop() { terminate(SIGTERM, 5000); }

void RedisServer::kill() { terminate(SIGKILL, 2000); }

void RedisServer::start() {
    if (running()) return;
    std::string why;
    if (!launch_and_wait(why)) throw std::runtime_error("redis-server did not restart: " + why + "\n" + log_tail());
}

bool RedisServer::launch_and_wait(std::string& why) {
    std::vector<std::string> args = {server_program(), "--port", std::to_string(port_), "--bind", "127.0.0.1",
                                     "--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", dir_,
                                     "--logfile", dir_ + "/redis.log"};
    if (!options_.password.empty()) {
        args.push_back("--requirepass");
        args.push_back(options_.password);
    }
    args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());
    try {
        pid_ = spawn_process(args);
    } catch (const std::runtime_error& e) {
        why = e.what();
        return false;
    }

    auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
    while (std::chrono::steady_clock::now() < deadline) {
        int code = 0;
        if (reap_if_exited(pid_, &code)) {
            why = code == 127 ? "cannot run " + args[0] + " (is redis-server installed?)"
                              : "it exited at start-up on port " + std::to_string(port_);
            return false;
        }
        if (answers_ping(port_)) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    terminate(SIGKILL, 2000);
    why = "no PING answer within 5 s on port " + std::to_string(port_);
    return false;
}

void RedisServer::terminate(int signal, int grace_ms) { stop_process(pid_, signal, std::chrono::milliseconds(grace_ms)); }

std::string RedisServer::log_tail(size_t bytes) const { return file_tail(dir_ + "/redis.log", bytes); }

int RedisServer::find_free_port() { return test::find_free_port(); }

}  // namespace redred::test
