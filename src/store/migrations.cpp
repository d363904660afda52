#include "store/migrations.h"

#include <utility>

namespace gzca::store {
namespace {

// Version 1: the CA engine.
//
// issuers       one row per CA certificate gzca holds keys for (root, issuing) — several
//               hierarchies may coexist, told apart by `name`.
// certificates  every serial ever allocated. status: pending (serial and request recorded, not
//               yet signed) → issued (DER stored) | aborted (never signed, e.g. crash or error);
//               issued → revoked. "expired" is derived from not_after; "superseded" is revoked
//               with reason 4. replaces_id is the lineage link (renewal/reissue).
// revocations   the CRL's entries, appended on revocation: a CRL is built from this table
//               alone, never from a scan of all certificates.
// crls          every CRL signed, newest per issuer served.
// A certificate has at most one live (pending or issued) successor: two concurrent renewals of
// the same certificate cannot both succeed.
constexpr std::string_view kV1 = R"sql(
CREATE TABLE issuers (
    id ${ID},
    name TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    parent_id BIGINT REFERENCES issuers(id),
    algorithm TEXT NOT NULL,
    subject TEXT NOT NULL,
    serial TEXT NOT NULL,
    cert_der ${BLOB} NOT NULL,
    key_ref TEXT NOT NULL,
    not_after BIGINT NOT NULL,
    next_crl_number BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL
);
CREATE TABLE certificates (
    id ${ID},
    issuer_id BIGINT NOT NULL REFERENCES issuers(id),
    serial TEXT NOT NULL,
    status TEXT NOT NULL,
    profile TEXT NOT NULL,
    subject TEXT NOT NULL,
    key_algorithm TEXT NOT NULL,
    spki_sha256 TEXT NOT NULL,
    csr_der ${BLOB},
    sm2_id TEXT,
    not_before BIGINT NOT NULL,
    not_after BIGINT NOT NULL,
    der ${BLOB},
    replaces_id BIGINT REFERENCES certificates(id),
    revoked_at BIGINT,
    revocation_reason INTEGER,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (issuer_id, serial)
);
CREATE INDEX certificates_serial ON certificates (serial);
CREATE INDEX certificates_status_not_after ON certificates (status, not_after);
CREATE INDEX certificates_subject ON certificates (subject);
CREATE INDEX certificates_replaces ON certificates (replaces_id);
CREATE UNIQUE INDEX certificates_one_live_successor ON certificates (replaces_id)
    WHERE replaces_id IS NOT NULL AND status IN ('pending', 'issued');
CREATE TABLE revocations (
    issuer_id BIGINT NOT NULL REFERENCES issuers(id),
    serial TEXT NOT NULL,
    revoked_at BIGINT NOT NULL,
    reason INTEGER NOT NULL,
    PRIMARY KEY (issuer_id, serial)
);
CREATE TABLE crls (
    issuer_id BIGINT NOT NULL REFERENCES issuers(id),
    crl_number BIGINT NOT NULL,
    this_update BIGINT NOT NULL,
    next_update BIGINT NOT NULL,
    entry_count BIGINT NOT NULL,
    der ${BLOB} NOT NULL,
    PRIMARY KEY (issuer_id, crl_number)
)
)sql";

// Version 2: API credentials. A key is "gzca_<key_id>_<secret>"; only SHA-256(secret) is kept
// (the secret is 256 random bits, so a slow hash adds nothing). A row with client_cert_serial
// instead authorises TLS clients presenting that certificate (issued by this CA, not revoked).
constexpr std::string_view kV2 = R"sql(
CREATE TABLE api_keys (
    id ${ID},
    key_id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    scopes TEXT NOT NULL,
    secret_sha256 TEXT,
    client_cert_serial TEXT UNIQUE,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
)
)sql";

// Version 3: the service platform's domain (ra module, DESIGN.md §4). Times are unix seconds.
// Columns named *_sealed hold AES-256-GCM ciphertext made by ra::PiiVault (the column name is
// the sealing context); *_index columns hold its HMAC blind indexes.
//
// organisations            机构. credential_number (统一社会信用代码 etc.) is public registry data:
//                          plain and UNIQUE; an organisation is upserted by it.
// subscribers              用户. phone and ID-card number sealed; phone_index is UNIQUE (one
//                          account per phone: SMS login finds the account by it); id_card_index
//                          finds a person's accounts. user_identifier (用户标识) is UNIQUE.
// subscriber_certificates  who holds which certificate on which medium (usbkey | shield); a
//                          certificate has at most one owner (the primary key).
// orders                   one service order (new / renew / reissue / revoke / unlock) and its
//                          state (draft → materials → awaiting_payment → in_review → approved →
//                          ready → completed; rejected, cancelled). form_sealed is the JSON
//                          snapshot of the 机构/用户/证书 form (context "orders.form"); the plain
//                          columns are what queries need. version is the optimistic-concurrency
//                          counter every change bumps. approved_at / issue_started_at let the
//                          issuing step be retried after a crash without signing twice.
//                          At most one open order per certificate and type (partial unique
//                          index); one order per (subscriber, idempotency key): a double click
//                          creates one order.
// order_events             the timeline: every change appends a row, none is ever updated.
// materials                uploaded scans, one current file per (order, kind); the bytes live
//                          content-addressed on disk (ra::MaterialStore), named by sha256.
// payments                 payment attempts; an order may have several rows over time (a
//                          pending online payment, then an offline one). payment_ref is the
//                          random reference the provider echoes back in its notification.
// reviews                  every operator decision (approved | rejected) with reason category
//                          and comment; the newest is shown to the subscriber.
constexpr std::string_view kV3 = R"sql(
CREATE TABLE organisations (
    id ${ID},
    name TEXT NOT NULL,
    legal_representative TEXT NOT NULL,
    credential_type TEXT NOT NULL,
    credential_number TEXT NOT NULL UNIQUE,
    phone TEXT NOT NULL,
    fax TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE TABLE subscribers (
    id ${ID},
    organisation_id BIGINT NOT NULL REFERENCES organisations(id),
    user_identifier TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    phone_sealed ${BLOB} NOT NULL,
    phone_index TEXT NOT NULL UNIQUE,
    id_card_sealed ${BLOB} NOT NULL,
    id_card_index TEXT NOT NULL,
    email TEXT NOT NULL,
    department TEXT NOT NULL,
    contact_address TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX subscribers_organisation ON subscribers (organisation_id);
CREATE INDEX subscribers_id_card_index ON subscribers (id_card_index);
CREATE TABLE subscriber_certificates (
    certificate_id BIGINT PRIMARY KEY REFERENCES certificates(id),
    subscriber_id BIGINT NOT NULL REFERENCES subscribers(id),
    medium TEXT NOT NULL,
    linked_at BIGINT NOT NULL
);
CREATE INDEX subscriber_certificates_subscriber ON subscriber_certificates (subscriber_id);
CREATE TABLE orders (
    id ${ID},
    order_no TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    state TEXT NOT NULL,
    subscriber_id BIGINT NOT NULL REFERENCES subscribers(id),
    certificate_id BIGINT REFERENCES certificates(id),
    certificate_serial TEXT NOT NULL,
    issued_certificate_id BIGINT REFERENCES certificates(id),
    issued_certificate_serial TEXT NOT NULL,
    form_sealed ${BLOB} NOT NULL,
    fee_fen BIGINT NOT NULL,
    idempotency_key TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    submitted_at BIGINT,
    due_at BIGINT,
    approved_at BIGINT,
    issue_started_at BIGINT,
    version BIGINT NOT NULL,
    UNIQUE (subscriber_id, idempotency_key)
);
CREATE INDEX orders_subscriber_created ON orders (subscriber_id, created_at);
CREATE INDEX orders_state_due ON orders (state, due_at);
CREATE UNIQUE INDEX orders_one_open_per_certificate ON orders (certificate_id, type)
    WHERE certificate_id IS NOT NULL AND state NOT IN ('completed', 'cancelled');
CREATE TABLE order_events (
    id ${ID},
    order_id BIGINT NOT NULL REFERENCES orders(id),
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    event TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX order_events_order ON order_events (order_id, id);
CREATE TABLE materials (
    id ${ID},
    order_id BIGINT NOT NULL REFERENCES orders(id),
    kind TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    original_name_sealed ${BLOB} NOT NULL,
    uploaded_at BIGINT NOT NULL,
    UNIQUE (order_id, kind)
);
CREATE INDEX materials_sha256 ON materials (sha256);
CREATE TABLE payments (
    id ${ID},
    order_id BIGINT NOT NULL REFERENCES orders(id),
    payment_ref TEXT NOT NULL UNIQUE,
    method TEXT NOT NULL,
    provider TEXT NOT NULL,
    amount_fen BIGINT NOT NULL,
    state TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    paid_at BIGINT
);
CREATE INDEX payments_order ON payments (order_id);
CREATE TABLE reviews (
    id ${ID},
    order_id BIGINT NOT NULL REFERENCES orders(id),
    decision TEXT NOT NULL,
    reason TEXT NOT NULL,
    comment TEXT NOT NULL,
    reviewer TEXT NOT NULL,
    reviewer_name TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX reviews_order ON reviews (order_id, id)
)sql";

// Version 4: who is calling, and what the platform sends.
//
// sessions     browser sessions: only SHA-256 of the cookie value is kept, so a leaked table
//              does not hand out logins. principal_id NULL = anonymous (pre-login) session,
//              which still carries a CSRF token for the login forms.
// captchas     picture captchas: the answer sealed (an operator with the data directory may read
//              it — `gzca captcha answer`, for automated tests); single use (used_at).
// login_codes  SMS login codes: keyed hash of the code, per phone (blind index) and client
//              address, with attempt counting; the per-phone and per-address rate limits are
//              counted from this table, so they survive restarts.
// outbox       messages to send (SMS, e-mail), written in the transaction of the change that
//              causes them (DESIGN.md §6); recipient and body sealed (login codes are secrets).
//              idempotency_key makes a message unique: enqueueing it twice sends it once.
constexpr std::string_view kV4 = R"sql(
CREATE TABLE sessions (
    id_sha256 TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    principal_id BIGINT,
    csrf_token TEXT NOT NULL,
    remote_address TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_expires ON sessions (expires_at);
CREATE TABLE captchas (
    id TEXT PRIMARY KEY,
    answer_sealed ${BLOB} NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX captchas_expires ON captchas (expires_at);
CREATE TABLE login_codes (
    id ${ID},
    phone_index TEXT NOT NULL,
    code_mac TEXT NOT NULL,
    remote_address TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    consumed_at BIGINT
);
CREATE INDEX login_codes_phone ON login_codes (phone_index, created_at);
CREATE INDEX login_codes_address ON login_codes (remote_address, created_at);
CREATE TABLE outbox (
    id ${ID},
    idempotency_key TEXT NOT NULL UNIQUE,
    channel TEXT NOT NULL,
    template TEXT NOT NULL,
    recipient_index TEXT NOT NULL,
    recipient_masked TEXT NOT NULL,
    recipient_sealed ${BLOB} NOT NULL,
    body_sealed ${BLOB} NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    sent_at BIGINT
);
CREATE INDEX outbox_state ON outbox (state, next_attempt_at);
CREATE INDEX outbox_recipient ON outbox (recipient_index, created_at)
)sql";

constexpr Migration kMigrations[] = {
    {1, "ca engine", kV1},
    {2, "api keys", kV2},
    {3, "service platform", kV3},
    {4, "sessions and outbox", kV4},
};

}  // namespace

std::span<const Migration> AllMigrations() { return kMigrations; }

std::string ExpandDialect(std::string_view sql, Dialect dialect) {
    const bool sqlite = dialect == Dialect::kSqlite;
    const std::pair<std::string_view, std::string_view> subs[] = {
        {"${ID}",
         sqlite ? "INTEGER PRIMARY KEY" : "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"},
        {"${BLOB}", sqlite ? "BLOB" : "BYTEA"},
    };
    std::string out;
    out.reserve(sql.size() + 64);
    std::size_t i = 0;
    while (i < sql.size()) {
        bool replaced = false;
        if (sql[i] == '$') {
            for (const auto& [from, to] : subs) {
                if (sql.substr(i, from.size()) == from) {
                    out += to;
                    i += from.size();
                    replaced = true;
                    break;
                }
            }
        }
        if (!replaced) out += sql[i++];
    }
    return out;
}

}  // namespace gzca::store
