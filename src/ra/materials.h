#pragma once
// Uploaded material (申请材料): the kinds an order needs, media-type sniffing by content, and
// MaterialStore, the content-addressed file store that holds the bytes outside any web root
// (DESIGN.md §4 Material, §7 "wrong media types, path tricks").
//
// Layout under the store's directory (created 0700):
//   <dir>/<sha256[0:2]>/<sha256>   one file per distinct content, mode 0600
//   <dir>/tmp/                     uploads being written; adopted files are renamed out of it
// A file is written to tmp/, fsync'ed, renamed into place and its directory fsync'ed: a crash
// leaves either no file or the whole file under its hash, never a partial one under a hash
// name. Identical content is stored once. Nothing is ever deleted here (orders keep pointing at
// their files; garbage collection of unreferenced blobs would be a separate job).
//
// Thread-safety: MaterialStore is immutable after construction; all methods may be called from
// several threads (and processes) at once — concurrent adoption of the same content ends with
// one file.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/error.h"

namespace gzca::ra {

enum class MaterialKind { kApplicationForm, kBusinessLicence, kIdCopy, kPaymentVoucher };
// "application_form", "business_licence", "id_copy", "payment_voucher".
std::string_view MaterialKindName(MaterialKind k);
// 业务申请单, 有效营业执照, 联系人身份证复印件, 支付凭证.
std::string_view MaterialKindLabel(MaterialKind k);
// kInvalidArgument "材料类型无效" for anything but the names above.
Result<MaterialKind> ParseMaterialKind(std::string_view name);
// Whether every order needs it before submission (all but the payment voucher, which only
// offline payment needs).
bool IsRequiredMaterial(MaterialKind k);

inline constexpr std::int64_t kMaxMaterialBytes = 10 * 1024 * 1024;

// Media type judged by the first bytes, never by the file name or a client's Content-Type:
// "%PDF-" → application/pdf (ISO 32000-1 §7.5.2), FF D8 FF → image/jpeg (JPEG SOI + marker),
// 89 50 4E 47 0D 0A 1A 0A → image/png (PNG signature, ISO/IEC 15948). std::nullopt otherwise.
std::optional<std::string> SniffMediaType(ByteView head);

struct StoredBlob {
    std::string sha256;  // 64 lower-case hex characters
    std::int64_t size = 0;
    std::string media_type;
};

class MaterialStore {
  public:
    // Does not touch the disk until first use.
    explicit MaterialStore(std::filesystem::path dir);

    // Takes ownership of a file the caller has written (the HTTP layer streams an upload to
    // TempPath()): hashes it in chunks, sniffs its type, fsyncs it and renames it into place
    // (or drops it when that content is already stored). A file outside <dir>/tmp is copied
    // there first. The file is gone afterwards on success and on every failure.
    // Errors: kInvalidArgument "文件为空" for an empty file; kResourceExhausted
    // "文件大小不能超过10MB" over kMaxMaterialBytes; kInvalidArgument
    // "文件类型不支持，请上传 PDF、JPG 或 PNG" for other content (the HTTP layer answers 415);
    // kNotFound when the file does not exist; kUnavailable on I/O errors.
    Result<StoredBlob> AdoptTempFile(const std::filesystem::path& temp_file);

    // The same rules for bytes in memory (tests, small inputs).
    Result<StoredBlob> PutBytes(ByteView data);

    // A fresh, unused path inside <dir>/tmp (the directory is created; the file is not).
    // Throws std::filesystem::filesystem_error when the directory cannot be created.
    std::filesystem::path TempPath() const;

    // Where the content with this hash is stored. kInvalidArgument "文件标识无效" for anything
    // but 64 lower-case hex characters (so no path can be smuggled in); kNotFound "文件不存在"
    // when no such content is stored.
    Result<std::filesystem::path> PathOf(std::string_view sha256) const;

    const std::filesystem::path& dir() const { return dir_; }

  private:
    std::filesystem::path dir_;
};

}  // namespace gzca::ra
