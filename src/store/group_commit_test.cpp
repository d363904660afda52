// GroupCommit on both databases: shared commits, durable results, failures isolated.
#include "store/group_commit.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "store/testing.h"

namespace gzca::store {
namespace {

class GroupCommitTest : public ::testing::TestWithParam<Dialect> {
  protected:
    void SetUp() override {
        auto s = testing::ScratchDatabase::Create(GetParam());
        ASSERT_TRUE(s) << s.error().internal;
        scratch_ = std::move(*s);
        auto db = scratch_->Open(8);
        ASSERT_TRUE(db) << db.error().internal;
        db_ = std::move(*db);
        auto tx = db_->Begin(true);
        ASSERT_TRUE(tx);
        ASSERT_TRUE((*tx)->Exec("CREATE TABLE gc (k BIGINT PRIMARY KEY, v TEXT NOT NULL)"));
        ASSERT_TRUE((*tx)->Commit());
    }
    std::int64_t Count() {
        auto tx = db_->Begin(false);
        return (*(*tx)->QueryOne("SELECT COUNT(*) FROM gc"))->Int(0);
    }
    std::unique_ptr<testing::ScratchDatabase> scratch_;
    std::unique_ptr<Database> db_;
};

TEST_P(GroupCommitTest, ConcurrentOperationsAllCommitAndFailuresStayAlone) {
    GroupCommit commits(*db_);
    constexpr int kThreads = 8, kPerThread = 40;
    std::atomic<int> ok{0}, failed{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < kPerThread; ++i) {
                // Every 10th operation collides with key 0 (after the first), like a serial clash.
                std::int64_t key = (i % 10 == 9) ? 0 : t * 1000 + i + 1;
                auto st = commits.Run([&](Transaction& tx) -> Status {
                    GZCA_TRY_STATUS(
                        tx.Exec("INSERT INTO gc (k, v) VALUES ($1, $2)", {key, std::string("x")}));
                    return Ok();
                });
                if (st) {
                    ++ok;
                } else {
                    ++failed;
                    EXPECT_EQ(st.error().code, ErrorCode::kAlreadyExists);
                }
            }
        });
    }
    for (auto& th : threads) th.join();
    // 32 operations per thread have unique keys; of the 32 aimed at key 0 exactly one wins.
    EXPECT_EQ(ok.load(), kThreads * 36 + 1);
    EXPECT_EQ(failed.load(), kThreads * 4 - 1);
    EXPECT_EQ(Count(), ok.load());
}

TEST_P(GroupCommitTest, OperationErrorIsReturnedAndRolledBack) {
    GroupCommit commits(*db_);
    auto st = commits.Run([&](Transaction& tx) -> Status {
        GZCA_TRY_STATUS(tx.Exec("INSERT INTO gc (k, v) VALUES (1, 'a')"));
        return Fail(ErrorCode::kFailedPrecondition, "policy says no");
    });
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().code, ErrorCode::kFailedPrecondition);
    EXPECT_EQ(Count(), 0);
}

INSTANTIATE_TEST_SUITE_P(BothDatabases, GroupCommitTest,
                         ::testing::Values(Dialect::kSqlite, Dialect::kPostgres),
                         [](const auto& info) {
                             return info.param == Dialect::kSqlite ? "SQLite" : "PostgreSQL";
                         });

}  // namespace
}  // namespace gzca::store
