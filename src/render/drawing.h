#pragma once
// Internal to src/render: owning pointers for cairo, Pango and libqrencode handles, PNG/PDF
// output into memory, and UTF-8 clean-up before text reaches Pango.
//
// Contract: cairo reports failures as a status on the surface or context (it never returns
// NULL); the helpers here turn a bad status into an Error whose public message never carries
// cairo's text.
//
// Thread-safety: free functions over values; each cairo surface or context is used by one
// thread at a time (cairo's rule).

#include <memory>
#include <string>
#include <string_view>

#include <cairo.h>
#include <pango/pangocairo.h>
#include <qrencode.h>

#include "base/bytes.h"
#include "base/error.h"

namespace gzca::render {

template <auto FreeFn>
struct FreeWith {
    template <typename T>
    void operator()(T* p) const {
        FreeFn(p);
    }
};

using SurfacePtr = std::unique_ptr<cairo_surface_t, FreeWith<cairo_surface_destroy>>;
using ContextPtr = std::unique_ptr<cairo_t, FreeWith<cairo_destroy>>;
using PatternPtr = std::unique_ptr<cairo_pattern_t, FreeWith<cairo_pattern_destroy>>;
using FontOptionsPtr = std::unique_ptr<cairo_font_options_t, FreeWith<cairo_font_options_destroy>>;
using PangoContextPtr = std::unique_ptr<PangoContext, FreeWith<g_object_unref>>;
using LayoutPtr = std::unique_ptr<PangoLayout, FreeWith<g_object_unref>>;
using FontPtr = std::unique_ptr<PangoFont, FreeWith<g_object_unref>>;
using FontDescPtr = std::unique_ptr<PangoFontDescription, FreeWith<pango_font_description_free>>;
using QrCodePtr = std::unique_ptr<QRcode, FreeWith<QRcode_free>>;

// kInternal when `status` is not CAIRO_STATUS_SUCCESS; `what` names the step for the log.
Status CheckCairo(cairo_status_t status, std::string_view what);

// A new RGB24 image surface of width x height pixels with a context on it. kInternal when cairo
// cannot allocate it.
struct Canvas {
    SurfacePtr surface;  // declared first: destroyed after the context that draws on it
    ContextPtr cr;
};
Result<Canvas> NewImageCanvas(int width, int height);

// The surface encoded as PNG. kInternal when cairo fails (out of memory, surface in error).
Result<Bytes> EncodePng(cairo_surface_t* surface);

// cairo_write_func_t that appends to the Bytes passed as `closure`; reports CAIRO_STATUS_NO_MEMORY
// instead of letting std::bad_alloc cross cairo's C frames.
cairo_status_t AppendToBytes(void* closure, const unsigned char* data, unsigned int length);

// `text` with each invalid UTF-8 sequence and each NUL replaced by U+FFFD, so Pango never sees
// (and never warns about) bad input.
std::string ValidUtf8(std::string_view text);

// The QR code of `text` in byte mode at error-correction level M, smallest version that fits.
// kInvalidArgument when `text` is empty or longer than a version-40 symbol holds (2331 bytes);
// kInternal when libqrencode fails otherwise (out of memory).
Result<QrCodePtr> EncodeQr(std::string_view text);

}  // namespace gzca::render
