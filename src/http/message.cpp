#include "http/message.h"

#include "base/ascii.h"

#include <array>

#include <nlohmann/json.hpp>

namespace gzca::http {
namespace {

constexpr std::array<std::string_view, kMethodCount> kMethodNames = {
    "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "OTHER"};

int HexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool HasControlChar(std::string_view s) {
    for (char c : s) {
        auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f) return true;
    }
    return false;
}

}  // namespace

std::string_view MethodName(Method method) {
    auto i = static_cast<std::size_t>(method);
    return i < kMethodNames.size() ? kMethodNames[i] : "OTHER";
}

Method ParseMethod(std::string_view name) {
    for (std::size_t i = 0; i + 1 < kMethodNames.size(); ++i) {
        if (kMethodNames[i] == name) return static_cast<Method>(i);
    }
    return Method::kOther;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
    return AsciiEqualsIgnoreCase(a, b);
}

void Headers::Add(std::string_view name, std::string_view value) {
    if (size_ == fields_.size()) fields_.emplace_back();
    Field& f = fields_[size_++];
    f.name.assign(name);
    f.value.assign(value);
}

void Headers::Set(std::string_view name, std::string_view value) {
    Remove(name);
    Add(name, value);
}

void Headers::Remove(std::string_view name) {
    std::size_t out = 0;
    for (std::size_t i = 0; i < size_; ++i) {
        if (EqualsIgnoreCase(fields_[i].name, name)) continue;
        if (out != i) std::swap(fields_[out], fields_[i]);
        ++out;
    }
    size_ = out;
}

std::optional<std::string_view> Headers::Get(std::string_view name) const {
    for (const Field& f : *this) {
        if (EqualsIgnoreCase(f.name, name)) return std::string_view(f.value);
    }
    return std::nullopt;
}

std::optional<std::string_view> Request::Query(std::string_view name) const {
    for (const QueryParam& p : query) {
        if (p.name == name) return std::string_view(p.value);
    }
    return std::nullopt;
}

void Request::Clear() {
    method = Method::kGet;
    target.clear();
    path.clear();
    query.clear();
    headers.Clear();
    body.clear();
    body_file.clear();
    body_file_size = 0;
    remote_address.clear();
    remote_port = 0;
    tls = false;
    client_cert_der.reset();
    client_cert_verified = false;
}

bool PercentDecodeInto(std::string_view text, bool plus_is_space, std::string& out) {
    out.clear();
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c == '%') {
            if (i + 2 >= text.size()) return false;
            int hi = HexValue(text[i + 1]);
            int lo = HexValue(text[i + 2]);
            if (hi < 0 || lo < 0) return false;
            out.push_back(static_cast<char>(hi * 16 + lo));
            i += 2;
        } else if (c == '+' && plus_is_space) {
            out.push_back(' ');
        } else {
            out.push_back(c);
        }
    }
    return true;
}

std::optional<std::string> PercentDecode(std::string_view text, bool plus_is_space) {
    std::string out;
    if (!PercentDecodeInto(text, plus_is_space, out)) return std::nullopt;
    return out;
}

Status ParseTarget(std::string_view target, Request& request) {
    if (target.empty() || target.front() != '/') {
        return Fail(ErrorCode::kInvalidArgument, "request target is not in origin-form",
                    "malformed request target");
    }
    if (HasControlChar(target)) {
        return Fail(ErrorCode::kInvalidArgument, "control character in request target",
                    "malformed request target");
    }
    request.target.assign(target);
    std::size_t q = target.find('?');
    request.path.assign(target.substr(0, q));
    request.query.clear();
    if (q == std::string_view::npos) return Ok();

    std::string_view rest = target.substr(q + 1);
    // A fragment is never sent by conforming clients (RFC 9110 §4.2.4); drop it if present.
    if (std::size_t h = rest.find('#'); h != std::string_view::npos) rest = rest.substr(0, h);
    while (!rest.empty()) {
        std::size_t amp = rest.find('&');
        std::string_view pair = rest.substr(0, amp);
        rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
        if (pair.empty()) continue;
        std::size_t eq = pair.find('=');
        std::string_view name = pair.substr(0, eq);
        std::string_view value =
            eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
        QueryParam& p = request.query.emplace_back();
        if (!PercentDecodeInto(name, true, p.name) || !PercentDecodeInto(value, true, p.value)) {
            request.query.clear();
            return Fail(ErrorCode::kInvalidArgument, "bad percent-escape in query",
                        "malformed query string");
        }
    }
    return Ok();
}

Response Response::Json(int status, const nlohmann::json& value) {
    Response r;
    r.status = status;
    r.content_type = "application/json";
    // Replace invalid UTF-8 instead of throwing: a handler echoing client text must not be able
    // to turn a response into a 500.
    r.body = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return r;
}

Response Response::Text(int status, std::string text) {
    Response r;
    r.status = status;
    r.content_type = "text/plain; charset=utf-8";
    r.body = std::move(text);
    return r;
}

Response Response::Bytes(int status, std::string_view content_type, std::string body) {
    Response r;
    r.status = status;
    r.content_type.assign(content_type);
    r.body = std::move(body);
    return r;
}

Response Response::Bytes(int status, std::string_view content_type, ByteView body) {
    return Bytes(status, content_type, std::string(AsString(body)));
}

Response Response::Empty(int status) {
    Response r;
    r.status = status;
    return r;
}

Response Response::Error(const ::gzca::Error& error) {
    std::string_view message = error.public_message;
    if (message.empty()) message = "request failed";
    return JsonError(HttpStatusFor(error.code), ErrorCodeName(error.code), message);
}

Response Response::JsonError(int status, std::string_view code, std::string_view message) {
    nlohmann::json body = {{"code", code}, {"message", message}};
    return Json(status, body);
}

}  // namespace gzca::http
