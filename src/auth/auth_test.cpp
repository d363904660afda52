#include <regex>

#include <gtest/gtest.h>

#include "auth/session_store.h"
#include "auth/sms_login.h"
#include "base/bytes.h"
#include "testing/fixtures.h"

namespace gzca::auth {
namespace {

using testing::DbKind;
using namespace std::chrono_literals;

ra::PiiVault TestVault() {
    Bytes key(64);
    for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<std::uint8_t>(i * 13 + 5);
    return ra::PiiVault::FromKeyMaterial(key);
}

class AuthTest : public ::testing::TestWithParam<DbKind> {
  protected:
    void SetUp() override {
        auto db = testing::TestDatabase::Create(GetParam());
        ASSERT_TRUE(db) << db.error().internal;
        db_ = std::move(*db);
        accounts_ = std::make_unique<ra::AccountRepository>(db_->db(), vault_, clock_);
        sessions_ = std::make_unique<SessionStore>(db_->db(), clock_);
        login_ = std::make_unique<SmsLogin>(db_->db(), vault_, *accounts_, outbox_, clock_);
        ra::Organisation org;
        org.name = "国资测试机构";
        org.legal_representative = "李四";
        org.credential_number = "91350100M000100Y43";
        auto stored = accounts_->UpsertOrganisation(org);
        ASSERT_TRUE(stored) << stored.error().internal;
        ra::Subscriber s;
        s.organisation_id = stored->id;
        s.user_identifier = "U0001";
        s.name = "张三";
        s.phone = kPhone;
        s.id_card_number = "11010519491231002X";
        s.department = "信息中心";
        s.contact_address = "北京市西城区";
        auto sub = accounts_->CreateSubscriber(s);
        ASSERT_TRUE(sub) << sub.error().internal;
        subscriber_id_ = sub->id;
    }

    // A new captcha and its answer, read back as an operator's tool would.
    std::pair<std::string, std::string> Captcha() {
        auto c = login_->NewCaptcha();
        EXPECT_TRUE(c) << c.error().internal;
        EXPECT_TRUE(c->png.size() > 8 && c->png[1] == 'P') << "a PNG image";
        auto answer = login_->RevealCaptchaAnswer(c->id);
        EXPECT_TRUE(answer);
        EXPECT_EQ(answer->size(), 5u);
        return {c->id, *answer};
    }
    // Tests type the captcha as "abcde": plant that answer.
    std::string KnownCaptcha() {
        auto [id, answer] = Captcha();
        auto tx = db_->db().Begin();
        EXPECT_TRUE(tx);
        EXPECT_TRUE((*tx)->Exec("UPDATE captchas SET answer_sealed = $1 WHERE id = $2",
                                {vault_.Seal("abcde", "captchas.answer:" + id), id}));
        EXPECT_TRUE((*tx)->Commit());
        return id;
    }

    // The code of the newest login SMS to `phone`, read from the outbox as an operator would.
    std::string LastCode(const std::string& phone) {
        notify::Outbox::Filter f;
        f.recipient = phone;
        auto messages = outbox_.List(db_->db(), f);
        EXPECT_TRUE(messages);
        if (!messages || messages->empty()) return "";
        std::smatch m;
        const std::string body = (*messages)[0].body;
        EXPECT_TRUE(std::regex_search(body, m, std::regex("(\\d{6})")));
        return m[1];
    }

    static constexpr const char* kPhone = "13800138000";
    std::unique_ptr<testing::TestDatabase> db_;
    ra::PiiVault vault_ = TestVault();
    ManualClock clock_{FromUnix(1'790'000'000)};
    notify::Outbox outbox_{vault_, clock_};
    std::unique_ptr<ra::AccountRepository> accounts_;
    std::unique_ptr<SessionStore> sessions_;
    std::unique_ptr<SmsLogin> login_;
    std::int64_t subscriber_id_ = 0;
};

TEST_P(AuthTest, AnonymousSessionCarriesACsrfTokenAndOnlyItsHashIsStored) {
    auto issued = sessions_->CreateAnonymous(SessionKind::kSubscriber, "127.0.0.1");
    ASSERT_TRUE(issued);
    EXPECT_EQ(issued->cookie_value.size(), 64u);
    EXPECT_FALSE(issued->session.logged_in());
    auto found = sessions_->Find(issued->cookie_value);
    ASSERT_TRUE(found && *found);
    EXPECT_EQ((*found)->csrf_token, issued->session.csrf_token);
    EXPECT_TRUE(CsrfTokenMatches(**found, issued->session.csrf_token));
    EXPECT_FALSE(CsrfTokenMatches(**found, std::string(64, '0')));
    EXPECT_FALSE(CsrfTokenMatches(**found, std::nullopt));
    EXPECT_FALSE(CsrfTokenMatches(**found, ""));
    auto tx = db_->db().Begin(false);
    ASSERT_TRUE(tx);
    auto n = (*tx)->QueryOne("SELECT COUNT(*) FROM sessions WHERE id_sha256 = $1",
                             {issued->cookie_value});
    ASSERT_TRUE(n && *n);
    EXPECT_EQ((*n)->Int(0), 0) << "the cookie value itself is never stored";
}

TEST_P(AuthTest, SessionsEndWhenIdleOrPastTheirAbsoluteEnd) {
    auto a = sessions_->CreateAnonymous(SessionKind::kSubscriber, "127.0.0.1");
    ASSERT_TRUE(a);
    clock_.Advance(29min);
    auto still = sessions_->Find(a->cookie_value);
    ASSERT_TRUE(still && *still) << "used within the idle timeout";
    clock_.Advance(29min);
    ASSERT_TRUE(*sessions_->Find(a->cookie_value)) << "the use above reset the idle clock";
    clock_.Advance(31min);
    EXPECT_FALSE(*sessions_->Find(a->cookie_value)) << "idle for 31 minutes";

    auto b = sessions_->CreateAnonymous(SessionKind::kSubscriber, "127.0.0.1");
    ASSERT_TRUE(b);
    for (int i = 0; i < 25; ++i) {  // used every 29 minutes for 12 hours and more
        clock_.Advance(29min);
        if (i < 24) {
            ASSERT_TRUE(*sessions_->Find(b->cookie_value)) << i;
        }
    }
    EXPECT_FALSE(*sessions_->Find(b->cookie_value)) << "past the absolute 12 hours";
    EXPECT_FALSE(*sessions_->Find("not-hex")) << "malformed values are simply unknown";
    EXPECT_FALSE(*sessions_->Find(std::string(64, 'a')));
}

TEST_P(AuthTest, LoginRotatesTheSessionIdAndLogoutEndsIt) {
    auto anon = sessions_->CreateAnonymous(SessionKind::kSubscriber, "127.0.0.1");
    ASSERT_TRUE(anon);
    auto logged = sessions_->Rotate(anon->cookie_value, SessionKind::kSubscriber, subscriber_id_,
                                    "127.0.0.1");
    ASSERT_TRUE(logged);
    EXPECT_NE(logged->cookie_value, anon->cookie_value);
    EXPECT_NE(logged->session.csrf_token, anon->session.csrf_token);
    EXPECT_FALSE(*sessions_->Find(anon->cookie_value)) << "the pre-login id is dead (fixation)";
    auto found = sessions_->Find(logged->cookie_value);
    ASSERT_TRUE(found && *found);
    EXPECT_EQ((*found)->principal_id, subscriber_id_);
    ASSERT_TRUE(sessions_->Destroy(logged->cookie_value));
    EXPECT_FALSE(*sessions_->Find(logged->cookie_value));
}

TEST_P(AuthTest, SmsLoginWithCaptchaAndCodeFromTheOutbox) {
    std::string captcha = KnownCaptcha();
    auto sent = login_->SendCode(kPhone, captcha, " ABCDE ", "10.0.0.1");
    ASSERT_TRUE(sent) << sent.error().error.internal;
    const std::string code = LastCode(kPhone);
    ASSERT_EQ(code.size(), 6u);
    auto who = login_->VerifyCode(kPhone, code);
    ASSERT_TRUE(who) << who.error().error.public_message;
    EXPECT_EQ(who->id, subscriber_id_);
    auto again = login_->VerifyCode(kPhone, code);
    ASSERT_FALSE(again) << "a code logs in once";
    EXPECT_EQ(again.error().kind, LoginFailure::Kind::kCodeExpired);
}

TEST_P(AuthTest, TheRenderedCaptchaAnswerIsAcceptedInAnyCase) {
    auto [id, answer] = Captcha();
    std::string upper = answer;
    for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    ASSERT_TRUE(login_->SendCode(kPhone, id, upper, "10.0.0.1"));
    auto [id2, answer2] = Captcha();
    auto moved = login_->SendCode("13900001111", id2, answer, "10.0.0.1");
    EXPECT_TRUE(!moved || answer == answer2) << "one captcha's answer does not open another";
}

TEST_P(AuthTest, CaptchaIsSingleUseAndExpires) {
    std::string captcha = KnownCaptcha();
    auto wrong = login_->SendCode(kPhone, captcha, "xxxxx", "10.0.0.1");
    ASSERT_FALSE(wrong);
    EXPECT_EQ(wrong.error().kind, LoginFailure::Kind::kCaptchaInvalid);
    auto reuse = login_->SendCode(kPhone, captcha, "abcde", "10.0.0.1");
    ASSERT_FALSE(reuse) << "a wrong guess spends the captcha";
    EXPECT_EQ(reuse.error().kind, LoginFailure::Kind::kCaptchaInvalid);

    std::string old = KnownCaptcha();
    clock_.Advance(121s);
    auto expired = login_->SendCode(kPhone, old, "abcde", "10.0.0.1");
    ASSERT_FALSE(expired);
    EXPECT_EQ(expired.error().kind, LoginFailure::Kind::kCaptchaInvalid);
    notify::Outbox::Filter f;
    EXPECT_TRUE(outbox_.List(db_->db(), f)->empty()) << "no SMS without a right captcha";
}

TEST_P(AuthTest, OneCodePerMinuteAndDailyCaps) {
    ASSERT_TRUE(login_->SendCode(kPhone, KnownCaptcha(), "abcde", "10.0.0.1"));
    auto soon = login_->SendCode(kPhone, KnownCaptcha(), "abcde", "10.0.0.1");
    ASSERT_FALSE(soon);
    EXPECT_EQ(soon.error().kind, LoginFailure::Kind::kRateLimited);
    EXPECT_GT(soon.error().retry_after.count(), 0);
    EXPECT_LE(soon.error().retry_after.count(), 60);
    for (int i = 1; i < 10; ++i) {
        clock_.Advance(61s);
        ASSERT_TRUE(login_->SendCode(kPhone, KnownCaptcha(), "abcde", "10.0.0.1")) << i;
    }
    clock_.Advance(61s);
    auto capped = login_->SendCode(kPhone, KnownCaptcha(), "abcde", "10.0.0.1");
    ASSERT_FALSE(capped) << "10 codes a day per phone";
    EXPECT_EQ(capped.error().kind, LoginFailure::Kind::kRateLimited);
    clock_.Advance(24h);
    EXPECT_TRUE(login_->SendCode(kPhone, KnownCaptcha(), "abcde", "10.0.0.1"))
        << "a day later the cap is lifted";

    // Per address: many phones from one address.
    SmsLogin strict(db_->db(), vault_, *accounts_, outbox_, clock_,
                    LoginPolicy{.daily_codes_per_address = 3});
    for (int i = 0; i < 3; ++i) {
        ASSERT_TRUE(
            strict.SendCode("1390000000" + std::to_string(i), KnownCaptcha(), "abcde", "10.9.9.9"));
    }
    auto flood = strict.SendCode("13900000009", KnownCaptcha(), "abcde", "10.9.9.9");
    ASSERT_FALSE(flood);
    EXPECT_EQ(flood.error().kind, LoginFailure::Kind::kRateLimited);
}

TEST_P(AuthTest, WrongCodesCountDownThenTheCodeIsDead) {
    ASSERT_TRUE(login_->SendCode(kPhone, KnownCaptcha(), "abcde", "10.0.0.1"));
    const std::string code = LastCode(kPhone);
    const std::string wrong = code == "000000" ? "111111" : "000000";
    for (int left = 4; left >= 1; --left) {
        auto r = login_->VerifyCode(kPhone, wrong);
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().kind, LoginFailure::Kind::kCodeInvalid);
        EXPECT_EQ(r.error().attempts_left, left);
    }
    auto fifth = login_->VerifyCode(kPhone, wrong);
    ASSERT_FALSE(fifth);
    EXPECT_EQ(fifth.error().kind, LoginFailure::Kind::kCodeExpired);
    auto right_too_late = login_->VerifyCode(kPhone, code);
    ASSERT_FALSE(right_too_late) << "after 5 wrong attempts even the right code fails";
    EXPECT_EQ(right_too_late.error().kind, LoginFailure::Kind::kCodeExpired);
}

TEST_P(AuthTest, CodesExpireAfterFiveMinutes) {
    ASSERT_TRUE(login_->SendCode(kPhone, KnownCaptcha(), "abcde", "10.0.0.1"));
    const std::string code = LastCode(kPhone);
    clock_.Advance(301s);
    auto r = login_->VerifyCode(kPhone, code);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, LoginFailure::Kind::kCodeExpired);
}

TEST_P(AuthTest, UnknownPhonesGetTheSameAnswersUntilTheCodeIsRight) {
    const std::string stranger = "13912345678";
    auto sent = login_->SendCode(stranger, KnownCaptcha(), "abcde", "10.0.0.1");
    ASSERT_TRUE(sent) << "no oracle: the same answer as for a known phone";
    auto wrong = login_->VerifyCode(stranger, "000001");
    ASSERT_FALSE(wrong);
    EXPECT_EQ(wrong.error().kind, LoginFailure::Kind::kCodeInvalid);
    EXPECT_EQ(wrong.error().attempts_left, 4);
    auto right = login_->VerifyCode(stranger, LastCode(stranger));
    ASSERT_FALSE(right);
    EXPECT_EQ(right.error().kind, LoginFailure::Kind::kNoAccount);
    EXPECT_NE(right.error().error.public_message.find("开通"), std::string::npos);
}

TEST_P(AuthTest, BadPhonesAndCodesAreRefusedPlainly) {
    auto bad = login_->SendCode("12345", KnownCaptcha(), "abcde", "10.0.0.1");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().kind, LoginFailure::Kind::kInvalidPhone);
    ASSERT_TRUE(login_->SendCode(kPhone, KnownCaptcha(), "abcde", "10.0.0.1"));
    auto letters = login_->VerifyCode(kPhone, "12ab56");
    ASSERT_FALSE(letters);
    EXPECT_EQ(letters.error().kind, LoginFailure::Kind::kCodeInvalid);
}

TEST_P(AuthTest, CodesAreNotStoredInTheClear) {
    ASSERT_TRUE(login_->SendCode(kPhone, KnownCaptcha(), "abcde", "10.0.0.1"));
    const std::string code = LastCode(kPhone);
    auto tx = db_->db().Begin(false);
    ASSERT_TRUE(tx);
    auto rows = (*tx)->Query("SELECT code_mac, phone_index FROM login_codes");
    ASSERT_TRUE(rows);
    ASSERT_EQ(rows->size(), 1u);
    EXPECT_EQ((*rows)[0].Text(0).find(code), std::string::npos);
    EXPECT_EQ((*rows)[0].Text(1).find(kPhone), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Db, AuthTest, ::testing::Values(DbKind::kSqlite, DbKind::kPostgres),
                         [](const auto& info) { return testing::DbKindName(info.param); });

}  // namespace
}  // namespace gzca::auth
