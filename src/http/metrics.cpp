#include "http/metrics.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

namespace gzca::http {
namespace metrics_internal {

std::size_t ThisThreadShard() {
    static std::atomic<std::size_t> next{0};
    thread_local const std::size_t shard = next.fetch_add(1, std::memory_order_relaxed) % kShards;
    return shard;
}

}  // namespace metrics_internal

namespace {

constexpr double kLatencyBuckets[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                      0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};

bool ValidName(std::string_view name, bool allow_colon) {
    if (name.empty()) return false;
    for (std::size_t i = 0; i < name.size(); ++i) {
        char c = name[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                  (allow_colon && c == ':') || (i > 0 && c >= '0' && c <= '9');
        if (!ok) return false;
    }
    return true;
}

// Label values: backslash, double quote and newline are escaped (exposition format 0.0.4).
void AppendEscaped(std::string& out, std::string_view value, bool escape_quote) {
    for (char c : value) {
        switch (c) {
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '"':
                if (escape_quote) {
                    out += "\\\"";
                    break;
                }
                [[fallthrough]];
            default:
                out.push_back(c);
        }
    }
}

std::string RenderLabels(const MetricLabels& labels) {
    if (labels.empty()) return {};
    std::string out = "{";
    bool first = true;
    for (const auto& [name, value] : labels) {
        if (!ValidName(name, false) || name.starts_with("__") || name == "le") {
            throw std::invalid_argument(fmt::format("invalid metric label name '{}'", name));
        }
        if (!first) out.push_back(',');
        first = false;
        out += name;
        out += "=\"";
        AppendEscaped(out, value, true);
        out.push_back('"');
    }
    out.push_back('}');
    return out;
}

void AppendNumber(std::string& out, double v) {
    if (std::isinf(v)) {
        out += v > 0 ? "+Inf" : "-Inf";
    } else if (std::isnan(v)) {
        out += "NaN";
    } else {
        fmt::format_to(std::back_inserter(out), "{}", v);
    }
}

// Inserts `le="bound"` into already-rendered label text.
std::string WithLe(const std::string& label_text, std::string_view le) {
    if (label_text.empty()) return fmt::format("{{le=\"{}\"}}", le);
    return fmt::format("{},le=\"{}\"}}",
                       std::string_view(label_text).substr(0, label_text.size() - 1), le);
}

}  // namespace

std::uint64_t Counter::Value() const noexcept {
    std::uint64_t total = 0;
    for (const Shard& s : shards_) total += s.value.load(std::memory_order_relaxed);
    return total;
}

Histogram::Histogram(std::span<const double> upper_bounds)
    : bounds_(upper_bounds.begin(), upper_bounds.end()) {
    if (!std::is_sorted(bounds_.begin(), bounds_.end()) ||
        std::adjacent_find(bounds_.begin(), bounds_.end()) != bounds_.end()) {
        throw std::invalid_argument("histogram bounds must be strictly ascending");
    }
    for (Shard& s : shards_) {
        s.buckets = std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1);
    }
}

void Histogram::Observe(double value) noexcept {
    // Bucket i counts values <= bounds_[i] (Prometheus "le"); the last bucket is +Inf.
    auto it = std::lower_bound(bounds_.begin(), bounds_.end(), value);
    auto index = static_cast<std::size_t>(it - bounds_.begin());
    Shard& s = shards_[metrics_internal::ThisThreadShard()];
    s.buckets[index].fetch_add(1, std::memory_order_relaxed);
    s.sum.fetch_add(value, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::Collect() const {
    Snapshot snap;
    snap.upper_bounds = bounds_;
    std::vector<std::uint64_t> per_bucket(bounds_.size() + 1, 0);
    for (const Shard& s : shards_) {
        for (std::size_t i = 0; i < per_bucket.size(); ++i) {
            per_bucket[i] += s.buckets[i].load(std::memory_order_relaxed);
        }
        snap.sum += s.sum.load(std::memory_order_relaxed);
    }
    snap.cumulative.resize(per_bucket.size());
    std::uint64_t running = 0;
    for (std::size_t i = 0; i < per_bucket.size(); ++i) {
        running += per_bucket[i];
        snap.cumulative[i] = running;
    }
    snap.count = running;
    return snap;
}

Metrics::Metrics() = default;
Metrics::~Metrics() = default;

std::span<const double> Metrics::DefaultLatencyBuckets() { return kLatencyBuckets; }

Metrics::Series& Metrics::GetSeries(std::string_view name, std::string_view help, Type type,
                                    std::span<const double> bounds, const MetricLabels& labels) {
    if (!ValidName(name, true)) {
        throw std::invalid_argument(fmt::format("invalid metric name '{}'", name));
    }
    if (type == Type::kHistogram &&
        !std::is_sorted(bounds.begin(), bounds.end(), std::less_equal<>())) {
        throw std::invalid_argument(
            fmt::format("histogram '{}': bounds must be strictly ascending", name));
    }
    std::string label_text = RenderLabels(labels);
    std::lock_guard lock(mutex_);
    auto fit = families_.find(name);
    if (fit == families_.end()) {
        Family f{type, std::string(help), std::vector<double>(bounds.begin(), bounds.end()), {}};
        fit = families_.emplace(std::string(name), std::move(f)).first;
    }
    Family& family = fit->second;
    if (family.type != type) {
        throw std::logic_error(fmt::format("metric '{}' registered with another type", name));
    }
    if (type == Type::kHistogram &&
        !std::equal(family.bounds.begin(), family.bounds.end(), bounds.begin(), bounds.end())) {
        throw std::logic_error(fmt::format("histogram '{}' registered with other buckets", name));
    }
    auto [sit, inserted] = family.series.try_emplace(label_text);
    Series& series = sit->second;
    if (inserted) {
        series.label_text = std::move(label_text);
        switch (type) {
            case Type::kCounter:
                series.counter = std::make_unique<Counter>();
                break;
            case Type::kGauge:
                series.gauge = std::make_unique<Gauge>();
                break;
            case Type::kHistogram:
                series.histogram = std::make_unique<Histogram>(family.bounds);
                break;
        }
    }
    return series;
}

Counter& Metrics::GetCounter(std::string_view name, std::string_view help,
                             const MetricLabels& labels) {
    return *GetSeries(name, help, Type::kCounter, {}, labels).counter;
}

Gauge& Metrics::GetGauge(std::string_view name, std::string_view help, const MetricLabels& labels) {
    return *GetSeries(name, help, Type::kGauge, {}, labels).gauge;
}

Histogram& Metrics::GetHistogram(std::string_view name, std::string_view help,
                                 std::span<const double> upper_bounds, const MetricLabels& labels) {
    return *GetSeries(name, help, Type::kHistogram, upper_bounds, labels).histogram;
}

std::string Metrics::RenderPrometheus() const {
    std::string out;
    out.reserve(4096);
    std::lock_guard lock(mutex_);
    for (const auto& [name, family] : families_) {
        out += "# HELP ";
        out += name;
        out.push_back(' ');
        AppendEscaped(out, family.help, false);
        out += "\n# TYPE ";
        out += name;
        switch (family.type) {
            case Type::kCounter:
                out += " counter\n";
                break;
            case Type::kGauge:
                out += " gauge\n";
                break;
            case Type::kHistogram:
                out += " histogram\n";
                break;
        }
        for (const auto& [labels, series] : family.series) {
            switch (family.type) {
                case Type::kCounter:
                    fmt::format_to(std::back_inserter(out), "{}{} {}\n", name, labels,
                                   series.counter->Value());
                    break;
                case Type::kGauge:
                    fmt::format_to(std::back_inserter(out), "{}{} {}\n", name, labels,
                                   series.gauge->Value());
                    break;
                case Type::kHistogram: {
                    Histogram::Snapshot snap = series.histogram->Collect();
                    for (std::size_t i = 0; i < snap.cumulative.size(); ++i) {
                        std::string le;
                        if (i < snap.upper_bounds.size()) {
                            AppendNumber(le, snap.upper_bounds[i]);
                        } else {
                            le = "+Inf";
                        }
                        fmt::format_to(std::back_inserter(out), "{}_bucket{} {}\n", name,
                                       WithLe(labels, le), snap.cumulative[i]);
                    }
                    out += name;
                    out += "_sum";
                    out += labels;
                    out.push_back(' ');
                    AppendNumber(out, snap.sum);
                    fmt::format_to(std::back_inserter(out), "\n{}_count{} {}\n", name, labels,
                                   snap.count);
                    break;
                }
            }
        }
    }
    return out;
}

}  // namespace gzca::http
