// OCSP responder tests (RFC 6960), run against SQLite and PostgreSQL alike. Responses for
// P-256 and RSA hierarchies are checked by the `openssl ocsp` client; SM2 responses through
// the OpenSSL API with the GM/T 0009 signer ID (the CLI cannot set one).
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <map>
#include <regex>
#include <thread>

#include <fmt/format.h>

#include "ca/authority.h"
#include "ca/ocsp_responder.h"
#include "ca/repository.h"
#include "crypto/ossl.h"
#include "crypto/signer.h"
#include "pki/certificate.h"
#include "testing/fixtures.h"

namespace gzca::ca {
namespace {

using namespace std::chrono;
using crypto::KeyAlgorithm;
using crypto::PrivateKey;
using testing::DbKind;

constexpr std::string_view kPassphrase = "correct horse battery staple";

struct CommandResult {
    int exit_code = -1;
    std::string output;  // stdout and stderr
};

CommandResult RunCommand(const std::string& command) {
    CommandResult r;
    FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
    if (pipe == nullptr) return r;
    char buf[4096];
    std::size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof(buf), pipe)) > 0) r.output.append(buf, n);
    int status = ::pclose(pipe);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
}

void Write(const std::filesystem::path& path, ByteView data) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data.data()),
              static_cast<std::streamsize>(data.size()));
}

// "Cert Status: ..." lines of `openssl ocsp -resp_text`, in order.
std::vector<std::string> CertStatusLines(const std::string& text) {
    std::vector<std::string> out;
    static const std::regex kLine(R"(Cert Status: (\w+))");
    for (std::sregex_iterator it(text.begin(), text.end(), kLine), end; it != end; ++it) {
        out.push_back((*it)[1]);
    }
    return out;
}

struct SingleInfo {
    int status = -1;
    int reason = -1;
    std::optional<TimePoint> revoked_at;
    TimePoint this_update;
    std::optional<TimePoint> next_update;
};

struct ParsedResponse {
    int status = -1;  // OCSPResponseStatus
    crypto::OcspBasicRespPtr basic;
    std::vector<SingleInfo> singles;
};

ParsedResponse Parse(ByteView der) {
    ParsedResponse p;
    const unsigned char* q = der.data();
    crypto::OcspResponsePtr resp(d2i_OCSP_RESPONSE(nullptr, &q, static_cast<long>(der.size())));
    if (!resp) {
        ADD_FAILURE() << "response does not decode";
        return p;
    }
    p.status = OCSP_response_status(resp.get());
    p.basic.reset(OCSP_response_get1_basic(resp.get()));
    ERR_clear_error();
    if (!p.basic) return p;
    for (int i = 0; i < OCSP_resp_count(p.basic.get()); ++i) {
        OCSP_SINGLERESP* single = OCSP_resp_get0(p.basic.get(), i);
        SingleInfo s;
        ASN1_GENERALIZEDTIME *rev = nullptr, *thisupd = nullptr, *nextupd = nullptr;
        s.status = OCSP_single_get0_status(single, &s.reason, &rev, &thisupd, &nextupd);
        if (rev) s.revoked_at = *pki::FromAsn1Time(rev);
        s.this_update = *pki::FromAsn1Time(thisupd);
        if (nextupd) s.next_update = *pki::FromAsn1Time(nextupd);
        p.singles.push_back(s);
    }
    return p;
}

std::vector<int> Statuses(const ParsedResponse& p) {
    std::vector<int> out;
    for (const auto& s : p.singles) out.push_back(s.status);
    return out;
}

constexpr int kGood = V_OCSP_CERTSTATUS_GOOD;
constexpr int kRevoked = V_OCSP_CERTSTATUS_REVOKED;
constexpr int kUnknown = V_OCSP_CERTSTATUS_UNKNOWN;

crypto::X509Ptr Cert(ByteView der) {
    auto c = pki::ParseCertificate(der);
    EXPECT_TRUE(c) << c.error().internal;
    return c ? std::move(*c) : nullptr;
}

// A CertID for `serial_hex` under `issuer`, hashed with `md` (RFC 6960 §4.1.1).
crypto::OcspCertIdPtr CertId(const X509* issuer, std::string_view serial_hex, const EVP_MD* md) {
    auto mag = pki::ParseSerialHex(serial_hex);
    EXPECT_TRUE(mag);
    crypto::BnPtr bn(BN_bin2bn(mag->data(), static_cast<int>(mag->size()), nullptr));
    crypto::Asn1IntegerPtr serial(BN_to_ASN1_INTEGER(bn.get(), nullptr));
    return crypto::OcspCertIdPtr(OCSP_cert_id_new(md, X509_get_subject_name(issuer),
                                                  X509_get0_pubkey_bitstr(issuer), serial.get()));
}

Bytes Der(OCSP_REQUEST* req) {
    unsigned char* der = nullptr;
    int len = i2d_OCSP_REQUEST(req, &der);
    EXPECT_GT(len, 0);
    Bytes out(der, der + len);
    OPENSSL_free(der);
    return out;
}

// Builds a request through the API: CertIDs for `serials` under `issuer`, a nonce of
// `nonce_size` random octets when non-zero.
Bytes MakeRequest(const X509* issuer, const std::vector<std::string>& serials,
                  const EVP_MD* md = EVP_sha1(), std::size_t nonce_size = 0) {
    crypto::OcspRequestPtr req(OCSP_REQUEST_new());
    for (const auto& s : serials) {
        OCSP_request_add0_id(req.get(), CertId(issuer, s, md).release());
    }
    if (nonce_size > 0) {
        Bytes nonce = crypto::RandomBytes(nonce_size);
        EXPECT_EQ(OCSP_request_add1_nonce(req.get(), nonce.data(), static_cast<int>(nonce.size())),
                  1);
    }
    return Der(req.get());
}

// Adds an extension with raw extnValue bytes.
void AddExtension(OCSP_REQUEST* req, int nid, ByteView value, bool critical) {
    crypto::Asn1OctetStringPtr os(ASN1_OCTET_STRING_new());
    ASN1_OCTET_STRING_set(os.get(), value.data(), static_cast<int>(value.size()));
    crypto::X509ExtPtr ext(X509_EXTENSION_create_by_NID(nullptr, nid, critical ? 1 : 0, os.get()));
    ASSERT_TRUE(ext);
    ASSERT_EQ(OCSP_REQUEST_add_ext(req, ext.get(), -1), 1);
}

Bytes Sha1KeyId(const X509* cert) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EXPECT_EQ(X509_pubkey_digest(cert, EVP_sha1(), md, &len), 1);
    return Bytes(md, md + len);
}

// responderID byKey (RFC 6960 §4.2.2.3) of a basic response.
Bytes ResponderKeyId(OCSP_BASICRESP* bs) {
    const ASN1_OCTET_STRING* key = nullptr;
    const X509_NAME* name = nullptr;
    EXPECT_EQ(OCSP_resp_get0_id(bs, &key, &name), 1);
    EXPECT_EQ(name, nullptr) << "responderID should be byKey";
    if (key == nullptr) return {};
    return Bytes(ASN1_STRING_get0_data(key), ASN1_STRING_get0_data(key) + ASN1_STRING_length(key));
}

// Verifies the BasicOCSPResponse signature over DER(tbsResponseData) with SM3 and signer ID
// `sm2_id` ("" = OpenSSL's default, the empty ID) — independently of gzca's crypto module.
bool VerifySm2Response(OCSP_BASICRESP* bs, const X509* signer, std::string_view sm2_id) {
    unsigned char* tbs = nullptr;
    int tbs_len = i2d_OCSP_RESPDATA(const_cast<OCSP_RESPDATA*>(OCSP_resp_get0_respdata(bs)), &tbs);
    EXPECT_GT(tbs_len, 0);
    const ASN1_OCTET_STRING* sig = OCSP_resp_get0_signature(bs);
    auto key = crypto::NormalizeSm2Key(crypto::UpRef(X509_get0_pubkey(signer)));
    EXPECT_TRUE(key);
    crypto::MdCtxPtr ctx(EVP_MD_CTX_new());
    EVP_PKEY_CTX* pctx = nullptr;
    bool ok = EVP_DigestVerifyInit_ex(ctx.get(), &pctx, "SM3", nullptr, nullptr, key->get(),
                                      nullptr) == 1;
    if (ok && !sm2_id.empty()) {
        ok = EVP_PKEY_CTX_set1_id(pctx, sm2_id.data(), sm2_id.size()) == 1;
    }
    ok = ok && EVP_DigestVerify(ctx.get(), ASN1_STRING_get0_data(sig),
                                static_cast<std::size_t>(ASN1_STRING_length(sig)), tbs,
                                static_cast<std::size_t>(tbs_len)) == 1;
    OPENSSL_free(tbs);
    ERR_clear_error();
    return ok;
}

std::string AlgorithmOid(const X509_ALGOR* alg) {
    const ASN1_OBJECT* oid = nullptr;
    X509_ALGOR_get0(&oid, nullptr, nullptr, alg);
    char buf[80];
    OBJ_obj2txt(buf, sizeof(buf), oid, 1);
    return buf;
}

class OcspTest : public ::testing::TestWithParam<DbKind> {
  protected:
    void SetUp() override {
        auto t = testing::TestDatabase::Create(GetParam());
        ASSERT_TRUE(t) << t.error().internal;
        tdb_ = std::move(*t);
        dir_ = testing::MakeTempDir("gzca_ocsp_test_");
        KeySecrets secrets;
        secrets.passphrase = std::string(kPassphrase);
        ca_ = std::make_unique<CertificateAuthority>(tdb_->db(), clock_, CaConfig{}, secrets, dir_);
        responder_ = std::make_unique<OcspResponder>(*ca_, clock_, options_);
    }
    void TearDown() override {
        responder_.reset();
        ca_.reset();
        tdb_.reset();
        std::filesystem::remove_all(dir_);
    }

    // Creates a hierarchy and writes <name>-root.pem and <name>-issuing.pem.
    HierarchyInfo Init(const std::string& name, KeyAlgorithm alg) {
        HierarchyOptions o;
        o.name = name;
        o.algorithm = alg;
        auto info = ca_->InitHierarchy(o);
        EXPECT_TRUE(info) << info.error().internal;
        for (const IssuerRecord* r : {&info->root, &info->issuing, &info->ocsp}) {
            auto pem = pki::CertificatePem(Cert(r->cert_der).get());
            Write(Pem(r->name), AsBytes(pem));
        }
        return *info;
    }

    std::string Pem(const std::string& issuer_name) const {
        return (dir_ / (issuer_name + ".pem")).string();
    }

    CertificateRecord IssueNew(const std::string& issuer, KeyAlgorithm alg) {
        auto key = PrivateKey::Generate(alg);
        EXPECT_TRUE(key);
        IssueRequest req;
        req.issuer = issuer;
        req.csr = *testing::MakeCsr(*key, "/C=CN/O=gzca test/CN=ocsp subscriber");
        auto issued = ca_->Issue(req);
        EXPECT_TRUE(issued) << issued.error().internal;
        return issued->record;
    }

    // `openssl ocsp <args> -reqout req.der`: the request a real client sends.
    Bytes OpensslRequest(const std::string& args) {
        auto path = dir_ / "req.der";
        std::filesystem::remove(path);
        auto r = RunCommand(fmt::format("openssl ocsp {} -reqout '{}'", args, path.string()));
        EXPECT_EQ(r.exit_code, 0) << r.output;
        auto der = ReadFile(path);
        EXPECT_TRUE(der);
        return der ? *der : Bytes{};
    }

    // `openssl ocsp -reqin -respin -resp_text`, verifying up to `root` with `issuer` as the
    // intermediate. Returns the output (stdout + stderr).
    std::string OpensslCheck(ByteView request, ByteView response, const std::string& issuer,
                             const std::string& root) {
        auto req = dir_ / "check-req.der";
        auto resp = dir_ / "check-resp.der";
        Write(req, request);
        Write(resp, response);
        auto r = RunCommand(fmt::format(
            "openssl ocsp -reqin '{}' -respin '{}' -issuer '{}' -verify_other '{}' -CAfile '{}' "
            "-resp_text",
            req.string(), resp.string(), Pem(issuer), Pem(issuer), Pem(root)));
        return r.output;
    }

    // Expects `openssl ocsp` to verify the response (signature, chain, delegation, nonce).
    void ExpectOpensslVerifies(const std::string& output) {
        EXPECT_NE(output.find("Response verify OK"), std::string::npos) << output;
        EXPECT_EQ(output.find("Nonce Verify error"), std::string::npos) << output;
        EXPECT_EQ(output.find("WARNING"), std::string::npos) << output;
    }

    std::int64_t InsertPending(const IssuerRecord& issuer, const std::string& serial) {
        CertificateRecord rec;
        rec.issuer_id = issuer.id;
        rec.serial = serial;
        rec.profile = "sign";
        rec.subject = "CN=x";
        rec.key_algorithm = "ecdsa-p256";
        rec.spki_sha256 = "00";
        rec.not_before = clock_.Now();
        rec.not_after = clock_.Now() + days(1);
        auto tx = tdb_->db().Begin(true);
        auto id = repo::InsertPending(**tx, rec, {}, clock_.Now());
        EXPECT_TRUE(id) << id.error().internal;
        EXPECT_TRUE((*tx)->Commit());
        return *id;
    }

    // Real time: `openssl ocsp` checks thisUpdate/nextUpdate and the chain against it.
    ManualClock clock_{SystemClock().Now()};
    OcspOptions options_;
    std::unique_ptr<testing::TestDatabase> tdb_;
    std::filesystem::path dir_;
    std::unique_ptr<CertificateAuthority> ca_;
    std::unique_ptr<OcspResponder> responder_;
};

TEST_P(OcspTest, OpensslVerifiesGoodRevokedAndUnknownForP256AndRsa) {
    // Both hierarchies exist before the first request (the responder reads the CA table once;
    // see HierarchyCreatedAfterFirstRequestIsFound).
    std::map<std::string, HierarchyInfo> hierarchies;
    hierarchies["p256"] = Init("p256", KeyAlgorithm::kEcdsaP256);
    hierarchies["rsa"] = Init("rsa", KeyAlgorithm::kRsa2048);
    for (auto [name, alg] :
         {std::pair{"p256", KeyAlgorithm::kEcdsaP256}, std::pair{"rsa", KeyAlgorithm::kRsa2048}}) {
        SCOPED_TRACE(name);
        const HierarchyInfo& h = hierarchies[name];
        const std::string issuing = h.issuing.name;
        const std::string root = h.root.name;
        auto good = IssueNew(name, alg);
        auto revoked = IssueNew(name, alg);
        auto unspecified = IssueNew(name, alg);
        ASSERT_TRUE(ca_->Revoke(name, revoked.serial, pki::RevocationReason::kKeyCompromise));
        ASSERT_TRUE(ca_->Revoke(name, unspecified.serial, pki::RevocationReason::kUnspecified));
        const auto revoked_at = ca_->Find(name, revoked.serial)->revoked_at;

        struct Case {
            std::string serial;
            std::string expected;
        };
        for (const Case& c : {Case{good.serial, "good"}, Case{revoked.serial, "revoked"},
                              Case{unspecified.serial, "revoked"},
                              Case{"7e0102030405060708090a0b0c0d0e0f", "unknown"}}) {
            SCOPED_TRACE(c.serial);
            // openssl adds a nonce by default: the response must echo it.
            Bytes req =
                OpensslRequest(fmt::format("-issuer '{}' -serial 0x{}", Pem(issuing), c.serial));
            Bytes resp = responder_->Respond(req);
            auto out = OpensslCheck(req, resp, issuing, root);
            ExpectOpensslVerifies(out);
            EXPECT_EQ(CertStatusLines(out), std::vector<std::string>{c.expected}) << out;

            auto parsed = Parse(resp);
            ASSERT_EQ(parsed.status, OCSP_RESPONSE_STATUS_SUCCESSFUL);
            ASSERT_EQ(parsed.singles.size(), 1u);
            const auto& s = parsed.singles[0];
            EXPECT_EQ(s.this_update, clock_.Now());
            EXPECT_EQ(s.next_update, clock_.Now() + options_.validity);
            EXPECT_EQ(*pki::FromAsn1Time(OCSP_resp_get0_produced_at(parsed.basic.get())),
                      clock_.Now());
            if (c.serial == revoked.serial) {
                EXPECT_EQ(s.revoked_at, revoked_at);
                EXPECT_EQ(s.reason, OCSP_REVOKED_STATUS_KEYCOMPROMISE);
                EXPECT_NE(out.find("Revocation Reason: keyCompromise (0x1)"), std::string::npos)
                    << out;
            }
            if (c.serial == unspecified.serial) {
                // RFC 5280 §5.3.1: unspecified is expressed by leaving the reason out.
                EXPECT_EQ(s.reason, OCSP_REVOKED_STATUS_NOSTATUS);
                EXPECT_EQ(out.find("Revocation Reason"), std::string::npos) << out;
            }
            // Delegated responder: responderID is the OCSP signer's key, its certificate is sent.
            auto signer = Cert(h.ocsp.cert_der);
            EXPECT_EQ(ResponderKeyId(parsed.basic.get()), Sha1KeyId(signer.get()));
            auto* certs = OCSP_resp_get0_certs(parsed.basic.get());
            ASSERT_EQ(sk_X509_num(certs), 1);
            EXPECT_EQ(X509_cmp(sk_X509_value(certs, 0), signer.get()), 0);
        }
    }
}

TEST_P(OcspTest, SeveralCertIdsInOneRequestAreAnsweredInOrder) {
    auto h = Init("p256", KeyAlgorithm::kEcdsaP256);
    auto a = IssueNew("p256", KeyAlgorithm::kEcdsaP256);
    auto b = IssueNew("p256", KeyAlgorithm::kEcdsaP256);
    ASSERT_TRUE(ca_->Revoke("p256", b.serial, pki::RevocationReason::kSuperseded));
    Bytes req = OpensslRequest(fmt::format("-issuer '{}' -serial 0x{} -serial 0x{} -serial 0x{}",
                                           Pem(h.issuing.name), a.serial, b.serial,
                                           "10000000000000000000000000000001"));
    Bytes resp = responder_->Respond(req);
    auto out = OpensslCheck(req, resp, h.issuing.name, h.root.name);
    ExpectOpensslVerifies(out);
    EXPECT_EQ(CertStatusLines(out), (std::vector<std::string>{"good", "revoked", "unknown"}));
    EXPECT_NE(out.find("Revocation Reason: superseded (0x4)"), std::string::npos) << out;
}

TEST_P(OcspTest, Sha256CertIdIsAnsweredWithTheSameCertId) {
    auto h = Init("p256", KeyAlgorithm::kEcdsaP256);
    auto a = IssueNew("p256", KeyAlgorithm::kEcdsaP256);
    // -sha256 (before -serial) makes openssl hash the CertID's issuer name and key with SHA-256.
    Bytes req = OpensslRequest(
        fmt::format("-sha256 -issuer '{}' -serial 0x{}", Pem(h.issuing.name), a.serial));
    Bytes resp = responder_->Respond(req);
    auto out = OpensslCheck(req, resp, h.issuing.name, h.root.name);
    ExpectOpensslVerifies(out);
    EXPECT_NE(out.find("Hash Algorithm: sha256"), std::string::npos) << out;
    EXPECT_EQ(CertStatusLines(out), std::vector<std::string>{"good"});
}

TEST_P(OcspTest, Sm2ResponseVerifiesWithTheDefaultIdOnly) {
    auto h = Init("sm2", KeyAlgorithm::kSm2);
    auto a = IssueNew("sm2", KeyAlgorithm::kSm2);
    auto issuing = Cert(h.issuing.cert_der);
    auto signer = Cert(h.ocsp.cert_der);
    for (const EVP_MD* md : {EVP_sm3(), EVP_sha1()}) {
        SCOPED_TRACE(EVP_MD_get0_name(md));
        Bytes resp = responder_->Respond(MakeRequest(issuing.get(), {a.serial}, md, 16));
        auto parsed = Parse(resp);
        ASSERT_EQ(parsed.status, OCSP_RESPONSE_STATUS_SUCCESSFUL);
        EXPECT_EQ(Statuses(parsed), std::vector<int>{kGood});
        // SM2-with-SM3 (GM/T 0006), no parameters.
        EXPECT_EQ(AlgorithmOid(OCSP_resp_get0_tbs_sigalg(parsed.basic.get())),
                  "1.2.156.10197.1.501");
        EXPECT_EQ(ResponderKeyId(parsed.basic.get()), Sha1KeyId(signer.get()));
        EXPECT_TRUE(VerifySm2Response(parsed.basic.get(), signer.get(), crypto::kSm2DefaultId));
        EXPECT_FALSE(VerifySm2Response(parsed.basic.get(), signer.get(), ""));
    }
}

TEST_P(OcspTest, MalformedRequestsGetMalformedRequest) {
    auto h = Init("p256", KeyAlgorithm::kEcdsaP256);
    auto a = IssueNew("p256", KeyAlgorithm::kEcdsaP256);
    auto issuing = Cert(h.issuing.cert_der);
    const Bytes malformed = OcspResponder::ErrorResponse(OcspResponseStatus::kMalformedRequest);
    Bytes good = MakeRequest(issuing.get(), {a.serial});

    auto with_extension = [&](int nid, ByteView value, bool critical, int copies = 1) {
        const unsigned char* p = good.data();
        crypto::OcspRequestPtr req(d2i_OCSP_REQUEST(nullptr, &p, static_cast<long>(good.size())));
        for (int i = 0; i < copies; ++i) AddExtension(req.get(), nid, value, critical);
        return Der(req.get());
    };
    auto nonce_value = [](std::size_t n) {  // extnValue = OCTET STRING of n octets
        Bytes v{0x04, static_cast<std::uint8_t>(n)};
        Bytes nonce = crypto::RandomBytes(n);
        v.insert(v.end(), nonce.begin(), nonce.end());
        return v;
    };
    std::vector<std::string> seventeen;
    for (int i = 0; i < 17; ++i) seventeen.push_back(fmt::format("{:032x}", i + 1));
    Bytes trailing = good;
    trailing.push_back(0);
    Bytes truncated(good.begin(), good.end() - 1);
    Bytes oversize = good;
    oversize.resize(options_.max_request_size + 1);

    struct Case {
        std::string name;  // the clause checked
        Bytes request;
    };
    const Case cases[] = {
        {"not DER", Bytes{'h', 'e', 'l', 'l', 'o'}},
        {"empty body", {}},
        {"truncated (X.690 §8.1.3)", truncated},
        {"trailing bytes after the OCSPRequest", trailing},
        {"over max_request_size", oversize},
        {"more CertIDs than max_requests_per_message", MakeRequest(issuing.get(), seventeen)},
        {"33-octet nonce (RFC 8954 §2.1)",
         with_extension(NID_id_pkix_OCSP_Nonce, nonce_value(33), false)},
        {"empty nonce (RFC 8954 §2.1)",
         with_extension(NID_id_pkix_OCSP_Nonce, nonce_value(0), false)},
        {"two nonces (RFC 5280 §4.2)",
         with_extension(NID_id_pkix_OCSP_Nonce, nonce_value(8), false, 2)},
        {"unknown critical extension (RFC 5280 §4.2)",
         with_extension(NID_id_pkix_OCSP_CrlID, Bytes{0x30, 0x00}, true)},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.name);
        EXPECT_EQ(responder_->Respond(c.request), malformed);
    }
    // Boundaries that are fine: 16 CertIDs, a 32-octet nonce, an unknown non-critical extension.
    seventeen.pop_back();
    EXPECT_EQ(Statuses(Parse(responder_->Respond(MakeRequest(issuing.get(), seventeen)))),
              std::vector<int>(16, kUnknown));
    EXPECT_EQ(
        Parse(responder_->Respond(MakeRequest(issuing.get(), {a.serial}, EVP_sha1(), 32))).status,
        OCSP_RESPONSE_STATUS_SUCCESSFUL);
    EXPECT_EQ(
        Parse(responder_->Respond(with_extension(NID_id_pkix_OCSP_CrlID, Bytes{0x30, 0x00}, false)))
            .status,
        OCSP_RESPONSE_STATUS_SUCCESSFUL);
    // What a client sees.
    Write(dir_ / "malformed.der", malformed);
    auto out = RunCommand(fmt::format("openssl ocsp -respin '{}' -resp_text -noverify",
                                      (dir_ / "malformed.der").string()));
    EXPECT_NE(out.output.find("malformedrequest (1)"), std::string::npos) << out.output;
    EXPECT_GE(responder_->stats().malformed, std::size(cases));
}

TEST_P(OcspTest, CertIdOfAnUnknownCaIsUnauthorized) {
    auto h = Init("p256", KeyAlgorithm::kEcdsaP256);
    auto a = IssueNew("p256", KeyAlgorithm::kEcdsaP256);
    // A CA gzca does not hold: the same name but another key (RFC 5019 §2.2.3).
    auto other_key = PrivateKey::Generate(KeyAlgorithm::kEcdsaP256);
    auto pub_der = other_key->PublicKeyDer();
    const unsigned char* p = pub_der.data();
    crypto::PKeyPtr pub(d2i_PUBKEY(nullptr, &p, static_cast<long>(pub_der.size())));
    crypto::X509Ptr foreign(X509_new());
    X509_set_subject_name(foreign.get(), X509_get_subject_name(Cert(h.issuing.cert_der).get()));
    X509_set_pubkey(foreign.get(), pub.get());
    Bytes resp = responder_->Respond(MakeRequest(foreign.get(), {a.serial}, EVP_sha1(), 16));
    EXPECT_EQ(resp, OcspResponder::ErrorResponse(OcspResponseStatus::kUnauthorized));
    Write(dir_ / "unauth.der", resp);
    auto out = RunCommand(fmt::format("openssl ocsp -respin '{}' -resp_text -noverify",
                                      (dir_ / "unauth.der").string()));
    EXPECT_NE(out.output.find("unauthorized (6)"), std::string::npos) << out.output;
    // Mixed with a CertID of ours, the foreign one is answered unknown.
    crypto::OcspRequestPtr req(OCSP_REQUEST_new());
    OCSP_request_add0_id(req.get(),
                         CertId(Cert(h.issuing.cert_der).get(), a.serial, EVP_sha1()).release());
    OCSP_request_add0_id(req.get(), CertId(foreign.get(), a.serial, EVP_sha1()).release());
    EXPECT_EQ(Statuses(Parse(responder_->Respond(Der(req.get())))),
              (std::vector<int>{kGood, kUnknown}));
}

TEST_P(OcspTest, PendingAndAbortedSerialsAreNeverGood) {
    auto h = Init("p256", KeyAlgorithm::kEcdsaP256);
    const std::string aborted = "7f0000000000000000000000000000a1";
    const std::string pending = "7f0000000000000000000000000000a2";
    InsertPending(h.issuing, aborted);
    ASSERT_EQ(*ca_->RecoverPending(), 1);
    ASSERT_EQ(ca_->Find("p256", aborted)->status, CertStatus::kAborted);
    InsertPending(h.issuing, pending);
    auto issuing = Cert(h.issuing.cert_der);
    EXPECT_EQ(Statuses(Parse(responder_->Respond(
                  MakeRequest(issuing.get(), {aborted, pending}, EVP_sha1(), 16)))),
              (std::vector<int>{kUnknown, kUnknown}));
    // The same through the pre-signed (nonce-less) path.
    for (const auto& serial : {aborted, pending}) {
        Bytes req = OpensslRequest(
            fmt::format("-no_nonce -issuer '{}' -serial 0x{}", Pem(h.issuing.name), serial));
        auto out = OpensslCheck(req, responder_->Respond(req), h.issuing.name, h.root.name);
        EXPECT_NE(out.find("Response verify OK"), std::string::npos) << out;
        EXPECT_EQ(CertStatusLines(out), std::vector<std::string>{"unknown"});
    }
}

TEST_P(OcspTest, RootAnswersForItsIssuingCaItself) {
    auto h = Init("p256", KeyAlgorithm::kEcdsaP256);
    Bytes req = OpensslRequest(
        fmt::format("-issuer '{}' -serial 0x{}", Pem(h.root.name), h.issuing.serial));
    Bytes resp = responder_->Respond(req);
    auto out = OpensslCheck(req, resp, h.root.name, h.root.name);
    ExpectOpensslVerifies(out);
    EXPECT_EQ(CertStatusLines(out), std::vector<std::string>{"good"});
    auto parsed = Parse(resp);
    EXPECT_EQ(ResponderKeyId(parsed.basic.get()), Sha1KeyId(Cert(h.root.cert_der).get()));
    // The OCSP signer's own certificate is one the issuing CA issued.
    Bytes req2 = OpensslRequest(
        fmt::format("-issuer '{}' -serial 0x{}", Pem(h.issuing.name), h.ocsp.serial));
    auto out2 = OpensslCheck(req2, responder_->Respond(req2), h.issuing.name, h.root.name);
    ExpectOpensslVerifies(out2);
    EXPECT_EQ(CertStatusLines(out2), std::vector<std::string>{"good"});
}

TEST_P(OcspTest, CertIdsOfAnotherCaInTheSameRequestAreUnknown) {
    auto ha = Init("alpha", KeyAlgorithm::kEcdsaP256);
    auto hb = Init("beta", KeyAlgorithm::kEcdsaP256);
    auto a = IssueNew("alpha", KeyAlgorithm::kEcdsaP256);
    auto b = IssueNew("beta", KeyAlgorithm::kEcdsaP256);
    auto issuing_a = Cert(ha.issuing.cert_der);
    auto issuing_b = Cert(hb.issuing.cert_der);
    auto request = [&](X509* first, const std::string& s1, X509* second, const std::string& s2) {
        crypto::OcspRequestPtr req(OCSP_REQUEST_new());
        OCSP_request_add0_id(req.get(), CertId(first, s1, EVP_sha1()).release());
        OCSP_request_add0_id(req.get(), CertId(second, s2, EVP_sha1()).release());
        return Der(req.get());
    };
    // The first CertID picks the responder; the other CA's CertID is unknown to it.
    auto ab =
        Parse(responder_->Respond(request(issuing_a.get(), a.serial, issuing_b.get(), b.serial)));
    EXPECT_EQ(Statuses(ab), (std::vector<int>{kGood, kUnknown}));
    EXPECT_EQ(ResponderKeyId(ab.basic.get()), Sha1KeyId(Cert(ha.ocsp.cert_der).get()));
    auto ba =
        Parse(responder_->Respond(request(issuing_b.get(), b.serial, issuing_a.get(), a.serial)));
    EXPECT_EQ(Statuses(ba), (std::vector<int>{kGood, kUnknown}));
    EXPECT_EQ(ResponderKeyId(ba.basic.get()), Sha1KeyId(Cert(hb.ocsp.cert_der).get()));
    // A serial of CA b asked of CA a is unknown too.
    auto cross =
        Parse(responder_->Respond(MakeRequest(issuing_a.get(), {b.serial}, EVP_sha1(), 8)));
    EXPECT_EQ(Statuses(cross), std::vector<int>{kUnknown});
}

TEST_P(OcspTest, HierarchyCreatedAfterFirstRequestIsFound) {
    auto ha = Init("alpha", KeyAlgorithm::kEcdsaP256);
    auto a = IssueNew("alpha", KeyAlgorithm::kEcdsaP256);
    EXPECT_EQ(Statuses(Parse(responder_->Respond(
                  MakeRequest(Cert(ha.issuing.cert_der).get(), {a.serial}, EVP_sha1(), 8)))),
              std::vector<int>{kGood});
    auto hb = Init("beta", KeyAlgorithm::kEcdsaP256);
    auto b = IssueNew("beta", KeyAlgorithm::kEcdsaP256);
    Bytes req = MakeRequest(Cert(hb.issuing.cert_der).get(), {b.serial}, EVP_sha1(), 8);
    // Within issuer_reload_interval of the last read the table is not re-read...
    EXPECT_EQ(responder_->Respond(req),
              OcspResponder::ErrorResponse(OcspResponseStatus::kUnauthorized));
    // ...after it, an unrecognised CertID re-reads it; InvalidateAll does so at once.
    clock_.Advance(options_.issuer_reload_interval);
    EXPECT_EQ(Statuses(Parse(responder_->Respond(req))), std::vector<int>{kGood});
    responder_->InvalidateAll();
    EXPECT_EQ(Statuses(Parse(responder_->Respond(req))), std::vector<int>{kGood});
}

TEST_P(OcspTest, ExpiredCertificateStaysGoodAndTheCaSignsOnceItsResponderExpired) {
    auto h = Init("p256", KeyAlgorithm::kEcdsaP256);
    auto a = IssueNew("p256", KeyAlgorithm::kEcdsaP256);
    clock_.Advance(days(400));  // past the subscriber's and the OCSP signer's notAfter
    Bytes resp = responder_->Respond(
        MakeRequest(Cert(h.issuing.cert_der).get(), {a.serial}, EVP_sha1(), 16));
    auto parsed = Parse(resp);
    ASSERT_EQ(parsed.status, OCSP_RESPONSE_STATUS_SUCCESSFUL);
    EXPECT_EQ(Statuses(parsed), std::vector<int>{kGood});  // RFC 6960 §2.2: good = not revoked
    auto issuing = Cert(h.issuing.cert_der);
    EXPECT_EQ(ResponderKeyId(parsed.basic.get()), Sha1KeyId(issuing.get()));
    // Verifies (at the clock's time) as a response signed by the CA itself.
    crypto::X509StorePtr store(X509_STORE_new());
    X509_STORE_add_cert(store.get(), Cert(h.root.cert_der).get());
    X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(store.get()),
                               static_cast<time_t>(ToUnix(clock_.Now())));
    STACK_OF(X509)* others = sk_X509_new_null();
    sk_X509_push(others, issuing.get());
    EXPECT_EQ(OCSP_basic_verify(parsed.basic.get(), others, store.get(), 0), 1);
    sk_X509_free(others);
    ERR_clear_error();
}

TEST_P(OcspTest, NoncelessResponsesAreCachedUntilTheRefreshMargin) {
    auto h = Init("p256", KeyAlgorithm::kEcdsaP256);
    auto a = IssueNew("p256", KeyAlgorithm::kEcdsaP256);
    Bytes req = OpensslRequest(
        fmt::format("-no_nonce -issuer '{}' -serial 0x{}", Pem(h.issuing.name), a.serial));
    Bytes first = responder_->Respond(req);
    auto out = OpensslCheck(req, first, h.issuing.name, h.root.name);
    EXPECT_NE(out.find("Response verify OK"), std::string::npos) << out;
    EXPECT_EQ(CertStatusLines(out), std::vector<std::string>{"good"});
    EXPECT_EQ(responder_->Respond(req), first);
    EXPECT_EQ(responder_->stats().cache_hits, 1u);
    // With a nonce, every response is signed afresh (and carries the nonce).
    Bytes with_nonce =
        OpensslRequest(fmt::format("-issuer '{}' -serial 0x{}", Pem(h.issuing.name), a.serial));
    const auto signed_before = responder_->stats().signed_responses;
    responder_->Respond(with_nonce);
    responder_->Respond(with_nonce);
    EXPECT_EQ(responder_->stats().signed_responses, signed_before + 2);
    // Served until nextUpdate - refresh_margin, re-signed from then on.
    clock_.Advance(options_.validity - options_.refresh_margin - seconds(1));
    EXPECT_EQ(responder_->Respond(req), first);
    clock_.Advance(seconds(1));
    Bytes second = responder_->Respond(req);
    EXPECT_NE(second, first);
    auto parsed = Parse(second);
    ASSERT_EQ(parsed.singles.size(), 1u);
    EXPECT_EQ(parsed.singles[0].this_update, clock_.Now());
    EXPECT_EQ(responder_->Respond(req), second);
}

TEST_P(OcspTest, RevocationIsServedAfterInvalidate) {
    auto h = Init("p256", KeyAlgorithm::kEcdsaP256);
    auto a = IssueNew("p256", KeyAlgorithm::kEcdsaP256);
    auto b = IssueNew("p256", KeyAlgorithm::kEcdsaP256);
    auto issuing = Cert(h.issuing.cert_der);
    Bytes req_a = MakeRequest(issuing.get(), {a.serial});
    Bytes req_a256 = MakeRequest(issuing.get(), {a.serial}, EVP_sha256());
    Bytes req_b = MakeRequest(issuing.get(), {b.serial});
    for (const Bytes* r : {&req_a, &req_a256, &req_b}) {
        EXPECT_EQ(Statuses(Parse(responder_->Respond(*r))), std::vector<int>{kGood});
    }
    auto revoked = ca_->Revoke("p256", a.serial, pki::RevocationReason::kKeyCompromise);
    ASSERT_TRUE(revoked);
    // Until told, the pre-signed response stands (at most validity - refresh_margin).
    EXPECT_EQ(Statuses(Parse(responder_->Respond(req_a))), std::vector<int>{kGood});
    responder_->Invalidate(revoked->issuer_id, revoked->serial);
    for (const Bytes* r : {&req_a, &req_a256}) {  // every CertID hash of that serial
        auto parsed = Parse(responder_->Respond(*r));
        EXPECT_EQ(Statuses(parsed), std::vector<int>{kRevoked});
        EXPECT_EQ(parsed.singles[0].reason, OCSP_REVOKED_STATUS_KEYCOMPROMISE);
    }
    ASSERT_TRUE(ca_->Revoke("p256", b.serial, pki::RevocationReason::kCessationOfOperation));
    EXPECT_EQ(Statuses(Parse(responder_->Respond(req_b))), std::vector<int>{kGood});
    responder_->InvalidateAll();
    EXPECT_EQ(Statuses(Parse(responder_->Respond(req_b))), std::vector<int>{kRevoked});
    // Malformed serials are ignored.
    responder_->Invalidate(h.issuing.id, "not hex");
}

TEST_P(OcspTest, InvalidateRacingWithSigningLeavesNoStaleGood) {
    auto h = Init("p256", KeyAlgorithm::kEcdsaP256);
    auto issuing = Cert(h.issuing.cert_der);
    for (int round = 0; round < 4; ++round) {
        SCOPED_TRACE(round);
        auto c = IssueNew("p256", KeyAlgorithm::kEcdsaP256);
        Bytes req = MakeRequest(issuing.get(), {c.serial});
        std::atomic<bool> stop{false};
        std::vector<std::thread> threads;
        for (int t = 0; t < 2; ++t) {
            threads.emplace_back([&] {
                while (!stop) responder_->Respond(req);
            });
        }
        // Keep the threads signing (a miss after each invalidation), then revoke mid-flight: a
        // "good" read before the revocation committed must not be cached after Invalidate.
        for (int i = 0; i < 20; ++i) {
            responder_->Invalidate(c.issuer_id, c.serial);
            std::this_thread::sleep_for(microseconds(300));
        }
        auto revoked = ca_->Revoke("p256", c.serial, pki::RevocationReason::kKeyCompromise);
        ASSERT_TRUE(revoked);
        responder_->Invalidate(c.issuer_id, c.serial);
        std::this_thread::sleep_for(milliseconds(5));
        stop = true;
        for (auto& t : threads) t.join();
        EXPECT_EQ(Statuses(Parse(responder_->Respond(req))), std::vector<int>{kRevoked});
    }
}

TEST_P(OcspTest, GetRequestsDecodeUrlEncodedBase64) {
    auto h = Init("p256", KeyAlgorithm::kEcdsaP256);
    auto issuing = Cert(h.issuing.cert_der);
    // A request whose base64 holds '+', '/' and '=' padding (RFC 6960 Appendix A.1).
    Bytes der;
    std::string b64;
    for (int i = 0; i < 10000; ++i) {
        der = MakeRequest(issuing.get(), {HexEncode(crypto::RandomBytes(16)).replace(0, 1, "1")});
        b64 = Base64Encode(der);
        if (b64.find('+') != std::string::npos && b64.find('/') != std::string::npos &&
            b64.back() == '=') {
            break;
        }
    }
    ASSERT_NE(b64.find('+'), std::string::npos);
    ASSERT_NE(b64.find('/'), std::string::npos);
    ASSERT_EQ(b64.back(), '=');
    Bytes expected = responder_->Respond(der);  // pre-signed: every form below gets these bytes
    ASSERT_EQ(Parse(expected).status, OCSP_RESPONSE_STATUS_SUCCESSFUL);

    auto replace_all = [](std::string s, char from, std::string_view to) {
        std::string out;
        for (char c : s) {
            if (c == from) {
                out += to;
            } else {
                out += c;
            }
        }
        return out;
    };
    std::string encoded =
        replace_all(replace_all(replace_all(b64, '+', "%2B"), '/', "%2F"), '=', "%3D");
    std::string lower =
        replace_all(replace_all(replace_all(b64, '+', "%2b"), '/', "%2f"), '=', "%3d");
    std::string unpadded = b64.substr(0, b64.find('='));
    std::string url_safe = replace_all(replace_all(unpadded, '+', "-"), '/', "_");
    for (const std::string& form : {b64, encoded, lower, unpadded, url_safe}) {
        SCOPED_TRACE(form);
        EXPECT_EQ(responder_->RespondGet(form), expected);
    }
    const Bytes malformed = OcspResponder::ErrorResponse(OcspResponseStatus::kMalformedRequest);
    for (const std::string& bad : {std::string("%zz") + b64, b64 + "%2", std::string("!!!!"),
                                   std::string(""), b64.substr(0, 5)}) {
        SCOPED_TRACE(bad);
        EXPECT_EQ(responder_->RespondGet(bad), malformed);
    }
}

TEST_P(OcspTest, ConcurrentCachedResponsesAndTheirCost) {
    auto h = Init("p256", KeyAlgorithm::kEcdsaP256);
    auto issuing = Cert(h.issuing.cert_der);
    std::vector<Bytes> requests, expected;
    for (int i = 0; i < 4; ++i) {
        auto c = IssueNew("p256", KeyAlgorithm::kEcdsaP256);
        requests.push_back(MakeRequest(issuing.get(), {c.serial}));
        expected.push_back(responder_->Respond(requests.back()));
        ASSERT_EQ(Statuses(Parse(expected.back())), std::vector<int>{kGood});
    }
    auto cpu_now = [] {
        timespec ts{};
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
        return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;  // µs
    };

    // One thread: the cost of the hot path itself.
    constexpr int kSingle = 20000;
    const double single_start = cpu_now();
    for (int i = 0; i < kSingle; ++i) {
        std::size_t k = static_cast<std::size_t>(i) % requests.size();
        if (responder_->Respond(requests[k]).size() != expected[k].size()) ADD_FAILURE();
    }
    const double single_us = (cpu_now() - single_start) / kSingle;

    // Several threads at once: the cache's locking under contention.
    constexpr int kThreads = 2;
    constexpr int kPerThread = 20000;
    std::atomic<int> mismatches{0};
    const double cpu_start = cpu_now();
    const auto wall_start = steady_clock::now();
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < kPerThread; ++i) {
                std::size_t k = static_cast<std::size_t>(i + t) % requests.size();
                if (responder_->Respond(requests[k]) != expected[k]) ++mismatches;
            }
        });
    }
    for (auto& th : threads) th.join();
    const double cpu_us = cpu_now() - cpu_start;
    const double wall_us =
        duration_cast<duration<double, std::micro>>(steady_clock::now() - wall_start).count();
    EXPECT_EQ(mismatches.load(), 0);
    constexpr int kTotal = kThreads * kPerThread;

    // For comparison: responses that must be signed (a nonce defeats the cache).
    std::vector<Bytes> fresh;
    for (int i = 0; i < 50; ++i) {
        fresh.push_back(MakeRequest(issuing.get(), {"1234"}, EVP_sha1(), 16));
    }
    const double sign_start = cpu_now();
    for (const auto& r : fresh) EXPECT_EQ(Parse(responder_->Respond(r)).status, 0);
    const double sign_us = (cpu_now() - sign_start) / static_cast<double>(fresh.size());

    std::printf(
        "[ bench    ] %s: cached OCSP response: %.2f us CPU each on one thread; "
        "%.2f us CPU each with %d threads (%d responses, %.2f us wall per response); "
        "signed with a database look-up: %.0f us CPU each\n",
        testing::DbKindName(GetParam()).c_str(), single_us, cpu_us / kTotal, kThreads, kTotal,
        wall_us / kTotal, sign_us);
    EXPECT_GE(responder_->stats().cache_hits, static_cast<std::uint64_t>(kTotal + kSingle));
}

INSTANTIATE_TEST_SUITE_P(BothDatabases, OcspTest,
                         ::testing::Values(DbKind::kSqlite, DbKind::kPostgres),
                         [](const auto& info) { return testing::DbKindName(info.param); });

}  // namespace
}  // namespace gzca::ca
