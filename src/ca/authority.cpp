#include "ca/authority.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "ca/repository.h"

namespace gzca::ca {

namespace {

constexpr int kSerialAttempts = 4;

// Hierarchy names become parts of issuer names, file names and URLs.
Status ValidateHierarchyName(std::string_view name) {
    bool ok = !name.empty() && name.size() <= 32;
    for (char c : name) {
        ok = ok && (std::islower(static_cast<unsigned char>(c)) ||
                    std::isdigit(static_cast<unsigned char>(c)) || c == '-');
    }
    if (!ok) {
        return Fail(
            ErrorCode::kInvalidArgument,
            fmt::format("hierarchy name '{}' must be 1-32 characters of a-z, 0-9 and -", name));
    }
    return Ok();
}

pki::DistinguishedName DefaultCaSubject(crypto::KeyAlgorithm alg, std::string_view what) {
    std::string alg_label = alg == crypto::KeyAlgorithm::kSm2         ? "SM2"
                            : alg == crypto::KeyAlgorithm::kEcdsaP256 ? "ECC"
                                                                      : "RSA";
    return {{{"C", "CN"}, {"O", "gzca"}, {"CN", fmt::format("gzca {} {}", alg_label, what)}}};
}

pki::IssuanceUrls UrlsFor(const CaConfig& config, std::string_view issuer_name) {
    pki::IssuanceUrls urls;
    if (!config.base_url.empty()) {
        urls.crl_url = fmt::format("{}/crl/{}.crl", config.base_url, issuer_name);
        urls.ocsp_url = fmt::format("{}/ocsp", config.base_url);
        urls.ca_issuers_url = fmt::format("{}/ca/{}.crt", config.base_url, issuer_name);
    }
    urls.policy_oids = config.policy_oids;
    return urls;
}

std::string SpkiSha256(const EVP_PKEY* key) {
    unsigned char* der = nullptr;
    int len = i2d_PUBKEY(const_cast<EVP_PKEY*>(key), &der);
    if (len <= 0) return {};
    Bytes digest = crypto::Sha256(ByteView(der, static_cast<std::size_t>(len)));
    OPENSSL_free(der);
    return HexEncode(digest);
}

// Splits the RFC 7512 query attribute module-path off a stored PKCS#11 key reference.
std::pair<std::string, std::string> SplitModulePath(std::string_view uri) {
    auto q = uri.find('?');
    if (q == std::string_view::npos) return {std::string(uri), {}};
    std::string module;
    std::string_view query = uri.substr(q + 1);
    constexpr std::string_view kKey = "module-path=";
    if (query.starts_with(kKey)) module = std::string(query.substr(kKey.size()));
    return {std::string(uri.substr(0, q)), module};
}

}  // namespace

struct CertificateAuthority::PreparedIssue {
    IssuerRecord issuer;
    pki::CertificateTemplate tmpl;
    crypto::PKeyPtr subject_key;  // tmpl.subject_key points into this
    CertificateRecord record;     // issuer_id, profile, subject, times, lineage filled in
    Bytes csr_der;
    std::optional<CertificateRecord> supersede;  // revoked (superseded) when the new one is stored
};

CertificateAuthority::CertificateAuthority(store::Database& db, const Clock& clock, CaConfig config,
                                           KeySecrets secrets, std::filesystem::path data_dir)
    : db_(db),
      clock_(clock),
      config_(std::move(config)),
      secrets_(std::move(secrets)),
      data_dir_(std::move(data_dir)) {}

CertificateAuthority::~CertificateAuthority() = default;

Result<HierarchyInfo> CertificateAuthority::InitHierarchy(const HierarchyOptions& options) {
    GZCA_TRY_STATUS(ValidateHierarchyName(options.name));
    const std::string root_name = options.name + "-root";
    const std::string issuing_name = options.name + "-issuing";
    const std::string ocsp_name = options.name + "-ocsp";
    {
        GZCA_ASSIGN_OR_RETURN(auto tx, db_.Begin(false));
        GZCA_ASSIGN_OR_RETURN(auto existing, repo::FindIssuer(*tx, root_name));
        if (existing) {
            return Fail(ErrorCode::kAlreadyExists,
                        fmt::format("a CA hierarchy named '{}' already exists", options.name));
        }
    }
    if (secrets_.passphrase.size() < 8) {
        return Fail(ErrorCode::kInvalidArgument,
                    "a CA key passphrase of at least 8 bytes is required (GZCA_CA_PASSPHRASE or "
                    "--passphrase-file)");
    }
    const bool use_pkcs11 = !options.root_key_uri.empty() || !options.issuing_key_uri.empty();
    if (use_pkcs11 && (options.root_key_uri.empty() || options.issuing_key_uri.empty())) {
        return Fail(ErrorCode::kInvalidArgument,
                    "give both --root-key and --issuing-key for a PKCS#11 hierarchy");
    }

    // Keys: generated into files, or opened in the token. Files are written only after every
    // certificate is signed, and removed again if the database refuses the hierarchy.
    struct NewKey {
        std::string key_ref;
        std::unique_ptr<crypto::Signer> signer;
        std::optional<crypto::PrivateKey> file_key;
        std::filesystem::path file;
    };
    auto make_file_key = [&](const std::string& issuer_name,
                             crypto::KeyAlgorithm alg) -> Result<NewKey> {
        GZCA_ASSIGN_OR_RETURN(auto key, crypto::PrivateKey::Generate(alg));
        auto rel = std::filesystem::path("keys") / (issuer_name + ".key.pem");
        NewKey nk;
        nk.key_ref = "file:" + rel.string();
        nk.file = data_dir_ / rel;
        if (std::filesystem::exists(nk.file)) {
            return Fail(ErrorCode::kAlreadyExists,
                        fmt::format("key file {} already exists", nk.file.string()),
                        fmt::format("key file {} already exists; refusing to overwrite a CA key",
                                    rel.string()));
        }
        GZCA_ASSIGN_OR_RETURN(auto dup, crypto::PrivateKey::Adopt(crypto::UpRef(key.get())));
        nk.signer = crypto::MakeKeySigner(std::move(dup));
        nk.file_key = std::move(key);
        return nk;
    };
    auto open_token_key = [&](const std::string& uri) -> Result<NewKey> {
        auto [bare_uri, module] = SplitModulePath(uri);
        if (module.empty()) module = secrets_.pkcs11_module;
        if (module.empty()) {
            return Fail(ErrorCode::kInvalidArgument,
                        "no PKCS#11 module: give --pkcs11-module or module-path in the URI");
        }
        GZCA_ASSIGN_OR_RETURN(auto signer,
                              crypto::OpenPkcs11Signer({module, bare_uri, secrets_.pkcs11_pin}));
        NewKey nk;
        nk.key_ref = fmt::format("{}?module-path={}", bare_uri, module);
        nk.signer = std::move(signer);
        return nk;
    };

    NewKey root_key, issuing_key;
    crypto::KeyAlgorithm alg = options.algorithm;
    if (use_pkcs11) {
        GZCA_ASSIGN_OR_RETURN(root_key, open_token_key(options.root_key_uri));
        GZCA_ASSIGN_OR_RETURN(issuing_key, open_token_key(options.issuing_key_uri));
        alg = root_key.signer->algorithm();
        if (issuing_key.signer->algorithm() != alg) {
            return Fail(ErrorCode::kInvalidArgument,
                        "root and issuing keys in the token use different algorithms");
        }
    } else {
        GZCA_ASSIGN_OR_RETURN(root_key, make_file_key(root_name, alg));
        GZCA_ASSIGN_OR_RETURN(issuing_key, make_file_key(issuing_name, alg));
    }
    GZCA_ASSIGN_OR_RETURN(auto ocsp_key, make_file_key(ocsp_name, alg));

    const TimePoint now = clock_.Now();
    auto root_subject = options.root_subject.attributes.empty() ? DefaultCaSubject(alg, "Root CA")
                                                                : options.root_subject;
    auto issuing_subject = options.issuing_subject.attributes.empty()
                               ? DefaultCaSubject(alg, "Issuing CA")
                               : options.issuing_subject;
    GZCA_TRY_STATUS(pki::Validate(root_subject));
    GZCA_TRY_STATUS(pki::Validate(issuing_subject));

    GZCA_ASSIGN_OR_RETURN(auto root_pub, crypto::PublicKeyFromDer(root_key.signer->PublicKeyDer()));
    GZCA_ASSIGN_OR_RETURN(auto issuing_pub,
                          crypto::PublicKeyFromDer(issuing_key.signer->PublicKeyDer()));
    GZCA_ASSIGN_OR_RETURN(auto ocsp_pub, crypto::PublicKeyFromDer(ocsp_key.signer->PublicKeyDer()));

    pki::CertificateTemplate root_t;
    root_t.serial = pki::NewSerial();
    root_t.subject = root_subject;
    root_t.subject_key = root_pub.get();
    root_t.not_before = now;
    root_t.not_after = AddYears(now, options.root_years);
    root_t.profile = pki::Profile::kRootCa;
    GZCA_ASSIGN_OR_RETURN(auto root_cert, pki::SignCertificate(root_t, nullptr, *root_key.signer));

    pki::CertificateTemplate issuing_t;
    issuing_t.serial = pki::NewSerial();
    issuing_t.subject = issuing_subject;
    issuing_t.subject_key = issuing_pub.get();
    issuing_t.not_before = now;
    issuing_t.not_after = std::min(AddYears(now, options.issuing_years), root_t.not_after);
    issuing_t.profile = pki::Profile::kIssuingCa;
    issuing_t.urls = UrlsFor(config_, root_name);
    issuing_t.urls.ocsp_url.clear();  // status of CA certificates comes from the root's CRL
    GZCA_ASSIGN_OR_RETURN(auto issuing_cert,
                          pki::SignCertificate(issuing_t, root_cert.get(), *root_key.signer));

    pki::CertificateTemplate ocsp_t;
    ocsp_t.serial = pki::NewSerial();
    ocsp_t.subject = issuing_subject;
    for (auto& attr : ocsp_t.subject.attributes) {
        if (attr.type == "CN") attr.value = fmt::format("{} OCSP Responder", attr.value);
    }
    if (ocsp_t.subject.Get("CN").empty()) ocsp_t.subject.attributes.push_back({"CN", ocsp_name});
    ocsp_t.subject_key = ocsp_pub.get();
    ocsp_t.not_before = now;
    ocsp_t.not_after = std::min(AddYears(now, 1), issuing_t.not_after);
    ocsp_t.profile = pki::Profile::kOcspSigner;
    ocsp_t.urls.policy_oids = config_.policy_oids;
    GZCA_ASSIGN_OR_RETURN(auto ocsp_cert,
                          pki::SignCertificate(ocsp_t, issuing_cert.get(), *issuing_key.signer));

    // Key files first (durably), then one transaction for every row; undo the files if the
    // transaction does not commit.
    std::vector<std::filesystem::path> written;
    auto remove_written = [&] {
        for (const auto& f : written) std::filesystem::remove(f);
    };
    for (NewKey* k : {&root_key, &issuing_key, &ocsp_key}) {
        if (!k->file_key) continue;
        std::filesystem::create_directories(k->file.parent_path());
        GZCA_ASSIGN_OR_RETURN(auto pem, k->file_key->ToEncryptedPem(secrets_.passphrase));
        auto st = WriteFileAtomic(k->file, AsBytes(pem), 0600);
        if (!st) {
            remove_written();
            return Fail(st.error());
        }
        written.push_back(k->file);
    }

    auto record_for = [&](const std::string& name, IssuerRole role, const X509* cert,
                          const std::string& key_ref) -> Result<IssuerRecord> {
        GZCA_ASSIGN_OR_RETURN(auto info, pki::InspectCertificate(cert));
        IssuerRecord r;
        r.name = name;
        r.role = role;
        r.algorithm = std::string(crypto::KeyAlgorithmName(alg));
        r.subject = pki::ToRfc4514(info.subject);
        r.serial = info.serial_hex;
        r.cert_der = pki::CertificateDer(cert);
        r.key_ref = key_ref;
        r.not_after = info.not_after;
        return r;
    };
    // A CA certificate is also a certificate its parent issued: the parent's CRL and OCSP cover it.
    auto cert_row_for = [&](const IssuerRecord& issued, std::int64_t parent_id,
                            pki::Profile profile, const X509* cert) -> CertificateRecord {
        CertificateRecord c;
        c.issuer_id = parent_id;
        c.serial = issued.serial;
        c.profile = std::string(pki::ProfileName(profile));
        c.subject = issued.subject;
        c.key_algorithm = issued.algorithm;
        c.spki_sha256 = SpkiSha256(X509_get0_pubkey(cert));
        c.not_before = now;
        c.not_after = issued.not_after;
        return c;
    };

    auto commit = [&]() -> Result<HierarchyInfo> {
        HierarchyInfo info;
        GZCA_ASSIGN_OR_RETURN(
            info.root, record_for(root_name, IssuerRole::kRoot, root_cert.get(), root_key.key_ref));
        GZCA_ASSIGN_OR_RETURN(info.issuing, record_for(issuing_name, IssuerRole::kIssuing,
                                                       issuing_cert.get(), issuing_key.key_ref));
        GZCA_ASSIGN_OR_RETURN(info.ocsp, record_for(ocsp_name, IssuerRole::kOcspSigner,
                                                    ocsp_cert.get(), ocsp_key.key_ref));
        GZCA_ASSIGN_OR_RETURN(auto tx, db_.Begin(true));
        GZCA_ASSIGN_OR_RETURN(info.root.id, repo::InsertIssuer(*tx, info.root, now));
        info.issuing.parent_id = info.root.id;
        GZCA_ASSIGN_OR_RETURN(info.issuing.id, repo::InsertIssuer(*tx, info.issuing, now));
        info.ocsp.parent_id = info.issuing.id;
        GZCA_ASSIGN_OR_RETURN(info.ocsp.id, repo::InsertIssuer(*tx, info.ocsp, now));
        struct Issued {
            const IssuerRecord* rec;
            std::int64_t parent;
            pki::Profile profile;
            const X509* cert;
        };
        for (const Issued& i :
             {Issued{&info.issuing, info.root.id, pki::Profile::kIssuingCa, issuing_cert.get()},
              Issued{&info.ocsp, info.issuing.id, pki::Profile::kOcspSigner, ocsp_cert.get()}}) {
            GZCA_ASSIGN_OR_RETURN(
                auto id, repo::InsertPending(*tx, cert_row_for(*i.rec, i.parent, i.profile, i.cert),
                                             {}, now));
            GZCA_TRY_STATUS(repo::MarkIssued(*tx, id, i.rec->cert_der, now));
        }
        GZCA_TRY_STATUS(tx->Commit());
        return info;
    };
    auto result = commit();
    if (!result) {
        remove_written();
        return result;
    }
    spdlog::info("created CA hierarchy '{}' ({}): root {}, issuing {}", options.name,
                 crypto::KeyAlgorithmName(alg), result->root.serial, result->issuing.serial);
    return result;
}

Result<std::vector<IssuerRecord>> CertificateAuthority::ListIssuers() {
    GZCA_ASSIGN_OR_RETURN(auto tx, db_.Begin(false));
    return repo::ListIssuers(*tx);
}

Result<IssuerRecord> CertificateAuthority::ResolveIssuer(std::string_view name) {
    GZCA_ASSIGN_OR_RETURN(auto issuers, ListIssuers());
    if (name.empty()) {
        std::vector<const IssuerRecord*> issuing;
        for (const auto& i : issuers) {
            if (i.role == IssuerRole::kIssuing) issuing.push_back(&i);
        }
        if (issuing.size() == 1) return *issuing.front();
        if (issuing.empty()) {
            return Fail(ErrorCode::kFailedPrecondition,
                        "no CA hierarchy exists yet: run `gzca ca init` first");
        }
        std::string names;
        for (auto* i : issuing) names += (names.empty() ? "" : ", ") + i->name;
        return Fail(ErrorCode::kInvalidArgument,
                    fmt::format("several issuing CAs exist ({}): name one with --issuer", names));
    }
    for (const auto& i : issuers) {
        if (i.name == name && i.role != IssuerRole::kOcspSigner) return i;
    }
    for (const auto& i : issuers) {
        if (i.name == fmt::format("{}-issuing", name)) return i;
    }
    return Fail(ErrorCode::kNotFound, fmt::format("no issuer named '{}'", name));
}

Result<std::unique_ptr<crypto::Signer>> CertificateAuthority::OpenSigner(
    const IssuerRecord& issuer) {
    std::unique_ptr<crypto::Signer> signer;
    if (issuer.key_ref.starts_with("file:")) {
        if (secrets_.passphrase.empty()) {
            return Fail(ErrorCode::kUnauthenticated, "CA key passphrase not provided",
                        "the CA key passphrase is needed: set GZCA_CA_PASSPHRASE or give "
                        "--passphrase-file");
        }
        auto path = data_dir_ / issuer.key_ref.substr(5);
        GZCA_ASSIGN_OR_RETURN(auto pem, ReadFile(path, 1 << 20));
        auto key = crypto::PrivateKey::FromEncryptedPem(pem, secrets_.passphrase);
        if (!key) {
            return Fail(key.error().Context(fmt::format("CA key of {}", issuer.name)));
        }
        signer = crypto::MakeKeySigner(std::move(*key));
    } else if (issuer.key_ref.starts_with("pkcs11:")) {
        auto [uri, module] = SplitModulePath(issuer.key_ref);
        if (!secrets_.pkcs11_module.empty()) module = secrets_.pkcs11_module;
        GZCA_ASSIGN_OR_RETURN(signer, crypto::OpenPkcs11Signer({module, uri, secrets_.pkcs11_pin}));
    } else {
        return Fail(ErrorCode::kInternal, fmt::format("unknown key reference for {}", issuer.name),
                    "the CA key reference is not understood");
    }
    // The key must be the one the CA certificate certifies.
    GZCA_ASSIGN_OR_RETURN(auto cert, pki::ParseCertificate(issuer.cert_der));
    if (EVP_PKEY_eq(X509_get0_pubkey(cert.get()), signer->pkey()) != 1) {
        crypto::ClearOpenSslErrors();
        return Fail(ErrorCode::kFailedPrecondition,
                    fmt::format("key of {} does not match its certificate", issuer.name),
                    fmt::format("the key of CA '{}' does not match its certificate", issuer.name));
    }
    return signer;
}

Result<const CertificateAuthority::UnlockedIssuer*> CertificateAuthority::Unlock(
    const IssuerRecord& issuer) {
    std::lock_guard lock(mutex_);
    auto it = issuers_.find(issuer.id);
    if (it != issuers_.end()) return &it->second;
    UnlockedIssuer unlocked;
    GZCA_ASSIGN_OR_RETURN(unlocked.signer, OpenSigner(issuer));
    GZCA_ASSIGN_OR_RETURN(unlocked.cert, pki::ParseCertificate(issuer.cert_der));
    return &issuers_.emplace(issuer.id, std::move(unlocked)).first->second;
}

Result<const crypto::Signer*> CertificateAuthority::SignerFor(const IssuerRecord& issuer) {
    GZCA_ASSIGN_OR_RETURN(const UnlockedIssuer* unlocked, Unlock(issuer));
    return unlocked->signer.get();
}

Result<std::vector<Bytes>> CertificateAuthority::ChainOf(const IssuerRecord& issuer) {
    std::vector<Bytes> chain;
    if (issuer.role == IssuerRole::kIssuing) chain.push_back(issuer.cert_der);
    return chain;
}

Result<IssuedCertificate> CertificateAuthority::SignAndStore(PreparedIssue p) {
    GZCA_ASSIGN_OR_RETURN(const UnlockedIssuer* unlocked, Unlock(p.issuer));
    if (p.record.not_after > p.issuer.not_after) {
        return Fail(ErrorCode::kFailedPrecondition,
                    "requested validity ends after the issuing CA's",
                    fmt::format("the issuing CA '{}' expires on {}, before this certificate would",
                                p.issuer.name, FormatIso8601(p.issuer.not_after)));
    }

    // 1. Record the serial and request durably before anything is signed.
    std::int64_t id = 0;
    for (int attempt = 0;; ++attempt) {
        p.tmpl.serial = pki::NewSerial();
        p.record.serial = HexEncode(p.tmpl.serial);
        auto inserted = commits_.Run([&](store::Transaction& tx) -> Status {
            GZCA_ASSIGN_OR_RETURN(id, repo::InsertPending(tx, p.record, p.csr_der, clock_.Now()));
            return Ok();
        });
        if (inserted) break;
        if (inserted.error().code != ErrorCode::kAlreadyExists) return Fail(inserted.error());
        if (p.record.replaces_id) {
            GZCA_ASSIGN_OR_RETURN(auto tx, db_.Begin(false));
            GZCA_ASSIGN_OR_RETURN(auto successor, repo::FindSuccessor(*tx, *p.record.replaces_id));
            if (successor) {
                return Fail(ErrorCode::kFailedPrecondition,
                            fmt::format("certificate already has successor {}", successor->serial),
                            fmt::format("certificate {} has already been renewed or reissued "
                                        "(by {})",
                                        p.record.replaces_serial, successor->serial));
            }
        }
        if (attempt + 1 == kSerialAttempts) return Fail(inserted.error());
    }

    auto abort_row = [&](Error error) -> Result<IssuedCertificate> {
        if (auto tx = db_.Begin(true)) {
            if (repo::MarkAborted(**tx, id, clock_.Now())) (void)(*tx)->Commit();
        }
        spdlog::warn("certificate request {} aborted: {}", p.record.serial, error.internal);
        return Fail(std::move(error));
    };

    // 2. Sign.
    auto cert = pki::SignCertificate(p.tmpl, unlocked->cert.get(), *unlocked->signer);
    if (!cert) return abort_row(cert.error());
    Bytes der = pki::CertificateDer(cert->get());

    // 3. Store the DER durably (and, for a reissue, revoke the old one) before returning it.
    const TimePoint now = clock_.Now();
    auto stored = commits_.Run([&](store::Transaction& tx) -> Status {
        GZCA_TRY_STATUS(repo::MarkIssued(tx, id, der, now));
        if (p.supersede) {
            GZCA_TRY_STATUS(
                repo::MarkRevoked(tx, *p.supersede, now, pki::RevocationReason::kSuperseded, now));
        }
        return Ok();
    });
    if (!stored) return abort_row(stored.error());

    IssuedCertificate out;
    out.record = std::move(p.record);
    out.record.id = id;
    out.record.issuer_name = p.issuer.name;
    out.record.status = CertStatus::kIssued;
    out.record.der = std::move(der);
    GZCA_ASSIGN_OR_RETURN(out.chain, ChainOf(p.issuer));
    spdlog::info("issued certificate {} ({}) by {}", out.record.serial, out.record.profile,
                 p.issuer.name);
    return out;
}

Result<IssuedCertificate> CertificateAuthority::Issue(const IssueRequest& request) {
    GZCA_ASSIGN_OR_RETURN(auto issuer, ResolveIssuer(request.issuer));
    if (issuer.role != IssuerRole::kIssuing && !pki::IsCaProfile(request.profile)) {
        return Fail(ErrorCode::kInvalidArgument,
                    fmt::format("'{}' is a root CA: end-entity certificates come from an issuing "
                                "CA",
                                issuer.name));
    }
    if (pki::IsCaProfile(request.profile)) {
        return Fail(ErrorCode::kInvalidArgument,
                    "CA certificates are created by `gzca ca init`, not issued from a CSR");
    }
    GZCA_ASSIGN_OR_RETURN(auto csr, pki::ParseCsr(request.csr));
    auto subject = request.subject ? *request.subject : csr.subject;
    if (subject.attributes.empty()) {
        return Fail(ErrorCode::kInvalidArgument,
                    "the CSR has no subject and none was given: give --subject");
    }
    GZCA_TRY_STATUS(pki::Validate(subject));

    const TimePoint now = clock_.Now();
    PreparedIssue p;
    p.issuer = issuer;
    p.subject_key = std::move(csr.public_key);
    p.csr_der = std::move(csr.der);
    p.tmpl.subject = subject;
    p.tmpl.subject_key = p.subject_key.get();
    p.tmpl.not_before = now;
    p.tmpl.not_after = AddYears(now, config_.validity_years);
    p.tmpl.profile = request.profile;
    p.tmpl.dns_names = request.dns_names;
    p.tmpl.ip_addresses = request.ip_addresses;
    p.tmpl.urls = UrlsFor(config_, issuer.name);
    p.record.issuer_id = issuer.id;
    p.record.profile = std::string(pki::ProfileName(request.profile));
    p.record.subject = pki::ToRfc4514(subject);
    p.record.key_algorithm = std::string(crypto::KeyAlgorithmName(csr.key_algorithm));
    p.record.spki_sha256 = HexEncode(crypto::Sha256(csr.spki_der));
    p.tmpl.subject_spki_der = csr.spki_der;
    p.record.sm2_id =
        csr.sm2_id == pki::Sm2IdUsed::kNotSm2 ? "" : std::string(pki::Sm2IdUsedName(csr.sm2_id));
    p.record.not_before = p.tmpl.not_before;
    p.record.not_after = p.tmpl.not_after;
    return SignAndStore(std::move(p));
}

namespace {

// Loads the certificate a renewal or reissue starts from, with its subject and key.
struct Predecessor {
    IssuerRecord issuer;
    CertificateRecord record;
    crypto::X509Ptr cert;
    pki::DistinguishedName subject;
};

// SAN dNSNames of a certificate (a renewed TLS certificate keeps them).
std::vector<std::string> DnsNamesOf(const X509* cert) {
    std::vector<std::string> names;
    auto* sans =
        static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
    if (!sans) return names;
    for (int i = 0; i < sk_GENERAL_NAME_num(sans); ++i) {
        const GENERAL_NAME* gn = sk_GENERAL_NAME_value(sans, i);
        if (gn->type != GEN_DNS) continue;
        const ASN1_STRING* s = gn->d.dNSName;
        names.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                           static_cast<std::size_t>(ASN1_STRING_length(s)));
    }
    GENERAL_NAMES_free(sans);
    return names;
}

Result<Predecessor> LoadPredecessor(CertificateAuthority& ca, std::string_view issuer,
                                    std::string_view serial) {
    Predecessor p;
    GZCA_ASSIGN_OR_RETURN(p.record, ca.Find(issuer, serial));
    GZCA_ASSIGN_OR_RETURN(p.issuer, ca.ResolveIssuer(p.record.issuer_name));
    if (p.record.status != CertStatus::kIssued) {
        return Fail(ErrorCode::kFailedPrecondition,
                    fmt::format("certificate {} is {}", p.record.serial,
                                p.record.EffectiveStatus(ca.clock().Now())));
    }
    if (pki::ParseProfile(p.record.profile).transform(pki::IsCaProfile).value_or(true)) {
        return Fail(ErrorCode::kFailedPrecondition,
                    "CA and OCSP signer certificates are not renewed through this call");
    }
    GZCA_ASSIGN_OR_RETURN(p.cert, pki::ParseCertificate(p.record.der));
    GZCA_ASSIGN_OR_RETURN(p.subject, pki::FromX509Name(X509_get_subject_name(p.cert.get())));
    return p;
}

}  // namespace

Result<IssuedCertificate> CertificateAuthority::Renew(std::string_view issuer,
                                                      std::string_view serial, ByteView csr) {
    GZCA_ASSIGN_OR_RETURN(auto old, LoadPredecessor(*this, issuer, serial));
    const TimePoint now = clock_.Now();

    PreparedIssue p;
    p.issuer = old.issuer;
    if (csr.empty()) {
        p.subject_key = crypto::UpRef(X509_get0_pubkey(old.cert.get()));
        p.record.key_algorithm = old.record.key_algorithm;
        p.record.spki_sha256 = old.record.spki_sha256;
    } else {
        GZCA_ASSIGN_OR_RETURN(auto parsed, pki::ParseCsr(csr));
        p.subject_key = std::move(parsed.public_key);
        p.record.spki_sha256 = HexEncode(crypto::Sha256(parsed.spki_der));
        p.tmpl.subject_spki_der = parsed.spki_der;
        p.csr_der = std::move(parsed.der);
        p.record.key_algorithm = std::string(crypto::KeyAlgorithmName(parsed.key_algorithm));
        if (parsed.sm2_id != pki::Sm2IdUsed::kNotSm2) {
            p.record.sm2_id = std::string(pki::Sm2IdUsedName(parsed.sm2_id));
        }
    }
    GZCA_ASSIGN_OR_RETURN(auto profile, pki::ParseProfile(old.record.profile));
    // DESIGN.md §5: renewal before expiry extends from the old notAfter; after expiry from now.
    TimePoint base = now <= old.record.not_after ? old.record.not_after : now;
    p.tmpl.subject = old.subject;
    p.tmpl.subject_key = p.subject_key.get();
    p.tmpl.not_before = now;
    p.tmpl.not_after = AddYears(base, config_.validity_years);
    p.tmpl.profile = profile;
    p.tmpl.urls = UrlsFor(config_, old.issuer.name);
    p.tmpl.dns_names = DnsNamesOf(old.cert.get());
    p.record.issuer_id = old.issuer.id;
    p.record.profile = old.record.profile;
    p.record.subject = old.record.subject;
    p.record.not_before = p.tmpl.not_before;
    p.record.not_after = p.tmpl.not_after;
    p.record.replaces_id = old.record.id;
    p.record.replaces_serial = old.record.serial;
    return SignAndStore(std::move(p));
}

Result<IssuedCertificate> CertificateAuthority::Reissue(std::string_view issuer,
                                                        std::string_view serial, ByteView csr) {
    GZCA_ASSIGN_OR_RETURN(auto old, LoadPredecessor(*this, issuer, serial));
    const TimePoint now = clock_.Now();
    if (now > old.record.not_after) {
        return Fail(ErrorCode::kFailedPrecondition,
                    fmt::format("certificate {} has expired: renew it instead", old.record.serial));
    }
    if (csr.empty()) {
        return Fail(ErrorCode::kInvalidArgument, "a reissue needs a CSR for the new key (--csr)");
    }
    GZCA_ASSIGN_OR_RETURN(auto parsed, pki::ParseCsr(csr));
    PreparedIssue p;
    p.issuer = old.issuer;
    p.subject_key = std::move(parsed.public_key);
    p.record.spki_sha256 = HexEncode(crypto::Sha256(parsed.spki_der));
    p.tmpl.subject_spki_der = parsed.spki_der;
    if (p.record.spki_sha256 == old.record.spki_sha256) {
        return Fail(ErrorCode::kInvalidArgument,
                    "a reissue needs a new key: the CSR carries the old certificate's key");
    }
    GZCA_ASSIGN_OR_RETURN(auto profile, pki::ParseProfile(old.record.profile));
    p.csr_der = std::move(parsed.der);
    p.tmpl.subject = old.subject;
    p.tmpl.subject_key = p.subject_key.get();
    p.tmpl.not_before = now;
    p.tmpl.not_after = old.record.not_after;
    p.tmpl.profile = profile;
    p.tmpl.urls = UrlsFor(config_, old.issuer.name);
    p.record.issuer_id = old.issuer.id;
    p.record.profile = old.record.profile;
    p.record.subject = old.record.subject;
    p.record.key_algorithm = std::string(crypto::KeyAlgorithmName(parsed.key_algorithm));
    if (parsed.sm2_id != pki::Sm2IdUsed::kNotSm2) {
        p.record.sm2_id = std::string(pki::Sm2IdUsedName(parsed.sm2_id));
    }
    p.record.not_before = p.tmpl.not_before;
    p.record.not_after = p.tmpl.not_after;
    p.record.replaces_id = old.record.id;
    p.record.replaces_serial = old.record.serial;
    p.supersede = old.record;
    return SignAndStore(std::move(p));
}

Result<CertificateRecord> CertificateAuthority::Revoke(std::string_view issuer,
                                                       std::string_view serial,
                                                       pki::RevocationReason reason) {
    if (reason == pki::RevocationReason::kCertificateHold ||
        reason == pki::RevocationReason::kRemoveFromCrl) {
        return Fail(ErrorCode::kInvalidArgument,
                    "gzca revocations are permanent: certificateHold and removeFromCRL are not "
                    "supported");
    }
    GZCA_ASSIGN_OR_RETURN(auto rec, Find(issuer, serial));
    const TimePoint now = clock_.Now();
    if (rec.status == CertStatus::kRevoked) {
        return Fail(ErrorCode::kFailedPrecondition,
                    fmt::format("certificate {} is already revoked ({}, {})", rec.serial,
                                pki::RevocationReasonName(*rec.revocation_reason),
                                FormatIso8601(*rec.revoked_at)));
    }
    if (rec.status != CertStatus::kIssued) {
        return Fail(ErrorCode::kFailedPrecondition,
                    fmt::format("certificate {} was never issued ({})", rec.serial,
                                rec.EffectiveStatus(now)));
    }
    GZCA_ASSIGN_OR_RETURN(auto tx, db_.Begin(true));
    GZCA_TRY_STATUS(repo::MarkRevoked(*tx, rec, now, reason, now));
    GZCA_TRY_STATUS(tx->Commit());
    rec.status = CertStatus::kRevoked;
    rec.revoked_at = now;
    rec.revocation_reason = reason;
    spdlog::info("revoked certificate {} ({})", rec.serial, pki::RevocationReasonName(reason));
    return rec;
}

Result<repo::CrlRecord> CertificateAuthority::GenerateCrl(std::string_view issuer_name) {
    GZCA_ASSIGN_OR_RETURN(auto issuer, ResolveIssuer(issuer_name));
    GZCA_ASSIGN_OR_RETURN(const UnlockedIssuer* unlocked, Unlock(issuer));
    const TimePoint now = clock_.Now();

    GZCA_ASSIGN_OR_RETURN(auto tx, db_.Begin(true));
    pki::CrlTemplate tmpl;
    GZCA_ASSIGN_OR_RETURN(auto number, repo::TakeCrlNumber(*tx, issuer.id));
    tmpl.crl_number = static_cast<std::uint64_t>(number);
    tmpl.this_update = now;
    tmpl.next_update = now + config_.crl_validity;
    GZCA_ASSIGN_OR_RETURN(tmpl.entries, repo::ListRevocations(*tx, issuer.id));
    GZCA_ASSIGN_OR_RETURN(auto crl, pki::SignCrl(tmpl, unlocked->cert.get(), *unlocked->signer));
    repo::CrlRecord rec{number, tmpl.this_update, tmpl.next_update,
                        static_cast<std::int64_t>(tmpl.entries.size()), pki::CrlDer(crl.get())};
    GZCA_TRY_STATUS(repo::InsertCrl(*tx, issuer.id, rec));
    GZCA_TRY_STATUS(tx->Commit());
    spdlog::info("signed CRL {} of {} with {} entries", number, issuer.name, rec.entry_count);
    return rec;
}

Result<repo::CrlRecord> CertificateAuthority::LatestCrl(std::string_view issuer_name) {
    GZCA_ASSIGN_OR_RETURN(auto issuer, ResolveIssuer(issuer_name));
    GZCA_ASSIGN_OR_RETURN(auto tx, db_.Begin(false));
    GZCA_ASSIGN_OR_RETURN(auto crl, repo::LatestCrl(*tx, issuer.id));
    if (!crl) {
        return Fail(ErrorCode::kNotFound, fmt::format("no CRL of {} yet", issuer.name));
    }
    return std::move(*crl);
}

Result<CertificateRecord> CertificateAuthority::Find(std::string_view issuer,
                                                     std::string_view serial) {
    // Normalise: accept upper case, ':' separators and leading zero octets.
    GZCA_ASSIGN_OR_RETURN(auto bytes, pki::ParseSerialHex(serial));
    auto first = std::find_if(bytes.begin(), bytes.end(), [](auto b) { return b != 0; });
    std::string hex = HexEncode(Bytes(first, bytes.end()));
    GZCA_ASSIGN_OR_RETURN(auto tx, db_.Begin(false));
    std::optional<CertificateRecord> rec;
    if (issuer.empty()) {
        GZCA_ASSIGN_OR_RETURN(rec, repo::FindCertificateAnyIssuer(*tx, hex));
    } else {
        GZCA_ASSIGN_OR_RETURN(auto iss, ResolveIssuer(issuer));
        GZCA_ASSIGN_OR_RETURN(rec, repo::FindCertificate(*tx, iss.id, hex));
    }
    if (!rec) return Fail(ErrorCode::kNotFound, fmt::format("no certificate with serial {}", hex));
    return std::move(*rec);
}

Result<std::vector<CertificateRecord>> CertificateAuthority::List(repo::CertificateFilter filter) {
    filter.now = clock_.Now();
    GZCA_ASSIGN_OR_RETURN(auto tx, db_.Begin(false));
    return repo::ListCertificates(*tx, filter);
}

Result<std::int64_t> CertificateAuthority::RecoverPending() {
    GZCA_ASSIGN_OR_RETURN(auto tx, db_.Begin(true));
    GZCA_ASSIGN_OR_RETURN(auto n, repo::AbortAllPending(*tx, clock_.Now()));
    GZCA_TRY_STATUS(tx->Commit());
    if (n > 0) spdlog::warn("marked {} certificate requests left pending by a crash as aborted", n);
    return n;
}

}  // namespace gzca::ca
