#include "ra/accounts.h"

#include <fmt/format.h>

#include "ca/records.h"
#include "ra/validation.h"

namespace gzca::ra {

namespace {

constexpr std::string_view kPhoneContext = "subscribers.phone";
constexpr std::string_view kIdCardContext = "subscribers.id_card";

tl::unexpected<Error> Invalid(std::string message) {
    return Fail(ErrorCode::kInvalidArgument, message, message);
}

bool IsPrintableAscii(std::string_view s) {
    for (char c : s) {
        if (c < 0x21 || c > 0x7E) return false;
    }
    return true;
}

// A free-text field: clean UTF-8, length in code points within [min, max].
Status CheckText(std::string_view value, std::string_view label, std::size_t min, std::size_t max) {
    if (value.size() < min || (min > 0 && value.empty()))
        return Invalid(fmt::format("请填写{}", label));
    if (!IsCleanText(value)) return Invalid(fmt::format("{}含有非法字符", label));
    if (CodePointCount(value) > max) {
        return Invalid(fmt::format("{}不能超过{}个字符", label, max));
    }
    return Ok();
}

constexpr std::string_view kOrgColumns =
    "id, name, legal_representative, credential_type, credential_number, phone, fax";

Result<Organisation> OrganisationFromRow(const store::Row& r) {
    Organisation o;
    o.id = r.Int(0);
    o.name = r.Text(1);
    o.legal_representative = r.Text(2);
    GZCA_ASSIGN_OR_RETURN(o.credential_type, ParseCredentialType(r.Text(3)));
    o.credential_number = r.Text(4);
    o.phone = r.Text(5);
    o.fax = r.Text(6);
    return o;
}

constexpr std::string_view kSubscriberColumns =
    "id, organisation_id, user_identifier, name, phone_sealed, id_card_sealed, email, "
    "department, contact_address";

Organisation Normalised(const Organisation& in) {
    Organisation o = in;
    o.name = TrimAscii(o.name);
    o.legal_representative = TrimAscii(o.legal_representative);
    o.credential_number = TrimAscii(o.credential_number);
    if (o.credential_type == CredentialType::kBusinessLicence) {
        for (char& c : o.credential_number) {
            if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
        }
    }
    o.phone = TrimAscii(o.phone);
    o.fax = TrimAscii(o.fax);
    return o;
}

Subscriber Normalised(const Subscriber& in) {
    Subscriber s = in;
    s.user_identifier = TrimAscii(s.user_identifier);
    s.name = TrimAscii(s.name);
    s.phone = TrimAscii(s.phone);
    s.id_card_number = NormaliseIdCard(s.id_card_number);
    s.email = TrimAscii(s.email);
    s.department = TrimAscii(s.department);
    s.contact_address = TrimAscii(s.contact_address);
    return s;
}

}  // namespace

std::string_view CredentialTypeName(CredentialType t) {
    switch (t) {
        case CredentialType::kBusinessLicence:
            return "business_licence";
        case CredentialType::kInstitutionLicence:
            return "institution_licence";
        case CredentialType::kOther:
            return "other";
    }
    return "other";
}

std::string_view CredentialTypeLabel(CredentialType t) {
    switch (t) {
        case CredentialType::kBusinessLicence:
            return "工商营业执照";
        case CredentialType::kInstitutionLicence:
            return "事业单位法人证";
        case CredentialType::kOther:
            return "其他";
    }
    return "其他";
}

Result<CredentialType> ParseCredentialType(std::string_view name) {
    for (auto t : {CredentialType::kBusinessLicence, CredentialType::kInstitutionLicence,
                   CredentialType::kOther}) {
        if (name == CredentialTypeName(t)) return t;
    }
    return Fail(ErrorCode::kInvalidArgument, fmt::format("unknown credential type '{}'", name),
                "证件类型无效");
}

std::string_view MediumName(Medium m) { return m == Medium::kShield ? "shield" : "usbkey"; }
std::string_view MediumLabel(Medium m) { return m == Medium::kShield ? "手机盾" : "USBKey"; }

Result<Medium> ParseMedium(std::string_view name) {
    if (name == "usbkey") return Medium::kUsbKey;
    if (name == "shield") return Medium::kShield;
    return Fail(ErrorCode::kInvalidArgument, fmt::format("unknown medium '{}'", name),
                "证书介质无效");
}

Status ValidateOrganisation(const Organisation& org) {
    GZCA_TRY_STATUS(CheckText(org.name, "机构名称", 1, 128));
    GZCA_TRY_STATUS(CheckText(org.legal_representative, "法定代表人", 0, 128));
    if (org.credential_type == CredentialType::kBusinessLicence) {
        GZCA_TRY_STATUS(ValidateUscc(org.credential_number));
    } else if (org.credential_number.empty() || org.credential_number.size() > 64 ||
               !IsPrintableAscii(org.credential_number)) {
        return Invalid("证件号码应为1至64位字母、数字或符号");
    }
    if (!org.phone.empty()) GZCA_TRY_STATUS(ValidateFixedPhone(org.phone));
    if (!org.fax.empty()) {
        auto fax = ValidateFixedPhone(org.fax);
        if (!fax) return Invalid("传真号码格式不正确");
    }
    return Ok();
}

Status ValidateSubscriber(const Subscriber& s) {
    if (s.user_identifier.empty() || s.user_identifier.size() > 64 ||
        !IsPrintableAscii(s.user_identifier)) {
        return Invalid("用户标识应为1至64位字母、数字或符号");
    }
    GZCA_TRY_STATUS(CheckText(s.name, "姓名", 1, 64));
    GZCA_TRY_STATUS(ValidateMobile(s.phone));
    GZCA_TRY_STATUS(ValidateIdCardNumber(s.id_card_number));
    if (!s.email.empty()) GZCA_TRY_STATUS(ValidateEmail(s.email));
    GZCA_TRY_STATUS(CheckText(s.department, "部门", 0, 128));
    GZCA_TRY_STATUS(CheckText(s.contact_address, "联系地址", 0, 256));
    return Ok();
}

AccountRepository::AccountRepository(store::Database& db, const PiiVault& vault, const Clock& clock)
    : db_(db), vault_(vault), clock_(clock) {}

Result<Organisation> AccountRepository::UpsertOrganisation(const Organisation& in) {
    Organisation org = Normalised(in);
    GZCA_TRY_STATUS(ValidateOrganisation(org));
    const std::int64_t now = ToUnix(clock_.Now());
    const std::string type(CredentialTypeName(org.credential_type));
    // Two attempts: a concurrent insert of the same credential number makes the first fail with
    // kAlreadyExists (spending the transaction); the second then finds and updates the row.
    for (int attempt = 0;; ++attempt) {
        GZCA_ASSIGN_OR_RETURN(auto tx, db_.Begin(true));
        GZCA_ASSIGN_OR_RETURN(auto row, tx->QueryOne("SELECT id FROM organisations "
                                                     "WHERE credential_number = $1",
                                                     {org.credential_number}));
        Status written;
        if (row) {
            org.id = row->Int(0);
            written =
                tx->Exec(
                      "UPDATE organisations SET name = $1, legal_representative = $2, "
                      "credential_type = $3, phone = $4, fax = $5, updated_at = $6 "
                      "WHERE id = $7",
                      {org.name, org.legal_representative, type, org.phone, org.fax, now, org.id})
                    .map([](std::int64_t) {});
        } else {
            auto id = tx->QueryOne(
                "INSERT INTO organisations (name, legal_representative, credential_type, "
                "credential_number, phone, fax, created_at, updated_at) "
                "VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
                {org.name, org.legal_representative, type, org.credential_number, org.phone,
                 org.fax, now});
            if (id) {
                org.id = (*id)->Int(0);
            } else {
                written = Fail(std::move(id).error());
            }
        }
        if (!written) {
            if (written.error().code == ErrorCode::kAlreadyExists && attempt == 0) continue;
            return Fail(std::move(written).error());
        }
        GZCA_TRY_STATUS(tx->Commit());
        return org;
    }
}

Result<Subscriber> AccountRepository::CreateSubscriber(const Subscriber& in) {
    Subscriber s = Normalised(in);
    GZCA_TRY_STATUS(ValidateSubscriber(s));
    const std::string phone_index = vault_.BlindIndex(s.phone, kPhoneContext);
    const std::string id_card_index = vault_.BlindIndex(s.id_card_number, kIdCardContext);
    const std::int64_t now = ToUnix(clock_.Now());

    GZCA_ASSIGN_OR_RETURN(auto tx, db_.Begin(true));
    GZCA_ASSIGN_OR_RETURN(
        auto org, tx->QueryOne("SELECT id FROM organisations WHERE id = $1", {s.organisation_id}));
    if (!org) {
        return Fail(ErrorCode::kNotFound, fmt::format("no organisation {}", s.organisation_id),
                    "未找到该机构");
    }
    // Checked first for clear messages; the UNIQUE constraints decide under concurrency.
    GZCA_ASSIGN_OR_RETURN(
        auto phone_taken,
        tx->QueryOne("SELECT id FROM subscribers WHERE phone_index = $1", {phone_index}));
    if (phone_taken) {
        return Fail(ErrorCode::kAlreadyExists, "phone already has an account",
                    "该手机号已开通账户");
    }
    GZCA_ASSIGN_OR_RETURN(
        auto id_taken,
        tx->QueryOne("SELECT id FROM subscribers WHERE user_identifier = $1", {s.user_identifier}));
    if (id_taken) {
        return Fail(ErrorCode::kAlreadyExists, "user identifier taken", "该用户标识已被使用");
    }
    auto row = tx->QueryOne(
        "INSERT INTO subscribers (organisation_id, user_identifier, name, phone_sealed, "
        "phone_index, id_card_sealed, id_card_index, email, department, contact_address, "
        "created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) "
        "RETURNING id",
        {s.organisation_id, s.user_identifier, s.name, vault_.Seal(s.phone, kPhoneContext),
         phone_index, vault_.Seal(s.id_card_number, kIdCardContext), id_card_index, s.email,
         s.department, s.contact_address, now});
    if (!row) {
        if (row.error().code == ErrorCode::kAlreadyExists) {
            return Fail(ErrorCode::kAlreadyExists, row.error().internal,
                        "该手机号或用户标识已被使用");
        }
        return Fail(std::move(row).error());
    }
    s.id = (*row)->Int(0);
    GZCA_TRY_STATUS(tx->Commit());
    return s;
}

Result<Subscriber> AccountRepository::SubscriberFromRow(const store::Row& r) const {
    Subscriber s;
    s.id = r.Int(0);
    s.organisation_id = r.Int(1);
    s.user_identifier = r.Text(2);
    s.name = r.Text(3);
    GZCA_ASSIGN_OR_RETURN(s.phone, vault_.Open(r.Blob(4), kPhoneContext));
    GZCA_ASSIGN_OR_RETURN(s.id_card_number, vault_.Open(r.Blob(5), kIdCardContext));
    s.email = r.Text(6);
    s.department = r.Text(7);
    s.contact_address = r.Text(8);
    return s;
}

Result<std::optional<Subscriber>> AccountRepository::FindSubscriberByPhone(std::string_view phone) {
    GZCA_TRY_STATUS(ValidateMobile(phone));
    GZCA_ASSIGN_OR_RETURN(auto tx, db_.Begin(false));
    GZCA_ASSIGN_OR_RETURN(
        auto row, tx->QueryOne(fmt::format("SELECT {} FROM subscribers WHERE phone_index = $1",
                                           kSubscriberColumns),
                               {vault_.BlindIndex(phone, kPhoneContext)}));
    if (!row) return std::optional<Subscriber>();
    GZCA_ASSIGN_OR_RETURN(auto s, SubscriberFromRow(*row));
    return std::optional<Subscriber>(std::move(s));
}

Result<Subscriber> AccountRepository::GetSubscriber(std::int64_t id) {
    GZCA_ASSIGN_OR_RETURN(auto tx, db_.Begin(false));
    GZCA_ASSIGN_OR_RETURN(
        auto row,
        tx->QueryOne(fmt::format("SELECT {} FROM subscribers WHERE id = $1", kSubscriberColumns),
                     {id}));
    if (!row)
        return Fail(ErrorCode::kNotFound, fmt::format("no subscriber {}", id), "未找到该用户");
    return SubscriberFromRow(*row);
}

Result<Organisation> AccountRepository::GetOrganisation(std::int64_t id) {
    GZCA_ASSIGN_OR_RETURN(auto tx, db_.Begin(false));
    GZCA_ASSIGN_OR_RETURN(
        auto row,
        tx->QueryOne(fmt::format("SELECT {} FROM organisations WHERE id = $1", kOrgColumns), {id}));
    if (!row) {
        return Fail(ErrorCode::kNotFound, fmt::format("no organisation {}", id), "未找到该机构");
    }
    return OrganisationFromRow(*row);
}

Result<std::vector<Subscriber>> AccountRepository::SubscribersOfOrganisation(
    std::int64_t organisation_id) {
    GZCA_ASSIGN_OR_RETURN(auto tx, db_.Begin(false));
    GZCA_ASSIGN_OR_RETURN(
        auto rows,
        tx->Query(fmt::format("SELECT {} FROM subscribers WHERE organisation_id = $1 ORDER BY id",
                              kSubscriberColumns),
                  {organisation_id}));
    std::vector<Subscriber> out;
    for (const auto& r : rows) {
        GZCA_ASSIGN_OR_RETURN(auto s, SubscriberFromRow(r));
        out.push_back(std::move(s));
    }
    return out;
}

Status AccountRepository::LinkCertificate(store::Transaction& tx, std::int64_t subscriber_id,
                                          std::int64_t certificate_id, Medium medium,
                                          TimePoint now) {
    GZCA_ASSIGN_OR_RETURN(auto owner, OwnerOf(tx, certificate_id));
    if (owner) {
        if (owner->first == subscriber_id) return Ok();
        return Fail(
            ErrorCode::kAlreadyExists,
            fmt::format("certificate {} is owned by subscriber {}", certificate_id, owner->first),
            "该证书已属于其他用户");
    }
    GZCA_ASSIGN_OR_RETURN(auto sub,
                          tx.QueryOne("SELECT id FROM subscribers WHERE id = $1", {subscriber_id}));
    if (!sub) {
        return Fail(ErrorCode::kNotFound, fmt::format("no subscriber {}", subscriber_id),
                    "未找到该用户");
    }
    GZCA_ASSIGN_OR_RETURN(
        auto cert, tx.QueryOne("SELECT id FROM certificates WHERE id = $1", {certificate_id}));
    if (!cert) {
        return Fail(ErrorCode::kNotFound, fmt::format("no certificate {}", certificate_id),
                    "未找到该证书");
    }
    GZCA_TRY_STATUS(tx.Exec(
        "INSERT INTO subscriber_certificates (certificate_id, subscriber_id, medium, linked_at) "
        "VALUES ($1, $2, $3, $4)",
        {certificate_id, subscriber_id, std::string(MediumName(medium)), ToUnix(now)}));
    return Ok();
}

Status AccountRepository::LinkCertificate(std::int64_t subscriber_id, std::int64_t certificate_id,
                                          Medium medium) {
    for (int attempt = 0;; ++attempt) {
        GZCA_ASSIGN_OR_RETURN(auto tx, db_.Begin(true));
        auto linked = LinkCertificate(*tx, subscriber_id, certificate_id, medium, clock_.Now());
        if (!linked) {
            // A concurrent link may have won the insert (spending this transaction): look again
            // in a fresh one, which finds the owner.
            if (linked.error().code == ErrorCode::kAlreadyExists && attempt == 0) continue;
            return linked;
        }
        return tx->Commit();
    }
}

Result<std::optional<std::pair<std::int64_t, Medium>>> AccountRepository::OwnerOf(
    store::Transaction& tx, std::int64_t certificate_id) {
    GZCA_ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT subscriber_id, medium FROM "
                                                "subscriber_certificates WHERE certificate_id = $1",
                                                {certificate_id}));
    if (!row) return std::optional<std::pair<std::int64_t, Medium>>();
    GZCA_ASSIGN_OR_RETURN(auto medium, ParseMedium(row->Text(1)));
    return std::optional<std::pair<std::int64_t, Medium>>(std::pair{row->Int(0), medium});
}

Result<std::optional<std::int64_t>> AccountRepository::OwnerOf(std::int64_t certificate_id) {
    GZCA_ASSIGN_OR_RETURN(auto tx, db_.Begin(false));
    GZCA_ASSIGN_OR_RETURN(auto owner, OwnerOf(*tx, certificate_id));
    if (!owner) return std::optional<std::int64_t>();
    return std::optional<std::int64_t>(owner->first);
}

Result<std::vector<OwnedCertificate>> AccountRepository::CertificatesOf(
    std::int64_t subscriber_id) {
    GZCA_ASSIGN_OR_RETURN(auto tx, db_.Begin(false));
    GZCA_ASSIGN_OR_RETURN(
        auto rows,
        tx->Query(
            "SELECT c.id, c.serial, i.name, c.subject, c.key_algorithm, c.status, c.not_before, "
            "c.not_after, c.revocation_reason, sc.medium, "
            "(SELECT COUNT(*) FROM certificates s WHERE s.replaces_id = c.id AND "
            "s.status IN ('pending', 'issued')), "
            "(SELECT COUNT(*) FROM orders o WHERE o.certificate_id = c.id AND o.type = 'renew' "
            "AND o.state NOT IN ('completed', 'cancelled')) "
            "FROM subscriber_certificates sc "
            "JOIN certificates c ON c.id = sc.certificate_id "
            "JOIN issuers i ON i.id = c.issuer_id "
            "WHERE sc.subscriber_id = $1 ORDER BY c.not_before DESC, c.id DESC",
            {subscriber_id}));
    const TimePoint now = clock_.Now();
    std::vector<OwnedCertificate> out;
    for (const auto& r : rows) {
        OwnedCertificate oc;
        oc.certificate_id = r.Int(0);
        oc.serial = r.Text(1);
        oc.issuer_name = r.Text(2);
        oc.subject = r.Text(3);
        oc.key_algorithm = r.Text(4);
        oc.not_before = FromUnix(r.Int(6));
        oc.not_after = FromUnix(r.Int(7));
        // The status through the CA's own rule, so pages and the CA never disagree.
        ca::CertificateRecord rec;
        const std::string& status = r.Text(5);
        rec.status = status == "issued"    ? ca::CertStatus::kIssued
                     : status == "revoked" ? ca::CertStatus::kRevoked
                     : status == "aborted" ? ca::CertStatus::kAborted
                                           : ca::CertStatus::kPending;
        rec.not_after = oc.not_after;
        if (auto reason = r.OptInt(8)) {
            rec.revocation_reason = static_cast<pki::RevocationReason>(*reason);
        }
        oc.status = rec.EffectiveStatus(now);
        GZCA_ASSIGN_OR_RETURN(oc.medium, ParseMedium(r.Text(9)));
        oc.has_successor = r.Int(10) > 0;
        oc.renewable = rec.status == ca::CertStatus::kIssued && !oc.has_successor && r.Int(11) == 0;
        out.push_back(std::move(oc));
    }
    return out;
}

}  // namespace gzca::ra
