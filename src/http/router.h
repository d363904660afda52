#pragma once
// Method + path-pattern routing to plain handler functions.
//
// Patterns are absolute paths whose segments are literals, `{name}` (exactly one non-empty
// segment) or, as the last segment only, `{name...}` (the rest of the path, '/' included,
// possibly empty). Examples:
//
//   /api/v1/certificates/{serial}/revoke
//   /crl/{name}
//   /ocsp/{request...}        RFC 6960 App. A GET: base64 that may hold '/', '+' and %-escapes
//
// Matching works on the raw (percent-encoded) path split at '/'; each segment is percent-decoded
// before it is compared with a literal or stored as a parameter, so "%2F" inside a segment never
// splits it, and '+' stays '+'. A rest parameter is the decoded remainder. When several patterns
// match, the most specific wins, segment by segment: literal over `{name}` over `{name...}`.
// A HEAD request with no HEAD route is served by the GET route (the server drops the body).
//
// Outcomes: the handler's Response; 404 {"code":"not_found"} when no pattern matches the path;
// 405 {"code":"method_not_allowed"} with an Allow header when patterns match but not the method;
// 400 {"code":"invalid_argument"} for a malformed percent-escape in the path; 500
// {"code":"internal"} when a handler throws (the exception is logged, never sent).
//
// Thread-safety: register every route before the server starts; after that, the const members
// may be called from any number of threads at once.

#include <array>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "http/message.h"

namespace gzca::http {

class Metrics;

// Parameters captured by a route. Names point into the Router's patterns: a PathParams must not
// outlive the Router that filled it.
class PathParams {
  public:
    static constexpr std::size_t kMax = 8;

    // The decoded value of `name`, or an empty view when the route has no such parameter.
    std::string_view Get(std::string_view name) const;
    bool Has(std::string_view name) const;
    std::size_t size() const { return size_; }
    std::string_view name(std::size_t i) const { return names_[i]; }
    std::string_view value(std::size_t i) const { return values_[i]; }

    void Clear() { size_ = 0; }
    // Appends a parameter and returns its value buffer to decode into.
    std::string& Append(std::string_view name);

  private:
    std::array<std::string_view, kMax> names_{};
    std::array<std::string, kMax> values_{};
    std::size_t size_ = 0;
};

using Handler = std::function<Response(const Request&, const PathParams&)>;

// Per-route request handling, for the few routes whose bodies differ from the server default.
struct RouteOptions {
    // Largest accepted body; 0 = the server's ServerOptions::max_body_bytes. Larger bodies are
    // answered 413 before the handler runs (checked against Content-Length once the header is
    // in, and while a chunked body arrives).
    std::size_t max_body_bytes = 0;
    // Write the body to a temporary file in ServerOptions::spool_dir instead of memory: the
    // handler finds it at Request::body_file (Request::body stays empty), may move it away
    // (rename), and the server removes whatever is left there after the response. For uploads:
    // a 10 MB upload then costs the server no more than its read buffer.
    bool spool_body_to_file = false;
};

class Router {
  public:
    enum class Outcome { kFound, kNotFound, kMethodNotAllowed, kBadPath };

    struct Match {
        Outcome outcome = Outcome::kNotFound;
        // kFound: the route to run. kMethodNotAllowed: the first route whose path matched.
        // Otherwise kNoRoute.
        std::size_t route = kNoRoute;
        PathParams params;  // kFound only
        std::string allow;  // kMethodNotAllowed only: "GET, HEAD, POST"
    };
    static constexpr std::size_t kNoRoute = static_cast<std::size_t>(-1);

    Router();
    ~Router();
    Router(const Router&) = delete;
    Router& operator=(const Router&) = delete;

    // Registers `handler` for `method` on `pattern`. Throws std::invalid_argument for a pattern
    // that does not start with '/', has an empty or malformed `{...}` segment, a rest segment
    // that is not last, more than PathParams::kMax parameters, a repeated parameter name, or
    // duplicates an existing method + pattern (parameter names ignored); and for kOther.
    void Add(Method method, std::string_view pattern, Handler handler, RouteOptions options = {});
    void Get(std::string_view pattern, Handler h) { Add(Method::kGet, pattern, std::move(h)); }
    void Post(std::string_view pattern, Handler h, RouteOptions o = {}) {
        Add(Method::kPost, pattern, std::move(h), o);
    }
    void Put(std::string_view pattern, Handler h, RouteOptions o = {}) {
        Add(Method::kPut, pattern, std::move(h), o);
    }
    void Delete(std::string_view pattern, Handler h) {
        Add(Method::kDelete, pattern, std::move(h));
    }

    // Finds the route for `method` on the raw `path` (no query). Does not allocate on the found
    // path unless a decoded parameter is longer than std::string's inline buffer.
    void Find(Method method, std::string_view path, Match& out) const;
    Match Find(Method method, std::string_view path) const {
        Match m;
        Find(method, path, m);
        return m;
    }

    // Runs the handler of a kFound match, or builds the 404/405/400 response. Never throws: a
    // handler's exception is logged and becomes a 500.
    Response Respond(const Request& request, const Match& match) const;

    // Find + Respond: the whole routing step, callable in tests without a server.
    Response Handle(const Request& request) const;

    std::size_t size() const { return routes_.size(); }
    // Of route `i` (registration order): its method and pattern, e.g. for metric labels.
    Method route_method(std::size_t i) const;
    const std::string& route_pattern(std::size_t i) const;
    const RouteOptions& route_options(std::size_t i) const;

  private:
    struct Route;

    std::vector<std::unique_ptr<Route>> routes_;  // registration order; index = route id
    std::vector<const Route*> by_specificity_;    // most specific first
};

// Registers GET /healthz ({"status":"ok"} 200, or {"status":"unavailable"} 503 when `healthy`
// returns false) and GET /metrics (metrics.RenderPrometheus()). `metrics` must outlive the
// router's use.
void RegisterHealthAndMetrics(Router& router, const Metrics& metrics,
                              std::function<bool()> healthy = {});

}  // namespace gzca::http
