#pragma once
// Topic checks and creation, offsets of a topic and of a consumer group, through any
// librdkafka client's connection. Every call is bounded by its timeout; a failure that a
// failover makes transient throws kafka::TransientError (kafka_retry.hpp), so callers
// can retry it, and anything else std::runtime_error.

#include <librdkafka/rdkafkacpp.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "sfcrimed/kafka_retry.hpp"
#include "sfcrimed/kafka_settings.hpp"

namespace sfcrimed::kafka {

// The topic's partition count; 0 when the cluster has no such topic.
int partition_count(RdKafka::Handle& client, const std::string& topic, std::chrono::milliseconds timeout);

// Makes sure `topic` exists: creates it with `partitions` partitions, the broker's
// default replication factor and `topic_configs` (e.g. cleanup.policy=compact) when it is
// missing. Returns true when it created the topic.
bool ensure_topic(RdKafka::Handle& client, const std::string& topic, int partitions, std::chrono::milliseconds timeout,
                  const Settings& topic_configs = {});

// Offsets per partition, and the partitions that could not be read with their errors.
struct PartitionOffsets {
  std::map<std::int32_t, std::int64_t> offsets;
  std::map<std::int32_t, RdKafka::ErrorCode> errors;
  // Throws for the first error (TransientError when it is transient); nothing when none.
  void check(const std::string& what) const;
};

// Partitions 0..partitions-1 of `topic`: their end offsets (the high watermarks), or with
// `earliest` their first offsets, in one ListOffsets request per leader. A partition
// whose leader is moving comes back in `errors`; a request that times out throws
// TransientError.
PartitionOffsets list_offsets(RdKafka::Handle& client, const std::string& topic, int partitions,
                              std::chrono::milliseconds timeout, bool earliest = false);

// The offsets the group of `consumer` (its group.id; it need not be subscribed) has
// committed for partitions 0..partitions-1 of `topic`, only those it has committed; a
// request that times out throws TransientError. (Not through the admin API's
// ListConsumerGroupOffsets: librdkafka 2.14.2 crashes when a client without a group gets
// NOT_COORDINATOR for it, https://github.com/confluentinc/librdkafka/issues/5040.)
std::map<std::int32_t, std::int64_t> committed_offsets(RdKafka::KafkaConsumer& consumer, const std::string& topic,
                                                       int partitions, std::chrono::milliseconds timeout);
// The same for the partitions `partitions` of `topic`.
std::map<std::int32_t, std::int64_t> committed_offsets(RdKafka::KafkaConsumer& consumer, const std::string& topic,
                                                       const std::vector<std::int32_t>& partitions,
                                                       std::chrono::milliseconds timeout);
// The consumer for committed_offsets(): `settings` name its group (group.id); it never
// subscribes, so it never joins. Throws SettingError for a setting librdkafka refuses.
std::unique_ptr<RdKafka::KafkaConsumer> offsets_reader(const Settings& settings);

// One member of a consumer group as the group coordinator describes it.
struct GroupMember {
  std::string client_id;
  std::string instance_id;  // group.instance.id; empty for a dynamic member
  std::string host;
  std::vector<std::int32_t> partitions;  // of the topic asked about, as assigned now
};

// The members of `group` and the partitions of `topic` each is assigned (empty while a
// rebalance is under way), from its coordinator (DescribeConsumerGroups; both group
// protocols). A request that times out or finds the coordinator moving throws
// TransientError.
std::vector<GroupMember> describe_group(RdKafka::Handle& client, const std::string& group, const std::string& topic,
                                        std::chrono::milliseconds timeout);

}  // namespace sfcrimed::kafka
