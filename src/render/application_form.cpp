#include "render/application_form.h"

#include <algorithm>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <cairo-pdf.h>
#include <fmt/format.h>

#include "render/application_form_page.h"
#include "render/drawing.h"
#include "render/qr.h"

namespace gzca::render {

namespace {

// A4 portrait (ISO 216, 210 x 297 mm) in PDF user units (points). The Pango context runs at
// 72 dpi, so font sizes in points are user units too.
constexpr double kPageWidth = kA4WidthPt;
constexpr double kPageHeight = kA4HeightPt;
constexpr double kMargin = 40;

constexpr double kTableWidth = kPageWidth - 2 * kMargin;
constexpr double kTableTop = kMargin + 100;
constexpr double kFooterRule = kPageHeight - 32;  // the footer's rule; the table ends above it
constexpr double kTableBottom = kFooterRule - 8;

constexpr double kLabelWidth = 80;
constexpr double kHalfValueWidth = (kTableWidth - 2 * kLabelWidth) / 2;
constexpr double kFullValueWidth = kTableWidth - kLabelWidth;
constexpr double kPadding = 4;
constexpr double kRowHeight = 22;
constexpr int kMaxValueLines = 4;

// A value is cut to this many bytes before layout: four lines of the widest cell hold far fewer,
// and a huge value would otherwise cost layout time and PDF size (cairo maps the "…" glyph to all
// the text it replaces).
constexpr std::size_t kMaxValueBytes = 2000;

constexpr double kQrSize = 62;
constexpr double kCheckboxSize = 9;

// A TrueType font on purpose: cairo 1.16 subsets the CFF outlines of Noto Sans/Serif CJK wrongly
// (a subroutine some glyphs need is dropped, and e.g. 如 prints blank), while its TrueType
// subsetter is sound. Debian package fonts-wqy-microhei.
constexpr const char* kFormFont = "WenQuanYi Micro Hei";

constexpr const char* kTitle = "国资CA数字证书服务受理表";
constexpr const char* kInstructions = "（请用黑色签字笔填写，字迹清晰，不得涂改）";
constexpr const char* kDeclaration =
    "本单位（本人）确认本表所填信息真实、准确、完整，所提交的证件材料真实有效；已仔细阅读、充分"
    "理解并同意遵守《国资CA数字证书服务协议》及相关业务规则，知悉数字证书的用途和法律效力，将妥善"
    "保管证书介质及口令，证书如有遗失或泄露将及时申请吊销。因所填信息不实或证书保管、使用不当造成"
    "的损失，由本单位（本人）承担相应的法律责任。";
constexpr const char* kBlankDate = "　　　　年　　月　　日";

constexpr std::string_view kOrderTypes[] = {"证书申请", "证书延期", "证书补办", "证书吊销"};
constexpr std::string_view kMedia[] = {"USBKey", "手机盾"};

// ---------------------------------------------------------------------------------------------
// Text

// A value from the form as it is laid out: at most kMaxValueBytes (cut at a character boundary),
// invalid UTF-8 replaced.
std::string Printable(std::string_view text) {
    if (text.size() > kMaxValueBytes) {
        std::size_t end = kMaxValueBytes;
        while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xc0) == 0x80) --end;
        text = text.substr(0, end);
    }
    return ValidUtf8(text);
}

enum class TextStyle { kTitle, kHeading, kLabel, kValue, kSmall };

struct FontSpec {
    double points;
    PangoWeight weight;
};

FontSpec SpecFor(TextStyle style) {
    switch (style) {
        case TextStyle::kTitle:
            return {20, PANGO_WEIGHT_BOLD};
        case TextStyle::kHeading:
            return {10.5, PANGO_WEIGHT_BOLD};
        case TextStyle::kSmall:
            return {8.5, PANGO_WEIGHT_NORMAL};
        case TextStyle::kLabel:
        case TextStyle::kValue:
            break;
    }
    return {9.5, PANGO_WEIGHT_NORMAL};
}

// kFormFont at the style's size and weight (its bold is synthesised: the family has one weight).
FontDescPtr FontFor(TextStyle style) {
    FontSpec spec = SpecFor(style);
    FontDescPtr font(pango_font_description_new());
    pango_font_description_set_family(font.get(), kFormFont);
    pango_font_description_set_weight(font.get(), spec.weight);
    pango_font_description_set_size(font.get(), static_cast<int>(spec.points * PANGO_SCALE));
    return font;
}

// How a block of text is set: wrapped at `width` points (0: one unwrapped line), aligned, and cut
// with "…" after `max_lines` lines (0: no limit).
struct TextBox {
    TextStyle style = TextStyle::kValue;
    double width = 0;
    PangoAlignment align = PANGO_ALIGN_LEFT;
    int max_lines = 0;
};

// Makes Pango layouts for one cairo context. Metrics hinting and position rounding are off, so a
// text's size and line breaks do not depend on the surface or the transform it is drawn under
// (the table may be scaled to fit).
class Typesetter {
  public:
    explicit Typesetter(cairo_t* cr) : cr_(cr), context_(pango_cairo_create_context(cr)) {
        pango_cairo_context_set_resolution(context_.get(), 72);
        // Unrounded glyph positions: rounding happens in device pixels, so an image at another
        // scale would otherwise break lines elsewhere than the PDF does.
        pango_context_set_round_glyph_positions(context_.get(), FALSE);
        FontOptionsPtr options(cairo_font_options_create());
        cairo_font_options_set_hint_metrics(options.get(), CAIRO_HINT_METRICS_OFF);
        cairo_font_options_set_hint_style(options.get(), CAIRO_HINT_STYLE_NONE);
        pango_cairo_context_set_font_options(context_.get(), options.get());  // copies
    }

    // `text` must be valid UTF-8 (see ValidUtf8()).
    LayoutPtr Layout(std::string_view text, const TextBox& box) const {
        LayoutPtr layout(pango_layout_new(context_.get()));
        FontDescPtr font = FontFor(box.style);
        pango_layout_set_font_description(layout.get(), font.get());
        if (box.width > 0) {
            pango_layout_set_width(layout.get(), static_cast<int>(box.width * PANGO_SCALE));
            pango_layout_set_wrap(layout.get(), PANGO_WRAP_WORD_CHAR);
        }
        pango_layout_set_alignment(layout.get(), box.align);
        // A hyphen Pango inserts where it breaks a word would read as part of a serial number,
        // e-mail address or ID number.
        PangoAttrList* attributes = pango_attr_list_new();
        pango_attr_list_insert(attributes, pango_attr_insert_hyphens_new(FALSE));
        pango_layout_set_attributes(layout.get(), attributes);
        pango_attr_list_unref(attributes);
        if (box.max_lines > 0) {
            pango_layout_set_height(layout.get(), -box.max_lines);
            pango_layout_set_ellipsize(layout.get(), PANGO_ELLIPSIZE_END);
        }
        pango_layout_set_text(layout.get(), text.data(), static_cast<int>(text.size()));
        return layout;
    }

    // Draws `layout` with its logical top-left corner at (x, y).
    void Show(PangoLayout* layout, double x, double y) const {
        cairo_move_to(cr_, x, y);
        pango_cairo_show_layout(cr_, layout);
    }

    // Call after changing the context's transform.
    void Update() const { pango_cairo_update_context(cr_, context_.get()); }

  private:
    cairo_t* cr_;  // borrowed; outlives the typesetter
    PangoContextPtr context_;
};

double WidthOf(PangoLayout* layout) {
    PangoRectangle logical;
    pango_layout_get_extents(layout, nullptr, &logical);
    return static_cast<double>(logical.width) / PANGO_SCALE;
}

double HeightOf(PangoLayout* layout) {
    PangoRectangle logical;
    pango_layout_get_extents(layout, nullptr, &logical);
    return static_cast<double>(logical.height) / PANGO_SCALE;
}

// ---------------------------------------------------------------------------------------------
// The table: rows of cells, each cell a horizontal span with one kind of content.

enum class CellKind {
    kLabel,      // shaded, centred field name
    kValue,      // filled-in value, or blank for handwriting
    kSection,    // shaded heading across the table
    kParagraph,  // running text (the declaration)
    kChoices,    // checkboxes with labels, ticked where chosen
    kSignature,  // a caption top-left and room to sign or stamp below it
};

struct Choice {
    std::string label;
    bool checked = false;
};

struct Cell {
    CellKind kind = CellKind::kValue;
    double width = 0;
    std::string text;             // valid UTF-8
    std::vector<Choice> choices;  // kChoices only
};

struct Row {
    std::vector<Cell> cells;  // widths add up to kTableWidth
    double min_height = kRowHeight;
};

Cell LabelCell(std::string_view text, double width = kLabelWidth) {
    return {CellKind::kLabel, width, std::string(text), {}};
}

Cell ValueCell(std::string_view text, double width) {
    return {CellKind::kValue, width, Printable(text), {}};
}

Row SectionRow(std::string_view title) {
    return {{{CellKind::kSection, kTableWidth, std::string(title), {}}}, kRowHeight};
}

// One field across the table.
Row FullRow(std::string_view label, std::string_view value, double min_height = kRowHeight) {
    return {{LabelCell(label), ValueCell(value, kFullValueWidth)}, min_height};
}

// Two fields side by side.
Row PairRow(std::string_view label1, std::string_view value1, std::string_view label2,
            std::string_view value2) {
    return {{LabelCell(label1), ValueCell(value1, kHalfValueWidth), LabelCell(label2),
             ValueCell(value2, kHalfValueWidth)}};
}

// The printed choices, the one equal to `chosen` ticked; a non-empty `chosen` that is none of
// them is appended as a ticked choice of its own, so the form never drops what was chosen.
template <std::size_t N>
Row ChoiceRow(std::string_view label, const std::string_view (&options)[N],
              std::string_view chosen) {
    Cell cell{CellKind::kChoices, kFullValueWidth, {}, {}};
    bool matched = false;
    for (std::string_view option : options) {
        bool checked = !chosen.empty() && option == chosen;
        matched = matched || checked;
        cell.choices.push_back({std::string(option), checked});
    }
    if (!chosen.empty() && !matched) cell.choices.push_back({Printable(chosen), true});
    return {{LabelCell(label), std::move(cell)}};
}

Row SignatureRow() {
    constexpr double kThird = kTableWidth / 3;
    auto box = [](const char* caption) { return Cell{CellKind::kSignature, kThird, caption, {}}; };
    return {{box("使用人签字："), box("法定代表人签字："), box("单位盖章：")}, 96};
}

std::vector<Row> FormRows(const ApplicationForm& f) {
    std::vector<Row> rows;
    rows.push_back(SectionRow("一、机构信息"));
    rows.push_back(FullRow("机构名称", f.org_name));
    rows.push_back(
        PairRow("法定代表人", f.legal_representative, "证件类型", f.credential_type_label));
    rows.push_back(FullRow("证件号码", f.credential_number));
    rows.push_back(PairRow("单位电话", f.org_phone, "单位传真", f.org_fax));

    rows.push_back(SectionRow("二、用户信息"));
    rows.push_back(PairRow("用户标识", f.user_identifier, "所属部门", f.department));
    rows.push_back(PairRow("姓名", f.user_name, "手机号码", f.phone));
    rows.push_back(FullRow("身份证号码", f.id_card));
    rows.push_back(FullRow("电子邮箱", f.email));
    rows.push_back(FullRow("联系地址", f.contact_address));

    rows.push_back(SectionRow("三、证书信息"));
    rows.push_back(ChoiceRow("业务类型", kOrderTypes, f.order_type_label));
    rows.push_back(FullRow("证书序列号", f.certificate_serial));
    rows.push_back(ChoiceRow("证书介质", kMedia, f.medium_label));

    rows.push_back(
        {{LabelCell("申请人声明"), {CellKind::kParagraph, kFullValueWidth, kDeclaration}}});
    rows.push_back(SignatureRow());
    rows.push_back(FullRow("日期", f.created_at.empty() ? kBlankDate : f.created_at));

    rows.push_back(SectionRow("四、受理机构填写（申请人无需填写）"));
    rows.push_back(PairRow("受理人", "", "受理日期", ""));
    rows.push_back(FullRow("审核意见", "", 66));
    rows.push_back(PairRow("审核人", "", "审核日期", ""));
    return rows;
}

TextBox BoxFor(const Cell& cell) {
    double inner = cell.width - 2 * kPadding;
    switch (cell.kind) {
        case CellKind::kLabel:
            return {TextStyle::kLabel, inner, PANGO_ALIGN_CENTER, 3};
        case CellKind::kSection:
            return {TextStyle::kHeading, inner, PANGO_ALIGN_LEFT, 1};
        case CellKind::kParagraph:
            return {TextStyle::kSmall, inner, PANGO_ALIGN_LEFT, 0};
        case CellKind::kSignature:
            return {TextStyle::kLabel, inner, PANGO_ALIGN_LEFT, 1};
        case CellKind::kValue:
        case CellKind::kChoices:
            break;
    }
    return {TextStyle::kValue, inner, PANGO_ALIGN_LEFT, kMaxValueLines};
}

// Checkboxes flow left to right and wrap inside the cell.
struct PlacedChoice {
    const Choice* choice;
    LayoutPtr label;
    double x, y;  // the box's line, relative to the cell's content area
};
struct ChoiceFlow {
    std::vector<PlacedChoice> placed;
    double height = 0;
};

ChoiceFlow FlowChoices(const Typesetter& ts, const Cell& cell) {
    constexpr double kBoxGap = 3, kChoiceGap = 16;
    double inner = cell.width - 2 * kPadding;
    ChoiceFlow flow;
    double x = 0, y = 0, line_height = kCheckboxSize;
    for (const Choice& choice : cell.choices) {
        LayoutPtr label =
            ts.Layout(choice.label,
                      {TextStyle::kValue, inner - kCheckboxSize - kBoxGap, PANGO_ALIGN_LEFT, 2});
        double width = kCheckboxSize + kBoxGap + WidthOf(label.get());
        if (x > 0 && x + width > inner) {  // wrap
            x = 0;
            y += line_height + 2;
            line_height = kCheckboxSize;
        }
        line_height = std::max(line_height, HeightOf(label.get()));
        flow.placed.push_back({&choice, std::move(label), x, y});
        x += width + kChoiceGap;
    }
    flow.height = y + line_height;
    return flow;
}

double ContentHeight(const Typesetter& ts, const Cell& cell) {
    if (cell.kind == CellKind::kChoices) return FlowChoices(ts, cell).height;
    if (cell.text.empty()) return 0;
    return HeightOf(ts.Layout(cell.text, BoxFor(cell)).get());
}

std::vector<double> RowHeights(const Typesetter& ts, const std::vector<Row>& rows) {
    std::vector<double> heights;
    for (const Row& row : rows) {
        double height = row.min_height;
        for (const Cell& cell : row.cells) {
            height = std::max(height, ContentHeight(ts, cell) + 2 * kPadding);
        }
        heights.push_back(height);
    }
    return heights;
}

void DrawCheckbox(cairo_t* cr, double x, double y, bool checked) {
    cairo_set_line_width(cr, 0.7);
    cairo_rectangle(cr, x, y, kCheckboxSize, kCheckboxSize);
    cairo_stroke(cr);
    if (!checked) return;
    cairo_set_line_width(cr, 1.3);
    cairo_move_to(cr, x + 0.18 * kCheckboxSize, y + 0.52 * kCheckboxSize);
    cairo_line_to(cr, x + 0.42 * kCheckboxSize, y + 0.78 * kCheckboxSize);
    cairo_line_to(cr, x + 0.86 * kCheckboxSize, y + 0.18 * kCheckboxSize);
    cairo_stroke(cr);
}

void DrawChoices(cairo_t* cr, const Typesetter& ts, const Cell& cell, double x, double y,
                 double height) {
    ChoiceFlow flow = FlowChoices(ts, cell);
    double top = y + (height - flow.height) / 2;
    for (const PlacedChoice& p : flow.placed) {
        // The box is centred on the label's first line.
        double first_line = HeightOf(p.label.get()) / pango_layout_get_line_count(p.label.get());
        double box_y = top + p.y + (first_line - kCheckboxSize) / 2;
        DrawCheckbox(cr, x + kPadding + p.x, box_y, p.choice->checked);
        ts.Show(p.label.get(), x + kPadding + p.x + kCheckboxSize + 3, top + p.y);
    }
}

void FillBackground(cairo_t* cr, const Cell& cell, double x, double y, double height) {
    double grey = cell.kind == CellKind::kSection ? 0.87 : cell.kind == CellKind::kLabel ? 0.95 : 1;
    if (grey >= 1) return;
    cairo_set_source_rgb(cr, grey, grey, grey);
    cairo_rectangle(cr, x, y, cell.width, height);
    cairo_fill(cr);
}

void DrawCell(cairo_t* cr, const Typesetter& ts, const Cell& cell, double x, double y,
              double height) {
    FillBackground(cr, cell, x, y, height);
    cairo_set_source_rgb(cr, 0, 0, 0);
    if (cell.kind == CellKind::kChoices) {
        DrawChoices(cr, ts, cell, x, y, height);
    } else if (!cell.text.empty()) {
        LayoutPtr layout = ts.Layout(cell.text, BoxFor(cell));
        // Signature captions sit at the top (room to sign below); everything else is centred.
        double top = cell.kind == CellKind::kSignature ? y + kPadding
                                                       : y + (height - HeightOf(layout.get())) / 2;
        ts.Show(layout.get(), x + kPadding, top);
    }
    cairo_set_line_width(cr, 0.6);
    cairo_rectangle(cr, x, y, cell.width, height);
    cairo_stroke(cr);
}

// Draws the table with its top-left corner at the origin of the current user space.
void DrawRows(cairo_t* cr, const Typesetter& ts, const std::vector<Row>& rows,
              const std::vector<double>& heights) {
    double y = 0;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        double x = 0;
        for (const Cell& cell : rows[i].cells) {
            DrawCell(cr, ts, cell, x, y, heights[i]);
            x += cell.width;
        }
        y += heights[i];
    }
    cairo_set_line_width(cr, 1.2);  // a heavier outer border
    cairo_rectangle(cr, 0, 0, kTableWidth, y);
    cairo_stroke(cr);
}

// Draws the table below the header, scaled down (about its top centre) if it would run into
// the footer.
void DrawTable(cairo_t* cr, const Typesetter& ts, const ApplicationForm& form) {
    std::vector<Row> rows = FormRows(form);
    std::vector<double> heights = RowHeights(ts, rows);
    double total = 0;
    for (double h : heights) total += h;
    double scale = std::min(1.0, (kTableBottom - kTableTop) / total);

    cairo_save(cr);
    cairo_translate(cr, kMargin + kTableWidth * (1 - scale) / 2, kTableTop);
    cairo_scale(cr, scale, scale);
    ts.Update();
    DrawRows(cr, ts, rows, heights);
    cairo_restore(cr);
    ts.Update();
}

// ---------------------------------------------------------------------------------------------
// Header and footer

Status DrawHeader(cairo_t* cr, const Typesetter& ts, const ApplicationForm& form) {
    cairo_set_source_rgb(cr, 0.35, 0.35, 0.35);
    LayoutPtr platform = ts.Layout(Printable(form.platform_name),
                                   {TextStyle::kSmall, kTableWidth / 2, PANGO_ALIGN_LEFT, 1});
    ts.Show(platform.get(), kMargin, kMargin);

    cairo_set_source_rgb(cr, 0, 0, 0);
    std::string order_line =
        "受理编号：" +
        (form.order_no.empty() ? std::string("＿＿＿＿＿＿＿＿＿＿") : Printable(form.order_no));
    LayoutPtr order =
        ts.Layout(order_line, {TextStyle::kValue, kTableWidth / 2, PANGO_ALIGN_RIGHT, 2});
    ts.Show(order.get(), kMargin + kTableWidth / 2, kMargin);

    LayoutPtr title = ts.Layout(kTitle, {TextStyle::kTitle, kTableWidth, PANGO_ALIGN_CENTER, 1});
    ts.Show(title.get(), kMargin, kMargin + 30);
    LayoutPtr note =
        ts.Layout(kInstructions, {TextStyle::kSmall, kTableWidth, PANGO_ALIGN_CENTER, 1});
    ts.Show(note.get(), kMargin, kMargin + 30 + HeightOf(title.get()) + 2);

    if (form.order_no.empty()) return Ok();
    return DrawQr(cr, form.order_no, kPageWidth - kMargin - kQrSize, kMargin + 30, kQrSize);
}

void DrawFooter(cairo_t* cr, const Typesetter& ts, const ApplicationForm& form) {
    cairo_set_source_rgb(cr, 0.4, 0.4, 0.4);
    cairo_set_line_width(cr, 0.5);
    cairo_move_to(cr, kMargin, kFooterRule);
    cairo_line_to(cr, kPageWidth - kMargin, kFooterRule);
    cairo_stroke(cr);

    std::string contact;
    if (!form.service_phone.empty()) contact += "客服电话：" + Printable(form.service_phone);
    if (!form.service_email.empty()) {
        if (!contact.empty()) contact += "　　";
        contact += "客服邮箱：" + Printable(form.service_email);
    }
    TextBox left{TextStyle::kSmall, kTableWidth * 0.75, PANGO_ALIGN_LEFT, 1};
    ts.Show(ts.Layout(contact, left).get(), kMargin, kFooterRule + 4);
    TextBox right{TextStyle::kSmall, kTableWidth * 0.25, PANGO_ALIGN_RIGHT, 1};
    ts.Show(ts.Layout("第1页 共1页", right).get(), kMargin + kTableWidth * 0.75, kFooterRule + 4);
}

// kInternal unless fontconfig resolves kFormFont to itself: a substitute (Noto CJK, say) would
// lose glyphs in the PDF silently (see kFormFont).
Status CheckFormFont(cairo_t* cr) {
    PangoContextPtr context(pango_cairo_create_context(cr));
    FontDescPtr wanted = FontFor(TextStyle::kValue);
    FontPtr font(pango_context_load_font(context.get(), wanted.get()));
    FontDescPtr got(font ? pango_font_describe(font.get()) : nullptr);
    const char* family = got ? pango_font_description_get_family(got.get()) : nullptr;
    if (family != nullptr && std::string_view(family) == kFormFont) return Ok();
    return Fail(ErrorCode::kInternal,
                fmt::format("font \"{}\" is not installed (Debian fonts-wqy-microhei); got \"{}\"",
                            kFormFont, family ? family : "none"),
                "could not draw the document");
}

}  // namespace

Status DrawApplicationFormPage(cairo_t* cr, const ApplicationForm& form) {
    GZCA_TRY_STATUS(CheckFormFont(cr));
    Typesetter ts(cr);
    GZCA_TRY_STATUS(DrawHeader(cr, ts, form));
    cairo_set_source_rgb(cr, 0, 0, 0);
    DrawTable(cr, ts, form);
    DrawFooter(cr, ts, form);
    return CheckCairo(cairo_status(cr), "drawing the application form");
}

Result<Bytes> RenderApplicationFormPdf(const ApplicationForm& form) {
    Bytes pdf;  // declared first: the surface writes into it until it is destroyed
    SurfacePtr surface(
        cairo_pdf_surface_create_for_stream(AppendToBytes, &pdf, kPageWidth, kPageHeight));
    GZCA_TRY_STATUS(CheckCairo(cairo_surface_status(surface.get()), "cairo_pdf_surface_create"));
    cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_TITLE, kTitle);
    cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_CREATOR, "gzca");
    {
        ContextPtr cr(cairo_create(surface.get()));
        GZCA_TRY_STATUS(CheckCairo(cairo_status(cr.get()), "cairo_create"));
        GZCA_TRY_STATUS(DrawApplicationFormPage(cr.get(), form));
        cairo_show_page(cr.get());
    }
    cairo_surface_finish(surface.get());
    GZCA_TRY_STATUS(CheckCairo(cairo_surface_status(surface.get()), "writing the PDF"));
    return pdf;
}

}  // namespace gzca::render
