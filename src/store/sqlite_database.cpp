// The SQLite driver.
//
// Each pooled connection is opened in multi-thread mode (SQLITE_OPEN_NOMUTEX): a connection is
// used by one thread at a time, lent out by the pool for a whole transaction, so SQLite's
// per-connection mutex would only cost time. WAL lets readers run beside the one writer.
//
// Writers: within this process, write transactions queue on a semaphore (no busy-wait sleeps);
// across processes BEGIN IMMEDIATE takes SQLite's write lock, waiting up to busy_timeout.

#include <sqlite3.h>

#include <condition_variable>
#include <filesystem>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <utility>
#include <vector>

#include "store/database.h"
#include "store/drivers.h"
#include "store/pool.h"

namespace gzca::store::internal {
namespace {

constexpr int kBusyTimeoutMs = static_cast<int>(kAcquireTimeout.count());
constexpr std::size_t kStatementCacheSize = 128;

struct SqliteCloser {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StatementFinalizer {
    void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using SqlitePtr = std::unique_ptr<sqlite3, SqliteCloser>;
using StatementPtr = std::unique_ptr<sqlite3_stmt, StatementFinalizer>;

ErrorCode CodeFor(int rc) {
    if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
        return ErrorCode::kAlreadyExists;
    }
    switch (rc & 0xff) {
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
        case SQLITE_FULL:
        case SQLITE_IOERR:
        case SQLITE_CANTOPEN:
        case SQLITE_NOMEM:
        case SQLITE_READONLY:
        case SQLITE_PROTOCOL:
            return ErrorCode::kUnavailable;
        default:
            return ErrorCode::kInternal;
    }
}

// Must be called right after the failing call, before anything else touches `db`.
Error SqliteError(sqlite3* db, int rc, std::string_view sql) {
    std::string internal = "sqlite: ";
    internal += db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    internal += " (code " + std::to_string(rc) + ")";
    if (!sql.empty()) internal += " in: " + SqlForLog(sql);
    return DbError(CodeFor(rc), std::move(internal));
}

bool IsIdentChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '$';
}

// Rewrites PostgreSQL placeholders $N to SQLite's ?N (same numbering), leaving string literals,
// quoted identifiers and comments alone.
std::string RewritePlaceholders(std::string_view sql) {
    enum class State { kCode, kString, kIdentifier, kLineComment, kBlockComment };
    State state = State::kCode;
    std::string out;
    out.reserve(sql.size());
    for (std::size_t i = 0; i < sql.size(); ++i) {
        char c = sql[i];
        const char next = i + 1 < sql.size() ? sql[i + 1] : '\0';
        switch (state) {
            case State::kCode:
                if (c == '\'') {
                    state = State::kString;
                } else if (c == '"') {
                    state = State::kIdentifier;
                } else if (c == '-' && next == '-') {
                    state = State::kLineComment;
                } else if (c == '/' && next == '*') {
                    out += "/*";
                    ++i;
                    state = State::kBlockComment;
                    continue;
                } else if (c == '$' && next >= '0' && next <= '9' &&
                           (i == 0 || !IsIdentChar(sql[i - 1]))) {
                    c = '?';
                }
                break;
            case State::kString:  // '' inside a literal closes and reopens: same result
                if (c == '\'') state = State::kCode;
                break;
            case State::kIdentifier:
                if (c == '"') state = State::kCode;
                break;
            case State::kLineComment:
                if (c == '\n') state = State::kCode;
                break;
            case State::kBlockComment:
                if (c == '*' && next == '/') {
                    out += "*/";
                    ++i;
                    state = State::kCode;
                    continue;
                }
                break;
        }
        out += c;
    }
    return out;
}

bool OnlyWhitespaceOrSemicolons(std::string_view rest) {
    return rest.find_first_not_of(" \t\r\n;") == std::string_view::npos;
}

// Prepared statements of one connection, keyed by the SQL text the caller passed (before
// placeholder rewriting), least recently used evicted first.
class StatementCache {
  public:
    sqlite3_stmt* Find(std::string_view sql) {
        auto it = index_.find(sql);
        if (it == index_.end()) return nullptr;
        lru_.splice(lru_.begin(), lru_, it->second);
        return it->second->stmt.get();
    }

    sqlite3_stmt* Insert(std::string_view sql, StatementPtr stmt) {
        if (lru_.size() >= kStatementCacheSize) {
            index_.erase(lru_.back().sql);
            lru_.pop_back();
        }
        lru_.push_front(Entry{std::string(sql), std::move(stmt)});
        index_.emplace(lru_.front().sql, lru_.begin());
        return lru_.front().stmt.get();
    }

  private:
    struct Entry {
        std::string sql;
        StatementPtr stmt;
    };
    std::list<Entry> lru_;  // front = most recently used; list nodes never move
    std::unordered_map<std::string_view, std::list<Entry>::iterator> index_;  // views into lru_
};

// Resets a statement (and drops its bindings) however the step loop ends.
class StatementReset {
  public:
    explicit StatementReset(sqlite3_stmt* stmt) : stmt_(stmt) {}
    ~StatementReset() {
        sqlite3_reset(stmt_);
        sqlite3_clear_bindings(stmt_);
    }
    StatementReset(const StatementReset&) = delete;
    StatementReset& operator=(const StatementReset&) = delete;

  private:
    sqlite3_stmt* stmt_;
};

class SqliteConnection {
  public:
    static Result<std::unique_ptr<SqliteConnection>> Open(const std::string& path) {
        // SQLite would report a bare "unable to open database file"; say why.
        const auto dir = std::filesystem::path(path).parent_path();
        std::error_code ec;
        if (!dir.empty() && !std::filesystem::is_directory(dir, ec)) {
            return Fail(
                DbError(ErrorCode::kUnavailable,
                        "sqlite: directory of database file does not exist: " + dir.string()));
        }
        sqlite3* raw = nullptr;
        const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
        const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
        SqlitePtr db(raw);  // owns the handle even when open failed
        if (rc != SQLITE_OK) {
            Error e = SqliteError(db.get(), rc, {});
            e.code = ErrorCode::kUnavailable;
            e.public_message = std::string(kPublicUnavailable);
            return Fail(std::move(e.Context("opening " + path)));
        }
        sqlite3_extended_result_codes(db.get(), 1);
        sqlite3_busy_timeout(db.get(), kBusyTimeoutMs);

        auto conn = std::unique_ptr<SqliteConnection>(new SqliteConnection(std::move(db)));
        // journal_mode answers with the mode in force; anything but "wal" means it did not take.
        auto mode = conn->QueryText("PRAGMA journal_mode=WAL");
        if (!mode) return Fail(std::move(mode).error().Context("opening " + path));
        if (*mode != "wal") {
            return Fail(DbError(ErrorCode::kUnavailable,
                                "sqlite: cannot enable WAL on " + path + " (mode " + *mode + ")"));
        }
        for (std::string_view pragma : {"PRAGMA synchronous=FULL", "PRAGMA foreign_keys=ON"}) {
            auto done = conn->Run(pragma);
            if (!done) return Fail(std::move(done).error().Context("opening " + path));
        }
        return conn;
    }

    sqlite3* db() const { return db_.get(); }

    // The cached prepared statement for `sql` ($N placeholders allowed). One statement only.
    Result<sqlite3_stmt*> Prepare(std::string_view sql) {
        if (sqlite3_stmt* cached = cache_.Find(sql)) return cached;
        const std::string rewritten = RewritePlaceholders(sql);
        sqlite3_stmt* raw = nullptr;
        const char* tail = nullptr;
        const int rc =
            sqlite3_prepare_v3(db_.get(), rewritten.data(), static_cast<int>(rewritten.size()),
                               SQLITE_PREPARE_PERSISTENT, &raw, &tail);
        StatementPtr stmt(raw);
        if (rc != SQLITE_OK) return Fail(SqliteError(db_.get(), rc, sql));
        if (!stmt) return Fail(DbError(ErrorCode::kInternal, "sqlite: empty statement"));
        // prepare stops after the first statement; a second would be silently ignored.
        const char* end = rewritten.data() + rewritten.size();
        if (tail && tail < end && !OnlyWhitespaceOrSemicolons(std::string_view(tail, end - tail))) {
            return Fail(DbError(ErrorCode::kInternal,
                                "sqlite: more than one statement in: " + SqlForLog(sql)));
        }
        return cache_.Insert(sql, std::move(stmt));
    }

    // Runs a statement without parameters, discarding rows (BEGIN, COMMIT, PRAGMA ...).
    Status Run(std::string_view sql) {
        GZCA_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, Prepare(sql));
        StatementReset reset(stmt);
        int rc;
        while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        }
        if (rc != SQLITE_DONE) return Fail(SqliteError(db_.get(), rc, sql));
        return Ok();
    }

    bool InTransaction() const { return sqlite3_get_autocommit(db_.get()) == 0; }

  private:
    explicit SqliteConnection(SqlitePtr db) : db_(std::move(db)) {}

    Result<std::string> QueryText(std::string_view sql) {
        GZCA_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, Prepare(sql));
        StatementReset reset(stmt);
        const int rc = sqlite3_step(stmt);
        if (rc != SQLITE_ROW) return Fail(SqliteError(db_.get(), rc, sql));
        const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
        return std::string(text ? text : "");
    }

    // Declared first so it is destroyed last: the cache finalizes its statements before the
    // handle closes.
    SqlitePtr db_;
    StatementCache cache_;
};

Status Bind(sqlite3* db, sqlite3_stmt* stmt, const std::vector<Value>& params,
            std::string_view sql) {
    const int expected = sqlite3_bind_parameter_count(stmt);
    if (expected != static_cast<int>(params.size())) {
        return Fail(
            DbError(ErrorCode::kInternal, "sqlite: statement takes " + std::to_string(expected) +
                                              " parameters, got " + std::to_string(params.size()) +
                                              " in: " + SqlForLog(sql)));
    }
    for (int i = 1; i <= expected; ++i) {
        const Value& v = params[static_cast<std::size_t>(i - 1)];
        int rc = SQLITE_OK;
        // SQLITE_STATIC: `params` outlives the step loop, and bindings are cleared after it.
        if (std::holds_alternative<std::nullptr_t>(v)) {
            rc = sqlite3_bind_null(stmt, i);
        } else if (const auto* n = std::get_if<std::int64_t>(&v)) {
            rc = sqlite3_bind_int64(stmt, i, *n);
        } else if (const auto* s = std::get_if<std::string>(&v)) {
            if (HasNul(*s)) {
                return Fail(ErrorCode::kInvalidArgument,
                            "text parameter " + std::to_string(i) + " contains a NUL character");
            }
            rc = sqlite3_bind_text64(stmt, i, s->data(), s->size(), SQLITE_STATIC, SQLITE_UTF8);
        } else {
            const auto& b = std::get<Bytes>(v);
            // A null data pointer would bind NULL, so an empty blob is bound explicitly.
            rc = b.empty() ? sqlite3_bind_zeroblob(stmt, i, 0)
                           : sqlite3_bind_blob64(stmt, i, b.data(), b.size(), SQLITE_STATIC);
        }
        if (rc != SQLITE_OK) return Fail(SqliteError(db, rc, sql));
    }
    return Ok();
}

Row ReadRow(sqlite3_stmt* stmt) {
    const int n = sqlite3_column_count(stmt);
    std::vector<Value> values;
    values.reserve(static_cast<std::size_t>(n));
    for (int c = 0; c < n; ++c) {
        switch (sqlite3_column_type(stmt, c)) {
            case SQLITE_INTEGER:
                values.emplace_back(static_cast<std::int64_t>(sqlite3_column_int64(stmt, c)));
                break;
            case SQLITE_NULL:
                values.emplace_back(nullptr);
                break;
            case SQLITE_BLOB: {
                const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt, c));
                const auto len = static_cast<std::size_t>(sqlite3_column_bytes(stmt, c));
                values.emplace_back(p ? Bytes(p, p + len) : Bytes());
                break;
            }
            default: {  // TEXT, and FLOAT as its text form (no float type in our schema)
                const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
                const auto len = static_cast<std::size_t>(sqlite3_column_bytes(stmt, c));
                values.emplace_back(p ? std::string(p, len) : std::string());
                break;
            }
        }
    }
    return Row(std::move(values));
}

// A one-holder gate that any thread may release: a binary semaphore built on a mutex and a
// condition variable. (libstdc++ 12's std::binary_semaphore::try_acquire_for polls with sleeps,
// which put milliseconds of idle latency on every contended write.)
class WriterGate {
  public:
    template <typename Rep, typename Period>
    bool try_acquire_for(std::chrono::duration<Rep, Period> timeout) {
        std::unique_lock lock(mutex_);
        if (!cv_.wait_for(lock, timeout, [this] { return !held_; })) return false;
        held_ = true;
        return true;
    }
    void release() {
        {
            std::lock_guard lock(mutex_);
            held_ = false;
        }
        cv_.notify_one();
    }

  private:
    std::mutex mutex_;
    std::condition_variable cv_;
    bool held_ = false;  // GUARDED_BY(mutex_)
};

class SqliteDatabase;

class SqliteTransaction final : public Transaction {
  public:
    SqliteTransaction(SqliteDatabase* db, std::unique_ptr<SqliteConnection> conn, bool write)
        : db_(db), conn_(std::move(conn)), write_(write) {}
    ~SqliteTransaction() override {
        if (state_ != State::kDone) Finish(Rollback());
    }

    Result<std::int64_t> Exec(std::string_view sql, const std::vector<Value>& params) override {
        return Run(sql, params, nullptr);
    }

    Result<std::vector<Row>> Query(std::string_view sql,
                                   const std::vector<Value>& params) override {
        std::vector<Row> rows;
        GZCA_TRY_STATUS(Run(sql, params, &rows));
        return rows;
    }

    Status Commit() override {
        if (state_ == State::kDone) {
            return Fail(DbError(ErrorCode::kInternal, "sqlite: Commit on a finished transaction"));
        }
        if (state_ == State::kFailed) {
            Finish(Rollback());
            return Fail(DbError(ErrorCode::kInternal,
                                "sqlite: Commit after a failed statement; rolled back"));
        }
        auto done = conn_->Run("COMMIT");
        if (!done) {
            Finish(Rollback());  // a failed COMMIT may leave the transaction open
            return Fail(std::move(done).error().Context("commit"));
        }
        Finish(true);
        return Ok();
    }

  private:
    enum class State { kOpen, kFailed, kDone };

    Result<std::int64_t> Run(std::string_view sql, const std::vector<Value>& params,
                             std::vector<Row>* rows) {
        if (state_ != State::kOpen) {
            return Fail(DbError(ErrorCode::kInternal,
                                state_ == State::kFailed
                                    ? "sqlite: transaction unusable after a failed statement"
                                    : "sqlite: statement on a finished transaction"));
        }
        auto result = RunStatement(sql, params, rows);
        if (!result) state_ = State::kFailed;  // same contract as PostgreSQL: the tx is spent
        return result;
    }

    Result<std::int64_t> RunStatement(std::string_view sql, const std::vector<Value>& params,
                                      std::vector<Row>* rows) {
        sqlite3* db = conn_->db();
        GZCA_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, conn_->Prepare(sql));
        StatementReset reset(stmt);
        const bool read_only = sqlite3_stmt_readonly(stmt) != 0;
        if (!write_ && !read_only) {
            return Fail(
                DbError(ErrorCode::kInternal,
                        "sqlite: write statement in a read transaction: " + SqlForLog(sql)));
        }
        GZCA_TRY_STATUS(Bind(db, stmt, params, sql));
        const auto changes_before = sqlite3_total_changes64(db);
        int rc;
        while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
            if (rows) rows->push_back(ReadRow(stmt));
        }
        if (rc != SQLITE_DONE) return Fail(SqliteError(db, rc, sql));
        // changes64() keeps the count of the last INSERT/UPDATE/DELETE, so only trust it when
        // this statement changed something.
        if (read_only || sqlite3_total_changes64(db) == changes_before) return std::int64_t{0};
        return static_cast<std::int64_t>(sqlite3_changes64(db));
    }

    // Rolls back if SQLite still has the transaction open; true if the connection is clean.
    bool Rollback() {
        if (!conn_->InTransaction()) return true;
        return conn_->Run("ROLLBACK").has_value() && !conn_->InTransaction();
    }

    void Finish(bool reusable);

    SqliteDatabase* db_;
    std::unique_ptr<SqliteConnection> conn_;
    const bool write_;
    State state_ = State::kOpen;
};

class SqliteDatabase final : public Database {
  public:
    SqliteDatabase(std::string path, int pool_size) : path_(std::move(path)), pool_(pool_size) {}

    Dialect dialect() const override { return Dialect::kSqlite; }

    Result<std::unique_ptr<Transaction>> Begin(bool write) override {
        // Writers of this process take turns here rather than in SQLite's sleeping busy handler.
        if (write && !writer_gate_.try_acquire_for(kAcquireTimeout)) {
            return Fail(DbError(ErrorCode::kUnavailable,
                                "sqlite: another write transaction of this process held the "
                                "write lock past the timeout"));
        }
        auto conn = Acquire();
        if (!conn) {
            if (write) writer_gate_.release();
            return Fail(std::move(conn).error());
        }
        auto begun = (*conn)->Run(write ? "BEGIN IMMEDIATE" : "BEGIN");
        if (!begun) {
            const bool clean = !(*conn)->InTransaction();
            pool_.Release(std::move(*conn), clean);
            if (write) writer_gate_.release();
            return Fail(std::move(begun).error().Context("begin"));
        }
        return std::unique_ptr<Transaction>(
            std::make_unique<SqliteTransaction>(this, std::move(*conn), write));
    }

    Result<std::unique_ptr<SqliteConnection>> Acquire() {
        return pool_.Acquire([this] { return SqliteConnection::Open(path_); });
    }

    void Release(std::unique_ptr<SqliteConnection> conn, bool reusable, bool write) {
        pool_.Release(std::move(conn), reusable);
        if (write) writer_gate_.release();
    }

  private:
    const std::string path_;
    ConnectionPool<SqliteConnection> pool_;
    // Held by the one write transaction of this process; released from whichever thread ends
    // it (unlike a mutex, the gate allows that).
    WriterGate writer_gate_;
};

void SqliteTransaction::Finish(bool reusable) {
    state_ = State::kDone;
    db_->Release(std::move(conn_), reusable, write_);
}

}  // namespace

Result<std::unique_ptr<Database>> OpenSqlite(const std::string& path, int pool_size) {
    auto db = std::make_unique<SqliteDatabase>(path, pool_size);
    // Open one connection now: creates the file, switches it to WAL, reports a bad path early.
    GZCA_ASSIGN_OR_RETURN(auto conn, db->Acquire());
    db->Release(std::move(conn), /*reusable=*/true, /*write=*/false);
    return std::unique_ptr<Database>(std::move(db));
}

}  // namespace gzca::store::internal
