#pragma once
// Plain HTTP request and response values, free of Boost.Beast, so that handlers (the `api`
// module) compile fast and can be unit-tested without sockets.
//
// The server fills a Request from the wire, hands it to a handler as `const Request&` and turns
// the returned Response into bytes. Nothing here performs I/O.
//
// Thread-safety: plain values. A Request is owned by one connection and is only read by the
// handler that receives it; copy a Response freely.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "base/bytes.h"
#include "base/error.h"

namespace gzca::http {

// Request methods the server understands. Anything else is answered 501 by the server before
// routing (RFC 9110 §9.1), so handlers never see kOther.
enum class Method : std::uint8_t { kGet, kHead, kPost, kPut, kDelete, kPatch, kOptions, kOther };
inline constexpr std::size_t kMethodCount = 8;

// "GET", "HEAD", …; "OTHER" for kOther.
std::string_view MethodName(Method method);
// Case-sensitive, as RFC 9110 §9.1 says method names are; kOther when unknown.
Method ParseMethod(std::string_view name);

// Case-insensitive header list (RFC 9110 §5.1) keeping arrival order and repeated fields.
// Clear() keeps the storage, so a connection reusing one Request allocates little per request.
class Headers {
  public:
    struct Field {
        std::string name;
        std::string value;
    };

    // Appends a field; a repeated name keeps both fields.
    void Add(std::string_view name, std::string_view value);
    // Replaces every field of that name with one field.
    void Set(std::string_view name, std::string_view value);
    // Removes every field of that name; no-op when absent.
    void Remove(std::string_view name);
    // The first field of that name, or nullopt. The view lives as long as this Headers is
    // unchanged.
    std::optional<std::string_view> Get(std::string_view name) const;
    bool Has(std::string_view name) const { return Get(name).has_value(); }

    void Clear() { size_ = 0; }
    std::size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    const Field* begin() const { return fields_.data(); }
    const Field* end() const { return fields_.data() + size_; }

  private:
    std::vector<Field> fields_;  // [0, size_) are live; the rest are kept for reuse
    std::size_t size_ = 0;
};

// Case-insensitive ASCII comparison, as used for header names.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// One decoded query parameter (application/x-www-form-urlencoded: '+' is a space).
struct QueryParam {
    std::string name;
    std::string value;
};

struct Request {
    Method method = Method::kGet;
    std::string target;  // as received: origin-form path plus optional "?query"
    std::string path;    // target before '?', still percent-encoded (the router decodes segments)
    std::vector<QueryParam> query;  // decoded, in order; repeated names kept
    Headers headers;
    std::string body;
    // For routes with RouteOptions::spool_body_to_file: the file holding the body (empty path
    // otherwise). The handler may rename it away; the server deletes it after the response.
    std::string body_file;
    std::uint64_t body_file_size = 0;

    std::string remote_address;  // peer IP, textual ("127.0.0.1", "::1")
    std::uint16_t remote_port = 0;
    bool tls = false;
    // The DER of the certificate the TLS client presented, or null. Present does NOT mean
    // trusted: check `client_cert_verified` or verify it yourself.
    std::shared_ptr<const Bytes> client_cert_der;
    // True only when a client certificate was presented and chained to the configured client
    // CA file (TlsOptions::client_ca_file) without error.
    bool client_cert_verified = false;

    // The first header of that name (case-insensitive), or nullopt.
    std::optional<std::string_view> Header(std::string_view name) const {
        return headers.Get(name);
    }
    // The first query parameter of that name (case-sensitive), or nullopt.
    std::optional<std::string_view> Query(std::string_view name) const;

    // Empties every field, keeping allocated storage for reuse.
    void Clear();
};

// Splits an origin-form request target into `path` and decoded `query` of `request` (and sets
// `request.target`). Fails with kInvalidArgument when the target does not start with '/',
// contains a malformed percent-escape in the query, or a control character.
Status ParseTarget(std::string_view target, Request& request);

// Decodes %XX escapes; with `plus_is_space`, '+' becomes ' ' (form encoding, query strings
// only — in paths '+' is itself, which matters for base64 in OCSP GET URLs, RFC 6960 App. A).
// nullopt on a truncated or non-hex escape.
std::optional<std::string> PercentDecode(std::string_view text, bool plus_is_space);
// As above, decoding into `out` (cleared first, storage reused); false on a bad escape.
bool PercentDecodeInto(std::string_view text, bool plus_is_space, std::string& out);

struct Response {
    int status = 200;
    std::string content_type;  // empty: no Content-Type header
    std::string body;
    // Extra headers (Location, Cache-Control, Set-Cookie …). The server owns Content-Length,
    // Transfer-Encoding, Connection, Date, Server and Content-Type (set `content_type`); fields of
    // those names here are ignored, as are fields whose name or value could split the header.
    Headers headers;

    // `value` serialised compactly, Content-Type application/json.
    static Response Json(int status, const nlohmann::json& value);
    // text/plain; charset=utf-8.
    static Response Text(int status, std::string text);
    static Response Bytes(int status, std::string_view content_type, std::string body);
    static Response Bytes(int status, std::string_view content_type, ByteView body);
    // No body (204, 304, or a bare status).
    static Response Empty(int status);
    // {"code": ErrorCodeName(code), "message": public_message} with HttpStatusFor(code). The
    // internal message never leaves the process; log it yourself if it matters.
    static Response Error(const ::gzca::Error& error);
    // {"code": code, "message": message} with an explicit status, for conditions that have no
    // ErrorCode (405 method_not_allowed, 413 payload_too_large …).
    static Response JsonError(int status, std::string_view code, std::string_view message);

    Response& WithHeader(std::string_view name, std::string_view value) & {
        headers.Add(name, value);
        return *this;
    }
    Response&& WithHeader(std::string_view name, std::string_view value) && {
        headers.Add(name, value);
        return std::move(*this);
    }
};

}  // namespace gzca::http
