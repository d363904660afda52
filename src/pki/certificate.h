#pragma once
// Building, signing and reading X.509 v3 certificates (RFC 5280).
//
// Thread-safety: free functions; reentrant.

#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/error.h"
#include "crypto/ossl.h"
#include "crypto/signer.h"
#include "pki/name.h"
#include "pki/profile.h"

namespace gzca::pki {

// Serial numbers per RFC 5280 §4.1.2.2: positive, at most 20 octets. gzca uses 16 random octets
// with the top bit cleared (127 random bits ≥ the CA/B 64-bit minimum) and a non-zero first octet,
// so every serial is exactly 16 octets.
Bytes NewSerial();
// Lower-case hex of the serial's magnitude, no leading zero octets: the form used everywhere
// (database, CLI, API, logs).
std::string SerialHex(const ASN1_INTEGER* serial);
// Parses the hex form back; kInvalidArgument when not hex, empty, or longer than 20 octets.
Result<Bytes> ParseSerialHex(std::string_view hex);

// URLs and policies written into issued certificates, from configuration. Empty = omitted.
struct IssuanceUrls {
    std::string crl_url;                   // CRL distribution point (RFC 5280 §4.2.1.13)
    std::string ocsp_url;                  // AIA id-ad-ocsp (RFC 5280 §4.2.2.1)
    std::string ca_issuers_url;            // AIA id-ad-caIssuers
    std::vector<std::string> policy_oids;  // certificatePolicies (dotted OIDs)
};

struct CertificateTemplate {
    Bytes serial;  // from NewSerial()
    DistinguishedName subject;
    const EVP_PKEY* subject_key = nullptr;  // public key certified (borrowed)
    // The same key as a DER SubjectPublicKeyInfo (e.g. from the CSR), optional. When given it
    // is copied into the certificate as is, which spares OpenSSL 3's slow key encoders.
    Bytes subject_spki_der;
    TimePoint not_before;
    TimePoint not_after;
    Profile profile = Profile::kSubscriberSign;
    std::vector<std::string> dns_names;     // SAN dNSName, kTlsServer (required there)
    std::vector<std::string> ip_addresses;  // SAN iPAddress, kTlsServer
    IssuanceUrls urls;                      // ignored for kRootCa
};

// Signs a certificate. `issuer` is the issuing CA certificate, or nullptr for a self-signed root
// (then the signer's key must be the subject key). Times before 2050 are UTCTime, later
// GeneralizedTime (RFC 5280 §4.1.2.5). SKI = SHA-1 of the subjectPublicKey BIT STRING (RFC 5280
// §4.2.1.2 method 1); AKI = the issuer's SKI. kInvalidArgument on an unusable template
// (not_after ≤ not_before, serial not positive or > 20 octets, invalid subject, TLS profile
// without names); errors from the signer pass through (token absent, ...).
// Also kInvalidArgument when: the subject key is not acceptable (crypto::ClassifyKey); DNS names
// or IP addresses are given for a profile other than kTlsServer, or are malformed; a profile
// other than kRootCa is self-signed; the signer's key is not the issuer's (or, self-signed, the
// subject's); the issuer is not a CA allowed to sign certificates (basicConstraints cA,
// keyUsage keyCertSign); a URL is not printable ASCII or a policy is not a dotted OID.
Result<crypto::X509Ptr> SignCertificate(const CertificateTemplate& tmpl, const X509* issuer,
                                        const crypto::Signer& signer);

// Largest certificate ParseCertificate accepts, PEM or DER.
inline constexpr std::size_t kMaxCertificateSize = 256 * 1024;

// DER / PEM conversion. ParseCertificate accepts one PEM "CERTIFICATE" or DER; kInvalidArgument
// on malformed, truncated, or trailing data.
Result<crypto::X509Ptr> ParseCertificate(ByteView pem_or_der);
Bytes CertificateDer(const X509* cert);
std::string CertificatePem(const X509* cert);
// PEM of DER bytes without parsing them (for DER read back from our own store).
std::string CertificatePemFromDer(ByteView der);

// What the CLI and API show of a certificate.
struct CertificateInfo {
    std::string serial_hex;
    DistinguishedName subject;
    DistinguishedName issuer;
    TimePoint not_before;
    TimePoint not_after;
    std::string key_algorithm;                    // KeyAlgorithmName, or "unknown"
    std::string signature_algorithm;              // OpenSSL long name, e.g. "SM2-with-SM3"
    std::vector<std::string> key_usage;           // "digitalSignature", ...
    std::vector<std::string> extended_key_usage;  // "clientAuth", ...
    bool is_ca = false;
    std::string spki_sha256_hex;
};
Result<CertificateInfo> InspectCertificate(const X509* cert);

// Verifies `cert`'s signature with `issuer`'s public key (SM2: default ID). Used for sanity
// checks after signing and in tests; full path validation is the relying party's job.
Result<bool> VerifyIssuedBy(const X509* cert, const X509* issuer);

// Converts ASN1_TIME to TimePoint; kInvalidArgument if unparsable.
Result<TimePoint> FromAsn1Time(const ASN1_TIME* t);

}  // namespace gzca::pki
