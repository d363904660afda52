#include "pki/certificate.h"

#include <openssl/asn1.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cstring>
#include <ctime>
#include <memory>
#include <optional>

#include <fmt/format.h>

#include "crypto/key.h"
#include "pki/internal.h"

namespace gzca::pki {

namespace {

constexpr ErrorCode kBad = ErrorCode::kInvalidArgument;

using crypto::OsslDeleter;
using GeneralNamePtr = std::unique_ptr<GENERAL_NAME, OsslDeleter<GENERAL_NAME_free>>;
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, OsslDeleter<GENERAL_NAMES_free>>;
using BasicConstraintsPtr = std::unique_ptr<BASIC_CONSTRAINTS, OsslDeleter<BASIC_CONSTRAINTS_free>>;
using BitStringPtr = std::unique_ptr<ASN1_BIT_STRING, OsslDeleter<ASN1_BIT_STRING_free>>;
using EkuPtr = std::unique_ptr<EXTENDED_KEY_USAGE, OsslDeleter<EXTENDED_KEY_USAGE_free>>;
using AkidPtr = std::unique_ptr<AUTHORITY_KEYID, OsslDeleter<AUTHORITY_KEYID_free>>;
using CrlDpsPtr = std::unique_ptr<CRL_DIST_POINTS, OsslDeleter<CRL_DIST_POINTS_free>>;
using DistPointPtr = std::unique_ptr<DIST_POINT, OsslDeleter<DIST_POINT_free>>;
using AiaPtr = std::unique_ptr<AUTHORITY_INFO_ACCESS, OsslDeleter<AUTHORITY_INFO_ACCESS_free>>;
using AccessDescPtr = std::unique_ptr<ACCESS_DESCRIPTION, OsslDeleter<ACCESS_DESCRIPTION_free>>;
using PoliciesPtr = std::unique_ptr<CERTIFICATEPOLICIES, OsslDeleter<CERTIFICATEPOLICIES_free>>;
using PolicyInfoPtr = std::unique_ptr<POLICYINFO, OsslDeleter<POLICYINFO_free>>;
using Asn1NullPtr = std::unique_ptr<ASN1_NULL, OsslDeleter<ASN1_NULL_free>>;
using Asn1ObjectPtr = std::unique_ptr<ASN1_OBJECT, OsslDeleter<ASN1_OBJECT_free>>;

// KeyUsage bits, RFC 5280 §4.2.1.3.
enum KeyUsageBit {
    kDigitalSignature = 0,
    kNonRepudiation = 1,
    kKeyEncipherment = 2,
    kDataEncipherment = 3,
    kKeyAgreement = 4,
    kKeyCertSign = 5,
    kCrlSign = 6,
    kEncipherOnly = 7,
    kDecipherOnly = 8,
};
constexpr std::string_view kKeyUsageNames[] = {
    "digitalSignature", "nonRepudiation", "keyEncipherment", "dataEncipherment", "keyAgreement",
    "keyCertSign",      "cRLSign",        "encipherOnly",    "decipherOnly"};

Status AddExtension(X509* x, int nid, void* value, bool critical) {
    if (X509_add1_ext_i2d(x, nid, value, critical ? 1 : 0, X509V3_ADD_DEFAULT) != 1) {
        return Fail(crypto::OpenSslError(fmt::format("X509_add1_ext_i2d({})", OBJ_nid2sn(nid))));
    }
    return Ok();
}

// An IA5String general name (dNSName, URI).
Result<GeneralNamePtr> MakeIa5Name(int type, std::string_view value) {
    GeneralNamePtr gn(GENERAL_NAME_new());
    ASN1_IA5STRING* s = ASN1_IA5STRING_new();
    if (!gn || s == nullptr ||
        ASN1_STRING_set(s, value.data(), static_cast<int>(value.size())) != 1) {
        ASN1_IA5STRING_free(s);
        return Fail(crypto::OpenSslError("GENERAL_NAME"));
    }
    GENERAL_NAME_set0_value(gn.get(), type, s);
    return gn;
}

// A URL from configuration: non-empty printable ASCII without spaces (IA5String, RFC 5280
// §4.2.1.13 / §4.2.2.1).
Result<GeneralNamePtr> MakeUri(std::string_view url, std::string_view what) {
    bool ok = !url.empty() && url.size() <= 2048;
    for (char c : url) ok = ok && c > 0x20 && c < 0x7F;
    if (!ok) {
        return Fail(kBad, fmt::format("{} must be a non-empty ASCII URL without spaces", what));
    }
    return MakeIa5Name(GEN_URI, url);
}

// dNSName in preferred name syntax (RFC 5280 §4.2.1.6, RFC 1034 §3.5): LDH labels of 1–63
// characters, at most 253 in all; a leftmost "*" label is accepted for wildcard certificates.
bool IsValidDnsName(std::string_view name) {
    if (name.empty() || name.size() > 253) return false;
    std::size_t start = 0;
    bool first = true;
    while (start <= name.size()) {
        std::size_t dot = name.find('.', start);
        std::string_view label = name.substr(
            start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
        if (label.empty() || label.size() > 63) return false;
        if (!(first && label == "*" && dot != std::string_view::npos)) {
            if (label.front() == '-' || label.back() == '-') return false;
            for (char c : label) {
                bool ldh = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                           (c >= '0' && c <= '9') || c == '-';
                if (!ldh) return false;
            }
        }
        first = false;
        if (dot == std::string_view::npos) break;
        start = dot + 1;
    }
    return true;
}

// Adds `gn` to `names`, taking ownership on success.
Status Push(GENERAL_NAMES* names, GeneralNamePtr gn) {
    if (sk_GENERAL_NAME_push(names, gn.get()) <= 0) {
        return Fail(crypto::OpenSslError("sk_GENERAL_NAME_push"));
    }
    gn.release();
    return Ok();
}

Status AddBasicConstraints(X509* x, Profile profile) {
    if (!IsCaProfile(profile)) return Ok();  // RFC 5280 §4.2.1.9: optional in end entities
    BasicConstraintsPtr bc(BASIC_CONSTRAINTS_new());
    if (!bc) return Fail(crypto::OpenSslError("BASIC_CONSTRAINTS_new"));
    bc->ca = 0xFF;
    if (profile == Profile::kIssuingCa) {
        bc->pathlen = ASN1_INTEGER_new();
        if (bc->pathlen == nullptr || ASN1_INTEGER_set(bc->pathlen, 0) != 1) {
            return Fail(crypto::OpenSslError("ASN1_INTEGER_set"));
        }
    }
    return AddExtension(x, NID_basic_constraints, bc.get(), true);
}

Status AddKeyUsage(X509* x, Profile profile, crypto::KeyAlgorithm alg) {
    std::vector<int> bits;
    switch (profile) {
        case Profile::kSubscriberSign:
            bits = {kDigitalSignature, kNonRepudiation};
            break;
        case Profile::kSubscriberEnc:
            bits = {kKeyEncipherment, kDataEncipherment, kKeyAgreement};
            break;
        case Profile::kOcspSigner:
            bits = {kDigitalSignature};
            break;
        case Profile::kTlsServer:
            bits = {kDigitalSignature};
            if (alg == crypto::KeyAlgorithm::kRsa2048 || alg == crypto::KeyAlgorithm::kRsa3072) {
                bits.push_back(kKeyEncipherment);  // RSA key transport (TLS 1.2 RSA kx)
            }
            break;
        case Profile::kRootCa:
        case Profile::kIssuingCa:
            bits = {kKeyCertSign, kCrlSign};
            break;
    }
    BitStringPtr ku(ASN1_BIT_STRING_new());
    if (!ku) return Fail(crypto::OpenSslError("ASN1_BIT_STRING_new"));
    for (int bit : bits) {
        if (ASN1_BIT_STRING_set_bit(ku.get(), bit, 1) != 1) {
            return Fail(crypto::OpenSslError("ASN1_BIT_STRING_set_bit"));
        }
    }
    // RFC 5280 §4.2.1.3: conforming CAs SHOULD mark keyUsage critical.
    return AddExtension(x, NID_key_usage, ku.get(), true);
}

Status AddExtendedKeyUsage(X509* x, Profile profile) {
    std::vector<int> nids;
    switch (profile) {
        case Profile::kSubscriberSign:
            nids = {NID_client_auth, NID_email_protect};
            break;
        case Profile::kOcspSigner:
            nids = {NID_OCSP_sign};
            break;
        case Profile::kTlsServer:
            nids = {NID_server_auth};
            break;
        case Profile::kSubscriberEnc:
        case Profile::kRootCa:
        case Profile::kIssuingCa:
            return Ok();
    }
    EkuPtr eku(sk_ASN1_OBJECT_new_null());
    if (!eku) return Fail(crypto::OpenSslError("sk_ASN1_OBJECT_new_null"));
    for (int nid : nids) {
        // OBJ_nid2obj returns a static object; freeing it later is a no-op.
        if (sk_ASN1_OBJECT_push(eku.get(), OBJ_nid2obj(nid)) <= 0) {
            return Fail(crypto::OpenSslError("sk_ASN1_OBJECT_push"));
        }
    }
    return AddExtension(x, NID_ext_key_usage, eku.get(), false);
}

// SKI method 1 (RFC 5280 §4.2.1.2): SHA-1 over the subjectPublicKey BIT STRING value.
// Copies a DER SubjectPublicKeyInfo into the certificate field by field (algorithm, parameters,
// key bits) with plain ASN.1 calls, without building an EVP_PKEY (RFC 5280 §4.1.2.7).
Status SetSpkiFromDer(X509* x, ByteView spki) {
    const unsigned char* p = spki.data();
    long len = 0;
    int tag = 0, cls = 0;
    if (ASN1_get_object(&p, &len, &tag, &cls, static_cast<long>(spki.size())) & 0x80 ||
        tag != V_ASN1_SEQUENCE) {
        return Fail(crypto::OpenSslError("SPKI", kBad, "malformed SubjectPublicKeyInfo"));
    }
    const unsigned char* end = p + len;
    std::unique_ptr<X509_ALGOR, crypto::OsslDeleter<X509_ALGOR_free>> alg(
        d2i_X509_ALGOR(nullptr, &p, end - p));
    std::unique_ptr<ASN1_BIT_STRING, crypto::OsslDeleter<ASN1_BIT_STRING_free>> bits(
        d2i_ASN1_BIT_STRING(nullptr, &p, end - p));
    if (!alg || !bits || p != end) {
        return Fail(crypto::OpenSslError("SPKI", kBad, "malformed SubjectPublicKeyInfo"));
    }
    const ASN1_OBJECT* obj = nullptr;
    int ptype = 0;
    const void* pval = nullptr;
    X509_ALGOR_get0(&obj, &ptype, &pval, alg.get());
    void* param = nullptr;
    if (ptype == V_ASN1_OBJECT) {
        param = OBJ_dup(static_cast<const ASN1_OBJECT*>(pval));
    } else if (ptype == V_ASN1_SEQUENCE) {
        param = ASN1_STRING_dup(static_cast<const ASN1_STRING*>(pval));
    } else if (ptype != V_ASN1_NULL && ptype != V_ASN1_UNDEF) {
        return Fail(kBad, "unsupported public key parameters");
    }
    int key_len = ASN1_STRING_length(bits.get());
    auto* key = static_cast<unsigned char*>(OPENSSL_malloc(key_len > 0 ? key_len : 1));
    if (key_len > 0) std::memcpy(key, ASN1_STRING_get0_data(bits.get()), key_len);
    if (X509_PUBKEY_set0_param(X509_get_X509_PUBKEY(x), OBJ_dup(obj), ptype, param, key, key_len) !=
        1) {
        return Fail(crypto::OpenSslError("X509_PUBKEY_set0_param"));
    }
    return Ok();
}

Status AddSubjectKeyId(X509* x) {
    const ASN1_BIT_STRING* bits = X509_get0_pubkey_bitstr(x);
    if (bits == nullptr) return Fail(ErrorCode::kInternal, "certificate has no public key");
    Bytes digest = crypto::Sha1(ByteView(bits->data, static_cast<std::size_t>(bits->length)));
    crypto::Asn1OctetStringPtr ski(ASN1_OCTET_STRING_new());
    if (!ski ||
        ASN1_OCTET_STRING_set(ski.get(), digest.data(), static_cast<int>(digest.size())) != 1) {
        return Fail(crypto::OpenSslError("ASN1_OCTET_STRING_set"));
    }
    return AddExtension(x, NID_subject_key_identifier, ski.get(), false);
}

Status AddAuthorityKeyId(X509* x, const X509* issuer) {
    GZCA_ASSIGN_OR_RETURN(crypto::Asn1OctetStringPtr keyid, internal::IssuerKeyId(issuer));
    AkidPtr akid(AUTHORITY_KEYID_new());
    if (!akid) return Fail(crypto::OpenSslError("AUTHORITY_KEYID_new"));
    akid->keyid = keyid.release();
    return AddExtension(x, NID_authority_key_identifier, akid.get(), false);
}

Status AddSubjectAltNames(X509* x, const CertificateTemplate& tmpl) {
    GeneralNamesPtr names(sk_GENERAL_NAME_new_null());
    if (!names) return Fail(crypto::OpenSslError("sk_GENERAL_NAME_new_null"));
    for (const auto& dns : tmpl.dns_names) {
        if (!IsValidDnsName(dns)) {
            return Fail(kBad,
                        "invalid DNS name in subjectAltName (RFC 5280 §4.2.1.6: "
                        "preferred name syntax, A-labels for IDNs)");
        }
        GZCA_ASSIGN_OR_RETURN(GeneralNamePtr gn, MakeIa5Name(GEN_DNS, dns));
        GZCA_TRY_STATUS(Push(names.get(), std::move(gn)));
    }
    for (const auto& ip : tmpl.ip_addresses) {
        crypto::Asn1OctetStringPtr octets(a2i_IPADDRESS(ip.c_str()));
        if (!octets) {
            crypto::ClearOpenSslErrors();
            return Fail(kBad, "invalid IP address in subjectAltName");
        }
        GeneralNamePtr gn(GENERAL_NAME_new());
        if (!gn) return Fail(crypto::OpenSslError("GENERAL_NAME_new"));
        GENERAL_NAME_set0_value(gn.get(), GEN_IPADD, octets.release());
        GZCA_TRY_STATUS(Push(names.get(), std::move(gn)));
    }
    return AddExtension(x, NID_subject_alt_name, names.get(), false);
}

Status AddCrlDistributionPoint(X509* x, const std::string& url) {
    GZCA_ASSIGN_OR_RETURN(GeneralNamePtr uri, MakeUri(url, "CRL distribution point URL"));
    CrlDpsPtr dps(sk_DIST_POINT_new_null());
    DistPointPtr dp(DIST_POINT_new());
    if (!dps || !dp) return Fail(crypto::OpenSslError("DIST_POINT_new"));
    dp->distpoint = DIST_POINT_NAME_new();
    if (dp->distpoint == nullptr) return Fail(crypto::OpenSslError("DIST_POINT_NAME_new"));
    dp->distpoint->type = 0;  // fullName
    dp->distpoint->name.fullname = sk_GENERAL_NAME_new_null();
    if (dp->distpoint->name.fullname == nullptr) {
        return Fail(crypto::OpenSslError("sk_GENERAL_NAME_new_null"));
    }
    GZCA_TRY_STATUS(Push(dp->distpoint->name.fullname, std::move(uri)));
    if (sk_DIST_POINT_push(dps.get(), dp.get()) <= 0) {
        return Fail(crypto::OpenSslError("sk_DIST_POINT_push"));
    }
    dp.release();
    return AddExtension(x, NID_crl_distribution_points, dps.get(), false);
}

Status AddAuthorityInfoAccess(X509* x, const IssuanceUrls& urls) {
    AiaPtr aia(sk_ACCESS_DESCRIPTION_new_null());
    if (!aia) return Fail(crypto::OpenSslError("sk_ACCESS_DESCRIPTION_new_null"));
    auto add = [&](int method, const std::string& url, std::string_view what) -> Status {
        GZCA_ASSIGN_OR_RETURN(GeneralNamePtr uri, MakeUri(url, what));
        AccessDescPtr ad(ACCESS_DESCRIPTION_new());
        if (!ad) return Fail(crypto::OpenSslError("ACCESS_DESCRIPTION_new"));
        ASN1_OBJECT_free(ad->method);
        ad->method = OBJ_nid2obj(method);
        GENERAL_NAME_free(ad->location);
        ad->location = uri.release();
        if (sk_ACCESS_DESCRIPTION_push(aia.get(), ad.get()) <= 0) {
            return Fail(crypto::OpenSslError("sk_ACCESS_DESCRIPTION_push"));
        }
        ad.release();
        return Ok();
    };
    if (!urls.ocsp_url.empty()) GZCA_TRY_STATUS(add(NID_ad_OCSP, urls.ocsp_url, "OCSP URL"));
    if (!urls.ca_issuers_url.empty()) {
        GZCA_TRY_STATUS(add(NID_ad_ca_issuers, urls.ca_issuers_url, "CA issuers URL"));
    }
    return AddExtension(x, NID_info_access, aia.get(), false);
}

bool IsDottedOid(std::string_view oid) {
    if (oid.empty() || oid.front() == '.' || oid.back() == '.') return false;
    int dots = 0;
    char prev = 0;
    for (char c : oid) {
        if (c == '.') {
            if (prev == '.') return false;
            ++dots;
        } else if (c < '0' || c > '9') {
            return false;
        }
        prev = c;
    }
    return dots >= 1;
}

Status AddPolicies(X509* x, const std::vector<std::string>& oids) {
    PoliciesPtr policies(sk_POLICYINFO_new_null());
    if (!policies) return Fail(crypto::OpenSslError("sk_POLICYINFO_new_null"));
    for (const auto& oid : oids) {
        Asn1ObjectPtr obj(IsDottedOid(oid) ? OBJ_txt2obj(oid.c_str(), 1) : nullptr);
        if (!obj) {
            crypto::ClearOpenSslErrors();
            return Fail(kBad, "certificate policy must be a dotted OID (RFC 5280 §4.2.1.4)");
        }
        PolicyInfoPtr info(POLICYINFO_new());
        if (!info) return Fail(crypto::OpenSslError("POLICYINFO_new"));
        ASN1_OBJECT_free(info->policyid);
        info->policyid = obj.release();
        if (sk_POLICYINFO_push(policies.get(), info.get()) <= 0) {
            return Fail(crypto::OpenSslError("sk_POLICYINFO_push"));
        }
        info.release();
    }
    return AddExtension(x, NID_certificate_policies, policies.get(), false);
}

// True when the certificate asserts cA=TRUE (RFC 5280 §4.2.1.9).
bool IsCa(const X509* cert) {
    BasicConstraintsPtr bc(static_cast<BASIC_CONSTRAINTS*>(
        X509_get_ext_d2i(cert, NID_basic_constraints, nullptr, nullptr)));
    crypto::ClearOpenSslErrors();
    return bc && bc->ca != 0;
}

// Key usage bits asserted by `cert`, or nullopt when it has no keyUsage extension.
std::optional<std::vector<int>> KeyUsageBits(const X509* cert) {
    BitStringPtr ku(
        static_cast<ASN1_BIT_STRING*>(X509_get_ext_d2i(cert, NID_key_usage, nullptr, nullptr)));
    crypto::ClearOpenSslErrors();
    if (!ku) return std::nullopt;
    std::vector<int> bits;
    for (int bit = 0; bit <= kDecipherOnly; ++bit) {
        if (ASN1_BIT_STRING_get_bit(ku.get(), bit) == 1) bits.push_back(bit);
    }
    return bits;
}

}  // namespace

Bytes NewSerial() {
    for (;;) {
        Bytes serial = crypto::RandomBytes(16);
        serial[0] &= 0x7F;  // positive, and DER needs no leading 0x00: exactly 16 octets
        if (serial[0] != 0) return serial;
    }
}

std::string SerialHex(const ASN1_INTEGER* serial) {
    if (serial == nullptr) return {};
    Bytes mag =
        internal::SerialMagnitude(ByteView(serial->data, static_cast<std::size_t>(serial->length)));
    std::string hex = mag.empty() ? std::string("00") : HexEncode(mag);
    if (ASN1_STRING_type(serial) == V_ASN1_NEG_INTEGER && !mag.empty()) hex.insert(0, "-");
    return hex;
}

Result<Bytes> ParseSerialHex(std::string_view hex) {
    std::string digits(hex);
    if (digits.empty()) return Fail(kBad, "serial number is empty");
    if (digits.find(':') == std::string::npos && digits.size() % 2 == 1) digits.insert(0, "0");
    auto decoded = HexDecode(digits);
    if (!decoded) return Fail(kBad, "serial number is not a hex string");
    Bytes mag = internal::SerialMagnitude(*decoded);
    if (mag.empty()) mag.push_back(0);
    if (mag.size() > 20) return Fail(kBad, "serial number is longer than 20 octets");
    return mag;
}

Result<crypto::X509Ptr> SignCertificate(const CertificateTemplate& tmpl, const X509* issuer,
                                        const crypto::Signer& signer) {
    if (tmpl.subject_key == nullptr) return Fail(kBad, "certificate template has no public key");
    if (tmpl.not_after <= tmpl.not_before) {
        return Fail(kBad, "notAfter must be later than notBefore (RFC 5280 §4.1.2.5)");
    }
    GZCA_TRY_STATUS(Validate(tmpl.subject));
    auto alg = crypto::ClassifyKey(tmpl.subject_key);
    if (!alg) {
        crypto::ClearOpenSslErrors();
        return Fail(alg.error());
    }
    const bool tls = tmpl.profile == Profile::kTlsServer;
    if (tls && tmpl.dns_names.empty() && tmpl.ip_addresses.empty()) {
        return Fail(kBad, "a TLS server certificate needs at least one DNS name or IP address");
    }
    if (!tls && (!tmpl.dns_names.empty() || !tmpl.ip_addresses.empty())) {
        return Fail(kBad, "subject alternative names are only issued in TLS server certificates");
    }
    if (issuer == nullptr) {
        if (tmpl.profile != Profile::kRootCa) {
            return Fail(kBad, "only root CA certificates may be self-signed");
        }
        if (!internal::SamePublicKey(tmpl.subject_key, signer.PublicKeyDer())) {
            return Fail(kBad, "a self-signed certificate must be signed by its own key");
        }
    } else {
        if (EVP_PKEY_eq(X509_get0_pubkey(issuer), signer.pkey()) != 1) {
            crypto::ClearOpenSslErrors();
            return Fail(kBad, "the signing key does not match the issuer certificate");
        }
        auto ku = KeyUsageBits(issuer);
        bool may_sign = !ku || std::find(ku->begin(), ku->end(), kKeyCertSign) != ku->end();
        if (!IsCa(issuer) || !may_sign) {
            return Fail(kBad,
                        "the issuer certificate is not a CA allowed to sign certificates "
                        "(RFC 5280 §4.2.1.9, §4.2.1.3)");
        }
    }

    GZCA_ASSIGN_OR_RETURN(crypto::Asn1IntegerPtr serial, internal::SerialToAsn1(tmpl.serial));
    GZCA_ASSIGN_OR_RETURN(crypto::X509NamePtr subject, ToX509Name(tmpl.subject));
    GZCA_ASSIGN_OR_RETURN(crypto::Asn1TimePtr not_before, internal::ToAsn1Time(tmpl.not_before));
    GZCA_ASSIGN_OR_RETURN(crypto::Asn1TimePtr not_after, internal::ToAsn1Time(tmpl.not_after));

    // A public-only copy of the subject key: the certificate keeps a reference to what it is
    // given, and the template's key is borrowed (and may be a private key). Skipped when the
    // SPKI bytes are given (SetSpkiFromDer below).
    crypto::PKeyPtr public_key;
    if (tmpl.subject_spki_der.empty()) {
        unsigned char* spki_raw = nullptr;
        int spki_len = i2d_PUBKEY(tmpl.subject_key, &spki_raw);
        if (spki_len <= 0) {
            return Fail(crypto::OpenSslError("i2d_PUBKEY", kBad, "unusable public key"));
        }
        const unsigned char* sp = spki_raw;
        public_key.reset(d2i_PUBKEY(nullptr, &sp, spki_len));
        OPENSSL_free(spki_raw);
        if (!public_key) {
            return Fail(crypto::OpenSslError("d2i_PUBKEY", kBad, "unusable public key"));
        }
    }

    crypto::X509Ptr x(X509_new());
    if (!x) return Fail(crypto::OpenSslError("X509_new"));
    const X509_NAME* issuer_name = issuer ? X509_get_subject_name(issuer) : subject.get();
    if (X509_set_version(x.get(), X509_VERSION_3) != 1 ||
        X509_set_serialNumber(x.get(), serial.get()) != 1 ||
        X509_set_issuer_name(x.get(), issuer_name) != 1 ||
        X509_set1_notBefore(x.get(), not_before.get()) != 1 ||
        X509_set1_notAfter(x.get(), not_after.get()) != 1 ||
        X509_set_subject_name(x.get(), subject.get()) != 1) {
        return Fail(crypto::OpenSslError("filling in the certificate"));
    }
    if (public_key) {
        if (X509_set_pubkey(x.get(), public_key.get()) != 1) {
            return Fail(crypto::OpenSslError("X509_set_pubkey"));
        }
    } else {
        GZCA_TRY_STATUS(SetSpkiFromDer(x.get(), tmpl.subject_spki_der));
    }

    GZCA_TRY_STATUS(AddBasicConstraints(x.get(), tmpl.profile));
    GZCA_TRY_STATUS(AddKeyUsage(x.get(), tmpl.profile, *alg));
    GZCA_TRY_STATUS(AddExtendedKeyUsage(x.get(), tmpl.profile));
    GZCA_TRY_STATUS(AddSubjectKeyId(x.get()));
    // RFC 5280 §4.2.1.1: AKI MAY be omitted from self-signed certificates.
    if (issuer != nullptr) GZCA_TRY_STATUS(AddAuthorityKeyId(x.get(), issuer));
    if (tls) GZCA_TRY_STATUS(AddSubjectAltNames(x.get(), tmpl));
    if (tmpl.profile != Profile::kRootCa) {
        const IssuanceUrls& urls = tmpl.urls;
        if (!urls.crl_url.empty()) GZCA_TRY_STATUS(AddCrlDistributionPoint(x.get(), urls.crl_url));
        if (!urls.ocsp_url.empty() || !urls.ca_issuers_url.empty()) {
            GZCA_TRY_STATUS(AddAuthorityInfoAccess(x.get(), urls));
        }
        if (!urls.policy_oids.empty()) GZCA_TRY_STATUS(AddPolicies(x.get(), urls.policy_oids));
    }
    if (tmpl.profile == Profile::kOcspSigner) {
        // RFC 6960 §4.2.2.2.1: id-pkix-ocsp-nocheck, value NULL.
        Asn1NullPtr null(ASN1_NULL_new());
        if (!null) return Fail(crypto::OpenSslError("ASN1_NULL_new"));
        GZCA_TRY_STATUS(AddExtension(x.get(), NID_id_pkix_OCSP_noCheck, null.get(), false));
    }

    GZCA_ASSIGN_OR_RETURN(crypto::MdCtxPtr ctx, signer.NewSignContext());
    if (X509_sign_ctx(x.get(), ctx.get()) <= 0) {
        return Fail(crypto::OpenSslError("X509_sign_ctx", ErrorCode::kInternal,
                                         "signing the certificate failed"));
    }
    if (signer.algorithm() == crypto::KeyAlgorithm::kSm2) {
        // GM/T 0015: SM2-with-SM3 with absent parameters. Guard against a provider or engine
        // that writes something else.
        const X509_ALGOR* alg_id = X509_get0_tbs_sigalg(x.get());
        const ASN1_OBJECT* oid = nullptr;
        int param_type = 0;
        X509_ALGOR_get0(&oid, &param_type, nullptr, alg_id);
        if (OBJ_obj2nid(oid) != NID_SM2_with_SM3 || param_type != V_ASN1_UNDEF) {
            return Fail(ErrorCode::kInternal,
                        "SM2 signature algorithm identifier is not SM2-with-SM3 without "
                        "parameters");
        }
    }
    crypto::ClearOpenSslErrors();
    return x;
}

Result<crypto::X509Ptr> ParseCertificate(ByteView pem_or_der) {
    GZCA_ASSIGN_OR_RETURN(Bytes der, internal::PemOrDerToDer(pem_or_der, {"CERTIFICATE"},
                                                             kMaxCertificateSize, "certificate"));
    const unsigned char* p = der.data();
    crypto::X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
    if (!cert) {
        return Fail(crypto::OpenSslError("d2i_X509", kBad,
                                         "certificate is malformed or truncated (RFC 5280 §4.1)"));
    }
    if (p != der.data() + der.size()) {
        return Fail(kBad, "certificate has trailing data after the DER encoding");
    }
    return cert;
}

Bytes CertificateDer(const X509* cert) { return crypto::ToDer(cert, i2d_X509); }

std::string CertificatePem(const X509* cert) {
    Bytes der = CertificateDer(cert);
    if (der.empty()) return {};
    return internal::DerToPem(der, "CERTIFICATE");
}

std::string CertificatePemFromDer(ByteView der) {
    if (der.empty()) return {};
    return internal::DerToPem(der, "CERTIFICATE");
}

Result<CertificateInfo> InspectCertificate(const X509* cert) {
    if (cert == nullptr) return Fail(kBad, "no certificate");
    CertificateInfo info;
    info.serial_hex = SerialHex(X509_get0_serialNumber(cert));
    GZCA_ASSIGN_OR_RETURN(info.subject, FromX509Name(X509_get_subject_name(cert)));
    GZCA_ASSIGN_OR_RETURN(info.issuer, FromX509Name(X509_get_issuer_name(cert)));
    GZCA_ASSIGN_OR_RETURN(info.not_before, FromAsn1Time(X509_get0_notBefore(cert)));
    GZCA_ASSIGN_OR_RETURN(info.not_after, FromAsn1Time(X509_get0_notAfter(cert)));

    const EVP_PKEY* key = X509_get0_pubkey(cert);
    auto alg = key ? crypto::ClassifyKey(key) : Result<crypto::KeyAlgorithm>(Fail(kBad, "no key"));
    info.key_algorithm = alg ? std::string(crypto::KeyAlgorithmName(*alg)) : "unknown";
    crypto::ClearOpenSslErrors();

    int sig_nid = X509_get_signature_nid(cert);
    const char* sig_name = sig_nid == NID_undef ? nullptr : OBJ_nid2ln(sig_nid);
    if (sig_name != nullptr) {
        info.signature_algorithm = sig_name;
    } else {
        const X509_ALGOR* alg_id = X509_get0_tbs_sigalg(cert);
        const ASN1_OBJECT* oid = nullptr;
        X509_ALGOR_get0(&oid, nullptr, nullptr, alg_id);
        char buf[128];
        int n = OBJ_obj2txt(buf, sizeof(buf), oid, 1);
        info.signature_algorithm =
            n > 0 && static_cast<std::size_t>(n) < sizeof(buf) ? std::string(buf) : "unknown";
    }

    if (auto bits = KeyUsageBits(cert)) {
        for (int bit : *bits) info.key_usage.emplace_back(kKeyUsageNames[bit]);
    }
    EkuPtr eku(static_cast<EXTENDED_KEY_USAGE*>(
        X509_get_ext_d2i(cert, NID_ext_key_usage, nullptr, nullptr)));
    crypto::ClearOpenSslErrors();
    if (eku) {
        for (int i = 0; i < sk_ASN1_OBJECT_num(eku.get()); ++i) {
            const ASN1_OBJECT* obj = sk_ASN1_OBJECT_value(eku.get(), i);
            int nid = OBJ_obj2nid(obj);
            if (nid != NID_undef && OBJ_nid2sn(nid) != nullptr) {
                info.extended_key_usage.emplace_back(OBJ_nid2sn(nid));
            } else {
                char buf[128];
                int n = OBJ_obj2txt(buf, sizeof(buf), obj, 1);
                if (n > 0 && static_cast<std::size_t>(n) < sizeof(buf)) {
                    info.extended_key_usage.emplace_back(buf, static_cast<std::size_t>(n));
                }
            }
        }
    }
    info.is_ca = IsCa(cert);

    unsigned char* spki = nullptr;
    int n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &spki);
    if (n <= 0) return Fail(crypto::OpenSslError("i2d_X509_PUBKEY", kBad, "unreadable public key"));
    info.spki_sha256_hex = HexEncode(crypto::Sha256(ByteView(spki, static_cast<std::size_t>(n))));
    OPENSSL_free(spki);
    crypto::ClearOpenSslErrors();
    return info;
}

Result<bool> VerifyIssuedBy(const X509* cert, const X509* issuer) {
    if (cert == nullptr || issuer == nullptr) return Fail(kBad, "no certificate");
    EVP_PKEY* borrowed_key = X509_get0_pubkey(issuer);
    if (borrowed_key == nullptr) {
        return Fail(crypto::OpenSslError("X509_get0_pubkey", kBad,
                                         "issuer certificate has an unusable public key"));
    }
    // SM2 verification needs an SM2-typed key (an EC key on the SM2 curve would run ECDSA).
    GZCA_ASSIGN_OR_RETURN(crypto::PKeyPtr key,
                          crypto::NormalizeSm2Key(crypto::UpRef(borrowed_key)));
    EVP_PKEY* issuer_key = key.get();
    // Verify a private copy: setting the SM2 ID mutates the object, and `cert` is const. The copy
    // keeps the original to-be-signed encoding (d2i caches it).
    Bytes der = CertificateDer(cert);
    const unsigned char* p = der.data();
    crypto::X509Ptr copy(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
    if (!copy) return Fail(crypto::OpenSslError("d2i_X509", kBad, "certificate is malformed"));
    if (crypto::IsSm2(issuer_key)) {
        crypto::Asn1OctetStringPtr id(ASN1_OCTET_STRING_new());
        if (!id ||
            ASN1_OCTET_STRING_set(
                id.get(), reinterpret_cast<const unsigned char*>(crypto::kSm2DefaultId.data()),
                static_cast<int>(crypto::kSm2DefaultId.size())) != 1) {
            return Fail(crypto::OpenSslError("ASN1_OCTET_STRING_set"));
        }
        X509_set0_distinguishing_id(copy.get(), id.release());
    }
    bool ok = X509_verify(copy.get(), issuer_key) == 1;
    crypto::ClearOpenSslErrors();
    return ok;
}

Result<TimePoint> FromAsn1Time(const ASN1_TIME* t) {
    // ASN1_TIME_to_tm(nullptr) would mean "now": refuse it explicitly.
    std::tm tm{};
    if (t == nullptr || ASN1_TIME_check(t) != 1 || ASN1_TIME_to_tm(t, &tm) != 1) {
        crypto::ClearOpenSslErrors();
        return Fail(kBad, "unparsable ASN.1 time");
    }
    return FromUnix(static_cast<std::int64_t>(timegm(&tm)));
}

}  // namespace gzca::pki
