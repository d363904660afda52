#pragma once
// Organisations (机构) and subscribers (用户) of the service platform, and which subscriber owns
// which certificate on which medium (DESIGN.md §4).
//
// Storage (store/migrations.cpp, version 3): organisation credential numbers are public registry
// data and stored plain (UNIQUE). A subscriber's phone and ID-card number are PII: stored sealed
// with the PiiVault (contexts "subscribers.phone", "subscribers.id_card"), the phone found
// through its blind index (UNIQUE: one account per phone). In memory the values are plaintext;
// mask them (ra/validation.h) before they reach pages or logs.
//
// Thread-safety: an AccountRepository holds references only; its methods may be called from
// several threads at once (each runs its own transaction). The Database, PiiVault and Clock
// must outlive it.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/error.h"
#include "ra/pii.h"
#include "store/database.h"

namespace gzca::ra {

// 机构证件类型.
enum class CredentialType { kBusinessLicence, kInstitutionLicence, kOther };
// "business_licence", "institution_licence", "other".
std::string_view CredentialTypeName(CredentialType t);
// 工商营业执照, 事业单位法人证, 其他.
std::string_view CredentialTypeLabel(CredentialType t);
// Accepts the names above; kInvalidArgument "证件类型无效" otherwise.
Result<CredentialType> ParseCredentialType(std::string_view name);

// Where a subscriber's key lives.
enum class Medium { kUsbKey, kShield };
std::string_view MediumName(Medium m);   // "usbkey", "shield"
std::string_view MediumLabel(Medium m);  // "USBKey", "手机盾"
// kInvalidArgument "证书介质无效" for anything but the names above.
Result<Medium> ParseMedium(std::string_view name);

struct Organisation {
    std::int64_t id = 0;
    std::string name, legal_representative;
    CredentialType credential_type = CredentialType::kBusinessLicence;
    std::string credential_number, phone, fax;
};

// Plaintext in memory only: phone and id_card_number are sealed in the database.
struct Subscriber {
    std::int64_t id = 0, organisation_id = 0;
    std::string user_identifier, name, phone, id_card_number, email, department, contact_address;
};

// A certificate as its owner sees it (我的信息).
struct OwnedCertificate {
    std::int64_t certificate_id = 0;
    std::string serial, issuer_name, subject, key_algorithm;
    // ca::CertificateRecord::EffectiveStatus(now): valid / expired / revoked / superseded /
    // pending / aborted.
    std::string status;
    TimePoint not_before, not_after;
    Medium medium = Medium::kUsbKey;
    bool has_successor = false;  // a pending or issued renewal or reissue exists
    // Stored status issued (valid or expired), no successor and no open renew order: the
    // platform offers 证书延期.
    bool renewable = false;
};

// Checks an organisation's fields (name 1–128 characters, legal representative ≤ 128, credential
// number: GB 32100 for business licences, else 1–64 printable ASCII, phone and fax
// ValidateFixedPhone when given). Returns the first problem as kInvalidArgument.
Status ValidateOrganisation(const Organisation& org);

// Checks a subscriber's fields: user identifier 1–64 printable ASCII characters, name 1–64
// characters, mobile phone, ID card (GB 11643), e-mail when given, department ≤ 128, contact
// address ≤ 256. Returns the first problem as kInvalidArgument.
Status ValidateSubscriber(const Subscriber& s);

class AccountRepository {
  public:
    AccountRepository(store::Database& db, const PiiVault& vault, const Clock& clock);

    // Creates the organisation, or updates name, legal representative, type, phone and fax of
    // the one with the same credential number. The credential number is trimmed and, for a
    // business licence, upper-cased before validation. Returns the stored organisation (with
    // its id). kInvalidArgument on a bad field.
    Result<Organisation> UpsertOrganisation(const Organisation& org);

    // Creates a subscriber of an existing organisation (kNotFound "未找到该机构" otherwise).
    // Fields are trimmed (ID card normalised) and validated (kInvalidArgument). kAlreadyExists
    // "该手机号已开通账户" when the phone has an account, "该用户标识已被使用" when the user
    // identifier is taken.
    Result<Subscriber> CreateSubscriber(const Subscriber& s);

    // The subscriber whose phone this is, std::nullopt when none. kInvalidArgument when `phone`
    // is not a mobile number (ValidateMobile).
    Result<std::optional<Subscriber>> FindSubscriberByPhone(std::string_view phone);

    // kNotFound "未找到该用户".
    Result<Subscriber> GetSubscriber(std::int64_t id);
    // kNotFound "未找到该机构".
    Result<Organisation> GetOrganisation(std::int64_t id);
    // Ordered by id; empty for an unknown organisation.
    Result<std::vector<Subscriber>> SubscribersOfOrganisation(std::int64_t organisation_id);

    // Records that the subscriber holds the certificate on `medium`. Idempotent when the same
    // subscriber already owns it (the medium stays as first recorded). kNotFound when the
    // subscriber or certificate does not exist; kAlreadyExists "该证书已属于其他用户" when another
    // subscriber owns it.
    Status LinkCertificate(std::int64_t subscriber_id, std::int64_t certificate_id, Medium medium);
    // The same inside a write transaction the caller owns (used when an order issues a
    // certificate). A kAlreadyExists from a concurrent insert spends the transaction.
    static Status LinkCertificate(store::Transaction& tx, std::int64_t subscriber_id,
                                  std::int64_t certificate_id, Medium medium, TimePoint now);

    // The subscriber's certificates, newest (latest notBefore) first.
    Result<std::vector<OwnedCertificate>> CertificatesOf(std::int64_t subscriber_id);

    // The owning subscriber's id, std::nullopt when nobody owns the certificate.
    Result<std::optional<std::int64_t>> OwnerOf(std::int64_t certificate_id);
    // The same, with the medium, inside the caller's transaction.
    static Result<std::optional<std::pair<std::int64_t, Medium>>> OwnerOf(
        store::Transaction& tx, std::int64_t certificate_id);

    const PiiVault& vault() const { return vault_; }

  private:
    Result<Subscriber> SubscriberFromRow(const store::Row& r) const;

    store::Database& db_;
    const PiiVault& vault_;
    const Clock& clock_;
};

}  // namespace gzca::ra
