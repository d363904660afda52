#pragma once
// Internal to src/render: the application form's page drawn onto any cairo context, so the PDF
// and a raster of the very same drawing can be compared (render_test checks that every glyph of
// the PDF's embedded fonts shows up, by comparing against the raster).
//
// Thread-safety: as RenderApplicationFormPdf(); the context belongs to the caller's thread.

#include <cairo.h>

#include "base/error.h"
#include "render/application_form.h"

namespace gzca::render {

// A4 portrait (ISO 216: 210 x 297 mm) in points.
inline constexpr double kA4WidthPt = 595.276;
inline constexpr double kA4HeightPt = 841.890;

// Draws the form's page (everything RenderApplicationFormPdf() prints) in a kA4WidthPt x
// kA4HeightPt user space, without showing the page. Outcomes as RenderApplicationFormPdf().
Status DrawApplicationFormPage(cairo_t* cr, const ApplicationForm& form);

}  // namespace gzca::render
