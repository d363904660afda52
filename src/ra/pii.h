#pragma once
// PiiVault: encryption at rest of personal data (ID-card numbers, phone numbers, order form
// snapshots) and blind indexes to find rows by such values without storing them (DESIGN.md §7).
//
// Sealing is AES-256-GCM (NIST SP 800-38D) through OpenSSL EVP with a fresh random 96-bit nonce
// per call; the associated data is the caller's `context` (the column, e.g.
// "subscribers.id_card"), so a ciphertext moved to another column does not open. Sealed format:
//   version (1 byte, 0x01) || nonce (12 bytes) || ciphertext || tag (16 bytes)
// The blind index is HMAC-SHA256 (RFC 2104) under a second, independent key over
// context || 0x00 || value, lower-case hex: equal values in one context give equal indexes,
// nothing else can be learnt without the key.
//
// Keys: one 64-byte file, the 32-byte encryption key then the 32-byte index key. Losing it loses
// the sealed data; rotating it is not supported yet (the version byte leaves room).
//
// Thread-safety: a PiiVault is immutable after construction; Seal, Open and BlindIndex may be
// called from many threads at once. Key bytes are wiped when the object is destroyed.

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/error.h"

namespace gzca::ra {

class PiiVault {
  public:
    static constexpr std::size_t kKeyFileSize = 64;

    // Reads the key file, or creates it when absent: 64 random bytes, mode 0600, written to a
    // temporary file that is then hard-linked into place, so two processes starting at once both
    // end up with the key of whichever linked first (never one key each). Missing parent
    // directories are created (0700).
    // Errors: kInvalidArgument when the file exists with a size other than 64 bytes;
    // kUnavailable when it cannot be read or written.
    static Result<PiiVault> LoadOrCreate(const std::filesystem::path& key_file);

    // For tests: key material given directly. Throws std::invalid_argument unless 64 bytes.
    static PiiVault FromKeyMaterial(ByteView key64);

    PiiVault(const PiiVault& other) = default;
    PiiVault& operator=(const PiiVault& other) = default;
    ~PiiVault();

    // Encrypts `plaintext` bound to `context`. Never fails (an OpenSSL failure here is a broken
    // invariant and throws std::runtime_error).
    Bytes Seal(std::string_view plaintext, std::string_view context) const;

    // Decrypts what Seal produced for the same context. kInternal (public message "数据解密失败")
    // when the data is too short, has an unknown version, was tampered with, was sealed for
    // another context or under another key. Never returns partial plaintext.
    Result<std::string> Open(ByteView sealed, std::string_view context) const;

    // HMAC-SHA256(index key, context || 0x00 || value) as 64 lower-case hex characters.
    std::string BlindIndex(std::string_view value, std::string_view context) const;

  private:
    PiiVault() = default;
    std::array<std::uint8_t, 32> enc_key_{};
    std::array<std::uint8_t, 32> index_key_{};
};

}  // namespace gzca::ra
