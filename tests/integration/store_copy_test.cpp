// `redred migrate-sqlite-to-postgres`'s core: a populated SQLite store copied into PostgreSQL reads back the
// same through the Store (ids kept, sessions valid), a second copy changes nothing, and a target that was
// used on its own is refused.
#include <gtest/gtest.h>

#include <chrono>

#include "store/copy_to_postgres.hpp"
#include "store/store.hpp"
#include "store_backends.hpp"

namespace redred::store {
namespace {

using test_support::Backend;
using test_support::FreshDatabase;

TimePoint at(std::int64_t ms) { return TimePoint(std::chrono::milliseconds(ms)); }

struct Populated {
    UserId alice = 0, bob = 0, carol = 0;
    StreamId live = 0, ended = 0;
    CommentId kept = 0, deleted = 0;
};

Populated populate(Store& s) {
    Populated p;
    p.alice = s.create_user("Alice", "hash-a", at(1000))->id;
    p.bob = s.create_user("bob", "hash-b", at(1001))->id;
    p.carol = s.create_user("carol", "hash-c", at(1002))->id;
    s.create_session("token-hash-alice", p.alice, at(1100), at(9'000'000'000'000));
    p.ended = s.create_stream(p.alice, "Ayer", "", at(1200)).id;
    s.set_stream_live(p.ended, at(1300));
    s.set_stream_ended(p.ended, at(1400));
    p.live = s.create_stream(p.alice, "Clase de hoy", "¡con emoji 🎥!", at(2000)).id;
    s.set_stream_live(p.live, at(2100));
    s.set_viewers(p.live, 2, 5, at(2200));
    p.kept = s.add_comment(p.live, p.bob, "hola 👋", at(2300)).id;
    p.deleted = s.add_comment(p.live, p.carol, "spam", at(2400)).id;
    s.delete_comment(p.live, p.deleted, p.alice, at(2500));
    s.add_moderator(p.live, p.bob, at(2600));
    s.add_vip(p.live, p.carol, at(2700));
    s.add_sanction(p.live, p.carol, SanctionKind::Timeout, at(9'000'000'000'000), p.bob, at(2800));
    ModerationActionRow timeout;
    timeout.stream_id = p.live;
    timeout.actor_id = p.bob;
    timeout.action = ModerationKind::Timeout;
    timeout.target_id = p.carol;
    timeout.reason = "flooding";
    timeout.seconds = 600;
    timeout.created_at = at(2800);
    s.add_moderation_action(timeout);
    s.add_viewer_sample(p.live, at(3000), 1);
    s.add_viewer_sample(p.live, at(3000), 2);  // same millisecond: insertion order decides
    s.add_viewer_sample(p.live, at(2900), 0);
    s.add_recording_chunk(p.live, "video/webm", 1234, at(3100));
    s.set_stream_key(p.live, "key-hash", at(3200));
    return p;
}

TEST(StoreCopyToPostgres, EveryRowArrivesWithItsIdAndASecondCopyChangesNothing) {
    FreshDatabase lite_db(Backend::Sqlite);
    FreshDatabase pg_db(Backend::Postgres);
    auto lite = lite_db.migrated_store();
    auto pg = pg_db.migrated_store();
    const Populated p = populate(*lite);

    auto copied = copy_sqlite_to_postgres(lite->connection(), pg->connection());
    ASSERT_TRUE(copied.ok()) << copied.error().message;
    std::int64_t total = 0;
    for (const auto& t : *copied) {
        EXPECT_EQ(t.copied, t.source_rows) << t.table;
        total += t.copied;
    }
    EXPECT_EQ(copied->size(), 13u);
    EXPECT_EQ(total, 3 + 1 + 2 + 2 + 1 + 1 + 1 + 3 + 1 + 1 + 1);  // the webhook outbox is empty here

    // Read back through the Store on PostgreSQL.
    EXPECT_EQ(pg->find_session_user("token-hash-alice", at(5000))->id, p.alice);
    EXPECT_EQ(pg->find_credentials("ALICE")->password_hash, "hash-a");  // still case-insensitive
    const auto stream = pg->find_stream(p.live);
    ASSERT_TRUE(stream);
    EXPECT_EQ(stream->title, "Clase de hoy");
    EXPECT_EQ(stream->description, "¡con emoji 🎥!");
    EXPECT_EQ(stream->status, live::StreamStatus::Live);
    EXPECT_EQ(stream->peak_viewers, 5);
    EXPECT_EQ(pg->find_stream(p.ended)->status, live::StreamStatus::Ended);
    const auto comments = pg->list_comments(p.live, 10, 0);
    ASSERT_EQ(comments.size(), 1u);
    EXPECT_EQ(comments[0].id, p.kept);
    EXPECT_EQ(comments[0].content, "hola 👋");
    EXPECT_FALSE(pg->find_comment(p.deleted));
    const auto roles = pg->roles(p.live);
    ASSERT_EQ(roles.moderators.size(), 1u);
    EXPECT_EQ(roles.moderators[0].id, p.bob);
    ASSERT_EQ(roles.vips.size(), 1u);
    EXPECT_EQ(roles.vips[0].id, p.carol);
    ASSERT_EQ(pg->active_sanctions(p.live, at(5000)).size(), 1u);
    const auto samples = pg->viewer_samples(p.live);
    ASSERT_EQ(samples.size(), 3u);
    EXPECT_EQ(samples[0].viewers, 0);
    EXPECT_EQ(samples[1].viewers, 1);
    EXPECT_EQ(samples[2].viewers, 2);
    EXPECT_EQ(pg->find_recording(p.live)->bytes, 1234);
    EXPECT_EQ(pg->find_stream_key(p.live)->key_hash, "key-hash");
    const auto log = pg->list_moderation_actions(p.live, 10, 0);
    ASSERT_EQ(log.size(), 1u);
    EXPECT_EQ(log[0].action, ModerationKind::Timeout);
    EXPECT_EQ(log[0].actor_username, "bob");
    EXPECT_EQ(log[0].target_username, "carol");
    EXPECT_EQ(log[0].reason, std::optional<std::string>("flooding"));
    EXPECT_EQ(log[0].seconds, std::optional<std::int64_t>(600));

    // New rows continue after the copied ids.
    const auto dave = pg->create_user("dave", "hash-d", at(6000));
    ASSERT_TRUE(dave.ok());
    EXPECT_EQ(dave->id, p.carol + 1);
    EXPECT_GT(pg->add_comment(p.live, dave->id, "nuevo", at(6100)).id, p.deleted);

    // Idempotent: nothing new the second time, and the row added since stays.
    auto again = copy_sqlite_to_postgres(lite->connection(), pg->connection());
    ASSERT_TRUE(again.ok()) << again.error().message;
    for (const auto& t : *again) EXPECT_EQ(t.copied, 0) << t.table;
    EXPECT_EQ(pg->count_comments(p.live), 2);
}

TEST(StoreCopyToPostgres, ATargetUsedOnItsOwnIsRefusedAndLeftAsItWas) {
    FreshDatabase lite_db(Backend::Sqlite);
    FreshDatabase pg_db(Backend::Postgres);
    auto lite = lite_db.migrated_store();
    auto pg = pg_db.migrated_store();
    populate(*lite);
    ASSERT_TRUE(pg->create_user("mallory", "hash-m", at(1)).ok());  // id 1, where SQLite has Alice

    auto copied = copy_sqlite_to_postgres(lite->connection(), pg->connection());
    ASSERT_FALSE(copied.ok());
    EXPECT_EQ(copied.error().code, Errc::Conflict);
    EXPECT_NE(copied.error().message.find("'mallory'"), std::string::npos) << copied.error().message;
    EXPECT_FALSE(pg->find_user_by_name("alice"));
    EXPECT_FALSE(pg->find_stream(1));
}

TEST(StoreCopyToPostgres, TheDialectsMustBeTheRightWayRound) {
    FreshDatabase lite_db(Backend::Sqlite);
    FreshDatabase pg_db(Backend::Postgres);
    auto lite = lite_db.migrated_store();
    auto pg = pg_db.migrated_store();
    auto backwards = copy_sqlite_to_postgres(pg->connection(), lite->connection());
    ASSERT_FALSE(backwards.ok());
    EXPECT_EQ(backwards.error().code, Errc::BadInput);
}

}  // namespace
}  // namespace redred::store
