// Page and asset serving for the service platform (see page_routes.h).
#include "api/page_routes.h"

#include <array>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <utility>

#include <spdlog/spdlog.h>

#include "webassets/assets.h"
#include "webassets/includes.h"

namespace gzca::api {

namespace {

namespace fs = std::filesystem;

// Page path → file under web/.
constexpr std::array<std::pair<std::string_view, std::string_view>, 16> kPages = {{
    {"/", "/pages/index.html"},
    {"/login", "/pages/login.html"},
    {"/me", "/pages/me.html"},
    {"/orders", "/pages/orders.html"},
    {"/orders/{order_no}", "/pages/order.html"},
    {"/apply/{type}", "/pages/apply.html"},
    {"/uploads", "/pages/uploads.html"},
    {"/batch", "/pages/batch.html"},
    {"/guide", "/pages/guide.html"},
    {"/materials", "/pages/materials.html"},
    {"/agreement", "/pages/agreement.html"},
    {"/faq", "/pages/faq.html"},
    {"/contact", "/pages/contact.html"},
    {"/downloads", "/pages/downloads.html"},
    {"/check", "/pages/check.html"},
    {"/pay/sandbox/{payment_ref}", "/pages/sandbox-pay.html"},
}};

constexpr std::array<std::string_view, 4> kApplyTypes = {"new", "renew", "reissue", "revoke"};

http::Response WithSecurityHeaders(http::Response response) {
    response.headers.Set("Content-Security-Policy", kPageContentSecurityPolicy);
    response.headers.Set("X-Content-Type-Options", "nosniff");
    response.headers.Set("Referrer-Policy", "same-origin");
    response.headers.Set("X-Frame-Options", "SAMEORIGIN");
    return response;
}

http::Response NotFound() {
    return WithSecurityHeaders(http::Response::JsonError(404, "not_found", "no such resource"));
}

// True when an If-None-Match header value matches `etag` (RFC 9110 §13.1.2: weak comparison,
// a list of entity tags, or "*").
bool IfNoneMatchMatches(std::string_view header, std::string_view etag) {
    auto strip_weak = [](std::string_view t) { return t.starts_with("W/") ? t.substr(2) : t; };
    while (!header.empty()) {
        auto comma = header.find(',');
        auto item = header.substr(0, comma);
        while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) {
            item.remove_prefix(1);
        }
        while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
        if (item == "*" || strip_weak(item) == strip_weak(etag)) return true;
        if (comma == std::string_view::npos) break;
        header.remove_prefix(comma + 1);
    }
    return false;
}

// Where the files come from: the embedded table, or a directory in dev mode.
class Source {
  public:
    explicit Source(std::optional<fs::path> dir) : dir_(std::move(dir)) {}

    // `path` is "/pages/x.html" or "/assets/…", already checked for "..", '\' and NUL.
    http::Response Serve(const http::Request& request, std::string_view path,
                         std::string_view cache_control) const {
        if (dir_) return ServeFromDirectory(path);
        const auto* asset = webassets::Find(path);
        if (!asset) return NotFound();
        http::Response response;
        auto if_none_match = request.Header("If-None-Match");
        if (if_none_match && IfNoneMatchMatches(*if_none_match, asset->etag)) {
            response = http::Response::Empty(304);
        } else {
            response = http::Response::Bytes(200, asset->content_type, std::string(asset->body));
        }
        response.headers.Set("ETag", asset->etag);
        response.headers.Set("Cache-Control", cache_control);
        return WithSecurityHeaders(std::move(response));
    }

  private:
    http::Response ServeFromDirectory(std::string_view path) const {
        auto content_type = webassets::ContentTypeFor(path);
        if (content_type.empty()) return NotFound();
        auto body = webassets::ReadRegularFile(*dir_ / fs::path(std::string(path.substr(1))));
        if (!body) return NotFound();
        if (webassets::HasIncludes(path)) {
            // The same expansion gzca_embed_web does at build time.
            const fs::path partials = *dir_ / fs::path(webassets::kPartialsDir);
            auto expanded = webassets::ExpandIncludes(*body, path, [&](std::string_view name) {
                return webassets::ReadRegularFile(partials / fs::path(name));
            });
            if (!expanded.ok()) {
                spdlog::error("GZCA_WEB_DIR: {}", expanded.error);
                return WithSecurityHeaders(
                    http::Response::JsonError(500, "internal", "internal error"));
            }
            body = std::move(expanded.text);
        }
        auto response = http::Response::Bytes(200, content_type, std::move(*body));
        response.headers.Set("Cache-Control", "no-store");
        return WithSecurityHeaders(std::move(response));
    }

    std::optional<fs::path> dir_;
};

bool SafeAssetPath(std::string_view rest) {
    if (rest.empty() || rest.front() == '/') return false;
    if (rest.find('\\') != std::string_view::npos) return false;
    if (rest.find('\0') != std::string_view::npos) return false;
    // Any ".." at all, not just as a segment: no file under web/ needs one.
    return rest.find("..") == std::string_view::npos;
}

}  // namespace

void RegisterPageRoutes(http::Router& router) {
    std::optional<fs::path> dir;
    if (const char* env = std::getenv("GZCA_WEB_DIR"); env && *env) {
        dir = fs::path(env);
        spdlog::warn("GZCA_WEB_DIR set: serving pages from {} (dev mode, no caching)", env);
    }
    auto source = std::make_shared<const Source>(std::move(dir));

    for (const auto& [pattern, file] : kPages) {
        if (pattern == "/apply/{type}") {
            router.Get(pattern,
                       [source, file](const http::Request& req, const http::PathParams& p) {
                           auto type = p.Get("type");
                           for (auto known : kApplyTypes) {
                               if (type == known) return source->Serve(req, file, "no-cache");
                           }
                           return NotFound();
                       });
            continue;
        }
        router.Get(pattern, [source, file](const http::Request& req, const http::PathParams&) {
            return source->Serve(req, file, "no-cache");
        });
    }

    router.Get("/assets/{path...}", [source](const http::Request& req, const http::PathParams& p) {
        auto rest = p.Get("path");
        if (!SafeAssetPath(rest)) return NotFound();
        std::string path = "/assets/";
        path += rest;
        return source->Serve(req, path, "public, max-age=3600");
    });
}

}  // namespace gzca::api
