#include "http/metrics.h"

#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace gzca::http {
namespace {

bool Contains(const std::string& text, std::string_view line) {
    return text.find(line) != std::string::npos;
}

TEST(MetricsTest, CountersAreGetOrCreate) {
    Metrics m;
    Counter& a = m.GetCounter("gzca_certs_issued_total", "Certificates issued.", {{"ca", "root"}});
    Counter& b = m.GetCounter("gzca_certs_issued_total", "ignored", {{"ca", "root"}});
    Counter& c = m.GetCounter("gzca_certs_issued_total", "ignored", {{"ca", "sub"}});
    EXPECT_EQ(&a, &b);
    EXPECT_NE(&a, &c);
    a.Increment();
    b.Increment(2);
    EXPECT_EQ(a.Value(), 3u);
    std::string text = m.RenderPrometheus();
    EXPECT_TRUE(Contains(text, "# HELP gzca_certs_issued_total Certificates issued.\n"));
    EXPECT_TRUE(Contains(text, "# TYPE gzca_certs_issued_total counter\n"));
    EXPECT_TRUE(Contains(text, "gzca_certs_issued_total{ca=\"root\"} 3\n"));
    EXPECT_TRUE(Contains(text, "gzca_certs_issued_total{ca=\"sub\"} 0\n"));
}

TEST(MetricsTest, ConcurrentIncrementsAreAllCounted) {
    Metrics m;
    Counter& c = m.GetCounter("hits_total", "Hits.");
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 10000; ++i) c.Increment();
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(c.Value(), 80000u);
}

TEST(MetricsTest, GaugeAndEscaping) {
    Metrics m;
    Gauge& g = m.GetGauge("queue_depth", "Depth \\ of\nqueue.", {{"name", "a\"b\\c\nd"}});
    g.Set(5);
    g.Add(-2);
    std::string text = m.RenderPrometheus();
    EXPECT_TRUE(Contains(text, "# HELP queue_depth Depth \\\\ of\\nqueue.\n"));
    EXPECT_TRUE(Contains(text, "queue_depth{name=\"a\\\"b\\\\c\\nd\"} 3\n"));
}

TEST(MetricsTest, HistogramBucketsAreCumulative) {
    Metrics m;
    const double bounds[] = {0.1, 1, 10};
    Histogram& h = m.GetHistogram("latency_seconds", "Latency.", bounds, {{"route", "/x"}});
    h.Observe(0.05);
    h.Observe(0.1);  // le is inclusive
    h.Observe(0.5);
    h.Observe(100);
    std::string text = m.RenderPrometheus();
    EXPECT_TRUE(Contains(text, "# TYPE latency_seconds histogram\n"));
    EXPECT_TRUE(Contains(text, "latency_seconds_bucket{route=\"/x\",le=\"0.1\"} 2\n"));
    EXPECT_TRUE(Contains(text, "latency_seconds_bucket{route=\"/x\",le=\"1\"} 3\n"));
    EXPECT_TRUE(Contains(text, "latency_seconds_bucket{route=\"/x\",le=\"10\"} 3\n"));
    EXPECT_TRUE(Contains(text, "latency_seconds_bucket{route=\"/x\",le=\"+Inf\"} 4\n"));
    EXPECT_TRUE(Contains(text, "latency_seconds_sum{route=\"/x\"} 100.65\n"));
    EXPECT_TRUE(Contains(text, "latency_seconds_count{route=\"/x\"} 4\n"));

    Histogram& plain = m.GetHistogram("plain_seconds", "P.", bounds);
    plain.ObserveSeconds(std::chrono::milliseconds(2));
    text = m.RenderPrometheus();
    EXPECT_TRUE(Contains(text, "plain_seconds_bucket{le=\"0.1\"} 1\n"));
}

TEST(MetricsTest, MisuseThrows) {
    Metrics m;
    m.GetCounter("x_total", "X.");
    EXPECT_THROW(m.GetGauge("x_total", "X."), std::logic_error);
    EXPECT_THROW(m.GetCounter("bad name", "X."), std::invalid_argument);
    EXPECT_THROW(m.GetCounter("ok_total", "X.", {{"9bad", "v"}}), std::invalid_argument);
    EXPECT_THROW(m.GetCounter("ok_total", "X.", {{"le", "v"}}), std::invalid_argument);
    const double a[] = {1, 2};
    const double b[] = {1, 3};
    const double unsorted[] = {2, 1};
    m.GetHistogram("h_seconds", "H.", a);
    EXPECT_THROW(m.GetHistogram("h_seconds", "H.", b), std::logic_error);
    EXPECT_THROW(m.GetHistogram("u_seconds", "U.", unsorted), std::invalid_argument);
}

}  // namespace
}  // namespace gzca::http
