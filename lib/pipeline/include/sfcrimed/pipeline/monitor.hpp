#pragma once
// The pipeline's monitor thread: every second it reads the calls topic's end offsets, the
// group's description (which member, of this instance or another, owns which partition)
// and, for partitions no thread here owns, what the group has committed, so that the lag
// of every partition is known and reported, owned or not; it tells the health monitor how
// much work waits for each thread and in partitions nobody owns; it reads the drain's end
// offsets when asked, and counts partitions other instances committed up to them towards
// the drain. It never blocks a consumer thread: a slow or failing cluster only makes its
// figures older.

#include <librdkafka/rdkafkacpp.h>

#include <cstdint>
#include <map>
#include <memory>
#include <stop_token>
#include <vector>

#include "sfcrimed/pipeline/shared.hpp"

namespace sfcrimed::detail {

class PartitionMonitor {
 public:
  // `threads`: the consumer threads' health parts, by index.
  PartitionMonitor(PipelineShared& shared, std::vector<Health::Part*> threads);
  ~PartitionMonitor();
  PartitionMonitor(const PartitionMonitor&) = delete;
  PartitionMonitor& operator=(const PartitionMonitor&) = delete;

  // Until `stop`; throws what makes the drain impossible (kafka::Unavailable).
  void run(const std::stop_token& stop);

 private:
  void read_end_offsets();
  void describe_group();
  void committed_elsewhere(const std::map<std::int32_t, std::int64_t>& committed);
  void refresh_metadata();
  void arm_drain(const std::stop_token& stop);
  void report(const std::vector<PartitionProgress>& lags);

  PipelineShared& shared_;
  // A member of no group, with the group's id: it reads what the group committed.
  std::unique_ptr<RdKafka::KafkaConsumer> offsets_;
  std::vector<Health::Part*> threads_;
  Health::Part& health_;       // the monitor's own calls
  Health::Part& unassigned_;   // records waiting in partitions no member of the group owns
  bool warned_ = false;        // a failing read is logged once, and its recovery
  bool group_warned_ = false;  // the same for the group's description
};

}  // namespace sfcrimed::detail
