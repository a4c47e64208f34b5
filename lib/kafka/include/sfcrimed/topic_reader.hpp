#pragma once
// Reading a whole topic, from its first message to its end as of now: what `sfcrimed
// stats` does with the stats and dead-letter topics, and what the pipeline will do to
// recover its window state. No consumer group: nothing is committed, nothing is left behind.

#include <librdkafka/rdkafkacpp.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>

#include "sfcrimed/kafka_settings.hpp"
#include "sfcrimed/stats_topic.hpp"

namespace sfcrimed::kafka {

// The cluster has no such topic; the message names the topic and the brokers.
class NoSuchTopic : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Hands every message of `topic` (of its partition `only_partition` when given) to
// `on_message`, in offset order within each partition, until every partition read has
// reached its end; returns how many it handed over. `settings` needs bootstrap.servers.
//
// Reads with isolation.level=read_committed: the end is the last stable offset (an open
// transaction's messages are not waited for), and messages of aborted transactions are
// never handed over. An empty partition is at its end at once.
//
// Throws NoSuchTopic when the topic does not exist, TransientError (kafka_retry.hpp) when
// the end is not reached within `timeout` (counted from the call) or the cluster does not
// answer, std::runtime_error when the partition does not exist, SettingError for a
// setting librdkafka refuses; what on_message throws passes through.
std::uint64_t read_to_end(const Settings& settings, const std::string& topic,
                          const std::function<void(const RdKafka::Message&)>& on_message,
                          std::chrono::milliseconds timeout, std::optional<std::int32_t> only_partition = {});

// Reads the stats topic `topic` to its end (read_to_end) into `totals`, message by
// message (StatsTotals::add); each message that is not a stats entry goes to `refused`,
// when given, with the reason. Throws OldStatsFormat at a message of the old format (one
// count per message), saying what to do; otherwise as read_to_end.
using RefusedStats = std::function<void(const RdKafka::Message&, const std::string& why)>;
void read_stats_topic(const Settings& settings, const std::string& topic, StatsTotals& totals,
                      std::chrono::milliseconds timeout, const RefusedStats& refused = {});

// The dead-letter topic `topic` read to its end (read_to_end): how many calls in it are
// late (kLateReason in kReasonHeader) and how many malformed (any other). Throws as read_to_end.
struct DeadLetterCounts {
  std::uint64_t malformed = 0;
  std::uint64_t late = 0;
};
DeadLetterCounts count_dead_letters(const Settings& settings, const std::string& topic,
                                    std::chrono::milliseconds timeout);

// Hands the last `count` messages of each partition of `topic` (those from its high
// watermark minus `count`; fewer when it has fewer) to `on_message`, in offset order
// within each partition, and any that arrive before the end is reached; returns how many
// it handed over. An empty partition hands over nothing, and so does an offset that holds
// no message a consumer is given (a transaction marker). Reads uncommitted messages too:
// this is for topics without transactions, such as the calls topic.
//
// Throws NoSuchTopic when the topic does not exist, TransientError when the ends are not
// reached within `timeout` (counted from the call) or the cluster does not answer,
// SettingError for a setting librdkafka refuses; what on_message throws passes through.
std::uint64_t read_last_messages(const Settings& settings, const std::string& topic, std::int64_t count,
                                 const std::function<void(const RdKafka::Message&)>& on_message,
                                 std::chrono::milliseconds timeout);

}  // namespace sfcrimed::kafka
