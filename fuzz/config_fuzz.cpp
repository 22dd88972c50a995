// Fuzz target: a `--config` file (TOML/INI, read by CLI11 with the options `redred serve` declares in
// src/app/config.cpp), then Config::validate(). Parsing may refuse the file (CLI11 throws its ParseError,
// which `main` turns into a message and exit code); nothing may crash, and validate() must answer for any
// values that got through.
#include <cstdint>
#include <cstdlib>
#include <sstream>

#include "app/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace redred::app;
    if (size > 64 * 1024) return -1;
    Config config;
    CLI::App app{"redred"};
    CLI::App* serve = app.add_subcommand("serve");
    add_serve_options(*serve, config);
    // The file's text as CLI11 reads a config file (the option names of `serve`, "serve." prefixed or not).
    std::istringstream file(std::string(reinterpret_cast<const char*>(data), size));
    try {
        serve->parse_from_stream(file);
    } catch (const CLI::Error&) {
        return 0;
    }
    const auto problems = config.validate();
    for (const auto& p : problems)
        if (p.empty()) std::abort();
    (void)config.database_location();
    (void)config.recordings_location();
    return 0;
}
