#pragma once
// Internal to the store module: a bounded pool of driver connections.
//
// At most `capacity` connections exist at once (idle plus lent out). Acquire() hands out an idle
// connection (most recently used first, so its statement cache is warm), opens a new one while
// under capacity, and otherwise waits up to kAcquireTimeout for one to be released.
// A connection that may be broken or mid-transaction is released as not reusable and closed
// instead of going back to the pool.
//
// Thread-safety: all members are safe to call concurrently. The pool must outlive every
// connection it lent out (a Transaction must not outlive its Database).

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/error.h"
#include "store/drivers.h"

namespace gzca::store::internal {

template <typename Conn>
class ConnectionPool {
  public:
    explicit ConnectionPool(int capacity) : capacity_(capacity) {}
    ConnectionPool(const ConnectionPool&) = delete;
    ConnectionPool& operator=(const ConnectionPool&) = delete;

    // `open()` returns Result<std::unique_ptr<Conn>>; it runs without the pool lock held.
    // `*fresh` (if given) is set to whether the connection was just opened.
    // kUnavailable when every connection stayed busy for kAcquireTimeout, or open() failed.
    template <typename OpenFn>
    Result<std::unique_ptr<Conn>> Acquire(OpenFn&& open, bool* fresh = nullptr) {
        std::unique_lock lock(mutex_);
        const bool ready = available_.wait_for(
            lock, kAcquireTimeout, [&] { return !idle_.empty() || open_count_ < capacity_; });
        if (!ready) {
            return Fail(DbError(ErrorCode::kUnavailable,
                                "all " + std::to_string(capacity_) +
                                    " database connections stayed busy past the timeout"));
        }
        if (!idle_.empty()) {
            std::unique_ptr<Conn> conn = std::move(idle_.back());
            idle_.pop_back();
            if (fresh) *fresh = false;
            return conn;
        }
        ++open_count_;
        lock.unlock();
        Result<std::unique_ptr<Conn>> conn = open();
        if (!conn) {
            lock.lock();
            --open_count_;
            lock.unlock();
            available_.notify_one();
        }
        if (fresh) *fresh = true;
        return conn;
    }

    // Returns a connection; closes it (outside the lock) unless `reusable`.
    void Release(std::unique_ptr<Conn> conn, bool reusable) {
        std::unique_ptr<Conn> doomed;
        {
            std::lock_guard lock(mutex_);
            if (reusable) {
                idle_.push_back(std::move(conn));
            } else {
                --open_count_;
                doomed = std::move(conn);
            }
        }
        available_.notify_one();
    }

  private:
    const int capacity_;
    std::mutex mutex_;
    std::condition_variable available_;
    std::vector<std::unique_ptr<Conn>> idle_;  // guarded by mutex_
    int open_count_ = 0;                       // guarded by mutex_; idle plus lent out
};

}  // namespace gzca::store::internal
