// The JSON issuance API (docs/openapi.yaml).
#include <charconv>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "api/certificate_json.h"
#include "api/routes.h"
#include "pki/certificate.h"
#include "pki/csr.h"

namespace gzca::api {

namespace {

using http::PathParams;
using http::Request;
using http::Response;
using nlohmann::json;

Response ErrorResponse(ErrorCode code, std::string message) {
    return Response::Error(Error{code, message, message});
}

// Authenticates and checks one scope; nullopt when allowed, else the error response.
std::optional<Response> Authorise(Services& s, const Request& req, Scope scope) {
    auto principal =
        s.keys.Authenticate(req.Header("Authorization"), req.client_cert_der.get(), s.ca);
    if (!principal) {
        return Response::Error(principal.error()).WithHeader("WWW-Authenticate", "Bearer");
    }
    if (!principal->scopes.contains(scope)) {
        return ErrorResponse(ErrorCode::kPermissionDenied,
                             fmt::format("this API key lacks the scope {}", ScopeName(scope)));
    }
    return std::nullopt;
}

// Parses the body as a JSON object; nullopt + error response otherwise.
Result<json> ParseBody(const Request& req, bool allow_empty) {
    if (req.body.empty() && allow_empty) return json::object();
    auto type = req.Header("Content-Type");
    if (!type || !type->starts_with("application/json")) {
        return gzca::Fail(ErrorCode::kInvalidArgument, "the body must be application/json");
    }
    json body = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
    if (body.is_discarded() || !body.is_object()) {
        return gzca::Fail(ErrorCode::kInvalidArgument, "the body is not a JSON object");
    }
    return body;
}

// A string member, or "" when absent; kInvalidArgument when present with another type.
Result<std::string> StringField(const json& body, const char* name) {
    auto it = body.find(name);
    if (it == body.end() || it->is_null()) return std::string();
    if (!it->is_string()) {
        return gzca::Fail(ErrorCode::kInvalidArgument, fmt::format("'{}' must be a string", name));
    }
    return it->get<std::string>();
}

Result<std::vector<std::string>> StringList(const json& body, const char* name) {
    std::vector<std::string> out;
    auto it = body.find(name);
    if (it == body.end() || it->is_null()) return out;
    if (!it->is_array() || it->size() > 100) {
        return gzca::Fail(ErrorCode::kInvalidArgument,
                          fmt::format("'{}' must be a list of at most 100 strings", name));
    }
    for (const auto& v : *it) {
        if (!v.is_string()) {
            return gzca::Fail(ErrorCode::kInvalidArgument,
                              fmt::format("'{}' must be a list of strings", name));
        }
        out.push_back(v.get<std::string>());
    }
    return out;
}

json RecordJson(const ca::CertificateRecord& rec, TimePoint now) {
    return CertificateJson(rec, now, /*with_pem=*/true);
}

Response IssuedJson(const ca::IssuedCertificate& issued, TimePoint now) {
    json j = RecordJson(issued.record, now);
    json chain = json::array();
    for (const auto& der : issued.chain) chain.push_back(pki::CertificatePemFromDer(der));
    j["chain"] = std::move(chain);
    return Response::Json(201, j).WithHeader(
        "Location", fmt::format("/api/v1/certificates/{}", issued.record.serial));
}

Result<Bytes> CsrField(const json& body, bool required) {
    GZCA_ASSIGN_OR_RETURN(auto csr, StringField(body, "csr"));
    if (csr.empty() && required) {
        return gzca::Fail(ErrorCode::kInvalidArgument, "'csr' (PEM PKCS#10) is required");
    }
    return Bytes(csr.begin(), csr.end());
}

}  // namespace

void RegisterCertificateApi(http::Router& router, Services& s) {
    auto& issued_counter =
        s.metrics.GetCounter("gzca_certificates_issued_total", "Certificates issued via the API");
    auto& revoked_counter =
        s.metrics.GetCounter("gzca_certificates_revoked_total", "Certificates revoked via the API");

    router.Post("/api/v1/certificates", [&s, &issued_counter](const Request& req,
                                                              const PathParams&) {
        if (auto denied = Authorise(s, req, Scope::kIssue)) return std::move(*denied);
        auto run = [&]() -> Result<ca::IssuedCertificate> {
            GZCA_ASSIGN_OR_RETURN(auto body, ParseBody(req, false));
            ca::IssueRequest r;
            GZCA_ASSIGN_OR_RETURN(r.csr, CsrField(body, true));
            GZCA_ASSIGN_OR_RETURN(r.issuer, StringField(body, "issuer"));
            GZCA_ASSIGN_OR_RETURN(auto profile, StringField(body, "profile"));
            GZCA_ASSIGN_OR_RETURN(r.profile, pki::ParseProfile(profile.empty() ? "sign" : profile));
            GZCA_ASSIGN_OR_RETURN(auto subject, StringField(body, "subject"));
            if (!subject.empty()) {
                GZCA_ASSIGN_OR_RETURN(r.subject, pki::ParseDistinguishedName(subject));
            }
            GZCA_ASSIGN_OR_RETURN(r.dns_names, StringList(body, "dns_names"));
            return s.ca.Issue(r);
        };
        auto issued = run();
        if (!issued) return Response::Error(issued.error());
        issued_counter.Increment();
        return IssuedJson(*issued, s.ca.clock().Now());
    });

    auto renew_like = [&s, &issued_counter](bool reissue) {
        return [&s, &issued_counter, reissue](const Request& req, const PathParams& p) {
            if (auto denied = Authorise(s, req, Scope::kIssue)) return std::move(*denied);
            auto run = [&]() -> Result<ca::IssuedCertificate> {
                GZCA_ASSIGN_OR_RETURN(auto body, ParseBody(req, !reissue));
                GZCA_ASSIGN_OR_RETURN(auto csr, CsrField(body, reissue));
                GZCA_ASSIGN_OR_RETURN(auto issuer, StringField(body, "issuer"));
                return reissue ? s.ca.Reissue(issuer, p.Get("serial"), csr)
                               : s.ca.Renew(issuer, p.Get("serial"), csr);
            };
            auto issued = run();
            if (!issued) return Response::Error(issued.error());
            issued_counter.Increment();
            if (reissue && s.on_revoked && issued->record.replaces_id) {
                s.on_revoked(issued->record.issuer_id, issued->record.replaces_serial);
            }
            return IssuedJson(*issued, s.ca.clock().Now());
        };
    };
    router.Post("/api/v1/certificates/{serial}/renew", renew_like(false));
    router.Post("/api/v1/certificates/{serial}/reissue", renew_like(true));

    router.Post("/api/v1/certificates/{serial}/revoke",
                [&s, &revoked_counter](const Request& req, const PathParams& p) {
                    if (auto denied = Authorise(s, req, Scope::kRevoke)) return std::move(*denied);
                    auto run = [&]() -> Result<ca::CertificateRecord> {
                        GZCA_ASSIGN_OR_RETURN(auto body, ParseBody(req, true));
                        GZCA_ASSIGN_OR_RETURN(auto reason_text, StringField(body, "reason"));
                        GZCA_ASSIGN_OR_RETURN(
                            auto reason, pki::ParseRevocationReason(
                                             reason_text.empty() ? "unspecified" : reason_text));
                        GZCA_ASSIGN_OR_RETURN(auto issuer, StringField(body, "issuer"));
                        return s.ca.Revoke(issuer, p.Get("serial"), reason);
                    };
                    auto rec = run();
                    if (!rec) return Response::Error(rec.error());
                    revoked_counter.Increment();
                    if (s.on_revoked) s.on_revoked(rec->issuer_id, rec->serial);
                    return Response::Json(200, RecordJson(*rec, s.ca.clock().Now()));
                });

    router.Get("/api/v1/certificates/{serial}", [&s](const Request& req, const PathParams& p) {
        if (auto denied = Authorise(s, req, Scope::kRead)) return std::move(*denied);
        auto rec = s.ca.Find(req.Query("issuer").value_or(""), p.Get("serial"));
        if (!rec) return Response::Error(rec.error());
        return Response::Json(200, RecordJson(*rec, s.ca.clock().Now()));
    });

    router.Get("/api/v1/certificates", [&s](const Request& req, const PathParams&) {
        if (auto denied = Authorise(s, req, Scope::kRead)) return std::move(*denied);
        auto run = [&]() -> Result<std::vector<ca::CertificateRecord>> {
            ca::repo::CertificateFilter f;
            auto number = [&](std::string_view name, int lo, int hi, int fallback) -> Result<int> {
                auto v = req.Query(name);
                if (!v) return fallback;
                int n = 0;
                auto [ptr, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
                if (ec != std::errc() || ptr != v->data() + v->size() || n < lo || n > hi) {
                    return gzca::Fail(ErrorCode::kInvalidArgument,
                                      fmt::format("'{}' must be a number {}..{}", name, lo, hi));
                }
                return n;
            };
            GZCA_ASSIGN_OR_RETURN(f.limit, number("limit", 1, 1000, 100));
            GZCA_ASSIGN_OR_RETURN(f.offset, number("offset", 0, 100000000, 0));
            GZCA_ASSIGN_OR_RETURN(auto days, number("expiring_within_days", 0, 36500, -1));
            if (days >= 0) f.expiring_before = s.ca.clock().Now() + std::chrono::days(days);
            f.status = std::string(req.Query("status").value_or(""));
            f.subject_contains = std::string(req.Query("subject").value_or(""));
            if (auto issuer = req.Query("issuer")) {
                GZCA_ASSIGN_OR_RETURN(auto iss, s.ca.ResolveIssuer(*issuer));
                f.issuer_id = iss.id;
            }
            return s.ca.List(f);
        };
        auto list = run();
        if (!list) return Response::Error(list.error());
        json items = json::array();
        auto now = s.ca.clock().Now();
        for (const auto& rec : *list) {
            items.push_back(CertificateJson(rec, now, /*with_pem=*/false));
        }
        return Response::Json(200, json{{"items", std::move(items)}});
    });
}

}  // namespace gzca::api
