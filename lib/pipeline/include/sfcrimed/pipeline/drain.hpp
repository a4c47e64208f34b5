#pragma once
// The drain (`--drain`, Pipeline::drain_to_current_end()): asked for by anyone, armed by
// the monitor with every partition's end offset as it read them, and done once each
// partition's position has reached its target. Thread-safe: the consumer threads report
// their positions, the monitor arms it, any thread asks for it.

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>

namespace sfcrimed::detail {

class DrainTracker {
 public:
  // Asked for; the monitor reads the targets next (wanted() says so until armed).
  void request();
  [[nodiscard]] bool wanted() const;  // requested, not armed yet
  // The end offsets to reach, one per partition of the calls topic; once (a second call
  // is ignored).
  void arm(std::map<std::int32_t, std::int64_t> targets);
  // `partition` is read up to `next_offset`; the drain is done once every partition is
  // at its target; a partition without one is ignored. Cheap (no lock) unless the
  // partition has just reached its target.
  void progress(std::int32_t partition, std::int64_t next_offset);
  // `partition` went back to its last commit: not at its target any more, unless the
  // drain is done already.
  void rewound(std::int32_t partition);
  [[nodiscard]] bool done() const { return done_.load(std::memory_order_acquire); }

 private:
  mutable std::mutex mutex_;
  bool requested_ = false;
  std::map<std::int32_t, std::int64_t> targets_;
  std::set<std::int32_t> reached_;
  std::atomic<bool> armed_{false};
  std::atomic<bool> done_{false};
};

}  // namespace sfcrimed::detail
