#include "render/qr.h"

#include "render/drawing.h"

namespace gzca::render {

namespace {

// ISO/IEC 18004 §6.3.8: at least four modules of light margin on every side.
constexpr int kQuietZoneModules = 4;

bool IsDark(const QRcode& code, int row, int column) {
    // libqrencode: one byte per module, bit 0 set for a dark module.
    return (code.data[row * code.width + column] & 1) != 0;
}

// Adds one rectangle per horizontal run of dark modules to the current path, in module units
// with the symbol's first module at (0, 0). Runs rather than single modules keep PDFs small and
// leave no hairline seams between neighbouring modules in viewers that anti-alias each edge.
void AddDarkModules(cairo_t* cr, const QRcode& code) {
    for (int row = 0; row < code.width; ++row) {
        int column = 0;
        while (column < code.width) {
            if (!IsDark(code, row, column)) {
                ++column;
                continue;
            }
            int run_start = column;
            while (column < code.width && IsDark(code, row, column)) ++column;
            cairo_rectangle(cr, run_start, row, column - run_start, 1);
        }
    }
}

// Paints the symbol with its quiet zone into the square (0, 0)-(side, side) of user space, where
// side = (code.width + 8) * scale.
void PaintSymbol(cairo_t* cr, const QRcode& code, double scale) {
    double side = (code.width + 2 * kQuietZoneModules) * scale;
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_rectangle(cr, 0, 0, side, side);
    cairo_fill(cr);

    cairo_save(cr);
    cairo_scale(cr, scale, scale);
    cairo_translate(cr, kQuietZoneModules, kQuietZoneModules);
    AddDarkModules(cr, code);
    cairo_restore(cr);  // the path survives save/restore; the fill below uses it
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_set_fill_rule(cr, CAIRO_FILL_RULE_WINDING);
    cairo_fill(cr);
}

}  // namespace

Result<Bytes> QrPng(std::string_view text, int module_px) {
    if (module_px < 1 || module_px > kMaxQrModulePx) {
        return Fail(ErrorCode::kInvalidArgument, "QR module size out of range");
    }
    GZCA_ASSIGN_OR_RETURN(QrCodePtr code, EncodeQr(text));
    int side = (code->width + 2 * kQuietZoneModules) * module_px;
    GZCA_ASSIGN_OR_RETURN(Canvas canvas, NewImageCanvas(side, side));
    // Whole-pixel modules: no anti-aliasing, so every pixel is pure black or pure white.
    cairo_set_antialias(canvas.cr.get(), CAIRO_ANTIALIAS_NONE);
    PaintSymbol(canvas.cr.get(), *code, module_px);
    GZCA_TRY_STATUS(CheckCairo(cairo_status(canvas.cr.get()), "drawing the QR code"));
    return EncodePng(canvas.surface.get());
}

Status DrawQr(cairo_t* cr, std::string_view text, double x, double y, double size) {
    if (cr == nullptr) return Fail(ErrorCode::kInvalidArgument, "DrawQr without a context");
    if (!(size > 0)) return Fail(ErrorCode::kInvalidArgument, "QR code size must be positive");
    GZCA_TRY_STATUS(CheckCairo(cairo_status(cr), "context passed to DrawQr"));
    GZCA_ASSIGN_OR_RETURN(QrCodePtr code, EncodeQr(text));

    cairo_save(cr);
    cairo_new_path(cr);
    cairo_translate(cr, x, y);
    PaintSymbol(cr, *code, size / (code->width + 2 * kQuietZoneModules));
    cairo_restore(cr);
    return CheckCairo(cairo_status(cr), "drawing the QR code");
}

}  // namespace gzca::render
