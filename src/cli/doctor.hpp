// `redred doctor`: the counterpart of the seed's scripts/test_streaming.py. One line per check, advice on
// failure, non-zero exit if any check fails.
#pragma once
#include <string>

#include <CLI/CLI.hpp>

namespace redred::cli {

struct DoctorOptions {
    std::string redis;                     // check Redis and the instances registered there
    std::string database;                  // check PostgreSQL: reachable, migrations current
    std::string screen_source = "auto";    // check the screen source this machine would use
    std::string display;
    std::string url;                       // a running server to check (/healthz), default with --cycle
    std::string tls_ca;                    // https:// --url: also trust this certificate (self-signed / own CA)
    bool cycle = false;                    // start -> receive frames -> stop against `url`
    int frames = 5;
    int timeout_ms = 10000;
    std::string media = "p2p";             // with "janus": check the media server
    std::string janus_url = "ws://127.0.0.1:8188";
    std::string janus_api_secret;
    std::string janus_admin_key;
};

void add_doctor_options(CLI::App& command, DoctorOptions& options);
int run_doctor(const DoctorOptions& options);

}  // namespace redred::cli
