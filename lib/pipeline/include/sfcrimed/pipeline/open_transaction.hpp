#pragma once
// What a pipeline thread's open transaction holds beyond the records themselves: what
// it changed and emitted, told once it commits (log, report, listeners, metrics) and
// forgotten if it aborts. Not thread-safe: one per pipeline thread.

#include <cstdint>
#include <map>
#include <set>
#include <vector>

#include "sfcrimed/pipeline/shared.hpp"
#include "sfcrimed/stats_topic.hpp"

namespace sfcrimed::detail {

struct OpenTransaction {
  std::set<std::int32_t> changed;                          // partitions read since the last commit
  std::map<std::int32_t, Clock::time_point> closed_since;  // a window closed, not committed yet
  std::uint64_t records = 0;
  std::map<std::int32_t, std::vector<StatsEntry>> final_entries;  // by partition, for the window log
  std::vector<StatsEntry> entries;                                // every entry, when kept for a listener
  std::set<WallSeconds> windows;                                  // the windows of every entry
  std::uint64_t stats_messages = 0;                               // shares written
  std::uint64_t stats_bytes = 0;                                  // their keys and values
  std::uint64_t state_bytes = 0;                                  // snapshots written

  // Something a commit would write, or an abort undo.
  [[nodiscard]] bool holds_work() const { return records > 0 || stats_messages > 0 || !changed.empty(); }
  // `out` went into the transaction for `partition`; `keep_entries` when a listener wants
  // them. Taken by value: the entries move on (they are a drain's largest allocations).
  void emitted(std::int32_t partition, std::vector<StatsEntry> out, bool keep_entries);
  void forget_partition(std::int32_t partition);
  void clear();
};

}  // namespace sfcrimed::detail
