#pragma once
// Internal to the platform handlers: the per-request context (session, CSRF, login) and JSON
// helpers shared by platform_*.cpp. Not a public interface.

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "api/platform.h"
#include "http/message.h"
#include "http/router.h"

namespace gzca::api::platform {

inline constexpr std::string_view kSessionCookie = "gzca_sid";

// Who may call a route.
enum class Access {
    kSessionIssuer,  // anyone; gives a visitor without a session an anonymous one (GET /session)
    kPublic,         // anyone; state changes still need the session's CSRF token (no session is
                     // created for a visitor without one: pages get theirs from GET /session)
    kSubscriber,     // a logged-in subscriber session
    kSigned,  // no session: the handler authenticates the request itself (provider callbacks)
};

// One request being handled.
struct Call {
    const http::Request& request;
    const http::PathParams& params;
    PlatformServices& services;
    auth::Session session;                       // empty id for kSigned routes
    std::string session_cookie;                  // the cookie value in effect (maybe newly issued)
    bool issued_cookie = false;                  // a Set-Cookie must go out with the response
    std::optional<std::string> replaced_cookie;  // set by Login: rotate to this value

    std::int64_t subscriber_id() const { return *session.principal_id; }
    std::string_view Param(std::string_view name) const { return params.Get(name); }
};

using PlatformHandler = std::function<http::Response(Call&)>;

// Wraps a platform handler: session, CSRF (POST/PUT/DELETE), login, rate limit, errors.
http::Handler Wrap(PlatformServices& services, Access access, PlatformHandler handler);

// {"code", "message"} for an Error (public message only), status from its code.
http::Response ErrorResponse(const Error& error);
// 400 {"code":"invalid_argument","message":…, "fields":{field: message}}.
http::Response FieldErrors(const std::vector<ra::FieldError>& errors);
// The request body as a JSON object, or the 400 to send.
std::optional<nlohmann::json> ParseJsonBody(const http::Request& request, http::Response& error);
// A string member of `j`, "" when absent or not a string.
std::string StringField(const nlohmann::json& j, std::string_view name);

// "2026-11-24T03:18:00Z"
std::string Iso(TimePoint t);
// "2026年11月24日" in Beijing time (UTC+8), for printed forms.
std::string ChineseDate(TimePoint t);

// Registration of each group of routes (platform_auth.cpp, platform_orders.cpp,
// platform_tools.cpp).
void RegisterAuthRoutes(http::Router& router, PlatformServices& services);
void RegisterOrderRoutes(http::Router& router, PlatformServices& services);
void RegisterToolRoutes(http::Router& router, PlatformServices& services);

}  // namespace gzca::api::platform
