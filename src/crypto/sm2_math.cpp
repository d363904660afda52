#include "crypto/sm2_math.h"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>

#include <algorithm>
#include <stdexcept>
#include <string>

#include "crypto/signer.h"

namespace gzca::crypto {

namespace {

// Secret scalars are wiped when freed.
using SecretBnPtr = std::unique_ptr<BIGNUM, OsslDeleter<BN_clear_free>>;
using ParamBldPtr = std::unique_ptr<OSSL_PARAM_BLD, OsslDeleter<OSSL_PARAM_BLD_free>>;
using ParamsPtr = std::unique_ptr<OSSL_PARAM, OsslDeleter<OSSL_PARAM_free>>;

// Uncompressed point: 0x04 ‖ x ‖ y (GM/T 0003.1 §4.2.9).
constexpr std::size_t kPointSize = 1 + 2 * kSm2ScalarSize;

// ENTL is a 16-bit bit length (GM/T 0003.2 §5.5), so the ID must be shorter than 8192 bytes.
constexpr std::size_t kMaxIdBytes = 8191;

// Allocation failures in OpenSSL leave no sane way to continue.
void Check(bool ok, const char* what) {
    if (!ok) {
        ClearOpenSslErrors();
        throw std::runtime_error(std::string("SM2 arithmetic: ") + what + " failed");
    }
}

BnCtxPtr NewBnCtx() {
    BnCtxPtr ctx(BN_CTX_new());
    Check(ctx != nullptr, "BN_CTX_new");
    return ctx;
}

BnPtr NewBn() {
    BnPtr bn(BN_new());
    Check(bn != nullptr, "BN_new");
    return bn;
}

Result<BnPtr> ScalarFromBytes(ByteView bytes, const char* what) {
    if (bytes.empty() || bytes.size() > kSm2ScalarSize) {
        return Fail(
            ErrorCode::kInvalidArgument,
            std::string(what) + " must be 1 to 32 bytes, got " + std::to_string(bytes.size()));
    }
    BnPtr bn(BN_bin2bn(bytes.data(), static_cast<int>(bytes.size()), nullptr));
    Check(bn != nullptr, "BN_bin2bn");
    return bn;
}

Result<SecretBnPtr> SecretFromBytes(ByteView bytes, const char* what) {
    GZCA_ASSIGN_OR_RETURN(BnPtr bn, ScalarFromBytes(bytes, what));
    SecretBnPtr secret(bn.release());
    BN_set_flags(secret.get(), BN_FLG_CONSTTIME);
    return secret;
}

Bytes ScalarToBytes(const BIGNUM* bn) {
    Bytes out(kSm2ScalarSize);
    Check(
        BN_bn2binpad(bn, out.data(), static_cast<int>(out.size())) == static_cast<int>(out.size()),
        "BN_bn2binpad");
    return out;
}

// True when 1 ≤ v ≤ limit − 1.
bool InOpenRange(const BIGNUM* v, const BIGNUM* limit) {
    return !BN_is_zero(v) && !BN_is_negative(v) && BN_cmp(v, limit) < 0;
}

// Private keys must satisfy 1 ≤ d ≤ n − 2 (GM/T 0003.1 §6.1).
Status CheckPrivateScalar(const EC_GROUP* group, const BIGNUM* d) {
    BnPtr n_minus_1 = NewBn();
    Check(BN_sub(n_minus_1.get(), EC_GROUP_get0_order(group), BN_value_one()) == 1, "BN_sub");
    if (!InOpenRange(d, n_minus_1.get())) {
        return Fail(ErrorCode::kInvalidArgument, "SM2 private key outside [1, n-2]");
    }
    return Ok();
}

Result<EcPointPtr> PointFromBytes(const EC_GROUP* group, ByteView point, BN_CTX* ctx) {
    if (point.size() != kPointSize || point[0] != 0x04) {
        return Fail(ErrorCode::kInvalidArgument,
                    "SM2 public point must be 65 bytes 04||x||y, got " +
                        std::to_string(point.size()) + " bytes");
    }
    EcPointPtr p(EC_POINT_new(group));
    Check(p != nullptr, "EC_POINT_new");
    // oct2point checks that the point lies on the curve.
    if (EC_POINT_oct2point(group, p.get(), point.data(), point.size(), ctx) != 1) {
        return Fail(
            OpenSslError("SM2 public point is not on the curve", ErrorCode::kInvalidArgument));
    }
    return p;
}

Bytes PointToBytes(const EC_GROUP* group, const EC_POINT* p, BN_CTX* ctx) {
    Bytes out(kPointSize);
    std::size_t n =
        EC_POINT_point2oct(group, p, POINT_CONVERSION_UNCOMPRESSED, out.data(), out.size(), ctx);
    Check(n == kPointSize, "EC_POINT_point2oct");
    return out;
}

// Builds an SM2-typed EVP_PKEY from the public point and, when given, the private scalar.
Result<PKeyPtr> BuildSm2Key(ByteView point, const BIGNUM* d) {
    ParamBldPtr bld(OSSL_PARAM_BLD_new());
    Check(bld != nullptr, "OSSL_PARAM_BLD_new");
    Check(OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, SN_sm2, 0) == 1,
          "push group");
    Check(OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                           point.size()) == 1,
          "push public key");
    if (d != nullptr) {
        Check(OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, d) == 1,
              "push private key");
    }
    ParamsPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
    Check(params != nullptr, "OSSL_PARAM_BLD_to_param");

    PKeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "SM2", nullptr));
    if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1) {
        return Fail(OpenSslError("SM2 key management is unavailable"));
    }
    EVP_PKEY* raw = nullptr;
    int selection = d != nullptr ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY;
    if (EVP_PKEY_fromdata(ctx.get(), &raw, selection, params.get()) != 1) {
        return Fail(OpenSslError("building SM2 key", ErrorCode::kInvalidArgument));
    }
    return PKeyPtr(raw);
}

}  // namespace

EcGroupPtr NewSm2Group() {
    EcGroupPtr group(EC_GROUP_new_by_curve_name(NID_sm2));
    Check(group != nullptr, "EC_GROUP_new_by_curve_name(SM2)");
    return group;
}

Result<Bytes> Sm2PublicPoint(const EVP_PKEY* key) {
    if (key == nullptr || !(EVP_PKEY_is_a(key, "SM2") || EVP_PKEY_is_a(key, "EC"))) {
        return Fail(ErrorCode::kInvalidArgument, "not an SM2 key");
    }
    char group_name[64] = {};
    std::size_t name_len = 0;
    if (EVP_PKEY_get_group_name(key, group_name, sizeof(group_name), &name_len) != 1 ||
        OBJ_sn2nid(group_name) != NID_sm2) {
        ClearOpenSslErrors();
        return Fail(ErrorCode::kInvalidArgument, "not an SM2 key");
    }
    // The encoded public key may be compressed; normalise to 04 ‖ x ‖ y.
    unsigned char buf[2 * kPointSize];
    std::size_t len = 0;
    if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, buf, sizeof(buf), &len) !=
        1) {
        return Fail(OpenSslError("reading SM2 public point", ErrorCode::kInvalidArgument));
    }
    EcGroupPtr group = NewSm2Group();
    BnCtxPtr ctx = NewBnCtx();
    EcPointPtr p(EC_POINT_new(group.get()));
    Check(p != nullptr, "EC_POINT_new");
    if (EC_POINT_oct2point(group.get(), p.get(), buf, len, ctx.get()) != 1) {
        return Fail(OpenSslError("SM2 public point is malformed", ErrorCode::kInvalidArgument));
    }
    return PointToBytes(group.get(), p.get(), ctx.get());
}

Result<Bytes> Sm2PublicPointFromPrivate(ByteView d_bytes) {
    EcGroupPtr group = NewSm2Group();
    BnCtxPtr ctx = NewBnCtx();
    GZCA_ASSIGN_OR_RETURN(SecretBnPtr d, SecretFromBytes(d_bytes, "SM2 private key"));
    GZCA_TRY_STATUS(CheckPrivateScalar(group.get(), d.get()));
    EcPointPtr p(EC_POINT_new(group.get()));
    Check(p != nullptr, "EC_POINT_new");
    Check(EC_POINT_mul(group.get(), p.get(), d.get(), nullptr, nullptr, ctx.get()) == 1,
          "EC_POINT_mul");
    return PointToBytes(group.get(), p.get(), ctx.get());
}

Result<PKeyPtr> Sm2KeyFromPrivate(ByteView d_bytes) {
    GZCA_ASSIGN_OR_RETURN(Bytes point, Sm2PublicPointFromPrivate(d_bytes));
    GZCA_ASSIGN_OR_RETURN(SecretBnPtr d, SecretFromBytes(d_bytes, "SM2 private key"));
    return BuildSm2Key(point, d.get());
}

Result<PKeyPtr> Sm2PublicKeyFromPoint(ByteView point) {
    EcGroupPtr group = NewSm2Group();
    BnCtxPtr ctx = NewBnCtx();
    GZCA_TRY_STATUS(PointFromBytes(group.get(), point, ctx.get()));
    return BuildSm2Key(point, nullptr);
}

Result<Bytes> Sm2ComputeZ(ByteView public_point, std::string_view id) {
    if (id.size() > kMaxIdBytes) {
        return Fail(ErrorCode::kInvalidArgument, "SM2 signer ID longer than 8191 bytes");
    }
    EcGroupPtr group = NewSm2Group();
    BnCtxPtr ctx = NewBnCtx();
    GZCA_TRY_STATUS(PointFromBytes(group.get(), public_point, ctx.get()));

    BnPtr p = NewBn(), a = NewBn(), b = NewBn(), xg = NewBn(), yg = NewBn();
    Check(EC_GROUP_get_curve(group.get(), p.get(), a.get(), b.get(), ctx.get()) == 1,
          "EC_GROUP_get_curve");
    Check(EC_POINT_get_affine_coordinates(group.get(), EC_GROUP_get0_generator(group.get()),
                                          xg.get(), yg.get(), ctx.get()) == 1,
          "generator coordinates");

    const std::size_t entl = id.size() * 8;
    Bytes z_input;
    z_input.reserve(2 + id.size() + 6 * kSm2ScalarSize);
    z_input.push_back(static_cast<std::uint8_t>(entl >> 8));
    z_input.push_back(static_cast<std::uint8_t>(entl & 0xff));
    z_input.insert(z_input.end(), id.begin(), id.end());
    for (const BIGNUM* v : {a.get(), b.get(), xg.get(), yg.get()}) {
        Bytes bytes = ScalarToBytes(v);
        z_input.insert(z_input.end(), bytes.begin(), bytes.end());
    }
    // x_A ‖ y_A are the point's coordinates exactly as encoded (already 32 bytes each).
    z_input.insert(z_input.end(), public_point.begin() + 1, public_point.end());
    return Sm3(z_input);
}

Result<Bytes> Sm2MessageDigest(ByteView public_point, std::string_view id, ByteView message) {
    GZCA_ASSIGN_OR_RETURN(Bytes z, Sm2ComputeZ(public_point, id));
    z.insert(z.end(), message.begin(), message.end());
    return Sm3(z);
}

Result<Sm2Signature> Sm2SignDigestWithK(ByteView d_bytes, ByteView e_bytes, ByteView k_bytes) {
    EcGroupPtr group = NewSm2Group();
    const EC_GROUP* g = group.get();
    const BIGNUM* n = EC_GROUP_get0_order(g);
    BnCtxPtr ctx = NewBnCtx();

    GZCA_ASSIGN_OR_RETURN(SecretBnPtr d, SecretFromBytes(d_bytes, "SM2 private key"));
    GZCA_ASSIGN_OR_RETURN(SecretBnPtr k, SecretFromBytes(k_bytes, "SM2 nonce k"));
    GZCA_ASSIGN_OR_RETURN(BnPtr e, ScalarFromBytes(e_bytes, "SM2 digest e"));
    GZCA_TRY_STATUS(CheckPrivateScalar(g, d.get()));
    if (!InOpenRange(k.get(), n)) {
        return Fail(ErrorCode::kInvalidArgument, "SM2 nonce k outside [1, n-1]");
    }

    // A4: (x1, y1) = [k]G.
    EcPointPtr kg(EC_POINT_new(g));
    Check(kg != nullptr, "EC_POINT_new");
    Check(EC_POINT_mul(g, kg.get(), k.get(), nullptr, nullptr, ctx.get()) == 1, "EC_POINT_mul");
    BnPtr x1 = NewBn();
    Check(EC_POINT_get_affine_coordinates(g, kg.get(), x1.get(), nullptr, ctx.get()) == 1,
          "EC_POINT_get_affine_coordinates");

    // A5: r = (e + x1) mod n; reject r = 0 and r + k = n.
    BnPtr r = NewBn();
    Check(BN_mod_add(r.get(), e.get(), x1.get(), n, ctx.get()) == 1, "BN_mod_add");
    BnPtr r_plus_k = NewBn();
    Check(BN_add(r_plus_k.get(), r.get(), k.get()) == 1, "BN_add");
    if (BN_is_zero(r.get()) || BN_cmp(r_plus_k.get(), n) == 0) {
        return Fail(ErrorCode::kInvalidArgument, "SM2 nonce k gives r = 0 or r + k = n");
    }

    // A6: s = (1 + d)⁻¹ · (k − r·d) mod n; reject s = 0.
    SecretBnPtr d_plus_1(BN_new());
    Check(d_plus_1 != nullptr, "BN_new");
    BN_set_flags(d_plus_1.get(), BN_FLG_CONSTTIME);
    Check(BN_add(d_plus_1.get(), d.get(), BN_value_one()) == 1, "BN_add");
    SecretBnPtr inv(BN_mod_inverse(nullptr, d_plus_1.get(), n, ctx.get()));
    Check(inv != nullptr, "BN_mod_inverse");
    SecretBnPtr rd(BN_new());
    Check(rd != nullptr, "BN_new");
    Check(BN_mod_mul(rd.get(), r.get(), d.get(), n, ctx.get()) == 1, "BN_mod_mul");
    SecretBnPtr k_minus_rd(BN_new());
    Check(k_minus_rd != nullptr, "BN_new");
    Check(BN_mod_sub(k_minus_rd.get(), k.get(), rd.get(), n, ctx.get()) == 1, "BN_mod_sub");
    BnPtr s = NewBn();
    Check(BN_mod_mul(s.get(), inv.get(), k_minus_rd.get(), n, ctx.get()) == 1, "BN_mod_mul");
    if (BN_is_zero(s.get())) {
        return Fail(ErrorCode::kInvalidArgument, "SM2 nonce k gives s = 0");
    }
    return Sm2Signature{ScalarToBytes(r.get()), ScalarToBytes(s.get())};
}

Result<bool> Sm2VerifyDigest(ByteView public_point, ByteView e_bytes, const Sm2Signature& sig) {
    EcGroupPtr group = NewSm2Group();
    const EC_GROUP* g = group.get();
    const BIGNUM* n = EC_GROUP_get0_order(g);
    BnCtxPtr ctx = NewBnCtx();
    GZCA_ASSIGN_OR_RETURN(EcPointPtr pa, PointFromBytes(g, public_point, ctx.get()));
    GZCA_ASSIGN_OR_RETURN(BnPtr e, ScalarFromBytes(e_bytes, "SM2 digest e"));

    auto r = ScalarFromBytes(sig.r, "r");
    auto s = ScalarFromBytes(sig.s, "s");
    // B1–B2: r, s ∈ [1, n−1].
    if (!r || !s || !InOpenRange(r->get(), n) || !InOpenRange(s->get(), n)) return false;

    // B5: t = (r + s) mod n, t ≠ 0.
    BnPtr t = NewBn();
    Check(BN_mod_add(t.get(), r->get(), s->get(), n, ctx.get()) == 1, "BN_mod_add");
    if (BN_is_zero(t.get())) return false;

    // B6: (x1', y1') = [s]G + [t]P_A.
    EcPointPtr sum(EC_POINT_new(g));
    Check(sum != nullptr, "EC_POINT_new");
    Check(EC_POINT_mul(g, sum.get(), s->get(), pa.get(), t.get(), ctx.get()) == 1, "EC_POINT_mul");
    if (EC_POINT_is_at_infinity(g, sum.get())) return false;
    BnPtr x1 = NewBn();
    Check(EC_POINT_get_affine_coordinates(g, sum.get(), x1.get(), nullptr, ctx.get()) == 1,
          "EC_POINT_get_affine_coordinates");

    // B7: R = (e + x1') mod n must equal r.
    BnPtr big_r = NewBn();
    Check(BN_mod_add(big_r.get(), e.get(), x1.get(), n, ctx.get()) == 1, "BN_mod_add");
    return BN_cmp(big_r.get(), r->get()) == 0;
}

Result<Bytes> Sm2SignatureToDer(const Sm2Signature& sig) {
    GZCA_ASSIGN_OR_RETURN(BnPtr r, ScalarFromBytes(sig.r, "SM2 signature r"));
    GZCA_ASSIGN_OR_RETURN(BnPtr s, ScalarFromBytes(sig.s, "SM2 signature s"));
    EcdsaSigPtr der_sig(ECDSA_SIG_new());
    Check(der_sig != nullptr, "ECDSA_SIG_new");
    // set0 takes ownership of both numbers.
    Check(ECDSA_SIG_set0(der_sig.get(), r.get(), s.get()) == 1, "ECDSA_SIG_set0");
    r.release();
    s.release();
    int len = i2d_ECDSA_SIG(der_sig.get(), nullptr);
    Check(len > 0, "i2d_ECDSA_SIG");
    Bytes out(static_cast<std::size_t>(len));
    unsigned char* p = out.data();
    Check(i2d_ECDSA_SIG(der_sig.get(), &p) == len, "i2d_ECDSA_SIG");
    return out;
}

Result<Sm2Signature> Sm2SignatureFromDer(ByteView der) {
    const unsigned char* p = der.data();
    EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
    if (!sig) {
        return Fail(OpenSslError("SM2 signature is not valid DER", ErrorCode::kInvalidArgument));
    }
    if (p != der.data() + der.size()) {
        return Fail(ErrorCode::kInvalidArgument, "trailing bytes after SM2 signature");
    }
    // d2i tolerates some BER; only the DER encoding is a valid signature (GM/T 0009 §7.3).
    unsigned char* reencoded = nullptr;
    int len = i2d_ECDSA_SIG(sig.get(), &reencoded);
    Check(len > 0, "i2d_ECDSA_SIG");
    bool canonical = static_cast<std::size_t>(len) == der.size() &&
                     std::equal(der.begin(), der.end(), reencoded);
    OPENSSL_free(reencoded);
    if (!canonical) {
        return Fail(ErrorCode::kInvalidArgument, "SM2 signature is not DER-encoded");
    }
    const BIGNUM* r = ECDSA_SIG_get0_r(sig.get());
    const BIGNUM* s = ECDSA_SIG_get0_s(sig.get());
    if (BN_is_negative(r) || BN_is_negative(s) ||
        BN_num_bytes(r) > static_cast<int>(kSm2ScalarSize) ||
        BN_num_bytes(s) > static_cast<int>(kSm2ScalarSize)) {
        return Fail(ErrorCode::kInvalidArgument, "SM2 signature values out of range");
    }
    return Sm2Signature{ScalarToBytes(r), ScalarToBytes(s)};
}

}  // namespace gzca::crypto
