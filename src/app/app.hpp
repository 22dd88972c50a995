// Builds and owns everything `redred serve` runs: the io_context and its threads, the state backend, the screen
// service, routes, the HTTP server; handles SIGINT/SIGTERM with a bounded graceful shutdown.
#pragma once
#include "app/config.hpp"
#include "live/cleanup_rules.hpp"

namespace redred::app {

// Returns the process exit code.
int run_server(const Config& config);

live::CleanupThresholds cleanup_thresholds(const Config& config);

// Raises RLIMIT_NOFILE to the hard limit; returns the soft limit now in force.
long raise_open_files_limit();

}  // namespace redred::app
