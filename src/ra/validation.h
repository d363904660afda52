#pragma once
// Validation and masking of the identifiers the platform collects: unified social credit codes
// (统一社会信用代码, GB 32100-2015), resident ID-card numbers (公民身份号码, GB 11643-1999),
// mainland mobile numbers, e-mail addresses and fixed-line phone/fax numbers.
//
// Every Validate* returns Ok() or kInvalidArgument whose public message (Chinese) says what is
// wrong; the internal message is the same text (no secrets: the offending value is never put in
// either message, as it may be PII). The functions do not trim: callers normalise input first
// (NormaliseIdCard, or trimming in ra::NormaliseForm).
//
// Thread-safety: pure functions.

#include <string>
#include <string_view>

#include "base/error.h"

namespace gzca::ra {

// 统一社会信用代码, GB 32100-2015 §4: 18 characters from the code set
// "0123456789ABCDEFGHJKLMNPQRTUWXY" (I, O, Z, S, V excluded); the 18th is the check character:
// weights W_i = 3^i mod 31 for positions i = 0..16, C18 = (31 - Σ C_i·W_i mod 31) mod 31,
// mapped back through the code set. Upper case only (callers upper-case first).
// Errors (kInvalidArgument): "统一社会信用代码长度应为18位", "统一社会信用代码含非法字符",
// "统一社会信用代码校验位错误".
Status ValidateUscc(std::string_view code);

// The check character GB 32100-2015 assigns to the first 17 characters of `code`
// ('\0' when `code` is shorter than 17 characters or contains a character outside the set).
char UsccCheckCharacter(std::string_view code);

// 公民身份号码, GB 11643-1999: 17 digits (6-digit address code, 8-digit birth date YYYYMMDD,
// 3-digit sequence) and a check character by ISO 7064 MOD 11-2 (weights 2^(17-i) mod 11,
// 'X' for 10; lower-case 'x' accepted). The birth date must be a real calendar date in the years
// 1900–2100. The address code is not checked against the administrative-division list.
// Errors (kInvalidArgument): "身份证号码长度应为18位", "身份证号码格式错误",
// "身份证号码中的出生日期无效", "身份证号码校验位错误".
Status ValidateIdCardNumber(std::string_view id);

// The ISO 7064 MOD 11-2 check character ('0'–'9' or 'X') of the first 17 digits of `id`
// ('\0' when they are not 17 digits).
char IdCardCheckCharacter(std::string_view id);

// Mainland mobile number: exactly 11 digits matching 1[3-9]\d{9}, no prefix or separators.
// Error (kInvalidArgument): "手机号码应为11位大陆手机号".
Status ValidateMobile(std::string_view phone);

// Pragmatic e-mail check: printable ASCII, no spaces, ≤ 254 bytes, one '@', a local part of
// 1–64 bytes, a domain of dot-separated labels ([A-Za-z0-9-], not starting or ending with '-')
// whose last label (the TLD) has at least two letters. Internationalised addresses are refused.
// Error (kInvalidArgument): "电子邮箱格式不正确".
Status ValidateEmail(std::string_view email);

// Fixed-line phone or fax (机构电话/传真): 7–20 characters of digits, '-', spaces and a leading
// '+', with at least 7 digits. Error (kInvalidArgument): "电话号码格式不正确".
Status ValidateFixedPhone(std::string_view phone);

// "13812345678" → "138****5678": first 3 and last 4 kept. Shorter than 7 characters: all '*'.
std::string MaskPhone(std::string_view phone);

// "11010519491231002X" → "110105********002X": first 6 and last 4 kept. Shorter than 10
// characters: all '*'.
std::string MaskIdCard(std::string_view id);

// Trims ASCII whitespace and upper-cases a trailing 'x'.
std::string NormaliseIdCard(std::string_view id);

// ASCII whitespace trimmed from both ends.
std::string TrimAscii(std::string_view s);

// Whether `s` is valid UTF-8 without control characters (C0, DEL, C1); used for every free-text
// field a user types.
bool IsCleanText(std::string_view s);

// Number of Unicode code points in valid UTF-8 `s` (bytes when invalid).
std::size_t CodePointCount(std::string_view s);

}  // namespace gzca::ra
