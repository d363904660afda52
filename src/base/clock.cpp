#include "base/clock.h"

#include <fmt/format.h>

namespace gzca {

TimePoint AddYears(TimePoint t, int years) {
    using namespace std::chrono;
    auto day = floor<days>(t);
    auto time_of_day = t - day;
    year_month_day ymd{day};
    year_month_day moved = ymd + std::chrono::years(years);
    if (!moved.ok()) {
        // 29 Feb into a non-leap year: use the last day of February.
        moved = moved.year() / moved.month() / last;
    }
    return TimePoint(sys_days(moved).time_since_epoch() + time_of_day);
}

std::string FormatIso8601(TimePoint t) {
    using namespace std::chrono;
    auto day = floor<days>(t);
    year_month_day ymd{day};
    hh_mm_ss hms{t - day};
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", static_cast<int>(ymd.year()),
                       static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                       hms.hours().count(), hms.minutes().count(), hms.seconds().count());
}

}  // namespace gzca
