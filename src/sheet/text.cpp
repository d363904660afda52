// Text decoding for CSV uploads: strict UTF-8 validation and GB18030 → UTF-8 through glibc iconv.

#include <cerrno>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include <iconv.h>

#include "sheet/internal.h"

namespace gzca::sheet::internal {
namespace {

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

// Control characters never appear in a spreadsheet export; their presence means binary data.
bool HasForbiddenControl(std::string_view text) {
    for (char ch : text) {
        auto c = static_cast<unsigned char>(ch);
        if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F) return true;
    }
    return false;
}

struct IconvCloser {
    void operator()(std::remove_pointer_t<iconv_t>* cd) const { iconv_close(cd); }
};
using IconvPtr = std::unique_ptr<std::remove_pointer_t<iconv_t>, IconvCloser>;

// GB18030 (which contains GBK and GB2312) to UTF-8; nullopt on an invalid or truncated sequence.
std::optional<std::string> Gb18030ToUtf8(std::string_view in) {
    iconv_t raw = iconv_open("UTF-8", "GB18030");
    if (raw == reinterpret_cast<iconv_t>(-1)) return std::nullopt;  // no gconv module
    IconvPtr cd(raw);
    // A GB18030 sequence of n bytes becomes at most ceil(1.5 n) UTF-8 bytes.
    std::string out(in.size() + in.size() / 2 + 16, '\0');
    // iconv's interface takes non-const input; it does not write through it.
    char* in_ptr = const_cast<char*>(in.data());
    std::size_t in_left = in.size();
    std::size_t used = 0;
    for (;;) {
        char* out_ptr = out.data() + used;
        std::size_t out_left = out.size() - used;
        std::size_t rc = in_left == 0 ? iconv(cd.get(), nullptr, nullptr, &out_ptr, &out_left)
                                      : iconv(cd.get(), &in_ptr, &in_left, &out_ptr, &out_left);
        used = static_cast<std::size_t>(out_ptr - out.data());
        if (rc != static_cast<std::size_t>(-1)) {
            if (in_left == 0) break;
            continue;
        }
        if (errno != E2BIG) return std::nullopt;  // EILSEQ or EINVAL (truncated at the end)
        out.resize(out.size() * 2);
    }
    out.resize(used);
    return out;
}

}  // namespace

bool IsValidUtf8(std::string_view text) {
    std::size_t i = 0;
    const std::size_t n = text.size();
    while (i < n) {
        auto c = static_cast<unsigned char>(text[i]);
        if (c < 0x80) {
            ++i;
            continue;
        }
        std::size_t len;
        std::uint32_t cp;
        if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            cp = c & 0x07;
        } else {
            return false;  // continuation byte, overlong lead (C0, C1) or F5..FF
        }
        if (n - i < len) return false;
        for (std::size_t k = 1; k < len; ++k) {
            auto cc = static_cast<unsigned char>(text[i + k]);
            if ((cc & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (cc & 0x3F);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000)) return false;  // overlong
        if (cp >= 0xD800 && cp <= 0xDFFF) return false;                            // surrogate
        if (cp > 0x10FFFF) return false;
        i += len;
    }
    return true;
}

std::optional<std::string> DecodeText(ByteView data) {
    std::string_view raw = AsString(data);
    std::optional<std::string> text;
    if (IsValidUtf8(raw)) {
        text.emplace(raw);
    } else {
        text = Gb18030ToUtf8(raw);
        // glibc's output is UTF-8; checked anyway since everything downstream relies on it.
        if (!text || !IsValidUtf8(*text)) return std::nullopt;
    }
    // UTF-8 BOM, or GB18030's 84 31 95 33 after conversion.
    if (text->starts_with(kUtf8Bom)) text->erase(0, kUtf8Bom.size());
    if (HasForbiddenControl(*text)) return std::nullopt;
    return text;
}

}  // namespace gzca::sheet::internal
