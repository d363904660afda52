#pragma once
// Tabular uploads (批量申请上传): an organisation uploads a CSV or XLSX file with one user per
// row; this module turns the bytes into rows of UTF-8 cells and finds the columns by header text.
// It knows nothing of what the columns mean.
//
// Every failure is kInvalidArgument: the bytes came from a user. Public messages are Chinese,
// name the row (1-based, as a spreadsheet shows it) and never carry library text; the detail
// (libzip or expat text, offsets) is in `internal`.
//
// Thread-safety: free functions over values; reentrant (each call owns its iconv descriptor,
// zip archive and XML parsers).

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/error.h"

namespace gzca::sheet {

// A decoded table: rows of UTF-8 cells. Row 0 is whatever the file's first row is (usually the
// header). Rows may differ in length; a cell past the end of a row reads as empty. Trailing rows
// whose cells are all empty are dropped, so an empty file gives no rows.
struct Table {
    std::vector<std::vector<std::string>> rows;
};

enum class Format { kCsv, kXlsx };

// Detects by content: "PK\x03\x04" → kXlsx; otherwise kCsv if the bytes are text: valid UTF-8
// (an optional UTF-8 BOM) or valid GB18030/GBK (Excel on Chinese Windows saves CSV as GBK), with
// no control characters other than tab, CR and LF. Empty input is kCsv.
// kInvalidArgument otherwise (binary data, legacy .xls, UTF-16).
Result<Format> DetectFormat(ByteView data);

// Upper bounds on a decoded table, applied by ReadCsv and ReadXlsx alike.
struct Limits {
    std::size_t max_rows = 5000;
    std::size_t max_columns = 64;
    std::size_t max_cell_bytes = 1024;  // UTF-8 bytes of one cell, after trimming
};

// RFC 4180 CSV: comma separator; CRLF, LF (or a lone CR, old Mac Excel) line ends; quoted
// fields with "" escapes and embedded newlines; cells trimmed of surrounding spaces/tabs only
// when unquoted (spaces around a quoted field are ignored); a quote inside an unquoted field is
// kept literally. The input is decoded as DetectFormat describes (UTF-8 with optional BOM, else
// GB18030 converted to UTF-8). A blank line in the middle is a row with one empty cell.
// Fails with kInvalidArgument on: bytes that are not text; an unterminated quote (naming the
// row where it opened); characters other than spaces/tabs between a closing quote and the next
// comma or line end; more than limits.max_rows rows, more than limits.max_columns cells in a
// row, or a cell longer than limits.max_cell_bytes (each naming the limit and the row).
Result<Table> ReadCsv(ByteView data, const Limits& limits = {});

// XLSX (ECMA-376 / ISO/IEC 29500, transitional or strict): reads the FIRST worksheet in workbook
// order (hidden or not), found through _rels/.rels, the workbook part and its relationships;
// when the package has no workbook part or it lists no sheet, xl/worksheets/sheet1.xml.
// Cells: shared strings (rich text runs concatenated, phonetic runs left out), inline strings,
// formula results (cached values), booleans ("TRUE"/"FALSE"), errors ("#N/A"), and numbers kept
// as their text ("13800138000"; scientific notation that is integral, "1.38001380001E10", is
// written out as digits). Dates are left as serial numbers. Excel's _xHHHH_ escapes are
// decoded. Cell references place cells, so gaps give empty cells in the right columns; text is
// otherwise as stored (not trimmed) and trailing empty cells of a row are not kept.
// Fails with kInvalidArgument on: not a readable zip; an entry declaring more than 20 MB
// uncompressed, all entries together more than 50 MB, or a compression ratio over 100 (entries
// under 64 KiB are exempt from the ratio test); an entry that inflates past its declared size;
// encrypted entries; a missing or malformed part; any DOCTYPE in a part (no DTDs, no
// entities); a first sheet that is not a worksheet (a chart sheet); and the Limits (a non-empty
// cell beyond limits.max_rows or limits.max_columns, or longer than limits.max_cell_bytes).
Result<Table> ReadXlsx(ByteView data, const Limits& limits = {});

// DetectFormat + the matching reader; fails as those do.
Result<Table> ReadTable(ByteView data, const Limits& limits = {});

// One logical field of an upload and the header texts accepted for it, preferred text first
// (e.g. {"phone", {"联系电话", "手机号", "phone"}}).
struct FieldSpec {
    std::string field;
    std::vector<std::string> headers;
    bool required = false;
};

// Maps each field to the index of the first column whose header matches one of its texts.
// Matching ignores surrounding spaces (ASCII and U+3000), one trailing '*' or '＊' (the
// required-field marker) and ASCII case. Fields that match no column are absent from the map.
// Fails with kInvalidArgument when a required field matches no column; the public message
// names every missing required field by its accepted header texts, the internal one by `field`.
Result<std::map<std::string, std::size_t>> MapHeader(const std::vector<std::string>& header_row,
                                                     const std::vector<FieldSpec>& fields);

}  // namespace gzca::sheet
