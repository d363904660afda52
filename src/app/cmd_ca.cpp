// gzca ca init | list | cert
#include <fmt/format.h>

#include "app/commands.h"
#include "app/render.h"
#include "pki/certificate.h"
#include "pki/name.h"

namespace gzca::app {

namespace {

struct InitOptions {
    std::string name = "sm2";
    std::string algorithm = "sm2";
    std::string root_subject;
    std::string issuing_subject;
    int root_years = 20;
    int issuing_years = 10;
    std::string root_key;
    std::string issuing_key;
};

int RunInit(const GlobalOptions& global, const InitOptions& o) {
    Context ctx(global);
    auto run = [&]() -> Result<ca::HierarchyInfo> {
        GZCA_TRY_STATUS(ctx.Open(/*create_passphrase=*/true));
        ca::HierarchyOptions h;
        h.name = o.name;
        GZCA_ASSIGN_OR_RETURN(h.algorithm, crypto::ParseKeyAlgorithm(o.algorithm));
        if (!o.root_subject.empty()) {
            GZCA_ASSIGN_OR_RETURN(h.root_subject, pki::ParseDistinguishedName(o.root_subject));
        }
        if (!o.issuing_subject.empty()) {
            GZCA_ASSIGN_OR_RETURN(h.issuing_subject,
                                  pki::ParseDistinguishedName(o.issuing_subject));
        }
        h.root_years = o.root_years;
        h.issuing_years = o.issuing_years;
        h.root_key_uri = o.root_key;
        h.issuing_key_uri = o.issuing_key;
        return ctx.ca().InitHierarchy(h);
    };
    auto info = run();
    if (!info) return ReportError(info.error(), global);
    if (global.json) {
        fmt::print("{}\n", nlohmann::json{{"root", ToJson(info->root)},
                                          {"issuing", ToJson(info->issuing)},
                                          {"ocsp", ToJson(info->ocsp)}}
                               .dump(2));
    } else {
        for (const auto* r : {&info->root, &info->issuing, &info->ocsp}) {
            fmt::print("{:<16} {}  serial {}  until {}\n", r->name, r->subject, r->serial,
                       FormatIso8601(r->not_after));
        }
        fmt::print("CA keys are encrypted under the passphrase from {}\n", ctx.passphrase_source());
    }
    return 0;
}

int RunList(const GlobalOptions& global) {
    Context ctx(global);
    auto issuers = [&]() -> Result<std::vector<ca::IssuerRecord>> {
        GZCA_TRY_STATUS(ctx.Open());
        return ctx.ca().ListIssuers();
    }();
    if (!issuers) return ReportError(issuers.error(), global);
    if (global.json) {
        auto arr = nlohmann::json::array();
        for (const auto& i : *issuers) arr.push_back(ToJson(i));
        fmt::print("{}\n", arr.dump(2));
    } else {
        for (const auto& i : *issuers) {
            fmt::print("{:<20} {:<8} {:<11} {}  until {}\n", i.name, ca::IssuerRoleName(i.role),
                       i.algorithm, i.subject, FormatIso8601(i.not_after));
        }
    }
    return 0;
}

int RunCert(const GlobalOptions& global, const std::string& name) {
    Context ctx(global);
    auto issuer = [&]() -> Result<ca::IssuerRecord> {
        GZCA_TRY_STATUS(ctx.Open());
        GZCA_ASSIGN_OR_RETURN(auto all, ctx.ca().ListIssuers());
        for (auto& i : all) {
            if (i.name == name) return i;
        }
        return ctx.ca().ResolveIssuer(name);
    }();
    if (!issuer) return ReportError(issuer.error(), global);
    auto cert = pki::ParseCertificate(issuer->cert_der);
    if (!cert) return ReportError(cert.error(), global);
    fmt::print("{}", pki::CertificatePem(cert->get()));
    return 0;
}

}  // namespace

void AddCaCommands(CLI::App& app, GlobalOptions& global, CommandRunner& run) {
    auto* ca = app.add_subcommand("ca", "CA hierarchies: create, list, export certificates");
    ca->require_subcommand(1);

    auto init_opts = std::make_shared<InitOptions>();
    auto* init = ca->add_subcommand("init", "Create a root CA, an issuing CA and an OCSP signer");
    init->add_option("--name", init_opts->name, "Hierarchy name (issuers <name>-root, ...)")
        ->capture_default_str();
    init->add_option("--algorithm", init_opts->algorithm, "sm2 | ecdsa-p256 | rsa-2048 | rsa-3072")
        ->capture_default_str();
    init->add_option("--root-subject", init_opts->root_subject,
                     "Root subject, e.g. '/C=CN/O=国资CA/CN=国资CA根证书'");
    init->add_option("--issuing-subject", init_opts->issuing_subject, "Issuing CA subject");
    init->add_option("--root-years", init_opts->root_years, "Root validity in years")
        ->check(CLI::Range(1, 40))
        ->capture_default_str();
    init->add_option("--issuing-years", init_opts->issuing_years, "Issuing CA validity in years")
        ->check(CLI::Range(1, 30))
        ->capture_default_str();
    init->add_option("--root-key", init_opts->root_key,
                     "PKCS#11 URI of an existing root key (pkcs11:token=...;object=...)");
    init->add_option("--issuing-key", init_opts->issuing_key,
                     "PKCS#11 URI of an existing issuing CA key");
    init->callback([&global, &run, init_opts] {
        run = [&global, init_opts] { return RunInit(global, *init_opts); };
    });

    auto* list = ca->add_subcommand("list", "List the CA certificates gzca holds keys for");
    list->callback([&global, &run] { run = [&global] { return RunList(global); }; });

    auto cert_name = std::make_shared<std::string>();
    auto* cert = ca->add_subcommand("cert", "Print a CA certificate (PEM)");
    cert->add_option("name", *cert_name, "Issuer name (sm2-root, sm2-issuing, sm2-ocsp, ...)")
        ->required();
    cert->callback([&global, &run, cert_name] {
        run = [&global, cert_name] { return RunCert(global, *cert_name); };
    });
}

}  // namespace gzca::app
