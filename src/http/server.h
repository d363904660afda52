#pragma once
// The HTTP/1.1 server: a plain endpoint and/or a TLS endpoint in front of one Router.
//
// Shape: one io_context run by `io_threads` threads; each accepted connection runs as one C++20
// coroutine on its own strand (keep-alive, pipelined requests answered in order). Each request
// is read under limits (header bytes, body bytes) and a read timeout measured from its first
// byte; an idle keep-alive connection is closed after `idle_timeout`. The handler runs on the
// connection's io thread, or — with `handler_threads` > 0 — on a separate thread pool so that
// blocking database work never stalls I/O.
//
// Lifecycle: construct → Start() → (Run() | Stop()) → destroy. Start() binds and listens before
// it returns, so the bound ports are known at once (port 0 picks an ephemeral port). A Server is
// started at most once.
//
// Shutdown is graceful: stop accepting; idle keep-alive connections close at once; requests in
// flight finish and are answered with "Connection: close"; after `drain_timeout` the remaining
// connections are closed; then the threads are joined. A handler blocked past that still delays
// the return (threads cannot be killed).
//
// Errors: an I/O error that a peer can cause (reset, timeout, truncated TLS, bad request) ends
// that connection only, logged at debug level; an exception escaping a connection is logged as
// an error and ends that connection only. Nothing in a request body or query string is logged.
//
// Thread-safety: Start, Run and Stop may be called from any one thread; RequestStop from any
// thread, including handlers and signal handlers. The Router and Metrics must outlive the Server
// and the Router must not be modified after the Server is constructed.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "base/error.h"

struct ssl_ctx_st;  // OpenSSL's SSL_CTX
namespace spdlog {
class logger;
}

namespace gzca::http {

class Metrics;
class Router;

struct Endpoint {
    std::string address = "127.0.0.1";  // IPv4 or IPv6 literal; "0.0.0.0" / "::" for all
    std::uint16_t port = 0;             // 0: an ephemeral port, see Server::http_port()
};

enum class ClientCertMode {
    kNone,      // never ask for a client certificate
    kOptional,  // ask; accept the connection with none or with one that does not verify, and
                // report it in Request::client_cert_der / client_cert_verified
    kRequired,  // ask; fail the handshake unless a certificate verifying against client_ca_file
                // is presented
};

struct TlsOptions {
    std::string cert_chain_pem;   // leaf first, then intermediates (PEM text)
    std::string private_key_pem;  // unencrypted PKCS#8 or traditional PEM (P-256, RSA …)
    ClientCertMode client_cert = ClientCertMode::kNone;
    // PEM file of CA certificates that client certificates are verified against; its subjects
    // are also sent in the CertificateRequest. Required for kRequired.
    std::string client_ca_file;
    // Called last with the configured SSL_CTX, for anything not covered above (cipher lists,
    // session tickets, SM2 certificates later). Returning an error fails Start().
    std::function<Status(ssl_ctx_st*)> configure;
};

struct ServerOptions {
    std::optional<Endpoint> http;   // plain HTTP (OCSP, CRL); absent: not served
    std::optional<Endpoint> https;  // TLS; absent: not served; requires `tls`
    TlsOptions tls;

    int io_threads = 0;       // 0: std::thread::hardware_concurrency()
    int handler_threads = 0;  // 0: handlers run on the io threads; N: on a pool of N threads

    std::size_t max_header_bytes = 16 * 1024;  // larger: 431 and close
    std::size_t max_body_bytes = 1024 * 1024;  // larger: 413 {"code":"payload_too_large"}
    // Where bodies of RouteOptions::spool_body_to_file routes are written (must exist; files
    // are created 0600 and removed after the response). Empty: such bodies stay in memory.
    std::string spool_dir;
    std::chrono::milliseconds read_timeout{30'000};  // first byte → whole request read
    std::chrono::milliseconds idle_timeout{60'000};  // keep-alive wait for the next request
    std::chrono::milliseconds write_timeout{30'000};
    std::chrono::milliseconds handshake_timeout{10'000};
    std::chrono::milliseconds drain_timeout{10'000};  // Stop(): wait for requests in flight

    std::string server_name = "gzca";  // Server header
    bool access_log = true;            // one info line per request (no query, no body)
    // Where logs go; null: spdlog's default logger.
    std::shared_ptr<spdlog::logger> logger;
    // Registry for the server's request metrics; null: a private one (see Server::metrics()).
    Metrics* metrics = nullptr;
};

class Server {
  public:
    Server(ServerOptions options, const Router& router);
    // Stops as Stop() does, if still running.
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Builds the TLS context, binds and listens on each configured endpoint, and starts the
    // threads. Fails with kInvalidArgument for bad options or an unusable certificate/key (the
    // OpenSSL text is in `internal` only), kUnavailable when an endpoint cannot be bound, and
    // kFailedPrecondition when called twice. On failure nothing keeps running.
    Status Start();

    // The bound ports once Start() succeeded; 0 when that endpoint is not served.
    std::uint16_t http_port() const;
    std::uint16_t https_port() const;

    // Blocks until RequestStop() (or a signal installed by StopOnSignals()), then shuts down
    // gracefully and returns. Returns at once if the server is not running.
    void Run();

    // Asks for shutdown without waiting; safe from any thread, handlers included. Idempotent.
    void RequestStop() noexcept;

    // RequestStop() and shut down gracefully, returning when every thread has ended. Called from
    // one of the server's own threads it only requests the stop (it cannot join itself).
    void Stop();

    // Makes SIGINT and SIGTERM call RequestStop() (so that Run() returns). Call after Start().
    void StopOnSignals();

    // The registry the server counts into: ServerOptions::metrics or the private one.
    Metrics& metrics();

    class Impl;

  private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace gzca::http
