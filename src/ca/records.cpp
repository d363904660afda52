#include "ca/records.h"

namespace gzca::ca {

std::string_view IssuerRoleName(IssuerRole role) {
    switch (role) {
        case IssuerRole::kRoot:
            return "root";
        case IssuerRole::kIssuing:
            return "issuing";
        case IssuerRole::kOcspSigner:
            return "ocsp";
    }
    return "issuing";
}

std::string_view CertStatusName(CertStatus s) {
    switch (s) {
        case CertStatus::kPending:
            return "pending";
        case CertStatus::kIssued:
            return "issued";
        case CertStatus::kAborted:
            return "aborted";
        case CertStatus::kRevoked:
            return "revoked";
    }
    return "pending";
}

std::string CertificateRecord::EffectiveStatus(TimePoint now) const {
    switch (status) {
        case CertStatus::kPending:
            return "pending";
        case CertStatus::kAborted:
            return "aborted";
        case CertStatus::kRevoked:
            return revocation_reason == pki::RevocationReason::kSuperseded ? "superseded"
                                                                           : "revoked";
        case CertStatus::kIssued:
            return now > not_after ? "expired" : "valid";
    }
    return "pending";
}

}  // namespace gzca::ca
