#include "http/router.h"

#include <algorithm>
#include <array>
#include <exception>
#include <stdexcept>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "http/metrics.h"

namespace gzca::http {
namespace {

// Paths with more segments than this match nothing (no route comes near it).
constexpr std::size_t kMaxSegments = 32;

enum class SegKind : std::uint8_t { kLiteral = 0, kParam = 1, kRest = 2 };

struct Segment {
    SegKind kind;
    std::string text;  // literal (decoded) or parameter name
};

// A raw path split at '/': segment i is path[offset[i], offset[i] + length[i]).
struct SplitPath {
    std::array<std::string_view, kMaxSegments> segs;
    std::array<std::size_t, kMaxSegments> offsets;
    std::size_t count = 0;
};

// Splits "/a/b" into {"a","b"}, "/" into {""}. False when there are too many segments or the
// path does not start with '/'.
bool Split(std::string_view path, SplitPath& out) {
    if (path.empty() || path.front() != '/') return false;
    out.count = 0;
    std::size_t pos = 1;
    while (true) {
        if (out.count == kMaxSegments) return false;
        std::size_t slash = path.find('/', pos);
        std::size_t end = slash == std::string_view::npos ? path.size() : slash;
        out.segs[out.count] = path.substr(pos, end - pos);
        out.offsets[out.count] = pos;
        ++out.count;
        if (slash == std::string_view::npos) return true;
        pos = slash + 1;
    }
}

// Compares a raw segment with a decoded literal without allocating.
bool SegmentEquals(std::string_view raw, std::string_view literal) {
    if (raw.find('%') == std::string_view::npos) return raw == literal;
    std::string decoded;
    return PercentDecodeInto(raw, false, decoded) && decoded == literal;
}

bool ValidPath(std::string_view path) {
    // Every escape must decode; checked once so that matching can treat a bad escape as a
    // non-match and the caller can still answer 400.
    for (std::size_t i = 0; i < path.size(); ++i) {
        if (path[i] != '%') continue;
        auto hex = [](char c) {
            return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
        };
        if (i + 2 >= path.size() || !hex(path[i + 1]) || !hex(path[i + 2])) return false;
        i += 2;
    }
    return true;
}

}  // namespace

struct Router::Route {
    Method method;
    std::string pattern;
    std::vector<Segment> segments;
    Handler handler;
    RouteOptions options;
    std::size_t index;

    bool SameShape(const Route& other) const {
        if (segments.size() != other.segments.size()) return false;
        for (std::size_t i = 0; i < segments.size(); ++i) {
            if (segments[i].kind != other.segments[i].kind) return false;
            if (segments[i].kind == SegKind::kLiteral &&
                segments[i].text != other.segments[i].text) {
                return false;
            }
        }
        return true;
    }
};

std::string_view PathParams::Get(std::string_view name) const {
    for (std::size_t i = 0; i < size_; ++i) {
        if (names_[i] == name) return values_[i];
    }
    return {};
}

bool PathParams::Has(std::string_view name) const {
    for (std::size_t i = 0; i < size_; ++i) {
        if (names_[i] == name) return true;
    }
    return false;
}

std::string& PathParams::Append(std::string_view name) {
    if (size_ == kMax) throw std::logic_error("too many path parameters");
    names_[size_] = name;
    return values_[size_++];
}

Router::Router() = default;
Router::~Router() = default;

void Router::Add(Method method, std::string_view pattern, Handler handler, RouteOptions options) {
    auto bad = [&](std::string_view why) {
        return std::invalid_argument(fmt::format("route pattern '{}': {}", pattern, why));
    };
    if (method == Method::kOther) throw bad("method OTHER cannot be routed");
    if (!handler) throw bad("empty handler");
    if (pattern.empty() || pattern.front() != '/') throw bad("must start with '/'");

    auto route = std::make_unique<Route>();
    route->method = method;
    route->pattern.assign(pattern);
    route->handler = std::move(handler);
    route->options = options;
    route->index = routes_.size();

    SplitPath split;
    if (!Split(pattern, split)) throw bad("too many segments");
    std::size_t params = 0;
    for (std::size_t i = 0; i < split.count; ++i) {
        std::string_view s = split.segs[i];
        Segment seg{SegKind::kLiteral, std::string(s)};
        if (s.starts_with('{')) {
            if (!s.ends_with('}') || s.size() < 3) throw bad("malformed parameter");
            std::string_view name = s.substr(1, s.size() - 2);
            seg.kind = SegKind::kParam;
            if (name.ends_with("...")) {
                name.remove_suffix(3);
                seg.kind = SegKind::kRest;
                if (i + 1 != split.count) throw bad("a {name...} segment must be last");
            }
            if (name.empty()) throw bad("empty parameter name");
            for (char c : name) {
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '_')) {
                    throw bad("parameter names are [A-Za-z0-9_]+");
                }
            }
            for (const Segment& prev : route->segments) {
                if (prev.kind != SegKind::kLiteral && prev.text == name) {
                    throw bad("repeated parameter name");
                }
            }
            if (++params > PathParams::kMax) throw bad("too many parameters");
            seg.text.assign(name);
        } else if (s.find_first_of("{}%") != std::string_view::npos) {
            throw bad("literal segments may not contain '{', '}' or '%'");
        }
        route->segments.push_back(std::move(seg));
    }
    for (const auto& existing : routes_) {
        if (existing->method == method && existing->SameShape(*route)) {
            throw bad(fmt::format("duplicates '{}'", existing->pattern));
        }
    }

    routes_.push_back(std::move(route));
    by_specificity_.clear();
    for (const auto& r : routes_) by_specificity_.push_back(r.get());
    // Lexicographic on segment kinds: literal < param < rest; a shorter pattern that is a prefix
    // of a longer one cannot match the same path unless the longer has a rest segment, which
    // must then come after it. stable_sort keeps registration order among equals.
    std::stable_sort(by_specificity_.begin(), by_specificity_.end(),
                     [](const Route* a, const Route* b) {
                         std::size_t n = std::min(a->segments.size(), b->segments.size());
                         for (std::size_t i = 0; i < n; ++i) {
                             if (a->segments[i].kind != b->segments[i].kind) {
                                 return a->segments[i].kind < b->segments[i].kind;
                             }
                         }
                         return a->segments.size() > b->segments.size();
                     });
}

namespace {

// Whether the route with `segs` matches the path `split` was made from; fills `params` when
// non-null.
bool MatchRoute(const std::vector<Segment>& segs, std::string_view path, const SplitPath& split,
                PathParams* params) {
    bool has_rest = !segs.empty() && segs.back().kind == SegKind::kRest;
    if (has_rest ? split.count < segs.size() : split.count != segs.size()) return false;
    if (params) params->Clear();
    for (std::size_t i = 0; i < segs.size(); ++i) {
        const Segment& seg = segs[i];
        switch (seg.kind) {
            case SegKind::kLiteral:
                if (!SegmentEquals(split.segs[i], seg.text)) return false;
                break;
            case SegKind::kParam:
                if (split.segs[i].empty()) return false;
                if (params && !PercentDecodeInto(split.segs[i], false, params->Append(seg.text))) {
                    return false;
                }
                break;
            case SegKind::kRest:
                if (params && !PercentDecodeInto(path.substr(split.offsets[i]), false,
                                                 params->Append(seg.text))) {
                    return false;
                }
                break;
        }
    }
    return true;
}

}  // namespace

void Router::Find(Method method, std::string_view path, Match& out) const {
    out.outcome = Outcome::kNotFound;
    out.route = kNoRoute;
    out.params.Clear();
    out.allow.clear();
    if (!ValidPath(path)) {
        out.outcome = Outcome::kBadPath;
        return;
    }
    SplitPath split;
    if (!Split(path, split)) return;
    // Cheap pre-check on the segments only; parameters are decoded for the winner alone.
    const Route* get_fallback = nullptr;
    for (const Route* r : by_specificity_) {
        if (r->method != method && !(method == Method::kHead && r->method == Method::kGet)) {
            continue;
        }
        if (!MatchRoute(r->segments, path, split, nullptr)) continue;
        if (r->method == method) {
            out.route = r->index;
            break;
        }
        if (!get_fallback) get_fallback = r;
    }
    if (out.route == kNoRoute && get_fallback) out.route = get_fallback->index;
    if (out.route != kNoRoute) {
        out.outcome = Outcome::kFound;
        MatchRoute(routes_[out.route]->segments, path, split, &out.params);
        return;
    }

    // Not found for this method: does the path exist under another one?
    std::array<bool, kMethodCount> allowed{};
    for (const Route* r : by_specificity_) {
        if (!MatchRoute(r->segments, path, split, nullptr)) continue;
        if (out.route == kNoRoute) out.route = r->index;
        allowed[static_cast<std::size_t>(r->method)] = true;
        if (r->method == Method::kGet) allowed[static_cast<std::size_t>(Method::kHead)] = true;
    }
    if (out.route == kNoRoute) return;
    out.outcome = Outcome::kMethodNotAllowed;
    for (std::size_t i = 0; i < kMethodCount; ++i) {
        if (!allowed[i]) continue;
        if (!out.allow.empty()) out.allow += ", ";
        out.allow += MethodName(static_cast<Method>(i));
    }
}

Response Router::Respond(const Request& request, const Match& match) const {
    switch (match.outcome) {
        case Outcome::kFound:
            break;
        case Outcome::kNotFound:
            return Response::JsonError(404, "not_found", "no such resource");
        case Outcome::kBadPath:
            return Response::JsonError(400, "invalid_argument", "malformed request path");
        case Outcome::kMethodNotAllowed:
            return Response::JsonError(405, "method_not_allowed",
                                       "method not allowed for this resource")
                .WithHeader("Allow", match.allow);
    }
    const Route& route = *routes_.at(match.route);
    try {
        return route.handler(request, match.params);
    } catch (const std::exception& e) {
        spdlog::error("http: handler for {} {} threw: {}", MethodName(route.method), route.pattern,
                      e.what());
    } catch (...) {
        spdlog::error("http: handler for {} {} threw a non-standard exception",
                      MethodName(route.method), route.pattern);
    }
    return Response::JsonError(500, "internal", "internal error");
}

Response Router::Handle(const Request& request) const {
    Match m;
    Find(request.method, request.path, m);
    return Respond(request, m);
}

Method Router::route_method(std::size_t i) const { return routes_.at(i)->method; }

const std::string& Router::route_pattern(std::size_t i) const { return routes_.at(i)->pattern; }

const RouteOptions& Router::route_options(std::size_t i) const { return routes_.at(i)->options; }

void RegisterHealthAndMetrics(Router& router, const Metrics& metrics,
                              std::function<bool()> healthy) {
    router.Get("/healthz", [healthy = std::move(healthy)](const Request&, const PathParams&) {
        bool ok = !healthy || healthy();
        Response r =
            Response::Json(ok ? 200 : 503, nlohmann::json{{"status", ok ? "ok" : "unavailable"}});
        r.headers.Add("Cache-Control", "no-store");
        return r;
    });
    router.Get("/metrics", [&metrics](const Request&, const PathParams&) {
        Response r = Response::Bytes(200, Metrics::kContentType, metrics.RenderPrometheus());
        r.headers.Add("Cache-Control", "no-store");
        return r;
    });
}

}  // namespace gzca::http
