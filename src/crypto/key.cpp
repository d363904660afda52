#include "crypto/key.h"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include <climits>
#include <cstring>
#include <stdexcept>
#include <string>

#include <fmt/format.h>

namespace gzca::crypto {

namespace {

// RFC 8018 §4.2 asks for "at least 1000" iterations; OpenSSL's default is 2048. A CA key file is
// opened rarely, so we follow the OWASP 2023 figure for PBKDF2-HMAC-SHA256 (≈ 0.2 s per open).
constexpr int kPbkdf2Iterations = 600'000;
constexpr int kPbkdf2SaltBytes = 16;

constexpr int kMinRsaBits = 2048;
constexpr int kMaxRsaBits = 8192;

using P8InfoPtr = std::unique_ptr<PKCS8_PRIV_KEY_INFO, OsslDeleter<PKCS8_PRIV_KEY_INFO_free>>;
using X509SigPtr = std::unique_ptr<X509_SIG, OsslDeleter<X509_SIG_free>>;
using ParamsPtr = std::unique_ptr<OSSL_PARAM, OsslDeleter<OSSL_PARAM_free>>;

// The NID of an EC key's named curve, NID_undef when there is none (or it is not EC).
int CurveNid(const EVP_PKEY* key) {
    char name[80] = {};
    std::size_t len = 0;
    if (EVP_PKEY_get_group_name(key, name, sizeof(name), &len) != 1) {
        ERR_clear_error();
        return NID_undef;
    }
    int nid = OBJ_sn2nid(name);
    if (nid == NID_undef) nid = EC_curve_nist2nid(name);
    return nid;
}

std::string CurveName(const EVP_PKEY* key) {
    char name[80] = {};
    std::size_t len = 0;
    if (EVP_PKEY_get_group_name(key, name, sizeof(name), &len) != 1) {
        ERR_clear_error();
        return "an unnamed curve";
    }
    return std::string(name, len);
}

Result<BioPtr> ReadBio(ByteView data) {
    if (data.empty()) return Fail(ErrorCode::kInvalidArgument, "empty key file");
    if (data.size() > static_cast<std::size_t>(INT_MAX)) {
        return Fail(ErrorCode::kInvalidArgument, "key file too large");
    }
    BioPtr bio(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
    if (!bio) return Fail(OpenSslError("BIO_new_mem_buf"));
    return bio;
}

// Passphrase source for PEM reading that also records whether OpenSSL asked for it, i.e.
// whether the input was encrypted at all.
struct PassphraseRequest {
    std::string_view passphrase;
    bool asked = false;
};

int SupplyPassphrase(char* buf, int size, int /*rwflag*/, void* u) {
    auto* req = static_cast<PassphraseRequest*>(u);
    req->asked = true;
    if (req->passphrase.size() > static_cast<std::size_t>(size)) return -1;
    std::memcpy(buf, req->passphrase.data(), req->passphrase.size());
    return static_cast<int>(req->passphrase.size());
}

// Refuses to supply a passphrase. Passing a null callback would make OpenSSL prompt on the
// terminal, which a server must never do.
int RefusePassphrase(char* /*buf*/, int /*size*/, int /*rwflag*/, void* u) {
    if (u != nullptr) *static_cast<bool*>(u) = true;
    return -1;
}

}  // namespace

std::string_view KeyAlgorithmName(KeyAlgorithm alg) {
    switch (alg) {
        case KeyAlgorithm::kSm2:
            return "sm2";
        case KeyAlgorithm::kEcdsaP256:
            return "ecdsa-p256";
        case KeyAlgorithm::kRsa2048:
            return "rsa-2048";
        case KeyAlgorithm::kRsa3072:
            return "rsa-3072";
    }
    return "unknown";
}

Result<KeyAlgorithm> ParseKeyAlgorithm(std::string_view name) {
    for (KeyAlgorithm alg : {KeyAlgorithm::kSm2, KeyAlgorithm::kEcdsaP256, KeyAlgorithm::kRsa2048,
                             KeyAlgorithm::kRsa3072}) {
        if (KeyAlgorithmName(alg) == name) return alg;
    }
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("unknown key algorithm \"{}\" (expected sm2, ecdsa-p256, rsa-2048 or "
                            "rsa-3072)",
                            name));
}

bool IsSm2(const EVP_PKEY* key) {
    if (key == nullptr) return false;
    if (EVP_PKEY_get_id(key) == EVP_PKEY_SM2 || EVP_PKEY_is_a(key, "SM2")) return true;
    return EVP_PKEY_is_a(key, "EC") && CurveNid(key) == NID_sm2;
}

Result<KeyAlgorithm> ClassifyKey(const EVP_PKEY* key) {
    if (key == nullptr) return Fail(ErrorCode::kInvalidArgument, "no key");
    if (EVP_PKEY_is_a(key, "RSA")) {
        int bits = EVP_PKEY_get_bits(key);
        if (bits < kMinRsaBits) {
            return Fail(
                ErrorCode::kInvalidArgument,
                fmt::format("RSA key of {} bits is too weak (minimum {})", bits, kMinRsaBits));
        }
        if (bits > kMaxRsaBits) {
            return Fail(
                ErrorCode::kInvalidArgument,
                fmt::format("RSA key of {} bits is too large (maximum {})", bits, kMaxRsaBits));
        }
        return bits < 3072 ? KeyAlgorithm::kRsa2048 : KeyAlgorithm::kRsa3072;
    }
    if (IsSm2(key)) return KeyAlgorithm::kSm2;
    if (EVP_PKEY_is_a(key, "EC")) {
        if (CurveNid(key) == NID_X9_62_prime256v1) return KeyAlgorithm::kEcdsaP256;
        return Fail(
            ErrorCode::kInvalidArgument,
            fmt::format("EC key on {} is not accepted (only P-256 and SM2)", CurveName(key)));
    }
    const char* type = EVP_PKEY_get0_type_name(key);
    if (type == nullptr) type = OBJ_nid2sn(EVP_PKEY_get_base_id(key));
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("{} keys are not accepted (only SM2, ECDSA P-256 and RSA)",
                            type != nullptr ? type : "unknown"));
}

Result<PKeyPtr> NormalizeSm2Key(PKeyPtr key) {
    if (!key || !IsSm2(key.get()) || EVP_PKEY_is_a(key.get(), "SM2")) return key;
    // Round-trip through the key's parameters into the SM2 key manager.
    OSSL_PARAM* raw_params = nullptr;
    if (EVP_PKEY_todata(key.get(), EVP_PKEY_KEYPAIR, &raw_params) != 1) {
        return Fail(OpenSslError("exporting EC key on the SM2 curve", ErrorCode::kInvalidArgument,
                                 "this SM2 key cannot be used"));
    }
    ParamsPtr params(raw_params);
    PKeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "SM2", nullptr));
    if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1) {
        return Fail(OpenSslError("SM2 key management is unavailable"));
    }
    EVP_PKEY* out = nullptr;
    if (EVP_PKEY_fromdata(ctx.get(), &out, EVP_PKEY_KEYPAIR, params.get()) != 1) {
        return Fail(OpenSslError("re-typing EC key as SM2", ErrorCode::kInvalidArgument,
                                 "this SM2 key cannot be used"));
    }
    return PKeyPtr(out);
}

Result<PrivateKey> PrivateKey::Generate(KeyAlgorithm alg) {
    EVP_PKEY* raw = nullptr;
    switch (alg) {
        case KeyAlgorithm::kSm2:
            raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "SM2");
            break;
        case KeyAlgorithm::kEcdsaP256:
            raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
            break;
        // RSA key generation uses the public exponent 65537 by default.
        case KeyAlgorithm::kRsa2048:
            raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(2048));
            break;
        case KeyAlgorithm::kRsa3072:
            raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(3072));
            break;
    }
    if (raw == nullptr) {
        return Fail(OpenSslError(fmt::format("generating {} key", KeyAlgorithmName(alg)),
                                 ErrorCode::kInternal, "key generation failed"));
    }
    return PrivateKey(PKeyPtr(raw), alg);
}

Result<PrivateKey> PrivateKey::FromEncryptedPem(ByteView pem, std::string_view passphrase) {
    ClearOpenSslErrors();
    GZCA_ASSIGN_OR_RETURN(BioPtr bio, ReadBio(pem));
    PassphraseRequest req{passphrase};
    PKeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, SupplyPassphrase, &req));
    if (!key) {
        // OpenSSL asks for the passphrase only after it has parsed the PEM armour and the
        // EncryptedPrivateKeyInfo around the ciphertext (RFC 5958 §3). A failure after that is
        // a wrong passphrase: CBC padding catches most, the inner DER parse the rest (≈1/256).
        if (req.asked) {
            return Fail(OpenSslError("decrypting CA key", ErrorCode::kUnauthenticated,
                                     "wrong CA key passphrase"));
        }
        return Fail(OpenSslError("reading encrypted private key PEM", ErrorCode::kInvalidArgument,
                                 "the key file is not a valid encrypted private key"));
    }
    ClearOpenSslErrors();
    if (!req.asked) {
        return Fail(ErrorCode::kInvalidArgument, "the key file is not encrypted");
    }
    return Adopt(std::move(key));
}

Result<PrivateKey> PrivateKey::FromPem(ByteView pem) {
    ClearOpenSslErrors();
    GZCA_ASSIGN_OR_RETURN(BioPtr bio, ReadBio(pem));
    bool encrypted = false;
    PKeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, RefusePassphrase, &encrypted));
    if (!key && !encrypted) {
        // Not PEM: try DER PKCS#8 (or a traditional DER key).
        ClearOpenSslErrors();
        const unsigned char* p = pem.data();
        key.reset(d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(pem.size())));
        if (key && p != pem.data() + pem.size()) key.reset();
    }
    if (!key) {
        if (encrypted) {
            ClearOpenSslErrors();
            return Fail(ErrorCode::kInvalidArgument,
                        "the key is encrypted; a passphrase is required");
        }
        return Fail(OpenSslError("reading private key", ErrorCode::kInvalidArgument,
                                 "not a valid private key"));
    }
    ClearOpenSslErrors();
    return Adopt(std::move(key));
}

Result<PrivateKey> PrivateKey::Adopt(PKeyPtr key) {
    if (!key) return Fail(ErrorCode::kInvalidArgument, "no key");
    GZCA_ASSIGN_OR_RETURN(KeyAlgorithm alg, ClassifyKey(key.get()));
    GZCA_ASSIGN_OR_RETURN(key, NormalizeSm2Key(std::move(key)));
    return PrivateKey(std::move(key), alg);
}

Result<std::string> PrivateKey::ToPlainPemForInProcessUse() const {
    ClearOpenSslErrors();
    BioPtr bio(BIO_new(BIO_s_secmem()));
    if (!bio || PEM_write_bio_PKCS8PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr,
                                              nullptr) != 1) {
        return Fail(OpenSslError("encode private key"));
    }
    char* data = nullptr;
    long len = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(len));
}

Result<std::string> PrivateKey::ToEncryptedPem(std::string_view passphrase) const {
    ClearOpenSslErrors();
    if (passphrase.empty()) {
        return Fail(ErrorCode::kInvalidArgument, "an empty passphrase cannot protect a key");
    }
    if (passphrase.size() > static_cast<std::size_t>(INT_MAX)) {
        return Fail(ErrorCode::kInvalidArgument, "passphrase too long");
    }
    P8InfoPtr p8(EVP_PKEY2PKCS8(key_.get()));
    if (!p8) {
        return Fail(OpenSslError("exporting key as PKCS#8", ErrorCode::kInternal,
                                 "the key cannot be exported"));
    }
    unsigned char salt[kPbkdf2SaltBytes];
    if (RAND_bytes(salt, sizeof(salt)) != 1) return Fail(OpenSslError("RAND_bytes"));
    // pbe_nid -1 selects PBES2 (RFC 8018 §6.2) with `cipher`; OpenSSL 3 then uses PBKDF2 with
    // hmacWithSHA256 as the PRF.
    X509SigPtr encrypted(PKCS8_encrypt_ex(-1, EVP_aes_256_cbc(), passphrase.data(),
                                          static_cast<int>(passphrase.size()), salt, sizeof(salt),
                                          kPbkdf2Iterations, p8.get(), nullptr, nullptr));
    if (!encrypted) return Fail(OpenSslError("encrypting PKCS#8 key"));
    BioPtr out(BIO_new(BIO_s_mem()));
    if (!out || PEM_write_bio_PKCS8(out.get(), encrypted.get()) != 1) {
        return Fail(OpenSslError("writing encrypted PKCS#8 PEM"));
    }
    char* data = nullptr;
    long len = BIO_get_mem_data(out.get(), &data);
    return std::string(data, static_cast<std::size_t>(len));
}

Bytes PrivateKey::PublicKeyDer() const {
    int len = i2d_PUBKEY(key_.get(), nullptr);
    if (len <= 0) {
        ClearOpenSslErrors();
        throw std::runtime_error("i2d_PUBKEY failed on a loaded key");
    }
    Bytes der(static_cast<std::size_t>(len));
    unsigned char* p = der.data();
    i2d_PUBKEY(key_.get(), &p);
    return der;
}

Result<PKeyPtr> PublicKeyFromDer(ByteView spki_der) {
    ClearOpenSslErrors();
    const unsigned char* p = spki_der.data();
    PKeyPtr key(d2i_PUBKEY(nullptr, &p, static_cast<long>(spki_der.size())));
    if (!key) {
        return Fail(OpenSslError("parsing SubjectPublicKeyInfo", ErrorCode::kInvalidArgument,
                                 "malformed public key"));
    }
    if (p != spki_der.data() + spki_der.size()) {
        return Fail(ErrorCode::kInvalidArgument, "trailing bytes after SubjectPublicKeyInfo",
                    "malformed public key");
    }
    return NormalizeSm2Key(std::move(key));
}

}  // namespace gzca::crypto
