// End-to-end tests of the server over real sockets on 127.0.0.1: a raw-socket client for plain
// HTTP (exact control of bytes and timing) and the curl CLI for TLS.

#include "http/server.h"
#include "http/test_certificate.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "http/metrics.h"
#include "http/router.h"

namespace gzca::http {
namespace {

using namespace std::chrono_literals;

using testing::MakeSelfSigned;
using Pem = testing::SelfSignedPem;

class TempDir {
  public:
    TempDir() {
        std::string tmpl = (std::filesystem::temp_directory_path() / "gzca-http-XXXXXX").string();
        path_ = mkdtemp(tmpl.data());
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path Write(const std::string& name, std::string_view content) const {
        std::filesystem::path p = path_ / name;
        std::ofstream(p, std::ios::binary) << content;
        return p;
    }

  private:
    std::filesystem::path path_;
};

// ---- a raw HTTP/1.1 client ------------------------------------------------------------------

struct RawResponse {
    int status = 0;
    std::map<std::string, std::string> headers;  // lower-case names
    std::string body;
};

class Conn {
  public:
    explicit Conn(std::uint16_t port) {
        fd_ = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(port);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
        timeval tv{5, 0};
        setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    }
    ~Conn() { close(fd_); }
    Conn(const Conn&) = delete;
    Conn& operator=(const Conn&) = delete;

    bool connected() const { return connected_; }

    bool Send(std::string_view data) {
        while (!data.empty()) {
            ssize_t n = send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
            if (n <= 0) return false;
            data.remove_prefix(static_cast<std::size_t>(n));
        }
        return true;
    }

    // Reads one response (Content-Length framing only, which is all the server sends).
    std::optional<RawResponse> Read(bool head = false) {
        std::size_t end;
        while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
            if (!Fill()) return std::nullopt;
        }
        RawResponse r;
        std::string head_text = buf_.substr(0, end);
        buf_.erase(0, end + 4);
        std::size_t line_end = head_text.find("\r\n");
        std::string status_line = head_text.substr(0, line_end);
        r.status = std::atoi(status_line.substr(9, 3).c_str());
        std::size_t pos = line_end == std::string::npos ? head_text.size() : line_end + 2;
        while (pos < head_text.size()) {
            std::size_t e = head_text.find("\r\n", pos);
            if (e == std::string::npos) e = head_text.size();
            std::string line = head_text.substr(pos, e - pos);
            std::size_t colon = line.find(':');
            std::string name = line.substr(0, colon);
            for (char& c : name) c = static_cast<char>(std::tolower(c));
            std::string value = line.substr(colon + 1);
            while (!value.empty() && value.front() == ' ') value.erase(0, 1);
            r.headers[name] = value;
            pos = e + 2;
        }
        std::size_t length = 0;
        if (auto it = r.headers.find("content-length"); it != r.headers.end() && !head) {
            length = std::stoul(it->second);
        }
        while (buf_.size() < length) {
            if (!Fill()) return std::nullopt;
        }
        r.body = buf_.substr(0, length);
        buf_.erase(0, length);
        return r;
    }

    std::optional<RawResponse> Get(std::string_view path) {
        Send("GET " + std::string(path) + " HTTP/1.1\r\nHost: test\r\n\r\n");
        return Read();
    }

    // True when the server closes the connection (EOF or reset) within `within`.
    bool ClosedByPeer(std::chrono::milliseconds within) {
        timeval tv{static_cast<time_t>(within.count() / 1000),
                   static_cast<suseconds_t>((within.count() % 1000) * 1000)};
        setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        char c;
        while (true) {
            ssize_t n = recv(fd_, &c, 1, 0);
            if (n == 0) return true;
            if (n < 0) return errno == ECONNRESET;
        }
    }

  private:
    bool Fill() {
        char tmp[8192];
        ssize_t n = recv(fd_, tmp, sizeof tmp, 0);
        if (n <= 0) return false;
        buf_.append(tmp, static_cast<std::size_t>(n));
        return true;
    }

    int fd_ = -1;
    bool connected_ = false;
    std::string buf_;
};

// Runs a shell command and returns its standard output.
std::string RunCommand(const std::string& cmd) {
    std::string out;
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) return out;
    char buf[4096];
    while (std::size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
    pclose(p);
    return out;
}

// ---- fixture ----------------------------------------------------------------------------------

class ServerTest : public ::testing::TestWithParam<int> {
  protected:
    ServerTest() {
        router_.Get("/hello", [](const Request& r, const PathParams&) {
            return Response::Json(200, {{"hello", "world"},
                                        {"port", r.remote_port},
                                        {"tls", r.tls},
                                        {"q", r.Query("q").value_or("")}});
        });
        router_.Post("/echo", [](const Request& r, const PathParams&) {
            return Response::Bytes(200, "application/octet-stream", r.body);
        });
        router_.Get("/cert/{serial}", [](const Request&, const PathParams& p) {
            return Response::Error(Error{ErrorCode::kNotFound,
                                         "no row for serial " + std::string(p.Get("serial")),
                                         "certificate not found"});
        });
        router_.Get("/slow", [this](const Request&, const PathParams&) {
            slow_started_.set_value();
            std::this_thread::sleep_for(600ms);
            return Response::Text(200, "slow done");
        });
        // An upload route: 8 KiB allowed (the server default in the tests is smaller), body
        // spooled to a file. Answers what it saw, then leaves the file for the server to remove
        // unless ?keep=1, in which case it moves it away as a store would.
        router_.Put(
            "/upload",
            [this](const Request& r, const PathParams&) {
                std::string content;
                if (!r.body_file.empty()) {
                    std::ifstream in(r.body_file, std::ios::binary);
                    content.assign(std::istreambuf_iterator<char>(in), {});
                    seen_spool_file_ = r.body_file;
                    if (r.Query("keep")) {
                        std::filesystem::rename(r.body_file, kept_file_);
                    }
                }
                return Response::Json(200, {{"in_memory", r.body.size()},
                                            {"spooled", content.size()},
                                            {"size", r.body_file_size},
                                            {"content", content}});
            },
            RouteOptions{.max_body_bytes = 8192, .spool_body_to_file = true});
        router_.Get("/client-cert", [](const Request& r, const PathParams&) {
            return Response::Json(200, {{"present", r.client_cert_der != nullptr},
                                        {"verified", r.client_cert_verified}});
        });
        RegisterHealthAndMetrics(router_, metrics_);
    }

    ~ServerTest() override {
        if (server_) server_->Stop();
    }

    ServerOptions BaseOptions() {
        ServerOptions o;
        o.http = Endpoint{"127.0.0.1", 0};
        o.io_threads = 2;
        o.handler_threads = GetParam();  // 0: handlers on io threads; 2: on a pool
        o.metrics = &metrics_;
        o.access_log = false;
        return o;
    }

    void StartServer(ServerOptions o) {
        server_ = std::make_unique<Server>(std::move(o), router_);
        auto st = server_->Start();
        ASSERT_TRUE(st) << st.error().internal;
    }

    std::uint16_t port() const { return server_->http_port(); }

    Router router_;
    Metrics metrics_;
    std::unique_ptr<Server> server_;
    std::promise<void> slow_started_;
    std::string seen_spool_file_;
    std::filesystem::path kept_file_;
};

INSTANTIATE_TEST_SUITE_P(HandlerPlacement, ServerTest, ::testing::Values(0, 2),
                         [](const auto& info) { return info.param ? "Pool" : "IoThreads"; });

TEST_P(ServerTest, KeepAliveServesTwoRequestsOnOneConnection) {
    StartServer(BaseOptions());
    Conn c(port());
    ASSERT_TRUE(c.connected());
    auto r1 = c.Get("/hello?q=a%20b");
    ASSERT_TRUE(r1);
    EXPECT_EQ(r1->status, 200);
    EXPECT_EQ(r1->headers["content-type"], "application/json");
    EXPECT_EQ(r1->headers["server"], "gzca");
    EXPECT_TRUE(r1->headers.count("date"));
    auto j1 = nlohmann::json::parse(r1->body);
    EXPECT_EQ(j1["q"], "a b");
    EXPECT_EQ(j1["tls"], false);
    auto r2 = c.Get("/hello");
    ASSERT_TRUE(r2);
    EXPECT_EQ(r2->status, 200);
    // Same connection: the server saw the same client port both times.
    EXPECT_EQ(nlohmann::json::parse(r2->body)["port"], j1["port"]);
}

TEST_P(ServerTest, PipelinedRequestsAreAnsweredInOrder) {
    StartServer(BaseOptions());
    Conn c(port());
    c.Send(
        "GET /hello?q=1 HTTP/1.1\r\nHost: t\r\n\r\n"
        "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc"
        "GET /hello?q=3 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    auto a = c.Read();
    auto b = c.Read();
    auto d = c.Read();
    ASSERT_TRUE(a && b && d);
    EXPECT_EQ(nlohmann::json::parse(a->body)["q"], "1");
    EXPECT_EQ(b->body, "abc");
    EXPECT_EQ(nlohmann::json::parse(d->body)["q"], "3");
    EXPECT_EQ(d->headers["connection"], "close");
    EXPECT_TRUE(c.ClosedByPeer(2s));
}

TEST_P(ServerTest, NotFoundAndMethodNotAllowedAreJsonErrors) {
    StartServer(BaseOptions());
    Conn c(port());
    auto nf = c.Get("/nope");
    ASSERT_TRUE(nf);
    EXPECT_EQ(nf->status, 404);
    auto body = nlohmann::json::parse(nf->body);
    EXPECT_EQ(body["code"], "not_found");
    EXPECT_TRUE(body["message"].is_string());

    c.Send("DELETE /hello HTTP/1.1\r\nHost: t\r\n\r\n");
    auto na = c.Read();
    ASSERT_TRUE(na);
    EXPECT_EQ(na->status, 405);
    EXPECT_EQ(na->headers["allow"], "GET, HEAD");
    EXPECT_EQ(nlohmann::json::parse(na->body)["code"], "method_not_allowed");

    // The connection survives routing errors.
    auto ok = c.Get("/hello");
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->status, 200);
}

TEST_P(ServerTest, HandlerErrorBodyHasCodeAndPublicMessageOnly) {
    StartServer(BaseOptions());
    Conn c(port());
    auto r = c.Get("/cert/42");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 404);
    auto body = nlohmann::json::parse(r->body);
    EXPECT_EQ(body, (nlohmann::json{{"code", "not_found"}, {"message", "certificate not found"}}));
}

TEST_P(ServerTest, HeadHasLengthButNoBody) {
    StartServer(BaseOptions());
    Conn c(port());
    c.Send("HEAD /hello HTTP/1.1\r\nHost: t\r\n\r\n");
    auto h = c.Read(/*head=*/true);
    ASSERT_TRUE(h);
    EXPECT_EQ(h->status, 200);
    EXPECT_GT(std::stoul(h->headers["content-length"]), 0u);
    auto next = c.Get("/hello");  // nothing stray left on the wire
    ASSERT_TRUE(next);
    EXPECT_EQ(next->status, 200);
}

TEST_P(ServerTest, BodyLimitAnswers413) {
    ServerOptions o = BaseOptions();
    o.max_body_bytes = 1024;
    StartServer(std::move(o));

    {  // exactly at the limit: fine
        Conn c(port());
        c.Send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1024\r\n\r\n" +
               std::string(1024, 'x'));
        auto r = c.Read();
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 200);
        EXPECT_EQ(r->body.size(), 1024u);
    }
    {  // declared too large
        Conn c(port());
        c.Send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n\r\n" +
               std::string(5000, 'x'));
        auto r = c.Read();
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 413);
        EXPECT_EQ(nlohmann::json::parse(r->body)["code"], "payload_too_large");
        EXPECT_EQ(r->headers["connection"], "close");
        EXPECT_TRUE(c.ClosedByPeer(5s));
    }
    {  // chunked, discovered while reading
        Conn c(port());
        c.Send(
            "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
            "800\r\n" +
            std::string(0x800, 'y') + "\r\n0\r\n\r\n");
        auto r = c.Read();
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 413);
    }
    // curl sends Expect: 100-continue for this size and must get the 413 without a 1 s stall.
    TempDir dir;
    auto file = dir.Write("big.bin", std::string(5000, 'z'));
    std::string code =
        RunCommand("curl -s -o /dev/null -w '%{http_code}' --data-binary @" + file.string() +
                   " http://127.0.0.1:" + std::to_string(port()) + "/echo");
    EXPECT_EQ(code, "413");
}

TEST_P(ServerTest, RouteBodyLimitAndSpoolingToFile) {
    TempDir spool;
    kept_file_ = spool.path() / "kept.bin";
    ServerOptions o = BaseOptions();
    o.max_body_bytes = 1024;  // the default; /upload allows 8192
    o.spool_dir = spool.path().string();
    StartServer(std::move(o));

    const std::string body(5000, 'u');
    {  // over the server default but within the route's limit: spooled to a file
        Conn c(port());
        c.Send("PUT /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n\r\n" + body);
        auto r = c.Read();
        ASSERT_TRUE(r);
        ASSERT_EQ(r->status, 200) << r->body;
        auto j = nlohmann::json::parse(r->body);
        EXPECT_EQ(j["in_memory"], 0);
        EXPECT_EQ(j["spooled"], 5000);
        EXPECT_EQ(j["size"], 5000);
        EXPECT_EQ(j["content"], body);
        EXPECT_TRUE(seen_spool_file_.starts_with(spool.path().string()));
        EXPECT_FALSE(std::filesystem::exists(seen_spool_file_)) << "spool file left behind";
    }
    {  // chunked body spooled the same way
        Conn c(port());
        c.Send(
            "PUT /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
            "10\r\n0123456789abcdef\r\n3\r\nxyz\r\n0\r\n\r\n");
        auto r = c.Read();
        ASSERT_TRUE(r);
        ASSERT_EQ(r->status, 200);
        EXPECT_EQ(nlohmann::json::parse(r->body)["content"], "0123456789abcdefxyz");
    }
    {  // a handler that moves the file keeps it
        Conn c(port());
        c.Send("PUT /upload?keep=1 HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc");
        auto r = c.Read();
        ASSERT_TRUE(r);
        ASSERT_EQ(r->status, 200);
        std::ifstream in(kept_file_, std::ios::binary);
        std::string kept((std::istreambuf_iterator<char>(in)), {});
        EXPECT_EQ(kept, "abc");
    }
    {  // over the route's limit: 413 naming that limit, nothing left in the spool directory
        Conn c(port());
        c.Send("PUT /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 9000\r\n\r\n" +
               std::string(9000, 'v'));
        auto r = c.Read();
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 413);
        EXPECT_NE(r->body.find("8192"), std::string::npos) << r->body;
    }
    {  // chunked over the route's limit
        Conn c(port());
        c.Send(
            "PUT /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
            "2400\r\n" +
            std::string(0x2400, 'w') + "\r\n0\r\n\r\n");
        auto r = c.Read();
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 413);
    }
    {  // other routes keep the server default
        Conn c(port());
        c.Send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n\r\n" + body);
        auto r = c.Read();
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 413);
    }
    server_->Stop();
    std::size_t left = 0;
    for (const auto& e : std::filesystem::directory_iterator(spool.path())) {
        if (e.path() != kept_file_) ++left;
    }
    EXPECT_EQ(left, 0u) << "spool files left behind";
}

TEST_P(ServerTest, HeaderLimitAnswers431) {
    ServerOptions o = BaseOptions();
    o.max_header_bytes = 1024;
    StartServer(std::move(o));
    Conn c(port());
    c.Send("GET /hello HTTP/1.1\r\nHost: t\r\nX-Big: " + std::string(4000, 'h') + "\r\n\r\n");
    auto r = c.Read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 431);
}

TEST_P(ServerTest, MalformedRequestsAnswer400Or501) {
    StartServer(BaseOptions());
    {
        Conn c(port());
        c.Send("GARBAGE\r\n\r\n");
        auto r = c.Read();
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 400);
    }
    {
        Conn c(port());
        c.Send("PROPFIND /hello HTTP/1.1\r\nHost: t\r\n\r\n");
        auto r = c.Read();
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 501);
    }
    {
        Conn c(port());
        c.Send("GET http://example.com/hello HTTP/1.1\r\nHost: t\r\n\r\n");
        auto r = c.Read();
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 400);
    }
}

TEST_P(ServerTest, SlowRequestIsCutOffByReadTimeout) {
    ServerOptions o = BaseOptions();
    o.read_timeout = 300ms;
    StartServer(std::move(o));
    Conn c(port());
    auto t0 = std::chrono::steady_clock::now();
    c.Send("GET /hello HTTP/1.1\r\nHost: t\r\n");  // never finishes the header
    std::this_thread::sleep_for(100ms);
    c.Send("X-Drip: 1\r\n");  // dripping bytes does not extend the deadline
    EXPECT_TRUE(c.ClosedByPeer(3s));
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
}

TEST_P(ServerTest, IdleKeepAliveConnectionIsClosed) {
    ServerOptions o = BaseOptions();
    o.idle_timeout = 300ms;
    StartServer(std::move(o));
    Conn c(port());
    ASSERT_TRUE(c.Get("/hello"));
    auto t0 = std::chrono::steady_clock::now();
    EXPECT_TRUE(c.ClosedByPeer(3s));
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
}

TEST_P(ServerTest, MetricsCountRequestsByRouteAndStatus) {
    StartServer(BaseOptions());
    Conn c(port());
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(c.Get("/hello"));
    ASSERT_TRUE(c.Get("/nope"));
    ASSERT_TRUE(c.Get("/cert/1"));
    auto m = c.Get("/metrics");
    ASSERT_TRUE(m);
    EXPECT_EQ(m->status, 200);
    EXPECT_EQ(m->headers["content-type"], Metrics::kContentType);
    const std::string& text = m->body;
    EXPECT_NE(
        text.find("gzca_http_requests_total{method=\"GET\",route=\"/hello\",status=\"200\"} 3\n"),
        std::string::npos)
        << text;
    EXPECT_NE(
        text.find(
            "gzca_http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"} 1\n"),
        std::string::npos);
    EXPECT_NE(
        text.find(
            "gzca_http_requests_total{method=\"GET\",route=\"/cert/{serial}\",status=\"404\"} 1\n"),
        std::string::npos);
    EXPECT_NE(text.find("gzca_http_request_duration_seconds_count{route=\"/hello\"} 3\n"),
              std::string::npos);
    EXPECT_NE(text.find("gzca_http_connections_total{listener=\"http\"} 1\n"), std::string::npos);
    EXPECT_NE(text.find("gzca_http_open_connections{listener=\"http\"} 1\n"), std::string::npos);
}

TEST_P(ServerTest, StopLetsInFlightRequestFinishAndClosesIdleConnections) {
    ServerOptions o = BaseOptions();
    o.drain_timeout = 5s;
    StartServer(std::move(o));
    Conn idle(port());
    ASSERT_TRUE(idle.Get("/hello"));  // now waiting for its next request

    auto started = slow_started_.get_future();
    auto client = std::async(std::launch::async, [p = port()] {
        Conn c(p);
        return c.Get("/slow");
    });
    ASSERT_EQ(started.wait_for(5s), std::future_status::ready);
    auto t0 = std::chrono::steady_clock::now();
    server_->Stop();
    auto stop_took = std::chrono::steady_clock::now() - t0;

    auto r = client.get();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "slow done");
    EXPECT_EQ(r->headers["connection"], "close");
    EXPECT_TRUE(idle.ClosedByPeer(1s));
    EXPECT_LT(stop_took, 4s);  // did not wait for the drain timeout
    Conn after(port());
    EXPECT_FALSE(after.connected());
}

TEST_P(ServerTest, DrainTimeoutBoundsStop) {
    ServerOptions o = BaseOptions();
    o.drain_timeout = 100ms;
    StartServer(std::move(o));
    // A request that never completes keeps its connection in the reading state.
    Conn partial(port());
    partial.Send("GET /hello HTTP/1.1\r\n");
    std::this_thread::sleep_for(100ms);
    auto t0 = std::chrono::steady_clock::now();
    server_->Stop();
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
    EXPECT_TRUE(partial.ClosedByPeer(1s));
}

TEST_P(ServerTest, RunReturnsAfterSignal) {
    StartServer(BaseOptions());
    server_->StopOnSignals();
    auto runner = std::async(std::launch::async, [this] { server_->Run(); });
    std::this_thread::sleep_for(50ms);
    std::raise(SIGTERM);
    EXPECT_EQ(runner.wait_for(5s), std::future_status::ready);
}

TEST_P(ServerTest, StartFailures) {
    StartServer(BaseOptions());
    EXPECT_EQ(server_->Start().error().code, ErrorCode::kFailedPrecondition);

    ServerOptions busy = BaseOptions();
    busy.http->port = port();  // already bound by the first server
    Server second(busy, router_);
    auto st = second.Start();
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().code, ErrorCode::kUnavailable);

    ServerOptions bad_tls = BaseOptions();
    bad_tls.http.reset();
    bad_tls.https = Endpoint{"127.0.0.1", 0};
    bad_tls.tls.cert_chain_pem = "-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n";
    bad_tls.tls.private_key_pem = "nope";
    Server third(bad_tls, router_);
    st = third.Start();
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(st.error().public_message.find("nope"), std::string::npos);

    ServerOptions none = BaseOptions();
    none.http.reset();
    Server fourth(none, router_);
    EXPECT_EQ(fourth.Start().error().code, ErrorCode::kInvalidArgument);
}

// ---- TLS ------------------------------------------------------------------------------------

class TlsServerTest : public ServerTest {
  protected:
    void StartTls(ClientCertMode mode) {
        server_pem_ = MakeSelfSigned("localhost");
        client_pem_ = MakeSelfSigned("gzca test client");
        client_cert_file_ = dir_.Write("client.pem", client_pem_.cert);
        client_key_file_ = dir_.Write("client.key", client_pem_.key);
        ServerOptions o = BaseOptions();
        o.https = Endpoint{"127.0.0.1", 0};
        o.tls.cert_chain_pem = server_pem_.cert;
        o.tls.private_key_pem = server_pem_.key;
        o.tls.client_cert = mode;
        o.tls.client_ca_file = client_cert_file_.string();
        StartServer(std::move(o));
    }
    std::string Url(std::string_view path) const {
        return "https://127.0.0.1:" + std::to_string(server_->https_port()) + std::string(path);
    }

    TempDir dir_;
    Pem server_pem_, client_pem_;
    std::filesystem::path client_cert_file_, client_key_file_;
};

INSTANTIATE_TEST_SUITE_P(HandlerPlacement, TlsServerTest, ::testing::Values(0, 2),
                         [](const auto& info) { return info.param ? "Pool" : "IoThreads"; });

TEST_P(TlsServerTest, CurlWorksAndReusesTheConnection) {
    StartTls(ClientCertMode::kNone);
    ASSERT_NE(server_->https_port(), 0);
    ASSERT_NE(server_->http_port(), 0);  // both endpoints at once
    std::string body = RunCommand("curl -sk '" + Url("/hello?q=tls") + "'");
    auto j = nlohmann::json::parse(body);
    EXPECT_EQ(j["tls"], true);
    EXPECT_EQ(j["q"], "tls");

    // Two URLs in one curl run: one connect, the second request reuses it (keep-alive).
    std::string connects = RunCommand("curl -sk -o /dev/null -o /dev/null -w '%{num_connects} ' '" +
                                      Url("/hello") + "' '" + Url("/hello") + "'");
    EXPECT_EQ(connects, "1 0 ");

    std::string err = RunCommand("curl -sk '" + Url("/nope") + "'");
    EXPECT_EQ(nlohmann::json::parse(err)["code"], "not_found");

    std::string metrics = RunCommand("curl -sk '" + Url("/metrics") + "'");
    EXPECT_NE(metrics.find("gzca_http_connections_total{listener=\"https\"} 4"), std::string::npos)
        << metrics;
}

// Regression: bodies larger than a TLS record and than Beast's write coalescing limit arrived
// without their body over TLS (the header did, then the connection stalled).
TEST_P(TlsServerTest, LargeBodiesArriveWholeOverTls) {
    StartTls(ClientCertMode::kOptional);
    for (std::size_t size : {std::size_t{20'000}, std::size_t{70'000}, std::size_t{1'000'000}}) {
        TempDir dir;
        std::string payload(size, 'p');
        for (std::size_t i = 0; i < size; i += 997) payload[i] = static_cast<char>('a' + i % 26);
        auto file = dir.Write("body.bin", payload);
        std::string echoed = RunCommand("curl -sk --max-time 10 --data-binary @" + file.string() +
                                        " '" + Url("/echo") + "'");
        EXPECT_EQ(echoed.size(), size);
        EXPECT_TRUE(echoed == payload) << "body of " << size << " bytes differs";
    }
}

TEST_P(TlsServerTest, OptionalClientCertificateIsReported) {
    StartTls(ClientCertMode::kOptional);
    auto none = nlohmann::json::parse(RunCommand("curl -sk '" + Url("/client-cert") + "'"));
    EXPECT_EQ(none["present"], false);
    EXPECT_EQ(none["verified"], false);

    auto with = nlohmann::json::parse(RunCommand("curl -sk --cert " + client_cert_file_.string() +
                                                 " --key " + client_key_file_.string() + " '" +
                                                 Url("/client-cert") + "'"));
    EXPECT_EQ(with["present"], true);
    EXPECT_EQ(with["verified"], true);

    // A certificate from elsewhere is accepted but reported unverified.
    Pem stranger = MakeSelfSigned("stranger");
    auto sc = dir_.Write("s.pem", stranger.cert);
    auto sk = dir_.Write("s.key", stranger.key);
    auto other = nlohmann::json::parse(RunCommand("curl -sk --cert " + sc.string() + " --key " +
                                                  sk.string() + " '" + Url("/client-cert") + "'"));
    EXPECT_EQ(other["present"], true);
    EXPECT_EQ(other["verified"], false);
}

TEST_P(TlsServerTest, RequiredClientCertificateRejectsOthers) {
    StartTls(ClientCertMode::kRequired);
    std::string code =
        RunCommand("curl -sk -o /dev/null -w '%{http_code}' '" + Url("/client-cert") + "'");
    EXPECT_EQ(code, "000");  // handshake refused
    auto with = nlohmann::json::parse(RunCommand("curl -sk --cert " + client_cert_file_.string() +
                                                 " --key " + client_key_file_.string() + " '" +
                                                 Url("/client-cert") + "'"));
    EXPECT_EQ(with["verified"], true);
}

TEST_P(TlsServerTest, PlainBytesOnTlsPortFailTheHandshakeOnly) {
    StartTls(ClientCertMode::kNone);
    Conn c(server_->https_port());
    c.Send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
    EXPECT_TRUE(c.ClosedByPeer(3s));
    std::string body = RunCommand("curl -sk '" + Url("/hello") + "'");
    EXPECT_EQ(nlohmann::json::parse(body)["hello"], "world");
}

}  // namespace
}  // namespace gzca::http
