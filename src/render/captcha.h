#pragma once
// Picture captchas (图形验证码): random text from an alphabet without look-alike characters,
// drawn as a distorted PNG, and the check of a user's answer.
//
// Every random choice (text, glyph placement, colours, noise) comes from OpenSSL's RAND_bytes.
// The server keeps the expected text (hashed or in its session store); it never goes to the
// client except as the picture.
//
// Thread-safety: free functions; safe to call from several threads at once (each render uses
// its own surface and Pango layouts; Pango's default font map is per thread).

#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/error.h"

namespace gzca::render {

// Digits 2-9 and letters without I, O, i, l, o (0/1 look-alikes): 55 characters.
inline constexpr std::string_view kCaptchaAlphabet =
    "23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghjkmnpqrstuvwxyz";

// The longest text RenderCaptchaPng() draws, in characters.
inline constexpr int kMaxCaptchaLength = 8;

// `length` characters drawn uniformly from kCaptchaAlphabet (rejection sampling, no modulo bias);
// "" when length <= 0. Throws std::runtime_error only if RAND_bytes fails (unusable DRBG).
std::string RandomCaptchaText(int length = 5);

// Renders `text` as a PNG of width x height pixels: each character rotated and offset by a
// random amount in a random dark colour, a few noise lines and a curve through the text, dots in
// varied colours, on a light background. Two calls with the same text give different pictures.
// kInvalidArgument when `text` is empty, not valid UTF-8, longer than kMaxCaptchaLength
// characters, or the size is outside 40..1000 x 16..400 pixels; kInternal when drawing fails.
// Throws std::runtime_error only if RAND_bytes fails.
Result<Bytes> RenderCaptchaPng(std::string_view text, int width = 120, int height = 40);

// Whether `answer` (surrounding ASCII whitespace trimmed) equals `expected` ignoring ASCII case.
// False when either is empty. Time depends on the lengths only, not on where they differ.
bool CaptchaAnswerMatches(std::string_view expected, std::string_view answer);

}  // namespace gzca::render
