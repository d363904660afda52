// gzca serve: the HTTPS + HTTP server on the embedded default or a configuration.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "api/api_keys.h"
#include "api/routes.h"
#include "app/commands.h"
#include "app/server_setup.h"
#include "ca/ocsp_responder.h"
#include "http/metrics.h"
#include "http/router.h"
#include "http/server.h"

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

    http::Server server(so, router);
    if (auto st = server.Start(); !st) return fail(st.error());
    jobs.Start();
    server.StopOnSignals();
    if (server.https_port()) fmt::print("gzca serving https://localhost:{}\n", server.https_port());
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
