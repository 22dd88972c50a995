// Named spdlog loggers, one per area (STYLE §8). Created once by init_logging(); cheap to look up after.
#pragma once
#include <memory>
#include <string>

#include <spdlog/spdlog.h>

namespace redred::log {

void init_logging(const std::string& level);  // "trace".."off"; logs go to stderr
std::shared_ptr<spdlog::logger> get(const std::string& area);  // "http", "screen", "state", "app", ...

}  // namespace redred::log
