#pragma once
// The outbox (DESIGN.md §6): every SMS and e-mail the platform sends is first a row written in
// the same transaction as the change that causes it, so a message is never lost when the
// process dies after the change, and never sent for a change that rolled back. A dispatcher
// (notifications issue) delivers pending rows through a channel; until one is configured the
// `log` channel keeps them here, visible to operators (`gzca outbox list`) and to tests.
//
// Privacy: recipient and body are sealed with the PiiVault (login codes are secrets); rows keep
// a masked recipient for display and a blind index to find a recipient's messages.
//
// Thread-safety: an Outbox is immutable; its methods may be called from many threads.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/error.h"
#include "ra/pii.h"
#include "store/database.h"

namespace gzca::notify {

enum class Channel { kSms, kEmail };
std::string_view ChannelName(Channel channel);  // "sms", "email"

struct OutgoingMessage {
    // Unique per message meaning, e.g. "login-code:<login_codes.id>",
    // "order-approved:<order_no>": enqueueing the same key twice stores one message.
    std::string idempotency_key;
    Channel channel = Channel::kSms;
    std::string template_name;  // which template produced `body` ("login_code", …)
    std::string recipient;      // phone number or e-mail address
    std::string body;
};

struct StoredMessage {
    std::int64_t id = 0;
    std::string idempotency_key;
    Channel channel = Channel::kSms;
    std::string template_name;
    std::string recipient;  // unsealed
    std::string recipient_masked;
    std::string body;   // unsealed
    std::string state;  // pending | sent | dead
    int attempts = 0;
    TimePoint created_at;
    std::optional<TimePoint> sent_at;
};

class Outbox {
  public:
    Outbox(const ra::PiiVault& vault, const Clock& clock) : vault_(vault), clock_(clock) {}

    // Adds `message` as pending inside `tx`. A message whose idempotency key is already stored
    // is left as it is (Ok: the earlier one stands). kInvalidArgument for an empty key,
    // recipient or body.
    Status Enqueue(store::Transaction& tx, const OutgoingMessage& message) const;

    struct Filter {
        std::optional<std::string> recipient;  // exact phone / e-mail
        std::optional<std::string> template_name;
        int limit = 50;
    };
    // Newest first, unsealed. kInternal when a row does not open under this vault.
    Result<std::vector<StoredMessage>> List(store::Database& db, const Filter& filter) const;

  private:
    const ra::PiiVault& vault_;
    const Clock& clock_;
};

// "138****5678" for phones, "z***@example.com" for e-mail addresses.
std::string MaskRecipient(Channel channel, std::string_view recipient);

}  // namespace gzca::notify
