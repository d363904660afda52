// MaterialStore: sniffing by content, content addressing, limits, path tricks.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <fstream>

#include "ra/materials.h"
#include "testing/fixtures.h"

namespace gzca::ra {
namespace {

Bytes FromString(std::string_view s) { return Bytes(s.begin(), s.end()); }

const Bytes kPdf = FromString("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n");
const Bytes kPng = {0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A,
                    0,    0,    0,    13,   'I',  'H',  'D',  'R'};
const Bytes kJpeg = {0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0x00};

class MaterialStoreTest : public ::testing::Test {
  protected:
    void SetUp() override { dir_ = testing::MakeTempDir("gzca_materials_test_"); }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    std::size_t FilesIn(const std::filesystem::path& d) {
        std::size_t n = 0;
        if (!std::filesystem::exists(d)) return 0;
        for (const auto& e : std::filesystem::recursive_directory_iterator(d)) {
            if (e.is_regular_file()) ++n;
        }
        return n;
    }

    std::filesystem::path dir_;
};

TEST(SniffTest, JudgesByContent) {
    const std::pair<Bytes, std::optional<std::string>> cases[] = {
        {kPdf, "application/pdf"},
        {kPng, "image/png"},
        {kJpeg, "image/jpeg"},
        {FromString("MZ\x90\x00\x03"), std::nullopt},  // a Windows .exe
        {FromString("<!DOCTYPE html><html>"), std::nullopt},
        {FromString("%PD"), std::nullopt},  // truncated signature
        {Bytes{0x89, 0x50, 0x4E, 0x47}, std::nullopt},
        {Bytes{}, std::nullopt},
    };
    for (const auto& [bytes, expected] : cases) {
        EXPECT_EQ(SniffMediaType(bytes), expected) << AsString(bytes);
    }
}

TEST(MaterialKindTest, NamesLabelsParse) {
    for (auto k : {MaterialKind::kApplicationForm, MaterialKind::kBusinessLicence,
                   MaterialKind::kIdCopy, MaterialKind::kPaymentVoucher}) {
        EXPECT_EQ(*ParseMaterialKind(MaterialKindName(k)), k);
    }
    EXPECT_EQ(MaterialKindLabel(MaterialKind::kIdCopy), "联系人身份证复印件");
    EXPECT_FALSE(ParseMaterialKind("passport"));
    EXPECT_FALSE(IsRequiredMaterial(MaterialKind::kPaymentVoucher));
    EXPECT_TRUE(IsRequiredMaterial(MaterialKind::kBusinessLicence));
}

TEST_F(MaterialStoreTest, StoresContentAddressedPrivateAndOnce) {
    MaterialStore store(dir_ / "materials");
    auto a = store.PutBytes(kPdf);
    ASSERT_TRUE(a) << a.error().internal;
    EXPECT_EQ(a->media_type, "application/pdf");
    EXPECT_EQ(a->size, static_cast<std::int64_t>(kPdf.size()));
    EXPECT_EQ(a->sha256.size(), 64u);
    auto path = store.PathOf(a->sha256);
    ASSERT_TRUE(path);
    EXPECT_EQ(*path, dir_ / "materials" / a->sha256.substr(0, 2) / a->sha256);
    EXPECT_EQ(*ReadFile(*path), kPdf);
    struct stat st {};
    ASSERT_EQ(::stat(path->c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);

    auto again = store.PutBytes(kPdf);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->sha256, a->sha256);
    auto png = store.PutBytes(kPng);
    auto jpeg = store.PutBytes(kJpeg);
    ASSERT_TRUE(png && jpeg);
    EXPECT_EQ(png->media_type, "image/png");
    EXPECT_EQ(jpeg->media_type, "image/jpeg");
    EXPECT_EQ(FilesIn(dir_ / "materials"), 3u);  // dedupe, and nothing left in tmp/
    EXPECT_EQ(FilesIn(dir_ / "materials" / "tmp"), 0u);
}

TEST_F(MaterialStoreTest, AdoptsStreamedTempFile) {
    MaterialStore store(dir_ / "m");
    auto tmp = store.TempPath();
    EXPECT_EQ(tmp.parent_path(), dir_ / "m" / "tmp");
    EXPECT_NE(tmp, store.TempPath());
    {
        std::ofstream out(tmp, std::ios::binary);
        Bytes big = kJpeg;
        big.resize(300 * 1024, 0x42);  // several read chunks
        out.write(reinterpret_cast<const char*>(big.data()),
                  static_cast<std::streamsize>(big.size()));
    }
    auto blob = store.AdoptTempFile(tmp);
    ASSERT_TRUE(blob) << blob.error().internal;
    EXPECT_EQ(blob->size, 300 * 1024);
    EXPECT_EQ(blob->media_type, "image/jpeg");
    EXPECT_FALSE(std::filesystem::exists(tmp));
    EXPECT_TRUE(store.PathOf(blob->sha256));

    // A file elsewhere is copied in, then removed.
    auto outside = dir_ / "outside.pdf";
    ASSERT_TRUE(WriteFileAtomic(outside, kPdf));
    auto adopted = store.AdoptTempFile(outside);
    ASSERT_TRUE(adopted) << adopted.error().internal;
    EXPECT_FALSE(std::filesystem::exists(outside));
    EXPECT_EQ(FilesIn(dir_ / "m" / "tmp"), 0u);
}

TEST_F(MaterialStoreTest, RefusesBadContentAndRemovesTemp) {
    MaterialStore store(dir_ / "m");
    struct Case {
        Bytes data;
        ErrorCode code;
        std::string message;
    };
    Bytes over = kPdf;
    over.resize(kMaxMaterialBytes + 1, ' ');
    const Case cases[] = {
        {Bytes{}, ErrorCode::kInvalidArgument, "文件为空"},
        {FromString("MZ\x90\x00 this program cannot be run in DOS mode"),
         ErrorCode::kInvalidArgument, "文件类型不支持，请上传 PDF、JPG 或 PNG"},
        {FromString("<html><script>alert(1)</script></html>"), ErrorCode::kInvalidArgument,
         "文件类型不支持，请上传 PDF、JPG 或 PNG"},
        {over, ErrorCode::kResourceExhausted, "文件大小不能超过10MB"},
    };
    for (const auto& c : cases) {
        auto direct = store.PutBytes(c.data);
        ASSERT_FALSE(direct);
        EXPECT_EQ(direct.error().code, c.code);
        EXPECT_EQ(direct.error().public_message, c.message);

        auto tmp = store.TempPath();
        {
            std::ofstream out(tmp, std::ios::binary);
            out.write(reinterpret_cast<const char*>(c.data.data()),
                      static_cast<std::streamsize>(c.data.size()));
        }
        auto adopted = store.AdoptTempFile(tmp);
        ASSERT_FALSE(adopted);
        EXPECT_EQ(adopted.error().code, c.code);
        EXPECT_FALSE(std::filesystem::exists(tmp)) << c.message;
    }
    EXPECT_EQ(FilesIn(dir_ / "m"), 0u);
    auto missing = store.AdoptTempFile(dir_ / "m" / "tmp" / "nope");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

TEST_F(MaterialStoreTest, PathOfRefusesPathTricks) {
    MaterialStore store(dir_ / "m");
    auto blob = store.PutBytes(kPng);
    ASSERT_TRUE(blob);
    std::string upper = blob->sha256;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    for (std::string bad : {std::string("../x"), std::string("../../etc/passwd"), std::string(""),
                            std::string(64, '.'), std::string(63, 'a') + "/",
                            blob->sha256.substr(0, 63), blob->sha256 + "0", upper}) {
        auto p = store.PathOf(bad);
        ASSERT_FALSE(p) << bad;
        EXPECT_EQ(p.error().code, ErrorCode::kInvalidArgument) << bad;
    }
    auto absent = store.PathOf(std::string(64, 'a'));
    ASSERT_FALSE(absent);
    EXPECT_EQ(absent.error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace gzca::ra
