#include "child_process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace redred::test {

pid_t spawn_process(const std::vector<std::string>& args, const SpawnOptions& options) {
    // Everything the child needs is built before fork(): between fork and exec only async-signal-safe calls.
    std::vector<std::string> copy = args;
    std::vector<char*> argv;
    for (auto& arg : copy) argv.push_back(arg.data());
    argv.push_back(nullptr);
    const int dev_null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    const int output = options.output_file.empty()
                           ? -1
                           : ::open(options.output_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (output >= 0 && options.uid) (void)::fchown(output, *options.uid, options.gid.value_or(static_cast<gid_t>(-1)));
    const pid_t parent = ::getpid();

    const pid_t pid = ::fork();
    if (pid < 0) {
        const int error = errno;
        if (dev_null >= 0) ::close(dev_null);
        if (output >= 0) ::close(output);
        throw std::runtime_error(std::string("fork failed: ") + std::strerror(error));
    }
    if (pid == 0) {
        if (options.gid && (::setgroups(0, nullptr) != 0 || ::setgid(*options.gid) != 0)) ::_exit(126);
        if (options.uid && ::setuid(*options.uid) != 0) ::_exit(126);
        // After the user change, which clears the parent-death signal.
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent) ::_exit(126);
        const int in = options.stdin_fd >= 0 ? options.stdin_fd : dev_null;
        if (in >= 0) ::dup2(in, STDIN_FILENO);
        const int out = output >= 0 ? output : dev_null;
        const int standard_out = options.stdout_fd >= 0 ? options.stdout_fd : out;
        if (standard_out >= 0) ::dup2(standard_out, STDOUT_FILENO);
        if (out >= 0) ::dup2(out, STDERR_FILENO);
        ::execvp(argv[0], argv.data());
        ::_exit(127);
    }
    if (dev_null >= 0) ::close(dev_null);
    if (output >= 0) ::close(output);
    return pid;
}

int run_process(const std::vector<std::string>& args, const SpawnOptions& options, std::chrono::milliseconds timeout) {
    pid_t pid = spawn_process(args, options);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    int code = -1;
    while (std::chrono::steady_clock::now() < deadline) {
        if (reap_if_exited(pid, &code)) return code;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    stop_process(pid, SIGKILL, std::chrono::seconds(2));
    return -1;
}

bool reap_if_exited(pid_t& pid, int* exit_code) {
    if (pid <= 0) return true;
    int status = 0;
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == 0) return false;
    if (exit_code) *exit_code = done == pid && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    pid = -1;
    return true;
}

void stop_process(pid_t& pid, int signal, std::chrono::milliseconds grace) {
    if (pid <= 0) return;
    ::kill(pid, signal);
    const auto deadline = std::chrono::steady_clock::now() + grace;
    for (;;) {
        int status = 0;
        const pid_t done = ::waitpid(pid, &status, WNOHANG);
        if (done == pid || (done < 0 && errno == ECHILD)) break;
        if (std::chrono::steady_clock::now() >= deadline) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);  // SIGKILL cannot be ignored: this returns promptly
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    pid = -1;
}

int find_free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
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
    const int port = ntohs(address.sin_port);
    ::close(fd);
    return port;
}

std::string file_tail(const std::string& path, std::size_t bytes) {
    std::ifstream file(path, std::ios::binary);
    if (!file) return "(no " + path + ")";
    std::stringstream contents;
    contents << file.rdbuf();
    const std::string text = contents.str();
    return text.size() > bytes ? text.substr(text.size() - bytes) : text;
}

std::string make_temp_dir(const std::string& prefix) {
    std::string pattern = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("cannot create a temp dir " + pattern);
    return pattern;
}

}  // namespace redred::test
