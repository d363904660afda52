#pragma once
// Error values and Result<T>: how every module reports failures with an outside cause.
//
// An Error carries a code (what kind of failure), an internal message (for logs: may contain
// OpenSSL or SQL text, paths, identifiers) and a public message (safe to show a user or send in
// an HTTP body). Code that builds an Error from a library failure puts the library's text in
// `internal` only. Broken invariants throw instead; they are caught at session and job edges.
//
// Thread-safety: plain values; copy freely.

#include <string>
#include <string_view>
#include <utility>

#include <tl/expected.hpp>

namespace gzca {

enum class ErrorCode {
    kInvalidArgument,     // malformed or unacceptable input (bad DER, weak key, bad field)
    kNotFound,            // the thing asked for does not exist
    kAlreadyExists,       // uniqueness violated (duplicate serial, name already taken)
    kFailedPrecondition,  // state forbids it (revoking a revoked certificate, locked token)
    kPermissionDenied,    // authenticated but not allowed
    kUnauthenticated,     // missing or wrong credentials (wrong passphrase, wrong PIN)
    kResourceExhausted,   // limits (rate limit, body too large)
    kUnavailable,         // a dependency is down (database, token absent); may succeed later
    kInternal,            // our bug or an unexpected library failure
};

// Short stable name of a code, e.g. "invalid_argument"; used in JSON errors and logs.
std::string_view ErrorCodeName(ErrorCode code);

// The HTTP status a code maps to (400, 404, 409, 412, 403, 401, 429, 503, 500).
int HttpStatusFor(ErrorCode code);

struct Error {
    ErrorCode code = ErrorCode::kInternal;
    std::string internal;        // for logs only
    std::string public_message;  // safe to show; never contains library text

    // Appends context to the internal message ("while loading CA key: ...").
    Error& Context(std::string_view what) {
        internal = std::string(what) + ": " + internal;
        return *this;
    }
};

template <typename T>
using Result = tl::expected<T, Error>;
using Status = tl::expected<void, Error>;

// Builds an unexpected Error. `public_message` defaults to `internal` — only pass library text
// as `internal` together with an explicit public message.
inline tl::unexpected<Error> Fail(ErrorCode code, std::string internal,
                                  std::string public_message = {}) {
    if (public_message.empty()) public_message = internal;
    return tl::unexpected<Error>(Error{code, std::move(internal), std::move(public_message)});
}

inline tl::unexpected<Error> Fail(Error error) { return tl::unexpected<Error>(std::move(error)); }

inline Status Ok() { return {}; }

}  // namespace gzca

// Propagates an error from an expression yielding Result/Status; otherwise evaluates to nothing.
#define GZCA_TRY_STATUS(expr)                                                            \
    do {                                                                                 \
        auto gzca_try_result_ = (expr);                                                  \
        if (!gzca_try_result_) return ::gzca::Fail(std::move(gzca_try_result_).error()); \
    } while (0)

// Declares `var` from a Result expression, or returns its error.
#define GZCA_TRY_CONCAT_INNER(a, b) a##b
#define GZCA_TRY_CONCAT(a, b) GZCA_TRY_CONCAT_INNER(a, b)
#define GZCA_ASSIGN_OR_RETURN(var, expr) \
    GZCA_ASSIGN_OR_RETURN_IMPL(GZCA_TRY_CONCAT(gzca_try_tmp_, __LINE__), var, expr)
#define GZCA_ASSIGN_OR_RETURN_IMPL(tmp, var, expr)         \
    auto tmp = (expr);                                     \
    if (!tmp) return ::gzca::Fail(std::move(tmp).error()); \
    var = std::move(*tmp)
