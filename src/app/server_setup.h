#pragma once
// What `gzca serve` prepares before it listens: the embedded default's CA hierarchies, the TLS
// server certificate from its own CA, and the background jobs (CRL refresh, revocation watch).
// Kept apart from the command so each piece is small and testable.

#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "app/config.h"
#include "ca/authority.h"
#include "ca/ocsp_responder.h"
#include "http/server.h"

namespace gzca::app {

// "127.0.0.1:8080", "[::1]:8443", "0.0.0.0:80" → Endpoint; "" → nullopt (listener off).
Result<std::optional<http::Endpoint>> ParseListen(std::string_view text);

// Creates each named demo hierarchy ("sm2" → SM2, "p256" → ECDSA P-256, "rsa" → RSA-2048) when
// the database holds no CA at all. Returns the names created (empty when CAs already existed).
Result<std::vector<std::string>> EnsureDemoHierarchies(ca::CertificateAuthority& ca,
                                                       const std::vector<std::string>& names);

// The TLS certificate chain (PEM) and key (plain PEM, in memory only) for the HTTPS listener.
// Kept in <data_dir>/tls/: server.pem (leaf + issuing CA) and server.key.pem (encrypted under
// the CA passphrase). Issued anew from `config.server.tls_issuer` when absent, unreadable,
// within 30 days of expiry, or not covering `tls_names`.
struct TlsMaterial {
    std::string chain_pem;
    std::string key_pem;
    std::string serial;
    bool issued_now = false;
};
Result<TlsMaterial> EnsureTlsCertificate(ca::CertificateAuthority& ca, const Config& config,
                                         const std::string& passphrase);

// Background work of a running server, on one thread:
//  - a CRL for every root and issuing CA, re-signed when missing or past half its validity;
//  - revocations made elsewhere (the CLI, another node) noticed within `poll` — the CRL of that
//    issuer is re-signed and the OCSP cache dropped.
// Wake() runs a pass at once (after a revocation through the API).
class BackgroundJobs {
  public:
    BackgroundJobs(ca::CertificateAuthority& ca, ca::OcspResponder& ocsp,
                   std::chrono::milliseconds poll);
    ~BackgroundJobs();  // stops and joins
    // Also runs `job` every `period` (first at start), on the same thread. Call before
    // Start(). Exceptions are logged.
    void AddPeriodic(std::string name, std::chrono::seconds period, std::function<void()> job);
    void Start();
    void Wake();
    void Stop();

  private:
    void Loop();
    void RunOnce();

    ca::CertificateAuthority& ca_;
    ca::OcspResponder& ocsp_;
    const std::chrono::milliseconds poll_;
    std::mutex mutex_;
    std::condition_variable cv_;
    bool stop_ = false;                                                   // GUARDED_BY(mutex_)
    bool wake_ = false;                                                   // GUARDED_BY(mutex_)
    std::map<std::int64_t, std::pair<std::int64_t, std::int64_t>> seen_;  // loop thread only
    struct Periodic {
        std::string name;
        std::chrono::seconds period;
        std::function<void()> job;
        std::chrono::steady_clock::time_point next;
    };
    std::vector<Periodic> periodic_;  // set before Start(); then loop thread only
    std::thread thread_;
};

}  // namespace gzca::app
