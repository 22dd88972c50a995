// Starting and stopping the real servers the integration tests use (redis-server, postgres): fork + exec with
// the child tied to the test's main thread (it dies with it), optionally as another user.
#pragma once
#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace redred::test {

struct SpawnOptions {
    std::optional<uid_t> uid;     // run as this user (and `gid`) instead of ours, e.g. postgres
    std::optional<gid_t> gid;
    std::string output_file;      // stdout and stderr appended here; empty: /dev/null
    int stdin_fd = -1;            // the child's stdin (e.g. a pipe's read end); -1: /dev/null
    int stdout_fd = -1;           // the child's stdout (e.g. a pipe's write end); -1: as output_file says
};

// Starts args[0] (looked up in PATH) with `args`. The child gets SIGKILL when the thread that started it
// exits (PR_SET_PDEATHSIG), so call this on the test's main thread. A child that cannot exec exits with 127.
// Throws std::runtime_error when fork() fails.
pid_t spawn_process(const std::vector<std::string>& args, const SpawnOptions& options = {});

// spawn_process() and waits for the exit; returns the exit code (-1 if killed by a signal or timed out,
// after which it is killed).
int run_process(const std::vector<std::string>& args, const SpawnOptions& options, std::chrono::milliseconds timeout);

// Sends `signal`, then SIGKILL if the process has not exited after `grace`; reaps it and sets pid to -1.
// No-op when pid <= 0.
void stop_process(pid_t& pid, int signal, std::chrono::milliseconds grace);

// True (and pid set to -1) when the child has exited; `exit_code` gets its code (or -1 for a signal).
bool reap_if_exited(pid_t& pid, int* exit_code = nullptr);

// A loopback TCP port that was free a moment ago (bind to port 0, read it back, close).
int find_free_port();

// The last `bytes` of a text file, for failure messages ("(no <path>)" when it cannot be read).
std::string file_tail(const std::string& path, std::size_t bytes = 2000);

// A fresh directory under the temp dir, e.g. make_temp_dir("redred-pg") -> /tmp/redred-pg-Ab12Cd.
std::string make_temp_dir(const std::string& prefix);

}  // namespace redred::test
