#pragma once
// The stats topic's message format, and the totals `sfcrimed stats` reads out of it.
//
// The pipeline keeps its window state per partition of the calls topic (that is what
// makes it exact across threads, processes and crashes: see docs/pipeline.md), so each
// message holds one partition's share of one window: all of its counts, in one document.
//
//   key    ["2018-10-02T09:00:00",2]
//          (window start, calls-topic partition: a compact JSON array)
//   value  {"window_start":"2018-10-02T09:00:00","window_end":"2018-10-02T10:00:00",
//           "partition":2,"final":true,"calls":17,
//           "crime_types":{"Passing Call":8,"Traffic Stop":9},
//           "dispositions":{"HAN":{"description":"Handled","count":12},
//                           "XYZ":{"description":null,"count":5}}}
//          a disposition's description is the radio-code text, or null for a code the
//          table lacks (a left join); "calls" is the sum of the crime types' counts.
//
// The topic is compacted: the latest message per key is that share's truth (a whole
// document, never an increment), and a window's count is the sum of its shares over
// partitions. "final": true once the partition has closed the window (its watermark
// passed the window's end, or the partition went idle): the share will not change again.
//
// Besides the shares, each partition of the calls topic says how far it has closed its
// windows, in every partition of the stats topic (the windows stage's input, below):
//
//   key    ["progress",2]
//   value  {"partition":2,"closed_through":"2018-10-02T09:00:00","idle":false}
//          every window of the partition ending at or before closed_through is final (null:
//          none yet); idle: it has had no call for pipeline.idle_timeout.
//
// A window's shares all go to one partition of the stats topic (share_partition), so the
// windows stage can merge each window where it reads it.
//
// The windows topic (the windows stage's output) holds one message per window, the sum of
// its shares over every partition of the calls topic:
//
//   key    2018-10-02T09:00:00
//   value  {"window_start":"2018-10-02T09:00:00","window_end":"2018-10-02T10:00:00",
//           "final":true,"calls":17,"crime_types":{...},"dispositions":{...}}
//          as a share's, without "partition"; final once every partition has closed the
//          window (or is idle).
//
// Before this format each message held one count ("metric", "name", "count"); such a
// message is refused (kOldStatsFormat), never misread.

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "sfcrimed/record.hpp"

namespace sfcrimed {

enum class StatsMetric { crime_type, disposition };

// "crime_type" or "disposition".
std::string_view metric_name(StatsMetric metric);

// One count of one share: the unit the pipeline's state emits and the totals sum.
struct StatsEntry {
  StatsMetric metric = StatsMetric::crime_type;
  WallSeconds window_start = 0;
  WallSeconds window_end = 0;
  std::string name;  // the crime type, or the disposition code
  std::int32_t partition = 0;
  std::uint64_t count = 0;
  std::optional<std::string> description;  // dispositions only; nothing: not in the table
  bool final = false;
};

// The key of one count, unique over the stats topic's counts (the totals' bookkeeping).
std::string stats_key(const StatsEntry& entry);

// The message key and value of one share: `entries` are every count of one window of one
// partition (the same window_start, window_end, partition and final), as above.
std::string share_key(WallSeconds window_start, std::int32_t partition);
std::string share_value(std::span<const StatsEntry> entries);

// The counts a share's value holds, each with the share's window, partition and final;
// nothing when it is not a share (the reason in `why`; kOldStatsFormat for a message of
// the format before it).
// The partition of the stats topic that every share of the window starting at
// `window_start` goes to, of `stats_partitions`.
std::int32_t share_partition(WallSeconds window_start, std::int32_t stats_partitions);

// A calls partition's progress message (above).
struct PartitionClosure {
  static constexpr WallSeconds kNothingClosed = std::numeric_limits<WallSeconds>::min();
  std::int32_t partition = 0;
  WallSeconds closed_through = kNothingClosed;
  bool idle = false;
  bool operator==(const PartitionClosure&) const = default;
};
std::string progress_key(std::int32_t partition);
bool is_progress_key(std::string_view key);
std::string progress_value(const PartitionClosure& progress);
std::optional<PartitionClosure> parse_progress_value(std::string_view value, std::string& why);

// A merged window's key and value in the windows topic (above); `entries` are its counts,
// their partition ignored.
std::string window_key(WallSeconds window_start);
std::string window_value(std::span<const StatsEntry> entries);

std::optional<std::vector<StatsEntry>> parse_share_value(std::string_view value, std::string& why);
inline constexpr std::string_view kOldStatsFormat =
    "a message of the old stats format (one count per message, with \"metric\"), written by an older sfcrimed";

// Calls `each` with every share of `entries`: the runs of entries of one window and partition.
template <typename Each>
void for_each_share(std::span<const StatsEntry> entries, Each each) {
  std::size_t from = 0;
  for (std::size_t i = 1; i <= entries.size(); ++i) {
    if (i == entries.size() || entries[i].window_start != entries[from].window_start ||
        entries[i].partition != entries[from].partition) {
      each(entries.subspan(from, i - from));
      from = i;
    }
  }
}

// A stats topic written in the old format: what it is and what to do, for every reader.
class OldStatsFormat : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
// What OldStatsFormat says of a message of the old format at `partition` and `offset` of
// `topic`: what it is and what to do.
std::string old_stats_format(const std::string& topic, std::int32_t partition, std::int64_t offset);

// The dead-letter topic's header with why a call is there, and its value for a call that
// came after its window had closed (any other value says why the call is malformed).
inline constexpr std::string_view kReasonHeader = "sfcrimed.reason";
inline constexpr std::string_view kLateReason = "late";

// What `sfcrimed stats` prints, and the live page shows: the latest value per key, summed
// over partitions. The sums are kept as messages come, so reading them costs nothing
// however many windows there are.
class StatsTotals {
 public:
  // One message of the stats topic, in topic order (a later one replaces an earlier one
  // with the same key, whole). Returns false, with the reason, for a value that is not a share.
  bool add(std::string_view key, std::string_view value, std::string& why);
  // One share, as the pipeline commits it: it replaces the share of its window and partition.
  void add_share(std::span<const StatsEntry> share);
  // Messages in the dead-letter topic: malformed, and late (kLateReason).
  void set_malformed(std::uint64_t count) { malformed_ = count; }
  void set_late(std::uint64_t count) { late_ = count; }

  struct Disposition {
    std::optional<std::string> description;
    std::uint64_t count = 0;
  };
  struct WindowCount {
    WallSeconds start = 0;
    WallSeconds end = 0;
    std::string crime_type;
    std::uint64_t count = 0;
  };
  // One window's calls, in all and per crime type.
  struct Window {
    WallSeconds end = 0;
    std::uint64_t calls = 0;
    std::map<std::string, std::uint64_t, std::less<>> crime_types;
  };
  [[nodiscard]] std::uint64_t calls() const { return calls_; }  // distinct calls counted
  [[nodiscard]] const std::map<std::string, std::uint64_t, std::less<>>& crime_types() const { return crime_types_; }
  [[nodiscard]] const std::map<std::string, Disposition, std::less<>>& dispositions() const { return dispositions_; }
  [[nodiscard]] const std::map<WallSeconds, Window>& by_window() const { return windows_; }  // by start
  [[nodiscard]] std::vector<WindowCount> windows() const;  // by start, then crime type
  [[nodiscard]] std::uint64_t malformed() const { return malformed_; }
  [[nodiscard]] std::uint64_t late() const { return late_; }

  // Exactly one JSON object, on one line:
  // {"calls":N,"crime_types":{...},"dispositions":{"HAN":{"description":"Handled","count":N},...},
  //  "malformed":N,"late":N[,"windows":[{"start":"...","end":"...","crime_type":"...","count":N},...]]}
  [[nodiscard]] std::string to_json(bool with_windows) const;
  // Readable tables: the `top` largest crime types and dispositions, and the totals.
  [[nodiscard]] std::string to_tables(std::size_t top, bool with_windows) const;

 private:
  // Adds (+1) or takes back (-1) one entry's count in the sums.
  void count(const StatsEntry& entry, int sign);
  void forget(std::string_view share_key);  // a share and its counts
  void forget_count(std::string_view key);  // one count (stats_key)
  void add(const StatsEntry& entry);

  std::map<std::string, StatsEntry, std::less<>> latest_;                // by stats_key
  std::map<std::string, std::vector<std::string>, std::less<>> shares_;  // share_key: its counts' keys
  std::uint64_t calls_ = 0;
  std::map<std::string, std::uint64_t, std::less<>> crime_types_;
  std::map<std::string, Disposition, std::less<>> dispositions_;
  std::map<WallSeconds, Window> windows_;
  std::uint64_t malformed_ = 0;
  std::uint64_t late_ = 0;
};

// The names of `counts`, largest count first and ties by name; at most `top` (0: all).
template <typename Map, typename CountOf>
std::vector<typename Map::const_iterator> largest_first(const Map& counts, std::size_t top, CountOf count_of) {
  std::vector<typename Map::const_iterator> order;
  order.reserve(counts.size());
  for (auto it = counts.begin(); it != counts.end(); ++it) {
    order.push_back(it);
  }
  // The map is in name order already, so a stable sort by count keeps ties by name.
  std::stable_sort(order.begin(), order.end(),
                   [&](const auto& a, const auto& b) { return count_of(a->second) > count_of(b->second); });
  if (top != 0 && order.size() > top) {
    order.resize(top);
  }
  return order;
}

}  // namespace sfcrimed
