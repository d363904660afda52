#include "app/context.h"

#include <cstdlib>

#include <fmt/format.h>

#include "crypto/signer.h"

namespace gzca::app {

namespace {

// Reads a one-line secret file: trailing newline stripped; must not be group/world readable.
Result<std::string> ReadSecretFile(const std::filesystem::path& path) {
    namespace fs = std::filesystem;
    std::error_code ec;
    auto perms = fs::status(path, ec).permissions();
    if (ec) {
        return Fail(ErrorCode::kNotFound, fmt::format("secret file {} not found", path.string()));
    }
    if ((perms & (fs::perms::group_all | fs::perms::others_all)) != fs::perms::none) {
        return Fail(
            ErrorCode::kPermissionDenied,
            fmt::format("secret file {} is readable by others: chmod 600 it", path.string()));
    }
    GZCA_ASSIGN_OR_RETURN(auto bytes, ReadFile(path, 4096));
    std::string s(AsString(bytes));
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    return s;
}

}  // namespace

Result<ca::KeySecrets> Context::LoadSecrets(bool create_passphrase) {
    ca::KeySecrets secrets;
    auto default_file = config_.data_dir / "ca-passphrase";
    if (options_.passphrase_file) {
        GZCA_ASSIGN_OR_RETURN(secrets.passphrase, ReadSecretFile(*options_.passphrase_file));
        passphrase_source_ = options_.passphrase_file->string();
    } else if (const char* env = std::getenv("GZCA_CA_PASSPHRASE"); env && *env) {
        secrets.passphrase = env;
        passphrase_source_ = "GZCA_CA_PASSPHRASE";
    } else if (std::filesystem::exists(default_file)) {
        GZCA_ASSIGN_OR_RETURN(secrets.passphrase, ReadSecretFile(default_file));
        passphrase_source_ = default_file.string();
    } else if (create_passphrase) {
        secrets.passphrase = Base64Encode(crypto::RandomBytes(32));
        GZCA_TRY_STATUS(WriteFileAtomic(default_file, AsBytes(secrets.passphrase + "\n"), 0600));
        passphrase_source_ = default_file.string();
    }
    if (options_.pin_file) {
        GZCA_ASSIGN_OR_RETURN(secrets.pkcs11_pin, ReadSecretFile(*options_.pin_file));
    } else if (const char* env = std::getenv("GZCA_PKCS11_PIN"); env && *env) {
        secrets.pkcs11_pin = env;
    }
    secrets.pkcs11_module = options_.pkcs11_module;
    return secrets;
}

Status Context::Open(bool create_passphrase) {
    GZCA_ASSIGN_OR_RETURN(config_, LoadConfig(options_.config_file, options_.data_dir));
    std::error_code ec;
    std::filesystem::create_directories(config_.data_dir, ec);
    if (ec) {
        return Fail(ErrorCode::kUnavailable, fmt::format("cannot create data directory {}: {}",
                                                         config_.data_dir.string(), ec.message()));
    }
    std::filesystem::permissions(config_.data_dir, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::replace, ec);
    GZCA_ASSIGN_OR_RETURN(auto secrets, LoadSecrets(create_passphrase));
    passphrase_ = secrets.passphrase;
    GZCA_ASSIGN_OR_RETURN(db_,
                          store::Database::Open(config_.DatabaseUrl(), config_.database.pool_size));
    GZCA_TRY_STATUS(db_->Migrate());
    ca_ = std::make_unique<ca::CertificateAuthority>(*db_, clock_, config_.ca, std::move(secrets),
                                                     config_.data_dir);
    return Ok();
}

}  // namespace gzca::app
