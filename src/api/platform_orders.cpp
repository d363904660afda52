// /api/platform/me and /api/platform/orders/…: the subscriber's records and orders.
#include <charconv>
#include <fstream>

#include <fmt/format.h>

#include "api/platform_internal.h"
#include "ca/repository.h"
#include "pki/certificate.h"
#include "ra/validation.h"
#include "render/application_form.h"

namespace gzca::api::platform {
namespace {

using http::Response;

// ---- rendering ---------------------------------------------------------------------------

// The form as the owner sees it: the ID number masked, labels added, unused fields left out.
nlohmann::json FormJson(const ra::OrderForm& f) {
    nlohmann::json j = ra::OrderFormToJson(f);
    j.erase("id_card");
    j["id_card_masked"] = ra::MaskIdCard(f.id_card);
    j["credential_type_label"] = ra::CredentialTypeLabel(f.credential_type);
    if (f.csr_pem.empty()) j.erase("csr_pem");
    if (f.revocation_reason.empty()) j.erase("revocation_reason");
    return j;
}

nlohmann::json OrderSummaryJson(const ra::Order& o) {
    nlohmann::json j = {{"order_no", o.order_no},
                        {"type", ra::OrderTypeName(o.type)},
                        {"type_label", ra::OrderTypeLabel(o.type)},
                        {"state", ra::OrderStateName(o.state)},
                        {"state_label", ra::OrderStateLabel(o.state)},
                        {"step", ra::StepOf(o.state)},
                        {"created_at", Iso(o.created_at)},
                        {"updated_at", Iso(o.updated_at)},
                        {"fee", o.fee_fen},
                        {"certificate_serial", o.certificate_serial},
                        {"issued_certificate_serial", o.issued_certificate_serial}};
    if (o.due_at) j["due_at"] = Iso(*o.due_at);
    if (o.submitted_at) j["submitted_at"] = Iso(*o.submitted_at);
    return j;
}

nlohmann::json OrderJson(const ra::OrderDetail& d) {
    nlohmann::json j = OrderSummaryJson(d.order);
    j["form"] = FormJson(d.order.form);
    nlohmann::json materials = nlohmann::json::array();
    for (ra::MaterialKind kind :
         {ra::MaterialKind::kApplicationForm, ra::MaterialKind::kBusinessLicence,
          ra::MaterialKind::kIdCopy, ra::MaterialKind::kPaymentVoucher}) {
        nlohmann::json m = {{"kind", ra::MaterialKindName(kind)},
                            {"label", ra::MaterialKindLabel(kind)},
                            {"required", ra::IsRequiredMaterial(kind)},
                            {"uploaded", false}};
        for (const ra::Material& up : d.materials) {
            if (up.kind != kind) continue;
            m["uploaded"] = true;
            m["media_type"] = up.media_type;
            m["size"] = up.size;
            m["uploaded_at"] = Iso(up.uploaded_at);
            m["original_name"] = up.original_name;
        }
        materials.push_back(std::move(m));
    }
    j["materials"] = std::move(materials);
    if (d.payment) {
        const ra::Payment& p = *d.payment;
        j["payment"] = {{"payment_ref", p.payment_ref},
                        {"method", p.method},
                        {"provider", p.provider},
                        {"amount", p.amount_fen},
                        {"state", ra::PaymentStateName(p.state)},
                        {"state_label", ra::PaymentStateLabel(p.state)}};
        if (p.paid_at) j["payment"]["paid_at"] = Iso(*p.paid_at);
        j["payment_method"] = p.method;
    }
    if (d.last_review) {
        j["review"] = {{"decision", d.last_review->decision},
                       {"reason", d.last_review->reason},
                       {"reason_label", ra::ReviewReasonLabel(d.last_review->reason)},
                       {"comment", d.last_review->comment},
                       {"at", Iso(d.last_review->at)}};
    }
    nlohmann::json timeline = nlohmann::json::array();
    for (const ra::OrderEvent& e : d.timeline) {
        nlohmann::json ev = {{"at", Iso(e.at)},
                             {"actor", e.actor.starts_with("subscriber") ? "本人"
                                       : e.actor.starts_with("operator") ? "运营人员"
                                                                         : "系统"},
                             {"event", e.event},
                             {"label", ra::OrderEventLabel(e.event)}};
        if (!e.detail.empty()) ev["detail"] = e.detail;
        timeline.push_back(std::move(ev));
    }
    j["timeline"] = std::move(timeline);
    j["actions"] = ra::SubscriberActions(d);
    return j;
}

// ---- parsing -----------------------------------------------------------------------------

// Pages pre-fill the form from 我的信息, which shows the phone and ID number masked: a masked
// value equal to the subscriber's own stands for it.
void UnmaskOwnValues(PlatformServices& s, std::int64_t subscriber_id, ra::OrderForm& f) {
    auto sub = s.accounts.GetSubscriber(subscriber_id);
    if (!sub) return;
    if (f.phone.find('*') != std::string::npos && f.phone == ra::MaskPhone(sub->phone)) {
        f.phone = sub->phone;
    }
    if (f.id_card.find('*') != std::string::npos &&
        f.id_card == ra::MaskIdCard(sub->id_card_number)) {
        f.id_card = sub->id_card_number;
    }
}

Response MapOrderError(const Error& e) { return ErrorResponse(e); }

// ---- handlers ----------------------------------------------------------------------------

Response Me(Call& c) {
    auto sub = c.services.accounts.GetSubscriber(c.subscriber_id());
    if (!sub) return ErrorResponse(sub.error());
    auto org = c.services.accounts.GetOrganisation(sub->organisation_id);
    if (!org) return ErrorResponse(org.error());
    auto certs = c.services.accounts.CertificatesOf(sub->id);
    if (!certs) return ErrorResponse(certs.error());
    const TimePoint now = c.services.clock.Now();
    nlohmann::json list = nlohmann::json::array();
    for (const ra::OwnedCertificate& cert : *certs) {
        const auto days_left = std::chrono::floor<std::chrono::days>(cert.not_after - now).count();
        list.push_back({{"serial", cert.serial},
                        {"subject", cert.subject},
                        {"issuer", cert.issuer_name},
                        {"key_algorithm", cert.key_algorithm},
                        {"not_before", Iso(cert.not_before)},
                        {"not_after", Iso(cert.not_after)},
                        {"days_left", days_left},
                        {"status", cert.status},
                        {"medium", ra::MediumName(cert.medium)},
                        {"medium_label", ra::MediumLabel(cert.medium)},
                        {"renewable", cert.renewable}});
    }
    return Response::Json(
        200, {{"organisation",
               {{"name", org->name},
                {"legal_representative", org->legal_representative},
                {"credential_type", ra::CredentialTypeName(org->credential_type)},
                {"credential_type_label", ra::CredentialTypeLabel(org->credential_type)},
                {"credential_number", org->credential_number},
                {"phone", org->phone},
                {"fax", org->fax}}},
              {"subscriber",
               {{"user_identifier", sub->user_identifier},
                {"name", sub->name},
                {"phone_masked", ra::MaskPhone(sub->phone)},
                {"id_card_masked", ra::MaskIdCard(sub->id_card_number)},
                {"email", sub->email},
                {"department", sub->department},
                {"contact_address", sub->contact_address}}},
              {"certificates", list}});
}

Response ListOrders(Call& c) {
    ra::OrderService::ListFilter filter;
    filter.with_forms = false;  // the list shows no form fields
    // A page of the list (订单管理 shows 20 at a time): ?limit=1..100 (default 20) & offset.
    auto number = [&](std::string_view name, int fallback, int lo, int hi) -> std::optional<int> {
        auto text = c.request.Query(name);
        if (!text || text->empty()) return fallback;
        int v = 0;
        auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
        if (ec != std::errc() || end != text->data() + text->size() || v < lo || v > hi) {
            return std::nullopt;
        }
        return v;
    };
    auto limit = number("limit", 20, 1, 100);
    auto offset = number("offset", 0, 0, 1'000'000);
    if (!limit || !offset) return Response::JsonError(400, "invalid_argument", "分页参数无效");
    filter.limit = *limit + 1;  // one more tells whether another page follows
    filter.offset = *offset;
    if (auto state = c.request.Query("state"); state && !state->empty()) {
        auto parsed = ra::ParseOrderState(*state);
        if (!parsed) return ErrorResponse(parsed.error());
        filter.state = *parsed;
    }
    if (auto type = c.request.Query("type"); type && !type->empty()) {
        auto parsed = ra::ParseOrderType(*type);
        if (!parsed) return ErrorResponse(parsed.error());
        filter.type = *parsed;
    }
    auto orders = c.services.orders.ListForSubscriber(c.subscriber_id(), filter);
    if (!orders) return ErrorResponse(orders.error());
    const bool has_more = orders->size() > static_cast<std::size_t>(*limit);
    if (has_more) orders->pop_back();
    nlohmann::json list = nlohmann::json::array();
    for (const ra::Order& o : *orders) {
        // The list shows what can be done without opening the order.
        nlohmann::json j = OrderSummaryJson(o);
        ra::OrderDetail d;
        d.order = o;
        j["actions"] = ra::SubscriberActions(d);
        list.push_back(std::move(j));
    }
    return Response::Json(200, {{"orders", list}, {"has_more", has_more}});
}

Response CreateOrder(Call& c) {
    Response error;
    auto body = ParseJsonBody(c.request, error);
    if (!body) return error;
    auto type = ra::ParseOrderType(StringField(*body, "type"));
    if (!type || *type == ra::OrderType::kUnlock) {
        return Response::JsonError(400, "invalid_argument", "业务类型无效");
    }
    auto agree = body->find("agree");
    if (agree == body->end() || !agree->is_boolean() || !agree->get<bool>()) {
        return Response::JsonError(400, "agreement_required", "请先阅读并同意《证书服务协议》");
    }
    auto form_json = body->find("form");
    if (form_json == body->end() || !form_json->is_object()) {
        return Response::JsonError(400, "invalid_argument", "缺少申请信息");
    }
    std::string key = StringField(*body, "idempotency_key");
    if (key.size() > 64) return Response::JsonError(400, "invalid_argument", "请求标识过长");
    std::vector<ra::FieldError> errors;
    ra::OrderForm form = ra::OrderFormFromJson(*form_json, errors);
    UnmaskOwnValues(c.services, c.subscriber_id(), form);
    auto more = ra::ValidateForm(*type, form);
    errors.insert(errors.end(), more.begin(), more.end());
    if (!errors.empty()) return FieldErrors(errors);
    auto order = c.services.orders.Create(c.subscriber_id(), *type, form, key);
    if (!order) return MapOrderError(order.error());
    auto detail = c.services.orders.GetForSubscriber(c.subscriber_id(), order->order_no);
    if (!detail) return ErrorResponse(detail.error());
    return Response::Json(201, {{"order", OrderJson(*detail)}});
}

Response GetOrder(Call& c) {
    auto detail = c.services.orders.GetForSubscriber(c.subscriber_id(), c.Param("order_no"));
    if (!detail) return ErrorResponse(detail.error());
    return Response::Json(200, {{"order", OrderJson(*detail)}});
}

// Runs a state change, then answers with the order as it now is.
template <typename F>
Response ChangeAndShow(Call& c, F change) {
    auto changed = change();
    if (!changed) return MapOrderError(changed.error());
    auto detail = c.services.orders.GetForSubscriber(c.subscriber_id(), c.Param("order_no"));
    if (!detail) return ErrorResponse(detail.error());
    return Response::Json(200, {{"order", OrderJson(*detail)}});
}

Response UpdateForm(Call& c) {
    Response error;
    auto body = ParseJsonBody(c.request, error);
    if (!body) return error;
    auto form_json = body->find("form");
    if (form_json == body->end() || !form_json->is_object()) {
        return Response::JsonError(400, "invalid_argument", "缺少申请信息");
    }
    auto current = c.services.orders.GetForSubscriber(c.subscriber_id(), c.Param("order_no"));
    if (!current) return ErrorResponse(current.error());
    std::vector<ra::FieldError> errors;
    ra::OrderForm form = ra::OrderFormFromJson(*form_json, errors);
    UnmaskOwnValues(c.services, c.subscriber_id(), form);
    // The masked ID number of this order's own form stands for it, too.
    if (form.id_card == ra::MaskIdCard(current->order.form.id_card)) {
        form.id_card = current->order.form.id_card;
    }
    auto more = ra::ValidateForm(current->order.type, form);
    errors.insert(errors.end(), more.begin(), more.end());
    if (!errors.empty()) return FieldErrors(errors);
    return ChangeAndShow(c, [&] {
        return c.services.orders.UpdateForm(c.subscriber_id(), c.Param("order_no"), form);
    });
}

render::ApplicationForm FormForPrint(const SiteInfo& site, const ra::Order& o) {
    render::ApplicationForm p;
    p.order_no = o.order_no;
    p.order_type_label = std::string(ra::OrderTypeLabel(o.type));
    p.platform_name = site.name;
    const ra::OrderForm& f = o.form;
    p.org_name = f.org_name;
    p.legal_representative = f.legal_representative;
    p.credential_type_label = std::string(ra::CredentialTypeLabel(f.credential_type));
    p.credential_number = f.credential_number;
    p.org_phone = f.org_phone;
    p.org_fax = f.org_fax;
    p.user_identifier = f.user_identifier;
    p.department = f.department;
    p.user_name = f.user_name;
    p.phone = f.phone;
    p.id_card = f.id_card;  // the signed paper form carries the full number
    p.email = f.email;
    p.contact_address = f.contact_address;
    p.certificate_serial =
        f.certificate_serial.empty() ? o.certificate_serial : f.certificate_serial;
    p.medium_label = std::string(ra::MediumLabel(f.medium));
    p.created_at = ChineseDate(o.created_at);
    p.service_phone = site.service_phone;
    p.service_email = site.service_email;
    return p;
}

Response Attachment(std::string content_type, std::string body, const std::string& filename,
                    bool inline_disposition = false) {
    Response r = Response::Bytes(200, content_type, std::move(body));
    r.headers.Add(
        "Content-Disposition",
        fmt::format("{}; filename=\"{}\"", inline_disposition ? "inline" : "attachment", filename));
    r.headers.Add("X-Content-Type-Options", "nosniff");
    return r;
}

Response FormPdf(Call& c) {
    auto detail = c.services.orders.GetForSubscriber(c.subscriber_id(), c.Param("order_no"));
    if (!detail) return ErrorResponse(detail.error());
    auto pdf = render::RenderApplicationFormPdf(FormForPrint(c.services.site, detail->order));
    if (!pdf) return ErrorResponse(pdf.error());
    return Attachment("application/pdf", std::string(AsString(*pdf)),
                      "gzca-form-" + detail->order.order_no + ".pdf");
}

Response BlankFormPdf(Call& c) {
    render::ApplicationForm blank;
    blank.platform_name = c.services.site.name;
    blank.service_phone = c.services.site.service_phone;
    blank.service_email = c.services.site.service_email;
    auto pdf = render::RenderApplicationFormPdf(blank);
    if (!pdf) return ErrorResponse(pdf.error());
    Response r = Attachment("application/pdf", std::string(AsString(*pdf)), "gzca-form-blank.pdf");
    return r;
}

Response Printed(Call& c) {
    return ChangeAndShow(c, [&] {
        return c.services.orders.MarkFormPrinted(c.subscriber_id(), c.Param("order_no"));
    });
}

// The X-File-Name header: percent-encoded UTF-8 (the page sends encodeURIComponent(name)).
std::string UploadedFileName(const http::Request& r) {
    auto header = r.Header("x-file-name");
    if (!header) return {};
    auto decoded = http::PercentDecode(*header, /*plus_is_space=*/false);
    return decoded.value_or("");
}

Response PutMaterial(Call& c) {
    auto kind = ra::ParseMaterialKind(c.Param("kind"));
    if (!kind) return ErrorResponse(kind.error());
    // Ownership and state first: nothing from a stranger is stored.
    auto detail = c.services.orders.GetForSubscriber(c.subscriber_id(), c.Param("order_no"));
    if (!detail) return ErrorResponse(detail.error());
    std::filesystem::path file = c.request.body_file;
    if (file.empty()) {  // not spooled (tests without a spool directory): write the body out
        file = c.services.materials.TempPath();
        std::ofstream out(file, std::ios::binary);
        out.write(c.request.body.data(), static_cast<std::streamsize>(c.request.body.size()));
        if (!out.flush())
            return ErrorResponse({ErrorCode::kUnavailable, "temp write", "上传失败，请重试"});
    }
    {  // type by content, before anything is stored
        char head[16] = {};
        std::ifstream in(file, std::ios::binary);
        in.read(head, sizeof head);
        auto n = static_cast<std::size_t>(in.gcount());
        if (n == 0) {
            std::filesystem::remove(file);
            return Response::JsonError(400, "invalid_argument", "文件为空");
        }
        if (!ra::SniffMediaType(ByteView(reinterpret_cast<const std::uint8_t*>(head), n))) {
            std::error_code ec;
            std::filesystem::remove(file, ec);
            return Response::JsonError(415, "unsupported_media_type",
                                       "文件类型不支持，请上传 PDF、JPG 或 PNG 格式的文件");
        }
    }
    auto blob = c.services.materials.AdoptTempFile(file);
    if (!blob) {
        if (blob.error().code == ErrorCode::kResourceExhausted) {
            return Response::JsonError(413, "payload_too_large", blob.error().public_message);
        }
        return ErrorResponse(blob.error());
    }
    auto material = c.services.orders.PutMaterial(c.subscriber_id(), c.Param("order_no"), *kind,
                                                  *blob, UploadedFileName(c.request));
    if (!material) return MapOrderError(material.error());
    return Response::Json(200, {{"material",
                                 {{"kind", ra::MaterialKindName(material->kind)},
                                  {"label", ra::MaterialKindLabel(material->kind)},
                                  {"uploaded", true},
                                  {"media_type", material->media_type},
                                  {"size", material->size},
                                  {"original_name", material->original_name},
                                  {"uploaded_at", Iso(material->uploaded_at)}}}});
}

Response GetMaterial(Call& c) {
    auto kind = ra::ParseMaterialKind(c.Param("kind"));
    if (!kind) return ErrorResponse(kind.error());
    auto detail = c.services.orders.GetForSubscriber(c.subscriber_id(), c.Param("order_no"));
    if (!detail) return ErrorResponse(detail.error());
    for (const ra::Material& m : detail->materials) {
        if (m.kind != *kind) continue;
        auto path = c.services.materials.PathOf(m.sha256);
        if (!path) return ErrorResponse(path.error());
        std::ifstream in(*path, std::ios::binary);
        std::string content((std::istreambuf_iterator<char>(in)), {});
        const char* ext = m.media_type == "application/pdf" ? "pdf"
                          : m.media_type == "image/png"     ? "png"
                                                            : "jpg";
        return Attachment(
            m.media_type, std::move(content),
            fmt::format("{}-{}.{}", detail->order.order_no, ra::MaterialKindName(m.kind), ext),
            /*inline_disposition=*/true);
    }
    return Response::JsonError(404, "not_found", "尚未上传该材料");
}

Response Submit(Call& c) {
    return ChangeAndShow(
        c, [&] { return c.services.orders.Submit(c.subscriber_id(), c.Param("order_no")); });
}

Response Pay(Call& c) {
    Response error;
    auto body = ParseJsonBody(c.request, error);
    if (!body) return error;
    const std::string method = StringField(*body, "method");
    if (method == "online") {
        auto payment =
            c.services.orders.StartOnlinePayment(c.subscriber_id(), c.Param("order_no"), "sandbox");
        if (!payment) return MapOrderError(payment.error());
        return Response::Json(
            200, {{"checkout_url", payment::SandboxProvider::CheckoutPath(payment->payment_ref)},
                  {"payment_ref", payment->payment_ref}});
    }
    if (method == "offline") {
        return ChangeAndShow(c, [&] {
            return c.services.orders.ChooseOfflinePayment(c.subscriber_id(), c.Param("order_no"));
        });
    }
    return Response::JsonError(400, "invalid_argument", "请选择支付方式");
}

Response Cancel(Call& c) {
    return ChangeAndShow(
        c, [&] { return c.services.orders.Cancel(c.subscriber_id(), c.Param("order_no")); });
}

Response DownloadCertificate(Call& c) {
    auto detail = c.services.orders.GetForSubscriber(c.subscriber_id(), c.Param("order_no"));
    if (!detail) return ErrorResponse(detail.error());
    const ra::Order& o = detail->order;
    if (!o.issued_certificate_id ||
        (o.state != ra::OrderState::kReady && o.state != ra::OrderState::kCompleted)) {
        return Response::JsonError(409, "failed_precondition", "证书尚未签发");
    }
    auto tx = c.services.db.Begin(false);
    if (!tx) return ErrorResponse(tx.error());
    auto cert = ca::repo::FindCertificateById(**tx, *o.issued_certificate_id);
    if (!cert) return ErrorResponse(cert.error());
    if (!*cert || (*cert)->der.empty()) {
        return Response::JsonError(409, "failed_precondition", "证书尚未签发");
    }
    const std::string format(c.request.Query("format").value_or("pem"));
    const std::string base = "gzca-" + (*cert)->serial;
    if (format == "der") {
        return Attachment("application/pkix-cert", std::string(AsString((*cert)->der)),
                          base + ".cer");
    }
    std::string pem = pki::CertificatePemFromDer((*cert)->der);
    if (format == "chain") {
        std::optional<std::int64_t> issuer_id = (*cert)->issuer_id;
        for (int depth = 0; issuer_id && depth < 8; ++depth) {
            auto issuer = ca::repo::FindIssuerById(**tx, *issuer_id);
            if (!issuer) return ErrorResponse(issuer.error());
            if (!*issuer) break;
            pem += pki::CertificatePemFromDer((*issuer)->cert_der);
            issuer_id = (*issuer)->parent_id;
        }
        return Attachment("application/x-pem-file", std::move(pem), base + "-chain.pem");
    }
    if (format != "pem") return Response::JsonError(400, "invalid_argument", "格式无效");
    return Attachment("application/x-pem-file", std::move(pem), base + ".pem");
}

}  // namespace

void RegisterOrderRoutes(http::Router& router, PlatformServices& s) {
    const auto sub = Access::kSubscriber;
    router.Get("/api/platform/me", Wrap(s, sub, Me));
    router.Get("/api/platform/orders", Wrap(s, sub, ListOrders));
    router.Post("/api/platform/orders", Wrap(s, sub, CreateOrder));
    router.Get("/api/platform/orders/{order_no}", Wrap(s, sub, GetOrder));
    router.Put("/api/platform/orders/{order_no}/form", Wrap(s, sub, UpdateForm));
    router.Get("/api/platform/orders/{order_no}/form.pdf", Wrap(s, sub, FormPdf));
    router.Post("/api/platform/orders/{order_no}/printed", Wrap(s, sub, Printed));
    router.Put("/api/platform/orders/{order_no}/materials/{kind}", Wrap(s, sub, PutMaterial),
               http::RouteOptions{.max_body_bytes = static_cast<std::size_t>(ra::kMaxMaterialBytes),
                                  .spool_body_to_file = true});
    router.Get("/api/platform/orders/{order_no}/materials/{kind}", Wrap(s, sub, GetMaterial));
    router.Post("/api/platform/orders/{order_no}/submit", Wrap(s, sub, Submit));
    router.Post("/api/platform/orders/{order_no}/payment", Wrap(s, sub, Pay));
    router.Post("/api/platform/orders/{order_no}/cancel", Wrap(s, sub, Cancel));
    router.Get("/api/platform/orders/{order_no}/certificate", Wrap(s, sub, DownloadCertificate));
    router.Get("/api/platform/forms/blank.pdf", Wrap(s, Access::kPublic, BlankFormPdf));
}

}  // namespace gzca::api::platform
