#pragma once
// The log's view of closed windows: one readable line per window once every partition of
// the calls topic has closed it, merging the partitions' shares (the pipeline's state is
// per partition, so each share closes on its own partition's watermark).
//
//   window 2018-10-02T09:00:00 to 10:00:00 closed: 95 calls; crime types: Traffic Stop 12,
//   Passing Call 9, ... (41 in all); dispositions: HAN 40 Handled, Not recorded 12, ...

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "sfcrimed/stats_topic.hpp"

namespace sfcrimed {

class WindowLog {
 public:
  // `partitions`: of the calls topic; `top`: names listed per metric.
  WindowLog(int partitions, std::size_t top = 5);

  // A partition's final counts of the windows it closed (stats entries with final set; the
  // others are ignored) and how far it has closed. Returns the lines of the windows every
  // partition has now closed, oldest first. Safe to call from any thread.
  std::vector<std::string> report(std::int32_t partition, WallSeconds closed_through,
                                  const std::vector<StatsEntry>& entries);

 private:
  struct Window {
    WallSeconds end = 0;
    std::map<std::string, std::uint64_t> crime_types;
    std::map<std::string, std::pair<std::uint64_t, std::string>> dispositions;  // count, description
  };
  [[nodiscard]] std::string line(WallSeconds start, const Window& window) const;

  std::mutex mutex_;
  std::vector<WallSeconds> closed_through_;  // per partition
  std::map<WallSeconds, Window> pending_;    // by start, waiting for every partition
  std::size_t top_;
};

}  // namespace sfcrimed
