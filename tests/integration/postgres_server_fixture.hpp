// A private PostgreSQL server for integration tests: `initdb` into a temp dir, then `postgres` on a free
// loopback port, as the `postgres` user when the tests run as root (PostgreSQL refuses root). Tuned for tests
// (fsync off: a crash of the machine is not what these tests simulate; a crash of a client is).
#pragma once
#include <sys/types.h>

#include <string>

namespace redred::test {

class PostgresServer {
public:
    // The role redred connects as (a password login over TCP, like a real deployment) and its password.
    static constexpr const char* kRole = "redred";
    static constexpr const char* kPassword = "redred-test-secret";

    // initdb + start; returns once it accepts connections. Throws std::runtime_error with the log's tail.
    PostgresServer();
    ~PostgresServer();  // stops it and removes its files
    PostgresServer(const PostgresServer&) = delete;
    PostgresServer& operator=(const PostgresServer&) = delete;

    // One server for the whole test binary, started on first use (on the main thread: see spawn_process).
    static PostgresServer& shared();

    int port() const { return port_; }
    // postgres://redred:<password>@127.0.0.1:<port>/<database>
    std::string url(const std::string& database) const;
    // Creates an empty database owned by kRole with a name not used before; returns its URL.
    std::string create_database();
    // Runs SQL as the superuser on `database` (no result).
    void admin_exec(const std::string& database, const std::string& sql);

    void stop();   // fast shutdown (SIGINT), SIGKILL after 10 s
    void kill();   // SIGKILL to the postmaster and its backends: a crash of the server
    void start();  // again on the same port and data; no-op when running
    bool running() const { return pid_ > 0; }
    std::string log_tail(std::size_t bytes = 3000) const;

private:
    bool launch_and_wait(std::string& why);
    std::string bin(const char* program) const;

    std::string dir_;
    std::string bindir_;
    int port_ = 0;
    pid_t pid_ = -1;
    int databases_created_ = 0;
};

}  // namespace redred::test
