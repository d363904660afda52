#include "http/router.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "http/metrics.h"

namespace gzca::http {
namespace {

// Handlers answer "<name> k=v k=v" so a test sees which route ran with which parameters.
Handler Named(std::string name) {
    return [name](const Request&, const PathParams& params) {
        std::string out = name;
        for (std::size_t i = 0; i < params.size(); ++i) {
            out += " ";
            out += params.name(i);
            out += "=";
            out += params.value(i);
        }
        return Response::Text(200, out);
    };
}

Request Make(Method method, std::string_view target) {
    Request r;
    EXPECT_TRUE(ParseTarget(target, r)) << target;
    r.method = method;
    return r;
}

class RouterTest : public ::testing::Test {
  protected:
    void SetUp() override {
        router_.Get("/", Named("root"));
        router_.Get("/api/v1/certificates", Named("list"));
        router_.Post("/api/v1/certificates", Named("issue"));
        router_.Get("/api/v1/certificates/{serial}", Named("get"));
        router_.Post("/api/v1/certificates/{serial}/revoke", Named("revoke"));
        router_.Get("/api/v1/certificates/expiring", Named("expiring"));  // beats {serial}
        router_.Get("/crl/{name}", Named("crl"));
        router_.Get("/ocsp/{request...}", Named("ocsp"));
        router_.Post("/ocsp", Named("ocsp-post"));
        router_.Get("/files/{dir}/{file...}", Named("files"));
        router_.Add(Method::kHead, "/head-only", Named("head"));
        router_.Get("/orders/{id}/items/{item}", Named("item"));
    }
    Router router_;
};

TEST_F(RouterTest, Table) {
    struct Case {
        Method method;
        std::string_view target;
        int status;
        std::string_view body;  // for 200
    };
    const Case cases[] = {
        {Method::kGet, "/", 200, "root"},
        {Method::kGet, "/api/v1/certificates", 200, "list"},
        {Method::kGet, "/api/v1/certificates?limit=5", 200, "list"},
        {Method::kPost, "/api/v1/certificates", 200, "issue"},
        {Method::kGet, "/api/v1/certificates/0A1B", 200, "get serial=0A1B"},
        {Method::kGet, "/api/v1/certificates/expiring", 200, "expiring"},
        {Method::kGet, "/api/v1/certificates/a%20b", 200, "get serial=a b"},
        {Method::kGet, "/api/v1/certificates/a%2Fb", 200, "get serial=a/b"},  // %2F never splits
        {Method::kPost, "/api/v1/certificates/0A1B/revoke", 200, "revoke serial=0A1B"},
        {Method::kGet, "/crl/root-ca", 200, "crl name=root-ca"},
        {Method::kGet, "/crl/root+ca", 200, "crl name=root+ca"},  // '+' stays in paths
        // RFC 6960 App. A: base64 with '/', '+' and escaped '='.
        {Method::kGet, "/ocsp/MFQwUjBQ/E4wTDAJBgUr+w4DAhoFAAQU%3D", 200,
         "ocsp request=MFQwUjBQ/E4wTDAJBgUr+w4DAhoFAAQU="},
        {Method::kGet, "/ocsp/ab//cd", 200, "ocsp request=ab//cd"},  // no slash collapsing
        {Method::kGet, "/ocsp/", 200, "ocsp request="},
        {Method::kPost, "/ocsp", 200, "ocsp-post"},
        {Method::kGet, "/files/a/b/c.txt", 200, "files dir=a file=b/c.txt"},
        {Method::kGet, "/orders/7/items/9", 200, "item id=7 item=9"},
        {Method::kHead, "/api/v1/certificates", 200, "list"},  // HEAD falls back to GET
        {Method::kHead, "/head-only", 200, "head"},
        // 404s
        {Method::kGet, "/nope", 404, ""},
        {Method::kGet, "/api/v1/certificates/", 404, ""},  // empty {serial}
        {Method::kGet, "/api/v1/certificates/x/y", 404, ""},
        {Method::kGet, "/crl", 404, ""},
        {Method::kGet, "/API/v1/certificates", 404, ""},  // case-sensitive paths
        {Method::kGet, "//", 404, ""},
        {Method::kGet, "/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r/s/t/u/v/w/x/y/z/0/1/2/3/4/5/6/7", 404,
         ""},
        // 405s
        {Method::kDelete, "/api/v1/certificates", 405, ""},
        {Method::kGet, "/api/v1/certificates/1/revoke", 405, ""},
        {Method::kPost, "/crl/x", 405, ""},
        {Method::kGet, "/head-only", 405, ""},
        // 400
        {Method::kGet, "/crl/%zz", 400, ""},
        {Method::kGet, "/ocsp/abc%", 400, ""},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(std::string(MethodName(c.method)) + " " + std::string(c.target));
        Response r = router_.Handle(Make(c.method, c.target));
        EXPECT_EQ(r.status, c.status);
        if (c.status == 200) {
            EXPECT_EQ(r.body, c.body);
        } else {
            auto body = nlohmann::json::parse(r.body);
            EXPECT_TRUE(body.contains("code"));
            EXPECT_TRUE(body.contains("message"));
        }
    }
}

TEST_F(RouterTest, MethodNotAllowedListsAllowedMethods) {
    Response r = router_.Handle(Make(Method::kPut, "/api/v1/certificates"));
    EXPECT_EQ(r.status, 405);
    EXPECT_EQ(r.headers.Get("Allow"), "GET, HEAD, POST");
    EXPECT_EQ(nlohmann::json::parse(r.body)["code"], "method_not_allowed");

    Router::Match m = router_.Find(Method::kPut, "/crl/x");
    EXPECT_EQ(m.outcome, Router::Outcome::kMethodNotAllowed);
    EXPECT_EQ(router_.route_pattern(m.route), "/crl/{name}");
}

TEST_F(RouterTest, FindReportsRouteIndex) {
    Router::Match m = router_.Find(Method::kGet, "/crl/sub");
    ASSERT_EQ(m.outcome, Router::Outcome::kFound);
    EXPECT_EQ(router_.route_pattern(m.route), "/crl/{name}");
    EXPECT_EQ(router_.route_method(m.route), Method::kGet);
    EXPECT_EQ(m.params.Get("name"), "sub");
    EXPECT_TRUE(m.params.Has("name"));
    EXPECT_EQ(m.params.Get("missing"), "");
    EXPECT_EQ(router_.Find(Method::kGet, "/zz").outcome, Router::Outcome::kNotFound);
    EXPECT_EQ(router_.Find(Method::kGet, "/zz").route, Router::kNoRoute);
}

TEST(RouterRegistrationTest, RejectsBadPatterns) {
    Router r;
    r.Get("/a/{x}", Named("a"));
    const std::string_view bad[] = {
        "",          "a/b",        "/a/{",   "/a/{}",    "/a/{x}y",
        "/{r...}/b", "/a/{x}/{x}", "/a/%20", "/a/{x-y}", "/a/{...}",
        "/a/{y}",  // same shape as /a/{x} with GET
    };
    for (std::string_view p : bad) {
        EXPECT_THROW(r.Get(p, Named("x")), std::invalid_argument) << p;
    }
    EXPECT_NO_THROW(r.Post("/a/{y}", Named("post")));  // other method is fine
    EXPECT_THROW(r.Add(Method::kOther, "/z", Named("z")), std::invalid_argument);
    EXPECT_THROW(r.Get("/z", Handler()), std::invalid_argument);
    EXPECT_THROW(r.Get("/p/{a}/{b}/{c}/{d}/{e}/{f}/{g}/{h}/{i}", Named("many")),
                 std::invalid_argument);
}

TEST(RouterRegistrationTest, SpecificityDoesNotDependOnOrder) {
    Router r;
    r.Get("/x/{rest...}", Named("rest"));
    r.Get("/x/{id}", Named("param"));
    r.Get("/x/lit", Named("lit"));
    r.Get("/x/{id}/y", Named("param-y"));
    EXPECT_EQ(r.Handle(Make(Method::kGet, "/x/lit")).body, "lit");
    EXPECT_EQ(r.Handle(Make(Method::kGet, "/x/7")).body, "param id=7");
    EXPECT_EQ(r.Handle(Make(Method::kGet, "/x/7/y")).body, "param-y id=7");
    EXPECT_EQ(r.Handle(Make(Method::kGet, "/x/7/z")).body, "rest rest=7/z");
    EXPECT_EQ(r.Handle(Make(Method::kGet, "/x/%6Cit")).body, "lit");  // decoded literal
}

TEST(RouterHandlerTest, ExceptionsBecome500WithoutDetail) {
    Router r;
    r.Get("/boom", [](const Request&, const PathParams&) -> Response {
        throw std::runtime_error("secret database detail");
    });
    Response resp = r.Handle(Make(Method::kGet, "/boom"));
    EXPECT_EQ(resp.status, 500);
    EXPECT_EQ(resp.body.find("secret"), std::string::npos);
    EXPECT_EQ(nlohmann::json::parse(resp.body)["code"], "internal");
}

TEST(RouterHandlerTest, ErrorResponsesFromHandlers) {
    Router r;
    r.Get("/cert/{serial}", [](const Request&, const PathParams& p) {
        return Response::Error(Error{ErrorCode::kNotFound,
                                     "no row for " + std::string(p.Get("serial")),
                                     "certificate not found"});
    });
    Response resp = r.Handle(Make(Method::kGet, "/cert/42"));
    EXPECT_EQ(resp.status, 404);
    auto body = nlohmann::json::parse(resp.body);
    EXPECT_EQ(body["code"], "not_found");
    EXPECT_EQ(body["message"], "certificate not found");
}

TEST(HealthAndMetricsTest, Routes) {
    Metrics metrics;
    metrics.GetCounter("gzca_test_total", "T.").Increment(7);
    Router r;
    bool healthy = true;
    RegisterHealthAndMetrics(r, metrics, [&] { return healthy; });

    Response h = r.Handle(Make(Method::kGet, "/healthz"));
    EXPECT_EQ(h.status, 200);
    EXPECT_EQ(nlohmann::json::parse(h.body)["status"], "ok");
    healthy = false;
    EXPECT_EQ(r.Handle(Make(Method::kGet, "/healthz")).status, 503);

    Response m = r.Handle(Make(Method::kGet, "/metrics"));
    EXPECT_EQ(m.status, 200);
    EXPECT_EQ(m.content_type, Metrics::kContentType);
    EXPECT_NE(m.body.find("gzca_test_total 7\n"), std::string::npos);
}

}  // namespace
}  // namespace gzca::http
