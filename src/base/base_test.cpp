#include <gtest/gtest.h>

#include <filesystem>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/error.h"

namespace gzca {
namespace {

TEST(Hex, RoundTripAndSeparators) {
    Bytes data{0x00, 0xab, 0x7f, 0xff};
    EXPECT_EQ(HexEncode(data), "00ab7fff");
    EXPECT_EQ(*HexDecode("00:AB:7f:FF"), data);
    EXPECT_FALSE(HexDecode("abc"));
    EXPECT_FALSE(HexDecode("zz"));
}

TEST(Base64, Rfc4648Vectors) {
    // RFC 4648 §10 test vectors.
    const std::pair<const char*, const char*> vectors[] = {
        {"", ""},
        {"f", "Zg=="},
        {"fo", "Zm8="},
        {"foo", "Zm9v"},
        {"foob", "Zm9vYg=="},
        {"fooba", "Zm9vYmE="},
        {"foobar", "Zm9vYmFy"},
    };
    for (auto [plain, encoded] : vectors) {
        EXPECT_EQ(Base64Encode(AsBytes(plain)), encoded);
        auto decoded = Base64Decode(encoded);
        ASSERT_TRUE(decoded);
        EXPECT_EQ(AsString(*decoded), plain);
    }
    EXPECT_FALSE(Base64Decode("Zm9v!"));
    EXPECT_FALSE(Base64Decode("Zg=a"));
    EXPECT_FALSE(Base64Decode("Z"));
}

TEST(Clock, AddYearsKeepsDateAndHandlesLeapDay) {
    using namespace std::chrono;
    TimePoint t = sys_days(2026y / 11 / 24) + hours(3) + minutes(18);
    EXPECT_EQ(FormatIso8601(AddYears(t, 1)), "2027-11-24T03:18:00Z");
    TimePoint leap = sys_days(2028y / 2 / 29);
    EXPECT_EQ(FormatIso8601(AddYears(leap, 1)), "2029-02-28T00:00:00Z");
}

TEST(Clock, ManualClockMoves) {
    ManualClock clock(FromUnix(1000));
    clock.Advance(std::chrono::seconds(5));
    EXPECT_EQ(ToUnix(clock.Now()), 1005);
}

TEST(Error, HttpMapping) {
    EXPECT_EQ(HttpStatusFor(ErrorCode::kNotFound), 404);
    EXPECT_EQ(HttpStatusFor(ErrorCode::kInvalidArgument), 400);
    EXPECT_EQ(ErrorCodeName(ErrorCode::kUnauthenticated), "unauthenticated");
}

TEST(Files, AtomicWriteThenRead) {
    auto dir = std::filesystem::temp_directory_path() / "gzca_base_test";
    std::filesystem::create_directories(dir);
    auto path = dir / "f.bin";
    Bytes data{1, 2, 3};
    ASSERT_TRUE(WriteFileAtomic(path, data, 0600));
    EXPECT_EQ(*ReadFile(path), data);
    EXPECT_EQ(std::filesystem::status(path).permissions() & std::filesystem::perms::all,
              std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    EXPECT_EQ(ReadFile(dir / "absent").error().code, ErrorCode::kNotFound);
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace gzca
