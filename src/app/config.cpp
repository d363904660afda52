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
    GZCA_TRY_STATUS(CheckKeys(root, {"data_dir", "database", "ca", "server"}, ""));
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
    return config;
}

}  // namespace gzca::app
