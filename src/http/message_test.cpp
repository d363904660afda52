#include "http/message.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace gzca::http {
namespace {

TEST(HeadersTest, LookupIsCaseInsensitiveAndKeepsOrder) {
    Headers h;
    h.Add("Content-Type", "application/json");
    h.Add("X-Dup", "1");
    h.Add("x-dup", "2");
    EXPECT_EQ(h.Get("content-type"), "application/json");
    EXPECT_EQ(h.Get("X-DUP"), "1");
    EXPECT_FALSE(h.Get("missing").has_value());
    EXPECT_EQ(h.size(), 3u);
    h.Set("X-Dup", "3");
    EXPECT_EQ(h.size(), 2u);
    EXPECT_EQ(h.Get("x-dup"), "3");
    h.Remove("CONTENT-TYPE");
    EXPECT_FALSE(h.Has("content-type"));
    h.Clear();
    EXPECT_TRUE(h.empty());
    h.Add("A", "b");  // reuses storage after Clear
    EXPECT_EQ(h.Get("a"), "b");
}

TEST(PercentDecodeTest, Table) {
    struct Case {
        std::string_view in;
        bool plus_is_space;
        std::optional<std::string> out;
    };
    const Case cases[] = {
        {"abc", false, "abc"},       {"a%20b", false, "a b"},
        {"a+b", false, "a+b"},  // paths: '+' is itself (base64 in OCSP GET)
        {"a+b", true, "a b"},   // form encoding
        {"%2F%2f", false, "//"},     {"%", false, std::nullopt},
        {"%4", false, std::nullopt}, {"%zz", false, std::nullopt},
        {"ok%41", false, "okA"},     {"", false, ""},
    };
    for (const Case& c : cases) {
        EXPECT_EQ(PercentDecode(c.in, c.plus_is_space), c.out) << c.in;
    }
}

TEST(ParseTargetTest, SplitsPathAndDecodesQuery) {
    Request r;
    ASSERT_TRUE(ParseTarget("/a/b%20c?x=1&y=hello+world&z=%26&flag&&x=2", r));
    EXPECT_EQ(r.path, "/a/b%20c");
    EXPECT_EQ(r.target, "/a/b%20c?x=1&y=hello+world&z=%26&flag&&x=2");
    ASSERT_EQ(r.query.size(), 5u);
    EXPECT_EQ(r.Query("x"), "1");  // first wins
    EXPECT_EQ(r.Query("y"), "hello world");
    EXPECT_EQ(r.Query("z"), "&");
    EXPECT_EQ(r.Query("flag"), "");
    EXPECT_FALSE(r.Query("nope").has_value());
}

TEST(ParseTargetTest, RejectsMalformed) {
    for (std::string_view t : {"", "http://host/x", "*", "/a?x=%G1", "/a\x01"}) {
        Request r;
        auto st = ParseTarget(t, r);
        ASSERT_FALSE(st) << t;
        EXPECT_EQ(st.error().code, ErrorCode::kInvalidArgument);
    }
}

TEST(ResponseTest, ErrorRendersCodeAndPublicMessageOnly) {
    Error e{ErrorCode::kNotFound, "SELECT * FROM certs WHERE serial=42 returned 0 rows",
            "certificate not found"};
    Response r = Response::Error(e);
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(r.content_type, "application/json");
    auto body = nlohmann::json::parse(r.body);
    EXPECT_EQ(body["code"], "not_found");
    EXPECT_EQ(body["message"], "certificate not found");
    EXPECT_EQ(r.body.find("SELECT"), std::string::npos);
}

TEST(ResponseTest, StatusesFollowHttpStatusFor) {
    const std::pair<ErrorCode, int> cases[] = {
        {ErrorCode::kInvalidArgument, 400},   {ErrorCode::kUnauthenticated, 401},
        {ErrorCode::kPermissionDenied, 403},  {ErrorCode::kAlreadyExists, 409},
        {ErrorCode::kResourceExhausted, 429}, {ErrorCode::kUnavailable, 503},
        {ErrorCode::kInternal, 500},
    };
    for (auto [code, status] : cases) {
        EXPECT_EQ(Response::Error(Error{code, "x", "y"}).status, status);
    }
}

TEST(ResponseTest, Helpers) {
    Response j = Response::Json(201, {{"serial", "01"}});
    EXPECT_EQ(j.status, 201);
    EXPECT_EQ(j.body, R"({"serial":"01"})");

    Response t = Response::Text(200, "hi");
    EXPECT_EQ(t.content_type, "text/plain; charset=utf-8");

    Bytes der = {0x30, 0x03, 0x02, 0x01, 0x01};
    Response b = Response::Bytes(200, "application/pkix-crl", der);
    EXPECT_EQ(b.body.size(), 5u);
    EXPECT_EQ(b.content_type, "application/pkix-crl");

    Response with = Response::Empty(204).WithHeader("Cache-Control", "no-store");
    EXPECT_EQ(with.headers.Get("cache-control"), "no-store");

    // Invalid UTF-8 from a client must not turn into an exception.
    Response bad = Response::Json(400, {{"echo", std::string("\xff\xfe")}});
    EXPECT_EQ(bad.status, 400);
}

TEST(MethodTest, NamesRoundTrip) {
    for (Method m : {Method::kGet, Method::kHead, Method::kPost, Method::kPut, Method::kDelete,
                     Method::kPatch, Method::kOptions}) {
        EXPECT_EQ(ParseMethod(MethodName(m)), m);
    }
    EXPECT_EQ(ParseMethod("get"), Method::kOther);  // RFC 9110 §9.1: case-sensitive
    EXPECT_EQ(ParseMethod("PROPFIND"), Method::kOther);
}

}  // namespace
}  // namespace gzca::http
