#include "pki/crl.h"

#include <openssl/asn1.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <charconv>
#include <ctime>
#include <map>
#include <memory>

#include <fmt/format.h>

#include "base/ascii.h"
#include "pki/internal.h"

namespace gzca::pki {

namespace {

constexpr ErrorCode kBad = ErrorCode::kInvalidArgument;

using crypto::OsslDeleter;
using AkidPtr = std::unique_ptr<AUTHORITY_KEYID, OsslDeleter<AUTHORITY_KEYID_free>>;
using EnumeratedPtr = std::unique_ptr<ASN1_ENUMERATED, OsslDeleter<ASN1_ENUMERATED_free>>;
using BitStringPtr = std::unique_ptr<ASN1_BIT_STRING, OsslDeleter<ASN1_BIT_STRING_free>>;

struct ReasonName {
    RevocationReason reason;
    std::string_view name;  // RFC 5280 §5.3.1 CRLReason identifiers
};
constexpr ReasonName kReasons[] = {
    {RevocationReason::kUnspecified, "unspecified"},
    {RevocationReason::kKeyCompromise, "keyCompromise"},
    {RevocationReason::kCaCompromise, "cACompromise"},
    {RevocationReason::kAffiliationChanged, "affiliationChanged"},
    {RevocationReason::kSuperseded, "superseded"},
    {RevocationReason::kCessationOfOperation, "cessationOfOperation"},
    {RevocationReason::kCertificateHold, "certificateHold"},
    {RevocationReason::kRemoveFromCrl, "removeFromCRL"},
    {RevocationReason::kPrivilegeWithdrawn, "privilegeWithdrawn"},
    {RevocationReason::kAaCompromise, "aACompromise"},
};

// A reason gzca may put in a full CRL: a defined code other than removeFromCRL.
bool IsIssuableReason(RevocationReason r) {
    if (r == RevocationReason::kRemoveFromCrl) return false;
    for (const auto& entry : kReasons) {
        if (entry.reason == r) return true;
    }
    return false;
}

struct SortedEntry {
    Bytes serial;  // magnitude without leading zeros
    const RevokedEntry* entry;
};

// Numeric order of positive integers given as minimal big-endian magnitudes.
bool SerialLess(const SortedEntry& a, const SortedEntry& b) {
    if (a.serial.size() != b.serial.size()) return a.serial.size() < b.serial.size();
    return a.serial < b.serial;
}

// The AlgorithmIdentifier inside a CRL's TBSCertList (after the optional version), as DER.
Result<ByteView> InnerSignatureAlgorithm(ByteView tbs) {
    auto bad = [] { return Fail(kBad, "CRL to-be-signed part is malformed"); };
    const unsigned char* p = tbs.data();
    long len = 0;
    int tag = 0;
    int cls = 0;
    int flags = ASN1_get_object(&p, &len, &tag, &cls, static_cast<long>(tbs.size()));
    if (flags != V_ASN1_CONSTRUCTED || tag != V_ASN1_SEQUENCE) return bad();
    const unsigned char* end = p + len;
    for (int i = 0; i < 2; ++i) {
        const unsigned char* start = p;
        flags = ASN1_get_object(&p, &len, &tag, &cls, end - p);
        if ((flags & 0x80) != 0 || (flags & 0x01) != 0 || len > end - p) return bad();
        p += len;
        if (cls == V_ASN1_UNIVERSAL && tag == V_ASN1_SEQUENCE) {
            return tbs.subspan(static_cast<std::size_t>(start - tbs.data()),
                               static_cast<std::size_t>(p - start));
        }
        if (!(i == 0 && cls == V_ASN1_UNIVERSAL && tag == V_ASN1_INTEGER)) return bad();
    }
    return bad();
}

}  // namespace

std::string_view RevocationReasonName(RevocationReason r) {
    for (const auto& entry : kReasons) {
        if (entry.reason == r) return entry.name;
    }
    return "unknown";
}

Result<RevocationReason> ParseRevocationReason(std::string_view text) {
    auto reject = [] {
        return Fail(kBad,
                    "unknown revocation reason (RFC 5280 §5.3.1: unspecified, keyCompromise, "
                    "cACompromise, affiliationChanged, superseded, cessationOfOperation, "
                    "certificateHold, privilegeWithdrawn, aACompromise)");
    };
    int code = -1;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), code);
    bool numeric = !text.empty() && ec == std::errc() && ptr == text.data() + text.size();
    for (const auto& entry : kReasons) {
        bool match = numeric ? static_cast<int>(entry.reason) == code
                             : AsciiEqualsIgnoreCase(entry.name, text);
        if (!match) continue;
        if (entry.reason == RevocationReason::kRemoveFromCrl) {
            return Fail(kBad,
                        "removeFromCRL is only used in delta CRLs, which gzca does not issue");
        }
        return entry.reason;
    }
    return reject();
}

Result<crypto::X509CrlPtr> SignCrl(const CrlTemplate& tmpl, const X509* issuer,
                                   const crypto::Signer& signer) {
    if (issuer == nullptr) return Fail(kBad, "a CRL needs an issuer certificate");
    if (tmpl.next_update <= tmpl.this_update) {
        return Fail(kBad, "nextUpdate must be later than thisUpdate (RFC 5280 §5.1.2.5)");
    }
    if (!internal::SamePublicKey(X509_get0_pubkey(issuer), signer.PublicKeyDer())) {
        return Fail(kBad, "the signing key does not match the CRL issuer certificate");
    }
    {
        BitStringPtr ku(static_cast<ASN1_BIT_STRING*>(
            X509_get_ext_d2i(issuer, NID_key_usage, nullptr, nullptr)));
        crypto::ClearOpenSslErrors();
        if (ku && ASN1_BIT_STRING_get_bit(ku.get(), 6) != 1) {
            return Fail(kBad,
                        "the issuer certificate lacks the cRLSign key usage (RFC 5280 "
                        "§4.2.1.3)");
        }
    }

    std::vector<SortedEntry> sorted;
    sorted.reserve(tmpl.entries.size());
    for (const auto& e : tmpl.entries) {
        if (!IsIssuableReason(e.reason)) {
            return Fail(kBad,
                        "CRL entry has a reason code that cannot appear in a full CRL "
                        "(RFC 5280 §5.3.1)");
        }
        sorted.push_back({internal::SerialMagnitude(e.serial), &e});
        if (sorted.back().serial.empty()) {
            return Fail(kBad, "CRL entry serial number must be positive (RFC 5280 §4.1.2.2)");
        }
    }
    std::sort(sorted.begin(), sorted.end(), SerialLess);
    for (std::size_t i = 1; i < sorted.size(); ++i) {
        if (sorted[i].serial == sorted[i - 1].serial) {
            return Fail(kBad, fmt::format("serial {} appears twice in the CRL entries",
                                          HexEncode(sorted[i].serial)));
        }
    }

    crypto::X509CrlPtr crl(X509_CRL_new());
    if (!crl) return Fail(crypto::OpenSslError("X509_CRL_new"));
    GZCA_ASSIGN_OR_RETURN(crypto::Asn1TimePtr this_update, internal::ToAsn1Time(tmpl.this_update));
    GZCA_ASSIGN_OR_RETURN(crypto::Asn1TimePtr next_update, internal::ToAsn1Time(tmpl.next_update));
    if (X509_CRL_set_version(crl.get(), X509_CRL_VERSION_2) != 1 ||
        X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(issuer)) != 1 ||
        X509_CRL_set1_lastUpdate(crl.get(), this_update.get()) != 1 ||
        X509_CRL_set1_nextUpdate(crl.get(), next_update.get()) != 1) {
        return Fail(crypto::OpenSslError("filling in the CRL"));
    }

    // Per-entry work is kept to copies of prepared values: 100,000 entries must sign in well
    // under two seconds. One scratch INTEGER and TIME are refilled per entry (the setters copy),
    // and each reasonCode extension is encoded once per reason value.
    crypto::Asn1IntegerPtr serial(ASN1_INTEGER_new());
    crypto::Asn1TimePtr when(ASN1_TIME_new());
    std::map<RevocationReason, crypto::X509ExtPtr> reason_exts;
    for (const auto& s : sorted) {
        // RFC 5280 §5.3.1: the reasonCode SHOULD be absent rather than "unspecified".
        RevocationReason r = s.entry->reason;
        if (r != RevocationReason::kUnspecified && reason_exts.find(r) == reason_exts.end()) {
            EnumeratedPtr value(ASN1_ENUMERATED_new());
            if (!value || ASN1_ENUMERATED_set(value.get(), static_cast<long>(r)) != 1) {
                return Fail(crypto::OpenSslError("ASN1_ENUMERATED_set"));
            }
            crypto::X509ExtPtr ext(X509V3_EXT_i2d(NID_crl_reason, 0, value.get()));
            if (!ext) return Fail(crypto::OpenSslError("encoding a CRL entry reasonCode"));
            reason_exts.emplace(r, std::move(ext));
        }
    }
    if (!serial || !when) return Fail(crypto::OpenSslError("ASN1_INTEGER_new/ASN1_TIME_new"));
    for (const auto& s : sorted) {
        // DER content of a positive INTEGER whose top bit is set needs a leading 0x00 octet:
        // at most 20 octets in all (RFC 5280 §4.1.2.2). OpenSSL stores the magnitude.
        if (s.serial.size() + ((s.serial[0] & 0x80) != 0 ? 1 : 0) > 20) {
            return Fail(kBad,
                        "CRL entry serial number is longer than 20 octets (RFC 5280 "
                        "§4.1.2.2)");
        }
        crypto::X509RevokedPtr rev(X509_REVOKED_new());
        if (!rev ||
            ASN1_STRING_set(serial.get(), s.serial.data(), static_cast<int>(s.serial.size())) !=
                1 ||
            ASN1_TIME_set(when.get(), static_cast<std::time_t>(ToUnix(s.entry->revoked_at))) ==
                nullptr ||
            X509_REVOKED_set_serialNumber(rev.get(), serial.get()) != 1 ||
            X509_REVOKED_set_revocationDate(rev.get(), when.get()) != 1) {
            return Fail(crypto::OpenSslError("filling in a CRL entry"));
        }
        if (s.entry->reason != RevocationReason::kUnspecified &&
            X509_REVOKED_add_ext(rev.get(), reason_exts.at(s.entry->reason).get(), -1) != 1) {
            return Fail(crypto::OpenSslError("adding a CRL entry reasonCode"));
        }
        // Entries were sorted above; the list is encoded in insertion order.
        if (X509_CRL_add0_revoked(crl.get(), rev.get()) != 1) {
            return Fail(crypto::OpenSslError("X509_CRL_add0_revoked"));
        }
        rev.release();
    }

    // Extensions: AKI (RFC 5280 §5.2.1, MUST) and CRL number (§5.2.3, MUST).
    GZCA_ASSIGN_OR_RETURN(crypto::Asn1OctetStringPtr keyid, internal::IssuerKeyId(issuer));
    AkidPtr akid(AUTHORITY_KEYID_new());
    if (!akid) return Fail(crypto::OpenSslError("AUTHORITY_KEYID_new"));
    akid->keyid = keyid.release();
    crypto::Asn1IntegerPtr number(ASN1_INTEGER_new());
    if (!number || ASN1_INTEGER_set_uint64(number.get(), tmpl.crl_number) != 1) {
        return Fail(crypto::OpenSslError("ASN1_INTEGER_set_uint64"));
    }
    if (X509_CRL_add1_ext_i2d(crl.get(), NID_authority_key_identifier, akid.get(), 0,
                              X509V3_ADD_DEFAULT) != 1 ||
        X509_CRL_add1_ext_i2d(crl.get(), NID_crl_number, number.get(), 0, X509V3_ADD_DEFAULT) !=
            1) {
        return Fail(crypto::OpenSslError("adding CRL extensions"));
    }

    GZCA_ASSIGN_OR_RETURN(crypto::MdCtxPtr ctx, signer.NewSignContext());
    if (X509_CRL_sign_ctx(crl.get(), ctx.get()) <= 0) {
        return Fail(crypto::OpenSslError("X509_CRL_sign_ctx", ErrorCode::kInternal,
                                         "signing the CRL failed"));
    }
    crypto::ClearOpenSslErrors();
    return crl;
}

Bytes CrlDer(const X509_CRL* crl) { return crypto::ToDer(crl, i2d_X509_CRL); }

std::string CrlPem(const X509_CRL* crl) {
    Bytes der = CrlDer(crl);
    if (der.empty()) return {};
    return internal::DerToPem(der, "X509 CRL");
}

Result<crypto::X509CrlPtr> ParseCrl(ByteView pem_or_der) {
    GZCA_ASSIGN_OR_RETURN(Bytes der,
                          internal::PemOrDerToDer(pem_or_der, {"X509 CRL"}, kMaxCrlSize, "CRL"));
    const unsigned char* p = der.data();
    crypto::X509CrlPtr crl(d2i_X509_CRL(nullptr, &p, static_cast<long>(der.size())));
    if (!crl) {
        return Fail(crypto::OpenSslError("d2i_X509_CRL", kBad,
                                         "CRL is malformed or truncated (RFC 5280 §5.1)"));
    }
    if (p != der.data() + der.size()) {
        return Fail(kBad, "CRL has trailing data after the DER encoding");
    }
    return crl;
}

Result<bool> VerifyCrlIssuedBy(const X509_CRL* crl, const X509* issuer) {
    if (crl == nullptr || issuer == nullptr) return Fail(kBad, "no CRL or issuer");
    EVP_PKEY* key = X509_get0_pubkey(issuer);
    if (key == nullptr) {
        return Fail(crypto::OpenSslError("X509_get0_pubkey", kBad,
                                         "issuer certificate has an unusable public key"));
    }
    Bytes der = CrlDer(crl);
    if (der.empty()) return Fail(kBad, "CRL cannot be encoded");

    if (!crypto::IsSm2(key)) {
        const unsigned char* p = der.data();
        crypto::X509CrlPtr copy(d2i_X509_CRL(nullptr, &p, static_cast<long>(der.size())));
        if (!copy) return Fail(crypto::OpenSslError("d2i_X509_CRL", kBad, "CRL is malformed"));
        bool ok = X509_CRL_verify(copy.get(), key) == 1;
        crypto::ClearOpenSslErrors();
        return ok;
    }

    const ASN1_BIT_STRING* sig = nullptr;
    const X509_ALGOR* outer = nullptr;
    X509_CRL_get0_signature(crl, &sig, &outer);
    if (sig == nullptr || outer == nullptr) return Fail(kBad, "CRL has no signature");
    const ASN1_OBJECT* oid = nullptr;
    int param_type = 0;
    X509_ALGOR_get0(&oid, &param_type, nullptr, outer);
    if (OBJ_obj2nid(oid) != NID_SM2_with_SM3) return false;
    GZCA_ASSIGN_OR_RETURN(ByteView tbs, internal::ToBeSignedBytes(der));
    GZCA_ASSIGN_OR_RETURN(ByteView inner, InnerSignatureAlgorithm(tbs));
    unsigned char* outer_der = nullptr;
    int outer_len = i2d_X509_ALGOR(outer, &outer_der);
    bool same_alg = outer_len > 0 && static_cast<std::size_t>(outer_len) == inner.size() &&
                    std::equal(inner.begin(), inner.end(), outer_der);
    OPENSSL_free(outer_der);
    crypto::ClearOpenSslErrors();
    if (!same_alg) return false;  // RFC 5280 §5.1.1.2
    return crypto::VerifySignature(key, tbs,
                                   ByteView(sig->data, static_cast<std::size_t>(sig->length)),
                                   crypto::kSm2DefaultId);
}

}  // namespace gzca::pki
