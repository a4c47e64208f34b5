#pragma once
// The statistics pipeline: pipeline.threads consumer threads in one consumer group, each
// owning the window state of the calls-topic partitions assigned to it. Per record: parse
// (malformed ones to the dead-letter topic, with the reason in headers), deduplicate,
// count in its window. Every pipeline.commit_interval each thread commits one Kafka
// transaction holding its stats messages, its dead letters, a snapshot of each changed
// partition's state (to the compacted state topic) and its consumer offsets, so a crash
// at any moment loses and doubles nothing: a restarted pipeline resumes from the last
// committed snapshots. docs/pipeline.md tells the whole design.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <vector>

#include "sfcrimed/config.hpp"
#include "sfcrimed/health.hpp"
#include "sfcrimed/metrics.hpp"
#include "sfcrimed/radio_codes.hpp"
#include "sfcrimed/stats_topic.hpp"

namespace sfcrimed {

namespace detail {
class PipelineShared;  // what the pipeline's threads share (lib/pipeline/src/pipeline.cpp)
}

// Another process joined the group with this one's instance name (pipeline.instance) and
// took over a thread's ids: Kafka fenced this one. A configuration error (exit 78), not
// Kafka failing: each instance of a group needs its own name.
class InstanceClash : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct PipelineReport {
  std::uint64_t consumed = 0;
  std::uint64_t malformed = 0;
  std::uint64_t duplicates = 0;
  std::uint64_t late = 0;
  std::uint64_t windows_emitted = 0;  // distinct windows whose counts went to the stats topic
  double seconds = 0;                 // from the first record consumed to the end
  bool drained = false;               // false: stopped before the drain's end offsets

  [[nodiscard]] double rate() const { return seconds > 0 ? static_cast<double>(consumed) / seconds : 0; }
  // The "pipeline" part of the --drain summary line: {"consumed":...,"rate":...}
  [[nodiscard]] std::string to_json() const;
};

// One calls-topic partition: who reads it here and how far behind its end it is.
struct PartitionProgress {
  std::int32_t partition = 0;
  std::optional<int> owner;  // the pipeline thread that owns it; nothing: no thread here does
  // The member of the group that owns it, here or in another instance: <instance>.<thread>,
  // as the group coordinator last described the group; empty: none (or not described yet).
  std::string member;
  std::int64_t end = -1;  // its end offset; -1: not read yet
  std::int64_t lag = 0;   // records behind the end: from the owner's last commit, or the group's

  // No thread here and no member of the group owns it: nobody reads it.
  [[nodiscard]] bool unowned() const { return !owner && member.empty(); }
};

// The pipeline's progress since an earlier reading, the figures of Spark's progress
// reports and more: progress_line() logs it, the live page shows it.
struct PipelineProgress {
  double input_rate = 0;      // records/s arriving in the calls topic (its end offsets)
  double processed_rate = 0;  // records/s consumed
  std::int64_t lag = 0;       // records behind the end offsets, over all partitions
  // Every partition of the calls topic, owned or not: a partition nobody reads shows.
  std::vector<PartitionProgress> partitions;
  // End-to-end latency quantiles, seconds: the upper bound of the histogram bucket they
  // fall in (infinity beyond the last); nothing when no call was applied since.
  std::optional<double> latency_p50;
  std::optional<double> latency_p99;
  std::size_t open_windows = 0;
  // Since the start of this run.
  std::uint64_t consumed = 0;
  std::uint64_t malformed = 0;
  std::uint64_t duplicates = 0;
  std::uint64_t late = 0;

  // A reading is measured from the reader's own mark, which it then moves to now.
  struct Mark {
    std::chrono::steady_clock::time_point time = std::chrono::steady_clock::now();
    double consumed = 0;
    std::int64_t end_sum = -1;                // unknown before the first reading
    std::vector<std::uint64_t> latency = {};  // cumulative bucket counts
  };
};

class Pipeline {
 public:
  // Loads the radio-code table (throws RadioCodesError). Each thread reports to `health`.
  Pipeline(const Config& config, Metrics& metrics, Health& health);
  ~Pipeline();
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  // Creates the topics it writes when missing, then runs the threads until `stop` is
  // requested or, after drain_to_current_end(), until every partition is consumed to the
  // end offsets seen then (every window flushed to the stats topic). What a failover
  // makes transient is retried for kafka.unavailable_timeout; then it throws
  // kafka::Unavailable. Throws std::runtime_error when Kafka cannot be used at all; a
  // thread's fatal error stops them all.
  PipelineReport run(const std::stop_token& stop);

  // Threads that have had their first share of the partitions from the consumer group
  // and loaded its committed state (a thread with more threads than partitions gets an
  // empty share, which counts too): pipeline.threads of them means the pipeline works.
  [[nodiscard]] int threads_assigned() const;

  // Drain mode: finish once the calls topic is consumed to its current end (its end
  // offsets as the pipeline's monitor reads them next, right away). Any thread; returns
  // at once.
  void drain_to_current_end();

  // The progress since `since`, which moves to now. Any thread, with its own mark.
  PipelineProgress progress(PipelineProgress::Mark& since) const;

  // "input 1000.0 rows/s, processed 998.7 rows/s, lag 12, p99 latency 0.011 s, ..." since
  // the last call, like Spark's progress reports.
  std::string progress_line();

  // Called from the pipeline's threads with the stats entries of each transaction once it
  // has committed (what the stats topic now holds); set before run().
  using StatsListener = std::function<void(const std::vector<StatsEntry>&)>;
  void on_committed_stats(StatsListener listener);

 private:
  std::unique_ptr<detail::PipelineShared> shared_;
};

}  // namespace sfcrimed
