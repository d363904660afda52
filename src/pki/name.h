#pragma once
// Distinguished names as gzca handles them: an ordered list of (attribute, UTF-8 value) pairs,
// most significant first (C, ST, L, O, OU, CN), one attribute per RDN.
//
// Thread-safety: plain values.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.h"
#include "crypto/ossl.h"

namespace gzca::pki {

struct NameAttribute {
    std::string type;   // short name: C, ST, L, O, OU, CN, emailAddress, serialNumber, ...
    std::string value;  // UTF-8
    bool operator==(const NameAttribute&) const = default;
};

struct DistinguishedName {
    std::vector<NameAttribute> attributes;
    bool operator==(const DistinguishedName&) const = default;

    // First value of `type`, or "" when absent.
    std::string Get(std::string_view type) const;
};

// Parses "/C=CN/O=机构/CN=张三" (OpenSSL -subj style) or "CN=张三,O=机构,C=CN" (RFC 4514, least
// significant first — reversed on parse). Backslash escapes the separator. Then Validate()s.
Result<DistinguishedName> ParseDistinguishedName(std::string_view text);

// Checks what gzca accepts in a subject: known attribute types only, no empty values, valid UTF-8
// without control characters, lengths within RFC 5280 Appendix A upper bounds (CN/O/OU ≤ 64
// characters, counted in code points), C exactly two upper-case letters, at most 16 attributes,
// at least one CN or O. kInvalidArgument naming the offending attribute otherwise.
Status Validate(const DistinguishedName& dn);

// RFC 4514 string, least significant first ("CN=张三,OU=部门,O=机构,C=CN"); UTF-8, not escaped
// to hex. Used for display and for the `subject` column (searchable).
std::string ToRfc4514(const DistinguishedName& dn);

// Encodes as an X509_NAME: C as PrintableString, everything else UTF8String (RFC 5280 §4.1.2.4).
// Attributes that are not DirectoryStrings keep their own types: serialNumber PrintableString
// (X.520), emailAddress (PKCS#9) and DC (RFC 4519) IA5String. kInvalidArgument on an unknown
// type or invalid UTF-8.
Result<crypto::X509NamePtr> ToX509Name(const DistinguishedName& dn);

// Decodes any X509_NAME (Teletex/BMP/Universal strings converted to UTF-8). Unknown attribute
// types come back as dotted OIDs.
Result<DistinguishedName> FromX509Name(const X509_NAME* name);

}  // namespace gzca::pki
