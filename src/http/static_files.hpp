// The built web UI (web/dist), loaded into memory at start-up so serving it never touches the disk.
// Unknown page routes fall back to index.html for browsers (the React router handles them).
#pragma once
#include <optional>
#include <string>
#include <unordered_map>

#include "http/types.hpp"

namespace redred::http_server {

class StaticFiles {
public:
    // Loads every file under `root` (bounded in count and size). Missing root: no files, a warning is logged.
    explicit StaticFiles(const std::string& root);
    bool empty() const { return files_.empty(); }
    std::size_t size() const { return files_.size(); }
    // nullopt when the request is not for a UI file.
    std::optional<Response> serve(const Request& req) const;

private:
    struct File {
        std::string body;
        std::string content_type;
        std::string etag;
        bool immutable = false;  // hashed asset names never change
    };
    std::unordered_map<std::string, File> files_;
};

}  // namespace redred::http_server
