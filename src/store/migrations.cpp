#include "store/migrations.h"

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

constexpr Migration kMigrations[] = {
    {1, "ca engine", kV1},
};

}  // namespace

std::span<const Migration> AllMigrations() { return kMigrations; }

}  // namespace gzca::store
