#include "ca/repository.h"

#include <fmt/format.h>

#include "pki/certificate.h"

namespace gzca::ca::repo {
namespace {

using store::Row;
using store::Value;

Value V(std::int64_t v) { return v; }
Value V(TimePoint t) { return ToUnix(t); }
Value V(std::string_view s) { return std::string(s); }
Value V(ByteView b) { return Bytes(b.begin(), b.end()); }
template <typename T>
Value V(const std::optional<T>& v) {
    return v ? V(*v) : Value(nullptr);
}

Result<IssuerRole> ParseRole(std::string_view s) {
    if (s == "root") return IssuerRole::kRoot;
    if (s == "issuing") return IssuerRole::kIssuing;
    if (s == "ocsp") return IssuerRole::kOcspSigner;
    return Fail(ErrorCode::kInternal, fmt::format("unknown issuer role '{}' in database", s),
                "database holds an unknown issuer role");
}

Result<CertStatus> ParseStatus(std::string_view s) {
    if (s == "pending") return CertStatus::kPending;
    if (s == "issued") return CertStatus::kIssued;
    if (s == "aborted") return CertStatus::kAborted;
    if (s == "revoked") return CertStatus::kRevoked;
    return Fail(ErrorCode::kInternal, fmt::format("unknown certificate status '{}'", s),
                "database holds an unknown certificate status");
}

constexpr std::string_view kIssuerColumns =
    "id, name, role, parent_id, algorithm, subject, serial, cert_der, key_ref, not_after";

Result<IssuerRecord> IssuerFromRow(const Row& r) {
    IssuerRecord rec;
    rec.id = r.Int(0);
    rec.name = r.Text(1);
    GZCA_ASSIGN_OR_RETURN(rec.role, ParseRole(r.Text(2)));
    rec.parent_id = r.OptInt(3);
    rec.algorithm = r.Text(4);
    rec.subject = r.Text(5);
    rec.serial = r.Text(6);
    rec.cert_der = r.Blob(7);
    rec.key_ref = r.Text(8);
    rec.not_after = FromUnix(r.Int(9));
    return rec;
}

// Columns of a certificate row joined with its issuer's name and its predecessor's serial.
constexpr std::string_view kCertSelect =
    "SELECT c.id, c.issuer_id, i.name, c.serial, c.status, c.profile, c.subject, "
    "c.key_algorithm, c.spki_sha256, c.sm2_id, c.not_before, c.not_after, c.der, "
    "c.replaces_id, p.serial, c.revoked_at, c.revocation_reason "
    "FROM certificates c JOIN issuers i ON i.id = c.issuer_id "
    "LEFT JOIN certificates p ON p.id = c.replaces_id ";

Result<CertificateRecord> CertFromRow(const Row& r) {
    CertificateRecord rec;
    rec.id = r.Int(0);
    rec.issuer_id = r.Int(1);
    rec.issuer_name = r.Text(2);
    rec.serial = r.Text(3);
    GZCA_ASSIGN_OR_RETURN(rec.status, ParseStatus(r.Text(4)));
    rec.profile = r.Text(5);
    rec.subject = r.Text(6);
    rec.key_algorithm = r.Text(7);
    rec.spki_sha256 = r.Text(8);
    rec.sm2_id = r.OptText(9).value_or("");
    rec.not_before = FromUnix(r.Int(10));
    rec.not_after = FromUnix(r.Int(11));
    if (!r.IsNull(12)) rec.der = r.Blob(12);
    rec.replaces_id = r.OptInt(13);
    rec.replaces_serial = r.OptText(14).value_or("");
    if (auto at = r.OptInt(15)) rec.revoked_at = FromUnix(*at);
    if (auto reason = r.OptInt(16)) {
        rec.revocation_reason = static_cast<pki::RevocationReason>(*reason);
    }
    return rec;
}

Result<std::optional<CertificateRecord>> OneCert(store::Transaction& tx, std::string sql,
                                                 std::vector<Value> params) {
    GZCA_ASSIGN_OR_RETURN(auto rows, tx.Query(sql, params));
    if (rows.empty()) return std::optional<CertificateRecord>();
    if (rows.size() > 1) {
        return Fail(ErrorCode::kFailedPrecondition,
                    "serial matches certificates of several issuers",
                    "this serial exists under several issuers: name the issuer");
    }
    GZCA_ASSIGN_OR_RETURN(auto rec, CertFromRow(rows.front()));
    return std::optional<CertificateRecord>(std::move(rec));
}

}  // namespace

Result<std::int64_t> InsertIssuer(store::Transaction& tx, const IssuerRecord& issuer,
                                  TimePoint now) {
    GZCA_ASSIGN_OR_RETURN(
        auto rows,
        tx.Query("INSERT INTO issuers (name, role, parent_id, algorithm, subject, serial, "
                 "cert_der, key_ref, not_after, created_at) "
                 "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
                 {V(issuer.name), V(IssuerRoleName(issuer.role)), V(issuer.parent_id),
                  V(issuer.algorithm), V(issuer.subject), V(issuer.serial), V(issuer.cert_der),
                  V(issuer.key_ref), V(issuer.not_after), V(now)}));
    return rows.at(0).Int(0);
}

Result<std::optional<IssuerRecord>> FindIssuer(store::Transaction& tx, std::string_view name) {
    GZCA_ASSIGN_OR_RETURN(
        auto row, tx.QueryOne(fmt::format("SELECT {} FROM issuers WHERE name = $1", kIssuerColumns),
                              {V(name)}));
    if (!row) return std::optional<IssuerRecord>();
    GZCA_ASSIGN_OR_RETURN(auto rec, IssuerFromRow(*row));
    return std::optional<IssuerRecord>(std::move(rec));
}

Result<std::optional<IssuerRecord>> FindIssuerById(store::Transaction& tx, std::int64_t id) {
    GZCA_ASSIGN_OR_RETURN(
        auto row,
        tx.QueryOne(fmt::format("SELECT {} FROM issuers WHERE id = $1", kIssuerColumns), {V(id)}));
    if (!row) return std::optional<IssuerRecord>();
    GZCA_ASSIGN_OR_RETURN(auto rec, IssuerFromRow(*row));
    return std::optional<IssuerRecord>(std::move(rec));
}

Result<std::vector<IssuerRecord>> ListIssuers(store::Transaction& tx) {
    GZCA_ASSIGN_OR_RETURN(
        auto rows, tx.Query(fmt::format("SELECT {} FROM issuers ORDER BY id", kIssuerColumns)));
    std::vector<IssuerRecord> out;
    for (const auto& r : rows) {
        GZCA_ASSIGN_OR_RETURN(auto rec, IssuerFromRow(r));
        out.push_back(std::move(rec));
    }
    return out;
}

Result<std::int64_t> TakeCrlNumber(store::Transaction& tx, std::int64_t issuer_id) {
    GZCA_ASSIGN_OR_RETURN(auto rows,
                          tx.Query("UPDATE issuers SET next_crl_number = next_crl_number + 1 "
                                   "WHERE id = $1 RETURNING next_crl_number - 1",
                                   {V(issuer_id)}));
    if (rows.empty()) return Fail(ErrorCode::kNotFound, "issuer not found");
    return rows.front().Int(0);
}

Result<std::int64_t> InsertPending(store::Transaction& tx, const CertificateRecord& rec,
                                   ByteView csr_der, TimePoint now) {
    GZCA_ASSIGN_OR_RETURN(
        auto rows,
        tx.Query(
            "INSERT INTO certificates (issuer_id, serial, status, profile, subject, "
            "key_algorithm, spki_sha256, csr_der, sm2_id, not_before, not_after, "
            "replaces_id, created_at, updated_at) "
            "VALUES ($1, $2, 'pending', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) "
            "RETURNING id",
            {V(rec.issuer_id), V(rec.serial), V(rec.profile), V(rec.subject), V(rec.key_algorithm),
             V(rec.spki_sha256), csr_der.empty() ? Value(nullptr) : V(csr_der),
             rec.sm2_id.empty() ? Value(nullptr) : V(rec.sm2_id), V(rec.not_before),
             V(rec.not_after), V(rec.replaces_id), V(now)}));
    return rows.at(0).Int(0);
}

Status MarkIssued(store::Transaction& tx, std::int64_t id, ByteView der, TimePoint now) {
    GZCA_ASSIGN_OR_RETURN(
        auto changed,
        tx.Exec("UPDATE certificates SET status = 'issued', der = $1, updated_at = $2 "
                "WHERE id = $3 AND status = 'pending'",
                {V(der), V(now), V(id)}));
    if (changed != 1) {
        return Fail(ErrorCode::kFailedPrecondition,
                    fmt::format("certificate row {} is no longer pending", id),
                    "the request was aborted before the certificate was stored; submit it again");
    }
    return Ok();
}

Status MarkAborted(store::Transaction& tx, std::int64_t id, TimePoint now) {
    GZCA_TRY_STATUS(
        tx.Exec("UPDATE certificates SET status = 'aborted', updated_at = $1 "
                "WHERE id = $2 AND status = 'pending'",
                {V(now), V(id)}));
    return Ok();
}

Result<std::int64_t> AbortAllPending(store::Transaction& tx, TimePoint now) {
    return tx.Exec(
        "UPDATE certificates SET status = 'aborted', updated_at = $1 WHERE status = 'pending'",
        {V(now)});
}

Status MarkRevoked(store::Transaction& tx, const CertificateRecord& rec, TimePoint at,
                   pki::RevocationReason reason, TimePoint now) {
    auto reason_code = static_cast<std::int64_t>(reason);
    GZCA_ASSIGN_OR_RETURN(
        auto changed,
        tx.Exec("UPDATE certificates SET status = 'revoked', revoked_at = $1, "
                "revocation_reason = $2, updated_at = $3 WHERE id = $4 AND status = 'issued'",
                {V(at), V(reason_code), V(now), V(rec.id)}));
    if (changed != 1) {
        return Fail(ErrorCode::kFailedPrecondition,
                    fmt::format("certificate {} is not in state issued", rec.serial),
                    fmt::format("certificate {} cannot be revoked: it is {}", rec.serial,
                                rec.EffectiveStatus(now)));
    }
    GZCA_TRY_STATUS(tx.Exec(
        "INSERT INTO revocations (issuer_id, serial, revoked_at, reason) VALUES ($1, $2, $3, $4)",
        {V(rec.issuer_id), V(rec.serial), V(at), V(reason_code)}));
    return Ok();
}

Result<std::optional<CertificateRecord>> FindCertificate(store::Transaction& tx,
                                                         std::int64_t issuer_id,
                                                         std::string_view serial) {
    return OneCert(tx, std::string(kCertSelect) + "WHERE c.issuer_id = $1 AND c.serial = $2",
                   {V(issuer_id), V(serial)});
}

Result<std::optional<CertificateRecord>> FindCertificateAnyIssuer(store::Transaction& tx,
                                                                  std::string_view serial) {
    return OneCert(tx, std::string(kCertSelect) + "WHERE c.serial = $1", {V(serial)});
}

Result<std::optional<CertificateRecord>> FindCertificateById(store::Transaction& tx,
                                                             std::int64_t id) {
    return OneCert(tx, std::string(kCertSelect) + "WHERE c.id = $1", {V(id)});
}

Result<std::optional<CertificateRecord>> FindSuccessor(store::Transaction& tx, std::int64_t id) {
    GZCA_ASSIGN_OR_RETURN(
        auto rows, tx.Query(std::string(kCertSelect) +
                                "WHERE c.replaces_id = $1 AND c.status IN ('pending', 'issued') "
                                "ORDER BY c.id DESC",
                            {V(id)}));
    if (rows.empty()) return std::optional<CertificateRecord>();
    GZCA_ASSIGN_OR_RETURN(auto rec, CertFromRow(rows.front()));
    return std::optional<CertificateRecord>(std::move(rec));
}

Result<std::vector<CertificateRecord>> ListCertificates(store::Transaction& tx,
                                                        const CertificateFilter& filter) {
    std::string sql(kCertSelect);
    std::vector<Value> params;
    std::vector<std::string> where;
    auto param = [&](Value v) {
        params.push_back(std::move(v));
        return fmt::format("${}", params.size());
    };
    if (filter.issuer_id) where.push_back("c.issuer_id = " + param(*filter.issuer_id));
    if (!filter.subject_contains.empty()) {
        // instr() in SQLite and strpos() in PostgreSQL differ; LIKE with escaping is common.
        std::string pattern = "%";
        for (char ch : filter.subject_contains) {
            if (ch == '%' || ch == '_' || ch == '\\') pattern.push_back('\\');
            pattern.push_back(ch);
        }
        pattern.push_back('%');
        where.push_back("c.subject LIKE " + param(pattern) + " ESCAPE '\\'");
    }
    const auto& st = filter.status;
    if (st == "valid") {
        where.push_back("c.status = 'issued' AND c.not_after >= " + param(V(filter.now)));
    } else if (st == "expired") {
        where.push_back("c.status = 'issued' AND c.not_after < " + param(V(filter.now)));
    } else if (st == "revoked") {
        where.push_back("c.status = 'revoked'");
    } else if (st == "superseded") {
        where.push_back("c.status = 'revoked' AND c.revocation_reason = 4");
    } else if (st == "pending" || st == "aborted" || st == "issued") {
        where.push_back("c.status = " + param(st));
    } else if (!st.empty()) {
        return Fail(ErrorCode::kInvalidArgument, fmt::format("unknown status filter '{}'", st),
                    fmt::format("unknown status '{}': use valid, expired, revoked, superseded, "
                                "pending or aborted",
                                st));
    }
    if (filter.expiring_before) {
        where.push_back("c.status = 'issued' AND c.not_after >= " + param(V(filter.now)) +
                        " AND c.not_after < " + param(V(*filter.expiring_before)));
    }
    for (std::size_t i = 0; i < where.size(); ++i) {
        sql += (i == 0 ? "WHERE " : " AND ") + where[i];
    }
    sql += " ORDER BY c.id LIMIT " + param(std::int64_t{filter.limit}) + " OFFSET " +
           param(std::int64_t{filter.offset});
    GZCA_ASSIGN_OR_RETURN(auto rows, tx.Query(sql, params));
    std::vector<CertificateRecord> out;
    out.reserve(rows.size());
    for (const auto& r : rows) {
        GZCA_ASSIGN_OR_RETURN(auto rec, CertFromRow(r));
        out.push_back(std::move(rec));
    }
    return out;
}

Result<std::vector<pki::RevokedEntry>> ListRevocations(store::Transaction& tx,
                                                       std::int64_t issuer_id) {
    GZCA_ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT serial, revoked_at, reason FROM revocations "
                                              "WHERE issuer_id = $1",
                                              {V(issuer_id)}));
    std::vector<pki::RevokedEntry> out;
    out.reserve(rows.size());
    for (const auto& r : rows) {
        GZCA_ASSIGN_OR_RETURN(auto serial, pki::ParseSerialHex(r.Text(0)));
        out.push_back(
            {std::move(serial), FromUnix(r.Int(1)), static_cast<pki::RevocationReason>(r.Int(2))});
    }
    return out;
}

Status InsertCrl(store::Transaction& tx, std::int64_t issuer_id, const CrlRecord& crl) {
    GZCA_TRY_STATUS(tx.Exec(
        "INSERT INTO crls (issuer_id, crl_number, this_update, next_update, entry_count, der) "
        "VALUES ($1, $2, $3, $4, $5, $6)",
        {V(issuer_id), V(crl.crl_number), V(crl.this_update), V(crl.next_update),
         V(crl.entry_count), V(crl.der)}));
    return Ok();
}

Result<std::optional<CrlRecord>> LatestCrl(store::Transaction& tx, std::int64_t issuer_id) {
    GZCA_ASSIGN_OR_RETURN(
        auto row, tx.QueryOne("SELECT crl_number, this_update, next_update, entry_count, der "
                              "FROM crls WHERE issuer_id = $1 ORDER BY crl_number DESC LIMIT 1",
                              {V(issuer_id)}));
    if (!row) return std::optional<CrlRecord>();
    return std::optional<CrlRecord>(CrlRecord{row->Int(0), FromUnix(row->Int(1)),
                                              FromUnix(row->Int(2)), row->Int(3), row->Blob(4)});
}

}  // namespace gzca::ca::repo
