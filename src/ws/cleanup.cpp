#include "ws/cleanup.hpp"

#include "core/log.hpp"
#include "http/async_db.hpp"
#include "ws/room_registry.hpp"

namespace redred::ws {
namespace {

auto logger() {
    return log::get("ws");
}

live::CleanupFacts facts_of(const store::StreamRow& row) {
    live::CleanupFacts f;
    f.status = row.status;
    f.created_at = row.created_at;
    f.started_at = row.started_at;
    f.current_viewers = row.viewers_count;
    f.last_viewer_at = row.last_viewer_at;
    return f;
}

struct Candidates {
    std::vector<store::StreamRow> rows;
};

net::awaitable<void> sweep_forever(LiveContext* ctx, std::chrono::milliseconds interval) {
    net::steady_timer timer(co_await net::this_coro::executor);
    for (;;) {
        timer.expires_after(interval);
        error_code ec;
        co_await timer.async_wait(net::redirect_error(use_awaitable, ec));
        if (ec) co_return;
        try {
            // In a cluster one process sweeps per interval: whoever takes the lock first.
            if (ctx->bus) {
                const auto hold = std::max(std::chrono::milliseconds(100), interval * 9 / 10);
                const bool mine = co_await ctx->bus->try_lock("cleanup", hold);
                if (!mine) continue;
            }
            auto ended = co_await sweep(*ctx, false);
            for (const auto& d : ended)
                logger()->info("cleanup ended stream id={} reason={}", d.stream.id, live::reason_name(d.reason));
        } catch (const std::exception& e) {
            logger()->error("cleanup sweep failed error={}", e.what());
        }
    }
}

}  // namespace

std::vector<CleanupDecision> decide_cleanup(const std::vector<store::StreamRow>& candidates, live::TimePoint now,
                                            const live::CleanupThresholds& thresholds, bool force) {
    std::vector<CleanupDecision> out;
    for (const auto& row : candidates)
        if (auto reason = live::cleanup_reason(facts_of(row), now, thresholds, force)) out.push_back({row, *reason});
    return out;
}

net::awaitable<std::vector<CleanupDecision>> sweep(LiveContext& ctx, bool force) {
    const auto now = live::Clock::now();
    auto streams_with_status_job = [](store::Store& s) -> Result<Candidates> {
        Candidates c;
        c.rows = s.streams_with_status(live::StreamStatus::Live);
        auto waiting = s.streams_with_status(live::StreamStatus::Waiting);
        c.rows.insert(c.rows.end(), waiting.begin(), waiting.end());
        return c;
    };
    auto rows = co_await db::read<Candidates>(ctx.database, streams_with_status_job);
    std::vector<CleanupDecision> decisions;
    if (!rows) co_return decisions;
    std::set<live::StreamId> open_in_db;
    for (const auto& row : rows->rows) {
        open_in_db.insert(row.id);
        auto facts = facts_of(row);
        std::shared_ptr<Room> room = ctx.rooms->find(row.id);
        bool loaded_to_look = false;
        if (!room && ctx.bus && row.status == live::StreamStatus::Live) {
            // The stream's clients may be on other processes: its replica here reads the cluster's presence.
            auto got = co_await ctx.rooms->get(row.id);
            if (got) room = *got;
            loaded_to_look = room != nullptr;
        }
        if (room) {
            auto asking = Room::facts(room);
            auto live_facts = co_await net::co_spawn(room->strand(), std::move(asking), use_awaitable);
            facts.current_viewers = live_facts.viewers_count;
            facts.streamer_connected = live_facts.streamer_connected;
            facts.streamer_last_seen = live_facts.streamer_last_seen;
            // A room here in its publisher grace ends the stream itself when the grace runs out (its timer, on
            // the dot); the sweeper judges the streamer's absence only where no room counts it.
            if (live_facts.in_publisher_grace && !loaded_to_look) facts.streamer_connected = std::nullopt;
            if (loaded_to_look) room->release_if_unused();
        } else if (row.status == live::StreamStatus::Live) {
            facts.streamer_connected = false;  // nobody is connected to it in this process
            facts.current_viewers = 0;
        }
        auto reason = live::cleanup_reason(facts, now, ctx.cleanup, force);
        if (!reason) continue;
        decisions.push_back({row, *reason});
        const std::string why = std::string("cleanup:") + live::reason_name(*reason);
        if (auto room = ctx.rooms->find(row.id)) {
            room->end(why);  // tells every connected client (on every process)
        } else {
            const auto id = row.id;
            auto set_stream_ended_job = [id, now, why, hooks = ctx.webhooks](store::Store& s) -> Result<bool> {
                const bool ended = s.set_stream_ended(id, now);
                if (ended) webhooks::record_stream_ended(s, hooks, id, why, now);
                return ended;
            };
            co_await db::write<bool>(ctx.database, set_stream_ended_job);
            if (ctx.bus) ctx.rooms->publish(row.id, Room::ended_event(now, why));
        }
    }
    // Rooms whose stream was ended outside this process (the `redred cleanup` command) end here too.
    for (const auto& room : ctx.rooms->all())
        if (!open_in_db.count(room->id())) room->end("cleanup:ended_elsewhere");
    co_return decisions;
}

void start_sweeper(LiveContext& ctx, std::chrono::milliseconds interval) {
    net::co_spawn(ctx.io, sweep_forever(&ctx, interval), net::detached);
}

}  // namespace redred::ws
