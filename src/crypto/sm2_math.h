#pragma once
// SM2 arithmetic below the EVP layer: the signer-identity hash Z_A, the message representative
// e, signing with a caller-chosen ephemeral scalar k, verification of (r, s) against e, and the
// DER form of a signature.
//
// OpenSSL's EVP API draws k itself, so known-answer tests (GM/T 0003.5 Annex A) and protocols
// that build k from several parties' shares (two-party "mobile shield" signing) use these
// functions instead. Everything here works on the SM2 recommended curve only
// (GM/T 0003.5 §3, OpenSSL NID_sm2).
//
// Encodings: scalars (d, k, r, s) and the digest e are 32-byte big-endian strings; shorter input
// is accepted and read as a big-endian integer. Public points are the 65-byte uncompressed form
// 04 ‖ x ‖ y (GM/T 0003.1 §4.2.9).
//
// Side channels: the scalar multiplications use OpenSSL's constant-time ladder and the secret
// scalars are flagged BN_FLG_CONSTTIME, but the modular arithmetic around them is ordinary
// BIGNUM code. Good enough for tests and for a server-side share; not a hardened implementation.
//
// Thread-safety: free functions over values; safe from any thread.

#include <cstddef>
#include <string_view>

#include "base/bytes.h"
#include "base/error.h"
#include "crypto/ossl.h"

namespace gzca::crypto {

// Byte length of an SM2 scalar, coordinate and of SM3 output.
inline constexpr std::size_t kSm2ScalarSize = 32;

// An SM2 signature (GM/T 0003.2 §6.1 step A7): r and s, each kSm2ScalarSize bytes big-endian.
struct Sm2Signature {
    Bytes r;
    Bytes s;
};

// A new EC_GROUP for the SM2 recommended curve. Throws std::runtime_error if OpenSSL lacks it.
EcGroupPtr NewSm2Group();

// The uncompressed public point 04 ‖ x ‖ y of an SM2 key (EVP_PKEY_SM2, or EVP_PKEY_EC on the
// SM2 curve). kInvalidArgument for any other key.
Result<Bytes> Sm2PublicPoint(const EVP_PKEY* key);

// The public point [d]G for the private scalar d. kInvalidArgument unless 1 ≤ d ≤ n − 2
// (GM/T 0003.1 §6.1: d ∈ [1, n−2] so that 1 + d is invertible).
Result<Bytes> Sm2PublicPointFromPrivate(ByteView d);

// An EVP_PKEY of type SM2 holding d and [d]G, usable with every EVP operation.
// kInvalidArgument unless 1 ≤ d ≤ n − 2.
Result<PKeyPtr> Sm2KeyFromPrivate(ByteView d);

// An EVP_PKEY of type SM2 holding only the public point `point` (04 ‖ x ‖ y).
// kInvalidArgument when the point is malformed or not on the curve.
Result<PKeyPtr> Sm2PublicKeyFromPoint(ByteView point);

// Z_A = SM3(ENTL_A ‖ ID_A ‖ a ‖ b ‖ x_G ‖ y_G ‖ x_A ‖ y_A), GM/T 0003.2 §5.5, where ENTL_A is the
// bit length of `id` as two big-endian bytes. `public_point` is 04 ‖ x_A ‖ y_A.
// kInvalidArgument when the point is malformed or `id` is 8192 bytes or longer (ENTL overflow).
Result<Bytes> Sm2ComputeZ(ByteView public_point, std::string_view id);

// e = SM3(Z_A ‖ M), GM/T 0003.2 §6.1 steps A1–A2.
Result<Bytes> Sm2MessageDigest(ByteView public_point, std::string_view id, ByteView message);

// GM/T 0003.2 §6.1 steps A4–A7 with the caller's k instead of a random one:
//   (x1, y1) = [k]G,  r = (e + x1) mod n,  s = (1 + d)⁻¹ · (k − r·d) mod n.
// kInvalidArgument when d ∉ [1, n−2] or k ∉ [1, n−1], and when this k is unusable
// (r = 0, r + k = n or s = 0): the standard says to draw another k, which the caller must do.
Result<Sm2Signature> Sm2SignDigestWithK(ByteView d, ByteView e, ByteView k);

// GM/T 0003.2 §7.1 steps B1–B7 on a given e: true when (r, s) is a valid signature by
// `public_point`. false for a wrong signature or r, s outside [1, n−1]; kInvalidArgument only for
// a malformed public point.
Result<bool> Sm2VerifyDigest(ByteView public_point, ByteView e, const Sm2Signature& sig);

// DER SEQUENCE { r INTEGER, s INTEGER } (GM/T 0009 §7.3 SM2Signature; the same shape as
// ECDSA-Sig-Value), as EVP_DigestSign produces and EVP_DigestVerify expects.
// kInvalidArgument when r or s is empty or longer than kSm2ScalarSize.
Result<Bytes> Sm2SignatureToDer(const Sm2Signature& sig);

// Parses the DER form; r and s come back padded to kSm2ScalarSize bytes. kInvalidArgument on
// malformed DER, trailing bytes, or r, s longer than kSm2ScalarSize.
Result<Sm2Signature> Sm2SignatureFromDer(ByteView der);

}  // namespace gzca::crypto
