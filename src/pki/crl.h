#pragma once
// Certificate revocation lists (RFC 5280 §5): v2 CRLs with CRL number, AKI, per-entry reason.
//
// Thread-safety: free functions; reentrant.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/error.h"
#include "crypto/ossl.h"
#include "crypto/signer.h"

namespace gzca::pki {

// CRLReason codes, RFC 5280 §5.3.1 (7 is not used).
enum class RevocationReason {
    kUnspecified = 0,
    kKeyCompromise = 1,
    kCaCompromise = 2,
    kAffiliationChanged = 3,
    kSuperseded = 4,
    kCessationOfOperation = 5,
    kCertificateHold = 6,
    kRemoveFromCrl = 8,
    kPrivilegeWithdrawn = 9,
    kAaCompromise = 10,
};
// RFC 5280 names: "unspecified", "keyCompromise", "superseded", ...
std::string_view RevocationReasonName(RevocationReason r);
// Accepts the RFC name (case-insensitive) or the number; kInvalidArgument for 7, unknown names,
// and removeFromCRL (only meaningful in delta CRLs, which gzca does not issue).
Result<RevocationReason> ParseRevocationReason(std::string_view text);

struct RevokedEntry {
    Bytes serial;  // magnitude, big-endian
    TimePoint revoked_at;
    RevocationReason reason = RevocationReason::kUnspecified;
};

struct CrlTemplate {
    std::uint64_t crl_number = 0;  // strictly increasing per issuer (RFC 5280 §5.2.3)
    TimePoint this_update;
    TimePoint next_update;
    std::vector<RevokedEntry> entries;  // any order; unspecified reasons get no reasonCode
                                        // extension (RFC 5280 §5.3.1 SHOULD)
};

// Signs a CRL for `issuer` with `signer` (the issuer's key). Entries are sorted by serial.
Result<crypto::X509CrlPtr> SignCrl(const CrlTemplate& tmpl, const X509* issuer,
                                   const crypto::Signer& signer);

// Largest CRL ParseCrl accepts, PEM or DER (a million entries fit).
inline constexpr std::size_t kMaxCrlSize = 64 * 1024 * 1024;

Bytes CrlDer(const X509_CRL* crl);
std::string CrlPem(const X509_CRL* crl);
// Accepts one PEM "X509 CRL" or DER; kInvalidArgument on oversize, malformed, truncated or
// trailing data.
Result<crypto::X509CrlPtr> ParseCrl(ByteView pem_or_der);

// Verifies `crl`'s signature with `issuer`'s public key; SM2 with the default ID (X509_CRL_verify
// cannot take an ID, so the to-be-signed bytes are verified directly), and the outer and inner
// signature algorithm identifiers must match (RFC 5280 §5.1.1.2). false when the signature does
// not verify; kInvalidArgument only when the inputs are unusable (no issuer key, bad encoding).
Result<bool> VerifyCrlIssuedBy(const X509_CRL* crl, const X509* issuer);

}  // namespace gzca::pki
