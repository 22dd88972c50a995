// A private redis-server for integration tests, shared by every test that needs real Redis.
#pragma once
#include <sys/types.h>

#include <string>
#include <vector>

#include "state/redis/redis_url.hpp"

namespace redred::test {

// Starts `redis-server` (or $REDRED_REDIS_SERVER) bound to 127.0.0.1 on a free port with persistence off and
// its working dir in a fresh temp dir; returns once it answers PING. stop()/start() restart it on the same
// port. The destructor kills it and removes the temp dir. The server also dies if the thread that started
// it exits (PR_SET_PDEATHSIG), so create it on the test's main thread. Not thread-safe. Throws
// std::runtime_error (with the server log's tail) when the server cannot start within 5 s.
class RedisServer {
public:
    struct Options {
        std::string password;                 // sets --requirepass when not empty
        std::vector<std::string> extra_args;  // appended to the command line, e.g. {"--databases", "4"}
    };

    RedisServer();
    explicit RedisServer(Options options);
    ~RedisServer();
    RedisServer(const RedisServer&) = delete;
    RedisServer& operator=(const RedisServer&) = delete;

    int port() const { return port_; }
    // redis://[:password@]127.0.0.1:<port>/<db>
    std::string url(int db = 0) const;
    state::redis::Endpoint endpoint(int db = 0) const;

    // SIGTERM, then SIGKILL if it has not exited after 5 s. The port stays ours for start().
    void stop();
    // SIGKILL at once: a crash rather than a shutdown.
    void kill();
    // Starts it again on the same port; waits until it answers PING. No-op if it is running.
    void start();
    bool running() const { return pid_ > 0; }

    // The last `bytes` of the server log, for failure messages.
    std::string log_tail(size_t bytes = 2000) const;

    // A loopback TCP port that was free a moment ago (bind to port 0, read it back, close).
    static int find_free_port();

private:
    bool launch_and_wait(std::string& why);
    void terminate(int signal, int grace_ms);

    Options options_;
    std::string dir_;
    int port_ = 0;
    pid_t pid_ = -1;
};

}  // namespace redred::test
