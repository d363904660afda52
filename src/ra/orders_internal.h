#pragma once
// Internal to the ra module (and its tests): the one function through which every change of an
// order is written. Not for other modules: use OrderService.
//
// Thread-safety: stateless; the Transaction decides.

#include <functional>
#include <string>

#include "ra/orders.h"

namespace gzca::ra::detail {

struct ChangePlan {
    // State changes check the version read (optimistic concurrency: a change made meanwhile
    // makes this one fail with kFailedPrecondition "订单状态已变化，请刷新"). Changes that only
    // add to the timeline (a material, a payment started) check that the state is still the one
    // read instead, so two uploads at once both succeed.
    bool check_version = true;
    std::string event;   // timeline event name (OrderEventLabel)
    std::string detail;  // shown in the timeline (Chinese; no PII)
    // Further writes of the same change, run after the order row is updated and before the
    // timeline row and the hook.
    std::function<Status(store::Transaction&, const Order& after)> extra;
};

// Writes `after` over `before` (state, certificate columns, form when changed — sealed —,
// submitted_at, due_at; version + 1, updated_at = now), runs plan.extra, appends the timeline
// row and, when the state changed, calls `hook`. Returns the order as written (new version).
// kFailedPrecondition "订单状态已变化，请刷新" when the guard finds no row; any error of extra or
// hook as it is. The caller commits.
Result<Order> CommitChange(store::Transaction& tx, const PiiVault& vault, const Order& before,
                           Order after, const ChangePlan& plan, const Actor& actor, TimePoint now,
                           const TransitionHook& hook);

// Reads an order by number (and owner, when given); std::nullopt when there is none.
Result<std::optional<Order>> LoadOrder(store::Transaction& tx, const PiiVault& vault,
                                       std::string_view order_no,
                                       std::optional<std::int64_t> subscriber_id);

}  // namespace gzca::ra::detail
