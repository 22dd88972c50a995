// Fuzz target: the bytes a client sends on an HTTP connection, read the way src/http/server.cpp reads them
// (Beast's request parser with the server's header and body limits, fed in the pieces the input chooses),
// then what happens before a handler touches the database: the router on the route table App builds, the
// static files, the request readers (query, cookies, session token, JSON body) and the validators of the
// bodies and query parameters (accounts, streams, pages, POST /stream/start). A running App is not needed for
// any of it; the handlers themselves are not called.
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "core/net.hpp"
#include "http/error_response.hpp"
#include "http/request_fields.hpp"
#include "http/router.hpp"
#include "http/server.hpp"
#include "http/static_files.hpp"
#include "live/validation.hpp"
#include "screen/stream_request.hpp"

namespace {

using namespace redred;
using namespace redred::http_server;

net::awaitable<Response> never_called(const Request&, const PathParams&) { co_return Response{}; }

// The patterns App registers (app.cpp and http/*_routes.cpp add them with handlers that need a database);
// only the patterns matter to matching. Keep in step with docs/API.md.
const Router& route_table() {
    static const Router router = [] {
        using http::verb;
        Router r;
        const std::pair<verb, const char*> plain[] = {
            {verb::get, "/healthz"}, {verb::get, "/metrics"},
            {verb::post, "/stream/start"}, {verb::post, "/stream/stop"}, {verb::get, "/stream/status"},
            {verb::post, "/api/auth/register/"}, {verb::post, "/api/auth/login/"},
            {verb::post, "/api/auth/logout/"}, {verb::get, "/api/me/"},
            {verb::post, "/api/live/create/"}, {verb::get, "/api/live/"}, {verb::get, "/api/live/ended/recent/"},
            {verb::get, "/api/live/:id/"}, {verb::post, "/api/live/:id/end/"},
            {verb::get, "/api/live/:id/comments/"}, {verb::get, "/api/live/:id/stats/"},
            {verb::get, "/api/live/:id/viewers/"}, {verb::get, "/api/live/:id/roles/"},
            {verb::get, "/api/live/:id/moderation/"},
            {verb::post, "/api/live/:id/moderators/"}, {verb::delete_, "/api/live/:id/moderators/:username/"},
            {verb::post, "/api/live/:id/vips/"}, {verb::delete_, "/api/live/:id/vips/:username/"},
            {verb::get, "/api/rtc/config"}, {verb::get, "/api/live/:id/key/"}, {verb::post, "/api/live/:id/key/"},
            {verb::put, "/api/live/:id/recording/chunks/:seq/"}, {verb::get, "/api/live/:id/recording/"},
            {verb::options, "/whip/:id"}, {verb::options, "/whip/:id/:session"}, {verb::post, "/whip/:id"},
            {verb::patch, "/whip/:id/:session"}, {verb::delete_, "/whip/:id/:session"},
            {verb::options, "/whep/:id"}, {verb::options, "/whep/:id/:session"}, {verb::post, "/whep/:id"},
            {verb::patch, "/whep/:id/:session"}, {verb::delete_, "/whep/:id/:session"},
        };
        for (const auto& [method, pattern] : plain) r.add(method, pattern, never_called);
        for (const char* pattern :
             {"/stream/feed", "/stream/mjpeg", "/stream/ws", "/ws/live/:id/", "/api/live/:id/recording/file"})
            r.add_stream(verb::get, pattern, [](auto, beast::flat_buffer, Request) -> net::awaitable<void> { co_return; });
        return r;
    }();
    return router;
}

// A small web UI in a temporary directory, loaded like web/dist.
const StaticFiles& static_files() {
    static const StaticFiles files = [] {
        namespace fs = std::filesystem;
        const fs::path root = fs::temp_directory_path() / ("redred-fuzz-web-" + std::to_string(::getpid()));
        fs::create_directories(root / "assets");
        std::ofstream(root / "index.html") << "<!doctype html><div id=root></div>";
        std::ofstream(root / "assets/app-4f2a.js") << "console.log(1)";
        StaticFiles loaded(root.string());
        std::error_code ec;
        fs::remove_all(root, ec);
        return loaded;
    }();
    return files;
}

void check(bool condition) {
    if (!condition) std::abort();
}

// What the handlers read from a request before they act (http/auth.cpp, live_routes.cpp, screen_routes.cpp).
void read_request(const Request& req, const Router::Match& match) {
    bool via_cookie = false;
    for (bool allow_query : {false, true}) {
        auto token = session_token(req, "redred_session", allow_query, &via_cookie);
        if (token && via_cookie) check(!token->empty());
    }
    for (const char* name : {"limit", "offset", "status", "token"}) (void)query_param(req.target(), name);
    auto limit = query_param(req.target(), "limit");
    auto offset = query_param(req.target(), "offset");
    std::optional<std::string_view> l, o;
    if (limit) l = *limit;
    if (offset) o = *offset;
    if (auto page = live::parse_page(l, o)) {
        check(page->limit >= 1 && page->limit <= live::kMaxPageLimit && page->offset >= 0);
    } else {
        check(page.error().code == Errc::BadInput && !page.error().field.empty());
    }
    for (const auto& [name, value] : match.params) check(!value.empty() && value.find('/') == std::string::npos);

    if (auto start = screen::parse_start_request(req.body())) {
        check(start->fps >= screen::kMinFps && start->fps <= screen::kMaxFps);
        check(start->quality >= screen::kMinQuality && start->quality <= screen::kMaxQuality);
    } else {
        (void)error_response(start.error());
    }
    auto body = json_body(req);
    if (!body) {
        (void)error_response(body.error());
        return;
    }
    for (const char* field : {"username", "password", "title", "description"}) {
        auto value = string_field(*body, field, false);
        if (!value) {
            (void)error_response(value.error());
            continue;
        }
        if (std::string_view(field) == "username") {
            if (auto name = live::validate_username(*value)) check(name->size() <= live::kMaxUsernameLength);
        } else if (std::string_view(field) == "password") {
            (void)live::validate_password(*value);
        } else if (std::string_view(field) == "title") {
            if (auto title = live::validate_title(*value)) check(!title->empty());
        } else {
            (void)live::validate_description(*value);
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const ServerLimits limits;
    // The first byte picks how the bytes arrive (one read, or pieces of 1 to 64 bytes), like TCP segments.
    const std::size_t piece = size ? (data[0] % 65) : 0;
    std::string_view input(reinterpret_cast<const char*>(data), size);
    if (size) input.remove_prefix(1);

    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(limits.header_limit_bytes));
    parser.body_limit(limits.body_limit_bytes);
    parser.eager(true);
    std::string buffer;
    error_code ec;
    std::size_t offered = 0;
    // Each round offers the next piece; the parser consumes what it can and keeps the rest buffered, as
    // beast::flat_buffer does in http::async_read.
    for (int rounds = 0; rounds < 100000 && !parser.is_done(); ++rounds) {
        const std::size_t take = piece == 0 ? input.size() - offered : std::min(piece, input.size() - offered);
        buffer.append(input.substr(offered, take));
        offered += take;
        const std::size_t used = parser.put(net::buffer(buffer), ec);
        buffer.erase(0, used);
        if (ec == http::error::need_more) {
            ec = {};
            if (offered == input.size()) break;  // the client stopped sending: the read would time out
            continue;
        }
        if (ec) break;
        if (used == 0 && offered == input.size()) break;
    }
    if (ec || !parser.is_done()) return 0;  // server.cpp answers 413, 431 or 400, or the read times out

    Request req = parser.release();
    std::string_view target = req.target();
    const std::string_view path = target.substr(0, target.find('?'));
    const auto match = route_table().match(req.method(), path);
    check(!(match.handler && match.stream_handler));
    if (match.handler || match.stream_handler) check(match.path_known);
    if (!match.handler && !match.stream_handler && !match.path_known) (void)static_files().serve(req);
    read_request(req, match);
    return 0;
}
