#pragma once
// Browser sessions (DESIGN.md §7), kept in the database so that a restart logs nobody out and
// several nodes share them.
//
// A session id is 256 random bits sent as the cookie value (64 hex characters); only its
// SHA-256 is stored. Every visitor gets an anonymous session (principal_id empty) carrying a
// CSRF token, so the login forms are protected too; logging in rotates to a new id (no session
// fixation) and a new CSRF token. Sessions end after `idle` without use or `absolute` after
// creation, whichever comes first.
//
// Thread-safety: a SessionStore is stateless beyond its references; all methods may be called
// concurrently.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "base/clock.h"
#include "base/error.h"
#include "store/database.h"

namespace gzca::auth {

enum class SessionKind { kSubscriber, kOperator };
std::string_view SessionKindName(SessionKind kind);  // "subscriber", "operator"

struct Session {
    std::string id_sha256;  // hex; the row key
    SessionKind kind = SessionKind::kSubscriber;
    std::optional<std::int64_t> principal_id;  // the subscriber/operator; empty = anonymous
    std::string csrf_token;                    // 64 hex characters
    TimePoint created_at;
    TimePoint last_seen_at;
    TimePoint expires_at;  // absolute end

    bool logged_in() const { return principal_id.has_value(); }
};

struct SessionPolicy {
    std::chrono::seconds idle{30 * 60};
    std::chrono::seconds absolute{12 * 3600};
    // last_seen_at is written at most this often (a write per request would serialise reads).
    std::chrono::seconds touch_interval{60};
};

// A new session and the cookie value that names it (shown once; only its hash is stored).
struct IssuedSession {
    Session session;
    std::string cookie_value;
};

class SessionStore {
  public:
    SessionStore(store::Database& db, const Clock& clock, SessionPolicy policy = {})
        : db_(db), clock_(clock), policy_(policy) {}

    // A new anonymous session of `kind`.
    Result<IssuedSession> CreateAnonymous(SessionKind kind, std::string_view remote_address);

    // The live session named by `cookie_value`, or nullopt when the value is malformed, unknown,
    // idle too long or past its absolute end (expired rows are deleted on sight).
    Result<std::optional<Session>> Find(std::string_view cookie_value);

    // Logs in: ends the session named by `old_cookie_value` (if any) and creates a new one for
    // `principal_id`, in one transaction.
    Result<IssuedSession> Rotate(std::string_view old_cookie_value, SessionKind kind,
                                 std::int64_t principal_id, std::string_view remote_address);

    // Ends the session (logout). Ok when it does not exist.
    Status Destroy(std::string_view cookie_value);

    // Deletes ended sessions; returns how many.
    Result<std::int64_t> PurgeExpired();

    const SessionPolicy& policy() const { return policy_; }

  private:
    Result<IssuedSession> Insert(store::Transaction& tx, SessionKind kind,
                                 std::optional<std::int64_t> principal_id,
                                 std::string_view remote_address);

    store::Database& db_;
    const Clock& clock_;
    SessionPolicy policy_;
};

// Constant-time comparison of the request's X-CSRF-Token value with the session's token.
bool CsrfTokenMatches(const Session& session, std::optional<std::string_view> presented);

}  // namespace gzca::auth
