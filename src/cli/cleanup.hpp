// `redred cleanup`: the seed's maintenance scripts for operators. --check lists what would be ended (like
// check_streams.py); a plain run ends stale streams (cleanup_streams.py); --force ends every live stream
// (force_cleanup_streams.py). Idempotent. A running server notices ended streams at its next sweep and tells
// their clients.
#pragma once
#include <CLI/CLI.hpp>

#include "app/config.hpp"

namespace redred::cli {

struct CleanupOptions {
    bool check = false;
    bool force = false;
};

void add_cleanup_command_options(CLI::App& command, app::Config& config, CleanupOptions& options);
int run_cleanup(const app::Config& config, const CleanupOptions& options);

}  // namespace redred::cli
