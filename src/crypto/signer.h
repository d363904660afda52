#pragma once
// Signer: a private key the CA signs with, wherever it lives (encrypted file or PKCS#11 token).
//
// Signature algorithms are fixed per key algorithm:
//   SM2   → SM2-with-SM3 (1.2.156.10197.1.501), signer ID "1234567812345678" (GM/T 0009 §10
//           default), Z computed per GM/T 0003.2 §5.5; no algorithm parameters (GM/T 0015).
//   P-256 → ecdsa-with-SHA256;   RSA → sha256WithRSAEncryption (PKCS#1 v1.5).
//
// Thread-safety: Sign() and NewSignContext() may be called from several threads at once.

#include <memory>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/error.h"
#include "crypto/key.h"
#include "crypto/ossl.h"

namespace gzca::crypto {

// The GM/T 0009-2012 §10 default user ID, used for every SM2 signature gzca makes.
inline constexpr std::string_view kSm2DefaultId = "1234567812345678";

class Signer {
  public:
    virtual ~Signer() = default;

    virtual KeyAlgorithm algorithm() const = 0;

    // The key handle (may be backed by an engine). Borrowed; valid while the Signer lives.
    virtual EVP_PKEY* pkey() const = 0;

    // A digest-sign context initialised for this key's signature algorithm (SM2: SM3 and the
    // default ID set on the PKEY_CTX), ready for X509_sign_ctx / X509_CRL_sign_ctx /
    // OCSP_basic_sign_ctx / EVP_DigestSign. kUnavailable when a token is absent.
    virtual Result<MdCtxPtr> NewSignContext() const = 0;

    // Signs `data` (not a digest) and returns the DER signature (ECDSA/SM2) or raw RSA block.
    Result<Bytes> Sign(ByteView data) const;

    // SubjectPublicKeyInfo DER of the signing key.
    Bytes PublicKeyDer() const;
};

// A signer over a key held in memory (loaded from an encrypted PKCS#8 file).
std::unique_ptr<Signer> MakeKeySigner(PrivateKey key);

// Where a key lives in a PKCS#11 token. `uri` is an RFC 7512 PKCS#11 URI naming the private key
// ("pkcs11:token=gzca;object=issuing-ca;type=private"); the PIN comes separately, never in the
// URI that is stored. `module_path` is the PKCS#11 module (e.g. /usr/lib/softhsm/libsofthsm2.so).
struct Pkcs11KeyRef {
    std::string module_path;
    std::string uri;
    std::string pin;
};

// Opens the key through OpenSSL's pkcs11 engine (libp11, Debian libengine-pkcs11-openssl).
// kUnavailable when the module or token is absent, kUnauthenticated on a wrong PIN,
// kFailedPrecondition when the token is locked, kNotFound when no such key. SoftHSM2 has no SM2
// mechanism, so SM2 CA keys cannot live there (ECDSA P-256 and RSA can).
Result<std::unique_ptr<Signer>> OpenPkcs11Signer(const Pkcs11KeyRef& ref);
// Also: libp11's engine exists once per process and keeps the first PKCS#11 module it loads a
// key from, so one process uses one module; keys from another fail with kFailedPrecondition.
// The module stays loaded until exit. PKCS#11 login state belongs to the process, shared by all
// its sessions with a token (PKCS#11 v2.40 base specification, "Sessions"), so once a token is
// logged in, further keys on it open whatever PIN is given.

// Verifies `sig` over `data` with `public_key`. For SM2 keys `sm2_id` is the signer ID to use
// (kSm2DefaultId unless a peer is known to use another, e.g. "" for OpenSSL's default).
// Returns false on a signature that does not verify; an Error only for unusable inputs.
Result<bool> VerifySignature(const EVP_PKEY* public_key, ByteView data, ByteView sig,
                             std::string_view sm2_id = kSm2DefaultId);

// Digests.
Bytes Sm3(ByteView data);
Bytes Sha256(ByteView data);
Bytes Sha1(ByteView data);

// Cryptographically secure random bytes (OpenSSL DRBG). Throws on DRBG failure (broken
// invariant: no safe way to continue).
Bytes RandomBytes(std::size_t n);

}  // namespace gzca::crypto
