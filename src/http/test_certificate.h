#pragma once
// Test and benchmark support only (linked into http_server_test and http_server_benchmark):
// a throwaway self-signed P-256 certificate for a TLS listener, valid from an hour ago for a
// day. http tests do not link the CA modules, so this is built with OpenSSL directly.
//
// Thread-safety: a pure function.

#include <string>

namespace gzca::http::testing {

struct SelfSignedPem {
    std::string cert;  // PEM certificate
    std::string key;   // PEM PKCS#8 private key, unencrypted
};

SelfSignedPem MakeSelfSigned(const char* common_name);

}  // namespace gzca::http::testing
