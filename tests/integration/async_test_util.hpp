// Small helpers for integration tests that drive Asio coroutines from a test thread.
#pragma once
#include <chrono>
#include <optional>
#include <thread>

#include "core/net.hpp"

namespace redred::test {

// Polls `condition` every 10 ms until it holds or `limit` passes.
template <class Condition>
bool eventually(Condition condition, std::chrono::milliseconds limit = std::chrono::milliseconds(5000)) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (!condition()) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
}

// Wraps a task's result in an optional (always set): Boost 1.74's co_spawn with use_future needs a
// default-constructible result, which Result<T> is not.
template <class T>
net::awaitable<std::optional<T>> as_optional(net::awaitable<T> task) {
    co_return co_await std::move(task);
}

}  // namespace redred::test
