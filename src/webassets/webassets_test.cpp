// The embedded pages and api::RegisterPageRoutes: what is served, with which headers, and
// that no page links to an asset that does not exist.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "api/page_routes.h"
#include "http/router.h"
#include "webassets/assets.h"

namespace gzca {
namespace {

http::Response Get(const http::Router& router, std::string_view target,
                   std::string_view if_none_match = {}) {
    http::Request request;
    request.method = http::Method::kGet;
    EXPECT_TRUE(http::ParseTarget(target, request).has_value()) << target;
    if (!if_none_match.empty()) request.headers.Add("If-None-Match", if_none_match);
    return router.Handle(request);
}

std::string HeaderOf(const http::Response& r, std::string_view name) {
    auto v = r.headers.Get(name);
    return v ? std::string(*v) : std::string();
}

class PageRoutesTest : public ::testing::Test {
  protected:
    void SetUp() override {
        ::unsetenv("GZCA_WEB_DIR");
        api::RegisterPageRoutes(router_);
    }
    http::Router router_;
};

TEST(WebAssets, TableIsSortedAndFindIsExact) {
    auto all = webassets::All();
    ASSERT_FALSE(all.empty());
    for (std::size_t i = 1; i < all.size(); ++i) EXPECT_LT(all[i - 1].path, all[i].path);
    for (const auto& a : all) {
        EXPECT_EQ(webassets::Find(a.path), &a);
        EXPECT_TRUE(a.path.starts_with("/"));
        EXPECT_EQ(a.etag.size(), 18u) << a.path;  // quotes + 16 hex
        EXPECT_EQ(a.content_type, webassets::ContentTypeFor(a.path));
    }
    EXPECT_NE(webassets::Find("/pages/index.html"), nullptr);
    EXPECT_EQ(webassets::Find("pages/index.html"), nullptr);
    EXPECT_EQ(webassets::Find("/pages/../pages/index.html"), nullptr);
    EXPECT_EQ(webassets::Find("/pages/nope.html"), nullptr);
}

TEST(WebAssets, ContentTypes) {
    EXPECT_EQ(webassets::ContentTypeFor("/a/b.html"), "text/html; charset=utf-8");
    EXPECT_EQ(webassets::ContentTypeFor("/a/b.CSS"), "text/css; charset=utf-8");
    EXPECT_EQ(webassets::ContentTypeFor("/a/b.js"), "text/javascript; charset=utf-8");
    EXPECT_EQ(webassets::ContentTypeFor("/a/b.svg"), "image/svg+xml; charset=utf-8");
    EXPECT_EQ(webassets::ContentTypeFor("/a/b.png"), "image/png");
    EXPECT_EQ(webassets::ContentTypeFor("/a/b.jpg"), "image/jpeg");
    EXPECT_EQ(webassets::ContentTypeFor("/a/b.jpeg"), "image/jpeg");
    EXPECT_EQ(webassets::ContentTypeFor("/a/b.ico"), "image/x-icon");
    EXPECT_EQ(webassets::ContentTypeFor("/a/b.pdf"), "application/pdf");
    EXPECT_EQ(webassets::ContentTypeFor("/a/b.woff2"), "font/woff2");
    EXPECT_EQ(webassets::ContentTypeFor("/a/b.exe"), "");
    EXPECT_EQ(webassets::ContentTypeFor("/a/.html"), "");
    EXPECT_EQ(webassets::ContentTypeFor("/a.b/c"), "");
}

TEST_F(PageRoutesTest, HomePageWithSecurityHeaders) {
    auto r = Get(router_, "/");
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
    EXPECT_NE(r.body.find("国资CA数字证书服务平台"), std::string::npos);
    EXPECT_EQ(HeaderOf(r, "Cache-Control"), "no-cache");
    EXPECT_EQ(HeaderOf(r, "Content-Security-Policy"), api::kPageContentSecurityPolicy);
    EXPECT_NE(HeaderOf(r, "Content-Security-Policy").find("default-src 'self'"), std::string::npos);
    EXPECT_EQ(HeaderOf(r, "X-Content-Type-Options"), "nosniff");
    EXPECT_EQ(HeaderOf(r, "Referrer-Policy"), "same-origin");
    EXPECT_EQ(HeaderOf(r, "X-Frame-Options"), "SAMEORIGIN");
    EXPECT_EQ(HeaderOf(r, "ETag"), webassets::Find("/pages/index.html")->etag);
}

TEST_F(PageRoutesTest, EveryPagePathServesItsHtml) {
    const std::pair<const char*, const char*> pages[] = {
        {"/", "index"},
        {"/login", "login"},
        {"/me", "me"},
        {"/orders", "orders"},
        {"/orders/R20250101000001", "order"},
        {"/apply/new", "apply"},
        {"/apply/renew", "apply"},
        {"/apply/reissue", "apply"},
        {"/apply/revoke", "apply"},
        {"/uploads", "uploads"},
        {"/batch", "batch"},
        {"/guide", "guide"},
        {"/materials", "materials"},
        {"/agreement", "agreement"},
        {"/faq", "faq"},
        {"/contact", "contact"},
        {"/downloads", "downloads"},
        {"/check", "check"},
        {"/pay/sandbox/sbx_0123abcd", "sandbox-pay"},
    };
    for (const auto& [path, page] : pages) {
        auto r = Get(router_, path);
        ASSERT_EQ(r.status, 200) << path;
        EXPECT_EQ(r.content_type, "text/html; charset=utf-8") << path;
        const auto* asset = webassets::Find(std::string("/pages/") + page + ".html");
        ASSERT_NE(asset, nullptr) << page;
        EXPECT_EQ(r.body, asset->body) << path;
        EXPECT_EQ(HeaderOf(r, "Cache-Control"), "no-cache") << path;
        EXPECT_FALSE(HeaderOf(r, "Content-Security-Policy").empty()) << path;
    }
    EXPECT_EQ(Get(router_, "/apply/unlock").status, 404);
    EXPECT_EQ(Get(router_, "/apply/x").status, 404);
}

TEST_F(PageRoutesTest, AssetsWithTypesCachingAndConditionalGet) {
    auto css = Get(router_, "/assets/app.css");
    ASSERT_EQ(css.status, 200);
    EXPECT_EQ(css.content_type, "text/css; charset=utf-8");
    EXPECT_EQ(HeaderOf(css, "Cache-Control"), "public, max-age=3600");
    EXPECT_EQ(HeaderOf(css, "X-Content-Type-Options"), "nosniff");
    const std::string etag = HeaderOf(css, "ETag");
    ASSERT_EQ(etag, webassets::Find("/assets/app.css")->etag);

    auto js = Get(router_, "/assets/app.js");
    ASSERT_EQ(js.status, 200);
    EXPECT_EQ(js.content_type, "text/javascript; charset=utf-8");
    auto svg = Get(router_, "/assets/img/logo.svg");
    ASSERT_EQ(svg.status, 200);
    EXPECT_EQ(svg.content_type, "image/svg+xml; charset=utf-8");

    auto not_modified = Get(router_, "/assets/app.css", etag);
    EXPECT_EQ(not_modified.status, 304);
    EXPECT_TRUE(not_modified.body.empty());
    EXPECT_EQ(HeaderOf(not_modified, "ETag"), etag);
    EXPECT_EQ(HeaderOf(not_modified, "Cache-Control"), "public, max-age=3600");
    EXPECT_EQ(Get(router_, "/assets/app.css", "\"0000000000000000\", " + etag).status, 304);
    EXPECT_EQ(Get(router_, "/assets/app.css", "W/" + etag).status, 304);
    EXPECT_EQ(Get(router_, "/assets/app.css", "*").status, 304);
    EXPECT_EQ(Get(router_, "/assets/app.css", "\"0000000000000000\"").status, 200);
    EXPECT_EQ(Get(router_, "/", webassets::Find("/pages/index.html")->etag).status, 304);
}

TEST_F(PageRoutesTest, BadAssetPathsAre404) {
    for (const char* path :
         {"/assets/../x", "/assets/../pages/index.html", "/assets/%2e%2e/x",
          "/assets/img/..%2f..%2fapp.css", "/assets/a%5cb.css", "/assets/nope.css", "/assets/",
          "/assets/pages", "/assets/%2fetc/passwd", "/assets/app.css%00"}) {
        auto r = Get(router_, path);
        EXPECT_EQ(r.status, 404) << path;
        EXPECT_NE(r.body.find("not_found"), std::string::npos) << path;
    }
    // Pages are only reachable through their routes, not as /assets/… or /pages/….
    EXPECT_EQ(Get(router_, "/pages/index.html").status, 404);
}

TEST(PageRoutesDevMode, ServesFromGzcaWebDirPerRequest) {
    auto dir = std::filesystem::temp_directory_path() / ("gzca_web_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir / "pages");
    std::filesystem::create_directories(dir / "assets");
    std::ofstream(dir / "pages" / "index.html") << "<p>one</p>";
    ::setenv("GZCA_WEB_DIR", dir.c_str(), 1);
    http::Router router;
    api::RegisterPageRoutes(router);
    ::unsetenv("GZCA_WEB_DIR");

    auto first = Get(router, "/");
    ASSERT_EQ(first.status, 200);
    EXPECT_EQ(first.body, "<p>one</p>");
    EXPECT_EQ(HeaderOf(first, "Cache-Control"), "no-store");
    EXPECT_FALSE(HeaderOf(first, "Content-Security-Policy").empty());
    std::ofstream(dir / "pages" / "index.html") << "<p>two</p>";
    EXPECT_EQ(Get(router, "/").body, "<p>two</p>");
    EXPECT_EQ(Get(router, "/login").status, 404);
    EXPECT_EQ(Get(router, "/assets/../pages/index.html").status, 404);
    std::filesystem::remove_all(dir);
}

// The CSP forbids inline script and style: every script and stylesheet is a file, and every
// "/assets/…" reference in HTML, CSS and JS resolves to an embedded asset.
TEST(WebAssets, NoBrokenAssetLinksAndNoInlineCode) {
    const std::regex html_ref(R"re((?:href|src)\s*=\s*"(/assets/[^"?#]*)")re");
    const std::regex css_ref(R"re(url\(\s*["']?(/assets/[^"')?#]*))re");
    const std::regex js_ref(R"re((?:from|import)\s*\(?\s*['"](/assets/[^'"]*)['"])re");
    const std::regex inline_script(R"re(<script(?![^>]*\bsrc=)[^>]*>)re", std::regex::icase);
    const std::regex style_attr(R"re(<[^>]*\sstyle\s*=)re", std::regex::icase);
    const std::regex handler_attr(R"re(<[^>]*\son[a-z]+\s*=)re", std::regex::icase);
    const std::regex style_element(R"re(<style[\s>])re", std::regex::icase);
    std::size_t html_files = 0, refs = 0;
    std::set<std::string_view> referenced;
    for (const auto& a : webassets::All()) {
        const std::string body(a.body);
        const bool is_html = a.path.ends_with(".html");
        const bool is_css = a.path.ends_with(".css");
        const bool is_js = a.path.ends_with(".js");
        if (!is_html && !is_css && !is_js) continue;
        const std::regex& re = is_html ? html_ref : is_css ? css_ref : js_ref;
        for (std::sregex_iterator it(body.begin(), body.end(), re), end; it != end; ++it) {
            const std::string target = (*it)[1].str();
            ++refs;
            const auto* found = webassets::Find(target);
            EXPECT_NE(found, nullptr) << a.path << " refers to missing " << target;
            if (found) referenced.insert(found->path);
        }
        if (is_html) {
            ++html_files;
            EXPECT_FALSE(std::regex_search(body, inline_script)) << a.path << ": inline <script>";
            EXPECT_FALSE(std::regex_search(body, style_attr)) << a.path << ": style attribute";
            EXPECT_FALSE(std::regex_search(body, handler_attr)) << a.path << ": on… handler";
            EXPECT_FALSE(std::regex_search(body, style_element)) << a.path << ": <style>";
            EXPECT_NE(body.find("<html lang=\"zh-CN\">"), std::string::npos) << a.path;
            EXPECT_NE(body.find("<meta charset=\"utf-8\">"), std::string::npos) << a.path;
            EXPECT_NE(body.find("name=\"viewport\""), std::string::npos) << a.path;
        }
        if (is_js) {
            EXPECT_EQ(body.find(".innerHTML"), std::string::npos) << a.path << ": innerHTML";
            EXPECT_EQ(body.find(".insertAdjacentHTML"), std::string::npos) << a.path;
            EXPECT_EQ(body.find("document.write"), std::string::npos) << a.path;
        }
    }
    EXPECT_GE(html_files, 16u);
    EXPECT_GT(refs, 50u);
    // Every page script is loaded by some page.
    for (const auto& a : webassets::All()) {
        if (a.path.starts_with("/assets/pages/")) {
            EXPECT_TRUE(referenced.count(a.path)) << a.path << " is not used by any page";
        }
    }
}

}  // namespace
}  // namespace gzca
