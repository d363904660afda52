// CA engine tests, run against SQLite and PostgreSQL alike (DESIGN.md §6).
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "ca/authority.h"
#include "ca/repository.h"
#include "testing/fixtures.h"

namespace gzca::ca {
namespace {

using namespace std::chrono;
using crypto::KeyAlgorithm;
using crypto::PrivateKey;
using testing::DbKind;

constexpr std::string_view kPassphrase = "correct horse battery staple";

class CaTest : public ::testing::TestWithParam<DbKind> {
  protected:
    void SetUp() override {
        auto t = testing::TestDatabase::Create(GetParam());
        ASSERT_TRUE(t) << t.error().internal;
        tdb_ = std::move(*t);
        data_dir_ = testing::MakeTempDir("gzca_ca_test_");
        ca_ = MakeCa(std::string(kPassphrase));
    }
    void TearDown() override {
        ca_.reset();
        tdb_.reset();
        std::filesystem::remove_all(data_dir_);
    }

    std::unique_ptr<CertificateAuthority> MakeCa(std::string passphrase) {
        KeySecrets secrets;
        secrets.passphrase = std::move(passphrase);
        return std::make_unique<CertificateAuthority>(tdb_->db(), clock_, config_, secrets,
                                                      data_dir_);
    }

    HierarchyInfo Init(const std::string& name, KeyAlgorithm alg) {
        HierarchyOptions o;
        o.name = name;
        o.algorithm = alg;
        auto info = ca_->InitHierarchy(o);
        EXPECT_TRUE(info) << info.error().internal;
        return *info;
    }

    Bytes Csr(const PrivateKey& key,
              const std::string& subject = "/C=CN/O=国资测试机构/OU=信息中心/CN=张三") {
        auto csr = testing::MakeCsr(key, subject);
        EXPECT_TRUE(csr) << csr.error().internal;
        return *csr;
    }

    IssuedCertificate IssueNew(const std::string& issuer, KeyAlgorithm alg) {
        auto key = PrivateKey::Generate(alg);
        EXPECT_TRUE(key);
        IssueRequest req;
        req.issuer = issuer;
        req.csr = Csr(*key);
        auto issued = ca_->Issue(req);
        EXPECT_TRUE(issued) << issued.error().internal;
        return *issued;
    }

    std::int64_t CountRows(std::string_view table) {
        auto tx = tdb_->db().Begin(false);
        auto row = (*tx)->QueryOne(std::string("SELECT COUNT(*) FROM ") + std::string(table));
        return (*row)->Int(0);
    }

    ManualClock clock_{sys_days(2026y / 11 / 24) + hours(3)};
    CaConfig config_;
    std::unique_ptr<testing::TestDatabase> tdb_;
    std::filesystem::path data_dir_;
    std::unique_ptr<CertificateAuthority> ca_;
};

TEST_P(CaTest, HierarchiesOfDifferentAlgorithmsCoexist) {
    auto sm2 = Init("sm2", KeyAlgorithm::kSm2);
    auto ec = Init("p256", KeyAlgorithm::kEcdsaP256);
    auto issuers = ca_->ListIssuers();
    ASSERT_TRUE(issuers);
    EXPECT_EQ(issuers->size(), 6u);
    EXPECT_EQ(sm2.root.algorithm, "sm2");
    EXPECT_EQ(ec.issuing.algorithm, "ecdsa-p256");
    // Key files are encrypted and private.
    auto key_file = data_dir_ / "keys" / "sm2-issuing.key.pem";
    auto pem = ReadFile(key_file);
    ASSERT_TRUE(pem);
    EXPECT_NE(AsString(*pem).find("ENCRYPTED PRIVATE KEY"), std::string_view::npos);
    EXPECT_EQ(std::filesystem::status(key_file).permissions() & std::filesystem::perms::group_all,
              std::filesystem::perms::none);
    // With two hierarchies, an unnamed issuer is ambiguous.
    auto none = ca_->ResolveIssuer("");
    ASSERT_FALSE(none);
    EXPECT_EQ(none.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(ca_->ResolveIssuer("p256")->name, "p256-issuing");
}

TEST_P(CaTest, SecondInitWithSameNameIsRefusedAndChangesNothing) {
    Init("sm2", KeyAlgorithm::kSm2);
    auto before = CountRows("issuers");
    HierarchyOptions o;
    o.name = "sm2";
    auto again = ca_->InitHierarchy(o);
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, ErrorCode::kAlreadyExists);
    EXPECT_EQ(CountRows("issuers"), before);
}

TEST_P(CaTest, InitRejectsBadNamesAndShortPassphrase) {
    HierarchyOptions o;
    o.name = "Bad Name!";
    EXPECT_EQ(ca_->InitHierarchy(o).error().code, ErrorCode::kInvalidArgument);
    auto weak = MakeCa("short");
    o.name = "sm2";
    EXPECT_EQ(weak->InitHierarchy(o).error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(CountRows("issuers"), 0);
    EXPECT_FALSE(std::filesystem::exists(data_dir_ / "keys" / "sm2-root.key.pem"));
}

TEST_P(CaTest, IssueStoresDerAndChainVerifies) {
    auto h = Init("sm2", KeyAlgorithm::kSm2);
    auto issued = IssueNew("", KeyAlgorithm::kSm2);
    EXPECT_EQ(issued.record.status, CertStatus::kIssued);
    EXPECT_EQ(issued.record.serial.size(), 32u);
    EXPECT_EQ(issued.record.not_after, AddYears(clock_.Now(), 1));
    EXPECT_EQ(issued.record.sm2_id, "1234567812345678");
    ASSERT_EQ(issued.chain.size(), 1u);

    auto cert = pki::ParseCertificate(issued.record.der);
    auto issuing = pki::ParseCertificate(h.issuing.cert_der);
    ASSERT_TRUE(cert && issuing);
    EXPECT_TRUE(*pki::VerifyIssuedBy(cert->get(), issuing->get()));

    auto stored = ca_->Find("", issued.record.serial);
    ASSERT_TRUE(stored);
    EXPECT_EQ(stored->der, issued.record.der);
    EXPECT_EQ(stored->EffectiveStatus(clock_.Now()), "valid");
    EXPECT_EQ(stored->subject, "CN=张三,OU=信息中心,O=国资测试机构,C=CN");
}

TEST_P(CaTest, IssueFromEmptyIdSm2CsrRecordsWhichIdProvedIt) {
    Init("sm2", KeyAlgorithm::kSm2);
    auto key = PrivateKey::Generate(KeyAlgorithm::kSm2);
    IssueRequest req;
    req.csr = *testing::MakeCsr(*key, "/C=CN/O=机构/CN=李四", /*sm2_empty_id=*/true);
    auto issued = ca_->Issue(req);
    ASSERT_TRUE(issued) << issued.error().internal;
    EXPECT_EQ(issued->record.sm2_id, "empty");
}

TEST_P(CaTest, BadCsrIsRejectedAndRecordsNothing) {
    Init("p256", KeyAlgorithm::kEcdsaP256);
    auto key = PrivateKey::Generate(KeyAlgorithm::kEcdsaP256);
    Bytes csr = Csr(*key);
    csr[csr.size() - 5] ^= 0x01;  // break the signature: no proof of possession
    IssueRequest req;
    req.csr = csr;
    auto issued = ca_->Issue(req);
    ASSERT_FALSE(issued);
    EXPECT_EQ(issued.error().code, ErrorCode::kInvalidArgument);
    req.csr = Bytes{0x30, 0x82, 0x01};  // truncated DER
    EXPECT_EQ(ca_->Issue(req).error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(CountRows("certificates"), 2);  // the issuing CA and the OCSP signer only
}

TEST_P(CaTest, RenewBeforeExpiryExtendsFromOldNotAfter) {
    Init("sm2", KeyAlgorithm::kSm2);
    auto old = IssueNew("", KeyAlgorithm::kSm2);
    clock_.Advance(days(330));  // a month before expiry, as the seed's reminder suggests
    auto renewed = ca_->Renew("", old.record.serial, {});
    ASSERT_TRUE(renewed) << renewed.error().internal;
    EXPECT_EQ(renewed->record.not_after, AddYears(old.record.not_after, 1));
    EXPECT_EQ(renewed->record.not_before, clock_.Now());
    EXPECT_EQ(renewed->record.replaces_serial, old.record.serial);
    EXPECT_EQ(renewed->record.spki_sha256, old.record.spki_sha256);  // same key
    EXPECT_EQ(renewed->record.subject, old.record.subject);
    // The old one stays valid until its own expiry; a second renewal of it is refused.
    EXPECT_EQ(ca_->Find("", old.record.serial)->EffectiveStatus(clock_.Now()), "valid");
    auto twice = ca_->Renew("", old.record.serial, {});
    ASSERT_FALSE(twice);
    EXPECT_EQ(twice.error().code, ErrorCode::kFailedPrecondition);
}

TEST_P(CaTest, RenewAfterExpiryExtendsFromNowWithNewKey) {
    Init("p256", KeyAlgorithm::kEcdsaP256);
    auto old = IssueNew("", KeyAlgorithm::kEcdsaP256);
    clock_.Advance(days(400));
    EXPECT_EQ(ca_->Find("", old.record.serial)->EffectiveStatus(clock_.Now()), "expired");
    auto key = PrivateKey::Generate(KeyAlgorithm::kEcdsaP256);
    auto renewed = ca_->Renew("", old.record.serial, Csr(*key, "/CN=ignored"));
    ASSERT_TRUE(renewed) << renewed.error().internal;
    EXPECT_EQ(renewed->record.not_after, AddYears(clock_.Now(), 1));
    EXPECT_NE(renewed->record.spki_sha256, old.record.spki_sha256);
    EXPECT_EQ(renewed->record.subject, old.record.subject);  // the CSR's subject is not used
}

TEST_P(CaTest, ReissueSupersedesOldAndKeepsNotAfter) {
    Init("sm2", KeyAlgorithm::kSm2);
    auto old = IssueNew("", KeyAlgorithm::kSm2);
    clock_.Advance(days(10));
    auto same_key = ca_->Reissue("", old.record.serial, {});
    EXPECT_EQ(same_key.error().code, ErrorCode::kInvalidArgument);
    auto key = PrivateKey::Generate(KeyAlgorithm::kSm2);
    auto reissued = ca_->Reissue("", old.record.serial, Csr(*key));
    ASSERT_TRUE(reissued) << reissued.error().internal;
    EXPECT_EQ(reissued->record.not_after, old.record.not_after);
    auto old_now = ca_->Find("", old.record.serial);
    EXPECT_EQ(old_now->EffectiveStatus(clock_.Now()), "superseded");
    EXPECT_EQ(old_now->revocation_reason, pki::RevocationReason::kSuperseded);
}

TEST_P(CaTest, RevokeTwiceOrUnknownIsAClearError) {
    Init("sm2", KeyAlgorithm::kSm2);
    auto c = IssueNew("", KeyAlgorithm::kSm2);
    auto r = ca_->Revoke("", c.record.serial, pki::RevocationReason::kKeyCompromise);
    ASSERT_TRUE(r) << r.error().internal;
    EXPECT_EQ(r->EffectiveStatus(clock_.Now()), "revoked");
    auto again = ca_->Revoke("", c.record.serial, pki::RevocationReason::kKeyCompromise);
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, ErrorCode::kFailedPrecondition);
    EXPECT_NE(again.error().public_message.find("already revoked"), std::string::npos);
    auto unknown = ca_->Revoke("", "0123456789abcdef", pki::RevocationReason::kUnspecified);
    EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);
    EXPECT_EQ(ca_->Revoke("", "not-hex", pki::RevocationReason::kUnspecified).error().code,
              ErrorCode::kInvalidArgument);
    EXPECT_EQ(CountRows("revocations"), 1);
    // A revoked certificate cannot be renewed.
    EXPECT_EQ(ca_->Renew("", c.record.serial, {}).error().code, ErrorCode::kFailedPrecondition);
}

TEST_P(CaTest, CrlNumbersIncreaseAndListRevokedSerialsWithReasons) {
    auto h = Init("p256", KeyAlgorithm::kEcdsaP256);
    auto a = IssueNew("", KeyAlgorithm::kEcdsaP256);
    auto b = IssueNew("", KeyAlgorithm::kEcdsaP256);
    auto first = ca_->GenerateCrl("");
    ASSERT_TRUE(first) << first.error().internal;
    EXPECT_EQ(first->crl_number, 1);
    EXPECT_EQ(first->entry_count, 0);
    ASSERT_TRUE(ca_->Revoke("", a.record.serial, pki::RevocationReason::kKeyCompromise));
    ASSERT_TRUE(ca_->Revoke("", b.record.serial, pki::RevocationReason::kUnspecified));
    auto second = ca_->GenerateCrl("p256");
    ASSERT_TRUE(second);
    EXPECT_EQ(second->crl_number, 2);
    EXPECT_EQ(second->next_update - second->this_update, config_.crl_validity);

    auto crl = pki::ParseCrl(second->der);
    ASSERT_TRUE(crl);
    auto* revoked = X509_CRL_get_REVOKED(crl->get());
    ASSERT_EQ(sk_X509_REVOKED_num(revoked), 2);
    std::map<std::string, int> reasons;
    for (int i = 0; i < 2; ++i) {
        auto* entry = sk_X509_REVOKED_value(revoked, i);
        auto serial = pki::SerialHex(X509_REVOKED_get0_serialNumber(entry));
        int crit = 0;
        auto* reason = static_cast<ASN1_ENUMERATED*>(
            X509_REVOKED_get_ext_d2i(entry, NID_crl_reason, &crit, nullptr));
        reasons[serial] = reason ? static_cast<int>(ASN1_ENUMERATED_get(reason)) : -1;
        ASN1_ENUMERATED_free(reason);
    }
    EXPECT_EQ(reasons[a.record.serial], 1);   // keyCompromise
    EXPECT_EQ(reasons[b.record.serial], -1);  // unspecified: no reasonCode (RFC 5280 §5.3.1)
    auto latest = ca_->LatestCrl("");
    EXPECT_EQ(latest->crl_number, 2);
    // The root has its own CRL (covering the issuing CA).
    auto root_crl = ca_->GenerateCrl("p256-root");
    ASSERT_TRUE(root_crl);
    EXPECT_EQ(root_crl->crl_number, 1);
}

TEST_P(CaTest, WrongPassphraseFailsAndChangesNothing) {
    Init("sm2", KeyAlgorithm::kSm2);
    auto before = CountRows("certificates");
    auto wrong = MakeCa("not the passphrase");
    auto key = PrivateKey::Generate(KeyAlgorithm::kSm2);
    IssueRequest req;
    req.csr = Csr(*key);
    auto issued = wrong->Issue(req);
    ASSERT_FALSE(issued);
    EXPECT_EQ(issued.error().code, ErrorCode::kUnauthenticated);
    EXPECT_EQ(CountRows("certificates"), before);
    EXPECT_FALSE(wrong->GenerateCrl(""));
    EXPECT_EQ(CountRows("crls"), 0);
}

TEST_P(CaTest, PendingRowsAreAbortedByRecoveryAndNeverBecomeIssued) {
    auto h = Init("sm2", KeyAlgorithm::kSm2);
    CertificateRecord rec;
    rec.issuer_id = h.issuing.id;
    rec.serial = "7f00000000000000000000000000aa01";
    rec.profile = "sign";
    rec.subject = "CN=x";
    rec.key_algorithm = "sm2";
    rec.spki_sha256 = "00";
    rec.not_before = clock_.Now();
    rec.not_after = clock_.Now() + days(1);
    std::int64_t id;
    {
        auto tx = tdb_->db().Begin(true);
        id = *repo::InsertPending(**tx, rec, {}, clock_.Now());
        ASSERT_TRUE((*tx)->Commit());
    }
    EXPECT_EQ(*ca_->RecoverPending(), 1);
    EXPECT_EQ(ca_->Find("", rec.serial)->status, CertStatus::kAborted);
    auto tx = tdb_->db().Begin(true);
    auto late = repo::MarkIssued(**tx, id, Bytes{1, 2, 3}, clock_.Now());
    ASSERT_FALSE(late);
    EXPECT_EQ(late.error().code, ErrorCode::kFailedPrecondition);
}

TEST_P(CaTest, ListFiltersByStatusSubjectAndExpiry) {
    Init("p256", KeyAlgorithm::kEcdsaP256);
    auto a = IssueNew("", KeyAlgorithm::kEcdsaP256);
    clock_.Advance(days(100));
    auto b = IssueNew("", KeyAlgorithm::kEcdsaP256);
    ASSERT_TRUE(ca_->Revoke("", b.record.serial, pki::RevocationReason::kAffiliationChanged));
    repo::CertificateFilter f;
    f.status = "revoked";
    auto revoked = ca_->List(f);
    ASSERT_TRUE(revoked);
    ASSERT_EQ(revoked->size(), 1u);
    EXPECT_EQ(revoked->front().serial, b.record.serial);
    f = {};
    f.expiring_before = clock_.Now() + days(270);  // a expires in 265 days
    auto expiring = ca_->List(f);
    ASSERT_TRUE(expiring);
    std::set<std::string> expiring_serials;
    for (const auto& r : *expiring) expiring_serials.insert(r.serial);
    EXPECT_EQ(expiring_serials.size(), 2u);  // a, and the OCSP signer (one year from init)
    EXPECT_TRUE(expiring_serials.contains(a.record.serial));
    EXPECT_FALSE(expiring_serials.contains(b.record.serial));
    f = {};
    f.subject_contains = "张三";
    f.status = "valid";
    EXPECT_EQ(ca_->List(f)->size(), 1u);  // a (b is revoked); CA certs have other subjects
    f.status = "bogus";
    EXPECT_EQ(ca_->List(f).error().code, ErrorCode::kInvalidArgument);
}

TEST_P(CaTest, ConcurrentIssuanceGivesUniqueDurableSerials) {
    Init("p256", KeyAlgorithm::kEcdsaP256);
    auto key = PrivateKey::Generate(KeyAlgorithm::kEcdsaP256);
    Bytes csr = Csr(*key);
    std::vector<std::thread> threads;
    std::mutex mu;
    std::set<std::string> serials;
    int failures = 0;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 25; ++i) {
                IssueRequest req;
                req.csr = csr;
                auto issued = ca_->Issue(req);
                std::lock_guard lock(mu);
                if (issued) {
                    serials.insert(issued->record.serial);
                } else {
                    ++failures;
                }
            }
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(failures, 0);
    EXPECT_EQ(serials.size(), 100u);
    repo::CertificateFilter f;
    f.status = "valid";
    f.limit = 1000;
    EXPECT_EQ(ca_->List(f)->size(), 102u);  // + issuing CA and OCSP signer
}

INSTANTIATE_TEST_SUITE_P(BothDatabases, CaTest,
                         ::testing::Values(DbKind::kSqlite, DbKind::kPostgres),
                         [](const auto& info) { return testing::DbKindName(info.param); });

}  // namespace
}  // namespace gzca::ca
