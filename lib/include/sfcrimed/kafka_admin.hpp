#pragma once
// Topic checks and creation, through any librdkafka client's connection.

#include <librdkafka/rdkafkacpp.h>

#include <chrono>
#include <cstdint>
#include <string>

#include "sfcrimed/kafka_settings.hpp"

namespace sfcrimed::kafka {

// The topic's partition count; 0 when the cluster has no such topic. Throws
// std::runtime_error when the cluster does not answer within `timeout`.
int partition_count(RdKafka::Handle& client, const std::string& topic, std::chrono::milliseconds timeout);

// Makes sure `topic` exists: creates it with `partitions` partitions, the broker's
// default replication factor and `topic_configs` (e.g. cleanup.policy=compact) when it is
// missing. Returns true when it created the topic. Throws std::runtime_error (the
// broker's reason) when it can do neither.
bool ensure_topic(RdKafka::Handle& client, const std::string& topic, int partitions, std::chrono::milliseconds timeout,
                  const Settings& topic_configs = {});

// A partition's low and high watermarks, into `low` and `high`. A topic created a moment
// ago answers "not leader" until its partitions have leaders: asked again every 100 ms
// until `deadline`. Returns the last answer's error (ERR_NO_ERROR when read).
RdKafka::ErrorCode watermark_offsets(RdKafka::Handle& client, const std::string& topic, std::int32_t partition,
                                     std::chrono::steady_clock::time_point deadline, std::int64_t& low,
                                     std::int64_t& high);

}  // namespace sfcrimed::kafka
