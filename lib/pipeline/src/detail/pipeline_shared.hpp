#pragma once
// What the pipeline's threads (its consumer threads and its monitor) share: the
// configuration and the topics, the drain, who owns which partition and how far each is,
// the report's counters, and the first fatal error. Every member that changes is
// guarded by the mutex or atomic next to it.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stop_token>
#include <string>
#include <vector>

#include "sfcrimed/config.hpp"
#include "sfcrimed/health.hpp"
#include "sfcrimed/kafka_retry.hpp"
#include "sfcrimed/metrics.hpp"
#include "sfcrimed/pipeline.hpp"
#include "sfcrimed/producer.hpp"
#include "sfcrimed/radio_codes.hpp"
#include "sfcrimed/window_log.hpp"
#include "sfcrimed/window_state.hpp"

namespace sfcrimed::detail {

using Clock = std::chrono::steady_clock;

// How long one Kafka call of the pipeline may take before it counts as failed (and, if
// transient, is tried again): the topics' set-up and a read of the state topic, whose
// snapshots can be large.
inline constexpr std::chrono::milliseconds kKafkaCallTimeout = std::chrono::seconds(30);
// The same for a call of a transactional producer: about a coordinator's move (a broker's
// session with the controller is 9 s); a call that times out is made again.
inline constexpr std::chrono::milliseconds kTransactionCallTimeout = std::chrono::seconds(10);

class PipelineShared {
 public:
  PipelineShared(const Config& config_in, Metrics& metrics_in, Health& health_in);

  const Config& config;
  Metrics& metrics;
  Health& health;
  const RadioCodes codes;
  const WindowSpec spec;
  const std::string dlq;
  const std::string stats;
  const std::string state;
  const prometheus::Histogram::BucketBoundaries latency_bounds;
  int partitions = 0;  // of the calls topic, known once run() has looked
  std::unique_ptr<WindowLog> window_log;
  std::unique_ptr<kafka::Producer> admin;  // creates topics, reads offsets

  // Retrying for as long as kafka.unavailable_timeout, stopping early on `stop` or a failure.
  [[nodiscard]] kafka::RetryPolicy retry_policy(const std::stop_token& stop) const;

  // The drain: requested (any thread), then armed with the end offsets to reach (the
  // monitor), then done once every partition is there (the consumer threads).
  void request_drain();
  [[nodiscard]] bool drain_wanted() const;  // requested, not armed yet
  void arm_drain(std::map<std::int32_t, std::int64_t> targets);
  // A partition's next offset; finishes the drain once every partition is there.
  void drain_progress(std::int32_t partition, std::int64_t next_offset);
  // A partition rewound to its last commit is not at its target any more.
  void drain_rewound(std::int32_t partition);
  std::atomic<bool> drained{false};

  // Who owns each calls-topic partition here and how far its committed state goes.
  struct Owned {
    int thread = 0;
    std::int64_t next_offset = 0;  // as of its owner's last commit
    std::size_t open_windows = 0;
  };
  void owned(std::int32_t partition, const Owned& owned);
  void released(std::int32_t partition);
  // Each partition's end offset, as the monitor last read it.
  void set_end_offsets(const std::map<std::int32_t, std::int64_t>& ends);

  // Lag of every partition (the monitor's latest reading, see update_lags()).
  [[nodiscard]] std::vector<PartitionProgress> lags() const;
  // Works the lags out from the end offsets read and the owners' positions; for a
  // partition no thread here owns, from what the group last committed (`committed`).
  std::vector<PartitionProgress> update_lags(const std::map<std::int32_t, std::int64_t>& committed);
  [[nodiscard]] std::vector<std::int32_t> unowned() const;
  [[nodiscard]] std::int64_t end_sum() const;  // -1 before the first reading
  [[nodiscard]] std::size_t open_windows() const;

  // Threads that have taken their first assignment (their partitions' state loaded).
  std::atomic<int> threads_assigned{0};

  // The report, across threads.
  std::atomic<std::uint64_t> consumed{0};
  std::atomic<std::uint64_t> malformed{0};
  std::atomic<std::uint64_t> duplicates{0};
  std::atomic<std::uint64_t> late{0};
  std::mutex windows_mutex;
  std::set<WallSeconds> windows_emitted;
  std::mutex clock_mutex;
  std::optional<Clock::time_point> first_record;
  Pipeline::StatsListener stats_listener;     // set before run()
  PipelineProgress::Mark progress_line_mark;  // progress_line()'s

  // The first fatal error of any thread stops them all.
  std::stop_source failed;
  void fail(std::exception_ptr e);
  [[nodiscard]] std::exception_ptr error() const;

  // Wakes the monitor (a drain was requested, or it is time to stop).
  std::mutex wake_mutex;
  std::condition_variable_any wake;

 private:
  mutable std::mutex drain_mutex_;
  bool drain_requested_ = false;
  std::map<std::int32_t, std::int64_t> drain_targets_;
  std::set<std::int32_t> drain_reached_;
  std::atomic<bool> drain_armed_{false};

  mutable std::mutex partitions_mutex_;
  std::map<std::int32_t, Owned> owned_;
  std::map<std::int32_t, std::int64_t> ends_;
  std::vector<PartitionProgress> lags_;

  mutable std::mutex error_mutex_;
  std::exception_ptr error_;
};

}  // namespace sfcrimed::detail
