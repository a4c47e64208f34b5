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

// What `sfcrimed stats` prints: the latest value per key, summed over partitions.
class StatsTotals {
 public:
  // One message of the stats topic, in topic order (a later one replaces an earlier one
  // with the same key). Returns false, with the reason, for a value that is not a stats entry.
  bool add(std::string_view key, std::string_view value, std::string& why);
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
  [[nodiscard]] std::uint64_t calls() const;  // distinct calls counted: the crime-type counts' sum
  [[nodiscard]] std::map<std::string, std::uint64_t> crime_types() const;
  [[nodiscard]] std::map<std::string, Disposition> dispositions() const;
  [[nodiscard]] std::vector<WindowCount> windows() const;  // by start, then crime type
  [[nodiscard]] std::uint64_t malformed() const { return malformed_; }

  // Exactly one JSON object, on one line:
  // {"calls":N,"crime_types":{...},"dispositions":{"HAN":{"description":"Handled","count":N},...},
  //  "malformed":N[,"windows":[{"start":"...","end":"...","crime_type":"...","count":N},...]]}
  [[nodiscard]] std::string to_json(bool with_windows) const;
  // Readable tables: the `top` largest crime types and dispositions, and the totals.
  [[nodiscard]] std::string to_tables(std::size_t top, bool with_windows) const;

 private:
  std::map<std::string, StatsEntry, std::less<>> latest_;  // by message key
  std::uint64_t malformed_ = 0;
};

}  // namespace sfcrimed
