#include "app/server_setup.h"

#include <charconv>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "pki/certificate.h"
#include "pki/csr.h"

namespace gzca::app {

Result<std::optional<http::Endpoint>> ParseListen(std::string_view text) {
    if (text.empty()) return std::optional<http::Endpoint>();
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos || colon == 0) {
        return Fail(ErrorCode::kInvalidArgument,
                    fmt::format("listen address '{}' must be HOST:PORT", text));
    }
    std::string_view host = text.substr(0, colon);
    std::string_view port_text = text.substr(colon + 1);
    if (host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    unsigned port = 0;
    auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || ptr != port_text.data() + port_text.size() || port > 65535) {
        return Fail(ErrorCode::kInvalidArgument,
                    fmt::format("listen address '{}' has a bad port", text));
    }
    if (host == "localhost") host = "127.0.0.1";
    return std::optional<http::Endpoint>(
        http::Endpoint{std::string(host), static_cast<std::uint16_t>(port)});
}

Result<std::vector<std::string>> EnsureDemoHierarchies(ca::CertificateAuthority& ca,
                                                       const std::vector<std::string>& names) {
    GZCA_ASSIGN_OR_RETURN(auto issuers, ca.ListIssuers());
    std::vector<std::string> created;
    if (!issuers.empty()) return created;
    for (const auto& name : names) {
        ca::HierarchyOptions o;
        o.name = name;
        if (name.starts_with("sm2")) {
            o.algorithm = crypto::KeyAlgorithm::kSm2;
        } else if (name.starts_with("rsa")) {
            o.algorithm = crypto::KeyAlgorithm::kRsa2048;
        } else {
            o.algorithm = crypto::KeyAlgorithm::kEcdsaP256;
        }
        GZCA_TRY_STATUS(ca.InitHierarchy(o));
        created.push_back(name);
    }
    return created;
}

namespace {

// Loads the stored TLS material; nullopt when it must be (re)issued.
std::optional<TlsMaterial> LoadTls(const std::filesystem::path& dir, const Config& config,
                                   const std::string& passphrase, TimePoint now) {
    auto chain = ReadFile(dir / "server.pem");
    auto key_file = ReadFile(dir / "server.key.pem");
    if (!chain || !key_file) return std::nullopt;
    auto leaf = pki::ParseCertificate(*chain);  // the first certificate of the chain
    if (!leaf) {
        // ParseCertificate wants exactly one PEM block: cut the chain after the first.
        std::string text(AsString(*chain));
        auto end = text.find("-----END CERTIFICATE-----");
        if (end == std::string::npos) return std::nullopt;
        text.resize(end + 25);
        leaf = pki::ParseCertificate(AsBytes(text));
        if (!leaf) return std::nullopt;
    }
    auto info = pki::InspectCertificate(leaf->get());
    if (!info || info->not_after - now < std::chrono::days(30)) return std::nullopt;
    for (const auto& name : config.server.tls_names) {
        bool is_ip = name.find_first_not_of("0123456789.:") == std::string::npos;
        int ok = is_ip ? X509_check_ip_asc(leaf->get(), name.c_str(), 0)
                       : X509_check_host(leaf->get(), name.c_str(), name.size(), 0, nullptr);
        if (ok != 1) return std::nullopt;
    }
    auto key = crypto::PrivateKey::FromEncryptedPem(*key_file, passphrase);
    if (!key) return std::nullopt;
    if (EVP_PKEY_eq(X509_get0_pubkey(leaf->get()), key->get()) != 1) return std::nullopt;
    auto plain = key->ToPlainPemForInProcessUse();
    if (!plain) return std::nullopt;
    return TlsMaterial{std::string(AsString(*chain)), *plain, info->serial_hex, false};
}

}  // namespace

Result<TlsMaterial> EnsureTlsCertificate(ca::CertificateAuthority& ca, const Config& config,
                                         const std::string& passphrase) {
    auto dir = config.data_dir / "tls";
    if (auto loaded = LoadTls(dir, config, passphrase, ca.clock().Now())) return *loaded;

    GZCA_ASSIGN_OR_RETURN(auto key, crypto::PrivateKey::Generate(crypto::KeyAlgorithm::kEcdsaP256));
    ca::IssueRequest req;
    req.issuer = config.server.tls_issuer;
    req.profile = pki::Profile::kTlsServer;
    for (const auto& name : config.server.tls_names) {
        bool is_ip = name.find_first_not_of("0123456789.:") == std::string::npos;
        (is_ip ? req.ip_addresses : req.dns_names).push_back(name);
    }
    std::string cn = config.server.tls_names.empty() ? "gzca" : config.server.tls_names.front();
    req.subject = pki::DistinguishedName{{{"C", "CN"}, {"O", "gzca"}, {"CN", cn}}};
    GZCA_ASSIGN_OR_RETURN(req.csr, pki::BuildCsr(key, *req.subject));
    GZCA_ASSIGN_OR_RETURN(auto issued, ca.Issue(req));

    TlsMaterial tls;
    tls.serial = issued.record.serial;
    tls.issued_now = true;
    for (const Bytes* der :
         {&issued.record.der, issued.chain.empty() ? nullptr : &issued.chain[0]}) {
        if (!der) continue;
        GZCA_ASSIGN_OR_RETURN(auto cert, pki::ParseCertificate(*der));
        tls.chain_pem += pki::CertificatePem(cert.get());
    }
    GZCA_ASSIGN_OR_RETURN(tls.key_pem, key.ToPlainPemForInProcessUse());
    GZCA_ASSIGN_OR_RETURN(auto encrypted, key.ToEncryptedPem(passphrase));
    std::filesystem::create_directories(dir);
    GZCA_TRY_STATUS(WriteFileAtomic(dir / "server.key.pem", AsBytes(encrypted), 0600));
    GZCA_TRY_STATUS(WriteFileAtomic(dir / "server.pem", AsBytes(tls.chain_pem), 0644));
    return tls;
}

BackgroundJobs::BackgroundJobs(ca::CertificateAuthority& ca, ca::OcspResponder& ocsp,
                               std::chrono::milliseconds poll)
    : ca_(ca), ocsp_(ocsp), poll_(poll) {}

BackgroundJobs::~BackgroundJobs() { Stop(); }

void BackgroundJobs::Start() {
    thread_ = std::thread([this] { Loop(); });
}

void BackgroundJobs::Wake() {
    std::lock_guard lock(mutex_);
    wake_ = true;
    cv_.notify_one();
}

void BackgroundJobs::Stop() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
        cv_.notify_one();
    }
    if (thread_.joinable()) thread_.join();
}

void BackgroundJobs::AddPeriodic(std::string name, std::chrono::seconds period,
                                 std::function<void()> job) {
    periodic_.push_back({std::move(name), period, std::move(job), {}});
}

void BackgroundJobs::Loop() {
    for (;;) {
        try {
            RunOnce();
        } catch (const std::exception& e) {
            spdlog::error("background job failed: {}", e.what());
        }
        const auto now = std::chrono::steady_clock::now();
        for (Periodic& p : periodic_) {
            if (now < p.next) continue;
            p.next = now + p.period;
            try {
                p.job();
            } catch (const std::exception& e) {
                spdlog::error("background job {} failed: {}", p.name, e.what());
            }
        }
        std::unique_lock lock(mutex_);
        cv_.wait_for(lock, poll_, [this] { return stop_ || wake_; });
        if (stop_) return;
        wake_ = false;
    }
}

void BackgroundJobs::RunOnce() {
    auto issuers = ca_.ListIssuers();
    if (!issuers) {
        spdlog::warn("background jobs: {}", issuers.error().internal);
        return;
    }
    // Revocations per issuer (count, newest time): a change means a revocation happened here or
    // in another process since the last pass.
    std::map<std::int64_t, std::pair<std::int64_t, std::int64_t>> now_seen;
    if (auto tx = ca_.database().Begin(false)) {
        auto rows = (*tx)->Query(
            "SELECT issuer_id, COUNT(*), MAX(revoked_at) FROM revocations GROUP BY issuer_id");
        if (rows) {
            for (const auto& r : *rows) now_seen[r.Int(0)] = {r.Int(1), r.Int(2)};
        }
    }
    const bool first_pass = seen_.empty();
    bool changed_any = false;
    const TimePoint now = ca_.clock().Now();
    for (const auto& issuer : *issuers) {
        if (issuer.role == ca::IssuerRole::kOcspSigner) continue;
        bool changed = now_seen[issuer.id] != seen_[issuer.id];
        auto latest = ca_.LatestCrl(issuer.name);
        bool stale =
            !latest || now >= latest->this_update + (latest->next_update - latest->this_update) / 2;
        if (changed || stale) {
            auto crl = ca_.GenerateCrl(issuer.name);
            if (!crl) {
                spdlog::warn("CRL of {} not refreshed: {}", issuer.name, crl.error().internal);
                continue;
            }
        }
        changed_any = changed_any || (changed && !first_pass);
    }
    if (changed_any) ocsp_.InvalidateAll();
    seen_ = std::move(now_seen);
    for (const auto& issuer : *issuers) seen_.try_emplace(issuer.id);
}

}  // namespace gzca::app
