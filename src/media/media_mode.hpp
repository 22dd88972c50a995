// How a stream's media travels (docs/PROTOCOL.md "Media through the server"), and the simulcast layers a
// viewer may ask for. Pure names and parsing, shared by config, the rooms and the HTTP routes.
#pragma once
#include <optional>
#include <string_view>

namespace redred::media {

enum class MediaMode {
    P2p,    // the streamer's browser sends to each viewer (the seed's design; embedded default)
    Janus,  // the streamer sends once to a Janus VideoRoom, which forwards to every viewer
};
std::optional<MediaMode> parse_media_mode(std::string_view text);  // "p2p" | "janus"
const char* media_mode_name(MediaMode mode);

// A simulcast layer; the value is Janus's substream index.
enum class Layer { Low = 0, Medium = 1, High = 2 };
const char* layer_name(Layer layer);  // "low" | "medium" | "high"

// What a viewer asks for: a fixed layer, or Auto (the best its link carries).
enum class Quality { Auto, High, Medium, Low };
std::optional<Quality> parse_quality(std::string_view text);  // "auto" | "high" | "medium" | "low"
const char* quality_name(Quality quality);
std::optional<Layer> fixed_layer(Quality quality);  // nullopt for Auto

// Who publishes to the media server.
enum class Source { Browser, Whip };
const char* source_name(Source source);  // "browser" | "whip"

}  // namespace redred::media
