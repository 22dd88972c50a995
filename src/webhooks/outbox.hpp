// Recording webhook events in the outbox, from inside the Database write job that stores the fact they report
// (the same transaction: an event is never lost, and never sent for something that was not stored). Runs on the
// database writer thread. Nothing is written when no --webhook-url is configured.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "store/store.hpp"

namespace redred::webhooks {

// Where events go: the --webhook-url list (copied into write jobs; small).
struct Targets {
    std::vector<std::string> urls;
    bool enabled() const { return !urls.empty(); }
};

void record(store::Store& store, const Targets& targets, std::string_view event, store::StreamId stream,
            const nlohmann::json& data, store::TimePoint now);

// Call right after set_stream_live() / set_stream_ended() changed the stream (they return whether it did):
// the stream's row, as stored, goes into the event.
void record_stream_live(store::Store& store, const Targets& targets, store::StreamId stream, store::TimePoint now);
void record_stream_ended(store::Store& store, const Targets& targets, store::StreamId stream, std::string_view reason,
                         store::TimePoint now);
void record_comment_created(store::Store& store, const Targets& targets, const store::CommentRow& comment,
                            std::string_view role);

}  // namespace redred::webhooks
