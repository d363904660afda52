#pragma once
// SQL for the CA's tables (store/migrations.cpp, version 1). One code path for SQLite and
// PostgreSQL. Every function works inside a transaction the caller owns, so a use case can
// combine several steps atomically.
//
// Thread-safety: stateless functions; the Transaction decides.

#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "ca/records.h"
#include "store/database.h"

namespace gzca::ca::repo {

Result<std::int64_t> InsertIssuer(store::Transaction& tx, const IssuerRecord& issuer,
                                  TimePoint now);
Result<std::optional<IssuerRecord>> FindIssuer(store::Transaction& tx, std::string_view name);
Result<std::optional<IssuerRecord>> FindIssuerById(store::Transaction& tx, std::int64_t id);
Result<std::vector<IssuerRecord>> ListIssuers(store::Transaction& tx);
// Returns the CRL number to use and advances the counter (RFC 5280 §5.2.3: monotonic).
Result<std::int64_t> TakeCrlNumber(store::Transaction& tx, std::int64_t issuer_id);

// Records a serial before signing (status pending). kAlreadyExists when the serial is taken.
Result<std::int64_t> InsertPending(store::Transaction& tx, const CertificateRecord& rec,
                                   ByteView csr_der, TimePoint now);
// pending → issued with the DER. kFailedPrecondition when the row is no longer pending (it was
// aborted by recovery meanwhile): the certificate must then not be handed out.
Status MarkIssued(store::Transaction& tx, std::int64_t id, ByteView der, TimePoint now);
// pending → aborted.
Status MarkAborted(store::Transaction& tx, std::int64_t id, TimePoint now);
// All pending rows → aborted (crash recovery at start-up). Returns how many.
Result<std::int64_t> AbortAllPending(store::Transaction& tx, TimePoint now);
// issued → revoked, and appends the CRL entry. kFailedPrecondition unless currently issued.
Status MarkRevoked(store::Transaction& tx, const CertificateRecord& rec, TimePoint at,
                   pki::RevocationReason reason, TimePoint now);

Result<std::optional<CertificateRecord>> FindCertificate(store::Transaction& tx,
                                                         std::int64_t issuer_id,
                                                         std::string_view serial);
// By serial across issuers (serials are random 127-bit values; a clash is reported as
// kFailedPrecondition asking for the issuer).
Result<std::optional<CertificateRecord>> FindCertificateAnyIssuer(store::Transaction& tx,
                                                                  std::string_view serial);
Result<std::optional<CertificateRecord>> FindCertificateById(store::Transaction& tx,
                                                             std::int64_t id);
// A certificate that renews or reissues `id`, if any (issued or pending).
Result<std::optional<CertificateRecord>> FindSuccessor(store::Transaction& tx, std::int64_t id);

struct CertificateFilter {
    std::optional<std::int64_t> issuer_id;
    std::string subject_contains;  // "" = any
    // "valid", "expired", "revoked", "superseded", "pending", "aborted", "" = any
    std::string status;
    std::optional<TimePoint> expiring_before;  // not_after < this (and still valid)
    TimePoint now;
    int limit = 100;
    int offset = 0;
};
Result<std::vector<CertificateRecord>> ListCertificates(store::Transaction& tx,
                                                        const CertificateFilter& filter);

// The CRL's entries for an issuer: reads the revocations table only.
Result<std::vector<pki::RevokedEntry>> ListRevocations(store::Transaction& tx,
                                                       std::int64_t issuer_id);

struct CrlRecord {
    std::int64_t crl_number = 0;
    TimePoint this_update;
    TimePoint next_update;
    std::int64_t entry_count = 0;
    Bytes der;
};
Status InsertCrl(store::Transaction& tx, std::int64_t issuer_id, const CrlRecord& crl);
Result<std::optional<CrlRecord>> LatestCrl(store::Transaction& tx, std::int64_t issuer_id);

}  // namespace gzca::ca::repo
