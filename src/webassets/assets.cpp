#include "webassets/assets.h"

#include <algorithm>
#include <cstddef>

namespace gzca::webassets {

namespace detail {
// Defined in the generated web_assets.cpp, sorted by path.
extern const Asset kTable[];
extern const std::size_t kTableSize;
}  // namespace detail

std::span<const Asset> All() { return {detail::kTable, detail::kTableSize}; }

const Asset* Find(std::string_view path) {
    auto all = All();
    auto it = std::lower_bound(all.begin(), all.end(), path,
                               [](const Asset& a, std::string_view p) { return a.path < p; });
    return it != all.end() && it->path == path ? &*it : nullptr;
}

}  // namespace gzca::webassets
