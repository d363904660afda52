#pragma once
// Pieces of the sheet readers exposed for sheet_test and sheet_fuzz; not for other modules.
// Thread-safety: free functions over values; reentrant.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/error.h"
#include "sheet/table.h"

namespace gzca::sheet::internal {

// Strict UTF-8 (RFC 3629 §4): no overlong forms, no surrogates, nothing above U+10FFFF.
bool IsValidUtf8(std::string_view text);

// The bytes as UTF-8 text: UTF-8 as is, else GB18030 (a superset of GBK) converted with iconv;
// a leading BOM is dropped either way. nullopt when neither decodes or the text holds a control
// character other than tab, CR, LF.
std::optional<std::string> DecodeText(ByteView data);

// The CSV grammar of ReadCsv over already decoded UTF-8 text.
Result<Table> ParseCsv(std::string_view text, const Limits& limits);

// Zip-bomb defences of ReadXlsx; the defaults are what ReadXlsx uses. Smaller values let tests
// reach each check with small files.
struct ZipLimits {
    std::size_t max_entry_bytes = 20u << 20;     // uncompressed, per entry
    std::size_t max_total_bytes = 50u << 20;     // uncompressed, all entries (declared and read)
    std::size_t max_ratio = 100;                 // uncompressed / compressed
    std::size_t ratio_exempt_below = 64u << 10;  // smaller entries cannot be bombs
};

Result<Table> ReadXlsx(ByteView data, const Limits& limits, const ZipLimits& zip_limits);

// The XML parts, each refusing DOCTYPE. ParseSharedStrings keeps a string longer than
// limits.max_cell_bytes cut to max_cell_bytes + 1 bytes so that using it fails the limit.
Result<std::vector<std::string>> ParseSharedStrings(std::string_view xml, const Limits& limits);
Result<Table> ParseWorksheet(std::string_view xml, const std::vector<std::string>& shared,
                             const Limits& limits);

// A numeric cell's text: scientific notation that is integral becomes plain digits
// ("1.38001380001E10" → "13800138000"); everything else is returned unchanged.
std::string NumberText(std::string_view value);

// Decodes Excel's ST_Xstring escapes (_x000D_ → CR, _x005F_ → '_'); malformed or
// non-character escapes are left as written.
std::string DecodeXstring(std::string_view text);

// "A" → 0, "Z" → 25, "AA" → 26, up to "XFD" (16383); nullopt otherwise.
std::optional<std::size_t> ColumnIndex(std::string_view letters);
// 0 → "A".
std::string ColumnName(std::size_t index);

}  // namespace gzca::sheet::internal
