#include "http/router.hpp"

namespace redred::http_server {

std::vector<std::string> split_path(std::string_view path) {
    std::vector<std::string> out;
    std::size_t i = 0;
    while (i < path.size()) {
        while (i < path.size() && path[i] == '/') ++i;
        std::size_t j = path.find('/', i);
        if (j == std::string_view::npos) j = path.size();
        if (j > i) out.emplace_back(path.substr(i, j - i));
        i = j;
    }
    return out;
}

void Router::add(http::verb method, std::string pattern, Handler handler) {
    routes_.push_back(Route{method, split_path(pattern), std::move(handler), nullptr});
}

void Router::add_stream(http::verb method, std::string pattern, StreamHandler handler) {
    routes_.push_back(Route{method, split_path(pattern), nullptr, std::move(handler)});
}

Router::Match Router::match(http::verb method, std::string_view path) const {
    Match result;
    const auto segments = split_path(path);
    for (const auto& route : routes_) {
        if (route.segments.size() != segments.size()) continue;
        PathParams params;
        bool ok = true;
        for (std::size_t i = 0; i < segments.size() && ok; ++i) {
            const auto& want = route.segments[i];
            if (!want.empty() && want[0] == ':') params.emplace(want.substr(1), segments[i]);
            else ok = want == segments[i];
        }
        if (!ok) continue;
        result.path_known = true;
        if (!result.allowed.empty()) result.allowed += ", ";
        result.allowed += std::string(http::to_string(route.method));
        const bool method_ok = route.method == method || (method == http::verb::head && route.method == http::verb::get);
        if (method_ok && !result.handler && !result.stream_handler) {
            result.handler = route.handler ? &route.handler : nullptr;
            result.stream_handler = route.stream_handler ? &route.stream_handler : nullptr;
            result.params = std::move(params);
        }
    }
    return result;
}

}  // namespace redred::http_server
