#include "pki/csr.h"

#include <openssl/x509.h>

#include <optional>
#include <string_view>

#include "crypto/signer.h"
#include "pki/internal.h"

namespace gzca::pki {

namespace {

constexpr ErrorCode kBad = ErrorCode::kInvalidArgument;

// Verifies the CSR's self-signature with `id` as the SM2 signer ID (nullopt: no ID set, which
// OpenSSL 3.0 treats as the empty ID). Leaves the error queue empty.
bool VerifySm2WithId(X509_REQ* req, EVP_PKEY* key, std::optional<std::string_view> id) {
    ASN1_OCTET_STRING* octets = nullptr;
    if (id) {
        octets = ASN1_OCTET_STRING_new();
        if (octets == nullptr ||
            ASN1_OCTET_STRING_set(octets, reinterpret_cast<const unsigned char*>(id->data()),
                                  static_cast<int>(id->size())) != 1) {
            ASN1_OCTET_STRING_free(octets);
            crypto::ClearOpenSslErrors();
            return false;
        }
    }
    X509_REQ_set0_distinguishing_id(req, octets);  // takes ownership, frees the previous one
    bool ok = X509_REQ_verify(req, key) == 1;
    X509_REQ_set0_distinguishing_id(req, nullptr);
    crypto::ClearOpenSslErrors();
    return ok;
}

}  // namespace

std::string_view Sm2IdUsedName(Sm2IdUsed id) {
    switch (id) {
        case Sm2IdUsed::kNotSm2:
            return "n/a";
        case Sm2IdUsed::kDefaultId:
            return crypto::kSm2DefaultId;
        case Sm2IdUsed::kEmptyId:
            return "empty";
    }
    return "n/a";
}

Result<ParsedCsr> ParseCsr(ByteView pem_or_der) {
    GZCA_ASSIGN_OR_RETURN(
        Bytes der,
        internal::PemOrDerToDer(pem_or_der, {"CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST"},
                                kMaxCsrSize, "CSR"));
    const unsigned char* p = der.data();
    crypto::X509ReqPtr req(d2i_X509_REQ(nullptr, &p, static_cast<long>(der.size())));
    if (!req) {
        return Fail(crypto::OpenSslError("d2i_X509_REQ", kBad,
                                         "CSR is malformed or truncated (RFC 2986 §4)"));
    }
    if (p != der.data() + der.size()) {
        return Fail(kBad, "CSR has trailing data after the DER encoding");
    }
    if (X509_REQ_get_version(req.get()) != X509_REQ_VERSION_1) {
        return Fail(kBad, "CSR version must be v1 (RFC 2986 §4.1)");
    }

    ParsedCsr out;
    if (X509_PUBKEY* spki = X509_REQ_get_X509_PUBKEY(req.get())) {
        unsigned char* spki_der = nullptr;
        int spki_len = i2d_X509_PUBKEY(spki, &spki_der);
        if (spki_len > 0) out.spki_der.assign(spki_der, spki_der + spki_len);
        OPENSSL_free(spki_der);
    }
    EVP_PKEY* key = X509_REQ_get0_pubkey(req.get());
    if (key == nullptr) {
        return Fail(crypto::OpenSslError("X509_REQ_get0_pubkey", kBad,
                                         "CSR public key is malformed or of an unknown type"));
    }
    auto alg = crypto::ClassifyKey(key);
    if (!alg) {
        crypto::ClearOpenSslErrors();
        Error e = alg.error();
        e.code = kBad;
        return Fail(std::move(e.Context("CSR public key")));
    }
    out.key_algorithm = *alg;

    // SM2 signatures verify only through an SM2-typed key (an EC key on the SM2 curve would
    // run ECDSA), so re-type it first; the caller also gets the re-typed key.
    GZCA_ASSIGN_OR_RETURN(out.public_key, crypto::NormalizeSm2Key(crypto::UpRef(key)));
    key = out.public_key.get();

    // Proof of possession (RFC 2986 §3): the self-signature must verify under the enclosed key.
    if (crypto::IsSm2(key)) {
        if (VerifySm2WithId(req.get(), key, crypto::kSm2DefaultId)) {
            out.sm2_id = Sm2IdUsed::kDefaultId;
        } else if (VerifySm2WithId(req.get(), key, std::nullopt)) {
            out.sm2_id = Sm2IdUsed::kEmptyId;
        } else {
            return Fail(kBad, "CSR signature does not verify with the default or the empty SM2 ID",
                        "CSR signature does not verify (no proof of possession of the private "
                        "key)");
        }
    } else {
        if (X509_REQ_verify(req.get(), key) != 1) {
            return Fail(crypto::OpenSslError(
                "X509_REQ_verify", kBad,
                "CSR signature does not verify (no proof of possession of the private key)"));
        }
        crypto::ClearOpenSslErrors();
    }

    GZCA_ASSIGN_OR_RETURN(out.subject, FromX509Name(X509_REQ_get_subject_name(req.get())));
    if (!out.subject.attributes.empty()) {
        auto valid = Validate(out.subject);
        if (!valid) {
            Error e = valid.error();
            e.public_message = "CSR subject: " + e.public_message;
            return Fail(std::move(e));
        }
    }

    unsigned char* enc = nullptr;
    int n = i2d_X509_REQ(req.get(), &enc);
    if (n <= 0) return Fail(crypto::OpenSslError("i2d_X509_REQ"));
    out.der.assign(enc, enc + n);
    OPENSSL_free(enc);
    return out;
}

Result<Bytes> BuildCsr(const crypto::PrivateKey& key, const DistinguishedName& subject) {
    GZCA_TRY_STATUS(Validate(subject));
    GZCA_ASSIGN_OR_RETURN(auto name, ToX509Name(subject));
    crypto::X509ReqPtr req(X509_REQ_new());
    if (!req || X509_REQ_set_version(req.get(), 0) != 1 ||
        X509_REQ_set_subject_name(req.get(), name.get()) != 1 ||
        X509_REQ_set_pubkey(req.get(), key.get()) != 1) {
        return Fail(crypto::OpenSslError("build CSR"));
    }
    GZCA_ASSIGN_OR_RETURN(auto dup, crypto::PrivateKey::Adopt(crypto::UpRef(key.get())));
    auto signer = crypto::MakeKeySigner(std::move(dup));
    GZCA_ASSIGN_OR_RETURN(auto ctx, signer->NewSignContext());
    if (X509_REQ_sign_ctx(req.get(), ctx.get()) <= 0) return Fail(crypto::OpenSslError("sign CSR"));
    Bytes out = crypto::ToDer(req.get(), i2d_X509_REQ);
    if (out.empty()) return Fail(ErrorCode::kInternal, "cannot encode the CSR");
    return out;
}

}  // namespace gzca::pki
