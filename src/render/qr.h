#pragma once
// QR codes (ISO/IEC 18004) of short texts — order numbers, verification URLs — as PNG images for
// web pages and as vector drawings inside PDFs. Encoding: byte mode, error-correction level M,
// the smallest version that fits, libqrencode's choice of mask.
//
// Thread-safety: free functions; safe to call from several threads at once (each call has its
// own surface). DrawQr() draws on the caller's context, which only one thread may use at a time.

#include <string_view>

#include "base/bytes.h"
#include "base/error.h"

struct _cairo;  // cairo_t

namespace gzca::render {

// Pixels per module accepted by QrPng(): a version-40 symbol at 20 px is 3700 px square.
inline constexpr int kMaxQrModulePx = 20;

// QR code of `text` (UTF-8 or any bytes, byte mode, error correction level M) as a PNG:
// `module_px` pixels per module, 4-module quiet zone, black on white; the image is
// (modules + 8) * module_px pixels square (modules = 21 for version 1, +4 per version).
// kInvalidArgument when `text` is empty, does not fit a QR code (over 2331 bytes at level M), or
// `module_px` is outside [1, kMaxQrModulePx]; kInternal when encoding or drawing fails.
Result<Bytes> QrPng(std::string_view text, int module_px = 6);

// Draws the QR code of `text` onto `cr` as filled rectangles in a square of side `size` (user
// units) with its top-left corner at (x, y); the square includes the 4-module quiet zone, which
// is painted white. The context's source, transform and fill rule are restored afterwards; its
// current path is cleared.
// kInvalidArgument when `cr` is null, `size` is not positive, or `text` is empty or does not fit
// a QR code; kInternal when the context is (or ends up) in an error state.
Status DrawQr(struct _cairo* cr, std::string_view text, double x, double y, double size);

}  // namespace gzca::render
