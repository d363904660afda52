#pragma once
// Cookies (RFC 6265): reading the Cookie request header and writing Set-Cookie values.
//
// Thread-safety: pure functions.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "http/message.h"

namespace gzca::http {

// The value of the first cookie called `name` in the request's Cookie header fields (RFC 6265
// §5.4: "a=1; b=2"), or nullopt. Values are returned as sent (no decoding).
std::optional<std::string_view> GetCookie(const Request& request, std::string_view name);

struct CookieAttributes {
    std::string path = "/";
    bool http_only = true;
    bool secure = true;
    std::string same_site = "Lax";  // Strict, Lax or None
    // Max-Age in seconds; nullopt = a session cookie; 0 = delete now.
    std::optional<std::chrono::seconds> max_age;
};

// "name=value; Path=/; Max-Age=…; HttpOnly; Secure; SameSite=Lax". `name` and `value` must be
// RFC 6265 cookie-name / cookie-octets (callers pass hex or base64url): throws
// std::invalid_argument otherwise, since that is a bug in the caller.
std::string SetCookieValue(std::string_view name, std::string_view value,
                           const CookieAttributes& attributes);

}  // namespace gzca::http
