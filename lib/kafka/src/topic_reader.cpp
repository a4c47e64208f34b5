#include "sfcrimed/topic_reader.hpp"

#include <algorithm>
#include <climits>
#include <iterator>
#include <memory>
#include <string_view>
#include <vector>

#include "sfcrimed/kafka_admin.hpp"

namespace sfcrimed::kafka {
namespace {

using Clock = std::chrono::steady_clock;

// "10 s", or "1500 ms" when the timeout is not whole seconds.
std::string duration_text(std::chrono::milliseconds timeout) {
  return timeout.count() % 1000 == 0 ? std::to_string(timeout.count() / 1000) + " s"
                                     : std::to_string(timeout.count()) + " ms";
}

// The partitions being fetched into one queue, stopped on every way out (before the
// queue and the topic handle go), so that librdkafka's fetchers do not outlive them.
class Fetching {
 public:
  Fetching(RdKafka::Consumer& consumer, RdKafka::Topic& topic, RdKafka::Queue& queue)
      : consumer_(consumer), topic_(topic), queue_(queue) {}
  ~Fetching() {
    for (const std::int32_t partition : started_) {
      consumer_.stop(&topic_, partition);
    }
  }
  Fetching(const Fetching&) = delete;
  Fetching& operator=(const Fetching&) = delete;

  void start(std::int32_t partition, std::int64_t offset = RdKafka::Topic::OFFSET_BEGINNING) {
    const RdKafka::ErrorCode err = consumer_.start(&topic_, partition, offset, &queue_);
    if (err != RdKafka::ERR_NO_ERROR) {
      throw std::runtime_error("cannot read partition " + std::to_string(partition) + " of topic '" + topic_.name() +
                               "': " + RdKafka::err2str(err));
    }
    started_.push_back(partition);
  }

 private:
  RdKafka::Consumer& consumer_;
  RdKafka::Topic& topic_;
  RdKafka::Queue& queue_;
  std::vector<std::int32_t> started_;
};

// A topic's handle, the queue its partitions are fetched into, and the fetching, which
// (declared last) stops before the other two go.
struct TopicFetch {
  TopicFetch(RdKafka::Consumer& consumer, const std::string& topic)
      : handle(create_topic(consumer, topic)),
        queue(RdKafka::Queue::create(&consumer)),
        fetching(consumer, *handle, *queue) {}

  static RdKafka::Topic* create_topic(RdKafka::Consumer& consumer, const std::string& topic) {
    std::string error;
    RdKafka::Topic* handle = RdKafka::Topic::create(&consumer, topic, nullptr, error);
    if (handle == nullptr) {
      throw std::runtime_error("topic '" + topic + "': " + error);
    }
    return handle;
  }

  const std::unique_ptr<RdKafka::Topic> handle;
  const std::unique_ptr<RdKafka::Queue> queue;
  Fetching fetching;
};

// A plain (not group) consumer: a snapshot read has no use for a group's coordinator,
// rebalances or commits. A partition's end is known from a fetch answered at the end,
// which the broker holds back up to fetch.wait.max.ms for new messages: 50 ms instead
// of the default 500 reads a small topic in 0.2 s instead of 1.5 (`settings` may set another).
std::unique_ptr<RdKafka::Consumer> plain_consumer(const Settings& settings, const char* isolation_level) {
  Settings reader_settings = {{"fetch.wait.max.ms", "50"}};
  // Without a group.id the plain consumer has nowhere to commit offsets to, so one in
  // `settings` (shared with a group consumer, say) is left out.
  std::copy_if(settings.begin(), settings.end(), std::back_inserter(reader_settings),
               [](const auto& setting) { return setting.first != "group.id"; });
  reader_settings.emplace_back("isolation.level", isolation_level);
  reader_settings.emplace_back("enable.partition.eof", "true");
  const auto conf = make_conf(reader_settings);
  std::string error;
  std::unique_ptr<RdKafka::Consumer> consumer(RdKafka::Consumer::create(conf.get(), error));
  if (!consumer) {
    throw std::runtime_error("cannot create the Kafka consumer: " + error);
  }
  return consumer;
}

// The topic's partition count; throws NoSuchTopic when it has none.
int existing_partitions(RdKafka::Consumer& consumer, const std::string& topic, const std::string& brokers,
                        std::chrono::milliseconds timeout) {
  // librdkafka takes its timeouts as int milliseconds.
  const int partitions = partition_count(
      consumer, topic, std::min<std::chrono::milliseconds>(timeout, std::chrono::milliseconds(INT_MAX)));
  if (partitions == 0) {
    throw NoSuchTopic("topic '" + topic + "' does not exist on " + brokers);
  }
  return partitions;
}

std::string partition_list(const std::vector<std::int32_t>& partitions) {
  std::string list;
  for (const std::int32_t partition : partitions) {
    list += (list.empty() ? "" : ", ") + std::to_string(partition);
  }
  return list;
}

// Serves `queue` until every partition of `pending` has reached its end, handing the
// messages to `on_message`. After the deadline, throws `timeout_error` + the partitions
// left + `left_text`.
//
// librdkafka reports each partition's end once its fetch position reaches the end
// offset, also when the partition is empty; messages that arrive afterwards in a
// partition already at its end are still handed over while others are being read.
std::uint64_t consume_to_end(RdKafka::Consumer& consumer, RdKafka::Queue& queue, std::vector<std::int32_t> pending,
                             Clock::time_point deadline, const std::function<void(const RdKafka::Message&)>& on_message,
                             const std::string& timeout_error, const char* left_text) {
  std::string last_error;
  std::uint64_t delivered = 0;
  while (!pending.empty()) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      // A leader moving or a broker frozen: another attempt, with fresh metadata, may do.
      throw TransientError(timeout_error + partition_list(pending) + left_text +
                           (last_error.empty() ? "" : "; last error: " + last_error) + ")");
    }
    const std::unique_ptr<RdKafka::Message> message(
        consumer.consume(&queue, static_cast<int>(std::min<std::int64_t>(left.count(), 200))));
    consumer.poll(0);  // librdkafka's log and error events, to our log
    switch (message->err()) {
      case RdKafka::ERR_NO_ERROR:
        ++delivered;
        on_message(*message);
        break;
      case RdKafka::ERR__PARTITION_EOF:
        std::erase(pending, message->partition());
        break;
      case RdKafka::ERR__TIMED_OUT:
        break;
      default:
        // Transient (a broker restarting, a leader moving): librdkafka retries, and the
        // timeout bounds the wait.
        last_error = message->errstr();
        break;
    }
  }
  return delivered;
}

}  // namespace

std::uint64_t read_to_end(const Settings& settings, const std::string& topic,
                          const std::function<void(const RdKafka::Message&)>& on_message,
                          std::chrono::milliseconds timeout, std::optional<std::int32_t> only_partition) {
  const auto deadline = Clock::now() + timeout;
  const std::string brokers = setting_or(settings, "bootstrap.servers", "(no bootstrap.servers)");
  const auto consumer = plain_consumer(settings, "read_committed");
  const int partitions = existing_partitions(*consumer, topic, brokers, timeout);
  std::vector<std::int32_t> to_read;
  if (only_partition) {
    if (*only_partition < 0 || *only_partition >= partitions) {
      throw std::runtime_error("topic '" + topic + "' has no partition " + std::to_string(*only_partition) +
                               " (it has " + std::to_string(partitions) + ")");
    }
    to_read.push_back(*only_partition);
  } else {
    for (std::int32_t partition = 0; partition < partitions; ++partition) {
      to_read.push_back(partition);
    }
  }

  TopicFetch fetch(*consumer, topic);
  for (const std::int32_t partition : to_read) {
    fetch.fetching.start(partition);
  }

  return consume_to_end(*consumer, *fetch.queue, to_read, deadline, on_message,
                        "reading topic '" + topic + "' on " + brokers + ": not at its end after " +
                            duration_text(timeout) + " (partition(s) ",
                        " not read to the end");
}

void read_stats_topic(const Settings& settings, const std::string& topic, StatsTotals& totals,
                      std::chrono::milliseconds timeout, const RefusedStats& refused) {
  std::string why;
  read_to_end(
      settings, topic,
      [&](const RdKafka::Message& message) {
        const std::string_view key(static_cast<const char*>(message.key_pointer()), message.key_len());
        const std::string_view value(static_cast<const char*>(message.payload()), message.len());
        if (totals.add(key, value, why)) {
          return;
        }
        if (why == kOldStatsFormat) {
          throw OldStatsFormat(old_stats_format(topic, message.partition(), message.offset()));
        }
        if (refused) {
          refused(message, why);
        }
      },
      timeout);
}

DeadLetterCounts count_dead_letters(const Settings& settings, const std::string& topic,
                                    std::chrono::milliseconds timeout) {
  DeadLetterCounts counts;
  read_to_end(
      settings, topic,
      [&](const RdKafka::Message& message) {
        // headers() parses them on first use, hence not const.
        RdKafka::Headers* headers = const_cast<RdKafka::Message&>(message).headers();  // NOLINT
        bool late = false;
        if (headers != nullptr) {
          const auto reason = headers->get_last(std::string(kReasonHeader));
          late = reason.err() == RdKafka::ERR_NO_ERROR && reason.value() != nullptr &&
                 std::string_view(static_cast<const char*>(reason.value()), reason.value_size()) == kLateReason;
        }
        ++(late ? counts.late : counts.malformed);
      },
      timeout);
  return counts;
}

std::uint64_t read_last_messages(const Settings& settings, const std::string& topic, std::int64_t count,
                                 const std::function<void(const RdKafka::Message&)>& on_message,
                                 std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  const std::string brokers = setting_or(settings, "bootstrap.servers", "(no bootstrap.servers)");
  // The high watermark counts uncommitted messages too; reading them as well keeps the
  // fetch from waiting for a transaction that the offsets already include.
  const auto consumer = plain_consumer(settings, "read_uncommitted");
  const int partitions = existing_partitions(*consumer, topic, brokers, timeout);
  const auto left = [&] { return std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()); };
  const PartitionOffsets low = list_offsets(*consumer, topic, partitions, left(), true);
  low.check("reading the first offsets of '" + topic + "' on " + brokers);
  const PartitionOffsets high = list_offsets(*consumer, topic, partitions, left());
  high.check("reading the end offsets of '" + topic + "' on " + brokers);
  TopicFetch fetch(*consumer, topic);
  std::vector<std::int32_t> not_read;
  for (std::int32_t partition = 0; partition < partitions; ++partition) {
    const std::int64_t first = low.offsets.at(partition);
    const std::int64_t end = high.offsets.at(partition);
    if (end > first) {
      fetch.fetching.start(partition, std::max(first, end - std::max<std::int64_t>(count, 1)));
      not_read.push_back(partition);
    }
  }

  return consume_to_end(*consumer, *fetch.queue, not_read, deadline, on_message,
                        "reading the last messages of topic '" + topic + "' on " + brokers + ": not done after " +
                            duration_text(timeout) + " (partition(s) ",
                        " not read to the end");
}

}  // namespace sfcrimed::kafka
