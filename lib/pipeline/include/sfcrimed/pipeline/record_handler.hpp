#pragma once
// What one record of the calls topic does to its partition's state, with no Kafka in it:
// parsed, then counted into its window, or dropped as a duplicate or as late; or, if it
// is not a call, sent to the dead letters with the reason. And the counts a thread keeps
// of it. Not thread-safe: one per pipeline thread.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sfcrimed/call_parser.hpp"
#include "sfcrimed/window_state.hpp"

namespace sfcrimed::detail {

enum class Outcome { malformed, counted, duplicate, late };

// Counts a thread keeps between flushes to Prometheus: shared counters per record would
// cost more than the rest of the record's work.
struct LocalCounts {
  std::uint64_t consumed = 0;
  std::uint64_t parsed = 0;
  std::uint64_t malformed = 0;
  std::uint64_t duplicate = 0;
  std::uint64_t late = 0;
  std::uint64_t aggregated = 0;
  std::vector<double> latency_buckets;  // one per bound, and one above them
  double latency_sum = 0;

  // `bucket_bounds`: the latency histogram's upper bounds, in seconds.
  explicit LocalCounts(const std::vector<double>& bucket_bounds);
  void count(Outcome outcome);
  // A record that took `seconds` from its producer to here.
  void observe_latency(double seconds);
  // Back to zero, the buckets kept (their count is the histogram's).
  void clear();

 private:
  std::vector<double> bounds_;
};

class RecordHandler {
 public:
  // Applies the call in `value` to `state` (a record of its partition, not applied yet).
  Outcome handle(std::string_view value, PartitionWindows& state);
  // Why the last malformed record is not a call.
  [[nodiscard]] const std::string& reason() const { return reason_; }

 private:
  CallParser parser_;
  CallView call_;
  std::string reason_;
};

}  // namespace sfcrimed::detail
