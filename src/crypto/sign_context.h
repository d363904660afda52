#pragma once
// Internal to src/crypto: the one place that maps a key algorithm to its signature algorithm,
// shared by the in-memory and PKCS#11 signers. Other modules use Signer::NewSignContext().

#include "base/error.h"
#include "crypto/key.h"
#include "crypto/ossl.h"

namespace gzca::crypto {

// A digest-sign context for `key` (borrowed; must outlive the context):
//   kSm2 → SM3 with the signer ID kSm2DefaultId (GM/T 0009 §10), the context owns its PKEY_CTX;
//   kEcdsaP256 → SHA-256;  kRsa2048 / kRsa3072 → SHA-256 with PKCS#1 v1.5 padding.
// The context serves one signature (EVP_DigestSign or one X509_sign_ctx call).
// kInternal, with the OpenSSL queue drained into the message, when OpenSSL refuses the key;
// `failure_code` lets the PKCS#11 signer report token trouble as kUnavailable.
Result<MdCtxPtr> NewDigestSignContext(EVP_PKEY* key, KeyAlgorithm alg,
                                      ErrorCode failure_code = ErrorCode::kInternal);

}  // namespace gzca::crypto
