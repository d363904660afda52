#include "app/config.h"

#include <set>

#include <fmt/format.h>
#include <toml++/toml.h>

namespace gzca::app {

namespace {

// Rejects keys this version does not know (a typo must not silently become a default).
Status CheckKeys(const toml::table& table, const std::set<std::string>& known,
                 std::string_view prefix) {
    for (const auto& [key, value] : table) {
        if (!known.contains(std::string(key.str()))) {
            return Fail(ErrorCode::kInvalidArgument,
                        fmt::format("unknown configuration key '{}{}'", prefix, key.str()));
        }
    }
    return Ok();
}

template <typename T>
Status Read(const toml::table& table, std::string_view key, std::string_view prefix, T& out) {
    const toml::node* node = table.get(key);
    if (!node) return Ok();
    auto value = node->value<T>();
    if (!value) {
        return Fail(ErrorCode::kInvalidArgument,
                    fmt::format("configuration key '{}{}' has the wrong type", prefix, key));
    }
    out = *value;
    return Ok();
}

Result<std::vector<std::string>> ReadStrings(const toml::table& table, std::string_view key,
                                             std::string_view prefix,
                                             std::vector<std::string> fallback) {
    const toml::node* node = table.get(key);
    if (!node) return fallback;
    const auto* array = node->as_array();
    std::vector<std::string> out;
    bool ok = array != nullptr;
    if (array) {
        for (const auto& item : *array) {
            auto s = item.value<std::string>();
            ok = ok && s.has_value();
            if (s) out.push_back(*s);
        }
    }
    if (!ok) {
        return Fail(ErrorCode::kInvalidArgument,
                    fmt::format("configuration key '{}{}' must be a list of strings", prefix, key));
    }
    return out;
}

Status ReadInt(const toml::table& table, std::string_view key, std::int64_t lo, std::int64_t hi,
               std::int64_t& out, std::string_view prefix = "server.") {
    GZCA_TRY_STATUS(Read(table, key, prefix, out));
    if (out < lo || out > hi) {
        return Fail(ErrorCode::kInvalidArgument,
                    fmt::format("{}{} must be {}..{}", prefix, key, lo, hi));
    }
    return Ok();
}

Status ReadSmallInt(const toml::table& table, std::string_view key, int lo, int hi, int& out) {
    std::int64_t v = out;
    GZCA_TRY_STATUS(ReadInt(table, key, lo, hi, v, "platform."));
    out = static_cast<int>(v);
    return Ok();
}

Status ReadPlatform(const toml::table& t, PlatformConfig& c) {
    const std::string_view p = "platform.";
    GZCA_TRY_STATUS(
        CheckKeys(t,
                  {"site_name", "service_phone", "service_email", "platform_url", "address",
                   "help_lines", "bank_transfer_text", "fees_fen", "review_working_days", "issuer",
                   "session_idle_minutes", "session_absolute_hours", "sms_daily_per_phone",
                   "sms_daily_per_address", "demo_subscriber"},
                  p));
    GZCA_TRY_STATUS(Read(t, "site_name", p, c.site_name));
    GZCA_TRY_STATUS(Read(t, "service_phone", p, c.service_phone));
    GZCA_TRY_STATUS(Read(t, "service_email", p, c.service_email));
    GZCA_TRY_STATUS(Read(t, "platform_url", p, c.platform_url));
    GZCA_TRY_STATUS(Read(t, "address", p, c.address));
    GZCA_TRY_STATUS(Read(t, "bank_transfer_text", p, c.bank_transfer_text));
    GZCA_TRY_STATUS(Read(t, "issuer", p, c.issuer));
    GZCA_TRY_STATUS(Read(t, "demo_subscriber", p, c.demo_subscriber));
    GZCA_ASSIGN_OR_RETURN(c.help_lines, ReadStrings(t, "help_lines", p, c.help_lines));
    for (const std::string& line : c.help_lines) {
        if (line.find('|') == std::string::npos) {
            return Fail(ErrorCode::kInvalidArgument,
                        "platform.help_lines entries are \"label|phone\"");
        }
    }
    GZCA_TRY_STATUS(ReadSmallInt(t, "review_working_days", 1, 30, c.review_working_days));
    GZCA_TRY_STATUS(ReadSmallInt(t, "session_idle_minutes", 1, 24 * 60, c.session_idle_minutes));
    GZCA_TRY_STATUS(
        ReadSmallInt(t, "session_absolute_hours", 1, 24 * 30, c.session_absolute_hours));
    GZCA_TRY_STATUS(ReadSmallInt(t, "sms_daily_per_phone", 1, 1000, c.sms_daily_per_phone));
    GZCA_TRY_STATUS(ReadSmallInt(t, "sms_daily_per_address", 1, 100000, c.sms_daily_per_address));
    if (const toml::node* node = t.get("fees_fen")) {
        const auto* fees = node->as_table();
        if (!fees) return Fail(ErrorCode::kInvalidArgument, "platform.fees_fen must be a table");
        GZCA_TRY_STATUS(CheckKeys(*fees, {"new", "renew", "reissue", "revoke", "unlock"},
                                  "platform.fees_fen."));
        for (auto& [type, fee] : c.fees_fen) {
            GZCA_TRY_STATUS(ReadInt(*fees, type, 0, 100'000'000, fee, "platform.fees_fen."));
        }
    }
    return Ok();
}

Status ReadServer(const toml::table& t, ServerConfig& c) {
    GZCA_TRY_STATUS(CheckKeys(t,
                              {"http_listen", "https_listen", "io_threads", "handler_threads",
                               "max_body_bytes", "read_timeout_seconds", "tls_issuer", "tls_names",
                               "ocsp_validity_seconds", "demo_hierarchies"},
                              "server."));
    GZCA_TRY_STATUS(Read(t, "http_listen", "server.", c.http_listen));
    GZCA_TRY_STATUS(Read(t, "https_listen", "server.", c.https_listen));
    GZCA_TRY_STATUS(Read(t, "tls_issuer", "server.", c.tls_issuer));
    std::int64_t v = c.io_threads;
    GZCA_TRY_STATUS(ReadInt(t, "io_threads", 0, 256, v));
    c.io_threads = static_cast<int>(v);
    v = c.handler_threads;
    GZCA_TRY_STATUS(ReadInt(t, "handler_threads", 0, 1024, v));
    c.handler_threads = static_cast<int>(v);
    GZCA_TRY_STATUS(ReadInt(t, "max_body_bytes", 1024, std::int64_t{1} << 30, c.max_body_bytes));
    v = c.read_timeout_seconds;
    GZCA_TRY_STATUS(ReadInt(t, "read_timeout_seconds", 1, 3600, v));
    c.read_timeout_seconds = static_cast<int>(v);
    v = c.ocsp_validity_seconds;
    GZCA_TRY_STATUS(ReadInt(t, "ocsp_validity_seconds", 60, 7 * 24 * 3600, v));
    c.ocsp_validity_seconds = static_cast<int>(v);
    GZCA_ASSIGN_OR_RETURN(c.tls_names, ReadStrings(t, "tls_names", "server.", c.tls_names));
    GZCA_ASSIGN_OR_RETURN(c.demo_hierarchies,
                          ReadStrings(t, "demo_hierarchies", "server.", c.demo_hierarchies));
    return Ok();
}

}  // namespace

std::string Config::DatabaseUrl() const {
    if (!database.url.empty()) return database.url;
    return "sqlite:" + (data_dir / "gzca.db").string();
}

Result<Config> LoadConfig(const std::optional<std::filesystem::path>& path,
                          const std::optional<std::filesystem::path>& data_dir_override) {
    Config config;
    if (data_dir_override) config.data_dir = *data_dir_override;
    std::filesystem::path file;
    if (path) {
        if (!std::filesystem::exists(*path)) {
            return Fail(ErrorCode::kNotFound,
                        fmt::format("configuration file {} not found", path->string()));
        }
        file = *path;
    } else if (std::filesystem::exists(config.data_dir / "gzca.toml")) {
        file = config.data_dir / "gzca.toml";
    }
    if (file.empty()) return config;

    toml::table root;
    try {
        root = toml::parse_file(file.string());
    } catch (const toml::parse_error& e) {
        return Fail(
            ErrorCode::kInvalidArgument,
            fmt::format("{}:{}: {}", file.string(), e.source().begin.line, e.description()));
    }
    config.source = file;
    GZCA_TRY_STATUS(CheckKeys(root, {"data_dir", "database", "ca", "server", "platform"}, ""));
    std::string data_dir = config.data_dir.string();
    GZCA_TRY_STATUS(Read(root, "data_dir", "", data_dir));
    if (!data_dir_override) config.data_dir = data_dir;

    if (const auto* db = root.get_as<toml::table>("database")) {
        GZCA_TRY_STATUS(CheckKeys(*db, {"url", "pool_size"}, "database."));
        GZCA_TRY_STATUS(Read(*db, "url", "database.", config.database.url));
        std::int64_t pool = config.database.pool_size;
        GZCA_TRY_STATUS(Read(*db, "pool_size", "database.", pool));
        if (pool < 1 || pool > 256) {
            return Fail(ErrorCode::kInvalidArgument, "database.pool_size must be 1..256");
        }
        config.database.pool_size = static_cast<int>(pool);
    }
    if (const auto* ca = root.get_as<toml::table>("ca")) {
        GZCA_TRY_STATUS(CheckKeys(
            *ca,
            {"base_url", "policy_oids", "validity_years", "crl_validity_hours", "default_issuer"},
            "ca."));
        GZCA_TRY_STATUS(Read(*ca, "base_url", "ca.", config.ca.base_url));
        GZCA_TRY_STATUS(Read(*ca, "default_issuer", "ca.", config.default_issuer));
        std::int64_t years = config.ca.validity_years;
        GZCA_TRY_STATUS(Read(*ca, "validity_years", "ca.", years));
        if (years < 1 || years > 10) {
            return Fail(ErrorCode::kInvalidArgument, "ca.validity_years must be 1..10");
        }
        config.ca.validity_years = static_cast<int>(years);
        std::int64_t hours = config.ca.crl_validity.count() / 3600;
        GZCA_TRY_STATUS(Read(*ca, "crl_validity_hours", "ca.", hours));
        if (hours < 1 || hours > 24 * 31) {
            return Fail(ErrorCode::kInvalidArgument, "ca.crl_validity_hours must be 1..744");
        }
        config.ca.crl_validity = std::chrono::hours(hours);
        if (const auto* oids = ca->get_as<toml::array>("policy_oids")) {
            for (const auto& oid : *oids) {
                auto s = oid.value<std::string>();
                if (!s) {
                    return Fail(ErrorCode::kInvalidArgument,
                                "ca.policy_oids must be a list of dotted OIDs");
                }
                config.ca.policy_oids.push_back(*s);
            }
        }
        while (config.ca.base_url.ends_with('/')) config.ca.base_url.pop_back();
    }
    if (const auto* server = root.get_as<toml::table>("server")) {
        GZCA_TRY_STATUS(ReadServer(*server, config.server));
    }
    if (const auto* platform = root.get_as<toml::table>("platform")) {
        GZCA_TRY_STATUS(ReadPlatform(*platform, config.platform));
    }
    return config;
}

}  // namespace gzca::app
