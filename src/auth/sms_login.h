#pragma once
// Login by phone: picture captcha → SMS code → session (the seed's 用户登录 tab; DESIGN.md §7).
//
// Rules (LoginPolicy, all configurable):
//   - A picture captcha is single use and lives 2 minutes; a wrong answer spends it.
//   - An SMS code has 6 digits, lives 5 minutes, allows 5 wrong attempts; a new code replaces
//     the old one. At most one code per phone per 60 s, and daily caps per phone and per client
//     address, counted in the database (they survive restarts).
//   - No oracle: asking for a code for a phone without an account behaves exactly as for one
//     with an account (the code is sent: the owner of the phone learns, once the code is right,
//     that no account exists — a third party learns nothing).
// Codes are stored as a keyed MAC (PiiVault blind index), captcha answers sealed, the SMS body
// sealed in the outbox.
//
// Thread-safety: stateless beyond its references; methods may be called concurrently.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include <tl/expected.hpp>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/error.h"
#include "notify/outbox.h"
#include "ra/accounts.h"
#include "ra/pii.h"
#include "store/database.h"

namespace gzca::auth {

struct LoginPolicy {
    std::chrono::seconds captcha_ttl{120};
    std::chrono::seconds code_ttl{300};
    int max_code_attempts = 5;
    std::chrono::seconds resend_interval{60};
    int daily_codes_per_phone = 10;
    int daily_codes_per_address = 50;
};

// Why a login step failed, with what the page needs to say so.
struct LoginFailure {
    enum class Kind {
        kInvalidPhone,    // not a mainland mobile number
        kCaptchaInvalid,  // wrong, expired or already used captcha
        kRateLimited,     // too soon or too many; see retry_after
        kCodeInvalid,     // wrong code; see attempts_left
        kCodeExpired,     // no live code (expired, used up, or never sent)
        kNoAccount,       // the code was right but no subscriber has this phone
        kUnavailable,     // the database failed; see error
    };
    Kind kind = Kind::kUnavailable;
    std::chrono::seconds retry_after{0};
    int attempts_left = 0;
    Error error;  // public_message is what to show (Chinese)
};
template <typename T>
using LoginResult = tl::expected<T, LoginFailure>;
std::string_view LoginFailureCode(LoginFailure::Kind kind);  // "captcha_invalid", …

struct Captcha {
    std::string id;  // 32 hex characters
    Bytes png;
};

class SmsLogin {
  public:
    SmsLogin(store::Database& db, const ra::PiiVault& vault, ra::AccountRepository& accounts,
             const notify::Outbox& outbox, const Clock& clock, LoginPolicy policy = {})
        : db_(db),
          vault_(vault),
          accounts_(accounts),
          outbox_(outbox),
          clock_(clock),
          policy_(policy) {}

    // A new captcha (text random, image rendered). kInternal if rendering fails.
    Result<Captcha> NewCaptcha();

    // Checks the captcha (spending it), the limits, then records a new code and puts the SMS in
    // the outbox, in one transaction.
    LoginResult<void> SendCode(std::string_view phone, std::string_view captcha_id,
                               std::string_view captcha_answer, std::string_view remote_address);

    // Checks `code` against the phone's live code; on success spends it and returns the
    // subscriber (kNoAccount when there is none).
    LoginResult<ra::Subscriber> VerifyCode(std::string_view phone, std::string_view code);

    // The answer of a stored captcha, for operators' tools and automated tests (whoever can run
    // this already holds the data directory and its keys). kNotFound for an unknown id.
    Result<std::string> RevealCaptchaAnswer(std::string_view captcha_id);

    // Deletes captchas and codes that ended more than a day ago. Returns rows deleted.
    Result<std::int64_t> PurgeExpired();

    const LoginPolicy& policy() const { return policy_; }

  private:
    LoginResult<void> CheckCaptcha(store::Transaction& tx, std::string_view captcha_id,
                                   std::string_view answer);
    LoginResult<void> CheckLimits(store::Transaction& tx, const std::string& phone_index,
                                  std::string_view remote_address);
    std::string CodeMac(std::int64_t code_id, std::string_view code) const;

    store::Database& db_;
    const ra::PiiVault& vault_;
    ra::AccountRepository& accounts_;
    const notify::Outbox& outbox_;
    const Clock& clock_;
    LoginPolicy policy_;
};

}  // namespace gzca::auth
