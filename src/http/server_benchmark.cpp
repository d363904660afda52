// Throughput of small keep-alive requests against an in-process server, over plain TCP or TLS.
// The client shares the machine's cores with the server, so numbers are a floor; compare runs
// on the same machine, not against absolute targets.
//
//   http_server_benchmark [--tls] [--post] [--connections N] [--seconds S]
//                         [--io-threads N] [--handler-threads N]

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <openssl/ssl.h>
#include <spdlog/spdlog.h>

#include "http/metrics.h"
#include "http/router.h"
#include "http/server.h"
#include "http/test_certificate.h"

namespace {

using namespace gzca::http;

// One blocking keep-alive client connection.
class Client {
  public:
    Client(std::uint16_t port, SSL_CTX* ctx) {
        fd_ = socket(AF_INET, SOCK_STREAM, 0);
        int one = 1;
        setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(port);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return;
        if (ctx) {
            ssl_ = SSL_new(ctx);
            SSL_set_fd(ssl_, fd_);
            if (SSL_connect(ssl_) != 1) return;
        }
        ok_ = true;
    }
    ~Client() {
        if (ssl_) SSL_free(ssl_);
        close(fd_);
    }
    bool ok() const { return ok_; }

    // Sends `request` and reads one Content-Length-framed response; false on any failure.
    bool RoundTrip(const std::string& request) {
        if (!Send(request)) return false;
        std::size_t end;
        while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
            if (!Fill()) return false;
        }
        const char* cl = strcasestr(buf_.c_str(), "content-length:");
        std::size_t length = cl ? std::strtoul(cl + 15, nullptr, 10) : 0;
        std::size_t total = end + 4 + length;
        while (buf_.size() < total) {
            if (!Fill()) return false;
        }
        bool good = buf_.compare(9, 3, "200") == 0;
        buf_.erase(0, total);
        return good;
    }

  private:
    bool Send(const std::string& data) {
        if (ssl_) return SSL_write(ssl_, data.data(), static_cast<int>(data.size())) > 0;
        return send(fd_, data.data(), data.size(), MSG_NOSIGNAL) ==
               static_cast<ssize_t>(data.size());
    }
    bool Fill() {
        char tmp[16384];
        long n = ssl_ ? SSL_read(ssl_, tmp, sizeof tmp) : recv(fd_, tmp, sizeof tmp, 0);
        if (n <= 0) return false;
        buf_.append(tmp, static_cast<std::size_t>(n));
        return true;
    }

    int fd_ = -1;
    SSL* ssl_ = nullptr;
    bool ok_ = false;
    std::string buf_;
};

int IntArg(int& i, int argc, char** argv) { return i + 1 < argc ? std::atoi(argv[++i]) : 0; }

}  // namespace

int main(int argc, char** argv) {
    bool tls = false, post = false;
    int connections = 16, seconds = 5, io_threads = 0, handler_threads = 0;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--tls")
            tls = true;
        else if (a == "--post")
            post = true;
        else if (a == "--connections")
            connections = IntArg(i, argc, argv);
        else if (a == "--seconds")
            seconds = IntArg(i, argc, argv);
        else if (a == "--io-threads")
            io_threads = IntArg(i, argc, argv);
        else if (a == "--handler-threads")
            handler_threads = IntArg(i, argc, argv);
        else {
            std::fprintf(stderr, "unknown argument %s\n", a.c_str());
            return 2;
        }
    }
    spdlog::set_level(spdlog::level::warn);

    Router router;
    Metrics metrics;
    router.Get("/ocsp/{request...}", [](const Request& r, const PathParams& p) {
        (void)r;
        return Response::Bytes(200, "application/ocsp-response", std::string(p.Get("request")));
    });
    router.Post("/api/v1/certificates", [](const Request& r, const PathParams&) {
        return Response::Bytes(200, "application/json", r.body);
    });

    ServerOptions options;
    options.io_threads = io_threads;
    options.handler_threads = handler_threads;
    options.metrics = &metrics;
    options.access_log = false;
    if (tls) {
        auto pem = gzca::http::testing::MakeSelfSigned("localhost");
        options.https = Endpoint{"127.0.0.1", 0};
        options.tls.cert_chain_pem = pem.cert;
        options.tls.private_key_pem = pem.key;
    } else {
        options.http = Endpoint{"127.0.0.1", 0};
    }
    Server server(options, router);
    if (auto st = server.Start(); !st) {
        std::fprintf(stderr, "start: %s\n", st.error().internal.c_str());
        return 1;
    }
    std::uint16_t port = tls ? server.https_port() : server.http_port();

    SSL_CTX* ctx = nullptr;
    if (tls) {
        ctx = SSL_CTX_new(TLS_client_method());
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
    }
    std::string request =
        post ? "POST /api/v1/certificates HTTP/1.1\r\nHost: b\r\nContent-Type: application/json\r\n"
               "Content-Length: 300\r\n\r\n" +
                   std::string(300, 'x')
             : "GET /ocsp/MFQwUjBQME4wTDAJBgUrDgMCGgUABBQ HTTP/1.1\r\nHost: b\r\n\r\n";

    std::atomic<bool> go{false}, stop{false};
    std::atomic<long> done{0}, failed{0};
    std::vector<std::thread> threads;
    for (int c = 0; c < connections; ++c) {
        threads.emplace_back([&] {
            Client client(port, ctx);
            if (!client.ok()) {
                failed.fetch_add(1);
                return;
            }
            while (!go.load()) std::this_thread::yield();
            long n = 0;
            while (!stop.load(std::memory_order_relaxed)) {
                if (!client.RoundTrip(request)) {
                    failed.fetch_add(1);
                    break;
                }
                ++n;
            }
            done.fetch_add(n);
        });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // handshakes done
    auto t0 = std::chrono::steady_clock::now();
    go = true;
    std::this_thread::sleep_for(std::chrono::seconds(seconds));
    stop = true;
    for (auto& t : threads) t.join();
    double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    server.Stop();
    if (ctx) SSL_CTX_free(ctx);
    std::printf("%s %s: %d connections, %.0f req/s (%ld requests, %ld failures)\n",
                tls ? "https" : "http", post ? "POST 300 B" : "GET", connections,
                static_cast<double>(done.load()) / elapsed, done.load(), failed.load());
    return failed.load() == 0 ? 0 : 1;
}
