#include "postgres_server_fixture.hpp"

#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <vector>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "child_process.hpp"

namespace redred::test {
namespace {

namespace fs = std::filesystem;
constexpr auto kStartTimeout = std::chrono::seconds(20);

// $REDRED_PG_BINDIR, or the newest /usr/lib/postgresql/<version>/bin (Debian's layout).
std::string find_bindir() {
    if (const char* env = std::getenv("REDRED_PG_BINDIR"); env && *env) return env;
    std::string best;
    int best_version = 0;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
        const int version = std::atoi(entry.path().filename().c_str());
        if (version > best_version && fs::exists(entry.path() / "bin" / "postgres")) {
            best_version = version;
            best = (entry.path() / "bin").string();
        }
    }
    if (best.empty()) throw std::runtime_error("no PostgreSQL server in /usr/lib/postgresql (apt-get install postgresql-15)");
    return best;
}

// Root runs the server as `postgres`; anyone else runs it as themselves.
SpawnOptions as_server_user(const std::string& output_file) {
    SpawnOptions options;
    options.output_file = output_file;
    if (::geteuid() == 0) {
        const passwd* user = ::getpwnam("postgres");
        if (!user) throw std::runtime_error("running as root but there is no `postgres` user to run PostgreSQL");
        options.uid = user->pw_uid;
        options.gid = user->pw_gid;
    }
    return options;
}

std::string conninfo(int port, const std::string& user, const std::string& password, const std::string& database) {
    std::string url = "postgres://" + user;
    if (!password.empty()) url += ":" + password;
    return url + "@127.0.0.1:" + std::to_string(port) + "/" + database + "?connect_timeout=5";
}

void exec_or_throw(const std::string& url, const std::string& sql) {
    PGconn* conn = PQconnectdb(url.c_str());
    std::string error;
    if (PQstatus(conn) != CONNECTION_OK) {
        error = PQerrorMessage(conn);
    } else {
        PGresult* result = PQexec(conn, sql.c_str());
        if (PQresultStatus(result) != PGRES_COMMAND_OK && PQresultStatus(result) != PGRES_TUPLES_OK)
            error = PQresultErrorMessage(result);
        PQclear(result);
    }
    PQfinish(conn);
    if (!error.empty()) throw std::runtime_error("postgres admin: " + sql + ": " + error);
}

}  // namespace

PostgresServer::PostgresServer() : dir_(make_temp_dir("redred-pg")), bindir_(find_bindir()) {
    const SpawnOptions options = as_server_user(dir_ + "/initdb.log");
    if (options.uid) {
        fs::permissions(dir_, fs::perms::owner_all);
        if (::chown(dir_.c_str(), *options.uid, *options.gid) != 0) throw std::runtime_error("cannot chown " + dir_);
    }
    const int code = run_process({bin("initdb"), "-D", dir_ + "/data", "-U", "postgres", "-A", "trust", "-E", "UTF8",
                                  "--locale=C", "--no-sync", "--no-instructions"},
                                 options, std::chrono::seconds(60));
    if (code != 0) throw std::runtime_error("initdb failed (exit " + std::to_string(code) + "):\n" + file_tail(dir_ + "/initdb.log"));
    // The superuser needs no password on loopback (the tests' admin); everyone else logs in with one.
    {
        std::ofstream hba(dir_ + "/data/pg_hba.conf", std::ios::trunc);
        hba << "host all postgres 127.0.0.1/32 trust\n"
               "host all all 127.0.0.1/32 scram-sha-256\n";
    }
    std::string why;
    for (int attempt = 0; attempt < 5; ++attempt) {
        port_ = find_free_port();
        if (launch_and_wait(why)) {
            admin_exec("postgres", std::string("CREATE ROLE ") + kRole + " LOGIN PASSWORD '" + kPassword + "'");
            return;
        }
    }
    throw std::runtime_error("postgres did not start: " + why + "\n" + log_tail());
}

PostgresServer::~PostgresServer() {
    stop_process(pid_, SIGQUIT, std::chrono::seconds(5));  // immediate shutdown: nothing here needs keeping
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
}

PostgresServer& PostgresServer::shared() {
    static PostgresServer server;
    return server;
}

std::string PostgresServer::bin(const char* program) const { return bindir_ + "/" + program; }

std::string PostgresServer::url(const std::string& database) const {
    return "postgres://" + std::string(kRole) + ":" + kPassword + "@127.0.0.1:" + std::to_string(port_) + "/" + database;
}

std::string PostgresServer::create_database() {
    const std::string name = "redred_test_" + std::to_string(::getpid()) + "_" + std::to_string(++databases_created_);
    admin_exec("postgres", "CREATE DATABASE " + name + " OWNER " + kRole);
    return url(name);
}

void PostgresServer::admin_exec(const std::string& database, const std::string& sql) {
    exec_or_throw(conninfo(port_, "postgres", "", database), sql);
}

void PostgresServer::stop() { stop_process(pid_, SIGINT, std::chrono::seconds(10)); }

void PostgresServer::kill() {
    // A crash of the whole server: the postmaster and every backend at once (a backend left behind would keep
    // the shared memory and the port, and the restart would refuse to start).
    std::vector<pid_t> children;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator("/proc", ec)) {
        const pid_t pid = std::atoi(entry.path().filename().c_str());
        if (pid <= 0) continue;
        std::ifstream stat(entry.path() / "stat");
        std::string line;
        std::getline(stat, line);
        const auto close = line.rfind(')');
        if (close == std::string::npos) continue;
        char state = 0;
        int ppid = 0;
        if (std::sscanf(line.c_str() + close + 1, " %c %d", &state, &ppid) == 2 && ppid == pid_) children.push_back(pid);
    }
    for (pid_t child : children) ::kill(child, SIGKILL);
    stop_process(pid_, SIGKILL, std::chrono::seconds(2));
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    for (pid_t child : children) {
        while (fs::exists("/proc/" + std::to_string(child)) && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

void PostgresServer::start() {
    if (running()) return;
    std::string why;
    if (!launch_and_wait(why)) throw std::runtime_error("postgres did not restart: " + why + "\n" + log_tail());
}

bool PostgresServer::launch_and_wait(std::string& why) {
    const std::vector<std::string> args = {
        bin("postgres"), "-D", dir_ + "/data", "-p", std::to_string(port_), "-c", "listen_addresses=127.0.0.1",
        "-c", "unix_socket_directories=" + dir_, "-c", "fsync=off", "-c", "full_page_writes=off",
        "-c", "max_connections=200", "-c", "shared_buffers=32MB", "-c", "log_min_messages=warning"};
    try {
        pid_ = spawn_process(args, as_server_user(dir_ + "/postgres.log"));
    } catch (const std::runtime_error& e) {
        why = e.what();
        return false;
    }
    const std::string probe = conninfo(port_, "postgres", "", "postgres");
    const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
    while (std::chrono::steady_clock::now() < deadline) {
        int code = 0;
        if (reap_if_exited(pid_, &code)) {
            why = code == 127 ? "cannot run " + args[0] : "it exited at start-up on port " + std::to_string(port_);
            return false;
        }
        if (PQping(probe.c_str()) == PQPING_OK) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    stop_process(pid_, SIGKILL, std::chrono::seconds(2));
    why = "not accepting connections within 20 s on port " + std::to_string(port_);
    return false;
}

std::string PostgresServer::log_tail(std::size_t bytes) const { return file_tail(dir_ + "/postgres.log", bytes); }

}  // namespace redred::test
