#pragma once
// Service orders (订单) and their state machine (DESIGN.md §4): certificate application (new),
// renewal (renew), reissue (reissue), revocation (revoke) and USBKey unlock (unlock).
//
//   draft ─MarkFormPrinted─▶ materials ─Submit─▶ awaiting_payment ─paid / offline chosen─▶
//   in_review ─Approve─▶ approved ─(the CA acts)─▶ ready ─ConfirmInstalled─▶ completed
//                                               └─(revoke, unlock)──────────▶ completed
//   in_review ─Reject─▶ rejected ─Submit─▶ awaiting_payment | in_review (already paid)
//   materials ─Submit─▶ in_review directly when there is nothing to pay
//   draft | materials | awaiting_payment | rejected ─Cancel─▶ cancelled
//
// Every change is one write transaction that re-reads the order, checks its state, updates it
// with an optimistic version check (UPDATE … WHERE id = ? AND version = ?; no row →
// kFailedPrecondition "订单状态已变化，请刷新"), appends a timeline row (order_events) and, for
// state changes, calls the TransitionHook — all or nothing. A transition the state does not
// allow is kFailedPrecondition naming the current state ("订单当前状态为「审核中」，不能提交").
//
// Ownership: every *ForSubscriber-style call (those taking subscriber_id) answers kNotFound
// "未找到该订单" for an order that is not the subscriber's, exactly as for one that does not
// exist: no oracle for other people's order numbers.
//
// Storage: the form snapshot, which holds the phone and ID-card number, is stored as JSON sealed
// with the PiiVault (context "orders.form"); material file names likewise
// ("materials.original_name"). Order.form carries the full values (the handler masks them).
//
// Certificates: the CA is called only after the approval has committed and never inside one of
// this service's transactions (the CA runs its own). If the call fails the order stays
// `approved` (Approve still succeeds and returns it) and IssueApproved() retries; retries are
// safe after a crash at any point: a certificate issued for the order but not yet recorded on
// it is found again (the successor of the old certificate issued after the approval; for new
// orders the certificate of the CSR's key issued after the approval) instead of being signed
// twice, and a certificate found already revoked counts as revoked.
// Subjects of new certificates: C=CN, O=<org_name>, OU=<department>, CN=<user_name> (the CSR's
// own subject is ignored: the RA decides subjects), profile "sign", issuer OrderConfig::issuer.
//
// Thread-safety: an OrderService holds references and its configuration; all methods may be
// called from several threads at once. The Database, CertificateAuthority, AccountRepository,
// PiiVault and Clock must outlive it. The hook runs on the calling thread inside a write
// transaction: it must not begin another write transaction (SQLite allows one at a time).

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "base/clock.h"
#include "base/error.h"
#include "ca/authority.h"
#include "ra/accounts.h"
#include "ra/materials.h"
#include "ra/pii.h"
#include "store/database.h"

namespace gzca::ra {

enum class OrderType { kNew, kRenew, kReissue, kRevoke, kUnlock };
// "new", "renew", "reissue", "revoke", "unlock".
std::string_view OrderTypeName(OrderType t);
// 证书申请, 证书延期, 证书补办, 证书吊销, USBKey密钥.
std::string_view OrderTypeLabel(OrderType t);
// kInvalidArgument "订单类型无效".
Result<OrderType> ParseOrderType(std::string_view name);

enum class OrderState {
    kDraft,
    kMaterials,
    kAwaitingPayment,
    kInReview,
    kApproved,
    kReady,
    kCompleted,
    kRejected,
    kCancelled
};
// "draft", "materials", "awaiting_payment", "in_review", "approved", "ready", "completed",
// "rejected", "cancelled".
std::string_view OrderStateName(OrderState s);
// 待打印申请表, 待上传资料, 待支付, 审核中, 审核通过, 待下载证书, 已完成, 已驳回, 已取消.
std::string_view OrderStateLabel(OrderState s);
// kInvalidArgument "订单状态无效".
Result<OrderState> ParseOrderState(std::string_view name);
// The step of the page's step bar: draft → 2 (form filled, print next), materials and rejected
// → 3, awaiting_payment → 4, in_review and later → 5; cancelled → 0.
int StepOf(OrderState s);
// Not completed and not cancelled.
bool IsOpen(OrderState s);

// The 机构信息 / 用户信息 / 证书信息 snapshot confirmed in step 1 (field names as in
// docs/platform-api.md).
struct OrderForm {
    std::string org_name, legal_representative;
    CredentialType credential_type = CredentialType::kBusinessLicence;
    std::string credential_number, org_phone, org_fax;
    std::string user_identifier, department, user_name, phone, id_card, email, contact_address;
    // renew / reissue / revoke: the certificate concerned, lower-case hex (upper case accepted
    // and normalised). Cleared for new orders.
    std::string certificate_serial;
    // new and reissue: PKCS#10 PEM (the subscriber supplies a CSR until the USBKey agent
    // generates keys); renew: optional (empty = same key); cleared for revoke and unlock.
    std::string csr_pem;
    // revoke: RFC 5280 §5.3.1 reason name: unspecified, keyCompromise, affiliationChanged,
    // superseded, cessationOfOperation. Cleared for other types.
    std::string revocation_reason;
    // new: where the key will live; renew / reissue: taken from the certificate's record.
    Medium medium = Medium::kUsbKey;

    bool operator==(const OrderForm&) const = default;
};

// Trims every text field, upper-cases a business licence's credential number, normalises the
// ID card (NormaliseIdCard) and lower-cases the certificate serial (dropping ':' separators);
// clears the fields `type` does not use (see OrderForm).
OrderForm NormaliseForm(OrderType type, const OrderForm& form);

struct FieldError {
    std::string field;    // the OrderForm member name ("id_card", "csr_pem", ...)
    std::string message;  // Chinese, for the page
};

// The form as JSON with the field names of docs/platform-api.md (the full ID number: callers
// showing it mask it). Also the sealed storage format of Order::form.
nlohmann::json OrderFormToJson(const OrderForm& form);
// The reverse. Missing or non-string members become empty; an absent credential_type or medium
// keeps its default, an unknown one is reported in `errors` (and keeps the default).
OrderForm OrderFormFromJson(const nlohmann::json& json, std::vector<FieldError>& errors);

// Checks every field of NormaliseForm(type, form) and returns all problems in field order
// (empty = valid). Required: org_name, legal_representative, credential_number, user_identifier,
// department, user_name, phone, id_card, contact_address; certificate_serial for renew, reissue
// and revoke; csr_pem for new and reissue; revocation_reason for revoke. Lengths (code points)
// ≤ 128, contact_address ≤ 256, csr_pem ≤ 16 KiB; for new orders org_name, department and
// user_name become the certificate subject and must be ≤ 64 (RFC 5280 Appendix A). Credential
// number: GB 32100 for business licences, else 1–64 printable ASCII; ID card GB 11643; mobile
// phone; e-mail, org_phone and org_fax when given; the CSR must parse with proof of possession
// (pki::ParseCsr). Ownership and state of the certificate are checked by OrderService.
std::vector<FieldError> ValidateForm(OrderType type, const OrderForm& form);

// Who did something, as recorded in the timeline: "subscriber:<id>", "operator:<id>", "system".
struct Actor {
    enum class Kind { kSubscriber, kOperator, kSystem } kind = Kind::kSystem;
    std::int64_t id = 0;
    std::string name;
};
std::string RenderActor(const Actor& a);

struct Material {
    MaterialKind kind = MaterialKind::kApplicationForm;
    std::string sha256, media_type, original_name;
    std::int64_t size = 0;
    TimePoint uploaded_at;
};

enum class PaymentState { kPending, kPaid, kAwaitingConfirmation, kRefused };
// "pending", "paid", "awaiting_confirmation", "refused".
std::string_view PaymentStateName(PaymentState s);
// 待支付, 已支付, 待确认, 未到账.
std::string_view PaymentStateLabel(PaymentState s);
Result<PaymentState> ParsePaymentState(std::string_view name);

struct Payment {
    std::string payment_ref;  // "pay_" + 32 random hex characters: unique, URL-safe
    std::string method;       // online | offline
    std::string provider;     // sandbox (or another online provider) | offline
    std::int64_t amount_fen = 0;
    PaymentState state = PaymentState::kPending;
    std::optional<TimePoint> paid_at;
    std::string order_no;  // the order it pays for
};

// Review reason categories (the seed's rejection reasons).
// "missing_materials" 材料缺失, "wrong_information" 信息有误, "payment_not_received" 未收到账款,
// "other" 其他; "" for approvals.
std::string_view ReviewReasonLabel(std::string_view reason);

struct Review {
    std::string decision;  // approved | rejected
    std::string reason;    // see ReviewReasonLabel
    std::string comment;
    std::string reviewer;  // RenderActor of the reviewer
    TimePoint at;
    std::string reviewer_name;  // Actor::name
};

struct OrderEvent {
    TimePoint at;
    std::string actor, event, from_state, to_state, detail;
};
// Chinese label of a timeline event name (created 创建订单, form_updated 修改申请信息,
// form_printed 打印申请表, material_uploaded 上传材料, submitted 提交订单, payment_started
// 发起支付, payment_failed 支付失败, offline_payment 选择线下支付, paid 支付成功, approved
// 审核通过, rejected 审核驳回, issued 证书已签发, revoked 证书已吊销, issue_failed 证书签发失败,
// installed 证书已安装, completed 办理完成, cancelled 取消订单, payment_confirmed 确认到账).
// Unknown names are returned as they are.
std::string_view OrderEventLabel(std::string_view event);

struct Order {
    std::int64_t id = 0;
    std::string order_no;  // "GZ" + yyyymmdd (Beijing time, UTC+8) + 6 random digits, unique
    OrderType type = OrderType::kNew;
    OrderState state = OrderState::kDraft;
    std::int64_t subscriber_id = 0;
    std::optional<std::int64_t> certificate_id, issued_certificate_id;
    std::string certificate_serial, issued_certificate_serial;
    OrderForm form;  // id_card in full, as stored: the handler masks it
    std::int64_t fee_fen = 0;
    TimePoint created_at, updated_at;
    std::optional<TimePoint> submitted_at, due_at;
    std::int64_t version = 0;
};

struct OrderDetail {
    Order order;
    std::vector<Material> materials;  // in MaterialKind order
    std::optional<Payment> payment;   // the newest payment row
    std::optional<Review> last_review;
    std::vector<OrderEvent> timeline;  // oldest first
};

// What the subscriber may do next on the order page, by docs/platform-api.md's action names:
// edit, print, upload, submit, pay, cancel, download.
std::vector<std::string> SubscriberActions(const OrderDetail& d);

struct OrderConfig {
    // Fee per order type in fen; a type missing from the map costs nothing.
    std::map<OrderType, std::int64_t> fees_fen = {{OrderType::kNew, 30000},
                                                  {OrderType::kRenew, 20000},
                                                  {OrderType::kReissue, 20000},
                                                  {OrderType::kRevoke, 0},
                                                  {OrderType::kUnlock, 0}};
    int review_working_days = 3;
    // due_at = due_date(submitted_at, review_working_days); empty = submitted + N × 24 h (until
    // the working-day calendar arrives).
    std::function<TimePoint(TimePoint, int)> due_date;
    std::string issuer;  // CA hierarchy or issuer for new orders; "" = the default one
};

// Called inside the transaction of every state change, after the order row and the timeline
// event are written: (tx, the order after the change, from, to, actor). Order creation calls it
// with from == to == kDraft. An error rolls the whole change back and is returned to the caller.
using TransitionHook = std::function<Status(store::Transaction&, const Order&, OrderState from,
                                            OrderState to, const Actor&)>;

class OrderService {
  public:
    OrderService(store::Database& db, ca::CertificateAuthority& ca, AccountRepository& accounts,
                 const PiiVault& vault, const Clock& clock, OrderConfig config,
                 TransitionHook hook = {});

    // Creates an order in state draft. The form is normalised and validated (kInvalidArgument
    // with the first problem as public message — handlers call ValidateForm first for the
    // per-field map). The subscriber must exist (kNotFound "未找到该用户"). For renew / reissue /
    // revoke the certificate must be the subscriber's (else kNotFound "未找到该证书"), issued and
    // not revoked (kFailedPrecondition "该证书已吊销，不能办理…"); renew: no successor
    // (kFailedPrecondition "该证书已有更新的证书"); reissue: not expired and a CSR with a new key.
    // At most one open order per certificate and type: kFailedPrecondition
    // "该证书已有办理中的订单：<order_no>" (also enforced by a partial unique index). The same
    // (subscriber, non-empty idempotency_key) again returns the existing order unchanged
    // (whatever the form says). The fee comes from the configuration.
    Result<Order> Create(std::int64_t subscriber_id, OrderType type, const OrderForm& form,
                         std::string_view idempotency_key);

    // The order with materials, newest payment, newest review and timeline. kNotFound
    // "未找到该订单" when absent or not the subscriber's.
    Result<OrderDetail> GetForSubscriber(std::int64_t subscriber_id, std::string_view order_no);
    // The same for operators (no ownership check).
    Result<OrderDetail> Get(std::string_view order_no);

    struct ListFilter {
        std::optional<OrderState> state;
        std::optional<OrderType> type;
        int limit = 100;  // clamped to 1..500
        int offset = 0;
        // Operators' queue: by due date (no due date last), then oldest first, instead of
        // newest first.
        bool by_due_date = false;
        // False: Order::form stays empty (not unsealed) — for lists that do not show it.
        bool with_forms = true;
    };
    // Newest first (unless by_due_date). Orders carry their forms unless !with_forms.
    Result<std::vector<Order>> ListForSubscriber(std::int64_t subscriber_id, const ListFilter& f);
    Result<std::vector<Order>> List(const ListFilter& f);

    // Replaces the form (states draft, materials, rejected; the state does not change). Same
    // checks as Create; the certificate cannot be changed (kInvalidArgument
    // "订单创建后不能更换证书") and an id_card equal to the masked stored number (MaskIdCard) keeps
    // the stored number.
    Result<Order> UpdateForm(std::int64_t subscriber_id, std::string_view order_no,
                             const OrderForm& form);

    // draft → materials. When already past draft (or cancelled): the order unchanged.
    Result<Order> MarkFormPrinted(std::int64_t subscriber_id, std::string_view order_no);

    // Records an uploaded file (already in the MaterialStore) for the order: states materials
    // and rejected (any kind), awaiting_payment (payment voucher only). Replaces an earlier
    // upload of that kind; a timeline event either way. kInvalidArgument for a blob that is not
    // a stored PDF/JPEG/PNG description (bad hash, size or media type); kFailedPrecondition for
    // other states. The original name is reduced to its last path component, control characters
    // dropped, at most 255 bytes.
    Result<Material> PutMaterial(std::int64_t subscriber_id, std::string_view order_no,
                                 MaterialKind kind, const StoredBlob& blob,
                                 std::string_view original_name);

    // materials | rejected → awaiting_payment, or → in_review when the fee is 0 or a payment is
    // already paid or awaiting confirmation (paid before a rejection). Needs application_form,
    // business_licence and id_copy (kFailedPrecondition "请先上传：<labels>"). Entering
    // in_review sets submitted_at and due_at.
    Result<Order> Submit(std::int64_t subscriber_id, std::string_view order_no);

    // Starts (or resumes) an online payment of the order's fee with `provider` (lower-case
    // [a-z0-9_], 1–32, not "offline"; kInvalidArgument "支付方式无效" otherwise): state
    // awaiting_payment; a pending payment of that provider is reused (idempotent).
    Result<Payment> StartOnlinePayment(std::int64_t subscriber_id, std::string_view order_no,
                                       std::string_view provider);

    // awaiting_payment → in_review with an offline payment awaiting a cashier's confirmation.
    // Needs the payment voucher (kFailedPrecondition "请先上传支付凭证").
    Result<Order> ChooseOfflinePayment(std::int64_t subscriber_id, std::string_view order_no);

    struct PaymentNotice {
        std::string provider, payment_ref, order_no;
        std::int64_t amount_fen = 0;
        bool paid = false;
        TimePoint paid_at;
    };
    // Applies a payment provider's notification (its signature already verified). Unknown
    // reference, other provider, other order or other amount → kInvalidArgument and nothing
    // changes. Already paid → Ok, nothing changes (however often it arrives). paid: the payment
    // becomes paid and, when the order is awaiting_payment, the order moves to in_review
    // (submitted_at, due_at set). Not paid: a pending payment becomes refused (the subscriber
    // may pay again).
    Status ApplyPaymentNotice(const PaymentNotice& notice);

    // The payment with this reference (its order_no filled in), std::nullopt when unknown.
    Result<std::optional<Payment>> FindPayment(std::string_view payment_ref);

    // draft | materials | awaiting_payment | rejected → cancelled. Refused (kFailedPrecondition)
    // from in_review on. A payment already made is not refunded here (the timeline shows it).
    Result<Order> Cancel(std::int64_t subscriber_id, std::string_view order_no);

    // Operator decisions. `reviewer` must be an operator or the system (kPermissionDenied
    // "无权执行此操作"). in_review → approved (a review row), committed; then IssueApproved().
    // Returns the order after issuance (ready, or completed for revoke/unlock), or the approved
    // order when the CA call failed (a timeline event issue_failed records it; call
    // IssueApproved to retry and see the error).
    Result<Order> Approve(const Actor& reviewer, std::string_view order_no,
                          std::string_view comment);

    // Lets the CA act on an approved order, then approved → ready (new, renew, reissue: the
    // issued certificate is recorded on the order and linked to the subscriber, with the form's
    // medium for new orders and the old certificate's medium otherwise) or → completed (revoke:
    // revoked with the form's reason; unlock: nothing for the CA to do). An order already past
    // approved is returned unchanged. kUnavailable "证书正在签发，请稍后刷新" while another call is
    // issuing for the order (a claim that lapses after 5 minutes, so a crash does not block it
    // for ever); the CA's failure with public message "证书签发失败，请稍后重试" otherwise (the
    // order stays approved).
    Result<Order> IssueApproved(std::string_view order_no);

    // in_review → rejected with a review. `reason`: missing_materials, wrong_information,
    // payment_not_received or other (kInvalidArgument otherwise); comment ≤ 500 characters,
    // required for "other". payment_not_received also marks payments pending or awaiting
    // confirmation as refused, so the next Submit asks for payment again.
    Result<Order> Reject(const Actor& reviewer, std::string_view order_no, std::string_view reason,
                         std::string_view comment);

    // A cashier confirms an offline payment: awaiting_confirmation → paid (the order state does
    // not change). kFailedPrecondition "该订单没有待确认的线下支付" otherwise.
    Result<Payment> ConfirmOfflinePayment(const Actor& cashier, std::string_view order_no);

    // ready → completed (the subscriber confirmed the certificate is installed). For renewals
    // the replaced certificate, if still valid, is then revoked as superseded (DESIGN.md §5:
    // only after the new one is installed); if that CA call fails the order stays ready and the
    // call can be repeated. Completed already: the order unchanged.
    Result<Order> ConfirmInstalled(std::int64_t subscriber_id, std::string_view order_no);

    const OrderConfig& config() const { return config_; }

  private:
    // One change: read the order (owned by subscriber_id when given), let `decide` check it and
    // fill in the order after the change and the plan, write it (detail::CommitChange), commit.
    // `decide` may leave plan.event empty to mean "no change": the order is returned as read.
    struct Plan;
    using Decide =
        std::function<Status(store::Transaction&, const Order& before, Order& after, Plan& plan)>;
    Result<Order> Mutate(std::string_view order_no, std::optional<std::int64_t> subscriber_id,
                         const Actor& actor, const Decide& decide);
    Result<OrderDetail> DetailOf(std::string_view order_no,
                                 std::optional<std::int64_t> subscriber_id);
    Result<std::vector<Order>> ListWhere(std::optional<std::int64_t> subscriber_id,
                                         const ListFilter& f);
    // The certificate a renew / reissue / revoke form names, checked for `type`; fills in
    // form.medium. Returns the certificate's id.
    Result<std::optional<std::int64_t>> CheckCertificate(store::Transaction& tx,
                                                         std::int64_t subscriber_id, OrderType type,
                                                         OrderForm& form,
                                                         std::optional<std::int64_t> order_id);
    struct Outcome;
    Result<Outcome> ActOnCa(const Order& order, TimePoint approved_at);
    Result<Order> RecordIssueFailure(std::string_view order_no, const Error& error);
    TimePoint DueDate(TimePoint submitted) const;
    std::int64_t FeeOf(OrderType type) const;

    store::Database& db_;
    ca::CertificateAuthority& ca_;
    AccountRepository& accounts_;
    const PiiVault& vault_;
    const Clock& clock_;
    const OrderConfig config_;
    const TransitionHook hook_;
};

}  // namespace gzca::ra
