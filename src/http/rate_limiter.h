#pragma once
// An in-memory token-bucket rate limiter keyed by a string (a client address, "ip|route" …):
// each key may make `burst` requests at once and then `rate_per_second` per second. It bounds
// request floods on expensive or abusable endpoints (captcha images, login, uploads); the
// business limits that must survive restarts (SMS per phone per day) live in the database.
//
// Memory is bounded: at most `max_keys` keys are tracked; when full, keys whose bucket has
// refilled completely are dropped first, and if none has, the oldest-touched half is dropped
// (erring towards letting requests through rather than growing without bound).
//
// Thread-safety: all members may be called concurrently (one mutex; the critical section is a
// hash lookup).

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace gzca::http {

class RateLimiter {
  public:
    using Clock = std::chrono::steady_clock;

    RateLimiter(double rate_per_second, double burst, std::size_t max_keys = 100'000);

    // True when `key` may proceed now (and takes one token); false when it must wait.
    // `retry_after` (if given) receives the wait until the next token, rounded up to seconds.
    bool Allow(std::string_view key, std::chrono::seconds* retry_after = nullptr);
    // For tests: decide as if the current time were `now`.
    bool AllowAt(std::string_view key, Clock::time_point now,
                 std::chrono::seconds* retry_after = nullptr);

    std::size_t tracked_keys() const;

  private:
    struct Bucket {
        double tokens;
        Clock::time_point updated;
    };
    void Prune(Clock::time_point now);  // REQUIRES mutex_

    const double rate_;
    const double burst_;
    const std::size_t max_keys_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, Bucket> buckets_;  // GUARDED_BY(mutex_)
};

}  // namespace gzca::http
