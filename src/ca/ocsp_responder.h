#pragma once
// OCSP responder (RFC 6960) answering from the CA's database, for the HTTP server's /ocsp routes.
//
// What it answers
//   Each SingleRequest's CertID is matched to a CA gzca holds by issuerNameHash + issuerKeyHash,
//   computed with the CertID's own hash algorithm (SHA-1, SHA-256, SHA-384, SHA-512, SM3).
//   Issuing CAs answer for their subscribers; roots answer for their issuing CAs. Status, from
//   one indexed look-up per CertID (certificates by issuer_id + serial):
//     issued            → good (also once expired: RFC 6960 §2.2 "good" means "not revoked")
//     revoked           → revoked, revocationTime, and revocationReason unless unspecified
//     pending, aborted, → unknown — a serial that was never (durably) issued is never good
//     no such serial
//
// Who signs
//   One response has one responder, chosen by the first CertID that names a known CA: for an
//   issuing CA its delegated OCSP signer (<name>-ocsp, EKU OCSPSigning + id-pkix-ocsp-nocheck,
//   RFC 6960 §4.2.2.2), for a root the root itself (it issued the certificates asked about).
//   When the OCSP signer certificate has expired the issuing CA signs itself. responderID is
//   byKey; `certs` carries the signer's certificate. CertIDs naming another CA in the same
//   message get "unknown" from that responder (RFC 5019 clients send one CertID per message;
//   relying parties such as OpenSSL reject responses mixing issuers unless told otherwise).
//   When no CertID names a known CA the answer is `unauthorized` (RFC 5019 §2.2.3).
//   thisUpdate = producedAt = now, nextUpdate = now + validity (not beyond the signer's
//   notAfter). SM2 responses are SM2-with-SM3 under the GM/T 0009 default ID (crypto/signer.h).
//
// Requests
//   Signatures on requests are ignored (RFC 6960 §4.1.2: optional; gzca needs none). A nonce
//   (id-pkix-ocsp-nonce, RFC 6960 §4.4.1) is echoed; one longer than 32 octets or empty is
//   malformedRequest (RFC 8954 §2.1). Unknown critical extensions, more CertIDs than
//   max_requests_per_message, oversize, undecodable or trailing bytes are malformedRequest too.
//
// Pre-signed cache
//   Responses to one-CertID requests without a nonce are kept per (CA, hash algorithm, serial)
//   and served byte-identical until nextUpdate - refresh_margin, then re-signed on demand.
//   Invalidate() drops one serial (call it after a revocation commits); a revocation made by
//   another process is seen once the cached response is refreshed, i.e. within
//   validity - refresh_margin. A response being signed while Invalidate runs is not cached.
//   When full, expired entries are dropped first, then arbitrary ones.
//
// The CA table (issuers and their CertID hashes) is read on the first request, again when no
// CertID of a request names a known CA (at most once per issuer_reload_interval), and after
// InvalidateAll(). Answering for a root needs the root key unlocked (CertificateAuthority::
// SignerFor), as CRLs of the root do.
//
// Failures never escape: every outcome is an OCSPResponse. Database or token unavailable →
// tryLater (3); anything else unexpected → internalError (2); the cause is logged, never sent.
//
// Thread-safety: Respond, RespondGet, Invalidate, InvalidateAll and stats may be called from
// any number of threads at once. The cache is sharded, each shard under its own mutex held only
// for a map operation; the CA table is an immutable snapshot swapped under a mutex.

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <unordered_map>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/error.h"

namespace gzca::ca {

class CertificateAuthority;

struct OcspOptions {
    std::chrono::seconds validity{3600};  // nextUpdate - thisUpdate
    // Cached responses are re-signed this long before their nextUpdate; ≥ validity disables
    // the cache in effect.
    std::chrono::seconds refresh_margin{1800};
    std::size_t max_request_size = 64 * 1024;   // DER bytes (GET: of the decoded request)
    std::size_t max_requests_per_message = 16;  // SingleRequests in one OCSPRequest
    std::size_t max_cache_entries = 100000;     // pre-signed responses kept at most; 0 = none
    // How often an unrecognised CertID may trigger a re-read of the CA table (new hierarchies).
    std::chrono::seconds issuer_reload_interval{60};
};

// OCSPResponseStatus, RFC 6960 §4.2.1 (4 is not used).
enum class OcspResponseStatus {
    kSuccessful = 0,
    kMalformedRequest = 1,
    kInternalError = 2,
    kTryLater = 3,
    kSigRequired = 5,
    kUnauthorized = 6,
};

class OcspResponder {
  public:
    // `ca` and `clock` are borrowed and must outlive the responder. Nothing is read until the
    // first request.
    OcspResponder(CertificateAuthority& ca, const Clock& clock, OcspOptions options = {});
    ~OcspResponder();
    OcspResponder(const OcspResponder&) = delete;
    OcspResponder& operator=(const OcspResponder&) = delete;

    // Answers a DER OCSPRequest (POST body, RFC 6960 Appendix A.1) with a DER OCSPResponse.
    // Never fails: see the header comment for the status of each outcome.
    Bytes Respond(ByteView der_request);

    // Answers a GET: `path_segment` is what follows "/ocsp/" — base64 of the DER request,
    // URL-encoded or not (RFC 6960 Appendix A.1): %XX escapes are decoded, '+' and '/' are
    // base64 characters (never a space), missing '=' padding and the URL-safe alphabet are
    // tolerated. Anything else is malformedRequest.
    Bytes RespondGet(std::string_view path_segment);

    // Drops the pre-signed responses for one certificate (any CertID hash algorithm).
    // `issuer_id` is the issuing CA's id (CertificateRecord::issuer_id), `serial` the lower-case
    // hex serial. Unknown or malformed serials are ignored.
    void Invalidate(std::int64_t issuer_id, std::string_view serial);

    // Drops every pre-signed response and re-reads the CA table on the next request (after a
    // new hierarchy or OCSP signer appears, or many revocations at once).
    void InvalidateAll();

    // Counters for metrics; monotonic since construction.
    struct Stats {
        std::uint64_t requests = 0;
        std::uint64_t cache_hits = 0;
        std::uint64_t signed_responses = 0;
        std::uint64_t malformed = 0;
        std::uint64_t unauthorized = 0;
        std::uint64_t errors = 0;  // internalError and tryLater
    };
    Stats stats() const;

    // The DER of an OCSPResponse carrying only an error status (no responseBytes).
    static Bytes ErrorResponse(OcspResponseStatus status);

  private:
    struct IssuerTable;
    struct CacheKey {
        std::int64_t issuer_id = 0;
        int hash_nid = 0;
        std::uint8_t serial_size = 0;
        std::array<std::uint8_t, 20> serial{};  // magnitude, big-endian (RFC 5280 ≤ 20 octets)
        bool operator==(const CacheKey&) const = default;
    };
    struct CacheKeyHash {
        std::size_t operator()(const CacheKey& k) const;
    };
    struct CachedResponse {
        Bytes der;
        TimePoint refresh_at;  // serve until then; re-sign from then on
    };
    struct Shard {
        std::mutex mutex;
        std::unordered_map<CacheKey, CachedResponse, CacheKeyHash> map;  // GUARDED_BY(mutex)
        // Bumped by every invalidation of this shard: a response whose status was read under
        // an older generation is not cached (it may predate a revocation).
        std::uint64_t generation = 0;  // GUARDED_BY(mutex)
    };
    static constexpr std::size_t kShards = 16;

    Bytes Answer(ByteView der_request);
    Bytes Reject(OcspResponseStatus status, std::string_view why);
    Result<std::shared_ptr<const IssuerTable>> Issuers(bool reload_if_stale);
    Shard& ShardFor(std::int64_t issuer_id, ByteView serial);
    // Looks the key up; on a miss returns nothing and sets `generation` to the shard's current
    // generation (read before the status is read from the database).
    std::optional<Bytes> CacheFind(const CacheKey& key, TimePoint now, std::uint64_t* generation);
    void CacheStore(const CacheKey& key, Bytes der, TimePoint refresh_at, std::uint64_t generation);

    CertificateAuthority& ca_;
    const Clock& clock_;
    const OcspOptions options_;

    std::mutex table_mutex_;
    std::shared_ptr<const IssuerTable> table_;  // GUARDED_BY(table_mutex_); null = load first

    std::array<Shard, kShards> shards_;

    std::atomic<std::uint64_t> requests_{0};
    std::atomic<std::uint64_t> cache_hits_{0};
    std::atomic<std::uint64_t> signed_{0};
    std::atomic<std::uint64_t> malformed_{0};
    std::atomic<std::uint64_t> unauthorized_{0};
    std::atomic<std::uint64_t> errors_{0};
};

}  // namespace gzca::ca
