#include "http/cookies.h"

#include <stdexcept>

#include <fmt/format.h>

namespace gzca::http {
namespace {

std::string_view Trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// RFC 6265 §4.1.1 cookie-octet, and token characters for names.
bool IsCookieOctet(char c) {
    auto u = static_cast<unsigned char>(c);
    return u == 0x21 || (u >= 0x23 && u <= 0x2B) || (u >= 0x2D && u <= 0x3A) ||
           (u >= 0x3C && u <= 0x5B) || (u >= 0x5D && u <= 0x7E);
}
bool IsTokenChar(char c) {
    return IsCookieOctet(c) && c != '(' && c != ')' && c != '/' && c != '?' && c != '@' &&
           c != '[' && c != ']' && c != '{' && c != '}' && c != '=';
}

}  // namespace

std::optional<std::string_view> GetCookie(const Request& request, std::string_view name) {
    for (const Headers::Field& field : request.headers) {
        if (!EqualsIgnoreCase(field.name, "cookie")) continue;
        std::string_view rest = field.value;
        while (!rest.empty()) {
            std::size_t semi = rest.find(';');
            std::string_view pair = Trim(rest.substr(0, semi));
            rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
            std::size_t eq = pair.find('=');
            if (eq == std::string_view::npos) continue;
            if (Trim(pair.substr(0, eq)) != name) continue;
            std::string_view value = Trim(pair.substr(eq + 1));
            if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
                value = value.substr(1, value.size() - 2);
            }
            return value;
        }
    }
    return std::nullopt;
}

std::string SetCookieValue(std::string_view name, std::string_view value,
                           const CookieAttributes& attributes) {
    if (name.empty()) throw std::invalid_argument("empty cookie name");
    for (char c : name) {
        if (!IsTokenChar(c)) throw std::invalid_argument("bad cookie name");
    }
    for (char c : value) {
        if (!IsCookieOctet(c)) throw std::invalid_argument("bad cookie value");
    }
    std::string out = fmt::format("{}={}; Path={}", name, value, attributes.path);
    if (attributes.max_age) out += fmt::format("; Max-Age={}", attributes.max_age->count());
    if (attributes.http_only) out += "; HttpOnly";
    if (attributes.secure) out += "; Secure";
    if (!attributes.same_site.empty()) out += "; SameSite=" + attributes.same_site;
    return out;
}

}  // namespace gzca::http
