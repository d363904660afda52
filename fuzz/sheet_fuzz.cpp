// libFuzzer target for sheet::ReadTable: the bytes of a batch upload (批量申请上传), straight
// from a user.
//
// Beyond "no crash, no sanitizer report", it checks the readers' contract: failures are
// kInvalidArgument with a public message; DetectFormat agrees with ReadTable; a table that reads
// respects the Limits and holds only valid UTF-8. The same bytes also go to the XML part parsers
// directly, because from an empty corpus the fuzzer rarely builds a zip that reaches them.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "sheet/internal.h"
#include "sheet/table.h"

namespace {

using namespace gzca;

void Check(bool ok) {
    if (!ok) std::abort();
}

void CheckFailure(const Error& error) {
    Check(error.code == ErrorCode::kInvalidArgument);
    Check(!error.public_message.empty());
}

// Small limits, so that inputs of a few hundred bytes reach every limit check.
constexpr sheet::Limits kLimits{.max_rows = 40, .max_columns = 8, .max_cell_bytes = 48};

void CheckTable(const Result<sheet::Table>& table) {
    if (!table) return CheckFailure(table.error());
    Check(table->rows.size() <= kLimits.max_rows);
    for (const auto& row : table->rows) {
        Check(row.size() <= kLimits.max_columns);
        for (const auto& cell : row) {
            Check(cell.size() <= kLimits.max_cell_bytes);
            Check(sheet::internal::IsValidUtf8(cell));
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    ByteView bytes(data, size);
    auto table = sheet::ReadTable(bytes, kLimits);
    CheckTable(table);
    auto format = sheet::DetectFormat(bytes);
    if (!format) {
        CheckFailure(format.error());
        Check(!table);  // what DetectFormat refuses, ReadTable refuses
    }

    std::string_view xml = AsString(bytes);
    const std::vector<std::string> shared = {"姓名", "", "13800138000"};
    CheckTable(sheet::internal::ParseWorksheet(xml, shared, kLimits));
    auto strings = sheet::internal::ParseSharedStrings(xml, kLimits);
    if (!strings) {
        CheckFailure(strings.error());
    } else {
        for (const auto& s : *strings) Check(s.size() <= kLimits.max_cell_bytes + 1);
    }
    if (sheet::internal::IsValidUtf8(xml) && size <= 256) {
        Check(sheet::internal::IsValidUtf8(sheet::internal::DecodeXstring(xml)));
        (void)sheet::internal::NumberText(xml);
    }
    return 0;
}
