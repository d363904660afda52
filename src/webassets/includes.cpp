// Include directives in pages (see includes.h).
#include "webassets/includes.h"

#include <sstream>

#include <fstream>

#include <algorithm>
#include <cstddef>
#include <map>
#include <set>
#include <utility>

namespace gzca::webassets {

namespace {

constexpr std::string_view kOpen = "<!--#";
constexpr std::string_view kInclude = "<!--#include";
constexpr std::string_view kClose = "-->";
constexpr int kMaxDepth = 4;

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

bool IsAlnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool IsNameChar(char c) { return IsAlnum(c) || c == '.' || c == '_' || c == '-'; }

bool IsKeyChar(char c) { return IsAlnum(c) || c == '_' || c == '-'; }

void SkipSpace(std::string_view& s) {
    while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
}

std::string_view TakeWhile(std::string_view& s, bool (*pred)(char)) {
    std::size_t n = 0;
    while (n < s.size() && pred(s[n])) ++n;
    auto taken = s.substr(0, n);
    s.remove_prefix(n);
    return taken;
}

struct Directive {
    std::string name;
    std::map<std::string, std::string, std::less<>> params;
};

// Parses the inside of "<!--#include … -->" (between "include" and "-->"). Returns an error
// message, or empty on success.
std::string ParseDirective(std::string_view body, Directive& out) {
    if (body.empty() || !IsSpace(body.front())) return "expected a space after <!--#include";
    SkipSpace(body);
    out.name = std::string(TakeWhile(body, IsNameChar));
    if (out.name.empty()) return "missing partial name";
    if (out.name.front() == '.') return "bad partial name \"" + out.name + "\"";
    while (true) {
        const bool spaced = !body.empty() && IsSpace(body.front());
        SkipSpace(body);
        if (body.empty()) return {};
        if (!spaced) return "expected a space before \"" + std::string(body.substr(0, 10)) + "\"";
        auto key = std::string(TakeWhile(body, IsKeyChar));
        if (key.empty())
            return "expected key=\"value\", got \"" + std::string(body.substr(0, 10)) + "\"";
        if (!body.starts_with("=\"")) return "expected =\"…\" after " + key;
        body.remove_prefix(2);
        auto quote = body.find('"');
        if (quote == std::string_view::npos) return "unterminated value for " + key;
        if (!out.params.emplace(key, std::string(body.substr(0, quote))).second) {
            return key + " given twice";
        }
        body.remove_prefix(quote + 1);
    }
}

// Replaces each {{key}} in `partial`. Returns an error message, or empty on success.
std::string Substitute(std::string_view partial, const Directive& d, std::string& out) {
    std::set<std::string_view> used;
    while (true) {
        auto open = partial.find("{{");
        if (open == std::string_view::npos) break;
        out.append(partial.substr(0, open));
        partial.remove_prefix(open + 2);
        auto close = partial.find("}}");
        if (close == std::string_view::npos) return d.name + ": \"{{\" without \"}}\"";
        auto key = partial.substr(0, close);
        auto it = d.params.find(key);
        if (it == d.params.end()) {
            return d.name + " needs " + std::string(key) + "=\"…\"";
        }
        used.insert(it->first);
        out.append(it->second);
        partial.remove_prefix(close + 2);
    }
    out.append(partial);
    for (const auto& [key, value] : d.params) {
        if (!used.count(key)) return d.name + " has no {{" + key + "}}";
    }
    return {};
}

// Appends `page` to `out` with its directives expanded, partials' own directives included, up
// to kMaxDepth levels. Returns an error message ("NAME:LINE: …"), or empty on success.
std::string Expand(std::string_view page, std::string_view page_name, const PartialLoader& load,
                   int depth, std::string& out) {
    std::size_t pos = 0;
    auto fail = [&](std::size_t at, const std::string& what) {
        auto line = 1 + std::count(page.begin(), page.begin() + at, '\n');
        return std::string(page_name) + ":" + std::to_string(line) + ": " + what;
    };
    while (true) {
        auto start = page.find(kOpen, pos);
        if (start == std::string_view::npos) break;
        out.append(page.substr(pos, start - pos));
        auto rest = page.substr(start);
        if (!rest.starts_with(kInclude)) {
            return fail(start, "unknown directive (only <!--#include NAME key=\"value\" -->)");
        }
        auto end = rest.find(kClose);
        if (end == std::string_view::npos) return fail(start, "include directive without -->");
        Directive d;
        if (auto error = ParseDirective(rest.substr(kInclude.size(), end - kInclude.size()), d);
            !error.empty()) {
            return fail(start, "malformed include directive: " + error);
        }
        if (depth >= kMaxDepth) {
            return fail(start, "includes nested deeper than " + std::to_string(kMaxDepth) +
                                   " levels (a partial including itself?)");
        }
        auto partial = load(d.name);
        if (!partial) return fail(start, "no partial " + d.name + " in web/partials/");
        std::string_view text = *partial;
        if (text.ends_with('\n')) text.remove_suffix(1);
        std::string substituted;
        if (auto error = Substitute(text, d, substituted); !error.empty()) {
            return fail(start, error);
        }
        std::string expanded;
        if (auto error = Expand(substituted, d.name, load, depth + 1, expanded); !error.empty()) {
            return fail(start, error);
        }
        // A directive indented by whitespace alone indents every line of the partial alike.
        auto line_start = page.rfind('\n', start);
        line_start = line_start == std::string_view::npos ? 0 : line_start + 1;
        auto indent = page.substr(line_start, start - line_start);
        if (!indent.empty() && indent.find_first_not_of(" \t") == std::string_view::npos) {
            for (std::size_t i = 0; i < expanded.size(); ++i) {
                out += expanded[i];
                if (expanded[i] == '\n' && i + 1 < expanded.size() && expanded[i + 1] != '\n') {
                    out.append(indent);
                }
            }
        } else {
            out.append(expanded);
        }
        pos = start + end + kClose.size();
    }
    out.append(page.substr(pos));
    return {};
}

}  // namespace

bool HasIncludes(std::string_view path) {
    return path.starts_with("/pages/") && path.ends_with(".html");
}

Expansion ExpandIncludes(std::string_view page, std::string_view page_name,
                         const PartialLoader& load) {
    Expansion result;
    std::string out;
    out.reserve(page.size() * 2);
    result.error = Expand(page, page_name, load, 0, out);
    if (result.ok()) result.text = std::move(out);
    return result;
}

std::optional<std::string> ReadRegularFile(const std::filesystem::path& file) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(file, ec)) return std::nullopt;
    std::ifstream in(file, std::ios::binary);
    std::ostringstream content;
    content << in.rdbuf();
    if (!in) return std::nullopt;
    return content.str();
}

}  // namespace gzca::webassets
