#include "crypto/signer.h"

#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include <climits>
#include <stdexcept>
#include <string>

#include <fmt/format.h>

#include "crypto/sign_context.h"

namespace gzca::crypto {

namespace {

const char* DigestNameFor(KeyAlgorithm alg) { return alg == KeyAlgorithm::kSm2 ? "SM3" : "SHA256"; }

Bytes Digest(const EVP_MD* md, ByteView data) {
    Bytes out(EVP_MAX_MD_SIZE);
    unsigned int len = 0;
    if (md == nullptr || EVP_Digest(data.data(), data.size(), out.data(), &len, md, nullptr) != 1) {
        ClearOpenSslErrors();
        throw std::runtime_error("EVP_Digest failed");
    }
    out.resize(len);
    return out;
}

// An in-memory key. PrivateKey is immutable after construction, so concurrent NewSignContext
// calls only share a read-only EVP_PKEY.
class KeySigner final : public Signer {
  public:
    explicit KeySigner(PrivateKey key) : key_(std::move(key)) {}

    KeyAlgorithm algorithm() const override { return key_.algorithm(); }
    EVP_PKEY* pkey() const override { return key_.get(); }
    Result<MdCtxPtr> NewSignContext() const override {
        return NewDigestSignContext(key_.get(), key_.algorithm());
    }

  private:
    PrivateKey key_;
};

}  // namespace

Result<MdCtxPtr> NewDigestSignContext(EVP_PKEY* key, KeyAlgorithm alg, ErrorCode failure_code) {
    ClearOpenSslErrors();
    MdCtxPtr mctx(EVP_MD_CTX_new());
    if (!mctx) return Fail(OpenSslError("EVP_MD_CTX_new"));
    // With a null PKEY_CTX slot, EVP_DigestSignInit_ex creates the PKEY_CTX and the MD_CTX owns
    // it (freed by EVP_MD_CTX_free). The legacy pattern — EVP_MD_CTX_set_pkey_ctx before init —
    // sets EVP_MD_CTX_FLAG_KEEP_PKEY_CTX and leaves the caller owning it, which a MdCtxPtr
    // could not express.
    EVP_PKEY_CTX* pctx = nullptr;
    if (EVP_DigestSignInit_ex(mctx.get(), &pctx, DigestNameFor(alg), nullptr, nullptr, key,
                              nullptr) != 1) {
        return Fail(OpenSslError(fmt::format("initialising {} signature", KeyAlgorithmName(alg)),
                                 failure_code, "the signing key cannot be used"));
    }
    switch (alg) {
        case KeyAlgorithm::kSm2:
            // The SM2 provider computes Z (GM/T 0003.2 §5.5) on the first update, so setting
            // the ID after init takes effect. OpenSSL 3 would otherwise use the empty ID.
            if (EVP_PKEY_CTX_set1_id(pctx, kSm2DefaultId.data(), kSm2DefaultId.size()) != 1) {
                return Fail(OpenSslError("setting SM2 signer ID", failure_code,
                                         "the signing key cannot be used"));
            }
            break;
        case KeyAlgorithm::kRsa2048:
        case KeyAlgorithm::kRsa3072:
            if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1) {
                return Fail(OpenSslError("setting PKCS#1 v1.5 padding", failure_code,
                                         "the signing key cannot be used"));
            }
            break;
        case KeyAlgorithm::kEcdsaP256:
            break;
    }
    return mctx;
}

Result<Bytes> Signer::Sign(ByteView data) const {
    GZCA_ASSIGN_OR_RETURN(MdCtxPtr ctx, NewSignContext());
    std::size_t len = 0;
    if (EVP_DigestSign(ctx.get(), nullptr, &len, data.data(), data.size()) != 1) {
        return Fail(OpenSslError("sizing signature", ErrorCode::kInternal, "signing failed"));
    }
    Bytes sig(len);
    if (EVP_DigestSign(ctx.get(), sig.data(), &len, data.data(), data.size()) != 1) {
        return Fail(OpenSslError("signing", ErrorCode::kInternal, "signing failed"));
    }
    sig.resize(len);
    return sig;
}

Bytes Signer::PublicKeyDer() const {
    int len = i2d_PUBKEY(pkey(), nullptr);
    if (len <= 0) {
        ClearOpenSslErrors();
        throw std::runtime_error("i2d_PUBKEY failed on a signer's key");
    }
    Bytes der(static_cast<std::size_t>(len));
    unsigned char* p = der.data();
    i2d_PUBKEY(pkey(), &p);
    return der;
}

std::unique_ptr<Signer> MakeKeySigner(PrivateKey key) {
    return std::make_unique<KeySigner>(std::move(key));
}

Result<bool> VerifySignature(const EVP_PKEY* public_key, ByteView data, ByteView sig,
                             std::string_view sm2_id) {
    ClearOpenSslErrors();
    GZCA_ASSIGN_OR_RETURN(KeyAlgorithm alg, ClassifyKey(public_key));
    // OpenSSL takes a non-const key for reference counting only.
    EVP_PKEY* key = const_cast<EVP_PKEY*>(public_key);
    PKeyPtr sm2_key;
    if (alg == KeyAlgorithm::kSm2 && !EVP_PKEY_is_a(key, "SM2")) {
        GZCA_ASSIGN_OR_RETURN(sm2_key, NormalizeSm2Key(UpRef(key)));
        key = sm2_key.get();
    }
    MdCtxPtr mctx(EVP_MD_CTX_new());
    if (!mctx) return Fail(OpenSslError("EVP_MD_CTX_new"));
    EVP_PKEY_CTX* pctx = nullptr;  // owned by mctx
    if (EVP_DigestVerifyInit_ex(mctx.get(), &pctx, DigestNameFor(alg), nullptr, nullptr, key,
                                nullptr) != 1) {
        return Fail(OpenSslError("initialising signature verification", ErrorCode::kInvalidArgument,
                                 "the public key cannot be used"));
    }
    // An empty ID is OpenSSL 3's default (Z over ENTL = 0), so it needs no call.
    if (alg == KeyAlgorithm::kSm2 && !sm2_id.empty() &&
        EVP_PKEY_CTX_set1_id(pctx, sm2_id.data(), sm2_id.size()) != 1) {
        return Fail(OpenSslError("setting SM2 signer ID", ErrorCode::kInvalidArgument,
                                 "invalid SM2 signer ID"));
    }
    if ((alg == KeyAlgorithm::kRsa2048 || alg == KeyAlgorithm::kRsa3072) &&
        EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1) {
        return Fail(OpenSslError("setting PKCS#1 v1.5 padding"));
    }
    int rc = EVP_DigestVerify(mctx.get(), sig.data(), sig.size(), data.data(), data.size());
    // 0 is a wrong signature; negative values come from signatures that do not even parse.
    // Both are "does not verify".
    ClearOpenSslErrors();
    return rc == 1;
}

Bytes Sm3(ByteView data) { return Digest(EVP_sm3(), data); }
Bytes Sha256(ByteView data) { return Digest(EVP_sha256(), data); }
Bytes Sha1(ByteView data) { return Digest(EVP_sha1(), data); }

Bytes RandomBytes(std::size_t n) {
    Bytes out(n);
    std::size_t done = 0;
    while (done < n) {
        int chunk = static_cast<int>(std::min<std::size_t>(n - done, INT_MAX));
        if (RAND_bytes(out.data() + done, chunk) != 1) {
            ClearOpenSslErrors();
            throw std::runtime_error("RAND_bytes failed: the DRBG is not usable");
        }
        done += static_cast<std::size_t>(chunk);
    }
    return out;
}

}  // namespace gzca::crypto
