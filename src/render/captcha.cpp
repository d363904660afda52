#include "render/captcha.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <stdexcept>
#include <vector>

#include <openssl/err.h>
#include <openssl/rand.h>

#include "base/ascii.h"
#include "render/drawing.h"

namespace gzca::render {

namespace {

constexpr int kMinWidth = 40, kMaxWidth = 1000, kMinHeight = 16, kMaxHeight = 400;
constexpr const char* kCaptchaFont = "Noto Sans CJK SC Bold";

// Fills `out` from OpenSSL's DRBG; throws when it fails (an invariant of a running server).
void SecureRandom(void* out, std::size_t size) {
    if (RAND_bytes(static_cast<unsigned char*>(out), static_cast<int>(size)) != 1) {
        ERR_clear_error();
        throw std::runtime_error("RAND_bytes failed: the DRBG is not usable");
    }
}

// Uniform in [0, 1) with 32 random bits.
double RandomUnit() {
    std::uint32_t r;
    SecureRandom(&r, sizeof r);
    return r / 4294967296.0;
}

double RandomBetween(double low, double high) { return low + (high - low) * RandomUnit(); }

struct Rgb {
    double r, g, b;
};

Rgb RandomColour(double low, double high) {
    return {RandomBetween(low, high), RandomBetween(low, high), RandomBetween(low, high)};
}

void SetColour(cairo_t* cr, const Rgb& c, double alpha = 1.0) {
    cairo_set_source_rgba(cr, c.r, c.g, c.b, alpha);
}

// Splits valid UTF-8 into its characters (code points), each as its own string.
std::vector<std::string> SplitCharacters(std::string_view text) {
    std::vector<std::string> out;
    const char* p = text.data();
    const char* end = text.data() + text.size();
    while (p < end) {
        const char* next = g_utf8_next_char(p);
        out.emplace_back(p, next);
        p = next;
    }
    return out;
}

void PaintBackground(cairo_t* cr, int width, int height) {
    SetColour(cr, RandomColour(0.88, 0.98));
    cairo_paint(cr);
    // A faint gradient so the background is not one flat colour a filter could subtract.
    PatternPtr gradient(cairo_pattern_create_linear(0, 0, width, height));
    Rgb a = RandomColour(0.80, 0.95), b = RandomColour(0.80, 0.95);
    cairo_pattern_add_color_stop_rgba(gradient.get(), 0, a.r, a.g, a.b, 0.5);
    cairo_pattern_add_color_stop_rgba(gradient.get(), 1, b.r, b.g, b.b, 0.5);
    cairo_set_source(cr, gradient.get());
    cairo_paint(cr);
}

// Draws each character centred in its own slot, shifted, rotated and coloured at random.
void PaintCharacters(cairo_t* cr, PangoLayout* layout, const std::vector<std::string>& chars,
                     int width, int height) {
    double slot = static_cast<double>(width) / static_cast<double>(chars.size());
    for (std::size_t i = 0; i < chars.size(); ++i) {
        pango_layout_set_text(layout, chars[i].data(), static_cast<int>(chars[i].size()));
        PangoRectangle ink;
        pango_layout_get_pixel_extents(layout, &ink, nullptr);
        double cx = slot * (static_cast<double>(i) + 0.5) + RandomBetween(-0.12, 0.12) * slot;
        double cy = height / 2.0 + RandomBetween(-0.10, 0.10) * height;
        cairo_save(cr);
        cairo_translate(cr, cx, cy);
        cairo_rotate(cr, RandomBetween(-0.45, 0.45));
        double scale = RandomBetween(0.85, 1.1);
        cairo_scale(cr, scale, scale);
        // Centre the glyph's ink box on the slot point.
        cairo_translate(cr, -ink.x - ink.width / 2.0, -ink.y - ink.height / 2.0);
        SetColour(cr, RandomColour(0.0, 0.5));
        pango_cairo_update_layout(cr, layout);
        pango_cairo_show_layout(cr, layout);
        cairo_restore(cr);
    }
}

// Lines and dots under the text.
void PaintNoise(cairo_t* cr, int width, int height) {
    for (int i = 0; i < 4; ++i) {
        SetColour(cr, RandomColour(0.2, 0.8), 0.8);
        cairo_set_line_width(cr, RandomBetween(0.8, 1.8));
        cairo_move_to(cr, RandomBetween(0, width), RandomBetween(0, height));
        cairo_line_to(cr, RandomBetween(0, width), RandomBetween(0, height));
        cairo_stroke(cr);
    }
    int dots = width * height / 40;
    for (int i = 0; i < dots; ++i) {
        SetColour(cr, RandomColour(0.0, 0.9));
        cairo_arc(cr, RandomBetween(0, width), RandomBetween(0, height), RandomBetween(0.5, 1.3), 0,
                  2 * std::numbers::pi);
        cairo_fill(cr);
    }
}

// A curve over the text in a dark colour like the glyphs', so a colour filter cannot drop it.
void PaintCurve(cairo_t* cr, int width, int height) {
    SetColour(cr, RandomColour(0.1, 0.5), 0.9);
    cairo_set_line_width(cr, RandomBetween(1.0, 2.0));
    cairo_move_to(cr, 0, RandomBetween(0.3, 0.7) * height);
    cairo_curve_to(cr, width / 3.0, RandomBetween(0, height), 2 * width / 3.0,
                   RandomBetween(0, height), width, RandomBetween(0.3, 0.7) * height);
    cairo_stroke(cr);
}

Status CheckCaptchaInput(std::string_view text, int width, int height) {
    if (text.empty()) return Fail(ErrorCode::kInvalidArgument, "empty captcha text");
    if (!g_utf8_validate(text.data(), static_cast<gssize>(text.size()), nullptr)) {
        return Fail(ErrorCode::kInvalidArgument, "captcha text is not valid UTF-8");
    }
    if (g_utf8_strlen(text.data(), static_cast<gssize>(text.size())) > kMaxCaptchaLength) {
        return Fail(ErrorCode::kInvalidArgument, "captcha text too long");
    }
    if (width < kMinWidth || width > kMaxWidth || height < kMinHeight || height > kMaxHeight) {
        return Fail(ErrorCode::kInvalidArgument, "captcha size out of range");
    }
    return Ok();
}

std::string_view TrimAsciiSpace(std::string_view s) {
    auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

}  // namespace

std::string RandomCaptchaText(int length) {
    std::string out;
    if (length <= 0) return out;
    out.reserve(static_cast<std::size_t>(length));
    // Accept bytes below the largest multiple of the alphabet size so each character is equally
    // likely (220 = 4 * 55); about 14% of bytes are drawn again.
    constexpr unsigned kLimit = 256 / kCaptchaAlphabet.size() * kCaptchaAlphabet.size();
    std::array<unsigned char, 32> pool;
    while (out.size() < static_cast<std::size_t>(length)) {
        SecureRandom(pool.data(), pool.size());
        for (unsigned char b : pool) {
            if (b >= kLimit) continue;
            out.push_back(kCaptchaAlphabet[b % kCaptchaAlphabet.size()]);
            if (out.size() == static_cast<std::size_t>(length)) break;
        }
    }
    return out;
}

Result<Bytes> RenderCaptchaPng(std::string_view text, int width, int height) {
    GZCA_TRY_STATUS(CheckCaptchaInput(text, width, height));
    std::vector<std::string> chars = SplitCharacters(text);

    GZCA_ASSIGN_OR_RETURN(Canvas canvas, NewImageCanvas(width, height));
    cairo_t* cr = canvas.cr.get();
    LayoutPtr layout(pango_cairo_create_layout(cr));
    FontDescPtr font(pango_font_description_from_string(kCaptchaFont));
    // Glyphs fill most of the height, but never overflow a narrow slot.
    double glyph_px = std::min(height * 0.65, 1.3 * width / static_cast<double>(chars.size()));
    pango_font_description_set_absolute_size(font.get(), glyph_px * PANGO_SCALE);
    pango_layout_set_font_description(layout.get(), font.get());

    PaintBackground(cr, width, height);
    PaintNoise(cr, width, height);
    PaintCharacters(cr, layout.get(), chars, width, height);
    PaintCurve(cr, width, height);
    GZCA_TRY_STATUS(CheckCairo(cairo_status(cr), "drawing the captcha"));
    return EncodePng(canvas.surface.get());
}

bool CaptchaAnswerMatches(std::string_view expected, std::string_view answer) {
    answer = TrimAsciiSpace(answer);
    if (expected.empty() || answer.size() != expected.size()) return false;
    unsigned char diff = 0;
    for (std::size_t i = 0; i < expected.size(); ++i) {
        diff |= static_cast<unsigned char>(AsciiLower(expected[i]) ^ AsciiLower(answer[i]));
    }
    return diff == 0;
}

}  // namespace gzca::render
