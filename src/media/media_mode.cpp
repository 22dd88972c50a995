#include "media/media_mode.hpp"

namespace redred::media {

std::optional<MediaMode> parse_media_mode(std::string_view text) {
    if (text == "p2p") return MediaMode::P2p;
    if (text == "janus") return MediaMode::Janus;
    return std::nullopt;
}

const char* media_mode_name(MediaMode mode) {
    return mode == MediaMode::Janus ? "janus" : "p2p";
}

const char* layer_name(Layer layer) {
    switch (layer) {
        case Layer::Low: return "low";
        case Layer::Medium: return "medium";
        case Layer::High: return "high";
    }
    return "high";
}

std::optional<Quality> parse_quality(std::string_view text) {
    if (text == "auto") return Quality::Auto;
    if (text == "high") return Quality::High;
    if (text == "medium") return Quality::Medium;
    if (text == "low") return Quality::Low;
    return std::nullopt;
}

const char* quality_name(Quality quality) {
    switch (quality) {
        case Quality::Auto: return "auto";
        case Quality::High: return "high";
        case Quality::Medium: return "medium";
        case Quality::Low: return "low";
    }
    return "auto";
}

std::optional<Layer> fixed_layer(Quality quality) {
    switch (quality) {
        case Quality::High: return Layer::High;
        case Quality::Medium: return Layer::Medium;
        case Quality::Low: return Layer::Low;
        case Quality::Auto: break;
    }
    return std::nullopt;
}

const char* source_name(Source source) {
    return source == Source::Whip ? "whip" : "browser";
}

}  // namespace redred::media
