// The XLSX reader: an OPC zip package (ECMA-376 Part 2) read with libzip, its SpreadsheetML
// parts (ECMA-376 Part 1 §18) parsed with expat.
//
// Only the parts needed for the first sheet's cell values are read: _rels/.rels, the workbook
// and its relationships, the shared string table and the sheet. Styles, themes and the rest are
// never decompressed, though every entry's declared size counts against the zip limits.

#include <zip.h>

#include <expat.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "base/ascii.h"
#include "sheet/internal.h"
#include "sheet/table.h"

namespace gzca::sheet {
namespace {

using internal::ZipLimits;

constexpr std::size_t kMaxSheetRows = 1048576;  // ECMA-376 Part 1 §18.3.1.73: row index bound

Error Invalid(std::string internal, std::string public_message) {
    return Error{ErrorCode::kInvalidArgument, std::move(internal), std::move(public_message)};
}

// A package that cannot be read as a spreadsheet. `what` is the user-facing reason.
Error BrokenError(std::string internal, std::string_view what) {
    return Invalid("xlsx: " + internal, fmt::format("无法读取 Excel 文件：{}", what));
}
tl::unexpected<Error> Broken(std::string internal, std::string_view what) {
    return Fail(BrokenError(std::move(internal), what));
}

std::string_view TrimXmlSpace(std::string_view s) {
    constexpr std::string_view kSpace = " \t\r\n";
    auto b = s.find_first_not_of(kSpace);
    if (b == std::string_view::npos) return {};
    auto e = s.find_last_not_of(kSpace);
    return s.substr(b, e - b + 1);
}

// Decimal digits only, value in [1, max]; nullopt otherwise.
std::optional<std::size_t> ParseIndex(std::string_view s, std::size_t max) {
    if (s.empty() || s.size() > 10) return std::nullopt;
    std::size_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10 + static_cast<std::size_t>(c - '0');
    }
    if (v == 0 || v > max) return std::nullopt;
    return v;
}

bool EndsWithAsciiNoCase(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() &&
           AsciiEqualsIgnoreCase(s.substr(s.size() - suffix.size()), suffix);
}

// ---------------------------------------------------------------------------------------------
// Limits, shared by the worksheet parser (CSV has its own wording of the same checks).

Error RowLimitError(std::size_t row, const Limits& limits) {
    return Invalid(
        fmt::format("xlsx: non-empty cell in row {}, more than {} rows", row, limits.max_rows),
        fmt::format("表格行数超过上限：最多 {} 行（第 {} 行超出）", limits.max_rows, row));
}

Error ColumnLimitError(std::size_t row, std::size_t col, const Limits& limits) {
    std::string name = internal::ColumnName(col);
    return Invalid(fmt::format("xlsx: non-empty cell {}{}, more than {} columns", name, row,
                               limits.max_columns),
                   fmt::format("第 {} 行的列数超过上限：最多 {} 列（{} 列超出）", row,
                               limits.max_columns, name));
}

Error CellLimitError(std::size_t row, std::size_t col, std::size_t size, const Limits& limits) {
    std::string name = internal::ColumnName(col);
    return Invalid(fmt::format("xlsx: cell {}{} has {} bytes, more than {}", name, row, size,
                               limits.max_cell_bytes),
                   fmt::format("第 {} 行 {} 列的内容超过上限：每格最多 {} 字节", row, name,
                               limits.max_cell_bytes));
}

// Text accumulated from XML character data. Stops growing once it is certainly over the cell
// limit: an _xHHHH_ escape shrinks 7 bytes to at least 1, so past 8 × limit (+ slack) the
// decoded text cannot fit.
class CellText {
  public:
    explicit CellText(const Limits& limits) {
        constexpr std::size_t kMax = std::numeric_limits<std::size_t>::max();
        cap_ = limits.max_cell_bytes > (kMax - 64) / 8 ? kMax : limits.max_cell_bytes * 8 + 64;
    }
    void Append(std::string_view s) {
        if (raw_.size() >= cap_) return;
        raw_.append(s.substr(0, cap_ - raw_.size()));
    }
    const std::string& raw() const { return raw_; }
    void Clear() { raw_.clear(); }

  private:
    std::size_t cap_ = 0;
    std::string raw_;
};

// ---------------------------------------------------------------------------------------------
// expat

constexpr XML_Char kNsSeparator = '\x01';  // cannot occur in an XML document (XML 1.0 §2.2)

struct XmlParserFree {
    void operator()(XML_ParserStruct* p) const { XML_ParserFree(p); }
};

// One pass of expat over a whole part, with namespace processing and no DTD. Subclasses see
// local names (the namespace URI stripped) and text.
class XmlReader {
  public:
    virtual ~XmlReader() = default;

    // Fails on malformed XML, any DOCTYPE, or an error raised by the subclass (Abort).
    Status Parse(std::string_view xml, std::string_view part) {
        std::unique_ptr<XML_ParserStruct, XmlParserFree> parser(
            XML_ParserCreateNS(nullptr, kNsSeparator));
        if (!parser) throw std::bad_alloc();
        parser_ = parser.get();
        XML_SetUserData(parser_, this);
        XML_SetElementHandler(parser_, &XmlReader::StartThunk, &XmlReader::EndThunk);
        XML_SetCharacterDataHandler(parser_, &XmlReader::TextThunk);
        // No DTD at all: that rules out entity expansion (billion laughs) and external
        // entities. Entity declarations can only appear inside a DOCTYPE; both are refused.
        XML_SetStartDoctypeDeclHandler(parser_, &XmlReader::DoctypeThunk);
        XML_SetEntityDeclHandler(parser_, &XmlReader::EntityThunk);
        XML_SetParamEntityParsing(parser_, XML_PARAM_ENTITY_PARSING_NEVER);

        // Parts are bounded by ZipLimits::max_entry_bytes, far below INT_MAX.
        XML_Status status = XML_Parse(parser_, xml.data(), static_cast<int>(xml.size()), XML_TRUE);
        if (error_) return Fail(std::move(*error_));
        if (status != XML_STATUS_OK) {
            return Broken(
                fmt::format("{}: {} at line {} column {}", part,
                            XML_ErrorString(XML_GetErrorCode(parser_)),
                            XML_GetCurrentLineNumber(parser_), XML_GetCurrentColumnNumber(parser_)),
                "文件内部的 XML 格式错误，文件可能已损坏");
        }
        return Ok();
    }

  protected:
    virtual void OnStart(std::string_view name, const XML_Char** attrs) = 0;
    virtual void OnEnd(std::string_view name) = 0;
    virtual void OnText(std::string_view /*text*/) {}

    // Stops parsing; Parse returns `error`.
    void Abort(Error error) {
        if (error_) return;
        error_ = std::move(error);
        XML_StopParser(parser_, XML_FALSE);
    }
    bool aborted() const { return error_.has_value(); }

    // The attribute with local name `local`; `namespaced` selects a prefixed attribute
    // (r:id) over an unprefixed one (Id).
    static std::optional<std::string_view> Attr(const XML_Char** attrs, std::string_view local,
                                                bool namespaced = false) {
        for (std::size_t i = 0; attrs[i] != nullptr; i += 2) {
            std::string_view name = attrs[i];
            auto sep = name.rfind(kNsSeparator);
            bool has_ns = sep != std::string_view::npos;
            if (has_ns != namespaced) continue;
            if (has_ns) name.remove_prefix(sep + 1);
            if (name == local) return std::string_view(attrs[i + 1]);
        }
        return std::nullopt;
    }

  private:
    static std::string_view Local(const XML_Char* name) {
        std::string_view n = name;
        auto sep = n.rfind(kNsSeparator);
        return sep == std::string_view::npos ? n : n.substr(sep + 1);
    }
    static void StartThunk(void* self, const XML_Char* name, const XML_Char** attrs) {
        auto* r = static_cast<XmlReader*>(self);
        if (!r->aborted()) r->OnStart(Local(name), attrs);
    }
    static void EndThunk(void* self, const XML_Char* name) {
        auto* r = static_cast<XmlReader*>(self);
        if (!r->aborted()) r->OnEnd(Local(name));
    }
    static void TextThunk(void* self, const XML_Char* s, int len) {
        auto* r = static_cast<XmlReader*>(self);
        if (!r->aborted()) r->OnText(std::string_view(s, static_cast<std::size_t>(len)));
    }
    static void DoctypeThunk(void* self, const XML_Char* /*name*/, const XML_Char* /*sysid*/,
                             const XML_Char* /*pubid*/, int /*has_internal_subset*/) {
        static_cast<XmlReader*>(self)->Abort(
            BrokenError("DOCTYPE in a part", "文件包含不允许的 DTD 声明"));
    }
    static void EntityThunk(void* self, const XML_Char* /*name*/, int /*is_param*/,
                            const XML_Char* /*value*/, int /*value_len*/, const XML_Char* /*base*/,
                            const XML_Char* /*sysid*/, const XML_Char* /*pubid*/,
                            const XML_Char* /*notation*/) {
        static_cast<XmlReader*>(self)->Abort(
            BrokenError("entity declaration in a part", "文件包含不允许的实体声明"));
    }

    XML_Parser parser_ = nullptr;
    std::optional<Error> error_;
};

// A relationships part (ECMA-376 Part 2 §9.3).
struct Relationship {
    std::string id;
    std::string type;
    std::string target;
    bool external = false;
};

class RelsReader : public XmlReader {
  public:
    std::vector<Relationship> rels;

  protected:
    void OnStart(std::string_view name, const XML_Char** attrs) override {
        if (name != "Relationship") return;
        Relationship rel;
        rel.id = Attr(attrs, "Id").value_or("");
        rel.type = Attr(attrs, "Type").value_or("");
        rel.target = Attr(attrs, "Target").value_or("");
        rel.external = Attr(attrs, "TargetMode").value_or("") == "External";
        rels.push_back(std::move(rel));
    }
    void OnEnd(std::string_view) override {}
};

// The workbook part: the relationship id of the first <sheet> in <sheets> (§18.2.19, §18.2.20).
class WorkbookReader : public XmlReader {
  public:
    std::optional<std::string> first_sheet_rid;

  protected:
    void OnStart(std::string_view name, const XML_Char** attrs) override {
        if (name == "sheets") in_sheets_ = true;
        if (name == "sheet" && in_sheets_ && !first_sheet_rid) {
            auto rid = Attr(attrs, "id", /*namespaced=*/true);
            first_sheet_rid = std::string(rid.value_or(""));
        }
    }
    void OnEnd(std::string_view name) override {
        if (name == "sheets") in_sheets_ = false;
    }

  private:
    bool in_sheets_ = false;
};

// The shared string table (§18.4.9 sst, §18.4.8 si): the text of <t> directly in <si> or in
// rich text runs <r>, leaving out phonetic runs <rPh> (§18.4.6).
class SharedStringsReader : public XmlReader {
  public:
    explicit SharedStringsReader(const Limits& limits) : limits_(limits), text_(limits) {}
    std::vector<std::string> strings;

  protected:
    void OnStart(std::string_view name, const XML_Char**) override {
        ++depth_;
        if (name == "si" && si_depth_ == 0) {
            si_depth_ = depth_;
            text_.Clear();
        } else if (si_depth_ != 0 && name == "rPh" && rph_depth_ == 0) {
            rph_depth_ = depth_;
        } else if (si_depth_ != 0 && rph_depth_ == 0 && name == "t" && t_depth_ == 0) {
            t_depth_ = depth_;
        }
    }
    void OnEnd(std::string_view) override {
        if (depth_ == t_depth_) t_depth_ = 0;
        if (depth_ == rph_depth_) rph_depth_ = 0;
        if (depth_ == si_depth_) {
            si_depth_ = 0;
            std::string s = internal::DecodeXstring(text_.raw());
            if (s.size() > limits_.max_cell_bytes) s.resize(limits_.max_cell_bytes + 1);
            strings.push_back(std::move(s));
        }
        --depth_;
    }
    void OnText(std::string_view text) override {
        if (t_depth_ != 0) text_.Append(text);
    }

  private:
    const Limits& limits_;
    CellText text_;
    std::size_t depth_ = 0;
    std::size_t si_depth_ = 0;  // depths of the open <si>, <rPh>, <t>; 0 when none is open
    std::size_t rph_depth_ = 0;
    std::size_t t_depth_ = 0;
};

// A worksheet (§18.3.1.99): sheetData → row → c → v | is, placed by cell reference.
class WorksheetReader : public XmlReader {
  public:
    WorksheetReader(const std::vector<std::string>& shared, const Limits& limits)
        : shared_(shared), limits_(limits), text_(limits) {}
    Table table;

  protected:
    void OnStart(std::string_view name, const XML_Char** attrs) override {
        ++depth_;
        if (depth_ == 1) {
            // A chart sheet, dialog sheet or macro sheet has no cells to read.
            if (name != "worksheet") {
                Abort(BrokenError(
                    fmt::format("first sheet is a {}", name),
                    "第一个工作表不是普通表格（可能是图表），请把数据放在第一个工作表"));
            }
            return;
        }
        if (name == "sheetData" && data_depth_ == 0) {
            data_depth_ = depth_;
        } else if (name == "row" && data_depth_ != 0 && row_depth_ == 0) {
            StartRow(attrs);
        } else if (name == "c" && row_depth_ != 0 && cell_depth_ == 0) {
            StartCell(attrs);
        } else if (cell_depth_ != 0 && depth_ == cell_depth_ + 1 && name == "v") {
            capture_depth_ = depth_;
        } else if (cell_depth_ != 0 && depth_ == cell_depth_ + 1 && name == "is") {
            is_depth_ = depth_;
        } else if (is_depth_ != 0 && name == "rPh" && rph_depth_ == 0) {
            rph_depth_ = depth_;
        } else if (is_depth_ != 0 && rph_depth_ == 0 && name == "t" && capture_depth_ == 0) {
            capture_depth_ = depth_;
        }
    }

    void OnEnd(std::string_view) override {
        if (depth_ == capture_depth_) capture_depth_ = 0;
        if (depth_ == rph_depth_) rph_depth_ = 0;
        if (depth_ == is_depth_) is_depth_ = 0;
        if (depth_ == cell_depth_) {
            cell_depth_ = 0;
            EndCell();
        }
        if (depth_ == row_depth_) row_depth_ = 0;
        if (depth_ == data_depth_) data_depth_ = 0;
        --depth_;
    }

    void OnText(std::string_view text) override {
        if (capture_depth_ != 0) text_.Append(text);
    }

  private:
    void StartRow(const XML_Char** attrs) {
        row_depth_ = depth_;
        if (auto r = Attr(attrs, "r")) {
            auto index = ParseIndex(*r, kMaxSheetRows);
            if (!index) return Abort(BadReference(*r));
            row_ = *index - 1;
        } else {
            row_ = next_row_;
        }
        next_row_ = row_ + 1;
        next_col_ = 0;
    }

    void StartCell(const XML_Char** attrs) {
        cell_depth_ = depth_;
        text_.Clear();
        cell_row_ = row_;
        cell_col_ = next_col_;
        if (auto r = Attr(attrs, "r")) {
            std::string_view ref = *r;
            std::size_t letters = 0;
            while (letters < ref.size() && ((ref[letters] >= 'A' && ref[letters] <= 'Z') ||
                                            (ref[letters] >= 'a' && ref[letters] <= 'z'))) {
                ++letters;
            }
            auto col = internal::ColumnIndex(ref.substr(0, letters));
            auto row = ParseIndex(ref.substr(letters), kMaxSheetRows);
            if (!col || !row) return Abort(BadReference(ref));
            cell_col_ = *col;
            cell_row_ = *row - 1;
        }
        next_col_ = cell_col_ + 1;
        type_ = std::string(Attr(attrs, "t").value_or("n"));
    }

    void EndCell() {
        std::string value;
        const std::string& raw = text_.raw();
        if (type_ == "s") {
            std::string_view index = TrimXmlSpace(raw);
            std::size_t i = 0;
            bool ok = !index.empty() && index.size() <= 10;
            for (char c : index) {
                ok = ok && c >= '0' && c <= '9';
                if (ok) i = i * 10 + static_cast<std::size_t>(c - '0');
            }
            if (!ok || i >= shared_.size()) {
                return Abort(BrokenError(fmt::format("shared string index '{}' of {} out of range",
                                                     index.substr(0, 16), shared_.size()),
                                         "文件已损坏（共享字符串索引越界）"));
            }
            value = shared_[i];
        } else if (type_ == "b") {
            std::string_view v = TrimXmlSpace(raw);
            value = v == "1" ? "TRUE" : v == "0" ? "FALSE" : std::string(v);
        } else if (type_ == "inlineStr" || type_ == "str") {
            value = internal::DecodeXstring(raw);
        } else if (type_ == "n") {
            value = internal::NumberText(TrimXmlSpace(raw));
        } else {
            value = raw;  // "e" (#N/A), "d" (ISO 8601 date), unknown types: as written
        }
        if (value.empty()) return;
        // Row and column numbers in messages are 1-based, as Excel shows them.
        if (cell_row_ >= limits_.max_rows) return Abort(RowLimitError(cell_row_ + 1, limits_));
        if (cell_col_ >= limits_.max_columns) {
            return Abort(ColumnLimitError(cell_row_ + 1, cell_col_, limits_));
        }
        if (value.size() > limits_.max_cell_bytes) {
            return Abort(CellLimitError(cell_row_ + 1, cell_col_, value.size(), limits_));
        }
        auto& rows = table.rows;
        if (rows.size() <= cell_row_) rows.resize(cell_row_ + 1);
        auto& row = rows[cell_row_];
        if (row.size() <= cell_col_) row.resize(cell_col_ + 1);
        row[cell_col_] = std::move(value);
    }

    static Error BadReference(std::string_view ref) {
        return BrokenError(fmt::format("bad cell or row reference '{}'", ref.substr(0, 32)),
                           "文件已损坏（单元格引用无效）");
    }

    const std::vector<std::string>& shared_;
    const Limits& limits_;
    CellText text_;
    std::string type_;
    std::size_t depth_ = 0;
    // Depths of the open elements of interest; 0 when not open.
    std::size_t data_depth_ = 0, row_depth_ = 0, cell_depth_ = 0, is_depth_ = 0, rph_depth_ = 0,
                capture_depth_ = 0;
    std::size_t row_ = 0, next_row_ = 0, next_col_ = 0;  // 0-based
    std::size_t cell_row_ = 0, cell_col_ = 0;
};

// ---------------------------------------------------------------------------------------------
// libzip

struct ZipDiscard {
    void operator()(zip_t* z) const { zip_discard(z); }
};
struct ZipFileClose {
    void operator()(zip_file_t* f) const { zip_fclose(f); }
};
struct ZipErrorFini {
    void operator()(zip_error_t* e) const { zip_error_fini(e); }
};

// A zip package held in memory, its entries checked against ZipLimits on open and again (the
// actual inflated bytes) on read. Not copyable; the archive borrows the caller's bytes.
class Package {
  public:
    static Result<Package> Open(ByteView data, const ZipLimits& limits) {
        zip_error_t error;
        zip_error_init(&error);
        std::unique_ptr<zip_error_t, ZipErrorFini> error_guard(&error);
        zip_source_t* source = zip_source_buffer_create(data.data(), data.size(), 0, &error);
        if (source == nullptr) {
            return Broken(fmt::format("zip_source_buffer_create: {}", zip_error_strerror(&error)),
                          "文件已损坏或不是 xlsx 格式");
        }
        zip_t* archive = zip_open_from_source(source, ZIP_RDONLY, &error);
        if (archive == nullptr) {
            zip_source_free(source);  // still ours when the open failed
            return Broken(fmt::format("zip_open: {}", zip_error_strerror(&error)),
                          "文件已损坏或不是 xlsx 格式");
        }
        Package package(archive, limits);
        GZCA_TRY_STATUS(package.CheckEntries());
        return package;
    }

    // Whether an entry of that name exists (part names are case-insensitive, Part 2 §9.1.1).
    bool Has(const std::string& name) const { return Locate(name).has_value(); }

    // The inflated entry. Fails when absent, encrypted, corrupt, or larger than the limits.
    Result<std::string> Read(const std::string& name) {
        auto index = Locate(name);
        if (!index) {
            return Broken(fmt::format("part {} missing", name), "缺少必需的内容，文件可能已损坏");
        }
        zip_stat_t st;
        zip_stat_init(&st);
        if (zip_stat_index(zip_.get(), *index, 0, &st) != 0) {
            return Broken(fmt::format("zip_stat {}: {}", name, zip_strerror(zip_.get())),
                          "文件已损坏");
        }
        if ((st.valid & ZIP_STAT_ENCRYPTION_METHOD) && st.encryption_method != ZIP_EM_NONE) {
            return Broken(fmt::format("{} is encrypted", name), "文件已加密，请取消密码后上传");
        }
        std::unique_ptr<zip_file_t, ZipFileClose> file(zip_fopen_index(zip_.get(), *index, 0));
        if (!file) {
            return Broken(fmt::format("zip_fopen {}: {}", name, zip_strerror(zip_.get())),
                          "文件已损坏或使用了不支持的压缩方式");
        }
        std::string out;
        char buffer[64 * 1024];
        for (;;) {
            zip_int64_t n = zip_fread(file.get(), buffer, sizeof buffer);
            if (n < 0) {
                return Broken(fmt::format("zip_fread {}: {}", name, zip_file_strerror(file.get())),
                              "文件已损坏");
            }
            if (n == 0) break;
            auto got = static_cast<std::size_t>(n);
            // Declared sizes were checked on open; this catches entries that lie about them.
            if (out.size() + got > st.size || out.size() + got > limits_.max_entry_bytes ||
                read_total_ + got > limits_.max_total_bytes) {
                return Broken(fmt::format("{} inflates past its declared {} bytes or the limits",
                                          name, st.size),
                              "文件已损坏（解压后的大小与声明不符）");
            }
            out.append(buffer, got);
            read_total_ += got;
        }
        return out;
    }

    // Reads an XML part and runs `reader` over it.
    Status Parse(const std::string& name, XmlReader& reader) {
        GZCA_ASSIGN_OR_RETURN(std::string xml, Read(name));
        return reader.Parse(xml, name);
    }

  private:
    Package(zip_t* archive, const ZipLimits& limits) : zip_(archive), limits_(limits) {}

    std::optional<zip_uint64_t> Locate(const std::string& name) const {
        zip_int64_t i = zip_name_locate(zip_.get(), name.c_str(), ZIP_FL_NOCASE);
        if (i < 0) return std::nullopt;
        return static_cast<zip_uint64_t>(i);
    }

    // Zip-bomb defences on the central directory, before anything is inflated.
    Status CheckEntries() {
        zip_int64_t count = zip_get_num_entries(zip_.get(), 0);
        if (count < 0) return Broken("zip_get_num_entries failed", "文件已损坏");
        std::uint64_t total = 0;
        for (zip_int64_t i = 0; i < count; ++i) {
            zip_stat_t st;
            zip_stat_init(&st);
            if (zip_stat_index(zip_.get(), static_cast<zip_uint64_t>(i), 0, &st) != 0 ||
                (st.valid & ZIP_STAT_SIZE) == 0 || (st.valid & ZIP_STAT_COMP_SIZE) == 0) {
                return Broken(fmt::format("zip_stat entry {}: {}", i, zip_strerror(zip_.get())),
                              "文件已损坏");
            }
            std::string_view name = (st.valid & ZIP_STAT_NAME) && st.name ? st.name : "?";
            name = name.substr(0, 128);
            if (st.size > limits_.max_entry_bytes) {
                return Broken(fmt::format("entry {} declares {} bytes, limit {}", name, st.size,
                                          limits_.max_entry_bytes),
                              "文件解压后过大（疑似压缩炸弹）");
            }
            total += st.size;
            if (total > limits_.max_total_bytes) {
                return Broken(fmt::format("entries declare more than {} bytes in total",
                                          limits_.max_total_bytes),
                              "文件解压后过大（疑似压缩炸弹）");
            }
            if (st.size >= limits_.ratio_exempt_below &&
                (st.comp_size == 0 ||
                 (st.comp_size < st.size && st.size > st.comp_size * limits_.max_ratio))) {
                return Broken(fmt::format("entry {} compresses {} bytes into {}, ratio over {}",
                                          name, st.size, st.comp_size, limits_.max_ratio),
                              "文件压缩比异常（疑似压缩炸弹）");
            }
        }
        return Ok();
    }

    std::unique_ptr<zip_t, ZipDiscard> zip_;
    ZipLimits limits_;
    std::size_t read_total_ = 0;
};

// Part names: "xl/workbook.xml" (zip entry names have no leading '/').
std::string Directory(const std::string& part) {
    auto slash = part.rfind('/');
    return slash == std::string::npos ? std::string() : part.substr(0, slash + 1);
}

// The relationships part of `part` (Part 2 §9.3.1): xl/workbook.xml → xl/_rels/workbook.xml.rels.
std::string RelsPartFor(const std::string& part) {
    std::string dir = Directory(part);
    return dir + "_rels/" + part.substr(dir.size()) + ".rels";
}

// Resolves a relationship target against the source part's directory (Part 2 §9.3.2; RFC 3986
// §5.2 for "." and ".."). nullopt when ".." climbs above the package root.
std::optional<std::string> ResolveTarget(const std::string& source_dir, std::string_view target) {
    std::string path =
        target.starts_with('/') ? std::string(target.substr(1)) : source_dir + std::string(target);
    std::vector<std::string> segments;
    std::size_t start = 0;
    while (start <= path.size()) {
        auto end = path.find('/', start);
        if (end == std::string::npos) end = path.size();
        std::string seg = path.substr(start, end - start);
        if (seg == "..") {
            if (segments.empty()) return std::nullopt;
            segments.pop_back();
        } else if (!seg.empty() && seg != ".") {
            segments.push_back(std::move(seg));
        }
        start = end + 1;
    }
    if (segments.empty()) return std::nullopt;
    std::string out;
    for (const auto& s : segments) {
        if (!out.empty()) out += '/';
        out += s;
    }
    return out;
}

const Relationship* FindByType(const std::vector<Relationship>& rels, std::string_view suffix) {
    for (const auto& r : rels) {
        if (!r.external && EndsWithAsciiNoCase(r.type, suffix)) return &r;
    }
    return nullptr;
}

}  // namespace

namespace internal {

std::optional<std::size_t> ColumnIndex(std::string_view letters) {
    if (letters.empty() || letters.size() > 3) return std::nullopt;
    std::size_t v = 0;
    for (char c : letters) {
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
        if (c < 'A' || c > 'Z') return std::nullopt;
        v = v * 26 + static_cast<std::size_t>(c - 'A' + 1);
    }
    if (v > 16384) return std::nullopt;  // XFD, §18.3.1.4
    return v - 1;
}

std::string ColumnName(std::size_t index) {
    std::string out;
    std::size_t n = index + 1;
    while (n > 0) {
        out.insert(out.begin(), static_cast<char>('A' + (n - 1) % 26));
        n = (n - 1) / 26;
    }
    return out;
}

std::string NumberText(std::string_view value) {
    std::string original(value);
    auto e = value.find_first_of("Ee");
    if (e == std::string_view::npos) return original;
    std::string_view mantissa = value.substr(0, e);
    std::string_view exponent = value.substr(e + 1);

    bool negative = false;
    if (!mantissa.empty() && (mantissa[0] == '-' || mantissa[0] == '+')) {
        negative = mantissa[0] == '-';
        mantissa.remove_prefix(1);
    }
    auto dot = mantissa.find('.');
    std::string_view int_part = mantissa.substr(0, dot);
    std::string_view frac_part =
        dot == std::string_view::npos ? std::string_view() : mantissa.substr(dot + 1);
    auto all_digits = [](std::string_view s) {
        return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
    };
    if (int_part.empty() && frac_part.empty()) return original;
    if (!all_digits(int_part) || !all_digits(frac_part)) return original;

    bool exp_negative = false;
    if (!exponent.empty() && (exponent[0] == '-' || exponent[0] == '+')) {
        exp_negative = exponent[0] == '-';
        exponent.remove_prefix(1);
    }
    if (exponent.empty() || exponent.size() > 3 || !all_digits(exponent)) return original;
    long exp = 0;
    for (char c : exponent) exp = exp * 10 + (c - '0');
    if (exp > 100) return original;  // not an identifier or a phone number; leave it
    if (exp_negative) exp = -exp;

    std::string digits = std::string(int_part) + std::string(frac_part);
    long point = static_cast<long>(int_part.size()) + exp;  // digits before the decimal point
    std::string integer;
    if (point <= 0) {
        integer = "0";
        if (digits.find_first_not_of('0') != std::string::npos) return original;
    } else {
        auto p = static_cast<std::size_t>(point);
        if (p >= digits.size()) {
            integer = digits + std::string(p - digits.size(), '0');
        } else {
            if (digits.find_first_not_of('0', p) != std::string::npos) return original;
            integer = digits.substr(0, p);
        }
        auto nz = integer.find_first_not_of('0');
        integer = nz == std::string::npos ? "0" : integer.substr(nz);
    }
    return negative && integer != "0" ? "-" + integer : integer;
}

std::string DecodeXstring(std::string_view text) {
    auto hex4 = [&](std::size_t at) -> std::optional<std::uint32_t> {
        // "_xHHHH_" starting at `at`
        if (at + 7 > text.size() || text[at] != '_' || text[at + 1] != 'x' || text[at + 6] != '_') {
            return std::nullopt;
        }
        std::uint32_t v = 0;
        for (std::size_t k = at + 2; k < at + 6; ++k) {
            char c = text[k];
            std::uint32_t d;
            if (c >= '0' && c <= '9') {
                d = static_cast<std::uint32_t>(c - '0');
            } else if (c >= 'a' && c <= 'f') {
                d = static_cast<std::uint32_t>(c - 'a' + 10);
            } else if (c >= 'A' && c <= 'F') {
                d = static_cast<std::uint32_t>(c - 'A' + 10);
            } else {
                return std::nullopt;
            }
            v = v * 16 + d;
        }
        return v;
    };
    auto append_utf8 = [](std::string& out, std::uint32_t cp) {
        if (cp < 0x80) {
            out += static_cast<char>(cp);
        } else if (cp < 0x800) {
            out += static_cast<char>(0xC0 | (cp >> 6));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            out += static_cast<char>(0xE0 | (cp >> 12));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        } else {
            out += static_cast<char>(0xF0 | (cp >> 18));
            out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        }
    };

    if (text.find("_x") == std::string_view::npos) return std::string(text);
    std::string out;
    out.reserve(text.size());
    std::size_t i = 0;
    while (i < text.size()) {
        auto unit = text[i] == '_' ? hex4(i) : std::nullopt;
        if (!unit || *unit == 0 || (*unit >= 0xDC00 && *unit <= 0xDFFF)) {
            out += text[i++];
            continue;
        }
        if (*unit >= 0xD800 && *unit <= 0xDBFF) {
            auto low = hex4(i + 7);
            if (!low || *low < 0xDC00 || *low > 0xDFFF) {
                out += text[i++];  // unpaired high surrogate: left as written
                continue;
            }
            append_utf8(out, 0x10000 + ((*unit - 0xD800) << 10) + (*low - 0xDC00));
            i += 14;
            continue;
        }
        append_utf8(out, *unit);
        i += 7;
    }
    return out;
}

Result<std::vector<std::string>> ParseSharedStrings(std::string_view xml, const Limits& limits) {
    SharedStringsReader reader(limits);
    GZCA_TRY_STATUS(reader.Parse(xml, "sharedStrings"));
    return std::move(reader.strings);
}

Result<Table> ParseWorksheet(std::string_view xml, const std::vector<std::string>& shared,
                             const Limits& limits) {
    WorksheetReader reader(shared, limits);
    GZCA_TRY_STATUS(reader.Parse(xml, "worksheet"));
    return std::move(reader.table);
}

Result<Table> ReadXlsx(ByteView data, const Limits& limits, const ZipLimits& zip_limits) {
    GZCA_ASSIGN_OR_RETURN(Package package, Package::Open(data, zip_limits));

    // Package relationships name the workbook part (Part 2 §9.3, Part 1 §11.3.10).
    std::string workbook = "xl/workbook.xml";
    if (std::string root_rels = "_rels/.rels"; package.Has(root_rels)) {
        RelsReader rels;
        GZCA_TRY_STATUS(package.Parse(root_rels, rels));
        if (const auto* r = FindByType(rels.rels, "/officeDocument")) {
            if (auto target = ResolveTarget("", r->target)) workbook = *target;
        }
    }

    std::string sheet_part;
    std::string shared_part;
    if (package.Has(workbook)) {
        WorkbookReader book;
        GZCA_TRY_STATUS(package.Parse(workbook, book));
        std::string rels_part = RelsPartFor(workbook);
        if (package.Has(rels_part)) {
            RelsReader rels;
            GZCA_TRY_STATUS(package.Parse(rels_part, rels));
            std::string dir = Directory(workbook);
            for (const auto& r : rels.rels) {
                if (book.first_sheet_rid && !book.first_sheet_rid->empty() && !r.external &&
                    r.id == *book.first_sheet_rid) {
                    if (auto target = ResolveTarget(dir, r.target)) sheet_part = *target;
                }
            }
            if (const auto* r = FindByType(rels.rels, "/sharedStrings")) {
                if (auto target = ResolveTarget(dir, r->target)) shared_part = *target;
            }
        }
    }
    if (sheet_part.empty()) sheet_part = "xl/worksheets/sheet1.xml";
    if (shared_part.empty()) shared_part = "xl/sharedStrings.xml";
    if (!package.Has(sheet_part)) {
        return Broken(fmt::format("first sheet part {} missing", sheet_part.substr(0, 128)),
                      "找不到第一个工作表");
    }

    std::vector<std::string> shared;
    if (package.Has(shared_part)) {
        SharedStringsReader reader(limits);
        GZCA_TRY_STATUS(package.Parse(shared_part, reader));
        shared = std::move(reader.strings);
    }
    WorksheetReader sheet(shared, limits);
    GZCA_TRY_STATUS(package.Parse(sheet_part, sheet));
    return std::move(sheet.table);
}

}  // namespace internal

Result<Table> ReadXlsx(ByteView data, const Limits& limits) {
    return internal::ReadXlsx(data, limits, internal::ZipLimits{});
}

}  // namespace gzca::sheet
