#pragma once
// Internal to the store module: the two drivers behind Database::Open, and helpers they share.
// Not part of the module's contract; other modules include store/database.h only.
//
// Thread-safety: free functions; the databases they return are shared by all threads.

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "base/error.h"
#include "store/database.h"

namespace gzca::store::internal {

// How long Begin() waits for a free pooled connection (and, on SQLite, for this process's other
// writer) before reporting kUnavailable. Matches SQLite's busy_timeout.
inline constexpr std::chrono::milliseconds kAcquireTimeout{10000};

// Opens (creating if absent) the SQLite file at `path` in WAL mode. kUnavailable when the file
// cannot be opened — in particular when its directory does not exist (never created for you).
Result<std::unique_ptr<Database>> OpenSqlite(const std::string& path, int pool_size);

// Connects to PostgreSQL with a libpq URI or key=value string. kUnavailable when the server is
// unreachable or the string is malformed.
Result<std::unique_ptr<Database>> OpenPostgres(const std::string& conninfo, int pool_size);

// Public messages: generic, never driver or SQL text.
inline constexpr std::string_view kPublicDatabaseError = "database error";
inline constexpr std::string_view kPublicUnavailable = "database unavailable";
inline constexpr std::string_view kPublicAlreadyExists = "record already exists";

inline std::string_view PublicMessageFor(ErrorCode code) {
    switch (code) {
        case ErrorCode::kAlreadyExists:
            return kPublicAlreadyExists;
        case ErrorCode::kUnavailable:
            return kPublicUnavailable;
        default:
            return kPublicDatabaseError;
    }
}

// An Error whose public message is the generic one for `code`.
inline Error DbError(ErrorCode code, std::string internal) {
    return Error{code, std::move(internal), std::string(PublicMessageFor(code))};
}

// For internal messages: the SQL, shortened so one log line stays readable.
inline std::string SqlForLog(std::string_view sql) {
    constexpr std::size_t kMax = 300;
    std::string out;
    out.reserve(std::min(sql.size(), kMax) + 3);
    bool space = false;
    for (char c : sql) {
        if (out.size() >= kMax) {
            out += "...";
            break;
        }
        if (c == '\n' || c == '\t' || c == '\r' || c == ' ') {
            space = !out.empty();
            continue;
        }
        if (space) out += ' ';
        space = false;
        out += c;
    }
    return out;
}

// Text parameters may not contain NUL: PostgreSQL rejects it and libpq would silently truncate,
// so both drivers refuse it the same way.
inline bool HasNul(std::string_view s) { return s.find('\0') != std::string_view::npos; }

}  // namespace gzca::store::internal
