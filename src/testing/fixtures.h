#pragma once
// Test fixtures shared by the modules' tests: throwaway databases of both kinds, CSRs.
// Only linked into tests.

#include <filesystem>
#include <memory>
#include <string>

#include "crypto/key.h"
#include "store/database.h"
#include "store/testing.h"

namespace gzca::testing {

// The databases every storage-touching test runs against.
enum class DbKind { kSqlite, kPostgres };
std::string DbKindName(DbKind kind);  // for test names

// A fresh, migrated, empty database: SQLite in a temporary directory, or a new schema in the
// PostgreSQL named by GZCA_TEST_PG_URL (scripts/run-tests.sh starts one). Without that variable
// the PostgreSQL case fails — the suite never silently skips a database.
class TestDatabase {
  public:
    static Result<std::unique_ptr<TestDatabase>> Create(DbKind kind);
    ~TestDatabase();

    store::Database& db() { return *db_; }
    // The URL a second process (or a reopen) can use to reach the same database.
    const std::string& url() const { return scratch_->url(); }

  private:
    TestDatabase() = default;
    std::unique_ptr<store::testing::ScratchDatabase> scratch_;
    std::unique_ptr<store::Database> db_;  // destroyed first (declared last)
};

// A PKCS#10 request signed by `key` (SM2 with the GM/T default ID unless `sm2_empty_id`),
// subject "/C=CN/O=...": RFC 4514 or slash form.
Result<Bytes> MakeCsr(const crypto::PrivateKey& key, const std::string& subject,
                      bool sm2_empty_id = false);

// A fresh temporary directory, removed by the caller.
std::filesystem::path MakeTempDir(const std::string& prefix);

}  // namespace gzca::testing
