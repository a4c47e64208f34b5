#include "sfcrimed/pipeline/monitor.hpp"

#include <mutex>

#include "sfcrimed/client_settings.hpp"
#include "sfcrimed/kafka_admin.hpp"
#include "sfcrimed/log.hpp"

namespace sfcrimed::detail {
namespace {

constexpr std::chrono::seconds kInterval{1};
// One reading's requests: a leader that does not answer makes this reading older, not later.
constexpr std::chrono::seconds kReadTimeout{5};

}  // namespace

PartitionMonitor::PartitionMonitor(PipelineShared& shared, std::vector<Health::Part*> threads)
    : shared_(shared),
      offsets_(kafka::offsets_reader(group_offsets_reader_settings(
          shared.config, shared.config.pipeline.group + ".monitor", shared.config.pipeline.group))),
      threads_(std::move(threads)),
      health_(shared.health.add("pipeline monitor")),
      unassigned_(shared.health.add("pipeline partitions")) {}

PartitionMonitor::~PartitionMonitor() { offsets_->close(); }

void PartitionMonitor::run(const std::stop_token& stop) {
  while (!stop.stop_requested()) {
    if (shared_.drain.wanted()) {
      arm_drain(stop);
    }
    try {
      read_end_offsets();
      describe_group();
      std::map<std::int32_t, std::int64_t> committed;
      if (!shared_.board.unowned(shared_.partitions).empty()) {
        const auto in_call = health_.call("reading the group's committed offsets", Clock::now() + kReadTimeout);
        committed = kafka::committed_offsets(*offsets_, shared_.config.kafka.topic, shared_.partitions, kReadTimeout);
        committed_elsewhere(committed);
      }
      report(shared_.board.update_lags(shared_.partitions, committed));
      if (std::exchange(warned_, false)) {
        log::notice("pipeline", "the monitor reads the calls topic's offsets again");
      }
    } catch (const std::exception& e) {
      refresh_metadata();
      if (!std::exchange(warned_, true)) {
        log::warning("pipeline", std::string("the monitor cannot read the calls topic's offsets (") + e.what() +
                                     "): the lag it reports stays as last read until it can");
      }
    }
    std::unique_lock lock(shared_.wake_mutex);
    shared_.wake.wait_for(lock, stop, kInterval, [&] { return shared_.drain.wanted(); });
  }
}

void PartitionMonitor::read_end_offsets() {
  const auto in_call = health_.call("reading the calls topic's end offsets", Clock::now() + kReadTimeout);
  const auto ends =
      kafka::list_offsets(shared_.admin->handle(), shared_.config.kafka.topic, shared_.partitions, kReadTimeout);
  shared_.board.set_end_offsets(ends.offsets);
  ends.check("reading the end offsets of '" + shared_.config.kafka.topic + "'");  // said once, kept as read
}

// Who owns what in the whole group: each member's static id is
// <group>.<topic>.<instance>.<thread> (pipeline_member()), shown as <instance>.<thread>.
// A group that cannot be described (a coordinator moving; an ACL without Describe on the
// group) keeps its last description: said once, and its recovery.
void PartitionMonitor::describe_group() {
  const std::string& group = shared_.config.pipeline.group;
  std::vector<kafka::GroupMember> members;
  try {
    const auto in_call = health_.call("describing the consumer group", Clock::now() + kReadTimeout);
    members = kafka::describe_group(*offsets_, group, shared_.config.kafka.topic, kReadTimeout);
  } catch (const std::exception& e) {
    if (!std::exchange(group_warned_, true)) {
      log::warning("pipeline", std::string("the monitor cannot describe the group (") + e.what() +
                                   "): which member owns which partition stays as last read until it can");
    }
    return;
  }
  if (std::exchange(group_warned_, false)) {
    log::notice("pipeline", "the monitor describes the group again");
  }
  std::map<std::int32_t, std::string> owners;
  for (const auto& member : members) {
    std::string name = member.instance_id.empty() ? member.client_id : member.instance_id;
    if (const std::string prefix = group + "." + shared_.config.kafka.topic + "."; name.starts_with(prefix)) {
      name.erase(0, prefix.size());
    }
    for (const std::int32_t partition : member.partitions) {
      owners[partition] = name;
    }
  }
  shared_.board.set_members(std::move(owners));
}

// A partition another instance owns reaches the drain's target when that instance has
// committed up to it: a drain of several instances ends in each of them.
void PartitionMonitor::committed_elsewhere(const std::map<std::int32_t, std::int64_t>& committed) {
  for (const std::int32_t partition : shared_.board.unowned(shared_.partitions)) {
    if (const auto found = committed.find(partition); found != committed.end()) {
      shared_.drain.progress(partition, found->second);
    }
  }
}

// After a failed reading: the topic's metadata asked for again, so that the next one goes
// to the partitions' current leaders with their current epochs (librdkafka 2.14.2's
// ListOffsets keeps sending a leader epoch the cluster has moved past, answered with
// FENCED_LEADER_EPOCH for as long as it does).
void PartitionMonitor::refresh_metadata() {
  try {
    const auto in_call = health_.call("refreshing the calls topic's metadata", Clock::now() + kReadTimeout);
    (void)kafka::partition_count(shared_.admin->handle(), shared_.config.kafka.topic, kReadTimeout);
  } catch (const std::exception&) {
    // The next reading says what is wrong.
  }
}

// The drain's targets: every partition's end offset, read again until each has answered
// (a partition whose leader was just lost answers once another broker leads it), each
// time with a client of its own: nothing it learned from a broker that has gone since
// (a leader, an epoch, a connection) is carried into the next attempt.
void PartitionMonitor::arm_drain(const std::stop_token& stop) {
  const kafka::RetryPolicy policy = shared_.retry_policy(stop);
  const std::string& topic = shared_.config.kafka.topic;
  const auto targets = kafka::retry(policy, "read the end offsets of '" + topic + "' for the drain", [&] {
    const auto in_call = health_.call("reading the drain's end offsets", Clock::now() + 2 * kReadTimeout);
    kafka::Producer reader(client_settings(shared_.config, shared_.config.pipeline.group + ".drain"));
    const auto ends = kafka::list_offsets(reader.handle(), topic, shared_.partitions, kReadTimeout);
    ends.check("reading the end offsets of '" + topic + "'");
    return ends.offsets;
  });
  shared_.board.set_end_offsets(targets);
  shared_.drain.arm(targets);
}

void PartitionMonitor::report(const std::vector<PartitionProgress>& lags) {
  PipelineMetrics& metrics = shared_.metrics.pipeline;
  std::vector<std::int64_t> thread_work(threads_.size(), 0);
  std::int64_t unowned_work = 0;
  int unowned = 0;
  for (const auto& partition : lags) {
    if (partition.end >= 0) {
      metrics.lag.Add({{"partition", std::to_string(partition.partition)}}).Set(static_cast<double>(partition.lag));
    }
    if (partition.unowned()) {
      ++unowned;
      unowned_work += partition.lag;
    } else if (partition.owner && static_cast<std::size_t>(*partition.owner) < thread_work.size()) {
      thread_work[static_cast<std::size_t>(*partition.owner)] += partition.lag;
    }
  }
  metrics.partitions_unowned.Set(unowned);
  for (std::size_t thread = 0; thread < threads_.size(); ++thread) {
    threads_[thread]->set_work(thread_work[thread], "records to read in its partitions");
  }
  unassigned_.set_work(unowned_work, "records to read in partitions that no member of the group owns");
}

}  // namespace sfcrimed::detail
