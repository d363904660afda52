// /api/platform/site, /session, /captcha, /login/sms-code, /login, /logout.
#include "api/platform_internal.h"
#include "base/bytes.h"
#include "ra/validation.h"

namespace gzca::api::platform {
namespace {

using http::Response;

nlohmann::json SubscriberSummary(PlatformServices& s, std::int64_t subscriber_id) {
    auto sub = s.accounts.GetSubscriber(subscriber_id);
    if (!sub) return nullptr;
    nlohmann::json j = {{"name", sub->name}, {"phone_masked", ra::MaskPhone(sub->phone)}};
    if (auto org = s.accounts.GetOrganisation(sub->organisation_id)) j["organisation"] = org->name;
    return j;
}

Response LoginFailureResponse(const auth::LoginFailure& f) {
    if (f.kind == auth::LoginFailure::Kind::kUnavailable) return ErrorResponse(f.error);
    int status = 400;
    if (f.kind == auth::LoginFailure::Kind::kRateLimited) status = 429;
    if (f.kind == auth::LoginFailure::Kind::kNoAccount) status = 403;
    nlohmann::json body = {{"code", auth::LoginFailureCode(f.kind)},
                           {"message", f.error.public_message}};
    if (f.kind == auth::LoginFailure::Kind::kRateLimited) {
        body["retry_after_seconds"] = f.retry_after.count();
    }
    if (f.kind == auth::LoginFailure::Kind::kCodeInvalid) body["attempts_left"] = f.attempts_left;
    Response r = Response::Json(status, body);
    if (status == 429) r.headers.Add("Retry-After", std::to_string(f.retry_after.count()));
    return r;
}

Response Site(Call& c) {
    const SiteInfo& site = c.services.site;
    nlohmann::json lines = nlohmann::json::array();
    for (const auto& l : site.help_lines) lines.push_back({{"label", l.label}, {"phone", l.phone}});
    const auto& fees = c.services.orders.config().fees_fen;
    auto fee = [&](ra::OrderType t) {
        auto it = fees.find(t);
        return it == fees.end() ? std::int64_t{0} : it->second;
    };
    return Response::Json(200, {{"name", site.name},
                                {"service_phone", site.service_phone},
                                {"service_email", site.service_email},
                                {"platform_url", site.platform_url},
                                {"address", site.address},
                                {"help_lines", lines},
                                {"bank_transfer_text", site.bank_transfer_text},
                                {"fees",
                                 {{"new", fee(ra::OrderType::kNew)},
                                  {"renew", fee(ra::OrderType::kRenew)},
                                  {"reissue", fee(ra::OrderType::kReissue)},
                                  {"revoke", fee(ra::OrderType::kRevoke)},
                                  {"unlock", fee(ra::OrderType::kUnlock)}}}});
}

Response SessionInfo(Call& c) {
    nlohmann::json j = {{"logged_in", c.session.logged_in()}, {"csrf_token", c.session.csrf_token}};
    if (c.session.logged_in()) j["subscriber"] = SubscriberSummary(c.services, c.subscriber_id());
    return Response::Json(200, j);
}

Response NewCaptcha(Call& c) {
    std::chrono::seconds retry{0};
    if (!c.services.captcha_limiter.Allow(c.request.remote_address, &retry)) {
        return Response::Json(429, {{"code", "rate_limited"},
                                    {"message", "操作过于频繁，请稍后再试"},
                                    {"retry_after_seconds", retry.count()}});
    }
    auto captcha = c.services.login.NewCaptcha();
    if (!captcha) return ErrorResponse(captcha.error());
    return Response::Json(200, {{"captcha_id", captcha->id},
                                {"image", "data:image/png;base64," + Base64Encode(captcha->png)}});
}

Response SendCode(Call& c) {
    Response error;
    auto body = ParseJsonBody(c.request, error);
    if (!body) return error;
    auto sent =
        c.services.login.SendCode(StringField(*body, "phone"), StringField(*body, "captcha_id"),
                                  StringField(*body, "captcha_answer"), c.request.remote_address);
    if (!sent) return LoginFailureResponse(sent.error());
    return Response::Json(
        200, {{"sent", true},
              {"retry_after_seconds", c.services.login.policy().resend_interval.count()}});
}

Response Login(Call& c) {
    Response error;
    auto body = ParseJsonBody(c.request, error);
    if (!body) return error;
    auto subscriber =
        c.services.login.VerifyCode(StringField(*body, "phone"), StringField(*body, "code"));
    if (!subscriber) return LoginFailureResponse(subscriber.error());
    auto rotated = c.services.sessions.Rotate(c.session_cookie, auth::SessionKind::kSubscriber,
                                              subscriber->id, c.request.remote_address);
    if (!rotated) return ErrorResponse(rotated.error());
    c.replaced_cookie = rotated->cookie_value;
    return Response::Json(200, {{"subscriber", SubscriberSummary(c.services, subscriber->id)},
                                {"csrf_token", rotated->session.csrf_token}});
}

Response Logout(Call& c) {
    if (auto st = c.services.sessions.Destroy(c.session_cookie); !st) {
        return ErrorResponse(st.error());
    }
    c.replaced_cookie = std::string();  // expire the cookie
    return Response::Json(200, nlohmann::json::object());
}

}  // namespace

void RegisterAuthRoutes(http::Router& router, PlatformServices& s) {
    router.Get("/api/platform/site", Wrap(s, Access::kPublic, Site));
    router.Get("/api/platform/session", Wrap(s, Access::kSessionIssuer, SessionInfo));
    router.Post("/api/platform/captcha", Wrap(s, Access::kPublic, NewCaptcha));
    router.Post("/api/platform/login/sms-code", Wrap(s, Access::kPublic, SendCode));
    router.Post("/api/platform/login", Wrap(s, Access::kPublic, Login));
    router.Post("/api/platform/logout", Wrap(s, Access::kPublic, Logout));
}

}  // namespace gzca::api::platform
