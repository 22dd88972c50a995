#include "core/log.hpp"

#include <mutex>

#include <spdlog/sinks/stdout_color_sinks.h>

namespace redred::log {
namespace {
std::mutex g_mutex;
spdlog::level::level_enum g_level = spdlog::level::info;
}  // namespace

void init_logging(const std::string& level) {
    std::lock_guard lock(g_mutex);
    g_level = spdlog::level::from_str(level);
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ [%n] %v");
    spdlog::set_level(g_level);
    spdlog::apply_all([](const std::shared_ptr<spdlog::logger>& l) { l->set_level(g_level); });
}

std::shared_ptr<spdlog::logger> get(const std::string& area) {
    if (auto existing = spdlog::get(area)) return existing;
    std::lock_guard lock(g_mutex);
    if (auto existing = spdlog::get(area)) return existing;
    auto logger = spdlog::stderr_color_mt(area);
    logger->set_level(g_level);
    logger->flush_on(spdlog::level::info);
    return logger;
}

}  // namespace redred::log
