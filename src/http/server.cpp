// The only translation unit that includes Boost.Beast / Asio: everything template-heavy lives
// here so that handlers, which see only message.h and router.h, compile fast.

#include "http/server.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <csignal>
#include <ctime>
#include <exception>
#include <list>
#include <mutex>
#include <thread>
#include <tuple>
#include <type_traits>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <spdlog/spdlog.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "http/message.h"
#include "http/metrics.h"
#include "http/router.h"

namespace gzca::http {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

constexpr auto kUseTuple = net::as_tuple(net::use_awaitable);
constexpr std::size_t kReadChunk = 8 * 1024;
constexpr std::size_t kLingerMaxBytes = 1024 * 1024;
constexpr std::chrono::milliseconds kCloseTimeout{2000};
constexpr std::chrono::milliseconds kForceCloseWait{1000};
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

// Statuses whose request counters are cached lock-free; others take the registry's mutex.
constexpr std::array<int, 28> kCachedStatuses = {200, 201, 202, 204, 206, 301, 302, 303, 304, 307,
                                                 308, 400, 401, 403, 404, 405, 408, 409, 410, 412,
                                                 413, 415, 422, 429, 431, 500, 501, 503};

std::size_t StatusSlot(int status) {
    for (std::size_t i = 0; i < kCachedStatuses.size(); ++i) {
        if (kCachedStatuses[i] == status) return i;
    }
    return kCachedStatuses.size();
}

Method ToMethod(bhttp::verb v) {
    switch (v) {
        case bhttp::verb::get:
            return Method::kGet;
        case bhttp::verb::head:
            return Method::kHead;
        case bhttp::verb::post:
            return Method::kPost;
        case bhttp::verb::put:
            return Method::kPut;
        case bhttp::verb::delete_:
            return Method::kDelete;
        case bhttp::verb::patch:
            return Method::kPatch;
        case bhttp::verb::options:
            return Method::kOptions;
        default:
            return Method::kOther;
    }
}

// RFC 9110 §6.6.1 Date, formatted once per second per thread.
std::string_view HttpDate() {
    thread_local std::time_t last = -1;
    thread_local std::array<char, 40> buf{};
    thread_local std::size_t len = 0;
    std::time_t now = std::time(nullptr);
    if (now != last) {
        std::tm tm{};
        gmtime_r(&now, &tm);
        len = std::strftime(buf.data(), buf.size(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
        last = now;
    }
    return {buf.data(), len};
}

// Conditions a peer causes in normal operation; they end a connection without an error log.
bool IsExpected(const error_code& ec) {
    return ec == bhttp::error::end_of_stream || ec == net::error::eof ||
           ec == net::error::operation_aborted || ec == net::error::connection_reset ||
           ec == net::error::connection_aborted || ec == net::error::broken_pipe ||
           ec == net::error::not_connected || ec == net::error::bad_descriptor ||
           ec == net::ssl::error::stream_truncated || ec == beast::error::timeout ||
           ec == bhttp::error::partial_message;
}

bool IsHttpParseError(const error_code& ec) {
    return ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category();
}

// A path fit for a log line: no control characters, bounded length.
std::string LogPath(std::string_view path) {
    constexpr std::size_t kMax = 200;
    std::string out;
    out.reserve(std::min(path.size(), kMax) + 3);
    for (std::size_t i = 0; i < path.size() && i < kMax; ++i) {
        auto c = static_cast<unsigned char>(path[i]);
        out.push_back(c <= 0x20 || c >= 0x7f ? '?' : static_cast<char>(c));
    }
    if (path.size() > kMax) out += "...";
    return out;
}

bool ServerOwnedHeader(std::string_view name) {
    return EqualsIgnoreCase(name, "content-length") ||
           EqualsIgnoreCase(name, "transfer-encoding") || EqualsIgnoreCase(name, "connection") ||
           EqualsIgnoreCase(name, "date") || EqualsIgnoreCase(name, "server") ||
           EqualsIgnoreCase(name, "content-type");
}

bool SafeHeader(std::string_view name, std::string_view value) {
    if (name.empty()) return false;
    for (char c : name) {
        auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u >= 0x7f || c == ':') return false;
    }
    return value.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

// OpenSSL verify callback for ClientCertMode::kOptional: continue the handshake whatever the
// outcome; the result stays readable through SSL_get_verify_result().
int AcceptAnyClientCert(int /*preverify_ok*/, X509_STORE_CTX* /*ctx*/) { return 1; }

std::string DrainOpenSslErrors() {
    std::string out;
    while (unsigned long e = ERR_get_error()) {
        std::array<char, 256> buf{};
        ERR_error_string_n(e, buf.data(), buf.size());
        if (!out.empty()) out += "; ";
        out += buf.data();
    }
    return out;
}

// Per-route request counters and latency histograms, resolved once and then updated without
// locks (see Metrics).
class ServerMetrics {
  public:
    ServerMetrics(Metrics& registry, const Router& router)
        : registry_(registry),
          router_(router),
          route_slots_(router.size() + 1),
          counters_(std::make_unique<std::atomic<Counter*>[]>(route_slots_ * kMethodCount *
                                                              (kCachedStatuses.size() + 1))) {
        for (std::size_t i = 0; i < route_slots_; ++i) {
            latency_.push_back(&registry_.GetHistogram(
                "gzca_http_request_duration_seconds",
                "Time from a request fully read to its response written.",
                Metrics::DefaultLatencyBuckets(), {{"route", RouteLabel(i)}}));
        }
        for (int tls = 0; tls < 2; ++tls) {
            MetricLabels l = {{"listener", tls ? "https" : "http"}};
            connections_[tls] =
                &registry_.GetCounter("gzca_http_connections_total", "Connections accepted.", l);
            open_[tls] =
                &registry_.GetGauge("gzca_http_open_connections", "Connections currently open.", l);
        }
        handshake_failures_ = &registry_.GetCounter("gzca_http_tls_handshake_failures_total",
                                                    "TLS handshakes that failed or timed out.");
        read_timeouts_ = &registry_.GetCounter(
            "gzca_http_read_timeouts_total", "Connections closed because a request was too slow.");
    }

    // Slot of an unmatched request (404, or rejected before routing).
    std::size_t unmatched() const { return route_slots_ - 1; }

    void Record(std::size_t route_slot, Method method, int status, Clock::duration elapsed) {
        latency_[route_slot]->ObserveSeconds(elapsed);
        std::size_t status_slot = StatusSlot(status);
        if (status_slot == kCachedStatuses.size()) {
            Lookup(route_slot, method, status).Increment();
            return;
        }
        std::size_t index = (route_slot * kMethodCount + static_cast<std::size_t>(method)) *
                                (kCachedStatuses.size() + 1) +
                            status_slot;
        std::atomic<Counter*>& cell = counters_[index];
        Counter* c = cell.load(std::memory_order_acquire);
        if (!c) {
            c = &Lookup(route_slot, method, status);
            cell.store(c, std::memory_order_release);
        }
        c->Increment();
    }

    Counter& connections(bool tls) { return *connections_[tls]; }
    Gauge& open(bool tls) { return *open_[tls]; }
    Counter& handshake_failures() { return *handshake_failures_; }
    Counter& read_timeouts() { return *read_timeouts_; }

  private:
    std::string RouteLabel(std::size_t slot) const {
        return slot < router_.size() ? router_.route_pattern(slot) : std::string("unmatched");
    }
    Counter& Lookup(std::size_t route_slot, Method method, int status) {
        return registry_.GetCounter("gzca_http_requests_total",
                                    "HTTP requests answered, by route and status.",
                                    {{"method", std::string(MethodName(method))},
                                     {"route", RouteLabel(route_slot)},
                                     {"status", std::to_string(status)}});
    }

    Metrics& registry_;
    const Router& router_;
    std::size_t route_slots_;
    std::unique_ptr<std::atomic<Counter*>[]> counters_;
    std::vector<Histogram*> latency_;
    std::array<Counter*, 2> connections_{};
    std::array<Gauge*, 2> open_{};
    Counter* handshake_failures_ = nullptr;
    Counter* read_timeouts_ = nullptr;
};

// What Server::Impl needs to know of a connection, whatever its stream type.
class SessionBase {
  public:
    virtual ~SessionBase() = default;
    // Shutdown has begun: close now if waiting for a request. Any thread.
    virtual void OnStop() = 0;
    // The drain timeout passed: close whatever the state. Any thread.
    virtual void ForceClose() = 0;
};

}  // namespace

class Server::Impl {
  public:
    Impl(ServerOptions options, const Router& router);
    ~Impl();

    Status Start();
    void Run();
    void RequestStop() noexcept;
    void Stop();
    void StopOnSignals();

    std::uint16_t http_port() const { return http_port_; }
    std::uint16_t https_port() const { return https_port_; }
    Metrics& metrics() { return metrics_; }

    // --- used by sessions ---
    const ServerOptions& options() const { return options_; }
    const Router& router() const { return router_; }
    ServerMetrics& server_metrics() { return server_metrics_; }
    spdlog::logger& log() { return *logger_; }
    net::thread_pool* pool() { return pool_ ? &*pool_ : nullptr; }
    net::ssl::context& ssl_context() { return *ssl_ctx_; }
    bool stopping() const { return stopping_.load(std::memory_order_relaxed); }
    bool client_ca_configured() const { return !options_.tls.client_ca_file.empty(); }

    std::list<std::weak_ptr<SessionBase>>::iterator Register(std::weak_ptr<SessionBase> s) {
        std::lock_guard lock(sessions_mutex_);
        sessions_.push_front(std::move(s));
        return sessions_.begin();
    }
    void Unregister(std::list<std::weak_ptr<SessionBase>>::iterator it) {
        std::lock_guard lock(sessions_mutex_);
        sessions_.erase(it);
        if (sessions_.empty()) sessions_cv_.notify_all();
    }

  private:
    enum class State { kNew, kRunning, kStopping, kStopped, kFailed };

    Status BuildTlsContext();
    Status Listen(const Endpoint& endpoint, std::optional<tcp::acceptor>& acceptor,
                  std::uint16_t& port, std::string_view what);
    net::awaitable<void> AcceptLoop(tcp::acceptor& acceptor, bool tls);
    void StartSession(tcp::socket socket, bool tls);
    void Shutdown();
    bool OnOwnThread();
    std::vector<std::shared_ptr<SessionBase>> LiveSessions();

    // Members are ordered for destruction: the io_context goes before everything its pending
    // handlers (session coroutines) reference, and the pool, acceptors, signal set and work guard
    // go before the io_context whose executors they hold.
    const ServerOptions options_;
    const Router& router_;
    std::shared_ptr<spdlog::logger> logger_;
    std::unique_ptr<Metrics> own_metrics_;
    Metrics& metrics_;
    ServerMetrics server_metrics_;
    std::atomic<bool> stopping_{false};

    std::mutex sessions_mutex_;
    std::condition_variable sessions_cv_;
    std::list<std::weak_ptr<SessionBase>> sessions_;  // GUARDED_BY(sessions_mutex_)

    std::mutex state_mutex_;
    std::condition_variable state_cv_;
    State state_ = State::kNew;    // GUARDED_BY(state_mutex_)
    bool stop_requested_ = false;  // GUARDED_BY(state_mutex_)

    std::optional<net::ssl::context> ssl_ctx_;
    int io_threads_;
    net::io_context ioc_;
    std::optional<net::thread_pool> pool_;
    std::optional<tcp::acceptor> http_acceptor_;
    std::optional<tcp::acceptor> https_acceptor_;
    std::optional<net::signal_set> signals_;
    std::optional<net::executor_work_guard<net::io_context::executor_type>> work_;
    std::vector<std::thread> threads_;
    std::uint16_t http_port_ = 0;
    std::uint16_t https_port_ = 0;
};

namespace {

// Parses one request straight into a Request: no intermediate Beast message, and the Request's
// header and body storage is reused from the previous request on the connection.
//
// Body limits are per route (RouteOptions): Beast would check Content-Length against the
// parser's limit before on_header_impl runs, so the parser starts without a limit and
// on_header_impl — which always runs before any body byte — checks the declared length against
// the matched route's limit and sets that limit for a chunked body. Routes that spool their body
// get it written to a temporary file instead of Request::body.
class RequestParser final : public bhttp::basic_parser<true> {
  public:
    // `match` receives the route found once the header is in; ServeOne runs that route.
    RequestParser(Request& request, std::string& target, const Router& router, Router::Match& match,
                  std::size_t header_limit, std::size_t default_body_limit,
                  const std::string& spool_dir)
        : request_(request),
          target_(target),
          router_(router),
          match_(match),
          default_body_limit_(default_body_limit),
          spool_dir_(spool_dir) {
        this->header_limit(
            static_cast<std::uint32_t>(std::min<std::size_t>(header_limit, UINT32_MAX)));
        effective_limit_ = default_body_limit;
        this->body_limit(boost::none);
    }
    ~RequestParser() override {
        if (spool_fd_ >= 0) ::close(spool_fd_);
    }
    RequestParser(const RequestParser&) = delete;
    RequestParser& operator=(const RequestParser&) = delete;

    bhttp::verb verb() const { return verb_; }
    int version() const { return version_; }
    // The body limit that applied to this request (for the 413 message).
    std::size_t effective_body_limit() const { return effective_limit_; }
    // True when the spool file could not be created or written (disk full, permissions).
    bool spool_failed() const { return spool_failed_; }

  private:
    static std::string_view Sv(beast::string_view s) { return {s.data(), s.size()}; }

    void on_request_impl(bhttp::verb method, beast::string_view, beast::string_view target,
                         int version, error_code&) override {
        verb_ = method;
        version_ = version;
        target_.assign(target.data(), target.size());
    }
    void on_response_impl(int, beast::string_view, int, error_code& ec) override {
        ec = bhttp::error::bad_version;  // never called for a request parser
    }
    void on_field_impl(bhttp::field, beast::string_view name, beast::string_view value,
                       error_code&) override {
        request_.headers.Add(Sv(name), Sv(value));
    }
    void on_header_impl(error_code& ec) override {
        std::string_view path = target_;
        path = path.substr(0, path.find('?'));
        router_.Find(ToMethod(verb_), path, match_);
        RouteOptions route;
        if (match_.outcome == Router::Outcome::kFound) {
            route = router_.route_options(match_.route);
        }
        effective_limit_ = route.max_body_bytes ? route.max_body_bytes : default_body_limit_;
        spool_ = route.spool_body_to_file && !spool_dir_.empty();
        if (auto length = this->content_length(); length && *length > effective_limit_) {
            ec = bhttp::error::body_limit;
            return;
        }
        this->body_limit(effective_limit_);
    }
    void on_body_init_impl(const boost::optional<std::uint64_t>& length, error_code& ec) override {
        if (spool_) {
            OpenSpool(ec);
            return;
        }
        // The limit has already been checked against `length`.
        if (length) request_.body.reserve(static_cast<std::size_t>(*length));
    }
    std::size_t on_body_impl(beast::string_view body, error_code& ec) override {
        Append(body, ec);
        return body.size();
    }
    void on_chunk_header_impl(std::uint64_t, beast::string_view, error_code&) override {}
    std::size_t on_chunk_body_impl(std::uint64_t, beast::string_view body,
                                   error_code& ec) override {
        Append(body, ec);
        return body.size();
    }
    void on_finish_impl(error_code& ec) override {
        if (spool_fd_ >= 0) {
            if (::fsync(spool_fd_) != 0) Fail(ec);
            ::close(spool_fd_);
            spool_fd_ = -1;
        }
    }

    void OpenSpool(error_code& ec) {
        unsigned char random[16];
        if (RAND_bytes(random, sizeof random) != 1) return Fail(ec);
        std::string name = spool_dir_ + "/upload-";
        for (unsigned char b : random) name += fmt::format("{:02x}", b);
        name += ".part";
        spool_fd_ = ::open(name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (spool_fd_ < 0) return Fail(ec);
        request_.body_file = std::move(name);
    }
    void Append(beast::string_view data, error_code& ec) {
        if (spool_fd_ < 0) {
            request_.body.append(data.data(), data.size());
            return;
        }
        const char* p = data.data();
        std::size_t left = data.size();
        while (left > 0) {
            ssize_t n = ::write(spool_fd_, p, left);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return Fail(ec);
            p += n;
            left -= static_cast<std::size_t>(n);
        }
        request_.body_file_size += data.size();
    }
    void Fail(error_code& ec) {
        spool_failed_ = true;
        ec = bhttp::error::bad_alloc;  // ends the read; ServeOne answers 503 (spool_failed)
    }

    Request& request_;
    std::string& target_;
    const Router& router_;
    Router::Match& match_;
    std::size_t default_body_limit_;
    const std::string& spool_dir_;
    std::size_t effective_limit_;
    bool spool_ = false;
    bool spool_failed_ = false;
    int spool_fd_ = -1;
    bhttp::verb verb_ = bhttp::verb::unknown;
    int version_ = 11;
};

// Removes a request's spool file when the exchange ends, unless the handler moved it away.
struct SpoolCleanup {
    Request& request;
    void Now() {
        if (!request.body_file.empty()) ::unlink(request.body_file.c_str());
        request.body_file.clear();
    }
    ~SpoolCleanup() { Now(); }
};

using IoResult = std::tuple<error_code, std::size_t>;
using WriteBuffers = std::array<net::const_buffer, 2>;

// One connection: the HTTP/1.1 exchange loop, independent of the stream type. The few stream
// operations are virtual coroutines implemented by StreamConnection<kTls>, so the protocol logic
// is compiled once rather than once per stream type.
class Connection : public SessionBase, public std::enable_shared_from_this<Connection> {
  public:
    Connection(Server::Impl& server, bool tls, net::any_io_executor executor)
        : server_(server), tls_(tls), executor_(std::move(executor)) {
        server_.server_metrics().connections(tls_).Increment();
        server_.server_metrics().open(tls_).Add(1);
    }

    ~Connection() override {
        server_.server_metrics().open(tls_).Add(-1);
        if (registered_) server_.Unregister(registration_);
    }

    void Register() {
        registration_ = server_.Register(weak_from_this());
        registered_ = true;
    }

    // The connection's whole life; `self` keeps it alive while the coroutine runs.
    static net::awaitable<void> Run(std::shared_ptr<Connection> self) { co_await self->Loop(); }

    void OnStop() override {
        net::post(executor_, [self = shared_from_this()] {
            if (self->state_ == State::kIdle || self->state_ == State::kHandshake) {
                self->lowest().cancel();
            }
        });
    }

    void ForceClose() override {
        net::post(executor_, [self = shared_from_this()] {
            error_code ec;
            self->lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
            self->lowest().close();
        });
    }

    // The connection's strand.
    const net::any_io_executor& executor() const { return executor_; }

  protected:
    virtual beast::tcp_stream& lowest() = 0;
    virtual net::awaitable<IoResult> ReadSome(net::mutable_buffer buffer) = 0;
    virtual net::awaitable<IoResult> WriteAll(WriteBuffers buffers) = 0;
    virtual net::awaitable<error_code> Handshake() = 0;  // TLS: server handshake
    virtual net::awaitable<void> CloseGracefully() = 0;  // TLS: close_notify; TCP: FIN
    virtual void CaptureClientCertificate() = 0;

    Server::Impl& server_;
    const bool tls_;
    const net::any_io_executor executor_;  // the socket's strand; immutable, so any thread may post
    std::shared_ptr<const Bytes> client_cert_;
    bool client_cert_verified_ = false;

  private:
    // Every member below is touched only on this connection's strand.
    enum class State { kHandshake, kIdle, kReading, kHandling, kWriting };
    enum class CloseKind { kAbort, kGraceful, kLinger };

    const ServerOptions& options() const { return server_.options(); }

    // Connection I/O errors are the peer's doing (resets, timeouts, garbage, failed TLS
    // handshakes) or shutdown's; they end the connection and are worth a debug line only.
    void LogIo(std::string_view what, const error_code& ec) {
        if (!server_.log().should_log(spdlog::level::debug)) return;
        server_.log().debug("http: {} from {}: {}{}", what, remote_address_, ec.message(),
                            IsExpected(ec) ? "" : " (unexpected)");
    }

    net::awaitable<void> Loop() {
        {
            error_code ec;
            auto ep = lowest().socket().remote_endpoint(ec);
            if (!ec) {
                remote_address_ = ep.address().to_string();
                remote_port_ = ep.port();
            }
        }
        if (tls_) {
            state_ = State::kHandshake;
            lowest().expires_after(options().handshake_timeout);
            if (error_code ec = co_await Handshake()) {
                server_.server_metrics().handshake_failures().Increment();
                LogIo("TLS handshake", ec);
                co_return;
            }
            CaptureClientCertificate();
        }

        CloseKind close = CloseKind::kAbort;
        while (true) {
            state_ = State::kIdle;
            if (server_.stopping()) {
                close = CloseKind::kGraceful;
                break;
            }
            if (buffer_.size() == 0) {
                // Wait for the first byte of the next request under the idle timeout; only
                // then does the request read timeout start.
                if (buffer_.capacity() > 64 * 1024) buffer_.shrink_to_fit();
                lowest().expires_after(options().idle_timeout);
                auto [ec, n] = co_await ReadSome(buffer_.prepare(kReadChunk));
                if (ec) {
                    LogIo("idle read", ec);
                    break;
                }
                buffer_.commit(n);
            }
            state_ = State::kReading;
            close = co_await ServeOne();
            if (close != CloseKind::kGraceful || !keep_alive_) break;
        }

        switch (close) {
            case CloseKind::kAbort:
                break;
            case CloseKind::kGraceful:
                co_await CloseGracefully();
                break;
            case CloseKind::kLinger:
                co_await LingerAndClose();
                break;
        }
        error_code ec;
        lowest().socket().close(ec);
    }

    // Feeds buffered and newly read bytes to `parser` until the request is complete, under the
    // read timeout. Answers Expect: 100-continue once the header is in.
    net::awaitable<error_code> ReadRequest(RequestParser& parser) {
        bool header_seen = false;
        while (true) {
            if (buffer_.size() != 0) {
                error_code ec;
                std::size_t n = parser.put(buffer_.data(), ec);
                buffer_.consume(n);
                if (ec && ec != bhttp::error::need_more) co_return ec;
                if (parser.is_header_done() && !header_seen) {
                    header_seen = true;
                    if (!parser.is_done() && parser.version() >= 11) {
                        // RFC 9110 §10.1.1: the client waits for this before sending the body
                        // (curl does for bodies over 1 KiB).
                        auto expect = request_.headers.Get("expect");
                        if (expect && EqualsIgnoreCase(*expect, "100-continue")) {
                            auto [wec, wn] = co_await WriteAll(
                                WriteBuffers{net::buffer(kContinue), net::const_buffer()});
                            if (wec) co_return wec;
                        }
                    }
                }
                if (parser.is_done()) co_return error_code();
                if (!ec && n > 0) continue;  // progress; the rest may already be buffered
            }
            auto [ec, n] = co_await ReadSome(buffer_.prepare(kReadChunk));
            if (ec == net::error::eof) {
                error_code pec;
                parser.put_eof(pec);
                co_return pec ? pec : error_code(bhttp::error::partial_message);
            }
            if (ec) co_return ec;
            buffer_.commit(n);
        }
    }

    // Reads, routes and answers one request. kGraceful: the exchange completed (keep_alive_
    // says whether to continue); kAbort: the connection is unusable; kLinger: an error response
    // was sent while request bytes may still be arriving.
    net::awaitable<CloseKind> ServeOne() {
        keep_alive_ = false;
        request_.Clear();  // keeps its storage
        RequestParser parser(request_, target_, server_.router(), match_,
                             options().max_header_bytes, options().max_body_bytes,
                             options().spool_dir);
        SpoolCleanup spool_cleanup{request_};
        lowest().expires_after(options().read_timeout);
        if (error_code ec = co_await ReadRequest(parser)) {
            co_return co_await FailRead(
                ec, parser.is_header_done() ? ToMethod(parser.verb()) : Method::kOther, parser);
        }

        const Clock::time_point start = Clock::now();
        const Method method = ToMethod(parser.verb());
        const bool client_keep_alive = parser.keep_alive();
        parser_version_ = parser.version();
        if (method == Method::kOther) {
            co_await WriteError(501, "not_implemented", "method not implemented", method, start);
            co_return CloseKind::kGraceful;  // keep_alive_ stays false
        }
        if (Status st = ParseTarget(target_, request_); !st) {
            co_await WriteError(400, "invalid_argument", st.error().public_message, method, start);
            co_return CloseKind::kGraceful;
        }
        request_.method = method;
        request_.remote_address = remote_address_;
        request_.remote_port = remote_port_;
        request_.tls = tls_;
        request_.client_cert_der = client_cert_;
        request_.client_cert_verified = client_cert_verified_;

        const Router& router = server_.router();  // match_: found by the parser (on_header_impl)
        Response response;
        state_ = State::kHandling;
        lowest().expires_never();
        if (net::thread_pool* pool = server_.pool();
            pool && match_.outcome == Router::Outcome::kFound) {
            response = co_await net::co_spawn(
                *pool,
                [this, &router]() -> net::awaitable<Response> {
                    co_return router.Respond(request_, match_);
                },
                net::use_awaitable);
        } else {
            response = router.Respond(request_, match_);
        }

        spool_cleanup.Now();  // the handler is done with the body: gone before the answer
        keep_alive_ = client_keep_alive && !server_.stopping();
        std::size_t route_slot =
            match_.route == Router::kNoRoute ? server_.server_metrics().unmatched() : match_.route;
        bool ok = co_await Write(response, method, route_slot, start);
        co_return ok ? CloseKind::kGraceful : CloseKind::kAbort;
    }

    // Answers (when useful) a request that could not be read, and says how to close.
    net::awaitable<CloseKind> FailRead(error_code ec, Method method, const RequestParser& parser) {
        Clock::time_point start = Clock::now();
        if (ec == bhttp::error::body_limit) {
            co_await WriteError(
                413, "payload_too_large",
                fmt::format("request body exceeds {} bytes", parser.effective_body_limit()), method,
                start);
            co_return CloseKind::kLinger;
        }
        if (parser.spool_failed()) {
            server_.log().error("http: could not write an upload to the spool directory");
            co_await WriteError(503, "unavailable", "the upload could not be stored", method,
                                start);
            co_return CloseKind::kLinger;
        }
        if (ec == bhttp::error::header_limit) {
            co_await WriteError(431, "header_too_large", "request header fields too large", method,
                                start);
            co_return CloseKind::kLinger;
        }
        if (ec == beast::error::timeout) {
            // The stream closed the socket already; nothing can be sent.
            server_.server_metrics().read_timeouts().Increment();
            LogIo("read", ec);
            co_return CloseKind::kAbort;
        }
        LogIo("read", ec);
        if (IsHttpParseError(ec) && ec != bhttp::error::end_of_stream &&
            ec != bhttp::error::partial_message) {
            co_await WriteError(400, "invalid_argument", "malformed HTTP request", method, start);
            co_return CloseKind::kLinger;
        }
        co_return CloseKind::kAbort;
    }

    net::awaitable<void> WriteError(int status, std::string_view code, std::string_view message,
                                    Method method, Clock::time_point start) {
        keep_alive_ = false;
        Response response = Response::JsonError(status, code, message);
        co_await Write(response, method, server_.server_metrics().unmatched(), start);
    }

    // Serialises the status line and header fields of `response` into head_.
    std::size_t SerializeHead(Response& response, Method method) {
        int status = response.status;
        bool no_content = status == 204 || status == 304;
        std::size_t length = no_content ? 0 : response.body.size();
        head_.clear();
        auto out = std::back_inserter(head_);
        auto reason = bhttp::obsolete_reason(static_cast<bhttp::status>(status));
        fmt::format_to(out, "HTTP/1.1 {} {}\r\nServer: {}\r\nDate: {}\r\n", status,
                       std::string_view(reason.data(), reason.size()), options().server_name,
                       HttpDate());
        if (!response.content_type.empty() && SafeHeader("Content-Type", response.content_type)) {
            fmt::format_to(out, "Content-Type: {}\r\n", response.content_type);
        }
        if (!no_content) fmt::format_to(out, "Content-Length: {}\r\n", length);
        for (const Headers::Field& f : response.headers) {
            if (ServerOwnedHeader(f.name)) continue;
            if (!SafeHeader(f.name, f.value)) {
                server_.log().warn("http: dropped a response header with an unsafe name or value");
                continue;
            }
            fmt::format_to(out, "{}: {}\r\n", f.name, f.value);
        }
        if (!keep_alive_) {
            head_ += "Connection: close\r\n";
        } else if (parser_version_ < 11) {
            head_ += "Connection: keep-alive\r\n";
        }
        head_ += "\r\n";
        // RFC 9110 §9.3.2: HEAD gets GET's header fields and no content.
        return (method == Method::kHead || no_content) ? 0 : length;
    }

    // Sends `response`; records metrics and the access log line. False when the write failed.
    net::awaitable<bool> Write(Response& response, Method method, std::size_t route_slot,
                               Clock::time_point start) {
        state_ = State::kWriting;
        if (response.status < 200 || response.status > 999) {
            server_.log().error("http: handler returned status {}; sending 500", response.status);
            response = Response::JsonError(500, "internal", "internal error");
        }
        std::size_t body_bytes = SerializeHead(response, method);
        lowest().expires_after(options().write_timeout);
        auto [ec, n] = co_await WriteAll(
            WriteBuffers{net::buffer(head_), net::buffer(response.body.data(), body_bytes)});
        auto elapsed = Clock::now() - start;
        server_.server_metrics().Record(route_slot, method, response.status, elapsed);
        if (options().access_log && server_.log().should_log(spdlog::level::info)) {
            server_.log().info(
                "http access method={} path={} status={} bytes={} us={} remote={} tls={}{}",
                MethodName(method), LogPath(request_.path), response.status, body_bytes,
                std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count(),
                remote_address_, tls_ ? 1 : 0, ec ? " write_failed=1" : "");
        }
        if (ec) {
            LogIo("write", ec);
            co_return false;
        }
        co_return true;
    }

    // After an error response to a request whose body was not read: stop sending, then read and
    // discard for a moment so that closing does not reset the connection (and destroy the
    // response) while the client is still sending.
    net::awaitable<void> LingerAndClose() {
        error_code ec;
        lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
        lowest().expires_after(kCloseTimeout);
        std::array<char, 4096> scratch;
        std::size_t total = 0;
        while (total < kLingerMaxBytes) {
            auto [rec, n] = co_await lowest().async_read_some(net::buffer(scratch), kUseTuple);
            if (rec) break;
            total += n;
        }
    }

    beast::flat_buffer buffer_;
    State state_ = State::kIdle;
    bool keep_alive_ = false;
    int parser_version_ = 11;
    bool registered_ = false;
    std::list<std::weak_ptr<SessionBase>>::iterator registration_;
    std::string remote_address_;
    std::uint16_t remote_port_ = 0;
    Request request_;      // reused across the connection's requests
    std::string target_;   // likewise
    std::string head_;     // likewise: serialised response header
    Router::Match match_;  // likewise
};

template <bool kTls>
class StreamConnection final : public Connection {
  public:
    using Stream =
        std::conditional_t<kTls, beast::ssl_stream<beast::tcp_stream>, beast::tcp_stream>;

    StreamConnection(Server::Impl& server, tcp::socket socket)
        : Connection(server, kTls, socket.get_executor()),
          stream_(MakeStream(server, std::move(socket))) {}

  private:
    static Stream MakeStream(Server::Impl& server, tcp::socket socket) {
        if constexpr (kTls) {
            return Stream(std::move(socket), server.ssl_context());
        } else {
            return Stream(std::move(socket));
        }
    }

    beast::tcp_stream& lowest() override { return beast::get_lowest_layer(stream_); }

    net::awaitable<IoResult> ReadSome(net::mutable_buffer buffer) override {
        co_return co_await stream_.async_read_some(buffer, kUseTuple);
    }

    net::awaitable<IoResult> WriteAll(WriteBuffers buffers) override {
        if constexpr (kTls) {
            // One buffer at a time: beast::ssl_stream's flat_stream layer writes only the first
            // buffer of a sequence larger than its coalescing limit, and with a two-buffer
            // std::array that left the body unsent (head arrived, body never did).
            std::size_t total = 0;
            for (const net::const_buffer& b : buffers) {
                if (b.size() == 0) continue;
                auto [ec, n] = co_await net::async_write(stream_, b, kUseTuple);
                total += n;
                if (ec) co_return IoResult{ec, total};
            }
            co_return IoResult{error_code(), total};
        } else {
            co_return co_await net::async_write(stream_, buffers, kUseTuple);
        }
    }

    net::awaitable<error_code> Handshake() override {
        if constexpr (kTls) {
            auto [ec] = co_await stream_.async_handshake(net::ssl::stream_base::server, kUseTuple);
            ERR_clear_error();
            co_return ec;
        } else {
            co_return error_code();
        }
    }

    net::awaitable<void> CloseGracefully() override {
        if constexpr (kTls) {
            // Send close_notify; wait briefly for the peer's (RFC 8446 §6.1), never long.
            lowest().expires_after(std::min<std::chrono::milliseconds>(
                server_.options().write_timeout, kCloseTimeout));
            auto [ec] = co_await stream_.async_shutdown(kUseTuple);
            (void)ec;  // the peer often just closes; nothing to do either way
            ERR_clear_error();
        } else {
            error_code ec;
            lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
            co_return;
        }
    }

    void CaptureClientCertificate() override {
        if constexpr (kTls) {
            SSL* ssl = stream_.native_handle();
            X509* cert = SSL_get1_peer_certificate(ssl);
            if (!cert) return;
            int len = i2d_X509(cert, nullptr);
            if (len > 0) {
                auto der = std::make_shared<Bytes>(static_cast<std::size_t>(len));
                unsigned char* p = der->data();
                i2d_X509(cert, &p);
                client_cert_ = std::move(der);
                client_cert_verified_ =
                    server_.client_ca_configured() && SSL_get_verify_result(ssl) == X509_V_OK;
            }
            X509_free(cert);
            ERR_clear_error();
        }
    }

    Stream stream_;
};

}  // namespace

// ---------------------------------------------------------------------------------------------

namespace {

int ResolveThreads(int n) {
    if (n > 0) return n;
    unsigned hw = std::thread::hardware_concurrency();
    return hw == 0 ? 1 : static_cast<int>(hw);
}

}  // namespace

Server::Impl::Impl(ServerOptions options, const Router& router)
    : options_(std::move(options)),
      router_(router),
      logger_(options_.logger ? options_.logger : spdlog::default_logger()),
      own_metrics_(options_.metrics ? nullptr : std::make_unique<Metrics>()),
      metrics_(options_.metrics ? *options_.metrics : *own_metrics_),
      server_metrics_(metrics_, router_),
      io_threads_(ResolveThreads(options_.io_threads)),
      ioc_(io_threads_) {}

Server::Impl::~Impl() {
    Stop();
    // Threads were joined by Stop(), or never started.
}

Status Server::Impl::BuildTlsContext() {
    const TlsOptions& tls = options_.tls;
    if (tls.cert_chain_pem.empty() || tls.private_key_pem.empty()) {
        return Fail(ErrorCode::kInvalidArgument, "https endpoint needs a certificate and key",
                    "TLS certificate or key missing");
    }
    ERR_clear_error();
    auto fail = [](std::string what, const error_code& ec) {
        std::string detail = DrainOpenSslErrors();
        return Fail(
            ErrorCode::kInvalidArgument,
            fmt::format("{}: {}{}{}", what, ec.message(), detail.empty() ? "" : "; ", detail),
            "TLS certificate or key unusable");
    };
    ssl_ctx_.emplace(net::ssl::context::tls_server);
    net::ssl::context& ctx = *ssl_ctx_;
    SSL_CTX* native = ctx.native_handle();
    error_code ec;
    ctx.set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                        net::ssl::context::no_sslv3 | net::ssl::context::single_dh_use,
                    ec);
    SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
    SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    // Needed for session resumption together with client certificates.
    static constexpr unsigned char kSessionContext[] = "gzca";
    SSL_CTX_set_session_id_context(native, kSessionContext, sizeof(kSessionContext) - 1);

    ctx.use_certificate_chain(net::buffer(tls.cert_chain_pem), ec);
    if (ec) return fail("loading TLS certificate chain", ec);
    ctx.use_private_key(net::buffer(tls.private_key_pem), net::ssl::context::pem, ec);
    if (ec) return fail("loading TLS private key", ec);
    if (SSL_CTX_check_private_key(native) != 1) {
        return fail("TLS private key does not match the certificate", ec);
    }

    if (tls.client_cert != ClientCertMode::kNone) {
        if (!tls.client_ca_file.empty()) {
            ctx.load_verify_file(tls.client_ca_file, ec);
            if (ec) return fail("loading client CA file " + tls.client_ca_file, ec);
            STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(tls.client_ca_file.c_str());
            if (names) SSL_CTX_set_client_CA_list(native, names);
        } else if (tls.client_cert == ClientCertMode::kRequired) {
            return Fail(ErrorCode::kInvalidArgument,
                        "ClientCertMode::kRequired needs a client_ca_file",
                        "TLS client CA file missing");
        }
        if (tls.client_cert == ClientCertMode::kOptional) {
            SSL_CTX_set_verify(native, SSL_VERIFY_PEER, AcceptAnyClientCert);
        } else {
            SSL_CTX_set_verify(native, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
        }
    }
    if (tls.configure) {
        Status st = tls.configure(native);
        ERR_clear_error();
        if (!st) return st;
    }
    ERR_clear_error();
    return Ok();
}

Status Server::Impl::Listen(const Endpoint& endpoint, std::optional<tcp::acceptor>& acceptor,
                            std::uint16_t& port, std::string_view what) {
    error_code ec;
    auto address = net::ip::make_address(endpoint.address, ec);
    if (ec) {
        return Fail(ErrorCode::kInvalidArgument,
                    fmt::format("{} address '{}': {}", what, endpoint.address, ec.message()),
                    "invalid listen address");
    }
    tcp::endpoint ep(address, endpoint.port);
    acceptor.emplace(net::make_strand(ioc_));
    auto failed = [&](std::string_view step) {
        return Fail(ErrorCode::kUnavailable,
                    fmt::format("{} {} {}:{}: {}", step, what, endpoint.address, endpoint.port,
                                ec.message()),
                    fmt::format("cannot listen on {}:{}", endpoint.address, endpoint.port));
    };
    if (acceptor->open(ep.protocol(), ec); ec) return failed("open");
    if (acceptor->set_option(net::socket_base::reuse_address(true), ec); ec) {
        return failed("setsockopt");
    }
    if (acceptor->bind(ep, ec); ec) return failed("bind");
    if (acceptor->listen(net::socket_base::max_listen_connections, ec); ec) {
        return failed("listen");
    }
    port = acceptor->local_endpoint(ec).port();
    if (ec) return failed("getsockname");
    return Ok();
}

Status Server::Impl::Start() {
    {
        std::lock_guard lock(state_mutex_);
        if (state_ != State::kNew) {
            return Fail(ErrorCode::kFailedPrecondition, "Server::Start called twice",
                        "server already started");
        }
        state_ = State::kFailed;  // until everything below succeeded
    }
    if (!options_.http && !options_.https) {
        return Fail(ErrorCode::kInvalidArgument, "no http or https endpoint configured",
                    "no endpoint configured");
    }
    if (options_.max_body_bytes == 0 || options_.max_header_bytes == 0) {
        return Fail(ErrorCode::kInvalidArgument, "header and body limits must be positive",
                    "invalid limits");
    }
    auto listen = [this]() -> Status {
        if (options_.https) {
            GZCA_TRY_STATUS(BuildTlsContext());
            GZCA_TRY_STATUS(Listen(*options_.https, https_acceptor_, https_port_, "https"));
        }
        if (options_.http) {
            GZCA_TRY_STATUS(Listen(*options_.http, http_acceptor_, http_port_, "http"));
        }
        return Ok();
    };
    if (Status st = listen(); !st) {
        // Release whatever was bound: a failed Start leaves nothing listening.
        https_acceptor_.reset();
        http_acceptor_.reset();
        http_port_ = https_port_ = 0;
        return st;
    }

    auto log_end = [this](std::string_view what) {
        return [this, what](std::exception_ptr e) {
            if (!e) return;
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& ex) {
                logger_->error("http: {} ended by exception: {}", what, ex.what());
            } catch (...) {
                logger_->error("http: {} ended by a non-standard exception", what);
            }
        };
    };
    if (https_acceptor_) {
        net::co_spawn(https_acceptor_->get_executor(), AcceptLoop(*https_acceptor_, true),
                      log_end("https accept loop"));
    }
    if (http_acceptor_) {
        net::co_spawn(http_acceptor_->get_executor(), AcceptLoop(*http_acceptor_, false),
                      log_end("http accept loop"));
    }
    if (options_.handler_threads > 0) {
        pool_.emplace(static_cast<std::size_t>(options_.handler_threads));
    }
    work_.emplace(ioc_.get_executor());
    threads_.reserve(static_cast<std::size_t>(io_threads_));
    for (int i = 0; i < io_threads_; ++i) {
        threads_.emplace_back([this] {
            // run() returns only at shutdown; handler exceptions are caught per session.
            ioc_.run();
        });
    }
    {
        std::lock_guard lock(state_mutex_);
        state_ = State::kRunning;
    }
    logger_->info(
        "http: listening{}{}{}{} ({} io threads, handlers on {})", https_acceptor_ ? " https=" : "",
        https_acceptor_ ? fmt::format("{}:{}", options_.https->address, https_port_)
                        : std::string(),
        http_acceptor_ ? " http=" : "",
        http_acceptor_ ? fmt::format("{}:{}", options_.http->address, http_port_) : std::string(),
        io_threads_,
        pool_ ? fmt::format("a pool of {}", options_.handler_threads) : std::string("io threads"));
    return Ok();
}

net::awaitable<void> Server::Impl::AcceptLoop(tcp::acceptor& acceptor, bool tls) {
    net::steady_timer backoff(acceptor.get_executor());
    while (true) {
        tcp::socket socket(net::make_strand(ioc_));
        auto [ec] = co_await acceptor.async_accept(socket, kUseTuple);
        if (ec) {
            if (ec == net::error::operation_aborted || !acceptor.is_open() || stopping()) {
                co_return;
            }
            // Out of descriptors or similar: say so and back off instead of spinning.
            logger_->warn("http: accept failed: {}", ec.message());
            backoff.expires_after(std::chrono::milliseconds(100));
            co_await backoff.async_wait(kUseTuple);
            continue;
        }
        if (stopping()) co_return;
        error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        StartSession(std::move(socket), tls);
    }
}

void Server::Impl::StartSession(tcp::socket socket, bool tls) {
    std::shared_ptr<Connection> connection;
    if (tls) {
        connection = std::make_shared<StreamConnection<true>>(*this, std::move(socket));
    } else {
        connection = std::make_shared<StreamConnection<false>>(*this, std::move(socket));
    }
    connection->Register();
    auto executor = connection->executor();
    net::co_spawn(executor, Connection::Run(std::move(connection)), [this](std::exception_ptr e) {
        if (!e) return;
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& ex) {
            logger_->error("http: connection ended by exception: {}", ex.what());
        } catch (...) {
            logger_->error("http: connection ended by a non-standard exception");
        }
    });
}

void Server::Impl::Run() {
    {
        std::unique_lock lock(state_mutex_);
        if (state_ != State::kRunning && state_ != State::kStopping) return;
        state_cv_.wait(lock, [this] { return stop_requested_ || state_ == State::kStopped; });
    }
    Shutdown();
}

void Server::Impl::RequestStop() noexcept {
    {
        std::lock_guard lock(state_mutex_);
        stop_requested_ = true;
    }
    state_cv_.notify_all();
}

bool Server::Impl::OnOwnThread() {
    if (ioc_.get_executor().running_in_this_thread()) return true;
    return pool_ && pool_->get_executor().running_in_this_thread();
}

void Server::Impl::Stop() {
    RequestStop();
    if (OnOwnThread()) return;  // Run() (or the owner's Stop()) completes the shutdown
    Shutdown();
}

void Server::Impl::StopOnSignals() {
    signals_.emplace(ioc_, SIGINT, SIGTERM);
    signals_->async_wait([this](const error_code& ec, int signal) {
        if (ec) return;
        logger_->info("http: signal {} received, shutting down", signal);
        RequestStop();
    });
}

std::vector<std::shared_ptr<SessionBase>> Server::Impl::LiveSessions() {
    std::vector<std::shared_ptr<SessionBase>> live;
    std::lock_guard lock(sessions_mutex_);
    live.reserve(sessions_.size());
    for (const auto& weak : sessions_) {
        if (auto s = weak.lock()) live.push_back(std::move(s));
    }
    return live;
    // `live` is destroyed by the caller outside the lock: a session's destructor takes it.
}

void Server::Impl::Shutdown() {
    {
        std::unique_lock lock(state_mutex_);
        if (state_ == State::kStopping) {
            state_cv_.wait(lock, [this] { return state_ == State::kStopped; });
            return;
        }
        if (state_ != State::kRunning) return;
        state_ = State::kStopping;
    }
    stopping_.store(true);
    logger_->info("http: stopping");

    // 1. Stop accepting. Each acceptor is closed on its own strand.
    for (auto* acceptor : {&http_acceptor_, &https_acceptor_}) {
        if (*acceptor) {
            net::post((*acceptor)->get_executor(), [a = &**acceptor] {
                error_code ec;
                a->close(ec);
            });
        }
    }
    if (signals_) {
        net::post(ioc_, [this] {
            error_code ec;
            signals_->cancel(ec);
        });
    }

    // 2. Idle connections close now; busy ones finish their request with Connection: close.
    for (auto& s : LiveSessions()) s->OnStop();

    // 3. Wait for them, bounded by the drain timeout; then close what is left.
    auto wait_empty = [this](std::chrono::milliseconds limit) {
        std::unique_lock lock(sessions_mutex_);
        return sessions_cv_.wait_for(lock, limit, [this] { return sessions_.empty(); });
    };
    if (!wait_empty(options_.drain_timeout)) {
        auto live = LiveSessions();
        logger_->warn("http: closing {} connection(s) still busy after the drain timeout",
                      live.size());
        for (auto& s : live) s->ForceClose();
        live.clear();
        wait_empty(kForceCloseWait);
    }

    // 4. End the threads. A handler still blocked keeps its thread until it returns.
    work_.reset();
    ioc_.stop();
    for (auto& t : threads_) {
        if (t.joinable()) t.join();
    }
    if (pool_) {
        pool_->stop();
        pool_->join();
    }
    {
        std::lock_guard lock(state_mutex_);
        state_ = State::kStopped;
    }
    state_cv_.notify_all();
    logger_->info("http: stopped");
}

// ---------------------------------------------------------------------------------------------

Server::Server(ServerOptions options, const Router& router)
    : impl_(std::make_unique<Impl>(std::move(options), router)) {}

Server::~Server() = default;

Status Server::Start() { return impl_->Start(); }
std::uint16_t Server::http_port() const { return impl_->http_port(); }
std::uint16_t Server::https_port() const { return impl_->https_port(); }
void Server::Run() { impl_->Run(); }
void Server::RequestStop() noexcept { impl_->RequestStop(); }
void Server::Stop() { impl_->Stop(); }
void Server::StopOnSignals() { impl_->StopOnSignals(); }
Metrics& Server::metrics() { return impl_->metrics(); }

}  // namespace gzca::http
