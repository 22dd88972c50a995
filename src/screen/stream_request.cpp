#include "screen/stream_request.hpp"

#include <fmt/format.h>

#include <charconv>

namespace redred::screen {
namespace {

Result<int> integer_field(const nlohmann::json& body, const char* name, int min, int max, int fallback) {
    auto it = body.find(name);
    if (it == body.end() || it->is_null()) return fallback;
    const auto range_error = [&] {
        return make_error(Errc::BadInput, fmt::format("{} must be an integer from {} to {}", name, min, max), name);
    };
    if (!it->is_number() || it->is_boolean()) return range_error();
    // Range first: casting a double outside long long's range (1e300) is undefined behaviour (found by
    // fuzz/http_request_fuzz.cpp). Then whole numbers only.
    const double value = it->get<double>();
    if (!(value >= min && value <= max)) return range_error();
    if (value != static_cast<double>(static_cast<int>(value))) return range_error();
    return static_cast<int>(value);
}

}  // namespace

Result<StartRequest> parse_start_request(std::string_view body) {
    StartRequest request;
    const auto first = body.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) return request;
    auto json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (json.is_discarded()) return make_error(Errc::BadInput, "request body is not valid JSON");
    if (json.is_null()) return request;
    if (!json.is_object())
        return make_error(Errc::BadInput, R"(request body must be a JSON object like {"fps":15,"quality":75})");
    auto fps = integer_field(json, "fps", kMinFps, kMaxFps, kDefaultFps);
    if (!fps) return fps.error();
    auto quality = integer_field(json, "quality", kMinQuality, kMaxQuality, kDefaultQuality);
    if (!quality) return quality.error();
    request.fps = *fps;
    request.quality = *quality;
    return request;
}

Result<FeedOptions> parse_feed_options(const std::optional<std::string>& max_kbps, const std::optional<std::string>& mode,
                                       bool websocket) {
    FeedOptions options;
    if (max_kbps) {
        const std::string& text = *max_kbps;
        int value = 0;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < 1 || value > kMaxKbps)
            return make_error(Errc::BadInput, fmt::format("max_kbps must be an integer from 1 to {}", kMaxKbps),
                              "max_kbps");
        options.max_kbps = value;
    }
    if (mode) {
        if (!websocket) return make_error(Errc::BadInput, "mode is only for /stream/ws", "mode");
        if (*mode == "tiles") options.tiles = true;
        else if (*mode != "frames")
            return make_error(Errc::BadInput, "mode must be tiles or frames", "mode");
    }
    return options;
}

nlohmann::json status_json(const StreamRecord& record) {
    const bool known = !record.task_id.empty();
    nlohmann::json out;
    out["active"] = record.active;
    out["fps"] = known ? nlohmann::json(record.fps) : nlohmann::json();
    out["quality"] = known ? nlohmann::json(record.quality) : nlohmann::json();
    out["task_id"] = known ? nlohmann::json(record.task_id) : nlohmann::json();
    out["host"] = known ? nlohmann::json(record.host) : nlohmann::json();
    out["port"] = known ? nlohmann::json(record.port) : nlohmann::json();
    out["started_at"] = known ? nlohmann::json(record.started_at) : nlohmann::json();
    return out;
}

}  // namespace redred::screen
