#pragma once
// One consumer thread of the pipeline: its consumer (a member of the group), its
// transactional producer, and the window state of the partitions it owns. docs/pipeline.md
// tells the design; this file, the thread's loop and its rebalances.

#include <librdkafka/rdkafkacpp.h>

#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <stop_token>
#include <string>
#include <vector>

#include "pipeline_shared.hpp"
#include "sfcrimed/call_parser.hpp"
#include "sfcrimed/producer.hpp"
#include "sfcrimed/stats_topic.hpp"
#include "sfcrimed/window_state.hpp"

namespace sfcrimed::detail {

// Counts a thread keeps between flushes to Prometheus: shared counters per record would
// cost more than the rest of the record's work.
struct LocalCounts {
  std::uint64_t consumed = 0;
  std::uint64_t parsed = 0;
  std::uint64_t malformed = 0;
  std::uint64_t duplicate = 0;
  std::uint64_t late = 0;
  std::uint64_t aggregated = 0;
  std::vector<double> latency_buckets;
  double latency_sum = 0;

  // Back to zero, the buckets kept (their count is the histogram's).
  void clear();
};

class Worker final : public RdKafka::RebalanceCb {
 public:
  // `stop`: the pipeline's stop (a signal); the thread also stops when another fails.
  // It tells `health` of its progress and its calls to Kafka.
  Worker(PipelineShared& shared, int index, const std::stop_token& stop, Health::Part& health);

  // Consumes until stopped or drained; its work is then committed. Throws on a fatal error.
  void run();

  void rebalance_cb(RdKafka::KafkaConsumer* consumer, RdKafka::ErrorCode err,
                    std::vector<RdKafka::TopicPartition*>& partitions) override;

 private:
  using OpenWindows = PartitionWindows::OpenWindows;

  void connect();
  void poll_once(Clock::time_point& now);
  void finish();
  void handle(const RdKafka::Message& message);
  void dead_letter(const RdKafka::Message& message, std::string_view bytes);
  void measure_latency(const RdKafka::Message& message);
  bool commit(OpenWindows open);
  void transact(OpenWindows open);
  void committed(OpenWindows open);
  void emit(std::int32_t partition, PartitionWindows& state, OpenWindows open);
  void rewind(const std::string& why, bool abort = true);
  void forget_transaction();
  void take(const std::vector<std::int32_t>& partitions);
  void release(const std::vector<std::int32_t>& partitions, bool lost);
  std::map<std::int32_t, PartitionWindows> load_state(const std::vector<std::int32_t>& partitions);
  void seek_to_state();
  void publish(std::int32_t partition, const PartitionWindows& state);
  void forget_partition(std::int32_t partition);
  void flush_counts();
  void check_drain();
  [[nodiscard]] bool cooperative() const;

  // Runs `call` (one Kafka call, which may throw TransientError) under the health
  // monitor's eye, and again while the failure is transient, for kafka.unavailable_timeout.
  void kafka_call(const std::string& what, const std::function<void()>& call,
                  std::chrono::milliseconds timeout = kKafkaCallTimeout);
  // The same for a call of the transactional producer, on a thread of its own: one that
  // outlives its timeout by kOverrunGrace throws kafka::CallOverrun, and the producer
  // must be replaced (replace_producer()).
  void transaction_call(const std::string& what, const std::function<void(kafka::Producer&)>& call);
  void replace_producer(const std::string& why);

  PipelineShared& shared_;
  const int index_;
  const std::string name_;  // <group>.<topic>.<index>: client, transactional and member id
  std::stop_source stop_;   // the pipeline's stop, or another thread's failure
  std::stop_callback<std::function<void()>> on_stop_;
  std::stop_callback<std::function<void()>> on_failure_;
  kafka::RetryPolicy retry_;
  Health::Part& health_;
  // Shared with a call that overran its deadline, which may still be using it.
  std::shared_ptr<kafka::Producer> producer_;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
  std::map<std::int32_t, PartitionWindows> owned_;
  std::set<std::int32_t> changed_;                          // since the last commit
  std::map<std::int32_t, Clock::time_point> closed_since_;  // a window closed, not yet committed
  std::uint64_t records_in_transaction_ = 0;
  // What the open transaction has emitted, told once it commits.
  std::map<std::int32_t, std::vector<StatsEntry>> final_entries_;
  std::vector<StatsEntry> committed_entries_;  // every entry, when a listener wants them
  std::set<WallSeconds> emitted_windows_;
  std::uint64_t stats_messages_ = 0;
  std::exception_ptr callback_error_;  // from rebalance_cb, rethrown after consume()
  bool assigned_once_ = false;
  bool handled_since_check_ = false;
  CallParser parser_;
  CallView call_;
  std::string reason_;
  LocalCounts counts_;
  Clock::time_point last_commit_ = Clock::now();
  Clock::time_point last_emit_ = Clock::now();
  unsigned since_clock_check_ = 0;
};

}  // namespace sfcrimed::detail
