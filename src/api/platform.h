#pragma once
// The subscriber side of the 数字证书服务平台 as JSON over HTTP (docs/platform-api.md):
// login by picture captcha + SMS code, 我的信息, orders through their five steps (form, PDF,
// uploads, payment, download), batch applications, the certificate check, and the sandbox
// payment provider's endpoints.
//
// Every handler resolves the caller's browser session (auth::SessionStore; a new anonymous
// session is issued to visitors without one), checks the CSRF token on every state change,
// checks login and ownership where the resource is a subscriber's, applies per-address rate
// limits to the abusable endpoints, then calls one use case of `ra` / `auth` and renders JSON.
// Errors are {code, message[, fields]} with Chinese public messages only.
//
// Thread-safety: handlers run concurrently on the server's handler pool; everything they touch
// is thread-safe. PlatformServices must outlive the router.

#include <cstdint>
#include <string>
#include <vector>

#include "auth/session_store.h"
#include "auth/sms_login.h"
#include "ca/authority.h"
#include "http/rate_limiter.h"
#include "http/router.h"
#include "payment/sandbox.h"
#include "ra/accounts.h"
#include "ra/materials.h"
#include "ra/orders.h"

namespace gzca::api {

// What 联系我们 and the page footers show; all configurable ([platform] in gzca.toml).
struct SiteInfo {
    std::string name = "国资CA数字证书服务平台";
    std::string service_phone = "400-0560-010";
    std::string service_email = "zw-service@chinaunicom.cn";
    std::string platform_url = "https://localhost:8443/";
    std::string address = "北京市西城区宣武门西大街26号";
    struct HelpLine {
        std::string label;
        std::string phone;
    };
    std::vector<HelpLine> help_lines = {
        {"用户账户开通、注销及权限等问题（统一用户系统客户服务支撑）", "010-6319-1487"},
        {"国资委信息中心（咨询和投诉）", "010-6319-1049"},
    };
    // Offline payment (bank transfer) instructions shown on the payment step.
    std::string bank_transfer_text =
        "户名：国资CA数字证书服务中心（演示）；开户行：演示银行北京分行；账号：1100 0000 0000 "
        "0000 000。转账时请在附言中注明订单号。";
};

struct PlatformServices {
    store::Database& db;
    ca::CertificateAuthority& ca;
    ra::AccountRepository& accounts;
    ra::OrderService& orders;
    ra::MaterialStore& materials;
    auth::SessionStore& sessions;
    auth::SmsLogin& login;
    payment::SandboxProvider& sandbox;
    const SiteInfo& site;
    const Clock& clock;
    // Per client address: every state-changing platform call, and captcha images.
    http::RateLimiter& write_limiter;
    http::RateLimiter& captcha_limiter;
    // Secure attribute on the session cookie (false only for tests over plain HTTP).
    bool secure_cookies = true;
};

// Registers every /api/platform/… and /api/sandbox-pay/… route.
void RegisterPlatformApi(http::Router& router, PlatformServices& services);

}  // namespace gzca::api
