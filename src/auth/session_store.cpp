#include "auth/session_store.h"

#include <openssl/crypto.h>

#include "base/bytes.h"
#include "crypto/signer.h"

namespace gzca::auth {
namespace {

constexpr std::size_t kIdBytes = 32;

bool IsLowerHex(std::string_view s) {
    for (char c : s) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    }
    return true;
}

std::string HashCookie(std::string_view cookie_value) {
    return HexEncode(crypto::Sha256(AsBytes(cookie_value)));
}

SessionKind ParseKind(std::string_view s) {
    return s == "operator" ? SessionKind::kOperator : SessionKind::kSubscriber;
}

}  // namespace

std::string_view SessionKindName(SessionKind kind) {
    return kind == SessionKind::kOperator ? "operator" : "subscriber";
}

Result<IssuedSession> SessionStore::Insert(store::Transaction& tx, SessionKind kind,
                                           std::optional<std::int64_t> principal_id,
                                           std::string_view remote_address) {
    const TimePoint now = clock_.Now();
    IssuedSession out;
    out.cookie_value = HexEncode(crypto::RandomBytes(kIdBytes));
    Session& s = out.session;
    s.id_sha256 = HashCookie(out.cookie_value);
    s.kind = kind;
    s.principal_id = principal_id;
    s.csrf_token = HexEncode(crypto::RandomBytes(kIdBytes));
    s.created_at = now;
    s.last_seen_at = now;
    s.expires_at = now + policy_.absolute;
    store::Value principal = nullptr;
    if (principal_id) principal = *principal_id;
    GZCA_TRY_STATUS(
        tx.Exec("INSERT INTO sessions (id_sha256, kind, principal_id, csrf_token, remote_address, "
                "created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $6, $7)",
                {s.id_sha256, std::string(SessionKindName(kind)), principal, s.csrf_token,
                 std::string(remote_address), ToUnix(now), ToUnix(s.expires_at)}));
    return out;
}

Result<IssuedSession> SessionStore::CreateAnonymous(SessionKind kind,
                                                    std::string_view remote_address) {
    GZCA_ASSIGN_OR_RETURN(auto tx, db_.Begin());
    GZCA_ASSIGN_OR_RETURN(IssuedSession issued, Insert(*tx, kind, std::nullopt, remote_address));
    GZCA_TRY_STATUS(tx->Commit());
    return issued;
}

Result<std::optional<Session>> SessionStore::Find(std::string_view cookie_value) {
    if (cookie_value.size() != kIdBytes * 2 || !IsLowerHex(cookie_value)) {
        return std::optional<Session>();
    }
    const std::string id = HashCookie(cookie_value);
    std::optional<store::Row> row;
    {
        GZCA_ASSIGN_OR_RETURN(auto tx, db_.Begin(false));
        GZCA_ASSIGN_OR_RETURN(
            row, tx->QueryOne("SELECT kind, principal_id, csrf_token, created_at, "
                              "last_seen_at, expires_at FROM sessions WHERE id_sha256 = $1",
                              {id}));
    }
    if (!row) return std::optional<Session>();
    Session s;
    s.id_sha256 = id;
    s.kind = ParseKind(row->Text(0));
    s.principal_id = row->OptInt(1);
    s.csrf_token = row->Text(2);
    s.created_at = FromUnix(row->Int(3));
    s.last_seen_at = FromUnix(row->Int(4));
    s.expires_at = FromUnix(row->Int(5));
    const TimePoint now = clock_.Now();
    if (now >= s.expires_at || now - s.last_seen_at >= policy_.idle) {
        GZCA_TRY_STATUS(Destroy(cookie_value));
        return std::optional<Session>();
    }
    if (now - s.last_seen_at >= policy_.touch_interval) {
        GZCA_ASSIGN_OR_RETURN(auto tx, db_.Begin());
        GZCA_TRY_STATUS(tx->Exec("UPDATE sessions SET last_seen_at = $1 WHERE id_sha256 = $2",
                                 {ToUnix(now), id}));
        GZCA_TRY_STATUS(tx->Commit());
        s.last_seen_at = now;
    }
    return std::optional<Session>(std::move(s));
}

Result<IssuedSession> SessionStore::Rotate(std::string_view old_cookie_value, SessionKind kind,
                                           std::int64_t principal_id,
                                           std::string_view remote_address) {
    GZCA_ASSIGN_OR_RETURN(auto tx, db_.Begin());
    if (!old_cookie_value.empty()) {
        GZCA_TRY_STATUS(
            tx->Exec("DELETE FROM sessions WHERE id_sha256 = $1", {HashCookie(old_cookie_value)}));
    }
    GZCA_ASSIGN_OR_RETURN(IssuedSession issued, Insert(*tx, kind, principal_id, remote_address));
    GZCA_TRY_STATUS(tx->Commit());
    return issued;
}

Status SessionStore::Destroy(std::string_view cookie_value) {
    GZCA_ASSIGN_OR_RETURN(auto tx, db_.Begin());
    GZCA_TRY_STATUS(
        tx->Exec("DELETE FROM sessions WHERE id_sha256 = $1", {HashCookie(cookie_value)}));
    return tx->Commit();
}

Result<std::int64_t> SessionStore::PurgeExpired() {
    const std::int64_t now = ToUnix(clock_.Now());
    GZCA_ASSIGN_OR_RETURN(auto tx, db_.Begin());
    GZCA_ASSIGN_OR_RETURN(
        std::int64_t n,
        tx->Exec("DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at <= $2",
                 {now, now - static_cast<std::int64_t>(policy_.idle.count())}));
    GZCA_TRY_STATUS(tx->Commit());
    return n;
}

bool CsrfTokenMatches(const Session& session, std::optional<std::string_view> presented) {
    if (!presented || presented->size() != session.csrf_token.size() ||
        session.csrf_token.empty()) {
        return false;
    }
    return CRYPTO_memcmp(presented->data(), session.csrf_token.data(), presented->size()) == 0;
}

}  // namespace gzca::auth
