#include "pki/profile.h"

namespace gzca::pki {

namespace {

constexpr Profile kAllProfiles[] = {Profile::kSubscriberSign, Profile::kSubscriberEnc,
                                    Profile::kOcspSigner,     Profile::kTlsServer,
                                    Profile::kRootCa,         Profile::kIssuingCa};

}  // namespace

std::string_view ProfileName(Profile p) {
    switch (p) {
        case Profile::kSubscriberSign:
            return "sign";
        case Profile::kSubscriberEnc:
            return "enc";
        case Profile::kOcspSigner:
            return "ocsp-signer";
        case Profile::kTlsServer:
            return "tls-server";
        case Profile::kRootCa:
            return "root-ca";
        case Profile::kIssuingCa:
            return "issuing-ca";
    }
    return "unknown";
}

Result<Profile> ParseProfile(std::string_view name) {
    for (Profile p : kAllProfiles) {
        if (ProfileName(p) == name) return p;
    }
    // The name is not echoed: it is user input and may not even be valid UTF-8.
    return Fail(ErrorCode::kInvalidArgument,
                "unknown certificate profile (expected sign, enc, ocsp-signer, tls-server, "
                "root-ca or issuing-ca)");
}

bool IsCaProfile(Profile p) { return p == Profile::kRootCa || p == Profile::kIssuingCa; }

}  // namespace gzca::pki
