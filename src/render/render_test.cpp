// Tests for src/render: QR codes (decoded back from the PNG), captchas, and the application form
// PDF (text extracted with pdftotext, pixels with pdftoppm — both poppler-utils, a declared test
// dependency: the tests fail rather than skip without them).

#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "render/application_form.h"
#include "render/application_form_page.h"
#include "render/captcha.h"
#include "render/drawing.h"
#include "render/qr.h"

namespace gzca::render {
namespace {

// ---------------------------------------------------------------------------------------------
// Helpers

struct PngReader {
    const Bytes* png;
    std::size_t offset = 0;
};

cairo_status_t ReadPng(void* closure, unsigned char* data, unsigned int length) {
    auto* reader = static_cast<PngReader*>(closure);
    if (reader->png->size() - reader->offset < length) return CAIRO_STATUS_READ_ERROR;
    std::memcpy(data, reader->png->data() + reader->offset, length);
    reader->offset += length;
    return CAIRO_STATUS_SUCCESS;
}

bool HasPngSignature(const Bytes& data) {
    static constexpr std::array<std::uint8_t, 8> kSignature = {0x89, 'P',  'N',  'G',
                                                               '\r', '\n', 0x1a, '\n'};
    return data.size() > kSignature.size() &&
           std::equal(kSignature.begin(), kSignature.end(), data.begin());
}

// Decodes a PNG; the surface is in an error state when the data is not a PNG.
SurfacePtr DecodePng(const Bytes& png) {
    PngReader reader{&png};
    SurfacePtr surface(cairo_image_surface_create_from_png_stream(ReadPng, &reader));
    cairo_surface_flush(surface.get());
    return surface;
}

// 0xRRGGBB of a pixel of an RGB24 or ARGB32 image (alpha dropped; the images tested are opaque).
std::uint32_t Pixel(cairo_surface_t* image, int x, int y) {
    const unsigned char* row =
        cairo_image_surface_get_data(image) + y * cairo_image_surface_get_stride(image);
    std::uint32_t value;
    std::memcpy(&value, row + 4 * x, sizeof value);
    return value & 0xffffff;
}

constexpr std::uint32_t kBlack = 0x000000, kWhite = 0xffffff;

bool IsDarkPixel(std::uint32_t rgb) {
    int r = (rgb >> 16) & 0xff, g = (rgb >> 8) & 0xff, b = rgb & 0xff;
    return r + g + b < 3 * 100;
}

// Fraction of dark pixels in the rectangle [x0, x1) x [y0, y1).
double DarkFraction(cairo_surface_t* image, int x0, int y0, int x1, int y1) {
    int dark = 0;
    for (int y = y0; y < y1; ++y) {
        for (int x = x0; x < x1; ++x) dark += IsDarkPixel(Pixel(image, x, y)) ? 1 : 0;
    }
    return static_cast<double>(dark) / ((x1 - x0) * (y1 - y0));
}

// A file in the temporary directory, removed when the object goes.
class TempFile {
  public:
    explicit TempFile(const std::string& suffix) {
        static std::atomic<int> counter{0};
        path_ = std::filesystem::temp_directory_path() /
                ("gzca_render_test_" + std::to_string(::getpid()) + "_" +
                 std::to_string(counter++) + suffix);
    }
    ~TempFile() {
        std::error_code ignored;
        std::filesystem::remove(path_, ignored);
    }
    const std::filesystem::path& path() const { return path_; }

  private:
    std::filesystem::path path_;
};

void WriteBytes(const std::filesystem::path& path, const Bytes& data) {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(data.data()),
              static_cast<std::streamsize>(data.size()));
    ASSERT_TRUE(out.good()) << path;
}

// Runs a shell command; returns its standard output, or fails the test if it exits non-zero.
std::string RunCommand(const std::string& command) {
    std::string output;
    FILE* pipe = ::popen(command.c_str(), "r");
    if (pipe == nullptr) {
        ADD_FAILURE() << "popen failed: " << command;
        return output;
    }
    std::array<char, 4096> buffer;
    std::size_t n;
    while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0)
        output.append(buffer.data(), n);
    int status = ::pclose(pipe);
    EXPECT_EQ(status, 0) << "command failed (poppler-utils is a test dependency): " << command;
    return output;
}

std::string Quoted(const std::filesystem::path& path) { return "'" + path.string() + "'"; }

// The text of a PDF as `pdftotext -layout` extracts it.
std::string PdfText(const Bytes& pdf) {
    TempFile file(".pdf");
    WriteBytes(file.path(), pdf);
    return RunCommand("pdftotext -layout " + Quoted(file.path()) + " - 2>&1");
}

// `pdfinfo` output (page count, page size).
std::string PdfInfo(const Bytes& pdf) {
    TempFile file(".pdf");
    WriteBytes(file.path(), pdf);
    return RunCommand("pdfinfo " + Quoted(file.path()) + " 2>&1");
}

// The first page rasterised at `dpi` (72: one pixel per point), decoded.
SurfacePtr PdfPageImage(const Bytes& pdf, int dpi = 72) {
    TempFile file(".pdf");
    TempFile image(".png");
    WriteBytes(file.path(), pdf);
    std::string stem = image.path().string().substr(0, image.path().string().size() - 4);
    RunCommand("pdftoppm -r " + std::to_string(dpi) + " -png -singlefile " + Quoted(file.path()) +
               " '" + stem + "' 2>&1");
    auto png = ReadFile(image.path());
    if (!png) {
        ADD_FAILURE() << "pdftoppm wrote no image";
        return SurfacePtr(cairo_image_surface_create(CAIRO_FORMAT_RGB24, 1, 1));
    }
    return DecodePng(*png);
}

// Whether `pdfinfo` says the PDF has exactly one A4 page.
bool IsOneA4Page(const std::string& pdfinfo) {
    return std::regex_search(pdfinfo, std::regex(R"(\nPages:\s+1\n)")) &&
           std::regex_search(pdfinfo, std::regex(R"(Page size:\s+595\.276 x 841\.89 pts \(A4\))"));
}

bool Contains(const std::string& haystack, std::string_view needle) {
    return haystack.find(needle) != std::string::npos;
}

// The line of `text` holding `needle`, or npos.
std::size_t LineOf(const std::string& text, std::string_view needle) {
    std::size_t at = text.find(needle);
    if (at == std::string::npos) return at;
    return static_cast<std::size_t>(std::count(text.begin(), text.begin() + at, '\n'));
}

// ---------------------------------------------------------------------------------------------
// QR codes

// Checks a decoded QR image: its size, its white quiet zone and the three finder patterns
// (ISO/IEC 18004 §6.3.3: 7x7 dark ring, light ring, 3x3 dark centre).
void ExpectQrImage(cairo_surface_t* image, int modules, int module_px) {
    ASSERT_EQ(cairo_surface_status(image), CAIRO_STATUS_SUCCESS);
    int side = (modules + 8) * module_px;
    ASSERT_EQ(cairo_image_surface_get_width(image), side);
    ASSERT_EQ(cairo_image_surface_get_height(image), side);

    for (int i = 0; i < side; ++i) {
        for (int j = 0; j < 4 * module_px; ++j) {
            ASSERT_EQ(Pixel(image, i, j), kWhite) << "top quiet zone at " << i << "," << j;
            ASSERT_EQ(Pixel(image, i, side - 1 - j), kWhite) << "bottom quiet zone";
            ASSERT_EQ(Pixel(image, j, i), kWhite) << "left quiet zone";
            ASSERT_EQ(Pixel(image, side - 1 - j, i), kWhite) << "right quiet zone";
        }
    }
    // Centre pixel of module (column, row) of the symbol.
    auto module = [&](int column, int row) {
        return Pixel(image, (4 + column) * module_px + module_px / 2,
                     (4 + row) * module_px + module_px / 2);
    };
    const std::array<std::pair<int, int>, 3> finders = {
        {{0, 0}, {modules - 7, 0}, {0, modules - 7}}};
    for (auto [c, r] : finders) {
        EXPECT_EQ(module(c, r), kBlack) << "finder corner at " << c << "," << r;
        EXPECT_EQ(module(c + 6, r + 6), kBlack);
        EXPECT_EQ(module(c + 6, r), kBlack);
        EXPECT_EQ(module(c + 1, r + 1), kWhite) << "finder light ring";
        EXPECT_EQ(module(c + 5, r + 3), kWhite);
        EXPECT_EQ(module(c + 3, r + 3), kBlack) << "finder centre";
        EXPECT_EQ(module(c + 2, r + 4), kBlack);
    }
    // The separator around the top-left finder is light.
    EXPECT_EQ(module(7, 7), kWhite);
    EXPECT_EQ(module(7, 0), kWhite);
}

TEST(QrPng, Version1AtDefaultModuleSize) {
    auto png = QrPng("hello");
    ASSERT_TRUE(png) << png.error().internal;
    EXPECT_TRUE(HasPngSignature(*png));
    SurfacePtr image = DecodePng(*png);
    ExpectQrImage(image.get(), 21, 6);  // 5 bytes at level M: version 1
}

TEST(QrPng, LongerTextNeedsALargerVersion) {
    // 18 bytes exceed version 1-M (14 bytes in byte mode); version 2 has 25 modules.
    auto png = QrPng("GZCA-20261124-0001", 3);
    ASSERT_TRUE(png) << png.error().internal;
    SurfacePtr image = DecodePng(*png);
    ExpectQrImage(image.get(), 25, 3);
}

TEST(QrPng, EncodesNonAsciiAndEmbeddedNul) {
    auto png = QrPng(std::string_view("受理编号\0x", 14), 2);
    ASSERT_TRUE(png) << png.error().internal;
    SurfacePtr image = DecodePng(*png);
    EXPECT_EQ(cairo_surface_status(image.get()), CAIRO_STATUS_SUCCESS);
}

TEST(QrPng, RejectsBadInput) {
    struct Case {
        std::string text;
        int module_px;
    };
    const Case cases[] = {
        {"", 6},                      // empty
        {std::string(2332, 'a'), 1},  // over 2331 bytes: no level-M symbol holds it
        {std::string(100000, 'a'), 1},
        {"hello", 0},
        {"hello", kMaxQrModulePx + 1},
    };
    for (const Case& c : cases) {
        auto png = QrPng(c.text, c.module_px);
        ASSERT_FALSE(png) << c.text.size() << " bytes at " << c.module_px;
        EXPECT_EQ(png.error().code, ErrorCode::kInvalidArgument);
    }
    EXPECT_TRUE(QrPng(std::string(2331, 'a'), 1)) << "2331 bytes fit version 40-M";
}

TEST(DrawQr, DrawsInsideTheGivenSquareOnly) {
    auto canvas = NewImageCanvas(200, 200);
    ASSERT_TRUE(canvas);
    cairo_t* cr = canvas->cr.get();
    cairo_set_source_rgb(cr, 1, 0, 0);
    cairo_paint(cr);
    cairo_set_antialias(cr, CAIRO_ANTIALIAS_NONE);
    ASSERT_TRUE(DrawQr(cr, "hello", 10, 20, 145));  // 29 modules with quiet zone: 5 px each
    cairo_surface_flush(canvas->surface.get());
    cairo_surface_t* image = canvas->surface.get();

    EXPECT_EQ(Pixel(image, 5, 5), 0xff0000u) << "outside the square is untouched";
    EXPECT_EQ(Pixel(image, 160, 100), 0xff0000u);
    EXPECT_EQ(Pixel(image, 12, 22), kWhite) << "quiet zone painted white";
    EXPECT_EQ(Pixel(image, 10 + 4 * 5 + 2, 20 + 4 * 5 + 2), kBlack) << "finder corner";
    EXPECT_EQ(Pixel(image, 10 + 5 * 5 + 2, 20 + 5 * 5 + 2), kWhite) << "finder light ring";

    // The caller's state survives.
    double r, g, b, a;
    cairo_set_source_rgb(cr, 0, 0, 1);
    ASSERT_TRUE(DrawQr(cr, "x", 0, 0, 50));
    ASSERT_EQ(cairo_pattern_get_rgba(cairo_get_source(cr), &r, &g, &b, &a), CAIRO_STATUS_SUCCESS);
    EXPECT_EQ(b, 1.0);
}

TEST(DrawQr, RejectsBadInput) {
    auto canvas = NewImageCanvas(10, 10);
    ASSERT_TRUE(canvas);
    EXPECT_EQ(DrawQr(nullptr, "x", 0, 0, 10).error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(DrawQr(canvas->cr.get(), "", 0, 0, 10).error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(DrawQr(canvas->cr.get(), "x", 0, 0, 0).error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(DrawQr(canvas->cr.get(), std::string(3000, 'a'), 0, 0, 10).error().code,
              ErrorCode::kInvalidArgument);
}

// ---------------------------------------------------------------------------------------------
// Captchas

TEST(RandomCaptchaText, LengthAndAlphabet) {
    for (int length : {1, 4, 5, 8, 64}) {
        std::string text = RandomCaptchaText(length);
        ASSERT_EQ(text.size(), static_cast<std::size_t>(length));
        for (char c : text) {
            EXPECT_NE(kCaptchaAlphabet.find(c), std::string_view::npos) << c;
        }
    }
    EXPECT_EQ(RandomCaptchaText(0), "");
    EXPECT_EQ(RandomCaptchaText(-3), "");
    EXPECT_EQ(RandomCaptchaText().size(), 5u);
}

TEST(RandomCaptchaText, UsesTheWholeAlphabetAndVaries) {
    std::string many = RandomCaptchaText(20000);
    std::set<char> seen(many.begin(), many.end());
    EXPECT_EQ(seen.size(), kCaptchaAlphabet.size());  // each missed with probability ~1e-158
    for (char excluded : std::string_view("01IOilo")) EXPECT_EQ(seen.count(excluded), 0u);
    // Every character about equally often: 20000/55 ≈ 364 each.
    for (char c : kCaptchaAlphabet) {
        auto n = std::count(many.begin(), many.end(), c);
        EXPECT_GT(n, 250) << c;
        EXPECT_LT(n, 480) << c;
    }
    EXPECT_NE(RandomCaptchaText(8), RandomCaptchaText(8));
}

TEST(RenderCaptchaPng, DecodesToTheRequestedSize) {
    for (auto [width, height] : {std::pair{120, 40}, {200, 64}, {40, 16}}) {
        auto png = RenderCaptchaPng("aB3xY", width, height);
        ASSERT_TRUE(png) << png.error().internal;
        ASSERT_TRUE(HasPngSignature(*png));
        SurfacePtr image = DecodePng(*png);
        ASSERT_EQ(cairo_surface_status(image.get()), CAIRO_STATUS_SUCCESS);
        EXPECT_EQ(cairo_image_surface_get_width(image.get()), width);
        EXPECT_EQ(cairo_image_surface_get_height(image.get()), height);
    }
}

TEST(RenderCaptchaPng, DrawsTextOnALightBackground) {
    auto png = RenderCaptchaPng("WMWMWMWM");
    ASSERT_TRUE(png);
    SurfacePtr image = DecodePng(*png);
    double dark = DarkFraction(image.get(), 0, 0, 120, 40);
    EXPECT_GT(dark, 0.05) << "glyphs drawn";
    EXPECT_LT(dark, 0.6) << "background is light";
    // Noise alone (a single narrow character) darkens far less than eight wide glyphs.
    auto sparse = RenderCaptchaPng("i", 120, 40);
    ASSERT_TRUE(sparse);
    SurfacePtr sparse_image = DecodePng(*sparse);
    EXPECT_LT(DarkFraction(sparse_image.get(), 0, 0, 120, 40), dark);
}

TEST(RenderCaptchaPng, TwoRendersOfTheSameTextDiffer) {
    auto a = RenderCaptchaPng("K7pQ2");
    auto b = RenderCaptchaPng("K7pQ2");
    ASSERT_TRUE(a && b);
    EXPECT_NE(*a, *b);
}

TEST(RenderCaptchaPng, AcceptsNonAsciiCharacters) {
    EXPECT_TRUE(RenderCaptchaPng("国资验证码"));
    EXPECT_TRUE(RenderCaptchaPng("一二三四五六七八")) << "8 characters, 24 bytes";
}

TEST(RenderCaptchaPng, RejectsBadInput) {
    struct Case {
        std::string text;
        int width, height;
    };
    const Case cases[] = {
        {"", 120, 40},       {"ABCDEFGHJ", 120, 40}, {"一二三四五六七八九", 120, 40},
        {"ab\xff", 120, 40}, {"abc", 39, 40},        {"abc", 120, 15},
        {"abc", 1001, 40},   {"abc", 120, 401},      {"abc", -120, 40},
    };
    for (const Case& c : cases) {
        auto png = RenderCaptchaPng(c.text, c.width, c.height);
        ASSERT_FALSE(png) << c.text << " " << c.width << "x" << c.height;
        EXPECT_EQ(png.error().code, ErrorCode::kInvalidArgument);
    }
}

TEST(CaptchaAnswerMatches, Cases) {
    struct Case {
        std::string_view expected, answer;
        bool matches;
    };
    const Case cases[] = {
        {"aB3xY", "aB3xY", true},
        {"aB3xY", "AB3XY", true},  // case-insensitive
        {"aB3xY", "ab3xy", true},
        {"aB3xY", "  ab3xy\t", true},  // surrounding spaces trimmed
        {"aB3xY", "\r\nAB3XY \n", true},
        {"aB3xY", "ab3x", false},    // too short
        {"aB3xY", "ab3xyz", false},  // too long
        {"aB3xY", "ab3xz", false},   // wrong character
        {"aB3xY", "ab 3xy", false},  // inner spaces are not trimmed
        {"aB3xY", "", false},
        {"aB3xY", "   ", false},
        {"", "", false},  // no captcha issued
        {"", " ", false},
        {"K7", "k7", true},
        {"K7", "K8", false},
    };
    for (const Case& c : cases) {
        EXPECT_EQ(CaptchaAnswerMatches(c.expected, c.answer), c.matches)
            << "'" << c.expected << "' vs '" << c.answer << "'";
    }
}

// ---------------------------------------------------------------------------------------------
// Application form

ApplicationForm FilledForm() {
    ApplicationForm form;
    form.order_no = "GZCA202611240001";
    form.order_type_label = "证书申请";
    form.org_name = "贵阳市国资数字科技有限公司";
    form.legal_representative = "张三";
    form.credential_type_label = "统一社会信用代码";
    form.credential_number = "91520100MA6DLXQ12K";
    form.org_phone = "0851-88886666";
    form.org_fax = "0851-88886667";
    form.user_identifier = "zhangsi01";
    form.department = "信息技术部";
    form.user_name = "李四";
    form.phone = "13800138000";
    form.id_card = "520102199001011234";
    form.email = "lisi@example.com";
    form.contact_address = "贵州省贵阳市观山湖区长岭北路国资大厦12层";
    form.certificate_serial = "7A3F9C0012AB34CDEF";
    form.medium_label = "USBKey";
    form.created_at = "2026年11月24日";
    form.service_phone = "400-000-1234";
    form.service_email = "service@gzca.example";
    return form;
}

// The region where the QR code of the order number is drawn, in 72-dpi pixels.
constexpr int kQrLeft = 494, kQrTop = 71, kQrRight = 554, kQrBottom = 131;

TEST(ApplicationForm, FilledFormCarriesTheOrder) {
    auto pdf = RenderApplicationFormPdf(FilledForm());
    ASSERT_TRUE(pdf) << pdf.error().internal;
    ASSERT_GT(pdf->size(), 5u);
    EXPECT_EQ(std::string(pdf->begin(), pdf->begin() + 5), "%PDF-");

    std::string text = PdfText(*pdf);
    for (std::string_view expected : {"国资CA数字证书服务受理表",
                                      "国资CA数字证书服务平台",
                                      "GZCA202611240001",
                                      "贵阳市国资数字科技有限公司",
                                      "91520100MA6DLXQ12K",
                                      "520102199001011234",
                                      "7A3F9C0012AB34CDEF",
                                      "lisi@example.com",
                                      "信息技术部",
                                      "2026年11月24日",
                                      "机构信息",
                                      "用户信息",
                                      "证书信息",
                                      "申请人声明",
                                      "证书服务协议",
                                      "签字",
                                      "盖章",
                                      "受理人",
                                      "审核意见",
                                      "400-000-1234",
                                      "service@gzca.example",
                                      "第1页 共1页"}) {
        EXPECT_TRUE(Contains(text, expected)) << expected << " missing from:\n" << text;
    }

    std::string info = PdfInfo(*pdf);
    EXPECT_TRUE(IsOneA4Page(info)) << info;

    SurfacePtr page = PdfPageImage(*pdf);
    ASSERT_EQ(cairo_surface_status(page.get()), CAIRO_STATUS_SUCCESS);
    double qr_dark = DarkFraction(page.get(), kQrLeft, kQrTop, kQrRight, kQrBottom);
    EXPECT_GT(qr_dark, 0.25) << "QR code below the order number";
    EXPECT_LT(qr_dark, 0.75);
}

TEST(ApplicationForm, BlankFormHasLabelsButNoOrder) {
    ApplicationForm blank;
    auto pdf = RenderApplicationFormPdf(blank);
    ASSERT_TRUE(pdf) << pdf.error().internal;
    std::string text = PdfText(*pdf);
    for (std::string_view expected :
         {"国资CA数字证书服务受理表", "受理编号", "机构名称", "法定代表人", "身份证号码",
          "联系地址", "证书序列号", "证书申请", "证书延期", "证书补办", "证书吊销", "USBKey",
          "手机盾", "使用人签字", "法定代表人签字", "单位盖章", "日期", "审核意见",
          "第1页 共1页"}) {
        EXPECT_TRUE(Contains(text, expected)) << expected << " missing from:\n" << text;
    }
    EXPECT_FALSE(Contains(text, "GZCA")) << text;
    EXPECT_FALSE(Contains(text, "客服电话")) << "no service phone given";

    SurfacePtr page = PdfPageImage(*pdf);
    ASSERT_EQ(cairo_surface_status(page.get()), CAIRO_STATUS_SUCCESS);
    EXPECT_EQ(DarkFraction(page.get(), kQrLeft, kQrTop, kQrRight, kQrBottom), 0.0)
        << "no QR code on the blank form";
}

TEST(ApplicationForm, TicksTheChosenOrderType) {
    // Ticks cannot be extracted as text; compare the pixels of the blank and the filled box.
    ApplicationForm blank, renewal;
    renewal.order_type_label = "证书延期";
    auto blank_pdf = RenderApplicationFormPdf(blank);
    auto renewal_pdf = RenderApplicationFormPdf(renewal);
    ASSERT_TRUE(blank_pdf && renewal_pdf);
    SurfacePtr a = PdfPageImage(*blank_pdf);
    SurfacePtr b = PdfPageImage(*renewal_pdf);
    int width = cairo_image_surface_get_width(a.get());
    int height = cairo_image_surface_get_height(a.get());
    ASSERT_EQ(width, cairo_image_surface_get_width(b.get()));
    int differing = 0;
    for (int y = 0; y < height; ++y) {
        for (int x = 0; x < width; ++x) differing += Pixel(a.get(), x, y) != Pixel(b.get(), x, y);
    }
    EXPECT_GT(differing, 5) << "a tick drawn";
    EXPECT_LT(differing, 200) << "only the tick differs";
}

TEST(ApplicationForm, UnknownChoiceIsPrintedTicked) {
    ApplicationForm form;
    form.order_type_label = "证书变更";
    form.medium_label = "软证书";
    auto pdf = RenderApplicationFormPdf(form);
    ASSERT_TRUE(pdf);
    std::string text = PdfText(*pdf);
    EXPECT_TRUE(Contains(text, "证书变更")) << text;
    EXPECT_TRUE(Contains(text, "软证书")) << text;
}

TEST(ApplicationForm, InvalidUtf8DoesNotCrash) {
    ApplicationForm form = FilledForm();
    const std::string bad("abc\xff\xfe中文\xe4\xb8\0tail\xc0\x80", 20);
    form.order_no =
        "NO\xff"
        "123";
    form.org_name = bad;
    form.contact_address = "\xe4\xb8\xad\xe5" + bad;  // a cut character first
    form.user_name = std::string("\0\0\0", 3);
    form.service_email = "\xff\xff\xff";
    form.platform_name = "\x80";
    form.order_type_label = "\xff";
    auto pdf = RenderApplicationFormPdf(form);
    ASSERT_TRUE(pdf) << pdf.error().internal;
    EXPECT_EQ(std::string(pdf->begin(), pdf->begin() + 5), "%PDF-");
    std::string text = PdfText(*pdf);
    EXPECT_TRUE(Contains(text, "abc")) << text;
    EXPECT_TRUE(Contains(text, "中文")) << text;
    EXPECT_TRUE(Contains(text, "tail")) << text;
    EXPECT_TRUE(Contains(text, "\xef\xbf\xbd")) << "U+FFFD replaces the bad bytes:\n" << text;
    EXPECT_TRUE(Contains(text, "520102199001011234")) << "other fields still printed";
}

TEST(ApplicationForm, LongAddressWrapsInsideItsCell) {
    ApplicationForm form = FilledForm();
    std::string address = "ADDRSTART贵州省贵阳市观山湖区";
    for (int i = 0; i < 6; ++i) address += "林城东路与长岭北路交汇处";
    address += "国资大厦ADDREND";
    form.contact_address = address;
    auto pdf = RenderApplicationFormPdf(form);
    ASSERT_TRUE(pdf);
    std::string text = PdfText(*pdf);
    std::size_t start = LineOf(text, "ADDRSTART");
    std::size_t end = LineOf(text, "ADDREND");
    ASSERT_NE(start, std::string::npos) << text;
    ASSERT_NE(end, std::string::npos) << "the end of the address is printed:\n" << text;
    EXPECT_GT(end, start) << "wrapped onto a later line";
    EXPECT_LT(end - start, 8u);
    // Wrapping stays inside the value cell: the 联系地址 label is not pushed off its row.
    EXPECT_TRUE(Contains(text, "联系地址"));
}

TEST(ApplicationForm, OverlongValuesStayOnOnePage) {
    ApplicationForm form = FilledForm();
    std::string huge = "HUGESTART";
    for (int i = 0; i < 300; ++i) huge += "很长的内容";
    huge += "HUGEEND";
    form.contact_address = huge;
    form.org_name = huge;
    form.email = std::string(5000, 'e');  // no break opportunities at all
    form.department = huge;
    form.user_name = huge;
    form.legal_representative = huge;
    form.credential_type_label = huge;
    form.certificate_serial = std::string(3000, 'F');
    form.service_email = huge;
    auto pdf = RenderApplicationFormPdf(form);
    ASSERT_TRUE(pdf) << pdf.error().internal;
    EXPECT_TRUE(IsOneA4Page(PdfInfo(*pdf)));
    std::string text = PdfText(*pdf);
    EXPECT_TRUE(Contains(text, "HUGESTART"));
    EXPECT_TRUE(Contains(text, "第1页 共1页")) << "footer still there";
    EXPECT_TRUE(Contains(text, "审核日期")) << "the last row is still there";
    // Where the "…" is cannot be checked through pdftotext (cairo maps that glyph to all the text
    // it stands for), but values are cut to 2000 bytes before layout, so the end is gone.
    EXPECT_FALSE(Contains(text, "HUGEEND"));

    // The table, scaled down, ends above the footer's rule (y = 810 pt): a white band between.
    SurfacePtr page = PdfPageImage(*pdf);
    ASSERT_EQ(cairo_surface_status(page.get()), CAIRO_STATUS_SUCCESS);
    EXPECT_EQ(DarkFraction(page.get(), 30, 804, 565, 808), 0.0) << "white above the footer";
    EXPECT_GT(DarkFraction(page.get(), 30, 700, 565, 802), 0.01) << "the table reaches down";
}

// Ink in each square tile of an image, 0 (white) to tile*tile (black), row by row.
std::vector<double> TileInk(cairo_surface_t* image, int tile) {
    int width = cairo_image_surface_get_width(image);
    int height = cairo_image_surface_get_height(image);
    std::vector<double> ink;
    for (int ty = 0; ty + tile <= height; ty += tile) {
        for (int tx = 0; tx + tile <= width; tx += tile) {
            double sum = 0;
            for (int y = ty; y < ty + tile; ++y) {
                for (int x = tx; x < tx + tile; ++x) {
                    std::uint32_t p = Pixel(image, x, y);
                    sum += (765 - ((p >> 16) & 0xff) - ((p >> 8) & 0xff) - (p & 0xff)) / 765.0;
                }
            }
            ink.push_back(sum);
        }
    }
    return ink;
}

// The PDF as a viewer shows it (poppler, from the fonts embedded in the PDF) looks like the same
// page drawn straight onto an image (cairo, from the installed fonts). This catches glyphs lost
// when cairo subsets a font: cairo 1.16's CFF subsetter drops subroutines some Noto CJK glyphs
// need (e.g. 如), which then print blank.
void ExpectPdfMatchesDirectRendering(const ApplicationForm& form) {
    constexpr int kDpi = 144, kTile = 24;
    auto pdf = RenderApplicationFormPdf(form);
    ASSERT_TRUE(pdf) << pdf.error().internal;
    SurfacePtr viewer = PdfPageImage(*pdf, kDpi);
    ASSERT_EQ(cairo_surface_status(viewer.get()), CAIRO_STATUS_SUCCESS);
    int width = cairo_image_surface_get_width(viewer.get());
    int height = cairo_image_surface_get_height(viewer.get());
    ASSERT_NEAR(width, kA4WidthPt * kDpi / 72, 1.0);

    auto canvas = NewImageCanvas(width, height);
    ASSERT_TRUE(canvas);
    cairo_t* cr = canvas->cr.get();
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_scale(cr, kDpi / 72.0, kDpi / 72.0);
    ASSERT_TRUE(DrawApplicationFormPage(cr, form));
    cairo_surface_flush(canvas->surface.get());

    std::vector<double> shown = TileInk(viewer.get(), kTile);
    std::vector<double> drawn = TileInk(canvas->surface.get(), kTile);
    ASSERT_EQ(shown.size(), drawn.size());
    int tiles_per_row = width / kTile;
    int differing = 0;
    for (std::size_t i = 0; i < shown.size(); ++i) {
        double diff = std::abs(shown[i] - drawn[i]);
        if (diff > 10 + 0.25 * std::max(shown[i], drawn[i])) {
            ++differing;
            ADD_FAILURE() << "tile at (" << (i % tiles_per_row) * kTile << ", "
                          << (i / tiles_per_row) * kTile << ") px: ink " << shown[i]
                          << " in the PDF, " << drawn[i] << " drawn directly";
            if (differing > 10) return;
        }
    }
}

TEST(ApplicationForm, PdfShowsEveryGlyphOfTheBlankForm) {
    ExpectPdfMatchesDirectRendering(ApplicationForm{});
}

TEST(ApplicationForm, PdfShowsEveryGlyphOfAFilledForm) {
    ExpectPdfMatchesDirectRendering(FilledForm());
}

// Characters of GB 2312 level 1 (the 3755 commonest hanzi), rows 16.. of the code table.
std::string CommonHanzi(int first_row, int rows) {
    std::string gb;
    for (int row = first_row; row < first_row + rows; ++row) {
        for (int column = 1; column <= 94; ++column) {
            if (row == 55 && column > 89) break;  // level 1 ends at 55-89
            gb.push_back(static_cast<char>(0xa0 + row));
            gb.push_back(static_cast<char>(0xa0 + column));
        }
    }
    gchar* utf8 = g_convert(gb.data(), static_cast<gssize>(gb.size()), "UTF-8", "GB2312", nullptr,
                            nullptr, nullptr);
    std::string out = utf8 ? utf8 : "";
    g_free(utf8);
    return out;
}

TEST(ApplicationForm, PdfShowsEveryGlyphOfManyCharacters) {
    // About 1300 distinct characters, so font subsetting has plenty to get wrong.
    std::string ascii;
    for (char c = '!'; c <= '~'; ++c) ascii.push_back(c);
    ApplicationForm form = FilledForm();
    auto chunk = [](int row) { return CommonHanzi(row, 1).substr(0, 3 * 80); };
    form.org_name = chunk(16) + ascii;
    form.credential_number = chunk(18);
    form.id_card = chunk(20);
    form.email = chunk(22);
    form.contact_address = chunk(24);
    form.certificate_serial = chunk(26);
    form.legal_representative = chunk(28).substr(0, 3 * 24);
    form.credential_type_label = chunk(30).substr(0, 3 * 24);
    form.user_identifier = chunk(32).substr(0, 3 * 24);
    form.department = chunk(34).substr(0, 3 * 24);
    form.user_name = chunk(36).substr(0, 3 * 24);
    form.phone = chunk(38).substr(0, 3 * 24);
    form.org_phone = chunk(40).substr(0, 3 * 24);
    form.org_fax = chunk(42).substr(0, 3 * 24);
    ASSERT_EQ(form.email.size(), 3u * 80) << "GB 2312 conversion works";
    ExpectPdfMatchesDirectRendering(form);
}

TEST(ApplicationForm, LongValuesAreCutBetweenCharacters) {
    ApplicationForm form = FilledForm();
    form.org_name = std::string(1999, 'a') + "中文";  // byte 2000 is inside 中
    auto pdf = RenderApplicationFormPdf(form);
    ASSERT_TRUE(pdf) << pdf.error().internal;
    std::string text = PdfText(*pdf);
    EXPECT_TRUE(Contains(text, "aaaa")) << text;
    EXPECT_FALSE(Contains(text, "\xef\xbf\xbd")) << "no U+FFFD from a cut character";
}

TEST(ApplicationForm, OrderNumberTooLongForAQrCode) {
    ApplicationForm form = FilledForm();
    form.order_no = std::string(3000, '9');
    auto pdf = RenderApplicationFormPdf(form);
    ASSERT_FALSE(pdf);
    EXPECT_EQ(pdf.error().code, ErrorCode::kInvalidArgument);
}

TEST(Render, ConcurrentCalls) {
    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&failures] {
            for (int i = 0; i < 3; ++i) {
                if (!RenderApplicationFormPdf(FilledForm())) ++failures;
                if (!RenderCaptchaPng(RandomCaptchaText())) ++failures;
                if (!QrPng("GZCA202611240001")) ++failures;
            }
        });
    }
    for (std::thread& t : threads) t.join();
    EXPECT_EQ(failures.load(), 0);
}

}  // namespace
}  // namespace gzca::render
