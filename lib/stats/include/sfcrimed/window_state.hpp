#pragma once
// The pipeline's state for one partition of the calls topic: tumbling event-time windows
// of calls per crime type and per disposition, the watermark, and the crime_ids seen
// within it (deduplication). One partition's state depends only on that partition's
// records in offset order, so the counts are the same whichever thread or process owns
// the partition, and after a restart from a snapshot (docs/pipeline.md).
//
// Event time is call_date_time as written (WallSeconds); windows are [start, start +
// size) aligned on multiples of `size` since 1970-01-01T00:00, so hourly windows start
// on the hours as written. The watermark is the latest event time seen minus the allowed
// lateness; a window closes when the watermark passes its end, and a record whose window
// has closed is late: counted as such, never in a window.

#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "sfcrimed/call_parser.hpp"
#include "sfcrimed/radio_codes.hpp"
#include "sfcrimed/stats_topic.hpp"

namespace sfcrimed {

struct WindowSpec {
  WallSeconds size = 3600;
  WallSeconds allowed_lateness = 3600;
};

// What became of one call.
enum class Applied { counted, duplicate, late };

// A state snapshot that cannot be read back; the message says what is wrong.
class SnapshotError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class PartitionWindows {
 public:
  static constexpr WallSeconds kNever = std::numeric_limits<WallSeconds>::min();

  PartitionWindows(std::int32_t partition, WindowSpec spec);

  // Applies one well-formed call (which must stay valid only for the call).
  Applied apply(const CallView& call);

  // The offset of the next record to apply (the consumer's position for this partition).
  [[nodiscard]] std::int64_t next_offset() const { return next_offset_; }
  void set_next_offset(std::int64_t offset) { next_offset_ = offset; }

  // The stats messages due, each window's counts together (one share): every window
  // closed since the last call (final), then the open windows with a count changed since
  // they were last emitted when `open` is changed_only, or all of them when it is all. Closed windows are forgotten
  // afterwards. `codes` describes dispositions (a left join: no description when the
  // table lacks the code).
  enum class OpenWindows { none, changed_only, all };
  std::vector<StatsEntry> take_emissions(OpenWindows open, const RadioCodes& codes);

  // Closes every open window as if the watermark had passed it: the partition has had no
  // call for pipeline.idle_timeout. A call for one of them afterwards is late.
  void close_open_windows();

  // Everything above as one JSON text, and back; restore() throws SnapshotError.
  [[nodiscard]] std::string snapshot() const;
  static PartitionWindows restore(std::string_view snapshot, WindowSpec spec);

  [[nodiscard]] std::int32_t partition() const { return partition_; }
  [[nodiscard]] WallSeconds watermark() const;
  // Every window that ends at or before this has closed (kNever before the first call).
  [[nodiscard]] WallSeconds closed_through() const { return closed_through_; }
  [[nodiscard]] std::size_t open_windows() const { return open_.size(); }
  // Counts and remembered crime_ids held: what the state's memory grows with.
  [[nodiscard]] std::size_t entries() const;

 private:
  struct Count {
    std::uint64_t count = 0;
    std::uint64_t emitted = 0;  // the count last written to the stats topic
  };
  // Looks names up by string_view without building a std::string per call.
  struct NameHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view name) const { return std::hash<std::string_view>{}(name); }
  };
  using Counts = std::unordered_map<std::string, Count, NameHash, std::equal_to<>>;
  struct Window {
    Counts crime_types;
    Counts dispositions;
    std::vector<std::string> crime_ids;  // forgotten with the window
  };

  void close_windows_before(WallSeconds boundary);
  static bool changed(const Window& window);
  void emit(std::vector<StatsEntry>& out, WallSeconds start, const Window& window, bool final, bool changed_only,
            const RadioCodes& codes) const;

  std::int32_t partition_;
  WindowSpec spec_;
  std::int64_t next_offset_ = 0;
  WallSeconds max_time_ = kNever;
  WallSeconds closed_through_ = kNever;
  std::map<WallSeconds, Window> open_;    // by window start
  std::map<WallSeconds, Window> closed_;  // closed, final counts not emitted yet
  std::unordered_set<std::string, NameHash, std::equal_to<>> seen_;
};

// The start of the window holding `time`.
WallSeconds window_start(WallSeconds time, WallSeconds size);

}  // namespace sfcrimed
