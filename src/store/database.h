#pragma once
// The one database interface over SQLite and PostgreSQL.
//
// SQL is written once, in the common subset of both dialects, with PostgreSQL-style positional
// parameters ($1, $2, ...); the SQLite driver maps them. Values are NULL, 64-bit integers, text
// (UTF-8) or blobs (BLOB / BYTEA). Migrations (store/migrations.h) create one schema on both.
//
// Durability: Commit() returns only after the transaction is durable — SQLite in WAL mode with
// synchronous=FULL, PostgreSQL with its default synchronous_commit=on.
//
// Thread-safety: a Database is shared by all threads; it hands out connections from a pool.
// A Transaction belongs to one thread at a time and holds one connection until it ends.

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/bytes.h"
#include "base/error.h"

namespace gzca::store {

using Value = std::variant<std::nullptr_t, std::int64_t, std::string, Bytes>;

// One result row. Accessors convert as the database would not: they throw std::logic_error on
// a type mismatch (a bug in our SQL, not an outside cause).
class Row {
  public:
    explicit Row(std::vector<Value> values) : values_(std::move(values)) {}
    std::size_t size() const { return values_.size(); }
    bool IsNull(std::size_t i) const;
    std::int64_t Int(std::size_t i) const;
    std::optional<std::int64_t> OptInt(std::size_t i) const;
    const std::string& Text(std::size_t i) const;
    std::optional<std::string> OptText(std::size_t i) const;
    const Bytes& Blob(std::size_t i) const;
    const Value& at(std::size_t i) const { return values_.at(i); }

  private:
    std::vector<Value> values_;
};

enum class Dialect { kSqlite, kPostgres };

// A transaction. Rolls back on destruction unless Commit() succeeded.
// Errors: kAlreadyExists on a unique/primary-key violation, kUnavailable when the database is
// unreachable, busy past the timeout or the disk is full, kInternal otherwise. The SQL text and
// driver message go to Error::internal only.
//
// Both dialects behave alike on purpose:
//   - After any failed statement the transaction is spent (PostgreSQL aborts it server-side):
//     later statements fail with kInternal, and Commit() fails and rolls back. To try again
//     (e.g. another serial after kAlreadyExists), begin a new transaction.
//   - A read transaction (Begin(false)) rejects writes with kInternal.
//   - One statement per call. Exec() returns 0 for statements that change no rows (SELECT, DDL).
//   - Text parameters must not contain NUL (kInvalidArgument).
//   - PostgreSQL infers each parameter's type from its use; where it cannot (`$1 IS NULL`,
//     `SELECT $1`), write CAST($1 AS BIGINT) / CAST($1 AS TEXT).
//   - Result columns: integers (also PostgreSQL booleans and integral numerics such as sum())
//     read as int64, text as std::string, BLOB/BYTEA as Bytes. A PostgreSQL column of another
//     type (timestamp, ...) fails with kInternal: cast it in the query.
//   - Commit() failing with kUnavailable on PostgreSQL: the outcome is unknown (the connection
//     dropped during COMMIT).
// A Transaction must not outlive the Database that began it.
class Transaction {
  public:
    virtual ~Transaction() = default;

    // Executes a statement; returns the number of rows changed.
    virtual Result<std::int64_t> Exec(std::string_view sql,
                                      const std::vector<Value>& params = {}) = 0;

    // Runs a query and returns all rows.
    virtual Result<std::vector<Row>> Query(std::string_view sql,
                                           const std::vector<Value>& params = {}) = 0;

    // At most one row; std::nullopt when none. kInternal if more than one.
    Result<std::optional<Row>> QueryOne(std::string_view sql,
                                        const std::vector<Value>& params = {});

    virtual Status Commit() = 0;
};

class Database {
  public:
    virtual ~Database() = default;

    // Opens a database:
    //   "postgresql://..." or "postgres://..." or a libpq key=value string starting with
    //   "host=" / "dbname=" → PostgreSQL;
    //   "sqlite:PATH" or a plain file path → SQLite (file created if absent; WAL).
    // `pool_size` connections at most (SQLite: readers; writes are serialised by SQLite itself
    // with a busy timeout). Does not migrate; call Migrate().
    static Result<std::unique_ptr<Database>> Open(std::string_view url, int pool_size = 4);

    virtual Dialect dialect() const = 0;

    // Starts a transaction. `write` transactions on SQLite take the write lock at BEGIN
    // (BEGIN IMMEDIATE) so they never fail with SQLITE_BUSY half-way.
    // SQLite allows one write transaction at a time: a thread holding one that begins another
    // waits 10 s and gets kUnavailable — never nest write transactions. kUnavailable too when
    // all `pool_size` connections stay in use for 10 s. PostgreSQL: a pooled connection found
    // dead is replaced transparently.
    virtual Result<std::unique_ptr<Transaction>> Begin(bool write = true) = 0;

    // Applies pending migrations (store/migrations.h) in one transaction each; idempotent;
    // safe when several processes start at once.
    Status Migrate();

    // Schema version after Migrate() (0 for an empty database).
    Result<int> SchemaVersion();
};

}  // namespace gzca::store
