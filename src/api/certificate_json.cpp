#include "api/certificate_json.h"

#include "pki/certificate.h"

namespace gzca::api {

nlohmann::json CertificateJson(const ca::CertificateRecord& rec, TimePoint now, bool with_pem) {
    using nlohmann::json;
    json j = {
        {"serial", rec.serial},
        {"issuer", rec.issuer_name},
        {"status", rec.EffectiveStatus(now)},
        {"profile", rec.profile},
        {"subject", rec.subject},
        {"key_algorithm", rec.key_algorithm},
        {"not_before", FormatIso8601(rec.not_before)},
        {"not_after", FormatIso8601(rec.not_after)},
        {"replaces", rec.replaces_serial.empty() ? json() : json(rec.replaces_serial)},
    };
    if (!rec.sm2_id.empty()) j["csr_sm2_id"] = rec.sm2_id;
    if (rec.revoked_at) {
        j["revoked_at"] = FormatIso8601(*rec.revoked_at);
        j["revocation_reason"] = pki::RevocationReasonName(*rec.revocation_reason);
    }
    if (with_pem && !rec.der.empty()) j["certificate"] = pki::CertificatePemFromDer(rec.der);
    return j;
}

}  // namespace gzca::api
