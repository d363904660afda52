// gzca apikey create | list | revoke
#include <fmt/format.h>

#include "api/api_keys.h"
#include "app/commands.h"

namespace gzca::app {

namespace {

struct ApiKeyOptions {
    std::string name;
    std::string scopes = "read";
    std::string client_cert_serial;
    std::string key_id;
};

std::string ScopesText(const std::set<api::Scope>& scopes) {
    std::string out;
    for (auto s : scopes) out += (out.empty() ? "" : ",") + std::string(api::ScopeName(s));
    return out;
}

nlohmann::json InfoJson(const api::ApiKeyInfo& k) {
    nlohmann::json j = {{"key_id", k.key_id},
                        {"name", k.name},
                        {"scopes", ScopesText(k.scopes)},
                        {"created_at", FormatIso8601(k.created_at)},
                        {"revoked", k.revoked_at.has_value()}};
    if (!k.client_cert_serial.empty()) j["client_cert_serial"] = k.client_cert_serial;
    return j;
}

int RunCreate(const GlobalOptions& global, const ApiKeyOptions& o) {
    Context ctx(global);
    auto run = [&]() -> Result<std::pair<api::ApiKeyInfo, std::string>> {
        GZCA_TRY_STATUS(ctx.Open());
        api::ApiKeyStore store(ctx.db(), ctx.clock());
        GZCA_ASSIGN_OR_RETURN(auto scopes, api::ParseScopes(o.scopes));
        if (!o.client_cert_serial.empty()) {
            // The certificate must exist here: a binding to a foreign serial is a typo.
            GZCA_TRY_STATUS(ctx.ca().Find("", o.client_cert_serial));
            GZCA_ASSIGN_OR_RETURN(auto info,
                                  store.CreateForClientCert(o.name, scopes, o.client_cert_serial));
            return std::pair{info, std::string()};
        }
        return store.CreateBearer(o.name, scopes);
    };
    auto created = run();
    if (!created) return ReportError(created.error(), global);
    auto& [info, token] = *created;
    if (global.json) {
        auto j = InfoJson(info);
        if (!token.empty()) j["token"] = token;
        fmt::print("{}\n", j.dump(2));
    } else if (!token.empty()) {
        fmt::print("API key {} ({}) created. Its token is shown only now:\n{}\n", info.key_id,
                   ScopesText(info.scopes), token);
    } else {
        fmt::print("API key {} ({}) authorises TLS clients presenting certificate {}\n",
                   info.key_id, ScopesText(info.scopes), info.client_cert_serial);
    }
    return 0;
}

int RunList(const GlobalOptions& global) {
    Context ctx(global);
    auto list = [&]() -> Result<std::vector<api::ApiKeyInfo>> {
        GZCA_TRY_STATUS(ctx.Open());
        return api::ApiKeyStore(ctx.db(), ctx.clock()).List();
    }();
    if (!list) return ReportError(list.error(), global);
    if (global.json) {
        auto arr = nlohmann::json::array();
        for (const auto& k : *list) arr.push_back(InfoJson(k));
        fmt::print("{}\n", arr.dump(2));
        return 0;
    }
    for (const auto& k : *list) {
        fmt::print("{}  {:<8} {:<20} {}{}\n", k.key_id, k.revoked_at ? "revoked" : "active", k.name,
                   ScopesText(k.scopes),
                   k.client_cert_serial.empty() ? "" : " cert " + k.client_cert_serial);
    }
    return 0;
}

int RunRevoke(const GlobalOptions& global, const ApiKeyOptions& o) {
    Context ctx(global);
    auto st = [&]() -> Status {
        GZCA_TRY_STATUS(ctx.Open());
        return api::ApiKeyStore(ctx.db(), ctx.clock()).Revoke(o.key_id);
    }();
    if (!st) return ReportError(st.error(), global);
    fmt::print("API key {} revoked\n", o.key_id);
    return 0;
}

}  // namespace

void AddApiKeyCommands(CLI::App& app, GlobalOptions& global, CommandRunner& run) {
    auto* apikey = app.add_subcommand("apikey", "API credentials: create, list, revoke");
    apikey->require_subcommand(1);
    auto o = std::make_shared<ApiKeyOptions>();

    auto* create = apikey->add_subcommand("create", "Create an API key (token shown once)");
    create->add_option("--name", o->name, "What the key is for")->required();
    create->add_option("--scopes", o->scopes, "read,issue,revoke or all")->capture_default_str();
    create->add_option("--client-cert-serial", o->client_cert_serial,
                       "Authorise TLS clients presenting this certificate instead of a token");
    create->callback([&global, &run, o] { run = [&global, o] { return RunCreate(global, *o); }; });

    auto* list = apikey->add_subcommand("list", "List API keys");
    list->callback([&global, &run] { run = [&global] { return RunList(global); }; });

    auto* revoke = apikey->add_subcommand("revoke", "Revoke an API key");
    revoke->add_option("key_id", o->key_id, "Key id")->required();
    revoke->callback([&global, &run, o] { run = [&global, o] { return RunRevoke(global, *o); }; });
}

}  // namespace gzca::app
