// 证书检测 (/check), 批量申请上传 (/batch), and the sandbox payment provider's endpoints.
#include <fmt/format.h>

#include "api/platform_internal.h"
#include "ca/repository.h"
#include "crypto/signer.h"
#include "pki/certificate.h"
#include "pki/crl.h"
#include "pki/name.h"
#include "sheet/table.h"

namespace gzca::api::platform {
namespace {

using http::Response;

// ---- 证书检测 ----------------------------------------------------------------------------

std::string_view StatusLabel(std::string_view status) {
    if (status == "good") return "正常";
    if (status == "revoked") return "已吊销";
    if (status == "expired") return "已过期";
    return "未知（非本平台签发）";
}

Response CheckCertificate(Call& c) {
    if (c.request.body.empty()) {
        return Response::JsonError(400, "invalid_argument", "请粘贴或上传证书");
    }
    auto cert = pki::ParseCertificate(AsBytes(c.request.body));
    if (!cert)
        return Response::JsonError(400, "invalid_argument",
                                   "无法识别的证书（需要 PEM 或 DER 格式）");
    auto info = pki::InspectCertificate(cert->get());
    if (!info) return Response::JsonError(400, "invalid_argument", "无法识别的证书");
    const TimePoint now = c.services.clock.Now();
    nlohmann::json j = {
        {"serial", info->serial_hex},
        {"subject", pki::ToRfc4514(info->subject)},
        {"issuer", pki::ToRfc4514(info->issuer)},
        {"not_before", Iso(info->not_before)},
        {"not_after", Iso(info->not_after)},
        {"days_left", std::chrono::floor<std::chrono::days>(info->not_after - now).count()},
        {"key_algorithm", info->key_algorithm},
        {"signature_algorithm", info->signature_algorithm},
        {"issued_here", false}};
    std::string status = "unknown";
    auto tx = c.services.db.Begin(false);
    if (!tx) return ErrorResponse(tx.error());
    auto record = ca::repo::FindCertificateAnyIssuer(**tx, info->serial_hex);
    // Only the very certificate counts: a look-alike with a copied serial is "unknown".
    if (record && *record && (*record)->der == pki::CertificateDer(cert->get())) {
        j["issued_here"] = true;
        j["issuer_name"] = (*record)->issuer_name;
        if ((*record)->revoked_at) {
            status = "revoked";
            j["revoked_at"] = Iso(*(*record)->revoked_at);
            if ((*record)->revocation_reason) {
                j["revocation_reason"] = pki::RevocationReasonName(*(*record)->revocation_reason);
            }
        } else if (now >= (*record)->not_after) {
            status = "expired";
        } else if (now >= (*record)->not_before) {
            status = "good";
        }
    } else if (now >= info->not_after) {
        status = "expired";
    }
    j["status"] = status;
    j["status_label"] = StatusLabel(status);
    return Response::Json(200, j);
}

// ---- 批量申请上传 --------------------------------------------------------------------------

const std::vector<sheet::FieldSpec>& BatchColumns() {
    static const std::vector<sheet::FieldSpec> kColumns = {
        {"user_identifier", {"用户标识", "user_identifier"}, true},
        {"user_name", {"用户名", "姓名", "user_name"}, true},
        {"department", {"地址/部门", "部门", "department"}, true},
        {"phone", {"联系电话", "手机号", "phone"}, true},
        {"id_card", {"身份证号码", "身份证号", "id_card"}, true},
        {"email", {"电子邮箱", "邮箱", "email"}, false},
        {"contact_address", {"联系地址", "contact_address"}, true},
        {"medium", {"证书介质", "medium"}, false},
        {"csr_pem", {"证书请求", "证书请求(PKCS#10)", "csr_pem"}, true},
    };
    return kColumns;
}

Response BatchTemplate(Call&) {
    std::string csv = "\xEF\xBB\xBF";  // UTF-8 BOM: Excel then reads the Chinese headers right
    for (std::size_t i = 0; i < BatchColumns().size(); ++i) {
        if (i) csv += ',';
        csv += BatchColumns()[i].headers.front();
        if (BatchColumns()[i].required) csv += '*';
    }
    csv +=
        "\r\nU20260001,张三,信息中心,13800138000,11010519491231002X,zhangsan@example.com,"
        "北京市西城区宣武门西大街26号,usbkey,\"-----BEGIN CERTIFICATE REQUEST-----\n(PEM)\n"
        "-----END CERTIFICATE REQUEST-----\"\r\n";
    Response r = Response::Bytes(200, "text/csv; charset=utf-8", std::move(csv));
    r.headers.Add("Content-Disposition", "attachment; filename=\"gzca-batch-template.csv\"");
    return r;
}

Response Batch(Call& c) {
    if (c.request.body.empty()) return Response::JsonError(400, "invalid_argument", "请选择文件");
    sheet::Limits limits;
    limits.max_rows = 1001;        // header + 1000 users
    limits.max_cell_bytes = 8192;  // a PEM CSR fits
    auto table = sheet::ReadTable(AsBytes(c.request.body), limits);
    if (!table) return ErrorResponse(table.error());
    if (table->rows.empty()) return Response::JsonError(400, "invalid_argument", "文件中没有数据");
    auto columns = sheet::MapHeader(table->rows.front(), BatchColumns());
    if (!columns) return ErrorResponse(columns.error());

    auto sub = c.services.accounts.GetSubscriber(c.subscriber_id());
    if (!sub) return ErrorResponse(sub.error());
    auto org = c.services.accounts.GetOrganisation(sub->organisation_id);
    if (!org) return ErrorResponse(org.error());
    // The same file uploaded again creates nothing new: each row's idempotency key is derived
    // from the file's content and the row number.
    const std::string file_id = HexEncode(crypto::Sha256(AsBytes(c.request.body))).substr(0, 24);

    nlohmann::json rows = nlohmann::json::array();
    int created = 0;
    for (std::size_t i = 1; i < table->rows.size(); ++i) {
        const auto& cells = table->rows[i];
        auto cell = [&](const char* field) -> std::string {
            auto it = columns->find(field);
            if (it == columns->end() || it->second >= cells.size()) return {};
            return cells[it->second];
        };
        bool blank = true;
        for (const auto& v : cells) blank = blank && v.empty();
        if (blank) continue;
        ra::OrderForm form;
        form.org_name = org->name;
        form.legal_representative = org->legal_representative;
        form.credential_type = org->credential_type;
        form.credential_number = org->credential_number;
        form.org_phone = org->phone;
        form.org_fax = org->fax;
        form.user_identifier = cell("user_identifier");
        form.user_name = cell("user_name");
        form.department = cell("department");
        form.phone = cell("phone");
        form.id_card = cell("id_card");
        form.email = cell("email");
        form.contact_address = cell("contact_address");
        form.csr_pem = cell("csr_pem");
        nlohmann::json row = {{"row", i + 1}, {"ok", false}};
        std::vector<ra::FieldError> errors;
        if (std::string medium = cell("medium"); !medium.empty()) {
            if (auto m = ra::ParseMedium(medium)) {
                form.medium = *m;
            } else {
                errors.push_back({"medium", "证书介质应为 usbkey 或 shield"});
            }
        }
        auto more = ra::ValidateForm(ra::OrderType::kNew, form);
        errors.insert(errors.end(), more.begin(), more.end());
        if (!errors.empty()) {
            nlohmann::json fields = nlohmann::json::object();
            for (const auto& e : errors) {
                if (!fields.contains(e.field)) fields[e.field] = e.message;
            }
            row["errors"] = fields;
            rows.push_back(std::move(row));
            continue;
        }
        auto order = c.services.orders.Create(c.subscriber_id(), ra::OrderType::kNew, form,
                                              fmt::format("batch:{}:{}", file_id, i));
        if (!order) {
            row["errors"] = {{"row", order.error().public_message}};
        } else {
            row["ok"] = true;
            row["order_no"] = order->order_no;
            ++created;
        }
        rows.push_back(std::move(row));
    }
    return Response::Json(200, {{"created", created}, {"rows", rows}});
}

// ---- the sandbox payment provider ------------------------------------------------------

Response SandboxPayment(Call& c) {
    auto payment = c.services.orders.FindPayment(c.Param("payment_ref"));
    if (!payment) return ErrorResponse(payment.error());
    if (!*payment || (*payment)->provider != "sandbox") {
        return Response::JsonError(404, "not_found", "支付单不存在");
    }
    return Response::Json(200, {{"payment_ref", (*payment)->payment_ref},
                                {"merchant", c.services.site.name},
                                {"order_no", (*payment)->order_no},
                                {"amount", (*payment)->amount_fen},
                                {"state", ra::PaymentStateName((*payment)->state)}});
}

Response SandboxConfirm(Call& c) {
    auto payment = c.services.orders.FindPayment(c.Param("payment_ref"));
    if (!payment) return ErrorResponse(payment.error());
    if (!*payment || (*payment)->provider != "sandbox") {
        return Response::JsonError(404, "not_found", "支付单不存在");
    }
    const ra::Payment& p = **payment;
    if (p.state != ra::PaymentState::kPending && p.state != ra::PaymentState::kPaid) {
        return Response::JsonError(409, "failed_precondition", "该支付单已失效");
    }
    if (p.state == ra::PaymentState::kPending) {
        payment::SandboxNotification n;
        n.notify_id = HexEncode(crypto::RandomBytes(12));
        n.payment_ref = p.payment_ref;
        n.order_no = p.order_no;
        n.amount_fen = p.amount_fen;
        n.status = "paid";
        n.paid_at = c.services.clock.Now();
        c.services.sandbox.Notify(n);
    }
    return Response::Json(200, {{"state", "paid"}, {"return_url", "/orders/" + p.order_no}});
}

Response SandboxNotify(Call& c) {
    auto signature = c.request.Header("x-sandbox-signature");
    if (!signature) return Response::JsonError(401, "unauthenticated", "缺少签名");
    auto notice = c.services.sandbox.Verify(c.request.body, *signature);
    if (!notice) return ErrorResponse(notice.error());
    ra::OrderService::PaymentNotice applied;
    applied.provider = "sandbox";
    applied.payment_ref = notice->payment_ref;
    applied.order_no = notice->order_no;
    applied.amount_fen = notice->amount_fen;
    applied.paid = notice->status == "paid";
    applied.paid_at = notice->paid_at;
    if (auto st = c.services.orders.ApplyPaymentNotice(applied); !st) {
        return ErrorResponse(st.error());
    }
    return Response::Json(200, {{"result", "ok"}});
}

}  // namespace

void RegisterToolRoutes(http::Router& router, PlatformServices& s) {
    router.Post("/api/platform/check", Wrap(s, Access::kPublic, CheckCertificate));
    router.Get("/api/platform/batch/template.csv", Wrap(s, Access::kPublic, BatchTemplate));
    router.Post(
        "/api/platform/batch", Wrap(s, Access::kSubscriber, Batch),
        http::RouteOptions{.max_body_bytes = static_cast<std::size_t>(ra::kMaxMaterialBytes)});
    router.Get("/api/sandbox-pay/{payment_ref}", Wrap(s, Access::kPublic, SandboxPayment));
    router.Post("/api/sandbox-pay/{payment_ref}/confirm", Wrap(s, Access::kPublic, SandboxConfirm));
    router.Post("/api/platform/payments/notify/sandbox", Wrap(s, Access::kSigned, SandboxNotify));
}

}  // namespace gzca::api::platform
