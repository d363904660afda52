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
//   [platform]                         # the 数字证书服务平台 (subscriber pages and API)
//   site_name = "国资CA数字证书服务平台"
//   service_phone = "400-0560-010"     # 联系我们, page footers, the printed form
//   service_email = "zw-service@chinaunicom.cn"
//   platform_url = "https://localhost:8443/"
//   address = "北京市西城区宣武门西大街26号"
//   help_lines = ["label|phone", ...]  # further 联系我们 lines (defaults: the seed's two)
//   bank_transfer_text = "..."         # offline payment instructions
//   fees_fen = { new = 30000, renew = 20000, reissue = 20000, revoke = 0 }
//   review_working_days = 3
//   issuer = "sm2"                     # hierarchy issuing certificates of new orders
//   session_idle_minutes = 30
//   session_absolute_hours = 12
//   sms_daily_per_phone = 10
//   sms_daily_per_address = 50
//   demo_subscriber = true             # first start: a demo subscriber (13800138000) with a
//                                      # certificate, so the renewal can be tried at once
//
// Thread-safety: plain values.

#include <cstdint>
#include <filesystem>
#include <map>
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

struct PlatformConfig {
    std::string site_name = "国资CA数字证书服务平台";
    std::string service_phone = "400-0560-010";
    std::string service_email = "zw-service@chinaunicom.cn";
    std::string platform_url = "https://localhost:8443/";
    std::string address = "北京市西城区宣武门西大街26号";
    std::vector<std::string> help_lines;  // "label|phone"; empty = the built-in two
    std::string bank_transfer_text;       // empty = the built-in demo text
    std::map<std::string, std::int64_t> fees_fen = {
        {"new", 30000}, {"renew", 20000}, {"reissue", 20000}, {"revoke", 0}, {"unlock", 0}};
    int review_working_days = 3;
    std::string issuer = "sm2";
    int session_idle_minutes = 30;
    int session_absolute_hours = 12;
    int sms_daily_per_phone = 10;
    int sms_daily_per_address = 50;
    bool demo_subscriber = true;
};

struct Config {
    std::filesystem::path data_dir = "./var";
    DatabaseConfig database;
    ca::CaConfig ca;
    std::string default_issuer;
    ServerConfig server;
    PlatformConfig platform;
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
