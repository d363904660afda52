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
//   [server]
//   http_listen = "127.0.0.1:8080"     # plain HTTP: OCSP, CRLs, CA certificates ("" = off)
//   https_listen = "127.0.0.1:8443"    # HTTPS: everything ("" = off)
//   io_threads = 0                     # 0 = one per core
//   handler_threads = 32               # blocking work (database, signing) runs here
//   max_body_bytes = 1048576
//   read_timeout_seconds = 30
//   tls_issuer = "p256"                # hierarchy that issues the server's TLS certificate
//   tls_names = ["localhost", "127.0.0.1"]
//   ocsp_validity_seconds = 3600       # nextUpdate - thisUpdate of OCSP responses
//   demo_hierarchies = ["sm2", "p256"] # created on first start when no CA exists yet
//
// Thread-safety: plain values.

#include <cstdint>
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

struct ServerConfig {
    std::string http_listen = "127.0.0.1:8080";
    std::string https_listen = "127.0.0.1:8443";
    int io_threads = 0;
    int handler_threads = 32;
    std::int64_t max_body_bytes = 1 << 20;
    int read_timeout_seconds = 30;
    std::string tls_issuer = "p256";
    std::vector<std::string> tls_names = {"localhost", "127.0.0.1"};
    int ocsp_validity_seconds = 3600;
    std::vector<std::string> demo_hierarchies = {"sm2", "p256"};
};

struct Config {
    std::filesystem::path data_dir = "./var";
    DatabaseConfig database;
    ca::CaConfig ca;
    std::string default_issuer;
    ServerConfig server;
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
