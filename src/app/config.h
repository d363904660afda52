#pragma once
// gzca.toml: every setting with its default. One file configures the CLI and the server.
//
//   data_dir = "./var"                 # keys, SQLite database, uploads
//   [database]
//   url = ""                           # "" = SQLite at <data_dir>/gzca.db; or postgresql://...
//   pool_size = 8
//   [ca]
//   base_url = "http://localhost:8080" # CRL DP / AIA URLs in issued certificates
//   policy_oids = []                   # certificatePolicies in end-entity certificates
//   validity_years = 1
//   crl_validity_hours = 24
//   default_issuer = ""                # issuer used when a command names none
//
// Thread-safety: plain values.

#include <filesystem>
#include <optional>
#include <string>

#include "base/error.h"
#include "ca/authority.h"

namespace gzca::app {

struct DatabaseConfig {
    std::string url;
    int pool_size = 8;
};

struct Config {
    std::filesystem::path data_dir = "./var";
    DatabaseConfig database;
    ca::CaConfig ca;
    std::string default_issuer;
    std::filesystem::path source;  // the file read, empty when defaults only

    // The database URL in effect (SQLite in the data directory unless configured).
    std::string DatabaseUrl() const;
};

// Reads `path` when given (kNotFound if absent); otherwise <data_dir>/gzca.toml if it exists;
// otherwise defaults. Unknown keys and wrong types are kInvalidArgument naming the key, so a
// typo never silently falls back to a default.
Result<Config> LoadConfig(const std::optional<std::filesystem::path>& path,
                          const std::optional<std::filesystem::path>& data_dir_override);

}  // namespace gzca::app
