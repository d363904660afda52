#include "pki/name.h"

#include "base/ascii.h"

#include <openssl/asn1.h>
#include <openssl/objects.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <optional>

#include <fmt/format.h>

namespace gzca::pki {

namespace {

// How a value is encoded in the certificate.
enum class StringKind {
    kUtf8,       // DirectoryString → UTF8String (RFC 5280 §4.1.2.4)
    kPrintable,  // countryName, serialNumber: PrintableString (RFC 5280 Appendix A)
    kIa5,        // emailAddress (PKCS#9), domainComponent (RFC 4519): IA5String
};

struct AttributeSpec {
    std::string_view name;  // canonical (OpenSSL short name)
    int nid;
    std::string_view oid;
    std::size_t max_chars;  // RFC 5280 Appendix A ub-* where defined; gzca policy otherwise
    StringKind kind;
    std::array<std::string_view, 3> aliases;  // accepted on parse, case-insensitive
};

// Upper bounds: ub-country-name-alpha-length 2, ub-state-name 128, ub-locality-name 128,
// ub-organization-name 64, ub-organizational-unit-name 64, ub-common-name 64, ub-title 64,
// ub-serial-number 64, ub-emailaddress-length 255. Attributes without an Appendix A bound get 64
// (63 for DC, the DNS label limit).
constexpr AttributeSpec kAttributes[] = {
    {"C", NID_countryName, "2.5.4.6", 2, StringKind::kPrintable, {"countryName"}},
    {"ST",
     NID_stateOrProvinceName,
     "2.5.4.8",
     128,
     StringKind::kUtf8,
     {"S", "stateOrProvinceName"}},
    {"L", NID_localityName, "2.5.4.7", 128, StringKind::kUtf8, {"localityName"}},
    {"street", NID_streetAddress, "2.5.4.9", 128, StringKind::kUtf8, {"streetAddress"}},
    {"O", NID_organizationName, "2.5.4.10", 64, StringKind::kUtf8, {"organizationName"}},
    {"OU",
     NID_organizationalUnitName,
     "2.5.4.11",
     64,
     StringKind::kUtf8,
     {"organizationalUnitName"}},
    {"title", NID_title, "2.5.4.12", 64, StringKind::kUtf8, {}},
    {"CN", NID_commonName, "2.5.4.3", 64, StringKind::kUtf8, {"commonName"}},
    {"SN", NID_surname, "2.5.4.4", 64, StringKind::kUtf8, {"surname"}},
    {"GN", NID_givenName, "2.5.4.42", 64, StringKind::kUtf8, {"givenName", "G"}},
    {"serialNumber", NID_serialNumber, "2.5.4.5", 64, StringKind::kPrintable, {}},
    {"emailAddress",
     NID_pkcs9_emailAddress,
     "1.2.840.113549.1.9.1",
     255,
     StringKind::kIa5,
     {"E", "email"}},
    {"DC",
     NID_domainComponent,
     "0.9.2342.19200300.100.1.25",
     63,
     StringKind::kIa5,
     {"domainComponent"}},
    {"UID", NID_userId, "0.9.2342.19200300.100.1.1", 64, StringKind::kUtf8, {"userId"}},
};

constexpr std::size_t kMaxAttributes = 16;

const AttributeSpec* FindByName(std::string_view type) {
    for (const auto& spec : kAttributes) {
        if (AsciiEqualsIgnoreCase(type, spec.name) || type == spec.oid) return &spec;
        for (auto alias : spec.aliases) {
            if (!alias.empty() && AsciiEqualsIgnoreCase(type, alias)) return &spec;
        }
    }
    return nullptr;
}

const AttributeSpec* FindExact(std::string_view type) {
    for (const auto& spec : kAttributes) {
        if (type == spec.name) return &spec;
    }
    return nullptr;
}

const AttributeSpec* FindByNid(int nid) {
    for (const auto& spec : kAttributes) {
        if (nid == spec.nid) return &spec;
    }
    return nullptr;
}

// Decodes UTF-8 strictly (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF).
// Returns the code points, or nullopt on invalid input.
std::optional<std::vector<char32_t>> DecodeUtf8(std::string_view s) {
    std::vector<char32_t> out;
    out.reserve(s.size());
    std::size_t i = 0;
    while (i < s.size()) {
        auto b0 = static_cast<std::uint8_t>(s[i]);
        if (b0 < 0x80) {
            out.push_back(b0);
            ++i;
            continue;
        }
        std::size_t n = 0;
        char32_t cp = 0;
        char32_t min = 0;
        if ((b0 & 0xE0) == 0xC0) {
            n = 1;
            cp = b0 & 0x1F;
            min = 0x80;
        } else if ((b0 & 0xF0) == 0xE0) {
            n = 2;
            cp = b0 & 0x0F;
            min = 0x800;
        } else if ((b0 & 0xF8) == 0xF0) {
            n = 3;
            cp = b0 & 0x07;
            min = 0x10000;
        } else {
            return std::nullopt;
        }
        if (i + n >= s.size()) return std::nullopt;  // truncated sequence
        for (std::size_t k = 1; k <= n; ++k) {
            auto b = static_cast<std::uint8_t>(s[i + k]);
            if ((b & 0xC0) != 0x80) return std::nullopt;
            cp = (cp << 6) | (b & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return std::nullopt;
        out.push_back(cp);
        i += n + 1;
    }
    return out;
}

bool IsControl(char32_t cp) { return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F); }

// X.680 PrintableString: A–Z a–z 0–9 space ' ( ) + , - . / : = ?
bool IsPrintableStringChar(char32_t c) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return true;
    switch (c) {
        case ' ':
        case '\'':
        case '(':
        case ')':
        case '+':
        case ',':
        case '-':
        case '.':
        case '/':
        case ':':
        case '=':
        case '?':
            return true;
        default:
            return false;
    }
}

// Checks one value against its attribute's rules; "" when fine, else the reason.
std::string CheckValue(const AttributeSpec& spec, std::string_view value) {
    if (value.empty()) return "must not be empty";
    auto cps = DecodeUtf8(value);
    if (!cps) return "is not valid UTF-8";
    for (char32_t cp : *cps) {
        if (IsControl(cp)) return "contains a control character";
    }
    if (cps->size() > spec.max_chars) {
        return fmt::format("is longer than {} characters (RFC 5280 Appendix A)", spec.max_chars);
    }
    switch (spec.kind) {
        case StringKind::kPrintable:
            for (char32_t cp : *cps) {
                if (!IsPrintableStringChar(cp))
                    return "contains characters not allowed in a PrintableString";
            }
            break;
        case StringKind::kIa5:
            for (char32_t cp : *cps) {
                if (cp > 0x7F) return "must be ASCII (IA5String)";
            }
            break;
        case StringKind::kUtf8:
            break;
    }
    if (spec.nid == NID_countryName) {
        for (char32_t cp : *cps) {
            if (cp < 'A' || cp > 'Z') return "must be two upper-case letters (ISO 3166)";
        }
        if (cps->size() != 2) return "must be two upper-case letters (ISO 3166)";
    }
    return {};
}

bool IsHexDigit(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
int HexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return c - 'A' + 10;
}

Status InvalidName(std::string message) {
    return Fail(ErrorCode::kInvalidArgument, "invalid distinguished name: " + message);
}

// Splits `text` into (type, value) pairs at unescaped `sep`. In RFC 4514 mode a backslash may
// also introduce two hex digits (one octet), and unescaped special characters are rejected.
// Unescaped spaces around types and values are trimmed.
Result<std::vector<NameAttribute>> SplitAttributes(std::string_view text, char sep, bool rfc4514) {
    std::vector<NameAttribute> out;
    std::size_t i = 0;
    while (i <= text.size()) {
        std::string type;
        std::string value;
        bool in_value = false;
        std::size_t value_keep = 0;  // value length that must survive trimming (escaped chars)
        bool at_value_start = true;
        for (; i < text.size() && text[i] != sep; ++i) {
            char c = text[i];
            if (!in_value) {
                if (c == '=') {
                    in_value = true;
                    continue;
                }
                if (c == '\\') return Fail(InvalidName("escape in an attribute type").error());
                if (c == ' ' && type.empty()) continue;
                type.push_back(c);
                continue;
            }
            if (c == '\\') {
                if (i + 1 >= text.size()) {
                    return Fail(InvalidName("dangling backslash at the end").error());
                }
                if (rfc4514 && i + 2 < text.size() && IsHexDigit(text[i + 1]) &&
                    IsHexDigit(text[i + 2])) {
                    value.push_back(
                        static_cast<char>(HexValue(text[i + 1]) * 16 + HexValue(text[i + 2])));
                    i += 2;
                } else {
                    value.push_back(text[i + 1]);
                    ++i;
                }
                value_keep = value.size();
                at_value_start = false;
                continue;
            }
            if (c == ' ' && at_value_start) continue;
            if (rfc4514) {
                if (c == '+') {
                    return Fail(InvalidName("multi-valued RDNs ('+') are not supported").error());
                }
                if (c == '#' && at_value_start) {
                    return Fail(InvalidName("hex-encoded values ('#') are not supported").error());
                }
                if (c == '"' || c == ';' || c == '<' || c == '>') {
                    return Fail(
                        InvalidName(fmt::format("unescaped '{}' in a value (RFC 4514 §3)", c))
                            .error());
                }
            }
            at_value_start = false;
            value.push_back(c);
        }
        while (!type.empty() && type.back() == ' ') type.pop_back();
        while (value.size() > value_keep && value.back() == ' ') value.pop_back();
        bool last = i >= text.size();
        if (!in_value) {
            // Only a trailing empty component ("/C=CN/CN=x/") is tolerated.
            if (type.empty() && last && !out.empty()) break;
            return Fail(
                InvalidName(type.empty() ? "empty component" : fmt::format("'{}' has no '='", type))
                    .error());
        }
        if (type.empty()) return Fail(InvalidName("missing attribute type").error());
        const AttributeSpec* spec = FindByName(type);
        out.push_back({spec ? std::string(spec->name) : type, std::move(value)});
        if (last) break;
        ++i;  // skip the separator
    }
    return out;
}

struct Asn1StringFree {
    void operator()(unsigned char* p) const { OPENSSL_free(p); }
};

}  // namespace

std::string DistinguishedName::Get(std::string_view type) const {
    for (const auto& a : attributes) {
        if (a.type == type) return a.value;
    }
    return {};
}

Result<DistinguishedName> ParseDistinguishedName(std::string_view text) {
    std::size_t start = 0;
    while (start < text.size() && text[start] == ' ') ++start;
    text.remove_prefix(start);
    if (text.empty()) return Fail(InvalidName("empty").error());
    DistinguishedName dn;
    if (text[0] == '/') {
        GZCA_ASSIGN_OR_RETURN(dn.attributes, SplitAttributes(text.substr(1), '/', false));
    } else {
        GZCA_ASSIGN_OR_RETURN(dn.attributes, SplitAttributes(text, ',', true));
        std::reverse(dn.attributes.begin(), dn.attributes.end());
    }
    GZCA_TRY_STATUS(Validate(dn));
    return dn;
}

Status Validate(const DistinguishedName& dn) {
    if (dn.attributes.empty()) return InvalidName("no attributes");
    if (dn.attributes.size() > kMaxAttributes) {
        return InvalidName(fmt::format("more than {} attributes", kMaxAttributes));
    }
    bool has_cn_or_o = false;
    for (const auto& a : dn.attributes) {
        const AttributeSpec* spec = FindExact(a.type);
        if (spec == nullptr) {
            // The type is user input: show it only if it is short printable ASCII.
            bool printable = a.type.size() <= 40;
            for (char c : a.type) printable = printable && c >= 0x21 && c <= 0x7E;
            return InvalidName(printable ? fmt::format("unknown attribute type '{}'", a.type)
                                         : std::string("unknown attribute type"));
        }
        std::string why = CheckValue(*spec, a.value);
        if (!why.empty()) return InvalidName(fmt::format("{} {}", spec->name, why));
        if (spec->nid == NID_commonName || spec->nid == NID_organizationName) has_cn_or_o = true;
    }
    if (!has_cn_or_o) return InvalidName("needs a CN or an O attribute");
    return Ok();
}

std::string ToRfc4514(const DistinguishedName& dn) {
    std::string out;
    for (auto it = dn.attributes.rbegin(); it != dn.attributes.rend(); ++it) {
        if (!out.empty()) out.push_back(',');
        out += it->type;
        out.push_back('=');
        const std::string& v = it->value;
        for (std::size_t i = 0; i < v.size(); ++i) {
            char c = v[i];
            bool escape = c == ',' || c == '+' || c == '"' || c == '\\' || c == '<' || c == '>' ||
                          c == ';' || (i == 0 && (c == '#' || c == ' ')) ||
                          (i + 1 == v.size() && c == ' ');
            auto uc = static_cast<unsigned char>(c);
            if (uc < 0x20 || uc == 0x7F) {
                out += fmt::format("\\{:02X}", uc);  // RFC 4514 §2.4 hexpair
            } else {
                if (escape) out.push_back('\\');
                out.push_back(c);
            }
        }
    }
    return out;
}

Result<crypto::X509NamePtr> ToX509Name(const DistinguishedName& dn) {
    crypto::X509NamePtr name(X509_NAME_new());
    if (!name) return Fail(crypto::OpenSslError("X509_NAME_new"));
    for (const auto& a : dn.attributes) {
        int nid = NID_undef;
        StringKind kind = StringKind::kUtf8;
        if (const AttributeSpec* spec = FindExact(a.type)) {
            nid = spec->nid;
            kind = spec->kind;
        } else {
            nid = OBJ_txt2nid(a.type.c_str());
            crypto::ClearOpenSslErrors();
        }
        if (nid == NID_undef) {
            return Fail(ErrorCode::kInvalidArgument, "unknown attribute type in name");
        }
        if (!DecodeUtf8(a.value)) {
            return Fail(ErrorCode::kInvalidArgument, "name attribute is not valid UTF-8");
        }
        int type = V_ASN1_UTF8STRING;
        if (kind == StringKind::kPrintable) type = V_ASN1_PRINTABLESTRING;
        if (kind == StringKind::kIa5) type = V_ASN1_IA5STRING;
        // Passing an explicit string type (not an MBSTRING_* flag) stores the bytes as that type;
        // the MBSTRING path would let ASN1_STRING_set_default_mask pick PrintableString for
        // ASCII values, which RFC 5280 §4.1.2.4 does not want for DirectoryString.
        std::unique_ptr<X509_NAME_ENTRY, crypto::OsslDeleter<X509_NAME_ENTRY_free>> entry(
            X509_NAME_ENTRY_create_by_NID(nullptr, nid, type,
                                          reinterpret_cast<const unsigned char*>(a.value.data()),
                                          static_cast<int>(a.value.size())));
        if (!entry) {
            return Fail(crypto::OpenSslError("X509_NAME_ENTRY_create_by_NID",
                                             ErrorCode::kInvalidArgument,
                                             "name attribute cannot be encoded"));
        }
        // One attribute per RDN: set = 0 with loc = -1 appends a new RDN.
        if (X509_NAME_add_entry(name.get(), entry.get(), -1, 0) != 1) {
            return Fail(crypto::OpenSslError("X509_NAME_add_entry"));
        }
    }
    return name;
}

Result<DistinguishedName> FromX509Name(const X509_NAME* name) {
    DistinguishedName dn;
    if (name == nullptr) return dn;
    int count = X509_NAME_entry_count(name);
    for (int i = 0; i < count; ++i) {
        const X509_NAME_ENTRY* entry = X509_NAME_get_entry(name, i);
        const ASN1_OBJECT* obj = X509_NAME_ENTRY_get_object(entry);
        const ASN1_STRING* data = X509_NAME_ENTRY_get_data(entry);
        int nid = OBJ_obj2nid(obj);
        NameAttribute attr;
        if (const AttributeSpec* spec = FindByNid(nid)) {
            attr.type = spec->name;
        } else if (nid != NID_undef && OBJ_nid2sn(nid) != nullptr) {
            attr.type = OBJ_nid2sn(nid);
        } else {
            char buf[128];
            int n = OBJ_obj2txt(buf, sizeof(buf), obj, 1);
            if (n <= 0 || static_cast<std::size_t>(n) >= sizeof(buf)) {
                return Fail(crypto::OpenSslError("OBJ_obj2txt", ErrorCode::kInvalidArgument,
                                                 "name has an unreadable attribute type"));
            }
            attr.type.assign(buf, static_cast<std::size_t>(n));
        }
        unsigned char* utf8 = nullptr;
        int len = ASN1_STRING_to_UTF8(&utf8, data);
        std::unique_ptr<unsigned char, Asn1StringFree> owned(utf8);
        if (len < 0) {
            return Fail(crypto::OpenSslError("ASN1_STRING_to_UTF8", ErrorCode::kInvalidArgument,
                                             "name has an undecodable attribute value"));
        }
        attr.value.assign(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(len));
        dn.attributes.push_back(std::move(attr));
    }
    return dn;
}

}  // namespace gzca::pki
