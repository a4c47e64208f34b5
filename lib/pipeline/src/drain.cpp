#include "sfcrimed/pipeline/drain.hpp"

#include <string>
#include <utility>

#include "sfcrimed/log.hpp"

namespace sfcrimed::detail {

void DrainTracker::request() {
  const std::lock_guard lock(mutex_);
  requested_ = true;
}

bool DrainTracker::wanted() const {
  const std::lock_guard lock(mutex_);
  return requested_ && !armed_;
}

void DrainTracker::arm(std::map<std::int32_t, std::int64_t> targets) {
  std::string where;
  for (const auto& [partition, offset] : targets) {
    where += (where.empty() ? "p" : ", p") + std::to_string(partition) + " " + std::to_string(offset);
  }
  {
    const std::lock_guard lock(mutex_);
    if (armed_) {
      return;  // once: progress() reads the targets without the lock
    }
    targets_ = std::move(targets);
    armed_.store(true, std::memory_order_release);
  }
  log::info("pipeline", "draining to the end offsets " + where);
}

void DrainTracker::progress(std::int32_t partition, std::int64_t next_offset) {
  if (!armed_.load(std::memory_order_acquire) || done_.load(std::memory_order_acquire)) {
    return;  // the common case, without the lock
  }
  // The targets do not change once armed (arm() is called once, before armed_ is set), so
  // a partition short of its target, every record of a drain but the last, needs no lock.
  const auto target = targets_.find(partition);
  if (target == targets_.end() || next_offset < target->second) {
    return;
  }
  const std::lock_guard lock(mutex_);
  if (done_) {
    return;
  }
  reached_.insert(partition);
  if (reached_.size() == targets_.size()) {
    done_.store(true, std::memory_order_release);
  }
}

void DrainTracker::rewound(std::int32_t partition) {
  const std::lock_guard lock(mutex_);
  if (!done_) {
    reached_.erase(partition);
  }
}

}  // namespace sfcrimed::detail
