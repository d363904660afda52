// gzca cert issue | renew | reissue | revoke | show | list, and gzca crl.
#include <fmt/format.h>

#include "app/commands.h"
#include "app/render.h"
#include "pki/certificate.h"
#include "pki/crl.h"
#include "pki/csr.h"

namespace gzca::app {

namespace {

struct CertOptions {
    std::string issuer;
    std::string serial;
    std::string csr;
    std::string profile = "sign";
    std::string subject;
    std::vector<std::string> dns;
    std::string reason = "unspecified";
    std::string out;
    std::string chain_out;
    bool pem = false;
    // list filters
    std::string status;
    std::string subject_contains;
    int expiring_within_days = -1;
    int limit = 100;
};

std::string IssuerOrDefault(const Context& ctx, const std::string& issuer) {
    return issuer.empty() ? ctx.config().default_issuer : issuer;
}

// Writes the certificate (and chain) where asked; prints the record.
int Deliver(const Context& ctx, const CertOptions& o, const ca::IssuedCertificate& issued) {
    const auto& global = ctx.options();
    auto write_pem = [&](const std::string& path, const std::vector<Bytes>& ders) -> Status {
        std::string pem;
        for (const auto& der : ders) {
            GZCA_ASSIGN_OR_RETURN(auto cert, pki::ParseCertificate(der));
            pem += pki::CertificatePem(cert.get());
        }
        return WriteFileAtomic(path, AsBytes(pem), 0644);
    };
    if (!o.out.empty()) {
        if (auto st = write_pem(o.out, {issued.record.der}); !st) {
            return ReportError(st.error(), global);
        }
    }
    if (!o.chain_out.empty()) {
        if (auto st = write_pem(o.chain_out, issued.chain); !st) {
            return ReportError(st.error(), global);
        }
    }
    if (global.json) {
        fmt::print("{}\n", ToJson(issued.record, ctx.clock().Now()).dump(2));
    } else {
        fmt::print("{}", ToText(issued.record, ctx.clock().Now()));
    }
    return 0;
}

int RunIssue(const GlobalOptions& global, const CertOptions& o) {
    Context ctx(global);
    auto issued = [&]() -> Result<ca::IssuedCertificate> {
        GZCA_TRY_STATUS(ctx.Open());
        ca::IssueRequest req;
        req.issuer = IssuerOrDefault(ctx, o.issuer);
        GZCA_ASSIGN_OR_RETURN(req.csr, ReadInput(o.csr, pki::kMaxCsrSize + 1));
        GZCA_ASSIGN_OR_RETURN(req.profile, pki::ParseProfile(o.profile));
        if (!o.subject.empty()) {
            GZCA_ASSIGN_OR_RETURN(req.subject, pki::ParseDistinguishedName(o.subject));
        }
        req.dns_names = o.dns;
        return ctx.ca().Issue(req);
    }();
    if (!issued) return ReportError(issued.error(), global);
    return Deliver(ctx, o, *issued);
}

int RunRenewOrReissue(const GlobalOptions& global, const CertOptions& o, bool reissue) {
    Context ctx(global);
    auto issued = [&]() -> Result<ca::IssuedCertificate> {
        GZCA_TRY_STATUS(ctx.Open());
        Bytes csr;
        if (!o.csr.empty()) {
            GZCA_ASSIGN_OR_RETURN(csr, ReadInput(o.csr, pki::kMaxCsrSize + 1));
        }
        auto issuer = IssuerOrDefault(ctx, o.issuer);
        return reissue ? ctx.ca().Reissue(issuer, o.serial, csr)
                       : ctx.ca().Renew(issuer, o.serial, csr);
    }();
    if (!issued) return ReportError(issued.error(), global);
    return Deliver(ctx, o, *issued);
}

int RunRevoke(const GlobalOptions& global, const CertOptions& o) {
    Context ctx(global);
    auto rec = [&]() -> Result<ca::CertificateRecord> {
        GZCA_TRY_STATUS(ctx.Open());
        GZCA_ASSIGN_OR_RETURN(auto reason, pki::ParseRevocationReason(o.reason));
        return ctx.ca().Revoke(IssuerOrDefault(ctx, o.issuer), o.serial, reason);
    }();
    if (!rec) return ReportError(rec.error(), global);
    if (global.json) {
        fmt::print("{}\n", ToJson(*rec, ctx.clock().Now()).dump(2));
    } else {
        fmt::print("{}", ToText(*rec, ctx.clock().Now()));
    }
    return 0;
}

int RunShow(const GlobalOptions& global, const CertOptions& o) {
    Context ctx(global);
    auto rec = [&]() -> Result<ca::CertificateRecord> {
        GZCA_TRY_STATUS(ctx.Open());
        return ctx.ca().Find(IssuerOrDefault(ctx, o.issuer), o.serial);
    }();
    if (!rec) return ReportError(rec.error(), global);
    if (o.pem || !o.out.empty()) {
        if (rec->der.empty()) {
            return ReportError(Error{ErrorCode::kFailedPrecondition, "no DER",
                                     "this serial was never issued: there is no certificate"},
                               global);
        }
        auto cert = pki::ParseCertificate(rec->der);
        if (!cert) return ReportError(cert.error(), global);
        auto pem = pki::CertificatePem(cert->get());
        if (!o.out.empty()) {
            if (auto st = WriteFileAtomic(o.out, AsBytes(pem), 0644); !st) {
                return ReportError(st.error(), global);
            }
        }
        if (o.pem) fmt::print("{}", pem);
        if (o.pem) return 0;
    }
    if (global.json) {
        fmt::print("{}\n", ToJson(*rec, ctx.clock().Now()).dump(2));
    } else {
        fmt::print("{}", ToText(*rec, ctx.clock().Now()));
    }
    return 0;
}

int RunList(const GlobalOptions& global, const CertOptions& o) {
    Context ctx(global);
    auto list = [&]() -> Result<std::vector<ca::CertificateRecord>> {
        GZCA_TRY_STATUS(ctx.Open());
        ca::repo::CertificateFilter f;
        auto issuer = IssuerOrDefault(ctx, o.issuer);
        if (!issuer.empty()) {
            GZCA_ASSIGN_OR_RETURN(auto iss, ctx.ca().ResolveIssuer(issuer));
            f.issuer_id = iss.id;
        }
        f.subject_contains = o.subject_contains;
        f.status = o.status;
        if (o.expiring_within_days >= 0) {
            f.expiring_before = ctx.clock().Now() + std::chrono::days(o.expiring_within_days);
        }
        f.limit = o.limit;
        return ctx.ca().List(f);
    }();
    if (!list) return ReportError(list.error(), global);
    auto now = ctx.clock().Now();
    if (global.json) {
        auto arr = nlohmann::json::array();
        for (const auto& r : *list) arr.push_back(ToJson(r, now));
        fmt::print("{}\n", arr.dump(2));
    } else {
        for (const auto& r : *list) fmt::print("{}\n", ToListLine(r, now));
    }
    return 0;
}

struct CrlOptions {
    std::string issuer;
    std::string out;
    bool pem = false;
    bool latest = false;
};

int RunCrl(const GlobalOptions& global, const CrlOptions& o) {
    Context ctx(global);
    auto crl = [&]() -> Result<ca::repo::CrlRecord> {
        GZCA_TRY_STATUS(ctx.Open());
        auto issuer = IssuerOrDefault(ctx, o.issuer);
        return o.latest ? ctx.ca().LatestCrl(issuer) : ctx.ca().GenerateCrl(issuer);
    }();
    if (!crl) return ReportError(crl.error(), global);
    if (!o.out.empty()) {
        Bytes data = crl->der;
        if (o.pem) {
            auto parsed = pki::ParseCrl(crl->der);
            if (!parsed) return ReportError(parsed.error(), global);
            auto pem = pki::CrlPem(parsed->get());
            data.assign(pem.begin(), pem.end());
        }
        if (auto st = WriteFileAtomic(o.out, data, 0644); !st) {
            return ReportError(st.error(), global);
        }
    }
    if (global.json) {
        fmt::print("{}\n", nlohmann::json{{"crl_number", crl->crl_number},
                                          {"this_update", FormatIso8601(crl->this_update)},
                                          {"next_update", FormatIso8601(crl->next_update)},
                                          {"entries", crl->entry_count}}
                               .dump(2));
    } else {
        fmt::print("CRL {} with {} entries, next update {}\n", crl->crl_number, crl->entry_count,
                   FormatIso8601(crl->next_update));
    }
    return 0;
}

}  // namespace

void AddCertCommands(CLI::App& app, GlobalOptions& global, CommandRunner& run) {
    auto* cert =
        app.add_subcommand("cert", "Certificates: issue, renew, reissue, revoke, show, list");
    cert->require_subcommand(1);
    auto o = std::make_shared<CertOptions>();
    auto set = [&run, &global, o](auto fn) {
        return [&run, &global, o, fn] { run = [&global, o, fn] { return fn(global, *o); }; };
    };
    auto add_issuer = [o](CLI::App* c) {
        c->add_option("--issuer", o->issuer, "Issuer or hierarchy name (default: the only one)");
    };
    auto add_out = [o](CLI::App* c) {
        c->add_option("--out", o->out, "Write the certificate (PEM) to this file");
        c->add_option("--chain-out", o->chain_out, "Write the CA chain (PEM) to this file");
    };

    auto* issue = cert->add_subcommand("issue", "Issue a certificate from a PKCS#10 CSR");
    issue->add_option("--csr", o->csr, "CSR file (PEM or DER), - for stdin")->required();
    issue->add_option("--profile", o->profile, "sign | enc | tls-server | ocsp-signer")
        ->capture_default_str();
    issue->add_option("--subject", o->subject,
                      "Subject to certify instead of the CSR's, e.g. '/C=CN/O=机构/CN=张三'");
    issue->add_option("--dns", o->dns, "DNS name (tls-server profile; repeatable)");
    add_issuer(issue);
    add_out(issue);
    issue->callback(set(RunIssue));

    auto* renew = cert->add_subcommand("renew", "Renew: same subject, notAfter moved by a year");
    renew->add_option("--serial", o->serial, "Serial of the certificate to renew")->required();
    renew->add_option("--csr", o->csr, "CSR for a new key (default: keep the key)");
    add_issuer(renew);
    add_out(renew);
    renew->callback(set([](const GlobalOptions& g, const CertOptions& c) {
        return RunRenewOrReissue(g, c, false);
    }));

    auto* reissue = cert->add_subcommand("reissue", "Reissue with a new key; old one superseded");
    reissue->add_option("--serial", o->serial, "Serial of the certificate to replace")->required();
    reissue->add_option("--csr", o->csr, "CSR for the new key")->required();
    add_issuer(reissue);
    add_out(reissue);
    reissue->callback(set([](const GlobalOptions& g, const CertOptions& c) {
        return RunRenewOrReissue(g, c, true);
    }));

    auto* revoke = cert->add_subcommand("revoke", "Revoke a certificate");
    revoke->add_option("--serial", o->serial, "Serial")->required();
    revoke
        ->add_option("--reason", o->reason,
                     "RFC 5280 reason: unspecified, keyCompromise, cACompromise, "
                     "affiliationChanged, superseded, cessationOfOperation, privilegeWithdrawn, "
                     "aACompromise (or its number)")
        ->capture_default_str();
    add_issuer(revoke);
    revoke->callback(set(RunRevoke));

    auto* show = cert->add_subcommand("show", "Show one certificate");
    show->add_option("--serial", o->serial, "Serial")->required();
    show->add_flag("--pem", o->pem, "Print the certificate as PEM");
    show->add_option("--out", o->out, "Write the certificate (PEM) to this file");
    add_issuer(show);
    show->callback(set(RunShow));

    auto* list = cert->add_subcommand("list", "List certificates");
    list->add_option("--status", o->status,
                     "valid | expired | revoked | superseded | pending | aborted");
    list->add_option("--subject", o->subject_contains, "Subject contains this text");
    list->add_option("--expiring-within", o->expiring_within_days,
                     "Valid certificates expiring within this many days")
        ->check(CLI::Range(0, 36500));
    list->add_option("--limit", o->limit, "At most this many")->check(CLI::Range(1, 100000));
    add_issuer(list);
    list->callback(set(RunList));
}

void AddCrlCommand(CLI::App& app, GlobalOptions& global, CommandRunner& run) {
    auto o = std::make_shared<CrlOptions>();
    auto* crl = app.add_subcommand("crl", "Sign a new CRL (or fetch the latest) for an issuer");
    crl->add_option("--issuer", o->issuer, "Issuer or hierarchy name (default: the only one)");
    crl->add_option("--out", o->out, "Write the CRL to this file (DER unless --pem)");
    crl->add_flag("--pem", o->pem, "Write PEM instead of DER");
    crl->add_flag("--latest", o->latest, "Do not sign a new CRL; output the latest stored one");
    crl->callback([&global, &run, o] { run = [&global, o] { return RunCrl(global, *o); }; });
}

}  // namespace gzca::app
