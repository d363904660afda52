// libFuzzer target for pki::ParseCsr: the first thing gzca does with bytes from the network.
//
// Beyond "no crash, no sanitizer report", it checks ParseCsr's contract: failures are
// kInvalidArgument with a public message, the OpenSSL error queue is left empty, and a CSR that
// parses has a key, a DER re-encoding that parses again to the same result, and (when present) a
// valid subject.

#include <openssl/err.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "pki/csr.h"
#include "pki/name.h"

namespace {

void Check(bool ok) {
    if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace gzca;
    auto csr = pki::ParseCsr(ByteView(data, size));
    Check(ERR_peek_error() == 0);
    if (!csr) {
        Check(csr.error().code == ErrorCode::kInvalidArgument);
        Check(!csr.error().public_message.empty());
        return 0;
    }
    Check(csr->public_key != nullptr);
    Check(!csr->der.empty());
    if (!csr->subject.attributes.empty()) {
        Check(static_cast<bool>(pki::Validate(csr->subject)));
        (void)pki::ToRfc4514(csr->subject);
    }
    auto again = pki::ParseCsr(csr->der);
    Check(static_cast<bool>(again));
    Check(again->der == csr->der);
    Check(again->subject == csr->subject);
    Check(again->sm2_id == csr->sm2_id);
    Check(again->key_algorithm == csr->key_algorithm);
    return 0;
}
