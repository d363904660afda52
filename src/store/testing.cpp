#include "store/testing.h"

#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <system_error>

namespace gzca::store::testing {
namespace {

std::string UniqueSuffix() {
    static std::atomic<int> counter{0};
    std::random_device rd;
    return std::to_string(::getpid()) + "_" + std::to_string(counter++) + "_" +
           std::to_string(rd() % 1000000);
}

// Adds `options=-csearch_path=<schema>` to a libpq URI or key=value string.
std::string WithSearchPath(const std::string& url, const std::string& schema) {
    if (url.starts_with("postgresql://") || url.starts_with("postgres://")) {
        // '=' inside a URI query value must be percent-encoded.
        return url + (url.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" +
               schema;
    }
    return url + " options='-csearch_path=" + schema + "'";
}

Status ExecOnce(const std::string& url, const std::string& sql) {
    GZCA_ASSIGN_OR_RETURN(auto db, Database::Open(url, 1));
    GZCA_ASSIGN_OR_RETURN(auto tx, db->Begin());
    GZCA_TRY_STATUS(tx->Exec(sql));
    return tx->Commit();
}

}  // namespace

std::optional<std::string> PostgresTestUrl() {
    const char* url = std::getenv(kPostgresUrlEnv);
    if (!url || !*url) return std::nullopt;
    return std::string(url);
}

bool MaySkipPostgres() {
    const char* allow = std::getenv(kAllowNoPostgresEnv);
    return !PostgresTestUrl() && allow && std::string(allow) == "1";
}

Result<std::unique_ptr<ScratchDatabase>> ScratchDatabase::Create(Dialect dialect) {
    if (dialect == Dialect::kSqlite) {
        std::string templ = (std::filesystem::temp_directory_path() / "gzca_store_XXXXXX").string();
        if (!::mkdtemp(templ.data())) {
            return Fail(ErrorCode::kUnavailable, "mkdtemp failed for " + templ);
        }
        std::string url = "sqlite:" + templ + "/test.db";
        return std::unique_ptr<ScratchDatabase>(new ScratchDatabase(dialect, url, templ));
    }
    auto base = PostgresTestUrl();
    if (!base) {
        return Fail(ErrorCode::kUnavailable,
                    std::string(kPostgresUrlEnv) +
                        " is not set: run the tests through scripts/run-tests.sh (which starts a "
                        "throwaway PostgreSQL), set it to an empty database, or set " +
                        kAllowNoPostgresEnv + "=1 to skip PostgreSQL tests");
    }
    const std::string schema = "gzca_test_" + UniqueSuffix();
    GZCA_TRY_STATUS(ExecOnce(*base, "CREATE SCHEMA " + schema));
    return std::unique_ptr<ScratchDatabase>(
        new ScratchDatabase(dialect, WithSearchPath(*base, schema), schema));
}

ScratchDatabase::~ScratchDatabase() {
    if (dialect_ == Dialect::kSqlite) {
        std::error_code ec;
        std::filesystem::remove_all(cleanup_, ec);
    } else if (auto base = PostgresTestUrl()) {
        (void)ExecOnce(*base, "DROP SCHEMA IF EXISTS " + cleanup_ + " CASCADE");
    }
}

Result<std::unique_ptr<Database>> ScratchDatabase::Open(int pool_size) const {
    return Database::Open(url_, pool_size);
}

}  // namespace gzca::store::testing
