#include "api/api_keys.h"

#include <fmt/format.h>

#include "crypto/signer.h"
#include "pki/certificate.h"

namespace gzca::api {

namespace {

constexpr std::string_view kTokenPrefix = "gzca_";

std::string JoinScopes(const std::set<Scope>& scopes) {
    std::string out;
    for (auto s : scopes) out += (out.empty() ? "" : ",") + std::string(ScopeName(s));
    return out;
}

Error BadCredentials() {
    return Error{ErrorCode::kUnauthenticated, "API credentials rejected",
                 "missing or invalid API credentials"};
}

Result<ApiKeyInfo> InfoFromRow(const store::Row& r) {
    ApiKeyInfo info;
    info.key_id = r.Text(0);
    info.name = r.Text(1);
    GZCA_ASSIGN_OR_RETURN(info.scopes, ParseScopes(r.Text(2)));
    info.client_cert_serial = r.OptText(3).value_or("");
    info.created_at = FromUnix(r.Int(4));
    if (auto at = r.OptInt(5)) info.revoked_at = FromUnix(*at);
    return info;
}

constexpr std::string_view kColumns =
    "key_id, name, scopes, client_cert_serial, created_at, revoked_at";

}  // namespace

std::string_view ScopeName(Scope s) {
    switch (s) {
        case Scope::kRead:
            return "certificates:read";
        case Scope::kIssue:
            return "certificates:issue";
        case Scope::kRevoke:
            return "certificates:revoke";
    }
    return "certificates:read";
}

Result<std::set<Scope>> ParseScopes(std::string_view csv) {
    std::set<Scope> out;
    std::size_t start = 0;
    while (start <= csv.size()) {
        auto end = csv.find(',', start);
        if (end == std::string_view::npos) end = csv.size();
        auto item = csv.substr(start, end - start);
        while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
        while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
        if (item == "all") {
            out.insert({Scope::kRead, Scope::kIssue, Scope::kRevoke});
        } else if (item == ScopeName(Scope::kRead) || item == "read") {
            out.insert(Scope::kRead);
        } else if (item == ScopeName(Scope::kIssue) || item == "issue") {
            out.insert(Scope::kIssue);
        } else if (item == ScopeName(Scope::kRevoke) || item == "revoke") {
            out.insert(Scope::kRevoke);
        } else {
            return Fail(ErrorCode::kInvalidArgument,
                        fmt::format("unknown scope '{}': use read, issue, revoke or all", item));
        }
        start = end + 1;
    }
    return out;
}

Result<std::pair<ApiKeyInfo, std::string>> ApiKeyStore::CreateBearer(
    std::string_view name, const std::set<Scope>& scopes) {
    if (name.empty() || name.size() > 100) {
        return Fail(ErrorCode::kInvalidArgument, "an API key needs a name of 1-100 characters");
    }
    if (scopes.empty()) return Fail(ErrorCode::kInvalidArgument, "an API key needs scopes");
    ApiKeyInfo info;
    info.key_id = HexEncode(crypto::RandomBytes(8));
    info.name = std::string(name);
    info.scopes = scopes;
    info.created_at = clock_.Now();
    std::string secret = HexEncode(crypto::RandomBytes(32));
    std::string digest = HexEncode(crypto::Sha256(AsBytes(secret)));
    GZCA_ASSIGN_OR_RETURN(auto tx, db_.Begin(true));
    GZCA_TRY_STATUS(
        tx->Exec("INSERT INTO api_keys (key_id, name, scopes, secret_sha256, created_at) "
                 "VALUES ($1, $2, $3, $4, $5)",
                 {info.key_id, info.name, JoinScopes(scopes), digest, ToUnix(info.created_at)}));
    GZCA_TRY_STATUS(tx->Commit());
    return std::pair{info, fmt::format("{}{}_{}", kTokenPrefix, info.key_id, secret)};
}

Result<ApiKeyInfo> ApiKeyStore::CreateForClientCert(std::string_view name,
                                                    const std::set<Scope>& scopes,
                                                    std::string_view cert_serial) {
    if (name.empty() || name.size() > 100) {
        return Fail(ErrorCode::kInvalidArgument, "an API key needs a name of 1-100 characters");
    }
    if (scopes.empty()) return Fail(ErrorCode::kInvalidArgument, "an API key needs scopes");
    GZCA_ASSIGN_OR_RETURN(auto serial_bytes, pki::ParseSerialHex(cert_serial));
    ApiKeyInfo info;
    info.key_id = HexEncode(crypto::RandomBytes(8));
    info.name = std::string(name);
    info.scopes = scopes;
    info.client_cert_serial = HexEncode(serial_bytes);
    info.created_at = clock_.Now();
    GZCA_ASSIGN_OR_RETURN(auto tx, db_.Begin(true));
    auto inserted = tx->Exec(
        "INSERT INTO api_keys (key_id, name, scopes, client_cert_serial, created_at) "
        "VALUES ($1, $2, $3, $4, $5)",
        {info.key_id, info.name, JoinScopes(scopes), info.client_cert_serial,
         ToUnix(info.created_at)});
    if (!inserted) {
        if (inserted.error().code == ErrorCode::kAlreadyExists) {
            return Fail(ErrorCode::kAlreadyExists,
                        "that client certificate is already bound to an API key");
        }
        return Fail(inserted.error());
    }
    GZCA_TRY_STATUS(tx->Commit());
    return info;
}

Result<std::vector<ApiKeyInfo>> ApiKeyStore::List() {
    GZCA_ASSIGN_OR_RETURN(auto tx, db_.Begin(false));
    GZCA_ASSIGN_OR_RETURN(auto rows,
                          tx->Query(fmt::format("SELECT {} FROM api_keys ORDER BY id", kColumns)));
    std::vector<ApiKeyInfo> out;
    for (const auto& r : rows) {
        GZCA_ASSIGN_OR_RETURN(auto info, InfoFromRow(r));
        out.push_back(std::move(info));
    }
    return out;
}

Status ApiKeyStore::Revoke(std::string_view key_id) {
    GZCA_ASSIGN_OR_RETURN(auto tx, db_.Begin(true));
    GZCA_ASSIGN_OR_RETURN(
        auto row,
        tx->QueryOne("SELECT revoked_at FROM api_keys WHERE key_id = $1", {std::string(key_id)}));
    if (!row) return Fail(ErrorCode::kNotFound, fmt::format("no API key '{}'", key_id));
    if (!row->IsNull(0)) {
        return Fail(ErrorCode::kFailedPrecondition,
                    fmt::format("API key '{}' is already revoked", key_id));
    }
    GZCA_TRY_STATUS(tx->Exec("UPDATE api_keys SET revoked_at = $1 WHERE key_id = $2",
                             {ToUnix(clock_.Now()), std::string(key_id)}));
    return tx->Commit();
}

Result<Principal> ApiKeyStore::Authenticate(std::optional<std::string_view> authorization,
                                            const Bytes* client_cert_der,
                                            ca::CertificateAuthority& ca) {
    if (authorization) {
        // RFC 6750 §2.1: "Bearer" is case-insensitive.
        std::string_view v = *authorization;
        if (v.size() < 7 || !(v.substr(0, 7) == "Bearer " || v.substr(0, 7) == "bearer ")) {
            return Fail(BadCredentials());
        }
        v.remove_prefix(7);
        if (!v.starts_with(kTokenPrefix)) return Fail(BadCredentials());
        v.remove_prefix(kTokenPrefix.size());
        auto sep = v.find('_');
        if (sep != 16 || v.size() != 16 + 1 + 64) return Fail(BadCredentials());
        std::string key_id(v.substr(0, sep));
        std::string_view secret = v.substr(sep + 1);
        GZCA_ASSIGN_OR_RETURN(auto tx, db_.Begin(false));
        GZCA_ASSIGN_OR_RETURN(auto row,
                              tx->QueryOne("SELECT name, scopes, secret_sha256 FROM api_keys "
                                           "WHERE key_id = $1 AND revoked_at IS NULL AND "
                                           "secret_sha256 IS NOT NULL",
                                           {key_id}));
        // Hash even when the key is unknown, so timing does not tell which key ids exist.
        std::string digest = HexEncode(crypto::Sha256(AsBytes(secret)));
        if (!row || !ConstantTimeEqual(AsBytes(digest), AsBytes(row->Text(2)))) {
            return Fail(BadCredentials());
        }
        Principal p{key_id, row->Text(0), {}};
        GZCA_ASSIGN_OR_RETURN(p.scopes, ParseScopes(row->Text(1)));
        return p;
    }
    if (client_cert_der && !client_cert_der->empty()) {
        auto cert = pki::ParseCertificate(*client_cert_der);
        if (!cert) return Fail(BadCredentials());
        std::string serial = pki::SerialHex(X509_get0_serialNumber(cert->get()));
        // The certificate must be one this CA issued (byte for byte), still valid.
        auto rec = ca.Find("", serial);
        if (!rec || rec->der != *client_cert_der || rec->EffectiveStatus(clock_.Now()) != "valid") {
            return Fail(BadCredentials());
        }
        GZCA_ASSIGN_OR_RETURN(auto tx, db_.Begin(false));
        GZCA_ASSIGN_OR_RETURN(auto row,
                              tx->QueryOne("SELECT key_id, name, scopes FROM api_keys "
                                           "WHERE client_cert_serial = $1 AND revoked_at IS NULL",
                                           {serial}));
        if (!row) return Fail(BadCredentials());
        Principal p{row->Text(0), row->Text(1), {}};
        GZCA_ASSIGN_OR_RETURN(p.scopes, ParseScopes(row->Text(2)));
        return p;
    }
    return Fail(BadCredentials());
}

}  // namespace gzca::api
