#pragma once
// What every CLI command needs: configuration, secrets, the database, the CA engine.
// Built lazily so `gzca --help` touches nothing.

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "app/config.h"
#include "base/clock.h"
#include "base/error.h"
#include "ca/authority.h"
#include "store/database.h"

namespace gzca::app {

// Options shared by all commands (set by CLI11 before the command runs).
struct GlobalOptions {
    std::optional<std::filesystem::path> config_file;
    std::optional<std::filesystem::path> data_dir;
    std::optional<std::filesystem::path> passphrase_file;
    std::optional<std::filesystem::path> pin_file;
    std::string pkcs11_module;
    bool json = false;
    bool verbose = false;
};

class Context {
  public:
    explicit Context(const GlobalOptions& options) : options_(options) {}

    // Loads configuration, opens and migrates the database and builds the CA engine.
    // `create_passphrase`: when no passphrase is configured anywhere, create
    // <data_dir>/ca-passphrase (0600) with a random one (used by `ca init` and the embedded
    // default of `gzca serve`).
    Status Open(bool create_passphrase = false);

    const Config& config() const { return config_; }
    store::Database& db() { return *db_; }
    ca::CertificateAuthority& ca() { return *ca_; }
    const Clock& clock() const { return clock_; }
    const GlobalOptions& options() const { return options_; }
    // Where the passphrase came from, for messages ("GZCA_CA_PASSPHRASE", a file path).
    const std::string& passphrase_source() const { return passphrase_source_; }
    // The CA key passphrase in effect (also protects the server's TLS key file).
    const std::string& passphrase() const { return passphrase_; }

  private:
    Result<ca::KeySecrets> LoadSecrets(bool create_passphrase);

    const GlobalOptions& options_;
    SystemClock clock_;
    Config config_;
    std::unique_ptr<store::Database> db_;
    std::unique_ptr<ca::CertificateAuthority> ca_;
    std::string passphrase_source_;
    std::string passphrase_;
};

}  // namespace gzca::app
