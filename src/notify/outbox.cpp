#include "notify/outbox.h"

#include "ra/validation.h"

namespace gzca::notify {
namespace {

constexpr std::string_view kRecipientContext = "outbox.recipient";
constexpr std::string_view kBodyContext = "outbox.body";

Channel ParseChannel(std::string_view name) {
    return name == "email" ? Channel::kEmail : Channel::kSms;
}

}  // namespace

std::string_view ChannelName(Channel channel) {
    return channel == Channel::kEmail ? "email" : "sms";
}

std::string MaskRecipient(Channel channel, std::string_view recipient) {
    if (channel == Channel::kSms) return ra::MaskPhone(recipient);
    std::size_t at = recipient.find('@');
    if (at == std::string_view::npos || at == 0) return "***";
    return std::string(recipient.substr(0, 1)) + "***" + std::string(recipient.substr(at));
}

Status Outbox::Enqueue(store::Transaction& tx, const OutgoingMessage& message) const {
    if (message.idempotency_key.empty() || message.recipient.empty() || message.body.empty()) {
        return Fail(ErrorCode::kInvalidArgument, "outbox message without key, recipient or body",
                    "消息不完整");
    }
    const std::int64_t now = ToUnix(clock_.Now());
    // ON CONFLICT DO NOTHING: SQLite ≥ 3.24 and PostgreSQL ≥ 9.5 both have it, and it does not
    // spend the transaction the way a failed INSERT would.
    GZCA_TRY_STATUS(tx.Exec(
        "INSERT INTO outbox (idempotency_key, channel, template, recipient_index, "
        "recipient_masked, recipient_sealed, body_sealed, state, attempts, next_attempt_at, "
        "created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', 0, $8, $8) "
        "ON CONFLICT (idempotency_key) DO NOTHING",
        {message.idempotency_key, std::string(ChannelName(message.channel)), message.template_name,
         vault_.BlindIndex(message.recipient, kRecipientContext),
         MaskRecipient(message.channel, message.recipient),
         vault_.Seal(message.recipient, kRecipientContext), vault_.Seal(message.body, kBodyContext),
         now}));
    return Ok();
}

Result<std::vector<StoredMessage>> Outbox::List(store::Database& db, const Filter& filter) const {
    std::string sql =
        "SELECT id, idempotency_key, channel, template, recipient_masked, recipient_sealed, "
        "body_sealed, state, attempts, created_at, sent_at FROM outbox WHERE 1 = 1";
    std::vector<store::Value> params;
    if (filter.recipient) {
        params.emplace_back(vault_.BlindIndex(*filter.recipient, kRecipientContext));
        sql += " AND recipient_index = $" + std::to_string(params.size());
    }
    if (filter.template_name) {
        params.emplace_back(*filter.template_name);
        sql += " AND template = $" + std::to_string(params.size());
    }
    params.emplace_back(static_cast<std::int64_t>(std::max(1, filter.limit)));
    sql += " ORDER BY id DESC LIMIT $" + std::to_string(params.size());
    GZCA_ASSIGN_OR_RETURN(auto tx, db.Begin(false));
    GZCA_ASSIGN_OR_RETURN(auto rows, tx->Query(sql, params));
    std::vector<StoredMessage> out;
    out.reserve(rows.size());
    for (const store::Row& row : rows) {
        StoredMessage m;
        m.id = row.Int(0);
        m.idempotency_key = row.Text(1);
        m.channel = ParseChannel(row.Text(2));
        m.template_name = row.Text(3);
        m.recipient_masked = row.Text(4);
        GZCA_ASSIGN_OR_RETURN(m.recipient, vault_.Open(row.Blob(5), kRecipientContext));
        GZCA_ASSIGN_OR_RETURN(m.body, vault_.Open(row.Blob(6), kBodyContext));
        m.state = row.Text(7);
        m.attempts = static_cast<int>(row.Int(8));
        m.created_at = FromUnix(row.Int(9));
        if (auto sent = row.OptInt(10)) m.sent_at = FromUnix(*sent);
        out.push_back(std::move(m));
    }
    return out;
}

}  // namespace gzca::notify
