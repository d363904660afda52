// Tests for the store: every behaviour on both SQLite and PostgreSQL (parameterised), plus the
// driver-specific cases. PostgreSQL comes from GZCA_TEST_PG_URL (scripts/run-tests.sh starts
// one); without it the PostgreSQL cases fail unless GZCA_TEST_ALLOW_NO_PG=1.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <mutex>
#include <ostream>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "store/database.h"
#include "store/migrations.h"
#include "store/testing.h"

namespace gzca::store {

// Readable parameter values in gtest output.
void PrintTo(Dialect d, std::ostream* os) {
    *os << (d == Dialect::kSqlite ? "SQLite" : "PostgreSQL");
}

namespace {

namespace scratch = gzca::store::testing;

#define ASSERT_OK(expr)                                                                  \
    do {                                                                                 \
        auto gzca_ok_ = (expr);                                                          \
        ASSERT_TRUE(gzca_ok_.has_value()) << #expr << ": " << gzca_ok_.error().internal; \
    } while (0)

#define ASSERT_OK_AND_ASSIGN(lhs, expr) \
    ASSERT_OK_AND_ASSIGN_IMPL(GZCA_TRY_CONCAT(gzca_assign_, __LINE__), lhs, expr)
#define ASSERT_OK_AND_ASSIGN_IMPL(tmp, lhs, expr)                          \
    auto tmp = (expr);                                                     \
    ASSERT_TRUE(tmp.has_value()) << #expr << ": " << tmp.error().internal; \
    lhs = std::move(*tmp)

std::string DialectName(Dialect d) { return d == Dialect::kSqlite ? "Sqlite" : "Postgres"; }

// A table with one column of each value type.
constexpr std::string_view kItemsTable =
    "CREATE TABLE items (id ${ID}, i BIGINT, t TEXT, b ${BLOB}, u TEXT UNIQUE)";

class ScratchFixture : public ::testing::Test {
  protected:
    // Fails (or, with GZCA_TEST_ALLOW_NO_PG=1, skips) when PostgreSQL is not configured.
    void Start(Dialect dialect) {
        if (dialect == Dialect::kPostgres && !scratch::PostgresTestUrl()) {
            if (scratch::MaySkipPostgres()) {
                GTEST_SKIP() << "PostgreSQL not configured and GZCA_TEST_ALLOW_NO_PG=1";
            }
            FAIL() << scratch::kPostgresUrlEnv
                   << " is not set. Run scripts/run-tests.sh (starts a throwaway PostgreSQL), "
                      "point it at an empty database, or set GZCA_TEST_ALLOW_NO_PG=1.";
        }
        ASSERT_OK_AND_ASSIGN(scratch_, scratch::ScratchDatabase::Create(dialect));
        ASSERT_OK_AND_ASSIGN(db_, scratch_->Open());
    }

    void TearDown() override {
        db_.reset();
        scratch_.reset();
    }

    void CreateItems() {
        ASSERT_OK_AND_ASSIGN(auto tx, db_->Begin());
        ASSERT_OK(tx->Exec(ExpandDialect(kItemsTable, db_->dialect())));
        ASSERT_OK(tx->Commit());
    }

    std::int64_t Count(Database& db, const std::string& table) {
        auto tx = db.Begin(false);
        if (!tx) return -1;
        auto row = (*tx)->QueryOne("SELECT count(*) FROM " + table);
        return row && *row ? (*row)->Int(0) : -1;
    }
    std::int64_t Count(const std::string& table) { return Count(*db_, table); }

    // Declared before db_: destroyed after it (the scratch database outlives connections to it).
    std::unique_ptr<scratch::ScratchDatabase> scratch_;
    std::unique_ptr<Database> db_;
};

class StoreTest : public ScratchFixture, public ::testing::WithParamInterface<Dialect> {
  protected:
    void SetUp() override { Start(GetParam()); }
};

INSTANTIATE_TEST_SUITE_P(BothDatabases, StoreTest,
                         ::testing::Values(Dialect::kSqlite, Dialect::kPostgres),
                         [](const auto& info) { return DialectName(info.param); });

// --- Migrations -------------------------------------------------------------------------------

TEST_P(StoreTest, MigrateIsIdempotent) {
    ASSERT_OK_AND_ASSIGN(int before, db_->SchemaVersion());
    EXPECT_EQ(before, 0);
    ASSERT_OK(db_->Migrate());
    ASSERT_OK(db_->Migrate());
    ASSERT_OK_AND_ASSIGN(int after, db_->SchemaVersion());
    EXPECT_EQ(after, AllMigrations().back().version);
    EXPECT_EQ(Count("schema_migrations"), static_cast<std::int64_t>(AllMigrations().size()));
    for (const char* table : {"issuers", "certificates", "revocations", "crls"}) {
        EXPECT_EQ(Count(table), 0) << table;
    }
}

// Several processes starting at once: each has its own Database (own connections, and on
// SQLite its own in-process writer queue), so only the database's locking separates them.
TEST_P(StoreTest, ConcurrentMigrateAppliesOnce) {
    constexpr int kProcesses = 4;
    std::vector<std::unique_ptr<Database>> dbs;
    for (int i = 0; i < kProcesses; ++i) {
        ASSERT_OK_AND_ASSIGN(auto db, scratch_->Open(2));
        dbs.push_back(std::move(db));
    }
    std::vector<std::string> failures(kProcesses);
    std::vector<std::thread> threads;
    for (int i = 0; i < kProcesses; ++i) {
        threads.emplace_back([&, i] {
            auto done = dbs[static_cast<std::size_t>(i)]->Migrate();
            if (!done) failures[static_cast<std::size_t>(i)] = done.error().internal;
        });
    }
    for (auto& t : threads) t.join();
    for (const auto& f : failures) EXPECT_EQ(f, "");
    ASSERT_OK_AND_ASSIGN(int version, db_->SchemaVersion());
    EXPECT_EQ(version, AllMigrations().back().version);
    EXPECT_EQ(Count("schema_migrations"), static_cast<std::int64_t>(AllMigrations().size()));
}

// --- Values -----------------------------------------------------------------------------------

TEST_P(StoreTest, RoundTripsEveryValueType) {
    CreateItems();
    Bytes big(1 << 20);
    std::mt19937 rng(42);
    for (auto& b : big) b = static_cast<std::uint8_t>(rng());
    const Bytes not_utf8 = {0x00, 0xff, 0xfe, 0x80, 0xc3, 0x28, 0xed, 0xa0, 0x80, 0x00};
    const std::vector<std::vector<Value>> cases = {
        {std::numeric_limits<std::int64_t>::max(), std::string("国密证书 SM2/SM3 签名 ✓"),
         not_utf8},
        {std::numeric_limits<std::int64_t>::min(), std::string(), Bytes{}},
        {std::int64_t{0}, std::string("it's a 'quoted' $1 -- string"), big},
        {std::int64_t{-1}, nullptr, nullptr},
        {nullptr, std::string("x"), Bytes{0}},
    };
    {
        ASSERT_OK_AND_ASSIGN(auto tx, db_->Begin());
        for (const auto& c : cases) {
            ASSERT_OK_AND_ASSIGN(auto n,
                                 tx->Exec("INSERT INTO items (i, t, b) VALUES ($1, $2, $3)", c));
            EXPECT_EQ(n, 1);
        }
        ASSERT_OK(tx->Commit());
    }
    ASSERT_OK_AND_ASSIGN(auto tx, db_->Begin(false));
    ASSERT_OK_AND_ASSIGN(auto rows, tx->Query("SELECT id, i, t, b FROM items ORDER BY id"));
    ASSERT_EQ(rows.size(), cases.size());
    for (std::size_t r = 0; r < rows.size(); ++r) {
        for (std::size_t c = 0; c < 3; ++c) {
            EXPECT_TRUE(rows[r].at(c + 1) == cases[r][c]) << "row " << r << " column " << c;
        }
    }
    // Typed accessors; an empty blob and an empty text are values, not NULL.
    EXPECT_EQ(rows[0].Int(1), std::numeric_limits<std::int64_t>::max());
    EXPECT_EQ(rows[0].Text(2), "国密证书 SM2/SM3 签名 ✓");
    EXPECT_EQ(rows[0].Blob(3), not_utf8);
    EXPECT_FALSE(rows[1].IsNull(2));
    EXPECT_EQ(rows[1].Text(2), "");
    EXPECT_FALSE(rows[1].IsNull(3));
    EXPECT_TRUE(rows[1].Blob(3).empty());
    EXPECT_EQ(rows[2].Blob(3).size(), big.size());
    EXPECT_EQ(rows[3].OptText(2), std::nullopt);
    EXPECT_TRUE(rows[3].IsNull(3));
    EXPECT_EQ(rows[4].OptInt(1), std::nullopt);
    EXPECT_LT(rows[0].Int(0), rows[1].Int(0));
}

TEST_P(StoreTest, AggregatesAreIntegers) {
    CreateItems();
    ASSERT_OK_AND_ASSIGN(auto tx, db_->Begin());
    for (std::int64_t i : std::vector<std::int64_t>{1, 2, 4000000000}) {
        ASSERT_OK(tx->Exec("INSERT INTO items (i) VALUES ($1)", {i}));
    }
    // PostgreSQL's sum(bigint) is numeric; it must still read as an integer.
    ASSERT_OK_AND_ASSIGN(auto row,
                         tx->QueryOne("SELECT sum(i), count(*), max(i), min(i) FROM items"));
    ASSERT_TRUE(row);
    EXPECT_EQ(row->Int(0), 4000000003);
    EXPECT_EQ(row->Int(1), 3);
    EXPECT_EQ(row->Int(2), 4000000000);
    EXPECT_EQ(row->Int(3), 1);
}

TEST_P(StoreTest, ReturningId) {
    CreateItems();
    ASSERT_OK_AND_ASSIGN(auto tx, db_->Begin());
    ASSERT_OK_AND_ASSIGN(auto first, tx->QueryOne("INSERT INTO items (t) VALUES ($1) RETURNING id",
                                                  {std::string("a")}));
    ASSERT_OK_AND_ASSIGN(auto second, tx->QueryOne("INSERT INTO items (t) VALUES ($1) RETURNING id",
                                                   {std::string("b")}));
    ASSERT_TRUE(first && second);
    EXPECT_GT(second->Int(0), first->Int(0));
    ASSERT_OK(tx->Commit());
    ASSERT_OK_AND_ASSIGN(auto tx2, db_->Begin(false));
    ASSERT_OK_AND_ASSIGN(auto row,
                         tx2->QueryOne("SELECT t FROM items WHERE id = $1", {second->Int(0)}));
    ASSERT_TRUE(row);
    EXPECT_EQ(row->Text(0), "b");
}

// Placeholders: reused, out of order, and not rewritten inside literals or comments.
TEST_P(StoreTest, PlaceholdersAndLiterals) {
    CreateItems();
    ASSERT_OK_AND_ASSIGN(auto tx, db_->Begin());
    ASSERT_OK(tx->Exec("INSERT INTO items (i, t) VALUES ($1, 'a $1 b -- not a comment')",
                       {std::int64_t{7}}));
    ASSERT_OK(
        tx->Exec("INSERT INTO items (i, t) VALUES ($2, $1)", {std::string("y"), std::int64_t{8}}));
    ASSERT_OK_AND_ASSIGN(
        auto row, tx->QueryOne("SELECT t FROM items /* $2 */ WHERE i = $1", {std::int64_t{7}}));
    ASSERT_TRUE(row);
    EXPECT_EQ(row->Text(0), "a $1 b -- not a comment");
    // The optional-filter idiom: a NULL parameter disables the condition. PostgreSQL cannot
    // infer a type from `$1 IS NULL`, hence the CAST.
    const std::string_view filter =
        "SELECT count(*) FROM items WHERE (CAST($1 AS BIGINT) IS NULL OR i = $1)";
    ASSERT_OK_AND_ASSIGN(auto all, tx->QueryOne(filter, {nullptr}));
    ASSERT_OK_AND_ASSIGN(auto one, tx->QueryOne(filter, {std::int64_t{8}}));
    EXPECT_EQ(all->Int(0), 2);
    EXPECT_EQ(one->Int(0), 1);
    // Integers compare against BIGINT columns and feed LIMIT.
    ASSERT_OK_AND_ASSIGN(auto limited,
                         tx->Query("SELECT i FROM items WHERE i < $1 ORDER BY i LIMIT $2",
                                   {std::int64_t{100}, std::int64_t{1}}));
    ASSERT_EQ(limited.size(), 1u);
    EXPECT_EQ(limited[0].Int(0), 7);
}

TEST_P(StoreTest, ExecReturnsRowsChanged) {
    CreateItems();
    ASSERT_OK_AND_ASSIGN(auto tx, db_->Begin());
    for (int i = 0; i < 3; ++i)
        ASSERT_OK(tx->Exec("INSERT INTO items (i) VALUES ($1)", {std::int64_t{i}}));
    ASSERT_OK_AND_ASSIGN(auto updated, tx->Exec("UPDATE items SET t = $1", {std::string("u")}));
    EXPECT_EQ(updated, 3);
    ASSERT_OK_AND_ASSIGN(auto deleted,
                         tx->Exec("DELETE FROM items WHERE i = $1", {std::int64_t{999}}));
    EXPECT_EQ(deleted, 0);
    ASSERT_OK_AND_ASSIGN(auto created, tx->Exec("CREATE TABLE other (x BIGINT)"));
    EXPECT_EQ(created, 0);
    ASSERT_OK_AND_ASSIGN(auto selected, tx->Exec("SELECT i FROM items"));
    EXPECT_EQ(selected, 0);
    ASSERT_OK(tx->Commit());
}

TEST_P(StoreTest, QueryOneRowCounts) {
    CreateItems();
    ASSERT_OK_AND_ASSIGN(auto tx, db_->Begin());
    ASSERT_OK_AND_ASSIGN(auto none, tx->QueryOne("SELECT id FROM items"));
    EXPECT_FALSE(none);
    ASSERT_OK(tx->Exec("INSERT INTO items (i) VALUES (1), (2)"));
    auto two = tx->QueryOne("SELECT id FROM items");
    ASSERT_FALSE(two);
    EXPECT_EQ(two.error().code, ErrorCode::kInternal);
}

TEST_P(StoreTest, TextWithNulIsRejected) {
    CreateItems();
    ASSERT_OK_AND_ASSIGN(auto tx, db_->Begin());
    auto r = tx->Exec("INSERT INTO items (t) VALUES ($1)", {std::string("a\0b", 3)});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
}

// --- Errors -----------------------------------------------------------------------------------

void ExpectNoSql(const Error& e) {
    for (const char* fragment :
         {"INSERT", "SELEC", "issuers", "items", "nowhere_at_all", "UNIQUE", "unique", "duplicate",
          "constraint", "syntax", "sqlite", "postgres"}) {
        EXPECT_EQ(e.public_message.find(fragment), std::string::npos)
            << "public message \"" << e.public_message << "\" leaks \"" << fragment << "\"";
    }
    EXPECT_FALSE(e.public_message.empty());
    EXPECT_FALSE(e.internal.empty());
}

TEST_P(StoreTest, UniqueViolationIsAlreadyExists) {
    ASSERT_OK(db_->Migrate());
    const std::string_view insert =
        "INSERT INTO issuers (name, role, algorithm, subject, serial, cert_der, key_ref, "
        "not_after, created_at) VALUES ($1, 'root', 'sm2', 'CN=Root', '01', $2, 'file:root', $3, "
        "$4) "
        "RETURNING id";
    const std::vector<Value> params = {std::string("root"), Bytes{0x30, 0x00},
                                       std::int64_t{2000000000}, std::int64_t{1700000000}};
    std::int64_t issuer_id = 0;
    {
        ASSERT_OK_AND_ASSIGN(auto tx, db_->Begin());
        ASSERT_OK_AND_ASSIGN(auto row, tx->QueryOne(insert, params));
        issuer_id = row->Int(0);
        ASSERT_OK(
            tx->Exec("INSERT INTO revocations (issuer_id, serial, revoked_at, reason) "
                     "VALUES ($1, $2, $3, $4)",
                     {issuer_id, std::string("0a"), std::int64_t{1}, std::int64_t{1}}));
        ASSERT_OK(tx->Commit());
    }
    {  // UNIQUE (name)
        ASSERT_OK_AND_ASSIGN(auto tx, db_->Begin());
        auto dup = tx->QueryOne(insert, params);
        ASSERT_FALSE(dup);
        EXPECT_EQ(dup.error().code, ErrorCode::kAlreadyExists) << dup.error().internal;
        ExpectNoSql(dup.error());
        EXPECT_NE(dup.error().internal.find("issuers"), std::string::npos) << dup.error().internal;
    }
    {  // PRIMARY KEY (issuer_id, serial)
        ASSERT_OK_AND_ASSIGN(auto tx, db_->Begin());
        auto dup = tx->Exec(
            "INSERT INTO revocations (issuer_id, serial, revoked_at, reason) "
            "VALUES ($1, $2, $3, $4)",
            {issuer_id, std::string("0a"), std::int64_t{2}, std::int64_t{4}});
        ASSERT_FALSE(dup);
        EXPECT_EQ(dup.error().code, ErrorCode::kAlreadyExists) << dup.error().internal;
        ExpectNoSql(dup.error());
    }
    EXPECT_EQ(Count("issuers"), 1);
}

TEST_P(StoreTest, BrokenSqlIsInternalWithoutSqlInPublicMessage) {
    ASSERT_OK_AND_ASSIGN(auto tx, db_->Begin());
    auto bad = tx->Query("SELEC id FROM nowhere_at_all WHERE x = $1", {std::int64_t{1}});
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, ErrorCode::kInternal);
    ExpectNoSql(bad.error());
    EXPECT_NE(bad.error().internal.find("nowhere_at_all"), std::string::npos);
    tx.reset();  // SQLite: one write transaction per process at a time

    ASSERT_OK_AND_ASSIGN(auto tx2, db_->Begin());
    auto missing = tx2->Query("SELECT id FROM nowhere_at_all");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, ErrorCode::kInternal);
    ExpectNoSql(missing.error());
}

// Both dialects: after a failed statement the transaction can only be rolled back (PostgreSQL
// aborts it server-side; SQLite is made to match).
TEST_P(StoreTest, FailedStatementSpendsTransaction) {
    CreateItems();
    ASSERT_OK_AND_ASSIGN(auto tx, db_->Begin());
    ASSERT_OK(tx->Exec("INSERT INTO items (u) VALUES ($1)", {std::string("k")}));
    auto dup = tx->Exec("INSERT INTO items (u) VALUES ($1)", {std::string("k")});
    ASSERT_FALSE(dup);
    EXPECT_EQ(dup.error().code, ErrorCode::kAlreadyExists);
    auto after = tx->Exec("INSERT INTO items (u) VALUES ($1)", {std::string("other")});
    ASSERT_FALSE(after);
    EXPECT_EQ(after.error().code, ErrorCode::kInternal);
    auto commit = tx->Commit();
    ASSERT_FALSE(commit);
    EXPECT_EQ(Count("items"), 0);
    // The connection went back to the pool clean.
    ASSERT_OK_AND_ASSIGN(auto tx2, db_->Begin());
    ASSERT_OK(tx2->Exec("INSERT INTO items (u) VALUES ($1)", {std::string("k")}));
    ASSERT_OK(tx2->Commit());
    EXPECT_EQ(Count("items"), 1);
}

TEST_P(StoreTest, ReadTransactionRejectsWrites) {
    CreateItems();
    ASSERT_OK_AND_ASSIGN(auto tx, db_->Begin(/*write=*/false));
    auto w = tx->Exec("INSERT INTO items (i) VALUES (1)");
    ASSERT_FALSE(w);
    EXPECT_EQ(w.error().code, ErrorCode::kInternal);
    ExpectNoSql(w.error());
    tx.reset();
    EXPECT_EQ(Count("items"), 0);
}

// --- Transactions -----------------------------------------------------------------------------

TEST_P(StoreTest, RollbackOnDestructionWithoutCommit) {
    CreateItems();
    {
        ASSERT_OK_AND_ASSIGN(auto tx, db_->Begin());
        ASSERT_OK(tx->Exec("INSERT INTO items (i) VALUES (1)"));
    }
    EXPECT_EQ(Count("items"), 0);
    ASSERT_OK_AND_ASSIGN(auto tx, db_->Begin());
    ASSERT_OK(tx->Exec("INSERT INTO items (i) VALUES (2)"));
    ASSERT_OK(tx->Commit());
    EXPECT_FALSE(tx->Commit());
    EXPECT_FALSE(tx->Exec("INSERT INTO items (i) VALUES (3)"));
    EXPECT_EQ(Count("items"), 1);
}

TEST_P(StoreTest, CommitIsDurableAcrossReopen) {
    CreateItems();
    const Bytes der = {0x30, 0x82, 0x00, 0xff};
    {
        ASSERT_OK_AND_ASSIGN(auto tx, db_->Begin());
        ASSERT_OK(tx->Exec("INSERT INTO items (t, b) VALUES ($1, $2)", {std::string("kept"), der}));
        ASSERT_OK(tx->Commit());
    }
    db_.reset();
    ASSERT_OK_AND_ASSIGN(db_, scratch_->Open());
    ASSERT_OK_AND_ASSIGN(auto tx, db_->Begin(false));
    ASSERT_OK_AND_ASSIGN(auto row, tx->QueryOne("SELECT t, b FROM items"));
    ASSERT_TRUE(row);
    EXPECT_EQ(row->Text(0), "kept");
    EXPECT_EQ(row->Blob(1), der);
}

// Four writers, 200 transactions each. Two share one Database and two share another (two
// processes, as far as the database can tell), so SQLite's cross-connection locking and busy
// handling is exercised as well as the in-process writer queue.
TEST_P(StoreTest, ConcurrentWritersAllSucceed) {
    CreateItems();
    ASSERT_OK_AND_ASSIGN(auto other, scratch_->Open());
    constexpr int kThreads = 4;
    constexpr int kRowsEach = 200;
    std::atomic<int> failures{0};
    std::string first_failure;
    std::mutex failure_mutex;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        Database* db = t % 2 == 0 ? db_.get() : other.get();
        threads.emplace_back([&, db, t] {
            for (int i = 0; i < kRowsEach; ++i) {
                auto step = [&]() -> Status {
                    GZCA_ASSIGN_OR_RETURN(auto tx, db->Begin());
                    GZCA_TRY_STATUS(
                        tx->Exec("INSERT INTO items (i, u) VALUES ($1, $2)",
                                 {std::int64_t{t}, std::to_string(t) + ":" + std::to_string(i)}));
                    return tx->Commit();
                };
                if (auto done = step(); !done) {
                    std::lock_guard lock(failure_mutex);
                    if (failures++ == 0) first_failure = done.error().internal;
                }
            }
        });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(failures.load(), 0) << first_failure;
    EXPECT_EQ(Count("items"), kThreads * kRowsEach);
    EXPECT_EQ(Count(*other, "items"), kThreads * kRowsEach);
}

// --- Driver-specific --------------------------------------------------------------------------

class PostgresOnlyTest : public ScratchFixture {
  protected:
    void SetUp() override { Start(Dialect::kPostgres); }
};

TEST_F(PostgresOnlyTest, DecodesNumericBoolAndSmallInts) {
    ASSERT_OK_AND_ASSIGN(auto tx, db_->Begin(false));
    ASSERT_OK_AND_ASSIGN(
        auto row,
        tx->QueryOne("SELECT CAST(1.05 AS NUMERIC), CAST(-0.0001 AS NUMERIC), "
                     "CAST(123456789012345678901234 AS NUMERIC), CAST(10000 AS NUMERIC), "
                     "CAST(9223372036854775807 AS NUMERIC), CAST(-9223372036854775808 AS NUMERIC), "
                     "CAST(0 AS NUMERIC), CAST(12.50 AS NUMERIC(10,2)), true, false, "
                     "CAST(7 AS SMALLINT), CAST(-7 AS INTEGER), CAST('v' AS VARCHAR(3)), "
                     "CAST('NaN' AS NUMERIC), CAST(1.5 AS DOUBLE PRECISION)"));
    ASSERT_TRUE(row);
    EXPECT_EQ(row->Text(0), "1.05");
    EXPECT_EQ(row->Text(1), "-0.0001");
    EXPECT_EQ(row->Text(2), "123456789012345678901234");
    EXPECT_EQ(row->Int(3), 10000);
    EXPECT_EQ(row->Int(4), std::numeric_limits<std::int64_t>::max());
    EXPECT_EQ(row->Int(5), std::numeric_limits<std::int64_t>::min());
    EXPECT_EQ(row->Int(6), 0);
    EXPECT_EQ(row->Text(7), "12.50");
    EXPECT_EQ(row->Int(8), 1);
    EXPECT_EQ(row->Int(9), 0);
    EXPECT_EQ(row->Int(10), 7);
    EXPECT_EQ(row->Int(11), -7);
    EXPECT_EQ(row->Text(12), "v");
    EXPECT_EQ(row->Text(13), "NaN");
    EXPECT_EQ(row->Text(14), "1.5");
}

TEST_F(PostgresOnlyTest, UnsupportedColumnTypeIsAnError) {
    ASSERT_OK_AND_ASSIGN(auto tx, db_->Begin(false));
    auto r = tx->Query("SELECT now()");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kInternal);
    EXPECT_NE(r.error().internal.find("cast"), std::string::npos) << r.error().internal;
}

// A pooled connection whose server process died is replaced on the next Begin().
TEST_F(PostgresOnlyTest, ReconnectsAfterConnectionLoss) {
    ASSERT_OK_AND_ASSIGN(auto db, scratch_->Open(/*pool_size=*/1));
    auto backend_pid = [&]() -> std::int64_t {
        auto tx = db->Begin(false);
        if (!tx) return -1;
        auto row = (*tx)->QueryOne("SELECT pg_backend_pid()");
        return row && *row ? (*row)->Int(0) : -1;
    };
    auto kill = [&](std::int64_t pid) {
        // Waits (up to 10 s) until the backend has exited.
        auto tx = db_->Begin();
        ASSERT_TRUE(tx);
        ASSERT_OK_AND_ASSIGN(auto row,
                             (*tx)->QueryOne("SELECT pg_terminate_backend($1, 10000)", {pid}));
        EXPECT_EQ(row->Int(0), 1);
    };
    const std::int64_t pid = backend_pid();
    ASSERT_GT(pid, 0);
    kill(pid);
    const std::int64_t pid2 = backend_pid();
    EXPECT_GT(pid2, 0);
    EXPECT_NE(pid2, pid);

    // Lost in the middle of a transaction: that transaction fails as unavailable; the next works.
    ASSERT_OK_AND_ASSIGN(auto tx, db->Begin(false));
    kill(pid2);
    auto r = tx->Query("SELECT 1");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kUnavailable) << r.error().internal;
    EXPECT_EQ(r.error().public_message, "database unavailable");
    tx.reset();
    EXPECT_GT(backend_pid(), 0);
}

TEST(PostgresOpen, BadUrlIsUnavailable) {
    for (const char* url :
         {"postgresql:///gzca?host=/nonexistent-gzca-socket-dir", "postgres://[::1",
          "host=/nonexistent-gzca-socket-dir dbname=gzca", "postgresql://gzca@127.0.0.1:1/gzca"}) {
        auto db = Database::Open(url);
        ASSERT_FALSE(db) << url;
        EXPECT_EQ(db.error().code, ErrorCode::kUnavailable) << url << ": " << db.error().internal;
        EXPECT_EQ(db.error().public_message, "database unavailable");
    }
}

TEST(SqliteOpen, MissingDirectoryIsUnavailable) {
    for (const char* url : {"/nonexistent-gzca-dir/sub/ca.db", "sqlite:/nonexistent-gzca-dir/ca.db",
                            "sqlite:///nonexistent-gzca-dir/ca.db"}) {
        auto db = Database::Open(url);
        ASSERT_FALSE(db) << url;
        EXPECT_EQ(db.error().code, ErrorCode::kUnavailable) << url;
        EXPECT_EQ(db.error().public_message, "database unavailable");
        EXPECT_NE(db.error().internal.find("nonexistent-gzca-dir"), std::string::npos);
    }
    EXPECT_FALSE(std::filesystem::exists("/nonexistent-gzca-dir"));
}

TEST(DatabaseOpen, RejectsBadArguments) {
    EXPECT_EQ(Database::Open("").error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(Database::Open("sqlite:").error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(Database::Open(":memory:").error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(Database::Open("/tmp/x.db", 0).error().code, ErrorCode::kInvalidArgument);
}

class SqliteOnlyTest : public ScratchFixture {
  protected:
    void SetUp() override { Start(Dialect::kSqlite); }
};

TEST_F(SqliteOnlyTest, UsesWalAndForeignKeys) {
    ASSERT_OK(db_->Migrate());
    ASSERT_OK_AND_ASSIGN(auto tx, db_->Begin());
    ASSERT_OK_AND_ASSIGN(auto mode, tx->QueryOne("PRAGMA journal_mode"));
    EXPECT_EQ(mode->Text(0), "wal");
    ASSERT_OK_AND_ASSIGN(auto sync, tx->QueryOne("PRAGMA synchronous"));
    EXPECT_EQ(sync->Int(0), 2);  // FULL
    // certificates.issuer_id REFERENCES issuers(id): enforced.
    auto orphan = tx->Exec(
        "INSERT INTO certificates (issuer_id, serial, status, profile, subject, key_algorithm, "
        "spki_sha256, not_before, not_after, created_at, updated_at) "
        "VALUES (99, '01', 'pending', 'tls', 'CN=x', 'sm2', 'ab', 0, 1, 0, 0)");
    ASSERT_FALSE(orphan);
    EXPECT_EQ(orphan.error().code, ErrorCode::kInternal);
}

TEST_F(SqliteOnlyTest, RejectsMultipleStatements) {
    CreateItems();
    ASSERT_OK_AND_ASSIGN(auto tx, db_->Begin());
    auto r = tx->Exec("INSERT INTO items (i) VALUES (1); DELETE FROM items");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kInternal);
    tx.reset();
    ASSERT_OK_AND_ASSIGN(auto tx2, db_->Begin());
    ASSERT_OK(tx2->Exec("INSERT INTO items (i) VALUES (1);  \n"));
}

// --- Plain values -----------------------------------------------------------------------------

TEST(Row, AccessorsThrowOnTypeMismatch) {
    const Row row({nullptr, std::int64_t{5}, std::string("s"), Bytes{1}});
    EXPECT_TRUE(row.IsNull(0));
    EXPECT_FALSE(row.IsNull(1));
    EXPECT_EQ(row.Int(1), 5);
    EXPECT_EQ(row.OptInt(0), std::nullopt);
    EXPECT_EQ(row.OptInt(1), 5);
    EXPECT_EQ(row.Text(2), "s");
    EXPECT_EQ(row.OptText(0), std::nullopt);
    EXPECT_EQ(row.OptText(2), "s");
    EXPECT_EQ(row.Blob(3), Bytes{1});
    EXPECT_THROW(row.Int(0), std::logic_error);
    EXPECT_THROW(row.Int(2), std::logic_error);
    EXPECT_THROW(row.OptInt(2), std::logic_error);
    EXPECT_THROW(row.Text(1), std::logic_error);
    EXPECT_THROW(row.OptText(3), std::logic_error);
    EXPECT_THROW(row.Blob(2), std::logic_error);
    EXPECT_THROW(row.Blob(0), std::logic_error);
    EXPECT_THROW(row.IsNull(4), std::logic_error);  // std::out_of_range
}

TEST(Migrations, ExpandDialect) {
    const std::string_view sql = "CREATE TABLE t (id ${ID}, b ${BLOB}, s TEXT DEFAULT '$x')";
    EXPECT_EQ(ExpandDialect(sql, Dialect::kSqlite),
              "CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB, s TEXT DEFAULT '$x')");
    EXPECT_EQ(ExpandDialect(sql, Dialect::kPostgres),
              "CREATE TABLE t (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, b BYTEA, "
              "s TEXT DEFAULT '$x')");
    // Versions strictly increase: the runner applies them in order.
    int last = 0;
    for (const Migration& m : AllMigrations()) {
        EXPECT_GT(m.version, last);
        last = m.version;
    }
}

}  // namespace
}  // namespace gzca::store
