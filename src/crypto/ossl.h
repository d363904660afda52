#pragma once
// Owning smart pointers for OpenSSL handles (one deleter template), and the one way to turn
// the OpenSSL error queue into an Error.
//
// Contract: every function that calls OpenSSL either succeeds with an empty error queue or
// returns an Error made by OpenSslError(), which drains the queue into the internal message.
// OpenSSL's text never reaches Error::public_message.
//
// Thread-safety: the pointers are plain unique_ptrs; OpenSSL's own rules apply to the objects.

#include <memory>
#include <string>
#include <string_view>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "base/bytes.h"
#include "base/error.h"

namespace gzca::crypto {

template <auto FreeFn>
struct OsslDeleter {
    template <typename T>
    void operator()(T* p) const {
        FreeFn(p);
    }
};

using PKeyPtr = std::unique_ptr<EVP_PKEY, OsslDeleter<EVP_PKEY_free>>;
using PKeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, OsslDeleter<EVP_PKEY_CTX_free>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, OsslDeleter<EVP_MD_CTX_free>>;
using CipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, OsslDeleter<EVP_CIPHER_CTX_free>>;
using BioPtr = std::unique_ptr<BIO, OsslDeleter<BIO_free_all>>;
using BnPtr = std::unique_ptr<BIGNUM, OsslDeleter<BN_free>>;
using BnCtxPtr = std::unique_ptr<BN_CTX, OsslDeleter<BN_CTX_free>>;
using X509Ptr = std::unique_ptr<X509, OsslDeleter<X509_free>>;
using X509ReqPtr = std::unique_ptr<X509_REQ, OsslDeleter<X509_REQ_free>>;
using X509CrlPtr = std::unique_ptr<X509_CRL, OsslDeleter<X509_CRL_free>>;
using X509NamePtr = std::unique_ptr<X509_NAME, OsslDeleter<X509_NAME_free>>;
using X509ExtPtr = std::unique_ptr<X509_EXTENSION, OsslDeleter<X509_EXTENSION_free>>;
using X509RevokedPtr = std::unique_ptr<X509_REVOKED, OsslDeleter<X509_REVOKED_free>>;
using X509StorePtr = std::unique_ptr<X509_STORE, OsslDeleter<X509_STORE_free>>;
using X509StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, OsslDeleter<X509_STORE_CTX_free>>;
using Asn1IntegerPtr = std::unique_ptr<ASN1_INTEGER, OsslDeleter<ASN1_INTEGER_free>>;
using Asn1TimePtr = std::unique_ptr<ASN1_TIME, OsslDeleter<ASN1_TIME_free>>;
using Asn1OctetStringPtr = std::unique_ptr<ASN1_OCTET_STRING, OsslDeleter<ASN1_OCTET_STRING_free>>;
using OcspRequestPtr = std::unique_ptr<OCSP_REQUEST, OsslDeleter<OCSP_REQUEST_free>>;
using OcspResponsePtr = std::unique_ptr<OCSP_RESPONSE, OsslDeleter<OCSP_RESPONSE_free>>;
using OcspBasicRespPtr = std::unique_ptr<OCSP_BASICRESP, OsslDeleter<OCSP_BASICRESP_free>>;
using OcspCertIdPtr = std::unique_ptr<OCSP_CERTID, OsslDeleter<OCSP_CERTID_free>>;
using EcGroupPtr = std::unique_ptr<EC_GROUP, OsslDeleter<EC_GROUP_free>>;
using EcPointPtr = std::unique_ptr<EC_POINT, OsslDeleter<EC_POINT_free>>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, OsslDeleter<ECDSA_SIG_free>>;

// Takes a new reference on a pointer borrowed from a get0 accessor.
inline X509Ptr UpRef(X509* x) {
    if (x) X509_up_ref(x);
    return X509Ptr(x);
}
inline PKeyPtr UpRef(EVP_PKEY* k) {
    if (k) EVP_PKEY_up_ref(k);
    return PKeyPtr(k);
}

// The DER encoding of an OpenSSL object through its i2d function (i2d_X509, i2d_X509_CRL, ...);
// empty when encoding fails (the error queue is cleared).
template <typename T, typename I2d>
Bytes ToDer(const T* object, I2d i2d) {
    unsigned char* der = nullptr;
    int n = i2d(const_cast<T*>(object), &der);
    if (n <= 0) {
        ERR_clear_error();
        return {};
    }
    Bytes out(der, der + n);
    OPENSSL_free(der);
    return out;
}

// Drains the OpenSSL error queue into an Error: `what` and the queue go to `internal`,
// `public_message` (or `what` when empty) is what a user may see.
Error OpenSslError(std::string_view what, ErrorCode code = ErrorCode::kInternal,
                   std::string_view public_message = {});

// Empties the error queue (after an expected failure, e.g. trying one SM2 ID then another).
void ClearOpenSslErrors();

}  // namespace gzca::crypto
