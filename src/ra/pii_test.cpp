// PiiVault: AES-256-GCM sealing and blind indexes (DESIGN.md §7).
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <filesystem>
#include <stdexcept>

#include "crypto/signer.h"
#include "ra/pii.h"
#include "testing/fixtures.h"

namespace gzca::ra {
namespace {

PiiVault TestVault(std::uint8_t fill = 7) { return PiiVault::FromKeyMaterial(Bytes(64, fill)); }

TEST(PiiVaultTest, SealOpenRoundTripWithFreshNonces) {
    auto vault = TestVault();
    for (std::string plain : {std::string(), std::string("11010519491231002X"),
                              std::string(10000, 'x'), std::string("张三 13812345678")}) {
        Bytes a = vault.Seal(plain, "subscribers.id_card");
        Bytes b = vault.Seal(plain, "subscribers.id_card");
        EXPECT_NE(a, b) << "nonce reused";
        EXPECT_EQ(a.size(), 1 + 12 + plain.size() + 16);
        EXPECT_EQ(a[0], 0x01);
        auto opened = vault.Open(a, "subscribers.id_card");
        ASSERT_TRUE(opened) << opened.error().internal;
        EXPECT_EQ(*opened, plain);
    }
}

TEST(PiiVaultTest, WrongContextKeyOrTamperingFails) {
    auto vault = TestVault();
    Bytes sealed = vault.Seal("13812345678", "subscribers.phone");
    auto wrong_context = vault.Open(sealed, "subscribers.id_card");
    ASSERT_FALSE(wrong_context);
    EXPECT_EQ(wrong_context.error().code, ErrorCode::kInternal);
    EXPECT_EQ(wrong_context.error().public_message, "数据解密失败");
    EXPECT_FALSE(TestVault(8).Open(sealed, "subscribers.phone"));
    for (std::size_t i = 0; i < sealed.size(); ++i) {
        Bytes tampered = sealed;
        tampered[i] ^= 0x01;
        EXPECT_FALSE(vault.Open(tampered, "subscribers.phone")) << "byte " << i;
    }
    EXPECT_FALSE(vault.Open(Bytes(sealed.begin(), sealed.begin() + 28), "subscribers.phone"));
    EXPECT_FALSE(vault.Open(Bytes{}, "subscribers.phone"));
}

TEST(PiiVaultTest, BlindIndexIsKeyedAndContextBound) {
    auto vault = TestVault();
    auto a = vault.BlindIndex("13812345678", "subscribers.phone");
    EXPECT_EQ(a.size(), 64u);
    EXPECT_EQ(a, vault.BlindIndex("13812345678", "subscribers.phone"));
    EXPECT_NE(a, vault.BlindIndex("13812345679", "subscribers.phone"));
    EXPECT_NE(a, vault.BlindIndex("13812345678", "subscribers.id_card"));
    // The index key is the second half of the material: changing only the first half (the
    // encryption key) keeps indexes, changing the second half changes them.
    Bytes key(64, 7);
    key[0] = 9;
    EXPECT_EQ(PiiVault::FromKeyMaterial(key).BlindIndex("13812345678", "subscribers.phone"), a);
    key[40] = 9;
    EXPECT_NE(PiiVault::FromKeyMaterial(key).BlindIndex("13812345678", "subscribers.phone"), a);
}

TEST(PiiVaultTest, KeyMaterialMustBe64Bytes) {
    EXPECT_THROW(PiiVault::FromKeyMaterial(Bytes(32, 1)), std::invalid_argument);
    EXPECT_THROW(PiiVault::FromKeyMaterial(Bytes(65, 1)), std::invalid_argument);
}

TEST(PiiVaultTest, KeyFileCreatedPrivateAndReloaded) {
    auto dir = testing::MakeTempDir("gzca_pii_test_");
    auto file = dir / "secrets" / "pii.key";
    auto first = PiiVault::LoadOrCreate(file);
    ASSERT_TRUE(first) << first.error().internal;
    struct stat st {};
    ASSERT_EQ(::stat(file.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    EXPECT_EQ(st.st_size, 64);
    // No temporary files left next to it.
    std::size_t entries = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(file.parent_path())) {
        ++entries;
    }
    EXPECT_EQ(entries, 1u);

    auto second = PiiVault::LoadOrCreate(file);
    ASSERT_TRUE(second);
    EXPECT_EQ(first->BlindIndex("13812345678", "subscribers.phone"),
              second->BlindIndex("13812345678", "subscribers.phone"));
    auto opened = second->Open(first->Seal("secret", "c"), "c");
    ASSERT_TRUE(opened);
    EXPECT_EQ(*opened, "secret");

    // A file of the wrong size is refused, never overwritten.
    auto bad = dir / "short.key";
    ASSERT_TRUE(WriteFileAtomic(bad, Bytes(32, 1), 0600));
    auto refused = PiiVault::LoadOrCreate(bad);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(std::filesystem::file_size(bad), 32u);

    // I/O errors are kUnavailable: a directory where the file should be.
    std::filesystem::create_directory(dir / "isdir.key");
    auto io = PiiVault::LoadOrCreate(dir / "isdir.key");
    ASSERT_FALSE(io);
    EXPECT_EQ(io.error().code, ErrorCode::kUnavailable);
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace gzca::ra
