#pragma once
// The CA's HTTP surface, registered on an http::Router:
//
//   GET  /crl/{issuer}.crl                 current CRL (DER, application/pkix-crl)
//   GET  /ca/{issuer}.crt                  CA certificate (DER, application/pkix-cert)
//   POST /ocsp, GET /ocsp/{base64...}      OCSP (RFC 6960 App. A), application/ocsp-response
//   POST /api/v1/certificates              issue from a CSR           scope certificates:issue
//   POST /api/v1/certificates/{serial}/renew                          scope certificates:issue
//   POST /api/v1/certificates/{serial}/reissue                        scope certificates:issue
//   POST /api/v1/certificates/{serial}/revoke                         scope certificates:revoke
//   GET  /api/v1/certificates/{serial}     one certificate             scope certificates:read
//   GET  /api/v1/certificates?status=&subject=&issuer=&expiring_within_days=&limit=&offset=
//
// The JSON API is described in docs/openapi.yaml. Handlers parse, authenticate, call one CA
// use case and render; errors are {code, message} with the public message only.
//
// Thread-safety: handlers may run on many threads at once.

#include <functional>

#include "api/api_keys.h"
#include "ca/authority.h"
#include "ca/ocsp_responder.h"
#include "http/metrics.h"
#include "http/router.h"

namespace gzca::api {

struct Services {
    ca::CertificateAuthority& ca;
    ca::OcspResponder& ocsp;
    ApiKeyStore& keys;
    http::Metrics& metrics;
    // Called after a revocation commits (CRL refresh, OCSP cache), with the issuer's id.
    std::function<void(std::int64_t issuer_id, const std::string& serial)> on_revoked;
};

void RegisterStatusRoutes(http::Router& router, Services& services);
void RegisterCertificateApi(http::Router& router, Services& services);

}  // namespace gzca::api
