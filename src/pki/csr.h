#pragma once
// PKCS#10 certification requests (RFC 2986): parsing, proof-of-possession, key policy.
//
// SM2 CSRs: the signature is SM2-with-SM3 over Z‖message, and Z depends on a signer ID that the
// CSR does not carry. gzca tries the GM/T 0009 default ID "1234567812345678" first, then the
// empty ID that OpenSSL 3.0 uses when none is set (`openssl req -sm3` without
// `-sigopt distid:...`), and records which one proved possession.
//
// Thread-safety: ParseCsr is reentrant; a ParsedCsr is a value (not shared).

#include <string>

#include "base/bytes.h"
#include "base/error.h"
#include "crypto/key.h"
#include "crypto/ossl.h"
#include "pki/name.h"

namespace gzca::pki {

// Which SM2 signer ID verified the CSR's self-signature.
enum class Sm2IdUsed { kNotSm2, kDefaultId, kEmptyId };
std::string_view Sm2IdUsedName(Sm2IdUsed id);  // "n/a", "1234567812345678", "empty"

struct ParsedCsr {
    Bytes der;                  // the CSR as received, re-encoded to DER
    DistinguishedName subject;  // may be empty: the caller may supply the subject
    crypto::PKeyPtr public_key;
    Bytes spki_der;  // the SubjectPublicKeyInfo as encoded in the CSR
    crypto::KeyAlgorithm key_algorithm;
    Sm2IdUsed sm2_id = Sm2IdUsed::kNotSm2;
};

// Largest CSR accepted, PEM or DER.
inline constexpr std::size_t kMaxCsrSize = 64 * 1024;

// Accepts PEM ("CERTIFICATE REQUEST" or "NEW CERTIFICATE REQUEST") or DER. Fails with
// kInvalidArgument and a clear public message on: oversize, malformed or truncated encoding,
// trailing data after the DER, a signature that does not verify (no proof of possession),
// an unacceptable key (crypto::ClassifyKey), a subject that fails Validate() (when non-empty).
Result<ParsedCsr> ParseCsr(ByteView pem_or_der);

// Builds a DER PKCS#10 request for `key` and `subject`, signed as crypto::Signer signs (SM2 with
// the GM/T default ID). Used where gzca requests a certificate for a key it holds (the server's
// TLS certificate) and by tests.
Result<Bytes> BuildCsr(const crypto::PrivateKey& key, const DistinguishedName& subject);

}  // namespace gzca::pki
