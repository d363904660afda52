// Accounts and the order machine over a real CA, run on SQLite and PostgreSQL alike
// (DESIGN.md §4–§7).
#include <gtest/gtest.h>

#include <algorithm>

#include "ca/authority.h"
#include "ca/repository.h"
#include "crypto/signer.h"
#include "pki/certificate.h"
#include "ra/accounts.h"
#include "ra/materials.h"
#include "ra/orders.h"
#include "ra/orders_internal.h"
#include "ra/validation.h"
#include "testing/fixtures.h"

namespace gzca::ra {
namespace {

using namespace std::chrono;
using crypto::KeyAlgorithm;
using crypto::PrivateKey;
using testing::DbKind;

constexpr std::string_view kPassphrase = "correct horse battery staple";
constexpr std::string_view kUscc = "91350100M000100Y43";  // GB 32100-2015's example

const Bytes kPdf = {'%', 'P', 'D', 'F', '-', '1', '.', '4', '\n', '%', '%', 'E', 'O', 'F'};
const Bytes kPng = {0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0};
const Bytes kJpeg = {0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, 'J', 'F', 'I', 'F', 0};

std::string ToPem(const Bytes& der) {
    std::string b64 = Base64Encode(der);
    std::string pem = "-----BEGIN CERTIFICATE REQUEST-----\n";
    for (std::size_t i = 0; i < b64.size(); i += 64) pem += b64.substr(i, 64) + "\n";
    return pem + "-----END CERTIFICATE REQUEST-----\n";
}

std::vector<std::string> EventNames(const OrderDetail& d) {
    std::vector<std::string> out;
    for (const auto& e : d.timeline) out.push_back(e.event);
    return out;
}

struct Transition {
    std::string order_no;
    OrderState from, to;
    std::string actor;
};

class RaTest : public ::testing::TestWithParam<DbKind> {
  protected:
    void SetUp() override {
        auto t = testing::TestDatabase::Create(GetParam());
        ASSERT_TRUE(t) << t.error().internal;
        tdb_ = std::move(*t);
        data_dir_ = testing::MakeTempDir("gzca_ra_test_");
        ca::KeySecrets secrets;
        secrets.passphrase = std::string(kPassphrase);
        ca_ = std::make_unique<ca::CertificateAuthority>(tdb_->db(), clock_, ca::CaConfig{},
                                                         secrets, data_dir_);
        ca::HierarchyOptions h;
        h.name = "p256";
        h.algorithm = KeyAlgorithm::kEcdsaP256;
        auto info = ca_->InitHierarchy(h);
        ASSERT_TRUE(info) << info.error().internal;
        accounts_ = std::make_unique<AccountRepository>(tdb_->db(), vault_, clock_);
        store_ = std::make_unique<MaterialStore>(data_dir_ / "materials");
        MakeService(OrderConfig{});

        auto org = accounts_->UpsertOrganisation(Org());
        ASSERT_TRUE(org) << org.error().internal;
        org_ = *org;
        alice_ = AddSubscriber("alice", "13812345678", "11010519491231002X");
        bob_ = AddSubscriber("bob", "13987654321", IdWithCheck("44030419800101123"));
    }

    void TearDown() override {
        service_.reset();
        accounts_.reset();
        ca_.reset();
        tdb_.reset();
        std::filesystem::remove_all(data_dir_);
    }

    void MakeService(OrderConfig config, TransitionHook hook = {}) {
        if (!hook) {
            hook = [this](store::Transaction&, const Order& o, OrderState from, OrderState to,
                          const Actor& actor) -> Status {
                transitions_.push_back({o.order_no, from, to, RenderActor(actor)});
                return Ok();
            };
        }
        service_ = std::make_unique<OrderService>(tdb_->db(), *ca_, *accounts_, vault_, clock_,
                                                  std::move(config), std::move(hook));
    }

    static std::string IdWithCheck(const std::string& first17) {
        return first17 + IdCardCheckCharacter(first17);
    }

    static Organisation Org() {
        Organisation o;
        o.name = "贵州省国资测试有限公司";
        o.legal_representative = "王五";
        o.credential_type = CredentialType::kBusinessLicence;
        o.credential_number = std::string(kUscc);
        o.phone = "0851-12345678";
        return o;
    }

    Subscriber AddSubscriber(const std::string& uid, const std::string& phone,
                             const std::string& id_card) {
        Subscriber s;
        s.organisation_id = org_.id;
        s.user_identifier = uid;
        s.name = uid == "alice" ? "张三" : "李四";
        s.phone = phone;
        s.id_card_number = id_card;
        s.email = uid + "@example.com";
        s.department = "信息中心";
        s.contact_address = "贵州省贵阳市观山湖区";
        auto created = accounts_->CreateSubscriber(s);
        EXPECT_TRUE(created) << created.error().internal;
        return created ? *created : s;
    }

    std::string Csr(const PrivateKey& key) {
        auto der = testing::MakeCsr(key, "/C=CN/O=whatever/CN=ignored");
        EXPECT_TRUE(der) << der.error().internal;
        return ToPem(*der);
    }

    // A certificate issued to and owned by `owner`.
    ca::CertificateRecord IssueOwned(const Subscriber& owner, Medium medium = Medium::kUsbKey) {
        auto key = PrivateKey::Generate(KeyAlgorithm::kEcdsaP256);
        ca::IssueRequest req;
        req.csr = *testing::MakeCsr(*key, "/C=CN/O=贵州省国资测试有限公司/CN=" + owner.name);
        auto issued = ca_->Issue(req);
        EXPECT_TRUE(issued) << issued.error().internal;
        auto linked = accounts_->LinkCertificate(owner.id, issued->record.id, medium);
        EXPECT_TRUE(linked) << linked.error().internal;
        return issued->record;
    }

    OrderForm FormFor(const Subscriber& s, const std::string& serial = "") {
        OrderForm f;
        f.org_name = org_.name;
        f.legal_representative = org_.legal_representative;
        f.credential_type = org_.credential_type;
        f.credential_number = org_.credential_number;
        f.org_phone = org_.phone;
        f.user_identifier = s.user_identifier;
        f.department = s.department;
        f.user_name = s.name;
        f.phone = s.phone;
        f.id_card = s.id_card_number;
        f.email = s.email;
        f.contact_address = s.contact_address;
        f.certificate_serial = serial;
        return f;
    }

    Order MustCreate(const Subscriber& s, OrderType type, const OrderForm& form,
                     const std::string& key = "") {
        auto o = service_->Create(s.id, type, form, key);
        EXPECT_TRUE(o) << o.error().internal << " / " << o.error().public_message;
        return o ? *o : Order{};
    }

    void UploadRequired(const Subscriber& s, const std::string& order_no) {
        const std::pair<MaterialKind, Bytes> files[] = {
            {MaterialKind::kApplicationForm, kPdf},
            {MaterialKind::kBusinessLicence, kPng},
            {MaterialKind::kIdCopy, kJpeg},
        };
        for (const auto& [kind, bytes] : files) {
            auto blob = store_->PutBytes(bytes);
            ASSERT_TRUE(blob) << blob.error().internal;
            auto m = service_->PutMaterial(s.id, order_no, kind, *blob, "scan.file");
            ASSERT_TRUE(m) << m.error().internal;
        }
    }

    // draft → materials → (uploads) → submitted.
    Order ToSubmitted(const Subscriber& s, const Order& o) {
        EXPECT_TRUE(service_->MarkFormPrinted(s.id, o.order_no));
        UploadRequired(s, o.order_no);
        auto submitted = service_->Submit(s.id, o.order_no);
        EXPECT_TRUE(submitted) << submitted.error().internal;
        return submitted ? *submitted : o;
    }

    Status PayOnline(const Order& o, const Subscriber& s) {
        auto p = service_->StartOnlinePayment(s.id, o.order_no, "sandbox");
        if (!p) return Fail(p.error());
        return service_->ApplyPaymentNotice(
            {"sandbox", p->payment_ref, o.order_no, p->amount_fen, true, clock_.Now()});
    }

    OrderState StateOf(const std::string& order_no) { return service_->Get(order_no)->order.state; }

    std::int64_t Count(const std::string& sql) {
        auto tx = tdb_->db().Begin(false);
        return (*(*tx)->QueryOne(sql))->Int(0);
    }

    const Actor reviewer_{Actor::Kind::kOperator, 7, "审核员甲"};
    ManualClock clock_{sys_days(2026y / 11 / 24) + hours(3)};
    PiiVault vault_ = PiiVault::FromKeyMaterial(crypto::RandomBytes(64));
    std::unique_ptr<testing::TestDatabase> tdb_;
    std::filesystem::path data_dir_;
    std::unique_ptr<ca::CertificateAuthority> ca_;
    std::unique_ptr<AccountRepository> accounts_;
    std::unique_ptr<MaterialStore> store_;
    std::unique_ptr<OrderService> service_;
    std::vector<Transition> transitions_;
    Organisation org_;
    Subscriber alice_, bob_;
};

// ---- accounts ----

TEST_P(RaTest, OrganisationsUpsertByCredentialNumber) {
    Organisation changed = Org();
    changed.name = "贵州省国资测试集团有限公司";
    changed.credential_number = " 91350100m000100y43 ";  // trimmed and upper-cased
    auto again = accounts_->UpsertOrganisation(changed);
    ASSERT_TRUE(again) << again.error().internal;
    EXPECT_EQ(again->id, org_.id);
    EXPECT_EQ(accounts_->GetOrganisation(org_.id)->name, "贵州省国资测试集团有限公司");
    EXPECT_EQ(Count("SELECT COUNT(*) FROM organisations"), 1);

    struct Case {
        std::function<void(Organisation&)> change;
        std::string message;
    };
    const Case cases[] = {
        {[](Organisation& o) { o.credential_number = "91350100M000100Y44"; },
         "统一社会信用代码校验位错误"},
        {[](Organisation& o) { o.name = ""; }, "请填写机构名称"},
        {[](Organisation& o) { o.phone = "phone"; }, "电话号码格式不正确"},
        {[](Organisation& o) {
             o.credential_type = CredentialType::kOther;
             o.credential_number = "含中文";
         },
         "证件号码应为1至64位字母、数字或符号"},
    };
    for (const auto& c : cases) {
        Organisation o = Org();
        c.change(o);
        auto r = accounts_->UpsertOrganisation(o);
        ASSERT_FALSE(r) << c.message;
        EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
        EXPECT_EQ(r.error().public_message, c.message);
    }
    Organisation inst = Org();
    inst.credential_type = CredentialType::kInstitutionLicence;
    inst.credential_number = "事证第1234号";
    EXPECT_FALSE(accounts_->UpsertOrganisation(inst));
    inst.credential_number = "12520000MB0000000X";
    EXPECT_TRUE(accounts_->UpsertOrganisation(inst));
    EXPECT_EQ(accounts_->GetOrganisation(9999).error().code, ErrorCode::kNotFound);
}

TEST_P(RaTest, SubscribersUniqueByPhoneAndIdentifier) {
    auto found = accounts_->FindSubscriberByPhone("13812345678");
    ASSERT_TRUE(found && *found);
    EXPECT_EQ((*found)->id, alice_.id);
    EXPECT_EQ((*found)->id_card_number, "11010519491231002X");
    EXPECT_EQ((*found)->name, "张三");
    EXPECT_FALSE(*accounts_->FindSubscriberByPhone("13800000000"));
    EXPECT_EQ(accounts_->FindSubscriberByPhone("12345").error().code, ErrorCode::kInvalidArgument);

    Subscriber dup = alice_;
    dup.user_identifier = "alice2";
    auto phone_taken = accounts_->CreateSubscriber(dup);
    ASSERT_FALSE(phone_taken);
    EXPECT_EQ(phone_taken.error().code, ErrorCode::kAlreadyExists);
    EXPECT_EQ(phone_taken.error().public_message, "该手机号已开通账户");
    dup = alice_;
    dup.phone = "13700000000";
    auto id_taken = accounts_->CreateSubscriber(dup);
    ASSERT_FALSE(id_taken);
    EXPECT_EQ(id_taken.error().public_message, "该用户标识已被使用");

    Subscriber bad = alice_;
    bad.user_identifier = "carol";
    bad.phone = "13700000000";
    bad.id_card_number = "110105194912310021";
    EXPECT_EQ(accounts_->CreateSubscriber(bad).error().public_message, "身份证号码校验位错误");
    bad.id_card_number = "11010519491231002x";  // normalised to X
    bad.organisation_id = 4242;
    EXPECT_EQ(accounts_->CreateSubscriber(bad).error().code, ErrorCode::kNotFound);
    bad.organisation_id = org_.id;
    auto carol = accounts_->CreateSubscriber(bad);
    ASSERT_TRUE(carol) << carol.error().internal;
    EXPECT_EQ(carol->id_card_number, "11010519491231002X");

    auto members = accounts_->SubscribersOfOrganisation(org_.id);
    ASSERT_TRUE(members);
    ASSERT_EQ(members->size(), 3u);
    EXPECT_EQ((*members)[1].phone, "13987654321");
    EXPECT_EQ(accounts_->GetSubscriber(bob_.id)->user_identifier, "bob");
    EXPECT_EQ(accounts_->GetSubscriber(4242).error().code, ErrorCode::kNotFound);
}

TEST_P(RaTest, CertificateOwnershipAndRenewability) {
    auto cert = IssueOwned(alice_, Medium::kShield);
    EXPECT_TRUE(accounts_->LinkCertificate(alice_.id, cert.id, Medium::kShield));  // idempotent
    auto other = accounts_->LinkCertificate(bob_.id, cert.id, Medium::kUsbKey);
    ASSERT_FALSE(other);
    EXPECT_EQ(other.error().code, ErrorCode::kAlreadyExists);
    EXPECT_EQ(accounts_->LinkCertificate(alice_.id, 999999, Medium::kUsbKey).error().code,
              ErrorCode::kNotFound);
    EXPECT_EQ(**accounts_->OwnerOf(cert.id), alice_.id);

    clock_.Advance(hours(1));
    auto second = IssueOwned(alice_);
    auto owned = accounts_->CertificatesOf(alice_.id);
    ASSERT_TRUE(owned);
    ASSERT_EQ(owned->size(), 2u);
    EXPECT_EQ((*owned)[0].serial, second.serial);  // newest first
    EXPECT_EQ((*owned)[1].medium, Medium::kShield);
    EXPECT_EQ((*owned)[1].status, "valid");
    EXPECT_EQ((*owned)[1].issuer_name, "p256-issuing");
    EXPECT_TRUE((*owned)[1].renewable);
    EXPECT_FALSE((*owned)[1].has_successor);
    EXPECT_TRUE(accounts_->CertificatesOf(bob_.id)->empty());

    // An open renew order makes it not renewable; a renewal (successor) too.
    auto order = MustCreate(alice_, OrderType::kRenew, FormFor(alice_, cert.serial));
    EXPECT_FALSE(accounts_->CertificatesOf(alice_.id)->at(1).renewable);
    ASSERT_TRUE(service_->Cancel(alice_.id, order.order_no));
    EXPECT_TRUE(accounts_->CertificatesOf(alice_.id)->at(1).renewable);
    ASSERT_TRUE(ca_->Renew("", cert.serial, {}));
    auto after = accounts_->CertificatesOf(alice_.id)->at(1);
    EXPECT_TRUE(after.has_successor);
    EXPECT_FALSE(after.renewable);
    ASSERT_TRUE(ca_->Revoke("", second.serial, pki::RevocationReason::kKeyCompromise));
    auto revoked = accounts_->CertificatesOf(alice_.id)->at(0);
    EXPECT_EQ(revoked.status, "revoked");
    EXPECT_FALSE(revoked.renewable);
}

TEST_P(RaTest, PiiNeverStoredInPlaintext) {
    auto cert = IssueOwned(alice_);
    auto order = MustCreate(alice_, OrderType::kRenew, FormFor(alice_, cert.serial));
    ToSubmitted(alice_, order);
    const std::string secrets[] = {alice_.phone, alice_.id_card_number, bob_.phone,
                                   bob_.id_card_number, "scan.file"};
    auto tx = tdb_->db().Begin(false);
    ASSERT_TRUE(tx);
    std::size_t values = 0;
    for (std::string table : {"organisations", "subscribers", "subscriber_certificates", "orders",
                              "order_events", "materials", "payments", "reviews"}) {
        auto rows = (*tx)->Query("SELECT * FROM " + table);
        ASSERT_TRUE(rows) << rows.error().internal;
        for (const auto& row : *rows) {
            for (std::size_t i = 0; i < row.size(); ++i) {
                std::string bytes;
                if (auto* s = std::get_if<std::string>(&row.at(i))) bytes = *s;
                if (auto* b = std::get_if<Bytes>(&row.at(i))) bytes = std::string(AsString(*b));
                ++values;
                for (const auto& secret : secrets) {
                    EXPECT_EQ(bytes.find(secret), std::string::npos)
                        << table << " column " << i << " holds " << secret;
                }
            }
        }
    }
    EXPECT_GT(values, 50u);
}

// ---- the renewal path, end to end ----

TEST_P(RaTest, RenewalWholePath) {
    auto old = IssueOwned(alice_);
    clock_.Advance(days(330));  // the reminder came a month before expiry
    OrderForm form = FormFor(
        alice_, "  " + [&] {
            std::string up = old.serial;
            for (char& c : up) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
            return up;
        }());
    auto order = MustCreate(alice_, OrderType::kRenew, form, "click-1");
    EXPECT_EQ(order.state, OrderState::kDraft);
    EXPECT_EQ(order.certificate_serial, old.serial);  // normalised
    EXPECT_EQ(order.fee_fen, 20000);
    EXPECT_EQ(order.order_no.size(), 16u);
    EXPECT_EQ(order.order_no.substr(0, 10), "GZ20271020");  // Beijing date, 330 days later
    auto twice = MustCreate(alice_, OrderType::kRenew, form, "click-1");
    EXPECT_EQ(twice.order_no, order.order_no);
    EXPECT_EQ(Count("SELECT COUNT(*) FROM orders"), 1);

    auto printed = service_->MarkFormPrinted(alice_.id, order.order_no);
    ASSERT_TRUE(printed);
    EXPECT_EQ(printed->state, OrderState::kMaterials);
    EXPECT_EQ(StepOf(printed->state), 3);
    EXPECT_EQ(service_->MarkFormPrinted(alice_.id, order.order_no)->version, printed->version);

    auto early = service_->Submit(alice_.id, order.order_no);
    ASSERT_FALSE(early);
    EXPECT_EQ(early.error().code, ErrorCode::kFailedPrecondition);
    EXPECT_EQ(early.error().public_message,
              "请先上传：业务申请单、有效营业执照、联系人身份证复印件");

    UploadRequired(alice_, order.order_no);
    auto submitted = service_->Submit(alice_.id, order.order_no);
    ASSERT_TRUE(submitted) << submitted.error().internal;
    EXPECT_EQ(submitted->state, OrderState::kAwaitingPayment);
    EXPECT_FALSE(submitted->due_at);

    auto payment = service_->StartOnlinePayment(alice_.id, order.order_no, "sandbox");
    ASSERT_TRUE(payment) << payment.error().internal;
    EXPECT_EQ(payment->amount_fen, 20000);
    EXPECT_EQ(payment->state, PaymentState::kPending);
    EXPECT_TRUE(payment->payment_ref.starts_with("pay_"));
    EXPECT_EQ(service_->StartOnlinePayment(alice_.id, order.order_no, "sandbox")->payment_ref,
              payment->payment_ref);  // reused
    auto found = service_->FindPayment(payment->payment_ref);
    ASSERT_TRUE(found && *found);
    EXPECT_EQ((*found)->order_no, order.order_no);
    EXPECT_FALSE(*service_->FindPayment("pay_unknown"));

    clock_.Advance(minutes(2));
    OrderService::PaymentNotice notice{"sandbox", payment->payment_ref, order.order_no, 19999,
                                       true,      clock_.Now()};
    auto wrong_amount = service_->ApplyPaymentNotice(notice);
    ASSERT_FALSE(wrong_amount);
    EXPECT_EQ(wrong_amount.error().code, ErrorCode::kInvalidArgument);
    notice.amount_fen = 20000;
    notice.order_no = "GZ20271020000000";
    EXPECT_FALSE(service_->ApplyPaymentNotice(notice));
    notice.order_no = order.order_no;
    notice.provider = "other";
    EXPECT_FALSE(service_->ApplyPaymentNotice(notice));
    notice.provider = "sandbox";
    notice.payment_ref = "pay_0000";
    EXPECT_FALSE(service_->ApplyPaymentNotice(notice));
    notice.payment_ref = payment->payment_ref;
    EXPECT_EQ(StateOf(order.order_no), OrderState::kAwaitingPayment);
    ASSERT_TRUE(service_->ApplyPaymentNotice(notice));
    auto paid = service_->GetForSubscriber(alice_.id, order.order_no);
    ASSERT_TRUE(paid);
    EXPECT_EQ(paid->order.state, OrderState::kInReview);
    ASSERT_TRUE(paid->order.due_at);
    EXPECT_EQ(*paid->order.due_at, clock_.Now() + days(3));
    EXPECT_EQ(*paid->order.submitted_at, clock_.Now());
    ASSERT_TRUE(paid->payment);
    EXPECT_EQ(paid->payment->state, PaymentState::kPaid);
    const auto version = paid->order.version;
    ASSERT_TRUE(service_->ApplyPaymentNotice(notice));  // again: no change
    EXPECT_EQ(service_->Get(order.order_no)->order.version, version);
    EXPECT_EQ(service_->Get(order.order_no)->timeline.size(), paid->timeline.size());

    clock_.Advance(days(1));
    auto approved = service_->Approve(reviewer_, order.order_no, "材料齐全");
    ASSERT_TRUE(approved) << approved.error().internal;
    EXPECT_EQ(approved->state, OrderState::kReady);
    auto renewed = ca_->Find("", approved->issued_certificate_serial);
    ASSERT_TRUE(renewed);
    EXPECT_EQ(renewed->not_after, AddYears(old.not_after, 1));
    EXPECT_EQ(renewed->replaces_serial, old.serial);
    EXPECT_EQ(**accounts_->OwnerOf(renewed->id), alice_.id);
    EXPECT_EQ(*approved->issued_certificate_id, renewed->id);
    EXPECT_EQ(service_->IssueApproved(order.order_no)->version, approved->version);  // no-op

    auto done = service_->ConfirmInstalled(alice_.id, order.order_no);
    ASSERT_TRUE(done) << done.error().internal;
    EXPECT_EQ(done->state, OrderState::kCompleted);
    EXPECT_EQ(ca_->Find("", old.serial)->EffectiveStatus(clock_.Now()), "superseded");
    EXPECT_EQ(ca_->Find("", renewed->serial)->EffectiveStatus(clock_.Now()), "valid");
    EXPECT_TRUE(service_->ConfirmInstalled(alice_.id, order.order_no));  // idempotent

    auto detail = service_->GetForSubscriber(alice_.id, order.order_no);
    ASSERT_TRUE(detail);
    EXPECT_EQ(
        EventNames(*detail),
        (std::vector<std::string>{"created", "form_printed", "material_uploaded",
                                  "material_uploaded", "material_uploaded", "submitted",
                                  "payment_started", "paid", "approved", "issued", "installed"}));
    EXPECT_EQ(detail->timeline.front().actor, "subscriber:" + std::to_string(alice_.id));
    EXPECT_EQ(detail->timeline[8].actor, "operator:7");
    EXPECT_EQ(detail->timeline[7].from_state, "awaiting_payment");
    EXPECT_EQ(detail->timeline[7].to_state, "in_review");
    ASSERT_EQ(detail->materials.size(), 3u);
    EXPECT_EQ(detail->materials[2].media_type, "image/jpeg");
    EXPECT_EQ(detail->materials[0].original_name, "scan.file");
    ASSERT_TRUE(detail->last_review);
    EXPECT_EQ(detail->last_review->decision, "approved");
    EXPECT_EQ(detail->last_review->reviewer_name, "审核员甲");
    EXPECT_TRUE(SubscriberActions(*detail) == std::vector<std::string>{"download"});

    std::vector<std::pair<OrderState, OrderState>> seen;
    for (const auto& t : transitions_) seen.emplace_back(t.from, t.to);
    EXPECT_EQ(seen, (std::vector<std::pair<OrderState, OrderState>>{
                        {OrderState::kDraft, OrderState::kDraft},
                        {OrderState::kDraft, OrderState::kMaterials},
                        {OrderState::kMaterials, OrderState::kAwaitingPayment},
                        {OrderState::kAwaitingPayment, OrderState::kInReview},
                        {OrderState::kInReview, OrderState::kApproved},
                        {OrderState::kApproved, OrderState::kReady},
                        {OrderState::kReady, OrderState::kCompleted}}));
    EXPECT_EQ(transitions_[3].actor, "system:payment:sandbox");
}

TEST_P(RaTest, RejectThenResubmitWithoutPayingAgain) {
    auto cert = IssueOwned(alice_);
    auto order =
        ToSubmitted(alice_, MustCreate(alice_, OrderType::kRenew, FormFor(alice_, cert.serial)));
    ASSERT_TRUE(PayOnline(order, alice_));
    auto bad_reason = service_->Reject(reviewer_, order.order_no, "lazy", "");
    EXPECT_EQ(bad_reason.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(service_->Reject(reviewer_, order.order_no, "other", "").error().code,
              ErrorCode::kInvalidArgument);
    auto rejected =
        service_->Reject(reviewer_, order.order_no, "missing_materials", "营业执照扫描件不清晰");
    ASSERT_TRUE(rejected) << rejected.error().internal;
    EXPECT_EQ(rejected->state, OrderState::kRejected);
    auto d = service_->GetForSubscriber(alice_.id, order.order_no);
    ASSERT_TRUE(d->last_review);
    EXPECT_EQ(d->last_review->reason, "missing_materials");
    EXPECT_EQ(d->last_review->comment, "营业执照扫描件不清晰");
    EXPECT_EQ(d->timeline.back().detail, "材料缺失：营业执照扫描件不清晰");
    EXPECT_EQ(StepOf(rejected->state), 3);

    auto blob = store_->PutBytes(Bytes{'%', 'P', 'D', 'F', '-', '2'});
    ASSERT_TRUE(blob);
    ASSERT_TRUE(service_->PutMaterial(alice_.id, order.order_no, MaterialKind::kBusinessLicence,
                                      *blob, "C:\\scans\\licence.pdf"));
    d = service_->GetForSubscriber(alice_.id, order.order_no);
    EXPECT_EQ(d->materials[1].sha256, blob->sha256);
    EXPECT_EQ(d->materials[1].original_name, "licence.pdf");
    EXPECT_EQ(d->timeline.back().detail, "有效营业执照（重新上传）");
    EXPECT_EQ(Count("SELECT COUNT(*) FROM materials"), 3);

    auto resubmitted = service_->Submit(alice_.id, order.order_no);
    ASSERT_TRUE(resubmitted) << resubmitted.error().internal;
    EXPECT_EQ(resubmitted->state, OrderState::kInReview);
    EXPECT_TRUE(resubmitted->due_at);
    EXPECT_EQ(Count("SELECT COUNT(*) FROM payments"), 1);

    // Rejected again for another reason: the payment still counts.
    ASSERT_TRUE(service_->Reject(reviewer_, order.order_no, "wrong_information", ""));
    auto again = service_->Submit(alice_.id, order.order_no);
    EXPECT_EQ(again->state, OrderState::kInReview);  // still paid
}

TEST_P(RaTest, OfflinePaymentNeedsVoucherAndCashier) {
    auto cert = IssueOwned(alice_);
    auto order =
        ToSubmitted(alice_, MustCreate(alice_, OrderType::kRenew, FormFor(alice_, cert.serial)));
    ASSERT_EQ(order.state, OrderState::kAwaitingPayment);
    auto no_voucher = service_->ChooseOfflinePayment(alice_.id, order.order_no);
    ASSERT_FALSE(no_voucher);
    EXPECT_EQ(no_voucher.error().public_message, "请先上传支付凭证");
    // In awaiting_payment only the voucher may be uploaded.
    auto blob = store_->PutBytes(kJpeg);
    auto other_kind =
        service_->PutMaterial(alice_.id, order.order_no, MaterialKind::kIdCopy, *blob, "id.jpg");
    ASSERT_FALSE(other_kind);
    EXPECT_EQ(other_kind.error().code, ErrorCode::kFailedPrecondition);
    ASSERT_TRUE(service_->PutMaterial(alice_.id, order.order_no, MaterialKind::kPaymentVoucher,
                                      *blob, "voucher.jpg"));
    EXPECT_EQ(SubscriberActions(*service_->Get(order.order_no)),
              (std::vector<std::string>{"upload", "pay", "cancel"}));
    auto offline = service_->ChooseOfflinePayment(alice_.id, order.order_no);
    ASSERT_TRUE(offline) << offline.error().internal;
    EXPECT_EQ(offline->state, OrderState::kInReview);
    auto d = service_->Get(order.order_no);
    EXPECT_EQ(d->payment->method, "offline");
    EXPECT_EQ(d->payment->state, PaymentState::kAwaitingConfirmation);

    EXPECT_EQ(
        service_->ConfirmOfflinePayment({Actor::Kind::kSubscriber, alice_.id, ""}, order.order_no)
            .error()
            .code,
        ErrorCode::kPermissionDenied);
    auto confirmed =
        service_->ConfirmOfflinePayment({Actor::Kind::kOperator, 3, "出纳"}, order.order_no);
    ASSERT_TRUE(confirmed) << confirmed.error().internal;
    EXPECT_EQ(confirmed->state, PaymentState::kPaid);
    EXPECT_EQ(service_->Get(order.order_no)->payment->state, PaymentState::kPaid);
    EXPECT_EQ(service_->ConfirmOfflinePayment(reviewer_, order.order_no).error().code,
              ErrorCode::kFailedPrecondition);
}

TEST_P(RaTest, PaymentNotReceivedAsksForPaymentAgain) {
    auto cert = IssueOwned(alice_);
    auto order =
        ToSubmitted(alice_, MustCreate(alice_, OrderType::kRenew, FormFor(alice_, cert.serial)));
    auto blob = store_->PutBytes(kPdf);
    ASSERT_TRUE(service_->PutMaterial(alice_.id, order.order_no, MaterialKind::kPaymentVoucher,
                                      *blob, "v.pdf"));
    ASSERT_TRUE(service_->ChooseOfflinePayment(alice_.id, order.order_no));
    ASSERT_TRUE(service_->Reject(reviewer_, order.order_no, "payment_not_received", ""));
    EXPECT_EQ(service_->Get(order.order_no)->payment->state, PaymentState::kRefused);
    auto again = service_->Submit(alice_.id, order.order_no);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->state, OrderState::kAwaitingPayment);
}

TEST_P(RaTest, CancelBeforeReviewOnly) {
    auto cert = IssueOwned(alice_);
    auto draft = MustCreate(alice_, OrderType::kRenew, FormFor(alice_, cert.serial));
    auto cancelled = service_->Cancel(alice_.id, draft.order_no);
    ASSERT_TRUE(cancelled);
    EXPECT_EQ(cancelled->state, OrderState::kCancelled);
    EXPECT_EQ(StepOf(cancelled->state), 0);
    EXPECT_EQ(service_->Cancel(alice_.id, draft.order_no).error().code,
              ErrorCode::kFailedPrecondition);
    EXPECT_FALSE(service_->Submit(alice_.id, draft.order_no));
    EXPECT_EQ(service_->MarkFormPrinted(alice_.id, draft.order_no)->state, OrderState::kCancelled);

    auto awaiting =
        ToSubmitted(alice_, MustCreate(alice_, OrderType::kRenew, FormFor(alice_, cert.serial)));
    ASSERT_EQ(awaiting.state, OrderState::kAwaitingPayment);
    ASSERT_TRUE(service_->Cancel(alice_.id, awaiting.order_no));

    auto reviewed =
        ToSubmitted(alice_, MustCreate(alice_, OrderType::kRenew, FormFor(alice_, cert.serial)));
    ASSERT_TRUE(PayOnline(reviewed, alice_));
    auto refused = service_->Cancel(alice_.id, reviewed.order_no);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, ErrorCode::kFailedPrecondition);
    EXPECT_EQ(refused.error().public_message, "订单当前状态为「审核中」，不能取消");
}

TEST_P(RaTest, AnotherSubscriberSeesNothing) {
    auto cert = IssueOwned(alice_);
    auto order = MustCreate(alice_, OrderType::kRenew, FormFor(alice_, cert.serial));
    auto blob = store_->PutBytes(kPdf);
    const std::string no = order.order_no;
    const std::int64_t b = bob_.id;
    const std::vector<std::pair<std::string, std::function<ErrorCode()>>> calls = {
        {"get", [&] { return service_->GetForSubscriber(b, no).error().code; }},
        {"form", [&] { return service_->UpdateForm(b, no, FormFor(bob_)).error().code; }},
        {"printed", [&] { return service_->MarkFormPrinted(b, no).error().code; }},
        {"material",
         [&] {
             return service_->PutMaterial(b, no, MaterialKind::kIdCopy, *blob, "x").error().code;
         }},
        {"submit", [&] { return service_->Submit(b, no).error().code; }},
        {"pay", [&] { return service_->StartOnlinePayment(b, no, "sandbox").error().code; }},
        {"offline", [&] { return service_->ChooseOfflinePayment(b, no).error().code; }},
        {"cancel", [&] { return service_->Cancel(b, no).error().code; }},
        {"installed", [&] { return service_->ConfirmInstalled(b, no).error().code; }},
        {"unknown", [&] { return service_->GetForSubscriber(alice_.id, "GZ0").error().code; }},
    };
    for (const auto& [name, call] : calls) EXPECT_EQ(call(), ErrorCode::kNotFound) << name;
    EXPECT_EQ(service_->GetForSubscriber(b, no).error().public_message, "未找到该订单");
    EXPECT_TRUE(service_->ListForSubscriber(b, {})->empty());
    EXPECT_EQ(service_->ListForSubscriber(alice_.id, {})->size(), 1u);
    EXPECT_EQ(StateOf(no), OrderState::kDraft);
    EXPECT_EQ(service_->Get(no)->timeline.size(), 1u);
}

TEST_P(RaTest, CertificateChecksOnCreate) {
    auto cert = IssueOwned(alice_);
    auto bobs = IssueOwned(bob_);
    struct Case {
        std::string name;
        OrderType type;
        std::string serial;
        ErrorCode code;
        std::string message;
    };
    auto first = MustCreate(alice_, OrderType::kRenew, FormFor(alice_, cert.serial));
    auto revoked = IssueOwned(alice_);
    ASSERT_TRUE(ca_->Revoke("", revoked.serial, pki::RevocationReason::kKeyCompromise));
    auto unowned = ca_->Issue(
        {"", *testing::MakeCsr(*PrivateKey::Generate(KeyAlgorithm::kEcdsaP256), "/CN=nobody")});
    ASSERT_TRUE(unowned);
    const Case cases[] = {
        {"second open renew", OrderType::kRenew, cert.serial, ErrorCode::kFailedPrecondition,
         "该证书已有办理中的订单：" + first.order_no},
        {"bob's certificate", OrderType::kRenew, bobs.serial, ErrorCode::kNotFound, "未找到该证书"},
        {"nobody's certificate", OrderType::kRevoke, unowned->record.serial, ErrorCode::kNotFound,
         "未找到该证书"},
        {"unknown serial", OrderType::kRenew, "0123456789abcdef", ErrorCode::kNotFound,
         "未找到该证书"},
        {"revoked", OrderType::kRenew, revoked.serial, ErrorCode::kFailedPrecondition,
         "该证书已吊销，不能办理证书延期"},
        {"revoked, revoke", OrderType::kRevoke, revoked.serial, ErrorCode::kFailedPrecondition,
         "该证书已吊销，不能办理证书吊销"},
    };
    for (const auto& c : cases) {
        OrderForm f = FormFor(alice_, c.serial);
        f.revocation_reason = "keyCompromise";
        auto r = service_->Create(alice_.id, c.type, f, "");
        ASSERT_FALSE(r) << c.name;
        EXPECT_EQ(r.error().code, c.code) << c.name;
        EXPECT_EQ(r.error().public_message, c.message) << c.name;
    }
    // A revoke order for the same certificate is another type: allowed.
    OrderForm revoke = FormFor(alice_, cert.serial);
    revoke.revocation_reason = "cessationOfOperation";
    MustCreate(alice_, OrderType::kRevoke, revoke);
    // After cancelling, a new renew order may be opened.
    ASSERT_TRUE(service_->Cancel(alice_.id, first.order_no));
    MustCreate(alice_, OrderType::kRenew, FormFor(alice_, cert.serial));
    // The partial unique index holds even when the check is bypassed.
    auto tx = tdb_->db().Begin(true);
    auto dup = (*tx)->Exec(
        "INSERT INTO orders (order_no, type, state, subscriber_id, certificate_id, "
        "certificate_serial, issued_certificate_serial, form_sealed, fee_fen, created_at, "
        "updated_at, version) SELECT 'GZX', type, 'materials', subscriber_id, certificate_id, "
        "certificate_serial, '', form_sealed, fee_fen, 0, 0, 1 FROM orders WHERE "
        "state = 'draft' AND type = 'renew'");
    ASSERT_FALSE(dup);
    EXPECT_EQ(dup.error().code, ErrorCode::kAlreadyExists);
}

TEST_P(RaTest, FormValidationReportsEveryField) {
    OrderForm f;
    f.credential_type = CredentialType::kBusinessLicence;
    f.credential_number = "91350100M000100Y44";
    f.phone = "1234";
    f.id_card = "110105194912310021";
    f.email = "not-an-email";
    f.org_fax = "fax!";
    f.csr_pem = "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n";
    auto errors = ValidateForm(OrderType::kReissue, f);
    std::map<std::string, std::string> by_field;
    for (const auto& e : errors) by_field[e.field] = e.message;
    const std::map<std::string, std::string> expected = {
        {"org_name", "请填写机构名称"},
        {"legal_representative", "请填写法定代表人"},
        {"credential_number", "统一社会信用代码校验位错误"},
        {"org_fax", "机构传真格式不正确"},
        {"user_identifier", "请填写用户标识"},
        {"department", "请填写部门"},
        {"user_name", "请填写姓名"},
        {"phone", "手机号码应为11位大陆手机号"},
        {"id_card", "身份证号码校验位错误"},
        {"email", "电子邮箱格式不正确"},
        {"contact_address", "请填写联系地址"},
        {"certificate_serial", "请选择要办理的证书"},
        {"csr_pem", "证书请求（CSR）无效：格式错误、签名不正确或密钥不受支持"},
    };
    EXPECT_EQ(by_field, expected);
    EXPECT_EQ(errors.front().field, "org_name");  // field order

    OrderForm good = FormFor(alice_, "abcdef");
    EXPECT_TRUE(ValidateForm(OrderType::kRenew, good).empty());
    good.user_name = std::string(65 * 3, 'a');
    EXPECT_EQ(ValidateForm(OrderType::kRenew, good).at(0).message, "姓名不能超过128个字符");
    good.user_name = "张三\n";
    EXPECT_EQ(ValidateForm(OrderType::kRenew, good).size(), 0u);  // trailing space trimmed
    good.user_name = "张\x01三";
    EXPECT_EQ(ValidateForm(OrderType::kRenew, good).at(0).message, "姓名含有非法字符");
    good.user_name = std::string(65, 'a');
    good.csr_pem = Csr(*PrivateKey::Generate(KeyAlgorithm::kEcdsaP256));
    EXPECT_EQ(ValidateForm(OrderType::kNew, good).at(0).message, "姓名不能超过64个字符");
    good.user_name = "张三";
    EXPECT_TRUE(ValidateForm(OrderType::kNew, good).empty());
    good.csr_pem = "binary\x01";
    EXPECT_EQ(ValidateForm(OrderType::kNew, good).at(0).message, "证书请求（CSR）应为PEM格式");
    OrderForm revoke = FormFor(alice_, "abcdef");
    revoke.revocation_reason = "caCompromise";
    EXPECT_EQ(ValidateForm(OrderType::kRevoke, revoke).at(0).field, "revocation_reason");

    auto created = service_->Create(alice_.id, OrderType::kNew, f, "");
    ASSERT_FALSE(created);
    EXPECT_EQ(created.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(created.error().public_message, "请填写机构名称");
    EXPECT_EQ(Count("SELECT COUNT(*) FROM orders"), 0);
}

TEST_P(RaTest, UpdateFormKeepsMaskedIdAndCertificate) {
    auto cert = IssueOwned(alice_);
    auto order = MustCreate(alice_, OrderType::kRenew, FormFor(alice_, cert.serial));
    OrderForm f = FormFor(alice_, cert.serial);
    f.id_card = MaskIdCard(alice_.id_card_number);
    f.department = "财务部";
    auto updated = service_->UpdateForm(alice_.id, order.order_no, f);
    ASSERT_TRUE(updated) << updated.error().internal;
    EXPECT_EQ(updated->form.id_card, alice_.id_card_number);
    EXPECT_EQ(updated->form.department, "财务部");
    EXPECT_EQ(updated->state, OrderState::kDraft);
    EXPECT_EQ(service_->Get(order.order_no)->order.form.department, "财务部");

    auto other = IssueOwned(alice_);
    f.certificate_serial = other.serial;
    EXPECT_EQ(service_->UpdateForm(alice_.id, order.order_no, f).error().public_message,
              "订单创建后不能更换证书");
    f.certificate_serial = cert.serial;
    f.phone = "110";
    EXPECT_EQ(service_->UpdateForm(alice_.id, order.order_no, f).error().code,
              ErrorCode::kInvalidArgument);

    ToSubmitted(alice_, order);
    ASSERT_TRUE(PayOnline(order, alice_));
    f.phone = alice_.phone;
    auto late = service_->UpdateForm(alice_.id, order.order_no, f);
    ASSERT_FALSE(late);
    EXPECT_EQ(late.error().public_message, "订单当前状态为「审核中」，不能修改申请信息");
}

TEST_P(RaTest, StaleVersionIsRefused) {
    auto cert = IssueOwned(alice_);
    auto order = MustCreate(alice_, OrderType::kRenew, FormFor(alice_, cert.serial));
    auto stale = service_->Get(order.order_no)->order;
    // A change that keeps the state (draft) but bumps the version.
    OrderForm edited = FormFor(alice_, cert.serial);
    edited.department = "财务部";
    auto updated = service_->UpdateForm(alice_.id, order.order_no, edited);
    ASSERT_TRUE(updated);
    EXPECT_EQ(updated->state, stale.state);
    EXPECT_EQ(updated->version, stale.version + 1);

    auto tx = tdb_->db().Begin(true);
    ASSERT_TRUE(tx);
    Order after = stale;
    after.state = OrderState::kCancelled;
    detail::ChangePlan plan;
    plan.event = "cancelled";
    auto r = detail::CommitChange(**tx, vault_, stale, after, plan, {}, clock_.Now(), {});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kFailedPrecondition);
    EXPECT_EQ(r.error().public_message, "订单状态已变化，请刷新");
    tx->reset();
    EXPECT_EQ(StateOf(order.order_no), OrderState::kDraft);

    // With the current version the same write goes through.
    auto fresh = service_->Get(order.order_no)->order;
    auto tx2 = tdb_->db().Begin(true);
    after = fresh;
    after.state = OrderState::kCancelled;
    auto ok = detail::CommitChange(**tx2, vault_, fresh, after, plan, {}, clock_.Now(), {});
    ASSERT_TRUE(ok) << ok.error().internal;
    EXPECT_EQ(ok->version, fresh.version + 1);
    ASSERT_TRUE((*tx2)->Commit());
    EXPECT_EQ(StateOf(order.order_no), OrderState::kCancelled);
}

TEST_P(RaTest, HookErrorRollsBackTheChange) {
    auto cert = IssueOwned(alice_);
    MakeService(
        OrderConfig{},
        [](store::Transaction&, const Order&, OrderState, OrderState to, const Actor&) -> Status {
            if (to == OrderState::kMaterials) {
                return Fail(ErrorCode::kUnavailable, "outbox down", "通知服务暂不可用");
            }
            return Ok();
        });
    auto order = MustCreate(alice_, OrderType::kRenew, FormFor(alice_, cert.serial));
    auto printed = service_->MarkFormPrinted(alice_.id, order.order_no);
    ASSERT_FALSE(printed);
    EXPECT_EQ(printed.error().code, ErrorCode::kUnavailable);
    auto d = service_->Get(order.order_no);
    EXPECT_EQ(d->order.state, OrderState::kDraft);
    EXPECT_EQ(d->order.version, order.version);
    EXPECT_EQ(d->timeline.size(), 1u);
}

TEST_P(RaTest, NewOrderIssuesCertificateOnApproval) {
    auto key = PrivateKey::Generate(KeyAlgorithm::kEcdsaP256);
    OrderForm f = FormFor(bob_);
    f.csr_pem = Csr(*key);
    f.medium = Medium::kShield;
    auto order = MustCreate(bob_, OrderType::kNew, f);
    EXPECT_EQ(order.fee_fen, 30000);
    EXPECT_FALSE(order.certificate_id);
    order = ToSubmitted(bob_, order);
    ASSERT_TRUE(PayOnline(order, bob_));
    EXPECT_EQ(
        service_->Approve({Actor::Kind::kSubscriber, bob_.id, ""}, order.order_no, "").error().code,
        ErrorCode::kPermissionDenied);
    auto approved = service_->Approve(reviewer_, order.order_no, "");
    ASSERT_TRUE(approved) << approved.error().internal;
    ASSERT_EQ(approved->state, OrderState::kReady);
    auto cert = ca_->Find("", approved->issued_certificate_serial);
    ASSERT_TRUE(cert);
    EXPECT_EQ(cert->subject, "CN=李四,OU=信息中心,O=贵州省国资测试有限公司,C=CN");
    EXPECT_EQ(cert->profile, "sign");
    auto owned = accounts_->CertificatesOf(bob_.id);
    ASSERT_EQ(owned->size(), 1u);
    EXPECT_EQ(owned->at(0).medium, Medium::kShield);
    EXPECT_EQ(owned->at(0).serial, cert->serial);
    ASSERT_TRUE(service_->ConfirmInstalled(bob_.id, order.order_no));
    EXPECT_EQ(StateOf(order.order_no), OrderState::kCompleted);
}

TEST_P(RaTest, RevokeOrderRevokesOnApprovalAndCompletes) {
    auto cert = IssueOwned(alice_);
    OrderForm f = FormFor(alice_, cert.serial);
    f.revocation_reason = "keyCompromise";
    f.csr_pem = "ignored for revoke";
    auto order = MustCreate(alice_, OrderType::kRevoke, f);
    EXPECT_EQ(order.fee_fen, 0);
    EXPECT_TRUE(order.form.csr_pem.empty());
    order = ToSubmitted(alice_, order);
    EXPECT_EQ(order.state, OrderState::kInReview);  // nothing to pay
    ASSERT_TRUE(order.due_at);
    auto approved = service_->Approve(reviewer_, order.order_no, "同意吊销");
    ASSERT_TRUE(approved) << approved.error().internal;
    EXPECT_EQ(approved->state, OrderState::kCompleted);
    auto rec = ca_->Find("", cert.serial);
    EXPECT_EQ(rec->status, ca::CertStatus::kRevoked);
    EXPECT_EQ(rec->revocation_reason, pki::RevocationReason::kKeyCompromise);
    EXPECT_EQ(EventNames(*service_->Get(order.order_no)).back(), "revoked");
}

TEST_P(RaTest, ZeroFeeSkipsPayment) {
    OrderConfig config;
    config.fees_fen[OrderType::kRenew] = 0;
    config.review_working_days = 2;
    config.due_date = [](TimePoint t, int n) { return t + days(n) + hours(1); };
    MakeService(config);
    auto cert = IssueOwned(alice_);
    auto order =
        ToSubmitted(alice_, MustCreate(alice_, OrderType::kRenew, FormFor(alice_, cert.serial)));
    EXPECT_EQ(order.state, OrderState::kInReview);
    EXPECT_EQ(*order.due_at, clock_.Now() + days(2) + hours(1));
    EXPECT_EQ(Count("SELECT COUNT(*) FROM payments"), 0);
    EXPECT_FALSE(service_->StartOnlinePayment(alice_.id, order.order_no, "sandbox"));
}

TEST_P(RaTest, ReissueNeedsNewKeyAndSupersedes) {
    auto cert = IssueOwned(alice_, Medium::kShield);
    OrderForm f = FormFor(alice_, cert.serial);
    auto key = PrivateKey::Generate(KeyAlgorithm::kEcdsaP256);
    f.csr_pem = Csr(*key);
    auto order = ToSubmitted(alice_, MustCreate(alice_, OrderType::kReissue, f));
    ASSERT_TRUE(PayOnline(order, alice_));
    auto approved = service_->Approve(reviewer_, order.order_no, "");
    ASSERT_TRUE(approved) << approved.error().internal;
    EXPECT_EQ(approved->state, OrderState::kReady);
    EXPECT_EQ(ca_->Find("", cert.serial)->EffectiveStatus(clock_.Now()), "superseded");
    auto fresh = ca_->Find("", approved->issued_certificate_serial);
    EXPECT_EQ(fresh->not_after, cert.not_after);
    EXPECT_EQ(accounts_->CertificatesOf(alice_.id)->at(0).medium, Medium::kShield);
}

TEST_P(RaTest, FailedIssuanceStaysApprovedAndRetries) {
    auto cert = IssueOwned(alice_);
    auto order =
        ToSubmitted(alice_, MustCreate(alice_, OrderType::kRenew, FormFor(alice_, cert.serial)));
    ASSERT_TRUE(PayOnline(order, alice_));
    // Revoked behind the platform's back: the CA refuses to renew it.
    ASSERT_TRUE(ca_->Revoke("", cert.serial, pki::RevocationReason::kUnspecified));
    auto approved = service_->Approve(reviewer_, order.order_no, "");
    ASSERT_TRUE(approved) << approved.error().internal;
    EXPECT_EQ(approved->state, OrderState::kApproved);
    EXPECT_EQ(EventNames(*service_->Get(order.order_no)).back(), "issue_failed");
    auto retry = service_->IssueApproved(order.order_no);
    ASSERT_FALSE(retry);
    EXPECT_EQ(retry.error().public_message, "证书签发失败，请稍后重试");
    EXPECT_EQ(StateOf(order.order_no), OrderState::kApproved);
}

TEST_P(RaTest, RetryAdoptsCertificateIssuedBeforeACrash) {
    auto cert = IssueOwned(alice_);
    auto order =
        ToSubmitted(alice_, MustCreate(alice_, OrderType::kRenew, FormFor(alice_, cert.serial)));
    ASSERT_TRUE(PayOnline(order, alice_));
    // Simulate: the approval committed, the CA renewed, then the process died.
    {
        auto current = service_->Get(order.order_no)->order;
        auto tx = tdb_->db().Begin(true);
        Order after = current;
        after.state = OrderState::kApproved;
        detail::ChangePlan plan;
        plan.event = "approved";
        ASSERT_TRUE(
            detail::CommitChange(**tx, vault_, current, after, plan, reviewer_, clock_.Now(), {}));
        ASSERT_TRUE(
            (*tx)->Exec("UPDATE orders SET approved_at = $1, issue_started_at = $1 "
                        "WHERE id = $2",
                        {ToUnix(clock_.Now()), current.id}));
        ASSERT_TRUE((*tx)->Commit());
    }
    auto renewed = ca_->Renew("", cert.serial, {});
    ASSERT_TRUE(renewed);
    // The crashed call's claim holds for five minutes.
    auto busy = service_->IssueApproved(order.order_no);
    ASSERT_FALSE(busy);
    EXPECT_EQ(busy.error().code, ErrorCode::kUnavailable);
    clock_.Advance(minutes(6));
    auto issued = service_->IssueApproved(order.order_no);
    ASSERT_TRUE(issued) << issued.error().internal;
    EXPECT_EQ(issued->state, OrderState::kReady);
    EXPECT_EQ(issued->issued_certificate_serial, renewed->record.serial);
    EXPECT_EQ(Count("SELECT COUNT(*) FROM certificates WHERE replaces_id IS NOT NULL"), 1);
}

TEST_P(RaTest, ListsFilterAndOrder) {
    auto cert = IssueOwned(alice_);
    auto a = MustCreate(alice_, OrderType::kRenew, FormFor(alice_, cert.serial));
    clock_.Advance(minutes(1));
    OrderForm revoke = FormFor(alice_, cert.serial);
    revoke.revocation_reason = "superseded";
    auto b = MustCreate(alice_, OrderType::kRevoke, revoke);
    clock_.Advance(minutes(1));
    OrderForm n = FormFor(bob_);
    n.csr_pem = Csr(*PrivateKey::Generate(KeyAlgorithm::kEcdsaP256));
    auto c = MustCreate(bob_, OrderType::kNew, n);
    ToSubmitted(alice_, b);  // fee 0: in_review

    auto mine = service_->ListForSubscriber(alice_.id, {});
    ASSERT_TRUE(mine);
    ASSERT_EQ(mine->size(), 2u);
    EXPECT_EQ(mine->at(0).order_no, b.order_no);  // newest first
    OrderService::ListFilter renew_only;
    renew_only.type = OrderType::kRenew;
    EXPECT_EQ(service_->ListForSubscriber(alice_.id, renew_only)->size(), 1u);
    OrderService::ListFilter queue;
    queue.state = OrderState::kInReview;
    auto in_review = service_->List(queue);
    ASSERT_EQ(in_review->size(), 1u);
    EXPECT_EQ(in_review->at(0).order_no, b.order_no);
    OrderService::ListFilter by_due;
    by_due.by_due_date = true;
    auto all = service_->List(by_due);
    ASSERT_EQ(all->size(), 3u);
    EXPECT_EQ(all->at(0).order_no, b.order_no);  // the only one with a due date
    EXPECT_EQ(all->at(1).order_no, a.order_no);
    OrderService::ListFilter page;
    page.limit = 1;
    page.offset = 1;
    auto second = service_->List(page);
    ASSERT_EQ(second->size(), 1u);
    EXPECT_EQ(second->at(0).order_no, b.order_no);
    EXPECT_EQ(c.state, OrderState::kDraft);
}

TEST_P(RaTest, MaterialRulesByState) {
    auto cert = IssueOwned(alice_);
    auto order = MustCreate(alice_, OrderType::kRenew, FormFor(alice_, cert.serial));
    auto blob = store_->PutBytes(kPdf);
    auto in_draft =
        service_->PutMaterial(alice_.id, order.order_no, MaterialKind::kIdCopy, *blob, "a.pdf");
    ASSERT_FALSE(in_draft);
    EXPECT_EQ(in_draft.error().public_message,
              "订单当前状态为「待打印申请表」，不能上传联系人身份证复印件");
    ASSERT_TRUE(service_->MarkFormPrinted(alice_.id, order.order_no));
    StoredBlob forged = *blob;
    forged.sha256 = "../../etc/passwd";
    EXPECT_EQ(service_->PutMaterial(alice_.id, order.order_no, MaterialKind::kIdCopy, forged, "x")
                  .error()
                  .code,
              ErrorCode::kInvalidArgument);
    forged = *blob;
    forged.media_type = "text/html";
    EXPECT_FALSE(
        service_->PutMaterial(alice_.id, order.order_no, MaterialKind::kIdCopy, forged, "x"));
    auto m = service_->PutMaterial(alice_.id, order.order_no, MaterialKind::kIdCopy, *blob,
                                   "../../身份证\n.pdf");
    ASSERT_TRUE(m);
    EXPECT_EQ(m->original_name, "身份证.pdf");
    EXPECT_EQ(service_->Get(order.order_no)->order.state, OrderState::kMaterials);
}

TEST(OrderNamesTest, NamesLabelsStepsRoundTrip) {
    for (auto t : {OrderType::kNew, OrderType::kRenew, OrderType::kReissue, OrderType::kRevoke,
                   OrderType::kUnlock}) {
        EXPECT_EQ(*ParseOrderType(OrderTypeName(t)), t);
    }
    EXPECT_EQ(OrderTypeLabel(OrderType::kRenew), "证书延期");
    EXPECT_EQ(OrderTypeLabel(OrderType::kUnlock), "USBKey密钥");
    const std::tuple<OrderState, std::string, std::string, int> states[] = {
        {OrderState::kDraft, "draft", "待打印申请表", 2},
        {OrderState::kMaterials, "materials", "待上传资料", 3},
        {OrderState::kAwaitingPayment, "awaiting_payment", "待支付", 4},
        {OrderState::kInReview, "in_review", "审核中", 5},
        {OrderState::kApproved, "approved", "审核通过", 5},
        {OrderState::kReady, "ready", "待下载证书", 5},
        {OrderState::kCompleted, "completed", "已完成", 5},
        {OrderState::kRejected, "rejected", "已驳回", 3},
        {OrderState::kCancelled, "cancelled", "已取消", 0},
    };
    for (const auto& [s, name, label, step] : states) {
        EXPECT_EQ(OrderStateName(s), name);
        EXPECT_EQ(OrderStateLabel(s), label);
        EXPECT_EQ(StepOf(s), step);
        EXPECT_EQ(*ParseOrderState(name), s);
    }
    EXPECT_FALSE(ParseOrderState("done"));
    EXPECT_FALSE(ParseOrderType("renewal"));
    EXPECT_EQ(*ParseCredentialType("institution_licence"), CredentialType::kInstitutionLicence);
    EXPECT_EQ(CredentialTypeLabel(CredentialType::kBusinessLicence), "工商营业执照");
    EXPECT_EQ(*ParseMedium("shield"), Medium::kShield);
    EXPECT_EQ(MediumLabel(Medium::kShield), "手机盾");
    EXPECT_FALSE(ParseMedium("floppy"));
    EXPECT_EQ(OrderEventLabel("paid"), "支付成功");
    EXPECT_EQ(ReviewReasonLabel("payment_not_received"), "未收到账款");
    EXPECT_EQ(RenderActor({Actor::Kind::kOperator, 3, "x"}), "operator:3");
    EXPECT_EQ(RenderActor({}), "system");
}

INSTANTIATE_TEST_SUITE_P(BothDatabases, RaTest,
                         ::testing::Values(DbKind::kSqlite, DbKind::kPostgres),
                         [](const auto& info) { return testing::DbKindName(info.param); });

}  // namespace
}  // namespace gzca::ra
