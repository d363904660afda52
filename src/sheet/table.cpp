// Format detection, the CSV reader (RFC 4180 with the leniencies spreadsheet exports need) and
// ReadTable.

#include "sheet/table.h"

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "sheet/internal.h"

namespace gzca::sheet {
namespace {

constexpr std::string_view kZipMagic = "PK\x03\x04";
// OLE2 compound file: legacy .xls, and also password-protected .xlsx.
constexpr std::string_view kOleMagic = "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

std::string_view TrimTrailingBlanks(std::string_view s) {
    while (!s.empty() && IsBlank(s.back())) s.remove_suffix(1);
    return s;
}

// The text of a CSV upload, or the error DetectFormat and ReadCsv give for bytes that are not.
Result<std::string> DecodeCsvText(ByteView data) {
    if (AsString(data).starts_with(kOleMagic)) {
        return Fail(ErrorCode::kInvalidArgument, "OLE2 compound file (legacy .xls or encrypted)",
                    "不支持旧版 Excel（.xls）或加密的文件，请另存为 .xlsx 或 CSV 后上传");
    }
    auto text = internal::DecodeText(data);
    if (!text) {
        return Fail(ErrorCode::kInvalidArgument,
                    "not a zip and not UTF-8 or GB18030 text without control characters",
                    "无法识别的文件格式：请上传 Excel（.xlsx）文件，或 UTF-8、GBK 编码的 CSV 文件");
    }
    return std::move(*text);
}

// Collects finished CSV records. Records whose cells are all empty are held back and only kept
// when a non-empty record follows, so trailing blank lines (and Excel's trailing ",,,") vanish;
// at most max_rows of them are held, so a flood of blank lines costs no memory.
class RowCollector {
  public:
    explicit RowCollector(const Limits& limits) : limits_(limits) {}

    Status Add(std::vector<std::string> row) {
        bool empty = std::all_of(row.begin(), row.end(), [](const auto& c) { return c.empty(); });
        std::size_t seen = table_.rows.size() + held_.size();
        if (empty) {
            if (seen < limits_.max_rows) {
                held_.push_back(row.size());
            } else {
                overflow_ = true;
            }
            return Ok();
        }
        if (overflow_ || seen >= limits_.max_rows) {
            return Fail(ErrorCode::kInvalidArgument,
                        fmt::format("csv: more than {} rows", limits_.max_rows),
                        fmt::format("表格行数超过上限：最多 {} 行（第 {} 行超出）",
                                    limits_.max_rows, limits_.max_rows + 1));
        }
        for (std::size_t cells : held_) table_.rows.emplace_back(cells);
        held_.clear();
        table_.rows.push_back(std::move(row));
        return Ok();
    }

    Table Finish() && { return std::move(table_); }

  private:
    const Limits& limits_;
    Table table_;
    std::vector<std::size_t> held_;  // cell counts of the empty records not yet kept
    bool overflow_ = false;          // an empty record beyond max_rows was dropped
};

}  // namespace

namespace internal {

Result<Table> ParseCsv(std::string_view text, const Limits& limits) {
    enum class State { kFieldStart, kUnquoted, kQuoted, kAfterQuote };
    RowCollector rows(limits);
    std::vector<std::string> row;
    std::string field;
    State state = State::kFieldStart;
    std::size_t record = 1;  // 1-based number of the record being read
    bool record_started = false;

    auto end_field = [&]() -> Status {
        std::string_view value = field;
        // Leading blanks of an unquoted field were never added.
        if (state == State::kUnquoted) value = TrimTrailingBlanks(value);
        if (row.size() >= limits.max_columns) {
            return Fail(
                ErrorCode::kInvalidArgument,
                fmt::format("csv: row {} has more than {} columns", record, limits.max_columns),
                fmt::format("第 {} 行的列数超过上限：最多 {} 列", record, limits.max_columns));
        }
        if (value.size() > limits.max_cell_bytes) {
            return Fail(ErrorCode::kInvalidArgument,
                        fmt::format("csv: row {} column {} has {} bytes, more than {}", record,
                                    row.size() + 1, value.size(), limits.max_cell_bytes),
                        fmt::format("第 {} 行第 {} 列的内容超过上限：每格最多 {} 字节", record,
                                    row.size() + 1, limits.max_cell_bytes));
        }
        row.emplace_back(value);
        field.clear();
        state = State::kFieldStart;
        return Ok();
    };
    auto end_record = [&]() -> Status {
        GZCA_TRY_STATUS(end_field());
        GZCA_TRY_STATUS(rows.Add(std::move(row)));
        row = {};
        ++record;
        record_started = false;
        return Ok();
    };

    const std::size_t n = text.size();
    for (std::size_t i = 0; i < n; ++i) {
        const char c = text[i];
        record_started = true;
        switch (state) {
            case State::kFieldStart:
                if (IsBlank(c)) break;
                if (c == '"') {
                    state = State::kQuoted;
                    break;
                }
                [[fallthrough]];
            case State::kUnquoted:
                if (c == ',') {
                    GZCA_TRY_STATUS(end_field());
                } else if (c == '\r' || c == '\n') {
                    if (c == '\r' && i + 1 < n && text[i + 1] == '\n') ++i;
                    GZCA_TRY_STATUS(end_record());
                } else {
                    field.push_back(c);
                    state = State::kUnquoted;
                }
                break;
            case State::kQuoted:
                if (c != '"') {
                    field.push_back(c);
                } else if (i + 1 < n && text[i + 1] == '"') {
                    field.push_back('"');
                    ++i;
                } else {
                    state = State::kAfterQuote;
                }
                break;
            case State::kAfterQuote:
                if (IsBlank(c)) break;
                if (c == ',') {
                    GZCA_TRY_STATUS(end_field());
                } else if (c == '\r' || c == '\n') {
                    if (c == '\r' && i + 1 < n && text[i + 1] == '\n') ++i;
                    GZCA_TRY_STATUS(end_record());
                } else {
                    return Fail(
                        ErrorCode::kInvalidArgument,
                        fmt::format("csv: row {}: text after a closing quote", record),
                        fmt::format("CSV 文件第 {} 行格式错误：引号括起的内容后面还有多余字符",
                                    record));
                }
                break;
        }
    }
    if (state == State::kQuoted) {
        return Fail(ErrorCode::kInvalidArgument,
                    fmt::format("csv: row {}: unterminated quoted field", record),
                    fmt::format("CSV 文件第 {} 行格式错误：引号没有闭合", record));
    }
    // The last line need not end with a line break.
    if (record_started) GZCA_TRY_STATUS(end_record());
    return std::move(rows).Finish();
}

}  // namespace internal

Result<Format> DetectFormat(ByteView data) {
    if (AsString(data).starts_with(kZipMagic)) return Format::kXlsx;
    GZCA_TRY_STATUS(DecodeCsvText(data));
    return Format::kCsv;
}

Result<Table> ReadCsv(ByteView data, const Limits& limits) {
    GZCA_ASSIGN_OR_RETURN(std::string text, DecodeCsvText(data));
    return internal::ParseCsv(text, limits);
}

Result<Table> ReadTable(ByteView data, const Limits& limits) {
    // Decodes the text once, where DetectFormat followed by ReadCsv would decode it twice.
    if (AsString(data).starts_with(kZipMagic)) return ReadXlsx(data, limits);
    return ReadCsv(data, limits);
}

}  // namespace gzca::sheet
