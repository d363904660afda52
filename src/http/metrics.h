#pragma once
// A small registry of counters, gauges and histograms, rendered in the Prometheus text
// exposition format (version 0.0.4). The http server counts requests and latency in it; other
// modules add their own series (certificates issued, OCSP responses, database errors) through
// the same registry.
//
// Thread-safety: every member function is safe to call concurrently. Get*() take a mutex and may
// allocate — call them once at setup and keep the returned reference, which stays valid for the
// life of the registry. Counter/Gauge/Histogram updates are lock-free (relaxed atomics spread
// over per-thread shards), so they are cheap on hot paths.
//
// Misuse — an invalid metric or label name, or one name registered with two types — is a
// programming error and throws std::invalid_argument / std::logic_error.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gzca::http {

// Label name/value pairs; order is kept in the output.
using MetricLabels = std::vector<std::pair<std::string, std::string>>;

namespace metrics_internal {
inline constexpr std::size_t kShards = 8;
// The shard the calling thread writes to; threads are spread round-robin.
std::size_t ThisThreadShard();
}  // namespace metrics_internal

// A monotonically increasing count.
class Counter {
  public:
    void Increment(std::uint64_t n = 1) noexcept {
        shards_[metrics_internal::ThisThreadShard()].value.fetch_add(n, std::memory_order_relaxed);
    }
    std::uint64_t Value() const noexcept;

  private:
    struct alignas(64) Shard {
        std::atomic<std::uint64_t> value{0};
    };
    std::array<Shard, metrics_internal::kShards> shards_;
};

// A value that goes up and down (open connections, queue depth).
class Gauge {
  public:
    void Set(std::int64_t v) noexcept { value_.store(v, std::memory_order_relaxed); }
    void Add(std::int64_t d) noexcept { value_.fetch_add(d, std::memory_order_relaxed); }
    std::int64_t Value() const noexcept { return value_.load(std::memory_order_relaxed); }

  private:
    std::atomic<std::int64_t> value_{0};
};

// Observations counted into fixed buckets (upper bounds, ascending; +Inf is implicit).
class Histogram {
  public:
    explicit Histogram(std::span<const double> upper_bounds);

    void Observe(double value) noexcept;
    void ObserveSeconds(std::chrono::nanoseconds d) noexcept {
        Observe(std::chrono::duration<double>(d).count());
    }

    struct Snapshot {
        std::vector<double> upper_bounds;       // without +Inf
        std::vector<std::uint64_t> cumulative;  // one per bound, then +Inf (== count)
        double sum = 0;
        std::uint64_t count = 0;
    };
    Snapshot Collect() const;

  private:
    struct alignas(64) Shard {
        std::unique_ptr<std::atomic<std::uint64_t>[]> buckets;  // bounds_.size() + 1
        std::atomic<double> sum{0};
    };
    std::vector<double> bounds_;
    std::array<Shard, metrics_internal::kShards> shards_;
};

class Metrics {
  public:
    Metrics();
    ~Metrics();
    Metrics(const Metrics&) = delete;
    Metrics& operator=(const Metrics&) = delete;

    // Get-or-create the series `name{labels}`. `help` is taken from the first registration of
    // `name`. Throws std::invalid_argument on a bad metric/label name and std::logic_error when
    // `name` already exists with another type (or, for histograms, other buckets).
    Counter& GetCounter(std::string_view name, std::string_view help,
                        const MetricLabels& labels = {});
    Gauge& GetGauge(std::string_view name, std::string_view help, const MetricLabels& labels = {});
    Histogram& GetHistogram(std::string_view name, std::string_view help,
                            std::span<const double> upper_bounds, const MetricLabels& labels = {});

    // Every series, families sorted by name, in the Prometheus text format.
    std::string RenderPrometheus() const;

    // 100 µs … 10 s, suitable for request latency in seconds.
    static std::span<const double> DefaultLatencyBuckets();

    // The content type to serve RenderPrometheus() with.
    static constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

  private:
    enum class Type { kCounter, kGauge, kHistogram };
    struct Series {
        std::string label_text;  // rendered `{a="b",c="d"}`, or empty
        std::unique_ptr<Counter> counter;
        std::unique_ptr<Gauge> gauge;
        std::unique_ptr<Histogram> histogram;
    };
    struct Family {
        Type type;
        std::string help;
        std::vector<double> bounds;            // histograms only
        std::map<std::string, Series> series;  // keyed by label_text
    };
    Series& GetSeries(std::string_view name, std::string_view help, Type type,
                      std::span<const double> bounds, const MetricLabels& labels);

    mutable std::mutex mutex_;
    std::map<std::string, Family, std::less<>> families_;  // GUARDED_BY(mutex_)
};

}  // namespace gzca::http
