#include "ra/orders.h"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "ca/repository.h"
#include "crypto/signer.h"
#include "pki/certificate.h"
#include "pki/crl.h"
#include "pki/csr.h"
#include "pki/name.h"
#include "ra/orders_internal.h"
#include "ra/validation.h"

namespace gzca::ra {

namespace {

using store::Value;

constexpr std::string_view kFormContext = "orders.form";
constexpr std::string_view kMaterialNameContext = "materials.original_name";
constexpr std::size_t kMaxCsrPem = 16 * 1024;
constexpr std::size_t kMaxComment = 500;
constexpr std::chrono::seconds kIssueClaim{300};
constexpr int kMaxListLimit = 500;

constexpr const char* kOrderNotFound = "未找到该订单";
constexpr const char* kCertNotFound = "未找到该证书";
constexpr const char* kStale = "订单状态已变化，请刷新";

constexpr OrderState kAllStates[] = {
    OrderState::kDraft,     OrderState::kMaterials, OrderState::kAwaitingPayment,
    OrderState::kInReview,  OrderState::kApproved,  OrderState::kReady,
    OrderState::kCompleted, OrderState::kRejected,  OrderState::kCancelled};
constexpr OrderType kAllTypes[] = {OrderType::kNew, OrderType::kRenew, OrderType::kReissue,
                                   OrderType::kRevoke, OrderType::kUnlock};
constexpr MaterialKind kAllKinds[] = {MaterialKind::kApplicationForm,
                                      MaterialKind::kBusinessLicence, MaterialKind::kIdCopy,
                                      MaterialKind::kPaymentVoucher};
// RFC 5280 §5.3.1 reasons a subscriber may give.
constexpr std::string_view kSubscriberRevocationReasons[] = {
    "unspecified", "keyCompromise", "affiliationChanged", "superseded", "cessationOfOperation"};
constexpr std::string_view kReviewReasons[] = {"missing_materials", "wrong_information",
                                               "payment_not_received", "other"};

Value V(std::int64_t v) { return v; }
Value V(TimePoint t) { return ToUnix(t); }
Value V(std::string_view s) { return std::string(s); }
template <typename T>
Value V(const std::optional<T>& v) {
    return v ? V(*v) : Value(nullptr);
}

std::optional<TimePoint> OptTime(const store::Row& r, std::size_t i) {
    if (auto v = r.OptInt(i)) return FromUnix(*v);
    return std::nullopt;
}

bool NeedsCertificate(OrderType t) {
    return t == OrderType::kRenew || t == OrderType::kReissue || t == OrderType::kRevoke;
}
bool NeedsCsr(OrderType t) { return t == OrderType::kNew || t == OrderType::kReissue; }

std::string Money(std::int64_t fen) { return fmt::format("{}.{:02d} 元", fen / 100, fen % 100); }

tl::unexpected<Error> WrongState(OrderState s, std::string_view action) {
    return Fail(ErrorCode::kFailedPrecondition,
                fmt::format("order is {}: cannot {}", OrderStateName(s), action),
                fmt::format("订单当前状态为「{}」，不能{}", OrderStateLabel(s), action));
}

tl::unexpected<Error> OrderNotFound(std::string_view order_no) {
    return Fail(ErrorCode::kNotFound, fmt::format("no order '{}' for this caller", order_no),
                kOrderNotFound);
}

bool IsOperator(const Actor& a) {
    return a.kind == Actor::Kind::kOperator || a.kind == Actor::Kind::kSystem;
}

// ---- the form as sealed JSON ----

Result<OrderForm> FormFromJson(std::string_view text) {
    auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    std::vector<FieldError> errors;
    OrderForm f;
    if (!j.is_discarded() && j.is_object()) f = OrderFormFromJson(j, errors);
    if (j.is_discarded() || !j.is_object() || !errors.empty()) {
        return Fail(ErrorCode::kInternal,
                    "stored order form unreadable: " +
                        (errors.empty() ? std::string("not a JSON object") : errors[0].field),
                    "订单数据读取失败");
    }
    return f;
}

Bytes SealForm(const PiiVault& vault, const OrderForm& form) {
    // Validated forms are clean UTF-8; `replace` keeps a bug elsewhere from throwing here.
    return vault.Seal(
        OrderFormToJson(form).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
        kFormContext);
}

// ---- rows ----

constexpr std::string_view kOrderColumns =
    "id, order_no, type, state, subscriber_id, certificate_id, certificate_serial, "
    "issued_certificate_id, issued_certificate_serial, form_sealed, fee_fen, created_at, "
    "updated_at, submitted_at, due_at, version";
// The same columns without the sealed form (NULL in its place), for lists that skip it: the
// blob is the largest part of a row.
constexpr std::string_view kOrderColumnsWithoutForm =
    "id, order_no, type, state, subscriber_id, certificate_id, certificate_serial, "
    "issued_certificate_id, issued_certificate_serial, NULL, fee_fen, created_at, "
    "updated_at, submitted_at, due_at, version";

// `with_form`: unseal and parse the form snapshot (lists that show no form skip that cost).
Result<Order> OrderFromRow(const PiiVault& vault, const store::Row& r, bool with_form = true) {
    Order o;
    o.id = r.Int(0);
    o.order_no = r.Text(1);
    GZCA_ASSIGN_OR_RETURN(o.type, ParseOrderType(r.Text(2)));
    GZCA_ASSIGN_OR_RETURN(o.state, ParseOrderState(r.Text(3)));
    o.subscriber_id = r.Int(4);
    o.certificate_id = r.OptInt(5);
    o.certificate_serial = r.Text(6);
    o.issued_certificate_id = r.OptInt(7);
    o.issued_certificate_serial = r.Text(8);
    if (with_form) {
        GZCA_ASSIGN_OR_RETURN(auto json, vault.Open(r.Blob(9), kFormContext));
        GZCA_ASSIGN_OR_RETURN(o.form, FormFromJson(json));
    }
    o.fee_fen = r.Int(10);
    o.created_at = FromUnix(r.Int(11));
    o.updated_at = FromUnix(r.Int(12));
    o.submitted_at = OptTime(r, 13);
    o.due_at = OptTime(r, 14);
    o.version = r.Int(15);
    return o;
}

// "GZ" + yyyymmdd in Beijing time (UTC+8, where the platform's users are) + 6 random digits.
std::string NewOrderNo(TimePoint now) {
    using namespace std::chrono;
    const year_month_day ymd{floor<days>(now + hours(8))};
    std::uint32_t v = 0;
    do {
        Bytes r = crypto::RandomBytes(4);
        v = (std::uint32_t{r[0]} << 24) | (std::uint32_t{r[1]} << 16) | (std::uint32_t{r[2]} << 8) |
            r[3];
    } while (v >= 4294000000u);  // unbiased modulo 10^6
    return fmt::format("GZ{:04d}{:02d}{:02d}{:06d}", static_cast<int>(ymd.year()),
                       static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                       v % 1000000u);
}

std::string NewPaymentRef() { return "pay_" + HexEncode(crypto::RandomBytes(16)); }

Status AppendEvent(store::Transaction& tx, std::int64_t order_id, TimePoint at,
                   const std::string& actor, std::string_view event, OrderState from, OrderState to,
                   std::string_view detail) {
    GZCA_TRY_STATUS(tx.Exec(
        "INSERT INTO order_events (order_id, at, actor, event, from_state, to_state, detail) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7)",
        {V(order_id), V(at), V(actor), V(event), V(OrderStateName(from)), V(OrderStateName(to)),
         V(detail)}));
    return Ok();
}

// The original file name as shown back: last path component, no control characters, at most
// 255 bytes (cut on a UTF-8 boundary).
std::string CleanFileName(std::string_view name) {
    auto slash = name.find_last_of("/\\");
    if (slash != std::string_view::npos) name.remove_prefix(slash + 1);
    std::string out;
    for (char c : name) {
        auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7F) continue;
        out.push_back(c);
    }
    if (!IsCleanText(out)) out = "upload";
    if (out.size() > 255) {
        std::size_t cut = 255;
        while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
        out.resize(cut);
    }
    out = TrimAscii(out);
    return out.empty() ? "upload" : out;
}

bool IsLowerHex64(std::string_view s) {
    return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
           });
}

// The form's text fields, for uniform trimming and checks.
struct TextField {
    std::string OrderForm::*member;
    const char* name;
    const char* label;
};
constexpr TextField kTextFields[] = {
    {&OrderForm::org_name, "org_name", "机构名称"},
    {&OrderForm::legal_representative, "legal_representative", "法定代表人"},
    {&OrderForm::credential_number, "credential_number", "证件号码"},
    {&OrderForm::org_phone, "org_phone", "机构电话"},
    {&OrderForm::org_fax, "org_fax", "机构传真"},
    {&OrderForm::user_identifier, "user_identifier", "用户标识"},
    {&OrderForm::department, "department", "部门"},
    {&OrderForm::user_name, "user_name", "姓名"},
    {&OrderForm::phone, "phone", "手机号码"},
    {&OrderForm::id_card, "id_card", "身份证号码"},
    {&OrderForm::email, "email", "电子邮箱"},
    {&OrderForm::contact_address, "contact_address", "联系地址"},
    {&OrderForm::certificate_serial, "certificate_serial", "证书序列号"},
    {&OrderForm::revocation_reason, "revocation_reason", "吊销原因"},
};

std::vector<FieldError> ValidateNormalised(OrderType type, const OrderForm& f) {
    std::vector<FieldError> errors;
    auto add = [&](const char* field, std::string message) {
        errors.push_back({field, std::move(message)});
    };
    // Free text: required?, clean UTF-8, length in code points.
    auto text = [&](const std::string& value, const char* field, const char* label, bool required,
                    std::size_t max) {
        if (value.empty()) {
            if (required) add(field, fmt::format("请填写{}", label));
            return false;
        }
        if (!IsCleanText(value)) {
            add(field, fmt::format("{}含有非法字符", label));
            return false;
        }
        if (CodePointCount(value) > max) {
            add(field, fmt::format("{}不能超过{}个字符", label, max));
            return false;
        }
        return true;
    };
    auto public_of = [](const Status& s) { return s ? std::string() : s.error().public_message; };
    // New certificates carry org_name, department and user_name in the subject: RFC 5280
    // Appendix A upper bounds (ub-organization-name etc.) are 64 characters.
    const std::size_t subject_max = type == OrderType::kNew ? 64 : 128;

    text(f.org_name, "org_name", "机构名称", true, subject_max);
    text(f.legal_representative, "legal_representative", "法定代表人", true, 128);
    if (f.credential_number.empty()) {
        add("credential_number", "请填写证件号码");
    } else if (f.credential_type == CredentialType::kBusinessLicence) {
        if (auto s = ValidateUscc(f.credential_number); !s) add("credential_number", public_of(s));
    } else {
        bool ok = f.credential_number.size() <= 64 &&
                  std::all_of(f.credential_number.begin(), f.credential_number.end(),
                              [](char c) { return c > 0x20 && c < 0x7F; });
        if (!ok) add("credential_number", "证件号码应为1至64位字母、数字或符号");
    }
    if (!f.org_phone.empty()) {
        if (auto s = ValidateFixedPhone(f.org_phone); !s) add("org_phone", "机构电话格式不正确");
    }
    if (!f.org_fax.empty()) {
        if (auto s = ValidateFixedPhone(f.org_fax); !s) add("org_fax", "机构传真格式不正确");
    }
    text(f.user_identifier, "user_identifier", "用户标识", true, 128);
    text(f.department, "department", "部门", true, subject_max);
    text(f.user_name, "user_name", "姓名", true, subject_max);
    if (f.phone.empty()) {
        add("phone", "请填写手机号码");
    } else if (auto s = ValidateMobile(f.phone); !s) {
        add("phone", public_of(s));
    }
    if (f.id_card.empty()) {
        add("id_card", "请填写身份证号码");
    } else if (auto s = ValidateIdCardNumber(f.id_card); !s) {
        add("id_card", public_of(s));
    }
    if (!f.email.empty()) {
        if (auto s = ValidateEmail(f.email); !s) add("email", public_of(s));
    }
    text(f.contact_address, "contact_address", "联系地址", true, 256);

    if (NeedsCertificate(type)) {
        if (f.certificate_serial.empty()) {
            add("certificate_serial", "请选择要办理的证书");
        } else if (!pki::ParseSerialHex(f.certificate_serial)) {
            add("certificate_serial", "证书序列号格式不正确");
        }
    }
    if (NeedsCsr(type) && f.csr_pem.empty()) {
        add("csr_pem", "请提供证书请求（CSR）");
    } else if (!f.csr_pem.empty()) {
        const bool pem_text =
            f.csr_pem.starts_with("-----BEGIN") &&
            std::all_of(f.csr_pem.begin(), f.csr_pem.end(), [](char c) {
                return (c >= 0x20 && c < 0x7F) || c == '\n' || c == '\r' || c == '\t';
            });
        if (f.csr_pem.size() > kMaxCsrPem) {
            add("csr_pem", "证书请求（CSR）不能超过16KB");
        } else if (!pem_text) {
            add("csr_pem", "证书请求（CSR）应为PEM格式");
        } else if (auto csr = pki::ParseCsr(AsBytes(f.csr_pem)); !csr) {
            add("csr_pem", "证书请求（CSR）无效：格式错误、签名不正确或密钥不受支持");
        }
    }
    if (type == OrderType::kRevoke) {
        if (f.revocation_reason.empty()) {
            add("revocation_reason", "请选择吊销原因");
        } else if (std::find(std::begin(kSubscriberRevocationReasons),
                             std::end(kSubscriberRevocationReasons),
                             f.revocation_reason) == std::end(kSubscriberRevocationReasons)) {
            add("revocation_reason", "吊销原因无效");
        }
    }
    return errors;
}

Status FormStatus(OrderType type, const OrderForm& normalised) {
    auto errors = ValidateNormalised(type, normalised);
    if (errors.empty()) return Ok();
    return Fail(
        ErrorCode::kInvalidArgument,
        fmt::format("order form invalid: {} ({} problems)", errors.front().field, errors.size()),
        errors.front().message);
}

}  // namespace

// ---- names and labels ----

std::string_view OrderTypeName(OrderType t) {
    switch (t) {
        case OrderType::kNew:
            return "new";
        case OrderType::kRenew:
            return "renew";
        case OrderType::kReissue:
            return "reissue";
        case OrderType::kRevoke:
            return "revoke";
        case OrderType::kUnlock:
            return "unlock";
    }
    return "new";
}

std::string_view OrderTypeLabel(OrderType t) {
    switch (t) {
        case OrderType::kNew:
            return "证书申请";
        case OrderType::kRenew:
            return "证书延期";
        case OrderType::kReissue:
            return "证书补办";
        case OrderType::kRevoke:
            return "证书吊销";
        case OrderType::kUnlock:
            return "USBKey密钥";
    }
    return "证书申请";
}

Result<OrderType> ParseOrderType(std::string_view name) {
    for (auto t : kAllTypes) {
        if (name == OrderTypeName(t)) return t;
    }
    return Fail(ErrorCode::kInvalidArgument, fmt::format("unknown order type '{}'", name),
                "订单类型无效");
}

std::string_view OrderStateName(OrderState s) {
    switch (s) {
        case OrderState::kDraft:
            return "draft";
        case OrderState::kMaterials:
            return "materials";
        case OrderState::kAwaitingPayment:
            return "awaiting_payment";
        case OrderState::kInReview:
            return "in_review";
        case OrderState::kApproved:
            return "approved";
        case OrderState::kReady:
            return "ready";
        case OrderState::kCompleted:
            return "completed";
        case OrderState::kRejected:
            return "rejected";
        case OrderState::kCancelled:
            return "cancelled";
    }
    return "draft";
}

std::string_view OrderStateLabel(OrderState s) {
    switch (s) {
        case OrderState::kDraft:
            return "待打印申请表";
        case OrderState::kMaterials:
            return "待上传资料";
        case OrderState::kAwaitingPayment:
            return "待支付";
        case OrderState::kInReview:
            return "审核中";
        case OrderState::kApproved:
            return "审核通过";
        case OrderState::kReady:
            return "待下载证书";
        case OrderState::kCompleted:
            return "已完成";
        case OrderState::kRejected:
            return "已驳回";
        case OrderState::kCancelled:
            return "已取消";
    }
    return "待打印申请表";
}

Result<OrderState> ParseOrderState(std::string_view name) {
    for (auto s : kAllStates) {
        if (name == OrderStateName(s)) return s;
    }
    return Fail(ErrorCode::kInvalidArgument, fmt::format("unknown order state '{}'", name),
                "订单状态无效");
}

int StepOf(OrderState s) {
    switch (s) {
        case OrderState::kDraft:
            return 2;
        case OrderState::kMaterials:
        case OrderState::kRejected:
            return 3;
        case OrderState::kAwaitingPayment:
            return 4;
        case OrderState::kInReview:
        case OrderState::kApproved:
        case OrderState::kReady:
        case OrderState::kCompleted:
            return 5;
        case OrderState::kCancelled:
            return 0;
    }
    return 0;
}

bool IsOpen(OrderState s) { return s != OrderState::kCompleted && s != OrderState::kCancelled; }

std::string RenderActor(const Actor& a) {
    switch (a.kind) {
        case Actor::Kind::kSubscriber:
            return fmt::format("subscriber:{}", a.id);
        case Actor::Kind::kOperator:
            return fmt::format("operator:{}", a.id);
        case Actor::Kind::kSystem:
            return a.name.empty() ? "system" : "system:" + a.name;
    }
    return "system";
}

std::string_view PaymentStateName(PaymentState s) {
    switch (s) {
        case PaymentState::kPending:
            return "pending";
        case PaymentState::kPaid:
            return "paid";
        case PaymentState::kAwaitingConfirmation:
            return "awaiting_confirmation";
        case PaymentState::kRefused:
            return "refused";
    }
    return "pending";
}

std::string_view PaymentStateLabel(PaymentState s) {
    switch (s) {
        case PaymentState::kPending:
            return "待支付";
        case PaymentState::kPaid:
            return "已支付";
        case PaymentState::kAwaitingConfirmation:
            return "待确认";
        case PaymentState::kRefused:
            return "未到账";
    }
    return "待支付";
}

Result<PaymentState> ParsePaymentState(std::string_view name) {
    for (auto s : {PaymentState::kPending, PaymentState::kPaid, PaymentState::kAwaitingConfirmation,
                   PaymentState::kRefused}) {
        if (name == PaymentStateName(s)) return s;
    }
    return Fail(ErrorCode::kInvalidArgument, fmt::format("unknown payment state '{}'", name),
                "支付状态无效");
}

std::string_view ReviewReasonLabel(std::string_view reason) {
    if (reason == "missing_materials") return "材料缺失";
    if (reason == "wrong_information") return "信息有误";
    if (reason == "payment_not_received") return "未收到账款";
    if (reason == "other") return "其他";
    return "";
}

std::string_view OrderEventLabel(std::string_view event) {
    static constexpr std::pair<std::string_view, std::string_view> kLabels[] = {
        {"created", "创建订单"},
        {"form_updated", "修改申请信息"},
        {"form_printed", "打印申请表"},
        {"material_uploaded", "上传材料"},
        {"submitted", "提交订单"},
        {"payment_started", "发起支付"},
        {"payment_failed", "支付失败"},
        {"offline_payment", "选择线下支付"},
        {"paid", "支付成功"},
        {"payment_confirmed", "确认到账"},
        {"approved", "审核通过"},
        {"rejected", "审核驳回"},
        {"issued", "证书已签发"},
        {"revoked", "证书已吊销"},
        {"issue_failed", "证书签发失败"},
        {"installed", "证书已安装"},
        {"completed", "办理完成"},
        {"cancelled", "取消订单"},
    };
    for (const auto& [name, label] : kLabels) {
        if (name == event) return label;
    }
    return event;
}

std::vector<std::string> SubscriberActions(const OrderDetail& d) {
    const OrderState s = d.order.state;
    std::vector<std::string> out;
    auto in = [&](std::initializer_list<OrderState> states) {
        return std::find(states.begin(), states.end(), s) != states.end();
    };
    if (in({OrderState::kDraft, OrderState::kMaterials, OrderState::kRejected})) {
        out.push_back("edit");
        out.push_back("print");
    }
    if (in({OrderState::kMaterials, OrderState::kRejected, OrderState::kAwaitingPayment})) {
        out.push_back("upload");
    }
    if (in({OrderState::kMaterials, OrderState::kRejected})) out.push_back("submit");
    if (s == OrderState::kAwaitingPayment) out.push_back("pay");
    if (in({OrderState::kDraft, OrderState::kMaterials, OrderState::kAwaitingPayment,
            OrderState::kRejected})) {
        out.push_back("cancel");
    }
    if (in({OrderState::kReady, OrderState::kCompleted}) &&
        d.order.issued_certificate_id.has_value()) {
        out.push_back("download");
    }
    return out;
}

OrderForm NormaliseForm(OrderType type, const OrderForm& in) {
    OrderForm f = in;
    for (const auto& field : kTextFields) f.*field.member = TrimAscii(f.*field.member);
    f.csr_pem = TrimAscii(f.csr_pem);
    if (f.credential_type == CredentialType::kBusinessLicence) {
        for (char& c : f.credential_number) {
            if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
        }
    }
    f.id_card = NormaliseIdCard(f.id_card);
    if (auto serial = pki::ParseSerialHex(f.certificate_serial)) {
        f.certificate_serial = HexEncode(*serial);
    }
    if (!NeedsCertificate(type)) f.certificate_serial.clear();
    if (type == OrderType::kRevoke || type == OrderType::kUnlock) f.csr_pem.clear();
    if (type != OrderType::kRevoke) f.revocation_reason.clear();
    return f;
}

std::vector<FieldError> ValidateForm(OrderType type, const OrderForm& form) {
    return ValidateNormalised(type, NormaliseForm(type, form));
}

// ---- the change writer ----

namespace detail {

Result<std::optional<Order>> LoadOrder(store::Transaction& tx, const PiiVault& vault,
                                       std::string_view order_no,
                                       std::optional<std::int64_t> subscriber_id) {
    std::string sql = fmt::format("SELECT {} FROM orders WHERE order_no = $1", kOrderColumns);
    std::vector<Value> params{V(order_no)};
    if (subscriber_id) {
        sql += " AND subscriber_id = $2";
        params.push_back(V(*subscriber_id));
    }
    GZCA_ASSIGN_OR_RETURN(auto row, tx.QueryOne(sql, params));
    if (!row) return std::optional<Order>();
    GZCA_ASSIGN_OR_RETURN(auto order, OrderFromRow(vault, *row));
    return std::optional<Order>(std::move(order));
}

Result<Order> CommitChange(store::Transaction& tx, const PiiVault& vault, const Order& before,
                           Order after, const ChangePlan& plan, const Actor& actor, TimePoint now,
                           const TransitionHook& hook) {
    after.updated_at = now;
    std::vector<Value> params{V(OrderStateName(after.state)),
                              V(after.certificate_id),
                              V(after.certificate_serial),
                              V(after.issued_certificate_id),
                              V(after.issued_certificate_serial),
                              V(after.submitted_at),
                              V(after.due_at),
                              V(now),
                              V(before.id)};
    std::string sql =
        "UPDATE orders SET state = $1, certificate_id = $2, certificate_serial = $3, "
        "issued_certificate_id = $4, issued_certificate_serial = $5, submitted_at = $6, "
        "due_at = $7, updated_at = $8, version = version + 1";
    if (!(after.form == before.form)) {
        params.push_back(SealForm(vault, after.form));
        sql += fmt::format(", form_sealed = ${}", params.size());
    }
    sql += " WHERE id = $9";
    if (plan.check_version) {
        params.push_back(V(before.version));
    } else {
        params.push_back(V(OrderStateName(before.state)));
    }
    sql += fmt::format(" AND {} = ${} RETURNING version", plan.check_version ? "version" : "state",
                       params.size());
    GZCA_ASSIGN_OR_RETURN(auto row, tx.QueryOne(sql, params));
    if (!row) {
        return Fail(ErrorCode::kFailedPrecondition,
                    fmt::format("order {} changed concurrently (read version {})", before.order_no,
                                before.version),
                    kStale);
    }
    after.version = row->Int(0);
    if (plan.extra) GZCA_TRY_STATUS(plan.extra(tx, after));
    GZCA_TRY_STATUS(AppendEvent(tx, before.id, now, RenderActor(actor), plan.event, before.state,
                                after.state, plan.detail));
    if (hook && before.state != after.state) {
        GZCA_TRY_STATUS(hook(tx, after, before.state, after.state, actor));
    }
    return after;
}

}  // namespace detail

// ---- the service ----

struct OrderService::Plan : detail::ChangePlan {};

struct OrderService::Outcome {
    std::optional<ca::CertificateRecord> certificate;  // issued (new / renew / reissue)
    bool revoked = false;
};

OrderService::OrderService(store::Database& db, ca::CertificateAuthority& ca,
                           AccountRepository& accounts, const PiiVault& vault, const Clock& clock,
                           OrderConfig config, TransitionHook hook)
    : db_(db),
      ca_(ca),
      accounts_(accounts),
      vault_(vault),
      clock_(clock),
      config_(std::move(config)),
      hook_(std::move(hook)) {}

TimePoint OrderService::DueDate(TimePoint submitted) const {
    if (config_.due_date) return config_.due_date(submitted, config_.review_working_days);
    return submitted + std::chrono::days(config_.review_working_days);
}

std::int64_t OrderService::FeeOf(OrderType type) const {
    auto it = config_.fees_fen.find(type);
    return it == config_.fees_fen.end() ? 0 : it->second;
}

Result<Order> OrderService::Mutate(std::string_view order_no,
                                   std::optional<std::int64_t> subscriber_id, const Actor& actor,
                                   const Decide& decide) {
    GZCA_ASSIGN_OR_RETURN(auto tx, db_.Begin(true));
    GZCA_ASSIGN_OR_RETURN(auto before, detail::LoadOrder(*tx, vault_, order_no, subscriber_id));
    if (!before) return OrderNotFound(order_no);
    Order after = *before;
    Plan plan;
    GZCA_TRY_STATUS(decide(*tx, *before, after, plan));
    if (plan.event.empty()) return *before;  // nothing to change; the transaction rolls back
    GZCA_ASSIGN_OR_RETURN(auto written, detail::CommitChange(*tx, vault_, *before, std::move(after),
                                                             plan, actor, clock_.Now(), hook_));
    GZCA_TRY_STATUS(tx->Commit());
    return written;
}

Result<std::optional<std::int64_t>> OrderService::CheckCertificate(
    store::Transaction& tx, std::int64_t subscriber_id, OrderType type, OrderForm& form,
    std::optional<std::int64_t> order_id) {
    if (!NeedsCertificate(type)) return std::optional<std::int64_t>();
    auto found = ca::repo::FindCertificateAnyIssuer(tx, form.certificate_serial);
    if (!found) {
        if (found.error().code == ErrorCode::kFailedPrecondition) {
            return Fail(ErrorCode::kNotFound, found.error().internal, kCertNotFound);
        }
        return Fail(std::move(found).error());
    }
    auto& rec = *found;
    if (!rec) {
        return Fail(ErrorCode::kNotFound, fmt::format("no certificate {}", form.certificate_serial),
                    kCertNotFound);
    }
    GZCA_ASSIGN_OR_RETURN(auto owner, AccountRepository::OwnerOf(tx, rec->id));
    if (!owner || owner->first != subscriber_id) {
        // Someone else's certificate looks exactly like an unknown one.
        return Fail(
            ErrorCode::kNotFound,
            fmt::format("certificate {} is not subscriber {}'s", rec->serial, subscriber_id),
            kCertNotFound);
    }
    form.medium = owner->second;
    const TimePoint now = clock_.Now();
    const auto label = OrderTypeLabel(type);
    if (rec->status == ca::CertStatus::kRevoked) {
        return Fail(ErrorCode::kFailedPrecondition,
                    fmt::format("certificate {} is revoked", rec->serial),
                    fmt::format("该证书已吊销，不能办理{}", label));
    }
    if (rec->status != ca::CertStatus::kIssued) {
        return Fail(ErrorCode::kFailedPrecondition,
                    fmt::format("certificate {} is {}", rec->serial, rec->EffectiveStatus(now)),
                    fmt::format("该证书尚未签发，不能办理{}", label));
    }
    if (type == OrderType::kRenew || type == OrderType::kReissue) {
        GZCA_ASSIGN_OR_RETURN(auto successor, ca::repo::FindSuccessor(tx, rec->id));
        if (successor) {
            return Fail(
                ErrorCode::kFailedPrecondition,
                fmt::format("certificate {} has successor {}", rec->serial, successor->serial),
                "该证书已有更新的证书，请对新证书办理");
        }
    }
    if (type == OrderType::kReissue) {
        if (now > rec->not_after) {
            return Fail(ErrorCode::kFailedPrecondition,
                        fmt::format("certificate {} has expired", rec->serial),
                        "该证书已过期，请办理证书延期");
        }
        GZCA_ASSIGN_OR_RETURN(auto csr, pki::ParseCsr(AsBytes(form.csr_pem)));
        if (HexEncode(crypto::Sha256(csr.spki_der)) == rec->spki_sha256) {
            return Fail(ErrorCode::kInvalidArgument, "reissue CSR reuses the old key",
                        "补办证书须使用新的密钥");
        }
    }
    std::string sql =
        "SELECT order_no FROM orders WHERE certificate_id = $1 AND type = $2 AND "
        "state NOT IN ('completed', 'cancelled')";
    std::vector<Value> params{V(rec->id), V(OrderTypeName(type))};
    if (order_id) {
        sql += " AND id <> $3";
        params.push_back(V(*order_id));
    }
    GZCA_ASSIGN_OR_RETURN(auto open, tx.QueryOne(sql + " LIMIT 1", params));
    if (open) {
        return Fail(ErrorCode::kFailedPrecondition,
                    fmt::format("certificate {} has open {} order {}", rec->serial,
                                OrderTypeName(type), open->Text(0)),
                    fmt::format("该证书已有办理中的订单：{}", open->Text(0)));
    }
    return std::optional<std::int64_t>(rec->id);
}

Result<Order> OrderService::Create(std::int64_t subscriber_id, OrderType type,
                                   const OrderForm& form_in, std::string_view idempotency_key) {
    OrderForm form = NormaliseForm(type, form_in);
    GZCA_TRY_STATUS(FormStatus(type, form));
    const std::string key = TrimAscii(idempotency_key);
    if (key.size() > 128 ||
        !std::all_of(key.begin(), key.end(), [](char c) { return c > 0x20 && c < 0x7F; })) {
        return Fail(ErrorCode::kInvalidArgument, "idempotency key must be printable ASCII ≤ 128",
                    "请求标识无效");
    }
    const Actor actor{Actor::Kind::kSubscriber, subscriber_id, ""};

    // A collision of order numbers, or a concurrent twin request, fails the INSERT on a unique
    // constraint and spends the transaction; the next attempt sees what won.
    for (int attempt = 0; attempt < 5; ++attempt) {
        GZCA_ASSIGN_OR_RETURN(auto tx, db_.Begin(true));
        if (!key.empty()) {
            GZCA_ASSIGN_OR_RETURN(
                auto existing,
                tx->QueryOne("SELECT order_no FROM orders WHERE subscriber_id = $1 AND "
                             "idempotency_key = $2",
                             {V(subscriber_id), V(key)}));
            if (existing) {
                GZCA_ASSIGN_OR_RETURN(
                    auto order, detail::LoadOrder(*tx, vault_, existing->Text(0), subscriber_id));
                if (order) return *order;
            }
        }
        GZCA_ASSIGN_OR_RETURN(
            auto sub, tx->QueryOne("SELECT id FROM subscribers WHERE id = $1", {V(subscriber_id)}));
        if (!sub) {
            return Fail(ErrorCode::kNotFound, fmt::format("no subscriber {}", subscriber_id),
                        "未找到该用户");
        }
        GZCA_ASSIGN_OR_RETURN(auto certificate_id,
                              CheckCertificate(*tx, subscriber_id, type, form, std::nullopt));

        const TimePoint now = clock_.Now();
        Order order;
        order.order_no = NewOrderNo(now);
        order.type = type;
        order.state = OrderState::kDraft;
        order.subscriber_id = subscriber_id;
        order.certificate_id = certificate_id;
        order.certificate_serial = certificate_id ? form.certificate_serial : "";
        order.form = form;
        order.fee_fen = FeeOf(type);
        order.created_at = now;
        order.updated_at = now;
        order.version = 1;
        auto inserted = tx->QueryOne(
            "INSERT INTO orders (order_no, type, state, subscriber_id, certificate_id, "
            "certificate_serial, issued_certificate_serial, form_sealed, fee_fen, "
            "idempotency_key, created_at, updated_at, version) "
            "VALUES ($1, $2, $3, $4, $5, $6, '', $7, $8, $9, $10, $10, 1) RETURNING id",
            {V(order.order_no), V(OrderTypeName(type)), V(OrderStateName(order.state)),
             V(subscriber_id), V(certificate_id), V(order.certificate_serial),
             SealForm(vault_, form), V(order.fee_fen), key.empty() ? Value(nullptr) : V(key),
             V(now)});
        if (!inserted) {
            if (inserted.error().code == ErrorCode::kAlreadyExists) continue;
            return Fail(std::move(inserted).error());
        }
        order.id = (*inserted)->Int(0);
        GZCA_TRY_STATUS(AppendEvent(*tx, order.id, now, RenderActor(actor), "created",
                                    OrderState::kDraft, OrderState::kDraft, OrderTypeLabel(type)));
        if (hook_)
            GZCA_TRY_STATUS(hook_(*tx, order, OrderState::kDraft, OrderState::kDraft, actor));
        GZCA_TRY_STATUS(tx->Commit());
        return order;
    }
    return Fail(ErrorCode::kUnavailable, "could not allocate an order number",
                "系统繁忙，请稍后重试");
}

Result<OrderDetail> OrderService::DetailOf(std::string_view order_no,
                                           std::optional<std::int64_t> subscriber_id) {
    GZCA_ASSIGN_OR_RETURN(auto tx, db_.Begin(false));
    GZCA_ASSIGN_OR_RETURN(auto order, detail::LoadOrder(*tx, vault_, order_no, subscriber_id));
    if (!order) return OrderNotFound(order_no);
    OrderDetail d;
    d.order = std::move(*order);
    const Value id = V(d.order.id);

    GZCA_ASSIGN_OR_RETURN(auto materials,
                          tx->Query("SELECT kind, sha256, media_type, size, "
                                    "original_name_sealed, uploaded_at FROM materials "
                                    "WHERE order_id = $1",
                                    {id}));
    for (const auto& r : materials) {
        Material m;
        GZCA_ASSIGN_OR_RETURN(m.kind, ParseMaterialKind(r.Text(0)));
        m.sha256 = r.Text(1);
        m.media_type = r.Text(2);
        m.size = r.Int(3);
        GZCA_ASSIGN_OR_RETURN(m.original_name, vault_.Open(r.Blob(4), kMaterialNameContext));
        m.uploaded_at = FromUnix(r.Int(5));
        d.materials.push_back(std::move(m));
    }
    std::sort(d.materials.begin(), d.materials.end(),
              [](const Material& a, const Material& b) { return a.kind < b.kind; });

    GZCA_ASSIGN_OR_RETURN(auto payment,
                          tx->QueryOne("SELECT payment_ref, method, provider, amount_fen, state, "
                                       "paid_at FROM payments WHERE order_id = $1 "
                                       "ORDER BY id DESC LIMIT 1",
                                       {id}));
    if (payment) {
        Payment p;
        p.payment_ref = payment->Text(0);
        p.method = payment->Text(1);
        p.provider = payment->Text(2);
        p.amount_fen = payment->Int(3);
        GZCA_ASSIGN_OR_RETURN(p.state, ParsePaymentState(payment->Text(4)));
        p.paid_at = OptTime(*payment, 5);
        p.order_no = d.order.order_no;
        d.payment = std::move(p);
    }

    GZCA_ASSIGN_OR_RETURN(auto review,
                          tx->QueryOne("SELECT decision, reason, comment, reviewer, "
                                       "reviewer_name, at FROM reviews WHERE order_id = $1 "
                                       "ORDER BY id DESC LIMIT 1",
                                       {id}));
    if (review) {
        d.last_review = Review{review->Text(0), review->Text(1),          review->Text(2),
                               review->Text(3), FromUnix(review->Int(5)), review->Text(4)};
    }

    GZCA_ASSIGN_OR_RETURN(auto events,
                          tx->Query("SELECT at, actor, event, from_state, to_state, detail "
                                    "FROM order_events WHERE order_id = $1 ORDER BY id",
                                    {id}));
    for (const auto& r : events) {
        d.timeline.push_back(
            OrderEvent{FromUnix(r.Int(0)), r.Text(1), r.Text(2), r.Text(3), r.Text(4), r.Text(5)});
    }
    return d;
}

Result<OrderDetail> OrderService::GetForSubscriber(std::int64_t subscriber_id,
                                                   std::string_view order_no) {
    return DetailOf(order_no, subscriber_id);
}

Result<OrderDetail> OrderService::Get(std::string_view order_no) {
    return DetailOf(order_no, std::nullopt);
}

Result<std::vector<Order>> OrderService::ListWhere(std::optional<std::int64_t> subscriber_id,
                                                   const ListFilter& f) {
    std::vector<Value> params;
    std::vector<std::string> where;
    auto param = [&](Value v) {
        params.push_back(std::move(v));
        return fmt::format("${}", params.size());
    };
    if (subscriber_id) where.push_back("subscriber_id = " + param(V(*subscriber_id)));
    if (f.state) where.push_back("state = " + param(V(OrderStateName(*f.state))));
    if (f.type) where.push_back("type = " + param(V(OrderTypeName(*f.type))));
    std::string sql = fmt::format("SELECT {} FROM orders",
                                  f.with_forms ? kOrderColumns : kOrderColumnsWithoutForm);
    for (std::size_t i = 0; i < where.size(); ++i) {
        sql += (i == 0 ? " WHERE " : " AND ") + where[i];
    }
    sql += f.by_due_date
               ? " ORDER BY CASE WHEN due_at IS NULL THEN 1 ELSE 0 END, due_at, created_at, id"
               : " ORDER BY created_at DESC, id DESC";
    const int limit = std::clamp(f.limit, 1, kMaxListLimit);
    sql += " LIMIT " + param(V(std::int64_t{limit}));
    sql += " OFFSET " + param(V(std::int64_t{std::max(0, f.offset)}));
    GZCA_ASSIGN_OR_RETURN(auto tx, db_.Begin(false));
    GZCA_ASSIGN_OR_RETURN(auto rows, tx->Query(sql, params));
    std::vector<Order> out;
    out.reserve(rows.size());
    for (const auto& r : rows) {
        GZCA_ASSIGN_OR_RETURN(auto o, OrderFromRow(vault_, r, f.with_forms));
        out.push_back(std::move(o));
    }
    return out;
}

Result<std::vector<Order>> OrderService::ListForSubscriber(std::int64_t subscriber_id,
                                                           const ListFilter& f) {
    return ListWhere(subscriber_id, f);
}

Result<std::vector<Order>> OrderService::List(const ListFilter& f) {
    return ListWhere(std::nullopt, f);
}

Result<Order> OrderService::UpdateForm(std::int64_t subscriber_id, std::string_view order_no,
                                       const OrderForm& form_in) {
    const Actor actor{Actor::Kind::kSubscriber, subscriber_id, ""};
    return Mutate(
        order_no, subscriber_id, actor,
        [&](store::Transaction& tx, const Order& before, Order& after, Plan& plan) -> Status {
            if (before.state != OrderState::kDraft && before.state != OrderState::kMaterials &&
                before.state != OrderState::kRejected) {
                return WrongState(before.state, "修改申请信息");
            }
            OrderForm form = form_in;
            // The page shows the ID number masked; sending the mask back keeps it.
            if (NormaliseIdCard(form.id_card) == MaskIdCard(before.form.id_card)) {
                form.id_card = before.form.id_card;
            }
            form = NormaliseForm(before.type, form);
            GZCA_TRY_STATUS(FormStatus(before.type, form));
            if (form.certificate_serial != before.certificate_serial) {
                return Fail(ErrorCode::kInvalidArgument, "certificate of an order cannot change",
                            "订单创建后不能更换证书");
            }
            GZCA_TRY_STATUS(CheckCertificate(tx, subscriber_id, before.type, form, before.id));
            after.form = form;
            plan.event = "form_updated";
            return Ok();
        });
}

Result<Order> OrderService::MarkFormPrinted(std::int64_t subscriber_id, std::string_view order_no) {
    const Actor actor{Actor::Kind::kSubscriber, subscriber_id, ""};
    return Mutate(
        order_no, subscriber_id, actor,
        [&](store::Transaction&, const Order& before, Order& after, Plan& plan) -> Status {
            if (before.state != OrderState::kDraft) return Ok();  // idempotent
            after.state = OrderState::kMaterials;
            plan.event = "form_printed";
            return Ok();
        });
}

Result<Material> OrderService::PutMaterial(std::int64_t subscriber_id, std::string_view order_no,
                                           MaterialKind kind, const StoredBlob& blob,
                                           std::string_view original_name) {
    if (!IsLowerHex64(blob.sha256) || blob.size <= 0 || blob.size > kMaxMaterialBytes ||
        (blob.media_type != "application/pdf" && blob.media_type != "image/jpeg" &&
         blob.media_type != "image/png")) {
        return Fail(ErrorCode::kInvalidArgument, "material blob description invalid",
                    "文件无效，请重新上传");
    }
    Material material;
    material.kind = kind;
    material.sha256 = blob.sha256;
    material.media_type = blob.media_type;
    material.size = blob.size;
    material.original_name = CleanFileName(original_name);
    material.uploaded_at = clock_.Now();
    const Actor actor{Actor::Kind::kSubscriber, subscriber_id, ""};
    auto done = Mutate(
        order_no, subscriber_id, actor,
        [&](store::Transaction& tx, const Order& before, Order&, Plan& plan) -> Status {
            const bool any_kind =
                before.state == OrderState::kMaterials || before.state == OrderState::kRejected;
            const bool voucher_only = before.state == OrderState::kAwaitingPayment;
            if (!any_kind && !(voucher_only && kind == MaterialKind::kPaymentVoucher)) {
                return WrongState(before.state, fmt::format("上传{}", MaterialKindLabel(kind)));
            }
            GZCA_ASSIGN_OR_RETURN(auto previous,
                                  tx.QueryOne("SELECT id FROM materials WHERE order_id = $1 AND "
                                              "kind = $2",
                                              {V(before.id), V(MaterialKindName(kind))}));
            plan.check_version = false;  // a timeline addition: parallel uploads both succeed
            plan.event = "material_uploaded";
            plan.detail =
                fmt::format("{}{}", MaterialKindLabel(kind), previous ? "（重新上传）" : "");
            plan.extra = [&](store::Transaction& tx2, const Order& after) -> Status {
                GZCA_TRY_STATUS(tx2.Exec(
                    "INSERT INTO materials (order_id, kind, sha256, media_type, size, "
                    "original_name_sealed, uploaded_at) VALUES ($1, $2, $3, $4, $5, $6, $7) "
                    "ON CONFLICT (order_id, kind) DO UPDATE SET sha256 = excluded.sha256, "
                    "media_type = excluded.media_type, size = excluded.size, "
                    "original_name_sealed = excluded.original_name_sealed, "
                    "uploaded_at = excluded.uploaded_at",
                    {V(after.id), V(MaterialKindName(kind)), V(material.sha256),
                     V(material.media_type), V(material.size),
                     vault_.Seal(material.original_name, kMaterialNameContext),
                     V(material.uploaded_at)}));
                return Ok();
            };
            return Ok();
        });
    if (!done) return Fail(std::move(done).error());
    return material;
}

Result<Order> OrderService::Submit(std::int64_t subscriber_id, std::string_view order_no) {
    const Actor actor{Actor::Kind::kSubscriber, subscriber_id, ""};
    return Mutate(
        order_no, subscriber_id, actor,
        [&](store::Transaction& tx, const Order& before, Order& after, Plan& plan) -> Status {
            if (before.state != OrderState::kMaterials && before.state != OrderState::kRejected) {
                return WrongState(before.state, "提交");
            }
            GZCA_ASSIGN_OR_RETURN(
                auto rows,
                tx.Query("SELECT kind FROM materials WHERE order_id = $1", {V(before.id)}));
            std::vector<std::string> missing;
            for (auto k : kAllKinds) {
                if (!IsRequiredMaterial(k)) continue;
                bool have = std::any_of(rows.begin(), rows.end(), [&](const store::Row& r) {
                    return r.Text(0) == MaterialKindName(k);
                });
                if (!have) missing.emplace_back(MaterialKindLabel(k));
            }
            if (!missing.empty()) {
                std::string list;
                for (const auto& m : missing) list += (list.empty() ? "" : "、") + m;
                return Fail(
                    ErrorCode::kFailedPrecondition,
                    fmt::format("order {} lacks {} materials", before.order_no, missing.size()),
                    "请先上传：" + list);
            }
            GZCA_ASSIGN_OR_RETURN(
                auto paid, tx.QueryOne("SELECT COUNT(*) FROM payments WHERE order_id = $1 AND "
                                       "state IN ('paid', 'awaiting_confirmation')",
                                       {V(before.id)}));
            const TimePoint now = clock_.Now();
            if (before.fee_fen == 0 || paid->Int(0) > 0) {
                after.state = OrderState::kInReview;
                after.submitted_at = now;
                after.due_at = DueDate(now);
            } else {
                after.state = OrderState::kAwaitingPayment;
            }
            plan.event = "submitted";
            plan.detail = before.state == OrderState::kRejected ? "驳回后重新提交" : "";
            return Ok();
        });
}

Result<Payment> OrderService::StartOnlinePayment(std::int64_t subscriber_id,
                                                 std::string_view order_no,
                                                 std::string_view provider) {
    const bool provider_ok =
        !provider.empty() && provider.size() <= 32 && provider != "offline" &&
        std::all_of(provider.begin(), provider.end(), [](char c) {
            return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
        });
    if (!provider_ok) {
        return Fail(ErrorCode::kInvalidArgument, "unknown payment provider", "支付方式无效");
    }
    Payment payment;
    const Actor actor{Actor::Kind::kSubscriber, subscriber_id, ""};
    auto done = Mutate(
        order_no, subscriber_id, actor,
        [&](store::Transaction& tx, const Order& before, Order&, Plan& plan) -> Status {
            if (before.state != OrderState::kAwaitingPayment) {
                return WrongState(before.state, "支付");
            }
            payment.order_no = before.order_no;
            GZCA_ASSIGN_OR_RETURN(
                auto pending,
                tx.QueryOne("SELECT payment_ref, amount_fen FROM payments WHERE order_id = $1 "
                            "AND provider = $2 AND state = 'pending' ORDER BY id DESC LIMIT 1",
                            {V(before.id), V(provider)}));
            if (pending && pending->Int(1) == before.fee_fen) {
                payment.payment_ref = pending->Text(0);
                payment.method = "online";
                payment.provider = std::string(provider);
                payment.amount_fen = before.fee_fen;
                payment.state = PaymentState::kPending;
                return Ok();  // reuse: no change
            }
            payment.payment_ref = NewPaymentRef();
            payment.method = "online";
            payment.provider = std::string(provider);
            payment.amount_fen = before.fee_fen;
            payment.state = PaymentState::kPending;
            plan.check_version = false;
            plan.event = "payment_started";
            plan.detail = fmt::format("在线支付 {}", Money(before.fee_fen));
            plan.extra = [&](store::Transaction& tx2, const Order& after) -> Status {
                const TimePoint now = clock_.Now();
                GZCA_TRY_STATUS(tx2.Exec(
                    "INSERT INTO payments (order_id, payment_ref, method, provider, amount_fen, "
                    "state, created_at, updated_at) VALUES ($1, $2, 'online', $3, $4, "
                    "'pending', $5, $5)",
                    {V(after.id), V(payment.payment_ref), V(provider), V(after.fee_fen), V(now)}));
                return Ok();
            };
            return Ok();
        });
    if (!done) return Fail(std::move(done).error());
    return payment;
}

Result<Order> OrderService::ChooseOfflinePayment(std::int64_t subscriber_id,
                                                 std::string_view order_no) {
    const Actor actor{Actor::Kind::kSubscriber, subscriber_id, ""};
    return Mutate(
        order_no, subscriber_id, actor,
        [&](store::Transaction& tx, const Order& before, Order& after, Plan& plan) -> Status {
            if (before.state != OrderState::kAwaitingPayment) {
                return WrongState(before.state, "选择线下支付");
            }
            GZCA_ASSIGN_OR_RETURN(
                auto voucher,
                tx.QueryOne("SELECT id FROM materials WHERE order_id = $1 AND kind = $2",
                            {V(before.id), V(MaterialKindName(MaterialKind::kPaymentVoucher))}));
            if (!voucher) {
                return Fail(ErrorCode::kFailedPrecondition, "offline payment without voucher",
                            "请先上传支付凭证");
            }
            const TimePoint now = clock_.Now();
            after.state = OrderState::kInReview;
            after.submitted_at = now;
            after.due_at = DueDate(now);
            plan.event = "offline_payment";
            plan.detail = fmt::format("线下支付 {}，待财务确认", Money(before.fee_fen));
            plan.extra = [this, now](store::Transaction& tx2, const Order& a) -> Status {
                GZCA_TRY_STATUS(tx2.Exec(
                    "INSERT INTO payments (order_id, payment_ref, method, provider, amount_fen, "
                    "state, created_at, updated_at) VALUES ($1, $2, 'offline', 'offline', $3, "
                    "'awaiting_confirmation', $4, $4)",
                    {V(a.id), V(NewPaymentRef()), V(a.fee_fen), V(now)}));
                return Ok();
            };
            return Ok();
        });
}

Status OrderService::ApplyPaymentNotice(const PaymentNotice& notice) {
    auto refuse = [&](std::string why) {
        return Fail(ErrorCode::kInvalidArgument,
                    fmt::format("payment notice {} refused: {}", notice.payment_ref, why),
                    "支付通知无效");
    };
    std::string order_no;
    {
        GZCA_ASSIGN_OR_RETURN(auto tx, db_.Begin(false));
        GZCA_ASSIGN_OR_RETURN(auto row,
                              tx->QueryOne("SELECT o.order_no FROM payments p JOIN orders o ON "
                                           "o.id = p.order_id WHERE p.payment_ref = $1",
                                           {V(notice.payment_ref)}));
        if (!row) return refuse("unknown reference");
        order_no = row->Text(0);
    }
    const Actor actor{Actor::Kind::kSystem, 0, "payment:" + notice.provider};
    auto done = Mutate(
        order_no, std::nullopt, actor,
        [&](store::Transaction& tx, const Order& before, Order& after, Plan& plan) -> Status {
            GZCA_ASSIGN_OR_RETURN(auto p,
                                  tx.QueryOne("SELECT id, provider, amount_fen, state, method FROM "
                                              "payments WHERE payment_ref = $1",
                                              {V(notice.payment_ref)}));
            if (!p) return refuse("unknown reference");
            if (p->Text(1) != notice.provider || p->Text(4) != "online") {
                return refuse("provider mismatch");
            }
            if (notice.order_no != before.order_no) return refuse("order mismatch");
            if (p->Int(2) != notice.amount_fen) {
                return refuse(fmt::format("amount {} != {}", notice.amount_fen, p->Int(2)));
            }
            GZCA_ASSIGN_OR_RETURN(auto state, ParsePaymentState(p->Text(3)));
            const std::int64_t payment_id = p->Int(0);
            if (state == PaymentState::kPaid) return Ok();  // applied before: nothing changes
            if (!notice.paid) {
                if (state != PaymentState::kPending) return Ok();
                plan.check_version = false;
                plan.event = "payment_failed";
                plan.extra = [&, payment_id](store::Transaction& tx2, const Order&) -> Status {
                    GZCA_TRY_STATUS(
                        tx2.Exec("UPDATE payments SET state = 'refused', "
                                 "updated_at = $1 WHERE id = $2",
                                 {V(clock_.Now()), V(payment_id)}));
                    return Ok();
                };
                return Ok();
            }
            plan.event = "paid";
            plan.detail = fmt::format("在线支付成功 {}", Money(notice.amount_fen));
            if (before.state == OrderState::kAwaitingPayment) {
                const TimePoint now = clock_.Now();
                after.state = OrderState::kInReview;
                after.submitted_at = now;
                after.due_at = DueDate(now);
            } else {
                plan.check_version = false;
            }
            plan.extra = [&, payment_id](store::Transaction& tx2, const Order&) -> Status {
                GZCA_TRY_STATUS(
                    tx2.Exec("UPDATE payments SET state = 'paid', paid_at = $1, "
                             "updated_at = $2 WHERE id = $3",
                             {V(notice.paid_at), V(clock_.Now()), V(payment_id)}));
                return Ok();
            };
            return Ok();
        });
    if (!done) return Fail(std::move(done).error());
    return Ok();
}

Result<std::optional<Payment>> OrderService::FindPayment(std::string_view payment_ref) {
    GZCA_ASSIGN_OR_RETURN(auto tx, db_.Begin(false));
    GZCA_ASSIGN_OR_RETURN(
        auto row, tx->QueryOne("SELECT p.payment_ref, p.method, p.provider, p.amount_fen, "
                               "p.state, p.paid_at, o.order_no FROM payments p JOIN orders o "
                               "ON o.id = p.order_id WHERE p.payment_ref = $1",
                               {V(payment_ref)}));
    if (!row) return std::optional<Payment>();
    Payment p;
    p.payment_ref = row->Text(0);
    p.method = row->Text(1);
    p.provider = row->Text(2);
    p.amount_fen = row->Int(3);
    GZCA_ASSIGN_OR_RETURN(p.state, ParsePaymentState(row->Text(4)));
    p.paid_at = OptTime(*row, 5);
    p.order_no = row->Text(6);
    return std::optional<Payment>(std::move(p));
}

Result<Order> OrderService::Cancel(std::int64_t subscriber_id, std::string_view order_no) {
    const Actor actor{Actor::Kind::kSubscriber, subscriber_id, ""};
    return Mutate(
        order_no, subscriber_id, actor,
        [&](store::Transaction&, const Order& before, Order& after, Plan& plan) -> Status {
            if (before.state != OrderState::kDraft && before.state != OrderState::kMaterials &&
                before.state != OrderState::kAwaitingPayment &&
                before.state != OrderState::kRejected) {
                return WrongState(before.state, "取消");
            }
            after.state = OrderState::kCancelled;
            plan.event = "cancelled";
            return Ok();
        });
}

Result<Order> OrderService::Approve(const Actor& reviewer, std::string_view order_no,
                                    std::string_view comment) {
    if (!IsOperator(reviewer)) {
        return Fail(ErrorCode::kPermissionDenied, "approve needs an operator", "无权执行此操作");
    }
    if (!IsCleanText(comment) || CodePointCount(comment) > kMaxComment) {
        return Fail(ErrorCode::kInvalidArgument, "review comment invalid",
                    "审核意见不能超过500个字符");
    }
    auto approved = Mutate(
        order_no, std::nullopt, reviewer,
        [&](store::Transaction&, const Order& before, Order& after, Plan& plan) -> Status {
            if (before.state != OrderState::kInReview) return WrongState(before.state, "审核");
            after.state = OrderState::kApproved;
            plan.event = "approved";
            plan.detail = std::string(comment);
            plan.extra = [&](store::Transaction& tx2, const Order& a) -> Status {
                const TimePoint now = clock_.Now();
                GZCA_TRY_STATUS(tx2.Exec(
                    "INSERT INTO reviews (order_id, decision, reason, comment, reviewer, "
                    "reviewer_name, at) VALUES ($1, 'approved', '', $2, $3, $4, $5)",
                    {V(a.id), V(comment), V(RenderActor(reviewer)), V(reviewer.name), V(now)}));
                GZCA_TRY_STATUS(
                    tx2.Exec("UPDATE orders SET approved_at = $1, "
                             "issue_started_at = NULL WHERE id = $2",
                             {V(now), V(a.id)}));
                return Ok();
            };
            return Ok();
        });
    if (!approved) return approved;
    auto issued = IssueApproved(order_no);
    if (issued) return issued;
    // The approval stands; the failure is on the timeline and IssueApproved retries.
    GZCA_ASSIGN_OR_RETURN(auto tx, db_.Begin(false));
    GZCA_ASSIGN_OR_RETURN(auto now_order, detail::LoadOrder(*tx, vault_, order_no, std::nullopt));
    if (!now_order) return OrderNotFound(order_no);
    return *now_order;
}

Result<OrderService::Outcome> OrderService::ActOnCa(const Order& order, TimePoint approved_at) {
    Outcome out;
    if (order.type == OrderType::kUnlock) return out;  // nothing for the CA to do yet

    std::optional<ca::CertificateRecord> old;
    std::optional<ca::CertificateRecord> adopt;
    {
        GZCA_ASSIGN_OR_RETURN(auto tx, db_.Begin(false));
        if (order.certificate_id) {
            GZCA_ASSIGN_OR_RETURN(old, ca::repo::FindCertificateById(*tx, *order.certificate_id));
            if (!old) {
                return Fail(ErrorCode::kInternal,
                            fmt::format("certificate {} of order {} vanished",
                                        *order.certificate_id, order.order_no),
                            kCertNotFound);
            }
        }
        // A certificate issued for this order by an earlier attempt that did not get recorded
        // (crash or failure after the CA committed) is taken instead of signing another.
        if (order.type == OrderType::kRenew || order.type == OrderType::kReissue) {
            GZCA_ASSIGN_OR_RETURN(auto successor, ca::repo::FindSuccessor(*tx, old->id));
            if (successor && successor->status == ca::CertStatus::kIssued &&
                successor->not_before >= approved_at) {
                adopt = std::move(successor);
            } else if (successor) {
                return Fail(ErrorCode::kFailedPrecondition,
                            fmt::format("certificate {} already has successor {} ({})", old->serial,
                                        successor->serial, ca::CertStatusName(successor->status)),
                            "该证书已有更新的证书");
            }
        } else if (order.type == OrderType::kNew) {
            GZCA_ASSIGN_OR_RETURN(auto csr, pki::ParseCsr(AsBytes(order.form.csr_pem)));
            GZCA_ASSIGN_OR_RETURN(
                auto row,
                tx->QueryOne("SELECT c.id FROM certificates c WHERE c.spki_sha256 = $1 AND "
                             "c.status = 'issued' AND c.replaces_id IS NULL AND "
                             "c.not_before >= $2 AND NOT EXISTS (SELECT 1 FROM "
                             "subscriber_certificates sc WHERE sc.certificate_id = c.id) "
                             "ORDER BY c.id LIMIT 1",
                             {V(HexEncode(crypto::Sha256(csr.spki_der))), V(approved_at)}));
            if (row) {
                GZCA_ASSIGN_OR_RETURN(adopt, ca::repo::FindCertificateById(*tx, row->Int(0)));
            }
        } else if (order.type == OrderType::kRevoke && old->status == ca::CertStatus::kRevoked) {
            out.revoked = true;  // revoked already (by an earlier attempt or otherwise)
            return out;
        }
    }
    if (adopt) {
        out.certificate = std::move(adopt);
        return out;
    }

    const Bytes csr(order.form.csr_pem.begin(), order.form.csr_pem.end());
    switch (order.type) {
        case OrderType::kNew: {
            ca::IssueRequest req;
            req.issuer = config_.issuer;
            req.csr = csr;
            req.profile = pki::Profile::kSubscriberSign;
            pki::DistinguishedName dn;
            dn.attributes = {{"C", "CN"},
                             {"O", order.form.org_name},
                             {"OU", order.form.department},
                             {"CN", order.form.user_name}};
            req.subject = std::move(dn);
            GZCA_ASSIGN_OR_RETURN(auto issued, ca_.Issue(req));
            out.certificate = std::move(issued.record);
            return out;
        }
        case OrderType::kRenew: {
            GZCA_ASSIGN_OR_RETURN(auto issued, ca_.Renew(old->issuer_name, old->serial, csr));
            out.certificate = std::move(issued.record);
            return out;
        }
        case OrderType::kReissue: {
            GZCA_ASSIGN_OR_RETURN(auto issued, ca_.Reissue(old->issuer_name, old->serial, csr));
            out.certificate = std::move(issued.record);
            return out;
        }
        case OrderType::kRevoke: {
            GZCA_ASSIGN_OR_RETURN(auto reason,
                                  pki::ParseRevocationReason(order.form.revocation_reason));
            auto revoked = ca_.Revoke(old->issuer_name, old->serial, reason);
            if (!revoked) {
                auto again = ca_.Find(old->issuer_name, old->serial);
                if (!(again && again->status == ca::CertStatus::kRevoked)) {
                    return Fail(std::move(revoked).error());
                }
            }
            out.revoked = true;
            return out;
        }
        case OrderType::kUnlock:
            return out;
    }
    return out;
}

Result<Order> OrderService::RecordIssueFailure(std::string_view order_no, const Error& error) {
    spdlog::warn("order {}: the CA failed: {}", order_no, error.internal);
    const Actor system{Actor::Kind::kSystem, 0, ""};
    return Mutate(
        order_no, std::nullopt, system,
        [&](store::Transaction&, const Order& before, Order&, Plan& plan) -> Status {
            if (before.state != OrderState::kApproved) return Ok();
            plan.event = "issue_failed";
            plan.detail = "证书签发失败，待重试";
            plan.extra = [](store::Transaction& tx2, const Order& a) -> Status {
                GZCA_TRY_STATUS(
                    tx2.Exec("UPDATE orders SET issue_started_at = NULL WHERE id = $1", {V(a.id)}));
                return Ok();
            };
            return Ok();
        });
}

Result<Order> OrderService::IssueApproved(std::string_view order_no) {
    // 1. Claim the order for issuing, so two callers do not both ask the CA.
    Order order;
    TimePoint approved_at;
    {
        GZCA_ASSIGN_OR_RETURN(auto tx, db_.Begin(true));
        GZCA_ASSIGN_OR_RETURN(auto loaded, detail::LoadOrder(*tx, vault_, order_no, std::nullopt));
        if (!loaded) return OrderNotFound(order_no);
        if (loaded->state != OrderState::kApproved) {
            if (loaded->state == OrderState::kReady || loaded->state == OrderState::kCompleted) {
                return *loaded;  // issued before
            }
            return WrongState(loaded->state, "签发证书");
        }
        const TimePoint now = clock_.Now();
        GZCA_ASSIGN_OR_RETURN(
            auto claimed,
            tx->QueryOne("UPDATE orders SET issue_started_at = $1 WHERE id = $2 AND "
                         "version = $3 AND (issue_started_at IS NULL OR issue_started_at <= $4) "
                         "RETURNING approved_at",
                         {V(now), V(loaded->id), V(loaded->version), V(now - kIssueClaim)}));
        if (!claimed) {
            return Fail(ErrorCode::kUnavailable,
                        fmt::format("order {} is being issued by another call", order_no),
                        "证书正在签发，请稍后刷新");
        }
        approved_at = FromUnix(claimed->OptInt(0).value_or(ToUnix(now)));
        GZCA_TRY_STATUS(tx->Commit());
        order = std::move(*loaded);
    }

    // 2. The CA, outside any transaction of ours.
    auto outcome = ActOnCa(order, approved_at);
    if (!outcome) {
        Error e = std::move(outcome).error();
        auto recorded = RecordIssueFailure(order_no, e);
        if (!recorded) spdlog::warn("order {}: {}", order_no, recorded.error().internal);
        return Fail(e.code == ErrorCode::kUnavailable ? ErrorCode::kUnavailable : e.code,
                    e.internal, "证书签发失败，请稍后重试");
    }

    // 3. Record the result.
    const Actor system{Actor::Kind::kSystem, 0, ""};
    return Mutate(
        order_no, std::nullopt, system,
        [&](store::Transaction&, const Order& before, Order& after, Plan& plan) -> Status {
            if (before.state != OrderState::kApproved) return Ok();  // finished by another call
            if (outcome->certificate) {
                after.state = OrderState::kReady;
                after.issued_certificate_id = outcome->certificate->id;
                after.issued_certificate_serial = outcome->certificate->serial;
                plan.event = "issued";
                plan.detail = fmt::format("证书序列号 {}", outcome->certificate->serial);
            } else {
                after.state = OrderState::kCompleted;
                plan.event = outcome->revoked ? "revoked" : "completed";
                plan.detail =
                    outcome->revoked ? fmt::format("证书序列号 {}", before.certificate_serial) : "";
            }
            plan.extra = [&](store::Transaction& tx2, const Order& a) -> Status {
                GZCA_TRY_STATUS(
                    tx2.Exec("UPDATE orders SET issue_started_at = NULL WHERE id = $1", {V(a.id)}));
                if (a.issued_certificate_id) {
                    GZCA_TRY_STATUS(AccountRepository::LinkCertificate(
                        tx2, a.subscriber_id, *a.issued_certificate_id, a.form.medium,
                        clock_.Now()));
                }
                return Ok();
            };
            return Ok();
        });
}

Result<Order> OrderService::Reject(const Actor& reviewer, std::string_view order_no,
                                   std::string_view reason, std::string_view comment) {
    if (!IsOperator(reviewer)) {
        return Fail(ErrorCode::kPermissionDenied, "reject needs an operator", "无权执行此操作");
    }
    if (std::find(std::begin(kReviewReasons), std::end(kReviewReasons), reason) ==
        std::end(kReviewReasons)) {
        return Fail(ErrorCode::kInvalidArgument, fmt::format("unknown reason '{}'", reason),
                    "驳回原因无效");
    }
    const std::string text = TrimAscii(comment);
    if (!IsCleanText(text) || CodePointCount(text) > kMaxComment) {
        return Fail(ErrorCode::kInvalidArgument, "review comment invalid",
                    "审核意见不能超过500个字符");
    }
    if (reason == "other" && text.empty()) {
        return Fail(ErrorCode::kInvalidArgument, "reason other needs a comment", "请填写驳回说明");
    }
    return Mutate(
        order_no, std::nullopt, reviewer,
        [&](store::Transaction&, const Order& before, Order& after, Plan& plan) -> Status {
            if (before.state != OrderState::kInReview) return WrongState(before.state, "驳回");
            after.state = OrderState::kRejected;
            plan.event = "rejected";
            plan.detail = text.empty() ? std::string(ReviewReasonLabel(reason))
                                       : fmt::format("{}：{}", ReviewReasonLabel(reason), text);
            plan.extra = [&](store::Transaction& tx2, const Order& a) -> Status {
                const TimePoint now = clock_.Now();
                GZCA_TRY_STATUS(
                    tx2.Exec("INSERT INTO reviews (order_id, decision, reason, comment, reviewer, "
                             "reviewer_name, at) VALUES ($1, 'rejected', $2, $3, $4, $5, $6)",
                             {V(a.id), V(reason), V(text), V(RenderActor(reviewer)),
                              V(reviewer.name), V(now)}));
                if (reason == "payment_not_received") {
                    GZCA_TRY_STATUS(
                        tx2.Exec("UPDATE payments SET state = 'refused', updated_at = $1 WHERE "
                                 "order_id = $2 AND state IN ('pending', 'awaiting_confirmation')",
                                 {V(now), V(a.id)}));
                }
                return Ok();
            };
            return Ok();
        });
}

Result<Payment> OrderService::ConfirmOfflinePayment(const Actor& cashier,
                                                    std::string_view order_no) {
    if (!IsOperator(cashier)) {
        return Fail(ErrorCode::kPermissionDenied, "confirm needs an operator", "无权执行此操作");
    }
    Payment payment;
    auto done = Mutate(
        order_no, std::nullopt, cashier,
        [&](store::Transaction& tx, const Order& before, Order&, Plan& plan) -> Status {
            GZCA_ASSIGN_OR_RETURN(
                auto p, tx.QueryOne("SELECT id, payment_ref, amount_fen FROM payments WHERE "
                                    "order_id = $1 AND method = 'offline' AND "
                                    "state = 'awaiting_confirmation' ORDER BY id DESC LIMIT 1",
                                    {V(before.id)}));
            if (!p) {
                return Fail(ErrorCode::kFailedPrecondition, "no offline payment to confirm",
                            "该订单没有待确认的线下支付");
            }
            const TimePoint now = clock_.Now();
            payment = Payment{p->Text(1),          "offline", "offline",      p->Int(2),
                              PaymentState::kPaid, now,       before.order_no};
            const std::int64_t payment_id = p->Int(0);
            plan.check_version = false;
            plan.event = "payment_confirmed";
            plan.detail = fmt::format("线下支付已到账 {}", Money(p->Int(2)));
            plan.extra = [&, payment_id, now](store::Transaction& tx2, const Order&) -> Status {
                GZCA_TRY_STATUS(
                    tx2.Exec("UPDATE payments SET state = 'paid', paid_at = $1, "
                             "updated_at = $1 WHERE id = $2",
                             {V(now), V(payment_id)}));
                return Ok();
            };
            return Ok();
        });
    if (!done) return Fail(std::move(done).error());
    return payment;
}

Result<Order> OrderService::ConfirmInstalled(std::int64_t subscriber_id,
                                             std::string_view order_no) {
    std::optional<ca::CertificateRecord> old;
    {
        GZCA_ASSIGN_OR_RETURN(auto tx, db_.Begin(false));
        GZCA_ASSIGN_OR_RETURN(auto loaded, detail::LoadOrder(*tx, vault_, order_no, subscriber_id));
        if (!loaded) return OrderNotFound(order_no);
        if (loaded->state == OrderState::kCompleted) return *loaded;
        if (loaded->state != OrderState::kReady) return WrongState(loaded->state, "确认安装");
        if (loaded->type == OrderType::kRenew && loaded->certificate_id) {
            GZCA_ASSIGN_OR_RETURN(old, ca::repo::FindCertificateById(*tx, *loaded->certificate_id));
        }
    }
    // DESIGN.md §5: the renewed certificate supersedes the old one once it is installed.
    {
        if (old && old->status == ca::CertStatus::kIssued && clock_.Now() <= old->not_after) {
            auto revoked =
                ca_.Revoke(old->issuer_name, old->serial, pki::RevocationReason::kSuperseded);
            if (!revoked && revoked.error().code != ErrorCode::kFailedPrecondition) {
                return Fail(revoked.error().code, revoked.error().internal,
                            "旧证书注销失败，请稍后重试");
            }
        }
    }
    const Actor actor{Actor::Kind::kSubscriber, subscriber_id, ""};
    return Mutate(
        order_no, subscriber_id, actor,
        [&](store::Transaction&, const Order& before, Order& after, Plan& plan) -> Status {
            if (before.state == OrderState::kCompleted) return Ok();
            if (before.state != OrderState::kReady) {
                return WrongState(before.state, "确认安装");
            }
            after.state = OrderState::kCompleted;
            plan.event = "installed";
            plan.detail = fmt::format("证书序列号 {}", before.issued_certificate_serial);
            return Ok();
        });
}

nlohmann::json OrderFormToJson(const OrderForm& f) {
    return nlohmann::json{{"org_name", f.org_name},
                          {"legal_representative", f.legal_representative},
                          {"credential_type", CredentialTypeName(f.credential_type)},
                          {"credential_number", f.credential_number},
                          {"org_phone", f.org_phone},
                          {"org_fax", f.org_fax},
                          {"user_identifier", f.user_identifier},
                          {"department", f.department},
                          {"user_name", f.user_name},
                          {"phone", f.phone},
                          {"id_card", f.id_card},
                          {"email", f.email},
                          {"contact_address", f.contact_address},
                          {"certificate_serial", f.certificate_serial},
                          {"csr_pem", f.csr_pem},
                          {"revocation_reason", f.revocation_reason},
                          {"medium", MediumName(f.medium)}};
}

OrderForm OrderFormFromJson(const nlohmann::json& j, std::vector<FieldError>& errors) {
    auto str = [&](const char* key) -> std::string {
        auto it = j.find(key);
        return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    OrderForm f;
    f.org_name = str("org_name");
    f.legal_representative = str("legal_representative");
    if (std::string t = str("credential_type"); !t.empty()) {
        if (auto type = ParseCredentialType(t)) {
            f.credential_type = *type;
        } else {
            errors.push_back({"credential_type", "请选择机构证件类型"});
        }
    }
    f.credential_number = str("credential_number");
    f.org_phone = str("org_phone");
    f.org_fax = str("org_fax");
    f.user_identifier = str("user_identifier");
    f.department = str("department");
    f.user_name = str("user_name");
    f.phone = str("phone");
    f.id_card = str("id_card");
    f.email = str("email");
    f.contact_address = str("contact_address");
    f.certificate_serial = str("certificate_serial");
    f.csr_pem = str("csr_pem");
    f.revocation_reason = str("revocation_reason");
    if (std::string m = str("medium"); !m.empty()) {
        if (auto medium = ParseMedium(m)) {
            f.medium = *medium;
        } else {
            errors.push_back({"medium", "证书介质无效"});
        }
    }
    return f;
}

}  // namespace gzca::ra
