#include "store/webhook_outbox.hpp"

#include <algorithm>
#include <chrono>

namespace redred::store {
namespace {

std::int64_t to_ms(TimePoint t) {
    return std::chrono::floor<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

TimePoint from_ms(std::int64_t ms) { return TimePoint(std::chrono::milliseconds(ms)); }

int delete_orphan_events(sql::Connection& db) {
    db.query(
          "DELETE FROM webhook_events WHERE NOT EXISTS"
          " (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = webhook_events.id)")
        .run();
    return static_cast<int>(db.changes());
}

}  // namespace

std::int64_t add_webhook_event(Store& store, const std::vector<std::string>& urls, std::string_view event,
                               StreamId stream, std::string_view data_json, TimePoint now) {
    if (urls.empty()) return 0;
    auto& db = store.connection();
    auto q = db.query(
        "INSERT INTO webhook_events (event, stream_id, created_at, data) VALUES (?1, ?2, ?3, ?4) RETURNING id");
    q.bind_all(event, stream, to_ms(now), data_json);
    if (!q.step()) throw StoreError("created webhook event has no id", 0);
    const std::int64_t id = q.int64(0);
    q.run();
    for (const auto& url : urls) {
        db.query(
              "INSERT INTO webhook_deliveries (event_id, url, stream_id, attempts, next_attempt_at)"
              " VALUES (?1, ?2, ?3, 0, ?4)")
            .bind_all(id, std::string_view(url), stream, to_ms(now))
            .run();
    }
    return id;
}

std::vector<WebhookDeliveryRow> due_webhook_deliveries(Store& store, std::string_view url, TimePoint now, int limit) {
    auto q = store.connection().query(
        "SELECT e.id, e.event, e.stream_id, e.created_at, e.data, d.attempts, d.next_attempt_at"
        " FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id"
        " WHERE d.url = ?1 AND d.next_attempt_at <= ?2"
        "   AND NOT EXISTS (SELECT 1 FROM webhook_deliveries o"
        "                   WHERE o.url = d.url AND o.stream_id = d.stream_id AND o.event_id < d.event_id)"
        " ORDER BY d.event_id LIMIT ?3");
    q.bind_all(url, to_ms(now), static_cast<std::int64_t>(std::max(limit, 0)));
    std::vector<WebhookDeliveryRow> rows;
    while (q.step()) {
        WebhookDeliveryRow row;
        row.event = WebhookEventRow{q.int64(0), q.text(1), q.int64(2), from_ms(q.int64(3)), q.text(4)};
        row.url = std::string(url);
        row.attempts = q.integer(5);
        row.next_attempt_at = from_ms(q.int64(6));
        rows.push_back(std::move(row));
    }
    return rows;
}

bool mark_webhook_delivered(Store& store, std::string_view url, std::int64_t event_id) {
    auto& db = store.connection();
    db.query("DELETE FROM webhook_deliveries WHERE url = ?1 AND event_id = ?2").bind_all(url, event_id).run();
    const bool was_there = db.changes() > 0;
    db.query(
          "DELETE FROM webhook_events WHERE id = ?1 AND NOT EXISTS"
          " (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = ?1)")
        .bind_all(event_id)
        .run();
    return was_there;
}

void mark_webhook_failed(Store& store, std::string_view url, std::int64_t event_id, int attempts,
                         TimePoint next_attempt_at, std::string_view error) {
    store.connection()
        .query(
            "UPDATE webhook_deliveries SET attempts = ?3, next_attempt_at = ?4, last_error = ?5"
            " WHERE url = ?1 AND event_id = ?2")
        .bind_all(url, event_id, attempts, to_ms(next_attempt_at), error)
        .run();
}

int trim_webhook_backlog(Store& store, int max_backlog) {
    auto& db = store.connection();
    // The id of the newest event that does not fit: it and everything older go (NULL when all fit).
    db.query(
          "DELETE FROM webhook_events WHERE id <="
          " (SELECT id FROM webhook_events ORDER BY id DESC LIMIT 1 OFFSET ?1)")
        .bind_all(static_cast<std::int64_t>(std::max(max_backlog, 0)))
        .run();
    return static_cast<int>(db.changes());
}

int count_webhook_events(Store& store) {
    auto q = store.connection().query("SELECT COUNT(*) FROM webhook_events");
    return q.step() ? q.integer(0) : 0;
}

int forget_webhook_urls_except(Store& store, const std::vector<std::string>& urls) {
    auto& db = store.connection();
    std::vector<std::string> stale;
    {
        auto q = db.query("SELECT DISTINCT url FROM webhook_deliveries");
        while (q.step()) {
            std::string url = q.text(0);
            if (std::find(urls.begin(), urls.end(), url) == urls.end()) stale.push_back(std::move(url));
        }
    }
    int deleted = 0;
    for (const auto& url : stale) {
        db.query("DELETE FROM webhook_deliveries WHERE url = ?1").bind_all(std::string_view(url)).run();
        deleted += static_cast<int>(db.changes());
    }
    if (deleted > 0) delete_orphan_events(db);
    return deleted;
}

std::vector<WebhookEventRow> list_webhook_events(Store& store) {
    auto q = store.connection().query("SELECT id, event, stream_id, created_at, data FROM webhook_events ORDER BY id");
    std::vector<WebhookEventRow> rows;
    while (q.step()) rows.push_back(WebhookEventRow{q.int64(0), q.text(1), q.int64(2), from_ms(q.int64(3)), q.text(4)});
    return rows;
}

}  // namespace redred::store
