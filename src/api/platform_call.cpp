#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "api/platform_internal.h"
#include "http/cookies.h"
#include "pki/crl.h"

namespace gzca::api {
namespace platform {
namespace {

bool ChangesState(http::Method m) {
    return m == http::Method::kPost || m == http::Method::kPut || m == http::Method::kDelete ||
           m == http::Method::kPatch;
}

http::Response TooMany(std::chrono::seconds retry_after) {
    http::Response r = http::Response::Json(429, {{"code", "rate_limited"},
                                                  {"message", "操作过于频繁，请稍后再试"},
                                                  {"retry_after_seconds", retry_after.count()}});
    r.headers.Add("Retry-After", std::to_string(retry_after.count()));
    return r;
}

void AddNoStore(http::Response& r) {
    if (!r.headers.Has("Cache-Control")) r.headers.Add("Cache-Control", "no-store");
}

}  // namespace

http::Response ErrorResponse(const Error& error) {
    if (error.code == ErrorCode::kInternal || error.code == ErrorCode::kUnavailable) {
        spdlog::error("platform: {}", error.internal);
    }
    std::string message = error.public_message;
    if (error.code == ErrorCode::kInternal) message = "系统内部错误，请稍后再试";
    return http::Response::Json(HttpStatusFor(error.code),
                                {{"code", ErrorCodeName(error.code)}, {"message", message}});
}

http::Response FieldErrors(const std::vector<ra::FieldError>& errors) {
    nlohmann::json fields = nlohmann::json::object();
    for (const ra::FieldError& e : errors) {
        if (!fields.contains(e.field)) fields[e.field] = e.message;
    }
    std::string first = errors.empty() ? "填写有误" : errors.front().message;
    return http::Response::Json(400, {{"code", "invalid_argument"},
                                      {"message", "请检查填写的信息：" + first},
                                      {"fields", fields}});
}

std::optional<nlohmann::json> ParseJsonBody(const http::Request& request, http::Response& error) {
    auto j = nlohmann::json::parse(request.body, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) {
        error =
            http::Response::JsonError(400, "invalid_argument", "请求格式错误（需要 JSON 对象）");
        return std::nullopt;
    }
    return j;
}

std::string StringField(const nlohmann::json& j, std::string_view name) {
    auto it = j.find(name);
    if (it == j.end() || !it->is_string()) return {};
    return it->get<std::string>();
}

std::string Iso(TimePoint t) { return FormatIso8601(t); }

std::string ChineseDate(TimePoint t) {
    const auto beijing = t + std::chrono::hours(8);
    const std::chrono::year_month_day ymd{std::chrono::floor<std::chrono::days>(beijing)};
    return fmt::format("{}年{}月{}日", static_cast<int>(ymd.year()),
                       static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
}

http::Handler Wrap(PlatformServices& services, Access access, PlatformHandler handler) {
    return [&services, access, handler = std::move(handler)](
               const http::Request& request, const http::PathParams& params) -> http::Response {
        Call call{request, params, services, {}, {}, false, std::nullopt};
        const bool changes = ChangesState(request.method);
        if (changes) {
            std::chrono::seconds retry{0};
            if (!services.write_limiter.Allow(request.remote_address, &retry)) {
                return TooMany(retry);
            }
        }
        if (access != Access::kSigned) {
            std::optional<auth::Session> session;
            if (auto cookie = http::GetCookie(request, kSessionCookie)) {
                auto found = services.sessions.Find(*cookie);
                if (!found) return ErrorResponse(found.error());
                session = std::move(*found);
                if (session) call.session_cookie = std::string(*cookie);
            }
            if (!session && access != Access::kSessionIssuer) {
                if (changes) {
                    return http::Response::JsonError(403, "csrf", "页面已过期，请刷新页面后重试");
                }
                if (access == Access::kSubscriber) {
                    return http::Response::JsonError(401, "unauthenticated", "请先登录");
                }
                // A public GET without a session (site info, a blank form): none is needed.
                http::Response response = handler(call);
                AddNoStore(response);
                return response;
            }
            if (!session) {  // GET /session from a visitor without one: an anonymous session
                auto issued = services.sessions.CreateAnonymous(auth::SessionKind::kSubscriber,
                                                                request.remote_address);
                if (!issued) return ErrorResponse(issued.error());
                session = issued->session;
                call.session_cookie = issued->cookie_value;
                call.issued_cookie = true;
            }
            call.session = std::move(*session);
            if (changes && !auth::CsrfTokenMatches(call.session, request.Header("x-csrf-token"))) {
                return http::Response::JsonError(403, "csrf", "页面已过期，请刷新页面后重试");
            }
            if (access == Access::kSubscriber &&
                (!call.session.logged_in() ||
                 call.session.kind != auth::SessionKind::kSubscriber)) {
                return http::Response::JsonError(401, "unauthenticated", "请先登录");
            }
        }
        http::Response response = handler(call);
        AddNoStore(response);
        std::optional<std::string> cookie;
        if (call.replaced_cookie) {
            cookie = *call.replaced_cookie;
        } else if (call.issued_cookie) {
            cookie = call.session_cookie;
        }
        if (cookie) {
            http::CookieAttributes attributes;
            attributes.secure = services.secure_cookies;
            if (cookie->empty()) attributes.max_age = std::chrono::seconds(0);
            response.headers.Add("Set-Cookie",
                                 http::SetCookieValue(kSessionCookie, *cookie, attributes));
        }
        return response;
    };
}

}  // namespace platform

void RegisterPlatformApi(http::Router& router, PlatformServices& services) {
    platform::RegisterAuthRoutes(router, services);
    platform::RegisterOrderRoutes(router, services);
    platform::RegisterToolRoutes(router, services);
}

}  // namespace gzca::api
