#include "redis_server_fixture.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

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
    std::string pattern = (std::filesystem::temp_directory_path() / "redred-redis-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("cannot create a temp dir for redis-server");
    dir_ = pattern;
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
    // Everything the child needs is built before fork(): between fork and exec only async-signal-safe calls.
    std::vector<std::string> args = {server_program(), "--port", std::to_string(port_), "--bind", "127.0.0.1",
                                     "--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", dir_,
                                     "--logfile", dir_ + "/redis.log"};
    if (!options_.password.empty()) {
        args.push_back("--requirepass");
        args.push_back(options_.password);
    }
    args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    int dev_null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    pid_t parent = ::getpid();

    pid_t pid = ::fork();
    if (pid < 0) {
        if (dev_null >= 0) ::close(dev_null);
        why = std::string("fork failed: ") + std::strerror(errno);
        return false;
    }
    if (pid == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent) ::_exit(126);
        if (dev_null >= 0) {
            ::dup2(dev_null, STDIN_FILENO);
            ::dup2(dev_null, STDOUT_FILENO);
        }
        ::execvp(argv[0], argv.data());
        ::_exit(127);
    }
    if (dev_null >= 0) ::close(dev_null);
    pid_ = pid;

    auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
    while (std::chrono::steady_clock::now() < deadline) {
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            why = WIFEXITED(status) && WEXITSTATUS(status) == 127
                      ? "cannot run " + args[0] + " (is redis-server installed?)"
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

void RedisServer::terminate(int signal, int grace_ms) {
    if (pid_ <= 0) return;
    ::kill(pid_, signal);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(grace_ms);
    for (;;) {
        int status = 0;
        pid_t done = ::waitpid(pid_, &status, WNOHANG);
        if (done == pid_ || (done < 0 && errno == ECHILD)) break;
        if (std::chrono::steady_clock::now() >= deadline) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, &status, 0);  // SIGKILL cannot be ignored: this returns promptly
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    pid_ = -1;
}

std::string RedisServer::log_tail(size_t bytes) const {
    std::ifstream log(dir_ + "/redis.log", std::ios::binary);
    if (!log) return "(no redis log)";
    std::stringstream contents;
    contents << log.rdbuf();
    std::string text = contents.str();
    return text.size() > bytes ? text.substr(text.size() - bytes) : text;
}

int RedisServer::find_free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) throw std::runtime_error("socket() failed while looking for a free port");
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = 0;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
        ::close(fd);
        throw std::runtime_error("cannot bind a loopback port");
    }
    int port = ntohs(address.sin_port);
    ::close(fd);
    return port;
}

}  // namespace redred::test
