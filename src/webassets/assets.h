#pragma once
// The subscriber pages (web/ in the source tree), compiled into the binary.
//
// At build time the host tool `gzca_embed_web` (embed_web.cpp) turns every file under web/ into
// one generated table: path, media type, bytes and a strong ETag per file. Editing, adding or
// removing a file under web/ regenerates the table on the next build (CMake globs web/ with
// CONFIGURE_DEPENDS). Files whose name starts with '.' or ends with '~' are skipped; a file with
// an extension ContentTypeFor() does not know fails the build, so nothing is ever served as
// application/octet-stream by accident. Pages (web/pages/*.html) are stored with their
// "<!--#include NAME -->" directives expanded from web/partials/ (includes.h), which are not
// stored themselves; a bad directive or a missing partial fails the build.
//
// Dev mode: when the environment variable GZCA_WEB_DIR names a directory at the time
// api::RegisterPageRoutes runs (i.e. when `gzca serve` starts), the page routes serve files from
// that directory instead, reading each file afresh on every request (no ETag, no caching, the
// same include expansion), so a
// designer can edit web/ and reload the browser without rebuilding:
//
//     GZCA_WEB_DIR=$PWD/web ./build/gzca serve
//
// Thread-safety: everything here is immutable static data; call from any thread.

#include <span>
#include <string_view>

namespace gzca::webassets {

struct Asset {
    std::string_view path;          // relative to web/ with a leading '/': "/assets/app.css"
    std::string_view content_type;  // "text/css; charset=utf-8", "image/png", …
    std::string_view body;          // the file's bytes
    std::string_view etag;          // quoted strong ETag: first 16 hex of SHA-256 of the body
};

// The asset at exactly `path` ("/pages/index.html"), or nullptr when there is none. No
// normalisation: callers pass exact paths (and must reject "..", '\' themselves when the path
// comes from a request).
const Asset* Find(std::string_view path);

// Every embedded asset, sorted by path (bytewise).
std::span<const Asset> All();

// The Content-Type served for a file name, from its extension (case-insensitive): html, css,
// js/mjs, json, txt and svg as UTF-8 text ("text/html; charset=utf-8" …), png, jpg/jpeg, ico,
// pdf, woff2. Empty when the extension is unknown.
std::string_view ContentTypeFor(std::string_view path);

}  // namespace gzca::webassets
