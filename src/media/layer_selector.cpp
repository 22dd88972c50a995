#include "media/layer_selector.hpp"

#include <algorithm>

namespace redred::media {

LayerSelector::LayerSelector(TimePoint now, Layer start, LayerPolicy policy)
    : policy_(policy), layer_(start), clean_since_(now), probe_wait_(policy.first_probe), changed_at_(now) {}

void LayerSelector::restart(TimePoint now) {
    last_.reset();
    last_at_.reset();
    clean_run_ = false;
    lossy_in_a_row_ = 0;
    clean_since_ = now;
}

void LayerSelector::change(Layer to, TimePoint now) {
    last_change_was_up_ = static_cast<int>(to) > static_cast<int>(layer_);
    layer_ = to;
    changed_at_ = now;
    clean_run_ = false;
    lossy_in_a_row_ = 0;
}

Layer LayerSelector::on_report(const ReceiverReport& report, TimePoint now) {
    if (last_at_ && now - *last_at_ < policy_.min_interval) return layer_;
    const auto previous = last_;
    last_ = report;
    last_at_ = now;
    if (!previous) return layer_;
    // Counters that went backwards belong to a new peer connection: start over from this report.
    if (report.packets_received < previous->packets_received || report.packets_lost < previous->packets_lost ||
        report.frames_decoded < previous->frames_decoded || report.frames_dropped < previous->frames_dropped) {
        clean_run_ = false;
        lossy_in_a_row_ = 0;
        return layer_;
    }
    const auto received = report.packets_received - previous->packets_received;
    const auto lost = report.packets_lost - previous->packets_lost;
    const auto decoded = report.frames_decoded - previous->frames_decoded;
    const auto dropped = report.frames_dropped - previous->frames_dropped;
    if (received + lost < policy_.min_packets) return layer_;

    const double loss = static_cast<double>(lost) / static_cast<double>(received + lost);
    const bool decoder_behind =
        decoded + dropped > 0 && static_cast<double>(dropped) / static_cast<double>(decoded + dropped) > policy_.dropped_frames;
    const bool heavy = loss > policy_.heavy_loss || decoder_behind;
    const bool lossy = loss > policy_.some_loss;

    if (heavy || lossy) {
        clean_run_ = false;
        lossy_in_a_row_ = lossy ? lossy_in_a_row_ + 1 : lossy_in_a_row_;
        if ((heavy || lossy_in_a_row_ >= 2) && layer_ != Layer::Low) {
            // A probe up that failed soon after: wait longer before the next one.
            if (last_change_was_up_ && now - changed_at_ < policy_.settle)
                probe_wait_ = std::min(probe_wait_ * 2, policy_.max_probe);
            change(static_cast<Layer>(static_cast<int>(layer_) - 1), now);
        }
        return layer_;
    }
    lossy_in_a_row_ = 0;
    if (loss >= policy_.clean_loss) return layer_;  // neither clean nor lossy: hold
    if (!clean_run_) {
        clean_run_ = true;
        clean_since_ = now;
    }
    // A step up that has held cleanly for a while was a good probe: the next one may come early again.
    if (last_change_was_up_ && now - changed_at_ >= policy_.settle && now - clean_since_ >= policy_.settle)
        probe_wait_ = policy_.first_probe;
    if (layer_ != Layer::High && now - clean_since_ >= probe_wait_) change(static_cast<Layer>(static_cast<int>(layer_) + 1), now);
    return layer_;
}

}  // namespace redred::media
