// In-process screen state: the embedded default. One process, so this instance is always the capturer.
#pragma once
#include <mutex>

#include "state/screen_state.hpp"

namespace redred::state::memory {

class MemoryScreenState final : public ScreenState {
public:
    const char* backend_name() const override { return "memory"; }
    bool shared() const override { return false; }
    net::awaitable<Result<StreamRecord>> start(StreamRecord wanted, std::string capturer) override;
    net::awaitable<Result<StreamRecord>> stop() override;
    net::awaitable<Result<SyncResult>> sync(std::string capturer) override;
    net::awaitable<Result<LeaseOutcome>> renew(std::string capturer, std::string task_id) override;
    net::awaitable<Result<bool>> release(std::string capturer, std::string task_id) override;

private:
    std::mutex mutex_;
    StreamRecord record_;
};

}  // namespace redred::state::memory
