// `redred migrate-sqlite-to-postgres --data-dir DIR --database postgres://...`: moves an embedded installation
// onto PostgreSQL (docs/DEPLOY.md). Stop the embedded server first. Both databases are brought to the current
// schema, then every row is copied with its id (store/copy_to_postgres.hpp); a second run copies nothing.
// Recordings are files: copy <data-dir>/recordings to the shared --recordings-dir yourself.
#pragma once
#include <CLI/CLI.hpp>

#include "app/config.hpp"

namespace redred::cli {

void add_migrate_command_options(CLI::App& command, app::Config& config);
int run_migrate_sqlite_to_postgres(const app::Config& config);

}  // namespace redred::cli
