// Identifier validation and masking (GB 32100-2015, GB 11643-1999).
#include <gtest/gtest.h>

#include <string>

#include "ra/validation.h"

namespace gzca::ra {
namespace {

// An independent GB 32100-2015 check character: the weights as printed in the standard's
// Table 2 rather than computed as powers.
char ReferenceUsccCheck(const std::string& first17) {
    static const std::string kSet = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    static const int kWeights[17] = {1,  3,  9,  27, 19, 26, 16, 17, 20,
                                     29, 25, 13, 8,  24, 10, 30, 28};
    int sum = 0;
    for (int i = 0; i < 17; ++i) sum += static_cast<int>(kSet.find(first17[i])) * kWeights[i];
    return kSet[(31 - sum % 31) % 31];
}

// An independent GB 11643-1999 check character, weights as printed.
char ReferenceIdCheck(const std::string& first17) {
    static const int kWeights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
    int sum = 0;
    for (int i = 0; i < 17; ++i) sum += (first17[i] - '0') * kWeights[i];
    return "10X98765432"[sum % 11];
}

std::string WithUsccCheck(const std::string& first17) {
    return first17 + ReferenceUsccCheck(first17);
}
std::string WithIdCheck(const std::string& first17) { return first17 + ReferenceIdCheck(first17); }

struct Case {
    std::string input;
    bool ok;
    std::string message;  // expected public message when !ok
};

TEST(ValidationTest, UnifiedSocialCreditCodes) {
    const Case cases[] = {
        {"91350100M000100Y43", true, ""},  // the example printed in GB 32100-2015
        {WithUsccCheck("91110000100000000"), true, ""},
        {WithUsccCheck("12100000400000000"), true, ""},
        {WithUsccCheck("52440300MJL000000"), true, ""},
        {WithUsccCheck("Y1440300ABCDEFGHJ"), true, ""},
        {"91350100M000100Y44", false, "统一社会信用代码校验位错误"},
        {"91350100M000100Y4", false, "统一社会信用代码长度应为18位"},
        {"91350100M000100Y433", false, "统一社会信用代码长度应为18位"},
        {"", false, "统一社会信用代码长度应为18位"},
        {"91350100I000100Y43", false, "统一社会信用代码含非法字符"},  // I is not in the set
        {"91350100O000100Y43", false, "统一社会信用代码含非法字符"},
        {"91350100m000100Y43", false, "统一社会信用代码含非法字符"},  // lower case
        {"91350100M000100Y4 ", false, "统一社会信用代码含非法字符"},
    };
    for (const auto& c : cases) {
        auto s = ValidateUscc(c.input);
        EXPECT_EQ(s.has_value(), c.ok) << c.input;
        if (!c.ok && !s) {
            EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument);
            EXPECT_EQ(s.error().public_message, c.message) << c.input;
        }
    }
    // Every possible check character is reachable and agrees with the reference.
    for (char c : std::string("0123456789ABCDEFGHJKLMNPQRTUWXY")) {
        std::string base = std::string("9111000010000000") + c;
        EXPECT_EQ(UsccCheckCharacter(base), ReferenceUsccCheck(base)) << base;
    }
}

TEST(ValidationTest, IdCardNumbers) {
    const Case cases[] = {
        {"11010519491231002X", true, ""},
        {"11010519491231002x", true, ""},              // lower-case x accepted
        {WithIdCheck("44030420000229123"), true, ""},  // 29 Feb of a leap year
        {WithIdCheck("31010119000101001"), true, ""},
        {WithIdCheck("31010121001231001"), true, ""},
        {"110105194912310021", false, "身份证号码校验位错误"},
        {"11010519491231002", false, "身份证号码长度应为18位"},
        {"1101051949123100211", false, "身份证号码长度应为18位"},
        {"11010519491231A02X", false, "身份证号码格式错误"},
        {"11010519491231002Y", false, "身份证号码格式错误"},
        {WithIdCheck("44030419000229123"), false, "身份证号码中的出生日期无效"},  // 1900 not leap
        {WithIdCheck("44030419490231123"), false, "身份证号码中的出生日期无效"},
        {WithIdCheck("44030419491301123"), false, "身份证号码中的出生日期无效"},
        {WithIdCheck("44030418991231123"), false, "身份证号码中的出生日期无效"},
        {WithIdCheck("44030421010101123"), false, "身份证号码中的出生日期无效"},
    };
    for (const auto& c : cases) {
        auto s = ValidateIdCardNumber(c.input);
        EXPECT_EQ(s.has_value(), c.ok) << c.input;
        if (!c.ok && !s) {
            EXPECT_EQ(s.error().public_message, c.message) << c.input;
        }
    }
    EXPECT_EQ(IdCardCheckCharacter("11010519491231002"), 'X');
}

TEST(ValidationTest, MobilePhones) {
    const std::pair<std::string, bool> cases[] = {
        {"13812345678", true},
        {"19912345678", true},
        {"15000000000", true},
        {"12812345678", false},
        {"23812345678", false},
        {"1381234567", false},
        {"138123456789", false},
        {"+8613812345678", false},
        {"138 1234 5678", false},
        {"1381234567a", false},
        {"", false},
    };
    for (const auto& [phone, ok] : cases) {
        EXPECT_EQ(ValidateMobile(phone).has_value(), ok) << phone;
    }
    EXPECT_EQ(ValidateMobile("123").error().public_message, "手机号码应为11位大陆手机号");
}

TEST(ValidationTest, EmailAddresses) {
    const std::pair<std::string, bool> cases[] = {
        {"zhang.san@example.com", true},
        {"a+tag@mail.gzca.example.cn", true},
        {"x@y.cn", true},
        {"noat.example.com", false},
        {"a@b@example.com", false},
        {"@example.com", false},
        {"a@example", false},
        {"a@example.c", false},
        {"a@example.c0m", false},
        {"a b@example.com", false},
        {"a@-example.com", false},
        {"a@example..com", false},
        {".a@example.com", false},
        {"张三@example.com", false},
        {std::string(250, 'a') + "@example.com", false},
        {"", false},
    };
    for (const auto& [email, ok] : cases) {
        EXPECT_EQ(ValidateEmail(email).has_value(), ok) << email;
    }
}

TEST(ValidationTest, FixedPhones) {
    const std::pair<std::string, bool> cases[] = {
        {"0851-12345678", true},
        {"+86 851 1234 5678", true},
        {"1234567", true},
        {"123456", false},
        {"0851-1234567890123456", false},
        {"0851_1234567", false},
        {"85+11234567", false},
        {"--- ---", false},
    };
    for (const auto& [phone, ok] : cases) {
        EXPECT_EQ(ValidateFixedPhone(phone).has_value(), ok) << phone;
    }
}

TEST(ValidationTest, Masks) {
    EXPECT_EQ(MaskPhone("13812345678"), "138****5678");
    EXPECT_EQ(MaskPhone("123456"), "******");
    EXPECT_EQ(MaskIdCard("11010519491231002X"), "110105********002X");
    EXPECT_EQ(MaskIdCard("123"), "***");
    EXPECT_EQ(NormaliseIdCard("  11010519491231002x \t"), "11010519491231002X");
}

TEST(ValidationTest, TextHelpers) {
    EXPECT_TRUE(IsCleanText("国资CA 数字证书"));
    EXPECT_FALSE(IsCleanText("a\nb"));
    EXPECT_FALSE(IsCleanText("\xC0\xAF"));  // overlong '/'
    EXPECT_FALSE(IsCleanText("\xE4\xB8"));  // truncated
    EXPECT_EQ(CodePointCount("国资CA"), 4u);
}

}  // namespace
}  // namespace gzca::ra
