#pragma once
// The windows stage's state for one partition of the stats topic: every window whose
// shares go there (share_partition), the sum of its shares over the calls topic's
// partitions, and whether every partition has closed it yet, from their progress
// messages (stats_topic.hpp has the formats). No Kafka: the pipeline's merge thread
// feeds it the stats topic's messages in order and writes what take_changed() returns.
//
// A window is final once every partition of the calls topic has closed it or is idle
// (pipeline.idle_timeout), and stays final: a partition that wakes from idle with a call
// for a window already final elsewhere (the call is not late by its own watermark)
// changes the window's counts, and the window is written again, still final. The latest
// message per window is the truth either way.
//
// Not thread-safe: it belongs to one merge thread.

#include <cstdint>
#include <map>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sfcrimed/stats_topic.hpp"

namespace sfcrimed {

class WindowMerge {
 public:
  explicit WindowMerge(std::int32_t calls_partitions);

  // One message of the stats topic, in offset order: a share replaces that partition's
  // share of its window (a tombstone removes it), a progress message that partition's
  // progress. With `announce` false what it changes is not for take_changed() (the
  // messages before the committed offset, whose merged windows are out already).
  // `written_ms`: the message's Kafka timestamp (0: unknown), for the windows it makes
  // final. False, with the reason, for a message that is neither; kOldStatsFormat's
  // reason for the old format.
  bool add(std::string_view key, std::string_view value, std::string& why, bool announce = true,
           std::int64_t written_ms = 0);

  struct Merged {
    WallSeconds window_start = 0;
    bool final = false;
    bool became_final = false;        // final since the last take_changed(), not before
    std::int64_t final_since_ms = 0;  // became_final: the Kafka timestamp of the message that made it so
    std::vector<StatsEntry> counts;
    std::string key;    // window_key
    std::string value;  // window_value
  };
  // Every window changed (or made final) since the last call, merged, by window start.
  std::vector<Merged> take_changed();

  [[nodiscard]] std::size_t windows() const { return windows_.size(); }
  [[nodiscard]] std::size_t open_windows() const { return open_.size(); }

 private:
  struct Window {
    WallSeconds end = 0;
    bool final = false;
    std::map<std::int32_t, std::vector<StatsEntry>> shares;  // by calls partition
  };

  void add_share(std::vector<StatsEntry> share, bool announce, std::int64_t written_ms);
  void forget_share(std::string_view key, bool announce);
  // Every window ending at or before what all partitions have closed becomes final.
  void close_windows(bool announce, std::int64_t written_ms);
  [[nodiscard]] WallSeconds closed_by_all() const;
  [[nodiscard]] static std::vector<StatsEntry> merged(WallSeconds start, const Window& window);

  std::int32_t calls_partitions_;
  std::map<WallSeconds, Window> windows_;  // by start
  std::set<WallSeconds> open_;             // the starts of windows not final yet
  std::set<WallSeconds> changed_;
  std::map<WallSeconds, std::int64_t> became_final_;  // start: final_since_ms
  std::map<std::int32_t, PartitionClosure> progress_;
};

}  // namespace sfcrimed
