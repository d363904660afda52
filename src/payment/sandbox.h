#pragma once
// The sandbox payment provider: a stand-in for a real acquirer (UnionPay, Alipay, WeChat Pay)
// that goes through the same steps a real one does, so the platform's payment path is the real
// path:
//   1. the platform creates a payment (ra::OrderService::StartOnlinePayment) and sends the payer
//      to the provider's checkout page (CheckoutPath);
//   2. the payer confirms there; the provider then notifies the merchant ASYNCHRONOUSLY, by an
//      HTTP POST of a JSON body to the platform's notify URL, signed with HMAC-SHA256 under the
//      merchant key (header X-Sandbox-Signature: hex), retrying with backoff until the platform
//      answers 2xx — so the platform must apply a notification idempotently;
//   3. the platform verifies the signature (Verify), then amount and order, and applies it.
//
// Notification body: {"notify_id", "payment_ref", "order_no", "amount_fen", "status":"paid",
// "paid_at" (unix seconds)}.
//
// Thread-safety: Sign/Verify are const and thread-safe. Notify() queues work for one background
// thread that the destructor stops (pending deliveries are abandoned, as a real provider's
// retries would be outside our process anyway).

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/error.h"

namespace gzca::payment {

struct SandboxNotification {
    std::string notify_id;
    std::string payment_ref;
    std::string order_no;
    std::int64_t amount_fen = 0;
    std::string status;  // "paid"
    TimePoint paid_at;
};

class SandboxProvider {
  public:
    // `merchant_key`: the shared HMAC key (≥ 32 bytes; kInvalidArgument otherwise through
    // Create). `notify_url`: where notifications go (set later with set_notify_url when the
    // port is known). `ca_pem`: trust anchor for an https notify URL.
    static Result<std::unique_ptr<SandboxProvider>> Create(Bytes merchant_key, const Clock& clock);
    ~SandboxProvider();
    SandboxProvider(const SandboxProvider&) = delete;
    SandboxProvider& operator=(const SandboxProvider&) = delete;

    void set_notify_target(std::string notify_url, std::string ca_pem);

    // "/pay/sandbox/<payment_ref>": the checkout page.
    static std::string CheckoutPath(std::string_view payment_ref);

    std::string Serialize(const SandboxNotification& n) const;
    std::string Sign(std::string_view body) const;  // hex HMAC-SHA256

    // Checks `signature_hex` over exactly `body` (constant time), then parses it.
    // kUnauthenticated for a missing/wrong signature, kInvalidArgument for a malformed body.
    Result<SandboxNotification> Verify(std::string_view body, std::string_view signature_hex) const;

    // Queues a notification for delivery: POST to the notify URL, retried after 1, 2, 4 … 32 s
    // until a 2xx answer (at most 7 tries). `on_delivered` (optional) is told the outcome.
    void Notify(const SandboxNotification& n, std::function<void(bool delivered)> on_done = {});

    // Deliveries currently queued or in flight (for tests and shutdown).
    std::size_t pending() const;

  private:
    SandboxProvider(Bytes key, const Clock& clock);
    void Run();
    bool Post(const std::string& body, const std::string& signature);

    struct Job {
        std::string body;
        std::string signature;
        int attempt = 0;
        std::chrono::steady_clock::time_point due;
        std::function<void(bool)> on_done;
    };

    const Bytes key_;
    const Clock& clock_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<Job> jobs_;       // GUARDED_BY(mutex_)
    std::string notify_url_;     // GUARDED_BY(mutex_)
    std::string ca_pem_;         // GUARDED_BY(mutex_)
    bool stopping_ = false;      // GUARDED_BY(mutex_)
    std::size_t in_flight_ = 0;  // GUARDED_BY(mutex_)
    std::thread worker_;         // last: started after everything above exists
};

}  // namespace gzca::payment
