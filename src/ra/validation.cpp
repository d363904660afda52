#include "ra/validation.h"

#include <chrono>

namespace gzca::ra {

namespace {

// GB 32100-2015 Table 1: the 31 characters of the code set, in value order.
constexpr std::string_view kUsccAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";

int UsccValue(char c) {
    auto pos = kUsccAlphabet.find(c);
    return pos == std::string_view::npos ? -1 : static_cast<int>(pos);
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool IsAsciiSpace(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

tl::unexpected<Error> Invalid(const char* message) {
    return Fail(ErrorCode::kInvalidArgument, message, message);
}

// Decodes one UTF-8 sequence at s[i]; returns its length and code point, 0 when malformed
// (overlong forms, surrogates and values above U+10FFFF count as malformed).
std::size_t DecodeUtf8(std::string_view s, std::size_t i, char32_t& cp) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    if (b0 < 0x80) {
        cp = b0;
        return 1;
    }
    std::size_t len = 0;
    char32_t min = 0;
    if ((b0 & 0xE0) == 0xC0) {
        len = 2;
        cp = b0 & 0x1F;
        min = 0x80;
    } else if ((b0 & 0xF0) == 0xE0) {
        len = 3;
        cp = b0 & 0x0F;
        min = 0x800;
    } else if ((b0 & 0xF8) == 0xF0) {
        len = 4;
        cp = b0 & 0x07;
        min = 0x10000;
    } else {
        return 0;
    }
    if (i + len > s.size()) return 0;
    for (std::size_t k = 1; k < len; ++k) {
        const auto b = static_cast<unsigned char>(s[i + k]);
        if ((b & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (b & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return len;
}

}  // namespace

char UsccCheckCharacter(std::string_view code) {
    if (code.size() < 17) return '\0';
    int sum = 0;
    int weight = 1;  // 3^i mod 31
    for (std::size_t i = 0; i < 17; ++i) {
        int v = UsccValue(code[i]);
        if (v < 0) return '\0';
        sum += v * weight;
        weight = weight * 3 % 31;
    }
    return kUsccAlphabet[static_cast<std::size_t>((31 - sum % 31) % 31)];
}

Status ValidateUscc(std::string_view code) {
    if (code.size() != 18) return Invalid("统一社会信用代码长度应为18位");
    for (char c : code) {
        if (UsccValue(c) < 0) return Invalid("统一社会信用代码含非法字符");
    }
    if (UsccCheckCharacter(code) != code[17]) return Invalid("统一社会信用代码校验位错误");
    return Ok();
}

char IdCardCheckCharacter(std::string_view id) {
    if (id.size() < 17) return '\0';
    int sum = 0;
    for (std::size_t i = 0; i < 17; ++i) {
        if (!IsDigit(id[i])) return '\0';
        // ISO 7064 MOD 11-2: weight of position i (0-based from the left) is 2^(17-i) mod 11.
        int weight = 1;
        for (std::size_t k = 0; k < 17 - i; ++k) weight = weight * 2 % 11;
        sum += (id[i] - '0') * weight;
    }
    return "10X98765432"[sum % 11];
}

Status ValidateIdCardNumber(std::string_view id) {
    if (id.size() != 18) return Invalid("身份证号码长度应为18位");
    for (std::size_t i = 0; i < 17; ++i) {
        if (!IsDigit(id[i])) return Invalid("身份证号码格式错误");
    }
    char last = id[17] == 'x' ? 'X' : id[17];
    if (!IsDigit(last) && last != 'X') return Invalid("身份证号码格式错误");
    auto num = [&](std::size_t pos, std::size_t len) {
        int v = 0;
        for (std::size_t i = pos; i < pos + len; ++i) v = v * 10 + (id[i] - '0');
        return v;
    };
    using namespace std::chrono;
    const year_month_day birth{year(num(6, 4)), month(static_cast<unsigned>(num(10, 2))),
                               day(static_cast<unsigned>(num(12, 2)))};
    if (!birth.ok() || birth.year() < year(1900) || birth.year() > year(2100)) {
        return Invalid("身份证号码中的出生日期无效");
    }
    if (IdCardCheckCharacter(id) != last) return Invalid("身份证号码校验位错误");
    return Ok();
}

Status ValidateMobile(std::string_view phone) {
    bool ok = phone.size() == 11 && phone[0] == '1' && phone[1] >= '3' && phone[1] <= '9';
    for (char c : phone) ok = ok && IsDigit(c);
    if (!ok) return Invalid("手机号码应为11位大陆手机号");
    return Ok();
}

Status ValidateEmail(std::string_view email) {
    auto bad = [] { return Invalid("电子邮箱格式不正确"); };
    if (email.empty() || email.size() > 254) return bad();
    for (char c : email) {
        if (c <= ' ' || c >= 0x7F) return bad();  // control, space, DEL and non-ASCII
    }
    auto at = email.find('@');
    if (at == std::string_view::npos || email.find('@', at + 1) != std::string_view::npos) {
        return bad();
    }
    std::string_view local = email.substr(0, at);
    std::string_view domain = email.substr(at + 1);
    if (local.empty() || local.size() > 64) return bad();
    if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos) {
        return bad();
    }
    for (char c : local) {
        if (c == '(' || c == ')' || c == '<' || c == '>' || c == ',' || c == ';' || c == ':' ||
            c == '\\' || c == '"' || c == '[' || c == ']') {
            return bad();
        }
    }
    std::size_t labels = 0;
    std::string_view last_label;
    std::size_t start = 0;
    while (true) {
        auto dot = domain.find('.', start);
        std::string_view label = domain.substr(
            start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
        if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
            return bad();
        }
        for (char c : label) {
            bool ok = IsDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
            if (!ok) return bad();
        }
        ++labels;
        last_label = label;
        if (dot == std::string_view::npos) break;
        start = dot + 1;
    }
    if (labels < 2 || last_label.size() < 2) return bad();
    for (char c : last_label) {
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) return bad();
    }
    return Ok();
}

Status ValidateFixedPhone(std::string_view phone) {
    auto bad = [] { return Invalid("电话号码格式不正确"); };
    if (phone.size() < 7 || phone.size() > 20) return bad();
    std::size_t digits = 0;
    for (std::size_t i = 0; i < phone.size(); ++i) {
        char c = phone[i];
        if (IsDigit(c)) {
            ++digits;
        } else if (c == '+') {
            if (i != 0) return bad();
        } else if (c != '-' && c != ' ') {
            return bad();
        }
    }
    if (digits < 7) return bad();
    return Ok();
}

std::string MaskPhone(std::string_view phone) {
    if (phone.size() < 7) return std::string(phone.size(), '*');
    return std::string(phone.substr(0, 3)) + std::string(phone.size() - 7, '*') +
           std::string(phone.substr(phone.size() - 4));
}

std::string MaskIdCard(std::string_view id) {
    if (id.size() < 10) return std::string(id.size(), '*');
    return std::string(id.substr(0, 6)) + std::string(id.size() - 10, '*') +
           std::string(id.substr(id.size() - 4));
}

std::string TrimAscii(std::string_view s) {
    while (!s.empty() && IsAsciiSpace(s.front())) s.remove_prefix(1);
    while (!s.empty() && IsAsciiSpace(s.back())) s.remove_suffix(1);
    return std::string(s);
}

std::string NormaliseIdCard(std::string_view id) {
    std::string out = TrimAscii(id);
    if (!out.empty() && out.back() == 'x') out.back() = 'X';
    return out;
}

bool IsCleanText(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        char32_t cp = 0;
        std::size_t len = DecodeUtf8(s, i, cp);
        if (len == 0) return false;
        if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0)) return false;
        i += len;
    }
    return true;
}

std::size_t CodePointCount(std::string_view s) {
    std::size_t n = 0;
    std::size_t i = 0;
    while (i < s.size()) {
        char32_t cp = 0;
        std::size_t len = DecodeUtf8(s, i, cp);
        i += len == 0 ? 1 : len;
        ++n;
    }
    return n;
}

}  // namespace gzca::ra
