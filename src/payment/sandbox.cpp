#include "payment/sandbox.h"

#include <algorithm>

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "crypto/signer.h"

namespace gzca::payment {
namespace {

constexpr int kMaxAttempts = 7;

std::string HmacHex(ByteView key, std::string_view body) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
              reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &len)) {
        throw std::runtime_error("HMAC-SHA256 failed");
    }
    return HexEncode(ByteView(mac, len));
}

std::size_t DiscardBody(char*, std::size_t size, std::size_t n, void*) { return size * n; }

}  // namespace

Result<std::unique_ptr<SandboxProvider>> SandboxProvider::Create(Bytes merchant_key,
                                                                 const Clock& clock) {
    if (merchant_key.size() < 32) {
        return Fail(ErrorCode::kInvalidArgument, "sandbox merchant key shorter than 32 bytes",
                    "支付沙箱密钥配置错误");
    }
    return std::unique_ptr<SandboxProvider>(new SandboxProvider(std::move(merchant_key), clock));
}

SandboxProvider::SandboxProvider(Bytes key, const Clock& clock)
    : key_(std::move(key)), clock_(clock), worker_([this] { Run(); }) {}

SandboxProvider::~SandboxProvider() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    worker_.join();
}

void SandboxProvider::set_notify_target(std::string notify_url, std::string ca_pem) {
    std::lock_guard lock(mutex_);
    notify_url_ = std::move(notify_url);
    ca_pem_ = std::move(ca_pem);
}

std::string SandboxProvider::CheckoutPath(std::string_view payment_ref) {
    return "/pay/sandbox/" + std::string(payment_ref);
}

std::string SandboxProvider::Serialize(const SandboxNotification& n) const {
    nlohmann::json j = {{"notify_id", n.notify_id}, {"payment_ref", n.payment_ref},
                        {"order_no", n.order_no},   {"amount_fen", n.amount_fen},
                        {"status", n.status},       {"paid_at", ToUnix(n.paid_at)}};
    return j.dump();
}

std::string SandboxProvider::Sign(std::string_view body) const { return HmacHex(key_, body); }

Result<SandboxNotification> SandboxProvider::Verify(std::string_view body,
                                                    std::string_view signature_hex) const {
    const std::string expected = Sign(body);
    if (signature_hex.size() != expected.size() ||
        CRYPTO_memcmp(signature_hex.data(), expected.data(), expected.size()) != 0) {
        return Fail(ErrorCode::kUnauthenticated, "sandbox notification signature mismatch",
                    "签名校验失败");
    }
    auto j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object()) {
        return Fail(ErrorCode::kInvalidArgument, "sandbox notification is not a JSON object",
                    "通知格式错误");
    }
    try {
        SandboxNotification n;
        n.notify_id = j.at("notify_id").get<std::string>();
        n.payment_ref = j.at("payment_ref").get<std::string>();
        n.order_no = j.at("order_no").get<std::string>();
        n.amount_fen = j.at("amount_fen").get<std::int64_t>();
        n.status = j.at("status").get<std::string>();
        n.paid_at = FromUnix(j.at("paid_at").get<std::int64_t>());
        return n;
    } catch (const nlohmann::json::exception& e) {
        return Fail(ErrorCode::kInvalidArgument,
                    std::string("sandbox notification field: ") + e.what(), "通知格式错误");
    }
}

void SandboxProvider::Notify(const SandboxNotification& n, std::function<void(bool)> on_done) {
    Job job;
    job.body = Serialize(n);
    job.signature = Sign(job.body);
    job.due = std::chrono::steady_clock::now();
    job.on_done = std::move(on_done);
    {
        std::lock_guard lock(mutex_);
        jobs_.push_back(std::move(job));
    }
    wake_.notify_all();
}

std::size_t SandboxProvider::pending() const {
    std::lock_guard lock(mutex_);
    return jobs_.size() + in_flight_;
}

void SandboxProvider::Run() {
    std::unique_lock lock(mutex_);
    while (true) {
        if (stopping_) return;
        if (jobs_.empty()) {
            wake_.wait(lock);
            continue;
        }
        auto next = std::min_element(jobs_.begin(), jobs_.end(),
                                     [](const Job& a, const Job& b) { return a.due < b.due; });
        if (next->due > std::chrono::steady_clock::now()) {
            wake_.wait_until(lock, next->due);
            continue;
        }
        Job job = std::move(*next);
        jobs_.erase(next);
        ++in_flight_;
        lock.unlock();
        const bool ok = Post(job.body, job.signature);
        lock.lock();
        --in_flight_;
        ++job.attempt;
        if (ok || job.attempt >= kMaxAttempts) {
            if (!ok)
                spdlog::warn("payment sandbox: notification abandoned after {} tries", job.attempt);
            if (job.on_done) {
                auto done = std::move(job.on_done);
                lock.unlock();
                done(ok);
                lock.lock();
            }
            continue;
        }
        job.due = std::chrono::steady_clock::now() + std::chrono::seconds(1 << (job.attempt - 1));
        jobs_.push_back(std::move(job));
    }
}

bool SandboxProvider::Post(const std::string& body, const std::string& signature) {
    std::string url;
    std::string ca;
    {
        std::lock_guard lock(mutex_);
        url = notify_url_;
        ca = ca_pem_;
    }
    if (url.empty()) return false;
    CURL* curl = curl_easy_init();
    if (!curl) return false;
    std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> guard(curl, curl_easy_cleanup);
    const std::string sig_header = "X-Sandbox-Signature: " + signature;
    curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
    headers = curl_slist_append(headers, sig_header.c_str());
    std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> header_guard(headers,
                                                                             curl_slist_free_all);
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 10L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, DiscardBody);
    curl_blob blob{};
    if (!ca.empty()) {
        blob.data = ca.data();
        blob.len = ca.size();
        blob.flags = CURL_BLOB_COPY;
        curl_easy_setopt(curl, CURLOPT_CAINFO_BLOB, &blob);
    }
    CURLcode rc = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    if (rc != CURLE_OK) {
        spdlog::debug("payment sandbox: notify failed: {}", curl_easy_strerror(rc));
        return false;
    }
    return status >= 200 && status < 300;
}

}  // namespace gzca::payment
