#pragma once
// Injectable time. Production code takes a `const Clock&` and never calls the system clock
// directly, so expiry, renewal and reminder logic is tested by moving a ManualClock.
//
// Thread-safety: SystemClock is stateless; ManualClock is safe for concurrent Now()/Set().

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace gzca {

using TimePoint = std::chrono::sys_seconds;  // whole seconds, UTC; X.509 times have 1 s resolution

class Clock {
  public:
    virtual ~Clock() = default;
    virtual TimePoint Now() const = 0;
};

class SystemClock final : public Clock {
  public:
    TimePoint Now() const override {
        return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    }
};

class ManualClock final : public Clock {
  public:
    explicit ManualClock(TimePoint start) : now_(start.time_since_epoch().count()) {}
    TimePoint Now() const override { return TimePoint(std::chrono::seconds(now_.load())); }
    void Set(TimePoint t) { now_ = t.time_since_epoch().count(); }
    void Advance(std::chrono::seconds d) { now_ += d.count(); }

  private:
    std::atomic<std::int64_t> now_;
};

// Seconds since the Unix epoch, as stored in the database.
inline std::int64_t ToUnix(TimePoint t) { return t.time_since_epoch().count(); }
inline TimePoint FromUnix(std::int64_t s) { return TimePoint(std::chrono::seconds(s)); }

// Adds calendar years (same month/day/time; 29 Feb → 28 Feb in a non-leap year), as RFC 5280
// validity periods are reasoned about by people ("valid for one year").
TimePoint AddYears(TimePoint t, int years);

// "2026-11-24T03:18:00Z"
std::string FormatIso8601(TimePoint t);

}  // namespace gzca
