#include "webhooks/outbox.hpp"

#include "store/webhook_outbox.hpp"
#include "webhooks/events.hpp"

namespace redred::webhooks {

void record(store::Store& store, const Targets& targets, std::string_view event, store::StreamId stream,
            const nlohmann::json& data, store::TimePoint now) {
    if (!targets.enabled()) return;
    const std::string text = data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    store::add_webhook_event(store, targets.urls, event, stream, text, now);
}

void record_stream_live(store::Store& store, const Targets& targets, store::StreamId stream, store::TimePoint now) {
    if (!targets.enabled()) return;
    if (auto row = store.find_stream(stream)) record(store, targets, kStreamLive, stream, stream_live_data(*row), now);
}

void record_stream_ended(store::Store& store, const Targets& targets, store::StreamId stream, std::string_view reason,
                         store::TimePoint now) {
    if (!targets.enabled()) return;
    if (auto row = store.find_stream(stream))
        record(store, targets, kStreamEnded, stream, stream_ended_data(*row, reason), now);
}

void record_comment_created(store::Store& store, const Targets& targets, const store::CommentRow& comment,
                            std::string_view role) {
    record(store, targets, kCommentCreated, comment.stream_id, comment_created_data(comment, role), comment.created_at);
}

}  // namespace redred::webhooks
