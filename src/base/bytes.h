#pragma once
// Byte buffers and their text encodings (hex, base64) plus small file helpers.
// Thread-safety: free functions over values.

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace gzca {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

inline ByteView AsBytes(std::string_view s) {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
inline std::string_view AsString(ByteView b) {
    return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// Lower-case hex, no separators.
std::string HexEncode(ByteView data);
// Accepts upper or lower case and optional ':' separators; fails on anything else.
Result<Bytes> HexDecode(std::string_view hex);

std::string Base64Encode(ByteView data);
// Standard alphabet; whitespace ignored; fails on bad characters or padding.
Result<Bytes> Base64Decode(std::string_view text);

// Whole-file read; kNotFound when absent, kInvalidArgument when larger than max_size.
Result<Bytes> ReadFile(const std::filesystem::path& path, std::size_t max_size = 64 << 20);

// Writes atomically and durably: temp file in the same directory, fsync, rename, fsync dir.
// `mode` is applied to the new file before rename (0600 for secrets).
Status WriteFileAtomic(const std::filesystem::path& path, ByteView data, unsigned mode = 0644);

// Compares in time independent of content (for MACs, tokens).
bool ConstantTimeEqual(ByteView a, ByteView b);

}  // namespace gzca
