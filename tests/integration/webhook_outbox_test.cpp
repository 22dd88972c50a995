// The webhook outbox (store/webhook_outbox.hpp) on both backends: per-stream order, per-URL progress, retries
// kept in the database, the bounded backlog, and events that commit or roll back with the fact they report.
#include <gtest/gtest.h>

#include <future>

#include "store/database.hpp"
#include "store/webhook_outbox.hpp"
#include "store_backends.hpp"
#include "webhooks/outbox.hpp"

namespace redred::store {
namespace {

using test_support::Backend;
using test_support::FreshDatabase;

TimePoint at(std::int64_t ms) { return TimePoint(std::chrono::milliseconds(ms)); }

const std::vector<std::string> kOneUrl{"http://127.0.0.1:1/a"};
const std::vector<std::string> kTwoUrls{"http://127.0.0.1:1/a", "http://127.0.0.1:2/b"};

std::vector<std::int64_t> ids(const std::vector<WebhookDeliveryRow>& rows) {
    std::vector<std::int64_t> out;
    for (const auto& r : rows) out.push_back(r.event.id);
    return out;
}

class WebhookOutbox : public ::testing::TestWithParam<Backend> {
protected:
    FreshDatabase db_{GetParam()};
    std::unique_ptr<Store> owned_store_ = db_.migrated_store();
    Store& store_ = *owned_store_;

    std::int64_t add(StreamId stream, const std::vector<std::string>& urls = kOneUrl, std::int64_t ms = 1000) {
        return add_webhook_event(store_, urls, "comment.created", stream, R"({"n":1})", at(ms));
    }
};

TEST_P(WebhookOutbox, RecordsAnEventForEachUrlAndNothingWithoutUrls) {
    EXPECT_EQ(add(1, {}), 0);
    EXPECT_EQ(count_webhook_events(store_), 0);
    const auto id = add(1, kTwoUrls, 1234);
    EXPECT_GT(id, 0);
    const auto events = list_webhook_events(store_);
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].event, "comment.created");
    EXPECT_EQ(events[0].stream_id, 1);
    EXPECT_EQ(events[0].created_at, at(1234));
    EXPECT_EQ(events[0].data, R"({"n":1})");
    for (const auto& url : kTwoUrls) {
        const auto due = due_webhook_deliveries(store_, url, at(1234), 10);
        ASSERT_EQ(due.size(), 1u) << url;
        EXPECT_EQ(due[0].attempts, 0);
        EXPECT_EQ(due[0].url, url);
    }
    EXPECT_TRUE(due_webhook_deliveries(store_, "http://elsewhere/", at(1234), 10).empty());
}

TEST_P(WebhookOutbox, OnlyTheOldestUndeliveredEventOfEachStreamIsDue) {
    const auto s1a = add(1), s1b = add(1), s2a = add(2), s1c = add(1);
    const auto url = kOneUrl[0];
    EXPECT_EQ(ids(due_webhook_deliveries(store_, url, at(1000), 10)), (std::vector<std::int64_t>{s1a, s2a}));
    EXPECT_EQ(ids(due_webhook_deliveries(store_, url, at(1000), 1)), (std::vector<std::int64_t>{s1a}));  // limit
    EXPECT_TRUE(mark_webhook_delivered(store_, url, s1a));
    EXPECT_FALSE(mark_webhook_delivered(store_, url, s1a)) << "already delivered";
    EXPECT_EQ(ids(due_webhook_deliveries(store_, url, at(1000), 10)), (std::vector<std::int64_t>{s1b, s2a}));

    // A failed head waits for its retry time, and its stream's later events wait behind it.
    mark_webhook_failed(store_, url, s1b, 1, at(5000), "HTTP 500");
    EXPECT_EQ(ids(due_webhook_deliveries(store_, url, at(4999), 10)), (std::vector<std::int64_t>{s2a}));
    const auto later = due_webhook_deliveries(store_, url, at(5000), 10);
    EXPECT_EQ(ids(later), (std::vector<std::int64_t>{s1b, s2a}));
    EXPECT_EQ(later[0].attempts, 1);
    EXPECT_EQ(later[0].next_attempt_at, at(5000));
    EXPECT_TRUE(mark_webhook_delivered(store_, url, s1b));
    EXPECT_TRUE(mark_webhook_delivered(store_, url, s2a));
    EXPECT_EQ(ids(due_webhook_deliveries(store_, url, at(5000), 10)), (std::vector<std::int64_t>{s1c}));
}

TEST_P(WebhookOutbox, EachUrlProgressesOnItsOwnAndTheEventGoesAfterTheLast) {
    const auto id = add(1, kTwoUrls);
    EXPECT_TRUE(mark_webhook_delivered(store_, kTwoUrls[0], id));
    EXPECT_TRUE(due_webhook_deliveries(store_, kTwoUrls[0], at(1000), 10).empty());
    EXPECT_EQ(ids(due_webhook_deliveries(store_, kTwoUrls[1], at(1000), 10)), (std::vector<std::int64_t>{id}));
    EXPECT_EQ(count_webhook_events(store_), 1);
    EXPECT_TRUE(mark_webhook_delivered(store_, kTwoUrls[1], id));
    EXPECT_EQ(count_webhook_events(store_), 0);
}

TEST_P(WebhookOutbox, IdsAreNeverReusedAfterTheNewestWasDeleted) {
    const auto first = add(1);
    EXPECT_TRUE(mark_webhook_delivered(store_, kOneUrl[0], first));
    EXPECT_EQ(count_webhook_events(store_), 0);
    EXPECT_GT(add(1), first);
}

TEST_P(WebhookOutbox, TrimmingDropsTheOldestBeyondTheBacklog) {
    std::vector<std::int64_t> all;
    for (int i = 0; i < 10; ++i) all.push_back(add(i % 3, kTwoUrls));
    EXPECT_EQ(trim_webhook_backlog(store_, 20), 0);
    EXPECT_EQ(trim_webhook_backlog(store_, 4), 6);
    EXPECT_EQ(count_webhook_events(store_), 4);
    const auto kept = list_webhook_events(store_);
    ASSERT_EQ(kept.size(), 4u);
    EXPECT_EQ(kept.front().id, all[6]);
    EXPECT_EQ(kept.back().id, all[9]);
    // Their deliveries went with them: only kept events are due, for every URL.
    for (const auto& url : kTwoUrls)
        for (auto id : ids(due_webhook_deliveries(store_, url, at(1000), 100))) EXPECT_GE(id, all[6]) << url;
    EXPECT_EQ(trim_webhook_backlog(store_, 4), 0);
    EXPECT_EQ(trim_webhook_backlog(store_, 1), 3);
    EXPECT_EQ(list_webhook_events(store_).front().id, all[9]);
}

TEST_P(WebhookOutbox, DeliveriesToUrlsNoLongerConfiguredAreForgotten) {
    const auto both = add(1, kTwoUrls);
    const auto only_b = add(2, {kTwoUrls[1]});
    EXPECT_EQ(forget_webhook_urls_except(store_, {kTwoUrls[0]}), 2);
    EXPECT_EQ(ids(due_webhook_deliveries(store_, kTwoUrls[0], at(1000), 10)), (std::vector<std::int64_t>{both}));
    EXPECT_TRUE(due_webhook_deliveries(store_, kTwoUrls[1], at(1000), 10).empty());
    const auto events = list_webhook_events(store_);
    ASSERT_EQ(events.size(), 1u) << "the event only the forgotten URL waited for is gone";
    EXPECT_NE(events[0].id, only_b);
    EXPECT_EQ(forget_webhook_urls_except(store_, {kTwoUrls[0]}), 0);
}

// Through the Database, as the server does it: the event commits with the comment, or neither does.
TEST_P(WebhookOutbox, AnEventCommitsOrRollsBackWithTheFactItReports) {
    auto database = Database::open_any(db_.location());
    ASSERT_TRUE(database) << database.error().message;
    const webhooks::Targets targets{kOneUrl};
    auto run = [&](Database::Job job) {
        std::promise<bool> done;
        (*database)->write(std::move(job), [&done](bool ok, std::string) { done.set_value(ok); });
        return done.get_future().get();
    };
    StreamId stream = 0;
    ASSERT_TRUE(run([&](Store& s) {
        auto user = s.create_user("ana", "h", at(1000));
        stream = s.create_stream(user->id, "t", "", at(1000)).id;
    }));
    EXPECT_TRUE(run([&](Store& s) {
        auto row = s.add_comment(stream, s.find_user_by_name("ana")->id, "kept", at(2000));
        webhooks::record_comment_created(s, targets, row, "streamer");
    }));
    EXPECT_FALSE(run([&](Store& s) {
        auto row = s.add_comment(stream, s.find_user_by_name("ana")->id, "lost", at(3000));
        webhooks::record_comment_created(s, targets, row, "streamer");
        throw std::runtime_error("the job fails after both writes");
    }));
    EXPECT_TRUE(run([&](Store& s) {
        if (s.set_stream_live(stream, at(4000))) webhooks::record_stream_live(s, targets, stream, at(4000));
    }));
    (*database)->close();

    const auto events = list_webhook_events(store_);
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[0].event, "comment.created");
    EXPECT_NE(events[0].data.find("\"kept\""), std::string::npos) << events[0].data;
    EXPECT_EQ(events[1].event, "stream.live");
    EXPECT_NE(events[1].data.find("\"status\":\"live\""), std::string::npos) << events[1].data;
    EXPECT_EQ(store_.count_comments(stream), 1);
}

INSTANTIATE_TEST_SUITE_P(Backends, WebhookOutbox, test_support::kBothBackends, test_support::backend_name);

}  // namespace
}  // namespace redred::store
