#include "base/bytes.h"

#include "base/fd.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>

#include <fmt/format.h>

namespace gzca {

namespace {

constexpr char kHexDigits[] = "0123456789abcdef";
constexpr char kBase64Alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int HexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int Base64Value(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

}  // namespace

std::string HexEncode(ByteView data) {
    std::string out;
    out.reserve(data.size() * 2);
    for (auto b : data) {
        out.push_back(kHexDigits[b >> 4]);
        out.push_back(kHexDigits[b & 0xf]);
    }
    return out;
}

Result<Bytes> HexDecode(std::string_view hex) {
    Bytes out;
    int high = -1;
    for (char c : hex) {
        if (c == ':') {
            if (high >= 0) return Fail(ErrorCode::kInvalidArgument, "odd hex digit before ':'");
            continue;
        }
        int v = HexValue(c);
        if (v < 0) return Fail(ErrorCode::kInvalidArgument, "not a hex string");
        if (high < 0) {
            high = v;
        } else {
            out.push_back(static_cast<std::uint8_t>(high << 4 | v));
            high = -1;
        }
    }
    if (high >= 0) return Fail(ErrorCode::kInvalidArgument, "odd number of hex digits");
    return out;
}

std::string Base64Encode(ByteView data) {
    std::string out;
    out.reserve((data.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= data.size(); i += 3) {
        std::uint32_t v = data[i] << 16 | data[i + 1] << 8 | data[i + 2];
        out.push_back(kBase64Alphabet[v >> 18 & 63]);
        out.push_back(kBase64Alphabet[v >> 12 & 63]);
        out.push_back(kBase64Alphabet[v >> 6 & 63]);
        out.push_back(kBase64Alphabet[v & 63]);
    }
    std::size_t rest = data.size() - i;
    if (rest > 0) {
        std::uint32_t v = data[i] << 16 | (rest == 2 ? data[i + 1] << 8 : 0);
        out.push_back(kBase64Alphabet[v >> 18 & 63]);
        out.push_back(kBase64Alphabet[v >> 12 & 63]);
        out.push_back(rest == 2 ? kBase64Alphabet[v >> 6 & 63] : '=');
        out.push_back('=');
    }
    return out;
}

Result<Bytes> Base64Decode(std::string_view text) {
    Bytes out;
    std::uint32_t acc = 0;
    int bits = 0;
    int padding = 0;
    std::size_t symbols = 0;
    for (char c : text) {
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
        if (c == '=') {
            ++padding;
            ++symbols;
            continue;
        }
        if (padding > 0) return Fail(ErrorCode::kInvalidArgument, "base64 data after padding");
        int v = Base64Value(c);
        if (v < 0) return Fail(ErrorCode::kInvalidArgument, "not base64 text");
        ++symbols;
        acc = acc << 6 | static_cast<std::uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<std::uint8_t>(acc >> bits & 0xff));
        }
    }
    if (padding > 2 || (padding > 0 && symbols % 4 != 0) || symbols % 4 == 1) {
        return Fail(ErrorCode::kInvalidArgument, "bad base64 length or padding");
    }
    return out;
}

Result<Bytes> ReadFile(const std::filesystem::path& path, std::size_t max_size) {
    std::error_code ec;
    auto size = std::filesystem::file_size(path, ec);
    if (ec) {
        return Fail(ErrorCode::kNotFound,
                    fmt::format("cannot read {}: {}", path.string(), ec.message()),
                    fmt::format("cannot read file {}", path.filename().string()));
    }
    if (size > max_size) {
        return Fail(ErrorCode::kInvalidArgument,
                    fmt::format("{} is larger than {} bytes", path.string(), max_size));
    }
    std::ifstream in(path, std::ios::binary);
    Bytes out(size);
    if (!in.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(size))) {
        return Fail(ErrorCode::kUnavailable, fmt::format("short read of {}", path.string()),
                    "cannot read file");
    }
    return out;
}

Status WriteFileAtomic(const std::filesystem::path& path, ByteView data, unsigned mode) {
    auto dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
    auto tmp = path;
    tmp += fmt::format(".tmp{}", ::getpid());
    auto fail = [&](const char* what) {
        int e = errno;
        ::unlink(tmp.c_str());
        return Fail(ErrorCode::kUnavailable,
                    fmt::format("{} {}: {}", what, path.string(), std::strerror(e)),
                    fmt::format("cannot write {}", path.filename().string()));
    };
    {
        UniqueFd f{::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)};
        if (f.fd < 0) return fail("create");
        if (::fchmod(f.fd, mode) != 0) return fail("chmod");
        if (int e = WriteAll(f.fd, data.data(), data.size()); e != 0) {
            errno = e;
            return fail("write");
        }
        if (::fsync(f.fd) != 0) return fail("fsync");
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) return fail("rename");
    SyncDirectory(dir);
    return Ok();
}

bool ConstantTimeEqual(ByteView a, ByteView b) {
    if (a.size() != b.size()) return false;
    unsigned char diff = 0;
    for (std::size_t i = 0; i < a.size(); ++i) diff |= a[i] ^ b[i];
    return diff == 0;
}

}  // namespace gzca
