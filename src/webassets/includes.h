#pragma once
// Include directives in the pages under web/pages/: the shared chrome (the <head> boilerplate,
// the header band with the top menu, the footer) lives once in web/partials/ and each page
// names it. Expanded at build time by gzca_embed_web, and per request in dev mode by the page
// routes (GZCA_WEB_DIR), with this one function, so both serve the same bytes.
//
// A directive is an HTML comment:
//
//     <!--#include NAME key="value" key2="value2" -->
//
//   NAME   a file in web/partials/: letters, digits, '.', '_', '-', no '/' ("header.html").
//   key    letters, digits, '_', '-'; value in double quotes, without '"', inserted verbatim
//          (not HTML-escaped: values are written by us, in web/pages/).
//
// The directive is replaced by the partial's text with one trailing newline removed, so a
// directive alone on its line yields the partial's lines. In the partial, each "{{key}}" is
// replaced by the directive's value for key (only there: "{{" in a page is left alone). A
// partial may include other partials (after its own "{{key}}"s are replaced, so it can pass a
// value on: key="{{key}}"), up to 4 levels deep. When only spaces or tabs precede a directive
// on its line, every non-empty line of the partial after the first is indented by the same
// whitespace, so one partial (brand.html) fits at any depth of the markup.
//
// Errors (every one fails the build, or answers 500 in dev mode): a "<!--#" that is not a
// well-formed include directive; a missing partial; a "{{key}}" the directive gives no value
// for, or a "{{" without "}}"; a key given twice or not used by the partial (a typo); and
// includes nested more than 4 deep (a cycle).
//
// Thread-safety: a pure function; `load` is called on the calling thread only.

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace gzca::webassets {

// Reads the partial called `name` (already checked to be a plain file name); nullopt when
// there is no such partial.
using PartialLoader = std::function<std::optional<std::string>(std::string_view name)>;

struct Expansion {
    std::string text;   // the page with every directive expanded; empty on error
    std::string error;  // empty on success, else "PAGE:LINE: what is wrong", or for an error in a
                        // partial "PAGE:LINE: PARTIAL:LINE: what is wrong"

    bool ok() const { return error.empty(); }
};

// Expands every include directive in `page`. `page_name` only labels error messages
// ("/pages/orders.html"). A page without directives comes back unchanged.
Expansion ExpandIncludes(std::string_view page, std::string_view page_name,
                         const PartialLoader& load);

// True for the files that ExpandIncludes applies to: "/pages/….html".
bool HasIncludes(std::string_view path);

// The bytes of a regular file, or nullopt when it is not one or cannot be read whole (the
// embed tool and dev mode read pages and partials with it).
std::optional<std::string> ReadRegularFile(const std::filesystem::path& file);

// Where the partials live, relative to web/ ("partials"); they are never served themselves.
inline constexpr std::string_view kPartialsDir = "partials";

}  // namespace gzca::webassets
