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

TEST_F(ConfigTest, NamedFileMustExist) {
    auto c = LoadConfig(dir_ / "absent.toml", std::nullopt);
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace gzca::app
