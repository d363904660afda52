#pragma once
// The service platform's parts, built from configuration for `gzca serve` and for the CLI
// commands that act on platform data (user, order, outbox).
//
// PlatformCore: PII vault (<data_dir>/keys/platform-pii.key, created on first use), accounts,
// the outbox, the order service and the material store (<data_dir>/materials).
//
// Thread-safety: the parts are thread-safe as their own headers say; PlatformCore itself is
// built once and not modified.

#include <memory>
#include <string>

#include "api/platform.h"
#include "app/context.h"
#include "notify/outbox.h"
#include "ra/accounts.h"
#include "ra/materials.h"
#include "ra/orders.h"
#include "ra/pii.h"

namespace gzca::app {

struct PlatformCore {
    std::unique_ptr<ra::PiiVault> vault;
    std::unique_ptr<ra::AccountRepository> accounts;
    std::unique_ptr<notify::Outbox> outbox;
    std::unique_ptr<ra::OrderService> orders;
    std::unique_ptr<ra::MaterialStore> materials;
};

// Needs an opened Context. kUnavailable when the key file cannot be read or created.
Result<std::unique_ptr<PlatformCore>> BuildPlatformCore(Context& ctx);

// [platform] as the pages show it.
api::SiteInfo SiteInfoFrom(const PlatformConfig& config);

// Reads a random secret of `size` bytes from `path`, creating it (0600) when absent.
Result<Bytes> LoadOrCreateSecret(const std::filesystem::path& path, std::size_t size);

// The embedded default's demo subscriber, so that a newcomer can log in and renew at once:
// organisation 国资CA演示机构, subscriber 张三, phone 13800138000, holding an SM2 signing
// certificate from the "sm2" hierarchy (its key is generated and discarded: the platform's
// renewal keeps the key, and a USBKey would hold it). Created only when no subscriber exists
// and the platform's issuer ([platform] issuer) does.
// Returns true when it was created now.
Result<bool> EnsureDemoSubscriber(Context& ctx, PlatformCore& core);

inline constexpr const char* kDemoPhone = "13800138000";

}  // namespace gzca::app
