#include <gtest/gtest.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "crypto/key.h"
#include "crypto/ossl.h"
#include "crypto/signer.h"
#include "crypto/sm2_math.h"

namespace gzca::crypto {
namespace {

namespace fs = std::filesystem;

Bytes Unhex(std::string_view hex) {
    auto bytes = HexDecode(hex);
    if (!bytes) throw std::invalid_argument("bad hex in test vector");
    return *bytes;
}

std::string Lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

// A fresh directory, removed with its contents at scope exit.
class TempDir {
  public:
    TempDir() {
        std::string tmpl = (fs::temp_directory_path() / "gzca_crypto_test_XXXXXX").string();
        if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        path_ = tmpl;
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    const fs::path& path() const { return path_; }

  private:
    fs::path path_;
};

void WriteText(const fs::path& path, std::string_view text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
}

PrivateKey MustGenerate(KeyAlgorithm alg) {
    auto key = PrivateKey::Generate(alg);
    if (!key) throw std::runtime_error("key generation failed: " + key.error().internal);
    return std::move(*key);
}

// A minimal self-signed certificate signed through Signer::NewSignContext + X509_sign_ctx,
// the way the pki module signs. Returns the certificate (null on failure).
X509Ptr SelfSignedCertificate(const Signer& signer) {
    X509Ptr cert(X509_new());
    if (!cert) return nullptr;
    X509_set_version(cert.get(), X509_VERSION_3);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("gzca test"), -1, -1, 0);
    X509_set_issuer_name(cert.get(), name);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
    if (X509_set_pubkey(cert.get(), signer.pkey()) != 1) return nullptr;
    auto ctx = signer.NewSignContext();
    if (!ctx || X509_sign_ctx(cert.get(), ctx->get()) <= 0) return nullptr;
    return cert;
}

// X509_verify with the GM/T 0009 default ID for SM2 certificates (OpenSSL 3 would use "").
bool VerifyCertificate(X509* cert, EVP_PKEY* key) {
    if (IsSm2(key)) {
        ASN1_OCTET_STRING* id = ASN1_OCTET_STRING_new();
        ASN1_OCTET_STRING_set(id, reinterpret_cast<const unsigned char*>(kSm2DefaultId.data()),
                              static_cast<int>(kSm2DefaultId.size()));
        X509_set0_distinguishing_id(cert, id);  // takes ownership
    }
    bool ok = X509_verify(cert, key) == 1;
    ClearOpenSslErrors();
    return ok;
}

// ---------------------------------------------------------------------------------------------
// Known-answer tests.

struct DigestVector {
    const char* name;
    std::function<Bytes(ByteView)> fn;
    std::string input;
    const char* expected_hex;
};

TEST(Digest, KnownAnswers) {
    std::string abcd16;
    for (int i = 0; i < 16; ++i) abcd16 += "abcd";
    const DigestVector vectors[] = {
        // GB/T 32905-2016 Annex A.1 and A.2.
        {"SM3 abc", Sm3, "abc", "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"},
        {"SM3 abcd*16", Sm3, abcd16,
         "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"},
        // FIPS 180-2 Appendix B.1 / A.1.
        {"SHA-256 abc", Sha256, "abc",
         "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        {"SHA-1 abc", Sha1, "abc", "a9993e364706816aba3e25717850c26c9cd0d89d"},
    };
    for (const auto& v : vectors) {
        EXPECT_EQ(HexEncode(v.fn(AsBytes(v.input))), v.expected_hex) << v.name;
    }
}

// GB/T 32907-2016 Annex A: example 1 (one block) and example 2 (1,000,000 encryptions).
TEST(Sm4, KnownAnswers) {
    const Bytes key = Unhex("0123456789abcdeffedcba9876543210");
    CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
    ASSERT_TRUE(ctx);
    ASSERT_EQ(EVP_EncryptInit_ex2(ctx.get(), EVP_sm4_ecb(), key.data(), nullptr, nullptr), 1);
    ASSERT_EQ(EVP_CIPHER_CTX_set_padding(ctx.get(), 0), 1);

    Bytes block = key;  // the plaintext equals the key
    Bytes out(16);
    int len = 0;
    ASSERT_EQ(EVP_EncryptUpdate(ctx.get(), out.data(), &len, block.data(), 16), 1);
    ASSERT_EQ(len, 16);
    EXPECT_EQ(HexEncode(out), "681edf34d206965e86b3e94f536e4246");

    // ECB without padding keeps no state between blocks, so one context serves every round.
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 1'000'000; ++i) {
        if (EVP_EncryptUpdate(ctx.get(), block.data(), &len, block.data(), 16) != 1) {
            FAIL() << "EVP_EncryptUpdate failed at round " << i;
        }
    }
    auto elapsed = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(HexEncode(block), "595298c7c6fd271f0402f804c33d3f66");
    EXPECT_LT(elapsed, std::chrono::seconds(2));
}

// GM/T 0003.5-2012 Annex A (GB/T 32918.5-2017 Annex A): signature on the recommended curve.
struct Sm2Kat {
    std::string_view d = "3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8";
    std::string_view x = "09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020";
    std::string_view y = "CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13";
    std::string_view id = "1234567812345678";
    std::string_view message = "message digest";
    std::string_view z = "B2E14C5C79C6DF5B85F4FE7ED8DB7A262B9DA7E07CCB0EA9F4747B8CCDA8A4F3";
    std::string_view e = "F0B43E94BA45ACCAACE692ED534382EB17E6AB5A19CE7B31F4486FDFC0D28640";
    std::string_view k = "59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21";
    std::string_view r = "F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3";
    std::string_view s = "B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA";
};

TEST(Sm2Math, GmT00035AnnexASignature) {
    const Sm2Kat kat;
    auto point = Sm2PublicPointFromPrivate(Unhex(kat.d));
    ASSERT_TRUE(point) << point.error().internal;
    EXPECT_EQ(HexEncode(*point), "04" + Lower(std::string(kat.x)) + Lower(std::string(kat.y)));

    auto z = Sm2ComputeZ(*point, kat.id);
    ASSERT_TRUE(z);
    EXPECT_EQ(HexEncode(*z), Lower(std::string(kat.z)));
    auto e = Sm2MessageDigest(*point, kat.id, AsBytes(kat.message));
    ASSERT_TRUE(e);
    EXPECT_EQ(HexEncode(*e), Lower(std::string(kat.e)));

    auto sig = Sm2SignDigestWithK(Unhex(kat.d), *e, Unhex(kat.k));
    ASSERT_TRUE(sig) << sig.error().internal;
    EXPECT_EQ(HexEncode(sig->r), Lower(std::string(kat.r)));
    EXPECT_EQ(HexEncode(sig->s), Lower(std::string(kat.s)));
    EXPECT_EQ(Sm2VerifyDigest(*point, *e, *sig), true);

    // The same signature through OpenSSL's EVP verifier, with a key built from d alone and with
    // one built from the public point alone.
    auto der = Sm2SignatureToDer(*sig);
    ASSERT_TRUE(der);
    auto key = Sm2KeyFromPrivate(Unhex(kat.d));
    ASSERT_TRUE(key) << key.error().internal;
    EXPECT_TRUE(IsSm2(key->get()));
    EXPECT_EQ(VerifySignature(key->get(), AsBytes(kat.message), *der), true);
    auto pub = Sm2PublicKeyFromPoint(*point);
    ASSERT_TRUE(pub);
    EXPECT_EQ(VerifySignature(pub->get(), AsBytes(kat.message), *der), true);
    EXPECT_EQ(VerifySignature(pub->get(), AsBytes("message digesT"), *der), false);
    // Z binds the ID: the empty ID (OpenSSL's default) must not verify it.
    EXPECT_EQ(VerifySignature(pub->get(), AsBytes(kat.message), *der, ""), false);
}

// OpenSSL's signer (random k) against our verifier: both must compute the same Z for the
// GM/T 0009 default ID.
TEST(Sm2Math, OpenSslSignatureVerifiesWithOurZ) {
    const Sm2Kat kat;
    auto key = Sm2KeyFromPrivate(Unhex(kat.d));
    ASSERT_TRUE(key);
    auto adopted = PrivateKey::Adopt(std::move(*key));
    ASSERT_TRUE(adopted);
    auto signer = MakeKeySigner(std::move(*adopted));
    auto der = signer->Sign(AsBytes(kat.message));
    ASSERT_TRUE(der);
    auto sig = Sm2SignatureFromDer(*der);
    ASSERT_TRUE(sig);
    auto point = Sm2PublicPoint(signer->pkey());
    ASSERT_TRUE(point);
    auto e = Sm2MessageDigest(*point, kSm2DefaultId, AsBytes(kat.message));
    ASSERT_TRUE(e);
    EXPECT_EQ(Sm2VerifyDigest(*point, *e, *sig), true);
    auto other_e = Sm2MessageDigest(*point, "", AsBytes(kat.message));
    ASSERT_TRUE(other_e);
    EXPECT_EQ(Sm2VerifyDigest(*point, *other_e, *sig), false);
}

// VerifySignature's sm2_id "" means the empty ID (ENTL = 0), which is what OpenSSL 3 uses when
// no ID is set — and what it uses when an empty ID is set explicitly.
TEST(Sm2Math, EmptyIdMeansZeroLengthId) {
    auto key = PrivateKey::Generate(KeyAlgorithm::kSm2);
    ASSERT_TRUE(key);
    auto point = Sm2PublicPoint(key->get());
    ASSERT_TRUE(point);
    const auto msg = AsBytes("empty id");
    auto e = Sm2MessageDigest(*point, "", msg);
    ASSERT_TRUE(e);

    // d out of the EVP key, to sign with our own arithmetic.
    BIGNUM* d_raw = nullptr;
    ASSERT_EQ(EVP_PKEY_get_bn_param(key->get(), "priv", &d_raw), 1);
    BnPtr d(d_raw);
    Bytes d_bytes(kSm2ScalarSize);
    BN_bn2binpad(d.get(), d_bytes.data(), static_cast<int>(d_bytes.size()));
    Result<Sm2Signature> sig = Fail(ErrorCode::kInternal, "unset");
    for (int attempt = 0; attempt < 5 && !sig; ++attempt) {
        sig = Sm2SignDigestWithK(d_bytes, *e, RandomBytes(kSm2ScalarSize));
    }
    ASSERT_TRUE(sig);
    auto der = Sm2SignatureToDer(*sig);
    ASSERT_TRUE(der);
    EXPECT_EQ(VerifySignature(key->get(), msg, *der, ""), true);
    EXPECT_EQ(VerifySignature(key->get(), msg, *der, kSm2DefaultId), false);

    // Explicitly setting a zero-length ID on the EVP context gives the same Z.
    MdCtxPtr mctx(EVP_MD_CTX_new());
    EVP_PKEY_CTX* pctx = nullptr;
    ASSERT_EQ(
        EVP_DigestVerifyInit_ex(mctx.get(), &pctx, "SM3", nullptr, nullptr, key->get(), nullptr),
        1);
    ASSERT_EQ(EVP_PKEY_CTX_set1_id(pctx, "", 0), 1);
    EXPECT_EQ(EVP_DigestVerify(mctx.get(), der->data(), der->size(), msg.data(), msg.size()), 1);
    ClearOpenSslErrors();
}

TEST(Sm2Math, RejectsBadScalarsAndEncodings) {
    const Sm2Kat kat;
    const Bytes e = Unhex(kat.e);
    const Bytes n = Unhex("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123");
    Bytes n_minus_1 = n;
    n_minus_1.back() -= 1;
    const Bytes zero(kSm2ScalarSize, 0);
    EXPECT_FALSE(Sm2SignDigestWithK(zero, e, Unhex(kat.k)));       // d = 0
    EXPECT_FALSE(Sm2SignDigestWithK(n_minus_1, e, Unhex(kat.k)));  // d = n − 1
    EXPECT_FALSE(Sm2SignDigestWithK(Unhex(kat.d), e, zero));       // k = 0
    EXPECT_FALSE(Sm2SignDigestWithK(Unhex(kat.d), e, n));          // k = n
    EXPECT_FALSE(Sm2PublicPointFromPrivate(Bytes(33, 1)));         // too long

    Bytes bad_point(65, 0);
    bad_point[0] = 0x04;
    EXPECT_FALSE(Sm2ComputeZ(bad_point, "x"));
    auto point = Sm2PublicPointFromPrivate(Unhex(kat.d));
    ASSERT_TRUE(point);
    EXPECT_FALSE(Sm2ComputeZ(*point, std::string(8192, 'a')));  // ENTL would overflow
    EXPECT_TRUE(Sm2ComputeZ(*point, std::string(8191, 'a')));

    Sm2Signature sig{Unhex(kat.r), Unhex(kat.s)};
    auto der = Sm2SignatureToDer(sig);
    ASSERT_TRUE(der);
    auto back = Sm2SignatureFromDer(*der);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->r, sig.r);
    EXPECT_EQ(back->s, sig.s);
    Bytes trailing = *der;
    trailing.push_back(0);
    EXPECT_FALSE(Sm2SignatureFromDer(trailing));
    // BER long-form length for the SEQUENCE: valid BER, not DER.
    Bytes ber(der->size() + 1);
    ber[0] = 0x30;
    ber[1] = 0x81;
    ber[2] = static_cast<std::uint8_t>(der->size() - 2);
    std::copy(der->begin() + 2, der->end(), ber.begin() + 3);
    EXPECT_FALSE(Sm2SignatureFromDer(ber));
    EXPECT_FALSE(Sm2SignatureFromDer(AsBytes("garbage")));

    // r outside [1, n−1] does not verify.
    EXPECT_EQ(Sm2VerifyDigest(*point, e, Sm2Signature{n, sig.s}), false);
    EXPECT_EQ(Sm2VerifyDigest(*point, e, Sm2Signature{zero, sig.s}), false);
}

// ---------------------------------------------------------------------------------------------
// Keys and signers.

TEST(KeyAlgorithm, NamesRoundTrip) {
    for (KeyAlgorithm alg : {KeyAlgorithm::kSm2, KeyAlgorithm::kEcdsaP256, KeyAlgorithm::kRsa2048,
                             KeyAlgorithm::kRsa3072}) {
        auto parsed = ParseKeyAlgorithm(KeyAlgorithmName(alg));
        ASSERT_TRUE(parsed);
        EXPECT_EQ(*parsed, alg);
    }
    auto bad = ParseKeyAlgorithm("rsa-1024");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
}

class EachAlgorithm : public ::testing::TestWithParam<KeyAlgorithm> {};

TEST_P(EachAlgorithm, GenerateSignVerify) {
    const KeyAlgorithm alg = GetParam();
    auto key = PrivateKey::Generate(alg);
    ASSERT_TRUE(key) << key.error().internal;
    EXPECT_EQ(key->algorithm(), alg);
    auto classified = ClassifyKey(key->get());
    ASSERT_TRUE(classified);
    EXPECT_EQ(*classified, alg);
    EXPECT_EQ(IsSm2(key->get()), alg == KeyAlgorithm::kSm2);
    if (alg == KeyAlgorithm::kRsa2048 || alg == KeyAlgorithm::kRsa3072) {
        BIGNUM* e_raw = nullptr;
        ASSERT_EQ(EVP_PKEY_get_bn_param(key->get(), "e", &e_raw), 1);
        BnPtr e(e_raw);
        EXPECT_TRUE(BN_is_word(e.get(), 65537));
    }

    const Bytes spki = key->PublicKeyDer();
    auto pub = PublicKeyFromDer(spki);
    ASSERT_TRUE(pub) << pub.error().internal;
    auto signer = MakeKeySigner(std::move(*key));
    EXPECT_EQ(signer->algorithm(), alg);
    EXPECT_EQ(signer->PublicKeyDer(), spki);

    const Bytes data = RandomBytes(1000);
    auto sig = signer->Sign(data);
    ASSERT_TRUE(sig) << sig.error().internal;
    EXPECT_EQ(VerifySignature(pub->get(), data, *sig), true);

    Bytes tampered_data = data;
    tampered_data[500] ^= 0x01;
    EXPECT_EQ(VerifySignature(pub->get(), tampered_data, *sig), false);
    Bytes tampered_sig = *sig;
    tampered_sig[tampered_sig.size() / 2] ^= 0x01;
    EXPECT_EQ(VerifySignature(pub->get(), data, tampered_sig), false);
    EXPECT_EQ(VerifySignature(pub->get(), data, AsBytes("not a signature")), false);
    if (alg == KeyAlgorithm::kSm2) {
        // Signed with the GM/T 0009 default ID; OpenSSL's default (empty) ID must not verify.
        EXPECT_EQ(VerifySignature(pub->get(), data, *sig, ""), false);
        EXPECT_EQ(VerifySignature(pub->get(), data, *sig, "ALICE123@YAHOO.COM"), false);
    }
    EXPECT_EQ(ERR_peek_error(), 0u);

    X509Ptr cert = SelfSignedCertificate(*signer);
    ASSERT_TRUE(cert);
    EXPECT_TRUE(VerifyCertificate(cert.get(), pub->get()));
}

INSTANTIATE_TEST_SUITE_P(Keys, EachAlgorithm,
                         ::testing::Values(KeyAlgorithm::kSm2, KeyAlgorithm::kEcdsaP256,
                                           KeyAlgorithm::kRsa2048, KeyAlgorithm::kRsa3072),
                         [](const auto& info) {
                             std::string name(KeyAlgorithmName(info.param));
                             for (char& c : name) {
                                 if (c == '-') c = '_';
                             }
                             return name;
                         });

TEST(ClassifyKey, RejectsWhatGzcaDoesNotIssueWith) {
    struct Case {
        const char* name;
        std::function<EVP_PKEY*()> make;
        const char* message_part;
    };
    const Case cases[] = {
        {"RSA-1024",
         [] { return EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(1024)); },
         "RSA key of 1024 bits is too weak"},
        {"P-384", [] { return EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384"); }, "secp384r1"},
        {"secp256k1", [] { return EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "secp256k1"); },
         "secp256k1"},
        {"Ed25519", [] { return EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"); }, "ED25519"},
    };
    for (const auto& c : cases) {
        PKeyPtr key(c.make());
        ASSERT_TRUE(key) << c.name;
        auto result = ClassifyKey(key.get());
        ASSERT_FALSE(result) << c.name;
        EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument) << c.name;
        EXPECT_NE(result.error().public_message.find(c.message_part), std::string::npos)
            << c.name << ": " << result.error().public_message;
        auto adopted = PrivateKey::Adopt(std::move(key));
        EXPECT_FALSE(adopted) << c.name;
    }
    EXPECT_FALSE(ClassifyKey(nullptr));
}

// An RSA public key with a random odd modulus of exactly `bits` bits: enough for ClassifyKey,
// and far quicker than generating real keys of 4096 bits and more.
PKeyPtr RsaPublicKeyOfBits(int bits) {
    BnPtr n(BN_new()), e(BN_new());
    if (BN_rand(n.get(), bits, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ODD) != 1) return nullptr;
    BN_set_word(e.get(), 65537);
    std::unique_ptr<OSSL_PARAM_BLD, OsslDeleter<OSSL_PARAM_BLD_free>> bld(OSSL_PARAM_BLD_new());
    OSSL_PARAM_BLD_push_BN(bld.get(), "n", n.get());
    OSSL_PARAM_BLD_push_BN(bld.get(), "e", e.get());
    std::unique_ptr<OSSL_PARAM, OsslDeleter<OSSL_PARAM_free>> params(
        OSSL_PARAM_BLD_to_param(bld.get()));
    PKeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
    EVP_PKEY* key = nullptr;
    if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
        EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
        return nullptr;
    }
    return PKeyPtr(key);
}

TEST(ClassifyKey, RsaSizes) {
    struct Case {
        int bits;
        bool accepted;
        KeyAlgorithm alg;
    };
    const Case cases[] = {
        {2047, false, {}},
        {2048, true, KeyAlgorithm::kRsa2048},
        {3071, true, KeyAlgorithm::kRsa2048},
        {3072, true, KeyAlgorithm::kRsa3072},
        {4096, true, KeyAlgorithm::kRsa3072},
        {8192, true, KeyAlgorithm::kRsa3072},
        {8200, false, {}},
    };
    for (const auto& c : cases) {
        PKeyPtr key = RsaPublicKeyOfBits(c.bits);
        ASSERT_TRUE(key) << c.bits;
        auto alg = ClassifyKey(key.get());
        ASSERT_EQ(alg.has_value(), c.accepted) << c.bits;
        if (c.accepted) {
            EXPECT_EQ(*alg, c.alg) << c.bits;
        } else {
            EXPECT_EQ(alg.error().code, ErrorCode::kInvalidArgument);
            EXPECT_NE(alg.error().public_message.find(std::to_string(c.bits) + " bits"),
                      std::string::npos)
                << alg.error().public_message;
        }
    }
}

// OpenSSL 3 can make an EC-typed key on the SM2 curve; it must still sign SM2, not ECDSA.
TEST(Sm2Key, EcTypedKeyOnSm2CurveIsRetyped) {
    PKeyPtr ec_key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "SM2"));
    ASSERT_TRUE(ec_key);
    ASSERT_TRUE(EVP_PKEY_is_a(ec_key.get(), "EC"));
    EXPECT_TRUE(IsSm2(ec_key.get()));
    auto point = Sm2PublicPoint(ec_key.get());
    ASSERT_TRUE(point);

    auto key = PrivateKey::Adopt(UpRef(ec_key.get()));
    ASSERT_TRUE(key) << key.error().internal;
    EXPECT_EQ(key->algorithm(), KeyAlgorithm::kSm2);
    EXPECT_TRUE(EVP_PKEY_is_a(key->get(), "SM2"));
    auto signer = MakeKeySigner(std::move(*key));
    const auto msg = AsBytes("retyped");
    auto der = signer->Sign(msg);
    ASSERT_TRUE(der);
    // Our SM2 arithmetic accepts it, so it is an SM2 signature with the default ID.
    auto e = Sm2MessageDigest(*point, kSm2DefaultId, msg);
    auto sig = Sm2SignatureFromDer(*der);
    ASSERT_TRUE(e && sig);
    EXPECT_EQ(Sm2VerifyDigest(*point, *e, *sig), true);
    // VerifySignature re-types an EC-typed public key too.
    EXPECT_EQ(VerifySignature(ec_key.get(), msg, *der), true);
}

// ---------------------------------------------------------------------------------------------
// Key files.

class KeyFile : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        key_ = new PrivateKey(MustGenerate(KeyAlgorithm::kEcdsaP256));
        auto pem = key_->ToEncryptedPem(kPassphrase);
        ASSERT_TRUE(pem) << pem.error().internal;
        pem_ = new std::string(std::move(*pem));
    }
    static void TearDownTestSuite() {
        delete key_;
        delete pem_;
    }

    static constexpr std::string_view kPassphrase = "correct horse battery staple";
    static PrivateKey* key_;
    static std::string* pem_;
};
PrivateKey* KeyFile::key_ = nullptr;
std::string* KeyFile::pem_ = nullptr;

TEST_F(KeyFile, EncryptedPemRoundTrip) {
    EXPECT_EQ(pem_->rfind("-----BEGIN ENCRYPTED PRIVATE KEY-----", 0), 0u);
    auto loaded = PrivateKey::FromEncryptedPem(AsBytes(*pem_), kPassphrase);
    ASSERT_TRUE(loaded) << loaded.error().internal;
    EXPECT_EQ(loaded->algorithm(), KeyAlgorithm::kEcdsaP256);
    EXPECT_EQ(loaded->PublicKeyDer(), key_->PublicKeyDer());
}

// RFC 8018 PBES2: AES-256-CBC (2.16.840.1.101.3.4.1.42) keyed by PBKDF2 with hmacWithSHA256
// (1.2.840.113549.2.9), 600,000 iterations. Their DER encodings must appear in the
// EncryptedPrivateKeyInfo.
TEST_F(KeyFile, UsesPbes2WithAes256AndHmacSha256) {
    BioPtr bio(BIO_new_mem_buf(pem_->data(), static_cast<int>(pem_->size())));
    X509_SIG* raw = PEM_read_bio_PKCS8(bio.get(), nullptr, nullptr, nullptr);
    ASSERT_NE(raw, nullptr);
    unsigned char* der = nullptr;
    int len = i2d_X509_SIG(raw, &der);
    X509_SIG_free(raw);
    ASSERT_GT(len, 0);
    std::string der_str(reinterpret_cast<char*>(der), static_cast<std::size_t>(len));
    OPENSSL_free(der);
    const Bytes pbes2 = Unhex("06092a864886f70d01050d");
    const Bytes pbkdf2 = Unhex("06092a864886f70d01050c");
    const Bytes hmac_sha256 = Unhex("06082a864886f70d0209");
    const Bytes aes256_cbc = Unhex("060960864801650304012a");
    const Bytes iterations = Unhex("02030927c0");  // INTEGER 600000
    for (const Bytes* oid : {&pbes2, &pbkdf2, &hmac_sha256, &aes256_cbc, &iterations}) {
        EXPECT_NE(der_str.find(AsString(*oid)), std::string::npos) << HexEncode(*oid);
    }
}

TEST_F(KeyFile, WrongPassphraseIsUnauthenticated) {
    // Several wrong passphrases: with CBC, about 1 in 256 decrypts to valid-looking padding and
    // fails later, in the DER parse; the result must not depend on which.
    for (std::string_view wrong : {"wrong", "Correct horse battery staple", "x"}) {
        auto loaded = PrivateKey::FromEncryptedPem(AsBytes(*pem_), wrong);
        ASSERT_FALSE(loaded);
        EXPECT_EQ(loaded.error().code, ErrorCode::kUnauthenticated);
        EXPECT_EQ(loaded.error().public_message, "wrong CA key passphrase");
    }
    EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST_F(KeyFile, MalformedInputIsInvalidArgument) {
    const std::string truncated = pem_->substr(0, pem_->size() / 2);
    std::string corrupted_base64 = *pem_;
    corrupted_base64[60] = '*';
    const std::string cases[] = {
        "",
        "garbage",
        truncated,
        corrupted_base64,
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n",
    };
    for (const auto& input : cases) {
        auto loaded = PrivateKey::FromEncryptedPem(AsBytes(input), kPassphrase);
        ASSERT_FALSE(loaded) << input;
        EXPECT_EQ(loaded.error().code, ErrorCode::kInvalidArgument) << input;
        auto plain = PrivateKey::FromPem(AsBytes(input));
        ASSERT_FALSE(plain) << input;
        EXPECT_EQ(plain.error().code, ErrorCode::kInvalidArgument) << input;
    }
    auto null_view = PrivateKey::FromEncryptedPem(ByteView{}, kPassphrase);
    ASSERT_FALSE(null_view);
    EXPECT_EQ(null_view.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST_F(KeyFile, UnencryptedKeyIsNotAcceptedAsEncrypted) {
    BioPtr bio(BIO_new(BIO_s_mem()));
    ASSERT_EQ(
        PEM_write_bio_PrivateKey(bio.get(), key_->get(), nullptr, nullptr, 0, nullptr, nullptr), 1);
    char* data = nullptr;
    long len = BIO_get_mem_data(bio.get(), &data);
    const std::string plain(data, static_cast<std::size_t>(len));

    auto loaded = PrivateKey::FromEncryptedPem(AsBytes(plain), kPassphrase);
    ASSERT_FALSE(loaded);
    EXPECT_EQ(loaded.error().code, ErrorCode::kInvalidArgument);

    auto from_pem = PrivateKey::FromPem(AsBytes(plain));
    ASSERT_TRUE(from_pem) << from_pem.error().internal;
    EXPECT_EQ(from_pem->PublicKeyDer(), key_->PublicKeyDer());

    // FromPem on an encrypted key fails without prompting for a passphrase.
    auto encrypted = PrivateKey::FromPem(AsBytes(*pem_));
    ASSERT_FALSE(encrypted);
    EXPECT_EQ(encrypted.error().code, ErrorCode::kInvalidArgument);

    // DER PKCS#8 as well.
    unsigned char* der = nullptr;
    int der_len = i2d_PrivateKey(key_->get(), &der);
    ASSERT_GT(der_len, 0);
    Bytes der_bytes(der, der + der_len);
    OPENSSL_clear_free(der, static_cast<std::size_t>(der_len));
    auto from_der = PrivateKey::FromPem(der_bytes);
    ASSERT_TRUE(from_der) << from_der.error().internal;
    EXPECT_EQ(from_der->PublicKeyDer(), key_->PublicKeyDer());
    EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST_F(KeyFile, EmptyPassphraseRefused) {
    auto pem = key_->ToEncryptedPem("");
    ASSERT_FALSE(pem);
    EXPECT_EQ(pem.error().code, ErrorCode::kInvalidArgument);
}

// `openssl pkey` reads what we write, for an SM2 and an RSA key, and sees the same public key.
TEST(KeyFileInterop, OpensslCliReadsEncryptedPem) {
    TempDir dir;
    for (KeyAlgorithm alg : {KeyAlgorithm::kSm2, KeyAlgorithm::kRsa2048}) {
        PrivateKey key = MustGenerate(alg);
        auto pem = key.ToEncryptedPem("s3cret pass");
        ASSERT_TRUE(pem);
        const fs::path key_path = dir.path() / "key.pem";
        const fs::path pub_path = dir.path() / "pub.der";
        WriteText(key_path, *pem);
        const std::string cmd = "openssl pkey -in '" + key_path.string() +
                                "' -passin 'pass:s3cret pass' -pubout -outform DER -out '" +
                                pub_path.string() + "'";
        ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
        auto pub = ReadFile(pub_path);
        ASSERT_TRUE(pub);
        EXPECT_EQ(*pub, key.PublicKeyDer()) << KeyAlgorithmName(alg);

        const std::string wrong =
            "openssl pkey -in '" + key_path.string() + "' -passin pass:nope -noout 2>/dev/null";
        EXPECT_NE(std::system(wrong.c_str()), 0);
    }
}

TEST(PublicKey, MalformedDerIsInvalidArgument) {
    PrivateKey key = MustGenerate(KeyAlgorithm::kEcdsaP256);
    Bytes spki = key.PublicKeyDer();
    EXPECT_TRUE(PublicKeyFromDer(spki));
    Bytes trailing = spki;
    trailing.push_back(0);
    for (const Bytes& bad :
         {Bytes{}, Bytes{0x30, 0x00}, Bytes(spki.begin(), spki.end() - 5), trailing}) {
        auto parsed = PublicKeyFromDer(bad);
        ASSERT_FALSE(parsed);
        EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidArgument);
    }
    EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(OpenSslError, DrainsQueueIntoInternalOnly) {
    const unsigned char junk[] = {0x30, 0x03, 0x02, 0x01};
    const unsigned char* p = junk;
    EXPECT_EQ(d2i_PUBKEY(nullptr, &p, sizeof(junk)), nullptr);
    ASSERT_NE(ERR_peek_error(), 0u);
    Error e = OpenSslError("parsing", ErrorCode::kInvalidArgument, "bad key");
    EXPECT_EQ(ERR_peek_error(), 0u);
    EXPECT_EQ(e.code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(e.public_message, "bad key");
    EXPECT_EQ(e.internal.rfind("parsing: ", 0), 0u);
    EXPECT_NE(e.internal.find("error:"), std::string::npos) << e.internal;

    Error plain = OpenSslError("nothing queued");
    EXPECT_EQ(plain.public_message, "nothing queued");
    EXPECT_EQ(plain.code, ErrorCode::kInternal);
}

TEST(RandomBytes, LengthAndVariety) {
    EXPECT_TRUE(RandomBytes(0).empty());
    Bytes a = RandomBytes(32), b = RandomBytes(32);
    EXPECT_EQ(a.size(), 32u);
    EXPECT_NE(a, b);
}

// ---------------------------------------------------------------------------------------------
// PKCS#11 through SoftHSM2. These tests fail (they do not skip) when SoftHSM2 or OpenSC is
// missing: `scripts/install-deps.sh test` installs them.

constexpr const char* kSoftHsmModule = "/usr/lib/softhsm/libsofthsm2.so";

class Pkcs11 : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        dir_ = new TempDir();
        setup_error_ = new std::string(Prepare());
    }
    static void TearDownTestSuite() {
        // The engine keeps the module loaded; SoftHSM tolerates its token files vanishing.
        delete dir_;
        delete setup_error_;
    }
    void SetUp() override { ASSERT_TRUE(setup_error_->empty()) << *setup_error_; }

    static std::string Run(const std::string& cmd) {
        int rc = std::system((cmd + " >/dev/null 2>&1").c_str());
        return rc == 0 ? std::string() : "command failed (" + std::to_string(rc) + "): " + cmd;
    }

    // Two tokens: "gzca-test" with an EC and an RSA key, and "gzca-pin" for the wrong-PIN
    // checks. PKCS#11 login is per application and libp11 skips the login of a token that is
    // already logged in, so wrong PINs are only meaningful on a token nothing has opened yet.
    static std::string Prepare() {
        for (const char* tool : {"softhsm2-util", "pkcs11-tool"}) {
            if (std::system(("command -v " + std::string(tool) + " >/dev/null").c_str()) != 0) {
                return std::string(tool) + " not found: install softhsm2 and opensc";
            }
        }
        if (!fs::exists(kSoftHsmModule)) return std::string(kSoftHsmModule) + " not found";
        const fs::path tokens = dir_->path() / "tokens";
        fs::create_directories(tokens);
        const fs::path conf = dir_->path() / "softhsm2.conf";
        WriteText(conf, "directories.tokendir = " + tokens.string() +
                            "\nobjectstore.backend = file\nlog.level = ERROR\n");
        setenv("SOFTHSM2_CONF", conf.c_str(), 1);
        const std::string tool =
            std::string("pkcs11-tool --module ") + kSoftHsmModule + " --login --pin 4321 ";
        for (const std::string& cmd : {
                 std::string("softhsm2-util --init-token --free --label gzca-test --so-pin 1234 "
                             "--pin 4321"),
                 tool + "--token-label gzca-test --keypairgen --key-type EC:prime256v1 "
                        "--label ec-key --id 01",
                 tool + "--token-label gzca-test --keypairgen --key-type RSA:2048 "
                        "--label rsa-key --id 02",
                 std::string("softhsm2-util --init-token --free --label gzca-pin --so-pin 1234 "
                             "--pin 4321"),
                 tool + "--token-label gzca-pin --keypairgen --key-type EC:prime256v1 "
                        "--label pin-key --id 03",
             }) {
            std::string err = Run(cmd);
            if (!err.empty()) return err;
        }
        return {};
    }

    static Pkcs11KeyRef Ref(std::string_view token, std::string_view object,
                            std::string pin = "4321") {
        return Pkcs11KeyRef{kSoftHsmModule,
                            "pkcs11:token=" + std::string(token) +
                                ";object=" + std::string(object) + ";type=private",
                            std::move(pin)};
    }

    static void ExpectSignsAndVerifies(const Signer& signer) {
        auto pub = PublicKeyFromDer(signer.PublicKeyDer());
        ASSERT_TRUE(pub);
        const Bytes data = RandomBytes(300);
        auto sig = signer.Sign(data);
        ASSERT_TRUE(sig) << sig.error().internal;
        EXPECT_EQ(VerifySignature(pub->get(), data, *sig), true);
        Bytes tampered = data;
        tampered[0] ^= 0x80;
        EXPECT_EQ(VerifySignature(pub->get(), tampered, *sig), false);
        X509Ptr cert = SelfSignedCertificate(signer);
        ASSERT_TRUE(cert);
        EXPECT_TRUE(VerifyCertificate(cert.get(), pub->get()));
    }

    static TempDir* dir_;
    static std::string* setup_error_;
};
TempDir* Pkcs11::dir_ = nullptr;
std::string* Pkcs11::setup_error_ = nullptr;

TEST_F(Pkcs11, EcAndRsaKeysSign) {
    auto ec = OpenPkcs11Signer(Ref("gzca-test", "ec-key"));
    ASSERT_TRUE(ec) << ec.error().internal;
    EXPECT_EQ((*ec)->algorithm(), KeyAlgorithm::kEcdsaP256);
    auto rsa = OpenPkcs11Signer(Ref("gzca-test", "rsa-key"));
    ASSERT_TRUE(rsa) << rsa.error().internal;
    EXPECT_EQ((*rsa)->algorithm(), KeyAlgorithm::kRsa2048);
    // Both open at once, used interleaved, then one closed while the other goes on.
    ExpectSignsAndVerifies(**ec);
    ExpectSignsAndVerifies(**rsa);
    ec->reset();
    ExpectSignsAndVerifies(**rsa);
    EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST_F(Pkcs11, PinFailures) {
    auto wrong = OpenPkcs11Signer(Ref("gzca-pin", "pin-key", "9999"));
    ASSERT_FALSE(wrong);
    EXPECT_EQ(wrong.error().code, ErrorCode::kUnauthenticated) << wrong.error().internal;
    EXPECT_EQ(wrong.error().public_message.find("PKCS#11"), std::string::npos);

    // No PIN: refused without prompting on the terminal.
    auto none = OpenPkcs11Signer(Ref("gzca-pin", "pin-key", ""));
    ASSERT_FALSE(none);
    EXPECT_EQ(none.error().code, ErrorCode::kUnauthenticated) << none.error().internal;

    auto right = OpenPkcs11Signer(Ref("gzca-pin", "pin-key"));
    ASSERT_TRUE(right) << right.error().internal;
    ExpectSignsAndVerifies(**right);
    EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST_F(Pkcs11, MissingModuleTokenOrKey) {
    Pkcs11KeyRef no_module = Ref("gzca-test", "ec-key");
    no_module.module_path = (dir_->path() / "no-such-module.so").string();
    auto r1 = OpenPkcs11Signer(no_module);
    ASSERT_FALSE(r1);
    EXPECT_EQ(r1.error().code, ErrorCode::kUnavailable);

    auto r3 = OpenPkcs11Signer(Ref("no-such-token", "ec-key"));
    ASSERT_FALSE(r3);
    EXPECT_EQ(r3.error().code, ErrorCode::kUnavailable) << r3.error().internal;

    auto r4 = OpenPkcs11Signer(Ref("gzca-test", "no-such-key"));
    ASSERT_FALSE(r4);
    EXPECT_EQ(r4.error().code, ErrorCode::kNotFound) << r4.error().internal;
    EXPECT_EQ(ERR_peek_error(), 0u);
}

// libp11's engine exists once per process and keeps the first module it loads a key from.
// Before that, a module that fails to load does not stick.
TEST_F(Pkcs11, OneModulePerProcess) {
    Pkcs11KeyRef not_module = Ref("gzca-test", "ec-key");
    not_module.module_path = (dir_->path() / "softhsm2.conf").string();  // exists, not a module
    auto unusable = OpenPkcs11Signer(not_module);
    // Unless an earlier test in this process already bound the engine to SoftHSM.
    ASSERT_FALSE(unusable);
    EXPECT_TRUE(unusable.error().code == ErrorCode::kUnavailable ||
                unusable.error().code == ErrorCode::kFailedPrecondition)
        << unusable.error().internal;

    auto ec = OpenPkcs11Signer(Ref("gzca-test", "ec-key"));
    ASSERT_TRUE(ec) << ec.error().internal;
    ExpectSignsAndVerifies(**ec);

    auto other = OpenPkcs11Signer(not_module);
    ASSERT_FALSE(other);
    EXPECT_EQ(other.error().code, ErrorCode::kFailedPrecondition) << other.error().internal;
    ec->reset();
    other = OpenPkcs11Signer(not_module);
    ASSERT_FALSE(other);
    EXPECT_EQ(other.error().code, ErrorCode::kFailedPrecondition) << other.error().internal;
    EXPECT_EQ(ERR_peek_error(), 0u);
}

}  // namespace
}  // namespace gzca::crypto
