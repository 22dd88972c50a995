// Precompiled header for I/O code. Boost 1.74 with GCC 12 coroutines needs <utility> before any Asio header.
#pragma once
#include <utility>
#include "core/net.hpp"
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>
