// CRL, CA certificate and OCSP endpoints: unauthenticated by design (RFC 5280 §4.2.1.13,
// RFC 6960 App. A) and served on the plain HTTP listener as relying parties expect.
#include <spdlog/spdlog.h>

#include "api/routes.h"
#include "ca/repository.h"

namespace gzca::api {

namespace {

// "sm2-issuing.crl" → "sm2-issuing"; empty when the suffix is missing.
std::string_view StripSuffix(std::string_view file, std::string_view suffix) {
    if (file.size() <= suffix.size() || !file.ends_with(suffix)) return {};
    return file.substr(0, file.size() - suffix.size());
}

}  // namespace

void RegisterStatusRoutes(http::Router& router, Services& s) {
    auto& crl_served = s.metrics.GetCounter("gzca_crl_responses_total", "CRLs served");
    auto& ocsp_served = s.metrics.GetCounter("gzca_ocsp_responses_total", "OCSP responses sent");

    router.Get("/crl/{file}", [&s, &crl_served](const http::Request&, const http::PathParams& p) {
        auto name = StripSuffix(p.Get("file"), ".crl");
        if (name.empty()) return http::Response::Error({ErrorCode::kNotFound, "", "no such CRL"});
        auto crl = s.ca.LatestCrl(name);
        // None yet, or past half its life: sign a fresh one (RFC 5280 §5.1.2.5 nextUpdate).
        if (!crl ||
            s.ca.clock().Now() >= crl->this_update + (crl->next_update - crl->this_update) / 2) {
            auto fresh = s.ca.GenerateCrl(name);
            if (fresh) {
                crl = std::move(fresh);
            } else if (!crl) {
                return http::Response::Error(fresh.error());
            }
        }
        crl_served.Increment();
        return http::Response::Bytes(200, "application/pkix-crl", crl->der)
            .WithHeader("Cache-Control", "max-age=60");
    });

    router.Get("/ca/{file}", [&s](const http::Request&, const http::PathParams& p) {
        auto name = StripSuffix(p.Get("file"), ".crt");
        auto issuers = s.ca.ListIssuers();
        if (!issuers) return http::Response::Error(issuers.error());
        for (const auto& i : *issuers) {
            if (i.name == name) {
                return http::Response::Bytes(200, "application/pkix-cert", i.cert_der)
                    .WithHeader("Cache-Control", "max-age=3600");
            }
        }
        return http::Response::Error({ErrorCode::kNotFound, "", "no such CA certificate"});
    });

    router.Post("/ocsp", [&s, &ocsp_served](const http::Request& req, const http::PathParams&) {
        auto type = req.Header("Content-Type");
        if (!type || !type->starts_with("application/ocsp-request")) {
            return http::Response::JsonError(415, "unsupported_media_type",
                                             "OCSP requests are application/ocsp-request");
        }
        ocsp_served.Increment();
        return http::Response::Bytes(200, "application/ocsp-response",
                                     s.ocsp.Respond(AsBytes(req.body)));
    });
    router.Get("/ocsp/{request...}",
               [&s, &ocsp_served](const http::Request&, const http::PathParams& p) {
                   ocsp_served.Increment();
                   return http::Response::Bytes(200, "application/ocsp-response",
                                                s.ocsp.RespondGet(p.Get("request")));
               });
}

}  // namespace gzca::api
