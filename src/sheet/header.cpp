// MapHeader: finding the columns of an upload by their header texts.

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "base/ascii.h"
#include "sheet/table.h"

namespace gzca::sheet {
namespace {

constexpr std::string_view kIdeographicSpace = "\xE3\x80\x80";   // U+3000
constexpr std::string_view kFullwidthAsterisk = "\xEF\xBC\x8A";  // U+FF0A '＊'

std::string_view TrimSpaces(std::string_view s) {
    for (;;) {
        if (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
            s.remove_prefix(1);
        } else if (s.starts_with(kIdeographicSpace)) {
            s.remove_prefix(kIdeographicSpace.size());
        } else {
            break;
        }
    }
    for (;;) {
        if (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
            s.remove_suffix(1);
        } else if (s.ends_with(kIdeographicSpace)) {
            s.remove_suffix(kIdeographicSpace.size());
        } else {
            break;
        }
    }
    return s;
}

// "  手机号 * " → "手机号"; "Phone*" → "phone".
std::string NormalizeHeader(std::string_view text) {
    text = TrimSpaces(text);
    if (text.ends_with('*')) {
        text.remove_suffix(1);
    } else if (text.ends_with(kFullwidthAsterisk)) {
        text.remove_suffix(kFullwidthAsterisk.size());
    }
    text = TrimSpaces(text);
    std::string out(text);
    for (char& c : out) c = AsciiLower(c);
    return out;
}

}  // namespace

Result<std::map<std::string, std::size_t>> MapHeader(const std::vector<std::string>& header_row,
                                                     const std::vector<FieldSpec>& fields) {
    std::vector<std::string> columns;
    columns.reserve(header_row.size());
    for (const auto& cell : header_row) columns.push_back(NormalizeHeader(cell));

    std::map<std::string, std::size_t> mapping;
    std::vector<std::string> missing_public;
    std::vector<std::string> missing_internal;
    for (const auto& spec : fields) {
        std::vector<std::string> wanted;
        for (const auto& h : spec.headers) wanted.push_back(NormalizeHeader(h));
        bool found = false;
        for (std::size_t i = 0; i < columns.size() && !found; ++i) {
            for (const auto& w : wanted) {
                if (!w.empty() && columns[i] == w) {
                    mapping.emplace(spec.field, i);
                    found = true;
                    break;
                }
            }
        }
        if (found || !spec.required) continue;
        missing_internal.push_back(spec.field);
        if (spec.headers.empty()) {
            missing_public.push_back(spec.field);
        } else if (spec.headers.size() == 1) {
            missing_public.push_back(fmt::format("“{}”", spec.headers[0]));
        } else {
            std::vector<std::string> others(spec.headers.begin() + 1, spec.headers.end());
            missing_public.push_back(
                fmt::format("“{}”（也可写作：{}）", spec.headers[0], fmt::join(others, "、")));
        }
    }
    if (!missing_internal.empty()) {
        return Fail(
            ErrorCode::kInvalidArgument,
            fmt::format("header lacks required fields: {}", fmt::join(missing_internal, ", ")),
            fmt::format("表头缺少必填列：{}", fmt::join(missing_public, "；")));
    }
    return mapping;
}

}  // namespace gzca::sheet
