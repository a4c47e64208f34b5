// The windows stage's state is the stats topic itself: a partition given to the stage is
// read from its beginning, and what the windows group committed says how much of it the
// windows topic has already.
#include <algorithm>
#include <optional>

#include "sfcrimed/kafka_admin.hpp"
#include "sfcrimed/pipeline/kafka_io.hpp"
#include "sfcrimed/topic_reader.hpp"

namespace sfcrimed::detail {

KafkaMergeStore::KafkaMergeStore(kafka::Settings reader, std::unique_ptr<RdKafka::KafkaConsumer> offsets,
                                 std::string topic, int partitions, int calls_partitions, KafkaCalls& calls)
    : reader_(std::move(reader)),
      offsets_(std::move(offsets)),
      topic_(std::move(topic)),
      partitions_(partitions),
      calls_partitions_(calls_partitions),
      calls_(calls) {}

std::map<std::int32_t, MergeStore::Rebuilt> KafkaMergeStore::load(const std::vector<std::int32_t>& partitions) {
  std::map<std::int32_t, Rebuilt> rebuilt;
  if (partitions.empty()) {
    return rebuilt;
  }
  calls_.call("rebuild the windows from the stats topic '" + topic_ + "'", [&] {
    rebuilt.clear();
    const auto committed = kafka::committed_offsets(*offsets_, topic_, partitions_, kKafkaCallTimeout);
    for (const auto partition : partitions) {
      const auto found = committed.find(partition);
      rebuilt.emplace(partition, Rebuilt{WindowMerge(calls_partitions_), found == committed.end() ? 0 : found->second});
    }
    const auto apply = [&](const RdKafka::Message& message) {
      const auto found = rebuilt.find(message.partition());
      if (found == rebuilt.end()) {
        return;
      }
      const std::string_view key = message.key() != nullptr ? std::string_view(*message.key()) : std::string_view();
      const std::string_view value(static_cast<const char*>(message.payload()), message.len());
      std::string why;
      if (!found->second.merge.add(key, value, why, message.offset() >= found->second.next_offset) &&
          why == kOldStatsFormat) {
        throw OldStatsFormat(old_stats_format(topic_, message.partition(), message.offset()));
      }
      found->second.next_offset = std::max(found->second.next_offset, message.offset() + 1);
    };
    kafka::read_to_end(reader_, topic_, apply, kKafkaCallTimeout,
                       partitions.size() == 1 ? std::optional(partitions.front()) : std::nullopt);
  });
  return rebuilt;
}

// Each attempt with a client of its own, as the monitor's drain targets are read: a
// long-lived one's ListOffsets kept sending a leader epoch the cluster had moved past
// (librdkafka 2.14.2), refused with FENCED_LEADER_EPOCH for as long as it ran (CI saw
// the drain end that way after a broker's SIGSTOP in failover_freeze).
std::map<std::int32_t, std::int64_t> KafkaMergeStore::ends(const std::vector<std::int32_t>& partitions) {
  std::map<std::int32_t, std::int64_t> ends;
  calls_.call("read the end offsets of '" + topic_ + "'", [&] {
    kafka::Producer reader(reader_);
    const auto offsets = kafka::list_offsets(reader.handle(), topic_, partitions_, kKafkaCallTimeout);
    offsets.check("read the end offsets of '" + topic_ + "'");
    ends.clear();
    for (const auto partition : partitions) {
      if (const auto found = offsets.offsets.find(partition); found != offsets.offsets.end()) {
        ends.emplace(partition, found->second);
      }
    }
  });
  return ends;
}

std::map<std::int32_t, std::int64_t> KafkaMergeStore::committed(const std::vector<std::int32_t>& partitions) {
  std::map<std::int32_t, std::int64_t> committed;
  calls_.call("read the windows group's offsets in '" + topic_ + "'", [&] {
    committed.clear();
    for (const auto& [partition, offset] :
         kafka::committed_offsets(*offsets_, topic_, partitions_, kKafkaCallTimeout)) {
      if (std::find(partitions.begin(), partitions.end(), partition) != partitions.end()) {
        committed.emplace(partition, offset);
      }
    }
  });
  return committed;
}

}  // namespace sfcrimed::detail
