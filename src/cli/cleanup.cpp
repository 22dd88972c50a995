#include "cli/cleanup.hpp"

#include <cstdio>
#include <filesystem>
#include <future>

#include "app/app.hpp"
#include "core/log.hpp"
#include "store/database.hpp"
#include "webhooks/outbox.hpp"
#include "ws/cleanup.hpp"

namespace redred::cli {

void add_cleanup_command_options(CLI::App& cmd, app::Config& config, CleanupOptions& options) {
    app::add_database_options(cmd, config);
    cmd.add_flag("--check", options.check, "Only list what would be ended");
    cmd.add_flag("--force", options.force, "End every live stream");
    app::add_cleanup_options(cmd, config);
    app::add_webhook_options(cmd, config);  // streams ended here are reported like the server's (docs/WEBHOOKS.md)
}

int run_cleanup(const app::Config& config, const CleanupOptions& options) {
    log::init_logging("warn");
    auto problems = app::validate_database(config.database);
    for (auto& problem : app::validate_webhooks(config)) problems.push_back(std::move(problem));
    if (!problems.empty()) {
        std::fprintf(stderr, "%s\n", problems.front().c_str());
        return 2;
    }
    const auto location = config.database_location();
    if (config.database.empty() && !std::filesystem::exists(location)) {
        std::printf("no database at %s (nothing to clean)\n", location.c_str());
        return 0;
    }
    auto database = store::Database::open_any(location);
    if (!database) {
        std::fprintf(stderr, "cannot open the database: %s\n", database.error().message.c_str());
        return 1;
    }
    const auto now = live::Clock::now();
    std::promise<std::vector<store::StreamRow>> rows_promise;
    (*database)->read([&rows_promise](store::Store& s) {
        auto rows = s.streams_with_status(live::StreamStatus::Live);
        auto waiting = s.streams_with_status(live::StreamStatus::Waiting);
        rows.insert(rows.end(), waiting.begin(), waiting.end());
        rows_promise.set_value(std::move(rows));
    });
    const auto rows = rows_promise.get_future().get();
    const auto decisions = ws::decide_cleanup(rows, now, app::cleanup_thresholds(config), options.force);

    std::printf("%zu open stream(s) (live or waiting), %zu to end%s\n", rows.size(), decisions.size(),
                options.check ? " (--check: nothing changed)" : "");
    for (const auto& d : decisions)
        std::printf("  stream %lld \"%s\" by %s: %s -> %s\n", static_cast<long long>(d.stream.id), d.stream.title.c_str(),
                    d.stream.streamer_username.c_str(), live::status_name(d.stream.status), live::reason_name(d.reason));
    if (options.check || decisions.empty()) return 0;

    std::vector<std::future<bool>> done;
    for (const auto& d : decisions) {
        auto promise = std::make_shared<std::promise<bool>>();
        done.push_back(promise->get_future());
        const auto id = d.stream.id;
        const std::string why = std::string("cleanup:") + live::reason_name(d.reason);
        (*database)->write(
            [id, now, why, hooks = webhooks::Targets{config.webhook_urls}](store::Store& s) {
                if (s.set_stream_ended(id, now)) webhooks::record_stream_ended(s, hooks, id, why, now);
            },
            [promise](bool ok, std::string) { promise->set_value(ok); });
    }
    int failed = 0;
    for (auto& f : done) failed += f.get() ? 0 : 1;
    std::printf("ended %zu stream(s)%s\n", decisions.size() - failed, failed ? ", some failed" : "");
    return failed ? 1 : 0;
}

}  // namespace redred::cli
