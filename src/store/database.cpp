#include "store/database.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <set>
#include <stdexcept>
#include <string>

#include "store/drivers.h"
#include "store/migrations.h"

namespace gzca::store {
namespace {

const char* TypeName(const Value& v) {
    switch (v.index()) {
        case 0:
            return "NULL";
        case 1:
            return "integer";
        case 2:
            return "text";
        default:
            return "blob";
    }
}

[[noreturn]] void Mismatch(std::size_t i, const char* wanted, const Value& got) {
    throw std::logic_error("store::Row: column " + std::to_string(i) + " is " + TypeName(got) +
                           ", read as " + wanted);
}

bool StartsWith(std::string_view s, std::string_view prefix) {
    return s.substr(0, prefix.size()) == prefix;
}

// True for a libpq key=value connection string ("host=/run/pg dbname=ca"): the first word is a
// libpq keyword followed by '='.
bool LooksLikeConninfo(std::string_view url) {
    static constexpr std::array<std::string_view, 12> kKeywords = {"host",
                                                                   "hostaddr",
                                                                   "port",
                                                                   "dbname",
                                                                   "user",
                                                                   "password",
                                                                   "service",
                                                                   "passfile",
                                                                   "sslmode",
                                                                   "connect_timeout",
                                                                   "application_name",
                                                                   "options"};
    auto eq = url.find('=');
    if (eq == std::string_view::npos) return false;
    auto key = url.substr(0, eq);
    while (!key.empty() && key.back() == ' ') key.remove_suffix(1);
    return std::find(kKeywords.begin(), kKeywords.end(), key) != kKeywords.end();
}

// Splits migration SQL on ";\n", dropping statements that are only whitespace.
std::vector<std::string> SplitStatements(const std::string& sql) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= sql.size()) {
        auto end = sql.find(";\n", start);
        if (end == std::string::npos) end = sql.size();
        std::string stmt = sql.substr(start, end - start);
        if (stmt.find_first_not_of(" \t\r\n") != std::string::npos) out.push_back(std::move(stmt));
        start = end + 2;
    }
    return out;
}

// Key of the PostgreSQL advisory lock that serialises migration runners ("gzca-mig").
constexpr std::int64_t kMigrationLockKey = 0x677a63612d6d6967;

constexpr std::string_view kCreateMigrationsTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)";

// Starts a write transaction that holds the migration lock: on PostgreSQL the advisory lock
// (released at commit/rollback); on SQLite BEGIN IMMEDIATE already excludes other writers.
// Creates schema_migrations if absent — inside the lock, so concurrent creators cannot race.
Result<std::unique_ptr<Transaction>> BeginMigrationTx(Database& db) {
    GZCA_ASSIGN_OR_RETURN(auto tx, db.Begin(/*write=*/true));
    if (db.dialect() == Dialect::kPostgres) {
        GZCA_TRY_STATUS(tx->Exec("SELECT pg_advisory_xact_lock($1)", {kMigrationLockKey}));
    }
    GZCA_TRY_STATUS(tx->Exec(kCreateMigrationsTable));
    return tx;
}

Result<std::set<std::int64_t>> AppliedVersions(Transaction& tx) {
    GZCA_ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT version FROM schema_migrations"));
    std::set<std::int64_t> out;
    for (const auto& row : rows) out.insert(row.Int(0));
    return out;
}

}  // namespace

bool Row::IsNull(std::size_t i) const {
    return std::holds_alternative<std::nullptr_t>(values_.at(i));
}

std::int64_t Row::Int(std::size_t i) const {
    const Value& v = values_.at(i);
    if (const auto* p = std::get_if<std::int64_t>(&v)) return *p;
    Mismatch(i, "integer", v);
}

std::optional<std::int64_t> Row::OptInt(std::size_t i) const {
    if (IsNull(i)) return std::nullopt;
    return Int(i);
}

const std::string& Row::Text(std::size_t i) const {
    const Value& v = values_.at(i);
    if (const auto* p = std::get_if<std::string>(&v)) return *p;
    Mismatch(i, "text", v);
}

std::optional<std::string> Row::OptText(std::size_t i) const {
    if (IsNull(i)) return std::nullopt;
    return Text(i);
}

const Bytes& Row::Blob(std::size_t i) const {
    const Value& v = values_.at(i);
    if (const auto* p = std::get_if<Bytes>(&v)) return *p;
    Mismatch(i, "blob", v);
}

Result<std::optional<Row>> Transaction::QueryOne(std::string_view sql,
                                                 const std::vector<Value>& params) {
    GZCA_ASSIGN_OR_RETURN(auto rows, Query(sql, params));
    if (rows.empty()) return std::optional<Row>();
    if (rows.size() > 1) {
        return Fail(internal::DbError(
            ErrorCode::kInternal,
            "QueryOne: " + std::to_string(rows.size()) + " rows for: " + internal::SqlForLog(sql)));
    }
    return std::optional<Row>(std::move(rows.front()));
}

Result<std::unique_ptr<Database>> Database::Open(std::string_view url, int pool_size) {
    if (pool_size < 1) {
        return Fail(ErrorCode::kInvalidArgument, "database pool size must be at least 1");
    }
    if (url.empty()) return Fail(ErrorCode::kInvalidArgument, "database URL is empty");
    if (StartsWith(url, "postgresql://") || StartsWith(url, "postgres://") ||
        LooksLikeConninfo(url)) {
        return internal::OpenPostgres(std::string(url), pool_size);
    }
    std::string_view path = url;
    if (StartsWith(path, "sqlite:")) {
        path.remove_prefix(7);
        // "sqlite:///var/lib/gzca/ca.db" is the URL spelling of "/var/lib/gzca/ca.db".
        if (StartsWith(path, "//")) path.remove_prefix(2);
    }
    if (path.empty()) return Fail(ErrorCode::kInvalidArgument, "SQLite database path is empty");
    if (path == ":memory:" || StartsWith(path, "file:")) {
        // Each pooled connection would see its own in-memory database.
        return Fail(ErrorCode::kInvalidArgument,
                    "SQLite database must be a plain file path (no :memory: or file: URIs)");
    }
    return internal::OpenSqlite(std::string(path), pool_size);
}

Status Database::Migrate() {
    // Fast path and the set of versions already applied.
    std::set<std::int64_t> applied;
    {
        GZCA_ASSIGN_OR_RETURN(auto tx, BeginMigrationTx(*this));
        GZCA_ASSIGN_OR_RETURN(applied, AppliedVersions(*tx));
        GZCA_TRY_STATUS(tx->Commit());
    }
    for (const Migration& m : AllMigrations()) {
        if (applied.contains(m.version)) continue;
        GZCA_ASSIGN_OR_RETURN(auto tx, BeginMigrationTx(*this));
        // Another process may have applied it between our transactions; we now hold the lock.
        GZCA_ASSIGN_OR_RETURN(
            auto exists, tx->QueryOne("SELECT version FROM schema_migrations WHERE version = $1",
                                      {std::int64_t{m.version}}));
        if (exists) continue;  // rolls back the empty transaction
        for (const std::string& stmt : SplitStatements(ExpandDialect(m.sql, dialect()))) {
            auto done = tx->Exec(stmt);
            if (!done) {
                Error e = std::move(done).error();
                e.Context("migration " + std::to_string(m.version) + " (" + std::string(m.name) +
                          ")");
                return Fail(std::move(e));
            }
        }
        const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
        GZCA_TRY_STATUS(tx->Exec(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
            {std::int64_t{m.version}, std::string(m.name), std::int64_t{now}}));
        GZCA_TRY_STATUS(tx->Commit());
    }
    return Ok();
}

Result<int> Database::SchemaVersion() {
    GZCA_ASSIGN_OR_RETURN(auto tx, Begin(/*write=*/false));
    std::string_view exists_sql =
        dialect() == Dialect::kSqlite
            ? "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
              "name = 'schema_migrations'"
            : "SELECT CASE WHEN to_regclass('schema_migrations') IS NULL THEN 0 ELSE 1 END";
    GZCA_ASSIGN_OR_RETURN(auto exists, tx->QueryOne(exists_sql));
    if (!exists || exists->Int(0) == 0) return 0;
    GZCA_ASSIGN_OR_RETURN(auto row,
                          tx->QueryOne("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
    return static_cast<int>(row->Int(0));
}

}  // namespace gzca::store
