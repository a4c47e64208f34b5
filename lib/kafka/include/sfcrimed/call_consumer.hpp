#pragma once
// `sfcrimed consume`: a consumer-group member that prints the calls of a topic, one
// readable line (or one JSON line) per message, shows malformed messages as such, commits
// its offsets and reports the group's lag when it leaves.

#include <atomic>
#include <cstdint>
#include <iosfwd>
#include <string>

#include "sfcrimed/call_parser.hpp"
#include "sfcrimed/kafka_properties.hpp"

namespace sfcrimed {

// What to read and how to show it; where from (the brokers, the group, the first offset)
// is in the consumer's settings.
struct ConsumeOptions {
  std::string topic = "sf.police.calls";
  std::uint64_t max_messages = 0;  // 0: no limit
  double timeout_seconds = 0;      // exit after this long without a message; 0: never
  bool json = false;
};

struct ConsumeSummary {
  std::uint64_t calls = 0;
  std::uint64_t malformed = 0;
  std::int64_t lag = 0;          // messages left after the group's committed position
  std::string lag_by_partition;  // "p0 0, p1 3, ..."
};

// Consumes options.topic with a consumer of `settings` (bootstrap.servers, group.id and
// the rest, from the caller's builder) until `stop` becomes true, max_messages have come,
// or the timeout passes. Throws NoSuchTopic (topic_reader.hpp) when the topic does not
// exist, std::runtime_error when Kafka cannot be used otherwise (the reason in the message).
ConsumeSummary consume_calls(const kafka::Settings& settings, const ConsumeOptions& options, std::ostream& out,
                             const std::atomic<bool>& stop);

// "2018-12-31 23:57  183653763  Traffic Stop  [ADM]  Geary Bl/divisadero St  (p0@42)"
std::string call_line(const CallView& call, std::int32_t partition, std::int64_t offset);

}  // namespace sfcrimed
