#include "pki/internal.h"

#include <openssl/asn1.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>

#include <algorithm>
#include <ctime>
#include <limits>
#include <memory>

#include <fmt/format.h>

#include "crypto/signer.h"

namespace gzca::pki::internal {

namespace {

struct OpenSslFree {
    void operator()(void* p) const { OPENSSL_free(p); }
};

bool IsSpace(std::uint8_t c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

std::string JoinLabels(std::initializer_list<std::string_view> labels) {
    std::string out;
    for (auto l : labels) {
        if (!out.empty()) out += "\" or \"";
        out += l;
    }
    return out;
}

}  // namespace

Result<Bytes> PemOrDerToDer(ByteView input, std::initializer_list<std::string_view> labels,
                            std::size_t max_size, std::string_view what) {
    if (input.empty()) {
        return Fail(ErrorCode::kInvalidArgument, fmt::format("{} input is empty", what));
    }
    if (input.size() > max_size) {
        return Fail(ErrorCode::kInvalidArgument,
                    fmt::format("{} of {} bytes exceeds the limit of {} bytes", what, input.size(),
                                max_size));
    }
    std::size_t start = 0;
    while (start < input.size() && IsSpace(input[start])) ++start;
    constexpr std::string_view kBegin = "-----BEGIN ";
    std::string_view rest = AsString(input.subspan(start));
    if (!rest.starts_with(kBegin)) {
        return Bytes(input.begin(), input.end());  // DER
    }

    // Narrowing is safe: max_size is far below INT_MAX for every caller.
    if (input.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
        return Fail(ErrorCode::kInvalidArgument, fmt::format("{} input is too large", what));
    }
    crypto::BioPtr bio(BIO_new_mem_buf(input.data(), static_cast<int>(input.size())));
    if (!bio) return Fail(crypto::OpenSslError("BIO_new_mem_buf"));
    char* name_raw = nullptr;
    char* header_raw = nullptr;
    unsigned char* data_raw = nullptr;
    long len = 0;
    int ok = PEM_read_bio(bio.get(), &name_raw, &header_raw, &data_raw, &len);
    std::unique_ptr<char, OpenSslFree> name(name_raw);
    std::unique_ptr<char, OpenSslFree> header(header_raw);
    std::unique_ptr<unsigned char, OpenSslFree> data(data_raw);
    if (ok != 1) {
        return Fail(crypto::OpenSslError(fmt::format("PEM_read_bio ({})", what),
                                         ErrorCode::kInvalidArgument,
                                         fmt::format("{} is not valid PEM", what)));
    }
    std::string_view label(name.get());
    if (std::find(labels.begin(), labels.end(), label) == labels.end()) {
        return Fail(ErrorCode::kInvalidArgument,
                    fmt::format("{}: expected PEM label \"{}\", found \"{}\"", what,
                                JoinLabels(labels), label));
    }
    if (header && header.get()[0] != '\0') {
        return Fail(ErrorCode::kInvalidArgument,
                    fmt::format("{}: PEM headers (e.g. encryption) are not accepted", what));
    }
    // PEM_read_bio consumes line by line; what is left in the BIO follows the END line.
    char* tail = nullptr;
    long tail_len = BIO_get_mem_data(bio.get(), &tail);
    for (long i = 0; i < tail_len; ++i) {
        if (!IsSpace(static_cast<std::uint8_t>(tail[i]))) {
            return Fail(ErrorCode::kInvalidArgument,
                        fmt::format("{}: unexpected data after the PEM block", what));
        }
    }
    if (len <= 0) {
        return Fail(ErrorCode::kInvalidArgument, fmt::format("{}: PEM block is empty", what));
    }
    return Bytes(data.get(), data.get() + len);
}

std::string DerToPem(ByteView der, std::string_view label) {
    std::string b64 = Base64Encode(der);
    std::string out = fmt::format("-----BEGIN {}-----\n", label);
    out.reserve(out.size() + b64.size() + b64.size() / 64 + 40);
    for (std::size_t i = 0; i < b64.size(); i += 64) {
        out.append(b64, i, 64);
        out.push_back('\n');
    }
    out += fmt::format("-----END {}-----\n", label);
    return out;
}

Result<ByteView> ToBeSignedBytes(ByteView der) {
    auto bad = [] {
        return Fail(ErrorCode::kInvalidArgument, "signed object is not a DER SEQUENCE");
    };
    if (der.size() > static_cast<std::size_t>(std::numeric_limits<long>::max())) return bad();
    const unsigned char* p = der.data();
    long len = 0;
    int tag = 0;
    int cls = 0;
    int flags = ASN1_get_object(&p, &len, &tag, &cls, static_cast<long>(der.size()));
    // 0x80: parse error; 0x01 without length: indefinite length (not DER).
    if ((flags & 0x80) != 0 || flags != V_ASN1_CONSTRUCTED || tag != V_ASN1_SEQUENCE ||
        cls != V_ASN1_UNIVERSAL) {
        crypto::ClearOpenSslErrors();
        return bad();
    }
    const unsigned char* body = p;
    long body_len = len;
    const unsigned char* q = body;
    flags = ASN1_get_object(&q, &len, &tag, &cls, body_len);
    if ((flags & 0x80) != 0 || (flags & 0x01) != 0) {
        crypto::ClearOpenSslErrors();
        return bad();
    }
    std::size_t tbs_len = static_cast<std::size_t>(q - body) + static_cast<std::size_t>(len);
    return der.subspan(static_cast<std::size_t>(body - der.data()), tbs_len);
}

Result<crypto::Asn1TimePtr> ToAsn1Time(TimePoint t) {
    crypto::Asn1TimePtr out(ASN1_TIME_new());
    if (!out) return Fail(crypto::OpenSslError("ASN1_TIME_new"));
    // ASN1_TIME_set picks UTCTime for 1950..2049 and GeneralizedTime otherwise, which is exactly
    // RFC 5280 §4.1.2.5.
    if (ASN1_TIME_set(out.get(), static_cast<std::time_t>(ToUnix(t))) == nullptr) {
        return Fail(crypto::OpenSslError("ASN1_TIME_set", ErrorCode::kInvalidArgument,
                                         "time is out of the representable range"));
    }
    return out;
}

Bytes SerialMagnitude(ByteView serial) {
    std::size_t i = 0;
    while (i < serial.size() && serial[i] == 0) ++i;
    return Bytes(serial.begin() + static_cast<std::ptrdiff_t>(i), serial.end());
}

Result<crypto::Asn1IntegerPtr> SerialToAsn1(ByteView serial) {
    Bytes mag = SerialMagnitude(serial);
    if (mag.empty()) {
        return Fail(ErrorCode::kInvalidArgument,
                    "serial number must be positive (RFC 5280 §4.1.2.2)");
    }
    // DER needs a leading 0x00 octet when the top bit is set.
    std::size_t der_len = mag.size() + ((mag[0] & 0x80) != 0 ? 1 : 0);
    if (der_len > 20) {
        return Fail(ErrorCode::kInvalidArgument,
                    "serial number is longer than 20 octets (RFC 5280 §4.1.2.2)");
    }
    crypto::BnPtr bn(BN_bin2bn(mag.data(), static_cast<int>(mag.size()), nullptr));
    if (!bn) return Fail(crypto::OpenSslError("BN_bin2bn"));
    crypto::Asn1IntegerPtr out(BN_to_ASN1_INTEGER(bn.get(), nullptr));
    if (!out) return Fail(crypto::OpenSslError("BN_to_ASN1_INTEGER"));
    return out;
}

Result<crypto::Asn1OctetStringPtr> IssuerKeyId(const X509* issuer) {
    int crit = 0;
    crypto::Asn1OctetStringPtr ski(static_cast<ASN1_OCTET_STRING*>(
        X509_get_ext_d2i(issuer, NID_subject_key_identifier, &crit, nullptr)));
    if (ski) return ski;
    if (crit == -2) {
        crypto::ClearOpenSslErrors();
        return Fail(ErrorCode::kInvalidArgument,
                    "issuer certificate has more than one subjectKeyIdentifier");
    }
    crypto::ClearOpenSslErrors();
    const ASN1_BIT_STRING* key_bits = X509_get0_pubkey_bitstr(issuer);
    if (key_bits == nullptr) {
        return Fail(ErrorCode::kInvalidArgument, "issuer certificate has no public key");
    }
    Bytes digest =
        crypto::Sha1(ByteView(key_bits->data, static_cast<std::size_t>(key_bits->length)));
    crypto::Asn1OctetStringPtr out(ASN1_OCTET_STRING_new());
    if (!out ||
        ASN1_OCTET_STRING_set(out.get(), digest.data(), static_cast<int>(digest.size())) != 1) {
        return Fail(crypto::OpenSslError("ASN1_OCTET_STRING_set"));
    }
    return out;
}

bool SamePublicKey(const EVP_PKEY* a, ByteView b_spki) {
    if (a == nullptr) return false;
    unsigned char* der_raw = nullptr;
    int n = i2d_PUBKEY(a, &der_raw);
    std::unique_ptr<unsigned char, OpenSslFree> der(der_raw);
    if (n > 0 && static_cast<std::size_t>(n) == b_spki.size() &&
        std::equal(b_spki.begin(), b_spki.end(), der.get())) {
        return true;
    }
    // Same key, different encoding (e.g. an engine key): compare the key material.
    const unsigned char* p = b_spki.data();
    crypto::PKeyPtr b(d2i_PUBKEY(nullptr, &p, static_cast<long>(b_spki.size())));
    bool same = b && EVP_PKEY_eq(a, b.get()) == 1;
    crypto::ClearOpenSslErrors();
    return same;
}

}  // namespace gzca::pki::internal
