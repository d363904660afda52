#include "crypto/ossl.h"

#include <openssl/err.h>

#include <string>

namespace gzca::crypto {

Error OpenSslError(std::string_view what, ErrorCode code, std::string_view public_message) {
    std::string internal(what);
    const char* file = nullptr;
    const char* func = nullptr;
    const char* data = nullptr;
    int line = 0;
    int flags = 0;
    bool first = true;
    // Oldest error first: that is usually the root cause, later entries add context.
    while (unsigned long e = ERR_get_error_all(&file, &line, &func, &data, &flags)) {
        internal += first ? ": " : "; ";
        first = false;
        char buf[256];
        ERR_error_string_n(e, buf, sizeof(buf));
        internal += buf;
        if (func != nullptr && *func != '\0') {
            internal += " in ";
            internal += func;
        }
        if ((flags & ERR_TXT_STRING) != 0 && data != nullptr && *data != '\0') {
            internal += " (";
            internal += data;
            internal += ")";
        }
    }
    if (first) internal += ": no OpenSSL error recorded";
    return Error{code, std::move(internal),
                 std::string(public_message.empty() ? what : public_message)};
}

void ClearOpenSslErrors() { ERR_clear_error(); }

}  // namespace gzca::crypto
