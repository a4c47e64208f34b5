#pragma once
// What the pipeline's threads (its consumer threads and its monitor) share: the
// configuration and the topics, the drain (drain.hpp), the partitions' owners and lags
// (partition_board.hpp), the report's counters, and the first fatal error. Every member
// that changes is thread-safe itself or guarded by the mutex or atomic next to it.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
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
#include "sfcrimed/pipeline/drain.hpp"
#include "sfcrimed/pipeline/partition_board.hpp"
#include "sfcrimed/producer.hpp"
#include "sfcrimed/radio_codes.hpp"
#include "sfcrimed/window_state.hpp"

namespace sfcrimed::detail {

using Clock = std::chrono::steady_clock;

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
  const std::string windows;
  const prometheus::Histogram::BucketBoundaries latency_bounds;
  int partitions = 0;                      // of the calls topic, known once run() has looked
  int stats_partitions = 0;                // of the stats topic, likewise
  std::unique_ptr<kafka::Producer> admin;  // creates topics, reads offsets

  // Retrying for as long as kafka.unavailable_timeout, stopping early on `stop` or a failure.
  [[nodiscard]] kafka::RetryPolicy retry_policy(const std::stop_token& stop) const;

  // The drain: requested (any thread, waking the monitor), armed with the end offsets to
  // reach (the monitor), done once every partition is there (the consumer threads).
  DrainTracker drain;
  void request_drain();
  // Who owns each calls-topic partition here, how far it is, and its lag.
  PartitionBoard board;

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
  mutable std::mutex error_mutex_;
  std::exception_ptr error_;
};

}  // namespace sfcrimed::detail
