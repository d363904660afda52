// Tests for the sheet module. CSV inputs are literals (GBK ones made from them with glibc iconv);
// XLSX packages are built here with libzip from hand-written SpreadsheetML parts (ECMA-376
// Part 1 §18), with python3's zipfile as a second, streaming zip writer, and with LibreOffice
// when it happens to be installed.

#include <gtest/gtest.h>
#include <iconv.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zip.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "base/bytes.h"
#include "sheet/internal.h"
#include "sheet/table.h"

namespace gzca::sheet {
namespace {

namespace fs = std::filesystem;
using Rows = std::vector<std::vector<std::string>>;

// ---------------------------------------------------------------------------------------------
// Helpers

const fs::path& TmpDir() {
    static const fs::path dir = [] {
        fs::path d = fs::temp_directory_path() / fmt::format("gzca_sheet_test_{}", ::getpid());
        fs::create_directories(d);
        return d;
    }();
    return dir;
}

struct TmpDirCleanup {
    ~TmpDirCleanup() {
        std::error_code ec;
        fs::remove_all(fs::temp_directory_path() / fmt::format("gzca_sheet_test_{}", ::getpid()),
                       ec);
    }
} tmp_dir_cleanup;

Bytes ToBytes(std::string_view s) { return Bytes(s.begin(), s.end()); }

Bytes ReadWhole(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ToBytes(ss.str());
}

bool Contains(std::string_view haystack, std::string_view needle) {
    return haystack.find(needle) != std::string_view::npos;
}

// UTF-8 → GBK with glibc iconv, as Excel on Chinese Windows writes CSV.
Bytes ToGbk(std::string_view utf8) {
    iconv_t cd = iconv_open("GBK", "UTF-8");
    EXPECT_NE(cd, reinterpret_cast<iconv_t>(-1));
    std::string out(utf8.size() * 2 + 8, '\0');
    char* in_ptr = const_cast<char*>(utf8.data());
    std::size_t in_left = utf8.size();
    char* out_ptr = out.data();
    std::size_t out_left = out.size();
    std::size_t rc = iconv(cd, &in_ptr, &in_left, &out_ptr, &out_left);
    EXPECT_NE(rc, static_cast<std::size_t>(-1));
    iconv_close(cd);
    out.resize(out.size() - out_left);
    return ToBytes(out);
}

// Expects a kInvalidArgument whose public message contains every one of `needles`.
template <typename T>
void ExpectInvalid(const Result<T>& r, std::vector<std::string_view> needles) {
    ASSERT_FALSE(r) << "expected a failure";
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_FALSE(r.error().public_message.empty());
    for (auto n : needles) {
        EXPECT_TRUE(Contains(r.error().public_message, n))
            << "public message '" << r.error().public_message << "' lacks '" << n
            << "'; internal: " << r.error().internal;
    }
}

Rows MustRead(const Result<Table>& r) {
    EXPECT_TRUE(r) << (r ? "" : r.error().internal);
    return r ? r->rows : Rows{};
}

Rows Csv(std::string_view text, const Limits& limits = {}) {
    return MustRead(ReadCsv(AsBytes(text), limits));
}

// A zip built with libzip. Entries are deflated unless `store` is set.
using Entries = std::vector<std::pair<std::string, std::string>>;

Bytes MakeZip(const Entries& entries, bool store = false) {
    static int counter = 0;
    fs::path path = TmpDir() / fmt::format("z{}.zip", counter++);
    int err = 0;
    zip_t* za = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &err);
    EXPECT_NE(za, nullptr) << err;
    if (za == nullptr) return {};
    for (const auto& [name, data] : entries) {
        // The data must outlive zip_close, which is where libzip reads it: the vector does.
        zip_source_t* src = zip_source_buffer(za, data.data(), data.size(), 0);
        EXPECT_NE(src, nullptr);
        zip_int64_t idx = zip_file_add(za, name.c_str(), src, ZIP_FL_OVERWRITE);
        EXPECT_GE(idx, 0) << zip_strerror(za);
        zip_set_file_compression(za, static_cast<zip_uint64_t>(idx),
                                 store ? ZIP_CM_STORE : ZIP_CM_DEFLATE, 9);
    }
    EXPECT_EQ(zip_close(za), 0);
    return ReadWhole(path);
}

constexpr std::string_view kMainNs = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
constexpr std::string_view kRelNs =
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
constexpr std::string_view kPkgRelNs =
    "http://schemas.openxmlformats.org/package/2006/relationships";

std::string ContentTypes() {
    return R"(<?xml version="1.0" encoding="UTF-8" standalone="yes"?>)"
           R"(<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">)"
           R"(<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>)"
           R"(<Default Extension="xml" ContentType="application/xml"/>)"
           R"(<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>)"
           R"(<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>)"
           R"(<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>)"
           R"(</Types>)";
}

std::string RootRels(std::string_view workbook_target = "xl/workbook.xml") {
    return fmt::format(
        R"(<?xml version="1.0" encoding="UTF-8" standalone="yes"?>)"
        R"(<Relationships xmlns="{}"><Relationship Id="rId1" Type="{}/officeDocument" )"
        R"(Target="{}"/></Relationships>)",
        kPkgRelNs, kRelNs, workbook_target);
}

// <sheet> elements in workbook order: (name, relationship id).
std::string Workbook(const std::vector<std::pair<std::string, std::string>>& sheets) {
    std::string list;
    int n = 1;
    for (const auto& [name, rid] : sheets) {
        list += fmt::format(R"(<sheet name="{}" sheetId="{}" r:id="{}"/>)", name, n++, rid);
    }
    return fmt::format(R"(<?xml version="1.0" encoding="UTF-8" standalone="yes"?>)"
                       R"(<workbook xmlns="{}" xmlns:r="{}"><bookViews><workbookView/></bookViews>)"
                       R"(<sheets>{}</sheets><calcPr calcId="191029"/></workbook>)",
                       kMainNs, kRelNs, list);
}

// Relationships: (id, type suffix, target).
std::string Rels(const std::vector<std::tuple<std::string, std::string, std::string>>& rels) {
    std::string list;
    for (const auto& [id, type, target] : rels) {
        list += fmt::format(R"(<Relationship Id="{}" Type="{}/{}" Target="{}"/>)", id, kRelNs, type,
                            target);
    }
    return fmt::format(R"(<?xml version="1.0" encoding="UTF-8" standalone="yes"?>)"
                       R"(<Relationships xmlns="{}">{}</Relationships>)",
                       kPkgRelNs, list);
}

std::string SharedStrings(std::string_view items) {
    return fmt::format(R"(<?xml version="1.0" encoding="UTF-8" standalone="yes"?>)"
                       R"(<sst xmlns="{}" count="9" uniqueCount="9">{}</sst>)",
                       kMainNs, items);
}

std::string Sheet(std::string_view sheet_data) {
    return fmt::format(R"(<?xml version="1.0" encoding="UTF-8" standalone="yes"?>)"
                       R"(<worksheet xmlns="{}" xmlns:r="{}"><dimension ref="A1:C3"/>)"
                       R"(<sheetViews><sheetView workbookViewId="0"/></sheetViews>)"
                       R"(<sheetFormatPr defaultRowHeight="15"/><sheetData>{}</sheetData>)"
                       R"(<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" )"
                       R"(header="0.3" footer="0.3"/></worksheet>)",
                       kMainNs, kRelNs, sheet_data);
}

// The parts of a one-sheet workbook as Excel lays them out.
Entries StandardParts(std::string_view sheet_data, std::string_view shared_items = "") {
    Entries e = {
        {"[Content_Types].xml", ContentTypes()},
        {"_rels/.rels", RootRels()},
        {"xl/workbook.xml", Workbook({{"Sheet1", "rId1"}})},
        {"xl/_rels/workbook.xml.rels", Rels({{"rId1", "worksheet", "worksheets/sheet1.xml"},
                                             {"rId2", "sharedStrings", "sharedStrings.xml"}})},
        {"xl/worksheets/sheet1.xml", Sheet(sheet_data)},
    };
    if (!shared_items.empty()) e.emplace_back("xl/sharedStrings.xml", SharedStrings(shared_items));
    return e;
}

Bytes Xlsx(std::string_view sheet_data, std::string_view shared_items = "") {
    return MakeZip(StandardParts(sheet_data, shared_items));
}

Rows ReadX(const Bytes& xlsx, const Limits& limits = {}) {
    return MustRead(ReadXlsx(xlsx, limits));
}

void Put32(Bytes& b, std::size_t at, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) b[at + i] = static_cast<std::uint8_t>(v >> (8 * i));
}

// Overwrites the uncompressed size that the central directory (APPNOTE 4.3.12) and the local
// header (4.3.7) declare for entry `name`.
void PatchDeclaredSize(Bytes& zip, std::string_view name, std::uint32_t size) {
    bool patched = false;
    for (std::size_t i = 0; i + 46 <= zip.size(); ++i) {
        if (std::memcmp(&zip[i], "PK\x01\x02", 4) != 0) continue;
        std::size_t name_len = zip[i + 28] | (zip[i + 29] << 8);
        std::string_view entry(reinterpret_cast<const char*>(&zip[i + 46]), name_len);
        if (entry != name) continue;
        Put32(zip, i + 24, size);
        std::size_t local = zip[i + 42] | (zip[i + 43] << 8) | (zip[i + 44] << 16) |
                            (static_cast<std::size_t>(zip[i + 45]) << 24);
        Put32(zip, local + 22, size);
        patched = true;
    }
    ASSERT_TRUE(patched) << name;
}

int Shell(const std::string& command) {
    int status = std::system(command.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// ---------------------------------------------------------------------------------------------
// Text decoding

TEST(Utf8, Validation) {
    struct Case {
        std::string_view text;
        bool valid;
    };
    const Case cases[] = {
        {"", true},
        {"abc", true},
        {"张三", true},
        {"\xF0\x9F\x98\x80", true},   // U+1F600
        {"\xC0\xAF", false},          // overlong '/'
        {"\xE0\x80\xAF", false},      // overlong
        {"\xED\xA0\x80", false},      // surrogate U+D800
        {"\xF4\x90\x80\x80", false},  // U+110000
        {"\xE5\xBC", false},          // truncated 张
        {"\x80", false},              // lone continuation
        {"\xFF", false},
    };
    for (const auto& c : cases) {
        EXPECT_EQ(internal::IsValidUtf8(c.text), c.valid) << ::testing::PrintToString(c.text);
    }
}

TEST(DetectFormat, ByContent) {
    EXPECT_EQ(DetectFormat(AsBytes("姓名,手机号\n")).value(), Format::kCsv);
    EXPECT_EQ(DetectFormat(AsBytes("\xEF\xBB\xBF姓名\n")).value(), Format::kCsv);
    EXPECT_EQ(DetectFormat(ToGbk("姓名,手机号\r\n张三,13800138000\r\n")).value(), Format::kCsv);
    EXPECT_EQ(DetectFormat(AsBytes("")).value(), Format::kCsv);
    EXPECT_EQ(DetectFormat(AsBytes(std::string_view("PK\x03\x04garbage", 11))).value(),
              Format::kXlsx);
}

TEST(DetectFormat, RejectsBinary) {
    std::mt19937 rng(42);
    Bytes garbage(4096);
    for (auto& b : garbage) b = static_cast<std::uint8_t>(rng());
    ExpectInvalid(DetectFormat(garbage), {"无法识别"});
    ExpectInvalid(ReadTable(garbage), {"无法识别"});
    ExpectInvalid(ReadCsv(garbage), {"无法识别"});
    // Text-looking but with NULs (an ASCII-compatible binary) and a PNG signature.
    ExpectInvalid(DetectFormat(AsBytes(std::string_view("name\0,x\n", 8))), {});
    ExpectInvalid(DetectFormat(AsBytes("\x89PNG\r\n\x1A\n")), {});
    // UTF-16LE with BOM ("Unicode text" from Excel) is not accepted.
    ExpectInvalid(DetectFormat(AsBytes(std::string_view("\xFF\xFEn\0a\0", 6))), {});
    // Legacy .xls gets its own hint.
    ExpectInvalid(DetectFormat(AsBytes("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1rest")), {".xls"});
}

// ---------------------------------------------------------------------------------------------
// CSV (RFC 4180 §2)

TEST(Csv, Basic) {
    EXPECT_EQ(Csv("姓名,手机号,邮箱\n张三,13800138000,zs@example.cn\n"),
              (Rows{{"姓名", "手机号", "邮箱"}, {"张三", "13800138000", "zs@example.cn"}}));
}

TEST(Csv, QuotedFields) {
    // §2.6: commas, line breaks and quotes in quoted fields; §2.7: "" escapes a quote.
    EXPECT_EQ(Csv("a,\"b,c\",\"say \"\"hi\"\"\"\n\"line1\nline2\",\"x\r\ny\",\"\"\n"),
              (Rows{{"a", "b,c", "say \"hi\""}, {"line1\nline2", "x\r\ny", ""}}));
}

TEST(Csv, LineEnds) {
    Rows want{{"a", "b"}, {"c", "d"}};
    EXPECT_EQ(Csv("a,b\r\nc,d\r\n"), want);  // §2.1 CRLF
    EXPECT_EQ(Csv("a,b\nc,d\n"), want);
    EXPECT_EQ(Csv("a,b\rc,d\r"), want);  // old Mac Excel
    EXPECT_EQ(Csv("a,b\r\nc,d"), want);  // §2.2 last line without a break
    EXPECT_EQ(Csv("a,b\nc,d\n\n\r\n"), want);
}

TEST(Csv, EmptyRowsAndCells) {
    EXPECT_EQ(Csv(""), Rows{});
    EXPECT_EQ(Csv("\n\n"), Rows{});
    EXPECT_EQ(Csv("a,,c\n,,\n\nd\n"), (Rows{{"a", "", "c"}, {"", "", ""}, {""}, {"d"}}));
    // Excel pads empty trailing rows with commas; they go too.
    EXPECT_EQ(Csv("a,b\r\n,\r\n,\r\n"), (Rows{{"a", "b"}}));
    EXPECT_EQ(Csv("a,\n"), (Rows{{"a", ""}}));
}

TEST(Csv, Trimming) {
    EXPECT_EQ(Csv("  a  ,\tb\t, c d \n"), (Rows{{"a", "b", "c d"}}));
    EXPECT_EQ(Csv("\"  a  \", \" b\" ,\"\t\"\n"), (Rows{{"  a  ", " b", "\t"}}));
    // A quote inside an unquoted field is kept (5'11").
    EXPECT_EQ(Csv("5'11\",x\"y\n"), (Rows{{"5'11\"", "x\"y"}}));
    // Full-width spaces are content.
    EXPECT_EQ(Csv("\xE3\x80\x80张三\n"), (Rows{{"\xE3\x80\x80张三"}}));
}

TEST(Csv, BomAndChinese) {
    std::string text = "姓名,部门,备注\r\n张三,研发部,\"北京市海淀区，中关村\"\r\n";
    Rows want{{"姓名", "部门", "备注"}, {"张三", "研发部", "北京市海淀区，中关村"}};
    EXPECT_EQ(Csv(text), want);
    EXPECT_EQ(Csv("\xEF\xBB\xBF" + text), want);
    EXPECT_EQ(MustRead(ReadTable(AsBytes("\xEF\xBB\xBF" + text))), want);
}

TEST(Csv, Gbk) {
    std::string text =
        "姓名,手机号,单位名称,地址\r\n"
        "张三,13800138000,贵州省数字证书认证中心,\"贵阳市观山湖区，长岭北路\"\r\n"
        "欧阳娜娜,13900139000,\"某某科技有限公司\",\"多行\r\n地址\"\r\n";
    Bytes gbk = ToGbk(text);
    ASSERT_FALSE(internal::IsValidUtf8(AsString(gbk)));  // otherwise the test proves nothing
    ASSERT_NE(AsString(gbk), text);
    Rows want = Csv(text);
    ASSERT_EQ(want.size(), 3u);
    EXPECT_EQ(MustRead(ReadCsv(gbk)), want);
    EXPECT_EQ(MustRead(ReadTable(gbk)), want);
    EXPECT_EQ(want[2][3], "多行\r\n地址");
    // GB18030 four-byte sequences (U+20000 𠀀 is 95 32 82 36) decode too.
    EXPECT_EQ(MustRead(ReadCsv(AsBytes("\x95\x32\x82\x36,\xD5\xC5\n"))),
              (Rows{{"\xF0\xA0\x80\x80", "张"}}));
    // A truncated GBK sequence at the end is not text.
    ExpectInvalid(ReadCsv(AsBytes("\xD5\xC5\xC8")), {"无法识别"});
}

TEST(Csv, RowLimit) {
    Limits limits;
    limits.max_rows = 3;
    EXPECT_EQ(Csv("a\nb\nc\n", limits).size(), 3u);
    EXPECT_EQ(Csv("a\nb\nc\n\n\n,,\n\n", limits).size(), 3u);  // trailing blanks do not count
    ExpectInvalid(ReadCsv(AsBytes("a\nb\nc\nd\n"), limits), {"行数", "最多 3 行", "第 4 行"});
    ExpectInvalid(ReadCsv(AsBytes("a\n\n\n\n\n\nb\n"), limits), {"行数", "第 4 行"});
    // Default: 5000 rows.
    std::string big;
    for (int i = 0; i < 5001; ++i) big += fmt::format("{}\n", i);
    ExpectInvalid(ReadCsv(AsBytes(big)), {"最多 5000 行", "第 5001 行"});
    // A flood of blank lines is not a row overflow.
    EXPECT_EQ(Csv("a\n" + std::string(100000, '\n')), (Rows{{"a"}}));
}

TEST(Csv, ColumnLimit) {
    Limits limits;
    limits.max_columns = 3;
    EXPECT_EQ(Csv("a,b,c\n", limits).size(), 1u);
    ExpectInvalid(ReadCsv(AsBytes("a,b,c\nd,e,f,g\n"), limits), {"列数", "最多 3 列", "第 2 行"});
    ExpectInvalid(ReadCsv(AsBytes("a,b,c\n\"1\n\",2,3,\n"), limits), {"列数", "第 2 行"});
    ExpectInvalid(ReadCsv(AsBytes(std::string(65, ','))), {"列数", "最多 64 列", "第 1 行"});
}

TEST(Csv, CellLimit) {
    Limits limits;
    limits.max_cell_bytes = 6;  // two Chinese characters
    EXPECT_EQ(Csv("张三,   abcdef   \n", limits), (Rows{{"张三", "abcdef"}}));
    ExpectInvalid(ReadCsv(AsBytes("张三\n欧阳娜,x\n"), limits),
                  {"内容超过上限", "6 字节", "第 2 行第 1 列"});
    ExpectInvalid(ReadCsv(AsBytes("x,\"abc\ndef\"\n"), limits), {"第 1 行第 2 列"});
    ExpectInvalid(ReadCsv(AsBytes(std::string(1025, 'x'))), {"1024 字节", "第 1 行第 1 列"});
}

TEST(Csv, MalformedQuotes) {
    ExpectInvalid(ReadCsv(AsBytes("a,b\n\"c,d\ne,f\n")), {"第 2 行", "引号"});
    ExpectInvalid(ReadCsv(AsBytes("\"")), {"第 1 行", "引号没有闭合"});
    ExpectInvalid(ReadCsv(AsBytes("a\nb\n\"x\"\"")), {"第 3 行", "引号没有闭合"});
    ExpectInvalid(ReadCsv(AsBytes("a\n\"x\"y,z\n")), {"第 2 行", "多余字符"});
}

// ---------------------------------------------------------------------------------------------
// XLSX pieces

TEST(Xlsx, NumberText) {
    const std::pair<std::string_view, std::string_view> cases[] = {
        {"13800138000", "13800138000"},
        {"1.3800138E10", "13800138000"},
        {"1.3800138E+10", "13800138000"},
        {"1.38001380001E11", "138001380001"},
        {"1.38001380001E10", "1.38001380001E10"},  // 13800138000.1: not integral, left alone
        {"5.2E+17", "520000000000000000"},
        {"-1.5e1", "-15"},
        {"1E3", "1000"},
        {"2.50E1", "25"},
        {"0E0", "0"},
        {"1.5E-3", "1.5E-3"},
        {"12.5", "12.5"},
        {"1E400", "1E400"},
        {"E5", "E5"},
        {"1.2.3E4", "1.2.3E4"},
        {"abc", "abc"},
        {"", ""},
    };
    for (const auto& [in, want] : cases) EXPECT_EQ(internal::NumberText(in), want) << in;
}

TEST(Xlsx, DecodeXstring) {
    EXPECT_EQ(internal::DecodeXstring("a_x000D__x000A_b"), "a\r\nb");
    EXPECT_EQ(internal::DecodeXstring("_x005F_x0041_"), "_x0041_");
    EXPECT_EQ(internal::DecodeXstring("_x5F20_"), "张");
    EXPECT_EQ(internal::DecodeXstring("_xD83D__xDE00_"), "\xF0\x9F\x98\x80");
    EXPECT_EQ(internal::DecodeXstring("_xD83D_"), "_xD83D_");  // unpaired: as written
    EXPECT_EQ(internal::DecodeXstring("_x0000_"), "_x0000_");
    EXPECT_EQ(internal::DecodeXstring("_x12G4_ _x12"), "_x12G4_ _x12");
}

TEST(Xlsx, ColumnNames) {
    EXPECT_EQ(internal::ColumnIndex("A"), 0u);
    EXPECT_EQ(internal::ColumnIndex("Z"), 25u);
    EXPECT_EQ(internal::ColumnIndex("AA"), 26u);
    EXPECT_EQ(internal::ColumnIndex("XFD"), 16383u);
    EXPECT_FALSE(internal::ColumnIndex("XFE"));
    EXPECT_FALSE(internal::ColumnIndex(""));
    EXPECT_FALSE(internal::ColumnIndex("A1"));
    for (std::size_t i : {0u, 25u, 26u, 701u, 702u, 16383u}) {
        EXPECT_EQ(internal::ColumnIndex(internal::ColumnName(i)), i);
    }
    EXPECT_EQ(internal::ColumnName(27), "AB");
}

// ---------------------------------------------------------------------------------------------
// XLSX files

// The shared strings of most XLSX tests: plain, rich text runs, a phonetic run (left out), a
// string with leading spaces and an escaped line break.
constexpr std::string_view kShared =
    R"(<si><t>姓名</t></si>)"
    R"(<si><t>手机号</t></si>)"
    R"(<si><r><rPr><b/><sz val="11"/></rPr><t>欧阳</t></r><r><t>娜娜</t></r></si>)"
    R"(<si><t>李四</t><rPh sb="0" eb="2"><t>リシ</t></rPh><phoneticPr fontId="1"/></si>)"
    R"(<si><t xml:space="preserve">  空格 </t></si>)"
    R"(<si><t>第一行_x000D__x000A_第二行</t></si>)"
    R"(<si><t>备注</t></si>)";

TEST(Xlsx, SharedInlineNumbersAndGaps) {
    Bytes xlsx =
        Xlsx(R"(<row r="1" spans="1:3"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c>)"
             R"(<c r="C1" t="s"><v>6</v></c></row>)"
             R"(<row r="2"><c r="A2" t="inlineStr"><is><t>张三</t></is></c>)"
             R"(<c r="B2"><v>13800138000</v></c><c r="C2" t="s"><v>4</v></c></row>)"
             R"(<row r="3"><c r="A3" t="s"><v>2</v></c><c r="B3" s="1"><v>1.3800138E10</v></c>)"
             R"(<c r="C3" t="s"><v>5</v></c></row>)"
             R"(<row r="4"><c r="A4" t="s"><v>3</v></c><c r="C4" t="b"><v>1</v></c></row>)"
             R"(<row r="6"><c r="B6" t="str"><f>A2&amp;"!"</f><v>张三!</v></c>)"
             R"(<c r="C6" t="e"><v>#N/A</v></c><c r="D6" s="3"/></row>)"
             R"(<row r="7"><c r="A7" t="inlineStr"><is><r><t>富</t></r><r><t>文本</t></r></is></c>)"
             R"(<c r="B7"><f>1+1</f><v>2</v></c></row>)",
             kShared);
    EXPECT_EQ(ReadX(xlsx), (Rows{
                               {"姓名", "手机号", "备注"},
                               {"张三", "13800138000", "  空格 "},
                               {"欧阳娜娜", "13800138000", "第一行\r\n第二行"},
                               {"李四", "", "TRUE"},
                               {},
                               {"", "张三!", "#N/A"},
                               {"富文本", "2"},
                           }));
    EXPECT_EQ(MustRead(ReadTable(xlsx)), ReadX(xlsx));
    EXPECT_EQ(DetectFormat(xlsx).value(), Format::kXlsx);
}

TEST(Xlsx, GapsByReference) {
    // A1 and C1 only: B1 is empty. Cells and rows without r follow their predecessors.
    EXPECT_EQ(ReadX(Xlsx(R"(<row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c>)"
                         R"(<c r="C1" t="inlineStr"><is><t>c</t></is></c></row>)")),
              (Rows{{"a", "", "c"}}));
    EXPECT_EQ(ReadX(Xlsx(R"(<row r="2"><c r="B2"><v>1</v></c><c><v>2</v></c></row>)"
                         R"(<row><c><v>3</v></c></row>)")),
              (Rows{{}, {"", "1", "2"}, {"3"}}));
    // Empty cells (styled, or an empty string) do not make rows or columns.
    EXPECT_EQ(ReadX(Xlsx(R"(<row r="1"><c r="A1"><v>1</v></c><c r="Z1" s="2"/></row>)"
                         R"(<row r="9"><c r="A9" t="inlineStr"><is><t></t></is></c></row>)")),
              (Rows{{"1"}}));
}

TEST(Xlsx, Empty) {
    EXPECT_EQ(ReadX(Xlsx("")), Rows{});
    EXPECT_EQ(ReadX(MakeZip({{"xl/worksheets/sheet1.xml",
                              fmt::format(R"(<worksheet xmlns="{}"/>)", kMainNs)}})),
              Rows{});
}

TEST(Xlsx, FirstSheetInWorkbookOrder) {
    // The workbook lists "名单" (rId3 → sheet2.xml) before "Sheet1" (rId1 → sheet1.xml).
    auto parts = [](std::string_view target) {
        return Entries{
            {"[Content_Types].xml", ContentTypes()},
            {"_rels/.rels", RootRels()},
            {"xl/workbook.xml", Workbook({{"名单", "rId3"}, {"Sheet1", "rId1"}})},
            {"xl/_rels/workbook.xml.rels", Rels({{"rId1", "worksheet", "worksheets/sheet1.xml"},
                                                 {"rId2", "sharedStrings", "sharedStrings.xml"},
                                                 {"rId3", "worksheet", std::string(target)}})},
            {"xl/sharedStrings.xml", SharedStrings(kShared)},
            {"xl/worksheets/sheet1.xml", Sheet(R"(<row r="1"><c r="A1"><v>111</v></c></row>)")},
            {"xl/worksheets/sheet2.xml",
             Sheet(R"(<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1"><v>222</v></c></row>)")},
        };
    };
    Rows want{{"姓名", "222"}};
    EXPECT_EQ(ReadX(MakeZip(parts("worksheets/sheet2.xml"))), want);
    EXPECT_EQ(ReadX(MakeZip(parts("/xl/worksheets/sheet2.xml"))), want);
    EXPECT_EQ(ReadX(MakeZip(parts("./worksheets/../worksheets/sheet2.xml"))), want);
    // A relationship that names a missing part is an error, not a silent fallback to sheet1.
    ExpectInvalid(ReadXlsx(MakeZip(parts("worksheets/sheet9.xml"))), {"找不到第一个工作表"});
}

TEST(Xlsx, WorkbookElsewhere) {
    // _rels/.rels points at a workbook outside xl/ (allowed by OPC; some generators do this).
    Entries e = {
        {"[Content_Types].xml", ContentTypes()},
        {"_rels/.rels", RootRels("book/main.xml")},
        {"book/main.xml", Workbook({{"S", "rIdA"}})},
        {"book/_rels/main.xml.rels",
         Rels({{"rIdA", "worksheet", "data/s.xml"}, {"rIdB", "sharedStrings", "strings.xml"}})},
        {"book/strings.xml", SharedStrings(kShared)},
        {"book/data/s.xml", Sheet(R"(<row r="1"><c r="B1" t="s"><v>1</v></c></row>)")},
    };
    EXPECT_EQ(ReadX(MakeZip(e)), (Rows{{"", "手机号"}}));
}

TEST(Xlsx, StrictNamespaces) {
    // ISO/IEC 29500 Strict uses purl.oclc.org namespaces throughout.
    std::string main = "http://purl.oclc.org/ooxml/spreadsheetml/main";
    std::string rel = "http://purl.oclc.org/ooxml/officeDocument/relationships";
    Entries e = {
        {"_rels/.rels",
         fmt::format(R"(<Relationships xmlns="{}"><Relationship Id="r1" Type="{}/officeDocument" )"
                     R"(Target="xl/workbook.xml"/></Relationships>)",
                     kPkgRelNs, rel)},
        {"xl/workbook.xml",
         fmt::format(R"(<x:workbook xmlns:x="{}" xmlns:r="{}"><x:sheets>)"
                     R"(<x:sheet name="A" sheetId="1" r:id="r7"/></x:sheets></x:workbook>)",
                     main, rel)},
        {"xl/_rels/workbook.xml.rels",
         fmt::format(R"(<Relationships xmlns="{}"><Relationship Id="r7" Type="{}/worksheet" )"
                     R"(Target="worksheets/sheetA.xml"/></Relationships>)",
                     kPkgRelNs, rel)},
        {"xl/worksheets/sheetA.xml",
         fmt::format(R"(<x:worksheet xmlns:x="{}"><x:sheetData><x:row r="1">)"
                     R"(<x:c r="A1" t="inlineStr"><x:is><x:t>严格</x:t></x:is></x:c>)"
                     R"(</x:row></x:sheetData></x:worksheet>)",
                     main)},
    };
    EXPECT_EQ(ReadX(MakeZip(e)), (Rows{{"严格"}}));
}

TEST(Xlsx, FallbackToSheet1) {
    // No workbook part at all: xl/worksheets/sheet1.xml and xl/sharedStrings.xml by name.
    Entries e = {
        {"xl/worksheets/sheet1.xml", Sheet(R"(<row r="1"><c r="A1" t="s"><v>3</v></c></row>)")},
        {"xl/sharedStrings.xml", SharedStrings(kShared)},
    };
    EXPECT_EQ(ReadX(MakeZip(e)), (Rows{{"李四"}}));
    // Stored (uncompressed) entries read the same.
    EXPECT_EQ(ReadX(MakeZip(e, /*store=*/true)), (Rows{{"李四"}}));
}

TEST(Xlsx, RefusesDoctype) {
    std::string doctype_sheet = fmt::format(
        R"(<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY e "张三">]>)"
        R"(<worksheet xmlns="{}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&e;</t>)"
        R"(</is></c></row></sheetData></worksheet>)",
        kMainNs);
    Entries e = StandardParts("");
    e[4].second = doctype_sheet;
    ExpectInvalid(ReadXlsx(MakeZip(e)), {"无法读取 Excel 文件", "DTD"});

    // An external entity in the shared strings, and a billion-laughs table.
    std::string xxe = fmt::format(
        R"(<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY x SYSTEM "file:///etc/passwd">]>)"
        R"(<sst xmlns="{}"><si><t>&x;</t></si></sst>)",
        kMainNs);
    Entries e2 = StandardParts(R"(<row r="1"><c r="A1" t="s"><v>0</v></c></row>)", "<si/>");
    e2[5].second = xxe;
    ExpectInvalid(ReadXlsx(MakeZip(e2)), {"DTD"});
    std::string laughs = R"(<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol0 "lol">)";
    for (int i = 1; i < 10; ++i) {
        std::string ten;
        for (int k = 0; k < 10; ++k) ten += fmt::format("&lol{};", i - 1);
        laughs += fmt::format(R"(<!ENTITY lol{} "{}">)", i, ten);
    }
    laughs +=
        "]><worksheet><sheetData><row><c t=\"inlineStr\"><is><t>&lol9;</t></is></c>"
        "</row></sheetData></worksheet>";
    e[4].second = laughs;
    ExpectInvalid(ReadXlsx(MakeZip(e)), {"DTD"});
    // The parsers refuse it directly too.
    ExpectInvalid(internal::ParseSharedStrings(xxe, {}), {"DTD"});
    ExpectInvalid(internal::ParseWorksheet(doctype_sheet, {}, {}), {"DTD"});
}

TEST(Xlsx, RefusesZipBombs) {
    // 30 MB of zeros deflates to ~30 KB: over the 20 MB entry limit and the ratio limit.
    Entries big = StandardParts("");
    big.emplace_back("xl/media/big.bin", std::string(30u << 20, '\0'));
    ExpectInvalid(ReadXlsx(MakeZip(big)), {"无法读取 Excel 文件", "疑似压缩炸弹"});
    // 2 MB of zeros: under the size limit, ratio ~1000.
    Entries dense = StandardParts("");
    dense.emplace_back("xl/worksheets/sheet1.xml",
                       Sheet("") + std::string(2u << 20, ' '));  // replaces sheet1
    ExpectInvalid(ReadXlsx(MakeZip(dense)), {"压缩比异常"});
    // A central directory that declares 1 GB for a small entry.
    Bytes lying = Xlsx(R"(<row r="1"><c r="A1"><v>1</v></c></row>)");
    PatchDeclaredSize(lying, "xl/worksheets/sheet1.xml", 1u << 30);
    ExpectInvalid(ReadXlsx(lying), {"疑似压缩炸弹"});
    // And one that declares less than the entry inflates to.
    Bytes short_decl = Xlsx(R"(<row r="1"><c r="A1"><v>1</v></c></row>)");
    PatchDeclaredSize(short_decl, "xl/worksheets/sheet1.xml", 40);
    ExpectInvalid(ReadXlsx(short_decl), {"无法读取 Excel 文件"});
}

TEST(Xlsx, ZipLimitsEachApply) {
    // Random-looking text barely compresses, so only the limit under test trips.
    std::mt19937 rng(7);
    std::string noise;
    for (int i = 0; i < 40000; ++i) noise += static_cast<char>('a' + rng() % 26);
    Entries e = StandardParts(R"(<row r="1"><c r="A1"><v>1</v></c></row>)");
    e.emplace_back("xl/media/a.bin", noise);
    e.emplace_back("xl/media/b.bin", noise);
    Bytes zip = MakeZip(e);

    internal::ZipLimits roomy;
    EXPECT_EQ(MustRead(internal::ReadXlsx(zip, {}, roomy)), (Rows{{"1"}}));

    internal::ZipLimits entry = roomy;
    entry.max_entry_bytes = 30000;
    ExpectInvalid(internal::ReadXlsx(zip, {}, entry), {"疑似压缩炸弹"});

    internal::ZipLimits total = roomy;
    total.max_total_bytes = 60000;  // each entry fits, both together do not
    ExpectInvalid(internal::ReadXlsx(zip, {}, total), {"疑似压缩炸弹"});

    internal::ZipLimits ratio = roomy;
    ratio.max_ratio = 1;  // lowercase letters compress better than 1:1
    ratio.ratio_exempt_below = 1000;
    ExpectInvalid(internal::ReadXlsx(zip, {}, ratio), {"压缩比异常"});
}

TEST(Xlsx, RefusesBrokenZips) {
    Bytes good = Xlsx(R"(<row r="1"><c r="A1"><v>1</v></c></row>)");
    ASSERT_TRUE(ReadXlsx(good));
    Bytes half(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(good.size() / 2));
    ExpectInvalid(ReadXlsx(half), {"无法读取 Excel 文件"});
    ExpectInvalid(ReadTable(half), {"无法读取 Excel 文件"});
    ExpectInvalid(ReadTable(AsBytes("PK\x03\x04")), {"无法读取 Excel 文件"});
    ExpectInvalid(ReadXlsx(AsBytes("")), {"无法读取 Excel 文件"});
    ExpectInvalid(ReadXlsx(AsBytes("姓名,手机号\n")), {"无法读取 Excel 文件"});
    // A zip that is not a spreadsheet (a .docx, say) has no first sheet.
    ExpectInvalid(ReadXlsx(MakeZip({{"word/document.xml", "<w/>"}})), {"找不到第一个工作表"});
    // Malformed XML in the sheet.
    Entries e = StandardParts("");
    e[4].second = "<worksheet><sheetData><row></sheetData>";
    ExpectInvalid(ReadXlsx(MakeZip(e)), {"XML 格式错误"});
    // Library text stays out of the public message.
    auto r = ReadXlsx(half);
    ASSERT_FALSE(r);
    EXPECT_FALSE(Contains(r.error().public_message, "zip_open"));
    EXPECT_TRUE(Contains(r.error().internal, "zip_open"));
}

TEST(Xlsx, RefusesBadContent) {
    // Shared string index out of range, bad cell references, a chart sheet first.
    ExpectInvalid(ReadXlsx(Xlsx(R"(<row r="1"><c r="A1" t="s"><v>7</v></c></row>)", kShared)),
                  {"共享字符串"});
    ExpectInvalid(ReadXlsx(Xlsx(R"(<row r="1"><c r="A1" t="s"><v>0</v></c></row>)")),
                  {"共享字符串"});
    ExpectInvalid(ReadXlsx(Xlsx(R"(<row r="1"><c r="1A"><v>1</v></c></row>)")), {"单元格引用"});
    ExpectInvalid(ReadXlsx(Xlsx(R"(<row r="1"><c r="XFE1"><v>1</v></c></row>)")), {"单元格引用"});
    ExpectInvalid(ReadXlsx(Xlsx(R"(<row r="0"><c><v>1</v></c></row>)")), {"单元格引用"});
    ExpectInvalid(ReadXlsx(Xlsx(R"(<row r="1048577"><c><v>1</v></c></row>)")), {"单元格引用"});
    Entries e = StandardParts("");
    e[4].second = fmt::format(R"(<chartsheet xmlns="{}"><drawing r:id="rId1" xmlns:r="{}"/>)"
                              R"(</chartsheet>)",
                              kMainNs, kRelNs);
    ExpectInvalid(ReadXlsx(MakeZip(e)), {"第一个工作表不是普通表格"});
}

TEST(Xlsx, Encrypted) {
    fs::path path = TmpDir() / "enc.zip";
    int err = 0;
    zip_t* za = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &err);
    ASSERT_NE(za, nullptr);
    std::string sheet = Sheet(R"(<row r="1"><c r="A1"><v>1</v></c></row>)");
    zip_source_t* src = zip_source_buffer(za, sheet.data(), sheet.size(), 0);
    zip_int64_t idx = zip_file_add(za, "xl/worksheets/sheet1.xml", src, 0);
    ASSERT_GE(idx, 0);
    if (zip_file_set_encryption(za, static_cast<zip_uint64_t>(idx), ZIP_EM_AES_256, "secret") !=
        0) {
        zip_discard(za);
        GTEST_SKIP() << "libzip built without AES support";
    }
    ASSERT_EQ(zip_close(za), 0);
    ExpectInvalid(ReadXlsx(ReadWhole(path)), {"已加密"});
}

TEST(Xlsx, Limits) {
    Bytes xlsx = Xlsx(R"(<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>)"
                      R"(<row r="2"><c r="A2" t="s"><v>2</v></c><c r="C2"><v>3</v></c></row>)"
                      R"(<row r="3"><c r="A3"><v>4</v></c><c r="Z3" s="1"/></row>)",
                      kShared);
    Limits rows;
    rows.max_rows = 2;
    ExpectInvalid(ReadXlsx(xlsx, rows), {"行数", "最多 2 行", "第 3 行"});
    Limits cols;
    cols.max_columns = 2;
    ExpectInvalid(ReadXlsx(xlsx, cols), {"列数", "最多 2 列", "第 2 行"});
    Limits cell;
    cell.max_cell_bytes = 9;  // 欧阳娜娜 is 12 bytes, 姓名 and 手机号 fit
    ExpectInvalid(ReadXlsx(xlsx, cell), {"内容超过上限", "第 2 行 A 列", "9 字节"});
    Limits fits;
    fits.max_rows = 3;
    fits.max_columns = 3;  // the empty styled Z3 does not count
    fits.max_cell_bytes = 12;
    EXPECT_EQ(ReadX(xlsx, fits).size(), 3u);
    // An oversized but unused shared string is fine.
    Bytes unused = Xlsx(R"(<row r="1"><c r="A1" t="s"><v>0</v></c></row>)",
                        std::string(kShared) + "<si><t>" + std::string(5000, 'x') + "</t></si>");
    EXPECT_EQ(ReadX(unused), (Rows{{"姓名"}}));
    ExpectInvalid(ReadXlsx(Xlsx(R"(<row r="1"><c r="A1" t="inlineStr"><is><t>)" +
                                std::string(1025, 'x') + "</t></is></c></row>")),
                  {"1024 字节"});
    // "No limit" callers pass the maximum; long text must then come through whole.
    Limits unlimited;
    unlimited.max_cell_bytes = std::numeric_limits<std::size_t>::max();
    std::string long_text;  // varied, so the entry stays under the ratio limit
    std::mt19937 rng(3);
    for (int i = 0; i < 100000; ++i) long_text += static_cast<char>('a' + rng() % 26);
    EXPECT_EQ(ReadX(Xlsx(R"(<row r="1"><c r="A1" t="inlineStr"><is><t>)" + long_text +
                         "</t></is></c></row>"),
                    unlimited),
              (Rows{{long_text}}));
    // A row far down with data is caught without allocating its predecessors' cells first.
    ExpectInvalid(ReadXlsx(Xlsx(R"(<row r="1000000"><c r="A1000000"><v>1</v></c></row>)")),
                  {"第 1000000 行"});
}

TEST(Xlsx, CorruptedCopiesFailCleanly) {
    // Every outcome of a damaged file is a table or kInvalidArgument; nothing else.
    Bytes good =
        Xlsx(R"(<row r="1"><c r="A1" t="s"><v>0</v></c><c r="C1"><v>1.5E3</v></c></row>)", kShared);
    std::mt19937 rng(1234);
    for (int i = 0; i < 300; ++i) {
        Bytes bad = good;
        int flips = 1 + static_cast<int>(rng() % 8);
        for (int k = 0; k < flips; ++k) {
            bad[rng() % bad.size()] = static_cast<std::uint8_t>(rng());
        }
        auto r = ReadTable(bad);
        if (!r) {
            EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
            EXPECT_FALSE(r.error().public_message.empty());
        }
    }
}

TEST(Xlsx, StreamingZipFromPython) {
    // python3's zipfile writing to a pipe cannot seek back, so it uses data descriptors
    // (APPNOTE 4.3.9) as streaming writers do; a second zip writer besides libzip.
    if (Shell("command -v python3 >/dev/null 2>&1") != 0) GTEST_SKIP() << "no python3";
    fs::path dir = TmpDir() / "py";
    fs::create_directories(dir);
    Entries parts = StandardParts(
        R"(<row r="1"><c r="A1" t="s"><v>0</v></c><c r="C1"><v>1.3800138E10</v></c></row>)",
        kShared);
    std::string script =
        "import sys, zipfile, os\n"
        "d = sys.argv[1]\n"
        "z = zipfile.ZipFile(sys.stdout.buffer, 'w', zipfile.ZIP_DEFLATED)\n"
        "for i in range(int(sys.argv[2])):\n"
        "    name = open(os.path.join(d, f'{i}.name'), encoding='utf-8').read()\n"
        "    z.writestr(name, open(os.path.join(d, f'{i}.data'), 'rb').read())\n"
        "z.close()\n";
    std::ofstream(dir / "make.py") << script;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        std::ofstream(dir / fmt::format("{}.name", i)) << parts[i].first;
        std::ofstream(dir / fmt::format("{}.data", i), std::ios::binary) << parts[i].second;
    }
    ASSERT_EQ(Shell(fmt::format("python3 '{0}/make.py' '{0}' {1} | cat > '{0}/out.xlsx'",
                                dir.string(), parts.size())),
              0);
    Bytes xlsx = ReadWhole(dir / "out.xlsx");
    ASSERT_GT(xlsx.size(), 100u);
    EXPECT_EQ(ReadX(xlsx), (Rows{{"姓名", "", "13800138000"}}));
}

// ---------------------------------------------------------------------------------------------
// MapHeader

const std::vector<FieldSpec> kFields = {
    {"name", {"姓名", "name"}, true},
    {"phone", {"联系电话", "手机号", "phone"}, true},
    {"email", {"邮箱", "电子邮箱", "Email"}, false},
    {"dept", {"部门"}, false},
};

TEST(MapHeader, Aliases) {
    auto m = MapHeader({"序号", " 姓名* ", "手机号", "EMAIL"}, kFields);
    ASSERT_TRUE(m) << m.error().internal;
    EXPECT_EQ(*m, (std::map<std::string, std::size_t>{{"name", 1}, {"phone", 2}, {"email", 3}}));

    m = MapHeader({"Phone *", "\xE3\x80\x80姓名\xEF\xBC\x8A", "部门", "备注"}, kFields);
    ASSERT_TRUE(m) << m.error().internal;
    EXPECT_EQ(*m, (std::map<std::string, std::size_t>{{"name", 1}, {"phone", 0}, {"dept", 2}}));

    // The first matching column wins; a lone '*' or empty header matches nothing.
    m = MapHeader({"*", "", "姓名", "手机号", "联系电话"}, kFields);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->at("name"), 2u);
    EXPECT_EQ(m->at("phone"), 3u);
}

TEST(MapHeader, CaseOnlyAscii) {
    // ASCII case folds; other text must match exactly ("Ｐhone" with a full-width P does not).
    EXPECT_TRUE(MapHeader({"NAME", "pHoNe"}, kFields));
    ExpectInvalid(MapHeader({"NAME", "\xEF\xBC\xB0hone"}, kFields), {"联系电话"});
}

TEST(MapHeader, MissingRequired) {
    auto m = MapHeader({"序号", "邮箱"}, kFields);
    ExpectInvalid(m, {"缺少必填列", "姓名", "联系电话", "手机号"});
    EXPECT_TRUE(Contains(m.error().internal, "name"));
    EXPECT_TRUE(Contains(m.error().internal, "phone"));
    EXPECT_FALSE(Contains(m.error().internal, "email"));

    m = MapHeader({"姓名"}, kFields);
    ExpectInvalid(m, {"联系电话"});
    EXPECT_FALSE(Contains(m.error().public_message, "姓名"));
    ExpectInvalid(MapHeader({}, kFields), {"姓名", "联系电话"});
    // Optional fields only: an empty header is fine.
    EXPECT_TRUE(MapHeader({}, {{"dept", {"部门"}, false}})->empty());
}

TEST(MapHeader, WithReaders) {
    // The usual path: read an upload, map row 0, look cells up by field.
    Bytes gbk = ToGbk("序号,姓名*,手机号*\r\n1,张三,13800138000\r\n");
    auto table = ReadTable(gbk);
    ASSERT_TRUE(table);
    auto m = MapHeader(table->rows.at(0), kFields);
    ASSERT_TRUE(m) << m.error().internal;
    EXPECT_EQ(table->rows.at(1).at(m->at("name")), "张三");
    EXPECT_EQ(table->rows.at(1).at(m->at("phone")), "13800138000");
}

}  // namespace
}  // namespace gzca::sheet
