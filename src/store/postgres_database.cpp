// The PostgreSQL driver (libpq).
//
// Statements go through PQexecParams (extended protocol: one statement, parameters never
// spliced into SQL text). Parameters: blobs in binary as bytea; integers and text in text format
// with type "unknown", so the server infers each parameter's type from its use exactly as it
// would for a literal (an integer can then feed an INTEGER or BIGINT column, or a comparison).
// Results come back in binary and are decoded by column type.
//
// A connection that failed (lost, server restarted, or left mid-transaction) is closed rather
// than returned to the pool; the next Begin() opens a fresh one.

#include <libpq-fe.h>
#include <spdlog/spdlog.h>

#include <array>
#include <bit>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/database.h"
#include "store/drivers.h"
#include "store/pool.h"

namespace gzca::store::internal {
namespace {

// Type OIDs from PostgreSQL's pg_type catalogue (stable across versions).
constexpr Oid kBoolOid = 16;
constexpr Oid kByteaOid = 17;
constexpr Oid kCharOid = 18;
constexpr Oid kNameOid = 19;
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;
constexpr Oid kTextOid = 25;
constexpr Oid kOidOid = 26;
constexpr Oid kJsonOid = 114;
constexpr Oid kXmlOid = 142;
constexpr Oid kFloat4Oid = 700;
constexpr Oid kFloat8Oid = 701;
constexpr Oid kUnknownOid = 705;
constexpr Oid kBpcharOid = 1042;
constexpr Oid kVarcharOid = 1043;
constexpr Oid kNumericOid = 1700;
constexpr Oid kVoidOid = 2278;
constexpr Oid kUuidOid = 2950;
constexpr Oid kJsonbOid = 3802;

constexpr int kTextFormat = 0;
constexpr int kBinaryFormat = 1;

struct ConnFinisher {
    void operator()(PGconn* conn) const { PQfinish(conn); }
};
struct ResultClearer {
    void operator()(PGresult* res) const { PQclear(res); }
};
using ConnPtr = std::unique_ptr<PGconn, ConnFinisher>;
using ResultPtr = std::unique_ptr<PGresult, ResultClearer>;

std::string TrimMessage(const char* msg) {
    std::string s = msg ? msg : "";
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    for (char& c : s) {
        if (c == '\n') c = ' ';
    }
    return s;
}

ErrorCode CodeForSqlState(std::string_view state) {
    if (state == "23505") return ErrorCode::kAlreadyExists;  // unique_violation
    // Connection exceptions, insufficient resources (disk full, too many connections),
    // operator intervention (shutdown, cancel), and the retryable transaction conflicts.
    if (state.starts_with("08") || state.starts_with("53") || state.starts_with("57") ||
        state == "40001" || state == "40P01" || state == "55P03") {
        return ErrorCode::kUnavailable;
    }
    return ErrorCode::kInternal;
}

// The error of a failed command; `res` may be null (libpq could not even produce a result).
Error PgError(PGconn* conn, const PGresult* res, std::string_view sql) {
    const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
    ErrorCode code = ErrorCode::kInternal;
    if (PQstatus(conn) != CONNECTION_OK) {
        code = ErrorCode::kUnavailable;
    } else if (state) {
        code = CodeForSqlState(state);
    }
    std::string internal = "postgres: ";
    if (state) internal += std::string("[") + state + "] ";
    const char* msg = res ? PQresultErrorMessage(res) : nullptr;
    internal += TrimMessage(msg && *msg ? msg : PQerrorMessage(conn));
    if (!sql.empty()) internal += " in: " + SqlForLog(sql);
    return DbError(code, std::move(internal));
}

void LogNotice(void* /*arg*/, const char* message) {
    spdlog::debug("postgres notice: {}", TrimMessage(message));
}

// --- Binary result decoding -------------------------------------------------------------------

std::uint64_t ReadBigEndian(const char* p, int n) {
    std::uint64_t v = 0;
    for (int i = 0; i < n; ++i) v = (v << 8) | static_cast<std::uint8_t>(p[i]);
    return v;
}

Error DecodeError(std::string what) {
    return DbError(ErrorCode::kInternal, "postgres: cannot decode result: " + std::move(what));
}

template <typename F>
std::string FloatText(F f) {
    std::array<char, 64> buf{};
    auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), f);
    return std::string(buf.data(), ec == std::errc() ? end : buf.data());
}

// numeric's binary form: int16 ndigits, int16 weight, uint16 sign, int16 dscale, then ndigits
// base-10000 digits, most significant first; value = sum digit[i] * 10000^(weight - i).
// Integral values that fit (sum(), count() over BIGINT) become integers, others decimal text.
Result<Value> DecodeNumeric(const char* p, int len) {
    if (len < 8) return Fail(DecodeError("short numeric"));
    const int ndigits = static_cast<std::int16_t>(ReadBigEndian(p, 2));
    const int weight = static_cast<std::int16_t>(ReadBigEndian(p + 2, 2));
    const auto sign = static_cast<std::uint16_t>(ReadBigEndian(p + 4, 2));
    const int dscale = static_cast<std::int16_t>(ReadBigEndian(p + 6, 2));
    if (ndigits < 0 || dscale < 0 || len != 8 + 2 * ndigits) {
        return Fail(DecodeError("malformed numeric"));
    }
    if (sign == 0xC000) return Value(std::string("NaN"));
    if (sign == 0xD000) return Value(std::string("Infinity"));
    if (sign == 0xF000) return Value(std::string("-Infinity"));
    const bool negative = sign == 0x4000;
    auto digit = [&](int i) -> int {
        return i >= 0 && i < ndigits ? static_cast<int>(ReadBigEndian(p + 8 + 2 * i, 2)) : 0;
    };

    if (dscale == 0 && ndigits <= weight + 1) {
        std::uint64_t magnitude = 0;
        bool overflow = false;
        for (int i = 0; i <= weight && !overflow; ++i) {
            overflow =
                __builtin_mul_overflow(magnitude, std::uint64_t{10000}, &magnitude) ||
                __builtin_add_overflow(magnitude, static_cast<std::uint64_t>(digit(i)), &magnitude);
        }
        constexpr auto kMaxMagnitude = std::uint64_t{1} << 63;
        if (!overflow && (magnitude < kMaxMagnitude || (negative && magnitude == kMaxMagnitude))) {
            if (!negative) return Value(static_cast<std::int64_t>(magnitude));
            return Value(static_cast<std::int64_t>(0 - magnitude));
        }
    }

    std::string out = negative ? "-" : "";
    auto append4 = [&out](int d) {  // one base-10000 digit, zero-padded
        const char buf[4] = {static_cast<char>('0' + d / 1000 % 10),
                             static_cast<char>('0' + d / 100 % 10),
                             static_cast<char>('0' + d / 10 % 10), static_cast<char>('0' + d % 10)};
        out.append(buf, 4);
    };
    if (weight < 0) {
        out += '0';
    } else {
        out += std::to_string(digit(0));
        for (int i = 1; i <= weight; ++i) append4(digit(i));
    }
    if (dscale > 0) {
        out += '.';
        const std::size_t start = out.size();
        for (int i = weight + 1; out.size() - start < static_cast<std::size_t>(dscale); ++i) {
            append4(digit(i));
        }
        out.resize(start + static_cast<std::size_t>(dscale));
    }
    return Value(std::move(out));
}

Result<Value> DecodeBinary(Oid type, const char* p, int len) {
    auto expect_len = [&](int n) -> Status {
        if (len != n) {
            return Fail(DecodeError("type " + std::to_string(type) + " has " + std::to_string(len) +
                                    " bytes"));
        }
        return Ok();
    };
    switch (type) {
        case kInt8Oid:
            GZCA_TRY_STATUS(expect_len(8));
            return Value(static_cast<std::int64_t>(ReadBigEndian(p, 8)));
        case kInt4Oid:
            GZCA_TRY_STATUS(expect_len(4));
            return Value(std::int64_t{static_cast<std::int32_t>(ReadBigEndian(p, 4))});
        case kInt2Oid:
            GZCA_TRY_STATUS(expect_len(2));
            return Value(std::int64_t{static_cast<std::int16_t>(ReadBigEndian(p, 2))});
        case kOidOid:
            GZCA_TRY_STATUS(expect_len(4));
            return Value(static_cast<std::int64_t>(ReadBigEndian(p, 4)));
        case kBoolOid:
            GZCA_TRY_STATUS(expect_len(1));
            return Value(std::int64_t{p[0] != 0});
        case kByteaOid: {
            const auto* b = reinterpret_cast<const std::uint8_t*>(p);
            return Value(Bytes(b, b + len));
        }
        case kTextOid:
        case kVarcharOid:
        case kBpcharOid:
        case kNameOid:
        case kCharOid:
        case kUnknownOid:
        case kJsonOid:
        case kXmlOid:
            return Value(std::string(p, static_cast<std::size_t>(len)));
        case kJsonbOid:  // version byte 1, then the JSON text
            if (len < 1 || p[0] != 1) return Fail(DecodeError("unknown jsonb version"));
            return Value(std::string(p + 1, static_cast<std::size_t>(len - 1)));
        case kNumericOid:
            return DecodeNumeric(p, len);
        case kFloat4Oid:
            GZCA_TRY_STATUS(expect_len(4));
            return Value(
                FloatText(std::bit_cast<float>(static_cast<std::uint32_t>(ReadBigEndian(p, 4)))));
        case kFloat8Oid:
            GZCA_TRY_STATUS(expect_len(8));
            return Value(FloatText(std::bit_cast<double>(ReadBigEndian(p, 8))));
        case kUuidOid: {
            GZCA_TRY_STATUS(expect_len(16));
            static constexpr char kHex[] = "0123456789abcdef";
            std::string s;
            for (int i = 0; i < 16; ++i) {
                if (i == 4 || i == 6 || i == 8 || i == 10) s += '-';
                const auto b = static_cast<std::uint8_t>(p[i]);
                s += kHex[b >> 4];
                s += kHex[b & 0xf];
            }
            return Value(std::move(s));
        }
        case kVoidOid:
            return Value(nullptr);
        default:
            return Fail(DecodeError("unsupported column type OID " + std::to_string(type) +
                                    "; cast it to TEXT or BIGINT in the query"));
    }
}

Result<std::vector<Row>> DecodeRows(const PGresult* res) {
    const int nrows = PQntuples(res);
    const int ncols = PQnfields(res);
    std::vector<Oid> types(static_cast<std::size_t>(ncols));
    for (int c = 0; c < ncols; ++c) types[static_cast<std::size_t>(c)] = PQftype(res, c);
    std::vector<Row> rows;
    rows.reserve(static_cast<std::size_t>(nrows));
    for (int r = 0; r < nrows; ++r) {
        std::vector<Value> values;
        values.reserve(static_cast<std::size_t>(ncols));
        for (int c = 0; c < ncols; ++c) {
            if (PQgetisnull(res, r, c)) {
                values.emplace_back(nullptr);
                continue;
            }
            GZCA_ASSIGN_OR_RETURN(
                Value v, DecodeBinary(types[static_cast<std::size_t>(c)], PQgetvalue(res, r, c),
                                      PQgetlength(res, r, c)));
            values.push_back(std::move(v));
        }
        rows.emplace_back(std::move(values));
    }
    return rows;
}

// --- Parameters -------------------------------------------------------------------------------

// libpq's parallel parameter arrays; pointers refer into the caller's values (or `ints_`), so
// this must not outlive them.
class Params {
  public:
    Status Build(const std::vector<Value>& params) {
        const std::size_t n = params.size();
        values_.resize(n);
        lengths_.assign(n, 0);
        formats_.assign(n, kTextFormat);
        types_.assign(n, 0);  // 0: let the server infer
        ints_.resize(n);      // sized up front: pointers into it stay valid
        for (std::size_t i = 0; i < n; ++i) {
            const Value& v = params[i];
            if (std::holds_alternative<std::nullptr_t>(v)) {
                values_[i] = nullptr;
            } else if (const auto* num = std::get_if<std::int64_t>(&v)) {
                auto& buf = ints_[i];
                auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size() - 1, *num);
                *end = '\0';
                values_[i] = buf.data();
            } else if (const auto* s = std::get_if<std::string>(&v)) {
                if (HasNul(*s)) {
                    return Fail(
                        ErrorCode::kInvalidArgument,
                        "text parameter " + std::to_string(i + 1) + " contains a NUL character");
                }
                values_[i] = s->c_str();
            } else {
                const auto& b = std::get<Bytes>(v);
                // A null pointer would mean SQL NULL, so an empty blob points at "".
                values_[i] = b.empty() ? "" : reinterpret_cast<const char*>(b.data());
                lengths_[i] = static_cast<int>(b.size());
                formats_[i] = kBinaryFormat;
                types_[i] = kByteaOid;
            }
        }
        return Ok();
    }

    int size() const { return static_cast<int>(values_.size()); }
    const Oid* types() const { return types_.data(); }
    const char* const* values() const { return values_.data(); }
    const int* lengths() const { return lengths_.data(); }
    const int* formats() const { return formats_.data(); }

  private:
    std::vector<const char*> values_;
    std::vector<int> lengths_;
    std::vector<int> formats_;
    std::vector<Oid> types_;
    std::vector<std::array<char, 24>> ints_;
};

// --- Connections and transactions -------------------------------------------------------------

class PgConnection {
  public:
    static Result<std::unique_ptr<PgConnection>> Open(const std::string& conninfo) {
        // `dbname` is expanded as a URI or key=value string; keywords before it are defaults it
        // may override, keywords after it are forced.
        const char* const keys[] = {"connect_timeout", "fallback_application_name", "dbname",
                                    "client_encoding", nullptr};
        const char* const values[] = {"10", "gzca", conninfo.c_str(), "UTF8", nullptr};
        ConnPtr conn(PQconnectdbParams(keys, values, /*expand_dbname=*/1));
        if (!conn) {
            return Fail(DbError(ErrorCode::kUnavailable, "postgres: cannot allocate connection"));
        }
        if (PQstatus(conn.get()) != CONNECTION_OK) {
            return Fail(
                DbError(ErrorCode::kUnavailable,
                        "postgres: connection failed: " + TrimMessage(PQerrorMessage(conn.get()))));
        }
        PQsetNoticeProcessor(conn.get(), LogNotice, nullptr);
        return std::unique_ptr<PgConnection>(new PgConnection(std::move(conn)));
    }

    PGconn* get() const { return conn_.get(); }

    // Runs a parameterless command (BEGIN, COMMIT, ROLLBACK); returns its command tag.
    Result<std::string> Command(const char* sql) {
        ResultPtr res(PQexec(conn_.get(), sql));
        if (!res || PQresultStatus(res.get()) != PGRES_COMMAND_OK) {
            return Fail(PgError(conn_.get(), res.get(), sql));
        }
        return std::string(PQcmdStatus(res.get()));
    }

    // Clean enough to go back to the pool: connected and outside any transaction.
    bool Reusable() const {
        return PQstatus(conn_.get()) == CONNECTION_OK &&
               PQtransactionStatus(conn_.get()) == PQTRANS_IDLE;
    }

  private:
    explicit PgConnection(ConnPtr conn) : conn_(std::move(conn)) {}
    ConnPtr conn_;
};

class PostgresDatabase;

class PostgresTransaction final : public Transaction {
  public:
    PostgresTransaction(PostgresDatabase* db, std::unique_ptr<PgConnection> conn)
        : db_(db), conn_(std::move(conn)) {}
    ~PostgresTransaction() override {
        if (state_ != State::kDone) Finish(Rollback());
    }

    Result<std::int64_t> Exec(std::string_view sql, const std::vector<Value>& params) override {
        GZCA_ASSIGN_OR_RETURN(ResultPtr res, Run(sql, params));
        // A SELECT's tag counts rows returned, not changed.
        if (std::string_view(PQcmdStatus(res.get())).starts_with("SELECT")) return std::int64_t{0};
        const char* tuples = PQcmdTuples(res.get());
        std::int64_t n = 0;
        if (tuples && *tuples) std::from_chars(tuples, tuples + std::strlen(tuples), n);
        return n;
    }

    Result<std::vector<Row>> Query(std::string_view sql,
                                   const std::vector<Value>& params) override {
        GZCA_ASSIGN_OR_RETURN(ResultPtr res, Run(sql, params));
        auto rows = DecodeRows(res.get());
        if (!rows) {
            state_ = State::kFailed;
            return Fail(std::move(rows).error().Context(SqlForLog(sql)));
        }
        return rows;
    }

    Status Commit() override {
        if (state_ == State::kDone) {
            return Fail(
                DbError(ErrorCode::kInternal, "postgres: Commit on a finished transaction"));
        }
        if (state_ == State::kFailed) {
            Finish(Rollback());
            return Fail(DbError(ErrorCode::kInternal,
                                "postgres: Commit after a failed statement; rolled back"));
        }
        auto tag = conn_->Command("COMMIT");
        if (!tag) {
            Error e = std::move(tag).error();
            // The server may or may not have committed before the connection went away.
            if (e.code == ErrorCode::kUnavailable) e.Context("commit outcome unknown");
            Finish(Rollback());
            return Fail(std::move(e));
        }
        // COMMIT of a transaction the server already aborted answers "ROLLBACK".
        if (*tag != "COMMIT") {
            Finish(Rollback());
            return Fail(DbError(ErrorCode::kInternal, "postgres: COMMIT answered " + *tag));
        }
        Finish(true);
        return Ok();
    }

  private:
    enum class State { kOpen, kFailed, kDone };

    Result<ResultPtr> Run(std::string_view sql, const std::vector<Value>& params) {
        if (state_ != State::kOpen) {
            return Fail(DbError(ErrorCode::kInternal,
                                state_ == State::kFailed
                                    ? "postgres: transaction unusable after a failed statement"
                                    : "postgres: statement on a finished transaction"));
        }
        Params p;
        if (auto built = p.Build(params); !built) {
            state_ = State::kFailed;
            return Fail(std::move(built).error());
        }
        const std::string text(sql);
        ResultPtr res(PQexecParams(conn_->get(), text.c_str(), p.size(), p.types(), p.values(),
                                   p.lengths(), p.formats(), kBinaryFormat));
        const auto status = res ? PQresultStatus(res.get()) : PGRES_FATAL_ERROR;
        if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
            state_ = State::kFailed;  // the server aborted the transaction
            return Fail(PgError(conn_->get(), res.get(), sql));
        }
        return res;
    }

    // Rolls back if the server still has a transaction open; true if the connection is clean.
    bool Rollback() {
        if (PQstatus(conn_->get()) != CONNECTION_OK) return false;
        if (PQtransactionStatus(conn_->get()) == PQTRANS_IDLE) return true;
        return conn_->Command("ROLLBACK").has_value() && conn_->Reusable();
    }

    void Finish(bool reusable);

    PostgresDatabase* db_;
    std::unique_ptr<PgConnection> conn_;
    State state_ = State::kOpen;
};

class PostgresDatabase final : public Database {
  public:
    PostgresDatabase(std::string conninfo, int pool_size)
        : conninfo_(std::move(conninfo)), pool_(pool_size) {}

    Dialect dialect() const override { return Dialect::kPostgres; }

    Result<std::unique_ptr<Transaction>> Begin(bool write) override {
        // A pooled connection may have died while idle (server restart, idle timeout); that
        // shows only when used, so one failure on a pooled connection is retried on a new one.
        for (int attempt = 0;; ++attempt) {
            bool fresh = false;
            GZCA_ASSIGN_OR_RETURN(auto conn, Acquire(&fresh));
            auto begun = conn->Command(write ? "BEGIN" : "BEGIN READ ONLY");
            if (begun) {
                return std::unique_ptr<Transaction>(
                    std::make_unique<PostgresTransaction>(this, std::move(conn)));
            }
            const bool reusable = conn->Reusable();
            Release(std::move(conn), reusable);
            if (fresh || attempt > 0 || begun.error().code != ErrorCode::kUnavailable) {
                return Fail(std::move(begun).error().Context("begin"));
            }
        }
    }

    Result<std::unique_ptr<PgConnection>> Acquire(bool* fresh) {
        for (;;) {
            GZCA_ASSIGN_OR_RETURN(
                auto conn, pool_.Acquire([this] { return PgConnection::Open(conninfo_); }, fresh));
            if (PQstatus(conn->get()) == CONNECTION_OK) return conn;
            pool_.Release(std::move(conn), /*reusable=*/false);  // known dead: drop, try again
        }
    }

    void Release(std::unique_ptr<PgConnection> conn, bool reusable) {
        const bool clean = reusable && conn->Reusable();
        pool_.Release(std::move(conn), clean);
    }

  private:
    const std::string conninfo_;
    ConnectionPool<PgConnection> pool_;
};

void PostgresTransaction::Finish(bool reusable) {
    state_ = State::kDone;
    db_->Release(std::move(conn_), reusable);
}

}  // namespace

Result<std::unique_ptr<Database>> OpenPostgres(const std::string& conninfo, int pool_size) {
    auto db = std::make_unique<PostgresDatabase>(conninfo, pool_size);
    // Connect once now so a bad URL or an unreachable server is reported at start-up.
    bool fresh = false;
    GZCA_ASSIGN_OR_RETURN(auto conn, db->Acquire(&fresh));
    db->Release(std::move(conn), /*reusable=*/true);
    return std::unique_ptr<Database>(std::move(db));
}

}  // namespace gzca::store::internal
