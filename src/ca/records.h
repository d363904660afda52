#pragma once
// Values the CA engine reads and writes: issuers and certificate records.
// Thread-safety: plain values.

#include <cstdint>
#include <optional>
#include <string>

#include "base/bytes.h"
#include "base/clock.h"
#include "pki/crl.h"

namespace gzca::ca {

// Roles of the CA certificates gzca holds keys for.
enum class IssuerRole { kRoot, kIssuing, kOcspSigner };
std::string_view IssuerRoleName(IssuerRole role);  // "root", "issuing", "ocsp"

struct IssuerRecord {
    std::int64_t id = 0;
    std::string name;  // "<hierarchy>-root", "<hierarchy>-issuing", "<hierarchy>-ocsp"
    IssuerRole role = IssuerRole::kIssuing;
    std::optional<std::int64_t> parent_id;
    std::string algorithm;  // crypto::KeyAlgorithmName
    std::string subject;    // RFC 4514
    std::string serial;     // hex
    Bytes cert_der;
    std::string key_ref;  // "file:<path relative to data dir>" or "pkcs11:<RFC 7512 URI>"
    TimePoint not_after;
};

// Stored status. "expired" is never stored: it is derived from not_after (EffectiveStatus).
enum class CertStatus { kPending, kIssued, kAborted, kRevoked };
std::string_view CertStatusName(CertStatus s);  // "pending", "issued", "aborted", "revoked"

struct CertificateRecord {
    std::int64_t id = 0;
    std::int64_t issuer_id = 0;
    std::string issuer_name;
    std::string serial;  // lower-case hex
    CertStatus status = CertStatus::kPending;
    std::string profile;
    std::string subject;  // RFC 4514
    std::string key_algorithm;
    std::string spki_sha256;  // hex; identifies the key across renewals
    std::string sm2_id;       // which SM2 ID proved the CSR ("" when not SM2 or no CSR)
    TimePoint not_before;
    TimePoint not_after;
    Bytes der;  // empty unless issued/revoked
    std::optional<std::int64_t> replaces_id;
    std::string replaces_serial;  // "" when none
    std::optional<TimePoint> revoked_at;
    std::optional<pki::RevocationReason> revocation_reason;

    // "valid", "expired", "revoked", "superseded" (revoked for reason superseded), "pending",
    // "aborted" — what a person asks about.
    std::string EffectiveStatus(TimePoint now) const;
};

}  // namespace gzca::ca
