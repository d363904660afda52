#include <gtest/gtest.h>

#include "base/bytes.h"
#include "notify/outbox.h"
#include "notify/templates.h"
#include "testing/fixtures.h"

namespace gzca::notify {
namespace {

using testing::DbKind;

ra::PiiVault TestVault() {
    Bytes key(64);
    for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<std::uint8_t>(i * 7 + 1);
    return ra::PiiVault::FromKeyMaterial(key);
}

class OutboxTest : public ::testing::TestWithParam<DbKind> {
  protected:
    void SetUp() override {
        auto db = testing::TestDatabase::Create(GetParam());
        ASSERT_TRUE(db) << db.error().internal;
        db_ = std::move(*db);
    }
    Status Enqueue(const OutgoingMessage& m) {
        GZCA_ASSIGN_OR_RETURN(auto tx, db_->db().Begin());
        GZCA_TRY_STATUS(outbox_.Enqueue(*tx, m));
        return tx->Commit();
    }

    std::unique_ptr<testing::TestDatabase> db_;
    ra::PiiVault vault_ = TestVault();
    ManualClock clock_{FromUnix(1'790'000'000)};
    Outbox outbox_{vault_, clock_};
};

TEST_P(OutboxTest, SameIdempotencyKeyStoresOneMessage) {
    OutgoingMessage m{"login-code:1", Channel::kSms, "login_code", "13800138000", "code 123456"};
    ASSERT_TRUE(Enqueue(m));
    m.body = "a different body";
    ASSERT_TRUE(Enqueue(m)) << "a repeated key is not an error";
    auto all = outbox_.List(db_->db(), {});
    ASSERT_TRUE(all) << all.error().internal;
    ASSERT_EQ(all->size(), 1u);
    EXPECT_EQ((*all)[0].body, "code 123456") << "the first message stands";
    EXPECT_EQ((*all)[0].recipient, "13800138000");
    EXPECT_EQ((*all)[0].recipient_masked, "138****8000");
    EXPECT_EQ((*all)[0].state, "pending");
}

TEST_P(OutboxTest, ListFiltersByRecipientAndTemplate) {
    ASSERT_TRUE(Enqueue({"k1", Channel::kSms, "login_code", "13800138000", "one"}));
    ASSERT_TRUE(Enqueue({"k2", Channel::kSms, "login_code", "13900139000", "two"}));
    ASSERT_TRUE(Enqueue({"k3", Channel::kEmail, "other", "zhang@example.com", "three"}));
    Outbox::Filter f;
    f.recipient = "13900139000";
    auto mine = outbox_.List(db_->db(), f);
    ASSERT_TRUE(mine);
    ASSERT_EQ(mine->size(), 1u);
    EXPECT_EQ((*mine)[0].body, "two");
    Outbox::Filter t;
    t.template_name = "login_code";
    auto codes = outbox_.List(db_->db(), t);
    ASSERT_TRUE(codes);
    ASSERT_EQ(codes->size(), 2u);
    EXPECT_EQ((*codes)[0].body, "two") << "newest first";
    auto all = outbox_.List(db_->db(), {});
    ASSERT_TRUE(all);
    EXPECT_EQ((*all)[0].recipient_masked, "z***@example.com");
}

TEST_P(OutboxTest, RecipientAndBodyAreNotStoredInTheClear) {
    ASSERT_TRUE(Enqueue({"k1", Channel::kSms, "login_code", "13800138000", "验证码 654321"}));
    auto tx = db_->db().Begin(false);
    ASSERT_TRUE(tx);
    auto rows = (*tx)->Query("SELECT recipient_sealed, body_sealed, recipient_masked FROM outbox");
    ASSERT_TRUE(rows);
    ASSERT_EQ(rows->size(), 1u);
    for (int col : {0, 1}) {
        const Bytes& b = (*rows)[0].Blob(col);
        std::string raw(b.begin(), b.end());
        EXPECT_EQ(raw.find("13800138000"), std::string::npos);
        EXPECT_EQ(raw.find("654321"), std::string::npos);
    }
}

TEST_P(OutboxTest, IncompleteMessagesAreRefused) {
    EXPECT_FALSE(Enqueue({"", Channel::kSms, "t", "13800138000", "b"}));
    EXPECT_FALSE(Enqueue({"k", Channel::kSms, "t", "", "b"}));
    EXPECT_FALSE(Enqueue({"k", Channel::kSms, "t", "13800138000", ""}));
}

INSTANTIATE_TEST_SUITE_P(Db, OutboxTest, ::testing::Values(DbKind::kSqlite, DbKind::kPostgres),
                         [](const auto& info) { return testing::DbKindName(info.param); });

TEST(Templates, RendersPlaceholdersAndRefusesHoles) {
    auto text = DefaultTemplate("login_code");
    ASSERT_TRUE(text);
    auto out = RenderTemplate(*text, {{"code", "123456"}, {"minutes", "5"}});
    ASSERT_TRUE(out);
    EXPECT_NE(out->find("123456"), std::string::npos);
    EXPECT_NE(out->find("5分钟"), std::string::npos);
    EXPECT_EQ(out->find('{'), std::string::npos);
    auto hole = RenderTemplate(*text, {{"code", "1"}});
    ASSERT_FALSE(hole);
    EXPECT_NE(hole.error().public_message.find("minutes"), std::string::npos);
    EXPECT_EQ(*RenderTemplate("{{literal}} {x}", {{"x", "1"}}), "{literal} 1");
    EXPECT_FALSE(RenderTemplate("{open", {}));
    EXPECT_FALSE(DefaultTemplate("no_such_template"));
}

}  // namespace
}  // namespace gzca::notify
