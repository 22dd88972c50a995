// The webhook outbox (docs/WEBHOOKS.md): events waiting to be POSTed to the configured URLs, kept in the
// database so that none is lost across a restart or kill -9.
//
// Free functions on a Store, for Database jobs (writer or reader thread; STYLE §3). add_webhook_event() is
// meant to run in the same write job as the fact it reports, so both commit together or not at all. Times are
// unix milliseconds, like the rest of the store.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/store.hpp"

namespace redred::store {

struct WebhookEventRow {
    std::int64_t id = 0;
    std::string event;       // "stream.live", "comment.created", ...
    StreamId stream_id = 0;
    TimePoint created_at;
    std::string data;        // the payload's "data", as JSON text
};

// One event still to be delivered to one URL.
struct WebhookDeliveryRow {
    WebhookEventRow event;
    std::string url;
    int attempts = 0;        // failed attempts so far
    TimePoint next_attempt_at;
};

// Records `event` for each of `urls` (nothing when `urls` is empty) and returns its id (0 when nothing was
// written). Ids grow with every event and are never reused.
std::int64_t add_webhook_event(Store& store, const std::vector<std::string>& urls, std::string_view event,
                               StreamId stream, std::string_view data_json, TimePoint now);

// What may be sent to `url` now: per stream, only the oldest event not yet delivered there (an event waits for
// its stream's earlier ones), and only when its retry time has come. Oldest first, at most `limit`.
std::vector<WebhookDeliveryRow> due_webhook_deliveries(Store& store, std::string_view url, TimePoint now, int limit);

// The URL answered 2xx: forgets the delivery, and the event once no URL waits for it. False if it was gone
// already (delivered by another process, or dropped from the backlog meanwhile).
bool mark_webhook_delivered(Store& store, std::string_view url, std::int64_t event_id);
// An attempt failed: counts it and sets when to try again.
void mark_webhook_failed(Store& store, std::string_view url, std::int64_t event_id, int attempts,
                         TimePoint next_attempt_at, std::string_view error);

// Deletes the oldest events beyond `max_backlog` (with their deliveries); returns how many were deleted.
int trim_webhook_backlog(Store& store, int max_backlog);
// Events still waiting for at least one URL.
int count_webhook_events(Store& store);
// Deliveries to URLs that are no longer configured (the operator removed one): deleted, with the events no URL
// waits for any more. Returns how many deliveries were deleted.
int forget_webhook_urls_except(Store& store, const std::vector<std::string>& urls);

std::vector<WebhookEventRow> list_webhook_events(Store& store);  // oldest first; for tests and doctor

}  // namespace redred::store
