#include "ra/pii.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "base/fd.h"
#include "crypto/ossl.h"
#include "crypto/signer.h"

namespace gzca::ra {

namespace {

constexpr std::uint8_t kVersion = 0x01;
constexpr std::size_t kNonceSize = 12;
constexpr std::size_t kTagSize = 16;

tl::unexpected<Error> IoError(std::string_view what, const std::filesystem::path& path, int err) {
    return Fail(ErrorCode::kUnavailable,
                fmt::format("PII key file {} {}: {}", what, path.string(), std::strerror(err)),
                "无法读取或写入数据加密密钥文件");
}

// Reads the whole file; ENOENT is reported as kNotFound so the caller can create it.
Result<Bytes> ReadKeyFile(const std::filesystem::path& path) {
    UniqueFd f{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
    if (f.fd < 0) {
        if (errno == ENOENT) return Fail(ErrorCode::kNotFound, "PII key file absent");
        return IoError("open", path, errno);
    }
    Bytes out;
    std::uint8_t buf[256];
    while (true) {
        auto n = ::read(f.fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            return IoError("read", path, errno);
        }
        if (n == 0) break;
        out.insert(out.end(), buf, buf + n);
        if (out.size() > PiiVault::kKeyFileSize) break;  // wrong size either way
    }
    return out;
}

// Writes `data` to a fresh temporary file next to `path` and hard-links it to `path`.
// Returns false (and no error) when `path` appeared meanwhile (another process won).
Result<bool> CreateExclusive(const std::filesystem::path& path, ByteView data) {
    const auto dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
    auto tmp = path;
    tmp += fmt::format(".tmp-{}-{}", ::getpid(), HexEncode(crypto::RandomBytes(6)));
    {
        UniqueFd f{::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)};
        if (f.fd < 0) return IoError("create", tmp, errno);
        if (::fchmod(f.fd, 0600) != 0) {
            int e = errno;
            ::unlink(tmp.c_str());
            return IoError("chmod", tmp, e);
        }
        if (int e = WriteAll(f.fd, data.data(), data.size()); e != 0) {
            ::unlink(tmp.c_str());
            return IoError("write", tmp, e);
        }
        if (::fsync(f.fd) != 0) {
            int e = errno;
            ::unlink(tmp.c_str());
            return IoError("fsync", tmp, e);
        }
    }
    // link() fails with EEXIST instead of replacing, unlike rename(): first writer wins.
    const int rc = ::link(tmp.c_str(), path.c_str());
    const int e = errno;
    ::unlink(tmp.c_str());
    if (rc != 0) {
        if (e == EEXIST) return false;
        return IoError("link", path, e);
    }
    SyncDirectory(dir);
    return true;
}

}  // namespace

PiiVault::~PiiVault() {
    OPENSSL_cleanse(enc_key_.data(), enc_key_.size());
    OPENSSL_cleanse(index_key_.data(), index_key_.size());
}

PiiVault PiiVault::FromKeyMaterial(ByteView key64) {
    if (key64.size() != kKeyFileSize) {
        throw std::invalid_argument("PiiVault key material must be 64 bytes");
    }
    PiiVault v;
    std::memcpy(v.enc_key_.data(), key64.data(), 32);
    std::memcpy(v.index_key_.data(), key64.data() + 32, 32);
    return v;
}

Result<PiiVault> PiiVault::LoadOrCreate(const std::filesystem::path& key_file) {
    for (int attempt = 0; attempt < 2; ++attempt) {
        auto read = ReadKeyFile(key_file);
        if (read) {
            Bytes key = std::move(*read);
            if (key.size() != kKeyFileSize) {
                OPENSSL_cleanse(key.data(), key.size());
                return Fail(ErrorCode::kInvalidArgument,
                            fmt::format("PII key file {} must hold exactly {} bytes",
                                        key_file.string(), kKeyFileSize),
                            "数据加密密钥文件长度不正确");
            }
            PiiVault v = FromKeyMaterial(key);
            OPENSSL_cleanse(key.data(), key.size());
            return v;
        }
        if (read.error().code != ErrorCode::kNotFound) return Fail(std::move(read).error());

        if (key_file.has_parent_path()) {
            std::error_code ec;
            std::filesystem::create_directories(key_file.parent_path(), ec);
            if (ec) return IoError("mkdir for", key_file, ec.value());
        }
        Bytes key = crypto::RandomBytes(kKeyFileSize);
        auto created = CreateExclusive(key_file, key);
        if (!created) {
            OPENSSL_cleanse(key.data(), key.size());
            return Fail(std::move(created).error());
        }
        if (*created) {
            PiiVault v = FromKeyMaterial(key);
            OPENSSL_cleanse(key.data(), key.size());
            return v;
        }
        OPENSSL_cleanse(key.data(), key.size());
        // Another process created it first: read theirs.
    }
    return Fail(ErrorCode::kUnavailable,
                fmt::format("PII key file {} keeps disappearing", key_file.string()),
                "无法读取或写入数据加密密钥文件");
}

Bytes PiiVault::Seal(std::string_view plaintext, std::string_view context) const {
    Bytes out;
    out.reserve(1 + kNonceSize + plaintext.size() + kTagSize);
    out.push_back(kVersion);
    Bytes nonce = crypto::RandomBytes(kNonceSize);
    out.insert(out.end(), nonce.begin(), nonce.end());

    crypto::CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
    auto broken = [] {
        ERR_clear_error();
        throw std::runtime_error("AES-256-GCM encryption failed");
    };
    if (!ctx) broken();
    int len = 0;
    if (EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceSize, nullptr) != 1 ||
        EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, enc_key_.data(), nonce.data()) != 1 ||
        EVP_EncryptUpdate(ctx.get(), nullptr, &len,
                          reinterpret_cast<const unsigned char*>(context.data()),
                          static_cast<int>(context.size())) != 1) {
        broken();
    }
    const std::size_t ct_offset = out.size();
    out.resize(ct_offset + plaintext.size() + kTagSize);
    if (EVP_EncryptUpdate(ctx.get(), out.data() + ct_offset, &len,
                          reinterpret_cast<const unsigned char*>(plaintext.data()),
                          static_cast<int>(plaintext.size())) != 1) {
        broken();
    }
    int final_len = 0;
    if (EVP_EncryptFinal_ex(ctx.get(), out.data() + ct_offset + len, &final_len) != 1) broken();
    const std::size_t tag_offset = ct_offset + static_cast<std::size_t>(len + final_len);
    if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagSize, out.data() + tag_offset) !=
        1) {
        broken();
    }
    out.resize(tag_offset + kTagSize);
    return out;
}

Result<std::string> PiiVault::Open(ByteView sealed, std::string_view context) const {
    auto fail = [&](std::string why) {
        ERR_clear_error();
        return Fail(ErrorCode::kInternal,
                    fmt::format("cannot open sealed data ({}): {}", context, why), "数据解密失败");
    };
    if (sealed.size() < 1 + kNonceSize + kTagSize) return fail("too short");
    if (sealed[0] != kVersion) return fail(fmt::format("unknown version {}", sealed[0]));
    const std::uint8_t* nonce = sealed.data() + 1;
    const std::size_t ct_len = sealed.size() - 1 - kNonceSize - kTagSize;
    const std::uint8_t* ct = nonce + kNonceSize;
    Bytes tag(ct + ct_len, ct + ct_len + kTagSize);

    crypto::CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
    if (!ctx) return fail("no cipher context");
    std::string plain(ct_len, '\0');
    int len = 0;
    int final_len = 0;
    bool ok = EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
              EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceSize, nullptr) == 1 &&
              EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, enc_key_.data(), nonce) == 1 &&
              EVP_DecryptUpdate(ctx.get(), nullptr, &len,
                                reinterpret_cast<const unsigned char*>(context.data()),
                                static_cast<int>(context.size())) == 1 &&
              EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()), &len, ct,
                                static_cast<int>(ct_len)) == 1 &&
              EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagSize, tag.data()) == 1 &&
              EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()) + len,
                                  &final_len) == 1;
    if (!ok) {
        OPENSSL_cleanse(plain.data(), plain.size());
        return fail("authentication failed");
    }
    return plain;
}

std::string PiiVault::BlindIndex(std::string_view value, std::string_view context) const {
    std::string message;
    message.reserve(context.size() + 1 + value.size());
    message.append(context);
    message.push_back('\0');
    message.append(value);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    if (!HMAC(EVP_sha256(), index_key_.data(), static_cast<int>(index_key_.size()),
              reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac,
              &mac_len)) {
        ERR_clear_error();
        throw std::runtime_error("HMAC-SHA256 failed");
    }
    return HexEncode(ByteView(mac, mac_len));
}

}  // namespace gzca::ra
