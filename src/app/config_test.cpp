#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "app/config.h"

namespace gzca::app {
namespace {

class ConfigTest : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() /
               ("gzca_config_test_" + std::to_string(::getpid()));
        std::filesystem::create_directories(dir_);
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }
    std::filesystem::path Write(const std::string& text) {
        auto p = dir_ / "gzca.toml";
        std::ofstream(p) << text;
        return p;
    }
    std::filesystem::path dir_;
};

TEST_F(ConfigTest, DefaultsWithoutFile) {
    auto c = LoadConfig(std::nullopt, dir_);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->ca.base_url, "http://localhost:8080");
    EXPECT_EQ(c->ca.validity_years, 1);
    EXPECT_EQ(c->DatabaseUrl(), "sqlite:" + (dir_ / "gzca.db").string());
}

TEST_F(ConfigTest, ReadsValuesFromDataDirFile) {
    Write(R"(
[database]
url = "postgresql:///x"
[ca]
base_url = "http://ca.example.cn/"
policy_oids = ["1.2.156.112570.1.1"]
crl_validity_hours = 6
)");
    auto c = LoadConfig(std::nullopt, dir_);
    ASSERT_TRUE(c) << c.error().public_message;
    EXPECT_EQ(c->DatabaseUrl(), "postgresql:///x");
    EXPECT_EQ(c->ca.base_url, "http://ca.example.cn");
    ASSERT_EQ(c->ca.policy_oids.size(), 1u);
    EXPECT_EQ(c->ca.crl_validity, std::chrono::hours(6));
}

TEST_F(ConfigTest, RejectsTyposWrongTypesAndRanges) {
    const char* bad[] = {
        "[ca]\nbase_ulr = \"x\"\n",          // unknown key
        "[ca]\nvalidity_years = \"one\"\n",  // wrong type
        "[ca]\nvalidity_years = 0\n",        // out of range
        "[database]\npool_size = 0\n",       // out of range
        "[ca\n",                             // not TOML
        "[ca]\npolicy_oids = [1]\n",         // not strings
    };
    for (const char* text : bad) {
        auto p = Write(text);
        auto c = LoadConfig(p, std::nullopt);
        ASSERT_FALSE(c) << text;
        EXPECT_EQ(c.error().code, ErrorCode::kInvalidArgument) << text;
    }
}

TEST_F(ConfigTest, PlatformSection) {
    Write(R"(
[platform]
service_phone = "010-12345678"
help_lines = ["客服|400-1", "投诉|010-2"]
fees_fen = { renew = 100 }
review_working_days = 5
)");
    auto c = LoadConfig(std::nullopt, dir_);
    ASSERT_TRUE(c) << c.error().internal;
    EXPECT_EQ(c->platform.service_phone, "010-12345678");
    EXPECT_EQ(c->platform.help_lines.size(), 2u);
    EXPECT_EQ(c->platform.fees_fen.at("renew"), 100);
    EXPECT_EQ(c->platform.fees_fen.at("new"), 30000) << "unlisted fees keep their defaults";
    EXPECT_EQ(c->platform.review_working_days, 5);
    for (const char* bad :
         {"[platform]\nservice_fone = \"1\"\n", "[platform]\nfees_fen = { renwe = 1 }\n",
          "[platform]\nfees_fen = { renew = -1 }\n",
          "[platform]\nhelp_lines = [\"no separator\"]\n",
          "[platform]\nreview_working_days = 0\n"}) {
        Write(bad);
        auto r = LoadConfig(std::nullopt, dir_);
        EXPECT_FALSE(r) << bad;
        if (!r) {
            EXPECT_NE(r.error().internal.find("platform."), std::string::npos) << bad;
        }
    }
}

TEST_F(ConfigTest, NamedFileMustExist) {
    auto c = LoadConfig(dir_ / "absent.toml", std::nullopt);
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace gzca::app
