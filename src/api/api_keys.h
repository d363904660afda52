#pragma once
// API credentials: bearer keys ("gzca_<key_id>_<secret>", shown once at creation, stored as
// SHA-256 of the secret) and TLS client certificates bound to scopes. Every API handler
// authenticates through Authenticate() and checks one scope.
//
// Thread-safety: all methods may be called concurrently (state lives in the database).

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/error.h"
#include "ca/authority.h"
#include "store/database.h"

namespace gzca::api {

enum class Scope { kRead, kIssue, kRevoke };
// "certificates:read", "certificates:issue", "certificates:revoke".
std::string_view ScopeName(Scope s);
// Comma-separated scope names; "all" = every scope. kInvalidArgument on an unknown name.
Result<std::set<Scope>> ParseScopes(std::string_view csv);

struct Principal {
    std::string key_id;
    std::string name;
    std::set<Scope> scopes;
};

struct ApiKeyInfo {
    std::string key_id;
    std::string name;
    std::set<Scope> scopes;
    std::string client_cert_serial;  // "" for bearer keys
    TimePoint created_at;
    std::optional<TimePoint> revoked_at;
};

class ApiKeyStore {
  public:
    ApiKeyStore(store::Database& db, const Clock& clock) : db_(db), clock_(clock) {}

    // Creates a bearer key; returns it with the full token (the only time it is visible).
    Result<std::pair<ApiKeyInfo, std::string>> CreateBearer(std::string_view name,
                                                            const std::set<Scope>& scopes);
    // Authorises TLS clients presenting the certificate with this serial (issued by this CA).
    Result<ApiKeyInfo> CreateForClientCert(std::string_view name, const std::set<Scope>& scopes,
                                           std::string_view cert_serial);
    Result<std::vector<ApiKeyInfo>> List();
    // kNotFound for an unknown key, kFailedPrecondition when already revoked.
    Status Revoke(std::string_view key_id);

    // Who is calling: a bearer token in `authorization` ("Bearer gzca_..."), else the TLS
    // client certificate (DER) — which must be a certificate this CA issued, unrevoked and
    // unexpired, bound to a key. kUnauthenticated with one message for every failure (no
    // oracle telling which keys exist).
    Result<Principal> Authenticate(std::optional<std::string_view> authorization,
                                   const Bytes* client_cert_der, ca::CertificateAuthority& ca);

  private:
    store::Database& db_;
    const Clock& clock_;
};

}  // namespace gzca::api
