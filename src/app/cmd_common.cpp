#include <iostream>
#include <iterator>

#include <fmt/format.h>

#include "app/commands.h"

namespace gzca::app {

int ReportError(const Error& error, const GlobalOptions& global) {
    fmt::print(stderr, "gzca: {}\n", error.public_message);
    if (global.verbose && error.internal != error.public_message) {
        fmt::print(stderr, "gzca: detail ({}): {}\n", ErrorCodeName(error.code), error.internal);
    }
    return 1;
}

Result<Bytes> ReadInput(const std::string& path, std::size_t max_size) {
    if (path != "-") return ReadFile(path, max_size);
    std::string data((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    if (data.size() > max_size) {
        return Fail(ErrorCode::kInvalidArgument, "standard input is too large");
    }
    return Bytes(data.begin(), data.end());
}

}  // namespace gzca::app
