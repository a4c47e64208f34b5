// The state topic: partition p holds the snapshots of calls partition p, each written in
// the transaction that committed the offsets it is the state at.
#include <algorithm>
#include <optional>

#include "sfcrimed/pipeline/kafka_io.hpp"
#include "sfcrimed/topic_reader.hpp"

namespace sfcrimed::detail {

KafkaStateStore::KafkaStateStore(kafka::Settings settings, std::string topic, WindowSpec spec, KafkaCalls& calls)
    : settings_(std::move(settings)), topic_(std::move(topic)), spec_(spec), calls_(calls) {}

// One read for all of `partitions` (a consumer per partition would cost a connection
// each), retried as a whole while the cluster fails over.
std::map<std::int32_t, PartitionWindows> KafkaStateStore::load(const std::vector<std::int32_t>& partitions) {
  std::map<std::int32_t, std::string> latest;  // only the latest matters: keep its bytes, parse it once
  const auto keep = [&](const RdKafka::Message& message) {
    if (message.len() > 0 && std::find(partitions.begin(), partitions.end(), message.partition()) != partitions.end()) {
      latest[message.partition()].assign(static_cast<const char*>(message.payload()), message.len());
    }
  };
  if (!partitions.empty()) {
    calls_.call("read the state topic '" + topic_ + "'", [&] {
      latest.clear();
      kafka::read_to_end(settings_, topic_, keep, kKafkaCallTimeout,
                         partitions.size() == 1 ? std::optional(partitions.front()) : std::nullopt);
    });
  }
  std::map<std::int32_t, PartitionWindows> loaded;
  for (const auto partition : partitions) {
    loaded.emplace(partition, PartitionWindows(partition, spec_));
  }
  for (const auto& [partition, snapshot] : latest) {
    auto state = PartitionWindows::restore(snapshot, spec_);
    if (state.partition() == partition) {
      loaded.insert_or_assign(partition, std::move(state));
    }
  }
  return loaded;
}

}  // namespace sfcrimed::detail
