#include "store/group_commit.h"

namespace gzca::store {

Status GroupCommit::Run(const Operation& op) {
    Item item{&op, Ok(), false};
    std::unique_lock lock(mutex_);
    queue_.push_back(&item);
    while (!item.done) {
        if (leader_active_) {
            cv_.wait(lock);
            continue;
        }
        // Become the leader for everything queued so far (our own item included).
        leader_active_ = true;
        std::deque<Item*> batch;
        while (!queue_.empty() && batch.size() < max_batch_) {
            batch.push_back(queue_.front());
            queue_.pop_front();
        }
        lock.unlock();
        RunBatch(batch);
        lock.lock();
        for (Item* done : batch) done->done = true;
        leader_active_ = false;
        cv_.notify_all();
    }
    return item.result;
}

void GroupCommit::RunBatch(std::deque<Item*>& batch) {
    auto together = [&]() -> Status {
        GZCA_ASSIGN_OR_RETURN(auto tx, db_.Begin(true));
        for (Item* item : batch) GZCA_TRY_STATUS((*item->op)(*tx));
        return tx->Commit();
    }();
    if (together) {
        for (Item* item : batch) item->result = Ok();
        return;
    }
    if (batch.size() == 1) {
        batch.front()->result = together;
        return;
    }
    // Something failed: give every operation its own transaction and its own answer.
    for (Item* item : batch) {
        item->result = [&]() -> Status {
            GZCA_ASSIGN_OR_RETURN(auto tx, db_.Begin(true));
            GZCA_TRY_STATUS((*item->op)(*tx));
            return tx->Commit();
        }();
    }
}

}  // namespace gzca::store
