// Picks the simulcast layer a viewer on "auto" receives, from the receive counters its page reports every
// couple of seconds (docs/PROTOCOL.md `media_report`). Pure: the caller passes the time. One per viewer
// session; lives wherever that session's state lives (the room strand).
//
// Policy, the usual one of SFUs without receive-side bandwidth estimation: step down one layer as soon as a
// report shows heavy loss (or two in a row show some), then wait before probing one layer up; a probe that
// fails doubles the wait (10 s up to 80 s), a layer held cleanly for a while resets it.
#pragma once
#include <chrono>
#include <cstdint>
#include <optional>

#include "media/media_mode.hpp"

namespace redred::media {

struct ReceiverReport {
    std::uint64_t packets_received = 0;  // cumulative, as in the inbound-rtp stats of the peer connection
    std::uint64_t packets_lost = 0;
    std::uint64_t frames_decoded = 0;
    std::uint64_t frames_dropped = 0;
};

struct LayerPolicy {
    double heavy_loss = 0.08;        // one report above this: step down
    double some_loss = 0.02;         // two reports in a row above this: step down
    double clean_loss = 0.01;        // below this a report counts as clean
    double dropped_frames = 0.3;     // frames dropped / decoded above this counts as heavy (decoder overloaded)
    std::uint64_t min_packets = 20;  // fewer packets than this in a report: no verdict
    std::chrono::milliseconds min_interval{900};   // reports closer than this are ignored (flooding)
    std::chrono::milliseconds first_probe{10000};  // clean time needed before stepping up
    std::chrono::milliseconds max_probe{80000};
    std::chrono::milliseconds settle{20000};       // clean time on a layer after which the wait resets
};

class LayerSelector {
public:
    using TimePoint = std::chrono::steady_clock::time_point;

    explicit LayerSelector(TimePoint now, Layer start = Layer::High, LayerPolicy policy = {});

    // Feeds one report; returns the layer to receive from now on (often unchanged).
    Layer on_report(const ReceiverReport& report, TimePoint now);
    Layer layer() const { return layer_; }
    // A new peer connection: its counters start from zero again.
    void restart(TimePoint now);

private:
    void change(Layer to, TimePoint now);

    LayerPolicy policy_;
    Layer layer_;
    std::optional<ReceiverReport> last_;
    std::optional<TimePoint> last_at_;
    TimePoint clean_since_;       // start of the current run of clean reports
    bool clean_run_ = false;
    int lossy_in_a_row_ = 0;
    std::chrono::milliseconds probe_wait_;
    TimePoint changed_at_;
    bool last_change_was_up_ = false;
};

}  // namespace redred::media
