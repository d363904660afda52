// gzca user create | link-cert, gzca outbox list, gzca order list | show | approve | reject |
// confirm-payment: the platform's records from the command line (the operator console comes
// with the operator issue; these commands are its scriptable counterpart).
#include <fmt/format.h>

#include "app/commands.h"
#include "app/platform_setup.h"
#include "auth/sms_login.h"
#include "ra/validation.h"

namespace gzca::app {

namespace {

struct UserOptions {
    std::string org_name, org_credential, legal_representative, org_phone;
    std::string credential_type = "business_licence";
    std::string name, phone, id_card, user_identifier, email, department, address;
    std::string serial, medium = "usbkey";
};

struct OutboxOptions {
    std::string to, template_name;
    int limit = 20;
};

struct OrderOptions {
    std::string order_no, state, reason, comment;
};

// Opens the context and the platform's core, runs `body`, reports errors.
template <typename F>
int WithPlatform(const GlobalOptions& global, F body) {
    Context ctx(global);
    auto run = [&]() -> Status {
        GZCA_TRY_STATUS(ctx.Open());
        GZCA_ASSIGN_OR_RETURN(auto core, BuildPlatformCore(ctx));
        return body(ctx, *core);
    };
    if (auto st = run(); !st) return ReportError(st.error(), global);
    return 0;
}

Status LinkBySerial(Context& ctx, PlatformCore& core, std::int64_t subscriber_id,
                    const std::string& serial, const std::string& medium_name) {
    GZCA_ASSIGN_OR_RETURN(ca::CertificateRecord cert, ctx.ca().Find("", serial));
    GZCA_ASSIGN_OR_RETURN(ra::Medium medium, ra::ParseMedium(medium_name));
    return core.accounts->LinkCertificate(subscriber_id, cert.id, medium);
}

int RunUserCreate(const GlobalOptions& global, const UserOptions& o) {
    return WithPlatform(global, [&](Context& ctx, PlatformCore& core) -> Status {
        ra::Organisation org;
        org.name = o.org_name;
        org.legal_representative = o.legal_representative;
        GZCA_ASSIGN_OR_RETURN(org.credential_type, ra::ParseCredentialType(o.credential_type));
        org.credential_number = o.org_credential;
        org.phone = o.org_phone;
        GZCA_ASSIGN_OR_RETURN(org, core.accounts->UpsertOrganisation(org));
        ra::Subscriber s;
        s.organisation_id = org.id;
        s.user_identifier = o.user_identifier;
        s.name = o.name;
        s.phone = o.phone;
        s.id_card_number = o.id_card;
        s.email = o.email;
        s.department = o.department;
        s.contact_address = o.address;
        GZCA_ASSIGN_OR_RETURN(s, core.accounts->CreateSubscriber(s));
        if (!o.serial.empty()) {
            GZCA_TRY_STATUS(LinkBySerial(ctx, core, s.id, o.serial, o.medium));
        }
        nlohmann::json j = {{"subscriber_id", s.id},
                            {"organisation_id", org.id},
                            {"name", s.name},
                            {"phone_masked", ra::MaskPhone(s.phone)}};
        if (global.json) {
            fmt::print("{}\n", j.dump(2));
        } else {
            fmt::print("subscriber {} ({}, {}) created in organisation {}\n", s.id, s.name,
                       ra::MaskPhone(s.phone), org.name);
        }
        return Ok();
    });
}

int RunUserLink(const GlobalOptions& global, const UserOptions& o) {
    return WithPlatform(global, [&](Context& ctx, PlatformCore& core) -> Status {
        GZCA_ASSIGN_OR_RETURN(auto s, core.accounts->FindSubscriberByPhone(o.phone));
        if (!s) return Fail(ErrorCode::kNotFound, "no subscriber with this phone", "未找到该用户");
        GZCA_TRY_STATUS(LinkBySerial(ctx, core, s->id, o.serial, o.medium));
        if (!global.json) fmt::print("certificate {} linked to subscriber {}\n", o.serial, s->id);
        return Ok();
    });
}

int RunOutboxList(const GlobalOptions& global, const OutboxOptions& o) {
    return WithPlatform(global, [&](Context& ctx, PlatformCore& core) -> Status {
        notify::Outbox::Filter f;
        if (!o.to.empty()) f.recipient = o.to;
        if (!o.template_name.empty()) f.template_name = o.template_name;
        f.limit = o.limit;
        GZCA_ASSIGN_OR_RETURN(auto messages, core.outbox->List(ctx.db(), f));
        nlohmann::json list = nlohmann::json::array();
        for (const auto& m : messages) {
            if (global.json) {
                list.push_back({{"id", m.id},
                                {"channel", notify::ChannelName(m.channel)},
                                {"template", m.template_name},
                                {"to", m.recipient},
                                {"body", m.body},
                                {"state", m.state},
                                {"created_at", FormatIso8601(m.created_at)}});
            } else {
                fmt::print("{}  {:<5} {:<12} {}  {}\n", FormatIso8601(m.created_at),
                           notify::ChannelName(m.channel), m.recipient_masked, m.state, m.body);
            }
        }
        if (global.json) fmt::print("{}\n", list.dump(2));
        return Ok();
    });
}

nlohmann::json OrderLine(const ra::Order& o) {
    nlohmann::json j = {{"order_no", o.order_no},
                        {"type", ra::OrderTypeName(o.type)},
                        {"state", ra::OrderStateName(o.state)},
                        {"certificate_serial", o.certificate_serial},
                        {"issued_certificate_serial", o.issued_certificate_serial},
                        {"created_at", FormatIso8601(o.created_at)}};
    if (o.due_at) j["due_at"] = FormatIso8601(*o.due_at);
    return j;
}

void PrintOrder(const GlobalOptions& global, const ra::Order& o) {
    if (global.json) {
        fmt::print("{}\n", OrderLine(o).dump(2));
    } else {
        fmt::print("{}  {}  {}  {}\n", o.order_no, ra::OrderTypeLabel(o.type),
                   ra::OrderStateLabel(o.state), o.issued_certificate_serial);
    }
}

ra::Actor CliOperator() { return {ra::Actor::Kind::kOperator, 0, "cli"}; }

int RunOrderList(const GlobalOptions& global, const OrderOptions& o) {
    return WithPlatform(global, [&](Context&, PlatformCore& core) -> Status {
        ra::OrderService::ListFilter f;
        if (!o.state.empty()) {
            GZCA_ASSIGN_OR_RETURN(f.state, ra::ParseOrderState(o.state));
        }
        f.by_due_date = true;
        GZCA_ASSIGN_OR_RETURN(auto orders, core.orders->List(f));
        nlohmann::json list = nlohmann::json::array();
        for (const auto& order : orders) {
            if (global.json) {
                list.push_back(OrderLine(order));
            } else {
                PrintOrder(global, order);
            }
        }
        if (global.json) fmt::print("{}\n", list.dump(2));
        return Ok();
    });
}

int RunOrderShow(const GlobalOptions& global, const OrderOptions& o) {
    return WithPlatform(global, [&](Context&, PlatformCore& core) -> Status {
        GZCA_ASSIGN_OR_RETURN(auto d, core.orders->Get(o.order_no));
        nlohmann::json j = OrderLine(d.order);
        nlohmann::json timeline = nlohmann::json::array();
        for (const auto& e : d.timeline) {
            timeline.push_back({{"at", FormatIso8601(e.at)},
                                {"event", e.event},
                                {"actor", e.actor},
                                {"to_state", e.to_state}});
        }
        j["timeline"] = timeline;
        j["materials"] = d.materials.size();
        if (d.payment) j["payment_state"] = ra::PaymentStateName(d.payment->state);
        fmt::print("{}\n", j.dump(2));
        return Ok();
    });
}

int RunOrderDecision(const GlobalOptions& global, const OrderOptions& o, std::string_view what) {
    return WithPlatform(global, [&](Context&, PlatformCore& core) -> Status {
        if (what == "approve") {
            GZCA_ASSIGN_OR_RETURN(auto order,
                                  core.orders->Approve(CliOperator(), o.order_no, o.comment));
            if (order.state == ra::OrderState::kApproved) {
                // The CA call failed: show why (IssueApproved retries and reports).
                GZCA_ASSIGN_OR_RETURN(order, core.orders->IssueApproved(o.order_no));
            }
            PrintOrder(global, order);
        } else if (what == "reject") {
            GZCA_ASSIGN_OR_RETURN(
                auto order, core.orders->Reject(CliOperator(), o.order_no, o.reason, o.comment));
            PrintOrder(global, order);
        } else {
            GZCA_ASSIGN_OR_RETURN(auto payment,
                                  core.orders->ConfirmOfflinePayment(CliOperator(), o.order_no));
            if (!global.json) fmt::print("payment {} confirmed\n", payment.payment_ref);
        }
        return Ok();
    });
}

int RunCaptchaAnswer(const GlobalOptions& global, const std::string& id) {
    return WithPlatform(global, [&](Context& ctx, PlatformCore& core) -> Status {
        auth::SmsLogin login(ctx.db(), *core.vault, *core.accounts, *core.outbox, ctx.clock());
        GZCA_ASSIGN_OR_RETURN(std::string answer, login.RevealCaptchaAnswer(id));
        fmt::print("{}\n", answer);
        return Ok();
    });
}

}  // namespace

void AddPlatformCommands(CLI::App& app, GlobalOptions& global, CommandRunner& run) {
    auto* user = app.add_subcommand("user", "Platform subscribers (用户) and their organisations");
    user->require_subcommand(1);
    {
        auto o = std::make_shared<UserOptions>();
        auto* c = user->add_subcommand("create", "Open a subscriber account");
        c->add_option("--org-name", o->org_name, "机构名称")->required();
        c->add_option("--org-credential", o->org_credential,
                      "机构证件号码 (unified social credit code for a business licence)")
            ->required();
        c->add_option("--org-credential-type", o->credential_type,
                      "business_licence | institution_licence | other");
        c->add_option("--legal-representative", o->legal_representative, "法人代表")->required();
        c->add_option("--org-phone", o->org_phone, "机构电话");
        c->add_option("--name", o->name, "用户名")->required();
        c->add_option("--phone", o->phone, "Mobile number (the login)")->required();
        c->add_option("--id-card", o->id_card, "身份证号码")->required();
        c->add_option("--user-id", o->user_identifier, "用户标识")->required();
        c->add_option("--email", o->email, "电子邮箱");
        c->add_option("--department", o->department, "地址/部门")->required();
        c->add_option("--address", o->address, "联系地址")->required();
        c->add_option("--certificate", o->serial, "Link this certificate (serial) to the user");
        c->add_option("--medium", o->medium, "usbkey | shield");
        c->callback(
            [&global, &run, o] { run = [&global, o] { return RunUserCreate(global, *o); }; });
    }
    {
        auto o = std::make_shared<UserOptions>();
        auto* c = user->add_subcommand("link-cert", "Record that a subscriber holds a certificate");
        c->add_option("--phone", o->phone, "The subscriber's mobile number")->required();
        c->add_option("--serial", o->serial, "Certificate serial")->required();
        c->add_option("--medium", o->medium, "usbkey | shield");
        c->callback([&global, &run, o] { run = [&global, o] { return RunUserLink(global, *o); }; });
    }
    auto* outbox = app.add_subcommand(
        "outbox", "Messages the platform has queued (SMS, e-mail); bodies are shown unsealed");
    outbox->require_subcommand(1);
    {
        auto o = std::make_shared<OutboxOptions>();
        auto* c = outbox->add_subcommand("list", "Newest messages first");
        c->add_option("--to", o->to, "Only messages to this phone / e-mail");
        c->add_option("--template", o->template_name, "Only this template (login_code, …)");
        c->add_option("--limit", o->limit, "At most this many")->check(CLI::Range(1, 1000));
        c->callback(
            [&global, &run, o] { run = [&global, o] { return RunOutboxList(global, *o); }; });
    }
    auto* captcha = app.add_subcommand(
        "captcha", "Picture captchas: read an answer (for automated tests and support)");
    captcha->require_subcommand(1);
    {
        auto id = std::make_shared<std::string>();
        auto* c = captcha->add_subcommand("answer", "Print the answer of a captcha by its id");
        c->add_option("captcha_id", *id)->required();
        c->callback(
            [&global, &run, id] { run = [&global, id] { return RunCaptchaAnswer(global, *id); }; });
    }
    auto* order = app.add_subcommand("order", "Service orders (订单): list, show, decide");
    order->require_subcommand(1);
    {
        auto o = std::make_shared<OrderOptions>();
        auto* c = order->add_subcommand("list", "Orders by due date");
        c->add_option("--state", o->state, "Only this state (in_review, …)");
        c->callback(
            [&global, &run, o] { run = [&global, o] { return RunOrderList(global, *o); }; });
    }
    {
        auto o = std::make_shared<OrderOptions>();
        auto* c = order->add_subcommand("show", "One order with its timeline (JSON)");
        c->add_option("order_no", o->order_no)->required();
        c->callback(
            [&global, &run, o] { run = [&global, o] { return RunOrderShow(global, *o); }; });
    }
    for (const char* what : {"approve", "reject", "confirm-payment"}) {
        auto o = std::make_shared<OrderOptions>();
        auto* c = order->add_subcommand(
            what, std::string(what) == "approve"  ? "Approve an order in review (the CA then acts)"
                  : std::string(what) == "reject" ? "Reject an order in review"
                                                  : "Confirm an offline payment");
        c->add_option("order_no", o->order_no)->required();
        if (std::string(what) == "reject") {
            c->add_option("--reason", o->reason,
                          "missing_materials | wrong_information | payment_not_received | other")
                ->required();
        }
        if (std::string(what) != "confirm-payment") c->add_option("--comment", o->comment);
        c->callback([&global, &run, o, what] {
            run = [&global, o, what] { return RunOrderDecision(global, *o, what); };
        });
    }
}

}  // namespace gzca::app
