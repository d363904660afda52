#include "http/cookies.h"

#include <gtest/gtest.h>

#include "http/rate_limiter.h"

namespace gzca::http {
namespace {

TEST(Cookies, FindsTheNamedCookieAmongSeveralHeaders) {
    Request r;
    r.headers.Add("Cookie", "a=1; gzca_sid=abc ; b=\"q\"");
    r.headers.Add("cookie", "c=3");
    EXPECT_EQ(GetCookie(r, "gzca_sid"), "abc");
    EXPECT_EQ(GetCookie(r, "b"), "q");
    EXPECT_EQ(GetCookie(r, "c"), "3");
    EXPECT_FALSE(GetCookie(r, "gzca"));
    EXPECT_FALSE(GetCookie(r, "missing"));
}

TEST(Cookies, IgnoresMalformedPairs) {
    Request r;
    r.headers.Add("Cookie", "novalue; ; =x; sid=ok");
    EXPECT_EQ(GetCookie(r, "sid"), "ok");
    EXPECT_FALSE(GetCookie(r, "novalue"));
}

TEST(Cookies, SetCookieHasTheSecurityAttributes) {
    EXPECT_EQ(SetCookieValue("gzca_sid", "abc", {}),
              "gzca_sid=abc; Path=/; HttpOnly; Secure; SameSite=Lax");
    CookieAttributes del;
    del.max_age = std::chrono::seconds(0);
    EXPECT_EQ(SetCookieValue("s", "", del),
              "s=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Lax");
}

TEST(Cookies, RefusesValuesThatCouldSplitTheHeader) {
    EXPECT_THROW(SetCookieValue("s", "a;b", {}), std::invalid_argument);
    EXPECT_THROW(SetCookieValue("s", "a\r\nX: y", {}), std::invalid_argument);
    EXPECT_THROW(SetCookieValue("s=", "a", {}), std::invalid_argument);
    EXPECT_THROW(SetCookieValue("", "a", {}), std::invalid_argument);
}

TEST(RateLimiter, BurstThenRate) {
    RateLimiter limiter(/*rate_per_second=*/1.0, /*burst=*/3);
    auto t0 = RateLimiter::Clock::now();
    EXPECT_TRUE(limiter.AllowAt("ip", t0));
    EXPECT_TRUE(limiter.AllowAt("ip", t0));
    EXPECT_TRUE(limiter.AllowAt("ip", t0));
    std::chrono::seconds retry{0};
    EXPECT_FALSE(limiter.AllowAt("ip", t0, &retry));
    EXPECT_EQ(retry.count(), 1);
    EXPECT_TRUE(limiter.AllowAt("other", t0)) << "keys are independent";
    EXPECT_TRUE(limiter.AllowAt("ip", t0 + std::chrono::milliseconds(1100)));
    EXPECT_FALSE(limiter.AllowAt("ip", t0 + std::chrono::milliseconds(1200)));
}

TEST(RateLimiter, MemoryIsBounded) {
    RateLimiter limiter(1.0, 1, /*max_keys=*/100);
    auto t0 = RateLimiter::Clock::now();
    for (int i = 0; i < 1000; ++i)
        limiter.AllowAt("k" + std::to_string(i), t0 + std::chrono::milliseconds(i));
    EXPECT_LE(limiter.tracked_keys(), 100u);
}

}  // namespace
}  // namespace gzca::http
