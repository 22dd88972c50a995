#include "state/memory/memory_screen_state.hpp"

#include <chrono>

namespace redred::state::memory {
namespace {
double unix_now() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count() / 1000.0;
}
}  // namespace

net::awaitable<Result<StreamRecord>> MemoryScreenState::start(StreamRecord wanted, std::string capturer) {
    std::lock_guard lock(mutex_);
    if (record_.active) co_return make_error(Errc::Conflict, "a stream is already active (task_id " + record_.task_id + ")");
    if (capturer.empty())
        co_return make_error(Errc::Unavailable,
                             "this server has no screen source (--screen-source none) and no other instance to capture");
    wanted.active = true;
    wanted.started_at = unix_now();
    record_ = wanted;
    co_return record_;
}

net::awaitable<Result<StreamRecord>> MemoryScreenState::stop() {
    std::lock_guard lock(mutex_);
    if (!record_.active) co_return make_error(Errc::Conflict, "no stream is active");
    record_.active = false;
    co_return record_;
}

net::awaitable<Result<SyncResult>> MemoryScreenState::sync(std::string) {
    std::lock_guard lock(mutex_);
    co_return SyncResult{record_, false};
}

net::awaitable<Result<LeaseOutcome>> MemoryScreenState::renew(std::string, std::string task_id) {
    std::lock_guard lock(mutex_);
    co_return (record_.active && record_.task_id == task_id) ? LeaseOutcome::Keep : LeaseOutcome::Lost;
}

net::awaitable<Result<bool>> MemoryScreenState::release(std::string, std::string task_id) {
    std::lock_guard lock(mutex_);
    if (!record_.active || record_.task_id != task_id) co_return false;
    record_.active = false;
    co_return true;
}

}  // namespace redred::state::memory
