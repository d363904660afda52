// gzca serve: the HTTPS + HTTP server on the embedded default or a configuration.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "api/api_keys.h"
#include "api/page_routes.h"
#include "api/platform.h"
#include "api/routes.h"
#include "app/commands.h"
#include "app/platform_setup.h"
#include "app/server_setup.h"
#include "auth/session_store.h"
#include "auth/sms_login.h"
#include "ca/ocsp_responder.h"
#include "http/metrics.h"
#include "http/rate_limiter.h"
#include "http/router.h"
#include "http/server.h"
#include "payment/sandbox.h"

namespace gzca::app {

namespace {

struct ServeOptions {
    std::string http_listen;   // overrides [server] http_listen
    std::string https_listen;  // overrides [server] https_listen
    std::string ports_file;    // write the bound ports here (tests use port 0)
};

int RunServe(const GlobalOptions& global, const ServeOptions& o) {
    spdlog::set_level(global.verbose ? spdlog::level::debug : spdlog::level::info);
    Context ctx(global);
    auto fail = [&](const Error& e) {
        spdlog::error("gzca serve: {}", e.internal);
        return ReportError(e, global);
    };
    if (auto st = ctx.Open(/*create_passphrase=*/true); !st) return fail(st.error());
    const Config& config = ctx.config();
    auto& ca = ctx.ca();

    auto created = EnsureDemoHierarchies(ca, config.server.demo_hierarchies);
    if (!created) return fail(created.error());
    for (const auto& name : *created) {
        fmt::print("created demo CA hierarchy '{}' (keys encrypted under {})\n", name,
                   ctx.passphrase_source());
    }
    if (auto recovered = ca.RecoverPending(); !recovered) return fail(recovered.error());

    ServerConfig sc = config.server;
    if (!o.http_listen.empty()) sc.http_listen = o.http_listen == "off" ? "" : o.http_listen;
    if (!o.https_listen.empty()) sc.https_listen = o.https_listen == "off" ? "" : o.https_listen;

    http::ServerOptions so;
    auto http_ep = ParseListen(sc.http_listen);
    auto https_ep = ParseListen(sc.https_listen);
    if (!http_ep) return fail(http_ep.error());
    if (!https_ep) return fail(https_ep.error());
    so.http = *http_ep;
    so.https = *https_ep;
    if (so.https) {
        auto tls = EnsureTlsCertificate(ca, config, ctx.passphrase());
        if (!tls) return fail(tls.error());
        if (tls->issued_now) fmt::print("issued TLS server certificate {}\n", tls->serial);
        so.tls.cert_chain_pem = tls->chain_pem;
        so.tls.private_key_pem = tls->key_pem;
        // Client certificates are optional and checked against the database by the API.
        so.tls.client_cert = http::ClientCertMode::kOptional;
    }
    // The service platform.
    auto core = BuildPlatformCore(ctx);
    if (!core) return fail(core.error());
    if (config.platform.demo_subscriber) {
        auto demo = EnsureDemoSubscriber(ctx, **core);
        if (!demo) return fail(demo.error());
        if (*demo) fmt::print("created demo subscriber 张三 (phone {})\n", kDemoPhone);
    }
    const api::SiteInfo site = SiteInfoFrom(config.platform);
    auth::SessionPolicy session_policy;
    session_policy.idle = std::chrono::minutes(config.platform.session_idle_minutes);
    session_policy.absolute = std::chrono::hours(config.platform.session_absolute_hours);
    auth::SessionStore sessions(ctx.db(), ctx.clock(), session_policy);
    auth::LoginPolicy login_policy;
    login_policy.daily_codes_per_phone = config.platform.sms_daily_per_phone;
    login_policy.daily_codes_per_address = config.platform.sms_daily_per_address;
    auth::SmsLogin login(ctx.db(), *(*core)->vault, *(*core)->accounts, *(*core)->outbox,
                         ctx.clock(), login_policy);
    auto merchant_key = LoadOrCreateSecret(config.data_dir / "keys" / "sandbox-merchant.key", 32);
    if (!merchant_key) return fail(merchant_key.error());
    auto sandbox = payment::SandboxProvider::Create(std::move(*merchant_key), ctx.clock());
    if (!sandbox) return fail(sandbox.error());
    // Per client address: state changes 60 at once then 5 per second; captcha images 20 then one
    // every 2 s.
    http::RateLimiter write_limiter(5.0, 60);
    http::RateLimiter captcha_limiter(0.5, 20);
    api::PlatformServices platform{ctx.db(),
                                   ctx.ca(),
                                   *(*core)->accounts,
                                   *(*core)->orders,
                                   *(*core)->materials,
                                   sessions,
                                   login,
                                   **sandbox,
                                   site,
                                   ctx.clock(),
                                   write_limiter,
                                   captcha_limiter,
                                   /*secure_cookies=*/true};
    so.spool_dir = (*core)->materials->TempPath().parent_path().string();
    std::string tls_chain_pem = so.tls.cert_chain_pem;

    so.io_threads = sc.io_threads;
    so.handler_threads = sc.handler_threads;
    so.max_body_bytes = static_cast<std::size_t>(sc.max_body_bytes);
    so.read_timeout = std::chrono::seconds(sc.read_timeout_seconds);
    so.access_log = global.verbose;

    http::Metrics metrics;
    so.metrics = &metrics;
    ca::OcspOptions ocsp_options;
    ocsp_options.validity = std::chrono::seconds(sc.ocsp_validity_seconds);
    ocsp_options.refresh_margin = ocsp_options.validity / 2;
    ca::OcspResponder ocsp(ca, ctx.clock(), ocsp_options);
    api::ApiKeyStore keys(ctx.db(), ctx.clock());
    BackgroundJobs jobs(ca, ocsp, std::chrono::seconds(2));
    jobs.AddPeriodic("session and login-code purge", std::chrono::minutes(10), [&] {
        if (auto n = sessions.PurgeExpired(); !n) spdlog::warn("purge: {}", n.error().internal);
        if (auto n = login.PurgeExpired(); !n) spdlog::warn("purge: {}", n.error().internal);
    });

    api::Services services{ca, ocsp, keys, metrics, {}};
    services.on_revoked = [&](std::int64_t issuer_id, const std::string& serial) {
        ocsp.Invalidate(issuer_id, serial);
        jobs.Wake();
    };
    http::Router router;
    http::RegisterHealthAndMetrics(router, metrics, [&] {
        auto tx = ctx.db().Begin(false);
        return tx.has_value();
    });
    api::RegisterStatusRoutes(router, services);
    api::RegisterCertificateApi(router, services);
    api::RegisterPageRoutes(router);
    api::RegisterPlatformApi(router, platform);

    http::Server server(so, router);
    if (auto st = server.Start(); !st) return fail(st.error());
    // The sandbox provider notifies the platform over the network, as a real one would.
    if (server.https_port()) {
        (*sandbox)->set_notify_target(
            fmt::format("https://localhost:{}/api/platform/payments/notify/sandbox",
                        server.https_port()),
            tls_chain_pem);
    } else {
        (*sandbox)->set_notify_target(
            fmt::format("http://127.0.0.1:{}/api/platform/payments/notify/sandbox",
                        server.http_port()),
            "");
    }
    jobs.Start();
    server.StopOnSignals();
    if (server.https_port()) {
        fmt::print("gzca serving https://localhost:{}\n", server.https_port());
        fmt::print(
            "数字证书服务平台: https://localhost:{}/  (demo login: phone {}; the SMS code is "
            "in `gzca --data-dir {} outbox list`)\n",
            server.https_port(), kDemoPhone, config.data_dir.string());
    }
    if (server.http_port()) {
        fmt::print("gzca serving http://localhost:{} (OCSP, CRLs, CA certificates)\n",
                   server.http_port());
    }
    if (!o.ports_file.empty()) {
        auto text = fmt::format("{} {}\n", server.http_port(), server.https_port());
        if (auto st = WriteFileAtomic(o.ports_file, AsBytes(text), 0644); !st) {
            return fail(st.error());
        }
    }
    auto api_keys = keys.List();
    if (api_keys && api_keys->empty()) {
        fmt::print("no API key yet: `gzca --data-dir {} apikey create --name NAME --scopes all`\n",
                   config.data_dir.string());
    }
    std::fflush(stdout);
    server.Run();  // until SIGTERM / SIGINT; in-flight requests finish
    jobs.Stop();
    spdlog::info("gzca serve stopped");
    return 0;
}

}  // namespace

void AddServeCommand(CLI::App& app, GlobalOptions& global, CommandRunner& run) {
    auto o = std::make_shared<ServeOptions>();
    auto* serve = app.add_subcommand(
        "serve",
        "Run the server: HTTPS (API, everything) and plain HTTP (OCSP, CRLs). On first start with "
        "no CA it creates the demo hierarchies and a TLS certificate for localhost. Settings: "
        "[server] in gzca.toml (see README).");
    serve->add_option("--http", o->http_listen, "Plain HTTP listen address (HOST:PORT or off)");
    serve->add_option("--https", o->https_listen, "HTTPS listen address (HOST:PORT or off)");
    serve->add_option("--ports-file", o->ports_file, "Write the bound ports here");
    serve->callback([&global, &run, o] { run = [&global, o] { return RunServe(global, *o); }; });
}

}  // namespace gzca::app
