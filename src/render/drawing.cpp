#include "render/drawing.h"

#include <cerrno>
#include <climits>
#include <new>

#include <fmt/format.h>

namespace gzca::render {

Status CheckCairo(cairo_status_t status, std::string_view what) {
    if (status == CAIRO_STATUS_SUCCESS) return Ok();
    return Fail(ErrorCode::kInternal, fmt::format("{}: {}", what, cairo_status_to_string(status)),
                "could not draw the document");
}

Result<Canvas> NewImageCanvas(int width, int height) {
    Canvas canvas;
    canvas.surface.reset(cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height));
    GZCA_TRY_STATUS(
        CheckCairo(cairo_surface_status(canvas.surface.get()), "cairo_image_surface_create"));
    canvas.cr.reset(cairo_create(canvas.surface.get()));
    GZCA_TRY_STATUS(CheckCairo(cairo_status(canvas.cr.get()), "cairo_create"));
    return canvas;
}

cairo_status_t AppendToBytes(void* closure, const unsigned char* data, unsigned int length) {
    try {
        auto* out = static_cast<Bytes*>(closure);
        out->insert(out->end(), data, data + length);
        return CAIRO_STATUS_SUCCESS;
    } catch (const std::bad_alloc&) {
        return CAIRO_STATUS_NO_MEMORY;
    }
}

Result<Bytes> EncodePng(cairo_surface_t* surface) {
    cairo_surface_flush(surface);
    Bytes png;
    GZCA_TRY_STATUS(CheckCairo(cairo_surface_write_to_png_stream(surface, AppendToBytes, &png),
                               "cairo_surface_write_to_png_stream"));
    return png;
}

std::string ValidUtf8(std::string_view text) {
    // g_utf8_make_valid() with an explicit length treats NUL as invalid and replaces it too.
    gchar* valid = g_utf8_make_valid(text.data(), static_cast<gssize>(text.size()));
    std::string out(valid);
    g_free(valid);
    return out;
}

Result<QrCodePtr> EncodeQr(std::string_view text) {
    if (text.empty()) return Fail(ErrorCode::kInvalidArgument, "QR code of empty text");
    // A version-40 symbol holds at most 2953 bytes (level L); anything near INT_MAX is far past it.
    if (text.size() > 4096) {
        return Fail(ErrorCode::kInvalidArgument, "text too long for a QR code");
    }
    errno = 0;
    QrCodePtr code(QRcode_encodeData(static_cast<int>(text.size()),
                                     reinterpret_cast<const unsigned char*>(text.data()), 0,
                                     QR_ECLEVEL_M));
    if (code) return code;
    if (errno == ERANGE || errno == EINVAL) {
        return Fail(ErrorCode::kInvalidArgument, "text too long for a QR code");
    }
    return Fail(ErrorCode::kInternal, fmt::format("QRcode_encodeData failed (errno {})", errno),
                "could not make the QR code");
}

}  // namespace gzca::render
