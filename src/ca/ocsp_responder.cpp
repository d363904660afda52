#include "ca/ocsp_responder.h"

#include <algorithm>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>
#include <spdlog/spdlog.h>

#include "ca/authority.h"
#include "crypto/ossl.h"
#include "pki/certificate.h"

namespace gzca::ca {

namespace {

// RFC 8954 §2.1: a nonce is 1 to 32 octets; responders reject longer ones.
constexpr std::size_t kMaxNonceSize = 32;

// CertID hash algorithms answered. SHA-1 is what RFC 5019 clients send; the rest cost nothing.
struct CertIdHash {
    int nid;
    const EVP_MD* (*md)();
};
constexpr CertIdHash kCertIdHashes[] = {
    {NID_sha1, EVP_sha1},     {NID_sha256, EVP_sha256}, {NID_sha384, EVP_sha384},
    {NID_sha512, EVP_sha512}, {NID_sm3, EVP_sm3},
};

// A CertID's serialNumber as an unsigned magnitude without leading zero octets; empty for zero.
struct SerialView {
    ByteView magnitude;
    bool negative = false;
};
SerialView SerialOf(const ASN1_INTEGER* serial) {
    SerialView v;
    if (serial == nullptr) return v;
    const unsigned char* data = ASN1_STRING_get0_data(serial);
    auto len = static_cast<std::size_t>(ASN1_STRING_length(serial));
    while (len > 0 && *data == 0) {
        ++data;
        --len;
    }
    v.magnitude = ByteView(data, len);
    v.negative = ASN1_STRING_type(serial) == V_ASN1_NEG_INTEGER && len > 0;
    return v;
}

std::uint64_t Fnv1a(std::uint64_t h, ByteView data) {
    for (std::uint8_t b : data) {
        h ^= b;
        h *= 0x100000001b3ULL;
    }
    return h;
}

std::uint64_t SerialHash(std::int64_t issuer_id, ByteView serial) {
    std::uint64_t h = 0xcbf29ce484222325ULL ^ static_cast<std::uint64_t>(issuer_id);
    return Fnv1a(h * 0x100000001b3ULL, serial);
}

// A GeneralizedTime (RFC 6960 §4.2.2.1: all OCSP times are GeneralizedTime).
Result<crypto::Asn1TimePtr> GeneralizedTime(TimePoint t) {
    crypto::Asn1TimePtr out(ASN1_GENERALIZEDTIME_set(nullptr, static_cast<time_t>(ToUnix(t))));
    if (!out) return Fail(crypto::OpenSslError("ASN1_GENERALIZEDTIME_set"));
    return out;
}

Result<Bytes> DigestOf(const EVP_MD* md, bool key, const X509* cert) {
    unsigned char buf[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    int ok = key ? X509_pubkey_digest(cert, md, buf, &len)
                 : X509_NAME_digest(X509_get_subject_name(cert), md, buf, &len);
    if (ok != 1) return Fail(crypto::OpenSslError("hashing a CA name or key for CertIDs"));
    return Bytes(buf, buf + len);
}

// Errors of the status look-up or the signer: tryLater when the cause may go away by itself
// (database down, token absent), internalError otherwise.
OcspResponseStatus StatusFor(const Error& error) {
    return error.code == ErrorCode::kUnavailable ? OcspResponseStatus::kTryLater
                                                 : OcspResponseStatus::kInternalError;
}

// One SingleResponse's content.
struct CertStatusAnswer {
    int status = V_OCSP_CERTSTATUS_UNKNOWN;
    TimePoint revoked_at;
    int reason = OCSP_REVOKED_STATUS_NOSTATUS;  // omitted (RFC 5280 §5.3.1: unspecified)
};

}  // namespace

// The CAs a CertID may name, with their CertID hashes precomputed. Immutable once built, shared
// by every request that took it.
struct OcspResponder::IssuerTable {
    struct Hashes {
        int nid = NID_undef;
        Bytes name_hash;
        Bytes key_hash;
    };
    struct Entry {
        IssuerRecord ca;
        crypto::X509Ptr ca_cert;
        std::optional<IssuerRecord> delegate;  // newest OCSP signer certified by `ca`
        crypto::X509Ptr delegate_cert;
        std::vector<Hashes> hashes;
    };
    std::vector<Entry> entries;
    TimePoint loaded_at;

    // The CA `id` names, or nullptr. `nid` receives the CertID's hash algorithm.
    const Entry* Match(OCSP_CERTID* id, int* nid) const {
        ASN1_OCTET_STRING* name_hash = nullptr;
        ASN1_OBJECT* md = nullptr;
        ASN1_OCTET_STRING* key_hash = nullptr;
        if (OCSP_id_get0_info(&name_hash, &md, &key_hash, nullptr, id) != 1) return nullptr;
        *nid = OBJ_obj2nid(md);
        auto same = [](const ASN1_OCTET_STRING* s, const Bytes& b) {
            return static_cast<std::size_t>(ASN1_STRING_length(s)) == b.size() &&
                   std::memcmp(ASN1_STRING_get0_data(s), b.data(), b.size()) == 0;
        };
        for (const Entry& e : entries) {
            for (const Hashes& h : e.hashes) {
                if (h.nid == *nid && same(key_hash, h.key_hash) && same(name_hash, h.name_hash)) {
                    return &e;
                }
            }
        }
        return nullptr;
    }
};

OcspResponder::OcspResponder(CertificateAuthority& ca, const Clock& clock, OcspOptions options)
    : ca_(ca), clock_(clock), options_(options) {}

OcspResponder::~OcspResponder() = default;

std::size_t OcspResponder::CacheKeyHash::operator()(const CacheKey& k) const {
    std::uint64_t h = SerialHash(k.issuer_id, ByteView(k.serial.data(), k.serial_size));
    return static_cast<std::size_t>((h ^ static_cast<std::uint64_t>(k.hash_nid)) *
                                    0x9e3779b97f4a7c15ULL);
}

Bytes OcspResponder::ErrorResponse(OcspResponseStatus status) {
    // OCSPResponse ::= SEQUENCE { responseStatus ENUMERATED } — no responseBytes (§4.2.1).
    return Bytes{0x30, 0x03, 0x0a, 0x01, static_cast<std::uint8_t>(status)};
}

OcspResponder::Stats OcspResponder::stats() const {
    Stats s;
    s.requests = requests_.load(std::memory_order_relaxed);
    s.cache_hits = cache_hits_.load(std::memory_order_relaxed);
    s.signed_responses = signed_.load(std::memory_order_relaxed);
    s.malformed = malformed_.load(std::memory_order_relaxed);
    s.unauthorized = unauthorized_.load(std::memory_order_relaxed);
    s.errors = errors_.load(std::memory_order_relaxed);
    return s;
}

Bytes OcspResponder::Reject(OcspResponseStatus status, std::string_view why) {
    crypto::ClearOpenSslErrors();
    switch (status) {
        case OcspResponseStatus::kMalformedRequest:
            malformed_.fetch_add(1, std::memory_order_relaxed);
            spdlog::debug("OCSP: malformed request: {}", why);
            break;
        case OcspResponseStatus::kUnauthorized:
            unauthorized_.fetch_add(1, std::memory_order_relaxed);
            spdlog::debug("OCSP: unauthorized: {}", why);
            break;
        default:
            errors_.fetch_add(1, std::memory_order_relaxed);
            spdlog::error("OCSP: cannot answer ({}): {}",
                          status == OcspResponseStatus::kTryLater ? "tryLater" : "internalError",
                          why);
            break;
    }
    return ErrorResponse(status);
}

Bytes OcspResponder::Respond(ByteView der_request) {
    requests_.fetch_add(1, std::memory_order_relaxed);
    try {
        return Answer(der_request);
    } catch (const std::exception& e) {
        // A broken invariant in a request's path ends that request only.
        return Reject(OcspResponseStatus::kInternalError, e.what());
    }
}

Bytes OcspResponder::RespondGet(std::string_view path_segment) {
    auto malformed = [&](std::string_view why) {
        requests_.fetch_add(1, std::memory_order_relaxed);
        return Reject(OcspResponseStatus::kMalformedRequest, why);
    };
    // Base64 is 4/3 of the DER, and each character may be %-escaped (3 characters).
    if (path_segment.size() > options_.max_request_size * 4 + 16) {
        return malformed("GET request too long");
    }
    auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    std::string b64;
    b64.reserve(path_segment.size() + 3);
    for (std::size_t i = 0; i < path_segment.size(); ++i) {
        char c = path_segment[i];
        if (c == '%') {
            int hi = i + 2 < path_segment.size() ? hex(path_segment[i + 1]) : -1;
            int lo = hi >= 0 ? hex(path_segment[i + 2]) : -1;
            if (lo < 0) return malformed("bad percent-escape in GET request");
            c = static_cast<char>(hi * 16 + lo);
            i += 2;
        }
        // '+' is a base64 digit here, never a space (RFC 3986 paths; RFC 6960 Appendix A.1).
        if (c == '-') c = '+';  // URL-safe alphabet (RFC 4648 §5), tolerated
        if (c == '_') c = '/';
        b64.push_back(c);
    }
    while (!b64.empty() && b64.back() == '=') b64.pop_back();
    if (b64.size() % 4 == 1) return malformed("truncated base64 in GET request");
    while (b64.size() % 4 != 0) b64.push_back('=');
    auto der = Base64Decode(b64);
    if (!der) return malformed("bad base64 in GET request");
    return Respond(*der);
}

Result<std::shared_ptr<const OcspResponder::IssuerTable>> OcspResponder::Issuers(
    bool reload_if_stale) {
    const TimePoint now = clock_.Now();
    {
        std::lock_guard lock(table_mutex_);
        if (table_ &&
            (!reload_if_stale || now - table_->loaded_at < options_.issuer_reload_interval)) {
            return table_;
        }
    }
    // Built outside the lock: several threads may build at once after InvalidateAll; the last
    // one to finish wins, and every table built is correct.
    GZCA_ASSIGN_OR_RETURN(auto issuers, ca_.ListIssuers());
    auto table = std::make_shared<IssuerTable>();
    table->loaded_at = now;
    for (const IssuerRecord& rec : issuers) {
        if (rec.role == IssuerRole::kOcspSigner) continue;
        IssuerTable::Entry e;
        e.ca = rec;
        GZCA_ASSIGN_OR_RETURN(e.ca_cert, pki::ParseCertificate(rec.cert_der));
        for (const IssuerRecord& d : issuers) {
            if (d.role == IssuerRole::kOcspSigner && d.parent_id == rec.id &&
                (!e.delegate || d.id > e.delegate->id)) {
                e.delegate = d;
            }
        }
        if (e.delegate) {
            GZCA_ASSIGN_OR_RETURN(e.delegate_cert, pki::ParseCertificate(e.delegate->cert_der));
        }
        for (const CertIdHash& h : kCertIdHashes) {
            const EVP_MD* md = h.md();
            if (md == nullptr) continue;  // a build without SM3
            IssuerTable::Hashes hashes;
            hashes.nid = h.nid;
            GZCA_ASSIGN_OR_RETURN(hashes.name_hash, DigestOf(md, false, e.ca_cert.get()));
            GZCA_ASSIGN_OR_RETURN(hashes.key_hash, DigestOf(md, true, e.ca_cert.get()));
            e.hashes.push_back(std::move(hashes));
        }
        table->entries.push_back(std::move(e));
    }
    std::lock_guard lock(table_mutex_);
    table_ = std::move(table);
    return table_;
}

OcspResponder::Shard& OcspResponder::ShardFor(std::int64_t issuer_id, ByteView serial) {
    return shards_[SerialHash(issuer_id, serial) % kShards];
}

std::optional<Bytes> OcspResponder::CacheFind(const CacheKey& key, TimePoint now,
                                              std::uint64_t* generation) {
    Shard& shard = ShardFor(key.issuer_id, ByteView(key.serial.data(), key.serial_size));
    std::lock_guard lock(shard.mutex);
    auto it = shard.map.find(key);
    if (it != shard.map.end() && now < it->second.refresh_at) return it->second.der;
    *generation = shard.generation;
    return std::nullopt;
}

void OcspResponder::CacheStore(const CacheKey& key, Bytes der, TimePoint refresh_at,
                               std::uint64_t generation) {
    if (options_.max_cache_entries == 0) return;
    const std::size_t capacity = std::max<std::size_t>(1, options_.max_cache_entries / kShards);
    const TimePoint now = clock_.Now();
    Shard& shard = ShardFor(key.issuer_id, ByteView(key.serial.data(), key.serial_size));
    std::lock_guard lock(shard.mutex);
    if (shard.generation != generation) return;  // invalidated while we were signing
    if (shard.map.size() >= capacity && !shard.map.contains(key)) {
        std::erase_if(shard.map, [&](const auto& kv) { return kv.second.refresh_at <= now; });
        if (shard.map.size() >= capacity) shard.map.erase(shard.map.begin());
    }
    shard.map.insert_or_assign(key, CachedResponse{std::move(der), refresh_at});
}

void OcspResponder::Invalidate(std::int64_t issuer_id, std::string_view serial) {
    auto magnitude = pki::ParseSerialHex(serial);
    if (!magnitude) return;
    CacheKey key;
    key.issuer_id = issuer_id;
    key.serial_size = static_cast<std::uint8_t>(magnitude->size());
    std::copy(magnitude->begin(), magnitude->end(), key.serial.begin());
    if (key.serial_size == 1 && key.serial[0] == 0) key.serial_size = 0;  // zero
    Shard& shard = ShardFor(issuer_id, ByteView(key.serial.data(), key.serial_size));
    std::lock_guard lock(shard.mutex);
    ++shard.generation;
    for (const CertIdHash& h : kCertIdHashes) {
        key.hash_nid = h.nid;
        shard.map.erase(key);
    }
}

void OcspResponder::InvalidateAll() {
    {
        std::lock_guard lock(table_mutex_);
        table_.reset();
    }
    for (Shard& shard : shards_) {
        std::lock_guard lock(shard.mutex);
        ++shard.generation;
        shard.map.clear();
    }
}

Bytes OcspResponder::Answer(ByteView der_request) {
    using enum OcspResponseStatus;
    crypto::ClearOpenSslErrors();

    // 1. Decode (RFC 6960 §4.1.1). The whole input must be one OCSPRequest.
    if (der_request.empty() || der_request.size() > options_.max_request_size) {
        return Reject(kMalformedRequest, fmt::format("request of {} bytes", der_request.size()));
    }
    const unsigned char* p = der_request.data();
    crypto::OcspRequestPtr req(
        d2i_OCSP_REQUEST(nullptr, &p, static_cast<long>(der_request.size())));
    if (!req || p != der_request.data() + der_request.size()) {
        return Reject(kMalformedRequest, "not a DER OCSPRequest");
    }
    const int count = OCSP_request_onereq_count(req.get());
    if (count <= 0 || static_cast<std::size_t>(count) > options_.max_requests_per_message) {
        return Reject(kMalformedRequest, fmt::format("{} CertIDs in one request", count));
    }

    // 2. Extensions: the nonce (once, 1..32 octets); nothing else we must understand.
    bool has_nonce = false;
    for (int i = 0; i < OCSP_REQUEST_get_ext_count(req.get()); ++i) {
        X509_EXTENSION* ext = OCSP_REQUEST_get_ext(req.get(), i);
        const int nid = OBJ_obj2nid(X509_EXTENSION_get_object(ext));
        if (nid == NID_id_pkix_OCSP_Nonce) {
            if (has_nonce) return Reject(kMalformedRequest, "two nonce extensions");
            has_nonce = true;
            // extnValue holds an OCTET STRING with the nonce (RFC 6960 §4.4.1); some old
            // clients put the raw nonce there instead — measure what is there either way.
            const ASN1_OCTET_STRING* value = X509_EXTENSION_get_data(ext);
            const unsigned char* q = ASN1_STRING_get0_data(value);
            const long value_len = ASN1_STRING_length(value);
            auto size = static_cast<std::size_t>(value_len);
            crypto::Asn1OctetStringPtr inner(d2i_ASN1_OCTET_STRING(nullptr, &q, value_len));
            if (inner && q == ASN1_STRING_get0_data(value) + value_len) {
                size = static_cast<std::size_t>(ASN1_STRING_length(inner.get()));
            }
            ERR_clear_error();
            if (size == 0 || size > kMaxNonceSize) {
                return Reject(kMalformedRequest,
                              fmt::format("nonce of {} octets (RFC 8954: 1 to 32)", size));
            }
        } else if (X509_EXTENSION_get_critical(ext) &&
                   nid != NID_id_pkix_OCSP_acceptableResponses) {
            return Reject(kMalformedRequest, "unknown critical request extension");
        }
    }
    std::vector<OCSP_CERTID*> ids(static_cast<std::size_t>(count));
    for (int i = 0; i < count; ++i) {
        OCSP_ONEREQ* one = OCSP_request_onereq_get0(req.get(), i);
        for (int j = 0; j < OCSP_ONEREQ_get_ext_count(one); ++j) {
            if (X509_EXTENSION_get_critical(OCSP_ONEREQ_get_ext(one, j))) {
                return Reject(kMalformedRequest, "unknown critical singleRequest extension");
            }
        }
        ids[static_cast<std::size_t>(i)] = OCSP_onereq_get0_id(one);
    }

    // 3. Which CA answers: the first one a CertID names.
    auto table = Issuers(false);
    if (!table) return Reject(StatusFor(table.error()), table.error().internal);
    std::vector<const IssuerTable::Entry*> named(ids.size());
    std::vector<int> nids(ids.size());
    const IssuerTable::Entry* responder = nullptr;
    std::size_t first = 0;
    auto match = [&] {
        for (std::size_t i = 0; i < ids.size(); ++i) {
            named[i] = (*table)->Match(ids[i], &nids[i]);
            if (named[i] && !responder) {
                responder = named[i];
                first = i;
            }
        }
    };
    match();
    if (!responder) {
        // Perhaps a hierarchy created since the table was read.
        table = Issuers(true);
        if (!table) return Reject(StatusFor(table.error()), table.error().internal);
        match();
        if (!responder) return Reject(kUnauthorized, "no CertID names a CA of gzca");
    }

    // 4. Pre-signed response for a lone nonce-less CertID.
    const TimePoint now = clock_.Now();
    std::optional<CacheKey> cache_key;
    std::uint64_t generation = 0;
    if (count == 1 && !has_nonce) {
        ASN1_INTEGER* serial = nullptr;
        OCSP_id_get0_info(nullptr, nullptr, nullptr, &serial, ids[first]);
        SerialView sv = SerialOf(serial);
        if (!sv.negative && sv.magnitude.size() <= CacheKey{}.serial.size()) {
            CacheKey key;
            key.issuer_id = responder->ca.id;
            key.hash_nid = nids[first];
            key.serial_size = static_cast<std::uint8_t>(sv.magnitude.size());
            std::copy(sv.magnitude.begin(), sv.magnitude.end(), key.serial.begin());
            if (auto hit = CacheFind(key, now, &generation)) {
                cache_hits_.fetch_add(1, std::memory_order_relaxed);
                return std::move(*hit);
            }
            cache_key = key;
        }
    }

    // 5. Status of each CertID: one indexed look-up per CertID, in one read transaction.
    std::vector<CertStatusAnswer> answers(ids.size());
    auto look_up = [&]() -> Status {
        GZCA_ASSIGN_OR_RETURN(auto tx, ca_.database().Begin(false));
        for (std::size_t i = 0; i < ids.size(); ++i) {
            if (named[i] != responder) continue;  // another CA's: unknown from this responder
            ASN1_INTEGER* serial = nullptr;
            OCSP_id_get0_info(nullptr, nullptr, nullptr, &serial, ids[i]);
            SerialView sv = SerialOf(serial);
            if (sv.negative || sv.magnitude.empty() || sv.magnitude.size() > 20) continue;
            GZCA_ASSIGN_OR_RETURN(
                auto row, tx->QueryOne("SELECT status, revoked_at, revocation_reason "
                                       "FROM certificates WHERE issuer_id = $1 AND serial = $2",
                                       {responder->ca.id, HexEncode(sv.magnitude)}));
            if (!row) continue;
            const std::string& status = row->Text(0);
            if (status == "issued") {
                answers[i].status = V_OCSP_CERTSTATUS_GOOD;
            } else if (status == "revoked") {
                auto at = row->OptInt(1);
                if (!at) {
                    return Fail(ErrorCode::kInternal,
                                fmt::format("revoked certificate {} has no revocation time",
                                            HexEncode(sv.magnitude)));
                }
                answers[i].status = V_OCSP_CERTSTATUS_REVOKED;
                answers[i].revoked_at = FromUnix(*at);
                auto reason = row->OptInt(2).value_or(0);
                if (reason != static_cast<std::int64_t>(pki::RevocationReason::kUnspecified)) {
                    answers[i].reason = static_cast<int>(reason);
                }
            }
            // pending and aborted: never signed or never handed out — unknown, never good.
        }
        return Ok();
    };
    if (auto st = look_up(); !st) return Reject(StatusFor(st.error()), st.error().internal);

    // 6. Sign with the delegated OCSP signer, or the CA itself (root; expired delegate).
    const IssuerRecord* signer_record = &responder->ca;
    X509* signer_cert = responder->ca_cert.get();
    if (responder->delegate && responder->delegate->not_after > now) {
        signer_record = &*responder->delegate;
        signer_cert = responder->delegate_cert.get();
    }
    const TimePoint next_update = std::min(now + options_.validity, signer_record->not_after);
    if (next_update <= now) {
        return Reject(kInternalError,
                      fmt::format("OCSP signer {} has expired", signer_record->name));
    }
    auto sign = [&]() -> Result<Bytes> {
        GZCA_ASSIGN_OR_RETURN(const crypto::Signer* signer, ca_.SignerFor(*signer_record));
        crypto::OcspBasicRespPtr basic(OCSP_BASICRESP_new());
        if (!basic) return Fail(crypto::OpenSslError("OCSP_BASICRESP_new"));
        GZCA_ASSIGN_OR_RETURN(auto this_update_time, GeneralizedTime(now));
        GZCA_ASSIGN_OR_RETURN(auto next_update_time, GeneralizedTime(next_update));
        for (std::size_t i = 0; i < ids.size(); ++i) {
            crypto::Asn1TimePtr revoked_at;
            if (answers[i].status == V_OCSP_CERTSTATUS_REVOKED) {
                GZCA_ASSIGN_OR_RETURN(revoked_at, GeneralizedTime(answers[i].revoked_at));
            }
            if (!OCSP_basic_add1_status(basic.get(), ids[i], answers[i].status, answers[i].reason,
                                        revoked_at.get(), this_update_time.get(),
                                        next_update_time.get())) {
                return Fail(crypto::OpenSslError("OCSP_basic_add1_status"));
            }
        }
        if (has_nonce && OCSP_copy_nonce(basic.get(), req.get()) != 1) {
            return Fail(crypto::OpenSslError("OCSP_copy_nonce"));
        }
        // producedAt from our clock, not the system's: OCSP_NOTIME leaves it to us.
        auto* produced_at =
            const_cast<ASN1_GENERALIZEDTIME*>(OCSP_resp_get0_produced_at(basic.get()));
        if (ASN1_GENERALIZEDTIME_set(produced_at, static_cast<time_t>(ToUnix(now))) == nullptr) {
            return Fail(crypto::OpenSslError("setting producedAt"));
        }
        GZCA_ASSIGN_OR_RETURN(auto mctx, signer->NewSignContext());
        if (OCSP_basic_sign_ctx(basic.get(), signer_cert, mctx.get(), nullptr,
                                OCSP_RESPID_KEY | OCSP_NOTIME) != 1) {
            return Fail(crypto::OpenSslError(
                fmt::format("signing an OCSP response with {}", signer_record->name)));
        }
        crypto::OcspResponsePtr response(
            OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, basic.get()));
        if (!response) return Fail(crypto::OpenSslError("OCSP_response_create"));
        unsigned char* der = nullptr;
        const int len = i2d_OCSP_RESPONSE(response.get(), &der);
        if (len <= 0) return Fail(crypto::OpenSslError("i2d_OCSP_RESPONSE"));
        Bytes out(der, der + len);
        OPENSSL_free(der);
        return out;
    };
    auto response = sign();
    if (!response) return Reject(StatusFor(response.error()), response.error().internal);
    signed_.fetch_add(1, std::memory_order_relaxed);
    if (cache_key) {
        CacheStore(*cache_key, *response, next_update - options_.refresh_margin, generation);
    }
    return std::move(*response);
}

}  // namespace gzca::ca
