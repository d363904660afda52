#pragma once
// Test support for modules that use the store: a private, empty database per test, on SQLite or
// on the PostgreSQL server named by GZCA_TEST_PG_URL. Linked into tests only
// (gzca_store_testing), never into the server.
//
// Policy: a PostgreSQL test whose URL is not configured FAILS, unless GZCA_TEST_ALLOW_NO_PG=1 lets
// it skip — a green run must have exercised both databases. scripts/run-tests.sh starts a
// throwaway server and sets the URL.
//
// Thread-safety: ScratchDatabase is a plain owner; create and destroy it on one thread. The
// Database objects it opens are shared by threads as usual.

#include <memory>
#include <optional>
#include <string>

#include "base/error.h"
#include "store/database.h"

namespace gzca::store::testing {

inline constexpr const char* kPostgresUrlEnv = "GZCA_TEST_PG_URL";
inline constexpr const char* kAllowNoPostgresEnv = "GZCA_TEST_ALLOW_NO_PG";

// The value of GZCA_TEST_PG_URL, or std::nullopt when it is unset or empty.
std::optional<std::string> PostgresTestUrl();

// True when GZCA_TEST_ALLOW_NO_PG=1 and no PostgreSQL URL is set: PostgreSQL tests may skip.
bool MaySkipPostgres();

// One test's database. SQLite: a file in a fresh temporary directory. PostgreSQL: a fresh schema
// in the GZCA_TEST_PG_URL database, selected through the connection's search_path, so tests
// running in parallel processes against one server do not see each other's tables.
// The destructor removes the directory / drops the schema; close every Database opened on it
// first.
class ScratchDatabase {
  public:
    // kUnavailable with instructions when PostgreSQL is asked for but not configured; the
    // underlying error when the directory or schema cannot be created.
    static Result<std::unique_ptr<ScratchDatabase>> Create(Dialect dialect);
    ~ScratchDatabase();
    ScratchDatabase(const ScratchDatabase&) = delete;
    ScratchDatabase& operator=(const ScratchDatabase&) = delete;

    Dialect dialect() const { return dialect_; }
    // For Database::Open; reopening it sees the same data.
    const std::string& url() const { return url_; }
    // Database::Open(url(), pool_size).
    Result<std::unique_ptr<Database>> Open(int pool_size = 4) const;

  private:
    ScratchDatabase(Dialect dialect, std::string url, std::string cleanup)
        : dialect_(dialect), url_(std::move(url)), cleanup_(std::move(cleanup)) {}

    Dialect dialect_;
    std::string url_;
    std::string cleanup_;  // SQLite: the directory; PostgreSQL: the schema name
};

}  // namespace gzca::store::testing
