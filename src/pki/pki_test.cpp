// Tests for the pki module. Test data comes from crypto::PrivateKey::Generate and from the
// openssl CLI (run through std::system in a per-process temporary directory); certificates and
// CRLs made here are read back both through the OpenSSL API and the openssl CLI.

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "base/bytes.h"
#include "crypto/key.h"
#include "crypto/signer.h"
#include "pki/certificate.h"
#include "pki/crl.h"
#include "pki/csr.h"
#include "pki/internal.h"
#include "pki/name.h"
#include "pki/profile.h"

namespace gzca::pki {
namespace {

namespace fs = std::filesystem;
using crypto::KeyAlgorithm;
using namespace std::chrono_literals;

// ---------------------------------------------------------------------------------------------
// Helpers

// One scratch directory per test process (ctest runs tests as separate processes).
const fs::path& TmpDir() {
    static const fs::path dir = [] {
        fs::path d = fs::temp_directory_path() / fmt::format("gzca_pki_test_{}", ::getpid());
        fs::create_directories(d);
        return d;
    }();
    return dir;
}

struct TmpDirCleanup {
    ~TmpDirCleanup() {
        std::error_code ec;
        fs::remove_all(fs::temp_directory_path() / fmt::format("gzca_pki_test_{}", ::getpid()), ec);
    }
} tmp_dir_cleanup;

void WriteFileBytes(const std::string& name, ByteView data) {
    std::ofstream out(TmpDir() / name, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data.data()),
              static_cast<std::streamsize>(data.size()));
    ASSERT_TRUE(out.good()) << name;
}

void WriteFileText(const std::string& name, std::string_view text) {
    WriteFileBytes(name, AsBytes(text));
}

Bytes ReadFileBytes(const std::string& name) {
    std::ifstream in(TmpDir() / name, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string s = ss.str();
    return Bytes(s.begin(), s.end());
}

struct CommandResult {
    int exit_code = -1;
    std::string output;  // stdout and stderr
};

// Runs shell `command` with the scratch directory as working directory.
CommandResult Shell(const std::string& command) {
    std::string out_file = (TmpDir() / "command_output.txt").string();
    std::string full =
        fmt::format("cd '{}' && ( {} ) > '{}' 2>&1", TmpDir().string(), command, out_file);
    int status = std::system(full.c_str());
    CommandResult r;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    Bytes out = ReadFileBytes("command_output.txt");
    r.output.assign(out.begin(), out.end());
    return r;
}

bool Contains(std::string_view haystack, std::string_view needle) {
    return haystack.find(needle) != std::string_view::npos;
}

TimePoint Date(int y, unsigned m, unsigned d) {
    return TimePoint(
        std::chrono::sys_days(std::chrono::year(y) / std::chrono::month(m) / std::chrono::day(d)));
}

const TimePoint kNotBefore = Date(2026, 1, 1);
const TimePoint kNotAfter = Date(2027, 1, 1);

IssuanceUrls TestUrls() {
    return {"http://crl.example.cn/issuing.crl",
            "http://ocsp.example.cn",
            "http://ca.example.cn/issuing.cer",
            {"1.2.156.112559.1.1.1", "2.23.140.1.2.2"}};
}

DistinguishedName Dn(std::string_view text) {
    auto dn = ParseDistinguishedName(text);
    EXPECT_TRUE(dn) << text << ": " << (dn ? "" : dn.error().internal);
    return dn ? *dn : DistinguishedName{};
}

crypto::PrivateKey NewKey(KeyAlgorithm alg) {
    auto key = crypto::PrivateKey::Generate(alg);
    if (!key) throw std::runtime_error("key generation failed: " + key.error().internal);
    return std::move(*key);
}

// A root and an issuing CA for one key algorithm, built once per process.
struct Chain {
    std::unique_ptr<crypto::Signer> root_signer;
    std::unique_ptr<crypto::Signer> issuing_signer;
    crypto::X509Ptr root;
    crypto::X509Ptr issuing;
};

const Chain& ChainFor(KeyAlgorithm alg) {
    static std::map<KeyAlgorithm, Chain> chains;
    auto it = chains.find(alg);
    if (it != chains.end()) return it->second;
    Chain c;
    c.root_signer = crypto::MakeKeySigner(NewKey(alg));
    c.issuing_signer = crypto::MakeKeySigner(NewKey(alg));

    CertificateTemplate root;
    root.serial = NewSerial();
    root.subject = Dn("/C=CN/O=gzca 测试/CN=gzca Root CA");
    root.subject_key = c.root_signer->pkey();
    root.not_before = kNotBefore;
    root.not_after = Date(2046, 1, 1);
    root.profile = Profile::kRootCa;
    auto root_cert = SignCertificate(root, nullptr, *c.root_signer);
    if (!root_cert) throw std::runtime_error("root: " + root_cert.error().internal);
    c.root = std::move(*root_cert);

    CertificateTemplate issuing;
    issuing.serial = NewSerial();
    issuing.subject = Dn("/C=CN/O=gzca 测试/CN=gzca Issuing CA");
    issuing.subject_key = c.issuing_signer->pkey();
    issuing.not_before = kNotBefore;
    issuing.not_after = Date(2036, 1, 1);
    issuing.profile = Profile::kIssuingCa;
    issuing.urls = TestUrls();
    auto issuing_cert = SignCertificate(issuing, c.root.get(), *c.root_signer);
    if (!issuing_cert) throw std::runtime_error("issuing: " + issuing_cert.error().internal);
    c.issuing = std::move(*issuing_cert);
    return chains.emplace(alg, std::move(c)).first->second;
}

CertificateTemplate LeafTemplate(Profile profile, const EVP_PKEY* key) {
    CertificateTemplate t;
    t.serial = NewSerial();
    t.subject = Dn("/C=CN/ST=北京/O=测试机构/OU=部门/CN=张三");
    t.subject_key = key;
    t.not_before = kNotBefore;
    t.not_after = kNotAfter;
    t.profile = profile;
    t.urls = TestUrls();
    if (profile == Profile::kTlsServer) {
        t.dns_names = {"www.example.cn", "*.api.example.cn"};
        t.ip_addresses = {"192.0.2.1", "2001:db8::1"};
    }
    return t;
}

std::string ExtensionUri(const GENERAL_NAME* gn) {
    if (gn == nullptr || gn->type != GEN_URI) return {};
    return std::string(
        reinterpret_cast<const char*>(ASN1_STRING_get0_data(gn->d.uniformResourceIdentifier)),
        static_cast<std::size_t>(ASN1_STRING_length(gn->d.uniformResourceIdentifier)));
}

bool IsCritical(X509* x, int nid) {
    int idx = X509_get_ext_by_NID(x, nid, -1);
    return idx >= 0 && X509_EXTENSION_get_critical(X509_get_ext(x, idx)) == 1;
}

bool HasExtension(X509* x, int nid) { return X509_get_ext_by_NID(x, nid, -1) >= 0; }

Bytes OctetBytes(const ASN1_OCTET_STRING* s) {
    if (s == nullptr) return {};
    return Bytes(ASN1_STRING_get0_data(s), ASN1_STRING_get0_data(s) + ASN1_STRING_length(s));
}

std::string AlgName(KeyAlgorithm alg) { return std::string(crypto::KeyAlgorithmName(alg)); }

const KeyAlgorithm kAllAlgs[] = {KeyAlgorithm::kSm2, KeyAlgorithm::kEcdsaP256,
                                 KeyAlgorithm::kRsa2048};

// ---------------------------------------------------------------------------------------------
// Distinguished names

TEST(Name, ParsesBothSyntaxes) {
    const DistinguishedName expected{{{"C", "CN"}, {"O", "机构"}, {"OU", "部门"}, {"CN", "张三"}}};
    const struct {
        const char* text;
        DistinguishedName want;
    } cases[] = {
        {"/C=CN/O=机构/OU=部门/CN=张三", expected},
        {"CN=张三,OU=部门,O=机构,C=CN", expected},
        {"CN=张三, OU=部门, O=机构, C=CN", expected},
        {"cn=张三,ou=部门,o=机构,c=CN", expected},
        {"commonName=张三,organizationalUnitName=部门,organizationName=机构,countryName=CN",
         expected},
        {"2.5.4.3=张三,2.5.4.11=部门,2.5.4.10=机构,2.5.4.6=CN", expected},
        // RFC 4514 §2.4 hex pairs for the UTF-8 octets of 张三.
        {"CN=\\E5\\BC\\A0\\E4\\B8\\89,OU=部门,O=机构,C=CN", expected},
        {"/O=a\\/b/CN=x", {{{"O", "a/b"}, {"CN", "x"}}}},
        {"CN=a\\,b\\+c,O=x", {{{"O", "x"}, {"CN", "a,b+c"}}}},
        {"/CN=x=y", {{{"CN", "x=y"}}}},
        {"CN=\\ lead and trail\\ ", {{{"CN", " lead and trail "}}}},
        {"/C=CN/CN=x/", {{{"C", "CN"}, {"CN", "x"}}}},
        {"/E=a@example.cn/O=x", {{{"emailAddress", "a@example.cn"}, {"O", "x"}}}},
        {"/DC=cn/DC=example/serialNumber=1234/CN=x",
         {{{"DC", "cn"}, {"DC", "example"}, {"serialNumber", "1234"}, {"CN", "x"}}}},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.text);
        auto dn = ParseDistinguishedName(c.text);
        ASSERT_TRUE(dn) << dn.error().internal;
        EXPECT_EQ(*dn, c.want);
    }
    EXPECT_EQ(expected.Get("CN"), "张三");
    EXPECT_EQ(expected.Get("ST"), "");
}

TEST(Name, RejectsInvalidSubjects) {
    const std::string cn64 = [] {
        std::string s;
        for (int i = 0; i < 64; ++i) s += "张";
        return s;
    }();
    const struct {
        std::string text;
        std::string why;  // expected in the public message
    } cases[] = {
        {"", "empty"},
        {"/CN=", "CN must not be empty"},
        {"/O=x/CN=" + cn64 + "a", "CN is longer than 64"},  // RFC 5280 App. A ub-common-name
        {"/CN=" + std::string(65, 'a'), "CN is longer than 64"},
        {"/O=" + std::string(65, 'a'), "O is longer than 64"},  // ub-organization-name
        {"/C=cn/CN=x", "C must be two upper-case"},             // RFC 5280 App. A, ISO 3166
        {"/C=CHN/CN=x", "C "},
        {"/C=C1/CN=x", "C must be two upper-case"},
        {"/CN=\xff\xfe", "not valid UTF-8"},      // RFC 5280 §4.1.2.4 UTF8String
        {"/CN=\xc0\xaf", "not valid UTF-8"},      // overlong '/', RFC 3629 §3
        {"/CN=\xed\xa0\x80", "not valid UTF-8"},  // surrogate, RFC 3629 §3
        {"/CN=\xe5\xbc", "not valid UTF-8"},      // truncated sequence
        {"/CN=a\x01z", "control character"},
        {"/CN=a\tb", "control character"},
        {"/CN=a\xc2\x85z", "control character"},  // U+0085 (C1)
        {"/XX=1/CN=a", "unknown attribute type 'XX'"},
        {"/postalCode=100000/CN=a", "unknown attribute type"},
        {"/C=CN/L=x", "needs a CN or an O"},
        {"/CN", "has no '='"},
        {"/=x/CN=a", "missing attribute type"},
        {"CN=a+O=b", "multi-valued"},
        {"CN=#04024869", "hex-encoded"},
        {"CN=a;O=b", "unescaped ';'"},
        {"/CN=a\\", "dangling backslash"},
        {"/emailAddress=张@example.cn/CN=x", "emailAddress must be ASCII"},
        {"/serialNumber=a_b/CN=x", "serialNumber contains characters"},
        {"/" +
             [] {
                 std::string s;
                 for (int i = 0; i < 17; ++i) s += "OU=x/";
                 return s + "CN=y";
             }(),
         "more than 16 attributes"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.text);
        auto dn = ParseDistinguishedName(c.text);
        ASSERT_FALSE(dn);
        EXPECT_EQ(dn.error().code, ErrorCode::kInvalidArgument);
        EXPECT_TRUE(Contains(dn.error().public_message, c.why)) << dn.error().public_message;
    }
    // 64 code points (192 UTF-8 octets) is within the bound: lengths count characters.
    auto ok = ParseDistinguishedName("/CN=" + cn64);
    ASSERT_TRUE(ok) << ok.error().internal;
    // Validate() also applies to names built directly.
    EXPECT_FALSE(Validate(DistinguishedName{{{"CN", "x"}, {"Cn", "y"}}}));
    EXPECT_TRUE(Validate(DistinguishedName{{{"CN", "x"}}}));
}

TEST(Name, Rfc4514RoundTripAndEscaping) {
    const DistinguishedName cases[] = {
        {{{"C", "CN"}, {"O", "机构"}, {"CN", "张三"}}},
        {{{"O", "a,b+c\"d\\e<f>g;h"}, {"CN", "#hash"}}},
        {{{"CN", " leading and trailing "}}},
        {{{"CN", "x=y"}, {"OU", "a/b"}}},
    };
    for (const auto& dn : cases) {
        std::string text = ToRfc4514(dn);
        SCOPED_TRACE(text);
        auto back = ParseDistinguishedName(text);
        ASSERT_TRUE(back) << back.error().internal;
        EXPECT_EQ(*back, dn);
    }
    EXPECT_EQ(ToRfc4514(cases[0]), "CN=张三,O=机构,C=CN");
    EXPECT_EQ(ToRfc4514(DistinguishedName{{{"CN", "#a b "}}}), "CN=\\#a b\\ ");
}

TEST(Name, X509EncodingUsesUtf8AndPrintableString) {
    // RFC 5280 §4.1.2.4: DirectoryString as UTF8String; countryName is PrintableString.
    auto dn = Dn("/C=CN/O=Test Org/OU=部门/CN=张三/emailAddress=a@example.cn");
    auto name = ToX509Name(dn);
    ASSERT_TRUE(name);
    const int want[] = {V_ASN1_PRINTABLESTRING, V_ASN1_UTF8STRING, V_ASN1_UTF8STRING,
                        V_ASN1_UTF8STRING, V_ASN1_IA5STRING};
    ASSERT_EQ(X509_NAME_entry_count(name->get()), 5);
    for (int i = 0; i < 5; ++i) {
        const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name->get(), i));
        EXPECT_EQ(ASN1_STRING_type(data), want[i]) << i;
        // One attribute per RDN.
        EXPECT_EQ(X509_NAME_ENTRY_set(X509_NAME_get_entry(name->get(), i)), i);
    }
    auto back = FromX509Name(name->get());
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, dn);
}

TEST(Name, FromX509NameConvertsOtherStringTypes) {
    crypto::X509NamePtr name(X509_NAME_new());
    // 张三 as BMPString (UTF-16BE).
    const unsigned char bmp[] = {0x5F, 0x20, 0x4E, 0x09};
    ASSERT_EQ(X509_NAME_add_entry_by_NID(name.get(), NID_commonName, V_ASN1_BMPSTRING, bmp,
                                         sizeof(bmp), -1, 0),
              1);
    std::unique_ptr<ASN1_OBJECT, crypto::OsslDeleter<ASN1_OBJECT_free>> oid(
        OBJ_txt2obj("1.2.3.4.5", 1));
    const unsigned char x[] = {'x'};
    ASSERT_EQ(X509_NAME_add_entry_by_OBJ(name.get(), oid.get(), V_ASN1_UTF8STRING, x, 1, -1, 0), 1);
    ASSERT_EQ(X509_NAME_add_entry_by_NID(name.get(), NID_pseudonym, V_ASN1_UTF8STRING, x, 1, -1, 0),
              1);
    auto dn = FromX509Name(name.get());
    ASSERT_TRUE(dn);
    ASSERT_EQ(dn->attributes.size(), 3u);
    EXPECT_EQ(dn->attributes[0], (NameAttribute{"CN", "张三"}));
    EXPECT_EQ(dn->attributes[1], (NameAttribute{"1.2.3.4.5", "x"}));
    EXPECT_EQ(dn->attributes[2].type, "pseudonym");
    EXPECT_FALSE(Validate(*dn));  // unknown types are not accepted in gzca subjects
}

// ---------------------------------------------------------------------------------------------
// Profiles

TEST(Profile, NamesRoundTrip) {
    const struct {
        Profile p;
        const char* name;
        bool ca;
    } cases[] = {
        {Profile::kSubscriberSign, "sign", false},    {Profile::kSubscriberEnc, "enc", false},
        {Profile::kOcspSigner, "ocsp-signer", false}, {Profile::kTlsServer, "tls-server", false},
        {Profile::kRootCa, "root-ca", true},          {Profile::kIssuingCa, "issuing-ca", true}};
    for (const auto& c : cases) {
        EXPECT_EQ(ProfileName(c.p), c.name);
        auto parsed = ParseProfile(c.name);
        ASSERT_TRUE(parsed);
        EXPECT_EQ(*parsed, c.p);
        EXPECT_EQ(IsCaProfile(c.p), c.ca);
    }
    for (const char* bad : {"", "Sign", "tls", "root"}) {
        auto parsed = ParseProfile(bad);
        ASSERT_FALSE(parsed) << bad;
        EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidArgument);
    }
}

// ---------------------------------------------------------------------------------------------
// Serial numbers

TEST(Serial, ThousandSerialsArePositiveShortAndUnique) {
    // RFC 5280 §4.1.2.2: positive, at most 20 octets; gzca: exactly 16, top bit clear.
    std::set<Bytes> seen;
    for (int i = 0; i < 1000; ++i) {
        Bytes s = NewSerial();
        ASSERT_EQ(s.size(), 16u);
        EXPECT_NE(s[0], 0);
        EXPECT_EQ(s[0] & 0x80, 0);
        EXPECT_TRUE(seen.insert(s).second) << "duplicate serial";
        auto asn1 = internal::SerialToAsn1(s);
        ASSERT_TRUE(asn1);
        EXPECT_EQ(ASN1_STRING_type(asn1->get()), V_ASN1_INTEGER);  // positive
        unsigned char* der = nullptr;
        int n = i2d_ASN1_INTEGER(asn1->get(), &der);
        EXPECT_EQ(n, 2 + 16);  // tag, length, 16 content octets
        OPENSSL_free(der);
        auto hex = SerialHex(asn1->get());
        EXPECT_EQ(hex, HexEncode(s));
        auto back = ParseSerialHex(hex);
        ASSERT_TRUE(back);
        EXPECT_EQ(*back, s);
    }
}

TEST(Serial, HexParsing) {
    const struct {
        const char* hex;
        bool ok;
        Bytes want;
    } cases[] = {
        {"0a1b", true, {0x0a, 0x1b}},
        {"A1B", true, {0x0a, 0x1b}},
        {"00ff", true, {0xff}},
        {"AA:bb", true, {0xaa, 0xbb}},
        {"", false, {}},
        {"zz", false, {}},
        {"0x12", false, {}},
        {"0102030405060708090a0b0c0d0e0f101112131415", false, {}},  // 21 octets (§4.1.2.2)
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.hex);
        auto r = ParseSerialHex(c.hex);
        ASSERT_EQ(static_cast<bool>(r), c.ok);
        if (c.ok) {
            EXPECT_EQ(*r, c.want);
        } else {
            EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
        }
    }
    auto twenty = ParseSerialHex("0102030405060708090a0b0c0d0e0f1011121314");
    ASSERT_TRUE(twenty);
    EXPECT_EQ(twenty->size(), 20u);
}

// ---------------------------------------------------------------------------------------------
// CSRs

// CSRs and keys made by the openssl CLI, once per process.
const std::map<std::string, Bytes>& CliFixtures() {
    static const std::map<std::string, Bytes> fixtures = [] {
        const char* subj = "-utf8 -subj '/C=CN/O=测试机构/CN=张三'";
        const std::vector<std::string> commands = {
            "openssl genpkey -algorithm SM2 -out sm2.key",
            "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out p256.key",
            "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa2048.key",
            "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out rsa1024.key",
            "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:secp256k1 -out k256.key",
            "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out p384.key",
            "openssl genpkey -algorithm ED25519 -out ed25519.key",
            fmt::format("openssl req -new -key sm2.key {} -sm3 -sigopt distid:1234567812345678 "
                        "-out sm2_default.csr",
                        subj),
            fmt::format("openssl req -new -key sm2.key {} -sm3 -out sm2_empty.csr", subj),
            fmt::format("openssl req -new -key sm2.key {} -sm3 -sigopt distid:alice@example.cn "
                        "-out sm2_other.csr",
                        subj),
            fmt::format("openssl req -new -key p256.key {} -sha256 -out p256.csr", subj),
            "openssl req -in p256.csr -outform DER -out p256.der",
            fmt::format("openssl req -new -key rsa2048.key {} -sha256 -out rsa2048.csr", subj),
            "openssl req -new -key rsa1024.key -subj /CN=weak -sha256 -out rsa1024.csr",
            "openssl req -new -key k256.key -subj /CN=k1 -sha256 -out k256.csr",
            "openssl req -new -key p384.key -subj /CN=p384 -sha384 -out p384.csr",
            "openssl req -new -key ed25519.key -subj /CN=ed -out ed25519.csr",
            "openssl req -new -key p256.key -subj / -sha256 -out empty_subject.csr",
        };
        for (const auto& cmd : commands) {
            auto r = Shell(cmd);
            if (r.exit_code != 0) throw std::runtime_error(cmd + ": " + r.output);
        }
        std::map<std::string, Bytes> out;
        for (const char* f : {"sm2_default.csr", "sm2_empty.csr", "sm2_other.csr", "p256.csr",
                              "p256.der", "rsa2048.csr", "rsa1024.csr", "k256.csr", "p384.csr",
                              "ed25519.csr", "empty_subject.csr"}) {
            out[f] = ReadFileBytes(f);
        }
        return out;
    }();
    return fixtures;
}

const Bytes& Fixture(const std::string& name) { return CliFixtures().at(name); }

// A CSR built through the OpenSSL API with any subject (the CLI refuses over-long values), each
// value stored as `type` (UTF8String unless told otherwise), signed with `key` and SHA-256.
Bytes MakeCsr(EVP_PKEY* key, const std::vector<NameAttribute>& subject,
              int type = V_ASN1_UTF8STRING) {
    crypto::X509ReqPtr req(X509_REQ_new());
    crypto::X509NamePtr name(X509_NAME_new());
    for (const auto& a : subject) {
        X509_NAME_add_entry_by_txt(name.get(), a.type.c_str(), type,
                                   reinterpret_cast<const unsigned char*>(a.value.data()),
                                   static_cast<int>(a.value.size()), -1, 0);
    }
    X509_REQ_set_version(req.get(), X509_REQ_VERSION_1);
    X509_REQ_set_subject_name(req.get(), name.get());
    X509_REQ_set_pubkey(req.get(), key);
    EXPECT_GT(X509_REQ_sign(req.get(), key, EVP_sha256()), 0);
    unsigned char* der = nullptr;
    int n = i2d_X509_REQ(req.get(), &der);
    Bytes out(der, der + n);
    OPENSSL_free(der);
    return out;
}

Bytes PemBody(const Bytes& pem) {
    // The DER inside a single-block PEM fixture.
    auto der = internal::PemOrDerToDer(pem, {"CERTIFICATE REQUEST"}, 1 << 20, "test");
    return der ? *der : Bytes{};
}

TEST(Csr, AcceptsOpensslCsrs) {
    const struct {
        const char* file;
        KeyAlgorithm alg;
        Sm2IdUsed id;
    } cases[] = {
        {"sm2_default.csr", KeyAlgorithm::kSm2, Sm2IdUsed::kDefaultId},
        {"sm2_empty.csr", KeyAlgorithm::kSm2, Sm2IdUsed::kEmptyId},
        {"p256.csr", KeyAlgorithm::kEcdsaP256, Sm2IdUsed::kNotSm2},
        {"p256.der", KeyAlgorithm::kEcdsaP256, Sm2IdUsed::kNotSm2},
        {"rsa2048.csr", KeyAlgorithm::kRsa2048, Sm2IdUsed::kNotSm2},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.file);
        auto csr = ParseCsr(Fixture(c.file));
        ASSERT_TRUE(csr) << csr.error().internal;
        EXPECT_EQ(csr->key_algorithm, c.alg);
        EXPECT_EQ(csr->sm2_id, c.id);
        EXPECT_EQ(csr->subject, Dn("/C=CN/O=测试机构/CN=张三"));
        ASSERT_TRUE(csr->public_key);
        EXPECT_EQ(csr->der, Contains(c.file, ".der") ? Fixture(c.file) : PemBody(Fixture(c.file)));
        if (c.alg == KeyAlgorithm::kSm2) {
            EXPECT_TRUE(EVP_PKEY_is_a(csr->public_key.get(), "SM2"));
        }
    }
    EXPECT_EQ(Sm2IdUsedName(Sm2IdUsed::kDefaultId), "1234567812345678");
    EXPECT_EQ(Sm2IdUsedName(Sm2IdUsed::kEmptyId), "empty");
    EXPECT_EQ(Sm2IdUsedName(Sm2IdUsed::kNotSm2), "n/a");
}

TEST(Csr, AcceptsLegacyLabelLeadingWhitespaceAndEmptySubject) {
    std::string pem(AsString(Fixture("p256.csr")));
    std::string legacy = pem;
    legacy.replace(legacy.find("BEGIN CERTIFICATE REQUEST"), 25, "BEGIN NEW CERTIFICATE REQUEST");
    legacy.replace(legacy.find("END CERTIFICATE REQUEST"), 23, "END NEW CERTIFICATE REQUEST");
    for (const std::string& input : {legacy, "\n  \r\n" + pem + "\n\n"}) {
        auto csr = ParseCsr(AsBytes(input));
        EXPECT_TRUE(csr) << csr.error().internal;
    }
    auto empty = ParseCsr(Fixture("empty_subject.csr"));
    ASSERT_TRUE(empty) << empty.error().internal;
    EXPECT_TRUE(empty->subject.attributes.empty());
}

TEST(Csr, RejectsBadInput) {
    const Bytes& good_pem = Fixture("p256.csr");
    const Bytes& good_der = Fixture("p256.der");
    auto tampered = [](Bytes der) {
        der[der.size() - 5] ^= 0x01;  // inside the signature value
        return der;
    };
    auto with = [](Bytes b, std::string_view extra) {
        b.insert(b.end(), extra.begin(), extra.end());
        return b;
    };
    auto relabel = [](const Bytes& pem) {
        std::string s(AsString(pem));
        for (std::string_view w : {"BEGIN CERTIFICATE REQUEST", "END CERTIFICATE REQUEST"}) {
            auto pos = s.find(w);
            s.replace(pos, w.size(),
                      w.starts_with("BEGIN") ? "BEGIN CERTIFICATE" : "END CERTIFICATE");
        }
        return Bytes(s.begin(), s.end());
    };
    Bytes sm2_tampered = tampered(PemBody(Fixture("sm2_default.csr")));
    auto p256 = NewKey(KeyAlgorithm::kEcdsaP256);
    auto patch = [](Bytes der, std::string_view from, std::string_view to) {
        auto it = std::search(der.begin(), der.end(), from.begin(), from.end());
        EXPECT_NE(it, der.end());
        if (it != der.end()) std::copy(to.begin(), to.end(), it);
        return der;
    };
    ASSERT_TRUE(ParseCsr(MakeCsr(p256.get(), {{"C", "CN"}, {"CN", "ok"}})));
    const struct {
        const char* name;  // the rule checked
        Bytes input;
        const char* why;  // expected in the public message
    } cases[] = {
        {"RFC 2986 §3 proof of possession: tampered P-256 signature", tampered(good_der),
         "signature does not verify"},
        {"RFC 2986 §3 proof of possession: tampered SM2 signature", sm2_tampered,
         "signature does not verify"},
        {"GM/T 0009: SM2 CSR signed with an unknown ID", Fixture("sm2_other.csr"),
         "signature does not verify"},
        {"truncated DER (X.690 §8.1.3 length exceeds input)",
         Bytes(good_der.begin(), good_der.begin() + static_cast<long>(good_der.size() / 2)),
         "malformed or truncated"},
        {"trailing garbage after DER", with(good_der, std::string_view("\0\0", 2)), "trailing"},
        {"trailing garbage after PEM", with(good_pem, "junk\n"), "after the PEM"},
        {"second PEM block", with(good_pem, AsString(good_pem)), "after the PEM"},
        {"RFC 7468 §7 label: CERTIFICATE instead of CERTIFICATE REQUEST", relabel(good_pem),
         "expected PEM label"},
        {"oversize input", Bytes(kMaxCsrSize + 1, 0x30), "exceeds the limit"},
        {"empty input", Bytes{}, "empty"},
        {"not DER", with(Bytes{}, "hello world"), "malformed"},
        {"broken base64",
         with(Bytes{},
              "-----BEGIN CERTIFICATE REQUEST-----\n!!!!\n"
              "-----END CERTIFICATE REQUEST-----\n"),
         "not valid PEM"},
        {"weak key: RSA-1024", Fixture("rsa1024.csr"), "1024 bits is too weak"},
        {"unsupported curve: secp256k1", Fixture("k256.csr"), "secp256k1"},
        {"unsupported curve: P-384", Fixture("p384.csr"), "is not accepted"},
        {"unsupported key type: Ed25519", Fixture("ed25519.csr"), "not accepted"},
        {"RFC 5280 App. A ub-common-name: 65-character CN",
         MakeCsr(p256.get(), {{"CN", std::string(65, 'a')}}), "CN is longer than 64"},
        {"RFC 5280 App. A / ISO 3166 country code", MakeCsr(p256.get(), {{"C", "cn"}, {"CN", "x"}}),
         "C must be two upper-case"},
        // OpenSSL cannot even encode such a name, so the octets are patched in afterwards.
        {"RFC 5280 §4.1.2.4 UTF8String: invalid UTF-8",
         patch(MakeCsr(p256.get(), {{"CN", "a~~~"}}), "a~~~", "a\xff\xfe~"), "malformed"},
        {"control character in CN", MakeCsr(p256.get(), {{"CN", std::string("a\0b", 3)}}),
         "control character"},
        {"empty CN", MakeCsr(p256.get(), {{"O", "x"}, {"CN", ""}}), "CN must not be empty"},
        {"unknown attribute", MakeCsr(p256.get(), {{"postalCode", "1"}, {"CN", "x"}}),
         "unknown attribute type"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        auto csr = ParseCsr(c.input);
        ASSERT_FALSE(csr);
        EXPECT_EQ(csr.error().code, ErrorCode::kInvalidArgument);
        EXPECT_TRUE(Contains(csr.error().public_message, c.why)) << csr.error().public_message;
        // OpenSSL text stays out of what users see.
        EXPECT_FALSE(Contains(csr.error().public_message, "error:")) << csr.error().public_message;
        EXPECT_EQ(ERR_peek_error(), 0u) << "error queue not drained";
    }
}

// ---------------------------------------------------------------------------------------------
// Certificates

struct ProfileExpectation {
    Profile profile;
    std::uint32_t key_usage;      // OpenSSL KU_* bits
    std::uint32_t ext_key_usage;  // OpenSSL XKU_* bits, UINT32_MAX = no extension
    bool ca;
    long path_len;  // -1: absent
    bool nocheck;
    bool san;
    std::vector<std::string> ku_names;
    std::vector<std::string> eku_names;
};

const std::vector<ProfileExpectation>& ProfileExpectations() {
    static const std::vector<ProfileExpectation> table = {
        {Profile::kSubscriberSign,
         KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION,
         XKU_SSL_CLIENT | XKU_SMIME,
         false,
         -1,
         false,
         false,
         {"digitalSignature", "nonRepudiation"},
         {"clientAuth", "emailProtection"}},
        {Profile::kSubscriberEnc,
         KU_KEY_ENCIPHERMENT | KU_DATA_ENCIPHERMENT | KU_KEY_AGREEMENT,
         UINT32_MAX,
         false,
         -1,
         false,
         false,
         {"keyEncipherment", "dataEncipherment", "keyAgreement"},
         {}},
        {Profile::kOcspSigner,
         KU_DIGITAL_SIGNATURE,
         XKU_OCSP_SIGN,
         false,
         -1,
         true,
         false,
         {"digitalSignature"},
         {"OCSPSigning"}},
        {Profile::kTlsServer,
         KU_DIGITAL_SIGNATURE,
         XKU_SSL_SERVER,
         false,
         -1,
         false,
         true,
         {"digitalSignature"},
         {"serverAuth"}},
    };
    return table;
}

TEST(Certificate, ProfilesCarryTheRightExtensions) {
    for (KeyAlgorithm alg : kAllAlgs) {
        const Chain& chain = ChainFor(alg);
        auto leaf_key = NewKey(alg);
        const bool rsa = alg == KeyAlgorithm::kRsa2048;
        for (const auto& want : ProfileExpectations()) {
            SCOPED_TRACE(AlgName(alg) + " " + std::string(ProfileName(want.profile)));
            auto cert = SignCertificate(LeafTemplate(want.profile, leaf_key.get()),
                                        chain.issuing.get(), *chain.issuing_signer);
            ASSERT_TRUE(cert) << cert.error().internal;
            X509* x = cert->get();
            EXPECT_EQ(X509_get_version(x), X509_VERSION_3);

            // RFC 5280 §4.2.1.3 keyUsage, critical; RSA TLS servers add keyEncipherment.
            std::uint32_t ku = want.key_usage;
            if (want.profile == Profile::kTlsServer && rsa) ku |= KU_KEY_ENCIPHERMENT;
            EXPECT_EQ(X509_get_key_usage(x), ku);
            EXPECT_TRUE(IsCritical(x, NID_key_usage));
            // §4.2.1.12 extKeyUsage, non-critical.
            EXPECT_EQ(X509_get_extended_key_usage(x), want.ext_key_usage);
            if (want.ext_key_usage != UINT32_MAX) {
                EXPECT_FALSE(IsCritical(x, NID_ext_key_usage));
            }
            // §4.2.1.9: end entities carry no basicConstraints here.
            EXPECT_EQ(X509_get_extension_flags(x) & EXFLAG_CA, 0u);
            EXPECT_FALSE(HasExtension(x, NID_basic_constraints));

            // §4.2.1.2 SKI method 1 and §4.2.1.1 AKI = issuer SKI.
            const ASN1_BIT_STRING* key_bits = X509_get0_pubkey_bitstr(x);
            EXPECT_EQ(
                OctetBytes(X509_get0_subject_key_id(x)),
                crypto::Sha1(ByteView(key_bits->data, static_cast<std::size_t>(key_bits->length))));
            EXPECT_EQ(OctetBytes(X509_get0_authority_key_id(x)),
                      OctetBytes(X509_get0_subject_key_id(chain.issuing.get())));
            EXPECT_FALSE(IsCritical(x, NID_subject_key_identifier));
            EXPECT_FALSE(IsCritical(x, NID_authority_key_identifier));

            // §4.2.1.13 CRL distribution point.
            std::unique_ptr<CRL_DIST_POINTS, crypto::OsslDeleter<CRL_DIST_POINTS_free>> cdp(
                static_cast<CRL_DIST_POINTS*>(
                    X509_get_ext_d2i(x, NID_crl_distribution_points, nullptr, nullptr)));
            ASSERT_TRUE(cdp);
            ASSERT_EQ(sk_DIST_POINT_num(cdp.get()), 1);
            const DIST_POINT* dp = sk_DIST_POINT_value(cdp.get(), 0);
            ASSERT_EQ(dp->distpoint->type, 0);
            EXPECT_EQ(ExtensionUri(sk_GENERAL_NAME_value(dp->distpoint->name.fullname, 0)),
                      "http://crl.example.cn/issuing.crl");

            // §4.2.2.1 AIA: OCSP and caIssuers.
            std::unique_ptr<AUTHORITY_INFO_ACCESS, crypto::OsslDeleter<AUTHORITY_INFO_ACCESS_free>>
                aia(static_cast<AUTHORITY_INFO_ACCESS*>(
                    X509_get_ext_d2i(x, NID_info_access, nullptr, nullptr)));
            ASSERT_TRUE(aia);
            ASSERT_EQ(sk_ACCESS_DESCRIPTION_num(aia.get()), 2);
            EXPECT_EQ(OBJ_obj2nid(sk_ACCESS_DESCRIPTION_value(aia.get(), 0)->method), NID_ad_OCSP);
            EXPECT_EQ(ExtensionUri(sk_ACCESS_DESCRIPTION_value(aia.get(), 0)->location),
                      "http://ocsp.example.cn");
            EXPECT_EQ(OBJ_obj2nid(sk_ACCESS_DESCRIPTION_value(aia.get(), 1)->method),
                      NID_ad_ca_issuers);
            EXPECT_EQ(ExtensionUri(sk_ACCESS_DESCRIPTION_value(aia.get(), 1)->location),
                      "http://ca.example.cn/issuing.cer");

            // §4.2.1.4 certificatePolicies.
            std::unique_ptr<CERTIFICATEPOLICIES, crypto::OsslDeleter<CERTIFICATEPOLICIES_free>>
                policies(static_cast<CERTIFICATEPOLICIES*>(
                    X509_get_ext_d2i(x, NID_certificate_policies, nullptr, nullptr)));
            ASSERT_TRUE(policies);
            std::vector<std::string> oids;
            for (int i = 0; i < sk_POLICYINFO_num(policies.get()); ++i) {
                char buf[64];
                OBJ_obj2txt(buf, sizeof(buf), sk_POLICYINFO_value(policies.get(), i)->policyid, 1);
                oids.emplace_back(buf);
            }
            EXPECT_EQ(oids, TestUrls().policy_oids);

            // RFC 6960 §4.2.2.2.1 id-pkix-ocsp-nocheck only for the OCSP signer.
            EXPECT_EQ(HasExtension(x, NID_id_pkix_OCSP_noCheck), want.nocheck);

            // §4.2.1.6 SAN only for TLS servers.
            std::unique_ptr<GENERAL_NAMES, crypto::OsslDeleter<GENERAL_NAMES_free>> san(
                static_cast<GENERAL_NAMES*>(
                    X509_get_ext_d2i(x, NID_subject_alt_name, nullptr, nullptr)));
            EXPECT_EQ(static_cast<bool>(san), want.san);
            if (san) {
                ASSERT_EQ(sk_GENERAL_NAME_num(san.get()), 4);
                const GENERAL_NAME* dns0 = sk_GENERAL_NAME_value(san.get(), 0);
                ASSERT_EQ(dns0->type, GEN_DNS);
                EXPECT_EQ(std::string(reinterpret_cast<const char*>(
                              ASN1_STRING_get0_data(dns0->d.dNSName))),
                          "www.example.cn");
                EXPECT_EQ(sk_GENERAL_NAME_value(san.get(), 2)->type, GEN_IPADD);
                EXPECT_EQ(ASN1_STRING_length(sk_GENERAL_NAME_value(san.get(), 3)->d.iPAddress), 16);
                EXPECT_EQ(X509_check_host(x, "www.example.cn", 0, 0, nullptr), 1);
                EXPECT_EQ(X509_check_host(x, "v1.api.example.cn", 0, 0, nullptr), 1);
                EXPECT_EQ(X509_check_ip_asc(x, "192.0.2.1", 0), 1);
            }

            // What the CLI and API show.
            auto info = InspectCertificate(x);
            ASSERT_TRUE(info) << info.error().internal;
            EXPECT_EQ(info->key_algorithm, AlgName(alg));
            std::vector<std::string> ku_names = want.ku_names;
            if (want.profile == Profile::kTlsServer && rsa) ku_names.push_back("keyEncipherment");
            EXPECT_EQ(info->key_usage, ku_names);
            EXPECT_EQ(info->extended_key_usage, want.eku_names);
            EXPECT_FALSE(info->is_ca);
            EXPECT_EQ(info->not_before, kNotBefore);
            EXPECT_EQ(info->not_after, kNotAfter);
            EXPECT_EQ(info->subject, Dn("/C=CN/ST=北京/O=测试机构/OU=部门/CN=张三"));
            EXPECT_EQ(info->issuer, Dn("/C=CN/O=gzca 测试/CN=gzca Issuing CA"));
            EXPECT_EQ(info->serial_hex, SerialHex(X509_get0_serialNumber(x)));
            EXPECT_EQ(info->spki_sha256_hex.size(), 64u);
            EXPECT_EQ(info->signature_algorithm, alg == KeyAlgorithm::kSm2 ? "SM2-with-SM3"
                                                 : alg == KeyAlgorithm::kEcdsaP256
                                                     ? "ecdsa-with-SHA256"
                                                     : "sha256WithRSAEncryption");

            auto verified = VerifyIssuedBy(x, chain.issuing.get());
            ASSERT_TRUE(verified);
            EXPECT_TRUE(*verified);
            auto wrong = VerifyIssuedBy(x, chain.root.get());
            ASSERT_TRUE(wrong);
            EXPECT_FALSE(*wrong);
            EXPECT_EQ(ERR_peek_error(), 0u);
        }
    }
}

TEST(Certificate, CaCertificates) {
    for (KeyAlgorithm alg : kAllAlgs) {
        SCOPED_TRACE(AlgName(alg));
        const Chain& chain = ChainFor(alg);
        X509* root = chain.root.get();
        X509* issuing = chain.issuing.get();
        // RFC 5280 §4.2.1.9 basicConstraints critical; §4.2.1.3 keyCertSign + cRLSign critical.
        for (X509* ca : {root, issuing}) {
            EXPECT_NE(X509_get_extension_flags(ca) & EXFLAG_CA, 0u);
            EXPECT_TRUE(IsCritical(ca, NID_basic_constraints));
            EXPECT_EQ(X509_get_key_usage(ca),
                      static_cast<std::uint32_t>(KU_KEY_CERT_SIGN | KU_CRL_SIGN));
            EXPECT_TRUE(IsCritical(ca, NID_key_usage));
            EXPECT_FALSE(HasExtension(ca, NID_ext_key_usage));
            EXPECT_TRUE(HasExtension(ca, NID_subject_key_identifier));
        }
        EXPECT_EQ(X509_get_pathlen(root), -1);
        EXPECT_EQ(X509_get_pathlen(issuing), 0);
        // Self-signed root: issuer = subject, no AKI, no URLs (§4.2.1.1 MAY omit).
        EXPECT_EQ(X509_NAME_cmp(X509_get_subject_name(root), X509_get_issuer_name(root)), 0);
        EXPECT_NE(X509_get_extension_flags(root) & EXFLAG_SS, 0u);
        EXPECT_FALSE(HasExtension(root, NID_authority_key_identifier));
        EXPECT_FALSE(HasExtension(root, NID_crl_distribution_points));
        EXPECT_FALSE(HasExtension(root, NID_info_access));
        // Issuing CA: AKI = root SKI, issuer name = root subject, URLs present.
        EXPECT_EQ(OctetBytes(X509_get0_authority_key_id(issuing)),
                  OctetBytes(X509_get0_subject_key_id(root)));
        EXPECT_EQ(X509_NAME_cmp(X509_get_issuer_name(issuing), X509_get_subject_name(root)), 0);
        EXPECT_TRUE(HasExtension(issuing, NID_crl_distribution_points));
        EXPECT_TRUE(HasExtension(issuing, NID_info_access));
        EXPECT_TRUE(HasExtension(issuing, NID_certificate_policies));
        auto info = InspectCertificate(issuing);
        ASSERT_TRUE(info);
        EXPECT_TRUE(info->is_ca);
        EXPECT_EQ(info->key_usage, (std::vector<std::string>{"keyCertSign", "cRLSign"}));
        EXPECT_TRUE(*VerifyIssuedBy(root, root));
        EXPECT_TRUE(*VerifyIssuedBy(issuing, root));
    }
}

TEST(Certificate, OpensslCliReadsProfiles) {
    const Chain& chain = ChainFor(KeyAlgorithm::kEcdsaP256);
    auto key = NewKey(KeyAlgorithm::kEcdsaP256);
    const struct {
        Profile profile;
        std::vector<const char*> want;
    } cases[] = {
        {Profile::kSubscriberSign,
         {"X509v3 Key Usage: critical", "Digital Signature, Non Repudiation",
          "TLS Web Client Authentication, E-mail Protection",
          "URI:http://crl.example.cn/issuing.crl", "OCSP - URI:http://ocsp.example.cn",
          "CA Issuers - URI:http://ca.example.cn/issuing.cer", "Policy: 1.2.156.112559.1.1.1",
          "Policy: 2.23.140.1.2.2", "X509v3 Authority Key Identifier",
          "X509v3 Subject Key Identifier"}},
        {Profile::kSubscriberEnc, {"Key Encipherment, Data Encipherment, Key Agreement"}},
        {Profile::kOcspSigner, {"OCSP Signing", "OCSP No Check"}},
        {Profile::kTlsServer,
         {"TLS Web Server Authentication", "DNS:www.example.cn", "DNS:*.api.example.cn",
          "IP Address:192.0.2.1", "IP Address:2001:DB8:0:0:0:0:0:1"}},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(ProfileName(c.profile));
        auto cert = SignCertificate(LeafTemplate(c.profile, key.get()), chain.issuing.get(),
                                    *chain.issuing_signer);
        ASSERT_TRUE(cert);
        WriteFileText("profile.pem", CertificatePem(cert->get()));
        auto r = Shell("openssl x509 -in profile.pem -noout -text");
        ASSERT_EQ(r.exit_code, 0) << r.output;
        for (const char* w : c.want) EXPECT_TRUE(Contains(r.output, w)) << w << "\n" << r.output;
    }
}

TEST(Certificate, ChineseSubjectIsUtf8String) {
    const Chain& chain = ChainFor(KeyAlgorithm::kSm2);
    auto key = NewKey(KeyAlgorithm::kSm2);
    auto cert = SignCertificate(LeafTemplate(Profile::kSubscriberSign, key.get()),
                                chain.issuing.get(), *chain.issuing_signer);
    ASSERT_TRUE(cert);
    const X509_NAME* subject = X509_get_subject_name(cert->get());
    ASSERT_EQ(X509_NAME_entry_count(subject), 5);
    for (int i = 0; i < 5; ++i) {
        const X509_NAME_ENTRY* e = X509_NAME_get_entry(subject, i);
        int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(e));
        EXPECT_EQ(ASN1_STRING_type(X509_NAME_ENTRY_get_data(e)),
                  nid == NID_countryName ? V_ASN1_PRINTABLESTRING : V_ASN1_UTF8STRING);
    }
    // Through DER and back.
    auto parsed = ParseCertificate(CertificateDer(cert->get()));
    ASSERT_TRUE(parsed);
    auto dn = FromX509Name(X509_get_subject_name(parsed->get()));
    ASSERT_TRUE(dn);
    EXPECT_EQ(ToRfc4514(*dn), "CN=张三,OU=部门,O=测试机构,ST=北京,C=CN");
    // And as the openssl CLI shows it.
    WriteFileText("utf8.pem", CertificatePem(cert->get()));
    auto r = Shell("openssl x509 -in utf8.pem -noout -subject -nameopt utf8,sep_comma_plus,sname");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_TRUE(Contains(r.output, "C=CN,ST=北京,O=测试机构,OU=部门,CN=张三")) << r.output;
    auto asn1 = Shell("openssl asn1parse -in utf8.pem");
    EXPECT_TRUE(Contains(asn1.output, "UTF8STRING")) << asn1.output;
}

TEST(Certificate, Sm2SignatureAlgorithmAndDefaultId) {
    const Chain& chain = ChainFor(KeyAlgorithm::kSm2);
    auto key = NewKey(KeyAlgorithm::kSm2);
    auto cert = SignCertificate(LeafTemplate(Profile::kSubscriberSign, key.get()),
                                chain.issuing.get(), *chain.issuing_signer);
    ASSERT_TRUE(cert);
    // GM/T 0015: AlgorithmIdentifier { 1.2.156.10197.1.501 } with no parameters, both in the
    // TBSCertificate and outside it.
    const Bytes alg_id = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x01, 0x83, 0x75};
    Bytes der = CertificateDer(cert->get());
    int count = 0;
    for (auto it = der.begin();
         (it = std::search(it, der.end(), alg_id.begin(), alg_id.end())) != der.end(); ++it) {
        ++count;
    }
    EXPECT_EQ(count, 2);
    WriteFileBytes("sm2_leaf.der", der);
    auto asn1 = Shell("openssl asn1parse -inform DER -in sm2_leaf.der");
    ASSERT_EQ(asn1.exit_code, 0);
    EXPECT_TRUE(Contains(asn1.output, ":SM2-with-SM3")) << asn1.output;
    EXPECT_FALSE(Contains(asn1.output, "NULL")) << asn1.output;
    // GM/T 0015 SubjectPublicKeyInfo: id-ecPublicKey with the SM2 curve as parameter.
    EXPECT_TRUE(Contains(asn1.output, ":id-ecPublicKey")) << asn1.output;
    EXPECT_TRUE(Contains(asn1.output, "OBJECT            :SM2")) << asn1.output;

    // The signature is over Z computed with the default ID: the empty ID must fail.
    auto tbs = internal::ToBeSignedBytes(der);
    ASSERT_TRUE(tbs);
    const ASN1_BIT_STRING* sig = nullptr;
    X509_get0_signature(&sig, nullptr, cert->get());
    ByteView sig_bytes(sig->data, static_cast<std::size_t>(sig->length));
    EVP_PKEY* issuer_key = X509_get0_pubkey(chain.issuing.get());
    EXPECT_TRUE(*crypto::VerifySignature(issuer_key, *tbs, sig_bytes, crypto::kSm2DefaultId));
    EXPECT_FALSE(*crypto::VerifySignature(issuer_key, *tbs, sig_bytes, ""));
    // Plain X509_verify sets no ID (OpenSSL 3.0 then uses the empty one) and must fail too.
    auto copy = ParseCertificate(der);
    ASSERT_TRUE(copy);
    auto typed = crypto::NormalizeSm2Key(crypto::UpRef(issuer_key));
    ASSERT_TRUE(typed);
    EXPECT_NE(X509_verify(copy->get(), typed->get()), 1);
    crypto::ClearOpenSslErrors();
    EXPECT_TRUE(*VerifyIssuedBy(cert->get(), chain.issuing.get()));
}

TEST(Certificate, OpensslVerifiesChains) {
    for (KeyAlgorithm alg : kAllAlgs) {
        SCOPED_TRACE(AlgName(alg));
        const Chain& chain = ChainFor(alg);
        auto key = NewKey(alg);
        auto cert = SignCertificate(LeafTemplate(Profile::kTlsServer, key.get()),
                                    chain.issuing.get(), *chain.issuing_signer);
        ASSERT_TRUE(cert);
        WriteFileText("root.pem", CertificatePem(chain.root.get()));
        WriteFileText("issuing.pem", CertificatePem(chain.issuing.get()));
        WriteFileText("leaf.pem", CertificatePem(cert->get()));
        const std::string at = "-attime 1780000000";  // 2026-05-28, inside every validity
        if (alg == KeyAlgorithm::kSm2) {
            // The CLI's -vfyopt distid sets the ID on the target certificate only; the chain's
            // other signatures are checked with OpenSSL 3.0's empty ID. So each link is
            // verified on its own, the issuing CA acting as a partial-chain trust anchor.
            const std::string id = " -vfyopt distid:1234567812345678";
            auto ca = Shell("openssl verify " + at + id + " -CAfile root.pem issuing.pem");
            EXPECT_EQ(ca.exit_code, 0) << ca.output;
            EXPECT_TRUE(Contains(ca.output, "issuing.pem: OK")) << ca.output;
            auto leaf =
                Shell("openssl verify " + at + id + " -partial_chain -CAfile issuing.pem leaf.pem");
            EXPECT_EQ(leaf.exit_code, 0) << leaf.output;
            EXPECT_TRUE(Contains(leaf.output, "leaf.pem: OK")) << leaf.output;
            // Without the default ID neither link verifies.
            auto no_id =
                Shell("openssl verify " + at + " -partial_chain -CAfile issuing.pem leaf.pem");
            EXPECT_NE(no_id.exit_code, 0) << no_id.output;
            auto ca_no_id = Shell("openssl verify " + at + " -CAfile root.pem issuing.pem");
            EXPECT_NE(ca_no_id.exit_code, 0) << ca_no_id.output;
        } else {
            auto ok = Shell("openssl verify " + at +
                            " -purpose sslserver -CAfile root.pem -untrusted issuing.pem leaf.pem");
            EXPECT_EQ(ok.exit_code, 0) << ok.output;
            EXPECT_TRUE(Contains(ok.output, "leaf.pem: OK")) << ok.output;
            auto wrong = Shell("openssl verify " + at + " -CAfile issuing.pem leaf.pem");
            EXPECT_NE(wrong.exit_code, 0) << wrong.output;  // root missing: no trust anchor
        }
    }
}

TEST(Certificate, ValidityTimeEncoding) {
    // RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050.
    const Chain& chain = ChainFor(KeyAlgorithm::kEcdsaP256);
    auto key = NewKey(KeyAlgorithm::kEcdsaP256);
    const struct {
        TimePoint not_before;
        TimePoint not_after;
        int before_type;
        int after_type;
    } cases[] = {
        {kNotBefore, Date(2049, 12, 31) + 23h + 59min + 59s, V_ASN1_UTCTIME, V_ASN1_UTCTIME},
        {kNotBefore, Date(2050, 1, 1), V_ASN1_UTCTIME, V_ASN1_GENERALIZEDTIME},
        {Date(1999, 6, 1), Date(9999, 12, 31) + 23h + 59min + 59s, V_ASN1_UTCTIME,
         V_ASN1_GENERALIZEDTIME},  // §4.1.2.5 "no well-defined expiration date"
    };
    for (const auto& c : cases) {
        auto t = LeafTemplate(Profile::kSubscriberSign, key.get());
        t.not_before = c.not_before;
        t.not_after = c.not_after;
        auto cert = SignCertificate(t, chain.issuing.get(), *chain.issuing_signer);
        ASSERT_TRUE(cert) << cert.error().internal;
        EXPECT_EQ(ASN1_STRING_type(X509_get0_notBefore(cert->get())), c.before_type);
        EXPECT_EQ(ASN1_STRING_type(X509_get0_notAfter(cert->get())), c.after_type);
        EXPECT_EQ(*FromAsn1Time(X509_get0_notBefore(cert->get())), c.not_before);
        EXPECT_EQ(*FromAsn1Time(X509_get0_notAfter(cert->get())), c.not_after);
    }
    EXPECT_FALSE(FromAsn1Time(nullptr));
}

TEST(Certificate, RejectsUnusableTemplates) {
    const Chain& chain = ChainFor(KeyAlgorithm::kEcdsaP256);
    const Chain& other = ChainFor(KeyAlgorithm::kSm2);
    auto key = NewKey(KeyAlgorithm::kEcdsaP256);
    // A leaf and its signer, to try issuing from a non-CA.
    auto leaf_signer = crypto::MakeKeySigner(NewKey(KeyAlgorithm::kEcdsaP256));
    auto leaf = SignCertificate(LeafTemplate(Profile::kSubscriberSign, leaf_signer->pkey()),
                                chain.issuing.get(), *chain.issuing_signer);
    ASSERT_TRUE(leaf);
    // RSA-1024, built directly (crypto refuses to generate it).
    crypto::PKeyPtr weak(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(1024)));
    ASSERT_TRUE(weak);

    using Mutate = std::function<void(CertificateTemplate&)>;
    const struct {
        const char* rule;
        Mutate mutate;
        const X509* issuer;
        const crypto::Signer* signer;
        const char* why;
    } cases[] = {
        {"RFC 5280 §4.1.2.5 notAfter after notBefore", [](auto& t) { t.not_after = t.not_before; },
         chain.issuing.get(), chain.issuing_signer.get(), "notAfter must be later"},
        {"RFC 5280 §4.1.2.2 serial positive",
         [](auto& t) {
             t.serial = {0, 0};
         },
         chain.issuing.get(), chain.issuing_signer.get(), "positive"},
        {"RFC 5280 §4.1.2.2 serial present", [](auto& t) { t.serial.clear(); }, chain.issuing.get(),
         chain.issuing_signer.get(), "positive"},
        {"RFC 5280 §4.1.2.2 serial ≤ 20 octets", [](auto& t) { t.serial = Bytes(21, 0x01); },
         chain.issuing.get(), chain.issuing_signer.get(), "longer than 20 octets"},
        {"RFC 5280 §4.1.2.2 20 octets with top bit needs 21 in DER",
         [](auto& t) { t.serial = Bytes(20, 0x80); }, chain.issuing.get(),
         chain.issuing_signer.get(), "longer than 20 octets"},
        {"subject validation",
         [](auto& t) {
             t.subject = DistinguishedName{{{"CN", ""}}};
         },
         chain.issuing.get(), chain.issuing_signer.get(), "CN must not be empty"},
        {"weak subject key", [&](auto& t) { t.subject_key = weak.get(); }, chain.issuing.get(),
         chain.issuing_signer.get(), "too weak"},
        {"no subject key", [](auto& t) { t.subject_key = nullptr; }, chain.issuing.get(),
         chain.issuing_signer.get(), "no public key"},
        {"TLS profile without names",
         [](auto& t) {
             t.profile = Profile::kTlsServer;
             t.dns_names.clear();
         },
         chain.issuing.get(), chain.issuing_signer.get(), "at least one DNS name"},
        {"RFC 5280 §4.2.1.6 dNSName preferred name syntax",
         [](auto& t) {
             t.profile = Profile::kTlsServer;
             t.dns_names = {"bad_name.example.cn"};
         },
         chain.issuing.get(), chain.issuing_signer.get(), "invalid DNS name"},
        {"RFC 5280 §4.2.1.6 wildcard only leftmost",
         [](auto& t) {
             t.profile = Profile::kTlsServer;
             t.dns_names = {"www.*.example.cn"};
         },
         chain.issuing.get(), chain.issuing_signer.get(), "invalid DNS name"},
        {"RFC 5280 §4.2.1.6 iPAddress",
         [](auto& t) {
             t.profile = Profile::kTlsServer;
             t.dns_names = {"ok.example.cn"};
             t.ip_addresses = {"300.1.1.1"};
         },
         chain.issuing.get(), chain.issuing_signer.get(), "invalid IP address"},
        {"SAN outside the TLS profile", [](auto& t) { t.dns_names = {"x.example.cn"}; },
         chain.issuing.get(), chain.issuing_signer.get(), "only issued in TLS"},
        {"RFC 5280 §4.2.1.4 policy OID", [](auto& t) { t.urls.policy_oids = {"not.an.oid"}; },
         chain.issuing.get(), chain.issuing_signer.get(), "dotted OID"},
        {"RFC 5280 §4.2.1.13 URL", [](auto& t) { t.urls.crl_url = "http://x/a b"; },
         chain.issuing.get(), chain.issuing_signer.get(), "ASCII URL"},
        {"self-signed leaf", [](auto&) {}, nullptr, chain.issuing_signer.get(),
         "only root CA certificates may be self-signed"},
        {"self-signed root with another key", [](auto& t) { t.profile = Profile::kRootCa; },
         nullptr, chain.issuing_signer.get(), "signed by its own key"},
        {"signer does not match issuer", [](auto&) {}, chain.issuing.get(),
         other.issuing_signer.get(), "does not match the issuer"},
        {"RFC 5280 §4.2.1.9 issuer must be a CA", [](auto&) {}, leaf->get(), leaf_signer.get(),
         "not a CA"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.rule);
        auto t = LeafTemplate(Profile::kSubscriberSign, key.get());
        c.mutate(t);
        auto cert = SignCertificate(t, c.issuer, *c.signer);
        ASSERT_FALSE(cert);
        EXPECT_EQ(cert.error().code, ErrorCode::kInvalidArgument);
        EXPECT_TRUE(Contains(cert.error().public_message, c.why)) << cert.error().public_message;
        EXPECT_EQ(ERR_peek_error(), 0u);
    }
}

TEST(Certificate, ParseRejectsBadEncodings) {
    const Chain& chain = ChainFor(KeyAlgorithm::kEcdsaP256);
    Bytes der = CertificateDer(chain.issuing.get());
    std::string pem = CertificatePem(chain.issuing.get());
    ASSERT_TRUE(pem.starts_with("-----BEGIN CERTIFICATE-----\n"));
    // Round trips.
    for (const Bytes& input : {der, Bytes(pem.begin(), pem.end())}) {
        auto cert = ParseCertificate(input);
        ASSERT_TRUE(cert);
        EXPECT_EQ(CertificateDer(cert->get()), der);
    }
    // Our PEM is what OpenSSL writes.
    crypto::BioPtr bio(BIO_new(BIO_s_mem()));
    PEM_write_bio_X509(bio.get(), chain.issuing.get());
    char* data = nullptr;
    long len = BIO_get_mem_data(bio.get(), &data);
    EXPECT_EQ(pem, std::string(data, static_cast<std::size_t>(len)));

    Bytes trailing = der;
    trailing.push_back(0);
    std::string crl_label = pem;
    crl_label.replace(crl_label.find("BEGIN CERTIFICATE"), 17, "BEGIN X509 CRL");
    crl_label.replace(crl_label.find("END CERTIFICATE"), 15, "END X509 CRL");
    const struct {
        const char* rule;
        Bytes input;
        const char* why;
    } cases[] = {
        {"truncated DER", Bytes(der.begin(), der.end() - 10), "malformed or truncated"},
        {"trailing data", trailing, "trailing data"},
        {"RFC 7468 label", Bytes(crl_label.begin(), crl_label.end()), "expected PEM label"},
        {"oversize", Bytes(kMaxCertificateSize + 1, 0x30), "exceeds the limit"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.rule);
        auto cert = ParseCertificate(c.input);
        ASSERT_FALSE(cert);
        EXPECT_EQ(cert.error().code, ErrorCode::kInvalidArgument);
        EXPECT_TRUE(Contains(cert.error().public_message, c.why)) << cert.error().public_message;
    }
}

TEST(Certificate, IssuesFromParsedCsr) {
    // The path the CA takes: CSR made by openssl → ParseCsr → SignCertificate.
    for (const char* file : {"sm2_default.csr", "sm2_empty.csr", "p256.csr", "rsa2048.csr"}) {
        SCOPED_TRACE(file);
        auto csr = ParseCsr(Fixture(file));
        ASSERT_TRUE(csr);
        const Chain& chain =
            ChainFor(csr->key_algorithm == KeyAlgorithm::kSm2 ? KeyAlgorithm::kSm2
                                                              : KeyAlgorithm::kEcdsaP256);
        auto t = LeafTemplate(Profile::kSubscriberSign, csr->public_key.get());
        t.subject = csr->subject;
        auto cert = SignCertificate(t, chain.issuing.get(), *chain.issuing_signer);
        ASSERT_TRUE(cert) << cert.error().internal;
        EXPECT_TRUE(*VerifyIssuedBy(cert->get(), chain.issuing.get()));
        EXPECT_EQ(EVP_PKEY_eq(X509_get0_pubkey(cert->get()), csr->public_key.get()), 1);
    }
}

// ---------------------------------------------------------------------------------------------
// CRLs

TEST(Crl, ReasonNames) {
    const struct {
        const char* text;
        bool ok;
        RevocationReason want;
    } cases[] = {
        {"unspecified", true, RevocationReason::kUnspecified},
        {"keyCompromise", true, RevocationReason::kKeyCompromise},
        {"KEYCOMPROMISE", true, RevocationReason::kKeyCompromise},
        {"cACompromise", true, RevocationReason::kCaCompromise},
        {"affiliationChanged", true, RevocationReason::kAffiliationChanged},
        {"superseded", true, RevocationReason::kSuperseded},
        {"cessationOfOperation", true, RevocationReason::kCessationOfOperation},
        {"certificateHold", true, RevocationReason::kCertificateHold},
        {"privilegeWithdrawn", true, RevocationReason::kPrivilegeWithdrawn},
        {"aACompromise", true, RevocationReason::kAaCompromise},
        {"0", true, RevocationReason::kUnspecified},
        {"4", true, RevocationReason::kSuperseded},
        {"10", true, RevocationReason::kAaCompromise},
        {"7", false, {}},  // RFC 5280 §5.3.1: value 7 is not used
        {"8", false, {}},  // removeFromCRL: delta CRLs only
        {"removeFromCRL", false, {}},
        {"11", false, {}},
        {"-1", false, {}},
        {"", false, {}},
        {"compromised", false, {}},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.text);
        auto r = ParseRevocationReason(c.text);
        ASSERT_EQ(static_cast<bool>(r), c.ok);
        if (c.ok) {
            EXPECT_EQ(*r, c.want);
            EXPECT_TRUE(ParseRevocationReason(RevocationReasonName(*r)));
        } else {
            EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
        }
    }
    EXPECT_EQ(RevocationReasonName(RevocationReason::kRemoveFromCrl), "removeFromCRL");
}

CrlTemplate SampleCrl() {
    CrlTemplate t;
    t.crl_number = 42;
    t.this_update = Date(2026, 3, 1);
    t.next_update = Date(2026, 3, 8);
    // Deliberately unsorted, with a leading-zero serial.
    t.entries = {
        {{0x7f, 0x01, 0x02}, Date(2026, 2, 1), RevocationReason::kKeyCompromise},
        {{0x00, 0x05}, Date(2026, 2, 2), RevocationReason::kUnspecified},
        {{0x01, 0x00}, Date(2026, 2, 3), RevocationReason::kSuperseded},
        {{0x30}, Date(2026, 2, 4), RevocationReason::kCessationOfOperation},
        {{0x80, 0x00, 0x00}, Date(2026, 2, 5), RevocationReason::kCertificateHold},
    };
    return t;
}

TEST(Crl, EntriesReasonsAndExtensions) {
    for (KeyAlgorithm alg : kAllAlgs) {
        SCOPED_TRACE(AlgName(alg));
        const Chain& chain = ChainFor(alg);
        auto signed_crl = SignCrl(SampleCrl(), chain.issuing.get(), *chain.issuing_signer);
        ASSERT_TRUE(signed_crl) << signed_crl.error().internal;
        auto crl = ParseCrl(CrlDer(signed_crl->get()));
        ASSERT_TRUE(crl);
        X509_CRL* c = crl->get();
        EXPECT_EQ(X509_CRL_get_version(c), X509_CRL_VERSION_2);
        EXPECT_EQ(X509_NAME_cmp(X509_CRL_get_issuer(c), X509_get_subject_name(chain.issuing.get())),
                  0);
        EXPECT_EQ(*FromAsn1Time(X509_CRL_get0_lastUpdate(c)), Date(2026, 3, 1));
        EXPECT_EQ(*FromAsn1Time(X509_CRL_get0_nextUpdate(c)), Date(2026, 3, 8));

        // RFC 5280 §5.1.2.6: entries; sorted by serial; reasonCode absent for unspecified.
        STACK_OF(X509_REVOKED)* revoked = X509_CRL_get_REVOKED(c);
        ASSERT_EQ(sk_X509_REVOKED_num(revoked), 5);
        const struct {
            const char* serial;
            int reason;  // -1: no reasonCode
            TimePoint when;
        } want[] = {{"05", -1, Date(2026, 2, 2)},
                    {"30", 5, Date(2026, 2, 4)},
                    {"0100", 4, Date(2026, 2, 3)},
                    {"7f0102", 1, Date(2026, 2, 1)},
                    {"800000", 6, Date(2026, 2, 5)}};
        for (int i = 0; i < 5; ++i) {
            const X509_REVOKED* rev = sk_X509_REVOKED_value(revoked, i);
            EXPECT_EQ(SerialHex(X509_REVOKED_get0_serialNumber(rev)), want[i].serial);
            EXPECT_EQ(*FromAsn1Time(X509_REVOKED_get0_revocationDate(rev)), want[i].when);
            int crit = 0;
            std::unique_ptr<ASN1_ENUMERATED, crypto::OsslDeleter<ASN1_ENUMERATED_free>> reason(
                static_cast<ASN1_ENUMERATED*>(
                    X509_REVOKED_get_ext_d2i(rev, NID_crl_reason, &crit, nullptr)));
            if (want[i].reason < 0) {
                EXPECT_FALSE(reason) << i;
            } else {
                ASSERT_TRUE(reason) << i;
                EXPECT_EQ(ASN1_ENUMERATED_get(reason.get()), want[i].reason);
                EXPECT_EQ(crit, 0);
            }
        }
        // §5.2.3 CRL number, §5.2.1 AKI = issuer SKI; both non-critical.
        int crit = -1;
        crypto::Asn1IntegerPtr number(
            static_cast<ASN1_INTEGER*>(X509_CRL_get_ext_d2i(c, NID_crl_number, &crit, nullptr)));
        ASSERT_TRUE(number);
        EXPECT_EQ(ASN1_INTEGER_get(number.get()), 42);
        EXPECT_EQ(crit, 0);
        std::unique_ptr<AUTHORITY_KEYID, crypto::OsslDeleter<AUTHORITY_KEYID_free>> akid(
            static_cast<AUTHORITY_KEYID*>(
                X509_CRL_get_ext_d2i(c, NID_authority_key_identifier, &crit, nullptr)));
        ASSERT_TRUE(akid);
        EXPECT_EQ(crit, 0);
        EXPECT_EQ(OctetBytes(akid->keyid),
                  OctetBytes(X509_get0_subject_key_id(chain.issuing.get())));

        auto ok = VerifyCrlIssuedBy(c, chain.issuing.get());
        ASSERT_TRUE(ok) << ok.error().internal;
        EXPECT_TRUE(*ok);
        EXPECT_FALSE(*VerifyCrlIssuedBy(c, chain.root.get()));
        // A flipped signature bit does not verify.
        Bytes der = CrlDer(c);
        der[der.size() - 3] ^= 0x01;
        auto tampered = ParseCrl(der);
        ASSERT_TRUE(tampered);
        EXPECT_FALSE(*VerifyCrlIssuedBy(tampered->get(), chain.issuing.get()));
        EXPECT_EQ(ERR_peek_error(), 0u);
    }
}

TEST(Crl, OpensslCliReadsAndVerifies) {
    for (KeyAlgorithm alg : {KeyAlgorithm::kEcdsaP256, KeyAlgorithm::kRsa2048}) {
        SCOPED_TRACE(AlgName(alg));
        const Chain& chain = ChainFor(alg);
        auto crl = SignCrl(SampleCrl(), chain.issuing.get(), *chain.issuing_signer);
        ASSERT_TRUE(crl);
        std::string pem = CrlPem(crl->get());
        ASSERT_TRUE(pem.starts_with("-----BEGIN X509 CRL-----\n"));
        WriteFileText("crl.pem", pem);
        WriteFileText("issuing.pem", CertificatePem(chain.issuing.get()));
        auto text = Shell("openssl crl -in crl.pem -noout -text");
        ASSERT_EQ(text.exit_code, 0) << text.output;
        for (const char* w :
             {"Version 2 (0x1)", "X509v3 CRL Number:", "42", "X509v3 Authority Key Identifier",
              "Serial Number: 7F0102", "Key Compromise", "Superseded", "Cessation Of Operation",
              "Certificate Hold", "Serial Number: 05", "Serial Number: 0100"}) {
            EXPECT_TRUE(Contains(text.output, w)) << w << "\n" << text.output;
        }
        EXPECT_FALSE(Contains(text.output, "Unspecified")) << text.output;
        auto verify = Shell("openssl crl -in crl.pem -CAfile issuing.pem -noout -verify");
        EXPECT_EQ(verify.exit_code, 0) << verify.output;
        EXPECT_TRUE(Contains(verify.output, "verify OK")) << verify.output;
    }
}

TEST(Crl, Sm2CrlUsesTheDefaultId) {
    const Chain& chain = ChainFor(KeyAlgorithm::kSm2);
    auto crl = SignCrl(SampleCrl(), chain.issuing.get(), *chain.issuing_signer);
    ASSERT_TRUE(crl);
    EXPECT_TRUE(*VerifyCrlIssuedBy(crl->get(), chain.issuing.get()));
    Bytes der = CrlDer(crl->get());
    auto tbs = internal::ToBeSignedBytes(der);
    ASSERT_TRUE(tbs);
    const ASN1_BIT_STRING* sig = nullptr;
    const X509_ALGOR* alg = nullptr;
    X509_CRL_get0_signature(crl->get(), &sig, &alg);
    const ASN1_OBJECT* oid = nullptr;
    int param_type = -1;
    X509_ALGOR_get0(&oid, &param_type, nullptr, alg);
    EXPECT_EQ(OBJ_obj2nid(oid), NID_SM2_with_SM3);
    EXPECT_EQ(param_type, V_ASN1_UNDEF);  // GM/T 0015: no parameters
    ByteView sig_bytes(sig->data, static_cast<std::size_t>(sig->length));
    EVP_PKEY* key = X509_get0_pubkey(chain.issuing.get());
    EXPECT_TRUE(*crypto::VerifySignature(key, *tbs, sig_bytes, crypto::kSm2DefaultId));
    EXPECT_FALSE(*crypto::VerifySignature(key, *tbs, sig_bytes, ""));
}

TEST(Crl, RejectsBadTemplates) {
    const Chain& chain = ChainFor(KeyAlgorithm::kEcdsaP256);
    const Chain& other = ChainFor(KeyAlgorithm::kSm2);
    auto leaf_signer = crypto::MakeKeySigner(NewKey(KeyAlgorithm::kEcdsaP256));
    auto leaf = SignCertificate(LeafTemplate(Profile::kSubscriberSign, leaf_signer->pkey()),
                                chain.issuing.get(), *chain.issuing_signer);
    ASSERT_TRUE(leaf);
    using Mutate = std::function<void(CrlTemplate&)>;
    const struct {
        const char* rule;
        Mutate mutate;
        const X509* issuer;
        const crypto::Signer* signer;
        const char* why;
    } cases[] = {
        {"RFC 5280 §5.1.2.5 nextUpdate after thisUpdate",
         [](auto& t) { t.next_update = t.this_update; }, chain.issuing.get(),
         chain.issuing_signer.get(), "nextUpdate must be later"},
        {"duplicate serial",
         [](auto& t) {
             t.entries.push_back({{0x05}, Date(2026, 1, 1), {}});
         },
         chain.issuing.get(), chain.issuing_signer.get(), "appears twice"},
        {"RFC 5280 §5.3.1 removeFromCRL only in delta CRLs",
         [](auto& t) { t.entries[0].reason = RevocationReason::kRemoveFromCrl; },
         chain.issuing.get(), chain.issuing_signer.get(), "cannot appear in a full CRL"},
        {"RFC 5280 §5.3.1 value 7 unused",
         [](auto& t) { t.entries[0].reason = static_cast<RevocationReason>(7); },
         chain.issuing.get(), chain.issuing_signer.get(), "cannot appear in a full CRL"},
        {"RFC 5280 §4.1.2.2 serial positive", [](auto& t) { t.entries[0].serial = {0}; },
         chain.issuing.get(), chain.issuing_signer.get(), "positive"},
        {"RFC 5280 §4.1.2.2 serial ≤ 20 octets",
         [](auto& t) { t.entries[0].serial = Bytes(21, 1); }, chain.issuing.get(),
         chain.issuing_signer.get(), "longer than 20 octets"},
        {"no issuer", [](auto&) {}, nullptr, chain.issuing_signer.get(), "needs an issuer"},
        {"signer does not match issuer", [](auto&) {}, chain.issuing.get(),
         other.issuing_signer.get(), "does not match"},
        {"RFC 5280 §4.2.1.3 issuer without cRLSign", [](auto&) {}, leaf->get(), leaf_signer.get(),
         "cRLSign"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.rule);
        auto t = SampleCrl();
        c.mutate(t);
        auto crl = SignCrl(t, c.issuer, *c.signer);
        ASSERT_FALSE(crl);
        EXPECT_EQ(crl.error().code, ErrorCode::kInvalidArgument);
        EXPECT_TRUE(Contains(crl.error().public_message, c.why)) << crl.error().public_message;
        EXPECT_EQ(ERR_peek_error(), 0u);
    }
}

TEST(Crl, ParseRejectsBadEncodings) {
    const Chain& chain = ChainFor(KeyAlgorithm::kEcdsaP256);
    auto crl = SignCrl(SampleCrl(), chain.issuing.get(), *chain.issuing_signer);
    ASSERT_TRUE(crl);
    Bytes der = CrlDer(crl->get());
    std::string pem = CrlPem(crl->get());
    ASSERT_TRUE(ParseCrl(AsBytes(pem)));
    Bytes trailing = der;
    trailing.push_back(0);
    std::string cert_label = pem;
    cert_label.replace(cert_label.find("BEGIN X509 CRL"), 14, "BEGIN CERTIFICATE");
    cert_label.replace(cert_label.find("END X509 CRL"), 12, "END CERTIFICATE");
    const struct {
        const char* rule;
        Bytes input;
        const char* why;
    } cases[] = {
        {"truncated DER", Bytes(der.begin(), der.end() - 10), "malformed or truncated"},
        {"trailing data", trailing, "trailing data"},
        {"RFC 7468 label", Bytes(cert_label.begin(), cert_label.end()), "expected PEM label"},
        {"empty", Bytes{}, "empty"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.rule);
        auto parsed = ParseCrl(c.input);
        ASSERT_FALSE(parsed);
        EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidArgument);
        EXPECT_TRUE(Contains(parsed.error().public_message, c.why))
            << parsed.error().public_message;
    }
}

TEST(Crl, HundredThousandEntries) {
    const Chain& chain = ChainFor(KeyAlgorithm::kEcdsaP256);
    CrlTemplate t = SampleCrl();
    t.entries.clear();
    const RevocationReason reasons[] = {RevocationReason::kUnspecified,
                                        RevocationReason::kKeyCompromise,
                                        RevocationReason::kSuperseded};
    for (int i = 0; i < 100000; ++i) {
        t.entries.push_back(
            {NewSerial(), Date(2026, 2, 1) + std::chrono::seconds(i), reasons[i % 3]});
    }
    auto start = std::chrono::steady_clock::now();
    std::clock_t cpu_start = std::clock();
    auto crl = SignCrl(t, chain.issuing.get(), *chain.issuing_signer);
    std::clock_t cpu_signed = std::clock();
    auto signed_at = std::chrono::steady_clock::now();
    ASSERT_TRUE(crl) << crl.error().internal;
    Bytes der = CrlDer(crl->get());
    auto parsed = ParseCrl(der);
    auto parsed_at = std::chrono::steady_clock::now();
    ASSERT_TRUE(parsed);
    auto ms = [](auto d) {
        return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
    };
    std::printf(
        "[ timing   ] SignCrl 100000 entries: %lld ms wall, %lld ms CPU, %zu bytes; "
        "CrlDer + ParseCrl: %lld ms wall\n",
        static_cast<long long>(ms(signed_at - start)),
        static_cast<long long>((cpu_signed - cpu_start) * 1000 / CLOCKS_PER_SEC), der.size(),
        static_cast<long long>(ms(parsed_at - signed_at)));
    // Generous bound: the target is well under 2 s, but the machine may be shared or
    // instrumented.
    EXPECT_LT(ms(signed_at - start), 10000);
    STACK_OF(X509_REVOKED)* revoked = X509_CRL_get_REVOKED(parsed->get());
    ASSERT_EQ(sk_X509_REVOKED_num(revoked), 100000);
    for (int i = 1; i < 100000; ++i) {
        ASSERT_LT(
            ASN1_INTEGER_cmp(X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(revoked, i - 1)),
                             X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(revoked, i))),
            0);
    }
    EXPECT_TRUE(*VerifyCrlIssuedBy(parsed->get(), chain.issuing.get()));
}

}  // namespace
}  // namespace gzca::pki
