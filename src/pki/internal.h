#pragma once
// Helpers shared by the pki sources; not part of the module's public contract.
//
// Thread-safety: free functions over values; reentrant.

#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/error.h"
#include "crypto/ossl.h"

namespace gzca::pki::internal {

// Decodes one PEM block whose label is one of `labels`, or passes DER through. `what` names the
// object in messages ("CSR", "certificate"). kInvalidArgument on: empty or oversize input, bad
// base64, a wrong label, PEM headers (encrypted PEM), anything but whitespace after the PEM block.
// DER input is returned as is; the caller checks that decoding consumes all of it.
Result<Bytes> PemOrDerToDer(ByteView input, std::initializer_list<std::string_view> labels,
                            std::size_t max_size, std::string_view what);

// PEM text of `der` under `label` (64-column base64, RFC 7468).
std::string DerToPem(ByteView der, std::string_view label);

// The first element (with tag and length) of the outer SEQUENCE of a signed object — the
// to-be-signed part of a certificate or CRL (RFC 5280 §4.1, §5.1). kInvalidArgument if `der` is
// not a definite-length SEQUENCE whose first element fits inside it.
Result<ByteView> ToBeSignedBytes(ByteView der);

// ASN1_TIME for `t`: UTCTime for 1950–2049, GeneralizedTime otherwise (RFC 5280 §4.1.2.5).
Result<crypto::Asn1TimePtr> ToAsn1Time(TimePoint t);

// Strips leading zero octets; an all-zero or empty input becomes empty.
Bytes SerialMagnitude(ByteView serial);

// ASN1_INTEGER for a positive serial given as big-endian magnitude. kInvalidArgument when zero or
// when its DER content would exceed 20 octets (RFC 5280 §4.1.2.2).
Result<crypto::Asn1IntegerPtr> SerialToAsn1(ByteView serial);

// The issuer's subjectKeyIdentifier, or (when the issuer has none) SHA-1 of its subjectPublicKey
// (RFC 5280 §4.2.1.2 method 1) — the keyIdentifier for the AKI of what it signs.
Result<crypto::Asn1OctetStringPtr> IssuerKeyId(const X509* issuer);

// True when `a` and the key whose SubjectPublicKeyInfo is `b_spki` are the same public key.
bool SamePublicKey(const EVP_PKEY* a, ByteView b_spki);

}  // namespace gzca::pki::internal
