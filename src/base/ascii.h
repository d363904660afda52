#pragma once
// ASCII-only text helpers for protocol tokens (header names, attribute and reason names), where
// locale-dependent <cctype> behaviour would be wrong.

#include <cstddef>
#include <string_view>

namespace gzca {

constexpr char AsciiLower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// Case-insensitive comparison of ASCII letters; other bytes must match exactly.
constexpr bool AsciiEqualsIgnoreCase(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (AsciiLower(a[i]) != AsciiLower(b[i])) return false;
    }
    return true;
}

}  // namespace gzca
