#pragma once
// Certificate profiles: what each kind of certificate gzca issues carries.
//
//   kSubscriberSign  KU digitalSignature+nonRepudiation, EKU clientAuth (+emailProtection)
//   kSubscriberEnc   KU keyEncipherment+dataEncipherment+keyAgreement (RFC 5280 §4.2.1.3; for
//                    SM2 the keyAgreement bit is what GM/T 0015 encryption certificates use)
//   kOcspSigner      KU digitalSignature, EKU OCSPSigning, id-pkix-ocsp-nocheck
//                    (RFC 6960 §4.2.2.2.1)
//   kTlsServer       KU digitalSignature (+keyEncipherment for RSA), EKU serverAuth, SAN dNSName
//   kRootCa          BC cA=TRUE critical, KU keyCertSign+cRLSign critical
//   kIssuingCa       BC cA=TRUE pathLen=0 critical, KU keyCertSign+cRLSign critical
// All carry SKI and (except self-signed roots) AKI; end-entity and issuing-CA certificates carry
// CRL DP, AIA and certificate policies when configured.

#include <string_view>

#include "base/error.h"

namespace gzca::pki {

enum class Profile {
    kSubscriberSign,
    kSubscriberEnc,
    kOcspSigner,
    kTlsServer,
    kRootCa,
    kIssuingCa
};

// "sign", "enc", "ocsp-signer", "tls-server", "root-ca", "issuing-ca".
std::string_view ProfileName(Profile p);
Result<Profile> ParseProfile(std::string_view name);
bool IsCaProfile(Profile p);

}  // namespace gzca::pki
