#pragma once
// The certificate service application form 《国资CA数字证书服务受理表》 as a one-page A4 PDF,
// filled from an order or blank for filling by hand.
//
// Drawn with cairo's PDF backend and Pango in the TrueType font "WenQuanYi Micro Hei" (Debian
// fonts-wqy-microhei). Not Noto Sans/Serif CJK: cairo 1.16 subsets their CFF outlines wrongly and
// some characters (如, for one) print blank. Text is embedded as real text: `pdftotext` extracts
// it.
//
// Thread-safety: RenderApplicationFormPdf() may be called from several threads at once (each
// call has its own surface; Pango's default font map is per thread).

#include <string>

#include "base/bytes.h"
#include "base/error.h"

namespace gzca::render {

// What the form prints. All strings are UTF-8; invalid sequences and NULs are printed as U+FFFD.
// Empty strings leave their cell blank for handwriting.
struct ApplicationForm {
    std::string order_no;  // 受理编号; "" for the blank form (no QR code then)
    std::string order_type_label;  // 证书申请 / 证书延期 / 证书补办 / 证书吊销; "" all unticked
    std::string platform_name = "国资CA数字证书服务平台";
    // 机构信息
    std::string org_name, legal_representative, credential_type_label, credential_number, org_phone,
        org_fax;
    // 用户信息
    std::string user_identifier, department, user_name, phone, id_card, email, contact_address;
    // 证书信息
    std::string certificate_serial, medium_label;  // medium: USBKey / 手机盾
    std::string created_at;  // printed date, e.g. "2026年11月24日"; "" prints "年 月 日"
    std::string service_phone, service_email;  // footer 客服电话 / 客服邮箱; "" omitted
};

// The form as an A4 portrait PDF of one page:
//  - top: platform name (left), 受理编号 and, below it, a QR code of `order_no` (right; no QR on
//    the blank form), the title centred;
//  - a table: 机构信息 / 用户信息 / 证书信息 sections of label and value cells; 业务类型 and
//    证书介质 as checkboxes, the one equal to `order_type_label` / `medium_label` ticked (a value
//    that is none of the printed choices is added as an extra ticked choice); the 申请人声明
//    paragraph; boxes for 使用人签字, 法定代表人签字 and 单位盖章; 日期 (`created_at`); and the
//    受理机构填写 section (受理人, 受理日期, 审核意见, 审核人, 审核日期) left blank;
//  - footer: 客服电话 / 客服邮箱 and "第1页 共1页".
// Long values wrap inside their cell; a value longer than four lines is cut with "…". Should
// the table still not fit the page, it is scaled down to fit.
// kInvalidArgument when `order_no` is too long for a QR code (over 2331 bytes); kInternal when
// the font is not installed (rather than print with a substitute that may lose glyphs) or cairo
// fails (out of memory); the public message never carries library text.
Result<Bytes> RenderApplicationFormPdf(const ApplicationForm& form);

}  // namespace gzca::render
