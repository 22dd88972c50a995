// Route table: method + path pattern ("/api/live/:id/") -> handler. Matching ignores one trailing slash, so
// "/api/me/" and "/api/me" are the same route. Declared in one place (App) and read-only afterwards.
#pragma once
#include <string>
#include <vector>

#include "http/types.hpp"

namespace redred::http_server {

class Router {
public:
    void add(http::verb method, std::string pattern, Handler handler);
    void add_stream(http::verb method, std::string pattern, StreamHandler handler);

    struct Match {
        const Handler* handler = nullptr;
        const StreamHandler* stream_handler = nullptr;
        PathParams params;
        bool path_known = false;  // some route has this path, maybe with another method (-> 405)
        std::string allowed;      // methods allowed for the path, for 405's Allow header
    };
    Match match(http::verb method, std::string_view path) const;

private:
    struct Route {
        http::verb method;
        std::vector<std::string> segments;
        Handler handler;
        StreamHandler stream_handler;
    };
    std::vector<Route> routes_;
};

std::vector<std::string> split_path(std::string_view path);

}  // namespace redred::http_server
