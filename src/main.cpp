// redred: one binary, subcommands. CLI11 wiring only.
#include <CLI/CLI.hpp>

#include "app/app.hpp"
#include "app/config.hpp"
#include "cli/cleanup.hpp"
#include "cli/doctor.hpp"
#include "cli/migrate.hpp"

int main(int argc, char** argv) {
    CLI::App app{"redred: a live-streaming server (screen feed and live platform)"};
    app.require_subcommand(1);
    redred::app::add_config_file_option(app);

    redred::app::Config config;
    auto* serve = app.add_subcommand("serve", "Run the server (embedded state by default, Redis with --redis)");
    redred::app::add_serve_options(*serve, config);

    redred::cli::DoctorOptions doctor_options;
    auto* doctor = app.add_subcommand("doctor", "Check Redis, the screen source and live instances; --cycle tests a server");
    redred::cli::add_doctor_options(*doctor, doctor_options);

    redred::app::Config cleanup_config;
    redred::cli::CleanupOptions cleanup_options;
    auto* cleanup = app.add_subcommand("cleanup", "End stale streams (--check lists them, --force ends every live one)");
    redred::cli::add_cleanup_command_options(*cleanup, cleanup_config, cleanup_options);

    redred::app::Config migrate_config;
    auto* migrate = app.add_subcommand("migrate-sqlite-to-postgres",
                                       "Copy the embedded SQLite database (--data-dir) into PostgreSQL (--database)");
    redred::cli::add_migrate_command_options(*migrate, migrate_config);

    CLI11_PARSE(app, argc, argv);
    if (*migrate) return redred::cli::run_migrate_sqlite_to_postgres(migrate_config);
    if (*cleanup) return redred::cli::run_cleanup(cleanup_config, cleanup_options);
    if (*serve) return redred::app::run_server(config);
    if (*doctor) return redred::cli::run_doctor(doctor_options);
    return 2;
}
