// The embedded pages and api::RegisterPageRoutes: what is served, with which headers, and
// that no page links to an asset that does not exist; include directive expansion.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "api/page_routes.h"
#include "http/router.h"
#include "webassets/assets.h"
#include "webassets/includes.h"

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

// A loader over an in-memory set of partials.
webassets::PartialLoader Partials(std::map<std::string, std::string> files) {
    return [files = std::move(files)](std::string_view name) -> std::optional<std::string> {
        auto it = files.find(std::string(name));
        if (it == files.end()) return std::nullopt;
        return it->second;
    };
}

TEST(Includes, DirectiveExpandsWithParameters) {
    auto load = Partials({{"head.html", "<title>{{title}}</title><script src=\"{{script}}\">\n"},
                          {"footer.html", "<footer>f</footer>\n"}});
    auto r = webassets::ExpandIncludes(
        "<!--#include head.html title=\"订单 - A\" script=\"/a.js\" -->\n<body>\n"
        "<!--#include footer.html -->\n</body>\n",
        "/pages/x.html", load);
    ASSERT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(r.text,
              "<title>订单 - A</title><script src=\"/a.js\">\n<body>\n<footer>f</footer>\n"
              "</body>\n");
    // Tabs and newlines between the parts of a directive; a page without directives.
    r = webassets::ExpandIncludes("a<!--#include\tfooter.html\n-->b", "/pages/x.html", load);
    ASSERT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(r.text, "a<footer>f</footer>b");
    r = webassets::ExpandIncludes("<p>{{not a parameter}}</p><!-- comment -->", "/p", load);
    ASSERT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(r.text, "<p>{{not a parameter}}</p><!-- comment -->");
}

TEST(Includes, MissingPartialFailsWithPageAndLine) {
    auto r = webassets::ExpandIncludes("<html>\n<!--#include nope.html -->\n", "/pages/x.html",
                                       Partials({}));
    EXPECT_FALSE(r.ok());
    EXPECT_TRUE(r.text.empty());
    EXPECT_EQ(r.error, "/pages/x.html:2: no partial nope.html in web/partials/");
}

TEST(Includes, MalformedDirectivesFail) {
    auto load = Partials({{"p.html", "<p>{{a}}</p>"}, {"plain.html", "<p></p>"}});
    const std::pair<const char*, const char*> cases[] = {
        {"<!--#include p.html a=\"1\"", "without -->"},
        {"<!--#include -->", "missing partial name"},
        {"<!--#includep.html a=\"1\" -->", "expected a space after"},
        {"<!--#include ../p.html -->", "bad partial name"},
        {"<!--#include dir/p.html -->", "expected a space before"},
        {"<!--#include p.html a=1 -->", "expected =\"…\" after a"},
        {"<!--#include p.html a=\"1 -->", "unterminated value for a"},
        {"<!--#include p.html a=\"1\"b=\"2\" -->", "expected a space before"},
        {"<!--#include p.html a=\"1\" a=\"2\" -->", "a given twice"},
        {"<!--#include p.html -->", "p.html needs a=\"…\""},
        {"<!--#include plain.html a=\"1\" -->", "plain.html has no {{a}}"},
        {"<!--#include p.html a=\"1\" =\"2\" -->", "expected key=\"value\""},
        {"<!--#echo var=\"x\" -->", "unknown directive"},
    };
    for (const auto& [page, message] : cases) {
        auto r = webassets::ExpandIncludes(page, "/pages/x.html", load);
        EXPECT_FALSE(r.ok()) << page;
        EXPECT_TRUE(r.error.starts_with("/pages/x.html:1: ")) << r.error;
        EXPECT_NE(r.error.find(message), std::string::npos) << page << " → " << r.error;
    }
    auto r =
        webassets::ExpandIncludes("<!--#include u.html -->", "/p", Partials({{"u.html", "{{x"}}));
    EXPECT_NE(r.error.find("\"{{\" without \"}}\""), std::string::npos) << r.error;
}

TEST(Includes, NestedIncludesExpandWithIndentation) {
    auto load =
        Partials({{"outer.html", "<div>\n  <!--#include inner.html v=\"{{v}}\" -->\n</div>\n"},
                  {"inner.html", "<p>\n  {{v}}\n\n</p>\n"}});
    auto r = webassets::ExpandIncludes("<body>\n    <!--#include outer.html v=\"x\" -->\n</body>",
                                       "/pages/n.html", load);
    ASSERT_TRUE(r.ok()) << r.error;
    // The outer directive's 4 spaces indent the outer partial; its own 2 the inner one; empty
    // lines stay empty.
    EXPECT_EQ(r.text, "<body>\n    <div>\n      <p>\n        x\n\n      </p>\n    </div>\n</body>");
    // Text before a directive on its line is not indentation.
    r = webassets::ExpandIncludes("<b> <!--#include inner.html v=\"y\" -->", "/p", load);
    ASSERT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(r.text, "<b> <p>\n  y\n\n</p>");
}

TEST(Includes, ErrorsInsidePartialsAndCyclesFail) {
    auto r = webassets::ExpandIncludes(
        "x\n\n<!--#include outer.html -->\n", "/pages/n.html",
        Partials({{"outer.html", "<div>\n<!--#include gone.html --></div>\n"}}));
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(r.error, "/pages/n.html:3: outer.html:2: no partial gone.html in web/partials/");
    r = webassets::ExpandIncludes(
        "<!--#include a.html -->", "/pages/c.html",
        Partials({{"a.html", "<!--#include b.html -->"}, {"b.html", "<!--#include a.html -->"}}));
    EXPECT_FALSE(r.ok());
    EXPECT_NE(r.error.find("nested deeper than 4 levels"), std::string::npos) << r.error;
}

TEST(Includes, OnlyPagesAreExpanded) {
    EXPECT_TRUE(webassets::HasIncludes("/pages/index.html"));
    EXPECT_FALSE(webassets::HasIncludes("/assets/app.css"));
    EXPECT_FALSE(webassets::HasIncludes("/partials/header.html"));
    EXPECT_FALSE(webassets::HasIncludes("/pages/x.js"));
}

// Every page was expanded at build time, and the partials are not embedded.
TEST(WebAssets, NoUnexpandedDirectiveAndNoPartials) {
    std::size_t pages = 0, with_menu = 0;
    for (const auto& a : webassets::All()) {
        EXPECT_FALSE(a.path.starts_with("/partials/")) << a.path;
        if (!a.path.ends_with(".html")) continue;
        ++pages;
        EXPECT_EQ(a.body.find("<!--#"), std::string_view::npos) << a.path;
        EXPECT_EQ(a.body.find("{{"), std::string_view::npos) << a.path;
        EXPECT_TRUE(a.body.starts_with("<!doctype html>\n<html lang=\"zh-CN\">\n<head>\n"))
            << a.path;
        EXPECT_TRUE(a.body.ends_with("</body>\n</html>\n")) << a.path;
        if (a.body.find("data-testid=\"main-nav\"") != std::string_view::npos) ++with_menu;
    }
    EXPECT_EQ(pages, 16u);
    EXPECT_EQ(with_menu, 14u);  // all but /login and the sandbox cashier
}

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

TEST(PageRoutesDevMode, ExpandsIncludesPerRequest) {
    auto dir = std::filesystem::temp_directory_path() / ("gzca_webi_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir / "pages");
    std::filesystem::create_directories(dir / "partials");
    std::ofstream(dir / "partials" / "t.html") << "<title>{{title}}</title>\n";
    std::ofstream(dir / "pages" / "index.html") << "<!--#include t.html title=\"A\" -->\n<p></p>";
    std::ofstream(dir / "pages" / "login.html") << "<!--#include gone.html -->\n";
    ::setenv("GZCA_WEB_DIR", dir.c_str(), 1);
    http::Router router;
    api::RegisterPageRoutes(router);
    ::unsetenv("GZCA_WEB_DIR");

    auto page = Get(router, "/");
    ASSERT_EQ(page.status, 200);
    EXPECT_EQ(page.body, "<title>A</title>\n<p></p>");
    std::ofstream(dir / "partials" / "t.html") << "<h1>{{title}}</h1>\n";
    EXPECT_EQ(Get(router, "/").body, "<h1>A</h1>\n<p></p>");
    auto broken = Get(router, "/login");
    EXPECT_EQ(broken.status, 500);
    EXPECT_EQ(broken.body.find("gone.html"), std::string::npos);  // only in the log
    std::filesystem::remove_all(dir);
}

#ifdef GZCA_SOURCE_WEB_DIR
// Dev mode over the source tree serves exactly the embedded bytes: one expansion for both.
TEST(PageRoutesDevMode, SourceTreeServesTheEmbeddedPages) {
    ::setenv("GZCA_WEB_DIR", GZCA_SOURCE_WEB_DIR, 1);
    http::Router router;
    api::RegisterPageRoutes(router);
    ::unsetenv("GZCA_WEB_DIR");
    for (const char* path : {"/", "/login", "/orders", "/faq", "/pay/sandbox/sbx_1"}) {
        auto r = Get(router, path);
        ASSERT_EQ(r.status, 200) << path;
        http::Router embedded;
        api::RegisterPageRoutes(embedded);
        EXPECT_EQ(r.body, Get(embedded, path).body) << path;
    }
}
#endif

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
