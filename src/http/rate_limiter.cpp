#include "http/rate_limiter.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace gzca::http {

RateLimiter::RateLimiter(double rate_per_second, double burst, std::size_t max_keys)
    : rate_(rate_per_second),
      burst_(std::max(1.0, burst)),
      max_keys_(std::max<std::size_t>(2, max_keys)) {}

bool RateLimiter::Allow(std::string_view key, std::chrono::seconds* retry_after) {
    return AllowAt(key, Clock::now(), retry_after);
}

bool RateLimiter::AllowAt(std::string_view key, Clock::time_point now,
                          std::chrono::seconds* retry_after) {
    std::lock_guard lock(mutex_);
    auto it = buckets_.find(std::string(key));
    if (it == buckets_.end()) {
        if (buckets_.size() >= max_keys_) Prune(now);
        it = buckets_.emplace(std::string(key), Bucket{burst_, now}).first;
    }
    Bucket& b = it->second;
    double elapsed = std::chrono::duration<double>(now - b.updated).count();
    if (elapsed > 0) {
        b.tokens = std::min(burst_, b.tokens + elapsed * rate_);
        b.updated = now;
    }
    if (b.tokens >= 1.0) {
        b.tokens -= 1.0;
        return true;
    }
    if (retry_after) {
        double wait = rate_ > 0 ? (1.0 - b.tokens) / rate_ : 3600.0;
        *retry_after = std::chrono::seconds(static_cast<long>(std::ceil(wait)));
    }
    return false;
}

std::size_t RateLimiter::tracked_keys() const {
    std::lock_guard lock(mutex_);
    return buckets_.size();
}

void RateLimiter::Prune(Clock::time_point now) {
    // Full buckets carry no information: forget them first.
    std::erase_if(buckets_, [&](const auto& kv) {
        double elapsed = std::chrono::duration<double>(now - kv.second.updated).count();
        return kv.second.tokens + elapsed * rate_ >= burst_;
    });
    if (buckets_.size() < max_keys_) return;
    std::vector<Clock::time_point> times;
    times.reserve(buckets_.size());
    for (const auto& kv : buckets_) times.push_back(kv.second.updated);
    auto mid = times.begin() + static_cast<std::ptrdiff_t>(times.size() / 2);
    std::nth_element(times.begin(), mid, times.end());
    const Clock::time_point cutoff = *mid;
    std::erase_if(buckets_, [&](const auto& kv) { return kv.second.updated <= cutoff; });
}

}  // namespace gzca::http
