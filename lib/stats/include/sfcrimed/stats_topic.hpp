#pragma once
// The stats topic's message format, and the totals `sfcrimed stats` reads out of it.
//
// The pipeline keeps its window state per partition of the calls topic (that is what
// makes it exact across threads, processes and crashes: see docs/pipeline.md), so each
// message carries one partition's share of one count:
//
//   key    ["crime_type","2018-10-02T09:00:00","Traffic Stop",2]
//          (metric, window start, name, calls-topic partition: a compact JSON array)
//   value  {"metric":"crime_type","window_start":"2018-10-02T09:00:00",
//           "window_end":"2018-10-02T10:00:00","name":"Traffic Stop","partition":2,
//           "count":17,"final":true}
//          dispositions add "description": the radio-code text, or null for a code the
//          table lacks (a left join).
//
// The topic is compacted: the latest message per key is that share's truth, and a
// window's count is the sum of its shares over partitions. "final": true once the
// watermark has passed the window's end (the count will not change again).

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sfcrimed/record.hpp"

namespace sfcrimed {

enum class StatsMetric { crime_type, disposition };

// "crime_type" or "disposition".
std::string_view metric_name(StatsMetric metric);

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

// The message key and value of `entry`, as above.
std::string stats_key(const StatsEntry& entry);
std::string stats_value(const StatsEntry& entry);

// The entry a stats message value holds; nothing when it is not one (the reason in `why`).
std::optional<StatsEntry> parse_stats_value(std::string_view value, std::string& why);

// What `sfcrimed stats` prints, and the live page shows: the latest value per key, summed
// over partitions. The sums are kept as messages come, so reading them costs nothing
// however many windows there are.
class StatsTotals {
 public:
  // One message of the stats topic, in topic order (a later one replaces an earlier one
  // with the same key). Returns false, with the reason, for a value that is not a stats entry.
  bool add(std::string_view key, std::string_view value, std::string& why);
  // One entry, as the pipeline commits it (its key is stats_key(entry)).
  void add(const StatsEntry& entry);
  // Messages in the dead-letter topic.
  void set_malformed(std::uint64_t count) { malformed_ = count; }

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

  // Exactly one JSON object, on one line:
  // {"calls":N,"crime_types":{...},"dispositions":{"HAN":{"description":"Handled","count":N},...},
  //  "malformed":N[,"windows":[{"start":"...","end":"...","crime_type":"...","count":N},...]]}
  [[nodiscard]] std::string to_json(bool with_windows) const;
  // Readable tables: the `top` largest crime types and dispositions, and the totals.
  [[nodiscard]] std::string to_tables(std::size_t top, bool with_windows) const;

 private:
  // Adds (+1) or takes back (-1) one entry's count in the sums.
  void count(const StatsEntry& entry, int sign);
  void forget(std::string_view key);

  std::map<std::string, StatsEntry, std::less<>> latest_;  // by message key
  std::uint64_t calls_ = 0;
  std::map<std::string, std::uint64_t, std::less<>> crime_types_;
  std::map<std::string, Disposition, std::less<>> dispositions_;
  std::map<WallSeconds, Window> windows_;
  std::uint64_t malformed_ = 0;
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
