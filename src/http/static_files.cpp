#include "http/static_files.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/log.hpp"

namespace redred::http_server {
namespace fs = std::filesystem;

namespace {
constexpr std::size_t kMaxFiles = 2000;
constexpr std::uintmax_t kMaxTotalBytes = 64ull * 1024 * 1024;

std::string content_type_for(const std::string& ext) {
    static const std::unordered_map<std::string, std::string> types{
        {".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
        {".json", "application/json"}, {".svg", "image/svg+xml"}, {".png", "image/png"},
        {".jpg", "image/jpeg"}, {".jpeg", "image/jpeg"}, {".ico", "image/x-icon"}, {".webp", "image/webp"},
        {".woff2", "font/woff2"}, {".woff", "font/woff"}, {".txt", "text/plain; charset=utf-8"},
        {".map", "application/json"}, {".webmanifest", "application/manifest+json"}};
    auto it = types.find(ext);
    return it == types.end() ? "application/octet-stream" : it->second;
}

std::string fnv1a_hex(std::string_view data) {
    std::uint64_t h = 1469598103934665603ull;
    for (unsigned char c : data) h = (h ^ c) * 1099511628211ull;
    std::ostringstream out;
    out << std::hex << h;
    return out.str();
}
}  // namespace

StaticFiles::StaticFiles(const std::string& root) {
    auto log = log::get("http");
    std::error_code ec;
    if (root.empty() || !fs::is_directory(root, ec)) {
        log->warn("web UI not found web_root={} (build it with: cd web && npm ci && npm run build)", root);
        return;
    }
    std::uintmax_t total = 0;
    for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
        if (!it->is_regular_file()) continue;
        if (files_.size() >= kMaxFiles || total + it->file_size() > kMaxTotalBytes) {
            log->warn("web UI too large, some files not served web_root={}", root);
            break;
        }
        std::ifstream in(it->path(), std::ios::binary);
        std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        total += body.size();
        const std::string rel = "/" + fs::relative(it->path(), root).generic_string();
        File file;
        file.content_type = content_type_for(it->path().extension().string());
        file.etag = "\"" + fnv1a_hex(body) + "\"";
        file.immutable = rel.rfind("/assets/", 0) == 0;
        file.body = std::move(body);
        files_.emplace(rel, std::move(file));
    }
    log->info("web UI loaded web_root={} files={} bytes={}", root, files_.size(), total);
}

std::optional<Response> StaticFiles::serve(const Request& req) const {
    if (req.method() != http::verb::get && req.method() != http::verb::head) return std::nullopt;
    std::string_view target = req.target();
    const auto query = target.find_first_of("?#");
    std::string path(target.substr(0, query));
    if (path == "/") path = "/index.html";
    auto it = files_.find(path);
    if (it == files_.end()) {
        // A page route of the single-page app, asked for by a browser: serve the app shell.
        const auto accept = req[http::field::accept];
        const bool wants_html = accept.find("text/html") != std::string_view::npos;
        const bool looks_like_file = path.find('.', path.rfind('/')) != std::string::npos;
        if (!wants_html || looks_like_file) return std::nullopt;
        it = files_.find("/index.html");
        if (it == files_.end()) return std::nullopt;
    }
    const File& file = it->second;
    Response res;
    res.version(req.version());
    res.keep_alive(req.keep_alive());
    res.set(http::field::etag, file.etag);
    res.set(http::field::cache_control, file.immutable ? "public, max-age=31536000, immutable" : "no-cache");
    if (req[http::field::if_none_match] == file.etag) {
        res.result(http::status::not_modified);
        return res;
    }
    res.result(http::status::ok);
    res.set(http::field::content_type, file.content_type);
    res.set("X-Content-Type-Options", "nosniff");
    if (req.method() == http::verb::head) {
        res.content_length(file.body.size());
        return res;
    }
    res.body() = file.body;
    res.prepare_payload();
    return res;
}

}  // namespace redred::http_server
