#include "auth/sms_login.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>
#include <openssl/crypto.h>

#include "crypto/signer.h"
#include "notify/templates.h"
#include "ra/validation.h"
#include "render/captcha.h"

namespace gzca::auth {
namespace {

constexpr std::string_view kPhoneContext = "login.phone";
// Bound to the captcha's id, so an answer cannot be moved to another row.
std::string CaptchaContext(std::string_view id) { return "captchas.answer:" + std::string(id); }
constexpr std::string_view kCodeContext = "login_codes.code";
constexpr std::int64_t kDay = 24 * 3600;

tl::unexpected<LoginFailure> Failure(LoginFailure::Kind kind, std::string message,
                                     std::chrono::seconds retry_after = {}, int attempts_left = 0) {
    LoginFailure f;
    f.kind = kind;
    f.retry_after = retry_after;
    f.attempts_left = attempts_left;
    f.error = Error{ErrorCode::kInvalidArgument, message, message};
    return tl::unexpected<LoginFailure>(std::move(f));
}

tl::unexpected<LoginFailure> Unavailable(Error error) {
    LoginFailure f;
    f.kind = LoginFailure::Kind::kUnavailable;
    f.error = std::move(error);
    if (f.error.public_message.empty()) f.error.public_message = "服务暂时不可用，请稍后再试";
    return tl::unexpected<LoginFailure>(std::move(f));
}

#define GZCA_LOGIN_TRY(var, expr)                                \
    auto var##_result = (expr);                                  \
    if (!var##_result) return Unavailable(var##_result.error()); \
    auto var = std::move(*var##_result)
#define GZCA_LOGIN_TRY_STATUS(expr)                                      \
    do {                                                                 \
        auto gzca_login_st_ = (expr);                                    \
        if (!gzca_login_st_) return Unavailable(gzca_login_st_.error()); \
    } while (0)

// Captcha answers are case-insensitive: compare MACs of the lower-cased, trimmed text.
std::string NormaliseAnswer(std::string_view answer) {
    while (!answer.empty() && std::isspace(static_cast<unsigned char>(answer.front()))) {
        answer.remove_prefix(1);
    }
    while (!answer.empty() && std::isspace(static_cast<unsigned char>(answer.back()))) {
        answer.remove_suffix(1);
    }
    std::string out(answer);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// A uniformly random 6-digit code (rejection sampling over 32-bit values).
std::string RandomCode() {
    constexpr std::uint32_t kRange = 1'000'000;
    constexpr std::uint32_t kLimit = UINT32_MAX - UINT32_MAX % kRange;
    while (true) {
        Bytes b = crypto::RandomBytes(4);
        std::uint32_t v = (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) |
                          (std::uint32_t{b[2]} << 8) | b[3];
        if (v < kLimit) return fmt::format("{:06d}", v % kRange);
    }
}

bool IsSixDigits(std::string_view code) {
    return code.size() == 6 &&
           std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::string_view LoginFailureCode(LoginFailure::Kind kind) {
    switch (kind) {
        case LoginFailure::Kind::kInvalidPhone:
            return "invalid_argument";
        case LoginFailure::Kind::kCaptchaInvalid:
            return "captcha_invalid";
        case LoginFailure::Kind::kRateLimited:
            return "rate_limited";
        case LoginFailure::Kind::kCodeInvalid:
            return "code_invalid";
        case LoginFailure::Kind::kCodeExpired:
            return "code_expired";
        case LoginFailure::Kind::kNoAccount:
            return "no_account";
        case LoginFailure::Kind::kUnavailable:
            break;
    }
    return "unavailable";
}

Result<Captcha> SmsLogin::NewCaptcha() {
    const std::string text = render::RandomCaptchaText(5);
    GZCA_ASSIGN_OR_RETURN(Bytes png, render::RenderCaptchaPng(text));
    Captcha captcha;
    captcha.id = HexEncode(crypto::RandomBytes(16));
    captcha.png = std::move(png);
    const TimePoint now = clock_.Now();
    GZCA_ASSIGN_OR_RETURN(auto tx, db_.Begin());
    GZCA_TRY_STATUS(tx->Exec(
        "INSERT INTO captchas (id, answer_sealed, created_at, expires_at) VALUES ($1, $2, $3, $4)",
        {captcha.id, vault_.Seal(NormaliseAnswer(text), CaptchaContext(captcha.id)), ToUnix(now),
         ToUnix(now + policy_.captcha_ttl)}));
    GZCA_TRY_STATUS(tx->Commit());
    return captcha;
}

LoginResult<void> SmsLogin::CheckCaptcha(store::Transaction& tx, std::string_view captcha_id,
                                         std::string_view answer) {
    const std::int64_t now = ToUnix(clock_.Now());
    // Spend it whatever the answer: one guess per captcha.
    GZCA_LOGIN_TRY(spent, tx.Exec("UPDATE captchas SET used_at = $1 WHERE id = $2 AND used_at IS "
                                  "NULL AND expires_at > $1",
                                  {now, std::string(captcha_id)}));
    if (spent != 1) {
        return Failure(LoginFailure::Kind::kCaptchaInvalid, "图形验证码已失效，请刷新后重新输入");
    }
    GZCA_LOGIN_TRY(row, tx.QueryOne("SELECT answer_sealed FROM captchas WHERE id = $1",
                                    {std::string(captcha_id)}));
    std::optional<std::string> expected;
    if (row) {
        if (auto opened = vault_.Open(row->Blob(0), CaptchaContext(captcha_id))) {
            expected = std::move(*opened);
        }
    }
    const std::string given = NormaliseAnswer(answer);
    if (!expected || expected->size() != given.size() ||
        CRYPTO_memcmp(expected->data(), given.data(), given.size()) != 0) {
        return Failure(LoginFailure::Kind::kCaptchaInvalid, "图形验证码错误，请重新输入");
    }
    return {};
}

LoginResult<void> SmsLogin::CheckLimits(store::Transaction& tx, const std::string& phone_index,
                                        std::string_view remote_address) {
    const std::int64_t now = ToUnix(clock_.Now());
    GZCA_LOGIN_TRY(phone_stats,
                   tx.QueryOne("SELECT COUNT(*), MAX(created_at), MIN(created_at) FROM "
                               "login_codes WHERE phone_index = $1 AND created_at > $2",
                               {phone_index, now - kDay}));
    const std::int64_t phone_count = phone_stats ? phone_stats->Int(0) : 0;
    if (phone_count > 0) {
        const std::int64_t last = phone_stats->Int(1);
        const std::int64_t wait = last + policy_.resend_interval.count() - now;
        if (wait > 0) {
            return Failure(LoginFailure::Kind::kRateLimited,
                           fmt::format("验证码已发送，请{}秒后再试", wait),
                           std::chrono::seconds(wait));
        }
        if (phone_count >= policy_.daily_codes_per_phone) {
            const std::int64_t until = phone_stats->Int(2) + kDay - now;
            return Failure(LoginFailure::Kind::kRateLimited, "该手机号今日获取验证码次数已达上限",
                           std::chrono::seconds(std::max<std::int64_t>(until, 1)));
        }
    }
    GZCA_LOGIN_TRY(address_stats,
                   tx.QueryOne("SELECT COUNT(*), MIN(created_at) FROM login_codes WHERE "
                               "remote_address = $1 AND created_at > $2",
                               {std::string(remote_address), now - kDay}));
    if (address_stats && address_stats->Int(0) >= policy_.daily_codes_per_address) {
        const std::int64_t until = address_stats->Int(1) + kDay - now;
        return Failure(LoginFailure::Kind::kRateLimited, "当前网络获取验证码次数过多，请明日再试",
                       std::chrono::seconds(std::max<std::int64_t>(until, 1)));
    }
    return {};
}

std::string SmsLogin::CodeMac(std::int64_t code_id, std::string_view code) const {
    return vault_.BlindIndex(std::to_string(code_id) + ":" + std::string(code), kCodeContext);
}

LoginResult<void> SmsLogin::SendCode(std::string_view phone, std::string_view captcha_id,
                                     std::string_view captcha_answer,
                                     std::string_view remote_address) {
    if (!ra::ValidateMobile(phone)) {
        return Failure(LoginFailure::Kind::kInvalidPhone, "请输入正确的手机号");
    }
    if (captcha_id.empty() || captcha_id.size() > 64 || captcha_answer.empty()) {
        return Failure(LoginFailure::Kind::kCaptchaInvalid, "请输入图形验证码");
    }
    const std::string phone_index = vault_.BlindIndex(phone, kPhoneContext);
    const TimePoint now = clock_.Now();
    const std::string code = RandomCode();

    // The captcha is spent in its own transaction, so a failure later (limits) still spends it.
    {
        GZCA_LOGIN_TRY(tx, db_.Begin());
        auto captcha = CheckCaptcha(*tx, captcha_id, captcha_answer);
        GZCA_LOGIN_TRY_STATUS(tx->Commit());
        if (!captcha) return captcha;
    }
    GZCA_LOGIN_TRY(tx, db_.Begin());
    if (auto limits = CheckLimits(*tx, phone_index, remote_address); !limits) return limits;
    // The new code replaces any live one.
    GZCA_LOGIN_TRY_STATUS(tx->Exec(
        "UPDATE login_codes SET consumed_at = $1 WHERE phone_index = $2 AND consumed_at IS NULL",
        {ToUnix(now), phone_index}));
    GZCA_LOGIN_TRY(inserted,
                   tx->QueryOne("INSERT INTO login_codes (phone_index, code_mac, remote_address, "
                                "created_at, expires_at) VALUES ($1, '', $2, $3, $4) RETURNING id",
                                {phone_index, std::string(remote_address), ToUnix(now),
                                 ToUnix(now + policy_.code_ttl)}));
    const std::int64_t code_id = inserted->Int(0);
    GZCA_LOGIN_TRY_STATUS(tx->Exec("UPDATE login_codes SET code_mac = $1 WHERE id = $2",
                                   {CodeMac(code_id, code), code_id}));
    GZCA_LOGIN_TRY(text, notify::DefaultTemplate("login_code"));
    GZCA_LOGIN_TRY(body, notify::RenderTemplate(
                             text, {{"code", code},
                                    {"minutes", std::to_string(policy_.code_ttl.count() / 60)}}));
    GZCA_LOGIN_TRY_STATUS(outbox_.Enqueue(
        *tx, notify::OutgoingMessage{"login-code:" + std::to_string(code_id), notify::Channel::kSms,
                                     "login_code", std::string(phone), body}));
    GZCA_LOGIN_TRY_STATUS(tx->Commit());
    return {};
}

LoginResult<ra::Subscriber> SmsLogin::VerifyCode(std::string_view phone, std::string_view code) {
    if (!ra::ValidateMobile(phone)) {
        return Failure(LoginFailure::Kind::kInvalidPhone, "请输入正确的手机号");
    }
    const std::string phone_index = vault_.BlindIndex(phone, kPhoneContext);
    const std::int64_t now = ToUnix(clock_.Now());
    {
        GZCA_LOGIN_TRY(tx, db_.Begin());
        GZCA_LOGIN_TRY(row, tx->QueryOne("SELECT id, code_mac, expires_at, attempts FROM "
                                         "login_codes WHERE phone_index = $1 AND consumed_at IS "
                                         "NULL ORDER BY id DESC LIMIT 1",
                                         {phone_index}));
        if (!row || row->Int(2) <= now || row->Int(3) >= policy_.max_code_attempts) {
            return Failure(LoginFailure::Kind::kCodeExpired, "短信验证码已失效，请重新获取");
        }
        const std::int64_t id = row->Int(0);
        // Compared as MACs: equal-length hex, and a mismatch reveals nothing about the code.
        if (!IsSixDigits(code) || row->Text(1) != CodeMac(id, code)) {
            const int attempts = static_cast<int>(row->Int(3)) + 1;
            GZCA_LOGIN_TRY_STATUS(
                tx->Exec("UPDATE login_codes SET attempts = $1 WHERE id = $2", {attempts, id}));
            GZCA_LOGIN_TRY_STATUS(tx->Commit());
            const int left = std::max(0, policy_.max_code_attempts - attempts);
            if (left == 0) {
                return Failure(LoginFailure::Kind::kCodeExpired,
                               "短信验证码错误次数过多，请重新获取");
            }
            return Failure(LoginFailure::Kind::kCodeInvalid,
                           fmt::format("短信验证码错误，还可尝试{}次", left), {}, left);
        }
        GZCA_LOGIN_TRY_STATUS(
            tx->Exec("UPDATE login_codes SET consumed_at = $1 WHERE id = $2", {now, id}));
        GZCA_LOGIN_TRY_STATUS(tx->Commit());
    }
    GZCA_LOGIN_TRY(subscriber, accounts_.FindSubscriberByPhone(phone));
    if (!subscriber) {
        return Failure(LoginFailure::Kind::kNoAccount,
                       "该手机号尚未开通数字证书服务平台账户，请联系客服开通");
    }
    return std::move(*subscriber);
}

Result<std::string> SmsLogin::RevealCaptchaAnswer(std::string_view captcha_id) {
    GZCA_ASSIGN_OR_RETURN(auto tx, db_.Begin(false));
    GZCA_ASSIGN_OR_RETURN(auto row, tx->QueryOne("SELECT answer_sealed FROM captchas WHERE id = $1",
                                                 {std::string(captcha_id)}));
    if (!row) return Fail(ErrorCode::kNotFound, "no such captcha", "图形验证码不存在");
    return vault_.Open(row->Blob(0), CaptchaContext(captcha_id));
}

Result<std::int64_t> SmsLogin::PurgeExpired() {
    const std::int64_t cutoff = ToUnix(clock_.Now()) - kDay;
    GZCA_ASSIGN_OR_RETURN(auto tx, db_.Begin());
    GZCA_ASSIGN_OR_RETURN(std::int64_t a,
                          tx->Exec("DELETE FROM captchas WHERE expires_at < $1", {cutoff}));
    // Codes are kept a day past expiry: the daily limits count them.
    GZCA_ASSIGN_OR_RETURN(std::int64_t b,
                          tx->Exec("DELETE FROM login_codes WHERE created_at < $1", {cutoff}));
    GZCA_TRY_STATUS(tx->Commit());
    return a + b;
}

}  // namespace gzca::auth
