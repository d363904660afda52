#include "app/render.h"

#include "api/certificate_json.h"

#include <fmt/format.h>

namespace gzca::app {

nlohmann::json ToJson(const ca::CertificateRecord& rec, TimePoint now) {
    return api::CertificateJson(rec, now, /*with_pem=*/false);
}

nlohmann::json ToJson(const ca::IssuerRecord& rec) {
    return {{"name", rec.name},
            {"role", ca::IssuerRoleName(rec.role)},
            {"algorithm", rec.algorithm},
            {"subject", rec.subject},
            {"serial", rec.serial},
            {"not_after", FormatIso8601(rec.not_after)},
            {"key", rec.key_ref.starts_with("file:") ? "file" : "pkcs11"}};
}

std::string ToText(const ca::CertificateRecord& rec, TimePoint now) {
    std::string out;
    auto line = [&](std::string_view label, std::string_view value) {
        out += fmt::format("{:<14}{}\n", label, value);
    };
    line("serial", rec.serial);
    line("status", rec.EffectiveStatus(now));
    line("subject", rec.subject);
    line("issuer", rec.issuer_name);
    line("profile", rec.profile);
    line("key", rec.key_algorithm);
    line("not before", FormatIso8601(rec.not_before));
    line("not after", FormatIso8601(rec.not_after));
    if (!rec.replaces_serial.empty()) line("replaces", rec.replaces_serial);
    if (!rec.sm2_id.empty()) line("csr SM2 ID", rec.sm2_id);
    if (rec.revoked_at) {
        line("revoked", fmt::format("{} ({})", FormatIso8601(*rec.revoked_at),
                                    pki::RevocationReasonName(*rec.revocation_reason)));
    }
    return out;
}

std::string ToListLine(const ca::CertificateRecord& rec, TimePoint now) {
    return fmt::format("{}  {:<10}  {}  {}", rec.serial, rec.EffectiveStatus(now),
                       FormatIso8601(rec.not_after), rec.subject);
}

}  // namespace gzca::app
