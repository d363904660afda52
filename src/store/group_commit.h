#pragma once
// Group commit: concurrent callers' small write operations share one transaction, so that one
// durable commit (one fsync) covers many of them. A caller's Run() returns only after the
// transaction holding its operation committed — the same durability as its own transaction.
//
// How: callers queue their operation; one of them (the leader) takes every queued operation,
// runs them in order in one write transaction and commits; the others wait. If any operation or
// the commit fails, each operation of that batch is run again alone in its own transaction, so
// one bad operation never fails its neighbours. Operations must therefore be safe to run twice
// after a rollback: no side effects outside the transaction, outputs assigned (not appended).
//
// Thread-safety: Run() may be called from any number of threads at once.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>

#include "base/error.h"
#include "store/database.h"

namespace gzca::store {

class GroupCommit {
  public:
    using Operation = std::function<Status(Transaction&)>;

    explicit GroupCommit(Database& db, std::size_t max_batch = 256)
        : db_(db), max_batch_(max_batch) {}

    // Runs `op` in a shared write transaction; returns its status once that transaction has
    // committed (or the op's own error, or the commit's error).
    Status Run(const Operation& op);

  private:
    struct Item {
        const Operation* op;
        Status result;
        bool done = false;
    };
    void RunBatch(std::deque<Item*>& batch);

    Database& db_;
    const std::size_t max_batch_;
    std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<Item*> queue_;     // GUARDED_BY(mutex_)
    bool leader_active_ = false;  // GUARDED_BY(mutex_)
};

}  // namespace gzca::store
