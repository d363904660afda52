#include "ra/materials.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>
#include <openssl/evp.h>

#include "base/fd.h"
#include "crypto/ossl.h"
#include "crypto/signer.h"

namespace gzca::ra {

namespace {

constexpr const char* kUnsupported = "文件类型不支持，请上传 PDF、JPG 或 PNG";
constexpr const char* kTooLarge = "文件大小不能超过10MB";
constexpr const char* kEmpty = "文件为空";

tl::unexpected<Error> IoError(std::string_view what, const std::filesystem::path& path, int err) {
    return Fail(ErrorCode::kUnavailable,
                fmt::format("material store: {} {}: {}", what, path.string(), std::strerror(err)),
                "文件保存失败，请稍后重试");
}

// mkdir with mode 0700; an existing directory is fine.
Status MakePrivateDir(const std::filesystem::path& dir) {
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return IoError("mkdir", dir, errno);
    return Ok();
}

Status EnsureBase(const std::filesystem::path& dir) {
    if (dir.has_parent_path()) {
        std::error_code ec;
        std::filesystem::create_directories(dir.parent_path(), ec);
        if (ec) return IoError("mkdir", dir.parent_path(), ec.value());
    }
    GZCA_TRY_STATUS(MakePrivateDir(dir));
    return MakePrivateDir(dir / "tmp");
}

bool IsLowerHex64(std::string_view s) {
    if (s.size() != 64) return false;
    for (char c : s) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    }
    return true;
}

Status WriteNewFile(const std::filesystem::path& path, ByteView data) {
    UniqueFd f{::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)};
    if (f.fd < 0) return IoError("create", path, errno);
    if (int e = WriteAll(f.fd, data.data(), data.size()); e != 0) {
        ::unlink(path.c_str());
        return IoError("write", path, e);
    }
    return Ok();
}

}  // namespace

std::string_view MaterialKindName(MaterialKind k) {
    switch (k) {
        case MaterialKind::kApplicationForm:
            return "application_form";
        case MaterialKind::kBusinessLicence:
            return "business_licence";
        case MaterialKind::kIdCopy:
            return "id_copy";
        case MaterialKind::kPaymentVoucher:
            return "payment_voucher";
    }
    return "application_form";
}

std::string_view MaterialKindLabel(MaterialKind k) {
    switch (k) {
        case MaterialKind::kApplicationForm:
            return "业务申请单";
        case MaterialKind::kBusinessLicence:
            return "有效营业执照";
        case MaterialKind::kIdCopy:
            return "联系人身份证复印件";
        case MaterialKind::kPaymentVoucher:
            return "支付凭证";
    }
    return "业务申请单";
}

Result<MaterialKind> ParseMaterialKind(std::string_view name) {
    for (auto k : {MaterialKind::kApplicationForm, MaterialKind::kBusinessLicence,
                   MaterialKind::kIdCopy, MaterialKind::kPaymentVoucher}) {
        if (name == MaterialKindName(k)) return k;
    }
    return Fail(ErrorCode::kInvalidArgument, fmt::format("unknown material kind '{}'", name),
                "材料类型无效");
}

bool IsRequiredMaterial(MaterialKind k) { return k != MaterialKind::kPaymentVoucher; }

std::optional<std::string> SniffMediaType(ByteView head) {
    auto starts = [&](std::initializer_list<std::uint8_t> sig) {
        if (head.size() < sig.size()) return false;
        return std::equal(sig.begin(), sig.end(), head.begin());
    };
    if (starts({'%', 'P', 'D', 'F', '-'})) return "application/pdf";
    if (starts({0xFF, 0xD8, 0xFF})) return "image/jpeg";
    if (starts({0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A})) return "image/png";
    return std::nullopt;
}

MaterialStore::MaterialStore(std::filesystem::path dir) : dir_(std::move(dir)) {}

std::filesystem::path MaterialStore::TempPath() const {
    auto made = EnsureBase(dir_);
    if (!made) {
        throw std::filesystem::filesystem_error(made.error().internal, dir_ / "tmp",
                                                std::make_error_code(std::errc::io_error));
    }
    return dir_ / "tmp" / fmt::format("upload-{}.part", HexEncode(crypto::RandomBytes(16)));
}

Result<StoredBlob> MaterialStore::AdoptTempFile(const std::filesystem::path& temp_file) {
    GZCA_TRY_STATUS(EnsureBase(dir_));
    std::filesystem::path file = temp_file;
    // Removes whatever file we hold on every failure path below.
    struct Remover {
        std::filesystem::path* path;
        bool armed = true;
        ~Remover() {
            if (armed) ::unlink(path->c_str());
        }
    } remover{&file};

    // A file outside <dir>/tmp may sit on another file system: copy it in first, so the final
    // rename is atomic.
    std::error_code ec;
    const auto tmp_dir = std::filesystem::weakly_canonical(dir_ / "tmp", ec);
    const auto parent = std::filesystem::weakly_canonical(file.parent_path(), ec);
    if (parent != tmp_dir) {
        if (!std::filesystem::exists(file, ec)) {
            remover.armed = false;
            return Fail(ErrorCode::kNotFound,
                        fmt::format("material store: no file {}", temp_file.string()),
                        "上传文件不存在");
        }
        const auto copy = TempPath();
        std::filesystem::copy_file(file, copy, ec);
        if (ec) return IoError("copy", file, ec.value());
        ::unlink(file.c_str());
        file = copy;
    }

    UniqueFd f{::open(file.c_str(), O_RDONLY | O_CLOEXEC)};
    if (f.fd < 0) {
        if (errno == ENOENT) {
            remover.armed = false;
            return Fail(ErrorCode::kNotFound,
                        fmt::format("material store: no file {}", file.string()), "上传文件不存在");
        }
        return IoError("open", file, errno);
    }
    struct stat st {};
    if (::fstat(f.fd, &st) != 0) return IoError("stat", file, errno);
    if (!S_ISREG(st.st_mode)) {
        return Fail(ErrorCode::kInvalidArgument, "material store: not a regular file",
                    kUnsupported);
    }
    if (st.st_size == 0) return Fail(ErrorCode::kInvalidArgument, "empty upload", kEmpty);
    if (st.st_size > kMaxMaterialBytes) {
        return Fail(ErrorCode::kResourceExhausted,
                    fmt::format("upload of {} bytes exceeds {}", st.st_size, kMaxMaterialBytes),
                    kTooLarge);
    }

    crypto::MdCtxPtr md(EVP_MD_CTX_new());
    if (!md || EVP_DigestInit_ex(md.get(), EVP_sha256(), nullptr) != 1) {
        return Fail(crypto::OpenSslError("SHA-256 init"));
    }
    Bytes head;
    std::int64_t total = 0;
    std::vector<std::uint8_t> buf(64 * 1024);
    while (true) {
        auto n = ::read(f.fd, buf.data(), buf.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return IoError("read", file, errno);
        }
        if (n == 0) break;
        total += n;
        if (total > kMaxMaterialBytes) {
            return Fail(ErrorCode::kResourceExhausted, "upload grew past the limit", kTooLarge);
        }
        if (head.size() < 16) {
            head.insert(
                head.end(), buf.begin(),
                buf.begin() + std::min<std::size_t>(static_cast<std::size_t>(n), 16 - head.size()));
        }
        if (EVP_DigestUpdate(md.get(), buf.data(), static_cast<std::size_t>(n)) != 1) {
            return Fail(crypto::OpenSslError("SHA-256 update"));
        }
    }
    if (total == 0) return Fail(ErrorCode::kInvalidArgument, "empty upload", kEmpty);
    auto media_type = SniffMediaType(head);
    if (!media_type) {
        return Fail(ErrorCode::kInvalidArgument, "upload is not PDF, JPEG or PNG", kUnsupported);
    }
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_len = 0;
    if (EVP_DigestFinal_ex(md.get(), digest, &digest_len) != 1) {
        return Fail(crypto::OpenSslError("SHA-256 final"));
    }
    StoredBlob blob{HexEncode(ByteView(digest, digest_len)), total, *media_type};

    if (::fchmod(f.fd, 0600) != 0) return IoError("chmod", file, errno);
    if (::fsync(f.fd) != 0) return IoError("fsync", file, errno);

    const auto shard = dir_ / blob.sha256.substr(0, 2);
    GZCA_TRY_STATUS(MakePrivateDir(shard));
    const auto target = shard / blob.sha256;
    if (std::filesystem::exists(target, ec)) return blob;  // stored already: drop ours
    if (::rename(file.c_str(), target.c_str()) != 0) return IoError("rename", target, errno);
    remover.armed = false;
    SyncDirectory(shard);
    SyncDirectory(dir_);
    return blob;
}

Result<StoredBlob> MaterialStore::PutBytes(ByteView data) {
    if (data.empty()) return Fail(ErrorCode::kInvalidArgument, "empty upload", kEmpty);
    if (static_cast<std::int64_t>(data.size()) > kMaxMaterialBytes) {
        return Fail(ErrorCode::kResourceExhausted,
                    fmt::format("upload of {} bytes exceeds {}", data.size(), kMaxMaterialBytes),
                    kTooLarge);
    }
    if (!SniffMediaType(data)) {
        return Fail(ErrorCode::kInvalidArgument, "upload is not PDF, JPEG or PNG", kUnsupported);
    }
    std::filesystem::path tmp;
    try {
        tmp = TempPath();
    } catch (const std::filesystem::filesystem_error& e) {
        return Fail(ErrorCode::kUnavailable, e.what(), "文件保存失败，请稍后重试");
    }
    GZCA_TRY_STATUS(WriteNewFile(tmp, data));
    return AdoptTempFile(tmp);
}

Result<std::filesystem::path> MaterialStore::PathOf(std::string_view sha256) const {
    if (!IsLowerHex64(sha256)) {
        return Fail(ErrorCode::kInvalidArgument, "material id is not 64 lower-case hex",
                    "文件标识无效");
    }
    auto path = dir_ / std::string(sha256.substr(0, 2)) / std::string(sha256);
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) {
        return Fail(ErrorCode::kNotFound, fmt::format("no material {}", sha256), "文件不存在");
    }
    return path;
}

}  // namespace gzca::ra
