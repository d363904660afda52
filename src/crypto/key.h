#pragma once
// Key pairs: generation, encrypted PKCS#8 storage, public-key export and inspection.
//
// Algorithms are the four gzca issues with: SM2 (GM/T 0003, curve SM2 / 1.2.156.10197.1.301),
// ECDSA over P-256, RSA 2048 and 3072. Keys of other kinds are rejected with kInvalidArgument
// wherever outside keys enter (CSRs, key files).
//
// Thread-safety: a PrivateKey may be used for signing from several threads at once (OpenSSL 3
// EVP_PKEY is read-only after creation); moving it is not thread-safe.

#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/error.h"
#include "crypto/ossl.h"

namespace gzca::crypto {

enum class KeyAlgorithm { kSm2, kEcdsaP256, kRsa2048, kRsa3072 };

// "sm2", "ecdsa-p256", "rsa-2048", "rsa-3072".
std::string_view KeyAlgorithmName(KeyAlgorithm alg);
Result<KeyAlgorithm> ParseKeyAlgorithm(std::string_view name);

// Classifies a public or private key. kInvalidArgument for anything gzca does not accept:
// RSA below 2048 bits or above 8192 (RSA of other acceptable sizes maps to the nearest of
// kRsa2048/kRsa3072 by size: < 3072 → kRsa2048), EC keys on curves other than SM2 and P-256,
// Ed25519, DSA, ... — with a message naming what was found ("RSA key of 1024 bits is too weak").
Result<KeyAlgorithm> ClassifyKey(const EVP_PKEY* key);

// True for SM2 keys. OpenSSL 3 loads SM2 keys as EVP_PKEY_SM2 or, from some encodings, as
// EVP_PKEY_EC on the SM2 curve; both count.
bool IsSm2(const EVP_PKEY* key);

class PrivateKey {
  public:
    // Fresh key pair from OpenSSL's default DRBG.
    static Result<PrivateKey> Generate(KeyAlgorithm alg);

    // Loads a PEM "ENCRYPTED PRIVATE KEY" (PKCS#8). kUnauthenticated on a wrong passphrase,
    // kInvalidArgument on malformed input or an unacceptable key (ClassifyKey).
    static Result<PrivateKey> FromEncryptedPem(ByteView pem, std::string_view passphrase);

    // Unencrypted PEM/DER PKCS#8 — only for test fixtures and for keys made by other tools.
    static Result<PrivateKey> FromPem(ByteView pem);

    // Takes ownership of an already-loaded key (e.g. from a PKCS#11 engine).
    static Result<PrivateKey> Adopt(PKeyPtr key);

    // PKCS#8 PEM encrypted with AES-256-CBC under a PBKDF2-HMAC-SHA256 key (RFC 8018) —
    // readable by `openssl pkey -passin`. Fails on an empty passphrase.
    Result<std::string> ToEncryptedPem(std::string_view passphrase) const;

    // Unencrypted PKCS#8 PEM, only to hand the key to an in-process consumer that wants PEM
    // (the TLS stack). Never write it to disk.
    Result<std::string> ToPlainPemForInProcessUse() const;

    // SubjectPublicKeyInfo DER of the public half.
    Bytes PublicKeyDer() const;

    KeyAlgorithm algorithm() const { return algorithm_; }
    EVP_PKEY* get() const { return key_.get(); }

  private:
    PrivateKey(PKeyPtr key, KeyAlgorithm alg) : key_(std::move(key)), algorithm_(alg) {}
    PKeyPtr key_;
    KeyAlgorithm algorithm_;
};

// Parses a SubjectPublicKeyInfo (DER). kInvalidArgument when malformed.
Result<PKeyPtr> PublicKeyFromDer(ByteView spki_der);

// OpenSSL 3 signs and verifies with SM2 only through keys of type SM2; an EVP_PKEY_EC key on the
// SM2 curve would silently produce ECDSA. Returns such a key re-typed as EVP_PKEY_SM2 (same
// public point, same private scalar if present) and any other key unchanged.
// kInvalidArgument when the key cannot be exported (e.g. an engine-held EC key on the SM2 curve).
// PrivateKey's constructors and PublicKeyFromDer apply it, so their SM2 keys are EVP_PKEY_SM2.
Result<PKeyPtr> NormalizeSm2Key(PKeyPtr key);

}  // namespace gzca::crypto
