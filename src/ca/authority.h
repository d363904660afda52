#pragma once
// The CA engine: hierarchy set-up, issue / renew / reissue / revoke, CRLs, look-ups.
// Business rules live here as plain calls over the database; the CLI and HTTP handlers only
// parse, authorise, call one of these and render.
//
// Durability (DESIGN.md §6): a certificate is never signed before its serial and request are
// committed (status pending), and never returned before its DER is committed (status issued).
// A failure between the two marks the row aborted; a crash leaves it pending, and
// RecoverPending() (run at server start) marks it aborted. No signed certificate escapes that
// the database does not hold.
//
// Thread-safety: all methods may be called from several threads at once. Unlocked issuer keys
// are cached (guarded by mutex_).

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/error.h"
#include "ca/records.h"
#include "ca/repository.h"
#include "crypto/key.h"
#include "crypto/signer.h"
#include "pki/certificate.h"
#include "pki/crl.h"
#include "pki/csr.h"
#include "pki/profile.h"
#include "store/database.h"
#include "store/group_commit.h"

namespace gzca::ca {

// From configuration ([ca] in gzca.toml).
struct CaConfig {
    // Base of the URLs written into certificates: CRL DP {base}/crl/{issuer}.crl,
    // AIA OCSP {base}/ocsp, AIA caIssuers {base}/ca/{issuer}.crt. Empty = no such extensions.
    std::string base_url = "http://localhost:8080";
    std::vector<std::string> policy_oids;
    int validity_years = 1;                        // subscriber certificates
    std::chrono::seconds crl_validity{24 * 3600};  // nextUpdate - thisUpdate
};

// Secrets that unlock CA keys. Never logged, never on a command line.
struct KeySecrets {
    std::string passphrase;     // for encrypted PKCS#8 key files
    std::string pkcs11_pin;     // for keys in a PKCS#11 token
    std::string pkcs11_module;  // module path for "pkcs11:" key refs
};

struct HierarchyOptions {
    std::string name = "sm2";  // issuers become <name>-root, <name>-issuing, <name>-ocsp
    crypto::KeyAlgorithm algorithm = crypto::KeyAlgorithm::kSm2;
    pki::DistinguishedName root_subject;     // default: C=CN, O=gzca, CN=gzca <ALG> Root CA
    pki::DistinguishedName issuing_subject;  // default: C=CN, O=gzca, CN=gzca <ALG> Issuing CA
    int root_years = 20;
    int issuing_years = 10;
    // Keys already generated in a PKCS#11 token (key ceremony done with the token's tools):
    // RFC 7512 URIs of the private keys. Empty = generate keys into encrypted files.
    std::string root_key_uri;
    std::string issuing_key_uri;
};

struct HierarchyInfo {
    IssuerRecord root;
    IssuerRecord issuing;
    IssuerRecord ocsp;
};

struct IssueRequest {
    std::string issuer;  // hierarchy or issuer name; "" = the only/default one
    Bytes csr;           // PKCS#10, PEM or DER
    pki::Profile profile = pki::Profile::kSubscriberSign;
    // Overrides the CSR's subject when set (the RA decides subjects, not the requester).
    std::optional<pki::DistinguishedName> subject;
    std::vector<std::string> dns_names;     // TLS server profile
    std::vector<std::string> ip_addresses;  // TLS server profile
};

struct IssuedCertificate {
    CertificateRecord record;
    std::vector<Bytes> chain;  // issuing CA first, up to (excluding) the root
};

class CertificateAuthority {
  public:
    // `data_dir` resolves "file:" key refs. Does not touch the database until first use.
    CertificateAuthority(store::Database& db, const Clock& clock, CaConfig config,
                         KeySecrets secrets, std::filesystem::path data_dir);
    ~CertificateAuthority();

    // Creates root, issuing CA and OCSP signer. kAlreadyExists when a hierarchy of that name
    // exists. Keys go to <data_dir>/keys/ encrypted under secrets.passphrase (required, ≥ 8
    // bytes) unless PKCS#11 URIs are given. Nothing is left behind on failure.
    Result<HierarchyInfo> InitHierarchy(const HierarchyOptions& options);

    Result<std::vector<IssuerRecord>> ListIssuers();

    // Resolves "" (the only issuing CA, or an error listing them), a hierarchy name ("sm2" →
    // "sm2-issuing") or an issuer name. kNotFound otherwise.
    Result<IssuerRecord> ResolveIssuer(std::string_view name);

    // Issues from a CSR (proof of possession checked by pki::ParseCsr). Validity: now → now +
    // validity_years. kInvalidArgument for a bad CSR/subject/profile.
    Result<IssuedCertificate> Issue(const IssueRequest& request);

    // Renewal: same subject and profile; new notAfter = old notAfter + 1 year while the old one
    // is unexpired, now + 1 year once it has expired (DESIGN.md §5). `csr` empty = same key.
    // Records the lineage. kFailedPrecondition when the old certificate is revoked, aborted or
    // already renewed (a successor exists).
    Result<IssuedCertificate> Renew(std::string_view issuer, std::string_view serial, ByteView csr);

    // Reissue (补办): a new key for the same subject, keeping the old certificate's notAfter;
    // the old certificate is revoked as superseded in the same transaction that stores the new
    // one. The CSR must carry a different key. kFailedPrecondition for an expired or revoked
    // certificate (renew instead).
    Result<IssuedCertificate> Reissue(std::string_view issuer, std::string_view serial,
                                      ByteView csr);

    // Revokes with an RFC 5280 §5.3.1 reason. kNotFound for an unknown serial,
    // kFailedPrecondition when already revoked or never issued.
    Result<CertificateRecord> Revoke(std::string_view issuer, std::string_view serial,
                                     pki::RevocationReason reason);

    // Signs a new CRL for `issuer` from the revocations table and stores it.
    Result<repo::CrlRecord> GenerateCrl(std::string_view issuer);
    // The newest stored CRL; kNotFound when none has been made yet.
    Result<repo::CrlRecord> LatestCrl(std::string_view issuer);

    Result<CertificateRecord> Find(std::string_view issuer, std::string_view serial);
    Result<std::vector<CertificateRecord>> List(repo::CertificateFilter filter);

    // Marks requests left pending by a crash as aborted. Returns how many.
    Result<std::int64_t> RecoverPending();

    // The signer of an issuer (unlocked on first use and cached).
    Result<const crypto::Signer*> SignerFor(const IssuerRecord& issuer);

    const Clock& clock() const { return clock_; }
    store::Database& database() { return db_; }

  private:
    struct PreparedIssue;
    Result<IssuedCertificate> SignAndStore(PreparedIssue prepared);
    Result<std::unique_ptr<crypto::Signer>> OpenSigner(const IssuerRecord& issuer);
    Result<std::vector<Bytes>> ChainOf(const IssuerRecord& issuer);

    store::Database& db_;
    const Clock& clock_;
    const CaConfig config_;
    const KeySecrets secrets_;
    const std::filesystem::path data_dir_;
    // Pending and issued rows of concurrent requests share durable commits.
    store::GroupCommit commits_{db_};

    std::mutex mutex_;
    struct UnlockedIssuer {
        std::unique_ptr<crypto::Signer> signer;
        crypto::X509Ptr cert;  // parsed once: OpenSSL 3 decoding is costly per request
    };
    std::map<std::int64_t, UnlockedIssuer> issuers_;  // GUARDED_BY(mutex_)
    // The issuer's signer and parsed certificate, unlocked/parsed on first use.
    Result<const UnlockedIssuer*> Unlock(const IssuerRecord& issuer);
};

}  // namespace gzca::ca
