#pragma once
// The one JSON shape of a certificate record, shared by the HTTP API and the CLI's --json.

#include <nlohmann/json.hpp>

#include "ca/records.h"

namespace gzca::api {

// {serial, issuer, status, profile, subject, key_algorithm, not_before, not_after, replaces,
//  [csr_sm2_id], [revoked_at, revocation_reason], [certificate (PEM) when with_pem]}
nlohmann::json CertificateJson(const ca::CertificateRecord& rec, TimePoint now, bool with_pem);

}  // namespace gzca::api
